//! End-to-end: a Workspace whose managed network allows only approved outbound
//! (`managedNetwork.isolationMode: AllowOnlyApprovedOutbound`) and that observes or enforces its
//! associated resources. Azure itself makes private endpoints from the managed network to the
//! storage account, key vault and registry — "required" outbound rules, Inactive until the
//! network is provisioned, Active after (the ARM emulator's `world/managed_network.rs` cites
//! Microsoft Learn and `workspaceRP.json`) — so those rules are the resources' private-path legs,
//! and the controller makes no user-VNet private endpoints for them.

use std::time::Duration;

use aml_operator_tests::e2e::{
    CONTROLLER_CLIENT, Env, EnvOptions, WORKSPACE_ID, arm_config, never_public_violations,
    repo_root, with_platform_private_endpoint,
};
use arm_emulator::{Drift, JournalEntry, RequestRecord, Seed};
use serde_json::{Value, json};

const MINUTE: Duration = Duration::from_secs(60);
const RG_ML: &str =
    "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-ml/providers";

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

/// The seed example's Workspace with `associatedResources.mode` set.
fn workspace(mode: &str) -> anyhow::Result<Value> {
    let text = std::fs::read_to_string(repo_root().join("examples/seed/workspace.yaml"))?;
    let mut doc: Value = serde_saphyr::from_str(&text)?;
    doc["spec"]["network"]["associatedResources"] = json!({"mode": mode});
    Ok(doc)
}

/// The sandbox with the workspace already in a managed network that allows only approved
/// outbound, not provisioned yet (its required rules Inactive).
fn managed_sandbox() -> anyhow::Result<Seed> {
    let mut seed = Seed::sandbox()?;
    for ws in seed
        .subscriptions
        .iter_mut()
        .flat_map(|s| s.resource_groups.iter_mut())
        .flat_map(|g| g.workspaces.iter_mut())
    {
        ws.managed_network.isolation_mode = "AllowOnlyApprovedOutbound".into();
        ws.managed_network.status = "Inactive".into();
    }
    Ok(seed)
}

fn options(seed: Seed) -> anyhow::Result<EnvOptions> {
    Ok(EnvOptions {
        arm: arm_config(Duration::from_millis(200))?.seed(with_platform_private_endpoint(seed)),
        sync_interval: Duration::from_secs(2),
        leader_election: false,
        operator_args: Vec::new(),
    })
}

async fn isolated(env: &Env) -> anyhow::Result<(String, String)> {
    Ok(env
        .condition("Workspace", "housing", "NetworkIsolated")
        .await?
        .map(|(s, _, m, _)| (s, m))
        .unwrap_or_default())
}

