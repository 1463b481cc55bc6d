//! A workspace's managed network: the private endpoint outbound rules Azure requires to the
//! workspace and its storage account, key vault and container registry, and how their status
//! follows the network's provisioning (Microsoft Learn, "Workspace Managed Virtual Network
//! Isolation", *List of required rules* and *Manually provision a managed VNet*; `workspaceRP.json`
//! 2025-12-01 `OutboundRule`/`PrivateEndpointDestination`; the rule names follow what real
//! workspaces show, see `src/world/managed_network.rs`).
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use arm_emulator::{Drift, EmulatorConfig, OperationKind};
use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn storage() -> String {
    format!(
        "/subscriptions/{SUB}/resourceGroups/rg-ml/providers/Microsoft.Storage/storageAccounts/stmlwprod"
    )
}
fn vault() -> String {
    format!(
        "/subscriptions/{SUB}/resourceGroups/rg-ml/providers/Microsoft.KeyVault/vaults/kv-mlw-prod"
    )
}
fn registry() -> String {
    format!(
        "/subscriptions/{SUB}/resourceGroups/rg-ml/providers/Microsoft.ContainerRegistry/registries/crmlwprod"
    )
}

/// The workspace's outbound rules that are Azure's (category Required): (destination, subresource,
/// status), sorted.
fn required(ws: &Value) -> Vec<(String, String, String)> {
    let mut rules: Vec<(String, String, String)> = ws
        .pointer("/properties/managedNetwork/outboundRules")
        .and_then(Value::as_object)
        .map(|rules| {
            rules
                .iter()
                .filter(|(_, r)| r["category"] == "Required")
                .map(|(name, r)| {
                    assert!(name.starts_with("__SYS_PE_"), "{name}");
                    assert_eq!(r["type"], "PrivateEndpoint", "{name}");
                    (
                        r["destination"]["serviceResourceId"]
                            .as_str()
                            .unwrap()
                            .to_owned(),
                        r["destination"]["subresourceTarget"]
                            .as_str()
                            .unwrap()
                            .to_owned(),
                        r["status"].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    rules.sort();
    rules
}

fn all(status: &str) -> Vec<(String, String, String)> {
    let mut v = vec![
        (storage(), "blob".to_owned(), status.to_owned()),
        (storage(), "file".to_owned(), status.to_owned()),
        (vault(), "vault".to_owned(), status.to_owned()),
        (registry(), "registry".to_owned(), status.to_owned()),
        (ws_id(), "amlworkspace".to_owned(), status.to_owned()),
    ];
    v.sort();
    v
}

async fn patch_mode(h: &Harness, mode: &str) {
    let r = h
        .patch(
            &ws_id(),
            ML,
            &json!({"properties": {"managedNetwork": {"isolationMode": mode}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
    h.finish(&r).await;
}

/// Allow only approved outbound: Azure adds private endpoint rules to the storage account (blob
/// and file), the key vault, the registry and the workspace itself, "regardless of public network
/// access mode" — Inactive until the network is provisioned; `provisionManagedNetwork` shows them
/// Provisioning while it runs and Active once it ends, with the network.
#[tokio::test]
async fn approved_outbound_adds_the_required_rules_active_once_provisioned() {
    let config = EmulatorConfig::default().lro_duration(
        OperationKind::ManagedNetworkProvision,
        Duration::from_secs(1),
    );
    let h = Harness::with(config).await;
    let before = h.get(&ws_id(), ML).await.body;
    assert_eq!(required(&before), [], "no managed network, no rules");

    patch_mode(&h, "AllowOnlyApprovedOutbound").await;
    let ws = h.get(&ws_id(), ML).await.body;
    assert_eq!(required(&ws), all("Inactive"));
    assert_eq!(
        ws["properties"]["managedNetwork"]["status"]["status"],
        "Inactive"
    );
    // The rules of one resource share its suffix, and name the resource and subresource.
    let rules = ws["properties"]["managedNetwork"]["outboundRules"]
        .as_object()
        .unwrap();
    let names: Vec<&String> = rules.keys().collect();
    let suffix = |sub: &str| {
        names
            .iter()
            .find(|n| n.starts_with(&format!("__SYS_PE_stmlwprod_{sub}_")))
            .map(|n| n.rsplit('_').next().unwrap().to_owned())
            .unwrap()
    };
    assert_eq!(suffix("blob"), suffix("file"));
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("__SYS_PE_kv-mlw-prod_vault_"))
    );
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("__SYS_PE_crmlwprod_registry_"))
    );
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("__SYS_PE_mlw-prod_amlworkspace_"))
    );

    let r = h
        .post(
            &format!("{}/provisionManagedNetwork", ws_id()),
            ML,
            Some(&json!({})),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
    let running = h.get(&ws_id(), ML).await.body;
    assert_eq!(required(&running), all("Provisioning"));
    let done = h.finish(&r).await;
    assert_eq!(done.body["status"], "Active", "{:?}", done.body);
    let ws = h.get(&ws_id(), ML).await.body;
    assert_eq!(required(&ws), all("Active"));
    assert_eq!(
        ws["properties"]["managedNetwork"]["status"]["status"],
        "Active"
    );
}

/// Allow internet outbound: only the associated resources whose public access is disabled get a
/// required rule; the others (public) none.
#[tokio::test]
async fn internet_outbound_adds_rules_only_to_private_resources() {
    let h = Harness::start().await;
    h.emulator
        .admin()
        .set_public_network_access(&vault(), false)
        .unwrap();
    patch_mode(&h, "AllowInternetOutbound").await;
    let ws = h.get(&ws_id(), ML).await.body;
    assert_eq!(
        required(&ws),
        [(vault(), "vault".to_owned(), "Inactive".to_owned())]
    );
    // Approved outbound then: all of them.
    patch_mode(&h, "AllowOnlyApprovedOutbound").await;
    assert_eq!(required(&h.get(&ws_id(), ML).await.body), all("Inactive"));
}

/// A user's PATCH of `outboundRules` replaces the user-defined rules but cannot remove a required
/// one: it stays, with the status it had (required rules "are automatically added"; whether Azure
/// answers an error instead is not documented).
#[tokio::test]
async fn a_patch_cannot_remove_a_required_rule() {
    let h = Harness::start().await;
    patch_mode(&h, "AllowOnlyApprovedOutbound").await;
    let r = h
        .post(
            &format!("{}/provisionManagedNetwork", ws_id()),
            ML,
            Some(&json!({})),
        )
        .await;
    h.finish(&r).await;
    let r = h
        .patch(
            &ws_id(),
            ML,
            &json!({"properties": {"managedNetwork": {"outboundRules": {
                "pypi": {"type": "FQDN", "destination": "pypi.org"}
            }}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
    h.finish(&r).await;
    let ws = h.get(&ws_id(), ML).await.body;
    assert_eq!(required(&ws), all("Active"));
    let pypi = &ws["properties"]["managedNetwork"]["outboundRules"]["pypi"];
    assert_eq!(pypi["category"], "UserDefined");
    assert_eq!(pypi["status"], "Active", "added to a provisioned network");
}

/// The first deployment in a managed-network workspace provisions the network, rules included; a
/// seeded workspace already in a provisioned managed network has its rules Active; a person's
/// `provision-network` (admin drift) does the same as the POST.
#[tokio::test]
async fn other_ways_the_network_is_provisioned() {
    let h = Harness::start().await;
    patch_mode(&h, "AllowOnlyApprovedOutbound").await;
    h.endpoint("ep-mn", "Disabled", json!({})).await;
    h.deployment("ep-mn", "blue", 1).await;
    let ws = h.get(&ws_id(), ML).await.body;
    assert_eq!(
        ws["properties"]["managedNetwork"]["status"]["status"],
        "Active"
    );
    assert_eq!(required(&ws), all("Active"));

    let mut seed = arm_emulator::Seed::sandbox().unwrap();
    for ws in seed
        .subscriptions
        .iter_mut()
        .flat_map(|s| s.resource_groups.iter_mut())
        .flat_map(|g| g.workspaces.iter_mut())
    {
        ws.managed_network.isolation_mode = "AllowOnlyApprovedOutbound".into();
        ws.managed_network.status = "Active".into();
    }
    let seeded = Harness::with(EmulatorConfig::default().seed(seed.clone())).await;
    assert_eq!(
        required(&seeded.get(&ws_id(), ML).await.body),
        all("Active")
    );

    for ws in seed
        .subscriptions
        .iter_mut()
        .flat_map(|s| s.resource_groups.iter_mut())
        .flat_map(|g| g.workspaces.iter_mut())
    {
        ws.managed_network.status = "Inactive".into();
    }
    let person = Harness::with(EmulatorConfig::default().seed(seed)).await;
    assert_eq!(
        required(&person.get(&ws_id(), ML).await.body),
        all("Inactive")
    );
    person
        .emulator
        .admin()
        .drift(Drift::ProvisionManagedNetwork {
            resource_id: ws_id(),
            include_spark: true,
        })
        .unwrap();
    let ws = person.get(&ws_id(), ML).await.body;
    assert_eq!(required(&ws), all("Active"));
    assert_eq!(
        ws["properties"]["managedNetwork"]["status"]["sparkReady"],
        true
    );
    let rules = ws["properties"]["managedNetwork"]["outboundRules"]
        .as_object()
        .unwrap();
    for r in rules.values() {
        let spark = r["destination"]["sparkEnabled"] == true;
        assert_eq!(
            r["destination"]["sparkStatus"],
            if spark { "Active" } else { "Inactive" },
            "{r}"
        );
    }
}
