//! The emulator's state: every object by (group, resource) and (namespace, name), one global
//! `resourceVersion` counter, and a bounded history of write events that watches replay from.
//!
//! Invariants: every stored object's `metadata.resourceVersion` is the counter value of the write
//! that produced it; history holds events in counter order and is contiguous from
//! `compacted + 1` to the current counter; an event is broadcast after it is in the history,
//! while the lock is held, so a watcher that subscribes under the lock misses nothing.

mod history;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use serde_json::Value;
use tokio::sync::broadcast;

pub(crate) use history::{EventKind, History, WatchEvent};

use crate::resources::{GroupResource, Registry};

/// (namespace, name); the namespace is empty for cluster-scoped objects.
pub(crate) type ObjectKey = (String, String);

/// The emulator's mutable state, behind one lock.
pub(crate) struct State {
    rv: u64,
    pub registry: Registry,
    tables: HashMap<GroupResource, BTreeMap<ObjectKey, Arc<Value>>>,
    pub history: History,
    /// owner uid -> dependents, for garbage collection.
    dependents: HashMap<String, BTreeSet<(GroupResource, ObjectKey)>>,
    /// uid -> where the object lives.
    uids: HashMap<String, (GroupResource, ObjectKey)>,
    events: broadcast::Sender<Arc<WatchEvent>>,
    /// Objects with a deletionTimestamp, for the background finalizers.
    deleting: BTreeSet<(GroupResource, ObjectKey)>,
}

fn uid_of(object: &Value) -> Option<&str> {
    object["metadata"]["uid"].as_str()
}

fn owner_uids(object: &Value) -> Vec<String> {
    object["metadata"]["ownerReferences"]
        .as_array()
        .map(|refs| {
            refs.iter()
                .filter_map(|r| r["uid"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

impl State {
    pub fn new(history: usize, events: broadcast::Sender<Arc<WatchEvent>>) -> Self {
        Self {
            rv: 1,
            registry: Registry::with_builtins(),
            tables: HashMap::new(),
            history: History::new(history),
            dependents: HashMap::new(),
            uids: HashMap::new(),
            events,
            deleting: BTreeSet::new(),
        }
    }

    /// The current resourceVersion (of the last write).
    pub fn resource_version(&self) -> u64 {
        self.rv
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<WatchEvent>> {
        self.events.subscribe()
    }

    pub fn get(&self, gr: &GroupResource, key: &ObjectKey) -> Option<Arc<Value>> {
        self.tables.get(gr).and_then(|t| t.get(key)).cloned()
    }

    /// Objects of a group-resource, in key order, optionally in one namespace.
    pub fn list<'a>(
        &'a self,
        gr: &GroupResource,
        namespace: Option<&'a str>,
    ) -> Box<dyn Iterator<Item = (&'a ObjectKey, &'a Arc<Value>)> + 'a> {
        let Some(table) = self.tables.get(gr) else {
            return Box::new(std::iter::empty());
        };
        match namespace {
            Some(ns) => Box::new(
                table
                    .range((ns.to_owned(), String::new())..)
                    .take_while(move |((n, _), _)| n == ns),
            ),
            None => Box::new(table.iter()),
        }
    }

    pub fn count(&self, gr: &GroupResource) -> usize {
        self.tables.get(gr).map_or(0, BTreeMap::len)
    }

    /// Where the object with this uid lives, if it exists.
    pub fn locate_uid(&self, uid: &str) -> Option<&(GroupResource, ObjectKey)> {
        self.uids.get(uid)
    }

    /// Objects whose ownerReferences name `uid`.
    pub fn dependents_of(&self, uid: &str) -> Vec<(GroupResource, ObjectKey)> {
        self.dependents
            .get(uid)
            .map(|d| d.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Objects waiting on finalizers.
    pub fn deleting(&self) -> Vec<(GroupResource, ObjectKey)> {
        self.deleting.iter().cloned().collect()
    }

    /// Owner uids that dependents name but no stored object has.
    pub fn missing_owners(&self) -> Vec<String> {
        self.dependents
            .keys()
            .filter(|uid| !self.uids.contains_key(*uid))
            .cloned()
            .collect()
    }

    /// Stores `object` under a new resourceVersion and emits ADDED or MODIFIED.
    pub fn put(&mut self, gr: &GroupResource, key: ObjectKey, mut object: Value) -> Arc<Value> {
        self.rv += 1;
        let rv = self.rv;
        object["metadata"]["resourceVersion"] = Value::String(rv.to_string());
        let object = Arc::new(object);
        let previous = self
            .tables
            .entry(gr.clone())
            .or_default()
            .insert(key.clone(), object.clone());
        if let Some(prev) = &previous {
            self.unindex(gr, &key, prev);
        }
        self.index(gr, &key, &object);
        let kind = if previous.is_some() {
            EventKind::Modified
        } else {
            EventKind::Added
        };
        self.emit(WatchEvent {
            rv,
            gr: gr.clone(),
            kind,
            object: object.clone(),
            prev: previous,
            json: std::sync::OnceLock::new(),
        });
        object
    }

    /// Removes an object under a new resourceVersion (which the DELETED event's object carries).
    pub fn remove(&mut self, gr: &GroupResource, key: &ObjectKey) -> Option<Arc<Value>> {
        let previous = self.tables.get_mut(gr)?.remove(key)?;
        self.unindex(gr, key, &previous);
        self.rv += 1;
        let rv = self.rv;
        let mut last = (*previous).clone();
        last["metadata"]["resourceVersion"] = Value::String(rv.to_string());
        let last = Arc::new(last);
        self.emit(WatchEvent {
            rv,
            gr: gr.clone(),
            kind: EventKind::Deleted,
            object: last.clone(),
            prev: Some(previous),
            json: std::sync::OnceLock::new(),
        });
        Some(last)
    }

    fn emit(&mut self, event: WatchEvent) {
        let event = Arc::new(event);
        self.history.push(event.clone());
        // No receiver is not an error: nobody watches yet.
        let _ = self.events.send(event);
    }

    fn index(&mut self, gr: &GroupResource, key: &ObjectKey, object: &Value) {
        if object["metadata"]["deletionTimestamp"].is_string() {
            self.deleting.insert((gr.clone(), key.clone()));
        }
        if let Some(uid) = uid_of(object) {
            self.uids.insert(uid.to_owned(), (gr.clone(), key.clone()));
        }
        for owner in owner_uids(object) {
            self.dependents
                .entry(owner)
                .or_default()
                .insert((gr.clone(), key.clone()));
        }
    }

    fn unindex(&mut self, gr: &GroupResource, key: &ObjectKey, object: &Value) {
        self.deleting.remove(&(gr.clone(), key.clone()));
        if let Some(uid) = uid_of(object) {
            self.uids.remove(uid);
        }
        for owner in owner_uids(object) {
            if let Some(set) = self.dependents.get_mut(&owner) {
                set.remove(&(gr.clone(), key.clone()));
                if set.is_empty() {
                    self.dependents.remove(&owner);
                }
            }
        }
    }

    /// Drops a whole group-resource (a deleted CRD's objects are removed one by one first).
    pub fn drop_table(&mut self, gr: &GroupResource) {
        self.tables.remove(gr);
    }

    /// Every group-resource that has objects in `namespace`.
    pub fn namespaced_tables(&self, namespace: &str) -> Vec<GroupResource> {
        self.tables
            .iter()
            .filter(|(_, t)| {
                t.range((namespace.to_owned(), String::new())..)
                    .next()
                    .is_some_and(|((ns, _), _)| ns == namespace)
            })
            .map(|(gr, _)| gr.clone())
            .collect()
    }
}
