//! Secondary indexes over the watch caches: the deployments that name an endpoint, the endpoints
//! that name an Azure endpoint. A reconcile looks its tree up here instead of scanning every cached
//! object (at 1,000 endpoints, scans of all 3,000 objects on every reconcile were most of the
//! controller's CPU, and grew with N on each of N objects' reconciles).
//!
//! # Guarantees
//! - Kept by the shared watch of its kind ([`crate::run`]): each change is indexed right after the
//!   cache holds it and before any controller hears of it; a full list (the first, or after the
//!   watch expired) rebuilds the index from the cache.
//! - Until the first full list is indexed, [`Index::lookup`] answers `None` and callers scan the
//!   cache as before, so no decision is taken on a partial index.
//! - Members are names, not objects: a lookup reads each member from the cache, so what it
//!   returns is the cache's current object (a member deleted meanwhile is left out).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use kube::Resource;
use kube::runtime::reflector::{ObjectRef, Store};

/// The group an object belongs to (e.g. its namespace and the endpoint it names); `None` for
/// none.
pub type GroupKey = (String, String);

/// One secondary index of a cache.
pub struct Index<K> {
    group_of: fn(&K) -> Option<GroupKey>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// True once a full list was indexed.
    ready: bool,
    /// Members (namespace, name) by group.
    groups: HashMap<GroupKey, BTreeSet<(String, String)>>,
    /// The group of each member, to move it when its group changes.
    of: HashMap<(String, String), GroupKey>,
}

impl State {
    fn remove(&mut self, member: &(String, String)) {
        if let Some(group) = self.of.remove(member)
            && let Some(set) = self.groups.get_mut(&group)
        {
            set.remove(member);
            if set.is_empty() {
                self.groups.remove(&group);
            }
        }
    }

    fn insert(&mut self, member: (String, String), group: Option<GroupKey>) {
        self.remove(&member);
        if let Some(group) = group {
            self.groups
                .entry(group.clone())
                .or_default()
                .insert(member.clone());
            self.of.insert(member, group);
        }
    }
}

fn member_of<K: Resource>(object: &K) -> (String, String) {
    let meta = object.meta();
    (
        meta.namespace.clone().unwrap_or_default(),
        meta.name.clone().unwrap_or_default(),
    )
}

impl<K> Index<K>
where
    K: Resource<DynamicType = ()> + Clone + 'static,
{
    /// An empty index grouping objects by `group_of`.
    pub fn new(group_of: fn(&K) -> Option<GroupKey>) -> Self {
        Self {
            group_of,
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Plain maps: usable after a panic elsewhere.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Indexes `object` as created or changed.
    pub fn apply(&self, object: &K) {
        let group = (self.group_of)(object);
        self.lock().insert(member_of(object), group);
    }

    /// Forgets `object`.
    pub fn remove(&self, object: &K) {
        self.lock().remove(&member_of(object));
    }

    /// Indexes exactly `objects` (a full list), from then on answering lookups.
    pub fn rebuild(&self, objects: &[Arc<K>]) {
        let mut fresh = State {
            ready: true,
            ..State::default()
        };
        for object in objects {
            fresh.insert(member_of(&**object), (self.group_of)(object));
        }
        *self.lock() = fresh;
    }

    /// The cached objects of `group`, ordered by namespace and name; `None` until the first full
    /// list was indexed.
    pub fn lookup(&self, store: &Store<K>, group: &GroupKey) -> Option<Vec<Arc<K>>> {
        let members: Vec<(String, String)> = {
            let state = self.lock();
            if !state.ready {
                return None;
            }
            state
                .groups
                .get(group)
                .map(|set| set.iter().cloned().collect())
                .unwrap_or_default()
        };
        Some(
            members
                .iter()
                .filter_map(|(namespace, name)| store.get(&ObjectRef::new(name).within(namespace)))
                // The cache may hold a newer version in another group (indexed a moment later).
                .filter(|object| (self.group_of)(object).as_ref() == Some(group))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::ConfigMap;
    use kube::api::ObjectMeta;
    use kube::runtime::watcher::Event;

    fn cm(name: &str, group: &str) -> ConfigMap {
        ConfigMap {
            metadata: ObjectMeta {
                name: Some(name.into()),
                namespace: Some("ns".into()),
                labels: Some([("g".to_string(), group.to_string())].into()),
                ..ObjectMeta::default()
            },
            ..ConfigMap::default()
        }
    }

    fn group_of(c: &ConfigMap) -> Option<GroupKey> {
        let g = c.metadata.labels.as_ref()?.get("g")?;
        Some((c.metadata.namespace.clone().unwrap_or_default(), g.clone()))
    }

    fn names(v: Option<Vec<Arc<ConfigMap>>>) -> Option<Vec<String>> {
        v.map(|v| {
            v.iter()
                .map(|c| c.metadata.name.clone().unwrap_or_default())
                .collect()
        })
    }

    #[test]
    fn lookups_follow_the_cache_and_wait_for_the_first_list() {
        let (store, mut writer) = kube::runtime::reflector::store::<ConfigMap>();
        let index = Index::new(group_of);
        let g = |s: &str| ("ns".to_string(), s.to_string());
        for o in [cm("a", "x"), cm("b", "x"), cm("c", "y")] {
            writer.apply_watcher_event(&Event::InitApply(o));
        }
        writer.apply_watcher_event(&Event::InitDone);
        assert_eq!(index.lookup(&store, &g("x")), None, "not listed yet");
        index.rebuild(&store.state());
        assert_eq!(
            names(index.lookup(&store, &g("x"))),
            Some(vec!["a".into(), "b".into()])
        );

        // b moves to y; c is deleted; d arrives.
        let moved = cm("b", "y");
        writer.apply_watcher_event(&Event::Apply(moved.clone()));
        index.apply(&moved);
        writer.apply_watcher_event(&Event::Delete(cm("c", "y")));
        index.remove(&cm("c", "y"));
        let new = cm("d", "x");
        writer.apply_watcher_event(&Event::Apply(new.clone()));
        index.apply(&new);
        assert_eq!(
            names(index.lookup(&store, &g("x"))),
            Some(vec!["a".into(), "d".into()])
        );
        assert_eq!(names(index.lookup(&store, &g("y"))), Some(vec!["b".into()]));
        assert_eq!(names(index.lookup(&store, &g("z"))), Some(vec![]));

        // The cache ahead of the index: a member whose cached version left the group is not
        // returned.
        writer.apply_watcher_event(&Event::Apply(cm("a", "y")));
        assert_eq!(names(index.lookup(&store, &g("x"))), Some(vec!["d".into()]));
    }
}
