//! A small model of Azure for the Workspace's network legs — the AML workspace with its private
//! endpoint connections, Network private endpoints, private DNS zones, VNet links and DNS zone
//! groups — with long-running operations, a person's drift, and a stand-in for the controller's
//! reconcile (poll → read → plan → write → status) that the planner tests drive.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::time::Duration;

use api::workspace::IsolationMode;
use api::{OperationStatus, WorkspaceSpec, WorkspaceStatus};
use k8s_openapi::jiff::Timestamp;
use planner::network::{EndpointObservation, NetworkTargets, WorkspaceZones, ZoneObservation};
use planner::progress::{failed, started};
use planner::workspace::{plan_workspace_in, workspace_reads_in};
use planner::{
    Failure, FailureClass, NetworkAction, NetworkObservation, Observation, OperationOutcome,
    WorkspaceInput, WorkspacePlan,
};
use serde_json::{Value, json};

pub const SUB: &str = "11111111-2222-3333-4444-555555555555";
pub const WS: &str = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/mlw-prod";
pub const VNET: &str = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-hub";
pub const PE: &str = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-net/providers/Microsoft.Network/privateEndpoints/mlw-prod-pe";
pub const ZONE_API: &str = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-dns/providers/Microsoft.Network/privateDnsZones/privatelink.api.azureml.ms";
pub const ZONE_NB: &str = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-dns/providers/Microsoft.Network/privateDnsZones/privatelink.notebooks.azure.net";
pub const OWNER: &str = "Workspace/ml-prod/housing";
/// The workspace's associated resources (named by its properties; not in [`Azure::seed`]).
pub const STORAGE: &str = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-ml/providers/Microsoft.Storage/storageAccounts/stmlwprod";
pub const VAULT: &str = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-ml/providers/Microsoft.KeyVault/vaults/kv-mlw-prod";
pub const REGISTRY: &str = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-ml/providers/Microsoft.ContainerRegistry/registries/crmlwprod";
pub const APPI: &str = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-ml/providers/Microsoft.Insights/components/appi-mlw-prod";

pub fn subnet() -> String {
    format!("{VNET}/subnets/pe")
}
pub fn group_id() -> String {
    format!("{PE}/privateDnsZoneGroups/default")
}
pub fn link_id(zone: &str) -> String {
    format!("{zone}/virtualNetworkLinks/vnet-hub-link")
}

pub fn now() -> Timestamp {
    Timestamp::from_second(1_800_000_000).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// How DNS is declared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dns {
    /// No private DNS.
    None,
    /// Zones created in rg-dns and linked to the hub VNet.
    Create,
    /// Existing zones by id, no links.
    Existing,
}

/// The seed example's Workspace spec, with variations.
pub fn spec(dns: Dns, approve: bool, mode: Option<IsolationMode>) -> WorkspaceSpec {
    let mut pe = json!({"name": "mlw-prod-pe", "subnetId": subnet()});
    if approve {
        pe["approve"] = json!(true);
    }
    match dns {
        Dns::None => {}
        Dns::Create => {
            pe["privateDnsZones"] =
                json!({"resourceGroup": "rg-dns", "linkVirtualNetworkId": VNET});
        }
        Dns::Existing => pe["privateDnsZones"] = json!({"zoneIds": [ZONE_API, ZONE_NB]}),
    }
    let mut network = json!({"publicNetworkAccess": "Disabled", "privateEndpoints": [pe]});
    if let Some(m) = mode {
        network["managedNetwork"] = json!({"isolationMode": m.as_str()});
    }
    serde_json::from_value(json!({"resourceId": WS, "network": network})).expect("spec")
}

/// An Azure operation in flight.
#[derive(Clone, Debug)]
pub struct Op {
    pub target: String,
    pub polls_left: u8,
    pub fail: bool,
    pub delete: bool,
    pub done: bool,
}

