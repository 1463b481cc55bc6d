//! The reconcilers. Each one is thin: finalizer → observe (ARM GETs, the operation's poll, the
//! caches) → `planner::plan_*` → execute the plan's one action → write status and Events.
//!
//! Nothing here waits on Azure: a write answered 201/202 records its operation in status and the
//! object is requeued after `Retry-After`.

pub mod autoscale;
pub mod deployment;
pub mod driver;
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
    /// The reconcile took longer than its deadline and was abandoned.
    #[error("the reconcile took longer than {0:?} and was abandoned")]
    Timeout(Duration),
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

/// The bounds of a per-object sync interval (the annotation): shorter would spend the ARM read
/// budget of everyone, longer would leave drift for days.
pub const SYNC_INTERVAL_BOUNDS: (Duration, Duration) =
    (Duration::from_secs(30), Duration::from_secs(24 * 60 * 60));
/// The longest wait any requeue asks for (an Azure `Retry-After` included).
pub const MAX_REQUEUE: Duration = Duration::from_secs(24 * 60 * 60);

/// Spreads `d` by ±10% so that objects created together do not resync together. `d` is clamped
/// to [`MAX_REQUEUE`] first, so no input can overflow the arithmetic.
pub fn jitter(d: Duration) -> Duration {
    let d = d.min(MAX_REQUEUE);
    let factor: f64 = rand::random_range(0.9..1.1);
    Duration::try_from_secs_f64(d.as_secs_f64() * factor).unwrap_or(d)
}

/// The sync interval an object's annotation asks for, clamped to [`SYNC_INTERVAL_BOUNDS`];
/// `Err` with a message naming the annotation when it cannot be read.
pub fn annotated_interval(value: &str) -> Result<Duration, String> {
    let (min, max) = SYNC_INTERVAL_BOUNDS;
    match parse_interval(value) {
        Some(d) => Ok(d.clamp(min, max)),
        // A number too large to hold (one unit at most) is still a request for the longest
        // interval; zero and malformed values are errors.
        None if {
            let v = value.trim();
            let digits = v.strip_suffix(['s', 'm', 'h']).unwrap_or(v);
            !digits.is_empty()
                && digits.chars().all(|c| c.is_ascii_digit())
                && digits.trim_start_matches('0').len() > 9
        } =>
        {
            Ok(max)
        }
        None => Err(format!(
            "metadata.annotations[{SYNC_INTERVAL_ANNOTATION}]: {value:?} is not a duration like 30s, 10m or 2h"
        )),
    }
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
                .and_then(|v| annotated_interval(v).ok())
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

/// Polls the operation recorded in status. A record that cannot be read, whose status URL
/// answers 404 or 410, or that is older than [`planner::lifecycle::OPERATION_MAX_AGE`] is
/// reported lost: the planner drops it and the GET that follows decides what is true.
pub async fn poll(
    client: &ArmClient,
    operation: Option<&OperationStatus>,
) -> Result<OperationOutcome, ArmError> {
    Ok(poll_with_result(client, operation).await?.0)
}

/// [`poll`], and the resource as the operation's end left it when Azure's answer carried it (the
/// final GET of a create or update): what a GET right after would tell.
pub async fn poll_with_result(
    client: &ArmClient,
    operation: Option<&OperationStatus>,
) -> Result<(OperationOutcome, Option<Value>), ArmError> {
    let Some(op) = operation else {
        return Ok((OperationOutcome::None, None));
    };
    if planner::lifecycle::operation_expired(&op.started_at, k8s_openapi::jiff::Timestamp::now()) {
        return Ok((
            OperationOutcome::Lost(format!(
                "started at {}, longer ago than {}h",
                op.started_at,
                planner::lifecycle::OPERATION_MAX_AGE.as_secs() / 3600
            )),
            None,
        ));
    }
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
            return Ok((
                OperationOutcome::Lost(format!("unreadable record: {e}")),
                None,
            ));
        }
    };
    let polled = match client.poll::<Value>(&handle).await {
        Err(e) if matches!(e.status(), Some(404 | 410)) => {
            return Ok((
                OperationOutcome::Lost(format!(
                    "its status URL answers {}",
                    e.status().unwrap_or_default()
                )),
                None,
            ));
        }
        other => other?,
    };
    Ok(match polled {
        PollOutcome::Succeeded(result) => (OperationOutcome::Succeeded, result),
        other => (outcome_of(other), None),
    })
}

