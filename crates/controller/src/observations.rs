//! Observations shared across an endpoint tree: what one list of ARM told, so that the objects
//! it covers need not GET themselves on the same sync.
//!
//! A Workspace lists its AML workspace's online endpoints once per sync (one paged list), and an
//! endpoint lists its deployments once per sync (and a GET of one resource is kept the same way,
//! for the next reconciles of its tree within the sync); each body is kept here under the namespace of
//! the object that listed it (a tenant's objects never read what another namespace's credential
//! fetched). An endpoint or deployment whose own resource was listed recently uses that body
//! instead of a GET, as long as nothing this process sent changed the resource since the list
//! began.
//!
//! # Guarantees
//! - A body is never used once this process has written to its resource after the list that
//!   fetched it began ([`Observations::wrote`]); a write records that before it is sent.
//! - A body is used for at most `max_age` (the caller passes a little more than a sync interval,
//!   so drift is still seen within one sync: every sync lists again).
//! - Bounded: at most [`Observations::MAX_ENTRIES`] bodies; the oldest go first, and bodies older
//!   than the longest age anyone asks for are pruned as new lists arrive.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

/// A cached body and when the list that fetched it began.
struct Entry {
    body: Value,
    listed_at: Instant,
}

/// The shared observations.
#[derive(Default)]
pub struct Observations {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    bodies: HashMap<(String, String), Entry>,
    /// When this process last wrote to a resource (lower-case ARM id), for as long as a body of it
    /// could still be taken from the cache.
    writes: HashMap<String, Instant>,
    /// When each collection (namespace, lower-case parent id and child type) was last listed.
    lists: HashMap<(String, String), Instant>,
    /// When a GET of a resource last answered 404.
    absent: HashMap<(String, String), Instant>,
}

/// The key of a resource: namespace and lower-case ARM id.
fn key(namespace: &str, id: &str) -> (String, String) {
    (namespace.to_owned(), id.to_ascii_lowercase())
}

impl Observations {
    /// The most bodies kept at once.
    pub const MAX_ENTRIES: usize = 20_000;