/// The model of Azure.
#[derive(Clone, Debug)]
pub struct Azure {
    /// Resources by lower-cased id.
    pub resources: BTreeMap<String, Value>,
    /// The controller's identity holds
    /// `Microsoft.MachineLearningServices/workspaces/privateEndpointConnectionsApproval/action`
    /// on the workspace: its `privateLinkServiceConnections` are auto-approved; without it Azure
    /// refuses them with 403 `LinkedAuthorizationFailed` (never Pending). Manual requests
    /// (`manualPrivateLinkServiceConnections`) are Pending whoever sends them.
    pub may_approve: bool,
    pub ops: BTreeMap<String, Op>,
    next: u32,
    /// Every write the controller sent: (verb, target, body).
    pub writes: Vec<(String, String, Value)>,
}

/// The private endpoint outbound rules Azure requires in a managed network that allows only
/// approved outbound (storage blob and file, key vault, registry, the workspace), all `status`.
pub fn required_rules(status: &str) -> Value {
    let mut rules = serde_json::Map::new();
    for (name, id, sub) in [
        ("__SYS_PE_stmlwprod_blob_5a1c0e21", STORAGE, "blob"),
        ("__SYS_PE_stmlwprod_file_5a1c0e21", STORAGE, "file"),
        ("__SYS_PE_kv-mlw-prod_vault_0b7d33a9", VAULT, "vault"),
        ("__SYS_PE_crmlwprod_registry_9e02f4c6", REGISTRY, "registry"),
        (
            "__SYS_PE_mlw-prod_amlworkspace_41c8d7e0",
            WS,
            "amlworkspace",
        ),
    ] {
        rules.insert(
            name.into(),
            json!({"type": "PrivateEndpoint", "category": "Required", "status": status,
                "destination": {"serviceResourceId": id, "subresourceTarget": sub}}),
        );
    }
    Value::Object(rules)
}

fn key(id: &str) -> String {
    id.to_ascii_lowercase()
}

/// A storage account, key vault or registry (the associated resources with private link).
pub fn is_associated(id: &str) -> bool {
    let id = key(id);
    ["/storageaccounts/", "/vaults/", "/registries/"]
        .iter()
        .any(|t| id.contains(t))
        && !id.contains("/privateendpointconnections/")
}

impl Azure {
    /// The sandbox seed: the workspace public, managed network off, the hub VNet.
    pub fn seed() -> Self {
        let mut resources = BTreeMap::new();
        resources.insert(
            key(WS),
            json!({"id": WS, "name": "mlw-prod", "location": "westeurope", "properties": {
                "provisioningState": "Succeeded", "publicNetworkAccess": "Enabled",
                "managedNetwork": {"isolationMode": "Disabled", "status": {"status": "Inactive"}},
                "storageAccount": STORAGE, "keyVault": VAULT, "containerRegistry": REGISTRY,
                "applicationInsights": APPI,
                // Image builds behind a private registry need it (associated_rules image_build_*).
                "imageBuildCompute": "cpu-build"
            }}),
        );
        resources.insert(
            key(VNET),
            json!({"id": VNET, "name": "vnet-hub", "location": "westeurope", "properties": {}}),
        );
        Self {
            resources,
            may_approve: true,
            ops: BTreeMap::new(),
            next: 0,
            writes: Vec::new(),
        }
    }

    pub fn get(&self, id: &str) -> Option<&Value> {
        self.resources.get(&key(id))
    }
    pub fn get_mut(&mut self, id: &str) -> Option<&mut Value> {
        self.resources.get_mut(&key(id))
    }
    pub fn exists(&self, id: &str) -> bool {
        self.get(id).is_some()
    }
    pub fn insert(&mut self, id: &str, body: Value) {
        self.resources.insert(key(id), body);
    }
    fn children(&self, parent: &str, kind: &str) -> Vec<Value> {
        let prefix = format!("{}/{}/", key(parent), kind.to_ascii_lowercase());
        self.resources
            .iter()
            .filter(|(k, _)| k.starts_with(&prefix) && !k[prefix.len()..].contains('/'))
            .map(|(_, v)| v.clone())
            .collect()
    }
    fn remove_tree(&mut self, id: &str) {
        let k = key(id);
        self.resources
            .retain(|r, _| r != &k && !r.starts_with(&format!("{k}/")));
    }

