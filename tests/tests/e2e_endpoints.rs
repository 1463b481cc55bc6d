//! End-to-end: the real `aml-operator` binary against both emulators. Each test states the
//! behaviour it checks; every test ends with `Env::finish`, which checks the never-public journal
//! invariant, and every wait for Ready checks the statuses read right for kstatus and Argo CD.

use std::time::Duration;

use aml_operator_tests::e2e::{
    ArmOperation, Env, EnvOptions, arm_config, deployment_id, endpoint_id,
};
use api::{OnlineDeployment, OnlineEndpoint};
use arm_emulator::{Fault, FaultRule};
use serde_json::json;

const MINUTE: Duration = Duration::from_secs(60);

fn options(operation_time: Duration, sync: Duration) -> EnvOptions {
    EnvOptions {
        arm: arm_config(operation_time).expect("seed"),
        sync_interval: sync,
        leader_election: false,
        operator_args: Vec::new(),
    }
}

fn endpoint(name: &str, traffic: serde_json::Value) -> serde_json::Value {
    json!({
        "apiVersion": "aml-operator.io/v1alpha1", "kind": "OnlineEndpoint",
        "metadata": {"name": name},
        "spec": {"workspaceRef": {"name": "housing"}, "authMode": "Key", "traffic": traffic,
                 "keysSecret": {"name": format!("{name}-keys")}}
    })
}

fn deployment(name: &str, endpoint: &str, azure_name: &str, instances: i32) -> serde_json::Value {
    json!({
        "apiVersion": "aml-operator.io/v1alpha1", "kind": "OnlineDeployment",
        "metadata": {"name": name},
        "spec": {"endpointRef": {"name": endpoint}, "azureName": azure_name,
                 "model": "azureml:california-housing-prices:1", "environment": "azureml:california-housing-env:1",
                 "instanceType": "Standard_F2s_v2", "instanceCount": instances, "egressPublicNetworkAccess": "Disabled"}
    })
}

fn workspace() -> serde_json::Value {
    json!({
        "apiVersion": "aml-operator.io/v1alpha1", "kind": "Workspace",
        "metadata": {"name": "housing"},
        "spec": {"resourceId": aml_operator_tests::e2e::WORKSPACE_ID}
    })
}

/// The seed example converges: workspace bound, endpoint created private in its first PUT,
/// deployment created with egress disabled, traffic applied, keys written to the Secret.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_example_converges() -> anyhow::Result<()> {
    let env = Env::start("seed", options(Duration::from_millis(300), MINUTE)).await?;
    env.apply_dir("examples/seed").await?;
    env.wait_ready("OnlineEndpoint", "california-housing-service", MINUTE)
        .await?;
    env.wait_ready("OnlineDeployment", "california-housing-default", MINUTE)
        .await?;
    env.wait_ready("Workspace", "housing", MINUTE).await?;

    let first_put = env.controller_requests("PUT", "/onlineEndpoints/california-housing-service");
    let body = first_put
        .first()
        .and_then(|r| r.body.clone())
        .expect("the endpoint was PUT");
    assert_eq!(
        body.pointer("/properties/publicNetworkAccess"),
        Some(&json!("Disabled")),
        "private from the first PUT"
    );
    let dep_put = env.controller_requests("PUT", "/deployments/default");
    assert_eq!(dep_put.len(), 1, "one create of the deployment");
    assert_eq!(
        dep_put[0]
            .body
            .as_ref()
            .and_then(|b| b.pointer("/properties/egressPublicNetworkAccess")),
        Some(&json!("Disabled"))
    );
    let azure = env
        .azure(&endpoint_id("california-housing-service"))
        .expect("endpoint in Azure");
    assert_eq!(
        azure.pointer("/properties/traffic/default"),
        Some(&json!(100))
    );

    // The keys Secret, owned by the endpoint; keys never in status.
    let secrets: kube::Api<k8s_openapi::api::core::v1::Secret> = env.api();
    let secret = env
        .wait("the keys Secret", MINUTE, || async {
            Ok(secrets.get_opt("california-housing-service-keys").await?)
        })
        .await?;
    let data = secret.data.clone().unwrap_or_default();
    assert!(
        data.contains_key("primaryKey")
            && data.contains_key("secondaryKey")
            && data.contains_key("scoringUri")
    );
    let primary = String::from_utf8(data["primaryKey"].0.clone())?;
    let status = env
        .get_json("OnlineEndpoint", "california-housing-service")
        .await?
        .expect("endpoint");
    assert!(
        !status.to_string().contains(&primary),
        "a key must never appear in the endpoint object"
    );
    assert_eq!(
        secret
            .metadata
            .owner_references
            .as_ref()
            .map(|o| o[0].kind.as_str()),
        Some("OnlineEndpoint")
    );

    // A resync of the converged tree writes nothing to Azure.
    let writes_before = env
        .requests()
        .iter()
        .filter(|r| r.method != "GET" && r.method != "POST")
        .count();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let writes_after = env
        .requests()
        .iter()
        .filter(|r| r.method != "GET" && r.method != "POST")
        .count();
    assert_eq!(
        writes_before, writes_after,
        "no writes while nothing changes"
    );
    env.finish().await
}

