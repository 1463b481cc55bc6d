//! Running the controllers: one kube-runtime Controller per kind sharing their caches, each woken
//! by the objects it depends on (an endpoint by its deployments and its Workspace, a deployment by
//! its endpoint, a Workspace by the endpoints that use it).
//!
//! Invariants: one watch per kind fills one cache and hands every change, as the object itself,
//! to the controllers after the cache holds it; no controller runs (so no reconcile waits on a
//! cache) before all three caches hold their first full list.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use api::status::CommonStatus;
use api::{OnlineDeployment, OnlineEndpoint, Workspace};
use futures::channel::mpsc;
use futures::{SinkExt, StreamExt};
use kube::api::Api;
use kube::runtime::controller::{Action, Config as ControllerConfig, Controller};
use kube::runtime::events::{Recorder, Reporter};
use kube::runtime::reflector::{self, ObjectRef, Store, store::Writer};
use kube::runtime::watcher;
use kube::{Client, Resource, ResourceExt};
use tokio_util::sync::CancellationToken;

use crate::azure::{AzureClients, AzureSettings};
use crate::context::{Context, Stores, Trees};
use crate::index::Index;
use crate::metrics::Metrics;
use crate::reconcile::{self, Error, jitter};

/// Installs rustls' crypto provider once per process (the TLS stacks of kube and reqwest share it).
pub fn install_crypto_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

/// The longest one reconcile may take; past it the reconcile is abandoned (its tree lock
/// released) and retried with back-off. Each Azure request has its own 60 s deadline.
pub const RECONCILE_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// How the controllers run.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Reconciles running at once, per kind.
    pub concurrency: u16,
    /// Time between resyncs of a converged object.
    pub sync_interval: Duration,
    /// How old an endpoint's keys Secret may get before it is refreshed from Azure.
    pub keys_refresh: Duration,
    /// Watch only this namespace.
    pub namespace: Option<String>,
    /// Azure access.
    pub azure: AzureSettings,
    /// Name reported on Events (e.g. the pod name).
    pub instance: Option<String>,
    /// How long a 409 (Azure busy) may last before the object is Stalled.
    pub busy_stall_after: Duration,
    /// How long a deletion that cannot reach Azure keeps trying before it leaves what is there
    /// (with a `LeftInAzure` Warning naming it).
    pub deletion_grace: Duration,
    /// Namespaces whose Workspaces may use the controller's own identity (`*`: all), besides
    /// those whose Namespace is annotated `aml-operator.io/default-credential: allowed`.
    pub default_credential_namespaces: Vec<String>,
    /// The private DNS zone names of the workspace's private link in this cloud (`--cloud`).
    pub workspace_zones: planner::network::WorkspaceZones,
}

fn api<K>(client: &Client, namespace: Option<&str>) -> Api<K>
where
    K: kube::Resource<Scope = kube::core::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
{
    match namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    }
}

/// The first wait after a failed reconcile, and the longest; the waits double in between.
const ERROR_BACKOFF: (Duration, Duration) = (Duration::from_secs(5), Duration::from_secs(300));
/// The same for a finalizer patch that raced the watch (a 409, or a 422 from its test).
const STALE_BACKOFF: (Duration, Duration) = (Duration::from_millis(500), Duration::from_secs(30));

fn error_policy<K>(obj: Arc<K>, error: &Error, ctx: Arc<Context>) -> Action
where
    K: kube::Resource,
{
    let key = reconcile::key(&*obj);
    match error {
        Error::DeletionPending(wait) => Action::requeue(jitter(*wait)),
        Error::StaleCache(_) => {
            let (base, cap) = STALE_BACKOFF;
            let wait = ctx.backoff.failed(&key, base, cap);
            tracing::debug!(object = %key, error = %error, retry_in = ?wait, "finalizer patch raced the watch; retrying");
            Action::requeue(jitter(wait))
        }
        other => {
            let (base, cap) = ERROR_BACKOFF;
            let wait = ctx.backoff.failed(&key, base, cap);
            tracing::warn!(object = %key, error = %other, retry_in = ?wait, "reconcile failed; retrying");
            Action::requeue(jitter(wait))
        }
    }
}

fn log_result<E: std::fmt::Display>(kind: &'static str, error: Option<E>) {
    if let Some(e) = error {
        tracing::debug!(kind, error = %e, "controller event");
    }
}

