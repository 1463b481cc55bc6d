//! The one deletion flow of the objects whose own ARM resource is deleted (endpoints and
//! deployments): what the policy and the annotations say, then what Azure says (gone, out of
//! reach, not ours, busy), with one hook for what only the kind checks, then the DELETE.
//!
//! Invariants: nothing is deleted that this object does not own (owner tag, or adopted with
//! `delete`); deletion under `Orphan`, `detach-on-delete` or `skip` never calls Azure; a deletion
//! that cannot reach Azure finishes after [`DELETION_GRACE`] naming what it leaves.

use api::DeletionPolicy;
use api::conditions::Reason;
use api::status::CommonStatus;
use k8s_openapi::jiff::Timestamp;
use serde_json::Value;

use crate::WAIT_POLL;
use crate::lifecycle::{DELETION_GRACE, Lifecycle, Ownership, deletion_gives_up};
use crate::observe::{Observation, ProvisioningState, provisioning_state};
use crate::outcome::{Action, EventNote, Plan, Requeue};
use crate::progress::progressing;

/// A deletion, as every kind describes it.
#[derive(Clone, Debug)]
pub struct Deletion<'a> {
    /// The resource for messages (`endpoint scoring`).
    pub what: String,
    /// `spec.deletionPolicy`.
    pub policy: DeletionPolicy,
    /// Owner tag, annotations, claims and deletion time.
    pub lifecycle: &'a Lifecycle,
    /// GET of the resource (`Skipped` when Azure could not be read).
    pub observed: &'a Observation,
    /// Why Azure could not be read, when it could not.
    pub unreachable: String,
    /// Another object of the tree with an Azure write in flight.
    pub tree_busy: Option<&'a str>,
    /// `metadata.generation`.
    pub generation: Option<i64>,
    /// The time.
    pub now: Timestamp,
}

/// What a kind's check says: go on (with its value), or this plan.
pub enum Gate<S, T> {
    /// Go on.
    Pass(T),
    /// Stop with this plan.
    Stop(Plan<S>),
}

/// The finalizer goes now, with this Event.
pub fn release<S>(status: S, note: EventNote) -> Plan<S> {
    Plan {
        action: Action::RemoveFinalizer,
        status,
        requeue: Requeue::Sync,
        events: vec![note],
        drift: Vec::new(),
    }
}

/// Waits (Reconciling) with this reason and message.
pub fn wait<S: CommonStatus>(
    mut status: S,
    deletion: &Deletion<'_>,
    reason: Reason,
    message: String,
) -> Plan<S> {
    progressing(
        &mut status,
        deletion.generation,
        reason,
        message,
        deletion.now,
    );
    Plan {
        action: Action::None,
        status,
        requeue: Requeue::After(WAIT_POLL),
        events: Vec::new(),
        drift: Vec::new(),
    }
}

/// The Event of a deletion that leaves an existing resource alone.
pub fn kept_note(ownership: &Ownership, what: &str) -> EventNote {
    match ownership {
        Ownership::Adopted { .. } => EventNote::normal(
            "Orphaned",
            format!("{what} was adopted to be kept; it is left in Azure"),
        ),
        Ownership::OwnedBy(other) => EventNote::warning(
            "Kept",
            format!("{what} is managed by {other}; it is left in Azure"),
        ),
        _ => EventNote::warning(
            "Kept",
            format!("{what} was not created by this object; it is left in Azure"),
        ),
    }
}

/// Plans a deletion. `before` runs once policy allows deleting and before Azure is looked at
/// (an endpoint waits for its live deployments); `found` runs once the resource is known to be
/// ours, before the DELETE (`Pass` carries words appended to the Deleting message, `Stop` a
/// plan that ends here).
pub fn plan_deletion<S: CommonStatus>(
    deletion: &Deletion<'_>,
    status: S,
    before: impl FnOnce(S) -> Gate<S, S>,
    found: impl FnOnce(&Value, S) -> Gate<S, (S, String)>,
) -> Plan<S> {
    let what = &deletion.what;
    if deletion.policy == DeletionPolicy::Orphan || deletion.lifecycle.detached() {
        let why = if deletion.policy == DeletionPolicy::Orphan {
            "deletionPolicy Orphan".to_owned()
        } else if let Some(first) = &deletion.lifecycle.claimed_by {
            format!("it is managed by {first}")
        } else if let Some(rule) = &deletion.lifecycle.not_permitted {
            format!("the namespace may not act on it: {rule}")
        } else {
            format!("annotation {}", api::RECONCILE_POLICY_ANNOTATION)
        };
        return release(
            status,
            EventNote::normal("Orphaned", format!("{what} is left in Azure ({why})")),
        );
    }
    let status = match before(status) {
        Gate::Pass(s) => s,
        Gate::Stop(plan) => return plan,
    };
    match deletion.observed {
        Observation::Missing => release(
            status,
            EventNote::normal("Deleted", format!("{what} is deleted in Azure")),
        ),
        Observation::Skipped if status.azure_resource_id().is_none() => Plan {
            action: Action::RemoveFinalizer,
            status,
            requeue: Requeue::Sync,
            events: Vec::new(),
            drift: Vec::new(),
        },
        Observation::Skipped => {
            let id = status.azure_resource_id().unwrap_or_default().to_owned();
            unreachable(status, deletion, &id)
        }
        Observation::Found(resource) => {
            let ownership = deletion.lifecycle.ownership(resource);
            if !ownership.deletable() {
                return release(status, kept_note(&ownership, what));
            }
            let (status, with) = match found(resource, status) {
                Gate::Pass(x) => x,
                Gate::Stop(plan) => return plan,
            };
            let state = provisioning_state(resource).unwrap_or(ProvisioningState::Succeeded);
            if !state.is_terminal() {
                return wait(
                    status,
                    deletion,
                    Reason::Deleting,
                    format!("Azure reports {what} {}", state.as_str()),
                );
            }
            if let Some(who) = deletion.tree_busy {
                return wait(
                    status,
                    deletion,
                    Reason::WaitingForEndpoint,
                    format!("waiting for the Azure operation on {who} to finish"),
                );
            }
            let mut p = wait(
                status,
                deletion,
                Reason::Deleting,
                format!("deleting {what}{with}"),
            );
            p.action = Action::Delete;
            p.requeue = Requeue::Now;
            p.events.push(EventNote::normal(
                "Deleting",
                format!("deleting {what}{with}"),
            ));
            p
        }
    }
}

/// A deletion that cannot reach Azure: waits, then after [`DELETION_GRACE`] releases the
/// finalizer with a Warning naming what stays in Azure.
fn unreachable<S: CommonStatus>(status: S, deletion: &Deletion<'_>, id: &str) -> Plan<S> {
    let why = &deletion.unreachable;
    if deletion_gives_up(
        deletion.lifecycle.deleting_since,
        deletion.now,
        DELETION_GRACE,
    ) {
        return release(
            status,
            EventNote::warning(
                "LeftInAzure",
                format!(
                    "{id} is left in Azure: {why}, and deletion has waited {}s",
                    DELETION_GRACE.as_secs()
                ),
            ),
        );
    }
    wait(
        status,
        deletion,
        Reason::DependencyNotReady,
        format!(
            "cannot reach Azure to delete {id}: {why}; after {}s of deletion it is left in Azure",
            DELETION_GRACE.as_secs()
        ),
    )
}
