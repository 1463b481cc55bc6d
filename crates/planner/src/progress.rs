//! The kstatus-shaped conditions every kind shares (DESIGN §5), set in one place:
//! Ready always; Reconciling and Stalled only while True and never both; each condition carries
//! the generation it was computed for; `lastTransitionTime` moves only on a flip.

use std::time::Duration;

use api::OperationStatus;
use api::conditions::{
    ConditionType, NewCondition, Reason, find_condition, remove_condition, set_condition,
};
use api::status::CommonStatus;
use k8s_openapi::jiff::Timestamp;

use crate::failure::{Failure, FailureClass};
use crate::observe::OperationOutcome;
use crate::outcome::{EventNote, OperationKind, Requeue};
use crate::{STALLED_RETRY, WAIT_POLL};

/// The first status of an object the controller has not worked on yet: an empty status reads as
/// "done" to kstatus, so it is replaced at once by Ready=Unknown + Reconciling=True.
pub fn first_seen<S: CommonStatus>(status: &mut S, generation: Option<i64>, now: Timestamp) {
    status.set_observed_generation(generation);
    set_condition(
        status.conditions_mut(),
        NewCondition::ready_unknown(generation, "reconciling for the first time"),
        now,
    );
    set_condition(
        status.conditions_mut(),
        NewCondition::reconciling(
            generation,
            Reason::Progressing,
            "reconciling for the first time",
        ),
        now,
    );
    remove_condition(status.conditions_mut(), ConditionType::Stalled);
}

/// Work is under way or waiting on something that will happen without the user: Ready=False,
/// Reconciling=True, no Stalled.
pub fn progressing<S: CommonStatus>(
    status: &mut S,
    generation: Option<i64>,
    reason: Reason,
    message: impl Into<String>,
    now: Timestamp,
) {
    let message = message.into();
    status.set_observed_generation(generation);
    set_condition(
        status.conditions_mut(),
        NewCondition::not_ready(generation, reason, message.clone()),
        now,
    );
    set_condition(
        status.conditions_mut(),
        NewCondition::reconciling(generation, reason, message),
        now,
    );
    remove_condition(status.conditions_mut(), ConditionType::Stalled);
}

/// The object is what its spec asks: Ready=True, no Reconciling, no Stalled, no last error.
pub fn ready<S: CommonStatus>(
    status: &mut S,
    generation: Option<i64>,
    message: impl Into<String>,
    now: Timestamp,
) {
    status.set_observed_generation(generation);
    set_condition(
        status.conditions_mut(),
        NewCondition::ready(generation, message),
        now,
    );
    remove_condition(status.conditions_mut(), ConditionType::Reconciling);
    remove_condition(status.conditions_mut(), ConditionType::Stalled);
    status.set_last_error(None);
    status.set_azure_busy_since(None);
}

/// The controller cannot progress without a change: Ready=False, Stalled=True, no Reconciling.
pub fn stalled<S: CommonStatus>(
    status: &mut S,
    generation: Option<i64>,
    reason: Reason,
    message: impl Into<String>,
    now: Timestamp,
) {
    let message = message.into();
    status.set_observed_generation(generation);
    set_condition(
        status.conditions_mut(),
        NewCondition::not_ready(generation, reason, message.clone()),
        now,
    );
    set_condition(
        status.conditions_mut(),
        NewCondition::stalled(generation, reason, message),
        now,
    );
    remove_condition(status.conditions_mut(), ConditionType::Reconciling);
}

/// Records an Azure operation the controller just started and marks the object progressing.
pub fn started<S: CommonStatus>(
    status: &mut S,
    generation: Option<i64>,
    operation: OperationStatus,
    now: Timestamp,
) {
    let kind = OperationKind::parse(&operation.kind);
    let (reason, verb) = match kind {
        Some(OperationKind::Create) => (Reason::Creating, "creating"),
        Some(OperationKind::Scale) => (Reason::Scaling, "scaling"),
        Some(OperationKind::Delete) => (Reason::Deleting, "deleting"),
        _ => (Reason::Updating, "updating"),
    };
    let message = format!("Azure is {verb} {}", operation.resource_id);
    status.set_operation(Some(operation));
    status.set_azure_busy_since(None);
    progressing(status, generation, reason, message, now);
}

