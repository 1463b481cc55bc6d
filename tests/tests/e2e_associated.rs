//! End-to-end: a Workspace that observes or enforces its associated resources
//! (`spec.network.associatedResources`), the real `aml-operator` binary against both emulators.
//! The sandbox seed creates the workspace's storage account, key vault, Premium registry and
//! Application Insights public, as a fresh workspace's are.

use std::time::Duration;

use aml_operator_tests::e2e::{
    CONTROLLER_CLIENT, Env, EnvOptions, arm_config, repo_root, with_platform_private_endpoint,
};
use api::Workspace;
use arm_emulator::{JournalEntry, PrivateEndpointSeed, Seed};
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
    // The registry behind the VNet builds images on this compute (set on the workspace).
    doc["spec"]["network"]["associatedResources"] =
        json!({"mode": "Observe", "imageBuildCompute": "cpu-build"});
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
    // The image build compute the spec names was set on the workspace, alone in its PATCH.
    let sent: Vec<Value> = env
        .controller_requests("PATCH", "/workspaces/mlw-prod")
        .into_iter()
        .filter_map(|r| r.body)
        .filter(|b| b.pointer("/properties/imageBuildCompute").is_some())
        .collect();
    assert_eq!(
        sent,
        [json!({"properties": {"imageBuildCompute": "cpu-build"}})]
    );
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

// ---- mode: Enforce -------------------------------------------------------------------------

const PES: &str = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-net/providers/Microsoft.Network/privateEndpoints";
const ZONES: &str = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-dns/providers/Microsoft.Network/privateDnsZones";

/// The seed example's Workspace, enforcing its associated resources.
fn enforcing_workspace() -> anyhow::Result<Value> {
    let mut doc = observing_workspace()?;
    doc["spec"]["network"]["associatedResources"] =
        json!({"mode": "Enforce", "imageBuildCompute": "cpu-build"});
    Ok(doc)
}

/// What Enforce makes for the sandbox: (resource, private endpoint names, zones).
fn enforced() -> Vec<(String, Vec<&'static str>, Vec<&'static str>)> {
    vec![
        (
            storage(),
            vec!["stmlwprod-blob-pe", "stmlwprod-file-pe"],
            vec![
                "privatelink.blob.core.windows.net",
                "privatelink.file.core.windows.net",
            ],
        ),
        (
            vault(),
            vec!["kv-mlw-prod-vault-pe"],
            vec!["privatelink.vaultcore.azure.net"],
        ),
        (
            registry(),
            vec!["crmlwprod-registry-pe"],
            vec!["privatelink.azurecr.io"],
        ),
    ]
}

fn pe(name: &str) -> String {
    format!("{PES}/{name}")
}

/// Make before break, from the ARM journal: the state change that turned `resource`'s public
/// network access off comes after the change where Azure reported each of `pes`' connections
/// to it Approved, and after each private endpoint's DNS zone group finished with A records
/// (its zone group PUT answered 2xx before that). Returns the journal index of the closing.
fn closed_after_private_path(
    journal: &[JournalEntry],
    resource: &str,
    pes: &[&str],
) -> anyhow::Result<usize> {
    let closed = journal
        .iter()
        .position(|e| {
            matches!(e, JournalEntry::StateChange(c)
                if c.resource_id.eq_ignore_ascii_case(resource)
                    && c.public_network_access.as_deref() == Some("Disabled"))
        })
        .ok_or_else(|| anyhow::anyhow!("{resource}: public access never turned off"))?;
    for name in pes {
        let pe_id = pe(name);
        let group = format!("{pe_id}/privateDnsZoneGroups/default");
        let approved = journal.iter().position(|e| {
            matches!(e, JournalEntry::StateChange(c)
                if c.resource_id.eq_ignore_ascii_case(resource)
                    && c.isolation
                        .get("privateEndpointConnections")
                        .and_then(Value::as_array)
                        .is_some_and(|cs| cs.iter().any(|x| {
                            x["privateEndpoint"].as_str().is_some_and(|p| p.eq_ignore_ascii_case(&pe_id))
                                && x["status"] == "Approved"
                        })))
        });
        let group_put = journal.iter().position(|e| {
            matches!(e, JournalEntry::Request(r)
                if r.method == "PUT" && r.path.eq_ignore_ascii_case(&group) && r.status < 300)
        });
        let records = journal.iter().position(|e| {
            matches!(e, JournalEntry::StateChange(c)
                if c.resource_id.eq_ignore_ascii_case(&group)
                    && c.isolation.get("recordCount").and_then(Value::as_u64).is_some_and(|n| n > 0))
        });
        anyhow::ensure!(
            approved.is_some_and(|a| a < closed),
            "{resource}: connection of {name} Approved at {approved:?}, public access off at {closed}"
        );
        anyhow::ensure!(
            group_put.is_some_and(|g| g < closed) && records.is_some_and(|r| r < closed),
            "{resource}: zone group of {name} PUT at {group_put:?}, records at {records:?}, public access off at {closed}"
        );
    }
    Ok(closed)
}

