//! Watch: a chunked stream of `{"type": ..., "object": ...}` lines.
//!
//! - `resourceVersion` unset or `"0"` (or `sendInitialEvents=true`): synthetic ADDED events for
//!   the current state first, then changes; `sendInitialEvents` ends the initial state with a
//!   BOOKMARK annotated `k8s.io/initial-events-end: "true"` and requires
//!   `resourceVersionMatch=NotOlderThan` and `allowWatchBookmarks=true`, as on a real apiserver.
//! - any other `resourceVersion`: every change after it, or — if the history no longer reaches
//!   back that far — an ERROR event carrying a 410 `Expired` Status (HTTP 200, as the watch cache
//!   answers), which makes clients re-list.
//! - selectors apply to both states of a change, so an object leaving the selection is DELETED
//!   and one entering it ADDED.
//! - `allowWatchBookmarks`: periodic BOOKMARKs carrying the latest resourceVersion.
//! - the stream ends at `timeoutSeconds`, on the drop-watches fault, on shutdown, or when the
//!   client falls too far behind (it then resumes from its last resourceVersion).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;

use super::objects::{Filter, present};
use super::path::Target;
use super::{Req, streaming};
use crate::admission::FieldError;
use crate::resources::ResourceType;
use crate::shared::Shared;
use crate::status::ApiError;
use crate::store::{EventKind, WatchEvent};
use crate::table::{self, IncludeObject};
use crate::wire;

fn line(kind: &str, object: &Value) -> Bytes {
    Bytes::from(format!("{{\"type\":\"{kind}\",\"object\":{object}}}\n"))
}

fn bookmark(t: &ResourceType, rv: u64, initial_end: bool) -> Bytes {
    let mut metadata = json!({"resourceVersion": rv.to_string()});
    if initial_end {
        metadata["annotations"] = json!({"k8s.io/initial-events-end": "true"});
    }
    line(
        "BOOKMARK",
        &json!({"kind": t.kind, "apiVersion": t.api_version(), "metadata": metadata}),
    )
}

fn error_stream(error: &ApiError) -> Response {
    streaming(Body::from(line("ERROR", &error.to_status())))
}

/// What a change looks like through a watcher's selectors.
fn translate(event: &WatchEvent, filter: &Filter) -> Option<&'static str> {
    let now = filter.matches(&event.object);
    let before = event.prev.as_ref().is_some_and(|p| filter.matches(p));
    match event.kind {
        EventKind::Added => now.then_some("ADDED"),
        EventKind::Deleted => (before || now).then_some("DELETED"),
        EventKind::Modified => match (before, now) {
            (true, true) => Some("MODIFIED"),
            (false, true) => Some("ADDED"),
            (true, false) => Some("DELETED"),
            (false, false) => None,
        },
    }
}

/// How a watcher's events are encoded: objects, or (`kubectl get -w`) one-row Tables whose
/// column definitions come only with the first event, as the apiserver sends them.
struct Encoding {
    table: Option<IncludeObject>,
    headers_sent: bool,
}

impl Encoding {
    fn append(&mut self, out: &mut Vec<u8>, t: &ResourceType, kind: &str, event: &WatchEvent) {
        match self.table {
            None => append_event_line(out, t, kind, event),
            Some(include) => {
                let shown = present(t, &event.object);
                out.extend_from_slice(&self.table_line(t, kind, &shown, event.rv, include));
            }
        }
    }

    fn object(&mut self, t: &ResourceType, kind: &str, object: &Value, rv: u64) -> Bytes {
        match self.table {
            None => line(kind, &present(t, object)),
            Some(include) => self.table_line(t, kind, &present(t, object), rv, include),
        }
    }

    fn table_line(
        &mut self,
        t: &ResourceType,
        kind: &str,
        object: &Value,
        rv: u64,
        include: IncludeObject,
    ) -> Bytes {
        let mut table = table::table(t, &[object], &rv.to_string(), None, include);
        if self.headers_sent {
            table["columnDefinitions"] = json!([]);
        }
        self.headers_sent = true;
        line(kind, &table)
    }
}

/// Appends an event's line; the object's JSON is shared by every watcher of its version.
fn append_event_line(out: &mut Vec<u8>, t: &ResourceType, kind: &str, event: &WatchEvent) {
    if super::objects::is_presentable(t, &event.object) {
        let json = event.object_json();
        out.reserve(json.len() + 32);
        out.extend_from_slice(b"{\"type\":\"");
        out.extend_from_slice(kind.as_bytes());
        out.extend_from_slice(b"\",\"object\":");
        out.extend_from_slice(json);
        out.extend_from_slice(b"}\n");
    } else {
        out.extend_from_slice(&line(kind, &present(t, &event.object)));
    }
}