/// Keys regenerated in Azure (by a person) reach the keys Secret within the refresh interval; the
/// Secret is updated in place, still owned by the endpoint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regenerated_keys_reach_the_secret() -> anyhow::Result<()> {
    let mut opts = options(Duration::from_millis(200), Duration::from_secs(60));
    opts.operator_args = vec!["--keys-refresh-interval".into(), "2s".into()];
    let env = Env::start("keys", opts).await?;
    env.apply(workspace()).await?;
    env.apply(endpoint("scoring", json!({}))).await?;
    env.wait_ready("OnlineEndpoint", "scoring", MINUTE).await?;
    let secrets: kube::Api<k8s_openapi::api::core::v1::Secret> = env.api();
    let primary = |s: &k8s_openapi::api::core::v1::Secret| {
        s.data
            .as_ref()
            .and_then(|d| d.get("primaryKey"))
            .map(|b| b.0.clone())
            .unwrap_or_default()
    };
    let before = env
        .wait("the keys Secret", MINUTE, || async {
            Ok(secrets.get_opt("scoring-keys").await?)
        })
        .await?;

    // A person regenerates the primary key in the portal.
    let person = arm::ArmClient::builder(
        arm::Cloud::custom(env.arm.base_url(), env.arm.authority_host())?,
        arm::Credential::StaticToken(azure_core::credentials::Secret::new(
            env.arm.issue_token(aml_operator_tests::e2e::PERSON_CLIENT),
        )),
    )
    .trust_only_ca_pem(env.arm.ca_pem().expect("tls").as_bytes())?
    .build()?;
    let id = arm::ResourceId::parse(&endpoint_id("scoring"))?;
    let _ = person
        .begin_post::<serde_json::Value, serde_json::Value>(
            &id,
            "regenerateKeys",
            Some(&json!({"keyType": "Primary"})),
        )
        .await?;
    let azure_primary = env
        .wait("the regenerated key in Azure", MINUTE, || async {
            let keys = person.list_keys(&id).await?;
            Ok(keys
                .primary_key
                .filter(|k| k.as_bytes() != primary(&before).as_slice()))
        })
        .await?;
    let after = env
        .wait(
            "the new key in the Secret",
            Duration::from_secs(30),
            || async {
                let s = secrets.get_opt("scoring-keys").await?;
                Ok(s.filter(|s| primary(s) == azure_primary.as_bytes()))
            },
        )
        .await?;
    assert_eq!(
        after.metadata.uid, before.metadata.uid,
        "updated in place, not recreated"
    );
    assert_eq!(
        after
            .metadata
            .owner_references
            .as_ref()
            .map(|o| o[0].kind.as_str()),
        Some("OnlineEndpoint")
    );
    env.finish().await
}

