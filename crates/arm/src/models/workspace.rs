//! Azure ML workspaces: the network-isolation properties this operator enforces
//! (`publicNetworkAccess`, `managedNetwork`, `privateEndpointConnections`) and the workspace's
//! private link side (private endpoint connections, private link resources).

use super::common::{Extra, ProvisioningState, PublicNetworkAccess, Resource, SubResource};
use super::wire_enum::wire_enum;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An Azure ML workspace.
pub type Workspace = Resource<WorkspaceProperties>;

/// The properties of a workspace. Only those the operator reads or writes are named; the many
/// others stay in `extra`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceProperties {
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub friendly_name: Option<String>,
    /// Key vault id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_vault: Option<String>,
    /// Storage account id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_account: Option<String>,
    /// Container registry id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_registry: Option<String>,
    /// Application Insights id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_insights: Option<String>,
    /// Provisioning state (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning_state: Option<ProvisioningState>,
    /// Whether the workspace is reachable publicly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_network_access: Option<PublicNetworkAccess>,
    /// Outbound isolation through the workspace's managed VNet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_network: Option<ManagedNetworkSettings>,
    /// Private endpoint connections (read-only here; managed through their own resource).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_endpoint_connections: Option<Vec<PrivateEndpointConnection>>,
    /// How many private links the workspace has (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_link_count: Option<i32>,
    /// Members not modelled here.
    #[serde(flatten)]
    pub extra: Extra,
}

wire_enum! {
    /// Outbound isolation of a workspace's managed network.
    IsolationMode {
        /// No managed network.
        Disabled = "Disabled",
        /// Outbound internet allowed.
        AllowInternetOutbound = "AllowInternetOutbound",
        /// Only approved outbound rules.
        AllowOnlyApprovedOutbound = "AllowOnlyApprovedOutbound",
    }
}

/// A workspace's managed network settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedNetworkSettings {
    /// The isolation mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isolation_mode: Option<IsolationMode>,
    /// Network id (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_id: Option<String>,
    /// Outbound rules by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbound_rules: Option<BTreeMap<String, OutboundRule>>,
    /// Provisioning status of the managed network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ManagedNetworkProvisionStatus>,
    /// Members not modelled here.
    #[serde(flatten)]
    pub extra: Extra,
}

wire_enum! {
    /// Kind of an outbound rule.
    RuleType {
        /// A fully qualified domain name.
        Fqdn = "FQDN",
        /// A private endpoint to an Azure resource.
        PrivateEndpoint = "PrivateEndpoint",
        /// A service tag.
        ServiceTag = "ServiceTag",
    }
}

/// One outbound rule. Its `destination` is a string (FQDN) or an object (private endpoint,
/// service tag), so it is kept as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboundRule {
    /// The rule kind.
    #[serde(rename = "type")]
    pub rule_type: RuleType,
    /// `Required`, `Recommended`, `UserDefined` or `Dependency`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// `Active` or `Inactive` (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Where the rule lets traffic go.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<serde_json::Value>,
    /// Members not modelled here.
    #[serde(flatten)]
    pub extra: Extra,
}

wire_enum! {
    /// Whether the managed network is provisioned.
    ManagedNetworkStatus {
        /// Not provisioned yet.
        Inactive = "Inactive",
        /// Provisioned.
        Active = "Active",
    }
}

/// Provisioning status of a managed network; also the answer of `provisionManagedNetwork`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedNetworkProvisionStatus {
    /// Whether Spark is ready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spark_ready: Option<bool>,
    /// Active or inactive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ManagedNetworkStatus>,
    /// Members not modelled here.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Body of `provisionManagedNetwork`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedNetworkProvisionOptions {
    /// Whether to provision Spark too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_spark: Option<bool>,
    /// Members not modelled here.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A workspace's private endpoint connection (`.../workspaces/{w}/privateEndpointConnections/{c}`).
pub type PrivateEndpointConnection = Resource<PrivateEndpointConnectionProperties>;

/// The properties of a workspace private endpoint connection.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateEndpointConnectionProperties {
    /// The Network private endpoint on the other side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_endpoint: Option<SubResource>,
    /// Approval state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_link_service_connection_state: Option<PrivateLinkServiceConnectionState>,
    /// Provisioning state (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning_state: Option<ProvisioningState>,
    /// Members not modelled here.
    #[serde(flatten)]
    pub extra: Extra,
}

wire_enum! {
    /// Approval state of a private link connection (both the ML and the Network side).
    ConnectionStatus {
        /// Awaiting approval.
        Pending = "Pending",
        /// Approved.
        Approved = "Approved",
        /// Rejected.
        Rejected = "Rejected",
        /// Disconnected.
        Disconnected = "Disconnected",
        /// Timed out.
        Timeout = "Timeout",
    }
}

/// Approval state of a private link connection.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateLinkServiceConnectionState {
    /// The state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ConnectionStatus>,
    /// Why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// What the consumer must do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions_required: Option<String>,
    /// Members not modelled here.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A workspace's private link resource (`amlworkspace`).
pub type PrivateLinkResource = Resource<PrivateLinkResourceProperties>;

/// The properties of a private link resource.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateLinkResourceProperties {
    /// The group id a private endpoint connects to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    /// Member names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_members: Option<Vec<String>>,
    /// DNS zones the members need.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_zone_names: Option<Vec<String>>,
    /// Members not modelled here.
    #[serde(flatten)]
    pub extra: Extra,
}