/// The hub's Azure Monitor Private Link Scope in the sandbox seed.
const AMPLS: &str = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-net/providers/Microsoft.Insights/privateLinkScopes/ampls-hub";

/// The seed example exactly as shipped (the whole secure workspace).
fn shipped_workspace() -> anyhow::Result<Value> {
    let text = std::fs::read_to_string(repo_root().join("examples/seed/workspace.yaml"))?;
    Ok(serde_saphyr::from_str(&text)?)
}

/// Make before break for Application Insights, from the ARM journal: the state change that
/// turned the component's public ingestion and query off comes after the scoped resource
/// linking it was created (Succeeded) in the hub's scope, whose private endpoint connection
/// was Approved from the start (seeded). Returns (link index, closing index).
fn appi_closed_after_link(
    journal: &[JournalEntry],
    scoped: &str,
) -> anyhow::Result<(usize, usize)> {
    let linked = journal
        .iter()
        .position(|e| {
            matches!(e, JournalEntry::StateChange(c)
                if c.resource_id.eq_ignore_ascii_case(scoped)
                    && c.change == "created"
                    && c.provisioning_state.as_deref() == Some("Succeeded"))
        })
        .ok_or_else(|| anyhow::anyhow!("{scoped} never created"))?;
    let closed = journal
        .iter()
        .position(|e| {
            matches!(e, JournalEntry::StateChange(c)
                if c.resource_id.eq_ignore_ascii_case(&appi())
                    && c.isolation.get("publicNetworkAccessForIngestion") == Some(&json!("Disabled"))
                    && c.isolation.get("publicNetworkAccessForQuery") == Some(&json!("Disabled")))
        })
        .ok_or_else(|| anyhow::anyhow!("Application Insights never closed"))?;
    anyhow::ensure!(
        linked < closed,
        "Application Insights closed at {closed}, linked at {linked}"
    );
    Ok((linked, closed))
}

