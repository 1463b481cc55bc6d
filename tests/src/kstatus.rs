//! A port of kstatus' status computation for custom resources: the rules Flux (`wait: true`,
//! `healthChecks`), kpt and `kubectl wait --for=jsonpath` users rely on to decide whether an
//! object is done. Used as a test oracle: every status the controller writes must read as
//! intended here.
//!
//! The rules, in the order kstatus applies them (first decision wins):
//! 1. `metadata.deletionTimestamp` set → [`Status::Terminating`];
//! 2. `metadata.generation` and `status.observedGeneration` both present and different →
//!    [`Status::InProgress`] (reason `LatestGenerationNotObserved`); a missing
//!    `observedGeneration` skips this rule, as in kstatus;
//! 3. the first condition in list order that is `Reconciling=True` → [`Status::InProgress`], or
//!    `Stalled=True` → [`Status::Failed`];
//! 4. a `Ready` condition: `True` → [`Status::Current`], `False`/`Unknown` → [`Status::InProgress`]
//!    with Ready's reason;
//! 5. otherwise → [`Status::Current`] ("Resource is current"): kstatus reads an object without any
//!    of these conditions as done, which is why the controller's first write must already say
//!    `Reconciling=True` (DESIGN §5).
//!
//! An absent object is [`Status::NotFound`] ([`compute_observed`]).
//!
//! Invariants: the computation is pure and total over well-typed input; fields of the wrong JSON
//! type are errors (kstatus fails on them too), never guessed. Built-in kinds for which kstatus
//! has special rules (Deployment, Pod, Job, ...) are refused rather than judged by the generic
//! rules, so the oracle cannot silently answer for a kind it does not model.

use serde_json::Value;

/// The verdicts kstatus gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// Work is under way (or the latest spec has not been seen yet).
    InProgress,
    /// The controller gave up until something changes (`Stalled=True`).
    Failed,
    /// The object is what its spec asks for.
    Current,
    /// The object is being deleted.
    Terminating,
    /// The object does not exist.
    NotFound,
}

impl Status {
    /// The name kstatus prints.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InProgress => "InProgress",
            Self::Failed => "Failed",
            Self::Current => "Current",
            Self::Terminating => "Terminating",
            Self::NotFound => "NotFound",
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which rule decided the verdict; lets a test tell "Current because Ready=True" from
/// "Current because nothing said otherwise".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rule {
    /// The object was absent.
    Absent,
    /// `metadata.deletionTimestamp` was set.
    Deletion,
    /// `status.observedGeneration` differed from `metadata.generation`.
    Generation,
    /// A `Reconciling=True` condition.
    Reconciling,
    /// A `Stalled=True` condition.
    Stalled,
    /// The `Ready` condition.
    Ready,
    /// None of the above: kstatus' implicit "current".
    NoStandardCondition,
}

/// kstatus' answer for one object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// The status.
    pub status: Status,
    /// The reason kstatus attaches (the deciding condition's reason, or kstatus' own word such
    /// as `LatestGenerationNotObserved`); `None` for Current, Terminating and NotFound.
    pub reason: Option<String>,
    /// The human message.
    pub message: String,
    /// The rule that decided.
    pub rule: Rule,
}

/// Why an object could not be judged.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The value is not a JSON object.
    #[error("failed to compute status: the object is not a JSON object")]
    NotAnObject,
    /// A field kstatus reads has the wrong type.
    #[error("failed to compute status: {path} is not {expected}")]
    FieldType {
        /// The field, e.g. `status.observedGeneration`.
        path: String,
        /// What it should be, e.g. `an integer`.
        expected: &'static str,
    },
    /// A built-in kind with its own kstatus rules, which this port does not model.
    #[error(
        "failed to compute status: {kind} has kind-specific kstatus rules that this port does not model"
    )]
    BuiltInKind {
        /// `group/Kind` (or `Kind` for the core group).
        kind: String,
    },
}

/// Kinds for which kstatus uses kind-specific rules instead of the generic ones.
const BUILT_IN_KINDS: &[&str] = &[
    "Service",
    "Pod",
    "Secret",
    "PersistentVolumeClaim",
    "ConfigMap",
    "apps/StatefulSet",
    "apps/DaemonSet",
    "apps/Deployment",
    "apps/ReplicaSet",
    "extensions/DaemonSet",
    "extensions/Deployment",
    "extensions/ReplicaSet",
    "policy/PodDisruptionBudget",
    "batch/CronJob",
    "batch/Job",
    "apiextensions.k8s.io/CustomResourceDefinition",
];

/// kstatus' verdict for an object that may be absent (`None` → [`Status::NotFound`]).
///
/// # Errors
/// As [`compute`].
pub fn compute_observed(obj: Option<&Value>) -> Result<Verdict, Error> {
    match obj {
        None => Ok(Verdict {
            status: Status::NotFound,
            reason: None,
            message: "Resource not found".to_owned(),
            rule: Rule::Absent,
        }),
        Some(obj) => compute(obj),
    }
}

