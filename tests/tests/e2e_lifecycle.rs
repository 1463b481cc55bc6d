//! End-to-end: lifecycle paths that must always finish and never touch what is not ours —
//! namespace deletion, GitOps-style deletion of everything at once, a credential Secret deleted
//! with everything else, Orphan endpoints over Delete deployments, operations that can no longer
//! be polled, a 409 that never clears, pre-existing Azure resources and adoption, two objects on
//! one Azure resource, and `reconcile-policy: skip`. The real binary against both emulators.

use std::time::Duration;

use aml_operator_tests::e2e::{
    ArmOperation, CONTROLLER_CLIENT, Env, EnvOptions, PERSON_CLIENT, arm_config, deployment_id,
    endpoint_id,
};
use api::{OnlineDeployment, OnlineEndpoint, Workspace};
use arm_emulator::{Fault, FaultRule};
use k8s_openapi::api::core::v1::{Namespace, Secret};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

const MINUTE: Duration = Duration::from_secs(60);

fn options(operation_time: Duration) -> EnvOptions {
    EnvOptions {
        arm: arm_config(operation_time).expect("seed"),
        sync_interval: Duration::from_secs(60),
        leader_election: false,
        operator_args: Vec::new(),
    }
}

fn workspace() -> Value {
    json!({
        "apiVersion": "aml-operator.io/v1alpha1", "kind": "Workspace",
        "metadata": {"name": "housing"},
        "spec": {"resourceId": aml_operator_tests::e2e::WORKSPACE_ID}
    })
}

fn endpoint(name: &str, traffic: Value) -> Value {
    json!({
        "apiVersion": "aml-operator.io/v1alpha1", "kind": "OnlineEndpoint",
        "metadata": {"name": name},
        "spec": {"workspaceRef": {"name": "housing"}, "authMode": "Key", "traffic": traffic}
    })
}

fn deployment(name: &str, endpoint: &str, azure_name: &str) -> Value {
    json!({
        "apiVersion": "aml-operator.io/v1alpha1", "kind": "OnlineDeployment",
        "metadata": {"name": name},
        "spec": {"endpointRef": {"name": endpoint}, "azureName": azure_name,
                 "model": "azureml:california-housing-prices:1", "environment": "azureml:california-housing-env:1",
                 "instanceType": "Standard_F2s_v2", "instanceCount": 1, "egressPublicNetworkAccess": "Disabled"}
    })
}

/// ARM requests by the controller's principals (its own, or a team's from a Secret) that change
/// Azure: PUT, PATCH, DELETE, and POSTs other than listKeys.
fn writes_by(env: &Env, principal: &str) -> Vec<String> {
    env.requests()
        .into_iter()
        .filter(|r| r.principal.as_deref() == Some(principal))
        .filter(|r| {
            matches!(r.method.as_str(), "PUT" | "PATCH" | "DELETE")
                || (r.method == "POST" && !r.path.to_ascii_lowercase().ends_with("/listkeys"))
        })
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

/// A team's credential Secret (the "person" principal, allowed in rg-ml), a Workspace that names
/// it, and an endpoint with a deployment carrying all its traffic.
async fn apply_with_team_secret(env: &Env) -> anyhow::Result<Api<Secret>> {
    let secret: Secret = serde_json::from_value(json!({
        "metadata": {"name": "azure-sp"},
        "stringData": {
            "AZURE_TENANT_ID": controller::sandbox::SANDBOX_TENANT,
            "AZURE_CLIENT_ID": PERSON_CLIENT,
            "AZURE_CLIENT_SECRET": "sandbox-team-secret"
        }
    }))?;
    let secrets: Api<Secret> = env.api();
    secrets.create(&PostParams::default(), &secret).await?;
    let mut ws = workspace();
    ws["spec"]["credential"] = json!({"secretRef": {"name": "azure-sp"}});
    env.apply(ws).await?;
    env.apply(endpoint("scoring", json!({"blue": 100}))).await?;
    env.apply(deployment("scoring-blue", "scoring", "blue"))
        .await?;
    Ok(secrets)
}

async fn delete_namespace(env: &Env) -> anyhow::Result<()> {
    let namespaces: Api<Namespace> = Api::all(env.client.clone());
    namespaces
        .delete(&env.namespace, &DeleteParams::default())
        .await?;
    env.wait("the namespace gone", 2 * MINUTE, || async {
        Ok(namespaces
            .get_opt(&env.namespace)
            .await?
            .is_none()
            .then_some(()))
    })
    .await
}

/// The person's ARM client (writes in rg-ml as someone other than the controller).
fn person(env: &Env) -> anyhow::Result<arm::ArmClient> {
    Ok(arm::ArmClient::builder(
        arm::Cloud::custom(env.arm.base_url(), env.arm.authority_host())?,
        arm::Credential::StaticToken(azure_core::credentials::Secret::new(
            env.arm.issue_token(PERSON_CLIENT),
        )),
    )
    .trust_only_ca_pem(env.arm.ca_pem().unwrap_or_default().as_bytes())?
    .build()?)
}

async fn annotate<K>(env: &Env, name: &str, key: &str, value: &str) -> anyhow::Result<()>
where
    K: kube::Resource<Scope = kube::core::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
{
    env.api::<K>()
        .patch(
            name,
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"annotations": {key: value}}})),
        )
        .await?;
    Ok(())
}

