//! The emulated Azure: every resource's state, the long-running operations moving it, and the
//! service rules that decide what a request may do.
//!
//! Invariants:
//! - Resources are keyed by their lower-cased id; each keeps the id's casing from creation.
//! - A resource has at most one operation in flight (`Resource::op`); while it runs the
//!   resource's provisioningState is Creating/Updating/Scaling/Deleting.
//! - Operations finish lazily: [`World::advance`] (called before every request and admin read)
//!   completes every operation whose due time has passed, in due order, so state only moves
//!   forward and answers are reproducible without background tasks.
//! - Every change of a resource's state is journalled (`record`).

mod assets;
mod associated;
mod autoscale;
mod dns_zone_group;
mod drift;
mod managed_network;
mod ml_deployment;
mod ml_endpoint;
mod ml_workspace;
mod network;
mod operations;
mod private_dns;
mod private_link_scope;
mod render;
mod seeding;
mod validation;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::sync::Arc;
use std::time::Instant;

use axum::http::StatusCode;
use jiff::Timestamp;
use serde_json::{Map, Value};

pub(crate) use associated::Associated;
pub use drift::Drift;
pub(crate) use operations::Operation;
pub(crate) use private_dns::Preconditions;

use crate::config::EmulatorConfig;
use crate::journal::{Journal, JournalEntry, StateChange};
use crate::wire::ArmError;
use crate::wire::path::{self, key};

/// What a resource is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Subscription,
    ResourceGroup,
    Workspace,
    WorkspaceConnection,
    OnlineEndpoint,
    OnlineDeployment,
    VirtualNetwork,
    Subnet,
    PrivateEndpoint,
    DnsZoneGroup,
    PrivateDnsZone,
    VirtualNetworkLink,
    DnsARecord,
    StorageAccount,
    KeyVault,
    ContainerRegistry,
    AppInsights,
    /// A private endpoint connection of a storage account, key vault or registry.
    LinkedConnection,
    /// An Azure ML registry (`Microsoft.MachineLearningServices/registries`).
    MlRegistry,
    /// A model, environment or code version in a workspace or registry.
    AssetVersion,
    /// An Azure Monitor autoscale setting (`Microsoft.Insights/autoscalesettings`).
    AutoscaleSetting,
    /// An Azure Monitor Private Link Scope (`Microsoft.Insights/privateLinkScopes`).
    PrivateLinkScope,
    /// A scoped resource of a Private Link Scope.
    ScopedResource,
}

/// One resource.
#[derive(Debug, Clone)]
pub(crate) struct Resource {
    pub id: String,
    pub kind: Kind,
    /// The JSON ARM answers for it (composed parts such as a workspace's connection list or a
    /// zone's counters are added when rendering).
    pub body: Value,
    /// The operation in flight, if any.
    pub op: Option<String>,
    /// Endpoint keys (never rendered in the resource body).
    pub keys: Option<(String, String)>,
}

/// What one request does to the caller's context.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    /// Client id of the caller (or `portal` / `emulator` for admin calls).
    pub actor: String,
    /// Tenant of the caller (for rendered identities).
    pub tenant: String,
    /// api-version of the request (echoed into LRO URLs).
    pub api_version: String,
    pub now: Timestamp,
    pub instant: Instant,
}

impl Ctx {
    pub fn admin(actor: &str) -> Self {
        Self {
            actor: actor.to_string(),
            tenant: String::new(),
            api_version: String::new(),
            now: Timestamp::now(),
            instant: Instant::now(),
        }
    }
}

/// LRO links of an answer (paths; the HTTP layer makes them absolute).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LroLinks {
    pub azure_async_operation: Option<String>,
    pub location: Option<String>,
    pub retry_after_secs: u64,
    pub timeout: Option<&'static str>,
}

/// A successful answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Answer {
    pub status: StatusCode,
    pub body: Option<Value>,
    pub lro: Option<LroLinks>,
}

impl Answer {
    pub fn ok(body: Value) -> Self {
        Self {
            status: StatusCode::OK,
            body: Some(body),
            lro: None,
        }
    }
    pub fn status(status: StatusCode) -> Self {
        Self {
            status,
            body: None,
            lro: None,
        }
    }
}

/// A failure an admin asked for: the next operation started on a resource ends with it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OperationFailure {
    pub code: String,
    pub message: String,
}

