//! Container logs when a deployment fails: which containers to read with Azure's `getLogs`, when,
//! and how much of what comes back goes into `status.lastLogs` and an Event.
//!
//! Logs are read only
//! - when the Azure operation the controller recorded fails (once: the record is cleared in the
//!   same reconcile), not for a deletion;
//! - when Azure reports the deployment `Failed` and the status did not already say so (the
//!   transition into Failed is seen once; a deployment that stays Failed is not read again);
//! - when the `aml-operator.io/fetch-logs` annotation holds a value the status does not record
//!   as served (once per value), and the deployment exists in Azure.
//!
//! Never on a plain sync. The controller performs the calls ([`LogsFetch`]) and records the
//! answers with [`record`]; a failed `getLogs` (403, 404) is recorded as that container's
//! `error`, never blocks the reconcile. Log text goes to status and the Event only: it may hold
//! secrets the scoring code printed, so it is never written to the controller's own logs.

use api::common::bounds;
use api::{ContainerLogs, DeploymentLogs, OnlineDeploymentStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;

use crate::failure::Failure;
use crate::observe::{
    Observation, OperationOutcome, ProvisioningState, bounded, provisioning_state,
};
use crate::outcome::{EventNote, OperationKind};

/// The most lines kept (over all containers read at once).
pub const MAX_LINES: usize = bounds::LOG_LINES as usize;
/// The most bytes of log text kept (over all containers read at once).
pub const MAX_BYTES: usize = bounds::LOG_BYTES as usize;
/// The most bytes of log text an Event carries (Kubernetes caps an Event's note at 1 KiB; the
/// rest of the note names the deployment and the containers).
pub const EVENT_BYTES: usize = 640;
/// The longest error message kept per container.
pub const MAX_ERROR: usize = 1024;

/// A container whose logs `getLogs` reads (Azure's `ContainerType`, mfe.json 2025-12-01).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LogsContainer {
    /// The scoring server: crashes in `init()`, failed probes, scoring script errors.
    InferenceServer,
    /// The container that downloads the model and code before the server starts.
    StorageInitializer,
}

impl LogsContainer {
    /// Azure's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InferenceServer => "InferenceServer",
            Self::StorageInitializer => "StorageInitializer",
        }
    }
}

/// Why logs are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogsTrigger {
    /// An Azure operation on the deployment ended Failed.
    OperationFailed,
    /// Azure reports the deployment's provisioningState Failed.
    ProvisioningFailed,
    /// The `aml-operator.io/fetch-logs` annotation took a new value.
    Requested,
}

impl LogsTrigger {
    /// As written in `status.lastLogs.trigger`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OperationFailed => "OperationFailed",
            Self::ProvisioningFailed => "ProvisioningFailed",
            Self::Requested => "Requested",
        }
    }

    /// A failure (Warning Event) rather than a request (Normal Event).
    pub fn is_failure(self) -> bool {
        self != Self::Requested
    }
}

/// The `getLogs` calls the controller makes in this reconcile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogsFetch {
    /// Why.
    pub trigger: LogsTrigger,
    /// The containers to read, in order (one or two).
    pub containers: Vec<LogsContainer>,
    /// Lines to ask each container for (`tail`): the containers share [`MAX_LINES`].
    pub tail: u32,
    /// The annotation value this fetch serves, bounded as status records it.
    pub request: Option<String>,
}

/// What [`plan_logs`] reads.
#[derive(Clone, Copy, Debug)]
pub struct LogsInput<'a> {
    /// The status as stored (before this reconcile's plan).
    pub status: &'a OnlineDeploymentStatus,
    /// The status the deployment's plan computed: a failure counts only once the plan records
    /// it (the operation record cleared, provisioningState Failed), so the next sync does not see
    /// it as new (an object refused for ownership records neither and reads no logs).
    pub planned: &'a OnlineDeploymentStatus,
    /// The poll of `status.operation`.
    pub operation: &'a OperationOutcome,
    /// The GET of the deployment.
    pub observed: &'a Observation,
    /// The `aml-operator.io/fetch-logs` annotation.
    pub request: Option<&'a str>,
    /// The object is being deleted.
    pub deleting: bool,
}

