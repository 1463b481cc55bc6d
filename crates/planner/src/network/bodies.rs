//! The bodies the network legs send, and the readings they take from what Azure returned.
//!
//! Invariants: every body the controller creates carries the owner tag (DNS zone groups, which
//! have no tags, belong to their private endpoint); no body sets `publicNetworkAccess` to
//! anything but the spec's value.

use serde_json::{Map, Value, json};

use super::ids::same_id;
use super::targets::{EndpointTarget, LinkTarget, NetworkTargets, OWNER_TAG, ZoneTarget};
use crate::observe::str_at;

fn owner_tags(targets: &NetworkTargets) -> Value {
    json!({ OWNER_TAG: targets.owner, "managed-by": "aml-operator" })
}

/// The Network private endpoint to create: one connection to its private link service's group
/// (the workspace's `amlworkspace`, or an associated resource's `blob`, `file`, `vault`,
/// `registry`). With `approve: true` (the controller holds
/// `Microsoft.MachineLearningServices/workspaces/privateEndpointConnectionsApproval/action`) it
/// asks for automatic approval (`privateLinkServiceConnections`); Azure refuses that with 403
/// `LinkedAuthorizationFailed` from a caller without the permission rather than leaving it
/// Pending. Otherwise it is a manual request (`manualPrivateLinkServiceConnections` with a
/// request message), Pending until the workspace's owner approves it (Microsoft Learn, "Manage
/// a Private Endpoint connection": automatic vs manual approval).
pub fn private_endpoint_body(
    targets: &NetworkTargets,
    endpoint: &EndpointTarget,
    location: &str,
) -> Value {
    let mut connection = json!({
        "name": endpoint.name,
        "properties": {
            "privateLinkServiceId": endpoint.service_id,
            "groupIds": [endpoint.group_id],
        }
    });
    let field = if endpoint.approve {
        "privateLinkServiceConnections"
    } else {
        connection["properties"]["requestMessage"] = json!(request_message(&targets.owner));
        "manualPrivateLinkServiceConnections"
    };
    json!({
        "location": location,
        "tags": owner_tags(targets),
        "properties": {
            "subnet": {"id": endpoint.subnet_id},
            field: [connection],
        }
    })
}

/// The longest `requestMessage` Azure takes: "Restricted to 140 chars." (Microsoft.Network
/// `privateEndpoint.json`, `PrivateLinkServiceConnectionProperties.requestMessage`).
pub const REQUEST_MESSAGE_MAX: usize = 140;

/// The message a manual connection request carries to the workspace's owner, at most
/// [`REQUEST_MESSAGE_MAX`] characters (a long owner is cut, ending in `…`).
pub fn request_message(owner: &str) -> String {
    let full = format!("Requested by aml-operator for {owner}");
    if full.chars().count() <= REQUEST_MESSAGE_MAX {
        return full;
    }
    let mut cut: String = full.chars().take(REQUEST_MESSAGE_MAX - 1).collect();
    cut.push('…');
    cut
}

/// A private DNS zone to create.
pub fn zone_body(targets: &NetworkTargets) -> Value {
    json!({"location": "global", "tags": owner_tags(targets)})
}

/// A VNet link to create: resolution only, no auto-registration.
pub fn link_body(targets: &NetworkTargets, link: &LinkTarget) -> Value {
    json!({
        "location": "global",
        "tags": owner_tags(targets),
        "properties": {"virtualNetwork": {"id": link.vnet_id}, "registrationEnabled": false}
    })
}

/// The DNS zone group naming every zone of the endpoint.
pub fn zone_group_body(zones: &[ZoneTarget]) -> Value {
    let configs: Vec<Value> = zones
        .iter()
        .map(|z| json!({"name": z.config_name(), "properties": {"privateDnsZoneId": z.id}}))
        .collect();
    json!({"properties": {"privateDnsZoneConfigs": configs}})
}

/// The approval of a workspace's private endpoint connection.
pub fn approval_body(targets: &NetworkTargets, private_endpoint_id: &str) -> Value {
    json!({
        "properties": {
            "privateEndpoint": {"id": private_endpoint_id},
            "privateLinkServiceConnectionState": {
                "status": "Approved",
                "description": format!("Approved by aml-operator for {}", targets.owner),
            }
        }
    })
}

