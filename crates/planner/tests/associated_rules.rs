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
/// gone says so; Application Insights names its flag and the field that makes it private.
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
    let appi = message.find("Application Insights appi-mlw-prod: public network access for ingestion Enabled, to make it private, set spec.network.associatedResources.applicationInsights.privateLinkScopeId");
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

// ---- mode: Enforce -------------------------------------------------------------------------

const RG_NET: &str = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-net/providers/Microsoft.Network/privateEndpoints";
const RG_DNS: &str = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-dns/providers/Microsoft.Network/privateDnsZones";

fn enforcing(approve: bool) -> api::WorkspaceSpec {
    let mut s = spec(Dns::Create, approve, None);
    s.network.associated_resources = Some(api::workspace::AssociatedResources {
        image_build_compute: None,
        mode: api::workspace::AssociatedResourcesMode::Enforce,
        application_insights: None,
    });
    s
}

/// The private endpoints Enforce makes: (name, service, group, zone).
fn enforced_endpoints() -> Vec<(String, &'static str, &'static str, &'static str)> {
    vec![
        (
            "stmlwprod-blob-pe".into(),
            STORAGE,
            "blob",
            "privatelink.blob.core.windows.net",
        ),
        (
            "stmlwprod-file-pe".into(),
            STORAGE,
            "file",
            "privatelink.file.core.windows.net",
        ),
        (
            "kv-mlw-prod-vault-pe".into(),
            VAULT,
            "vault",
            "privatelink.vaultcore.azure.net",
        ),
        (
            "crmlwprod-registry-pe".into(),
            REGISTRY,
            "registry",
            "privatelink.azurecr.io",
        ),
    ]
}

fn pe_id(name: &str) -> String {
    format!("{RG_NET}/{name}")
}

fn ready(c: &Controller) -> (String, String, String) {
    c.condition("Ready").expect("Ready")
}

/// The targets of Enforce: one private endpoint per resource and group id, in the subnet of
/// the first declared private endpoint, each with its one zone (created in rg-dns, linked to
/// the hub VNet) and a zone group; the enforced resources are storage, key vault and registry.
#[test]
fn enforce_targets_per_resource_and_group() {
    let azure = Azure::seed().with_associated("Premium");
    let s = enforcing(true);
    let ws = azure.observe(WS);
    let reads = associated_reads(&s, &ws);
    let observed: Vec<Observation> = reads.iter().map(|t| azure.observe(&t.id)).collect();
    let t = planner::workspace::workspace_targets_in(
        "ml-prod",
        "housing",
        &s,
        planner::network::WorkspaceZones::AZURE_CLOUD,
        &ws,
        &observed,
    )
    .expect("targets");
    assert_eq!(t.endpoints.len(), 5, "the workspace's own and four more");
    for ((name, service, group, zone), e) in enforced_endpoints().iter().zip(&t.endpoints[1..]) {
        assert_eq!(e.name, *name);
        assert_eq!(e.id, pe_id(name));
        assert_eq!(e.service_id, *service);
        assert_eq!(e.group_id, *group);
        assert_eq!(e.subnet_id, network_world::subnet());
        assert_eq!(e.zones.len(), 1);
        assert_eq!(e.zones[0].id, format!("{RG_DNS}/{zone}"));
        assert!(e.zones[0].create);
        assert_eq!(
            e.zones[0].link.as_ref().map(|l| l.vnet_id.as_str()),
            Some(network_world::VNET)
        );
        assert_eq!(
            e.zone_group_id.as_deref(),
            Some(format!("{}/privateDnsZoneGroups/default", pe_id(name)).as_str())
        );
    }
    let enforced: Vec<&str> = t.associated.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(
        enforced,
        [STORAGE, VAULT, REGISTRY],
        "Application Insights is observed only"
    );

    // Sovereign clouds name the zones after their own suffixes.
    let gov = planner::workspace::workspace_targets_in(
        "ml-prod",
        "housing",
        &s,
        planner::network::WorkspaceZones::AZURE_US_GOVERNMENT,
        &ws,
        &observed,
    )
    .expect("targets");
    let zones: Vec<&str> = gov.endpoints[1..]
        .iter()
        .map(|e| e.zones[0].name.as_str())
        .collect();
    assert_eq!(
        zones,
        [
            "privatelink.blob.core.usgovcloudapi.net",
            "privatelink.file.core.usgovcloudapi.net",
            "privatelink.vaultcore.usgovcloudapi.net",
            "privatelink.azurecr.us"
        ]
    );
    let china = planner::network::WorkspaceZones::AZURE_CHINA_CLOUD.associated();
    assert_eq!(china.registry, "privatelink.azurecr.cn");
    assert_eq!(china.vault, "privatelink.vaultcore.azure.cn");
}