/// The seed example exactly as shipped, from the sandbox's fully public associated resources
/// (Seed::sandbox()): private endpoints in the hub subnet for storage (blob, file), key vault
/// and registry, their zones in rg-dns with VNet links and zone groups; each resource's public
/// access turned off only after its connections were Approved and its zone groups held records
/// (proved from the journal); Application Insights linked to the hub's Azure Monitor Private
/// Link Scope and closed only after that link existed (journal); NetworkIsolated=True; the
/// controller never asks for Enabled. Deleting the Workspace removes exactly what it created —
/// the scoped resource included, the hub's scope and its private endpoint not — and leaves the
/// resources (and their public access) as they are.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_example_makes_the_whole_workspace_private_and_deletes_only_what_it_made()
-> anyhow::Result<()> {
    let env = Env::start("assocenforce", options(Seed::sandbox()?)?).await?;
    let ai = env.azure(&appi()).expect("component");
    assert_eq!(
        ai.pointer("/properties/publicNetworkAccessForIngestion"),
        Some(&json!("Enabled")),
        "the sandbox starts public"
    );
    env.apply(shipped_workspace()?).await?;
    env.wait("NetworkIsolated=True", 3 * MINUTE, || async {
        let (status, _, message) = isolated(&env).await?;
        Ok((status == "True").then_some(message))
    })
    .await?;
    env.wait_ready("Workspace", "housing", 2 * MINUTE).await?;

    for (resource, pes, zones) in enforced() {
        for name in &pes {
            let body = env.azure(&pe(name)).expect("private endpoint");
            assert_eq!(
                body.pointer(
                    "/properties/privateLinkServiceConnections/0/properties/privateLinkServiceId"
                )
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase),
                Some(resource.to_ascii_lowercase()),
                "{name}"
            );
            assert_eq!(
                body.pointer("/properties/subnet/id")
                    .and_then(Value::as_str),
                Some(SUBNET),
                "{name}"
            );
            assert!(
                env.azure(&format!("{}/privateDnsZoneGroups/default", pe(name)))
                    .is_some(),
                "{name}: zone group"
            );
        }
        for zone in &zones {
            assert!(env.azure(&format!("{ZONES}/{zone}")).is_some(), "{zone}");
            assert!(
                env.azure(&format!("{ZONES}/{zone}/virtualNetworkLinks/vnet-hub-link"))
                    .is_some(),
                "{zone}: VNet link"
            );
        }
        let body = env.azure(&resource).expect("resource");
        assert_eq!(
            body.pointer("/properties/publicNetworkAccess"),
            Some(&json!("Disabled")),
            "{resource}"
        );
        let closed = closed_after_private_path(&env.arm.journal(), &resource, &pes)?;
        println!("{resource}: public access off at journal entry {closed}");
    }
    let (status, _, message) = isolated(&env).await?;
    assert_eq!(status, "True", "{message}");
    let scoped = env
        .controller_requests("PUT", "")
        .into_iter()
        .map(|r| r.path)
        .find(|p| p.to_ascii_lowercase().contains("/scopedresources/"))
        .ok_or_else(|| anyhow::anyhow!("no scoped resource PUT"))?;
    assert!(
        scoped.to_ascii_lowercase().starts_with(&format!(
            "{}/scopedresources/aml-appi-mlw-prod-",
            AMPLS.to_ascii_lowercase()
        )),
        "{scoped}"
    );
    let body = env.azure(&scoped).expect("scoped resource");
    assert_eq!(
        body.pointer("/properties/linkedResourceId")
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase),
        Some(appi().to_ascii_lowercase())
    );
    let ai = env.azure(&appi()).expect("component");
    for flag in [
        "publicNetworkAccessForIngestion",
        "publicNetworkAccessForQuery",
    ] {
        assert_eq!(
            ai.pointer(&format!("/properties/{flag}")),
            Some(&json!("Disabled")),
            "{flag}"
        );
    }
    let (linked, closed) = appi_closed_after_link(&env.arm.journal(), &scoped)?;
    println!("Application Insights: linked at journal entry {linked}, closed at {closed}");
    let mine: Vec<_> = env
        .requests()
        .into_iter()
        .filter(|r| r.principal.as_deref() == Some(CONTROLLER_CLIENT))
        .collect();
    assert!(
        mine.iter().all(|r| r
            .body
            .as_ref()
            .and_then(|b| b.pointer("/properties/publicNetworkAccess"))
            .is_none_or(|v| v == "Disabled")),
        "the controller never asks for public access"
    );
    assert_eq!(
        calls_to(&env, "/providers/Microsoft.Insights/").1,
        2,
        "Application Insights: one scoped resource PUT and one component PUT"
    );
    let appi_puts = env.controller_requests("PUT", &appi());
    assert_eq!(appi_puts.len(), 1);
    assert!(
        !appi_puts[0]
            .body
            .as_ref()
            .is_some_and(|b| b.to_string().contains("\"Enabled\"")),
        "never Enabled: {:?}",
        appi_puts[0].body
    );
    for (resource, _, _) in enforced() {
        let patches = env.controller_requests("PATCH", &resource);
        assert_eq!(patches.len(), 1, "{resource}: one PATCH");
    }

    // Deletion: what it created goes, in order; the resources and the workspace stay.
    env.delete::<Workspace>("housing").await?;
    env.wait_gone("Workspace", "housing", 2 * MINUTE).await?;
    for (resource, pes, zones) in enforced() {
        for name in &pes {
            assert!(env.azure(&pe(name)).is_none(), "{name} deleted");
        }
        for zone in &zones {
            assert!(
                env.azure(&format!("{ZONES}/{zone}")).is_none(),
                "{zone} deleted"
            );
        }
        let body = env.azure(&resource).expect("the resource stays");
        assert_eq!(
            body.pointer("/properties/publicNetworkAccess"),
            Some(&json!("Disabled")),
            "{resource}: never re-opened"
        );
    }
    assert!(
        env.azure(&scoped).is_none(),
        "our scoped resource is deleted"
    );
    let hub = env.azure(AMPLS).expect("the hub's scope stays");
    assert_eq!(
        hub.pointer("/properties/privateEndpointConnections/0/properties/privateLinkServiceConnectionState/status"),
        Some(&json!("Approved")),
        "its private endpoint stays"
    );
    let ai = env.azure(&appi()).expect("the component stays");
    assert_eq!(
        ai.pointer("/properties/publicNetworkAccessForQuery"),
        Some(&json!("Disabled")),
        "never re-opened"
    );
    let created: Vec<String> = env
        .controller_requests("PUT", "")
        .into_iter()
        .map(|r| r.path.to_ascii_lowercase())
        .collect();
    let deletes: Vec<String> = env
        .controller_requests("DELETE", "")
        .into_iter()
        .map(|r| r.path)
        .collect();
    assert!(
        deletes
            .iter()
            .all(|d| created.contains(&d.to_ascii_lowercase())),
        "only what the controller created is deleted: {deletes:?}"
    );
    assert!(
        env.azure(&pe(aml_operator_tests::e2e::PLATFORM_PE))
            .is_some(),
        "the platform team's private endpoint is not ours and stays"
    );
    env.finish().await
}

