//! The reconcilers. Each one is thin: finalizer → observe (ARM GETs, the operation's poll, the
//! caches) → `planner::plan_*` → execute the plan's one action → write status and Events.
//!
//! Nothing here waits on Azure: a write answered 201/202 records its operation in status and the
//! object is requeued after `Retry-After`.

pub mod deployment;
pub mod endpoint;
pub mod workspace;

use std::sync::Arc;
use std::time::Duration;

use api::OperationStatus;
use arm::{ArmClient, ArmError, OperationHandle, OperationParts, PollOutcome, ResourceId, Started};
use kube::runtime::controller::Action as KubeAction;
use kube::runtime::events::{Event, EventType};
use kube::runtime::finalizer::{Event as Finalizer, finalizer};
use kube::{Resource, ResourceExt};
use planner::{Action, EventNote, Observation, OperationOutcome, Requeue};
use serde_json::Value;

use crate::azure::to_failure;
use crate::context::Context;

/// The annotation that overrides the sync interval of one object (`30s`, `10m`, `1h`).
pub const SYNC_INTERVAL_ANNOTATION: &str = "aml-operator.io/sync-interval";

/// What stops a reconcile. Azure failures are not errors here: they become status and a requeue.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The Kubernetes API refused a call.
    #[error("failed to {action}: {source}")]
    Kube {
        /// What was being done.
        action: String,
        /// The cause.
        #[source]
        source: kube::Error,
    },
    /// Deletion is under way in Azure; the finalizer stays until it is done.
    #[error("waiting {0:?} for Azure to finish deleting")]
    DeletionPending(Duration),
    /// The finalizer helper failed.
    #[error("failed to run the finalizer: {0}")]
    Finalizer(String),
    /// Adding or removing the finalizer was refused because the object changed since the cache
    /// saw it (a 409, or a 422 from the patch's test): the watch has not caught up yet. Not a
    /// failure; retried shortly.
    #[error("the cached object was behind the API server ({0}); retrying")]
    StaleCache(String),
}

impl Error {
    /// A Kubernetes failure while doing `action`.
    pub fn kube(action: impl Into<String>, source: kube::Error) -> Self {
        Self::Kube {
            action: action.into(),
            source,
        }
    }
}

/// Parses `30s`, `10m`, `2h` or plain seconds.
pub fn parse_interval(value: &str) -> Option<Duration> {
    let value = value.trim();
    let (number, unit) = value.split_at(
        value
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(value.len()),
    );
    let n: u64 = number.parse().ok()?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n.checked_mul(60)?,
        "h" => n.checked_mul(3600)?,
        _ => return None,
    };
    (secs > 0).then(|| Duration::from_secs(secs))
}

/// Spreads `d` by ±10% so that objects created together do not resync together.
pub fn jitter(d: Duration) -> Duration {
    let factor: f64 = rand::random_range(0.9..1.1);
    d.mul_f64(factor)
}

/// The kube-runtime action for a planner requeue.
pub fn to_kube_action<K: Resource>(requeue: Requeue, obj: &K, ctx: &Context) -> KubeAction {
    match requeue {
        Requeue::Now => KubeAction::requeue(Duration::from_millis(50)),
        Requeue::After(d) => KubeAction::requeue(jitter(d)),
        Requeue::Sync => {
            let interval = obj
                .meta()
                .annotations
                .as_ref()
                .and_then(|a| a.get(SYNC_INTERVAL_ANNOTATION))
                .and_then(|v| parse_interval(v))
                .unwrap_or(ctx.sync_interval);
            KubeAction::requeue(jitter(interval))
        }
    }
}

