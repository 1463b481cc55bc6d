//! Lifecycle rules every kind shares: whose an Azure resource is (the owner tag, explicit
//! adoption, one object per Azure resource), the reconcile policy annotation, and the bounds that
//! make every deletion and every recorded operation finish.
//!
//! Invariants:
//! - What the controller creates carries [`OWNER_TAG`] naming the Kubernetes object
//!   (`Kind/namespace/name`, at most 256 characters, Azure's limit for a tag value).
//! - An existing Azure resource without this object's owner tag is never written or deleted
//!   unless the object asks to adopt it ([`api::ADOPT_ANNOTATION`]); an adopted resource is
//!   deleted only when adoption said `delete`.
//! - `skip` never lets a write through; `detach-on-delete` and `skip` never delete.

use std::time::Duration;

use api::conditions::{ConditionType, NewCondition, Reason, find_condition, remove_condition};
use api::status::CommonStatus;
use k8s_openapi::jiff::Timestamp;
use serde_json::Value;

use crate::outcome::{Plan, Requeue};

pub use crate::network::targets::OWNER_TAG;

/// The tag an adopted resource carries when deletion must leave it in Azure (`keep`).
pub const ADOPTED_TAG: &str = "aml-operator-adopted";
/// Azure's limit on a tag value (Learn: "Use tags to organize your Azure resources", limits).
pub const TAG_VALUE_MAX: usize = 256;
/// How long deletion keeps trying when it cannot reach Azure at all (no credential): then the
/// finalizer is released with a `LeftInAzure` Warning naming what stays there.
pub const DELETION_GRACE: Duration = Duration::from_secs(10 * 60);
/// A recorded Azure operation older than this is no longer polled: a GET decides what is true.
/// Managed online deployments take tens of minutes; ARM's own async timeout is far below this.
pub const OPERATION_MAX_AGE: Duration = Duration::from_secs(6 * 60 * 60);
/// A 409 (Azure busy) that does not clear for this long becomes Stalled with ARM's code.
pub const BUSY_STALL_AFTER: Duration = Duration::from_secs(10 * 60);

/// The owner tag value of a Kubernetes object: `Kind/namespace/name`. Kubernetes allows longer
/// names than Azure allows tag values, so a value over 256 characters keeps its start and ends in
/// a hash of the whole (stable across releases: FNV-1a, 64 bits).
pub fn owner_value(kind: &str, namespace: &str, name: &str) -> String {
    let full = format!("{kind}/{namespace}/{name}");
    if full.chars().count() <= TAG_VALUE_MAX {
        return full;
    }
    let hash = fnv1a(full.as_bytes());
    let suffix = format!("~{hash:016x}");
    let keep = TAG_VALUE_MAX - suffix.len();
    let head: String = full.chars().take(keep).collect();
    format!("{head}{suffix}")
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// `aml-operator.io/reconcile-policy`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ReconcilePolicy {
    /// Create, update, correct drift, delete per `deletionPolicy`.
    #[default]
    Manage,
    /// Observe only: status follows Azure; no write, no delete.
    Skip,
    /// Manage, but deletion leaves Azure alone (like `deletionPolicy: Orphan`).
    DetachOnDelete,
}

impl ReconcilePolicy {
    /// Parses the annotation (absent = `manage`; case-insensitive).
    ///
    /// # Errors
    /// A message naming the annotation and the values it takes.
    pub fn parse(value: Option<&str>) -> Result<Self, String> {
        let Some(value) = value else {
            return Ok(Self::Manage);
        };
        match value.trim().to_ascii_lowercase().as_str() {
            "" | "manage" => Ok(Self::Manage),
            "skip" => Ok(Self::Skip),
            "detach-on-delete" => Ok(Self::DetachOnDelete),
            _ => Err(format!(
                "metadata.annotations[{}]: {value:?} is not one of manage, skip, detach-on-delete",
                api::RECONCILE_POLICY_ANNOTATION
            )),
        }
    }
}

/// `aml-operator.io/adopt`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Adoption {
    /// Only what this object created (its owner tag) is managed.
    #[default]
    No,
    /// Take over an existing resource; deletion leaves it in Azure.
    Keep,
    /// Take over an existing resource; deletion follows `deletionPolicy`.
    Delete,
}

