//! Throughput and memory benchmark: `cargo bench -p arm-emulator`.
//!
//! Prints requests/s for simple ARM GETs over loopback (plain HTTP and TLS, keep-alive, 32
//! concurrent clients in the same process — client and server share the machine's cores), the
//! rate of endpoint PUTs, and the resident memory per resource after creating endpoints and
//! deployments through the HTTP API (journal included).
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use arm_emulator::{Emulator, EmulatorConfig, Seed, ThrottleLimits};
use serde_json::json;

const SUB: &str = "11111111-2222-3333-4444-555555555555";
const CONTROLLER: &str = "0c0c0c0c-0000-4000-8000-000000000001";
const CLIENTS: usize = 32;
const RUN: Duration = Duration::from_secs(4);

fn ws() -> String {
    format!(
        "/subscriptions/{SUB}/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/mlw-prod"
    )
}

fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<u64>().ok())
        })
        .map_or(0, |pages| pages * 4096)
}

async fn start(tls: bool) -> (Emulator, reqwest::Client, String) {
    let config = EmulatorConfig::default()
        .tls(tls)
        .seed(Seed::sandbox().unwrap())
        .throttle(ThrottleLimits::unlimited());
    let emulator = Emulator::start(config).await.unwrap();
    let mut builder = reqwest::Client::builder().pool_max_idle_per_host(CLIENTS);
    if let Some(pem) = emulator.ca_pem() {
        builder = builder.tls_certs_only([reqwest::Certificate::from_pem(pem.as_bytes()).unwrap()]);
    }
    let token = emulator.issue_token(CONTROLLER);
    (emulator, builder.build().unwrap(), token)
}

async fn hammer(client: &reqwest::Client, url: String, token: &str) -> f64 {
    let count = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + RUN;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let (client, url, token, count) = (
            client.clone(),
            url.clone(),
            token.to_string(),
            count.clone(),
        );
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let r = client.get(&url).bearer_auth(&token).send().await.unwrap();
                assert!(r.status().is_success());
                let _ = r.bytes().await.unwrap();
                count.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    count.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

async fn create_endpoints(client: &reqwest::Client, base: &str, token: &str, n: usize) -> f64 {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for chunk in 0..CLIENTS {
        let (client, base, token) = (client.clone(), base.to_string(), token.to_string());
        tasks.push(tokio::spawn(async move {
            for i in (chunk..n).step_by(CLIENTS) {
                let body = json!({"location": "westeurope", "properties": {"authMode": "Key", "publicNetworkAccess": "Disabled"}});
                let url = format!("{base}{}/onlineEndpoints/ep-{i}?api-version=2025-12-01", ws());
                let r = client.put(&url).bearer_auth(&token).json(&body).send().await.unwrap();
                assert!(r.status().is_success(), "{}", r.text().await.unwrap());
                let _ = r.bytes().await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    n as f64 / started.elapsed().as_secs_f64()
}

async fn create_deployments(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    endpoints: usize,
    per: usize,
) {
    let mut tasks = Vec::new();
    for chunk in 0..CLIENTS {
        let (client, base, token) = (client.clone(), base.to_string(), token.to_string());
        tasks.push(tokio::spawn(async move {
            for e in (chunk..endpoints).step_by(CLIENTS) {
                for d in 0..per {
                    let body = json!({"location": "westeurope", "sku": {"name": "Default", "capacity": 1}, "properties": {
                        "endpointComputeType": "Managed", "instanceType": "Standard_F2s_v2",
                        "model": format!("{}/models/m/versions/1", ws()), "egressPublicNetworkAccess": "Disabled"}});
                    let url = format!("{base}{}/onlineEndpoints/ep-{e}/deployments/dep-{d}?api-version=2025-12-01", ws());
                    let r = client.put(&url).bearer_auth(&token).json(&body).send().await.unwrap();
                    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
                    let _ = r.bytes().await;
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        println!("arm-emulator benchmark: {CLIENTS} concurrent keep-alive clients, {}s per run, client and server in one process", RUN.as_secs());
        for tls in [false, true] {
            let (emulator, client, token) = start(tls).await;
            let url = format!("{}{}?api-version=2025-12-01", emulator.base_url(), ws());
            let _ = hammer(&client, url.clone(), &token).await; // warm-up of pools and caches
            let rps = hammer(&client, url, &token).await;
            println!("GET workspace ({}): {rps:.0} requests/s", if tls { "https" } else { "http" });
            emulator.shutdown().await;
        }

        let (emulator, client, token) = start(false).await;
        let base = emulator.base_url().to_string();
        let before = rss_bytes();
        let resources_before = emulator.admin().resource_count();
        let endpoints = 1000;
        let put_rate = create_endpoints(&client, &base, &token, endpoints).await;
        println!("PUT online endpoint (http, new resources): {put_rate:.0} requests/s");
        let ep_url = format!("{base}{}/onlineEndpoints/ep-1?api-version=2025-12-01", ws());
        let _ = client.get(&ep_url).bearer_auth(&token).send().await.unwrap();
        create_deployments(&client, &base, &token, endpoints, 2).await;
        let _ = client.get(&ep_url).bearer_auth(&token).send().await.unwrap();
        let after = rss_bytes();
        let created = emulator.admin().resource_count() - resources_before;
        let journal = emulator.admin().journal_len();
        println!(
            "memory: {created} resources created over HTTP, RSS +{:.1} MiB = {:.1} KiB per resource (incl. {journal} journal entries and operation records)",
            (after.saturating_sub(before)) as f64 / 1_048_576.0,
            (after.saturating_sub(before)) as f64 / 1024.0 / created.max(1) as f64
        );
        let list_url = format!("{base}{}/onlineEndpoints?api-version=2025-12-01", ws());
        let started = Instant::now();
        let mut pages = 0;
        let mut next = Some(list_url);
        while let Some(url) = next {
            let page: serde_json::Value = client.get(&url).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
            pages += 1;
            next = page["nextLink"].as_str().map(str::to_string);
        }
        println!("list {endpoints} endpoints: {pages} pages in {:.1} ms", started.elapsed().as_secs_f64() * 1000.0);
        emulator.shutdown().await;
    });
}