/// Publishes the plan's Events on `obj`. An Event that cannot be written is logged, not fatal.
pub async fn publish<K: Resource<DynamicType = ()>>(ctx: &Context, obj: &K, events: &[EventNote]) {
    for note in events {
        let event = Event {
            type_: match note.type_ {
                planner::EventType::Normal => EventType::Normal,
                planner::EventType::Warning => EventType::Warning,
            },
            reason: note.reason.to_owned(),
            note: Some(note.note.chars().take(1000).collect()),
            action: note.reason.to_owned(),
            secondary: None,
        };
        if let Err(e) = ctx.recorder.publish(&event, &obj.object_ref(&())).await {
            tracing::warn!(object = %obj.meta().name.as_deref().unwrap_or_default(), error = %e, "failed to publish an Event");
        }
    }
}

/// Polls the operation recorded in status. A record that cannot be read is dropped (the next
/// GET shows where Azure is).
pub async fn poll(
    client: &ArmClient,
    operation: Option<&OperationStatus>,
) -> Result<OperationOutcome, ArmError> {
    let Some(op) = operation else {
        return Ok(OperationOutcome::None);
    };
    let parts = OperationParts {
        kind: op.kind.clone(),
        url: op.url.clone(),
        polling: op.polling.clone(),
        resource_id: op.resource_id.clone(),
        started_at: op.started_at.clone(),
    };
    let handle = match OperationHandle::from_parts(&parts) {
        Ok(h) => h,
        Err(e) => {
            tracing::warn!(error = %e, "dropping an unreadable operation record");
            return Ok(OperationOutcome::Succeeded);
        }
    };
    Ok(match client.poll::<Value>(&handle).await? {
        PollOutcome::Pending { retry_after } => OperationOutcome::Pending { retry_after },
        PollOutcome::Succeeded(_) => OperationOutcome::Succeeded,
        PollOutcome::Failed(err) => OperationOutcome::Failed(to_failure(&err)),
    })
}

/// GETs `id` unless an operation is still pending.
pub async fn observe(
    client: &ArmClient,
    id: &ResourceId,
    operation: &OperationOutcome,
) -> Result<Observation, ArmError> {
    if matches!(operation, OperationOutcome::Pending { .. }) {
        return Ok(Observation::Skipped);
    }
    Ok(match client.get_optional::<Value>(id).await? {
        Some(v) => Observation::Found(v),
        None => Observation::Missing,
    })
}

/// What executing a write did.
pub enum Written {
    /// Azure finished at once.
    Done,
    /// Azure is working; the record to keep in status.
    Started(OperationStatus),
}

/// Sends the plan's Azure write.
pub async fn write(
    client: &ArmClient,
    id: &ResourceId,
    action: &Action,
) -> Result<Option<Written>, ArmError> {
    let started = match action {
        Action::Put { kind, body } => {
            let mut s = client.begin_put::<Value, Value>(id, body).await?;
            // The planner knows whether it meant to create; ARM's 200/201 can differ after a lost answer.
            set_kind(&mut s, kind.as_str());
            s
        }
        Action::Patch { kind, body } => {
            let mut s = client.begin_patch::<Value, Value>(id, body).await?;
            set_kind(&mut s, kind.as_str());
            s
        }
        Action::Delete => match client.begin_delete(id).await? {
            Started::Done(_) => Started::Done(None),
            Started::Pending(h) => Started::Pending(h),
        },
        Action::None | Action::SyncKeys | Action::RemoveFinalizer => return Ok(None),
    };
    Ok(Some(match started {
        Started::Done(_) => Written::Done,
        Started::Pending(handle) => {
            let parts = handle.to_parts();
            Written::Started(OperationStatus {
                kind: parts.kind,
                url: parts.url,
                polling: parts.polling,
                resource_id: parts.resource_id,
                started_at: parts.started_at,
            })
        }
    }))
}

fn set_kind(started: &mut Started<Value>, kind: &str) {
    if let Started::Pending(handle) = started {
        handle.kind = arm::OperationKind::parse(kind);
    }
}