/// `kubectl delete namespace` of the seed example, exactly as shipped: the namespace goes, the
/// endpoint (with its deployment, whose share of traffic only the endpoint's deletion can take)
/// and the private endpoint the Workspace created are deleted in Azure, the workspace stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespace_deletion_of_the_seed_finishes() -> anyhow::Result<()> {
    let env = Env::start("nsdel", options(Duration::from_millis(200))).await?;
    env.apply_dir("examples/seed").await?;
    env.wait_ready("OnlineDeployment", "california-housing-default", MINUTE)
        .await?;
    env.wait_ready("Workspace", "housing", MINUTE).await?;
    let pe = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-net/providers/Microsoft.Network/privateEndpoints/mlw-prod-pe";
    assert!(env.azure(pe).is_some(), "the private endpoint exists");

    delete_namespace(&env).await?;
    assert!(
        env.azure(&endpoint_id("california-housing-service"))
            .is_none(),
        "endpoint deleted in Azure"
    );
    assert!(
        env.azure(&deployment_id("california-housing-service", "default"))
            .is_none(),
        "its deployment went with it"
    );
    assert!(
        env.azure(pe).is_none(),
        "the private endpoint it created is deleted"
    );
    assert!(
        env.azure(aml_operator_tests::e2e::WORKSPACE_ID).is_some(),
        "the workspace itself is never deleted"
    );
    env.finish().await
}

/// The credential Secret goes at once with everything else (namespace deletion): it is held by
/// the credential-in-use finalizer until the Workspace is done, so deletion still reaches Azure
/// with the team's identity, and the finalizer is released at the end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespace_deletion_with_a_secret_credential() -> anyhow::Result<()> {
    let env = Env::start("nssecret", options(Duration::from_millis(200))).await?;
    let secrets = apply_with_team_secret(&env).await?;
    env.wait_ready("OnlineDeployment", "scoring-blue", MINUTE)
        .await?;
    env.wait_ready("OnlineEndpoint", "scoring", MINUTE).await?;
    let held = secrets.get("azure-sp").await?;
    assert!(
        held.metadata
            .finalizers
            .unwrap_or_default()
            .contains(&api::CREDENTIAL_FINALIZER.to_owned()),
        "the Secret is held while the Workspace uses it"
    );

    delete_namespace(&env).await?;
    assert!(
        env.azure(&endpoint_id("scoring")).is_none(),
        "deleted in Azure"
    );
    let deletes: Vec<String> = writes_by(&env, PERSON_CLIENT)
        .into_iter()
        .filter(|w| w.starts_with("DELETE "))
        .collect();
    assert!(
        deletes
            .iter()
            .any(|w| w.to_ascii_lowercase().ends_with("/onlineendpoints/scoring")),
        "deleted with the team's credential from the Secret: {deletes:?}"
    );
    assert!(
        writes_by(&env, CONTROLLER_CLIENT).is_empty(),
        "the controller's own identity was never used"
    );
    env.finish().await
}