    /// A GET as ARM answers it: the workspace carries its connections, and so does an
    /// associated resource (those a test put in its body, then those private endpoints made).
    pub fn observe(&self, id: &str) -> Observation {
        match self.get(id) {
            None => Observation::Missing,
            Some(v) if planner::network::ids::same_id(id, WS) => {
                let mut v = v.clone();
                v["properties"]["privateEndpointConnections"] =
                    Value::Array(self.children(WS, "privateEndpointConnections"));
                Observation::Found(v)
            }
            Some(v) if is_associated(id) => {
                let mut v = v.clone();
                let mut connections: Vec<Value> = v
                    .pointer("/properties/privateEndpointConnections")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                connections.extend(self.children(id, "privateEndpointConnections"));
                v["properties"]["privateEndpointConnections"] = Value::Array(connections);
                Observation::Found(v)
            }
            Some(v) => Observation::Found(v.clone()),
        }
    }

    /// The sandbox's associated resources, public as a fresh workspace's are; the registry of
    /// the given SKU.
    pub fn with_associated(mut self, registry_sku: &str) -> Self {
        let public = |id: &str| {
            json!({"id": id, "name": planner::network::ids::name_of(id), "location": "westeurope",
                "properties": {"provisioningState": "Succeeded", "publicNetworkAccess": "Enabled"}})
        };
        self.insert(STORAGE, public(STORAGE));
        self.insert(VAULT, public(VAULT));
        let mut registry = public(REGISTRY);
        registry["sku"] = json!({"name": registry_sku});
        self.insert(REGISTRY, registry);
        self.insert(
            APPI,
            json!({"id": APPI, "properties": {"publicNetworkAccessForIngestion": "Enabled",
                "publicNetworkAccessForQuery": "Enabled"}}),
        );
        self
    }

    /// Every connection (on the workspace or an associated resource) of a private endpoint.
    pub fn connections_of(&self, pe_id: &str) -> Vec<Value> {
        self.resources
            .iter()
            .filter(|(k, _)| k.contains("/privateendpointconnections/"))
            .filter(|(_, c)| {
                c.pointer("/properties/privateEndpoint/id")
                    .and_then(Value::as_str)
                    .is_some_and(|p| p.eq_ignore_ascii_case(pe_id))
            })
            .map(|(_, c)| c.clone())
            .collect()
    }

    /// What the controller reads, as it reads it (children only under existing parents).
    pub fn read(&self, t: &NetworkTargets) -> NetworkObservation {
        let mut endpoints = Vec::new();
        for target in &t.endpoints {
            let mut o = EndpointObservation {
                private_endpoint: self.observe(&target.id),
                ..Default::default()
            };
            match &o.private_endpoint {
                Observation::Missing => o.vnet = self.observe(&target.vnet_id),
                _ => {
                    if let Some(g) = &target.zone_group_id {
                        o.zone_group = self.observe(g);
                    }
                }
            }
            for zone in &target.zones {
                let zone_obs = self.observe(&zone.id);
                let links = zone_obs
                    .found()
                    .map(|_| self.children(&zone.id, "virtualNetworkLinks"));
                o.zones.push(ZoneObservation {
                    zone: zone_obs,
                    links,
                });
            }
            endpoints.push(o);
        }
        NetworkObservation {
            endpoints,
            ..NetworkObservation::default()
        }
    }

    /// What the controller reads of the Application Insights private link: the hub's scope and
    /// the target scoped resource (applying), and the scoped resources status records that are
    /// not the target (all of them while deleting).
    pub fn read_insights(
        &self,
        target: Option<&planner::network::insights::InsightsTarget>,
        recorded: &[String],
        deleting: bool,
        pending: bool,
    ) -> planner::network::insights::InsightsObservation {
        let mut o = planner::network::insights::InsightsObservation::default();
        if pending {
            return o;
        }
        if let Some(t) = target.filter(|_| !deleting) {
            o.scope = self.observe(&t.scope_id);
            o.scoped_resource = self.observe(&t.scoped_resource_id);
        }
        o.recorded = planner::network::insights::recorded_reads(target, recorded, deleting)
            .iter()
            .map(|id| self.observe(id))
            .collect();
        o
    }