/// Enforce from a fully public sandbox: every private endpoint, zone, link and zone group is
/// created; each resource's public access is PATCHed to Disabled only after all of its private
/// endpoints' connections are Approved and their zone groups hold A records (checked on the
/// model of Azure at the moment each PATCH is decided); nothing ever asks for Enabled; the
/// Workspace ends Ready with only Application Insights (observed, not enforced) named.
#[test]
fn enforce_makes_before_it_breaks() {
    let mut azure = Azure::seed().with_associated("Premium");
    let mut c = Controller::new(enforcing(true));
    let mut closed: Vec<String> = Vec::new();
    for _ in 0..200 {
        let plan = c.reconcile(&mut azure, network_world::Answer::Ok);
        if let planner::NetworkAction::Patch { target, body } = &plan.action
            && [STORAGE, VAULT, REGISTRY].contains(&target.as_str())
        {
            assert_eq!(
                body,
                &json!({"properties": {"publicNetworkAccess": "Disabled"}})
            );
            for (name, service, _, _) in enforced_endpoints() {
                if service != target {
                    continue;
                }
                let conns = azure.connections_of(&pe_id(&name));
                assert!(
                    !conns.is_empty()
                        && conns.iter().all(|x| {
                            x.pointer("/properties/privateLinkServiceConnectionState/status")
                                == Some(&json!("Approved"))
                        }),
                    "{name}: {conns:?}"
                );
                let group = azure
                    .get(&format!("{}/privateDnsZoneGroups/default", pe_id(&name)))
                    .cloned()
                    .unwrap_or(Value::Null);
                let records = planner::network::bodies::zone_group_records(&group);
                assert!(
                    records.len() == 1 && records[0].1 > 0,
                    "{name}: zone group {group}"
                );
            }
            closed.push(target.clone());
        }
        azure.tick();
        if !plan.action.is_write() && c.status.operation.is_none() && !azure.busy() {
            let again = c.reconcile(&mut azure, network_world::Answer::Ok);
            if !again.action.is_write() && c.status.operation.is_none() {
                break;
            }
        }
    }
    assert_eq!(
        closed,
        [STORAGE, VAULT, REGISTRY],
        "each closed once, in order"
    );
    for id in [STORAGE, VAULT, REGISTRY] {
        assert_eq!(
            azure
                .get(id)
                .and_then(|r| r.pointer("/properties/publicNetworkAccess")),
            Some(&json!("Disabled")),
            "{id}"
        );
    }
    for (name, _, _, zone) in enforced_endpoints() {
        assert!(azure.exists(&pe_id(&name)), "{name}");
        assert!(azure.exists(&format!("{RG_DNS}/{zone}")), "{zone}");
        assert!(
            azure.exists(&format!(
                "{RG_DNS}/{zone}/virtualNetworkLinks/vnet-hub-link"
            )),
            "{zone} link"
        );
    }
    assert!(
        azure.writes.iter().all(|(_, _, body)| {
            body.pointer("/properties/publicNetworkAccess")
                .is_none_or(|v| v == "Disabled")
        }),
        "never Enabled"
    );
    // The PEs carry the owner tag and connect to their group.
    let blob = azure
        .get(&pe_id("stmlwprod-blob-pe"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        blob["tags"]["aml-operator-owner"],
        "Workspace/ml-prod/housing"
    );
    assert_eq!(
        blob.pointer("/properties/privateLinkServiceConnections/0/properties/groupIds"),
        Some(&json!(["blob"]))
    );
    assert_eq!(ready(&c).0, "True", "{:?}", ready(&c));
    let (status, _, message) = isolated(&c);
    assert_eq!(status, "False");
    assert!(
        message.contains("Application Insights appi-mlw-prod"),
        "{message}"
    );
    for name in ["storage account", "key vault", "container registry"] {
        assert!(!message.contains(name), "{name} holds: {message}");
    }
    let statuses: Vec<&str> = c
        .status
        .private_endpoints
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(statuses.len(), 5, "{statuses:?}");
    // A resync writes nothing.
    let writes = azure.writes.len();
    for _ in 0..3 {
        c.reconcile(&mut azure, network_world::Answer::Ok);
        azure.tick();
    }
    assert_eq!(azure.writes.len(), writes);
}

/// A person turns the storage account's public access back on: the controller turns it off
/// again at once (its private path still holds), as drift.
#[test]
fn enforce_corrects_public_access_drift() {
    let mut azure = Azure::seed().with_associated("Premium");
    let mut c = Controller::new(enforcing(true));
    c.settle(&mut azure, 200);
    assert_eq!(ready(&c).0, "True");
    azure.get_mut(STORAGE).expect("storage")["properties"]["publicNetworkAccess"] =
        json!("Enabled");
    let plan = c.reconcile(&mut azure, network_world::Answer::Ok);
    assert_eq!(
        plan.action,
        planner::NetworkAction::Patch {
            target: STORAGE.to_owned(),
            body: json!({"properties": {"publicNetworkAccess": "Disabled"}}),
        }
    );
    assert!(
        plan.events.iter().any(|e| e.reason == "DriftCorrected"),
        "{:?}",
        plan.events
    );
}

/// A manual request (approve off) to the key vault stays Pending: the key vault's public access
/// is not touched and Ready names the wait and who approves; storage and the registry, whose
/// connections are approved by their owners too, wait the same way.
#[test]
fn enforce_waits_for_a_pending_connection() {
    let mut azure = Azure::seed().with_associated("Premium");
    let mut c = Controller::new(enforcing(false));
    c.settle(&mut azure, 200);
    let (status, reason, message) = ready(&c);
    assert_eq!(
        (status.as_str(), reason.as_str()),
        ("False", "ApprovalPending")
    );
    assert!(
        message.contains("public network access of key vault kv-mlw-prod stays Enabled until private endpoint kv-mlw-prod-vault-pe"),
        "{message}"
    );
    assert!(message.contains("an owner of kv-mlw-prod"), "{message}");
    assert!(
        !azure
            .writes
            .iter()
            .any(|(v, t, _)| v == "PATCH" || t.contains("/privateEndpointConnections/")),
        "no PATCH and no approval of an associated connection: {:?}",
        azure.writes
    );
}

/// A Basic registry: no private endpoint for it, nothing written to it; the Workspace is
/// Stalled naming the SKU and the ways out, while storage and key vault are still made private.
#[test]
fn enforce_leaves_a_basic_registry_alone() {
    let mut azure = Azure::seed().with_associated("Basic");
    let mut c = Controller::new(enforcing(true));
    c.settle(&mut azure, 200);
    assert!(!azure.exists(&pe_id("crmlwprod-registry-pe")));
    assert!(
        azure.writes.iter().all(|(_, t, b)| t != REGISTRY
            && b.pointer(
                "/properties/privateLinkServiceConnections/0/properties/privateLinkServiceId"
            ) != Some(&json!(REGISTRY))),
        "{:?}",
        azure.writes
    );
    assert_eq!(
        azure
            .get(REGISTRY)
            .and_then(|r| r.pointer("/properties/publicNetworkAccess")),
        Some(&json!("Enabled"))
    );
    assert_eq!(
        azure.get(REGISTRY).and_then(|r| r.pointer("/sku/name")),
        Some(&json!("Basic"))
    );
    for id in [STORAGE, VAULT] {
        assert_eq!(
            azure
                .get(id)
                .and_then(|r| r.pointer("/properties/publicNetworkAccess")),
            Some(&json!("Disabled"))
        );
    }
    let (status, _, message) = c.condition("Stalled").expect("Stalled");
    assert_eq!(status, "True");
    assert!(
        message.contains("container registry crmlwprod is SKU Basic")
            && message.contains("az acr update --name crmlwprod --sku Premium"),
        "{message}"
    );
    assert!(
        isolated(&c)
            .2
            .contains("container registry crmlwprod: SKU Basic"),
        "{:?}",
        isolated(&c)
    );
}

/// Deleting an enforcing Workspace removes what it created — zone groups and private endpoints
/// (last first), then links and zones — and writes nothing to the storage account, key vault or
/// registry (their public access stays as it is: the controller never opens it).
#[test]
fn enforce_teardown_removes_only_what_it_created() {
    let mut azure = Azure::seed().with_associated("Premium");
    let mut c = Controller::new(enforcing(true));
    c.settle(&mut azure, 200);
    assert_eq!(ready(&c).0, "True");
    let before = azure.writes.len();
    c.deleting = true;
    c.settle(&mut azure, 200);
    assert!(c.finalized, "{:?}", c.status.conditions);
    let deletes: Vec<&str> = azure.writes[before..]
        .iter()
        .map(|(v, t, _)| {
            assert_eq!(v, "DELETE", "{t}");
            t.as_str()
        })
        .collect();
    // Last declared first: the registry's zone group, then its private endpoint, ...
    assert_eq!(
        deletes[0],
        format!(
            "{}/privateDnsZoneGroups/default",
            pe_id("crmlwprod-registry-pe")
        )
    );
    assert_eq!(deletes[1], pe_id("crmlwprod-registry-pe"));
    for (name, _, _, zone) in enforced_endpoints() {
        assert!(!azure.exists(&pe_id(&name)), "{name}");
        assert!(!azure.exists(&format!("{RG_DNS}/{zone}")), "{zone}");
        let pe_at = deletes
            .iter()
            .position(|d| *d == pe_id(&name))
            .expect("deleted");
        let zone_at = deletes
            .iter()
            .position(|d| *d == format!("{RG_DNS}/{zone}"))
            .expect("zone deleted");
        assert!(pe_at < zone_at, "{name} before {zone}");
    }
    for id in [STORAGE, VAULT, REGISTRY, WS] {
        assert!(azure.exists(id), "{id} is never deleted");
        assert!(!deletes.contains(&id));
    }
}

/// Back to Observe: the private endpoints Enforce created are deleted (owned, listed in
/// status), their zones stay until the Workspace goes; nothing is re-opened.
#[test]
fn enforce_removed_deletes_its_private_endpoints() {
    let mut azure = Azure::seed().with_associated("Premium");
    let mut c = Controller::new(enforcing(true));
    c.settle(&mut azure, 200);
    c.spec.network.associated_resources = Some(Default::default());
    c.generation += 1;
    c.settle(&mut azure, 200);
    for (name, _, _, zone) in enforced_endpoints() {
        assert!(!azure.exists(&pe_id(&name)), "{name}");
        assert!(azure.exists(&format!("{RG_DNS}/{zone}")), "{zone} stays");
    }
    assert_eq!(c.status.private_endpoints.len(), 1);
    assert!(azure.writes.iter().all(|(_, _, b)| {
        b.pointer("/properties/publicNetworkAccess")
            .is_none_or(|v| v == "Disabled")
    }));
}

/// Enforce without a first private endpoint that gives a zone resource group (refused by the
/// CRD; an object that skipped the API server's validation) is Stalled naming the field.
#[test]
fn enforce_without_a_private_endpoint_is_refused_naming_the_field() {
    let mut s = enforcing(true);
    s.network.private_endpoints.clear();
    let mut azure = Azure::seed().with_associated("Premium");
    let mut c = Controller::new(s);
    let plan = c.reconcile(&mut azure, network_world::Answer::Ok);
    assert!(!plan.action.is_write());
    let (status, reason, message) = c.condition("Stalled").expect("Stalled");
    assert_eq!((status.as_str(), reason.as_str()), ("True", "InvalidSpec"));
    assert!(
        message.contains("spec.network.associatedResources"),
        "{message}"
    );
}

// ---- image builds behind a private registry ------------------------------------------------

/// The workspace as `private_world` has it, without an image build compute.
fn without_image_build_compute(azure: &mut Azure) {
    azure.get_mut(WS).expect("ws")["properties"]
        .as_object_mut()
        .expect("properties")
        .remove("imageBuildCompute");
}

const IMAGE_BUILD: &str = "container registry crmlwprod: behind the VNet, Azure cannot build environment images: the workspace has no imageBuildCompute and no managed network (set spec.network.associatedResources.imageBuildCompute to a CPU compute cluster in the VNet)";

/// A private registry and a workspace with neither imageBuildCompute nor a managed network:
/// the registry's leg says images cannot be built; nothing is written (observe only).
#[test]
fn image_build_without_compute_is_reported() {
    let mut azure = private_world();
    without_image_build_compute(&mut azure);
    let mut c = Controller::new(observing());
    c.settle(&mut azure, 60);
    let (status, reason, message) = isolated(&c);
    assert_eq!((status.as_str(), reason.as_str()), ("False", "NotIsolated"));
    assert!(message.contains(IMAGE_BUILD), "{message}");
    assert!(
        azure
            .writes
            .iter()
            .all(|(_, _, b)| b.pointer("/properties/imageBuildCompute").is_none()),
        "{:?}",
        azure.writes
    );
}

/// A public registry needs no image build compute: nothing about image builds is said.
#[test]
fn image_build_public_registry_says_nothing() {
    let mut azure = private_world();
    without_image_build_compute(&mut azure);
    azure.get_mut(REGISTRY).expect("registry")["properties"]["publicNetworkAccess"] =
        json!("Enabled");
    let mut c = Controller::new(observing());
    c.settle(&mut azure, 60);
    let message = isolated(&c).2;
    assert!(!message.contains("imageBuildCompute"), "{message}");
}

/// With a managed network Azure builds on serverless compute through its own private
/// endpoints: the leg holds without imageBuildCompute.
#[test]
fn image_build_with_managed_network_holds() {
    let mut azure = private_world();
    without_image_build_compute(&mut azure);
    azure.get_mut(WS).expect("ws")["properties"]["managedNetwork"] =
        json!({"isolationMode": "AllowInternetOutbound", "status": {"status": "Active"}});
    let mut c = Controller::new(observing());
    c.settle(&mut azure, 60);
    let message = isolated(&c).2;
    assert!(!message.contains("imageBuildCompute"), "{message}");
}

/// spec.network.associatedResources.imageBuildCompute is PATCHed to the workspace (one PATCH
/// carrying only that property), after which the leg holds; a resync sends nothing more, and
/// a person's change is corrected.
#[test]
fn image_build_compute_in_the_spec_is_set() {
    let mut azure = private_world();
    without_image_build_compute(&mut azure);
    let mut s = observing();
    s.network
        .associated_resources
        .as_mut()
        .expect("associated")
        .image_build_compute = Some("cpu-build".into());
    let mut c = Controller::new(s);
    c.settle(&mut azure, 60);
    let sent: Vec<&Value> = azure
        .writes
        .iter()
        .filter(|(_, _, b)| b.pointer("/properties/imageBuildCompute").is_some())
        .map(|(_, _, b)| b)
        .collect();
    assert_eq!(
        sent,
        [&json!({"properties": {"imageBuildCompute": "cpu-build"}})],
        "{:?}",
        azure.writes
    );
    let (status, _, message) = isolated(&c);
    assert_eq!(status, "True", "{message}");
    let writes = azure.writes.len();
    c.settle(&mut azure, 5);
    assert_eq!(azure.writes.len(), writes);
    azure.get_mut(WS).expect("ws")["properties"]["imageBuildCompute"] = json!("other");
    c.settle(&mut azure, 60);
    assert_eq!(
        azure.get(WS).expect("ws")["properties"]["imageBuildCompute"],
        "cpu-build"
    );
}

/// Enforce makes the registry private: without an image build compute the leg says so once
/// everything else holds.
#[test]
fn image_build_enforce_reports_before_closing() {
    let mut azure = Azure::seed().with_associated("Premium");
    without_image_build_compute(&mut azure);
    let mut c = Controller::new(enforcing(true));
    c.settle(&mut azure, 200);
    let message = isolated(&c).2;
    assert!(message.contains(IMAGE_BUILD), "{message}");
}

// ---- a managed network that allows only approved outbound ----------------------------------

/// Azure's required outbound rules to storage (blob, file), key vault and registry, with the
/// given status (the rule names are the emulator's and these tests'; Azure's are not
/// documented, so the controller matches rules by destination.serviceResourceId).
fn managed_network(azure: &mut Azure, status: &str) {
    let mut rules = serde_json::Map::new();
    for (name, id, sub) in [
        ("sys-pe-storage-blob", STORAGE, "blob"),
        ("sys-pe-storage-file", STORAGE, "file"),
        ("sys-pe-vault", VAULT, "vault"),
        ("sys-pe-registry", REGISTRY, "registry"),
    ] {
        rules.insert(
            name.into(),
            json!({"type": "PrivateEndpoint", "category": "Required", "status": status,
                "destination": {"serviceResourceId": id, "subresourceTarget": sub, "sparkEnabled": false}}),
        );
    }
    azure.get_mut(WS).expect("ws")["properties"]["managedNetwork"] = json!({
        "isolationMode": "AllowOnlyApprovedOutbound", "status": {"status": "Active"},
        "outboundRules": rules});
}

fn set_rule(azure: &mut Azure, name: &str, status: &str) {
    azure.get_mut(WS).expect("ws")["properties"]["managedNetwork"]["outboundRules"][name]["status"] =
        json!(status);
}

/// Observe: with Active outbound rules and public access off, storage, key vault and registry
/// hold without any private endpoint connection of their own (the managed network's are
/// Azure's); a rule that is not Active is named with its status, and public access is still
/// reported.
#[test]
fn managed_network_outbound_rules_are_the_legs() {
    let mut azure = private_world();
    for id in [STORAGE, VAULT, REGISTRY] {
        azure.get_mut(id).expect("resource")["properties"]["privateEndpointConnections"] =
            json!([]);
    }
    managed_network(&mut azure, "Active");
    let mut c = Controller::new(observing());
    c.settle(&mut azure, 60);
    let (status, _, message) = isolated(&c);
    assert_eq!(status, "True", "{message}");

    set_rule(&mut azure, "sys-pe-vault", "Provisioning");
    azure.get_mut(STORAGE).expect("storage")["properties"]["publicNetworkAccess"] =
        json!("Enabled");
    c.settle(&mut azure, 5);
    let (status, _, message) = isolated(&c);
    assert_eq!(status, "False");
    assert!(
        message.contains(
            "key vault kv-mlw-prod: managed network outbound rule sys-pe-vault (vault) Provisioning"
        ),
        "{message}"
    );
    assert!(
        message.contains("storage account stmlwprod: public network access Enabled"),
        "{message}"
    );
    assert!(
        !message.contains("no Approved private endpoint"),
        "{message}"
    );
    assert!(
        azure
            .writes
            .iter()
            .all(|(_, t, _)| !t.to_ascii_lowercase().contains("microsoft.storage")),
        "observe only"
    );
}

/// Observe: a resource the managed network has no outbound rule to is named.
#[test]
fn managed_network_without_a_rule_is_named() {
    let mut azure = private_world();
    managed_network(&mut azure, "Active");
    azure.get_mut(WS).expect("ws")["properties"]["managedNetwork"]["outboundRules"]
        .as_object_mut()
        .expect("rules")
        .remove("sys-pe-registry");
    let mut c = Controller::new(observing());
    c.settle(&mut azure, 60);
    let message = isolated(&c).2;
    assert!(
        message
            .contains("container registry crmlwprod: no managed network outbound rule to it yet"),
        "{message}"
    );
}

/// Enforce in a managed network: no user-VNet private endpoint is made for the associated
/// resources; each one's public access is turned off only once every outbound rule to it is
/// Active (make before break), never Enabled; then NetworkIsolated holds.
#[test]
fn managed_network_enforce_waits_for_active_rules() {
    let mut azure = Azure::seed().with_associated("Premium");
    managed_network(&mut azure, "Provisioning");
    let mut c = Controller::new(enforcing(true));
    c.settle(&mut azure, 200);
    for id in [STORAGE, VAULT, REGISTRY] {
        assert_eq!(
            azure.get(id).expect("resource")["properties"]["publicNetworkAccess"],
            "Enabled",
            "{id}: its outbound rule is not Active"
        );
    }
    let message = isolated(&c).2;
    assert!(
        message.contains("managed network outbound rule sys-pe-storage-blob (blob) Provisioning"),
        "{message}"
    );
    for (name, _, _, _) in enforced_endpoints() {
        assert!(
            !azure.exists(&pe_id(&name)),
            "{name}: no user-VNet endpoint"
        );
    }
    // The key vault's rule turns Active: only the key vault is closed.
    set_rule(&mut azure, "sys-pe-vault", "Active");
    c.settle(&mut azure, 60);
    assert_eq!(
        azure.get(VAULT).expect("vault")["properties"]["publicNetworkAccess"],
        "Disabled"
    );
    assert_eq!(
        azure.get(STORAGE).expect("storage")["properties"]["publicNetworkAccess"],
        "Enabled"
    );
    // Storage needs both of its rules.
    set_rule(&mut azure, "sys-pe-storage-blob", "Active");
    c.settle(&mut azure, 60);
    assert_eq!(
        azure.get(STORAGE).expect("storage")["properties"]["publicNetworkAccess"],
        "Enabled"
    );
    set_rule(&mut azure, "sys-pe-storage-file", "Active");
    set_rule(&mut azure, "sys-pe-registry", "Active");
    c.settle(&mut azure, 60);
    for id in [STORAGE, VAULT, REGISTRY] {
        assert_eq!(
            azure.get(id).expect("resource")["properties"]["publicNetworkAccess"],
            "Disabled",
            "{id}"
        );
    }
    for (name, _, _, _) in enforced_endpoints() {
        assert!(
            !azure.exists(&pe_id(&name)),
            "{name}: no user-VNet endpoint"
        );
    }
    assert!(
        azure.writes.iter().all(|(_, _, body)| {
            body.pointer("/properties/publicNetworkAccess")
                .is_none_or(|v| v == "Disabled")
        }),
        "never Enabled"
    );
    let message = isolated(&c).2;
    for name in ["storage account", "key vault", "container registry"] {
        assert!(!message.contains(name), "{name} holds: {message}");
    }
}

// ---- Application Insights behind the hub's Azure Monitor Private Link Scope ----------------

const AMPLS: &str = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-net/providers/Microsoft.Insights/privateLinkScopes/ampls-hub";
const OTHER_APPI: &str = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-other/providers/Microsoft.Insights/components/appi-other";

fn enforcing_insights() -> api::WorkspaceSpec {
    let mut s = enforcing(true);
    if let Some(a) = s.network.associated_resources.as_mut() {
        a.application_insights = Some(api::workspace::ApplicationInsightsPrivateLink {
            private_link_scope_id: AMPLS.to_owned(),
        });
    }
    s
}

/// The hub's AMPLS with one private endpoint connection in `status` (none when `None`).
fn hub_scope(azure: &mut Azure, status: Option<&str>) {
    let connections = status.map_or_else(
        || json!([]),
        |s| json!([{"id": format!("{AMPLS}/privateEndpointConnections/pe-ampls-hub"), "properties": {
            "privateEndpoint": {"id": format!("{RG_NET}/pe-ampls-hub")},
            "privateLinkServiceConnectionState": {"status": s, "description": ""}}}]),
    );
    azure.insert(
        AMPLS,
        json!({"id": AMPLS, "name": "ampls-hub", "location": "global", "properties": {
            "provisioningState": "Succeeded", "privateEndpointConnections": connections}}),
    );
}

fn scoped_id() -> String {
    format!(
        "{AMPLS}/scopedResources/{}",
        planner::network::insights::scoped_resource_name(APPI)
    )
}

fn appi_flags(azure: &Azure) -> (String, String) {
    let f = |n: &str| {
        azure
            .get(APPI)
            .and_then(|a| a.pointer(&format!("/properties/{n}")))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    (
        f("publicNetworkAccessForIngestion"),
        f("publicNetworkAccessForQuery"),
    )
}

/// Every write to the component: a PUT with both flags Disabled, never Enabled.
fn assert_never_enabled(azure: &Azure) {
    for (verb, target, body) in &azure.writes {
        if target.eq_ignore_ascii_case(APPI) {
            assert_eq!(verb, "PUT", "{target}");
            for f in [
                "publicNetworkAccessForIngestion",
                "publicNetworkAccessForQuery",
            ] {
                assert_eq!(
                    body.pointer(&format!("/properties/{f}")),
                    Some(&json!("Disabled")),
                    "{body}"
                );
            }
        }
        assert!(
            !body.to_string().contains("\"Enabled\""),
            "{verb} {target} {body}"
        );
    }
}

/// The scoped resource is created first; the component is closed (one PUT, both flags
/// Disabled) only once the scoped resource Succeeded and the hub's scope has an Approved
/// connection; then NetworkIsolated=True, the scoped resource recorded in status as ours, and a
/// resync writes nothing.
#[test]
fn insights_links_then_closes_make_before_break() {
    let mut azure = Azure::seed().with_associated("Premium");
    hub_scope(&mut azure, Some("Approved"));
    let mut c = Controller::new(enforcing_insights());
    let mut closed = 0;
    for _ in 0..300 {
        let plan = c.reconcile(&mut azure, network_world::Answer::Ok);
        if let planner::NetworkAction::Put { target, .. } = &plan.action
            && target.eq_ignore_ascii_case(APPI)
        {
            let scoped = azure.get(&scoped_id()).cloned().unwrap_or(Value::Null);
            assert_eq!(
                scoped.pointer("/properties/provisioningState"),
                Some(&json!("Succeeded")),
                "{scoped}"
            );
            assert_eq!(
                scoped.pointer("/properties/linkedResourceId"),
                Some(&json!(APPI))
            );
            closed += 1;
        }
        azure.tick();
        if !plan.action.is_write() && c.status.operation.is_none() && !azure.busy() {
            let again = c.reconcile(&mut azure, network_world::Answer::Ok);
            if !again.action.is_write() && c.status.operation.is_none() {
                break;
            }
        }
    }
    assert_eq!(closed, 1, "closed once");
    assert_eq!(appi_flags(&azure), ("Disabled".into(), "Disabled".into()));
    let scoped_at = azure
        .writes
        .iter()
        .position(|(_, t, _)| *t == scoped_id())
        .expect("scoped resource created");
    let closed_at = azure
        .writes
        .iter()
        .position(|(_, t, _)| t == APPI)
        .expect("component closed");
    assert!(scoped_at < closed_at);
    assert_eq!(
        azure.writes[scoped_at].2,
        json!({"properties": {"linkedResourceId": APPI}})
    );
    assert_never_enabled(&azure);
    assert_eq!(c.status.private_link_scoped_resources, [scoped_id()]);
    let (status, _, message) = isolated(&c);
    assert_eq!(status, "True", "{message}");
    assert_eq!(ready(&c).0, "True");
    let writes = azure.writes.len();
    for _ in 0..3 {
        c.reconcile(&mut azure, network_world::Answer::Ok);
        azure.tick();
    }
    assert_eq!(azure.writes.len(), writes, "a resync writes nothing");
}

/// No Approved connection on the hub's scope (none, or Pending): the link is made, public
/// access is never turned off, the leg is named; once the hub approves, it closes.
#[test]
fn insights_waits_for_the_hubs_approved_connection() {
    for (status, reason) in [(None, "Stalled"), (Some("Pending"), "ApprovalPending")] {
        let mut azure = Azure::seed().with_associated("Premium");
        hub_scope(&mut azure, status);
        let mut c = Controller::new(enforcing_insights());
        c.settle(&mut azure, 300);
        assert!(azure.exists(&scoped_id()), "the link is made meanwhile");
        assert_eq!(
            appi_flags(&azure),
            ("Enabled".into(), "Enabled".into()),
            "{status:?}"
        );
        assert!(azure.writes.iter().all(|(_, t, _)| t != APPI));
        let (iso, _, message) = isolated(&c);
        assert_eq!(iso, "False");
        assert!(message.contains("Application Insights appi-mlw-prod: Azure Monitor Private Link Scope ampls-hub has no"), "{message}");
        if reason == "Stalled" {
            assert_eq!(
                c.condition("Stalled").map(|c| c.0),
                Some("True".into()),
                "{:?}",
                c.status.conditions
            );
        } else {
            assert_eq!(ready(&c).1, "ApprovalPending", "{:?}", ready(&c));
        }
        hub_scope(&mut azure, Some("Approved"));
        c.settle(&mut azure, 300);
        assert_eq!(
            appi_flags(&azure),
            ("Disabled".into(), "Disabled".into()),
            "{status:?}"
        );
        assert_eq!(isolated(&c).0, "True", "{:?}", isolated(&c));
        assert_never_enabled(&azure);
    }
}

/// The hub's scope does not exist: nothing is created in it, the component is not touched,
/// the Workspace is Stalled naming the scope (the controller never creates one).
#[test]
fn insights_missing_scope_is_stalled_and_creates_nothing() {
    let mut azure = Azure::seed().with_associated("Premium");
    let mut c = Controller::new(enforcing_insights());
    c.settle(&mut azure, 300);
    assert!(
        azure
            .writes
            .iter()
            .all(|(_, t, _)| !t.to_ascii_lowercase().contains("microsoft.insights")),
        "{:?}",
        azure.writes
    );
    let (_, _, message) = isolated(&c);
    assert!(
        message.contains("Azure Monitor Private Link Scope ampls-hub not found"),
        "{message}"
    );
    let stalled = c.condition("Stalled").expect("Stalled");
    assert!(
        stalled.2.contains(AMPLS) && stalled.2.contains("never creates"),
        "{stalled:?}"
    );
}

/// A scoped resource of the derived name that links another component (made by someone else)
/// is never rewritten or deleted; the component stays open; deleting the Workspace leaves it.
#[test]
fn insights_never_touches_a_scoped_resource_linking_another_component() {
    let mut azure = Azure::seed().with_associated("Premium");
    hub_scope(&mut azure, Some("Approved"));
    azure.insert(
        &scoped_id(),
        json!({"id": scoped_id(), "properties": {"linkedResourceId": OTHER_APPI, "provisioningState": "Succeeded"}}),
    );
    let mut c = Controller::new(enforcing_insights());
    c.settle(&mut azure, 300);
    assert!(
        azure
            .writes
            .iter()
            .all(|(_, t, _)| *t != scoped_id() && t != APPI),
        "{:?}",
        azure.writes
    );
    assert!(c.status.private_link_scoped_resources.is_empty());
    let (_, _, message) = isolated(&c);
    assert!(message.contains("links appi-other"), "{message}");
    c.deleting = true;
    c.settle(&mut azure, 300);
    assert!(c.finalized);
    assert_eq!(
        azure
            .get(&scoped_id())
            .and_then(|s| s.pointer("/properties/linkedResourceId")),
        Some(&json!(OTHER_APPI)),
        "left as it was"
    );
    assert!(azure.writes.iter().all(|(_, t, _)| *t != scoped_id()));
}

/// Deleting the Workspace deletes the scoped resource it created — first, before its private
/// endpoints — and nothing else in the hub's scope: another team's scoped resource, the scope
/// and the component (its flags stay Disabled) are left. A recorded scoped resource a person
/// replaced by one linking another component is left too, with a Kept Event.
#[test]
fn insights_teardown_deletes_only_its_scoped_resource() {
    let mut azure = Azure::seed().with_associated("Premium");
    hub_scope(&mut azure, Some("Approved"));
    let theirs = format!("{AMPLS}/scopedResources/hub-law");
    azure.insert(&theirs, json!({"id": theirs, "properties": {"linkedResourceId": OTHER_APPI, "provisioningState": "Succeeded"}}));
    let mut c = Controller::new(enforcing_insights());
    c.settle(&mut azure, 300);
    assert_eq!(isolated(&c).0, "True", "{:?}", isolated(&c));
    let before = azure.writes.len();
    c.deleting = true;
    c.settle(&mut azure, 300);
    assert!(c.finalized, "{:?}", c.status.conditions);
    let deletes: Vec<&str> = azure.writes[before..]
        .iter()
        .map(|(v, t, _)| {
            assert_eq!(v, "DELETE", "{t}");
            t.as_str()
        })
        .collect();
    assert_eq!(deletes[0], scoped_id(), "the scoped resource goes first");
    assert!(!azure.exists(&scoped_id()));
    for id in [theirs.as_str(), AMPLS, APPI] {
        assert!(azure.exists(id), "{id}");
        assert!(!deletes.contains(&id), "{id}");
    }
    assert_eq!(
        appi_flags(&azure),
        ("Disabled".into(), "Disabled".into()),
        "never re-opened"
    );

    // A recorded scoped resource that now links another component is left in place.
    let mut azure = Azure::seed().with_associated("Premium");
    hub_scope(&mut azure, Some("Approved"));
    let mut c = Controller::new(enforcing_insights());
    c.settle(&mut azure, 300);
    azure.get_mut(&scoped_id()).expect("scoped")["properties"]["linkedResourceId"] =
        json!(OTHER_APPI);
    c.deleting = true;
    let plans = c.settle(&mut azure, 300);
    assert!(c.finalized);
    assert!(azure.exists(&scoped_id()));
    assert!(
        plans
            .iter()
            .flat_map(|p| &p.events)
            .any(|e| e.reason == "Kept" && e.note.contains("now links")),
        "a Kept Event"
    );
}

/// The spec stops asking (privateLinkScopeId removed): the scoped resource the Workspace
/// created is deleted and forgotten; the component's flags stay Disabled (never re-opened).
#[test]
fn insights_removed_from_the_spec_deletes_its_scoped_resource() {
    let mut azure = Azure::seed().with_associated("Premium");
    hub_scope(&mut azure, Some("Approved"));
    let mut c = Controller::new(enforcing_insights());
    c.settle(&mut azure, 300);
    assert!(azure.exists(&scoped_id()));
    c.spec = enforcing(true);
    c.generation += 1;
    c.settle(&mut azure, 300);
    assert!(!azure.exists(&scoped_id()));
    assert!(c.status.private_link_scoped_resources.is_empty());
    assert_eq!(appi_flags(&azure), ("Disabled".into(), "Disabled".into()));
    assert_never_enabled(&azure);
}

/// A person turns public ingestion back on: corrected at once (the private path holds), as
/// drift, with a PUT carrying both flags Disabled.
#[test]
fn insights_drift_is_corrected() {
    let mut azure = Azure::seed().with_associated("Premium");
    hub_scope(&mut azure, Some("Approved"));
    let mut c = Controller::new(enforcing_insights());
    c.settle(&mut azure, 300);
    azure.get_mut(APPI).expect("appi")["properties"]["publicNetworkAccessForIngestion"] =
        json!("Enabled");
    let plan = c.reconcile(&mut azure, network_world::Answer::Ok);
    assert!(
        matches!(&plan.action, planner::NetworkAction::Put { target, .. } if target == APPI),
        "{:?}",
        plan.action
    );
    assert!(
        plan.events.iter().any(|e| e.reason == "DriftCorrected"
            && e.note
                .contains("public network access for ingestion Enabled")),
        "{:?}",
        plan.events
    );
    assert_eq!(appi_flags(&azure), ("Disabled".into(), "Disabled".into()));
}

/// Observe mode, or Enforce without privateLinkScopeId: App Insights is reported by name with
/// what to set, and nothing is read of or written to any scope.
#[test]
fn insights_unmanaged_says_what_to_set() {
    for spec in [observing(), enforcing(true)] {
        let mut azure = Azure::seed().with_associated("Premium");
        hub_scope(&mut azure, Some("Approved"));
        let mut c = Controller::new(spec);
        c.settle(&mut azure, 300);
        let (_, _, message) = isolated(&c);
        assert!(
            message.contains(
                "Application Insights appi-mlw-prod: public network access for ingestion Enabled"
            ),
            "{message}"
        );
        assert!(
            message.contains("applicationInsights.privateLinkScopeId"),
            "{message}"
        );
        assert!(
            azure
                .writes
                .iter()
                .all(|(_, t, _)| !t.to_ascii_lowercase().contains("microsoft.insights"))
        );
    }
}

/// A malformed privateLinkScopeId (an object that skipped the CRD's validation) is Stalled
/// naming the field; nothing is written.
#[test]
fn insights_bad_scope_id_names_the_field() {
    let mut s = enforcing_insights();
    if let Some(a) = s.network.associated_resources.as_mut() {
        a.application_insights = Some(api::workspace::ApplicationInsightsPrivateLink {
            private_link_scope_id: "/subscriptions/x/providers/Microsoft.Insights/components/nope"
                .into(),
        });
    }
    let mut azure = Azure::seed().with_associated("Premium");
    let mut c = Controller::new(s);
    c.settle(&mut azure, 20);
    let stalled = c.condition("Stalled").expect("Stalled");
    assert!(
        stalled
            .2
            .contains("spec.network.associatedResources.applicationInsights.privateLinkScopeId"),
        "{stalled:?}"
    );
    assert!(azure.writes.is_empty(), "{:?}", azure.writes);
}