/// The longest an Azure `Retry-After` is honoured before looking again.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(10 * 60);

/// Azure's `Retry-After`, held to [1 s, [`MAX_RETRY_AFTER`]].
pub fn clamp_retry_after(retry_after: Duration) -> Duration {
    retry_after.clamp(Duration::from_secs(1), MAX_RETRY_AFTER)
}

/// The reason a failure shows in Ready.
fn failure_reason(failure: &Failure, from_operation: bool) -> Reason {
    match failure.class {
        FailureClass::Throttled { .. } => Reason::Throttled,
        FailureClass::Transient | FailureClass::NotFound => Reason::TransientError,
        FailureClass::Conflict => Reason::AzureBusy,
        FailureClass::Credential => Reason::CredentialError,
        FailureClass::Terminal
            if failure.code.eq_ignore_ascii_case("AuthorizationFailed")
                || failure
                    .code
                    .eq_ignore_ascii_case("LinkedAuthorizationFailed") =>
        {
            Reason::AuthorizationFailed
        }
        FailureClass::Terminal if from_operation => Reason::OperationFailed,
        FailureClass::Terminal => Reason::AzureRejected,
    }
}

/// Records a failed request or operation and says when to try again: retryable classes keep
/// Reconciling (a 409 busy is retried without being surfaced as an error), terminal ones stall.
pub fn failed<S: CommonStatus>(
    status: &mut S,
    generation: Option<i64>,
    failure: &Failure,
    from_operation: bool,
    now: Timestamp,
) -> Requeue {
    failed_within(
        status,
        generation,
        failure,
        from_operation,
        now,
        crate::lifecycle::BUSY_STALL_AFTER,
    )
}

/// [`failed`], with the time after which a 409 that has not cleared becomes Stalled.
pub fn failed_within<S: CommonStatus>(
    status: &mut S,
    generation: Option<i64>,
    failure: &Failure,
    from_operation: bool,
    now: Timestamp,
    busy_stall_after: Duration,
) -> Requeue {
    let reason = failure_reason(failure, from_operation);
    let message = format!("{}: {}", failure.code, failure.message);
    if failure.class != FailureClass::Conflict {
        status.set_azure_busy_since(None);
    }
    match &failure.class {
        FailureClass::Throttled { retry_after } => {
            progressing(status, generation, reason, message, now);
            Requeue::After(clamp_retry_after(*retry_after))
        }
        FailureClass::Transient | FailureClass::NotFound => {
            status.set_last_error(Some(failure.to_status()));
            progressing(status, generation, reason, message, now);
            Requeue::After(WAIT_POLL)
        }
        FailureClass::Conflict => {
            let since = match status.azure_busy_since() {
                Some(t) => t.0,
                None => {
                    status.set_azure_busy_since(Some(
                        k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(now),
                    ));
                    now
                }
            };
            let busy_for = Duration::try_from(now.duration_since(since)).unwrap_or_default();
            if busy_for >= busy_stall_after {
                status.set_last_error(Some(failure.to_status()));
                stalled(
                    status,
                    generation,
                    reason,
                    format!(
                        "Azure has answered 409 for {}s: {message}",
                        busy_for.as_secs()
                    ),
                    now,
                );
                return Requeue::After(STALLED_RETRY);
            }
            progressing(
                status,
                generation,
                reason,
                "Azure is busy with another operation; retrying",
                now,
            );
            Requeue::After(WAIT_POLL)
        }
        FailureClass::Credential => {
            status.set_last_error(Some(failure.to_status()));
            stalled(status, generation, reason, message, now);
            Requeue::After(Duration::from_secs(60))
        }
        FailureClass::Terminal => {
            status.set_last_error(Some(failure.to_status()));
            stalled(status, generation, reason, message, now);
            Requeue::After(STALLED_RETRY)
        }
    }
}

