//! Deleting what a Workspace created, in reverse order of creation: each private endpoint's DNS
//! zone group, the private endpoint, then the VNet links and the zones. The AML workspace is
//! never deleted and its flags are left as they are.
//!
//! Invariants: only resources carrying this Workspace's owner tag are deleted (a DNS zone group
//! belongs to its private endpoint); a zone is deleted only when nothing else uses it (no records
//! but its SOA, no links left); one delete at a time, each awaited.

use serde_json::Value;

use super::action::NetworkAction;
use super::bodies::{link_to, owned_by};
use super::ids::{name_of, same_id};
use super::observed::NetworkObservation;
use super::targets::NetworkTargets;
use crate::observe::{Observation, ProvisioningState, provisioning_state, str_at};

/// The next deletion step.
#[derive(Clone, Debug, PartialEq)]
pub enum TeardownStep {
    /// Delete this resource (`what` for humans).
    Delete {
        /// The DELETE.
        action: NetworkAction,
        /// What it deletes.
        what: String,
    },
    /// A resource is still changing in Azure (or was not read); look again.
    Wait(String),
    /// Nothing this Workspace created is left; the notes say what was left in place and why.
    Done(Vec<String>),
}

fn busy(resource: &Value) -> Option<ProvisioningState> {
    provisioning_state(resource).filter(|s| !s.is_terminal())
}

/// Decides the next deletion step from what the controller read.
pub fn next_step(t: &NetworkTargets, obs: &NetworkObservation) -> TeardownStep {
    let delete = |target: &str, what: String| TeardownStep::Delete {
        action: NetworkAction::Delete {
            target: target.to_owned(),
        },
        what,
    };
    let mut kept = Vec::new();
    // Zone groups and private endpoints, last declared first.
    for (i, target) in t.endpoints.iter().enumerate().rev() {
        let Some(o) = obs.endpoints.get(i) else {
            return TeardownStep::Wait(format!("reading private endpoint {}", target.name));
        };
        let pe = match &o.private_endpoint {
            Observation::Found(pe) => pe,
            Observation::Missing => continue,
            Observation::Skipped => {
                return TeardownStep::Wait(format!("reading private endpoint {}", target.name));
            }
        };
        if !owned_by(pe, &t.owner) {
            kept.push(format!(
                "private endpoint {} (not created by this Workspace)",
                target.name
            ));
            continue;
        }
        if let Some(state) = busy(pe) {
            return TeardownStep::Wait(format!(
                "Azure reports private endpoint {} {}",
                target.name,
                state.as_str()
            ));
        }
        if let (Some(group_id), Observation::Found(group)) = (&target.zone_group_id, &o.zone_group)
        {
            if let Some(state) = busy(group) {
                return TeardownStep::Wait(format!(
                    "Azure reports the DNS zone group of {} {}",
                    target.name,
                    state.as_str()
                ));
            }
            return delete(
                group_id,
                format!(
                    "delete the DNS zone group of private endpoint {}",
                    target.name
                ),
            );
        }
        return delete(
            &target.id,
            format!("delete private endpoint {}", target.name),
        );
    }
    // VNet links, then zones. A zone may serve several private endpoints: each is seen once.
    let mut seen: Vec<&str> = Vec::new();
    let mut zones = Vec::new();
    for (i, target) in t.endpoints.iter().enumerate().rev() {
        let Some(o) = obs.endpoints.get(i) else {
            continue;
        };
        for (j, zone) in target.zones.iter().enumerate() {
            if seen.iter().any(|s| same_id(s, &zone.id)) {
                continue;
            }
            seen.push(&zone.id);
            let Some(zo) = o.zones.get(j) else {
                return TeardownStep::Wait(format!("reading private DNS zone {}", zone.name));
            };
            match &zo.zone {
                Observation::Missing => continue,
                Observation::Skipped => {
                    return TeardownStep::Wait(format!("reading private DNS zone {}", zone.name));
                }
                Observation::Found(z) => zones.push((zone, z, zo.links.as_deref())),
            }
        }
    }
    for (zone, _, links) in &zones {
        let (Some(link), Some(links)) = (&zone.link, links) else {
            continue;
        };
        if let Some(l) = link_to(links, &link.vnet_id).filter(|l| owned_by(l, &t.owner)) {
            if let Some(state) = busy(l) {
                return TeardownStep::Wait(format!(
                    "Azure reports the VNet link of {} {}",
                    zone.name,
                    state.as_str()
                ));
            }
            let id = str_at(l, "/id").unwrap_or(&link.id).to_owned();
            return delete(
                &id,
                format!(
                    "delete the VNet link of {} to {}",
                    zone.name,
                    name_of(&link.vnet_id)
                ),
            );
        }
    }
    for (zone, z, links) in &zones {
        if !owned_by(z, &t.owner) {
            kept.push(format!(
                "private DNS zone {} (not created by this Workspace)",
                zone.name
            ));
            continue;
        }
        let records = z
            .pointer("/properties/numberOfRecordSets")
            .and_then(Value::as_i64)
            .unwrap_or(1);
        let other_links = links.map_or(0, <[Value]>::len);
        if records > 1 || other_links > 0 {
            kept.push(format!(
                "private DNS zone {} (still in use: {} record sets, {other_links} VNet links)",
                zone.name, records
            ));
            continue;
        }
        if let Some(state) = busy(z) {
            return TeardownStep::Wait(format!(
                "Azure reports private DNS zone {} {}",
                zone.name,
                state.as_str()
            ));
        }
        return delete(&zone.id, format!("delete private DNS zone {}", zone.name));
    }
    TeardownStep::Done(kept)
}