fn outcome_of(polled: PollOutcome<Value>) -> OperationOutcome {
    match polled {
        PollOutcome::Pending { retry_after } => OperationOutcome::Pending { retry_after },
        PollOutcome::Succeeded(_) => OperationOutcome::Succeeded,
        PollOutcome::Failed(err) => OperationOutcome::Failed(to_failure(&err)),
    }
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

/// Observes `id` as a recent list of `namespace` told it when `may_share` (no operation of its
/// in flight, nothing new in its spec, not being deleted) and the listed body shows the resource
/// settled (a terminal provisioningState: a body caught mid-operation is read again), else with a
/// GET.
pub async fn observe_shared(
    ctx: &Context,
    client: &ArmClient,
    namespace: &str,
    id: &ResourceId,
    (operation, final_body): (&OperationOutcome, Option<Value>),
    may_share: bool,
) -> Result<Observation, ArmError> {
    // The operation just ended and Azure's answer carried the resource: no GET to repeat it.
    if matches!(operation, OperationOutcome::Succeeded)
        && let Some(body) = final_body.filter(|b| {
            b.get("id")
                .and_then(Value::as_str)
                .is_some_and(|i| i.eq_ignore_ascii_case(&id.to_string()))
        })
    {
        ctx.observations.listed(
            namespace,
            std::slice::from_ref(&body),
            std::time::Instant::now(),
            ctx.observation_max_age().saturating_mul(2),
        );
        return Ok(Observation::Found(body));
    }
    if may_share
        && matches!(operation, OperationOutcome::None)
        && let Some(body) =
            ctx.observations
                .fresh(namespace, &id.to_string(), ctx.observation_max_age())
        && body
            .pointer("/properties/provisioningState")
            .and_then(Value::as_str)
            .is_some_and(|s| {
                ["Succeeded", "Failed", "Canceled"]
                    .iter()
                    .any(|t| t.eq_ignore_ascii_case(s))
            })
    {
        return Ok(Observation::Found(body));
    }
    let started = std::time::Instant::now();
    let observed = observe(client, id, operation).await?;
    // What this GET told serves the next reconciles of the tree within the same sync, as a list
    // would (an object is woken many times while its tree converges).
    let keep = ctx.observation_max_age().saturating_mul(2);
    match &observed {
        Observation::Found(body) => {
            ctx.observations
                .listed(namespace, std::slice::from_ref(body), started, keep);
        }
        Observation::Missing => {
            ctx.observations
                .missing(namespace, &id.to_string(), started, keep);
        }
        _ => {}
    }
    Ok(observed)
}

/// Lists `parent`'s `child` resources into the shared observations, at most once per half sync
/// interval per namespace. A failed list costs nothing but the GETs it would have saved.
pub async fn list_for_sharing(
    ctx: &Context,
    client: &ArmClient,
    namespace: &str,
    parent: &ResourceId,
    child: &str,
) {
    let collection = format!("{parent}/{child}");
    if !ctx
        .observations
        .list_due(namespace, &collection, ctx.sync_interval / 2)
    {
        return;
    }
    let started = std::time::Instant::now();
    match client.list::<Value>(parent, child).await {
        Ok(items) => ctx.observations.listed(
            namespace,
            &items,
            started,
            ctx.observation_max_age().saturating_mul(2),
        ),
        Err(e) => tracing::debug!(error = %e, collection, "list for shared observation failed"),
    }
}

/// What executing a write did.
pub enum Written {
    /// Azure finished at once; the resource as its answer carried it, if it did.
    Done(Option<Value>),
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
        Action::RegenerateKey(key) => {
            let body = arm::models::RegenerateEndpointKeysRequest {
                key_type: match key {
                    planner::keys::KeySlot::Primary => arm::models::KeyType::Primary,
                    planner::keys::KeySlot::Secondary => arm::models::KeyType::Secondary,
                },
                key_value: None,
                extra: Default::default(),
            };
            client
                .begin_post::<_, Value>(id, "regenerateKeys", Some(&body))
                .await?
        }
        Action::None | Action::SyncKeys | Action::SyncToken | Action::RemoveFinalizer => {
            return Ok(None);
        }
    };
    Ok(Some(match started {
        Started::Done(body) => Written::Done(body),
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
    let object = key(&*obj);
    let api: kube::Api<K> =
        kube::Api::namespaced(ctx.client.clone(), &obj.namespace().unwrap_or_default());
    let run = finalizer(&api, api::FINALIZER, obj, |event| match event {
        Finalizer::Apply(o) => step(o, false),
        Finalizer::Cleanup(o) => step(o, true),
    });
    let running = crate::admin::Running::start(&ctx.health);
    let timed = tokio::time::timeout(ctx.reconcile_timeout, run).await;
    drop(running);
    let Ok(result) = timed else {
        ctx.metrics.reconciled(kind, "error", started_at.elapsed());
        return Err(Error::Timeout(ctx.reconcile_timeout));
    };
    let result = result.map_err(|e| match e {
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
        Ok(_) => {
            ctx.backoff.succeeded(&object);
            "ok"
        }
        Err(Error::DeletionPending(_)) => {
            ctx.backoff.succeeded(&object);
            "waiting"
        }
        Err(Error::StaleCache(_)) => "waiting",
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
    // What a list told of this resource before now no longer holds.
    ctx.observations.wrote(&id.to_string());
    match write(client, id, action).await {
        Ok(Some(Written::Started(op))) => {
            planner::progress::started(status, generation, op, now);
            ctx.trees.set_in_flight(tree.0, tree.1, true);
            Some(Requeue::After(Duration::from_secs(1)))
        }
        Ok(Some(Written::Done(Some(body)))) => {
            // A write Azure finished at once answers with the resource: the next reconcile of
            // the tree reads that instead of a GET (settled bodies only, see `observe_shared`).
            if body
                .get("id")
                .and_then(Value::as_str)
                .is_some_and(|i| i.eq_ignore_ascii_case(&id.to_string()))
            {
                ctx.observations.listed(
                    &tree.0.0,
                    std::slice::from_ref(&body),
                    std::time::Instant::now(),
                    ctx.observation_max_age().saturating_mul(2),
                );
            }
            None
        }
        Ok(_) => None,
        // Not sent: the pacer handed it back; try again when ARM's bucket has refilled.
        Err(e) if e.code() == arm::PACER_WAIT_CODE => Some(Requeue::After(
            e.retry_after.unwrap_or(crate::azure::MAX_BUCKET_WAIT),
        )),
        Err(e) => {
            let f = to_failure(&e);
            let requeue = planner::progress::failed_within(
                status,
                generation,
                &f,
                false,
                now,
                ctx.busy_stall_after,
            );
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

/// Clears this object's in-flight mark in its tree once nothing of its is running in Azure: the
/// operation it recorded has ended, or (a status write that recorded it was lost) none is
/// recorded and Azure shows the resource in a terminal state.
pub fn settle_in_flight(
    ctx: &Context,
    tree: &crate::context::TreeKey,
    me: &str,
    recorded: bool,
    operation: &OperationOutcome,
    observed: &Observation,
) {
    let ended = !matches!(
        operation,
        OperationOutcome::Pending { .. } | OperationOutcome::None
    );
    let settled = !recorded
        && observed.found().is_some_and(|r| {
            planner::observe::provisioning_state(r).is_none_or(|s| s.is_terminal())
        });
    if ended || settled {
        ctx.trees.set_in_flight(tree, me, false);
    }
}

/// What the cluster admin grants `namespace` (its Namespace's annotations and the controller's
/// flag). A Namespace that cannot be read grants only what the flag says.
pub async fn grant(ctx: &Context, namespace: &str) -> planner::tenancy::NamespacePolicy {
    if let Some(policy) = ctx.grants.get(namespace) {
        return policy;
    }
    let by_flag = ctx
        .default_credential_namespaces
        .iter()
        .any(|n| n == "*" || n == namespace);
    let namespaces: kube::Api<k8s_openapi::api::core::v1::Namespace> =
        kube::Api::all(ctx.client.clone());
    let annotations = match namespaces.get_opt(namespace).await {
        Ok(ns) => ns
            .and_then(|ns| ns.metadata.annotations)
            .unwrap_or_default(),
        Err(e) => {
            tracing::warn!(namespace, error = %e, "cannot read the Namespace's grant; using the controller's flags only");
            Default::default()
        }
    };
    let policy = planner::tenancy::NamespacePolicy::from_annotations(namespace, by_flag, |k| {
        annotations.get(k).cloned()
    });
    ctx.grants.put(namespace, policy.clone());
    policy
}

/// Why `ws` may not be used from its namespace (the rule it breaks), if so.
pub async fn not_permitted(ctx: &Context, ws: &api::Workspace) -> Option<String> {
    let policy = grant(ctx, &ws.namespace().unwrap_or_default()).await;
    planner::tenancy::check(&policy, &ws.spec)
        .err()
        .map(|rule| format!("Workspace {}: {rule}", ws.name_any()))
}

/// The lifecycle of `obj` (owner tag, annotations, deletion time) as `kind`.
pub fn lifecycle_of<K: Resource>(kind: &str, obj: &K) -> planner::Lifecycle {
    let annotations = obj.meta().annotations.as_ref();
    let mut lc = planner::Lifecycle::from_annotations(
        kind,
        obj.meta().namespace.as_deref().unwrap_or_default(),
        obj.meta().name.as_deref().unwrap_or_default(),
        |key| annotations.and_then(|a| a.get(key)).cloned(),
    );
    lc.deleting_since = obj.meta().deletion_timestamp.as_ref().map(|t| t.0);
    lc
}

/// Which of two objects came first: the older creationTimestamp, then namespace/name.
pub fn came_first<A: Resource, B: Resource>(a: &A, b: &B) -> bool {
    let created = |m: &kube::api::ObjectMeta| m.creation_timestamp.as_ref().map(|t| t.0);
    let key = |m: &kube::api::ObjectMeta| {
        (
            m.namespace.clone().unwrap_or_default(),
            m.name.clone().unwrap_or_default(),
        )
    };
    (created(a.meta()), key(a.meta())) < (created(b.meta()), key(b.meta()))
}

/// A failure that stops a deletion from reaching Azure at all (no credential, no permission):
/// after [`planner::lifecycle::DELETION_GRACE`] the finalizer is released with a `LeftInAzure`
/// Warning naming what stays in Azure. `Some` is the reconcile's answer then.
pub async fn give_up_deletion<K: Resource<DynamicType = ()>>(
    ctx: &Context,
    obj: &K,
    deleting: bool,
    failure: &planner::Failure,
    left: &str,
) -> Option<KubeAction> {
    let unreachable = matches!(failure.class, planner::FailureClass::Credential)
        || failure.code.eq_ignore_ascii_case("AuthorizationFailed");
    let since = obj.meta().deletion_timestamp.as_ref().map(|t| t.0);
    if !deleting
        || !unreachable
        || !planner::lifecycle::deletion_gives_up(
            since,
            k8s_openapi::jiff::Timestamp::now(),
            ctx.deletion_grace,
        )
    {
        return None;
    }
    publish(
        ctx,
        obj,
        &[EventNote::warning(
            "LeftInAzure",
            format!(
                "{left} is left in Azure: deletion could not reach Azure for {}s ({}: {})",
                ctx.deletion_grace.as_secs(),
                failure.code,
                failure.message
            ),
        )],
    )
    .await;
    Some(KubeAction::await_change())
}

/// `namespace/name` of an object, for logs and messages.
pub fn key<K: Resource>(obj: &K) -> String {
    format!("{}/{}", obj.namespace().unwrap_or_default(), obj.name_any())
}
