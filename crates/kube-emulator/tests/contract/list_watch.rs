//! List, then watch from the list's resourceVersion, while objects are being created: the
//! informer pattern (client-go reflectors, kube-rs `watcher`) relies on every object showing up
//! exactly once, either in the list or as an ADDED event of the watch, and only from the watched
//! namespace.

use std::collections::BTreeMap;
use std::time::Duration;

use futures::StreamExt;
use kube::api::{Api, DynamicObject, ListParams, PostParams, WatchEvent, WatchParams};
use serde_json::json;
use tokio::sync::watch;

use super::harness::{Cluster, widget_resource};

const CREATES: usize = 120;
const SESSIONS: usize = 12;

fn widget(name: &str) -> DynamicObject {
    serde_json::from_value(json!({
        "apiVersion": "contract.kube-emulator.dev/v1",
        "kind": "Widget",
        "metadata": {"name": name},
        "spec": {"size": 1},
    }))
    .unwrap()
}

/// Creates `race-0..CREATES` in `api`, each after the previous one is stored, and a decoy in
/// `decoys` (another namespace) after each; publishes how many are created.
async fn create_all(
    api: Api<DynamicObject>,
    decoys: Api<DynamicObject>,
    created: watch::Sender<usize>,
) {
    for i in 0..CREATES {
        api.create(&PostParams::default(), &widget(&format!("race-{i}")))
            .await
            .unwrap();
        decoys
            .create(&PostParams::default(), &widget(&format!("decoy-{i}")))
            .await
            .unwrap();
        created.send_replace(i + 1);
    }
}

/// One informer start: list, then watch from the list's resourceVersion until every object has
/// been seen. Returns how many times each name was seen (list items and ADDED events), or `None`
/// when the watch answered 410 (the client must list again, as a reflector does).
async fn session(api: &Api<DynamicObject>) -> Option<BTreeMap<String, usize>> {
    let list = api.list(&ListParams::default()).await.unwrap();
    let from = list.metadata.resource_version.clone().unwrap();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for item in &list.items {
        *seen.entry(item.metadata.name.clone().unwrap()).or_default() += 1;
    }
    let mut stream = api
        .watch(&WatchParams::default().timeout(120), &from)
        .await
        .unwrap()
        .boxed();
    while seen.len() < CREATES {
        let event = tokio::time::timeout(Duration::from_secs(90), stream.next())
            .await
            .expect("the watch delivers every object created after the list")
            .expect("the watch stays open until every object is seen")
            .unwrap();
        match event {
            WatchEvent::Added(o) => *seen.entry(o.metadata.name.unwrap()).or_default() += 1,
            WatchEvent::Bookmark(_) => {}
            WatchEvent::Error(status) if status.code == 410 => return None,
            other => panic!("only creates happen, got {other:?}"),
        }
    }
    Some(seen)
}

/// Informers started at staggered moments of a burst of creates each see every object exactly
/// once, and nothing from another namespace.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_then_watch_sees_every_concurrent_create_exactly_once() {
    let c = Cluster::start().await;
    let other = format!("{}-other", c.namespace);
    let namespaces: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(c.client.clone());
    namespaces
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({"metadata": {"name": other}})).unwrap(),
        )
        .await
        .unwrap();
    let decoys = Api::namespaced_with(c.client.clone(), &other, &widget_resource());

    let (created_tx, created) = watch::channel(0usize);
    let writer = tokio::spawn(create_all(c.widgets(), decoys, created_tx));
    let sessions: Vec<_> = (0..SESSIONS)
        .map(|k| {
            let api = c.widgets();
            let mut created = created.clone();
            tokio::spawn(async move {
                // Session k starts once k/SESSIONS of the objects exist: mid-burst, not before.
                let start_at = k * CREATES / SESSIONS;
                created.wait_for(|n| *n >= start_at).await.unwrap();
                loop {
                    if let Some(seen) = session(&api).await {
                        return (k, seen);
                    }
                }
            })
        })
        .collect();
    writer.await.unwrap();
    for s in sessions {
        let (k, seen) = s.await.unwrap();
        let wrong: Vec<_> = seen
            .iter()
            .filter(|(name, n)| **n != 1 || !name.starts_with("race-"))
            .collect();
        assert!(
            wrong.is_empty(),
            "session {k}: objects not seen exactly once, or from another namespace: {wrong:?}"
        );
        assert_eq!(seen.len(), CREATES, "session {k} missed objects");
    }
    let _ = namespaces.delete(&other, &Default::default()).await;
    c.shutdown().await;
}