/// Blue/green: 90/10, then 0/100, then the old deployment is removed; a deployment is never
/// deleted while it has traffic, and traffic only ever names Succeeded deployments.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blue_green_shift_and_removal() -> anyhow::Result<()> {
    let env = Env::start("bluegreen", options(Duration::from_millis(300), MINUTE)).await?;
    env.apply(workspace()).await?;
    env.apply(endpoint("rollout", json!({"blue": 90, "green": 10})))
        .await?;
    env.apply(deployment("rollout-blue", "rollout", "blue", 2))
        .await?;
    env.apply(deployment("rollout-green", "rollout", "green", 1))
        .await?;
    env.wait_ready("OnlineEndpoint", "rollout", MINUTE).await?;
    let azure = env.azure(&endpoint_id("rollout")).expect("endpoint");
    assert_eq!(
        azure.pointer("/properties/traffic"),
        Some(&json!({"blue": 90, "green": 10}))
    );

    env.apply(endpoint("rollout", json!({"blue": 0, "green": 100})))
        .await?;
    env.wait("traffic 0/100 in Azure", MINUTE, || async {
        let t = env
            .azure(&endpoint_id("rollout"))
            .and_then(|e| e.pointer("/properties/traffic").cloned());
        Ok((t == Some(json!({"blue": 0, "green": 100}))).then_some(()))
    })
    .await?;
    env.wait_ready("OnlineEndpoint", "rollout", MINUTE).await?;

    // Deleting blue while the spec still names it is fine at 0%: it leaves traffic first.
    env.apply(endpoint("rollout", json!({"green": 100})))
        .await?;
    env.delete::<OnlineDeployment>("rollout-blue").await?;
    env.wait_gone("OnlineDeployment", "rollout-blue", MINUTE)
        .await?;
    assert!(
        env.azure(&deployment_id("rollout", "blue")).is_none(),
        "blue is deleted in Azure"
    );
    assert!(env.azure(&deployment_id("rollout", "green")).is_some());
    env.wait_ready("OnlineEndpoint", "rollout", MINUTE).await?;
    env.finish().await
}

/// A deployment that still receives traffic waits for it to be removed before it is deleted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployment_with_traffic_waits_before_deletion() -> anyhow::Result<()> {
    let env = Env::start("trafficwait", options(Duration::from_millis(200), MINUTE)).await?;
    env.apply(workspace()).await?;
    env.apply(endpoint("scoring", json!({"blue": 100}))).await?;
    env.apply(deployment("scoring-blue", "scoring", "blue", 1))
        .await?;
    env.wait_ready("OnlineEndpoint", "scoring", MINUTE).await?;
    env.delete::<OnlineDeployment>("scoring-blue").await?;
    let (_, message) = env
        .wait_reason(
            "OnlineDeployment",
            "scoring-blue",
            "WaitingForTrafficRemoval",
            MINUTE,
        )
        .await?;
    assert!(message.contains("100%"), "{message}");
    assert!(
        env.controller_requests("DELETE", "/deployments/blue")
            .is_empty(),
        "not deleted while it has traffic"
    );
    env.apply(endpoint("scoring", json!({}))).await?;
    env.wait_gone("OnlineDeployment", "scoring-blue", MINUTE)
        .await?;
    env.finish().await
}

/// Public access enabled by a person in the portal is flipped back within one sync, with an
/// Event and a metric.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portal_drift_is_flipped_back() -> anyhow::Result<()> {
    let env = Env::start(
        "drift",
        options(Duration::from_millis(200), Duration::from_secs(2)),
    )
    .await?;
    env.apply(workspace()).await?;
    env.apply(endpoint("scoring", json!({}))).await?;
    env.wait_ready("OnlineEndpoint", "scoring", MINUTE).await?;
    env.arm
        .admin()
        .set_public_network_access(&endpoint_id("scoring"), true)?;
    env.wait(
        "public access back to Disabled",
        Duration::from_secs(20),
        || async {
            let pna = env
                .azure(&endpoint_id("scoring"))
                .and_then(|e| e.pointer("/properties/publicNetworkAccess").cloned());
            Ok((pna == Some(json!("Disabled"))).then_some(()))
        },
    )
    .await?;
    let events = env
        .wait(
            "a DriftCorrected Event",
            Duration::from_secs(20),
            || async {
                let events = env.events("scoring").await?;
                Ok(events
                    .iter()
                    .any(|(r, _)| r == "DriftCorrected")
                    .then_some(events))
            },
        )
        .await?;
    assert!(
        events
            .iter()
            .any(|(r, n)| r == "DriftCorrected" && n.contains("publicNetworkAccess")),
        "{events:?}"
    );
    env.wait_ready("OnlineEndpoint", "scoring", MINUTE).await?;
    env.finish().await
}