impl Adoption {
    /// Parses the annotation (absent = no adoption; case-insensitive).
    ///
    /// # Errors
    /// A message naming the annotation and the values it takes.
    pub fn parse(value: Option<&str>) -> Result<Self, String> {
        let Some(value) = value else {
            return Ok(Self::No);
        };
        match value.trim().to_ascii_lowercase().as_str() {
            "" => Ok(Self::No),
            "keep" => Ok(Self::Keep),
            "delete" => Ok(Self::Delete),
            _ => Err(format!(
                "metadata.annotations[{}]: {value:?} is not one of keep, delete",
                api::ADOPT_ANNOTATION
            )),
        }
    }
}

/// What the controller knows of an object's lifecycle beyond its spec.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lifecycle {
    /// This object's owner tag value ([`owner_value`]).
    pub owner: String,
    /// The reconcile policy annotation.
    pub policy: ReconcilePolicy,
    /// The adopt annotation.
    pub adoption: Adoption,
    /// An annotation that could not be read (the object is Stalled until it is fixed; deletion
    /// then leaves Azure alone).
    pub invalid: Option<String>,
    /// Another object of the cluster that manages the same Azure resource and came first.
    pub claimed_by: Option<String>,
    /// The namespace's grant does not allow what this object (or its Workspace) asks: the rule.
    /// Nothing is sent to Azure, and deletion leaves Azure alone.
    pub not_permitted: Option<String>,
    /// `metadata.deletionTimestamp`.
    pub deleting_since: Option<Timestamp>,
}

impl Lifecycle {
    /// A lifecycle for `Kind/namespace/name` read from its annotations.
    pub fn from_annotations(
        kind: &str,
        namespace: &str,
        name: &str,
        annotation: impl Fn(&str) -> Option<String>,
    ) -> Self {
        let mut invalid = Vec::new();
        let policy =
            ReconcilePolicy::parse(annotation(api::RECONCILE_POLICY_ANNOTATION).as_deref())
                .unwrap_or_else(|e| {
                    invalid.push(e);
                    ReconcilePolicy::Skip
                });
        let adoption = Adoption::parse(annotation(api::ADOPT_ANNOTATION).as_deref())
            .unwrap_or_else(|e| {
                invalid.push(e);
                Adoption::No
            });
        Self {
            owner: owner_value(kind, namespace, name),
            policy,
            adoption,
            invalid: (!invalid.is_empty()).then(|| invalid.join("; ")),
            claimed_by: None,
            not_permitted: None,
            deleting_since: None,
        }
    }

    /// True when deletion must leave Azure alone whatever `deletionPolicy` says.
    pub fn detached(&self) -> bool {
        self.policy != ReconcilePolicy::Manage
            || self.invalid.is_some()
            || self.claimed_by.is_some()
            || self.not_permitted.is_some()
    }

    /// The tags the controller writes on what this object manages: the owner tag, and the
    /// adopted tag when adoption says `keep`.
    pub fn tags(&self) -> Vec<(String, String)> {
        let mut tags = vec![(OWNER_TAG.to_owned(), self.owner.clone())];
        if self.adoption == Adoption::Keep {
            tags.push((ADOPTED_TAG.to_owned(), "keep".to_owned()));
        }
        tags
    }

    /// Whose `resource` is, for this object.
    pub fn ownership(&self, resource: &Value) -> Ownership {
        let owner = tag(resource, OWNER_TAG);
        let keep = tag(resource, ADOPTED_TAG).is_some_and(|v| v.eq_ignore_ascii_case("keep"));
        match owner {
            Some(o) if o == self.owner => {
                if keep || self.adoption == Adoption::Keep {
                    Ownership::Adopted { keep: true }
                } else {
                    Ownership::Ours
                }
            }
            _ if self.adoption != Adoption::No => Ownership::Adopted {
                keep: keep || self.adoption == Adoption::Keep,
            },
            Some(o) => Ownership::OwnedBy(o.to_owned()),
            None => Ownership::NotOwned,
        }
    }
}