pub(crate) fn watch(shared: Arc<Shared>, req: &Req, target: &Target) -> Result<Response, ApiError> {
    let filter = Filter::from_request(req, target)?;
    let bookmarks = req.query.flag("allowWatchBookmarks");
    let send_initial = req.query.get("sendInitialEvents") == Some("true");
    if send_initial {
        let mut errors = Vec::new();
        if req.query.get("resourceVersionMatch") != Some("NotOlderThan") {
            errors.push(FieldError::forbidden(
                "resourceVersionMatch",
                "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
            ));
        }
        if !bookmarks {
            errors.push(FieldError::forbidden(
                "allowWatchBookmarks",
                "sendInitialEvents requires setting allowWatchBookmarks to true",
            ));
        }
        if !errors.is_empty() {
            return Err(ApiError::invalid_kind(
                "meta.k8s.io",
                "ListOptions",
                "",
                &errors,
            ));
        }
    }
    if shared.faults.take_expire_watch() {
        return Ok(error_stream(&ApiError::gone(
            "too old resource version: forced by the emulator's fault script",
        )));
    }
    let timeout = req
        .query
        .get("timeoutSeconds")
        .and_then(|s| s.parse::<u64>().ok())
        .map(Duration::from_secs)
        .map_or(shared.config.max_watch_timeout, |d| {
            d.min(shared.config.max_watch_timeout)
        });
    let rv_param = req.query.get("resourceVersion");
    let mut encoding = Encoding {
        table: wire::wants_table(req.accept())
            .then(|| IncludeObject::parse(req.query.get("includeObject"))),
        headers_sent: false,
    };
    let t = target.t.clone();
    let gr = t.gr();
    let (initial, mut last_rv, mut events) = {
        let state = shared.lock();
        let current = state.resource_version();
        let events = state.subscribe();
        let mut initial: Vec<Bytes> = Vec::new();
        match rv_param {
            None | Some("0") => {
                for (_, object) in state.list(&gr, filter.namespace.as_deref()) {
                    if filter.matches(object) {
                        initial.push(encoding.object(&t, "ADDED", object, current));
                    }
                }
            }
            Some(_) if send_initial => {
                for (_, object) in state.list(&gr, filter.namespace.as_deref()) {
                    if filter.matches(object) {
                        initial.push(encoding.object(&t, "ADDED", object, current));
                    }
                }
            }
            Some(rv) => {
                let rv: u64 = rv.parse().map_err(|_| {
                    ApiError::bad_request(format!("invalid resource version {rv:?}"))
                })?;
                match state.history.since(rv) {
                    Ok(past) => {
                        for event in past.iter().filter(|e| e.gr == gr) {
                            if let Some(kind) = translate(event, &filter) {
                                let mut out = Vec::new();
                                encoding.append(&mut out, &t, kind, event);
                                initial.push(Bytes::from(out));
                            }
                        }
                    }
                    Err(too_old) => {
                        return Ok(error_stream(&ApiError::gone(format!(
                            "too old resource version: {rv} ({})",
                            too_old.oldest
                        ))));
                    }
                }
            }
        }
        if send_initial {
            initial.push(bookmark(&t, current, true));
        }
        (initial, current, events)
    };
    let (tx, rx) = mpsc::channel::<Result<Bytes, Infallible>>(1024);
    let mut drops = shared.faults.drop_signal();
    drops.borrow_and_update();
    let shutdown = shared.shutdown.clone();
    let interval = shared.config.bookmark_interval;
    tokio::spawn(async move {
        for chunk in initial {
            if tx.send(Ok(chunk)).await.is_err() {
                return;
            }
        }
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
        loop {
            tokio::select! {
                _ = &mut deadline => break,
                _ = shutdown.cancelled() => break,
                _ = drops.changed() => break,
                _ = tx.closed() => break,
                _ = ticker.tick(), if bookmarks => {
                    if tx.send(Ok(bookmark(&t, last_rv, false))).await.is_err() {
                        break;
                    }
                }
                received = events.recv() => match received {
                    Ok(event) => {
                        // Under load, batch whatever is already queued into one chunk: one
                        // write per burst instead of one per event.
                        let mut chunk: Vec<u8> = Vec::new();
                        let mut next = Some(event);
                        while let Some(event) = next.take() {
                            if event.rv > last_rv {
                                last_rv = event.rv;
                                if event.gr == gr
                                    && let Some(kind) = translate(&event, &filter)
                                {
                                    encoding.append(&mut chunk, &t, kind, &event);
                                }
                            }
                            if chunk.len() < 256 * 1024 {
                                next = events.try_recv().ok();
                            }
                        }
                        if !chunk.is_empty() && tx.send(Ok(Bytes::from(chunk))).await.is_err() {
                            break;
                        }
                    }
                    Err(RecvError::Lagged(_)) | Err(RecvError::Closed) => break,
                },
            }
        }
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    Ok(streaming(Body::from_stream(stream)))
}