/// A deployment whose Azure operation fails with OutOfQuota is Stalled with ARM's code, and is
/// not retried in a hot loop.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_deployment_stalls_with_arms_code() -> anyhow::Result<()> {
    let env = Env::start("quota", options(Duration::from_millis(200), MINUTE)).await?;
    env.apply(workspace()).await?;
    env.apply(endpoint("scoring", json!({}))).await?;
    env.wait_ready("OnlineEndpoint", "scoring", MINUTE).await?;
    env.arm.admin().fail_next_operation(
        &deployment_id("scoring", "blue"),
        "OutOfQuota",
        Some("not enough quota for Standard_F2s_v2"),
    );
    env.apply(deployment("scoring-blue", "scoring", "blue", 1))
        .await?;
    let stalled = env
        .wait("Stalled", MINUTE, || async {
            env.condition("OnlineDeployment", "scoring-blue", "Stalled")
                .await
        })
        .await?;
    assert_eq!(stalled.0, "True");
    assert!(stalled.2.starts_with("OutOfQuota"), "{stalled:?}");
    let obj = env
        .get_json("OnlineDeployment", "scoring-blue")
        .await?
        .expect("deployment");
    assert_eq!(
        obj.pointer("/status/lastError/code"),
        Some(&json!("OutOfQuota"))
    );
    assert!(
        obj.pointer("/status/conditions")
            .and_then(|c| c.as_array())
            .is_some_and(|cs| !cs.iter().any(|c| c["type"] == "Reconciling"))
    );
    aml_operator_tests::gitops::check(&obj).map_err(|e| anyhow::anyhow!("{e}"))?;
    let puts = env.controller_requests("PUT", "/deployments/blue").len();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        env.controller_requests("PUT", "/deployments/blue").len(),
        puts,
        "no hot loop"
    );
    env.finish().await
}

/// With 20% of ARM requests answered 429 or 503, everything still converges.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn converges_under_throttling_and_outages() -> anyhow::Result<()> {
    let mut opts = options(Duration::from_millis(200), MINUTE);
    opts.arm = opts
        .arm
        .fault(FaultRule::probability(
            None,
            "/subscriptions/*",
            0.1,
            Fault::TooManyRequests {
                retry_after_secs: 1,
            },
        ))
        .fault(FaultRule::probability(
            None,
            "/subscriptions/*",
            0.1,
            Fault::ServiceUnavailable {
                retry_after_secs: None,
            },
        ));
    let env = Env::start("faults", opts).await?;
    env.apply_dir("examples/seed").await?;
    // The seed example declares the whole secure workspace (five private endpoints with their
    // DNS, four associated resources closed): about 40 Azure writes, each at 20% faults, before
    // the endpoint's NetworkIsolated (and so its Ready) can hold.
    env.wait_ready("OnlineEndpoint", "california-housing-service", 5 * MINUTE)
        .await?;
    env.wait_ready("OnlineDeployment", "california-housing-default", 2 * MINUTE)
        .await?;
    let faulted = env.requests().iter().filter(|r| r.fault.is_some()).count();
    assert!(faulted > 0, "faults were injected");
    assert_eq!(
        env.controller_requests("PUT", "/deployments/default")
            .iter()
            .filter(|r| r.status < 300)
            .count(),
        1,
        "one successful create"
    );
    env.finish().await
}