/// Enforce with a Basic registry: no private endpoint to it and no write to it (its SKU and its
/// public access stay), the Workspace is Stalled naming the SKU and the way out, and storage and
/// key vault are still made private.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enforce_leaves_a_basic_registry_alone_and_names_it() -> anyhow::Result<()> {
    let mut seed = Seed::sandbox()?;
    for ws in seed
        .subscriptions
        .iter_mut()
        .flat_map(|s| s.resource_groups.iter_mut())
        .flat_map(|g| g.workspaces.iter_mut())
    {
        ws.container_registry_sku = "Basic".into();
    }
    let env = Env::start("assocenforcebasic", options(seed)?).await?;
    env.apply(enforcing_workspace()?).await?;
    env.wait("storage and key vault private", 2 * MINUTE, || async {
        let done = [storage(), vault()].iter().all(|id| {
            env.azure(id)
                .and_then(|b| b.pointer("/properties/publicNetworkAccess").cloned())
                == Some(json!("Disabled"))
        });
        Ok(done.then_some(()))
    })
    .await?;
    let stalled = env
        .wait("Stalled", MINUTE, || async {
            Ok(env
                .condition("Workspace", "housing", "Stalled")
                .await?
                .filter(|s| s.0 == "True"))
        })
        .await?;
    assert!(
        stalled
            .2
            .contains("container registry crmlwprod is SKU Basic")
            && stalled.2.contains("--sku Premium"),
        "{}",
        stalled.2
    );
    let (_, _, message) = isolated(&env).await?;
    assert!(
        message.contains("container registry crmlwprod: SKU Basic"),
        "{message}"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        calls_to(&env, "/providers/Microsoft.ContainerRegistry/").1,
        0,
        "nothing written to the registry"
    );
    assert!(env.azure(&pe("crmlwprod-registry-pe")).is_none());
    let registry = env.azure(&registry()).expect("registry");
    assert_eq!(registry["sku"]["name"], "Basic");
    assert_eq!(registry["properties"]["publicNetworkAccess"], "Enabled");
    env.finish().await
}

/// Waits for an Event not in `before` whose note names `name`, then for NetworkIsolated=True;
/// returns the Event as (reason, note).
async fn repaired(
    env: &Env,
    what: &str,
    name: &str,
    before: &[(String, String)],
) -> anyhow::Result<(String, String)> {
    let event = env
        .wait(
            &format!("an Event naming {name} ({what})"),
            2 * MINUTE,
            || async {
                Ok(env
                    .events("housing")
                    .await?
                    .into_iter()
                    .find(|e| !before.contains(e) && e.1.contains(name)))
            },
        )
        .await?;
    env.wait(
        &format!("NetworkIsolated=True after {what}"),
        2 * MINUTE,
        || async {
            let (status, _, message) = isolated(env).await?;
            Ok((status == "True").then_some(message))
        },
    )
    .await?;
    println!("{what}: {event:?}");
    Ok(event)
}

