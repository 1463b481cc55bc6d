//! What kube-controller-manager and the apiextensions server do in the background, run after
//! each delete (and every second):
//! - garbage collection: an object none of whose `ownerReferences` exists any more is deleted
//!   (background propagation); an owner deleted with `propagationPolicy: Orphan` first has the
//!   reference removed from its dependents, one deleted with `Foreground` waits for them;
//! - namespace deletion: a Terminating namespace's objects are deleted, then the namespace;
//! - CRD deletion: its custom resources are deleted, then the CRD.
//!
//! Everything runs under the state lock through the same delete path as requests, so finalizers
//! of the objects involved are honoured.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::http::{DeleteOptions, delete_object};
use crate::meta;
use crate::resources::{Behaviour, GroupResource};
use crate::shared::Shared;
use crate::store::{ObjectKey, State};

pub(crate) async fn run(shared: Arc<Shared>) {
    loop {
        tokio::select! {
            _ = shared.work.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = shared.shutdown.cancelled() => return,
        }
        let mut state = shared.lock();
        for _ in 0..64 {
            if !pass(&mut state) {
                break;
            }
        }
    }
}

/// One round of every background duty; true if it changed something.
fn pass(state: &mut State) -> bool {
    let mut changed = false;
    for owner in state.missing_owners() {
        for (gr, key) in state.dependents_of(&owner) {
            changed |= collect_orphan(state, &gr, &key);
        }
    }
    for (gr, key) in state.deleting() {
        changed |= finish_deletion(state, &gr, &key);
    }
    changed
}

/// Deletes a dependent whose owners are all gone.
fn collect_orphan(state: &mut State, gr: &GroupResource, key: &ObjectKey) -> bool {
    let Some(object) = state.get(gr, key) else {
        return false;
    };
    if meta::is_deleting(&object) {
        return false;
    }
    let refs = object["metadata"]["ownerReferences"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let alive = refs.iter().any(|r| {
        r["uid"]
            .as_str()
            .is_some_and(|u| state.locate_uid(u).is_some())
    });
    if alive {
        return false;
    }
    let Some(t) = state.registry.any_version(gr) else {
        return false;
    };
    delete_object(state, &t, key, &DeleteOptions::background()).is_ok()
}

fn remove_finalizer(
    state: &mut State,
    gr: &GroupResource,
    key: &ObjectKey,
    object: &Value,
    finalizer: &str,
) -> bool {
    let Some(t) = state.registry.any_version(gr) else {
        return false;
    };
    let remaining: Vec<String> = meta::finalizers(object)
        .into_iter()
        .filter(|f| f != finalizer)
        .collect();
    if remaining.is_empty() {
        if let Some(removed) = state.remove(gr, key) {
            crate::http::after_remove(state, &t, &removed);
        }
    } else {
        let mut next = object.clone();
        next["metadata"]["finalizers"] = json!(remaining);
        state.put(gr, key.clone(), next);
    }
    true
}

fn finish_deletion(state: &mut State, gr: &GroupResource, key: &ObjectKey) -> bool {
    let Some(object) = state.get(gr, key) else {
        return false;
    };
    let Some(t) = state.registry.any_version(gr) else {
        return false;
    };
    let finalizers = meta::finalizers(&object);
    let uid = object["metadata"]["uid"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if t.behaviour == Behaviour::Namespace {
        return finish_namespace(state, gr, key, &object);
    }
    if t.behaviour == Behaviour::Crd
        && finalizers
            .iter()
            .any(|f| f == crate::http::CRD_CLEANUP_FINALIZER)
    {
        let group = object["spec"]["group"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let plural = object["spec"]["names"]["plural"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let cr_gr = GroupResource {
            group,
            resource: plural,
        };
        let remaining: Vec<ObjectKey> = state.list(&cr_gr, None).map(|(k, _)| k.clone()).collect();
        if remaining.is_empty() {
            return remove_finalizer(state, gr, key, &object, crate::http::CRD_CLEANUP_FINALIZER);
        }
        let Some(cr_t) = state.registry.any_version(&cr_gr) else {
            return false;
        };
        let mut changed = false;
        for k in remaining {
            if state
                .get(&cr_gr, &k)
                .is_some_and(|o| !meta::is_deleting(&o))
            {
                changed |= delete_object(state, &cr_t, &k, &DeleteOptions::background()).is_ok();
            }
        }
        return changed;
    }
    if finalizers.iter().any(|f| f == "orphan") {
        for (dgr, dkey) in state.dependents_of(&uid) {
            if let Some(dep) = state.get(&dgr, &dkey) {
                let mut next = (*dep).clone();
                if let Some(refs) = next["metadata"]["ownerReferences"].as_array_mut() {
                    refs.retain(|r| r["uid"] != uid.as_str());
                }
                meta::normalize(&mut next);
                state.put(&dgr, dkey, next);
            }
        }
        return remove_finalizer(state, gr, key, &object, "orphan");
    }
    if finalizers.iter().any(|f| f == "foregroundDeletion") {
        let dependents = state.dependents_of(&uid);
        if dependents.is_empty() {
            return remove_finalizer(state, gr, key, &object, "foregroundDeletion");
        }
        let mut changed = false;
        for (dgr, dkey) in dependents {
            let Some(dt) = state.registry.any_version(&dgr) else {
                continue;
            };
            if state
                .get(&dgr, &dkey)
                .is_some_and(|o| !meta::is_deleting(&o))
            {
                changed |= delete_object(state, &dt, &dkey, &DeleteOptions::background()).is_ok();
            }
        }
        return changed;
    }
    false
}

fn finish_namespace(
    state: &mut State,
    gr: &GroupResource,
    key: &ObjectKey,
    object: &Value,
) -> bool {
    let namespace = key.1.clone();
    let tables = state.namespaced_tables(&namespace);
    if tables.is_empty() {
        if meta::finalizers(object).is_empty() {
            state.remove(gr, key);
            return true;
        }
        return false;
    }
    let mut changed = false;
    for table in tables {
        let Some(t) = state.registry.any_version(&table) else {
            continue;
        };
        let keys: Vec<ObjectKey> = state
            .list(&table, Some(&namespace))
            .filter(|(_, o)| !meta::is_deleting(o))
            .map(|(k, _)| k.clone())
            .collect();
        for k in keys {
            changed |= delete_object(state, &t, &k, &DeleteOptions::background()).is_ok();
        }
    }
    changed
}