    /// `read`, then each private endpoint `status` lists that the targets no longer declare.
    pub fn read_with_removed(
        &self,
        t: &NetworkTargets,
        status: &WorkspaceStatus,
    ) -> NetworkObservation {
        let mut o = self.read(t);
        o.removed = planner::network::removed::removed_endpoints(t, status)
            .iter()
            .map(|r| self.observe(&r.id))
            .collect();
        o
    }

    fn state(&mut self, id: &str, state: &str) {
        if let Some(r) = self.get_mut(id) {
            r["properties"]["provisioningState"] = json!(state);
        }
    }

    fn start(&mut self, target: &str, fail: bool, delete: bool) -> String {
        self.next += 1;
        let url = format!("https://azure.test/operations/{}", self.next);
        self.ops.insert(
            url.clone(),
            Op {
                target: target.to_owned(),
                polls_left: 0,
                fail,
                delete,
                done: false,
            },
        );
        url
    }

    /// True while an operation of the controller runs.
    pub fn busy(&self) -> bool {
        self.ops.values().any(|o| !o.done)
    }

    /// Applies a write; returns the operation URL when Azure answers 201/202, or the error Azure
    /// answers instead.
    pub fn write(&mut self, action: &NetworkAction, fail: bool) -> Result<Option<String>, Failure> {
        let (verb, target, body) = match action {
            NetworkAction::Put { target, body, .. } => ("PUT", target, body.clone()),
            NetworkAction::Patch { target, body } => ("PATCH", target, body.clone()),
            NetworkAction::Post { target, body, .. } => ("POST", target, body.clone()),
            NetworkAction::Delete { target } => ("DELETE", target, Value::Null),
            _ => return Ok(None),
        };
        let auto = body
            .pointer("/properties/privateLinkServiceConnections")
            .and_then(Value::as_array)
            .is_some_and(|c| !c.is_empty());
        if verb == "PUT" && !self.exists(target) && auto && !self.may_approve {
            self.writes
                .push((verb.to_owned(), target.clone(), body.clone()));
            return Err(Failure::new(
                FailureClass::Terminal,
                "LinkedAuthorizationFailed",
                format!(
                    "The client 'c' with object id 'o' has permission to perform action 'Microsoft.Network/privateEndpoints/write' on scope '{target}'; however, it does not have permission to perform action 'PrivateEndpointConnectionsApproval/action' on the linked scope(s) '{WS}' or the linked scope(s) are invalid."
                ),
            ));
        }
        Ok(self.apply(verb, target, &body, fail))
    }