/// Each leg of an enforced secure workspace broken by a person is repaired with an Event:
/// from NetworkIsolated=True (Application Insights made private by its owner), the storage
/// account's public access turned back on (turned off again, DriftCorrected naming it), the key
/// vault's private endpoint deleted (recreated, approved, with its zone group), the key vault
/// zone's VNet link removed (recreated); NetworkIsolated returns True after each, and nothing
/// the controller sent ever asked for public access Enabled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enforce_repairs_each_leg_a_person_breaks() -> anyhow::Result<()> {
    let env = Env::start("assocrepair", options(Seed::sandbox()?)?).await?;
    env.arm.admin().set_public_network_access(&appi(), false)?;
    env.apply(enforcing_workspace()?).await?;
    env.wait("NetworkIsolated=True", 3 * MINUTE, || async {
        let (status, _, message) = isolated(&env).await?;
        Ok((status == "True").then_some(message))
    })
    .await?;

    // 1. Storage public access flipped on.
    let before = env.events("housing").await?;
    env.arm
        .admin()
        .set_public_network_access(&storage(), true)?;
    let (reason, note) = repaired(&env, "storage public access on", "stmlwprod", &before).await?;
    assert_eq!(reason, "DriftCorrected", "{note}");
    assert!(note.contains("public network access"), "{note}");
    assert_eq!(
        env.azure(&storage())
            .and_then(|b| b.pointer("/properties/publicNetworkAccess").cloned()),
        Some(json!("Disabled"))
    );

    // 2. The key vault's private endpoint deleted.
    let kv_pe = pe("kv-mlw-prod-vault-pe");
    let before = env.events("housing").await?;
    env.arm.admin().delete_private_endpoint(&kv_pe)?;
    let (reason, note) = repaired(
        &env,
        "key vault private endpoint deleted",
        "kv-mlw-prod-vault-pe",
        &before,
    )
    .await?;
    assert_eq!(reason, "DriftCorrected", "{note}");
    assert!(
        note.contains("create private endpoint kv-mlw-prod-vault-pe"),
        "{note}"
    );
    assert!(env.azure(&kv_pe).is_some(), "recreated");
    assert!(
        env.azure(&format!("{kv_pe}/privateDnsZoneGroups/default"))
            .is_some(),
        "its zone group too"
    );

    // 3. The key vault zone's VNet link removed.
    let link = format!("{ZONES}/privatelink.vaultcore.azure.net/virtualNetworkLinks/vnet-hub-link");
    let before = env.events("housing").await?;
    env.arm.admin().remove_virtual_network_link(&link)?;
    let (reason, note) = repaired(
        &env,
        "VNet link removed",
        "privatelink.vaultcore.azure.net",
        &before,
    )
    .await?;
    assert_eq!(reason, "DriftCorrected", "{note}");
    assert!(note.contains("to VNet vnet-hub"), "{note}");
    assert!(env.azure(&link).is_some(), "link recreated");

    // Never Enabled: every publicNetworkAccess the controller sent was Disabled, and the
    // resources were never re-opened by it (only the person's drift turned storage on).
    let mine: Vec<_> = env
        .requests()
        .into_iter()
        .filter(|r| r.principal.as_deref() == Some(CONTROLLER_CLIENT))
        .collect();
    assert!(
        mine.iter().all(|r| r
            .body
            .as_ref()
            .and_then(|b| b.pointer("/properties/publicNetworkAccess"))
            .is_none_or(|v| v == "Disabled")),
        "the controller never asks for public access"
    );
    for (resource, _, _) in enforced() {
        assert_eq!(
            env.azure(&resource)
                .and_then(|b| b.pointer("/properties/publicNetworkAccess").cloned()),
            Some(json!("Disabled")),
            "{resource}"
        );
    }
    env.finish().await
}