/// The emulated Azure.
#[derive(Debug)]
pub(crate) struct World {
    store: BTreeMap<String, Resource>,
    ops: HashMap<String, Operation>,
    due: BinaryHeap<Reverse<(Instant, u64, String)>>,
    op_seq: u64,
    fail_next: HashMap<String, OperationFailure>,
    /// `lower deployment id|ContainerType` → log text an admin set (see `set_container_logs`).
    container_logs: HashMap<String, String>,
    next_ip: HashMap<String, u32>,
    /// `region|lower-name` → endpoint key: endpoint names are unique per region.
    endpoint_names: HashMap<String, String>,
    /// Zone group key → keys of the A records it wrote.
    group_records: HashMap<String, Vec<String>>,
    config: Arc<EmulatorConfig>,
    journal: Arc<Journal>,
}

impl World {
    pub fn new(config: Arc<EmulatorConfig>, journal: Arc<Journal>) -> Self {
        Self {
            store: BTreeMap::new(),
            ops: HashMap::new(),
            due: BinaryHeap::new(),
            op_seq: 0,
            fail_next: HashMap::new(),
            container_logs: HashMap::new(),
            next_ip: HashMap::new(),
            endpoint_names: HashMap::new(),
            group_records: HashMap::new(),
            config,
            journal,
        }
    }

    pub fn resource_count(&self) -> usize {
        self.store.len()
    }

    fn get(&self, id: &str) -> Option<&Resource> {
        self.store.get(&key(id))
    }

    fn get_mut(&mut self, id: &str) -> Option<&mut Resource> {
        self.store.get_mut(&key(id))
    }

    fn insert(&mut self, resource: Resource) {
        self.store.insert(key(&resource.id), resource);
    }

    /// Resources directly below `parent_id` whose type segment is `child_type` (any case).
    fn children(&self, parent_id: &str, child_type: &str) -> Vec<&Resource> {
        let prefix = format!("{}/{}/", key(parent_id), child_type.to_ascii_lowercase());
        self.store
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter(|(k, _)| !k[prefix.len()..].contains('/'))
            .map(|(_, r)| r)
            .collect()
    }

    /// Every key at or below `id`.
    fn subtree_keys(&self, id: &str) -> Vec<String> {
        let k = key(id);
        let prefix = format!("{k}/");
        let mut keys: Vec<String> = self
            .store
            .range(prefix.clone()..)
            .take_while(|(key, _)| key.starts_with(&prefix))
            .map(|(key, _)| key.clone())
            .collect();
        if self.store.contains_key(&k) {
            keys.push(k);
        }
        keys
    }

    /// 404 unless the subscription and resource group exist.
    fn require_resource_group(&self, sub: &str, rg: &str) -> Result<(), ArmError> {
        if self.get(&format!("/subscriptions/{sub}")).is_none() {
            return Err(ArmError::new(
                StatusCode::NOT_FOUND,
                "SubscriptionNotFound",
                format!("The subscription '{sub}' could not be found."),
            ));
        }
        if self
            .get(&format!("/subscriptions/{sub}/resourceGroups/{rg}"))
            .is_none()
        {
            return Err(ArmError::new(
                StatusCode::NOT_FOUND,
                "ResourceGroupNotFound",
                format!("Resource group '{rg}' could not be found."),
            ));
        }
        Ok(())
    }

    /// The resource, or ARM's 404 (resource group first, then the resource).
    fn require(&self, id: &str) -> Result<&Resource, ArmError> {
        if let (Some(sub), Some(rg)) = (path::subscription_of(id), path::resource_group_of(id)) {
            self.require_resource_group(sub, rg)?;
        }
        self.get(id).ok_or_else(|| {
            ArmError::not_found(
                &path::resource_type_of(id),
                path::name_of(id),
                path::resource_group_of(id),
            )
        })
    }

    /// Journal the current state of `id` (or its deletion when it no longer exists).
    fn record(&self, id: &str, change: &str, actor: &str, time: Timestamp) {
        let resource = self.get(id);
        let props = resource.and_then(|r| r.body.get("properties"));
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
        let mut isolation = Map::new();
        if let Some(r) = resource {
            self.isolation_properties(r, &mut isolation);
        }
        self.journal.push(JournalEntry::StateChange(StateChange {
            time: time.to_string(),
            resource_id: resource.map_or_else(|| id.to_string(), |r| r.id.clone()),
            resource_type: path::resource_type_of(id),
            change: change.to_string(),
            actor: actor.to_string(),
            provisioning_state: text(props.and_then(|p| p.get("provisioningState"))),
            public_network_access: text(props.and_then(|p| p.get("publicNetworkAccess"))),
            isolation,
        }));
    }