    fn apply(&mut self, verb: &str, target: &str, body: &Value, fail: bool) -> Option<String> {
        self.writes
            .push((verb.to_owned(), target.to_owned(), body.clone()));
        let lower = key(target);
        match verb {
            // An Azure Monitor scoped resource is created Succeeded at once, and a component's
            // PUT changes its flags (as the ARM emulator's world/private_link_scope.rs and
            // world/associated.rs, which cite the specs).
            "PUT" if lower.contains("/scopedresources/") => {
                let mut b = body.clone();
                b["id"] = json!(target);
                b["properties"]["provisioningState"] = json!("Succeeded");
                self.insert(target, b);
                None
            }
            "PUT" if lower.contains("/microsoft.insights/components/") => {
                let r = self.get_mut(target)?;
                for f in [
                    "publicNetworkAccessForIngestion",
                    "publicNetworkAccessForQuery",
                ] {
                    r["properties"][f] = body
                        .pointer(&format!("/properties/{f}"))
                        .cloned()
                        .unwrap_or(json!("Enabled"));
                }
                None
            }
            // Storage, key vault and registry PATCHes answer 200 at once (see the ARM
            // emulator's world/associated.rs for the specs).
            "PATCH" if is_associated(target) => {
                let r = self.get_mut(target)?;
                if let Some(p) = body.pointer("/properties/publicNetworkAccess") {
                    r["properties"]["publicNetworkAccess"] = p.clone();
                }
                None
            }
            "PATCH" => {
                let ws = self.get_mut(target)?;
                if let Some(p) = body.pointer("/properties/publicNetworkAccess") {
                    ws["properties"]["publicNetworkAccess"] = p.clone();
                }
                if let Some(c) = body.pointer("/properties/imageBuildCompute") {
                    ws["properties"]["imageBuildCompute"] = c.clone();
                }
                if let Some(m) = body.pointer("/properties/managedNetwork/isolationMode") {
                    // Allow only approved outbound: Azure adds its required private endpoint
                    // rules, Inactive until the network is provisioned (as the ARM emulator's
                    // world/managed_network.rs, which cites the sources).
                    let rules = if m == "AllowOnlyApprovedOutbound" {
                        required_rules("Inactive")
                    } else {
                        json!({})
                    };
                    ws["properties"]["managedNetwork"] = json!({"isolationMode": m,
                        "status": {"status": "Inactive"}, "outboundRules": rules});
                }
                ws["properties"]["provisioningState"] = json!("Updating");
                Some(self.start(target, fail, false))
            }
            "POST" => Some(self.start(&format!("{target}#provision"), fail, false)),
            "DELETE" => {
                if !self.exists(target) {
                    return None;
                }
                self.state(target, "Deleting");
                Some(self.start(target, fail, true))
            }
            _ if lower.contains("/privateendpointconnections/") => {
                if let Some(c) = self.get_mut(target) {
                    c["properties"]["privateLinkServiceConnectionState"] = body
                        .pointer("/properties/privateLinkServiceConnectionState")
                        .cloned()
                        .unwrap_or(Value::Null);
                }
                None
            }
            _ if lower.contains("/privatednszonegroups/") => {
                let mut b = body.clone();
                b["id"] = json!(target);
                b["properties"]["provisioningState"] = json!("Updating");
                self.insert(target, b);
                Some(self.start(target, fail, false))
            }
            _ if lower.contains("/virtualnetworklinks/") => {
                let mut b = body.clone();
                b["id"] = json!(target);
                b["properties"]["provisioningState"] = json!("Creating");
                b["properties"]["virtualNetworkLinkState"] = json!("InProgress");
                self.insert(target, b);
                Some(self.start(target, fail, false))
            }
            _ if lower.contains("/privatednszones/") => {
                let mut b = body.clone();
                b["id"] = json!(target);
                b["name"] = json!(planner::network::ids::name_of(target));
                b["properties"] = json!({"provisioningState": "Creating", "numberOfRecordSets": 1});
                self.insert(target, b);
                Some(self.start(target, fail, false))
            }
            _ if self.exists(target) => {
                // A private endpoint provisioned again: its connection stays.
                self.state(target, "Updating");
                Some(self.start(target, fail, false))
            }
            _ => {
                // A Network private endpoint and the workspace's connection to it.
                let mut b = body.clone();
                b["id"] = json!(target);
                b["properties"]["provisioningState"] = json!("Creating");
                let manual = b
                    .pointer("/properties/manualPrivateLinkServiceConnections")
                    .and_then(Value::as_array)
                    .is_some_and(|c| !c.is_empty());
                let status = if manual { "Pending" } else { "Approved" };
                for field in [
                    "privateLinkServiceConnections",
                    "manualPrivateLinkServiceConnections",
                ] {
                    if let Some(c) = b.pointer_mut(&format!("/properties/{field}/0/properties")) {
                        c["privateLinkServiceConnectionState"] = json!({"status": status});
                    }
                }
                let service = [
                    "/properties/privateLinkServiceConnections/0/properties/privateLinkServiceId",
                    "/properties/manualPrivateLinkServiceConnections/0/properties/privateLinkServiceId",
                ]
                .iter()
                .find_map(|p| b.pointer(p).and_then(Value::as_str))
                .unwrap_or(WS)
                .to_owned();
                self.insert(target, b);
                let conn = format!(
                    "{service}/privateEndpointConnections/{}.{}",
                    planner::network::ids::name_of(target),
                    self.next
                );
                self.insert(
                    &conn,
                    json!({"id": conn, "name": planner::network::ids::name_of(&conn), "properties": {
                        "privateEndpoint": {"id": target},
                        "privateLinkServiceConnectionState": {"status": status, "description": ""}
                    }}),
                );
                Some(self.start(target, fail, false))
            }
        }
    }

