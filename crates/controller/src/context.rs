//! What every reconcile shares: the Kubernetes client, Azure clients, the caches of the three
//! kinds, Events, metrics, and the per-endpoint-tree lock that keeps one Azure write in flight per
//! endpoint and its deployments (Azure answers 409 while an endpoint is Updating).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use api::{OnlineDeployment, OnlineEndpoint, Workspace};
use kube::Client;
use kube::runtime::events::Recorder;
use kube::runtime::reflector::Store;

use crate::azure::AzureClients;
use crate::metrics::Metrics;

/// An endpoint tree: the endpoint's namespace and name.
pub type TreeKey = (String, String);

/// Serializes decisions within an endpoint tree and remembers which of its objects has an Azure
/// write in flight.
#[derive(Default)]
pub struct Trees {
    locks: Mutex<HashMap<TreeKey, Arc<tokio::sync::Mutex<()>>>>,
    in_flight: Mutex<HashMap<TreeKey, BTreeMap<String, ()>>>,
}

impl Trees {
    /// Holds the tree's lock until the guard drops. Reconciles of objects in the same tree
    /// decide and act one at a time.
    pub async fn lock(&self, key: &TreeKey) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
            locks.entry(key.clone()).or_default().clone()
        };
        lock.lock_owned().await
    }

    /// Records whether `object` has a write in flight in `key`'s tree.
    pub fn set_in_flight(&self, key: &TreeKey, object: &str, in_flight: bool) {
        let mut map = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        let entry = map.entry(key.clone()).or_default();
        if in_flight {
            entry.insert(object.to_owned(), ());
        } else {
            entry.remove(object);
        }
    }

    /// Another object of the tree with a write in flight, as this process knows it.
    pub fn other_in_flight(&self, key: &TreeKey, me: &str) -> Option<String> {
        let map = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        map.get(key)
            .and_then(|set| set.keys().find(|k| k.as_str() != me).cloned())
    }

    /// The number of objects with a write in flight.
    pub fn in_flight_count(&self) -> usize {
        let map = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        map.values().map(BTreeMap::len).sum()
    }
}

/// The caches of the three kinds, filled by the controllers' watches.
#[derive(Clone)]
pub struct Stores {
    /// Workspaces.
    pub workspaces: Store<Workspace>,
    /// Online endpoints.
    pub endpoints: Store<OnlineEndpoint>,
    /// Online deployments.
    pub deployments: Store<OnlineDeployment>,
}

impl Stores {
    /// Waits until every cache has its first full list, so no decision is taken on a partial view
    /// (e.g. deleting an endpoint whose deployments are not listed yet).
    pub async fn ready(&self) {
        let _ = self.workspaces.wait_until_ready().await;
        let _ = self.endpoints.wait_until_ready().await;
        let _ = self.deployments.wait_until_ready().await;
    }
}

/// Reconcile context.
pub struct Context {
    /// The Kubernetes client.
    pub client: Client,
    /// ARM clients by credential.
    pub azure: AzureClients,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Events.
    pub recorder: Recorder,
    /// Caches.
    pub stores: Stores,
    /// Endpoint trees.
    pub trees: Trees,
    /// Default time between resyncs of a converged object.
    pub sync_interval: Duration,
    /// How old an endpoint's keys Secret may get before it is refreshed.
    pub keys_refresh: Duration,
    /// Set once the caches are filled (readiness).
    pub ready: AtomicBool,
}

impl Context {
    /// True once the controller has its caches and serves.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed)
    }
}
