//! Condition types, reasons and their named constructors (DESIGN §5, kstatus).
//!
//! Invariants kept by [`set_condition`]:
//! - one condition per type;
//! - `lastTransitionTime` changes only when the condition's status flips, so a status that is
//!   recomputed every reconcile does not churn;
//! - every condition carries the `observedGeneration` it was computed for.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::jiff::Timestamp;

/// The condition types the controller writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConditionType {
    /// The object is what its spec asks for, in Azure, for the current generation.
    Ready,
    /// The controller is working towards the spec (present only while True).
    Reconciling,
    /// The controller cannot make progress without a change (present only while True).
    Stalled,
    /// Every leg of network isolation holds.
    NetworkIsolated,
    /// The endpoint's keys Secret holds the keys Azure has (endpoints with `keysSecret`).
    KeysSynced,
}

impl ConditionType {
    /// The type as written in status.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ready => "Ready",
            Self::Reconciling => "Reconciling",
            Self::Stalled => "Stalled",
            Self::NetworkIsolated => "NetworkIsolated",
            Self::KeysSynced => "KeysSynced",
        }
    }
}

/// Stable CamelCase reasons. Tools and alerts may match on them; messages are for humans.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reason {
    /// Azure reports the resource Succeeded and it matches the spec.
    Succeeded,
    /// The controller has seen the object and starts working on it.
    Progressing,
    /// An Azure create is in flight.
    Creating,
    /// An Azure update is in flight.
    Updating,
    /// An Azure scale operation is in flight.
    Scaling,
    /// An Azure delete is in flight.
    Deleting,
    /// Something this object needs (its Workspace, endpoint or a deployment) is not ready yet.
    DependencyNotReady,
    /// The object is waiting for its turn: another write to the same endpoint is in flight.
    WaitingForEndpoint,
    /// A deployment to be deleted still receives traffic; remove it from the endpoint's traffic.
    WaitingForTrafficRemoval,
    /// The spec cannot be applied as written.
    InvalidSpec,
    /// Azure throttled the controller; it retries after the time Azure asked for.
    Throttled,
    /// Azure answered a transient error; the controller retries with backoff.
    TransientError,
    /// Azure is busy with another operation on the resource (409); the controller retries.
    AzureBusy,
    /// Azure refused the request for a reason a retry will not fix (bad request, quota).
    AzureRejected,
    /// The controller's identity lacks permission for the request.
    AuthorizationFailed,
    /// The Azure operation ended Failed or Canceled.
    OperationFailed,
    /// The Azure credential could not be obtained.
    CredentialError,
    /// A difference between Azure and the spec was found and corrected.
    DriftCorrected,
    /// Azure changed out of band after the object was Ready (a person or another tool) and its
    /// operation is still running there; the controller corrects it once that operation ends.
    DriftDetected,
    /// The isolation legs all hold.
    Isolated,
    /// At least one isolation leg does not hold (the message names each).
    NotIsolated,
    /// A private endpoint connection waits for manual approval.
    ApprovalPending,
    /// A private endpoint connection was rejected or disconnected.
    ConnectionRejected,
    /// The spec explicitly allows public access, so isolation is not required for Ready.
    PublicAccessAllowed,
    /// The spec asks to turn a workspace's managed network off, which Azure cannot do.
    ManagedNetworkCannotBeDisabled,
    /// The Azure resource exists and was not created by this object (no owner tag naming it):
    /// it is not taken over unless the object asks to adopt it.
    NotOwned,
    /// Another object of this cluster manages the same Azure resource (the message names it).
    OwnedByAnother,
    /// `aml-operator.io/reconcile-policy: skip`: status follows Azure, nothing is written.
    ReconcileSkipped,
    /// Deletion could not reach Azure within its bound; what is left there is named.
    LeftInAzure,
    /// The keys Secret was written from Azure's keys.
    KeysWritten,
    /// The keys could not be read from Azure or written to the Secret; retried with back-off.
    KeysNotSynced,
    /// The namespace may not do this (the cluster admin's grant: the controller's identity, the
    /// workspaces, subnets and VNets it may use); the message names the rule.
    NotPermitted,
}