/// What to do about the Azure Monitor scoped resources status records as created by this
/// Workspace and that the spec no longer asks for (all of them while deleting).
#[derive(Clone, Debug, PartialEq)]
pub struct ScopedCleanup {
    /// The recorded ids to keep in status (not yet seen gone).
    pub keep: Vec<String>,
    /// The next step: a DELETE, or a wait while Azure is busy or they were not read.
    pub step: Option<TeardownStep>,
    /// Events: a recorded scoped resource that now links another resource, left in place.
    pub events: Vec<crate::outcome::EventNote>,
}

/// Decides, from what was read of each recorded scoped resource (`observed`, same order as
/// `ids`; absent: not read), which stay in status and what to delete. Only a scoped resource
/// still linking the resource it was made for is deleted ([`super::insights::still_ours`]);
/// scoped resources carry no tags, so being recorded in status is the ownership mark.
pub fn scoped_cleanup(ids: &[String], observed: &[Observation], deleting: bool) -> ScopedCleanup {
    let mut out = ScopedCleanup {
        keep: Vec::new(),
        step: None,
        events: Vec::new(),
    };
    for (i, id) in ids.iter().enumerate() {
        let name = name_of(id);
        match observed.get(i) {
            Some(Observation::Missing) => {}
            Some(Observation::Found(scoped)) if !super::insights::still_ours(id, scoped) => {
                out.events.push(crate::outcome::EventNote::normal(
                    "Kept",
                    format!(
                        "scoped resource {name} of an Azure Monitor Private Link Scope was created by this Workspace but now links {}; it is left in place",
                        super::insights::linked_resource(scoped).map_or("nothing", name_of)
                    ),
                ));
            }
            Some(Observation::Found(scoped)) => {
                out.keep.push(id.clone());
                if out.step.is_some() {
                    continue;
                }
                out.step = Some(match busy(scoped) {
                    Some(state) => TeardownStep::Wait(format!(
                        "Azure reports scoped resource {name} {}",
                        state.as_str()
                    )),
                    None => TeardownStep::Delete {
                        action: NetworkAction::Delete { target: id.clone() },
                        what: format!(
                            "delete scoped resource {name} (the link of Application Insights to an Azure Monitor Private Link Scope that this Workspace created)"
                        ),
                    },
                });
            }
            Some(Observation::Skipped) | None => {
                out.keep.push(id.clone());
                if deleting && out.step.is_none() {
                    out.step = Some(TeardownStep::Wait(format!(
                        "reading scoped resource {name}"
                    )));
                }
            }
        }
    }
    out
}