/// The annotation value as status records it (trimmed, bounded); `None` for an empty value.
pub fn request_key(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| bounded(v, bounds::LOGS_REQUEST as usize))
}

/// Which containers to read for a failed operation, from Azure's error: the storage initializer
/// when the error is about fetching the model or code, the inference server when it is about the
/// scoring container, both when the error does not say. (Learn, "Troubleshoot online endpoint
/// deployment and scoring": `get-logs --container-type storage-initializer` shows why the model
/// or code could not be downloaded; the default, the inference server, shows why the scoring
/// container failed to start or its probes failed. Azure's error codes for these cases are not
/// an enum in the spec, so this reads words of the message and cannot be exact.)
pub fn containers_for(failure: &Failure) -> Vec<LogsContainer> {
    let text = format!("{} {}", failure.code, failure.message).to_ascii_lowercase();
    let any = |words: &[&str]| words.iter().any(|w| text.contains(w));
    let storage = any(&[
        "storageinitializer",
        "storage initializer",
        "storage-initializer",
        "download",
        "model mount",
        "blob",
    ]);
    let server = any(&[
        "inferenceserver",
        "inference server",
        "inference-server",
        "resourcenotready",
        "liveness",
        "readiness",
        "probe",
        "score.py",
        "scoring script",
        "init()",
        "crash",
    ]);
    match (storage, server) {
        (true, false) => vec![LogsContainer::StorageInitializer],
        (false, true) => vec![LogsContainer::InferenceServer],
        _ => vec![
            LogsContainer::InferenceServer,
            LogsContainer::StorageInitializer,
        ],
    }
}

fn failed_in(state: Option<&str>) -> bool {
    state.is_some_and(|s| ProvisioningState::parse(s) == ProvisioningState::Failed)
}

/// Decides whether this reconcile reads container logs, and which.
pub fn plan_logs(input: &LogsInput<'_>) -> Option<LogsFetch> {
    if input.deleting {
        return None;
    }
    let served = input
        .status
        .last_logs
        .as_ref()
        .and_then(|l| l.request.as_deref());
    let request = request_key(input.request).filter(|r| Some(r.as_str()) != served);

    let delete_failed = matches!(input.operation, OperationOutcome::Failed(_))
        && input
            .status
            .operation
            .as_ref()
            .and_then(|o| OperationKind::parse(&o.kind))
            == Some(OperationKind::Delete);
    let failure = match input.operation {
        // A failed DELETE: the containers are going away; nothing to learn from them.
        _ if delete_failed => None,
        OperationOutcome::Failed(failure) if input.planned.operation.is_none() => {
            Some((LogsTrigger::OperationFailed, containers_for(failure)))
        }
        _ => {
            let now_failed = input
                .observed
                .found()
                .and_then(provisioning_state)
                .is_some_and(|p| p == ProvisioningState::Failed);
            let recorded = failed_in(input.planned.provisioning_state.as_deref());
            let was_failed = failed_in(input.status.provisioning_state.as_deref());
            (now_failed && recorded && !was_failed).then(|| {
                (
                    LogsTrigger::ProvisioningFailed,
                    vec![
                        LogsContainer::InferenceServer,
                        LogsContainer::StorageInitializer,
                    ],
                )
            })
        }
    };
    // A request is served once the deployment exists in Azure (before that getLogs has nothing
    // to read, and the value would be spent on a 404).
    let request = request.filter(|_| failure.is_some() || input.observed.found().is_some());
    let (trigger, containers) = match (failure, &request) {
        (Some(f), _) => f,
        (None, Some(_)) => (
            LogsTrigger::Requested,
            vec![
                LogsContainer::InferenceServer,
                LogsContainer::StorageInitializer,
            ],
        ),
        (None, None) => return None,
    };
    let share = MAX_LINES / containers.len().max(1);
    Some(LogsFetch {
        trigger,
        tail: u32::try_from(share).unwrap_or(u32::MAX),
        containers,
        request,
    })
}

/// `text` without terminal escape sequences (`ESC [ … final`, as colored logs carry) and
/// control characters other than newline and tab.
fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.peek() == Some(&'[') {
                chars.next();
                // Parameters and intermediates, then one final byte in '@'..='~'.
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            continue;
        }
        if c == '\n' || c == '\t' || !c.is_control() {
            out.push(c);
        }
    }
    out
}