impl Reason {
    /// The reason as written in status.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Succeeded => "Succeeded",
            Self::Progressing => "Progressing",
            Self::Creating => "Creating",
            Self::Updating => "Updating",
            Self::Scaling => "Scaling",
            Self::Deleting => "Deleting",
            Self::DependencyNotReady => "DependencyNotReady",
            Self::WaitingForEndpoint => "WaitingForEndpoint",
            Self::WaitingForTrafficRemoval => "WaitingForTrafficRemoval",
            Self::InvalidSpec => "InvalidSpec",
            Self::Throttled => "Throttled",
            Self::TransientError => "TransientError",
            Self::AzureBusy => "AzureBusy",
            Self::AzureRejected => "AzureRejected",
            Self::AuthorizationFailed => "AuthorizationFailed",
            Self::OperationFailed => "OperationFailed",
            Self::CredentialError => "CredentialError",
            Self::DriftCorrected => "DriftCorrected",
            Self::DriftDetected => "DriftDetected",
            Self::Isolated => "Isolated",
            Self::NotIsolated => "NotIsolated",
            Self::ApprovalPending => "ApprovalPending",
            Self::ConnectionRejected => "ConnectionRejected",
            Self::PublicAccessAllowed => "PublicAccessAllowed",
            Self::ManagedNetworkCannotBeDisabled => "ManagedNetworkCannotBeDisabled",
            Self::NotOwned => "NotOwned",
            Self::OwnedByAnother => "OwnedByAnother",
            Self::ReconcileSkipped => "ReconcileSkipped",
            Self::LeftInAzure => "LeftInAzure",
            Self::NotPermitted => "NotPermitted",
            Self::KeysWritten => "KeysWritten",
            Self::KeysNotSynced => "KeysNotSynced",
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A condition's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// `"True"`
    True,
    /// `"False"`
    False,
    /// `"Unknown"`
    Unknown,
}

impl Status {
    /// The status as written in a condition.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::True => "True",
            Self::False => "False",
            Self::Unknown => "Unknown",
        }
    }
}

/// A condition to be written, before the time of its last transition is known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCondition {
    /// The condition type.
    pub type_: ConditionType,
    /// True, False or Unknown.
    pub status: Status,
    /// A stable CamelCase reason.
    pub reason: Reason,
    /// A message for humans.
    pub message: String,
    /// The generation this condition was computed for.
    pub observed_generation: Option<i64>,
}

impl NewCondition {
    fn new(
        type_: ConditionType,
        status: Status,
        reason: Reason,
        message: impl Into<String>,
        generation: Option<i64>,
    ) -> Self {
        Self {
            type_,
            status,
            reason,
            message: message.into(),
            observed_generation: generation,
        }
    }

    /// `Ready=True`: Azure reports Succeeded for this generation.
    pub fn ready(generation: Option<i64>, message: impl Into<String>) -> Self {
        Self::new(
            ConditionType::Ready,
            Status::True,
            Reason::Succeeded,
            message,
            generation,
        )
    }

    /// `Ready=False` with the reason why not.
    pub fn not_ready(generation: Option<i64>, reason: Reason, message: impl Into<String>) -> Self {
        Self::new(
            ConditionType::Ready,
            Status::False,
            reason,
            message,
            generation,
        )
    }

    /// `Ready=Unknown`, written on the first reconcile before anything is known.
    pub fn ready_unknown(generation: Option<i64>, message: impl Into<String>) -> Self {
        Self::new(
            ConditionType::Ready,
            Status::Unknown,
            Reason::Progressing,
            message,
            generation,
        )
    }

    /// `Reconciling=True`: the controller is working on it.
    pub fn reconciling(
        generation: Option<i64>,
        reason: Reason,
        message: impl Into<String>,
    ) -> Self {
        Self::new(
            ConditionType::Reconciling,
            Status::True,
            reason,
            message,
            generation,
        )
    }

    /// `Stalled=True`: the controller cannot progress without a change.
    pub fn stalled(generation: Option<i64>, reason: Reason, message: impl Into<String>) -> Self {
        Self::new(
            ConditionType::Stalled,
            Status::True,
            reason,
            message,
            generation,
        )
    }

    /// `NetworkIsolated=True`.
    pub fn isolated(generation: Option<i64>, message: impl Into<String>) -> Self {
        Self::new(
            ConditionType::NetworkIsolated,
            Status::True,
            Reason::Isolated,
            message,
            generation,
        )
    }

    /// `KeysSynced`: whether the keys Secret holds Azure's keys.
    pub fn keys_synced(generation: Option<i64>, ok: bool, message: impl Into<String>) -> Self {
        Self::new(
            ConditionType::KeysSynced,
            if ok { Status::True } else { Status::False },
            if ok {
                Reason::KeysWritten
            } else {
                Reason::KeysNotSynced
            },
            message,
            generation,
        )
    }

    /// `NetworkIsolated=False` with the reason and the missing legs in the message.
    pub fn not_isolated(
        generation: Option<i64>,
        reason: Reason,
        message: impl Into<String>,
    ) -> Self {
        Self::new(
            ConditionType::NetworkIsolated,
            Status::False,
            reason,
            message,
            generation,
        )
    }

