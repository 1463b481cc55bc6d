//! Private DNS zones (`Microsoft.Network/privateDnsZones`) and their virtual network links.

use super::common::{Extra, ProvisioningState, Resource, SubResource};
use super::wire_enum::wire_enum;
use serde::{Deserialize, Serialize};

/// A private DNS zone (location `global`).
pub type PrivateDnsZone = Resource<PrivateZoneProperties>;

/// The properties of a private DNS zone (all read-only).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateZoneProperties {
    /// Most record sets allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_number_of_record_sets: Option<i64>,
    /// Record sets present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_of_record_sets: Option<i64>,
    /// Most VNet links allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_number_of_virtual_network_links: Option<i64>,
    /// VNet links present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_of_virtual_network_links: Option<i64>,
    /// Most auto-registration links allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_number_of_virtual_network_links_with_registration: Option<i64>,
    /// Auto-registration links present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_of_virtual_network_links_with_registration: Option<i64>,
    /// Provisioning state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning_state: Option<ProvisioningState>,
    /// Members not modelled here.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A link from a private DNS zone to a virtual network.
pub type VirtualNetworkLink = Resource<VirtualNetworkLinkProperties>;

wire_enum! {
    /// Whether a VNet link is in effect.
    VirtualNetworkLinkState {
        /// Being set up.
        InProgress = "InProgress",
        /// In effect.
        Completed = "Completed",
    }
}

/// The properties of a VNet link.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VirtualNetworkLinkProperties {
    /// The linked VNet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub virtual_network: Option<SubResource>,
    /// Whether VMs in the VNet register their records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_enabled: Option<bool>,
    /// Link state (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub virtual_network_link_state: Option<VirtualNetworkLinkState>,
    /// Provisioning state (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning_state: Option<ProvisioningState>,
    /// Members not modelled here (e.g. `resolutionPolicy`).
    #[serde(flatten)]
    pub extra: Extra,
}
