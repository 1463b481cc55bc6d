//! Watches: ordering, resume, 410, selector transitions, bookmarks, timeouts, streaming lists.

use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use kube::api::{DeleteParams, Patch, PatchParams, WatchEvent, WatchParams};
use kube::runtime::watcher;
use serde_json::json;

use super::harness::Cluster;

async fn next_event(
    stream: &mut (
             impl futures::Stream<Item = Result<WatchEvent<kube::api::DynamicObject>, kube::Error>>
             + Unpin
         ),
) -> WatchEvent<kube::api::DynamicObject> {
    tokio::time::timeout(Duration::from_secs(90), stream.next())
        .await
        .expect("a watch event in time")
        .expect("the stream is open")
        .expect("a well-formed event")
}

fn describe(e: &WatchEvent<kube::api::DynamicObject>) -> String {
    match e {
        WatchEvent::Added(o) => format!("ADDED {}", o.metadata.name.as_deref().unwrap_or_default()),
        WatchEvent::Modified(o) => format!(
            "MODIFIED {}",
            o.metadata.name.as_deref().unwrap_or_default()
        ),
        WatchEvent::Deleted(o) => {
            format!("DELETED {}", o.metadata.name.as_deref().unwrap_or_default())
        }
        WatchEvent::Bookmark(_) => "BOOKMARK".to_owned(),
        WatchEvent::Error(s) => format!("ERROR {}", s.code),
    }
}

/// A watch from a resourceVersion replays every later change in order: ADDED, MODIFIED, DELETED.
#[tokio::test]
async fn watch_resumes_from_a_resource_version() {
    let c = Cluster::start().await;
    let list = c.widgets().list(&Default::default()).await.unwrap();
    let from = list.metadata.resource_version.unwrap();
    c.create_widget("w", json!({"size": 1})).await;
    c.widgets()
        .patch(
            "w",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"size": 2}})),
        )
        .await
        .unwrap();
    c.widgets()
        .delete("w", &DeleteParams::default())
        .await
        .unwrap();
    let mut stream = c
        .widgets()
        .watch(&WatchParams::default(), &from)
        .await
        .unwrap()
        .boxed();
    let mut seen = Vec::new();
    while seen.len() < 3 {
        let e = next_event(&mut stream).await;
        if !matches!(e, WatchEvent::Bookmark(_)) {
            seen.push(describe(&e));
        }
    }
    assert_eq!(seen, ["ADDED w", "MODIFIED w", "DELETED w"]);
    c.shutdown().await;
}

/// A watch from a resourceVersion older than the server keeps answers with an ERROR event
/// carrying a 410 Gone Status.
#[tokio::test]
async fn watch_from_a_compacted_resource_version_is_gone() {
    let c = Cluster::start().await;
    let before = c
        .widgets()
        .list(&Default::default())
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap();
    c.create_widget("churn", json!({"size": 0})).await;
    // More writes than the emulator's history window (64 in the harness) push `before` out, as
    // etcd compaction does; on a real cluster "1" predates every watch cache.
    for i in 0..80 {
        c.widgets()
            .patch(
                "churn",
                &PatchParams::default(),
                &Patch::Merge(json!({"metadata": {"labels": {"i": i.to_string()}}})),
            )
            .await
            .unwrap();
    }
    let from = if c.emulator().is_some() {
        before
    } else {
        "1".to_owned()
    };
    let mut stream = c
        .widgets()
        .watch(&WatchParams::default(), &from)
        .await
        .unwrap()
        .boxed();
    let e = next_event(&mut stream).await;
    match e {
        WatchEvent::Error(status) => assert_eq!(status.code, 410),
        other => panic!("expected a 410 ERROR event, got {}", describe(&other)),
    }
    c.shutdown().await;
}

/// With a selector, an object that stops matching is reported DELETED and one that starts
/// matching ADDED.
#[tokio::test]
async fn selector_watch_reports_objects_leaving_and_entering() {
    let c = Cluster::start().await;
    c.create_widget("s", json!({"size": 1})).await;
    let rv = c
        .widgets()
        .get("s")
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap();
    let mut stream = c
        .widgets()
        .watch(&WatchParams::default().labels("pick=yes"), &rv)
        .await
        .unwrap()
        .boxed();
    let pp = PatchParams::default();
    c.widgets()
        .patch(
            "s",
            &pp,
            &Patch::Merge(json!({"metadata": {"labels": {"pick": "yes"}}})),
        )
        .await
        .unwrap();
    c.widgets()
        .patch(
            "s",
            &pp,
            &Patch::Merge(json!({"metadata": {"labels": {"pick": "no"}}})),
        )
        .await
        .unwrap();
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let e = next_event(&mut stream).await;
        if !matches!(e, WatchEvent::Bookmark(_)) {
            seen.push(describe(&e));
        }
    }
    assert_eq!(seen, ["ADDED s", "DELETED s"]);
    c.shutdown().await;
}

/// `allowWatchBookmarks` brings BOOKMARK events carrying a resourceVersion, and a watch ends at
/// `timeoutSeconds`.
#[tokio::test]
async fn bookmarks_and_timeouts() {
    let c = Cluster::start().await;
    let rv = c
        .widgets()
        .list(&Default::default())
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap();
    let mut stream = c
        .widgets()
        .watch(&WatchParams::default().timeout(70), &rv)
        .await
        .unwrap()
        .boxed();
    match next_event(&mut stream).await {
        WatchEvent::Bookmark(b) => assert!(!b.metadata.resource_version.is_empty()),
        other => panic!("expected a bookmark, got {}", describe(&other)),
    }
    let mut short = c
        .widgets()
        .watch(&WatchParams::default().timeout(1), &rv)
        .await
        .unwrap()
        .boxed();
    let ended = tokio::time::timeout(Duration::from_secs(20), async {
        while short.next().await.is_some() {}
    })
    .await;
    assert!(ended.is_ok(), "the watch did not end at timeoutSeconds");
    c.shutdown().await;
}

/// Streaming lists (`sendInitialEvents=true`): the current objects arrive as the initial state,
/// closed by the `k8s.io/initial-events-end` bookmark, which kube-rs's watcher turns into InitDone.
#[tokio::test]
async fn streaming_list_delivers_initial_state() {
    let c = Cluster::start().await;
    for name in ["a", "b"] {
        c.create_widget(name, json!({"size": 1})).await;
    }
    let mut stream = watcher(c.widgets(), watcher::Config::default().streaming_lists()).boxed();
    let mut initial = Vec::new();
    loop {
        let event = tokio::time::timeout(Duration::from_secs(30), stream.try_next())
            .await
            .expect("watcher event in time")
            .expect("watcher ok")
            .expect("stream open");
        match event {
            watcher::Event::Init => {}
            watcher::Event::InitApply(o) => initial.push(o.metadata.name.unwrap()),
            watcher::Event::InitDone => break,
            other => panic!("unexpected event before InitDone: {other:?}"),
        }
    }
    initial.sort();
    assert_eq!(initial, ["a", "b"]);
    c.shutdown().await;
}