    /// Time passes: operations due finish (their effect happens).
    pub fn tick(&mut self) {
        let due: Vec<String> = self
            .ops
            .iter()
            .filter(|(_, o)| !o.done && o.polls_left == 0)
            .map(|(u, _)| u.clone())
            .collect();
        for url in due {
            let Some(op) = self.ops.get(&url).cloned() else {
                continue;
            };
            if let Some(target) = op.target.strip_suffix("#provision") {
                if !op.fail
                    && let Some(ws) = self.get_mut(target)
                {
                    ws["properties"]["managedNetwork"]["status"] = json!({"status": "Active"});
                    if let Some(rules) = ws
                        .pointer_mut("/properties/managedNetwork/outboundRules")
                        .and_then(Value::as_object_mut)
                    {
                        for rule in rules.values_mut() {
                            rule["status"] = json!("Active");
                        }
                    }
                }
            } else if op.delete && !op.fail {
                self.delete_now(&op.target);
            } else {
                let state = if op.fail { "Failed" } else { "Succeeded" };
                self.state(&op.target, state);
                let lower = key(&op.target);
                if !op.fail
                    && lower.contains("/virtualnetworklinks/")
                    && let Some(l) = self.get_mut(&op.target)
                {
                    l["properties"]["virtualNetworkLinkState"] = json!("Completed");
                }
                if !op.fail && lower.contains("/privatednszonegroups/") {
                    self.write_records(&op.target);
                }
            }
            if let Some(o) = self.ops.get_mut(&url) {
                o.done = true;
            }
        }
        for op in self.ops.values_mut().filter(|o| !o.done) {
            op.polls_left = op.polls_left.saturating_sub(1);
        }
        // Links Azure re-provisions on its own settle with time.
        for (id, link) in &mut self.resources {
            if id.contains("/virtualnetworklinks/")
                && link.pointer("/properties/provisioningState") == Some(&json!("Succeeded"))
            {
                link["properties"]["virtualNetworkLinkState"] = json!("Completed");
            }
        }
    }