/// Subscriber buffer of a shared watch: large enough that a burst of changes at scale does not
/// stall the watch on a slow subscriber.
const FEED_BUFFER: usize = 4096;

/// What a subscriber hears. A controller hears its own kind when listed or changed (as
/// `Controller::new` does); a controller watching a related kind also hears it deleted (as
/// `Controller::watches` does), so an endpoint waiting for its deployments to go hears the last
/// one go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Interest {
    Applied,
    Touched,
}

/// One subscriber of a shared watch.
struct Subscriber<K: Resource<DynamicType = ()>> {
    interest: Interest,
    tx: mpsc::Sender<Arc<K>>,
    /// For a controller hearing a related kind: a digest of what its reconciles read of the
    /// object. A change that leaves the digest as last handed over is not handed over (a status
    /// message rewritten, a finalizer added), so two kinds do not wake each other for nothing.
    relevance: Option<fn(&K) -> u64>,
    /// For the controller of the kind itself: a change that leaves the relevance digest as it
    /// was is passed over only when this says the object is settled.
    settled: Option<fn(&K) -> bool>,
    last: HashMap<ObjectRef<K>, u64>,
}

/// The shared watch of one kind: one cache, and every change handed to each subscriber as the
/// object itself, after the cache holds it.
///
/// Not kube-runtime's `store_shared`/`reflect_shared`: its subscriptions carry references that
/// are looked up in the cache when read, and one whose object left the cache meanwhile (changed,
/// then deleted) answers `Pending` without arranging a wake-up, which silences that subscription
/// for good; it also never passes deletions on.
struct SharedWatch<K: Resource<DynamicType = ()> + Clone + 'static> {
    reader: Store<K>,
    writer: Writer<K>,
    subscribers: Vec<Subscriber<K>>,
    /// Secondary indexes kept with the cache (see [`crate::index`]).
    indexes: Vec<Arc<Index<K>>>,
}

impl<K> SharedWatch<K>
where
    K: Resource<DynamicType = ()> + Clone + std::fmt::Debug + Send + Sync + 'static,
{
    fn new() -> Self {
        let (reader, writer) = reflector::store();
        Self {
            reader,
            writer,
            subscribers: Vec::new(),
            indexes: Vec::new(),
        }
    }

    fn store(&self) -> Store<K> {
        self.reader.clone()
    }

    /// Keeps `index` with the cache: each change is indexed before subscribers hear of it.
    fn keep_index(&mut self, index: Arc<Index<K>>) {
        self.indexes.push(index);
    }

    /// A stream of the objects this subscriber hears of; it ends when the watch ends.
    fn subscribe(&mut self, interest: Interest) -> mpsc::Receiver<Arc<K>> {
        self.add(interest, None, None)
    }

    /// For the controller of this kind: the objects listed and changed, except a change of
    /// status alone (the controller's own write) that leaves the object `settled` — Ready for
    /// its generation with nothing in flight. The reconcile that wrote such a status has already
    /// asked to come back at the next sync, and a wake-up would only read Azure again to find
    /// nothing new. A status write on the way (an operation started, a step done) still wakes the
    /// controller, which then reads its own write from the cache.
    fn subscribe_own(&mut self, settled: fn(&K) -> bool) -> mpsc::Receiver<Arc<K>> {
        self.add(Interest::Applied, Some(own_relevance::<K>), Some(settled))
    }

    /// For a controller of another kind: the objects listed, deleted, or changed in what
    /// `relevance` digests.
    fn subscribe_related(&mut self, relevance: fn(&K) -> u64) -> mpsc::Receiver<Arc<K>> {
        self.add(Interest::Touched, Some(relevance), None)
    }

    fn add(
        &mut self,
        interest: Interest,
        relevance: Option<fn(&K) -> u64>,
        settled: Option<fn(&K) -> bool>,
    ) -> mpsc::Receiver<Arc<K>> {
        let (tx, rx) = mpsc::channel(FEED_BUFFER);
        self.subscribers.push(Subscriber {
            interest,
            tx,
            relevance,
            settled,
            last: HashMap::new(),
        });
        rx
    }

    /// Applies each event to the cache, then hands its objects to the subscribers, until `events`
    /// ends. A full list (first, or after the watch expired) hands over every cached object.
    async fn feed(
        self,
        events: impl futures::Stream<Item = Result<watcher::Event<K>, watcher::Error>> + Send,
    ) {
        let Self {
            reader,
            writer,
            mut subscribers,
            indexes,
        } = self;
        let mut events = std::pin::pin!(reflector::reflector(writer, events));
        while let Some(event) = events.next().await {
            match event {
                Ok(watcher::Event::Apply(object)) => {
                    let cached = reader
                        .get(&ObjectRef::from_obj(&object))
                        .unwrap_or_else(|| Arc::new(object));
                    for index in &indexes {
                        index.apply(&cached);
                    }
                    hand_over(&mut subscribers, &cached, Change::Applied).await;
                }
                Ok(watcher::Event::Delete(object)) => {
                    for index in &indexes {
                        index.remove(&object);
                    }
                    hand_over(&mut subscribers, &Arc::new(object), Change::Deleted).await;
                }
                Ok(watcher::Event::InitDone) => {
                    let listed = reader.state();
                    for index in &indexes {
                        index.rebuild(&listed);
                    }
                    for object in listed {
                        hand_over(&mut subscribers, &object, Change::Listed).await;
                    }
                }
                Ok(watcher::Event::Init | watcher::Event::InitApply(_)) => {}
                Err(e) => tracing::warn!(error = %e, "watch error; retrying with backoff"),
            }
        }
    }
}