    fn isolation_properties(&self, r: &Resource, out: &mut Map<String, Value>) {
        let props = r.body.get("properties").cloned().unwrap_or(Value::Null);
        let mut copy = |name: &str, value: Option<&Value>| {
            if let Some(v) = value {
                out.insert(name.to_string(), v.clone());
            }
        };
        match r.kind {
            Kind::OnlineEndpoint => {
                copy("traffic", props.get("traffic"));
                copy("mirrorTraffic", props.get("mirrorTraffic"));
                copy("authMode", props.get("authMode"));
            }
            Kind::OnlineDeployment => {
                copy(
                    "egressPublicNetworkAccess",
                    props.get("egressPublicNetworkAccess"),
                );
                copy("instanceType", props.get("instanceType"));
                copy("instanceCount", r.body.pointer("/sku/capacity"));
            }
            Kind::Workspace => {
                copy(
                    "managedNetworkIsolationMode",
                    props.pointer("/managedNetwork/isolationMode"),
                );
                copy(
                    "managedNetworkStatus",
                    props.pointer("/managedNetwork/status/status"),
                );
                let connections: Vec<Value> = self
                    .children(&r.id, "privateEndpointConnections")
                    .iter()
                    .map(|c| {
                        serde_json::json!({
                            "name": c.body.get("name"),
                            "status": c.body.pointer("/properties/privateLinkServiceConnectionState/status"),
                        })
                    })
                    .collect();
                out.insert(
                    "privateEndpointConnections".into(),
                    Value::Array(connections),
                );
            }
            Kind::WorkspaceConnection => {
                copy(
                    "status",
                    props.pointer("/privateLinkServiceConnectionState/status"),
                );
                copy("privateEndpoint", props.pointer("/privateEndpoint/id"));
            }
            Kind::PrivateEndpoint => {
                copy("subnet", props.pointer("/subnet/id"));
                let statuses: Vec<Value> = [
                    "privateLinkServiceConnections",
                    "manualPrivateLinkServiceConnections",
                ]
                .iter()
                .flat_map(|f| {
                    props
                        .get(*f)
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default()
                })
                .filter_map(|c| {
                    c.pointer("/properties/privateLinkServiceConnectionState/status")
                        .cloned()
                })
                .collect();
                out.insert("connectionStatuses".into(), Value::Array(statuses));
            }
            Kind::DnsZoneGroup => {
                let records = self.group_records.get(&key(&r.id)).map_or(0, Vec::len);
                out.insert("recordCount".into(), Value::from(records));
            }
            Kind::VirtualNetworkLink => {
                copy(
                    "virtualNetworkLinkState",
                    props.get("virtualNetworkLinkState"),
                );
                copy("virtualNetwork", props.pointer("/virtualNetwork/id"));
            }
            Kind::DnsARecord => {
                copy("aRecords", props.get("aRecords"));
            }
            Kind::StorageAccount | Kind::KeyVault | Kind::ContainerRegistry => {
                copy(
                    "networkAclsDefaultAction",
                    props
                        .pointer("/networkAcls/defaultAction")
                        .or_else(|| props.pointer("/networkRuleSet/defaultAction")),
                );
                copy("sku", r.body.pointer("/sku/name"));
                let connections: Vec<Value> = self
                    .children(&r.id, "privateEndpointConnections")
                    .iter()
                    .map(|c| {
                        serde_json::json!({
                            "privateEndpoint": c.body.pointer("/properties/privateEndpoint/id"),
                            "status": c.body.pointer("/properties/privateLinkServiceConnectionState/status"),
                        })
                    })
                    .collect();
                out.insert(
                    "privateEndpointConnections".into(),
                    Value::Array(connections),
                );
            }
            Kind::AppInsights => {
                copy(
                    "publicNetworkAccessForIngestion",
                    props.get("publicNetworkAccessForIngestion"),
                );
                copy(
                    "publicNetworkAccessForQuery",
                    props.get("publicNetworkAccessForQuery"),
                );
            }
            _ => {}
        }
    }
}

/// Set `properties.provisioningState`.
fn set_provisioning_state(body: &mut Value, state: &str) {
    if let Some(props) = body.get_mut("properties").and_then(Value::as_object_mut) {
        props.insert("provisioningState".into(), Value::String(state.to_string()));
    }
}

fn provisioning_state(body: &Value) -> &str {
    body.pointer("/properties/provisioningState")
        .and_then(Value::as_str)
        .unwrap_or("Succeeded")
}

/// Is an operation running according to the provisioningState?
fn is_busy(body: &Value) -> bool {
    matches!(
        provisioning_state(body),
        "Creating" | "Updating" | "Deleting" | "Scaling" | "Accepted" | "Provisioning"
    )
}