/// A tag's value, the key matched case-insensitively (as Azure does).
pub fn tag<'a>(resource: &'a Value, key: &str) -> Option<&'a str> {
    resource
        .get("tags")
        .and_then(Value::as_object)
        .and_then(|t| t.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)))
        .and_then(|(_, v)| v.as_str())
}

/// Whose an existing Azure resource is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ownership {
    /// It carries this object's owner tag.
    Ours,
    /// Taken over on request; `keep` when deletion must leave it in Azure.
    Adopted {
        /// Deletion leaves it.
        keep: bool,
    },
    /// No owner tag, no adoption: not to be written or deleted.
    NotOwned,
    /// Another object's owner tag (its value).
    OwnedBy(String),
}

impl Ownership {
    /// True when the controller may write to it.
    pub fn manageable(&self) -> bool {
        matches!(self, Self::Ours | Self::Adopted { .. })
    }

    /// True when `deletionPolicy: Delete` may delete it.
    pub fn deletable(&self) -> bool {
        matches!(self, Self::Ours | Self::Adopted { keep: false })
    }

    /// Why the controller does not manage `what`, and how to let it.
    pub fn refusal(&self, what: &str, kind: &str, name: &str) -> Option<(Reason, String)> {
        match self {
            Self::Ours | Self::Adopted { .. } => None,
            Self::NotOwned => Some((
                Reason::NotOwned,
                format!(
                    "{what} already exists in Azure and was not created by this object (no tag {OWNER_TAG}); to manage it, annotate: kubectl annotate {} {name} {}=keep (deletion leaves it in Azure) or ={} (deletion follows deletionPolicy)",
                    kind.to_ascii_lowercase(),
                    api::ADOPT_ANNOTATION,
                    "delete"
                ),
            )),
            Self::OwnedBy(other) => Some((
                Reason::OwnedByAnother,
                format!(
                    "{what} is managed by {other} (tag {OWNER_TAG}); two objects never manage one Azure resource. To move it here, delete {other} with deletionPolicy Orphan, then annotate this object {}=keep or =delete",
                    api::ADOPT_ANNOTATION
                ),
            )),
        }
    }
}

/// Stalls an object that may not act on its Azure resource: another object came first
/// (`OwnedByAnother`), or the resource exists and is not this object's (`NotOwned`, nothing of it
/// read into status). `None` when it may act (always while deleting: deletion has its own rules).
/// `what` names the resource (`endpoint scoring`), `kind` and `name` the object.
#[allow(clippy::too_many_arguments)]
pub fn refuse<S: CommonStatus>(
    lifecycle: &Lifecycle,
    status: &mut S,
    observed: &crate::observe::Observation,
    deleting: bool,
    what: &str,
    kind: &str,
    name: &str,
    generation: Option<i64>,
    now: Timestamp,
) -> Option<Requeue> {
    if deleting {
        return None;
    }
    let refusal = match (&lifecycle.claimed_by, observed.found()) {
        (Some(first), _) => Some((
            Reason::OwnedByAnother,
            format!(
                "{what} is already managed by {first}; two objects never manage one Azure resource"
            ),
        )),
        (None, Some(resource)) if lifecycle.policy != ReconcilePolicy::Skip => {
            lifecycle.ownership(resource).refusal(what, kind, name)
        }
        _ => None,
    }?;
    crate::progress::stalled(status, generation, refusal.0, refusal.1, now);
    Some(Requeue::After(crate::STALLED_RETRY))
}

/// Lifts a Stalled that this module set (not owned, owned by another object, an unreadable
/// annotation): those are decided afresh on every reconcile, so the slow retry of a Stalled
/// generation must not hold back an object whose annotation now adopts, or whose rival is gone.
pub fn lift_lifecycle_stall<S: CommonStatus>(status: &mut S) {
    let ours = find_condition(status.conditions(), ConditionType::Stalled).is_some_and(|c| {
        c.status == "True"
            && (c.reason == Reason::NotOwned.as_str()
                || c.reason == Reason::OwnedByAnother.as_str()
                || c.reason == Reason::NotPermitted.as_str()
                || (c.reason == Reason::InvalidSpec.as_str()
                    && c.message.starts_with("metadata.annotations")))
    });
    if ours {
        remove_condition(status.conditions_mut(), ConditionType::Stalled);
    }
}

