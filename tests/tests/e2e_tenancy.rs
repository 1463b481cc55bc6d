//! End-to-end: a cluster shared by teams. What a namespace may do with Azure is the cluster
//! admin's grant, written on its Namespace (tenants cannot edit it): the controller's own
//! identity, the workspaces it may bind, the subnets and VNets its private endpoints may use.
//! Outside the grant a Workspace is Stalled `NotPermitted` naming the rule, and nothing is sent
//! to Azure. The real binary against both emulators.

use std::time::Duration;

use aml_operator_tests::e2e::{Env, EnvOptions, WORKSPACE_ID, arm_config};
use api::{OnlineEndpoint, Workspace};
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

const MINUTE: Duration = Duration::from_secs(60);
const SUB: &str = "/subscriptions/11111111-2222-3333-4444-555555555555";

fn options() -> EnvOptions {
    EnvOptions {
        arm: arm_config(Duration::from_millis(200)).expect("seed"),
        sync_interval: MINUTE,
        leader_election: false,
        operator_args: vec!["--all-namespaces".into()],
    }
}

/// A team namespace with the admin's annotations.
async fn team(env: &Env, suffix: &str, annotations: Value) -> anyhow::Result<String> {
    let name = format!("{}-{suffix}", env.namespace);
    let ns: Namespace =
        serde_json::from_value(json!({"metadata": {"name": name, "annotations": annotations}}))?;
    Api::<Namespace>::all(env.client.clone())
        .create(&PostParams::default(), &ns)
        .await?;
    Ok(name)
}

fn workspace(network: Value) -> Value {
    json!({
        "apiVersion": "aml-operator.io/v1alpha1", "kind": "Workspace",
        "metadata": {"name": "housing"},
        "spec": {"resourceId": WORKSPACE_ID, "network": network}
    })
}

async fn apply_in(env: &Env, namespace: &str, mut doc: Value) -> anyhow::Result<()> {
    doc["metadata"]["namespace"] = json!(namespace);
    let name = doc["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let pp = PatchParams::apply("e2e-test").force();
    match doc["kind"].as_str() {
        Some("Workspace") => {
            Api::<Workspace>::namespaced(env.client.clone(), namespace)
                .patch(&name, &pp, &Patch::Apply(&doc))
                .await?;
        }
        Some("OnlineEndpoint") => {
            Api::<OnlineEndpoint>::namespaced(env.client.clone(), namespace)
                .patch(&name, &pp, &Patch::Apply(&doc))
                .await?;
        }
        other => anyhow::bail!("unexpected kind {other:?}"),
    }
    Ok(())
}

/// Ready's reason and message of a Workspace in `namespace`, once its reason is `reason`.
async fn wait_reason(env: &Env, namespace: &str, reason: &str) -> anyhow::Result<String> {
    let api = Api::<Workspace>::namespaced(env.client.clone(), namespace);
    env.wait(
        &format!("Workspace in {namespace} {reason}"),
        MINUTE,
        || async {
            let ws = api.get_opt("housing").await?;
            Ok(ws.and_then(|w| w.status).and_then(|s| {
                s.conditions
                    .iter()
                    .find(|c| c.type_ == "Ready" && c.reason == reason)
                    .map(|c| c.message.clone())
            }))
        },
    )
    .await
}

/// Without the admin's grant a Workspace cannot use the controller's identity; a grant limited to
/// other workspaces, or to other networks, refuses those; within its grant it converges. Nothing
/// is sent to Azure for a refused Workspace, nor for an endpoint that uses it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admins_grant_decides_what_a_namespace_may_do() -> anyhow::Result<()> {
    let env = Env::start("tenancy", options()).await?;
    let hub =
        format!("{SUB}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-hub");
    let private = json!({"publicNetworkAccess": "Disabled", "privateEndpoints": [{
        "name": "mlw-prod-pe", "subnetId": format!("{hub}/subnets/pe"), "approve": true,
        "privateDnsZones": {"resourceGroup": "rg-dns", "linkVirtualNetworkId": hub}}]});

    // No grant at all.
    let none = team(&env, "none", json!({})).await?;
    apply_in(&env, &none, workspace(json!({}))).await?;
    apply_in(
        &env,
        &none,
        json!({"apiVersion": "aml-operator.io/v1alpha1", "kind": "OnlineEndpoint",
               "metadata": {"name": "scoring"}, "spec": {"workspaceRef": {"name": "housing"}}}),
    )
    .await?;
    let message = wait_reason(&env, &none, "NotPermitted").await?;
    assert!(
        message.contains("aml-operator.io/default-credential"),
        "{message}"
    );

    // The controller's identity, but only for another resource group's workspaces.
    let other_rg = team(
        &env,
        "otherrg",
        json!({"aml-operator.io/default-credential": "allowed",
               "aml-operator.io/allowed-workspaces": format!("{SUB}/resourceGroups/rg-team-a")}),
    )
    .await?;
    apply_in(&env, &other_rg, workspace(json!({}))).await?;
    let message = wait_reason(&env, &other_rg, "NotPermitted").await?;
    assert!(message.contains("spec.resourceId"), "{message}");

    // The right workspace, but a private endpoint outside the networks it may use.
    let other_net = team(
        &env,
        "othernet",
        json!({"aml-operator.io/default-credential": "allowed",
               "aml-operator.io/allowed-workspaces": format!("{SUB}/resourceGroups/rg-ml"),
               "aml-operator.io/allowed-networks": format!("{SUB}/resourceGroups/rg-team-a")}),
    )
    .await?;
    apply_in(&env, &other_net, workspace(private.clone())).await?;
    let message = wait_reason(&env, &other_net, "NotPermitted").await?;
    assert!(
        message.contains("privateEndpoints[0].subnetId"),
        "{message}"
    );

    tokio::time::sleep(Duration::from_secs(2)).await;
    let sent: Vec<String> = env
        .requests()
        .iter()
        .filter(|r| r.principal.is_some())
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(
        sent.is_empty(),
        "nothing sent to Azure for refused Workspaces: {sent:?}"
    );
    let endpoint = Api::<OnlineEndpoint>::namespaced(env.client.clone(), &none)
        .get("scoring")
        .await?;
    let ready = endpoint
        .status
        .as_ref()
        .and_then(|s| s.conditions.iter().find(|c| c.type_ == "Ready"))
        .map(|c| c.status.clone());
    assert_ne!(
        ready.as_deref(),
        Some("True"),
        "the endpoint of a refused Workspace is not Ready"
    );

    // Within its grant: converges (private endpoint and all).
    let granted = team(
        &env,
        "granted",
        json!({"aml-operator.io/default-credential": "allowed",
               "aml-operator.io/allowed-workspaces": format!("{SUB}/resourceGroups/rg-ml"),
               "aml-operator.io/allowed-networks": format!("{SUB}/resourceGroups/rg-net")}),
    )
    .await?;
    apply_in(&env, &granted, workspace(private)).await?;
    wait_reason(&env, &granted, "Succeeded").await?;
    env.finish().await
}