/// The PATCH that turns an associated resource's public network access off (storage
/// `StorageAccounts_Update`, key vault `Vaults_Update`, registry `Registries_Update`: each takes
/// `properties.publicNetworkAccess`). Only ever `Disabled`: the controller never opens one.
pub fn public_access_off_patch() -> Value {
    json!({"properties": {"publicNetworkAccess": "Disabled"}})
}

/// A workspace PATCH body with only the given properties.
pub fn workspace_patch(properties: Map<String, Value>) -> Value {
    json!({ "properties": Value::Object(properties) })
}

/// True when the resource carries this Workspace's owner tag.
pub fn owned_by(resource: &Value, owner: &str) -> bool {
    resource
        .pointer("/tags")
        .and_then(Value::as_object)
        .and_then(|tags| {
            tags.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(OWNER_TAG))
                .map(|(_, v)| v)
        })
        .and_then(Value::as_str)
        .is_some_and(|v| v == owner)
}

/// A workspace private endpoint connection, as the workspace reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionReading {
    /// ARM id of the connection on the workspace (absent when only the endpoint side is known).
    pub id: Option<String>,
    /// Its name.
    pub name: String,
    /// Approved, Pending, Rejected, Disconnected, ...
    pub status: String,
    /// The approver's or Azure's description.
    pub description: String,
}

/// The connection between `private_endpoint_id` and the workspace: the workspace's own record
/// first (its `privateEndpointConnections`), else the endpoint's side of it.
pub fn connection_of(
    workspace: &Value,
    private_endpoint: &Value,
    private_endpoint_id: &str,
    workspace_id: &str,
) -> Option<ConnectionReading> {
    let on_workspace = workspace
        .pointer("/properties/privateEndpointConnections")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|c| {
            str_at(c, "/properties/privateEndpoint/id")
                .is_some_and(|p| same_id(p, private_endpoint_id))
        });
    if let Some(c) = on_workspace {
        return Some(ConnectionReading {
            id: str_at(c, "/id").map(str::to_owned),
            name: str_at(c, "/name").unwrap_or_default().to_owned(),
            status: str_at(c, "/properties/privateLinkServiceConnectionState/status")
                .unwrap_or("Pending")
                .to_owned(),
            description: str_at(
                c,
                "/properties/privateLinkServiceConnectionState/description",
            )
            .unwrap_or_default()
            .to_owned(),
        });
    }
    [
        "privateLinkServiceConnections",
        "manualPrivateLinkServiceConnections",
    ]
    .iter()
    .filter_map(|field| {
        private_endpoint
            .pointer(&format!("/properties/{field}"))
            .and_then(Value::as_array)
    })
    .flatten()
    .find(|c| {
        str_at(c, "/properties/privateLinkServiceId").is_some_and(|t| same_id(t, workspace_id))
    })
    .map(|c| ConnectionReading {
        id: None,
        name: str_at(c, "/name").unwrap_or_default().to_owned(),
        // The workspace has no record of it: the owner removed it.
        status: str_at(c, "/properties/privateLinkServiceConnectionState/status")
            .filter(|s| !s.eq_ignore_ascii_case("Approved"))
            .unwrap_or("Disconnected")
            .to_owned(),
        description: str_at(
            c,
            "/properties/privateLinkServiceConnectionState/description",
        )
        .unwrap_or_default()
        .to_owned(),
    })
}

/// The link among `links` that connects the zone to `vnet_id`, whatever its name.
pub fn link_to<'a>(links: &'a [Value], vnet_id: &str) -> Option<&'a Value> {
    links
        .iter()
        .find(|l| str_at(l, "/properties/virtualNetwork/id").is_some_and(|v| same_id(v, vnet_id)))
}

/// A zone group's zones and how many A records each holds.
pub fn zone_group_records(group: &Value) -> Vec<(String, usize)> {
    group
        .pointer("/properties/privateDnsZoneConfigs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|c| {
            let zone = str_at(c, "/properties/privateDnsZoneId")
                .unwrap_or_default()
                .to_owned();
            let records = c
                .pointer("/properties/recordSets")
                .and_then(Value::as_array)
                .map_or(0, |r| {
                    r.iter()
                        .filter(|s| {
                            str_at(s, "/recordType").is_none_or(|t| t.eq_ignore_ascii_case("A"))
                        })
                        .count()
                });
            (zone, records)
        })
        .collect()
}