/// What a controller reads of its own objects apart from status, as a digest: the spec (by
/// generation), deletion, finalizers, labels and annotations (the sync-interval annotation among
/// them), and the object's identity.
fn own_relevance<K: Resource>(object: &K) -> u64 {
    use std::hash::{Hash, Hasher};
    let meta = object.meta();
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (
        meta.uid.as_deref(),
        meta.generation,
        meta.deletion_timestamp.is_some(),
        &meta.finalizers,
        &meta.labels,
        &meta.annotations,
    )
        .hash(&mut h);
    h.finish()
}

/// True when `status` says Ready for `generation` with no Azure operation in flight: what a
/// reconcile writes last before it waits for the next sync.
fn settled<S: CommonStatus>(status: Option<&S>, generation: Option<i64>) -> bool {
    status.is_some_and(|s| planner::progress::was_ready(s, generation) && s.operation().is_none())
}

/// What happened to an object handed over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Change {
    /// Created or changed.
    Applied,
    /// In a full list (the first, or after the watch expired).
    Listed,
    /// Deleted.
    Deleted,
}

/// Sends `object` to every subscriber that hears of `change`. A subscriber whose controller has
/// stopped is dropped, not waited for.
async fn hand_over<K>(subscribers: &mut Vec<Subscriber<K>>, object: &Arc<K>, change: Change)
where
    K: Resource<DynamicType = ()>,
{
    let mut gone = false;
    for sub in subscribers.iter_mut() {
        if let Some(relevance) = sub.relevance {
            let key = ObjectRef::from_obj(&**object);
            if change == Change::Deleted {
                sub.last.remove(&key);
            } else {
                let digest = relevance(object);
                let before = sub.last.insert(key, digest);
                if change == Change::Applied
                    && before == Some(digest)
                    && sub.settled.is_none_or(|settled| settled(object))
                {
                    continue;
                }
            }
        }
        if change == Change::Deleted && sub.interest == Interest::Applied {
            continue;
        }
        gone |= sub.tx.send(object.clone()).await.is_err();
    }
    if gone {
        subscribers.retain(|sub| !sub.tx.is_closed());
    }
}

/// The watch of one kind through `api`, feeding `shared` until shutdown.
fn watch<K>(
    shared: SharedWatch<K>,
    api: Api<K>,
    shutdown: CancellationToken,
) -> impl std::future::Future<Output = ()> + Send + 'static
where
    K: Resource<DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug
        + Send
        + Sync
        + 'static,
{
    use kube::runtime::WatchStreamExt;
    async move {
        let events = watcher(api, watcher::Config::default()).default_backoff();
        tokio::select! {
            () = shared.feed(events) => {}
            () = shutdown.cancelled() => {}
        }
    }
}