/// True when a deletion that cannot reach Azure has waited long enough: its finalizer is then
/// released with a `LeftInAzure` Warning naming what stays in Azure.
pub fn deletion_gives_up(
    deleting_since: Option<Timestamp>,
    now: Timestamp,
    grace: Duration,
) -> bool {
    deleting_since.is_some_and(|since| {
        Duration::try_from(now.duration_since(since)).is_ok_and(|waited| waited >= grace)
    })
}

/// True when an operation started at `started_at` (RFC 3339, as status records it) is older than
/// [`OPERATION_MAX_AGE`], or its start cannot be read: it is dropped and a GET decides.
pub fn operation_expired(started_at: &str, now: Timestamp) -> bool {
    match started_at.parse::<Timestamp>() {
        Ok(at) => {
            Duration::try_from(now.duration_since(at)).is_ok_and(|age| age >= OPERATION_MAX_AGE)
        }
        Err(_) => true,
    }
}

/// Applies the annotations to a plan made for an object that is not being deleted (deletion under
/// `skip`, `detach-on-delete` or an unreadable annotation is planned as `Orphan`): an unreadable
/// annotation stalls the object naming it and sends nothing; `skip` observes only.
pub fn apply_policy<S: CommonStatus, A: Clone>(
    mut plan: Plan<S, A>,
    lifecycle: &Lifecycle,
    is_write: bool,
    none: A,
    generation: Option<i64>,
    now: Timestamp,
) -> Plan<S, A> {
    if let Some(why) = &lifecycle.not_permitted {
        crate::progress::stalled(
            &mut plan.status,
            generation,
            Reason::NotPermitted,
            why.clone(),
            now,
        );
        if is_write {
            plan.action = none;
        }
        plan.requeue = Requeue::After(crate::WAIT_POLL * 6);
        plan.events.clear();
        plan.drift.clear();
        return plan;
    }
    if let Some(why) = &lifecycle.invalid {
        crate::progress::stalled(
            &mut plan.status,
            generation,
            Reason::InvalidSpec,
            why.clone(),
            now,
        );
        if is_write {
            plan.action = none;
        }
        plan.requeue = Requeue::After(crate::STALLED_RETRY);
        plan.events.clear();
        plan.drift.clear();
        return plan;
    }
    if lifecycle.policy == ReconcilePolicy::Skip {
        return observe_only(plan, is_write, none, generation, now);
    }
    plan
}

