//! `Microsoft.Network` private endpoints and their DNS zone groups.

use super::common::{Extra, ProvisioningState, Resource, SubResource};
use super::workspace::PrivateLinkServiceConnectionState;
use serde::{Deserialize, Serialize};

/// A Network private endpoint.
pub type PrivateEndpoint = Resource<PrivateEndpointProperties>;

/// The properties of a private endpoint.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateEndpointProperties {
    /// The subnet the endpoint's NIC lives in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet: Option<SubResource>,
    /// The endpoint's network interfaces (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_interfaces: Option<Vec<SubResource>>,
    /// Provisioning state (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning_state: Option<ProvisioningState>,
    /// Connections that are approved automatically when the caller may.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_link_service_connections: Option<Vec<PrivateLinkServiceConnection>>,
    /// Connections that wait for the resource owner's approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manual_private_link_service_connections: Option<Vec<PrivateLinkServiceConnection>>,
    /// FQDN -> IP addresses the endpoint serves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_dns_configs: Option<Vec<CustomDnsConfig>>,
    /// Static IP configurations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_configurations: Option<Vec<PrivateEndpointIpConfiguration>>,
    /// Application security groups the endpoint's NIC joins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_security_groups: Option<Vec<SubResource>>,
    /// Name of the NIC to create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_network_interface_name: Option<String>,
    /// Members not modelled here.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A private endpoint's connection to a private link service (here: an ML workspace).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateLinkServiceConnection {
    /// Id (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The connection's properties.
    #[serde(default)]
    pub properties: PrivateLinkServiceConnectionProperties,
    /// Members not modelled here.
    #[serde(flatten)]
    pub extra: Extra,
}

/// The properties of a private link service connection.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateLinkServiceConnectionProperties {
    /// The resource connected to (a workspace id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_link_service_id: Option<String>,
    /// Group ids (`amlworkspace`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_ids: Option<Vec<String>>,
    /// Message to the approver.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_message: Option<String>,
    /// Approval state (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_link_service_connection_state: Option<PrivateLinkServiceConnectionState>,
    /// Provisioning state (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning_state: Option<ProvisioningState>,
    /// Members not modelled here.
    #[serde(flatten)]
    pub extra: Extra,
}

/// An FQDN and the private IPs serving it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomDnsConfig {
    /// The name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fqdn: Option<String>,
    /// Its addresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_addresses: Option<Vec<String>>,
    /// Members not modelled here.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A static IP configuration of a private endpoint.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateEndpointIpConfiguration {
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Group id, member name and private IP, kept as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<serde_json::Value>,
    /// Members not modelled here.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A private endpoint's DNS zone group (`.../privateEndpoints/{pe}/privateDnsZoneGroups/{g}`):
/// which private DNS zones receive the endpoint's A records.
pub type PrivateDnsZoneGroup = Resource<PrivateDnsZoneGroupProperties>;

/// The properties of a DNS zone group.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateDnsZoneGroupProperties {
    /// Provisioning state (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning_state: Option<ProvisioningState>,
    /// One entry per zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_dns_zone_configs: Option<Vec<PrivateDnsZoneConfig>>,
    /// Members not modelled here.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One zone of a DNS zone group.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateDnsZoneConfig {
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The zone and its records.
    #[serde(default)]
    pub properties: PrivateDnsZoneConfigProperties,
    /// Members not modelled here.
    #[serde(flatten)]
    pub extra: Extra,
}

/// The zone of a DNS zone group entry and the records written into it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateDnsZoneConfigProperties {
    /// The private DNS zone id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_dns_zone_id: Option<String>,
    /// Records written (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_sets: Option<Vec<RecordSet>>,
    /// Members not modelled here.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A DNS record set a zone group wrote.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordSet {
    /// `A`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_type: Option<String>,
    /// Relative name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_set_name: Option<String>,
    /// Full name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fqdn: Option<String>,
    /// Provisioning state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning_state: Option<ProvisioningState>,
    /// TTL in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<i64>,
    /// Addresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_addresses: Option<Vec<String>>,
    /// Members not modelled here.
    #[serde(flatten)]
    pub extra: Extra,
}