/// `kubectl delete -f examples/blue-green/`: every object at once, traffic 90/10 still on both
/// deployments. Everything finishes; the endpoint's deletion takes the deployments with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blue_green_deleted_all_at_once() -> anyhow::Result<()> {
    let env = Env::start("bgdel", options(Duration::from_millis(200))).await?;
    env.apply_dir("examples/blue-green").await?;
    let deployments = ["housing-rollout-blue", "housing-rollout-green"];
    for d in deployments {
        env.wait_ready("OnlineDeployment", d, MINUTE).await?;
    }
    env.wait_ready("OnlineEndpoint", "housing-rollout", MINUTE)
        .await?;

    // As kubectl delete -f: the files in order, each delete answered at once.
    for d in deployments {
        env.delete::<OnlineDeployment>(d).await?;
    }
    env.delete::<OnlineEndpoint>("housing-rollout").await?;
    env.delete::<Workspace>("housing").await?;
    for d in deployments {
        env.wait_gone("OnlineDeployment", d, MINUTE).await?;
    }
    env.wait_gone("OnlineEndpoint", "housing-rollout", MINUTE)
        .await?;
    env.wait_gone("Workspace", "housing", MINUTE).await?;
    let endpoint_name = "housing-rollout";
    assert!(
        env.azure(&endpoint_id(endpoint_name)).is_none(),
        "deleted in Azure"
    );
    env.finish().await
}

/// `deletionPolicy: Orphan` on the endpoint does not strand its deployments that say Delete:
/// the one without traffic is deleted in Azure, the one the orphaned endpoint still routes
/// traffic to is left there with a LeftInAzure Warning. The endpoint stays in Azure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orphan_endpoint_with_delete_deployments() -> anyhow::Result<()> {
    let env = Env::start("orphan", options(Duration::from_millis(200))).await?;
    env.apply(workspace()).await?;
    let mut ep = endpoint("kept", json!({"blue": 100}));
    ep["spec"]["deletionPolicy"] = json!("Orphan");
    env.apply(ep).await?;
    env.apply(deployment("kept-blue", "kept", "blue")).await?;
    env.apply(deployment("kept-green", "kept", "green")).await?;
    env.wait_ready("OnlineDeployment", "kept-green", MINUTE)
        .await?;
    env.wait_ready("OnlineEndpoint", "kept", MINUTE).await?;

    env.delete::<OnlineEndpoint>("kept").await?;
    env.delete::<OnlineDeployment>("kept-blue").await?;
    env.delete::<OnlineDeployment>("kept-green").await?;
    env.wait_gone("OnlineEndpoint", "kept", MINUTE).await?;
    env.wait_gone("OnlineDeployment", "kept-blue", MINUTE)
        .await?;
    env.wait_gone("OnlineDeployment", "kept-green", MINUTE)
        .await?;
    assert!(
        env.azure(&endpoint_id("kept")).is_some(),
        "Orphan keeps the endpoint"
    );
    assert!(
        env.azure(&deployment_id("kept", "green")).is_none(),
        "the deployment without traffic is deleted"
    );
    assert!(
        env.azure(&deployment_id("kept", "blue")).is_some(),
        "the one with traffic is left"
    );
    let events = env.events("kept-blue").await?;
    assert!(
        events
            .iter()
            .any(|(r, n)| r == "LeftInAzure" && n.contains("100%")),
        "{events:?}"
    );
    env.finish().await
}

/// An operation whose status URL starts answering 404 is dropped after a GET of the resource
/// decides what is true: the deployment still becomes Ready, created once, with an
/// OperationLost Event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operation_that_can_no_longer_be_polled_is_dropped() -> anyhow::Result<()> {
    let mut opts = options(Duration::from_millis(200));
    opts.arm = opts
        .arm
        .lro_duration(ArmOperation::DeploymentCreate, Duration::from_secs(3))
        .fault(FaultRule::probability(
            Some("GET"),
            "*/mfeOperationsStatus/*",
            1.0,
            Fault::NotFound,
        ));
    let env = Env::start("oplost", opts).await?;
    env.apply(workspace()).await?;
    env.apply(endpoint("scoring", json!({"blue": 100}))).await?;
    env.apply(deployment("scoring-blue", "scoring", "blue"))
        .await?;
    env.wait_ready("OnlineDeployment", "scoring-blue", MINUTE)
        .await?;
    env.wait_ready("OnlineEndpoint", "scoring", MINUTE).await?;
    let creates = env
        .controller_requests("PUT", "/deployments/blue")
        .into_iter()
        .filter(|r| r.status < 300)
        .count();
    assert_eq!(creates, 1, "never sent again");
    let events = env.events("scoring-blue").await?;
    assert!(
        events.iter().any(|(r, _)| r == "OperationLost"),
        "{events:?}"
    );
    env.finish().await
}

