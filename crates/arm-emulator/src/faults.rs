//! Fault injection: rules that match a route (a `*` glob over the canonical path, any case)
//! and an optional verb, and inject 429, 500, 503, a connection reset or added latency — either
//! with a probability or as a scripted sequence consumed one step per matching request.
//!
//! Failed long-running operations are not here: see `Admin::fail_next_operation`.

use std::sync::Mutex;

use rand::Rng;
use serde::{Deserialize, Serialize};

/// What to do to one request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Fault {
    /// Let the request through untouched (a sequence step).
    Pass,
    /// 429 `TooManyRequests` with `Retry-After`.
    #[serde(rename_all = "camelCase")]
    TooManyRequests {
        /// Seconds in `Retry-After`.
        retry_after_secs: u64,
    },
    /// 500 `InternalServerError`.
    InternalServerError,
    /// 503 `ServiceUnavailable`, optionally with `Retry-After`.
    #[serde(rename_all = "camelCase")]
    ServiceUnavailable {
        /// Seconds in `Retry-After`, if any.
        retry_after_secs: Option<u64>,
    },
    /// 409 `Conflict`: the resource is busy with another operation (as ARM answers a write to an
    /// endpoint that is Updating).
    Conflict,
    /// 404 `NotFound`, as ARM answers an operation status URL it no longer knows (operation
    /// records are kept for a limited time after the operation ends).
    NotFound,
    /// Close the connection without an answer.
    ConnectionReset,
    /// Answer normally after this delay.
    Latency {
        /// Added delay in milliseconds.
        millis: u64,
    },
}

impl Fault {
    /// A short label for the journal.
    pub fn label(&self) -> String {
        match self {
            Self::Pass => "pass".into(),
            Self::TooManyRequests { .. } => "429".into(),
            Self::InternalServerError => "500".into(),
            Self::ServiceUnavailable { .. } => "503".into(),
            Self::Conflict => "409".into(),
            Self::NotFound => "404".into(),
            Self::ConnectionReset => "connectionReset".into(),
            Self::Latency { millis } => format!("latency {millis}ms"),
        }
    }
}

/// How a rule decides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "camelCase")]
pub enum FaultPlan {
    /// Inject `fault` into each matching request with this probability (0.0–1.0).
    Probability {
        /// Chance per request.
        probability: f64,
        /// The fault.
        fault: Fault,
    },
    /// One step per matching request; the rule ends after the last step.
    Sequence {
        /// The scripted steps (use `pass` to let one through).
        steps: Vec<Fault>,
    },
}

/// One fault rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultRule {
    /// HTTP verb to match (any case); `None` = every verb.
    pub method: Option<String>,
    /// Glob over the canonical path (`*` = any characters, `/` included), case-insensitive.
    pub path: String,
    /// Probability or sequence.
    pub plan: FaultPlan,
}

impl FaultRule {
    /// A rule injecting `fault` with probability `p` into `method` requests matching `path`.
    pub fn probability(method: Option<&str>, path: &str, p: f64, fault: Fault) -> Self {
        Self {
            method: method.map(str::to_string),
            path: path.to_string(),
            plan: FaultPlan::Probability {
                probability: p,
                fault,
            },
        }
    }

    /// A rule that answers the next matching requests with `steps`, in order, then ends.
    pub fn sequence(method: Option<&str>, path: &str, steps: Vec<Fault>) -> Self {
        Self {
            method: method.map(str::to_string),
            path: path.to_string(),
            plan: FaultPlan::Sequence { steps },
        }
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && glob_matches(&self.path.to_ascii_lowercase(), &path.to_ascii_lowercase())
    }
}

/// `*` matches any run of characters (including none); everything else literally.
fn glob_matches(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] != '*' && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[derive(Debug)]
struct ActiveRule {
    rule: FaultRule,
    next_step: usize,
}

/// The active rules.
#[derive(Debug, Default)]
pub(crate) struct FaultSet {
    rules: Mutex<Vec<ActiveRule>>,
}

impl FaultSet {
    pub fn new(rules: Vec<FaultRule>) -> Self {
        let set = Self::default();
        for rule in rules {
            set.add(rule);
        }
        set
    }

    pub fn add(&self, rule: FaultRule) {
        if let Ok(mut rules) = self.rules.lock() {
            rules.push(ActiveRule { rule, next_step: 0 });
        }
    }

    pub fn clear(&self) {
        if let Ok(mut rules) = self.rules.lock() {
            rules.clear();
        }
    }

    pub fn list(&self) -> Vec<FaultRule> {
        self.rules
            .lock()
            .map(|r| r.iter().map(|a| a.rule.clone()).collect())
            .unwrap_or_default()
    }

    /// The fault for one request: the first matching rule decides.
    pub fn decide(&self, method: &str, path: &str) -> Option<Fault> {
        let mut rules = self.rules.lock().ok()?;
        let index = rules.iter().position(|a| a.rule.matches(method, path))?;
        let active = &mut rules[index];
        match &active.rule.plan {
            FaultPlan::Probability { probability, fault } => {
                let roll: f64 = rand::rng().random();
                (roll < *probability).then(|| fault.clone())
            }
            FaultPlan::Sequence { steps } => {
                let step = steps.get(active.next_step).cloned();
                active.next_step += 1;
                if active.next_step >= steps.len() {
                    rules.remove(index);
                }
                step.filter(|f| *f != Fault::Pass)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_matches(
            "*/onlineendpoints/*",
            "/subscriptions/s/x/onlineendpoints/e"
        ));
        assert!(glob_matches("*", ""));
        assert!(!glob_matches(
            "*/deployments/*",
            "/subscriptions/s/x/onlineendpoints/e"
        ));
        assert!(glob_matches("/a*c", "/abbbc"));
        assert!(!glob_matches("/a*c", "/abbbd"));
    }

    #[test]
    fn sequence_is_consumed_then_ends() {
        let set = FaultSet::new(vec![FaultRule::sequence(
            Some("put"),
            "*/onlineEndpoints/*",
            vec![
                Fault::InternalServerError,
                Fault::Pass,
                Fault::ConnectionReset,
            ],
        )]);
        let path = "/subscriptions/s/onlineEndpoints/e";
        assert_eq!(set.decide("GET", path), None);
        assert_eq!(set.decide("PUT", path), Some(Fault::InternalServerError));
        assert_eq!(set.decide("PUT", path), None);
        assert_eq!(set.decide("PUT", path), Some(Fault::ConnectionReset));
        assert_eq!(set.decide("PUT", path), None);
        assert!(set.list().is_empty());
    }

    #[test]
    fn rules_parse_from_json() {
        let rule: FaultRule = serde_json::from_str(
            r#"{"method":"GET","path":"*","plan":{"mode":"probability","probability":1.0,"fault":{"type":"tooManyRequests","retryAfterSecs":3}}}"#,
        )
        .unwrap();
        let set = FaultSet::new(vec![rule]);
        assert_eq!(
            set.decide("get", "/x"),
            Some(Fault::TooManyRequests {
                retry_after_secs: 3
            })
        );
    }
}
