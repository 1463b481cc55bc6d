//! The workspace's associated resources (storage account, key vault, container registry,
//! Application Insights) as legs of the Workspace's `NetworkIsolated`, rule by rule: read only
//! when `spec.network.associatedResources` asks, reported by name, never written.

mod network_world;

use network_world::{APPI, Azure, Controller, Dns, REGISTRY, STORAGE, VAULT, WS, spec};
use planner::Observation;
use planner::network::associated::{AssociatedKind, associated_reads};
use serde_json::{Value, json};

fn observing() -> api::WorkspaceSpec {
    let mut s = spec(Dns::Create, true, None);
    s.network.associated_resources = Some(Default::default());
    s
}

fn approved() -> Value {
    json!([{"properties": {"privateEndpoint": {"id": "/subscriptions/x/resourceGroups/rg-net/providers/Microsoft.Network/privateEndpoints/p"},
        "privateLinkServiceConnectionState": {"status": "Approved"}}}])
}

/// Every associated resource private: public access Disabled, ACLs Deny, an Approved
/// connection; the registry Premium; Application Insights' two flags Disabled.
fn private_world() -> Azure {
    let mut azure = Azure::seed();
    let acl = json!({"defaultAction": "Deny"});
    azure.insert(STORAGE, json!({"id": STORAGE, "properties": {"publicNetworkAccess": "Disabled", "networkAcls": acl, "privateEndpointConnections": approved()}}));
    azure.insert(VAULT, json!({"id": VAULT, "properties": {"publicNetworkAccess": "disabled", "networkAcls": acl, "privateEndpointConnections": approved()}}));
    azure.insert(REGISTRY, json!({"id": REGISTRY, "sku": {"name": "Premium"}, "properties": {"publicNetworkAccess": "Disabled", "networkRuleSet": acl, "privateEndpointConnections": approved()}}));
    azure.insert(APPI, json!({"id": APPI, "properties": {"publicNetworkAccessForIngestion": "Disabled", "publicNetworkAccessForQuery": "Disabled"}}));
    azure
}

fn isolated(c: &Controller) -> (String, String, String) {
    c.condition("NetworkIsolated").expect("NetworkIsolated")
}

/// Without the field nothing is read (no GET costs the read budget) and the Workspace's legs
/// are what they were: a public storage account does not change NetworkIsolated.
#[test]
fn absent_field_reads_nothing() {
    let mut azure = Azure::seed();
    azure.insert(
        STORAGE,
        json!({"id": STORAGE, "properties": {"publicNetworkAccess": "Enabled"}}),
    );
    let c = Controller::new(spec(Dns::Create, true, None));
    assert!(associated_reads(&c.spec, &azure.observe(WS)).is_empty());
    let mut c = c;
    c.settle(&mut azure, 60);
    assert_eq!(isolated(&c).0, "True", "{:?}", isolated(&c));
}

/// With the field, one read per property the workspace names, in a fixed order; none before
/// the workspace was read, none for a property it lacks.
#[test]
fn one_read_each_named_by_the_workspace() {
    let azure = Azure::seed();
    let reads = associated_reads(&observing(), &azure.observe(WS));
    let got: Vec<(AssociatedKind, &str)> = reads.iter().map(|t| (t.kind, t.id.as_str())).collect();
    assert_eq!(
        got,
        [
            (AssociatedKind::StorageAccount, STORAGE),
            (AssociatedKind::KeyVault, VAULT),
            (AssociatedKind::ContainerRegistry, REGISTRY),
            (AssociatedKind::ApplicationInsights, APPI),
        ]
    );
    assert!(associated_reads(&observing(), &Observation::Skipped).is_empty());
    let mut ws = azure.observe(WS).found().cloned().expect("workspace");
    ws["properties"]
        .as_object_mut()
        .expect("properties")
        .remove("containerRegistry");
    assert_eq!(
        associated_reads(&observing(), &Observation::Found(ws)).len(),
        3,
        "a workspace without a registry yet has no registry leg"
    );
}

/// Everything private: NetworkIsolated=True and says the associated resources are private.
#[test]
fn all_private_holds() {
    let mut azure = private_world();
    let mut c = Controller::new(observing());
    c.settle(&mut azure, 60);
    let (status, reason, message) = isolated(&c);
    assert_eq!(
        (status.as_str(), reason.as_str()),
        ("True", "Isolated"),
        "{message}"
    );
    assert!(message.contains("storage account, key vault"), "{message}");
}