/// Applies `reconcile-policy: skip` to a plan: any write is dropped (the status says what the
/// controller would do), Ready follows Azure with reason `ReconcileSkipped`, no Events.
pub fn observe_only<S: CommonStatus, A: Clone>(
    mut plan: Plan<S, A>,
    is_write: bool,
    none: A,
    generation: Option<i64>,
    now: Timestamp,
) -> Plan<S, A> {
    let ready = find_condition(plan.status.conditions(), ConditionType::Ready)
        .map(|c| (c.status == "True" && !is_write, c.message.clone()))
        .unwrap_or((false, String::new()));
    let (is_ready, message) = ready;
    let message = if is_write {
        format!("reconcile-policy skip: nothing is written; the controller would be: {message}")
    } else {
        format!("reconcile-policy skip: observing only; {message}")
    };
    let condition = if is_ready {
        NewCondition {
            reason: Reason::ReconcileSkipped,
            message: message.clone(),
            ..NewCondition::ready(generation, message)
        }
    } else {
        NewCondition::not_ready(generation, Reason::ReconcileSkipped, message)
    };
    api::conditions::set_condition(plan.status.conditions_mut(), condition, now);
    remove_condition(plan.status.conditions_mut(), ConditionType::Reconciling);
    remove_condition(plan.status.conditions_mut(), ConditionType::Stalled);
    plan.status.set_observed_generation(generation);
    if is_write {
        plan.action = none;
    }
    if plan.requeue == Requeue::Now || is_write {
        plan.requeue = Requeue::Sync;
    }
    plan.events.clear();
    plan.drift.clear();
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn owner_values_fit_azure_tag_limits() {
        let short = owner_value("OnlineEndpoint", "ml-prod", "scoring");
        assert_eq!(short, "OnlineEndpoint/ml-prod/scoring");
        let long_ns = "n".repeat(63);
        let long_name = "a".repeat(253);
        let v = owner_value("OnlineDeployment", &long_ns, &long_name);
        assert_eq!(v.chars().count(), TAG_VALUE_MAX);
        let other = owner_value(
            "OnlineDeployment",
            &long_ns,
            &format!("{}b", "a".repeat(252)),
        );
        assert_ne!(v, other, "names differing only past the cut still differ");
        assert_eq!(v, owner_value("OnlineDeployment", &long_ns, &long_name));
    }

    #[test]
    fn annotations_parse_and_bad_values_name_the_annotation() {
        assert_eq!(ReconcilePolicy::parse(None), Ok(ReconcilePolicy::Manage));
        assert_eq!(
            ReconcilePolicy::parse(Some("Skip")),
            Ok(ReconcilePolicy::Skip)
        );
        assert_eq!(
            ReconcilePolicy::parse(Some("detach-on-delete")),
            Ok(ReconcilePolicy::DetachOnDelete)
        );
        let err = ReconcilePolicy::parse(Some("never")).expect_err("not a policy");
        assert!(err.contains(api::RECONCILE_POLICY_ANNOTATION), "{err}");
        let lc = Lifecycle::from_annotations("OnlineEndpoint", "ns", "a", |k| {
            (k == api::ADOPT_ANNOTATION).then(|| "yes".to_owned())
        });
        assert!(
            lc.invalid
                .as_deref()
                .is_some_and(|e| e.contains(api::ADOPT_ANNOTATION))
        );
        assert!(lc.detached(), "an unreadable annotation never deletes");
    }

    #[test]
    fn ownership_by_tag_and_adoption() {
        let mut lc = Lifecycle::from_annotations("OnlineEndpoint", "ns", "a", |_| None);
        let ours = json!({"tags": {"aml-operator-owner": "OnlineEndpoint/ns/a"}});
        let theirs = json!({"tags": {"AML-OPERATOR-OWNER": "OnlineEndpoint/other/a"}});
        let untagged = json!({"tags": {"team": "x"}});
        assert_eq!(lc.ownership(&ours), Ownership::Ours);
        assert!(
            matches!(lc.ownership(&theirs), Ownership::OwnedBy(o) if o == "OnlineEndpoint/other/a")
        );
        assert_eq!(lc.ownership(&untagged), Ownership::NotOwned);
        assert!(!lc.ownership(&untagged).deletable());
        lc.adoption = Adoption::Keep;
        assert_eq!(lc.ownership(&untagged), Ownership::Adopted { keep: true });
        assert!(!lc.ownership(&untagged).deletable());
        lc.adoption = Adoption::Delete;
        assert!(lc.ownership(&untagged).deletable());
        // Adopted with keep once: the tag in Azure keeps deletion away even without the annotation.
        lc.adoption = Adoption::No;
        let kept = json!({"tags": {"aml-operator-owner": "OnlineEndpoint/ns/a", "aml-operator-adopted": "keep"}});
        assert_eq!(lc.ownership(&kept), Ownership::Adopted { keep: true });
    }

    #[test]
    fn deletion_and_operation_bounds() {
        let t0 = Timestamp::from_second(1_800_000_000).unwrap_or(Timestamp::UNIX_EPOCH);
        let later =
            |s: i64| Timestamp::from_second(1_800_000_000 + s).unwrap_or(Timestamp::UNIX_EPOCH);
        assert!(!deletion_gives_up(Some(t0), later(60), DELETION_GRACE));
        assert!(deletion_gives_up(Some(t0), later(601), DELETION_GRACE));
        assert!(!deletion_gives_up(None, later(10_000), DELETION_GRACE));
        assert!(!operation_expired(&t0.to_string(), later(3600)));
        assert!(operation_expired(&t0.to_string(), later(6 * 3600 + 1)));
        assert!(operation_expired("not a time", t0));
    }
}