/// Where the operation recorded in status stands, after [`resume_operation`].
#[derive(Clone, Debug, PartialEq)]
pub enum Resumed {
    /// Still running (status says so): plan nothing, look again after this long.
    Waiting(Requeue),
    /// It failed (status says so, the operation record is cleared): plan nothing; this Event.
    Failed(Requeue, EventNote),
    /// None was running, or it just succeeded (record cleared): plan on, with these Events.
    Done(Vec<EventNote>),
}

/// Resumes the operation recorded in `status` from its poll: an operation in flight is waited
/// for, never sent again. `what` names it for messages (`endpoint california-housing-service`).
pub fn resume_operation<S: CommonStatus>(
    status: &mut S,
    generation: Option<i64>,
    outcome: &OperationOutcome,
    what: &str,
    now: Timestamp,
) -> Resumed {
    let kind = status
        .operation()
        .map(|o| o.kind.clone())
        .unwrap_or_default();
    match outcome {
        OperationOutcome::Pending { retry_after } => {
            let reason = match OperationKind::parse(&kind) {
                Some(OperationKind::Create) => Reason::Creating,
                Some(OperationKind::Delete) => Reason::Deleting,
                Some(OperationKind::Scale) => Reason::Scaling,
                _ => Reason::Updating,
            };
            progressing(
                status,
                generation,
                reason,
                format!("waiting for Azure to finish {kind} of {what}"),
                now,
            );
            Resumed::Waiting(Requeue::After(clamp_retry_after(*retry_after)))
        }
        OperationOutcome::Failed(failure) => {
            status.set_operation(None);
            let requeue = failed(status, generation, failure, true, now);
            let note = EventNote::warning(
                "Failed",
                format!(
                    "{kind} of {what} failed: {}: {}",
                    failure.code, failure.message
                ),
            );
            Resumed::Failed(requeue, note)
        }
        OperationOutcome::Succeeded => {
            let mut events = Vec::new();
            if status.operation().is_some() {
                events.push(EventNote::normal(
                    "Succeeded",
                    format!("{kind} of {what} succeeded"),
                ));
                status.set_operation(None);
            }
            status.set_last_error(None);
            Resumed::Done(events)
        }
        OperationOutcome::Lost(why) => {
            let mut events = Vec::new();
            if status.operation().is_some() {
                events.push(EventNote::warning(
                    "OperationLost",
                    format!(
                        "{kind} of {what} can no longer be followed ({why}); reading Azure instead"
                    ),
                ));
                status.set_operation(None);
            }
            Resumed::Done(events)
        }
        OperationOutcome::None => Resumed::Done(Vec::new()),
    }
}

/// How long the object still has to stay Stalled for this generation before the slow periodic
/// retry; `None` when it is not Stalled for this generation or the wait is over.
pub fn stall_hold<S: CommonStatus>(
    status: &S,
    generation: Option<i64>,
    now: Timestamp,
) -> Option<Duration> {
    let stalled = find_condition(status.conditions(), ConditionType::Stalled)?;
    if stalled.status != "True" || stalled.observed_generation != generation {
        return None;
    }
    let since = now.duration_since(stalled.last_transition_time.0);
    let elapsed = Duration::try_from(since).unwrap_or_default();
    STALLED_RETRY
        .checked_sub(elapsed)
        .filter(|left| !left.is_zero())
}

