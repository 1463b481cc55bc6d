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
use crate::index::{GroupKey, Index};
use crate::metrics::Metrics;

/// An endpoint tree: the endpoint's namespace and name.
pub type TreeKey = (String, String);

/// How long this process remembers that an object started an Azure write: long enough for the
/// caches to show the operation it recorded in status (which is what keeps the tree busy from
/// then on), short enough that a lost status write or a force-deleted object cannot block its
/// tree for long.
pub const IN_FLIGHT_TTL: Duration = Duration::from_secs(30);

/// Serializes decisions within an endpoint tree and remembers, for a short while, which of its
/// objects started an Azure write.
#[derive(Default)]
pub struct Trees {
    locks: Mutex<HashMap<TreeKey, Arc<tokio::sync::Mutex<()>>>>,
    in_flight: Mutex<HashMap<TreeKey, BTreeMap<String, std::time::Instant>>>,
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
            entry.insert(object.to_owned(), std::time::Instant::now());
        } else {
            entry.remove(object);
        }
        if entry.is_empty() {
            map.remove(key);
        }
    }

    /// Another object of the tree that started a write less than [`IN_FLIGHT_TTL`] ago, as this
    /// process knows it (after that, the operation recorded in its status says it).
    pub fn other_in_flight(&self, key: &TreeKey, me: &str) -> Option<String> {
        self.other_in_flight_within(key, me, IN_FLIGHT_TTL)
    }

    fn other_in_flight_within(&self, key: &TreeKey, me: &str, ttl: Duration) -> Option<String> {
        let mut map = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        let set = map.get_mut(key)?;
        set.retain(|_, at| at.elapsed() < ttl);
        let other = set.keys().find(|k| k.as_str() != me).cloned();
        if set.is_empty() {
            map.remove(key);
        }
        other
    }

    /// The number of objects with a write started within [`IN_FLIGHT_TTL`].
    pub fn in_flight_count(&self) -> usize {
        let map = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        map.values()
            .flat_map(BTreeMap::values)
            .filter(|at| at.elapsed() < IN_FLIGHT_TTL)
            .count()
    }
}

/// Per-object exponential back-off after failed reconciles: `base × 2^(failures−1)`, capped,
/// forgotten on the first success. Bounded: an object's entry goes on its next success, and the
/// map never holds more than [`Backoff::MAX_ENTRIES`] (the oldest failures are dropped first).
#[derive(Default)]
pub struct Backoff {
    failures: Mutex<HashMap<String, (u32, std::time::Instant)>>,
}

impl Backoff {
    /// The most objects remembered at once.
    pub const MAX_ENTRIES: usize = 10_000;

    /// Records one more failure of `object` and returns how long to wait before retrying it.
    pub fn failed(&self, object: &str, base: Duration, cap: Duration) -> Duration {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= Self::MAX_ENTRIES
            && !map.contains_key(object)
            && let Some(oldest) = map
                .iter()
                .min_by_key(|(_, (_, at))| *at)
                .map(|(k, _)| k.clone())
        {
            map.remove(&oldest);
        }
        let entry = map
            .entry(object.to_owned())
            .or_insert((0, std::time::Instant::now()));
        entry.0 = entry.0.saturating_add(1);
        entry.1 = std::time::Instant::now();
        let exponent = entry.0.saturating_sub(1).min(20);
        base.saturating_mul(1u32 << exponent).min(cap)
    }

    /// Forgets `object`'s failures (it reconciled).
    pub fn succeeded(&self, object: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(object);
    }

    /// How many objects are backing off.
    pub fn len(&self) -> usize {
        self.failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len()
    }

    /// True when no object is backing off.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
    /// Deployments by the endpoint they name (kept by the deployments' watch).
    pub deployments_by_endpoint: Arc<Index<OnlineDeployment>>,
    /// Endpoints by the Azure endpoint they name, in any namespace (kept by the endpoints'
    /// watch).
    pub endpoints_by_azure_name: Arc<Index<OnlineEndpoint>>,
}

/// A deployment's group in [`Stores::deployments_by_endpoint`]: its namespace and the endpoint it
/// names.
pub fn deployment_endpoint_group(d: &OnlineDeployment) -> Option<GroupKey> {
    Some((
        d.metadata.namespace.clone().unwrap_or_default(),
        d.spec.endpoint_ref.name.clone(),
    ))
}

/// An endpoint's group in [`Stores::endpoints_by_azure_name`]: the Azure name it names (its own
/// name unless it sets one), lower-case (Azure's names are case-insensitive), in any namespace.
pub fn endpoint_azure_name_group(e: &OnlineEndpoint) -> Option<GroupKey> {
    let name = e
        .spec
        .azure_name
        .as_deref()
        .or(e.metadata.name.as_deref())?;
    Some((String::new(), name.to_ascii_lowercase()))
}

impl Stores {
    /// Stores over these caches, with empty indexes (filled by the watches).
    pub fn new(
        workspaces: Store<Workspace>,
        endpoints: Store<OnlineEndpoint>,
        deployments: Store<OnlineDeployment>,
    ) -> Self {
        Self {
            workspaces,
            endpoints,
            deployments,
            deployments_by_endpoint: Arc::new(Index::new(deployment_endpoint_group)),
            endpoints_by_azure_name: Arc::new(Index::new(endpoint_azure_name_group)),
        }
    }

