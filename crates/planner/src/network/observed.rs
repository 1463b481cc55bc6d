//! What the controller read of a Workspace's network, one entry per declared private endpoint
//! (same order as [`super::NetworkTargets::endpoints`]). Children are read only when their parent
//! exists (ARM answers a missing parent with an error, not a 404 of the child).

use serde_json::Value;

use crate::observe::Observation;

/// The network around the workspace, as read in this reconcile.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NetworkObservation {
    /// One per declared private endpoint; empty when nothing was read (an operation pending).
    pub endpoints: Vec<EndpointObservation>,
    /// GET of each private endpoint the spec no longer declares, in the order of
    /// [`super::removed::removed_endpoints`]; empty when nothing was read.
    pub removed: Vec<Observation>,
    /// GET of each associated resource, in the order of
    /// [`super::associated::associated_reads`]; empty when nothing asks for them.
    pub associated: Vec<Observation>,
    /// The Azure Monitor Private Link Scope and scoped resources of the Application Insights
    /// leg (read only with [`super::NetworkTargets::insights`] or a scoped resource recorded
    /// in status).
    pub insights: super::insights::InsightsObservation,
}

/// A private endpoint and its DNS, as read.
#[derive(Clone, Debug, PartialEq)]
pub struct EndpointObservation {
    /// GET of the Network private endpoint.
    pub private_endpoint: Observation,
    /// GET of the subnet's VNet, read only when the private endpoint is missing (it is created in
    /// the VNet's region).
    pub vnet: Observation,
    /// GET of the DNS zone group (when the private endpoint exists and DNS is declared).
    pub zone_group: Observation,
    /// One per zone target, same order.
    pub zones: Vec<ZoneObservation>,
}

impl Default for EndpointObservation {
    fn default() -> Self {
        Self {
            private_endpoint: Observation::Skipped,
            vnet: Observation::Skipped,
            zone_group: Observation::Skipped,
            zones: Vec::new(),
        }
    }
}

/// A private DNS zone and its VNet links, as read.
#[derive(Clone, Debug, PartialEq)]
pub struct ZoneObservation {
    /// GET of the zone.
    pub zone: Observation,
    /// The zone's VNet links (a list: a link to the VNet may exist under any name); `None` when
    /// not read.
    pub links: Option<Vec<Value>>,
}

impl Default for ZoneObservation {
    fn default() -> Self {
        Self {
            zone: Observation::Skipped,
            links: None,
        }
    }
}
