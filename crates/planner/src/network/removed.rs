//! Private endpoints this Workspace created for `privateEndpoints` entries that are no longer in
//! the spec (removed, or moved to another subnet's resource group): status still lists them, so
//! the controller reads them and deletes the ones carrying this Workspace's owner tag.
//!
//! Invariants: only a private endpoint tagged with this Workspace's owner is deleted (Azure
//! removes its DNS zone group with it; the zones and links stay, they may serve other private
//! endpoints and are deleted with the Workspace); one without the tag is dropped from status and
//! left in place, with an Event; an entry stays in status until Azure says the private endpoint
//! is gone, so a restart never forgets one.

use api::WorkspaceStatus;
use api::workspace::PrivateEndpointObservation;

use super::action::NetworkAction;
use super::bodies::owned_by;
use super::ids::same_id;
use super::targets::NetworkTargets;
use super::teardown::TeardownStep;
use crate::observe::{Observation, provisioning_state};
use crate::outcome::EventNote;

/// A private endpoint in status that the spec no longer declares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemovedEndpoint {
    /// The name it had in the spec.
    pub name: String,
    /// Its ARM id.
    pub id: String,
}

/// The private endpoints status lists whose id the spec no longer produces; the controller
/// GETs each, in this order.
pub fn removed_endpoints(
    targets: &NetworkTargets,
    status: &WorkspaceStatus,
) -> Vec<RemovedEndpoint> {
    status
        .private_endpoints
        .iter()
        .filter_map(|o| {
            let id = o.resource_id.as_deref()?;
            (!targets.endpoints.iter().any(|t| same_id(&t.id, id))).then(|| RemovedEndpoint {
                name: o.name.clone(),
                id: id.to_owned(),
            })
        })
        .collect()
}

/// What to do about the removed private endpoints.
#[derive(Clone, Debug, PartialEq)]
pub struct Removal {
    /// The status entries to keep (removed private endpoints not yet gone).
    pub keep: Vec<PrivateEndpointObservation>,
    /// The next step, if any: a DELETE, or a wait while Azure is busy (never `Done`).
    pub step: Option<TeardownStep>,
    /// Events (a removed private endpoint that was not ours, left in place).
    pub events: Vec<EventNote>,
}

/// Decides, from what was read of each removed private endpoint (`observed`, same order as
/// `removed`; absent: not read), which to keep in status and what to do next.
pub fn plan_removal(
    targets: &NetworkTargets,
    status: &WorkspaceStatus,
    removed: &[RemovedEndpoint],
    observed: &[Observation],
) -> Removal {
    let mut out = Removal {
        keep: Vec::new(),
        step: None,
        events: Vec::new(),
    };
    for (i, r) in removed.iter().enumerate() {
        let previous = status
            .private_endpoints
            .iter()
            .find(|o| {
                o.resource_id
                    .as_deref()
                    .is_some_and(|id| same_id(id, &r.id))
            })
            .cloned()
            .unwrap_or_else(|| PrivateEndpointObservation {
                name: r.name.clone(),
                resource_id: Some(r.id.clone()),
                ..PrivateEndpointObservation::default()
            });
        match observed.get(i) {
            Some(Observation::Missing) => {}
            Some(Observation::Found(pe)) if !owned_by(pe, &targets.owner) => {
                out.events.push(EventNote::normal(
                    "Kept",
                    format!(
                        "private endpoint {} is no longer in spec.network.privateEndpoints; it was not created by this Workspace, so it is left in place",
                        r.name
                    ),
                ));
            }
            Some(Observation::Found(pe)) => {
                let state = provisioning_state(pe);
                let mut entry = previous;
                entry.provisioning_state = state.as_ref().map(|s| s.as_str().to_owned());
                out.keep.push(entry);
                if out.step.is_some() {
                    continue;
                }
                out.step = Some(match state.filter(|s| !s.is_terminal()) {
                    Some(busy) => TeardownStep::Wait(format!(
                        "Azure reports private endpoint {} (removed from the spec) {}",
                        r.name,
                        busy.as_str()
                    )),
                    None => TeardownStep::Delete {
                        action: NetworkAction::Delete {
                            target: r.id.clone(),
                        },
                        what: format!(
                            "delete private endpoint {}, removed from spec.network.privateEndpoints",
                            r.name
                        ),
                    },
                });
            }
            Some(Observation::Skipped) | None => out.keep.push(previous),
        }
    }
    out
}