    /// Keeps the bodies a list returned, for objects of `namespace`. `listed_at` is when the list
    /// began (its first page was asked for); `keep` bounds how long any body is kept.
    pub fn listed(&self, namespace: &str, bodies: &[Value], listed_at: Instant, keep: Duration) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let State {
            bodies: map,
            writes,
            ..
        } = &mut *state;
        map.retain(|_, e| e.listed_at.elapsed() <= keep);
        writes.retain(|_, at| at.elapsed() <= keep);
        for body in bodies {
            let Some(id) = body.get("id").and_then(Value::as_str) else {
                continue;
            };
            let lower = id.to_ascii_lowercase();
            // Written after the list began: the list may predate the write.
            if writes.get(&lower).is_some_and(|w| *w >= listed_at) {
                map.remove(&(namespace.to_owned(), lower));
                continue;
            }
            if map.len() >= Self::MAX_ENTRIES
                && !map.contains_key(&(namespace.to_owned(), lower.clone()))
                && let Some(oldest) = map
                    .iter()
                    .min_by_key(|(_, e)| e.listed_at)
                    .map(|(k, _)| k.clone())
            {
                map.remove(&oldest);
            }
            map.insert(
                (namespace.to_owned(), lower),
                Entry {
                    body: body.clone(),
                    listed_at,
                },
            );
        }
    }

    /// The body of `id` as a list of `namespace` last returned it, if that list began less than
    /// `max_age` ago and nothing was written to `id` since.
    pub fn fresh(&self, namespace: &str, id: &str, max_age: Duration) -> Option<Value> {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let entry = state.bodies.get(&key(namespace, id))?;
        if entry.listed_at.elapsed() > max_age {
            return None;
        }
        if state
            .writes
            .get(&id.to_ascii_lowercase())
            .is_some_and(|w| *w >= entry.listed_at)
        {
            return None;
        }
        Some(entry.body.clone())
    }

    /// Records that this process is about to write to `id` (any namespace): bodies listed
    /// before now are no longer used.
    pub fn wrote(&self, id: &str) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let lower = id.to_ascii_lowercase();
        state.bodies.retain(|(_, k), _| *k != lower);
        state.absent.retain(|(_, k), _| *k != lower);
        state.writes.insert(lower, Instant::now());
    }

    /// Records that a GET of `id` answered 404 at `at` (when the GET began).
    pub fn missing(&self, namespace: &str, id: &str, at: Instant, keep: Duration) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.absent.retain(|_, seen| seen.elapsed() <= keep);
        if state.absent.len() < Self::MAX_ENTRIES {
            state.absent.insert(key(namespace, id), at);
        }
    }

    /// True when a GET of `id` answered 404 less than `max_age` ago and nothing was written to
    /// it since. Only for a decision that will not create it (its tree is busy): a create reads
    /// again.
    pub fn recently_missing(&self, namespace: &str, id: &str, max_age: Duration) -> bool {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let Some(seen) = state.absent.get(&key(namespace, id)) else {
            return false;
        };
        seen.elapsed() <= max_age
            && state
                .writes
                .get(&id.to_ascii_lowercase())
                .is_none_or(|w| w < seen)
    }

    /// True when `collection` of `namespace` was not listed within `min_gap`; it then counts
    /// as listed now, so concurrent reconciles do not list it twice.
    pub fn list_due(&self, namespace: &str, collection: &str, min_gap: Duration) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let lists = &mut state.lists;
        if lists.len() >= Self::MAX_ENTRIES {
            lists.retain(|_, at| at.elapsed() <= min_gap);
        }
        let k = key(namespace, collection);
        if lists.get(&k).is_some_and(|at| at.elapsed() < min_gap) {
            return false;
        }
        lists.insert(k, Instant::now());
        true
    }

    /// How many bodies are kept.
    pub fn len(&self) -> usize {
        self.state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .bodies
            .len()
    }

    /// True when nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const LONG: Duration = Duration::from_secs(60);

    #[test]
    fn a_listed_body_is_fresh_for_its_namespace_only() {
        let o = Observations::default();
        let body = json!({"id": "/subscriptions/s/X/a", "v": 1});
        o.listed("team-a", std::slice::from_ref(&body), Instant::now(), LONG);
        assert_eq!(o.fresh("team-a", "/subscriptions/S/x/A", LONG), Some(body));
        assert_eq!(o.fresh("team-b", "/subscriptions/s/X/a", LONG), None);
        assert_eq!(o.fresh("team-a", "/subscriptions/s/X/b", LONG), None);
    }

    /// An instant `d` in the past (no sleeping in tests).
    fn ago(d: Duration) -> Instant {
        Instant::now()
            .checked_sub(d)
            .expect("the clock is past `d`")
    }

    #[test]
    fn a_write_makes_older_lists_unusable() {
        let o = Observations::default();
        let body = json!({"id": "/x/a"});
        let before = Instant::now();
        o.listed("ns", std::slice::from_ref(&body), before, LONG);
        o.wrote("/X/A");
        assert_eq!(o.fresh("ns", "/x/a", LONG), None);
        // A list that began before the write but answered after it is not kept either.
        o.listed("ns", std::slice::from_ref(&body), before, LONG);
        assert_eq!(o.fresh("ns", "/x/a", LONG), None);
        // A list that began after the write is.
        let after = Instant::now() + Duration::from_millis(2);
        o.listed("ns", std::slice::from_ref(&body), after, LONG);
        assert!(o.fresh("ns", "/x/a", LONG).is_some());
    }

    #[test]
    fn old_lists_are_not_used_and_bodies_without_ids_are_ignored() {
        let o = Observations::default();
        o.listed(
            "ns",
            &[json!({"id": "/x/a"}), json!({"name": "no id"}), json!(7)],
            ago(Duration::from_millis(10)),
            LONG,
        );
        assert_eq!(o.len(), 1);
        assert_eq!(o.fresh("ns", "/x/a", Duration::from_millis(1)), None);
        // Pruned when a later list arrives and the body is older than `keep`.
        o.listed("ns", &[], Instant::now(), Duration::from_millis(1));
        assert!(o.is_empty());
    }

    #[test]
    fn a_collection_is_listed_at_most_once_per_gap() {
        let o = Observations::default();
        assert!(o.list_due("ns", "/x/deployments", LONG));
        assert!(!o.list_due("ns", "/X/deployments", LONG));
        assert!(o.list_due("other", "/x/deployments", LONG));
        assert!(o.list_due("ns", "/x/deployments", Duration::ZERO));
    }

    #[test]
    fn a_404_is_remembered_until_a_write_or_its_age() {
        let o = Observations::default();
        o.missing("ns", "/x/A", ago(Duration::from_millis(10)), LONG);
        assert!(o.recently_missing("ns", "/X/a", LONG));
        assert!(!o.recently_missing("other", "/x/a", LONG));
        assert!(!o.recently_missing("ns", "/x/a", Duration::from_millis(1)));
        o.wrote("/x/a");
        assert!(!o.recently_missing("ns", "/x/a", LONG));
    }
}