    fn write_records(&mut self, group: &str) {
        let Some(g) = self.get_mut(group) else {
            return;
        };
        if let Some(configs) = g
            .pointer_mut("/properties/privateDnsZoneConfigs")
            .and_then(Value::as_array_mut)
        {
            for c in configs {
                c["properties"]["recordSets"] = json!([{"recordType": "A", "recordSetName": "x", "ipAddresses": ["10.10.1.4"]}]);
            }
        }
        let zones: Vec<String> = self
            .get(group)
            .and_then(|g| g.pointer("/properties/privateDnsZoneConfigs"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|c| {
                c.pointer("/properties/privateDnsZoneId")
                    .and_then(Value::as_str)
            })
            .map(str::to_owned)
            .collect();
        for z in zones {
            if let Some(zone) = self.get_mut(&z) {
                let n = zone["properties"]["numberOfRecordSets"]
                    .as_i64()
                    .unwrap_or(1);
                zone["properties"]["numberOfRecordSets"] = json!(n + 1);
            }
        }
    }

    /// A resource goes away with its children; a private endpoint takes its connection and
    /// records with it.
    pub fn delete_now(&mut self, id: &str) {
        let lower = key(id);
        if lower.contains("/privateendpoints/") && !lower.contains("/privatednszonegroups/") {
            let conns: Vec<String> = self
                .connections_of(id)
                .iter()
                .filter_map(|c| c["id"].as_str().map(str::to_owned))
                .collect();
            for c in conns {
                self.remove_tree(&c);
            }
        }
        if lower.contains("/privatednszonegroups/") || lower.contains("/privateendpoints/") {
            let group = if lower.contains("/privatednszonegroups/") {
                id.to_owned()
            } else {
                format!("{id}/privateDnsZoneGroups/default")
            };
            let written = self
                .get(&group)
                .and_then(|g| {
                    g.pointer("/properties/privateDnsZoneConfigs/0/properties/recordSets")
                })
                .and_then(Value::as_array)
                .is_some_and(|r| !r.is_empty());
            let zones: Vec<String> = self
                .get(&group)
                .and_then(|g| g.pointer("/properties/privateDnsZoneConfigs"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|c| {
                    c.pointer("/properties/privateDnsZoneId")
                        .and_then(Value::as_str)
                })
                .map(str::to_owned)
                .collect();
            if written {
                for z in &zones {
                    if let Some(zone) = self.get_mut(z) {
                        let n = zone["properties"]["numberOfRecordSets"]
                            .as_i64()
                            .unwrap_or(1);
                        zone["properties"]["numberOfRecordSets"] = json!((n - 1).max(1));
                    }
                }
            }
        }
        self.remove_tree(id);
    }

    pub fn poll(&mut self, url: &str) -> OperationOutcome {
        match self.ops.get(url) {
            Some(op) if op.done => {
                let fail = op.fail;
                self.ops.remove(url);
                if fail {
                    OperationOutcome::Failed(Failure::new(
                        FailureClass::Terminal,
                        "InternalOperationFailed",
                        "the operation failed",
                    ))
                } else {
                    OperationOutcome::Succeeded
                }
            }
            Some(_) => OperationOutcome::Pending {
                retry_after: Duration::from_secs(2),
            },
            None => OperationOutcome::Succeeded,
        }
    }

    /// The workspace-side connection of the private endpoint, if any.
    pub fn connection(&self) -> Option<Value> {
        self.children(WS, "privateEndpointConnections")
            .into_iter()
            .next()
    }

    /// A person sets a connection's status (approve, reject).
    pub fn set_connection(&mut self, status: &str) {
        if let Some(c) = self.connection()
            && let Some(id) = c["id"].as_str()
            && let Some(conn) = self.get_mut(id)
        {
            conn["properties"]["privateLinkServiceConnectionState"]["status"] = json!(status);
        }
    }

    /// The workspace's public access.
    pub fn public_access(&self) -> String {
        self.get(WS)
            .and_then(|w| w.pointer("/properties/publicNetworkAccess"))
            .and_then(Value::as_str)
            .unwrap_or("Enabled")
            .to_owned()
    }
}

/// How Azure answers the next write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    Ok,
    OkThenFail,
    Throttled,
    Busy,
    BadRequest,
}

fn failure_for(answer: Answer) -> Option<Failure> {
    match answer {
        Answer::Throttled => Some(Failure::new(
            FailureClass::Throttled {
                retry_after: Duration::from_secs(3),
            },
            "TooManyRequests",
            "throttled",
        )),
        Answer::Busy => Some(Failure::new(FailureClass::Conflict, "Conflict", "busy")),
        Answer::BadRequest => Some(Failure::new(
            FailureClass::Terminal,
            "BadRequest",
            "refused",
        )),
        Answer::Ok | Answer::OkThenFail => None,
    }
}

/// A Workspace object and the controller's handling of it against [`Azure`].
#[derive(Clone, Debug)]
pub struct Controller {
    pub spec: WorkspaceSpec,
    pub generation: i64,
    pub status: WorkspaceStatus,
    pub deleting: bool,
    pub endpoints: Vec<String>,
    pub now: Timestamp,
    pub finalized: bool,
    /// The private DNS zone names of the controller's cloud.
    pub zones: WorkspaceZones,
}

impl Controller {
    pub fn new(spec: WorkspaceSpec) -> Self {
        Self {
            spec,
            generation: 1,
            status: WorkspaceStatus::default(),
            deleting: false,
            endpoints: Vec::new(),
            now: now(),
            finalized: false,
            zones: WorkspaceZones::AZURE_CLOUD,
        }
    }

    pub fn targets(&self) -> NetworkTargets {
        workspace_reads_in("ml-prod", "housing", &self.spec, self.zones).expect("targets")
    }

