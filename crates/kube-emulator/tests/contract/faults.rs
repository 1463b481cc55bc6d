//! The emulator's scripted faults (emulator-only; skipped against a real cluster).

use std::time::Duration;

use futures::StreamExt;
use kube::api::WatchParams;

use super::harness::{Cluster, api_error};

/// Emulator-only: scripted 409/500/429 answers (429 with Retry-After), dropped watches and a
/// forced 410 for the next watch. On a real cluster these tests have nothing to script.
#[tokio::test]
async fn scripted_faults() {
    let c = Cluster::start().await;
    let Some(emulator) = c.emulator() else {
        c.shutdown().await;
        return;
    };
    let faults = emulator.faults().clone();
    faults.fail_next("GET", "/widgets", 500, 1);
    assert_eq!(
        api_error(c.widgets().list(&Default::default()).await).code,
        500
    );
    assert!(
        c.widgets().list(&Default::default()).await.is_ok(),
        "the fault applies once"
    );
    faults.fail_next("GET", "/widgets", 409, 1);
    assert_eq!(
        api_error(c.widgets().list(&Default::default()).await).code,
        409
    );
    // kube-rs retries 429s itself, so this one is read on the wire.
    faults.throttle_next(7, 1);
    let head = raw_get(emulator.base_url(), &c.widgets_path()).await;
    assert!(head.starts_with("HTTP/1.1 429"), "{head}");
    assert!(
        head.to_ascii_lowercase().contains("retry-after: 7"),
        "{head}"
    );

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
        .watch(&WatchParams::default().timeout(60), &rv)
        .await
        .unwrap()
        .boxed();
    faults.drop_watches();
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        while stream.next().await.is_some() {}
    })
    .await;
    assert!(ended.is_ok(), "a dropped watch ends its stream");

    faults.expire_next_watch();
    let mut stream = c
        .widgets()
        .watch(&WatchParams::default(), &rv)
        .await
        .unwrap()
        .boxed();
    match stream.next().await {
        Some(Ok(kube::api::WatchEvent::Error(status))) => assert_eq!(status.code, 410),
        other => panic!("expected a forced 410, got {other:?}"),
    }
    faults.set_latency(Duration::from_millis(300));
    let started = std::time::Instant::now();
    c.widgets().list(&Default::default()).await.unwrap();
    let took = started.elapsed();
    faults.clear();
    assert!(took >= Duration::from_millis(300), "latency was {took:?}");
    c.shutdown().await;
}

/// A bare HTTP/1.1 GET; returns the status line and headers.
async fn raw_get(base_url: &str, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base_url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8_lossy(&response).into_owned();
    text.split("\r\n\r\n").next().unwrap_or_default().to_owned()
}

/// Emulator-only: the admin endpoint drives the same fault script over HTTP
/// (`POST /emulator/faults` with a rule as JSON, `DELETE /emulator/faults`).
#[tokio::test]
async fn faults_over_http() {
    let c = Cluster::start().await;
    if c.emulator().is_none() {
        c.shutdown().await;
        return;
    }
    let rule =
        serde_json::json!({"method": "GET", "pathContains": "/widgets", "status": 500, "times": 1});
    let (code, _, _) = c
        .raw(
            "POST",
            "/emulator/faults",
            Some("application/json"),
            None,
            Some(rule),
        )
        .await;
    assert_eq!(code, 200);
    let err = api_error(c.widgets().get("anything").await);
    assert_eq!(err.code, 500);
    let rule =
        serde_json::json!({"method": "GET", "pathContains": "/widgets", "status": 500, "times": 5});
    c.raw(
        "POST",
        "/emulator/faults",
        Some("application/json"),
        None,
        Some(rule),
    )
    .await;
    let (code, _, _) = c.raw("DELETE", "/emulator/faults", None, None, None).await;
    assert_eq!(code, 200);
    assert_eq!(
        api_error(c.widgets().get("anything").await).code,
        404,
        "cleared faults no longer apply"
    );
    c.shutdown().await;
}