/// No annotation takes the controller down for everyone. A malformed sync interval is a Warning
/// Event `InvalidAnnotation` naming the annotation (the controller's interval is used); the
/// overflowing one that used to panic the runtime (`Duration::mul_f64` in the requeue jitter) is
/// read as the longest interval: the object converges, the process keeps running, `/healthz`
/// answers 200, and a spec change made afterwards still reaches Azure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_sync_interval_annotation_takes_the_controller_down() -> anyhow::Result<()> {
    let env = Env::start("tenancyannot", options()).await?;
    let mut ws = workspace(json!({}));
    ws["metadata"]["annotations"] = json!({"aml-operator.io/sync-interval": "5hh"});
    env.apply(ws).await?;
    env.wait_ready("Workspace", "housing", MINUTE).await?;
    let events = env.events("housing").await?;
    assert!(
        events
            .iter()
            .any(|(reason, note)| reason == "InvalidAnnotation"
                && note.contains("aml-operator.io/sync-interval")
                && note.contains("5hh")),
        "{events:?}"
    );

    let endpoint = |description: &str| {
        json!({"apiVersion": "aml-operator.io/v1alpha1", "kind": "OnlineEndpoint",
               "metadata": {"name": "scoring",
                            "annotations": {"aml-operator.io/sync-interval": "18446744073709551615"}},
               "spec": {"workspaceRef": {"name": "housing"}, "description": description}})
    };
    env.apply(endpoint("first")).await?;
    env.wait_ready("OnlineEndpoint", "scoring", MINUTE).await?;
    let (status, _) = env.admin_get(0, "/healthz").await?;
    assert_eq!(status, 200, "healthz after the overflowing annotation");
    assert!(
        !env.operator_log().contains("panicked"),
        "the operator panicked:\n{}",
        env.operator_log()
    );

    env.apply(endpoint("second")).await?;
    let id = aml_operator_tests::e2e::endpoint_id("scoring");
    env.wait("the description change reaches Azure", MINUTE, || async {
        Ok(env
            .azure(&id)
            .filter(|e| e.pointer("/properties/description") == Some(&json!("second"))))
    })
    .await?;
    let (status, _) = env.admin_get(0, "/healthz").await?;
    assert_eq!(status, 200);
    env.finish().await
}
