//! Scripted failures for tests: the next N matching requests answer 409, 500 or 429 (with
//! `Retry-After`), a fixed latency on every request, every open watch dropped at once, and a 410
//! Gone for the next watch. Driven from the library ([`crate::KubeEmulator::faults`]) or over HTTP
//! (`POST /emulator/faults` with a [`FaultRule`] as JSON, `POST /emulator/faults/drop-watches`,
//! `POST /emulator/faults/expire-watch`, `DELETE /emulator/faults`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::watch;

/// One scripted failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultRule {
    /// HTTP method to match (`GET`, `PATCH`, ...); `None` matches any.
    #[serde(default)]
    pub method: Option<String>,
    /// A substring the request path must contain; `None` matches any path.
    #[serde(default)]
    pub path_contains: Option<String>,
    /// The status to answer: 409, 500, 429, ... (0 = answer normally, only delay).
    #[serde(default)]
    pub status: u16,
    /// `Retry-After` seconds for a 429.
    #[serde(default)]
    pub retry_after_seconds: Option<u64>,
    /// Delay before answering, in milliseconds.
    #[serde(default)]
    pub latency_ms: Option<u64>,
    /// How many matching requests this rule affects.
    #[serde(default = "one")]
    pub times: u32,
}

fn one() -> u32 {
    1
}

impl FaultRule {
    /// The next `times` requests matching `method` and `path_contains` answer `status`.
    pub fn status(
        method: Option<&str>,
        path_contains: Option<&str>,
        status: u16,
        times: u32,
    ) -> Self {
        Self {
            method: method.map(str::to_owned),
            path_contains: path_contains.map(str::to_owned),
            status,
            retry_after_seconds: None,
            latency_ms: None,
            times,
        }
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && self
                .path_contains
                .as_deref()
                .is_none_or(|p| path.contains(p))
    }
}

/// What the request pipeline must do for one request.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub latency: Duration,
    pub status: Option<(u16, Option<u64>)>,
}

#[derive(Debug, Default)]
struct Script {
    rules: Vec<FaultRule>,
    latency: Duration,
    expire_next_watch: bool,
}

/// The fault controls of one emulator (cheap to clone; all clones act on the same emulator).
#[derive(Debug, Clone)]
pub struct Faults {
    script: Arc<Mutex<Script>>,
    drops: Arc<watch::Sender<u64>>,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            script: Arc::new(Mutex::new(Script::default())),
            drops: Arc::new(watch::channel(0).0),
        }
    }
}

impl Faults {
    fn script(&self) -> std::sync::MutexGuard<'_, Script> {
        self.script.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a rule (rules are consumed in the order added).
    pub fn push(&self, rule: FaultRule) {
        self.script().rules.push(rule);
    }

    /// The next `times` requests with `method` whose path contains `path_contains` answer `status`.
    pub fn fail_next(&self, method: &str, path_contains: &str, status: u16, times: u32) {
        self.push(FaultRule::status(
            Some(method),
            Some(path_contains),
            status,
            times,
        ));
    }

    /// The next `times` requests (any) answer 429 with `Retry-After: retry_after_seconds`.
    pub fn throttle_next(&self, retry_after_seconds: u64, times: u32) {
        self.push(FaultRule {
            retry_after_seconds: Some(retry_after_seconds),
            ..FaultRule::status(None, None, 429, times)
        });
    }

    /// Delays every request by `latency` (zero turns it off).
    pub fn set_latency(&self, latency: Duration) {
        self.script().latency = latency;
    }

    /// Ends every open watch stream now (clients see the connection close and re-watch).
    pub fn drop_watches(&self) {
        self.drops.send_modify(|n| *n += 1);
    }

    /// The next watch request is answered with a 410 Gone ERROR event.
    pub fn expire_next_watch(&self) {
        self.script().expire_next_watch = true;
    }

    /// Removes every rule and the latency.
    pub fn clear(&self) {
        let mut script = self.script();
        script.rules.clear();
        script.latency = Duration::ZERO;
        script.expire_next_watch = false;
    }

    pub(crate) fn verdict(&self, method: &str, path: &str) -> Verdict {
        let mut script = self.script();
        let mut verdict = Verdict {
            latency: script.latency,
            status: None,
        };
        if let Some(pos) = script.rules.iter().position(|r| r.matches(method, path)) {
            let rule = &mut script.rules[pos];
            if let Some(ms) = rule.latency_ms {
                verdict.latency += Duration::from_millis(ms);
            }
            if rule.status != 0 {
                verdict.status = Some((rule.status, rule.retry_after_seconds));
            }
            rule.times = rule.times.saturating_sub(1);
            if rule.times == 0 {
                script.rules.remove(pos);
            }
        }
        verdict
    }

    pub(crate) fn take_expire_watch(&self) -> bool {
        std::mem::take(&mut self.script().expire_next_watch)
    }

    pub(crate) fn drop_signal(&self) -> watch::Receiver<u64> {
        self.drops.subscribe()
    }
}