/// kstatus' verdict for a custom resource, as Flux's health checks compute it.
///
/// # Errors
/// [`Error::NotAnObject`], [`Error::FieldType`] when `metadata.generation`,
/// `status.observedGeneration`, `metadata.deletionTimestamp` or `status.conditions` have the
/// wrong type, and [`Error::BuiltInKind`] for kinds kstatus judges by kind-specific rules.
pub fn compute(obj: &Value) -> Result<Verdict, Error> {
    let root = obj.as_object().ok_or(Error::NotAnObject)?;
    refuse_built_in_kinds(obj)?;

    if let Some(ts) = optional_str(obj, &["metadata", "deletionTimestamp"])?
        && !ts.is_empty()
    {
        return Ok(Verdict {
            status: Status::Terminating,
            reason: None,
            message: "Resource scheduled for deletion".to_owned(),
            rule: Rule::Deletion,
        });
    }

    let generation = optional_i64(obj, &["metadata", "generation"])?;
    let observed = optional_i64(obj, &["status", "observedGeneration"])?;
    if let (Some(generation), Some(observed)) = (generation, observed)
        && generation != observed
    {
        let kind = root.get("kind").and_then(Value::as_str).unwrap_or_default();
        return Ok(in_progress(
            "LatestGenerationNotObserved",
            format!(
                "{kind} generation is {generation}, but latest observed generation is {observed}"
            ),
            Rule::Generation,
        ));
    }

    let conditions = conditions(obj)?;
    for condition in &conditions {
        if condition.status != "True" {
            continue;
        }
        match condition.kind.as_str() {
            "Reconciling" => {
                return Ok(in_progress(
                    &condition.reason,
                    condition.message.clone(),
                    Rule::Reconciling,
                ));
            }
            "Stalled" => {
                return Ok(Verdict {
                    status: Status::Failed,
                    reason: Some(condition.reason.clone()),
                    message: condition.message.clone(),
                    rule: Rule::Stalled,
                });
            }
            _ => {}
        }
    }

    if let Some(ready) = conditions.iter().find(|c| c.kind == "Ready") {
        if ready.status == "True" {
            return Ok(Verdict {
                status: Status::Current,
                reason: None,
                message: ready.message.clone(),
                rule: Rule::Ready,
            });
        }
        return Ok(in_progress(
            &ready.reason,
            ready.message.clone(),
            Rule::Ready,
        ));
    }

    Ok(Verdict {
        status: Status::Current,
        reason: None,
        message: "Resource is current".to_owned(),
        rule: Rule::NoStandardCondition,
    })
}

fn in_progress(reason: &str, message: String, rule: Rule) -> Verdict {
    Verdict {
        status: Status::InProgress,
        reason: Some(reason.to_owned()),
        message,
        rule,
    }
}

/// The parts of a condition kstatus reads; absent strings read as empty, as in Go.
struct Condition {
    kind: String,
    status: String,
    reason: String,
    message: String,
}

fn conditions(obj: &Value) -> Result<Vec<Condition>, Error> {
    let Some(list) = obj.get("status").and_then(|s| s.get("conditions")) else {
        return Ok(Vec::new());
    };
    if list.is_null() {
        return Ok(Vec::new());
    }
    let list = list.as_array().ok_or_else(|| Error::FieldType {
        path: "status.conditions".to_owned(),
        expected: "a list",
    })?;
    list.iter()
        .enumerate()
        .map(|(index, item)| {
            let field = |name: &str| -> Result<String, Error> {
                match item.get(name) {
                    None | Some(Value::Null) => Ok(String::new()),
                    Some(Value::String(s)) => Ok(s.clone()),
                    Some(_) => Err(Error::FieldType {
                        path: format!("status.conditions[{index}].{name}"),
                        expected: "a string",
                    }),
                }
            };
            if !item.is_object() {
                return Err(Error::FieldType {
                    path: format!("status.conditions[{index}]"),
                    expected: "an object",
                });
            }
            Ok(Condition {
                kind: field("type")?,
                status: field("status")?,
                reason: field("reason")?,
                message: field("message")?,
            })
        })
        .collect()
}

fn refuse_built_in_kinds(obj: &Value) -> Result<(), Error> {
    let api_version = obj
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or_default();
    let group = api_version
        .rsplit_once('/')
        .map(|(group, _)| group)
        .unwrap_or_default();
    let key = if group.is_empty() {
        kind.to_owned()
    } else {
        format!("{group}/{kind}")
    };
    if BUILT_IN_KINDS.contains(&key.as_str()) {
        return Err(Error::BuiltInKind { kind: key });
    }
    Ok(())
}

fn lookup<'a>(obj: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter()
        .try_fold(obj, |value, key| value.get(*key))
        .filter(|v| !v.is_null())
}

fn optional_i64(obj: &Value, path: &[&str]) -> Result<Option<i64>, Error> {
    lookup(obj, path)
        .map(|v| {
            v.as_i64().ok_or_else(|| Error::FieldType {
                path: path.join("."),
                expected: "an integer",
            })
        })
        .transpose()
}

fn optional_str<'a>(obj: &'a Value, path: &[&str]) -> Result<Option<&'a str>, Error> {
    lookup(obj, path)
        .map(|v| {
            v.as_str().ok_or_else(|| Error::FieldType {
                path: path.join("."),
                expected: "a string",
            })
        })
        .transpose()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
#[path = "kstatus_tests.rs"]
mod tests;