/// A public storage account is named with what is wrong; Ready is not held (observe only),
/// and nothing is written to it.
#[test]
fn public_storage_is_reported_by_name_and_not_changed() {
    let mut azure = private_world();
    azure.insert(
        STORAGE,
        json!({"id": STORAGE, "properties": {"publicNetworkAccess": "Enabled", "networkAcls": {"defaultAction": "Allow"}, "privateEndpointConnections": []}}),
    );
    let mut c = Controller::new(observing());
    c.settle(&mut azure, 60);
    let (status, reason, message) = isolated(&c);
    assert_eq!((status.as_str(), reason.as_str()), ("False", "NotIsolated"));
    assert!(
        message.contains(
            "storage account stmlwprod: public network access Enabled (network ACL default action Allow), no Approved private endpoint"
        ),
        "{message}"
    );
    assert!(!message.contains("key vault"), "{message}");
    assert_eq!(c.condition("Ready").expect("Ready").0, "True");
    assert!(
        azure
            .writes
            .iter()
            .all(|(_, target, _)| !target.to_ascii_lowercase().contains("microsoft.storage")),
        "{:?}",
        azure.writes
    );
}

/// A Basic registry: the leg says Premium is needed and that the SKU is not changed; nothing is
/// sent to the registry.
#[test]
fn basic_registry_needs_premium_and_is_not_upgraded() {
    let mut azure = private_world();
    azure.insert(
        REGISTRY,
        json!({"id": REGISTRY, "sku": {"name": "Basic"}, "properties": {"publicNetworkAccess": "Enabled", "networkRuleSet": {"defaultAction": "Allow"}}}),
    );
    let mut c = Controller::new(observing());
    c.settle(&mut azure, 60);
    let message = isolated(&c).2;
    assert!(
        message.contains("container registry crmlwprod: public network access Enabled (network ACL default action Allow), SKU Basic: a private endpoint needs the Premium SKU (the controller does not change SKUs)"),
        "{message}"
    );
    assert!(
        azure
            .writes
            .iter()
            .all(|(_, target, _)| !target.to_ascii_lowercase().contains("containerregistry"))
    );
    assert_eq!(
        azure.get(REGISTRY).expect("registry")["sku"]["name"],
        "Basic"
    );
}

/// Every leg that does not hold is named, in a fixed order, in one message; a resource that is
/// gone says so; Application Insights names its two flags and that its private path is not
/// managed.
#[test]
fn every_failing_leg_is_named() {
    let mut azure = private_world();
    azure.insert(
        VAULT,
        json!({"id": VAULT, "properties": {"publicNetworkAccess": "Disabled", "privateEndpointConnections": [
            {"properties": {"privateLinkServiceConnectionState": {"status": "Pending"}}}]}}),
    );
    azure.insert(
        APPI,
        json!({"id": APPI, "properties": {"publicNetworkAccessForIngestion": "Enabled", "publicNetworkAccessForQuery": "Disabled"}}),
    );
    azure.resources.remove(&STORAGE.to_ascii_lowercase());
    let mut c = Controller::new(observing());
    c.settle(&mut azure, 60);
    let message = isolated(&c).2;
    let storage = message.find("storage account stmlwprod: not found");
    let vault = message.find("key vault kv-mlw-prod: no Approved private endpoint");
    let appi = message.find("Application Insights appi-mlw-prod: public network access for ingestion Enabled, its private path (an Azure Monitor Private Link Scope) is not managed by the controller");
    assert!(
        storage.is_some() && vault.is_some() && appi.is_some(),
        "{message}"
    );
    assert!(storage < vault && vault < appi, "{message}");
    assert!(!message.contains("registry"), "{message}");
}

/// Drift: a person turns a private storage account's public access on; the next sync reports
/// it (observe only), and when they turn it off again NetworkIsolated comes back.
#[test]
fn drift_is_reported_then_clears() {
    let mut azure = private_world();
    let mut c = Controller::new(observing());
    c.settle(&mut azure, 60);
    assert_eq!(isolated(&c).0, "True");
    azure.get_mut(STORAGE).expect("storage")["properties"]["publicNetworkAccess"] =
        json!("Enabled");
    let writes = azure.writes.len();
    c.settle(&mut azure, 5);
    assert_eq!(isolated(&c).0, "False");
    assert!(
        isolated(&c)
            .2
            .contains("stmlwprod: public network access Enabled (network ACL default action Deny)")
    );
    assert_eq!(azure.writes.len(), writes, "observe only: nothing written");
    azure.get_mut(STORAGE).expect("storage")["properties"]["publicNetworkAccess"] =
        json!("Disabled");
    c.settle(&mut azure, 5);
    assert_eq!(isolated(&c).0, "True");
}
