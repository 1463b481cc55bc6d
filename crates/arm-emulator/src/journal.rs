//! The journal: every request the emulator answered (time, principal, method, path,
//! api-version, body, status) and every change of a resource's state (time, provisioningState,
//! publicNetworkAccess and the other isolation properties), in order.
//!
//! Tests read it through [`crate::Emulator::journal`], `GET /_emulator/journal`, or the JSON-lines
//! file named in the config, and assert invariants over a whole run (e.g. "this endpoint never
//! had publicNetworkAccess Enabled"). Secrets (token requests) are never recorded.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::Error;

/// One journal line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum JournalEntry {
    /// An HTTP request and its answer.
    Request(RequestRecord),
    /// A resource changed state.
    StateChange(StateChange),
}

/// A request the emulator answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestRecord {
    /// RFC 3339 time the request arrived.
    pub time: String,
    /// Client id of the authenticated principal, if any.
    pub principal: Option<String>,
    /// HTTP method.
    pub method: String,
    /// Path (canonical case), without the query.
    pub path: String,
    /// The api-version query parameter, if sent.
    pub api_version: Option<String>,
    /// The request body: JSON when it parsed, else the text; `None` when empty or redacted.
    pub body: Option<Value>,
    /// Status code answered (0 = connection reset by a fault).
    pub status: u16,
    /// `x-ms-request-id` answered.
    pub request_id: String,
    /// `x-ms-correlation-request-id` answered.
    pub correlation_id: String,
    /// The injected fault, if one applied.
    pub fault: Option<String>,
}

/// A change of a resource's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateChange {
    /// RFC 3339 time of the change (for operations: when they finished).
    pub time: String,
    /// Resource id.
    pub resource_id: String,
    /// ARM resource type.
    pub resource_type: String,
    /// `created`, `updated`, `deleted`, `operationSucceeded`, `operationFailed`, `drift`.
    pub change: String,
    /// Who caused it: a principal's client id, `operation`, or `portal` (drift admin calls).
    pub actor: String,
    /// provisioningState after the change (`None` once deleted).
    pub provisioning_state: Option<String>,
    /// publicNetworkAccess after the change, where the type has one.
    pub public_network_access: Option<String>,
    /// Other isolation properties (egressPublicNetworkAccess, managedNetwork isolationMode,
    /// connection status, virtualNetworkLinkState, traffic, instance count, record count, ...).
    pub isolation: Map<String, Value>,
}

/// The append-only journal.
#[derive(Debug)]
pub(crate) struct Journal {
    entries: Mutex<Vec<JournalEntry>>,
    file: Option<Mutex<BufWriter<File>>>,
}

impl Journal {
    pub fn new(path: Option<&Path>) -> Result<Self, Error> {
        let file = match path {
            Some(p) => Some(Mutex::new(BufWriter::new(File::create(p).map_err(
                |source| Error::WriteFile {
                    path: p.to_path_buf(),
                    source,
                },
            )?))),
            None => None,
        };
        Ok(Self {
            entries: Mutex::new(Vec::new()),
            file,
        })
    }

    pub fn push(&self, entry: JournalEntry) {
        if let Some(file) = &self.file
            && let Ok(line) = serde_json::to_string(&entry)
            && let Ok(mut f) = file.lock()
        {
            // A journal file that cannot be written must not fail the request being answered.
            let _ = writeln!(f, "{line}").and_then(|()| f.flush());
        }
        if let Ok(mut entries) = self.entries.lock() {
            entries.push(entry);
        }
    }

    pub fn snapshot(&self) -> Vec<JournalEntry> {
        self.entries.lock().map(|e| e.clone()).unwrap_or_default()
    }

    pub fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }

    /// Entries from index `from` on (for incremental readers).
    pub fn since(&self, from: usize) -> Vec<JournalEntry> {
        self.entries
            .lock()
            .map(|e| e.get(from..).map(<[_]>::to_vec).unwrap_or_default())
            .unwrap_or_default()
    }

    /// JSON lines of every entry.
    pub fn to_json_lines(&self) -> String {
        let mut out = String::new();
        for entry in self.snapshot() {
            if let Ok(line) = serde_json::to_string(&entry) {
                out.push_str(&line);
                out.push('\n');
            }
        }
        out
    }
}