/// Waits until every cache holds its first full list; false if shutdown comes first.
///
/// This must be the only wait in progress: kube-runtime's `Store::wait_until_ready` keeps one
/// waker, so of several tasks waiting at once only the last to poll is woken, and a reconcile
/// waiting inside a Controller is then never polled again (its object stays untouched until the
/// process restarts). Once one waiter has seen a cache ready every later wait returns at once, so
/// the controllers, whose runners and reconciles wait too, start only after this.
async fn caches_filled(stores: &Stores, shutdown: &CancellationToken) -> bool {
    tokio::select! {
        () = stores.ready() => true,
        () = shutdown.cancelled() => false,
    }
}

/// The running controllers' shared state, for callers that watch progress (sandbox, bench).
pub struct Running {
    /// The reconcile context.
    pub context: Arc<Context>,
}

/// Builds the controllers and runs them until `shutdown` completes.
///
/// # Errors
/// Not at present; the signature leaves room for start-up failures.
pub async fn run(
    client: Client,
    options: RunOptions,
    metrics: Arc<Metrics>,
    health: Arc<crate::admin::Health>,
    shutdown: CancellationToken,
    on_start: impl FnOnce(Running),
) -> anyhow::Result<()> {
    let ns = options.namespace.as_deref();
    let config = ControllerConfig::default().concurrency(options.concurrency);

    // One watch per kind, shared: a controller woken by an object finds the cache already holding
    // it (separate watches would race, and cost three times the connections).
    let mut workspace_watch = SharedWatch::<Workspace>::new();
    let mut endpoint_watch = SharedWatch::<OnlineEndpoint>::new();
    let mut deployment_watch = SharedWatch::<OnlineDeployment>::new();
    let stores = Stores::new(
        workspace_watch.store(),
        endpoint_watch.store(),
        deployment_watch.store(),
    );
    deployment_watch.keep_index(stores.deployments_by_endpoint.clone());
    endpoint_watch.keep_index(stores.endpoints_by_azure_name.clone());

    let endpoint_lookup = stores.endpoints.clone();
    let endpoints = Controller::for_shared_stream(
        endpoint_watch
            .subscribe_own(|e: &OnlineEndpoint| settled(e.status.as_ref(), e.meta().generation)),
        stores.endpoints.clone(),
    )
    .with_config(config.clone())
    .watches_shared_stream(
        deployment_watch.subscribe_related(reconcile::endpoint::deployment_relevance),
        |d: Arc<OnlineDeployment>| {
            d.namespace()
                .map(|ns| ObjectRef::new(&d.spec.endpoint_ref.name).within(&ns))
        },
    )
    .watches_shared_stream(
        workspace_watch.subscribe(Interest::Touched),
        move |w: Arc<Workspace>| {
            let ns = w.namespace().unwrap_or_default();
            let name = w.name_any();
            endpoint_lookup
                .state()
                .into_iter()
                .filter(|e| {
                    e.namespace().as_deref() == Some(ns.as_str())
                        && e.spec.workspace_ref.name == name
                })
                .map(|e| ObjectRef::from_obj(&*e))
                .collect::<Vec<_>>()
        },
    );
    let deployment_lookup = stores.clone();
    let deployments = Controller::for_shared_stream(
        deployment_watch
            .subscribe_own(|d: &OnlineDeployment| settled(d.status.as_ref(), d.meta().generation)),
        stores.deployments.clone(),
    )
    .with_config(config.clone())
    .watches_shared_stream(
        endpoint_watch.subscribe_related(reconcile::deployment::endpoint_relevance),
        move |e: Arc<OnlineEndpoint>| {
            let ns = e.namespace().unwrap_or_default();
            let name = e.name_any();
            deployment_lookup
                .deployments_of(&ns, &name)
                .into_iter()
                .map(|d| ObjectRef::from_obj(&*d))
                .collect::<Vec<_>>()
        },
    );
    // A Workspace hears of its endpoints only while it is being deleted (it waits for them to go).
    let workspace_lookup = stores.workspaces.clone();
    let workspaces = Controller::for_shared_stream(
        workspace_watch
            .subscribe_own(|w: &Workspace| settled(w.status.as_ref(), w.meta().generation)),
        stores.workspaces.clone(),
    )
    .with_config(config)
    .watches_shared_stream(
        endpoint_watch.subscribe(Interest::Touched),
        move |e: Arc<OnlineEndpoint>| {
            let ns = e.namespace()?;
            let key = ObjectRef::new(&e.spec.workspace_ref.name).within(&ns);
            workspace_lookup
                .get(&key)
                .filter(|w| w.meta().deletion_timestamp.is_some())
                .map(|_| key)
        },
    );
    tokio::spawn(watch(workspace_watch, api(&client, ns), shutdown.clone()));
    tokio::spawn(watch(endpoint_watch, api(&client, ns), shutdown.clone()));
    tokio::spawn(watch(deployment_watch, api(&client, ns), shutdown.clone()));

    let reporter = Reporter {
        controller: "aml-operator".into(),
        instance: options.instance.clone(),
    };
    let context = Arc::new(Context {
        client: client.clone(),
        azure: AzureClients::new(options.azure.clone(), metrics.arm()),
        metrics: metrics.clone(),
        recorder: Recorder::new(client.clone(), reporter),
        stores: stores.clone(),
        trees: Trees::default(),
        sync_interval: options.sync_interval,
        keys_refresh: options.keys_refresh,
        ready: AtomicBool::new(false),
        busy_stall_after: options.busy_stall_after,
        deletion_grace: options.deletion_grace,
        backoff: crate::context::Backoff::default(),
        reconcile_timeout: RECONCILE_TIMEOUT,
        default_credential_namespaces: options.default_credential_namespaces.clone(),
        grants: crate::context::Grants::default(),
        workspace_zones: options.workspace_zones,
        health: health.clone(),
        observations: crate::observations::Observations::default(),
    });

    on_start(Running {
        context: context.clone(),
    });
    if !caches_filled(&stores, &shutdown).await {
        return Ok(());
    }
    context.ready.store(true, Ordering::Relaxed);
    health.set_caches_ready();

    let stop = |token: &CancellationToken| token.clone().cancelled_owned();
    let w = workspaces
        .graceful_shutdown_on(stop(&shutdown))
        .run(
            reconcile::workspace::reconcile,
            error_policy,
            context.clone(),
        )
        .for_each(|r| async move { log_result("Workspace", r.err()) });
    let e = endpoints
        .graceful_shutdown_on(stop(&shutdown))
        .run(
            reconcile::endpoint::reconcile,
            error_policy,
            context.clone(),
        )
        .for_each(|r| async move { log_result("OnlineEndpoint", r.err()) });
    let d = deployments
        .graceful_shutdown_on(stop(&shutdown))
        .run(
            reconcile::deployment::reconcile,
            error_policy,
            context.clone(),
        )
        .for_each(|r| async move { log_result("OnlineDeployment", r.err()) });
    tokio::join!(w, e, d);
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use std::time::Duration;

    use k8s_openapi::api::core::v1::ConfigMap;
    use kube::runtime::watcher::Event;

    use super::*;

    fn config_map(name: &str) -> ConfigMap {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": name, "namespace": "ns"}
        }))
        .unwrap()
    }

    /// The names a subscriber heard, up to the end of the feed.
    async fn names(rx: mpsc::Receiver<Arc<ConfigMap>>) -> Vec<String> {
        tokio::time::timeout(Duration::from_secs(10), rx.map(|o| o.name_any()).collect())
            .await
            .expect("the subscription delivers everything and ends with the feed")
    }

    /// Every change reaches every subscriber even when its object has left the cache before the
    /// subscriber reads it (changed, then deleted); deletions reach only related-kind subscribers.
    #[tokio::test]
    async fn subscribers_hear_every_change_even_of_objects_already_deleted() {
        let mut shared = SharedWatch::<ConfigMap>::new();
        let own = shared.subscribe(Interest::Applied);
        let related = shared.subscribe(Interest::Touched);
        let store = shared.store();
        let events = futures::stream::iter([
            Event::Init,
            Event::InitApply(config_map("listed")),
            Event::InitDone,
            Event::Apply(config_map("short-lived")),
            Event::Delete(config_map("short-lived")),
            Event::Apply(config_map("later")),
        ])
        .map(Ok);
        // The whole feed runs before anyone reads: the subscribers read objects already gone.
        shared.feed(events).await;

        let mut cached: Vec<String> = store.state().iter().map(|o| o.name_any()).collect();
        cached.sort();
        assert_eq!(cached, ["later", "listed"]);
        assert_eq!(names(own).await, ["listed", "short-lived", "later"]);
        assert_eq!(
            names(related).await,
            ["listed", "short-lived", "short-lived", "later"]
        );
    }

    fn with_data(name: &str, key: &str, value: &str) -> ConfigMap {
        let mut cm = config_map(name);
        cm.data = Some([(key.to_owned(), value.to_owned())].into());
        cm
    }

    /// What the test's related subscriber reads: the `phase` entry only.
    fn phase(cm: &ConfigMap) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        cm.data.as_ref().and_then(|d| d.get("phase")).hash(&mut h);
        h.finish()
    }

    /// A related-kind subscriber with a relevance digest hears an object listed, changed in what
    /// it reads, and deleted; not changed elsewhere. The owner's own subscriber hears everything.
    #[tokio::test]
    async fn a_related_subscriber_hears_only_changes_it_reads() {
        let mut shared = SharedWatch::<ConfigMap>::new();
        let own = shared.subscribe(Interest::Applied);
        let related = shared.subscribe_related(phase);
        let events = futures::stream::iter([
            Event::Init,
            Event::InitApply(with_data("a", "phase", "1")),
            Event::InitDone,
            Event::Apply(with_data("a", "message", "x")), // phase gone: relevant
            Event::Apply(with_data("a", "message", "y")), // no phase still: not relevant
            Event::Apply(with_data("a", "phase", "2")),
            Event::Apply(with_data("a", "phase", "2")), // a rewrite of the same: not relevant
            Event::Delete(with_data("a", "phase", "2")),
            Event::Apply(with_data("a", "phase", "2")), // created again: heard again
        ])
        .map(Ok);
        shared.feed(events).await;
        let heard = |rx: mpsc::Receiver<Arc<ConfigMap>>| async move {
            tokio::time::timeout(
                Duration::from_secs(10),
                rx.map(|o| {
                    o.data
                        .clone()
                        .unwrap_or_default()
                        .into_iter()
                        .collect::<Vec<_>>()
                })
                .collect::<Vec<_>>(),
            )
            .await
            .unwrap()
        };
        let kv = |k: &str, v: &str| vec![(k.to_owned(), v.to_owned())];
        assert_eq!(
            heard(own).await.len(),
            6,
            "the owner hears the list and every change (not the deletion)"
        );
        assert_eq!(
            heard(related).await,
            [
                kv("phase", "1"),
                kv("message", "x"),
                kv("phase", "2"),
                kv("phase", "2"),
                kv("phase", "2"),
            ]
        );
    }

    /// The controller of a kind hears its objects listed and changed outside status (spec by
    /// generation, annotations, finalizers, deletion, a new object under an old name), and its
    /// own status writes while the object is on its way; not a status write that leaves it
    /// settled (here: `status: ready`).
    #[tokio::test]
    async fn the_owner_does_not_hear_the_status_write_that_settles_an_object() {
        let version = |uid: &str, generation: i64, phase: &str| {
            let mut cm = with_data("a", "status", phase);
            cm.metadata.uid = Some(uid.to_owned());
            cm.metadata.generation = Some(generation);
            cm.metadata.resource_version = Some(format!("{generation}{phase}"));
            cm
        };
        let annotated = {
            let mut cm = version("u1", 2, "ready");
            cm.metadata.annotations = Some(
                [(
                    reconcile::SYNC_INTERVAL_ANNOTATION.to_owned(),
                    "30s".to_owned(),
                )]
                .into(),
            );
            cm
        };
        let finalized = {
            let mut cm = annotated.clone();
            cm.metadata.finalizers = Some(vec!["aml-operator.io/finalizer".to_owned()]);
            cm
        };
        let deleting = {
            let mut cm = finalized.clone();
            cm.metadata.deletion_timestamp =
                Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
                    k8s_openapi::jiff::Timestamp::UNIX_EPOCH,
                ));
            cm
        };
        let mut shared = SharedWatch::<ConfigMap>::new();
        let own = shared.subscribe_own(|cm: &ConfigMap| {
            cm.data
                .as_ref()
                .and_then(|d| d.get("status"))
                .map(String::as_str)
                == Some("ready")
        });
        let events = futures::stream::iter([
            Event::Init,
            Event::InitApply(version("u1", 1, "new")),
            Event::InitDone,
            Event::Apply(version("u1", 1, "working")), // status on the way: heard
            Event::Apply(version("u1", 1, "ready")),   // status settles it: not heard
            Event::Apply(version("u1", 2, "ready")),   // spec changed
            Event::Apply(annotated.clone()),
            Event::Apply(finalized),
            Event::Apply(deleting.clone()),
            Event::Apply(deleting.clone()), // nothing new, settled: not heard
            Event::Delete(deleting),
            Event::Apply(version("u2", 1, "ready")), // a new object of the same name
        ])
        .map(Ok);
        shared.feed(events).await;
        let heard: Vec<String> = tokio::time::timeout(
            Duration::from_secs(10),
            own.map(|o| {
                format!(
                    "{} g{} {} {}{}",
                    o.metadata.uid.as_deref().unwrap_or_default(),
                    o.metadata.generation.unwrap_or_default(),
                    o.data
                        .as_ref()
                        .and_then(|d| d.get("status"))
                        .cloned()
                        .unwrap_or_default(),
                    o.metadata.annotations.as_ref().map_or(0, |a| a.len())
                        + o.metadata.finalizers.as_ref().map_or(0, |f| f.len()),
                    if o.metadata.deletion_timestamp.is_some() {
                        " deleting"
                    } else {
                        ""
                    },
                )
            })
            .collect(),
        )
        .await
        .unwrap();
        assert_eq!(
            heard,
            [
                "u1 g1 new 0",
                "u1 g1 working 0",
                "u1 g2 ready 0",
                "u1 g2 ready 1",
                "u1 g2 ready 2",
                "u1 g2 ready 2 deleting",
                "u2 g1 ready 0",
            ]
        );
    }

    /// A subscriber hears an object only once the cache holds it.
    #[tokio::test]
    async fn an_object_is_cached_before_it_is_heard_of() {
        let mut shared = SharedWatch::<ConfigMap>::new();
        let mut own = shared.subscribe(Interest::Applied);
        let store = shared.store();
        let (tx, rx) = mpsc::unbounded();
        let feed = tokio::spawn(shared.feed(rx.map(Ok)));
        for event in [Event::Init, Event::InitDone, Event::Apply(config_map("a"))] {
            tx.unbounded_send(event).unwrap();
        }
        let heard = own.next().await.unwrap();
        assert!(store.get(&ObjectRef::from_obj(&*heard)).is_some());
        drop(tx);
        feed.await.unwrap();
    }

    fn stores() -> (Stores, [Box<dyn FnOnce() + Send>; 3]) {
        let (workspaces, mut w) = reflector::store::<Workspace>();
        let (endpoints, mut e) = reflector::store::<OnlineEndpoint>();
        let (deployments, mut d) = reflector::store::<OnlineDeployment>();
        let fill: [Box<dyn FnOnce() + Send>; 3] = [
            Box::new(move || w.apply_watcher_event(&Event::InitDone)),
            Box::new(move || e.apply_watcher_event(&Event::InitDone)),
            Box::new(move || d.apply_watcher_event(&Event::InitDone)),
        ];
        (Stores::new(workspaces, endpoints, deployments), fill)
    }

    /// `caches_filled` returns true only once all three caches hold a full list; after it, any
    /// number of concurrent waits on the caches (runners, reconciles) return at once.
    #[tokio::test]
    async fn the_caches_are_filled_when_all_three_are() {
        let (stores, [fill_workspaces, fill_endpoints, fill_deployments]) = stores();
        let shutdown = CancellationToken::new();
        let mut waiting = std::pin::pin!(caches_filled(&stores, &shutdown));
        assert!(futures::poll!(waiting.as_mut()).is_pending());
        fill_deployments();
        fill_endpoints();
        assert!(futures::poll!(waiting.as_mut()).is_pending());
        fill_workspaces();
        assert_eq!(
            futures::poll!(waiting.as_mut()),
            std::task::Poll::Ready(true)
        );

        let waits = (0..16).map(|_| stores.ready());
        tokio::time::timeout(Duration::from_secs(10), futures::future::join_all(waits))
            .await
            .expect("every later wait on the caches returns");
    }

    /// Shutdown before the caches are filled ends the wait with `false`.
    #[tokio::test]
    async fn shutdown_ends_the_wait_for_the_caches() {
        let (stores, _fill) = stores();
        let shutdown = CancellationToken::new();
        shutdown.cancel();
        assert!(!caches_filled(&stores, &shutdown).await);
    }
}
