//! A Workspace's network isolation as one intent: public access, managed network, private
//! endpoints with their approval, private DNS zones, VNet links and DNS zone groups.
//!
//! - [`targets`]: the spec as ARM ids to read and write;
//! - [`observed`]: what the controller read of them;
//! - [`legs`]: each leg compared with Azure, in the order the controller fixes them;
//! - [`bodies`]: the bodies sent and the readings taken;
//! - [`teardown`]: deleting what the Workspace created, in reverse order;
//! - [`removed`]: deleting the private endpoints the spec no longer declares;
//! - [`action`]: the one step a reconcile takes, naming its target;
//! - [`associated`]: the workspace's storage account, key vault, registry and Application
//!   Insights, observed as legs when the spec asks, and made private with `mode: Enforce`;
//! - [`insights`]: Application Insights linked to the hub's Azure Monitor Private Link Scope
//!   and closed once that private path holds.
//!
//! # Guarantees
//! - No body sets the workspace's `publicNetworkAccess` to anything but the spec's value, nor an
//!   associated resource's to anything but `Disabled`.
//! - Make before break: with declared private endpoints the workspace's public access is turned
//!   off only once one of them is Approved with DNS; an associated resource's only once every
//!   private endpoint made for it is.
//! - A managed network is never asked to turn off or to go from AllowOnlyApprovedOutbound to
//!   AllowInternetOutbound (Azure cannot): that spec is Stalled.
//! - The workspace's public access is PATCHed alone, never with a managed network change Azure
//!   may refuse.
//! - Deletion touches only resources tagged with this Workspace's [`targets::OWNER_TAG`], and
//!   the Azure Monitor scoped resource recorded in status as created by it (scoped resources
//!   carry no tags).

pub mod action;
pub mod associated;
pub mod bodies;
pub mod ids;
pub mod insights;
pub mod legs;
pub mod observed;
pub mod removed;
pub mod targets;
pub mod teardown;

pub use action::{NetworkAction, PROVISION_MANAGED_NETWORK};
pub use observed::{EndpointObservation, NetworkObservation, ZoneObservation};
pub use targets::{
    EndpointTarget, LinkTarget, NetworkTargets, OWNER_TAG, WorkspaceZones, ZoneTarget,
    network_targets, owner_value,
};
