//! Throughput and memory of the emulator (run: `cargo bench -p kube-emulator`): 10,000
//! ConfigMaps written by 32 concurrent clients while 100 watches follow the namespace, then
//! 10,000 merge patches, then custom resources through full admission (schema + CEL). Prints
//! writes/s, the time until every watch saw every event, and resident memory per object.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::AsyncBufReadExt;
use futures::{StreamExt, TryStreamExt, stream};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, DynamicObject, Patch, PatchParams, PostParams};
use kube_emulator::{KubeEmulator, KubeEmulatorConfig};
use serde_json::json;

const OBJECTS: usize = 10_000;
const WATCHES: usize = 100;
const CONCURRENCY: usize = 32;
const CUSTOM: usize = 2_000;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        })
        .unwrap_or(0)
}

#[tokio::main]
async fn main() {
    // KUBE_EMULATOR_BENCH_HISTORY sets the watch history window (default 10,000 events), to see
    // how much of the memory per object the history holds.
    let history = std::env::var("KUBE_EMULATOR_BENCH_HISTORY")
        .ok()
        .and_then(|h| h.parse().ok())
        .unwrap_or(10_000);
    let emulator = KubeEmulator::start(KubeEmulatorConfig {
        watch_history: history,
        ..KubeEmulatorConfig::default()
    })
    .await
    .unwrap();
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../crds");
    emulator.install_crds_dir(&repo).unwrap();
    let client = emulator.client().await.unwrap();
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let rv = cms
        .list(&Default::default())
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap();

    let seen = Arc::new(AtomicUsize::new(0));
    let mut watchers = Vec::new();
    for _ in 0..WATCHES {
        let api = cms.clone();
        let seen = seen.clone();
        let rv = rv.clone();
        let client = client.clone();
        let _ = api;
        watchers.push(tokio::spawn(async move {
            // Raw event lines: the figure is the server's fan-out, not client-side decoding
            // (which would share the same two cores in this process).
            let request = http::Request::get(format!("/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={rv}&timeoutSeconds=290"))
                .body(Vec::new())
                .unwrap();
            let mut lines = client.request_stream(request).await.unwrap().lines();
            let mut mine = 0;
            while let Ok(Some(line)) = lines.try_next().await {
                if line.starts_with("{\"type\":\"ADDED\"") || line.starts_with("{\"type\":\"MODIFIED\"") {
                    mine += 1;
                    seen.fetch_add(1, Ordering::Relaxed);
                    if mine == 2 * OBJECTS {
                        break;
                    }
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rss_before = rss_kib();

    let started = Instant::now();
    stream::iter(0..OBJECTS)
        .map(|i| {
            let cms = cms.clone();
            async move {
                let cm: ConfigMap = serde_json::from_value(json!({
                    "metadata": {"name": format!("cm-{i:05}"), "labels": {"bench": "yes", "shard": (i % 10).to_string()}},
                    "data": {"key": format!("value-{i}"), "payload": "x".repeat(200)},
                }))
                .unwrap();
                cms.create(&PostParams::default(), &cm).await.map(|_| ())
            }
        })
        .buffer_unordered(CONCURRENCY)
        .try_collect::<Vec<()>>()
        .await
        .unwrap();
    let create_secs = started.elapsed().as_secs_f64();
    let rss_after = rss_kib();

    let started = Instant::now();
    stream::iter(0..OBJECTS)
        .map(|i| {
            let cms = cms.clone();
            async move {
                cms.patch(
                    &format!("cm-{i:05}"),
                    &PatchParams::default(),
                    &Patch::Merge(json!({"data": {"key": format!("patched-{i}")}})),
                )
                .await
                .map(|_| ())
            }
        })
        .buffer_unordered(CONCURRENCY)
        .try_collect::<Vec<()>>()
        .await
        .unwrap();
    let patch_secs = started.elapsed().as_secs_f64();

    let fanout_started = Instant::now();
    let deadline = Instant::now() + Duration::from_secs(120);
    while seen.load(Ordering::Relaxed) < WATCHES * 2 * OBJECTS && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let delivered = seen.load(Ordering::Relaxed);
    let fanout_lag = fanout_started.elapsed().as_secs_f64();
    let rss_settled = rss_kib();
    for w in watchers {
        w.abort();
    }

    // The same writes with no watch open: the server's own write path.
    let secrets: Api<k8s_openapi::api::core::v1::Secret> =
        Api::namespaced(client.clone(), "default");
    let started = Instant::now();
    stream::iter(0..OBJECTS)
        .map(|i| {
            let secrets = secrets.clone();
            async move {
                let s: k8s_openapi::api::core::v1::Secret = serde_json::from_value(json!({
                    "metadata": {"name": format!("s-{i:05}"), "labels": {"bench": "yes"}},
                    "stringData": {"key": format!("value-{i}"), "payload": "x".repeat(200)},
                }))
                .unwrap();
                secrets.create(&PostParams::default(), &s).await.map(|_| ())
            }
        })
        .buffer_unordered(CONCURRENCY)
        .try_collect::<Vec<()>>()
        .await
        .unwrap();
    let quiet_secs = started.elapsed().as_secs_f64();

    let endpoints: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        "default",
        &kube::api::ApiResource::from_gvk_with_plural(
            &kube::api::GroupVersionKind::gvk("aml-operator.io", "v1alpha1", "OnlineEndpoint"),
            "onlineendpoints",
        ),
    );
    let started = Instant::now();
    stream::iter(0..CUSTOM)
        .map(|i| {
            let endpoints = endpoints.clone();
            async move {
                let ep: DynamicObject = serde_json::from_value(json!({
                    "apiVersion": "aml-operator.io/v1alpha1", "kind": "OnlineEndpoint",
                    "metadata": {"name": format!("ep-{i:05}")},
                    "spec": {"workspaceRef": {"name": "ws"}, "traffic": {"blue": 60, "green": 40}, "mirrorTraffic": {"canary": 10}},
                }))
                .unwrap();
                endpoints.create(&PostParams::default(), &ep).await.map(|_| ())
            }
        })
        .buffer_unordered(CONCURRENCY)
        .try_collect::<Vec<()>>()
        .await
        .unwrap();
    let custom_secs = started.elapsed().as_secs_f64();

    println!(
        "kube-emulator throughput (in-process server and clients, {} cores)",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "  objects created:               {OBJECTS} ConfigMaps, {CONCURRENCY} concurrent requests, {WATCHES} open watches"
    );
    println!(
        "  create writes/s:               {:.0}",
        OBJECTS as f64 / create_secs
    );
    println!(
        "  merge-patch writes/s:          {:.0}",
        OBJECTS as f64 / patch_secs
    );
    println!(
        "  create writes/s, no watches:   {:.0} ({OBJECTS} Secrets)",
        OBJECTS as f64 / quiet_secs
    );
    println!(
        "  custom resource creates/s:     {:.0} (schema + CEL admission, {CUSTOM} OnlineEndpoints)",
        CUSTOM as f64 / custom_secs
    );
    println!(
        "  watch events delivered:        {delivered} of {} ({:.2}s after the last write)",
        WATCHES * 2 * OBJECTS,
        fanout_lag
    );
    println!(
        "  resident memory:               {} MiB before, {} MiB right after the creates, {} MiB once watches drained",
        rss_before / 1024,
        rss_after / 1024,
        rss_settled / 1024,
    );
    println!(
        "  memory per object:             {:.1} KiB (settled RSS growth / objects, with a {history}-event watch history)",
        rss_settled.saturating_sub(rss_before) as f64 / OBJECTS as f64
    );
    assert_eq!(emulator.object_count("", "configmaps"), OBJECTS);
    emulator.shutdown().await;
}