/// Runs one reconcile of `obj` through kube-runtime's finalizer helper (`Apply` or `Cleanup`),
/// and counts it by kind and outcome.
pub async fn with_finalizer<K, F, Fut>(
    kind: &'static str,
    obj: Arc<K>,
    ctx: Arc<Context>,
    step: F,
) -> Result<KubeAction, Error>
where
    K: Resource<DynamicType = (), Scope = kube::core::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + serde::Serialize
        + std::fmt::Debug,
    F: FnOnce(Arc<K>, bool) -> Fut,
    Fut: std::future::Future<Output = Result<KubeAction, Error>>,
{
    let started_at = std::time::Instant::now();
    let api: kube::Api<K> =
        kube::Api::namespaced(ctx.client.clone(), &obj.namespace().unwrap_or_default());
    let result = finalizer(&api, api::FINALIZER, obj, |event| match event {
        Finalizer::Apply(o) => step(o, false),
        Finalizer::Cleanup(o) => step(o, true),
    })
    .await
    .map_err(|e| match e {
        kube::runtime::finalizer::Error::ApplyFailed(e)
        | kube::runtime::finalizer::Error::CleanupFailed(e) => e,
        kube::runtime::finalizer::Error::AddFinalizer(kube::Error::Api(status))
        | kube::runtime::finalizer::Error::RemoveFinalizer(kube::Error::Api(status))
            if matches!(status.code, 409 | 422) =>
        {
            Error::StaleCache(status.message)
        }
        other => Error::Finalizer(other.to_string()),
    });
    let outcome = match &result {
        Ok(_) => "ok",
        Err(Error::DeletionPending(_) | Error::StaleCache(_)) => "waiting",
        Err(_) => "error",
    };
    ctx.metrics.reconciled(kind, outcome, started_at.elapsed());
    result
}

/// The kube-runtime answer for a plan's requeue. While the object is being deleted, the wait is
/// reported to the finalizer helper as [`Error::DeletionPending`], which keeps the finalizer.
pub fn finish<K: Resource>(
    deleting: bool,
    requeue: Requeue,
    obj: &K,
    ctx: &Context,
) -> Result<KubeAction, Error> {
    if deleting {
        let wait = match requeue {
            Requeue::Now => Duration::from_millis(50),
            Requeue::After(d) => d,
            Requeue::Sync => planner::WAIT_POLL,
        };
        return Err(Error::DeletionPending(wait));
    }
    Ok(to_kube_action(requeue, obj, ctx))
}

/// Sends the plan's write on `id` and records its effect in `status`: a started operation (kept
/// in status, marked in flight in the endpoint tree, polled after a second), or the failure (a
/// Warning Event when a retry will not fix it). Returns the requeue that replaces the plan's, if any.
#[allow(clippy::too_many_arguments)]
pub async fn execute_write<S: api::status::CommonStatus>(
    ctx: &Context,
    client: &ArmClient,
    id: &ResourceId,
    action: &Action,
    status: &mut S,
    generation: Option<i64>,
    tree: (&crate::context::TreeKey, &str),
    events: &mut Vec<EventNote>,
) -> Option<Requeue> {
    let now = k8s_openapi::jiff::Timestamp::now();
    match write(client, id, action).await {
        Ok(Some(Written::Started(op))) => {
            planner::progress::started(status, generation, op, now);
            ctx.trees.set_in_flight(tree.0, tree.1, true);
            Some(Requeue::After(Duration::from_secs(1)))
        }
        Ok(_) => None,
        Err(e) => {
            let f = to_failure(&e);
            let requeue = planner::progress::failed(status, generation, &f, false, now);
            if !f.is_retryable() {
                events.push(EventNote::warning(
                    "Failed",
                    format!("{}: {}", f.code, f.message),
                ));
            }
            Some(requeue)
        }
    }
}

/// `namespace/name` of an object, for logs and messages.
pub fn key<K: Resource>(obj: &K) -> String {
    format!("{}/{}", obj.namespace().unwrap_or_default(), obj.name_any())
}