/// Azure busy (409: the endpoint is in another operation) is retried, not surfaced as an error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn azure_busy_is_retried_not_surfaced() -> anyhow::Result<()> {
    let mut opts = options(Duration::from_millis(200), MINUTE);
    // The deployment's first two PUTs meet Azure busy.
    opts.arm = opts.arm.fault(FaultRule::sequence(
        Some("PUT"),
        "*/onlineEndpoints/scoring/deployments/blue",
        vec![Fault::Conflict, Fault::Conflict],
    ));
    let env = Env::start("busy", opts).await?;
    env.apply(workspace()).await?;
    env.apply(endpoint("scoring", json!({}))).await?;
    env.apply(deployment("scoring-blue", "scoring", "blue", 1))
        .await?;
    // While it retries, it reads as progressing, never as failed.
    env.wait("the deployment Ready", MINUTE, || async {
        let obj = env
            .get_json("OnlineDeployment", "scoring-blue")
            .await?
            .expect("deployment");
        assert!(
            obj.pointer("/status/lastError").is_none(),
            "409 busy is not an error: {obj}"
        );
        let stalled = obj
            .pointer("/status/conditions")
            .and_then(|c| c.as_array())
            .is_some_and(|cs| cs.iter().any(|c| c["type"] == "Stalled"));
        assert!(!stalled, "409 busy never stalls: {obj}");
        let ready = env
            .condition("OnlineDeployment", "scoring-blue", "Ready")
            .await?;
        Ok(ready
            .filter(|(s, _, _, current)| s == "True" && *current)
            .map(|_| ()))
    })
    .await?;
    let answered: Vec<u16> = env
        .requests()
        .iter()
        .filter(|r| r.method == "PUT" && r.path.to_ascii_lowercase().ends_with("/deployments/blue"))
        .map(|r| r.status)
        .collect();
    assert_eq!(
        answered.iter().filter(|s| **s == 409).count(),
        2,
        "{answered:?}"
    );
    assert_eq!(
        answered.iter().filter(|s| **s < 300).count(),
        1,
        "one create after the retries: {answered:?}"
    );
    env.finish().await
}

/// The controller killed mid-operation and restarted resumes the operation: no second create.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_mid_operation_does_not_create_twice() -> anyhow::Result<()> {
    let mut opts = options(Duration::from_millis(200), MINUTE);
    opts.arm = opts
        .arm
        .lro_duration(ArmOperation::DeploymentCreate, Duration::from_secs(5));
    let mut env = Env::start("restart", opts).await?;
    env.apply(workspace()).await?;
    env.apply(endpoint("scoring", json!({"blue": 100}))).await?;
    env.apply(deployment("scoring-blue", "scoring", "blue", 1))
        .await?;
    env.wait("the deployment's operation in status", MINUTE, || async {
        let obj = env.get_json("OnlineDeployment", "scoring-blue").await?;
        Ok(obj.and_then(|o| o.pointer("/status/operation/url").cloned()))
    })
    .await?;
    env.kill_operator().await?;
    env.start_operator().await?;
    env.wait_ready("OnlineEndpoint", "scoring", MINUTE).await?;
    env.wait_ready("OnlineDeployment", "scoring-blue", MINUTE)
        .await?;
    assert_eq!(
        env.controller_requests("PUT", "/deployments/blue").len(),
        1,
        "exactly one create"
    );
    env.finish().await
}

/// Kubernetes answering 409 on status writes and dropping watches does not stop convergence.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubernetes_conflicts_and_dropped_watches() -> anyhow::Result<()> {
    let env = Env::start("kubefaults", options(Duration::from_millis(300), MINUTE)).await?;
    let Some(kube) = &env.kube else {
        eprintln!("skipped on a real cluster: needs the emulator's fault injection");
        return env.finish().await;
    };
    kube.faults().fail_next("PATCH", "/status", 409, 3);
    env.apply_dir("examples/seed").await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    kube.faults().drop_watches();
    tokio::time::sleep(Duration::from_millis(500)).await;
    kube.faults().drop_watches();
    env.wait_ready("OnlineEndpoint", "california-housing-service", MINUTE)
        .await?;
    env.wait_ready("OnlineDeployment", "california-housing-default", MINUTE)
        .await?;
    env.finish().await
}

