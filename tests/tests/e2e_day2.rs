//! End-to-end, day 2 (issue 17): a deployment whose Azure operation fails gets the last lines of
//! its container into status and a Warning Event, read once across syncs; the
//! `aml-operator.io/fetch-logs` annotation reads them once per value; the endpoint's status shows
//! its identity's principalId.

use std::time::Duration;

use aml_operator_tests::e2e::{Env, EnvOptions, arm_config, deployment_id, endpoint_id};
use k8s_openapi::api::events::v1::Event;
use serde_json::{Value, json};

const MINUTE: Duration = Duration::from_secs(60);
/// A line the scoring code printed that must never reach the controller's own log.
const MARKER: &str = "MODEL_SECRET=hunter2-do-not-log";

fn options() -> EnvOptions {
    EnvOptions {
        arm: arm_config(Duration::from_millis(200)).expect("seed"),
        sync_interval: MINUTE,
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

fn endpoint() -> Value {
    json!({
        "apiVersion": "aml-operator.io/v1alpha1", "kind": "OnlineEndpoint",
        "metadata": {"name": "scoring"},
        "spec": {"workspaceRef": {"name": "housing"}, "authMode": "Key",
                 "identity": {"type": "SystemAssigned"}}
    })
}

fn deployment(annotations: Value) -> Value {
    json!({
        "apiVersion": "aml-operator.io/v1alpha1", "kind": "OnlineDeployment",
        "metadata": {"name": "scoring-blue", "annotations": annotations},
        "spec": {"endpointRef": {"name": "scoring"}, "azureName": "blue",
                 "model": "azureml:california-housing-prices:1", "environment": "azureml:california-housing-env:1",
                 "instanceType": "Standard_F2s_v2", "instanceCount": 1, "egressPublicNetworkAccess": "Disabled"}
    })
}

/// getLogs requests the controller sent so far.
fn get_logs(env: &Env) -> Vec<arm_emulator::RequestRecord> {
    env.controller_requests("POST", "/deployments/blue/getLogs")
}

/// Reconciles of OnlineDeployments the operator has finished (its `/metrics`): each touch of
/// the object must show up here before the test counts getLogs.
async fn deployment_reconciles(env: &Env) -> anyhow::Result<u64> {
    let (_, metrics) = env.admin_get(0, "/metrics").await?;
    Ok(metrics
        .lines()
        .filter(|l| {
            l.starts_with("aml_operator_reconciles_total{")
                && l.contains("kind=\"OnlineDeployment\"")
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64)
}

/// The object's Events as (type, reason, note).
async fn events(env: &Env, name: &str) -> anyhow::Result<Vec<(String, String, String)>> {
    let list = env.api::<Event>().list(&Default::default()).await?;
    Ok(list
        .into_iter()
        .filter(|e| e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(name))
        .map(|e| {
            (
                e.type_.unwrap_or_default(),
                e.reason.unwrap_or_default(),
                e.note.unwrap_or_default(),
            )
        })
        .collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_deployment_logs_reach_status_and_events_once() -> anyhow::Result<()> {
    let env = Env::start("day2-logs", options()).await?;
    env.apply(workspace()).await?;
    env.apply(endpoint()).await?;
    env.wait_ready("OnlineEndpoint", "scoring", MINUTE).await?;

    // The endpoint's status shows its identity's principalId, as Azure has it.
    let azure_principal = env
        .azure(&endpoint_id("scoring"))
        .and_then(|e| e.pointer("/identity/principalId").cloned())
        .expect("Azure gave the system-assigned identity a principalId");
    let ep = env
        .get_json("OnlineEndpoint", "scoring")
        .await?
        .expect("endpoint");
    assert_eq!(
        ep.pointer("/status/identityPrincipalId"),
        Some(&azure_principal)
    );

    // The scoring container prints 60 lines, then the create fails.
    let dep_id = deployment_id("scoring", "blue");
    let mut output: Vec<String> = (0..59).map(|i| format!("line {i:02}: loading")).collect();
    output.push(format!("{MARKER} KeyError: 'MODEL_DIR' in init()"));
    env.arm
        .admin()
        .set_container_logs(&dep_id, "InferenceServer", &output.join("\n"))?;
    env.arm.admin().fail_next_operation(
        &dep_id,
        "ResourceNotReady",
        Some("User container has crashed or terminated: liveness probe failed"),
    );
    env.apply(deployment(json!({}))).await?;
    let logs = env
        .wait("status.lastLogs", MINUTE, || async {
            Ok(env
                .get_json("OnlineDeployment", "scoring-blue")
                .await?
                .and_then(|d| d.pointer("/status/lastLogs").cloned()))
        })
        .await?;
    assert_eq!(logs["trigger"], "OperationFailed");
    let containers = logs["containers"].as_array().expect("containers");
    assert_eq!(containers.len(), 1, "{logs}");
    assert_eq!(containers[0]["containerType"], "InferenceServer");
    let text = containers[0]["text"].as_str().unwrap_or_default();
    assert!(text.ends_with("KeyError: 'MODEL_DIR' in init()"), "{text}");
    assert!(text.starts_with("line 20"), "the last 40 lines: {text}");
    assert_eq!(containers[0]["lines"], 40);
    assert!(text.len() <= 4096);
    let stalled = env
        .condition("OnlineDeployment", "scoring-blue", "Stalled")
        .await?
        .expect("Stalled");
    assert!(stalled.2.starts_with("ResourceNotReady"), "{stalled:?}");

    let warning = env
        .wait("the ContainerLogs Event", MINUTE, || async {
            Ok(events(&env, "scoring-blue")
                .await?
                .into_iter()
                .find(|(_, reason, _)| reason == "ContainerLogs"))
        })
        .await?;
    assert_eq!(warning.0, "Warning");
    assert!(warning.2.contains("KeyError: 'MODEL_DIR'"), "{warning:?}");
    assert!(warning.2.len() <= 1024);

    // Several more reconciles (each annotation change wakes the object, which Azure still
    // reports Failed): no second read of the logs.
    for i in 0..3 {
        let before = deployment_reconciles(&env).await?;
        env.apply(deployment(json!({"example.com/touch": i.to_string()})))
            .await?;
        env.wait("a reconcile", MINUTE, || async {
            Ok((deployment_reconciles(&env).await? > before).then_some(()))
        })
        .await?;
    }
    assert_eq!(
        env.azure(&dep_id)
            .and_then(|d| d.pointer("/properties/provisioningState").cloned()),
        Some(json!("Failed"))
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(get_logs(&env).len(), 1, "one getLogs across several syncs");
    let body = get_logs(&env)[0].body.clone().unwrap_or_default();
    assert_eq!(body["containerType"], "InferenceServer");
    assert_eq!(body["tail"], 40);

    // On request: each new value of the annotation reads both containers once.
    env.apply(deployment(json!({"aml-operator.io/fetch-logs": "1"})))
        .await?;
    let logs = env
        .wait("requested logs", MINUTE, || async {
            Ok(env
                .get_json("OnlineDeployment", "scoring-blue")
                .await?
                .and_then(|d| d.pointer("/status/lastLogs").cloned())
                .filter(|l| l["trigger"] == "Requested"))
        })
        .await?;
    assert_eq!(logs["request"], "1");
    assert_eq!(logs["containers"].as_array().map(Vec::len), Some(2));
    assert_eq!(get_logs(&env).len(), 3);
    for i in 0..2 {
        let before = deployment_reconciles(&env).await?;
        env.apply(deployment(
            json!({"aml-operator.io/fetch-logs": "1", "example.com/touch": i.to_string()}),
        ))
        .await?;
        env.wait("a reconcile", MINUTE, || async {
            Ok((deployment_reconciles(&env).await? > before).then_some(()))
        })
        .await?;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(get_logs(&env).len(), 3, "the same value is served once");
    let normal = events(&env, "scoring-blue")
        .await?
        .into_iter()
        .filter(|(t, reason, _)| reason == "ContainerLogs" && t == "Normal")
        .count();
    assert_eq!(normal, 1);

    // Log text goes to status and Events only.
    assert!(
        !env.operator_log().contains(MARKER),
        "the controller logged container output"
    );
    env.finish().await
}

/// getLogs answering 404 is recorded in status and blocks nothing: the failed deployment still
/// stalls with Azure's error, and a spec change still repairs it to Ready.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_get_logs_is_reported_and_blocks_nothing() -> anyhow::Result<()> {
    let mut opts = options();
    opts.arm = opts.arm.fault(arm_emulator::FaultRule::probability(
        Some("POST"),
        "*/getLogs",
        1.0,
        arm_emulator::Fault::NotFound,
    ));
    let env = Env::start("day2-logs-404", opts).await?;
    env.apply(workspace()).await?;
    env.apply(endpoint()).await?;
    env.wait_ready("OnlineEndpoint", "scoring", MINUTE).await?;
    let dep_id = deployment_id("scoring", "blue");
    env.arm
        .admin()
        .fail_next_operation(&dep_id, "OutOfQuota", Some("not enough quota"));
    env.apply(deployment(json!({}))).await?;
    let logs = env
        .wait("status.lastLogs", MINUTE, || async {
            Ok(env
                .get_json("OnlineDeployment", "scoring-blue")
                .await?
                .and_then(|d| d.pointer("/status/lastLogs").cloned()))
        })
        .await?;
    let containers = logs["containers"].as_array().cloned().unwrap_or_default();
    assert_eq!(containers.len(), 2, "the error does not say: both: {logs}");
    for c in &containers {
        let error = c["error"].as_str().unwrap_or_default();
        assert!(error.starts_with("HTTP 404"), "{c}");
        assert!(c.get("text").is_none(), "{c}");
    }
    let stalled = env
        .condition("OnlineDeployment", "scoring-blue", "Stalled")
        .await?
        .expect("Stalled");
    assert!(stalled.2.starts_with("OutOfQuota"), "{stalled:?}");

    // A spec change retries the deployment; it becomes Ready.
    let mut fixed = deployment(json!({}));
    fixed["spec"]["instanceCount"] = json!(2);
    env.apply(fixed).await?;
    env.wait_ready("OnlineDeployment", "scoring-blue", MINUTE)
        .await?;
    env.finish().await
}