/// The workspace's required outbound rules as Azure shows them: (name, destination,
/// subresource).
fn required_rules(env: &Env) -> Vec<(String, String, String)> {
    let ws = env.azure(WORKSPACE_ID).unwrap_or(Value::Null);
    ws.pointer("/properties/managedNetwork/outboundRules")
        .and_then(Value::as_object)
        .map(|rules| {
            rules
                .iter()
                .filter(|(_, r)| r["category"] == "Required")
                .map(|(name, r)| {
                    let s = |p: &str| r.pointer(p).and_then(Value::as_str).unwrap_or_default();
                    (
                        name.clone(),
                        s("/destination/serviceResourceId").to_owned(),
                        s("/destination/subresourceTarget").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn mine(env: &Env) -> Vec<RequestRecord> {
    env.requests()
        .into_iter()
        .filter(|r| r.principal.as_deref() == Some(CONTROLLER_CLIENT))
        .collect()
}

/// The controller's writes to the storage, key vault, registry and Application Insights
/// providers.
fn associated_writes(env: &Env) -> Vec<RequestRecord> {
    mine(env)
        .into_iter()
        .filter(|r| r.method != "GET")
        .filter(|r| {
            let p = r.path.to_ascii_lowercase();
            [
                "/microsoft.storage/",
                "/microsoft.keyvault/",
                "/microsoft.containerregistry/",
                "/microsoft.insights/",
            ]
            .iter()
            .any(|t| p.contains(t))
        })
        .collect()
}

/// Private endpoints the controller PUT, other than the workspace's own `mlw-prod-pe`.
fn other_private_endpoints(env: &Env) -> Vec<String> {
    mine(env)
        .into_iter()
        .filter(|r| r.method == "PUT")
        .filter(|r| r.path.to_ascii_lowercase().contains("/privateendpoints/"))
        .filter(|r| {
            !r.path
                .to_ascii_lowercase()
                .contains("/privateendpoints/mlw-prod-pe")
        })
        .map(|r| r.path)
        .collect()
}

/// Observe in a managed network: the storage account's, key vault's and registry's
/// private-path legs are Azure's required outbound rules, named while Inactive (no "Approved
/// private endpoint" asked for), holding once a person provisions the network; their public
/// access is still reported; nothing is written to them and no private endpoint is made for
/// them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn observe_reports_the_required_outbound_rules_as_the_legs() -> anyhow::Result<()> {
    let env = Env::start("mnobserve", options(managed_sandbox()?)?).await?;
    let rules = required_rules(&env);
    assert_eq!(
        rules.len(),
        5,
        "storage blob+file, vault, registry, workspace: {rules:?}"
    );
    env.apply(workspace("Observe")?).await?;
    env.wait_ready("Workspace", "housing", MINUTE).await?;

    let (status, message) = isolated(&env).await?;
    assert_eq!(status, "False", "{message}");
    for (resource, label) in [
        (storage(), "storage account stmlwprod"),
        (vault(), "key vault kv-mlw-prod"),
        (registry(), "container registry crmlwprod"),
    ] {
        let legs: Vec<String> = rules
            .iter()
            .filter(|(_, dest, _)| dest.eq_ignore_ascii_case(&resource))
            .map(|(name, _, sub)| format!("managed network outbound rule {name} ({sub}) Inactive"))
            .collect();
        assert!(!legs.is_empty(), "{resource}: no required rule");
        let expected = format!(
            "{label}: public network access Enabled (network ACL default action Allow), {}",
            legs.join(", ")
        );
        assert!(message.contains(&expected), "{expected:?} not in {message}");
    }
    assert!(
        !message.contains("no Approved private endpoint"),
        "a managed network's resources need no user-VNet private endpoint: {message}"
    );
    // The spec names no managed network: the controller leaves it as it is.
    assert!(
        env.controller_requests("POST", "/provisionManagedNetwork")
            .is_empty()
    );

    // A person provisions the network (az ml workspace provision-network): the rules turn
    // Active and the private-path legs hold; public access is still reported.
    env.arm.admin().drift(Drift::ProvisionManagedNetwork {
        resource_id: WORKSPACE_ID.into(),
        include_spark: false,
    })?;
    let message = env
        .wait("the outbound rules hold", MINUTE, || async {
            let (_, m) = isolated(&env).await?;
            Ok((!m.contains("outbound rule")).then_some(m))
        })
        .await?;
    for label in [
        "storage account stmlwprod",
        "key vault kv-mlw-prod",
        "container registry crmlwprod",
    ] {
        let expected =
            format!("{label}: public network access Enabled (network ACL default action Allow)");
        assert!(message.contains(&expected), "{expected:?} not in {message}");
    }
    assert!(
        !message.contains("no Approved private endpoint"),
        "{message}"
    );

    // A person closes public access: every leg holds.
    for id in [storage(), vault(), registry(), appi()] {
        env.arm.admin().set_public_network_access(&id, false)?;
    }
    env.wait("NetworkIsolated=True", MINUTE, || async {
        let (s, m) = isolated(&env).await?;
        Ok((s == "True").then_some(m))
    })
    .await?;
    assert_eq!(associated_writes(&env).len(), 0, "observe only");
    assert_eq!(other_private_endpoints(&env), Vec::<String>::new());
    env.finish().await
}

/// Enforce in a managed network that is not provisioned yet: while Azure's outbound rules are
/// Inactive the resources' public access stays as it is (make before break) and the legs name
/// the rules; no user-VNet private endpoint, zone or link is made for them. Once a person
/// provisions the network the controller turns each one's public access off — after the network
/// turned Active in the journal — and never sends Enabled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enforce_waits_for_the_outbound_rules_then_closes_public_access() -> anyhow::Result<()> {
    let env = Env::start("mnenforce", options(managed_sandbox()?)?).await?;
    env.apply(workspace("Enforce")?).await?;
    env.wait("the legs name the Inactive rules", MINUTE, || async {
        let (_, m) = isolated(&env).await?;
        Ok(
            m.contains("managed network outbound rule __SYS_PE_stmlwprod_blob_")
                .then_some(m),
        )
    })
    .await?;
    // Several syncs with the rules Inactive: nothing is written to the resources.
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(
        associated_writes(&env)
            .iter()
            .map(|r| r.path.clone())
            .collect::<Vec<_>>(),
        Vec::<String>::new(),
        "public access closed before the outbound rules were Active"
    );
    for id in [storage(), vault(), registry()] {
        let body = env.azure(&id).expect("resource");
        assert_eq!(body["properties"]["publicNetworkAccess"], "Enabled", "{id}");
    }
    let (status, message) = isolated(&env).await?;
    assert_eq!(status, "False", "{message}");
    assert!(message.contains("(vault) Inactive"), "{message}");
    assert!(message.contains("(registry) Inactive"), "{message}");

    let provisioned_at = env.arm.admin().journal_len();
    env.arm.admin().drift(Drift::ProvisionManagedNetwork {
        resource_id: WORKSPACE_ID.into(),
        include_spark: false,
    })?;
    // Public access of each is turned off; only Application Insights (observed) remains.
    let message = env
        .wait("storage, key vault, registry closed", MINUTE, || async {
            let (_, m) = isolated(&env).await?;
            Ok((!m.contains("storage account")
                && !m.contains("key vault")
                && !m.contains("container registry"))
            .then_some(m))
        })
        .await?;
    assert!(
        message.contains("Application Insights appi-mlw-prod"),
        "{message}"
    );
    let journal = env.arm.admin().journal();
    for id in [storage(), vault(), registry()] {
        let body = env.azure(&id).expect("resource");
        assert_eq!(
            body["properties"]["publicNetworkAccess"], "Disabled",
            "{id}"
        );
        let closed = journal
            .iter()
            .position(|e| {
                matches!(e, JournalEntry::StateChange(c)
                    if c.resource_id.eq_ignore_ascii_case(&id)
                        && c.public_network_access.as_deref() == Some("Disabled"))
            })
            .expect("closed");
        assert!(
            closed >= provisioned_at,
            "{id}: closed at {closed}, before the network was provisioned at {provisioned_at}"
        );
    }
    let writes = associated_writes(&env);
    assert_eq!(writes.len(), 3, "one PATCH each: {writes:?}");
    for w in &writes {
        assert_eq!(w.method, "PATCH", "{}", w.path);
        assert_eq!(
            w.body,
            Some(json!({"properties": {"publicNetworkAccess": "Disabled"}})),
            "{}",
            w.path
        );
    }
    // Azure's outbound rules are the private path: no user-VNet private endpoint, no zones of
    // theirs.
    assert_eq!(other_private_endpoints(&env), Vec::<String>::new());
    for zone in [
        "privatelink.blob.core.windows.net",
        "privatelink.file.core.windows.net",
        "privatelink.vaultcore.azure.net",
        "privatelink.azurecr.io",
    ] {
        assert!(
            env.controller_requests("PUT", &format!("/privateDnsZones/{zone}"))
                .is_empty(),
            "{zone}"
        );
    }
    assert_eq!(never_public_violations(&journal), Vec::<String>::new());

    // Application Insights made private by a person: every leg holds.
    env.arm.admin().set_public_network_access(&appi(), false)?;
    env.wait("NetworkIsolated=True", MINUTE, || async {
        let (s, m) = isolated(&env).await?;
        Ok((s == "True").then_some(m))
    })
    .await?;
    env.finish().await
}

/// The whole path from a workspace without a managed network: the spec asks for
/// AllowOnlyApprovedOutbound and Enforce; the controller switches the mode, provisions the
/// network, and once Azure's outbound rules are Active closes the resources' public access —
/// with no user-VNet private endpoint for them, and never Enabled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enforce_with_the_managed_network_the_controller_provisions() -> anyhow::Result<()> {
    let env = Env::start("mnenforce2", options(Seed::sandbox()?)?).await?;
    let mut doc = workspace("Enforce")?;
    doc["spec"]["network"]["managedNetwork"] =
        json!({"isolationMode": "AllowOnlyApprovedOutbound"});
    env.apply(doc).await?;
    env.wait(
        "storage, key vault, registry closed",
        2 * MINUTE,
        || async {
            let (_, m) = isolated(&env).await?;
            Ok((m.contains("Application Insights")
                && !m.contains("storage account")
                && !m.contains("key vault")
                && !m.contains("container registry"))
            .then_some(m))
        },
    )
    .await?;
    assert_eq!(
        env.controller_requests("POST", "/provisionManagedNetwork")
            .len(),
        1
    );
    let ws = env.azure(WORKSPACE_ID).expect("workspace");
    assert_eq!(
        ws.pointer("/properties/managedNetwork/status/status"),
        Some(&json!("Active"))
    );
    let rules = required_rules(&env);
    for (resource, sub) in [
        (storage(), "blob"),
        (storage(), "file"),
        (vault(), "vault"),
        (registry(), "registry"),
    ] {
        assert!(
            rules
                .iter()
                .any(|(_, d, s)| d.eq_ignore_ascii_case(&resource) && s == sub),
            "{resource} {sub}: {rules:?}"
        );
    }
    // The network turned Active (its provisioning finished) before any public access closed.
    let journal = env.arm.admin().journal();
    let active = journal
        .iter()
        .position(|e| {
            matches!(e, JournalEntry::StateChange(c)
                if c.resource_id.eq_ignore_ascii_case(WORKSPACE_ID)
                    && c.isolation.get("managedNetworkStatus") == Some(&json!("Active")))
        })
        .expect("the network turned Active");
    for id in [storage(), vault(), registry()] {
        let closed = journal
            .iter()
            .position(|e| {
                matches!(e, JournalEntry::StateChange(c)
                    if c.resource_id.eq_ignore_ascii_case(&id)
                        && c.public_network_access.as_deref() == Some("Disabled"))
            })
            .expect("closed");
        assert!(
            active < closed,
            "{id}: closed at {closed}, network Active at {active}"
        );
    }
    assert_eq!(other_private_endpoints(&env), Vec::<String>::new());
    assert!(
        associated_writes(&env)
            .iter()
            .all(|w| w.body == Some(json!({"properties": {"publicNetworkAccess": "Disabled"}}))),
        "only Disabled is ever sent"
    );
    assert_eq!(never_public_violations(&journal), Vec::<String>::new());
    env.finish().await
}