/// A 409 that never clears becomes Stalled with ARM's code and lastError after the bound
/// (--busy-stall-after), instead of Reconciling forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conflict_that_never_clears_stalls() -> anyhow::Result<()> {
    let mut opts = options(Duration::from_millis(200));
    opts.operator_args = vec!["--busy-stall-after".into(), "3s".into()];
    opts.arm = opts.arm.fault(FaultRule::probability(
        Some("PUT"),
        "*/onlineEndpoints/scoring/deployments/blue",
        1.0,
        Fault::Conflict,
    ));
    let env = Env::start("busy409", opts).await?;
    env.apply(workspace()).await?;
    env.apply(endpoint("scoring", json!({}))).await?;
    env.apply(deployment("scoring-blue", "scoring", "blue"))
        .await?;
    let stalled = env
        .wait("Stalled", MINUTE, || async {
            Ok(env
                .condition("OnlineDeployment", "scoring-blue", "Stalled")
                .await?
                .filter(|s| s.0 == "True"))
        })
        .await?;
    assert_eq!(stalled.1, "AzureBusy", "{stalled:?}");
    let obj = env
        .get_json("OnlineDeployment", "scoring-blue")
        .await?
        .unwrap_or_default();
    assert_eq!(
        obj.pointer("/status/lastError/code"),
        Some(&json!("Conflict")),
        "{obj}"
    );
    env.finish().await
}

/// An endpoint that already exists in Azure without our owner tag is not taken over: Stalled
/// NotOwned, no write. Adopted with `keep`, it is managed (tagged) and deletion leaves it in
/// Azure; adopted with `delete`, deletion removes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_preexisting_endpoint_is_adopted_only_when_asked() -> anyhow::Result<()> {
    let env = Env::start("adopt", options(Duration::from_millis(200))).await?;
    let person = person(&env)?;
    for name in ["legacy", "legacy-two"] {
        let id = arm::ResourceId::parse(&endpoint_id(name))?;
        let body = json!({"location": "westeurope", "identity": {"type": "SystemAssigned"},
            "properties": {"authMode": "Key", "publicNetworkAccess": "Disabled"}});
        let _ = person.begin_put::<Value, Value>(&id, &body).await?;
    }
    env.wait("the person's endpoints in Azure", MINUTE, || async {
        Ok(env
            .azure(&endpoint_id("legacy-two"))
            .filter(|e| e.pointer("/properties/provisioningState") == Some(&json!("Succeeded")))
            .map(|_| ()))
    })
    .await?;
    env.apply(workspace()).await?;
    env.apply(endpoint("legacy", json!({}))).await?;
    env.apply(endpoint("legacy-two", json!({}))).await?;
    let (status, message) = env
        .wait_reason("OnlineEndpoint", "legacy", "NotOwned", MINUTE)
        .await?;
    assert_eq!(status, "False");
    assert!(message.contains("aml-operator.io/adopt"), "{message}");
    env.wait_reason("OnlineEndpoint", "legacy-two", "NotOwned", MINUTE)
        .await?;
    let to_endpoints: Vec<String> = writes_by(&env, CONTROLLER_CLIENT)
        .into_iter()
        .filter(|w| w.to_ascii_lowercase().contains("/onlineendpoints/"))
        .collect();
    assert!(
        to_endpoints.is_empty(),
        "nothing written to what is not ours: {to_endpoints:?}"
    );

    annotate::<OnlineEndpoint>(&env, "legacy", api::ADOPT_ANNOTATION, "keep").await?;
    annotate::<OnlineEndpoint>(&env, "legacy-two", api::ADOPT_ANNOTATION, "delete").await?;
    env.wait_ready("OnlineEndpoint", "legacy", MINUTE).await?;
    env.wait_ready("OnlineEndpoint", "legacy-two", MINUTE)
        .await?;
    let tagged = env.azure(&endpoint_id("legacy")).unwrap_or_default();
    assert_eq!(
        tagged.pointer("/tags/aml-operator-owner"),
        Some(&json!(format!("OnlineEndpoint/{}/legacy", env.namespace))),
        "{tagged}"
    );

    env.delete::<OnlineEndpoint>("legacy").await?;
    env.delete::<OnlineEndpoint>("legacy-two").await?;
    env.wait_gone("OnlineEndpoint", "legacy", MINUTE).await?;
    env.wait_gone("OnlineEndpoint", "legacy-two", MINUTE)
        .await?;
    assert!(
        env.azure(&endpoint_id("legacy")).is_some(),
        "adopted to keep: left in Azure"
    );
    assert!(
        env.azure(&endpoint_id("legacy-two")).is_none(),
        "adopted to delete: deleted"
    );
    env.finish().await
}

