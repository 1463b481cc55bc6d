//! End-to-end: a Workspace that observes its associated resources
//! (`spec.network.associatedResources`), the real `aml-operator` binary against both emulators.
//! The sandbox seed creates the workspace's storage account, key vault, Premium registry and
//! Application Insights public, as a fresh workspace's are.

use std::time::Duration;

use aml_operator_tests::e2e::{
    CONTROLLER_CLIENT, Env, EnvOptions, arm_config, repo_root, with_platform_private_endpoint,
};
use arm_emulator::{PrivateEndpointSeed, Seed};
use serde_json::{Value, json};

const MINUTE: Duration = Duration::from_secs(60);
const RG_ML: &str =
    "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-ml/providers";
const SUBNET: &str = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-hub/subnets/pe";

fn storage() -> String {
    format!("{RG_ML}/Microsoft.Storage/storageAccounts/stmlwprod")
}
fn vault() -> String {
    format!("{RG_ML}/Microsoft.KeyVault/vaults/kv-mlw-prod")
}
fn registry() -> String {
    format!("{RG_ML}/Microsoft.ContainerRegistry/registries/crmlwprod")
}
fn appi() -> String {
    format!("{RG_ML}/Microsoft.Insights/components/appi-mlw-prod")
}

/// The seed example's Workspace, observing its associated resources.
fn observing_workspace() -> anyhow::Result<Value> {
    let text = std::fs::read_to_string(repo_root().join("examples/seed/workspace.yaml"))?;
    let mut doc: Value = serde_saphyr::from_str(&text)?;
    doc["spec"]["network"]["associatedResources"] = json!({"mode": "Observe"});
    Ok(doc)
}

fn options(seed: Seed) -> anyhow::Result<EnvOptions> {
    Ok(EnvOptions {
        arm: arm_config(Duration::from_millis(200))?.seed(with_platform_private_endpoint(seed)),
        sync_interval: Duration::from_secs(2),
        leader_election: false,
        operator_args: Vec::new(),
    })
}

async fn isolated(env: &Env) -> anyhow::Result<(String, String, String)> {
    Ok(env
        .condition("Workspace", "housing", "NetworkIsolated")
        .await?
        .map(|(s, r, m, _)| (s, r, m))
        .unwrap_or_default())
}

/// The controller's requests to one of the four providers: (GETs, writes).
fn calls_to(env: &Env, provider: &str) -> (usize, usize) {
    let provider = provider.to_ascii_lowercase();
    let mine: Vec<_> = env
        .requests()
        .into_iter()
        .filter(|r| r.principal.as_deref() == Some(CONTROLLER_CLIENT))
        .filter(|r| r.path.to_ascii_lowercase().contains(&provider))
        .collect();
    let gets = mine.iter().filter(|r| r.method == "GET").count();
    (gets, mine.len() - gets)
}

const PROVIDERS: [&str; 4] = [
    "/providers/Microsoft.Storage/",
    "/providers/Microsoft.KeyVault/",
    "/providers/Microsoft.ContainerRegistry/",
    "/providers/Microsoft.Insights/",
];

/// The sandbox's public associated resources are reported by name while the workspace's own
/// legs converge (Ready), nothing is written to them, each is read once per sync; once a
/// person makes them private (private endpoints, public access off) NetworkIsolated turns True.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_associated_resources_are_reported_by_name() -> anyhow::Result<()> {
    let env = Env::start("assoc", options(Seed::sandbox()?)?).await?;
    env.apply(observing_workspace()?).await?;
    env.wait_ready("Workspace", "housing", MINUTE).await?;
    let (status, reason, message) = isolated(&env).await?;
    assert_eq!(
        (status.as_str(), reason.as_str()),
        ("False", "NotIsolated"),
        "{message}"
    );
    for expected in [
        "storage account stmlwprod: public network access Enabled (network ACL default action Allow), no Approved private endpoint",
        "key vault kv-mlw-prod: public network access Enabled (network ACL default action Allow), no Approved private endpoint",
        "container registry crmlwprod: public network access Enabled (network ACL default action Allow), no Approved private endpoint",
        "Application Insights appi-mlw-prod: public network access for ingestion Enabled, public network access for query Enabled",
    ] {
        assert!(message.contains(expected), "{expected:?} not in {message}");
    }
    // Read, never written; one GET each per sync at most.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let workspace_gets = env.controller_requests("GET", "/workspaces/mlw-prod").len();
    for provider in PROVIDERS {
        let (gets, writes) = calls_to(&env, provider);
        assert_eq!(writes, 0, "{provider}: observe only");
        assert!(gets >= 2, "{provider}: read at every sync ({gets})");
        assert!(
            gets <= workspace_gets,
            "{provider}: {gets} GETs, more than the workspace's {workspace_gets}"
        );
    }

    // A person makes them private: private endpoints (auto-approved) and public access off.
    let mut seed = Seed::default();
    let mut sub = arm_emulator::SubscriptionSeed {
        id: "11111111-2222-3333-4444-555555555555".into(),
        ..Default::default()
    };
    let mut rg = arm_emulator::ResourceGroupSeed {
        name: "rg-net".into(),
        location: "westeurope".into(),
        ..Default::default()
    };
    for (name, target, group) in [
        ("pe-st-blob", storage(), "blob"),
        ("pe-kv", vault(), "vault"),
        ("pe-cr", registry(), "registry"),
    ] {
        rg.private_endpoints.push(PrivateEndpointSeed {
            name: name.into(),
            subnet_id: SUBNET.into(),
            target,
            group_id: Some(group.into()),
        });
    }
    sub.resource_groups.push(rg);
    seed.subscriptions.push(sub);
    env.arm.admin().seed(&seed)?;
    for id in [storage(), vault(), registry(), appi()] {
        env.arm.admin().set_public_network_access(&id, false)?;
    }
    env.wait("NetworkIsolated=True", MINUTE, || async {
        let (status, _, message) = isolated(&env).await?;
        Ok((status == "True").then_some(message))
    })
    .await?;
    let (_, _, message) = isolated(&env).await?;
    assert!(
        message.contains("Application Insights private"),
        "{message}"
    );
    // Still nothing written to them.
    for provider in PROVIDERS {
        assert_eq!(calls_to(&env, provider).1, 0, "{provider}");
    }
    env.finish().await
}

/// A Basic registry: its leg says Premium is needed; the controller never upgrades it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_registry_is_reported_not_upgraded() -> anyhow::Result<()> {
    let mut seed = Seed::sandbox()?;
    for ws in seed
        .subscriptions
        .iter_mut()
        .flat_map(|s| s.resource_groups.iter_mut())
        .flat_map(|g| g.workspaces.iter_mut())
    {
        ws.container_registry_sku = "Basic".into();
    }
    let env = Env::start("assocbasic", options(seed)?).await?;
    env.apply(observing_workspace()?).await?;
    env.wait_ready("Workspace", "housing", MINUTE).await?;
    let (_, _, message) = isolated(&env).await?;
    assert!(
        message.contains("container registry crmlwprod: public network access Enabled (network ACL default action Allow), SKU Basic: a private endpoint needs the Premium SKU (the controller does not change SKUs)"),
        "{message}"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        calls_to(&env, "/providers/Microsoft.ContainerRegistry/").1,
        0,
        "nothing written to the registry"
    );
    let registry = env.azure(&registry()).expect("registry");
    assert_eq!(registry["sku"]["name"], "Basic");
    assert_eq!(registry["properties"]["publicNetworkAccess"], "Enabled");
    env.finish().await
}