/// Deleting with deletionPolicy Delete tears down in order (deployments before their endpoint);
/// Orphan leaves the Azure resource.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletion_in_order_and_orphan() -> anyhow::Result<()> {
    let env = Env::start("delete", options(Duration::from_millis(300), MINUTE)).await?;
    env.apply(workspace()).await?;
    env.apply(endpoint("scoring", json!({}))).await?;
    env.apply(deployment("scoring-blue", "scoring", "blue", 1))
        .await?;
    let mut kept = endpoint("kept", json!({}));
    kept["spec"]["deletionPolicy"] = json!("Orphan");
    env.apply(kept).await?;
    env.wait_ready("OnlineDeployment", "scoring-blue", MINUTE)
        .await?;
    env.wait_ready("OnlineEndpoint", "kept", MINUTE).await?;

    env.delete::<OnlineEndpoint>("scoring").await?;
    env.delete::<OnlineDeployment>("scoring-blue").await?;
    env.delete::<OnlineEndpoint>("kept").await?;
    env.wait_gone("OnlineEndpoint", "scoring", MINUTE).await?;
    env.wait_gone("OnlineDeployment", "scoring-blue", MINUTE)
        .await?;
    env.wait_gone("OnlineEndpoint", "kept", MINUTE).await?;
    assert!(
        env.azure(&endpoint_id("scoring")).is_none(),
        "deleted in Azure"
    );
    assert!(
        env.azure(&endpoint_id("kept")).is_some(),
        "Orphan leaves Azure alone"
    );
    let deletes: Vec<String> = env
        .requests()
        .into_iter()
        .filter(|r| {
            r.method == "DELETE"
                && r.principal.as_deref() == Some(aml_operator_tests::e2e::CONTROLLER_CLIENT)
        })
        .map(|r| r.path)
        .collect();
    assert_eq!(deletes.len(), 2, "{deletes:?}");
    assert!(
        deletes[0]
            .to_ascii_lowercase()
            .ends_with("/deployments/blue"),
        "deployment first: {deletes:?}"
    );
    assert!(
        deletes[1]
            .to_ascii_lowercase()
            .ends_with("/onlineendpoints/scoring"),
        "then the endpoint: {deletes:?}"
    );
    env.finish().await
}

