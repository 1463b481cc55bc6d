//! Running the controllers: one kube-runtime Controller per kind sharing their caches, each woken
//! by the objects it depends on (an endpoint by its deployments and its Workspace, a deployment by
//! its endpoint, a Workspace by the endpoints that use it).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use api::{OnlineDeployment, OnlineEndpoint, Workspace};
use futures::StreamExt;
use kube::api::Api;
use kube::runtime::controller::{Action, Config as ControllerConfig, Controller};
use kube::runtime::events::{Recorder, Reporter};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher;
use kube::{Client, Resource, ResourceExt};

use crate::azure::{AzureClients, AzureSettings};
use crate::context::{Context, Stores, Trees};
use crate::metrics::Metrics;
use crate::reconcile::{self, Error, jitter};

/// How the controllers run.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Reconciles running at once, per kind.
    pub concurrency: u16,
    /// Time between resyncs of a converged object.
    pub sync_interval: Duration,
    /// Watch only this namespace.
    pub namespace: Option<String>,
    /// Azure access.
    pub azure: AzureSettings,
    /// Name reported on Events (e.g. the pod name).
    pub instance: Option<String>,
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

fn error_policy<K>(obj: Arc<K>, error: &Error, _ctx: Arc<Context>) -> Action
where
    K: kube::Resource,
{
    match error {
        Error::DeletionPending(wait) => Action::requeue(jitter(*wait)),
        other => {
            tracing::warn!(object = %reconcile::key(&*obj), error = %other, "reconcile failed; retrying");
            Action::requeue(jitter(Duration::from_secs(5)))
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

/// The shared watch of one kind: its cache and the feed controllers subscribe to.
struct SharedKind<K: kube::Resource<DynamicType = ()> + Clone + 'static> {
    writer: Option<kube::runtime::reflector::store::Writer<K>>,
    api: Api<K>,
}

impl<K> SharedKind<K>
where
    K: kube::Resource<Scope = kube::core::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug
        + Send
        + Sync
        + 'static,
{
    fn start(
        client: &Client,
        namespace: Option<&str>,
    ) -> (kube::runtime::reflector::Store<K>, Self) {
        let (reader, writer) = kube::runtime::reflector::store_shared(FEED_BUFFER);
        (
            reader,
            Self {
                writer: Some(writer),
                api: api::<K>(client, namespace),
            },
        )
    }

    fn subscribe(&self) -> anyhow::Result<kube::runtime::reflector::ReflectHandle<K>> {
        self.writer
            .as_ref()
            .and_then(|w| w.subscribe())
            .ok_or_else(|| anyhow::anyhow!("failed to subscribe to the shared watch"))
    }

    /// The watch itself: it fills the cache and feeds the subscribers until shutdown.
    fn run(
        mut self,
        shutdown: tokio_util::sync::CancellationToken,
    ) -> impl std::future::Future<Output = ()> + Send + 'static {
        use kube::runtime::WatchStreamExt;
        let writer = self.writer.take();
        let api = self.api.clone();
        async move {
            let Some(writer) = writer else { return };
            let stream = watcher(api, watcher::Config::default())
                .default_backoff()
                .reflect_shared(writer);
            tokio::select! {
                () = stream.for_each(|event| async move {
                    if let Err(e) = event {
                        tracing::warn!(error = %e, "watch error; retrying with backoff");
                    }
                }) => {}
                () = shutdown.cancelled() => {}
            }
        }
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
    shutdown: tokio_util::sync::CancellationToken,
    on_start: impl FnOnce(Running),
) -> anyhow::Result<()> {
    let ns = options.namespace.as_deref();
    let config = ControllerConfig::default().concurrency(options.concurrency);

    // One watch per kind, shared: a controller woken by an object finds the cache already holding
    // it (separate watches would race, and cost three times the connections).
    let (workspace_store, workspace_feed) = SharedKind::<Workspace>::start(&client, ns);
    let (endpoint_store, endpoint_feed) = SharedKind::<OnlineEndpoint>::start(&client, ns);
    let (deployment_store, deployment_feed) = SharedKind::<OnlineDeployment>::start(&client, ns);
    let stores = Stores {
        workspaces: workspace_store.clone(),
        endpoints: endpoint_store.clone(),
        deployments: deployment_store.clone(),
    };

    let endpoint_lookup = endpoint_store.clone();
    let endpoints =
        Controller::for_shared_stream(endpoint_feed.subscribe()?, endpoint_store.clone())
            .with_config(config.clone())
            .watches_shared_stream(deployment_feed.subscribe()?, |d: Arc<OnlineDeployment>| {
                d.namespace()
                    .map(|ns| ObjectRef::new(&d.spec.endpoint_ref.name).within(&ns))
            })
            .watches_shared_stream(workspace_feed.subscribe()?, move |w: Arc<Workspace>| {
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
            });
    let deployment_lookup = deployment_store.clone();
    let deployments = Controller::for_shared_stream(deployment_feed.subscribe()?, deployment_store)
        .with_config(config.clone())
        .watches_shared_stream(endpoint_feed.subscribe()?, move |e: Arc<OnlineEndpoint>| {
            let ns = e.namespace().unwrap_or_default();
            let name = e.name_any();
            deployment_lookup
                .state()
                .into_iter()
                .filter(|d| {
                    d.namespace().as_deref() == Some(ns.as_str())
                        && d.spec.endpoint_ref.name == name
                })
                .map(|d| ObjectRef::from_obj(&*d))
                .collect::<Vec<_>>()
        });
    // A Workspace hears of its endpoints only while it is being deleted (it waits for them to go).
    let workspace_lookup = workspace_store.clone();
    let workspaces = Controller::for_shared_stream(workspace_feed.subscribe()?, workspace_store)
        .with_config(config)
        .watches_shared_stream(endpoint_feed.subscribe()?, move |e: Arc<OnlineEndpoint>| {
            let ns = e.namespace()?;
            let key = ObjectRef::new(&e.spec.workspace_ref.name).within(&ns);
            workspace_lookup
                .get(&key)
                .filter(|w| w.meta().deletion_timestamp.is_some())
                .map(|_| key)
        });
    tokio::spawn(workspace_feed.run(shutdown.clone()));
    tokio::spawn(endpoint_feed.run(shutdown.clone()));
    tokio::spawn(deployment_feed.run(shutdown.clone()));

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
        ready: AtomicBool::new(false),
    });

    {
        let context = context.clone();
        tokio::spawn(async move {
            context.stores.ready().await;
            context.ready.store(true, Ordering::Relaxed);
            health.set_caches_ready();
        });
    }
    on_start(Running {
        context: context.clone(),
    });

    let stop = |token: &tokio_util::sync::CancellationToken| token.clone().cancelled_owned();
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
