//! What the planner reads of a workspace's associated resources, checked on Microsoft's own
//! REST examples (`testdata/azure-api/examples/**` at the repository root, MIT-licensed by
//! Microsoft; see `testdata/azure-api/NOTICE`): the legs of `NetworkIsolated` come out of the
//! real shapes of a storage account, key vault, container registry and Application Insights
//! component, and the PATCH the controller sends to close a resource is the field Microsoft's
//! update example sets. The ARM emulator's answers are held to the same files by
//! `crates/arm-emulator/tests/fidelity.rs`.

use std::path::{Path, PathBuf};

use planner::network::associated::{AssociatedKind, associated_problems};
use planner::network::bodies::public_access_off_patch;
use planner::observe::Observation;
use serde_json::Value;

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/azure-api/examples")
}

fn example(file: &str) -> Value {
    let path = examples_dir().join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn response(file: &str) -> Value {
    example(file)["responses"]["200"]["body"].clone()
}

fn problems(kind: AssociatedKind, file: &str) -> Vec<String> {
    associated_problems(kind, &Observation::Found(response(file)), None)
}

#[test]
fn a_storage_account_without_public_network_access_is_public_by_its_acls() {
    // StorageAccountGetProperties.json carries no publicNetworkAccess: its network ACLs
    // (default action Allow) decide, so it is public.
    assert_eq!(
        problems(
            AssociatedKind::StorageAccount,
            "storage/2026-09-01/StorageAccountGetProperties.json"
        ),
        [
            "public network access Enabled (network ACL default action Allow)",
            "no Approved private endpoint"
        ]
    );
}

#[test]
fn a_storage_account_with_public_access_disabled_still_needs_its_private_path() {
    assert_eq!(
        problems(
            AssociatedKind::StorageAccount,
            "storage/2026-09-01/StorageAccountUpdateDisablePublicNetworkAccess.json"
        ),
        ["no Approved private endpoint"]
    );
}

#[test]
fn a_key_vault_with_an_approved_connection_is_still_public_while_access_is_enabled() {
    // updateVault.json: publicNetworkAccess Enabled, network ACLs Deny, one Approved
    // connection (with Key Vault's `actionsRequired` spelling).
    assert_eq!(
        problems(
            AssociatedKind::KeyVault,
            "keyvault/2026-04-01/updateVault.json"
        ),
        ["public network access Enabled (network ACL default action Deny)"]
    );
    assert_eq!(
        problems(
            AssociatedKind::KeyVault,
            "keyvault/2026-04-01/getVault.json"
        ),
        [
            "public network access Enabled (network ACL default action Allow)",
            "no Approved private endpoint"
        ]
    );
}

#[test]
fn a_standard_registry_is_reported_for_its_sku() {
    let found = problems(
        AssociatedKind::ContainerRegistry,
        "containerregistry/2025-11-01/RegistryGet.json",
    );
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(
        found[0],
        "public network access Enabled (network ACL default action Allow)"
    );
    assert!(
        found[1].starts_with("SKU Standard: a private endpoint needs the Premium SKU"),
        "{found:?}"
    );
}

#[test]
fn application_insights_reports_ingestion_and_query() {
    let found = problems(
        AssociatedKind::ApplicationInsights,
        "applicationinsights/2020-02-02/ComponentsGet.json",
    );
    assert!(
        found.contains(&"public network access for ingestion Enabled".to_owned())
            && found.contains(&"public network access for query Enabled".to_owned()),
        "{found:?}"
    );
}

#[test]
fn connections_in_storage_spelling_are_read() {
    // Storage spells the state's field `actionRequired`; only `status` is read.
    let list = response("storage/2026-09-01/StorageAccountListPrivateEndpointConnections.json");
    let account = serde_json::json!({
        "properties": {"publicNetworkAccess": "Disabled", "privateEndpointConnections": list["value"]}
    });
    assert!(
        associated_problems(
            AssociatedKind::StorageAccount,
            &Observation::Found(account),
            None
        )
        .is_empty()
    );
}

#[test]
fn the_closing_patch_sets_the_field_microsofts_update_example_sets() {
    let request = example("storage/2026-09-01/StorageAccountUpdateDisablePublicNetworkAccess.json")
        ["parameters"]["parameters"]
        .clone();
    let ours = public_access_off_patch();
    assert_eq!(
        ours.pointer("/properties/publicNetworkAccess"),
        request.pointer("/properties/publicNetworkAccess")
    );
    assert_eq!(
        ours.pointer("/properties/publicNetworkAccess"),
        Some(&"Disabled".into())
    );
    // Key Vault and Container Registry take the same property in their update bodies
    // (updateVault.json sets it; RegistryUpdate.json's response shows it).
    let vault = example("keyvault/2026-04-01/updateVault.json")["parameters"]["parameters"].clone();
    assert!(vault.pointer("/properties/publicNetworkAccess").is_some());
    let registry = response("containerregistry/2025-11-01/RegistryUpdate.json");
    assert!(
        registry
            .pointer("/properties/publicNetworkAccess")
            .is_some()
    );
}