/// The last `max_lines` lines of `text` within `max_bytes`, the oldest cut first: control
/// characters other than newline and tab are dropped, and a line cut by the byte bound is
/// dropped whole unless it is the only one. Cut on a UTF-8 boundary.
pub fn tail(text: &str, max_lines: usize, max_bytes: usize) -> String {
    let clean = printable(text);
    let trimmed = clean.trim_end_matches('\n');
    let lines: Vec<&str> = trimmed.split('\n').collect();
    let keep = &lines[lines.len().saturating_sub(max_lines)..];
    let joined = keep.join("\n");
    if joined.len() <= max_bytes {
        return joined;
    }
    let mut start = joined.len() - max_bytes;
    while !joined.is_char_boundary(start) {
        start += 1;
    }
    let cut = &joined[start..];
    // Start on a whole line when there is one.
    match cut.find('\n') {
        Some(i) if i + 1 < cut.len() && !joined[..start].ends_with('\n') => cut[i + 1..].to_owned(),
        _ => cut.to_owned(),
    }
}

/// Records what `getLogs` answered (text, or the error for that container) in
/// `status.lastLogs`, and returns the Event to publish: Warning for a failure, Normal for a
/// request. Each container's text is held to its share of [`MAX_LINES`] and [`MAX_BYTES`].
pub fn record(
    status: &mut OnlineDeploymentStatus,
    fetch: &LogsFetch,
    results: Vec<(LogsContainer, Result<String, String>)>,
    generation: Option<i64>,
    display: &str,
    now: Timestamp,
) -> EventNote {
    let n = results.len().max(1);
    let (line_share, byte_share) = (MAX_LINES / n, MAX_BYTES / n);
    let containers: Vec<ContainerLogs> = results
        .into_iter()
        .map(|(container, result)| match result {
            Ok(text) => {
                let text = tail(&text, line_share, byte_share);
                let lines = if text.is_empty() {
                    0
                } else {
                    text.split('\n').count()
                };
                ContainerLogs {
                    container_type: container.as_str().to_owned(),
                    lines: i32::try_from(lines).unwrap_or(bounds::LOG_LINES),
                    text,
                    error: None,
                }
            }
            Err(why) => ContainerLogs {
                container_type: container.as_str().to_owned(),
                lines: 0,
                text: String::new(),
                error: Some(bounded(&why, MAX_ERROR)),
            },
        })
        .collect();
    let previous = status.last_logs.take();
    let request = fetch
        .request
        .clone()
        .or_else(|| previous.and_then(|p| p.request));

    let mut parts = Vec::new();
    let mut budget = EVENT_BYTES;
    for c in &containers {
        match &c.error {
            Some(e) => parts.push(format!(
                "{}: logs could not be read: {}",
                c.container_type,
                bounded(e, 200)
            )),
            None if c.text.is_empty() => parts.push(format!("{}: no log lines", c.container_type)),
            None => {
                let excerpt = tail(&c.text, MAX_LINES, budget);
                budget = budget.saturating_sub(excerpt.len());
                parts.push(format!(
                    "{} (last {} of {} line(s)):\n{excerpt}",
                    c.container_type,
                    if excerpt.is_empty() {
                        0
                    } else {
                        excerpt.split('\n').count()
                    },
                    c.lines
                ));
            }
        }
    }
    let why = match fetch.trigger {
        LogsTrigger::OperationFailed => format!("deployment {display}: the Azure operation failed"),
        LogsTrigger::ProvisioningFailed => format!("deployment {display}: Azure reports it Failed"),
        LogsTrigger::Requested => format!("deployment {display}: logs requested"),
    };
    let note = format!(
        "{why}; container logs (all kept in status.lastLogs): {}",
        parts.join("\n")
    );
    status.last_logs = Some(DeploymentLogs {
        trigger: fetch.trigger.as_str().to_owned(),
        generation,
        fetched_at: Time(now),
        request,
        containers,
    });
    if fetch.trigger.is_failure() {
        EventNote::warning("ContainerLogs", note)
    } else {
        EventNote::normal("ContainerLogs", note)
    }
}