    /// One reconcile, as the controller runs it; returns the plan.
    pub fn reconcile(&mut self, azure: &mut Azure, answer: Answer) -> WorkspacePlan {
        self.now += Duration::from_secs(1);
        let operation = match &self.status.operation {
            Some(op) => azure.poll(&op.url),
            None => OperationOutcome::None,
        };
        let pending = matches!(operation, OperationOutcome::Pending { .. });
        // As the controller reads: the workspace (also when deleting a Workspace that enforces
        // its associated resources), the associated resources, then the network of every
        // target, the associated resources' private endpoints included.
        let base = workspace_reads_in("ml-prod", "housing", &self.spec, self.zones).ok();
        let enforces = planner::network::associated::enforces(&self.spec);
        let observed = if pending || (self.deleting && !enforces) {
            Observation::Skipped
        } else {
            azure.observe(WS)
        };
        let associated: Vec<Observation> = if base.is_some() && !pending && !self.deleting {
            planner::network::associated::associated_reads(&self.spec, &observed)
                .iter()
                .map(|t| azure.observe(&t.id))
                .collect()
        } else {
            Vec::new()
        };
        let targets = base.and_then(|_| {
            planner::workspace::workspace_targets_in(
                "ml-prod",
                "housing",
                &self.spec,
                self.zones,
                &observed,
                &associated,
            )
            .ok()
            .or_else(|| workspace_reads_in("ml-prod", "housing", &self.spec, self.zones).ok())
        });
        let mut network = match &targets {
            Some(t) if !pending => azure.read_with_removed(t, &self.status),
            _ => NetworkObservation::default(),
        };
        network.associated = associated;
        network.insights = azure.read_insights(
            targets.as_ref().and_then(|t| t.insights.as_ref()),
            &self.status.private_link_scoped_resources,
            self.deleting,
            pending,
        );
        let plan = plan_workspace_in(
            &WorkspaceInput {
                namespace: "ml-prod",
                name: "housing",
                generation: Some(self.generation),
                spec: &self.spec,
                status: &self.status,
                deleting: self.deleting,
                observed: &observed,
                network: &network,
                operation: &operation,
                endpoints: &self.endpoints,
                lifecycle: &planner::Lifecycle::default(),
                now: self.now,
            },
            self.zones,
        );
        let mut status = plan.status.clone();
        if plan.action.is_write() {
            match failure_for(answer) {
                Some(f) => {
                    failed(&mut status, Some(self.generation), &f, false, self.now);
                }
                None => match azure.write(&plan.action, answer == Answer::OkThenFail) {
                    Ok(Some(url)) => {
                        let op = OperationStatus {
                            kind: plan.action.operation_kind().to_owned(),
                            url,
                            polling: "AzureAsyncOperation".into(),
                            resource_id: plan.action.target().unwrap_or_default().to_owned(),
                            started_at: "2026-11-26T00:00:00Z".into(),
                        };
                        started(&mut status, Some(self.generation), op, self.now);
                    }
                    Ok(None) => {}
                    Err(f) => {
                        failed(&mut status, Some(self.generation), &f, false, self.now);
                    }
                },
            }
        }
        if plan.action == NetworkAction::RemoveFinalizer {
            self.finalized = true;
        }
        self.status = status;
        plan
    }

    /// Reconciles (Azure answering Ok, time passing) until nothing is left to do or `limit`.
    pub fn settle(&mut self, azure: &mut Azure, limit: usize) -> Vec<WorkspacePlan> {
        let mut plans = Vec::new();
        for _ in 0..limit {
            let plan = self.reconcile(azure, Answer::Ok);
            let quiet = !plan.action.is_write() && self.status.operation.is_none();
            plans.push(plan);
            azure.tick();
            if quiet && !azure.busy() {
                // One more look: the last write may have finished at this tick.
                let again = self.reconcile(azure, Answer::Ok);
                let done = !again.action.is_write() && self.status.operation.is_none();
                plans.push(again);
                azure.tick();
                if done {
                    break;
                }
            }
        }
        plans
    }

    /// A condition of the status: (status, reason, message).
    pub fn condition(&self, type_: &str) -> Option<(String, String, String)> {
        self.status
            .conditions
            .iter()
            .find(|c| c.type_ == type_)
            .map(|c| (c.status.clone(), c.reason.clone(), c.message.clone()))
    }
}