    /// The Kubernetes condition, stamped with `now` as its transition time.
    pub fn into_condition(self, now: Timestamp) -> Condition {
        Condition {
            type_: self.type_.as_str().to_owned(),
            status: self.status.as_str().to_owned(),
            reason: self.reason.as_str().to_owned(),
            message: truncate_message(self.message),
            observed_generation: self.observed_generation,
            last_transition_time: Time(now),
        }
    }
}

/// The longest condition message written (bytes): Azure's messages can be long, and the
/// apiserver refuses a condition message over 32,768 characters.
pub const MESSAGE_MAX: usize = 4000;

/// `message` cut to [`MESSAGE_MAX`] bytes on a character boundary, marked with an ellipsis.
pub fn truncate_message(message: String) -> String {
    if message.len() <= MESSAGE_MAX {
        return message;
    }
    let mut end = MESSAGE_MAX;
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &message[..end])
}

/// Sets `new` in `conditions`, replacing a condition of the same type. The previous
/// `lastTransitionTime` is kept when the status did not flip.
pub fn set_condition(conditions: &mut Vec<Condition>, new: NewCondition, now: Timestamp) {
    let type_ = new.type_.as_str();
    let status = new.status.as_str();
    let mut condition = new.into_condition(now);
    match conditions.iter_mut().find(|c| c.type_ == type_) {
        Some(existing) => {
            if existing.status == status {
                condition.last_transition_time = existing.last_transition_time.clone();
            }
            *existing = condition;
        }
        None => conditions.push(condition),
    }
}

/// Removes the condition of `type_` (Reconciling and Stalled are present only while True).
pub fn remove_condition(conditions: &mut Vec<Condition>, type_: ConditionType) {
    conditions.retain(|c| c.type_ != type_.as_str());
}

/// The condition of `type_`, if present.
pub fn find_condition(conditions: &[Condition], type_: ConditionType) -> Option<&Condition> {
    conditions.iter().find(|c| c.type_ == type_.as_str())
}

/// True when both lists hold the same conditions, ignoring transition times: a status that only
/// differs in time stamps needs no write.
pub fn same_conditions(a: &[Condition], b: &[Condition]) -> bool {
    a.len() == b.len()
        && a.iter().all(|x| {
            b.iter().any(|y| {
                x.type_ == y.type_
                    && x.status == y.status
                    && x.reason == y.reason
                    && x.message == y.message
                    && x.observed_generation == y.observed_generation
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_messages_are_cut_on_a_character_boundary() {
        let long = "é".repeat(5000);
        let mut conditions = Vec::new();
        set_condition(
            &mut conditions,
            NewCondition::not_ready(Some(1), Reason::AzureRejected, long),
            t(1),
        );
        let message = &conditions[0].message;
        assert!(
            message.len() <= MESSAGE_MAX + '…'.len_utf8(),
            "{}",
            message.len()
        );
        assert!(message.ends_with('…'));
    }

    fn t(secs: i64) -> Timestamp {
        Timestamp::from_second(secs).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    #[test]
    fn transition_time_kept_while_status_holds() {
        let mut cs = Vec::new();
        set_condition(
            &mut cs,
            NewCondition::ready_unknown(Some(1), "starting"),
            t(10),
        );
        set_condition(
            &mut cs,
            NewCondition::not_ready(Some(1), Reason::Creating, "creating"),
            t(20),
        );
        assert_eq!(cs.len(), 1);
        assert_eq!(
            cs[0].last_transition_time.0,
            t(20),
            "Unknown -> False is a flip"
        );
        set_condition(
            &mut cs,
            NewCondition::not_ready(Some(2), Reason::Updating, "updating"),
            t(30),
        );
        assert_eq!(
            cs[0].last_transition_time.0,
            t(20),
            "False -> False keeps the time"
        );
        assert_eq!(cs[0].reason, "Updating");
        assert_eq!(cs[0].observed_generation, Some(2));
        set_condition(&mut cs, NewCondition::ready(Some(2), "ok"), t(40));
        assert_eq!(cs[0].last_transition_time.0, t(40));
        assert_eq!(cs[0].status, "True");
    }

    #[test]
    fn remove_and_compare() {
        let mut a = Vec::new();
        set_condition(&mut a, NewCondition::ready_unknown(Some(1), "x"), t(1));
        set_condition(
            &mut a,
            NewCondition::reconciling(Some(1), Reason::Progressing, "x"),
            t(1),
        );
        let mut b = a.clone();
        b.reverse();
        for c in &mut b {
            c.last_transition_time = Time(t(99));
        }
        assert!(same_conditions(&a, &b), "order and times do not matter");
        remove_condition(&mut b, ConditionType::Reconciling);
        assert!(!same_conditions(&a, &b));
        assert!(find_condition(&b, ConditionType::Reconciling).is_none());
        assert!(find_condition(&b, ConditionType::Ready).is_some());
    }
}