/// Two objects naming one Azure endpoint (same workspace and azureName): the later one is
/// Stalled naming the first; one create; deleting the later one leaves Azure alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_objects_on_one_azure_resource_never_fight() -> anyhow::Result<()> {
    let env = Env::start("twice", options(Duration::from_millis(200))).await?;
    env.apply(workspace()).await?;
    let mut first = endpoint("first", json!({}));
    first["spec"]["azureName"] = json!("shared-ep");
    env.apply(first).await?;
    env.wait_ready("OnlineEndpoint", "first", MINUTE).await?;
    let mut second = endpoint("second", json!({}));
    second["spec"]["azureName"] = json!("shared-ep");
    second["spec"]["publicNetworkAccess"] = json!("Enabled");
    env.apply(second).await?;
    let (_, message) = env
        .wait_reason("OnlineEndpoint", "second", "OwnedByAnother", MINUTE)
        .await?;
    assert!(message.contains("first"), "{message}");
    let puts = env.controller_requests("PUT", "/onlineEndpoints/shared-ep");
    assert_eq!(puts.len(), 1, "one create, by the first");
    env.delete::<OnlineEndpoint>("second").await?;
    env.wait_gone("OnlineEndpoint", "second", MINUTE).await?;
    assert!(
        env.azure(&endpoint_id("shared-ep")).is_some(),
        "the first's endpoint stays"
    );
    assert_eq!(
        env.azure(&endpoint_id("shared-ep"))
            .and_then(|e| e.pointer("/properties/publicNetworkAccess").cloned()),
        Some(json!("Disabled")),
        "the second never wrote"
    );
    env.finish().await
}

/// `reconcile-policy: skip`: status follows Azure (a person turning public access on shows in
/// status), Ready's reason says ReconcileSkipped, and the controller writes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_policy_skip_observes_only() -> anyhow::Result<()> {
    let mut opts = options(Duration::from_millis(200));
    opts.sync_interval = Duration::from_secs(2);
    let env = Env::start("skip", opts).await?;
    env.apply(workspace()).await?;
    env.apply(endpoint("scoring", json!({}))).await?;
    env.wait_ready("OnlineEndpoint", "scoring", MINUTE).await?;
    annotate::<OnlineEndpoint>(&env, "scoring", api::RECONCILE_POLICY_ANNOTATION, "skip").await?;
    env.wait_reason("OnlineEndpoint", "scoring", "ReconcileSkipped", MINUTE)
        .await?;
    let before = writes_by(&env, CONTROLLER_CLIENT).len();
    env.arm
        .admin()
        .set_public_network_access(&endpoint_id("scoring"), true)?;
    env.wait("status showing Azure's public access", MINUTE, || async {
        let obj = env.get_json("OnlineEndpoint", "scoring").await?;
        Ok(obj
            .filter(|o| o.pointer("/status/publicNetworkAccess") == Some(&json!("Enabled")))
            .map(|_| ()))
    })
    .await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = writes_by(&env, CONTROLLER_CLIENT);
    assert_eq!(
        after.len(),
        before,
        "no write under skip: {:?}",
        &after[before..]
    );
    // Deleting under skip leaves Azure alone.
    env.delete::<OnlineEndpoint>("scoring").await?;
    env.wait_gone("OnlineEndpoint", "scoring", MINUTE).await?;
    assert!(env.azure(&endpoint_id("scoring")).is_some());
    assert_eq!(writes_by(&env, CONTROLLER_CLIENT).len(), before);
    // The person's change is not ours to undo; never-public concerns the controller's bodies.
    env.finish().await
}

