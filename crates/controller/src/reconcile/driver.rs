//! The one reconcile skeleton every kind runs: lock the endpoint tree (if any) → first status →
//! observe (the kind reads Azure and the caches) → plan (the kind asks `planner`) → the reconcile
//! policy → execute the plan's one action → metrics, Events, status → finalizer answer.
//!
//! A kind supplies only what differs ([`Kind`]); everything about failures, deletion bounds,
//! `reconcile-policy`, status writes and the finalizer is decided here, once.

use std::future::Future;
use std::sync::Arc;

use api::status::CommonStatus;
use k8s_openapi::jiff::Timestamp;
use kube::api::Api;
use kube::runtime::controller::Action as KubeAction;
use kube::{Resource, ResourceExt};
use planner::progress::first_seen;
use planner::{EventNote, Failure, Lifecycle, Plan, Requeue};

use super::{Error, finish, give_up_deletion, lifecycle_of, publish};
use crate::context::{Context, TreeKey};
use crate::status_patch::patch_status;

/// Why observation stopped a reconcile.
pub enum Stop {
    /// Azure (or the credential) failed: recorded in status as its class says; `left` names what
    /// stays in Azure if a deletion has to give up.
    Azure {
        /// The failure.
        failure: Failure,
        /// What is left in Azure, for the `LeftInAzure` Event.
        left: String,
    },
    /// The Kubernetes API failed.
    Kube(Error),
}

impl From<Error> for Stop {
    fn from(e: Error) -> Self {
        Self::Kube(e)
    }
}

/// The status the kind's objects carry, written through the status subresource.
pub trait KindStatus:
    CommonStatus + serde::Serialize + serde::de::DeserializeOwned + Send + Sync + 'static
{
}
impl<S> KindStatus for S where
    S: CommonStatus + serde::Serialize + serde::de::DeserializeOwned + Send + Sync + 'static
{
}

/// The actions plans name: on the object's own ARM resource ([`planner::Action`]) or on a target
/// of its own ([`planner::NetworkAction`]).
pub trait PlanAction: Clone + PartialEq + std::fmt::Debug + Send + Sync {
    /// True when the action changes Azure.
    fn writes(&self) -> bool;
    /// True when the action releases the finalizer.
    fn releases(&self) -> bool;
    /// The action that does nothing.
    fn nothing() -> Self;
    /// What the action is, for logs: its kind and target, never a request body (a deployment's
    /// environment variables may hold secrets).
    fn label(&self) -> String;
}

impl PlanAction for planner::Action {
    fn writes(&self) -> bool {
        self.is_write()
    }
    fn releases(&self) -> bool {
        *self == Self::RemoveFinalizer
    }
    fn nothing() -> Self {
        Self::None
    }
    fn label(&self) -> String {
        match self {
            Self::None => "None".into(),
            Self::Put { kind, .. } => format!("PUT ({})", kind.as_str()),
            Self::Patch { kind, .. } => format!("PATCH ({})", kind.as_str()),
            Self::Delete => "DELETE".into(),
            Self::SyncKeys => "SyncKeys".into(),
            Self::RegenerateKey(key) => format!("regenerateKeys ({})", key.key_type()),
            Self::SyncToken => "SyncToken".into(),
            Self::RemoveFinalizer => "RemoveFinalizer".into(),
        }
    }
}

impl PlanAction for planner::NetworkAction {
    fn writes(&self) -> bool {
        self.is_write()
    }
    fn releases(&self) -> bool {
        *self == Self::RemoveFinalizer
    }
    fn nothing() -> Self {
        Self::None
    }
    fn label(&self) -> String {
        match self.target() {
            Some(target) => format!("{} {target}", self.operation_kind()),
            None if *self == Self::RemoveFinalizer => "RemoveFinalizer".into(),
            None => "None".into(),
        }
    }
}

/// What one kind contributes to the skeleton.
pub trait Kind:
    Resource<DynamicType = (), Scope = kube::core::NamespaceResourceScope>
    + Clone
    + serde::de::DeserializeOwned
    + serde::Serialize
    + std::fmt::Debug
    + Send
    + Sync
    + 'static
{
    /// The kind's name (metrics, owner tag, Events).
    const KIND: &'static str;
    /// Its status.
    type Status: KindStatus;
    /// The action its plans name (its own ARM resource, or a target of its own).
    type Action: PlanAction;
    /// What [`Kind::observe`] gathered for planning and executing.
    type Seen: Send + Sync;

    /// The status as stored (or empty).
    fn stored(&self) -> Self::Status;
    /// The endpoint tree whose lock the reconcile holds (one decision at a time per tree).
    fn tree(&self) -> Option<TreeKey>;
    /// Reads what planning needs: the caches, the operation's poll, Azure. May fill in
    /// `lifecycle` (claims) and update `stored` (things recorded before planning).
    fn observe(
        &self,
        ctx: &Context,
        stored: &mut Self::Status,
        lifecycle: &mut Lifecycle,
        deleting: bool,
    ) -> impl Future<Output = Result<Self::Seen, Stop>> + Send;

    /// Asks the planner (pure) for the next step.
    fn plan(
        &self,
        ctx: &Context,
        seen: &Self::Seen,
        stored: &Self::Status,
        lifecycle: &Lifecycle,
        deleting: bool,
        now: Timestamp,
    ) -> Plan<Self::Status, Self::Action>;

    /// Takes the plan's action; records its effect in `status` and `events`. Returns the requeue
    /// that replaces the plan's, if any.
    fn execute(
        &self,
        ctx: &Context,
        seen: &Self::Seen,
        plan: &Plan<Self::Status, Self::Action>,
        status: &mut Self::Status,
        events: &mut Vec<EventNote>,
    ) -> impl Future<Output = Option<Requeue>> + Send;

    /// Publishes the Events (default: each under its reason).
    fn publish(
        &self,
        ctx: &Context,
        events: &[EventNote],
        _stored: &Self::Status,
        _action: &Self::Action,
    ) -> impl Future<Output = ()> + Send {
        async move { publish(ctx, self, events).await }
    }

    /// Runs once the finalizer is about to go (release what was kept for the deletion).
    fn released(&self, _ctx: &Context) -> impl Future<Output = Result<(), Error>> + Send {
        async { Ok(()) }
    }
}