/// A deployment naming an endpoint that does not exist waits (DependencyNotReady) and makes no
/// ARM call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_endpoint_is_a_dependency_and_costs_no_arm_call() -> anyhow::Result<()> {
    let env = Env::start("missing", options(Duration::from_millis(200), MINUTE)).await?;
    env.apply(workspace()).await?;
    env.wait_ready("Workspace", "housing", MINUTE).await?;
    let before = env.requests().len();
    env.apply(deployment("orphan-dep", "no-such-endpoint", "blue", 1))
        .await?;
    let (status, message) = env
        .wait_reason(
            "OnlineDeployment",
            "orphan-dep",
            "DependencyNotReady",
            MINUTE,
        )
        .await?;
    assert_eq!(status, "False");
    assert!(message.contains("no-such-endpoint"), "{message}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let calls: Vec<String> = env.requests()[before..]
        .iter()
        .filter(|r| r.path.to_ascii_lowercase().contains("/deployments/"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(
        calls.is_empty(),
        "no ARM call for the deployment: {calls:?}"
    );
    env.finish().await
}

/// One commit that changes green's model and moves all traffic to green: the journal shows the
/// traffic PUT only after green's update finished in Azure, never while Azure still served the
/// old model (green was Succeeded for its previous generation all along). Which reconcile runs
/// first is up to the queues; the gate itself (Ready for the current generation) is pinned by
/// the controller's unit test `traffic_goes_only_to_a_deployment_ready_for_its_current_spec`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traffic_waits_for_the_deployments_current_spec() -> anyhow::Result<()> {
    let mut opts = options(Duration::from_millis(200), MINUTE);
    opts.arm = opts
        .arm
        .lro_duration(ArmOperation::DeploymentUpdate, Duration::from_secs(3));
    let env = Env::start("trafficgate", opts).await?;
    env.apply(workspace()).await?;
    env.apply(endpoint("scoring", json!({"blue": 100}))).await?;
    env.apply(deployment("scoring-blue", "scoring", "blue", 1))
        .await?;
    env.apply(deployment("scoring-green", "scoring", "green", 1))
        .await?;
    env.wait_ready("OnlineDeployment", "scoring-green", MINUTE)
        .await?;
    env.wait_ready("OnlineEndpoint", "scoring", MINUTE).await?;

    // The commit: green's model v2 and all traffic to green, applied together.
    let mut green = deployment("scoring-green", "scoring", "green", 1);
    green["spec"]["model"] = json!("azureml:california-housing-prices:2");
    env.apply(green).await?;
    env.apply(endpoint("scoring", json!({"green": 100})))
        .await?;
    env.wait("all traffic on green in Azure", MINUTE, || async {
        Ok(env
            .azure(&endpoint_id("scoring"))
            .filter(|e| e.pointer("/properties/traffic/green") == Some(&json!(100)))
            .map(|_| ()))
    })
    .await?;

    let journal = env.arm.journal();
    let green_id = deployment_id("scoring", "green").to_ascii_lowercase();
    let update = journal
        .iter()
        .position(|e| match e {
            arm_emulator::JournalEntry::Request(r) => {
                r.method == "PUT"
                    && r.path.to_ascii_lowercase().ends_with("/deployments/green")
                    && r.body
                        .as_ref()
                        .is_some_and(|b| b.to_string().contains("prices/versions/2"))
            }
            _ => false,
        })
        .expect("green's update was sent");
    let deployed = journal[update..]
        .iter()
        .position(|e| match e {
            arm_emulator::JournalEntry::StateChange(c) => {
                c.resource_id.to_ascii_lowercase() == green_id && c.change == "operationSucceeded"
            }
            _ => false,
        })
        .map(|i| i + update)
        .expect("green's update finished");
    let shifted = journal
        .iter()
        .position(|e| match e {
            arm_emulator::JournalEntry::Request(r) => {
                r.method == "PUT"
                    && r.path
                        .to_ascii_lowercase()
                        .ends_with("/onlineendpoints/scoring")
                    && r.body
                        .as_ref()
                        .and_then(|b| b.pointer("/properties/traffic/green"))
                        == Some(&json!(100))
            }
            _ => false,
        })
        .expect("the traffic PUT");
    assert!(
        shifted > deployed,
        "traffic moved at journal entry {shifted}, before green's new model was deployed at {deployed}"
    );
    env.finish().await
}

/// A keys Secret that cannot be written (a Secret of that name that another owner holds) shows
/// in the endpoint's `KeysSynced` condition, and its retries back off instead of running every few
/// seconds; the Secret is never overwritten.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keys_secret_that_cannot_be_written_is_reported_and_backs_off() -> anyhow::Result<()> {
    let env = Env::start("keysfail", options(Duration::from_millis(200), MINUTE)).await?;
    let secrets: kube::Api<k8s_openapi::api::core::v1::Secret> = env.api();
    let foreign: k8s_openapi::api::core::v1::Secret = serde_json::from_value(json!({
        "metadata": {"name": "scoring-keys"},
        "stringData": {"note": "someone else's"}
    }))?;
    secrets
        .create(&kube::api::PostParams::default(), &foreign)
        .await?;
    env.apply(workspace()).await?;
    env.apply(endpoint("scoring", json!({}))).await?;
    let (status, reason, message, _) = env
        .wait("KeysSynced=False", MINUTE, || async {
            Ok(env
                .condition("OnlineEndpoint", "scoring", "KeysSynced")
                .await?
                .filter(|c| c.0 == "False"))
        })
        .await?;
    assert_eq!(
        (status.as_str(), reason.as_str()),
        ("False", "KeysNotSynced")
    );
    assert!(message.contains("scoring-keys"), "{message}");
    // Retries back off (10 s, 20 s, ...): over 8 s at most one more attempt, where a fixed
    // 10 s poll plus the endpoint's other wake-ups would make several.
    let attempts = || env.operator_log().matches("keys not synced").count();
    let before = attempts();
    tokio::time::sleep(Duration::from_secs(8)).await;
    let after = attempts();
    assert!(before >= 1, "the failure was logged");
    assert!(after - before <= 1, "{} attempts in 8 s", after - before);
    let kept = secrets.get("scoring-keys").await?;
    assert!(
        kept.data.unwrap_or_default().contains_key("note"),
        "the foreign Secret is never overwritten"
    );
    env.finish().await
}