/// The status write that records a deployment's create fails (the API server answers 500): the
/// operation is not in status, yet the tree is not blocked — the deployment's next GET finds it,
/// it becomes Ready, and the endpoint sends it its traffic. One create, never two.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_status_write_does_not_block_the_tree() -> anyhow::Result<()> {
    let mut opts = options(Duration::from_millis(200));
    // The create takes a moment to answer, so the fault below is armed before its status write.
    opts.arm = opts.arm.fault(FaultRule::sequence(
        Some("PUT"),
        "*/onlineEndpoints/scoring/deployments/blue",
        vec![Fault::Latency { millis: 1500 }],
    ));
    let env = Env::start("lostwrite", opts).await?;
    let Some(kube) = &env.kube else {
        eprintln!("skipped on a real cluster: needs the emulator's fault injection");
        return env.finish().await;
    };
    env.apply(workspace()).await?;
    env.apply(endpoint("scoring", json!({"blue": 100}))).await?;
    env.wait("the endpoint Succeeded in Azure", MINUTE, || async {
        let obj = env.get_json("OnlineEndpoint", "scoring").await?;
        Ok(obj
            .filter(|o| o.pointer("/status/provisioningState") == Some(&json!("Succeeded")))
            .map(|_| ()))
    })
    .await?;
    env.apply(deployment("scoring-blue", "scoring", "blue"))
        .await?;
    // Its first status lands, then the create (slowed down) is sent: the next status write is
    // the one that records the operation.
    env.wait("the deployment's first status", MINUTE, || async {
        let obj = env.get_json("OnlineDeployment", "scoring-blue").await?;
        Ok(obj
            .filter(|o| o.pointer("/status/conditions/0").is_some())
            .map(|_| ()))
    })
    .await?;
    kube.faults()
        .fail_next("PATCH", "/onlinedeployments/scoring-blue/status", 500, 1);
    env.wait_ready("OnlineDeployment", "scoring-blue", MINUTE)
        .await?;
    env.wait_ready("OnlineEndpoint", "scoring", MINUTE).await?;
    let log = env.operator_log();
    assert!(
        log.contains("failed to write status"),
        "the status write recording the create failed"
    );
    let azure = env.azure(&endpoint_id("scoring")).unwrap_or_default();
    assert_eq!(
        azure.pointer("/properties/traffic/blue"),
        Some(&json!(100)),
        "{azure}"
    );
    let creates = env
        .controller_requests("PUT", "/deployments/blue")
        .into_iter()
        .filter(|r| r.status < 300)
        .count();
    assert_eq!(creates, 1, "never sent twice");
    env.finish().await
}

/// `kubectl delete namespace` of the blue/green example with its 90/10 traffic: the namespace
/// goes and the endpoint with both deployments is deleted in Azure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespace_deletion_of_blue_green_finishes() -> anyhow::Result<()> {
    let env = Env::start("nsbg", options(Duration::from_millis(200))).await?;
    env.apply_dir("examples/blue-green").await?;
    for d in ["housing-rollout-blue", "housing-rollout-green"] {
        env.wait_ready("OnlineDeployment", d, MINUTE).await?;
    }
    env.wait_ready("OnlineEndpoint", "housing-rollout", MINUTE)
        .await?;
    delete_namespace(&env).await?;
    assert!(env.azure(&endpoint_id("housing-rollout")).is_none());
    assert!(
        env.azure(&deployment_id("housing-rollout", "blue"))
            .is_none()
    );
    assert!(
        env.azure(&deployment_id("housing-rollout", "green"))
            .is_none()
    );
    env.finish().await
}

/// Argo CD-style prune: the custom resources and the credential Secret deleted in one go (no
/// namespace deletion). The Secret waits for the Workspace; Azure is cleaned with the team's
/// credential; everything, the Secret included, is gone at the end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prune_of_resources_and_their_secret_in_one_go() -> anyhow::Result<()> {
    let env = Env::start("prune", options(Duration::from_millis(200))).await?;
    let secrets = apply_with_team_secret(&env).await?;
    env.wait_ready("OnlineEndpoint", "scoring", MINUTE).await?;
    env.wait("the Secret held", MINUTE, || async {
        let s = secrets.get("azure-sp").await?;
        Ok(s.metadata
            .finalizers
            .unwrap_or_default()
            .contains(&api::CREDENTIAL_FINALIZER.to_owned())
            .then_some(()))
    })
    .await?;

    // The Secret first, then the custom resources, as a prune deletes them.
    secrets.delete("azure-sp", &DeleteParams::default()).await?;
    env.delete::<OnlineDeployment>("scoring-blue").await?;
    env.delete::<OnlineEndpoint>("scoring").await?;
    env.delete::<Workspace>("housing").await?;
    env.wait_gone("Workspace", "housing", MINUTE).await?;
    env.wait("the Secret gone", MINUTE, || async {
        Ok(secrets.get_opt("azure-sp").await?.is_none().then_some(()))
    })
    .await?;
    assert!(
        env.azure(&endpoint_id("scoring")).is_none(),
        "deleted in Azure"
    );
    assert!(
        writes_by(&env, PERSON_CLIENT)
            .iter()
            .any(|w| w.starts_with("DELETE ")
                && w.to_ascii_lowercase().ends_with("/onlineendpoints/scoring")),
        "with the team's credential"
    );
    env.finish().await
}