/// True when the object was Ready for this generation before this reconcile: a difference found
/// now was made outside the controller (drift), not asked for by a spec change.
pub fn was_ready<S: CommonStatus>(status: &S, generation: Option<i64>) -> bool {
    status.observed_generation() == generation
        && find_condition(status.conditions(), ConditionType::Ready)
            .is_some_and(|c| c.status == "True")
}

/// Whether a difference found now is drift: the object was Ready for this generation, or it
/// left Ready only because Azure was changing out of band (`DriftDetected`, set while a
/// person's operation runs there). Without the second case a repair that had to wait for a
/// person's delete to finish would read as a first creation.
pub fn drifting<S: CommonStatus>(status: &S, generation: Option<i64>) -> bool {
    was_ready(status, generation)
        || (status.observed_generation() == generation
            && find_condition(status.conditions(), ConditionType::Ready)
                .is_some_and(|c| c.status == "False" && c.reason == Reason::DriftDetected.as_str()))
}

/// The reason for waiting on an Azure operation the controller did not start: `DriftDetected`
/// when the object was drifting (see [`drifting`]), else the given one.
pub fn waiting_reason<S: CommonStatus>(
    status: &S,
    generation: Option<i64>,
    otherwise: Reason,
) -> Reason {
    if drifting(status, generation) {
        Reason::DriftDetected
    } else {
        otherwise
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use api::OnlineEndpointStatus;

    fn now() -> Timestamp {
        Timestamp::from_second(1_800_000_000).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    fn types(s: &OnlineEndpointStatus) -> Vec<(String, String)> {
        let mut v: Vec<_> = s
            .conditions
            .iter()
            .map(|c| (c.type_.clone(), c.status.clone()))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn never_stalled_and_reconciling_together() {
        let mut s = OnlineEndpointStatus::default();
        first_seen(&mut s, Some(1), now());
        assert_eq!(
            types(&s),
            [
                ("Ready".into(), "Unknown".into()),
                ("Reconciling".into(), "True".into())
            ]
        );
        let f = Failure::new(FailureClass::Terminal, "OutOfQuota", "no quota");
        assert_eq!(
            failed(&mut s, Some(1), &f, true, now()),
            Requeue::After(STALLED_RETRY)
        );
        assert_eq!(
            types(&s),
            [
                ("Ready".into(), "False".into()),
                ("Stalled".into(), "True".into())
            ]
        );
        assert_eq!(s.conditions[0].reason, "OperationFailed");
        assert_eq!(
            s.last_error.as_ref().map(|e| e.code.as_str()),
            Some("OutOfQuota")
        );
        progressing(&mut s, Some(2), Reason::Updating, "x", now());
        assert_eq!(
            types(&s),
            [
                ("Ready".into(), "False".into()),
                ("Reconciling".into(), "True".into())
            ]
        );
        ready(&mut s, Some(2), "ok", now());
        assert_eq!(types(&s), [("Ready".into(), "True".into())]);
        assert!(s.last_error.is_none());
    }

    #[test]
    fn conflict_is_retried_not_surfaced_as_an_error() {
        let mut s = OnlineEndpointStatus::default();
        let f = Failure::new(FailureClass::Conflict, "Conflict", "busy");
        assert_eq!(
            failed(&mut s, Some(1), &f, false, now()),
            Requeue::After(WAIT_POLL)
        );
        assert!(s.last_error.is_none());
        assert!(find_condition(&s.conditions, ConditionType::Stalled).is_none());
    }

    #[test]
    fn stall_hold_counts_down_and_ends_on_a_new_generation() {
        let mut s = OnlineEndpointStatus::default();
        let f = Failure::new(FailureClass::Terminal, "BadArgument", "bad");
        failed(&mut s, Some(3), &f, false, now());
        assert_eq!(stall_hold(&s, Some(3), now()), Some(STALLED_RETRY));
        let later = now() + STALLED_RETRY;
        assert_eq!(stall_hold(&s, Some(3), later), None);
        assert_eq!(stall_hold(&s, Some(4), now()), None);
    }
}