/// One reconcile of `obj` (inside kube-runtime's finalizer helper; `deleting` is its Cleanup).
pub async fn drive<K: Kind>(
    obj: Arc<K>,
    ctx: &Context,
    deleting: bool,
) -> Result<KubeAction, Error> {
    let name = obj.name_any();
    let api: Api<K> = Api::namespaced(ctx.client.clone(), &obj.namespace().unwrap_or_default());
    let _guard = match obj.tree() {
        Some(tree) => Some(ctx.trees.lock(&tree).await),
        None => None,
    };
    let now = Timestamp::now();
    let generation = obj.meta().generation;
    // A sync-interval annotation that cannot be read is not fatal: the controller's interval is
    // used, and the object says why (the Event recorder folds repeats into one series).
    if let Some(value) = obj
        .meta()
        .annotations
        .as_ref()
        .and_then(|a| a.get(super::SYNC_INTERVAL_ANNOTATION))
        && let Err(message) = super::annotated_interval(value)
    {
        let note = format!(
            "{message}; the controller's sync interval ({}s) is used",
            ctx.sync_interval.as_secs()
        );
        publish(ctx, &*obj, &[EventNote::warning("InvalidAnnotation", note)]).await;
    }

    let mut stored = obj.stored();
    if stored.conditions().is_empty() {
        let mut first = stored.clone();
        first_seen(&mut first, generation, now);
        patch_status(&api, &name, &stored, &first)
            .await
            .map_err(|e| Error::kube("write the first status", e))?;
        stored = first;
    }

    let mut lifecycle = lifecycle_of(K::KIND, &*obj);
    let seen = match obj
        .observe(ctx, &mut stored, &mut lifecycle, deleting)
        .await
    {
        Ok(seen) => seen,
        Err(Stop::Kube(e)) => return Err(e),
        // The pacer handed a request back rather than make this reconcile sit on ARM's buckets:
        // nothing was sent and nothing changed, so status stays as it is; come back when the
        // bucket has refilled (the worker and the tree lock go to others meanwhile).
        Err(Stop::Azure { failure, .. }) if failure.code == arm::PACER_WAIT_CODE => {
            let wait = match failure.class {
                planner::FailureClass::Throttled { retry_after } => retry_after,
                _ => crate::azure::MAX_BUCKET_WAIT,
            };
            return finish(deleting, Requeue::After(wait), &*obj, ctx);
        }
        Err(Stop::Azure { failure, left }) => {
            if let Some(done) = give_up_deletion(ctx, &*obj, deleting, &failure, &left).await {
                obj.released(ctx).await?;
                return Ok(done);
            }
            let mut status = stored.clone();
            let requeue = planner::progress::failed_within(
                &mut status,
                generation,
                &failure,
                false,
                now,
                ctx.busy_stall_after,
            );
            patch_status(&api, &name, &stored, &status)
                .await
                .map_err(|e| Error::kube("write status", e))?;
            return finish(deleting, requeue, &*obj, ctx);
        }
    };

    let plan = obj.plan(ctx, &seen, &stored, &lifecycle, deleting, now);
    let plan = if deleting {
        plan
    } else {
        let is_write = plan.action.writes();
        planner::lifecycle::apply_policy(
            plan,
            &lifecycle,
            is_write,
            K::Action::nothing(),
            generation,
            now,
        )
    };
    tracing::debug!(kind = K::KIND, object = %super::key(&*obj), action = %plan.action.label(), "planned");

    let mut status = plan.status.clone();
    let mut events = plan.events.clone();
    let mut requeue = plan.requeue;
    if let Some(r) = obj
        .execute(ctx, &seen, &plan, &mut status, &mut events)
        .await
    {
        requeue = r;
    }
    for d in &plan.drift {
        ctx.metrics.drift_corrected(K::KIND, &d.field);
    }
    ctx.metrics
        .set_in_flight("all", ctx.trees.in_flight_count());
    obj.publish(ctx, &events, &stored, &plan.action).await;
    patch_status(&api, &name, &stored, &status)
        .await
        .map_err(|e| Error::kube("write status", e))?;
    if plan.action.releases() {
        obj.released(ctx).await?;
        return Ok(KubeAction::await_change());
    }
    finish(deleting, requeue, &*obj, ctx)
}