    /// The cached deployments in `namespace` that name `endpoint`.
    pub fn deployments_of(&self, namespace: &str, endpoint: &str) -> Vec<Arc<OnlineDeployment>> {
        let group = (namespace.to_owned(), endpoint.to_owned());
        self.deployments_by_endpoint
            .lookup(&self.deployments, &group)
            .unwrap_or_else(|| {
                self.deployments
                    .state()
                    .into_iter()
                    .filter(|d| deployment_endpoint_group(d).as_ref() == Some(&group))
                    .collect()
            })
    }

    /// The cached endpoints, in any namespace, that name the Azure endpoint `azure_name` (case
    /// ignored).
    pub fn endpoints_named(&self, azure_name: &str) -> Vec<Arc<OnlineEndpoint>> {
        let group = (String::new(), azure_name.to_ascii_lowercase());
        self.endpoints_by_azure_name
            .lookup(&self.endpoints, &group)
            .unwrap_or_else(|| {
                self.endpoints
                    .state()
                    .into_iter()
                    .filter(|e| endpoint_azure_name_group(e).as_ref() == Some(&group))
                    .collect()
            })
    }

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
    /// How long a 409 (Azure busy) may last before the object is Stalled.
    pub busy_stall_after: Duration,
    /// How long a deletion that cannot reach Azure keeps trying before it leaves what is there.
    pub deletion_grace: Duration,
    /// Per-object back-off after failed reconciles.
    pub backoff: Backoff,
    /// The longest one reconcile may take (Kubernetes and Azure calls included).
    pub reconcile_timeout: Duration,
    /// Namespaces whose Workspaces may use the controller's own identity by the admin's flag
    /// (`*`: all), besides those whose Namespace says so.
    pub default_credential_namespaces: Vec<String>,
    /// The admins' grants read from Namespace objects, for a short while.
    pub grants: Grants,
    /// The private DNS zone names of the workspace's private link in this cloud.
    pub workspace_zones: planner::network::WorkspaceZones,
    /// What the probes report (reconciles started and finished feed /healthz).
    pub health: Arc<crate::admin::Health>,
    /// Bodies one list told, shared across an endpoint tree (see [`crate::observations`]).
    pub observations: crate::observations::Observations,
}

/// The namespaces' grants (see `planner::tenancy`), read from their Namespace objects and kept
/// for [`Grants::TTL`]; bounded by the number of namespaces, entries older than the TTL dropped.
#[derive(Default)]
pub struct Grants {
    cache: Mutex<HashMap<String, (std::time::Instant, planner::tenancy::NamespacePolicy)>>,
}

impl Grants {
    /// How long a namespace's grant is used before its Namespace is read again.
    pub const TTL: Duration = Duration::from_secs(30);

    /// The cached grant of `namespace`, if fresh.
    pub fn get(&self, namespace: &str) -> Option<planner::tenancy::NamespacePolicy> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .get(namespace)
            .filter(|(at, _)| at.elapsed() < Self::TTL)
            .map(|(_, p)| p.clone())
    }

    /// Keeps `namespace`'s grant.
    pub fn put(&self, namespace: &str, policy: planner::tenancy::NamespacePolicy) {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.retain(|_, (at, _)| at.elapsed() < Self::TTL);
        cache.insert(namespace.to_owned(), (std::time::Instant::now(), policy));
    }
}

impl Context {
    /// How old a listed body may be and still replace a GET: one sync interval and its jitter
    /// (±10%), so every sync still sees Azure as the last list found it.
    pub fn observation_max_age(&self) -> Duration {
        self.sync_interval.saturating_mul(6) / 5
    }

    /// True once the controller has its caches and serves.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_to_its_cap_and_resets() {
        let b = Backoff::default();
        let base = Duration::from_secs(5);
        let cap = Duration::from_secs(300);
        let waits: Vec<u64> = (0..8)
            .map(|_| b.failed("ns/a", base, cap).as_secs())
            .collect();
        assert_eq!(waits, [5, 10, 20, 40, 80, 160, 300, 300]);
        for _ in 0..100 {
            b.failed("ns/a", base, cap);
        }
        assert_eq!(
            b.failed("ns/a", base, cap),
            cap,
            "no overflow after many failures"
        );
        b.succeeded("ns/a");
        assert_eq!(b.failed("ns/a", base, cap), base);
        assert_eq!(b.len(), 1);
    }

    #[test]
    fn an_in_flight_mark_expires() {
        let trees = Trees::default();
        let key: TreeKey = ("ns".into(), "ep".into());
        trees.set_in_flight(&key, "deployment a", true);
        assert_eq!(
            trees.other_in_flight(&key, "endpoint ep").as_deref(),
            Some("deployment a")
        );
        assert_eq!(trees.other_in_flight(&key, "deployment a"), None);
        // A mark never cleared (a lost status write) stops blocking the tree after its lifetime.
        assert_eq!(
            trees.other_in_flight_within(&key, "endpoint ep", Duration::ZERO),
            None
        );
        assert_eq!(trees.in_flight_count(), 0, "the expired mark was pruned");
    }
}
