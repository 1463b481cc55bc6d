//! The bounded window of past write events that lets a watch resume from a resourceVersion.
//! Past the window a watch gets 410 Gone, as after etcd compaction on a real cluster.

use std::collections::VecDeque;
use std::sync::Arc;

use serde_json::Value;

use crate::resources::GroupResource;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EventKind {
    Added,
    Modified,
    Deleted,
}

/// One write, as watches see it.
#[derive(Debug)]
pub(crate) struct WatchEvent {
    pub rv: u64,
    pub gr: GroupResource,
    pub kind: EventKind,
    /// The object after the write (for DELETED: its last state, with the deletion's rv).
    pub object: Arc<Value>,
    /// The object before the write, so a selector watch can turn a MODIFIED that leaves
    /// or enters the selection into DELETED or ADDED.
    pub prev: Option<Arc<Value>>,
    /// `object` serialized once, shared by every watcher that sends it unchanged.
    pub json: std::sync::OnceLock<bytes::Bytes>,
}

impl WatchEvent {
    pub fn object_json(&self) -> &bytes::Bytes {
        self.json
            .get_or_init(|| bytes::Bytes::from(self.object.to_string()))
    }
}

pub(crate) struct History {
    events: VecDeque<Arc<WatchEvent>>,
    capacity: usize,
    /// Every event with rv <= this is forgotten.
    compacted: u64,
}

/// A resourceVersion older than the window.
#[derive(Debug)]
pub(crate) struct TooOld {
    pub oldest: u64,
}

impl History {
    pub fn new(capacity: usize) -> Self {
        Self {
            events: VecDeque::with_capacity(capacity.min(65_536)),
            capacity: capacity.max(1),
            compacted: 1,
        }
    }

    pub fn push(&mut self, event: Arc<WatchEvent>) {
        if self.events.len() == self.capacity
            && let Some(old) = self.events.pop_front()
        {
            self.compacted = old.rv;
        }
        self.events.push_back(event);
    }

    /// Whether a snapshot at `rv` is still inside the window (continue tokens, watches).
    pub fn retains(&self, rv: u64) -> bool {
        rv >= self.compacted
    }

    /// Events after `rv`, or `TooOld` when some of them are forgotten.
    pub fn since(&self, rv: u64) -> Result<Vec<Arc<WatchEvent>>, TooOld> {
        if rv < self.compacted {
            return Err(TooOld {
                oldest: self.compacted + 1,
            });
        }
        let start = self.events.partition_point(|e| e.rv <= rv);
        Ok(self.events.range(start..).cloned().collect())
    }
}
