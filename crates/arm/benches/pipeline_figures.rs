//! Figures of the request pipeline against the ARM emulator on loopback:
//!
//! 1. the pacer: 1,000 writes against ARM's write bucket (200 tokens, 10 per second), with the
//!    pacer and without it (retries honouring `Retry-After` instead): 429s, time, rate;
//! 2. retries under a 20% rate of injected 503s: requests sent per request needed.
//!
//! `cargo bench -p arm --bench pipeline_figures` (about 3 minutes: the unscaled bucket refills
//! at 10 writes per second). `ARM_FIGURES_SCALE=10` refills 10 times faster.

#![allow(clippy::unwrap_used)]

use arm::models::{PrivateDnsZone, Workspace};
use arm::pipeline::{BucketLimits, PacerConfig};
use arm::{ArmClient, ArmMetrics, Cloud, Credential, Pacer, ResourceId, RetryPolicy};
use arm_emulator::{
    BucketLimit, Emulator, EmulatorConfig, Fault, FaultRule, PrincipalSeed, ResourceGroupSeed,
    Seed, SubscriptionSeed, ThrottleLimits, WorkspaceSeed,
};
use futures::StreamExt;
use std::sync::Arc;
use std::time::{Duration, Instant};

const SUB: &str = "f1f1f1f1-0000-4000-8000-000000000001";
const CLIENT: &str = "c1c1c1c1-0000-4000-8000-0000000000f1";

fn seed() -> Seed {
    Seed {
        subscriptions: vec![SubscriptionSeed {
            id: SUB.into(),
            display_name: None,
            resource_groups: vec![
                ResourceGroupSeed {
                    name: "rg-ml".into(),
                    location: "westeurope".into(),
                    workspaces: vec![WorkspaceSeed {
                        name: "mlw".into(),
                        ..Default::default()
                    }],
                    ..Default::default()
                },
                ResourceGroupSeed {
                    name: "rg-dns".into(),
                    location: "westeurope".into(),
                    ..Default::default()
                },
            ],
        }],
        principals: vec![PrincipalSeed {
            tenant_id: "7e7e7e7e-0000-4000-8000-0000000000f1".into(),
            client_id: CLIENT.into(),
            secret: Some("s".into()),
            scopes: vec![format!("/subscriptions/{SUB}")],
            ..Default::default()
        }],
    }
}

fn client(
    emulator: &Emulator,
    pacer: PacerConfig,
    retry: RetryPolicy,
    metrics: ArmMetrics,
) -> ArmClient {
    let cloud = Cloud::custom(emulator.base_url(), emulator.authority_host()).unwrap();
    ArmClient::builder(
        cloud,
        Credential::static_token(emulator.issue_token(CLIENT)),
    )
    .trust_only_ca_pem(emulator.ca_pem().unwrap().as_bytes())
    .unwrap()
    .pacer(Arc::new(Pacer::new(pacer)))
    .retry_policy(retry)
    .metrics(metrics)
    .build()
    .unwrap()
}

fn count_status(emulator: &Emulator, method: &str, status: u16) -> usize {
    emulator
        .journal()
        .into_iter()
        .filter(|e| matches!(e, arm_emulator::JournalEntry::Request(r) if r.method == method && r.status == status))
        .count()
}

struct Burst {
    ok: usize,
    failed: usize,
    throttled: usize,
    sent: u64,
    elapsed: Duration,
}

async fn burst_of_writes(scale: f64, paced: bool, writes: usize) -> Burst {
    let bucket = BucketLimit {
        capacity: 200,
        refill_per_second: 10.0 * scale,
    };
    let emulator = Emulator::start(EmulatorConfig::default().seed(seed()).throttle(
        ThrottleLimits {
            writes: bucket,
            ..ThrottleLimits::default()
        },
    ))
    .await
    .unwrap();
    let pacer = if paced {
        PacerConfig {
            writes: BucketLimits {
                capacity: 200.0,
                refill_per_second: 10.0 * scale,
            },
            ..PacerConfig::default()
        }
    } else {
        // Limits so high the pacer never waits: the client relies on 429 + Retry-After.
        let open = BucketLimits {
            capacity: 1e12,
            refill_per_second: 1e12,
        };
        PacerConfig {
            reads: open,
            writes: open,
            deletes: open,
            reserve_fraction: 0.0,
            ..PacerConfig::default().without_provider_limits()
        }
    };
    let retry = RetryPolicy {
        max_retries: 50,
        base_delay: Duration::from_millis(50),
        max_delay: Duration::from_secs(2),
        max_throttle_wait: Duration::from_secs(120),
        max_bucket_wait: None,
    };
    let metrics = ArmMetrics::unregistered();
    let client = client(&emulator, pacer, retry, metrics.clone());
    let zone = PrivateDnsZone {
        location: Some("global".into()),
        ..Default::default()
    };
    let started = Instant::now();
    let results: Vec<_> = futures::stream::iter(0..writes)
        .map(|i| {
            let client = client.clone();
            let zone = zone.clone();
            async move {
                let id =
                    ResourceId::private_dns_zone(SUB, "rg-dns", &format!("z{i}.example.internal"))
                        .unwrap();
                client.begin_put::<_, PrivateDnsZone>(&id, &zone).await
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    let elapsed = started.elapsed();
    let burst = Burst {
        ok: results.iter().filter(|r| r.is_ok()).count(),
        failed: results.iter().filter(|r| r.is_err()).count(),
        throttled: count_status(&emulator, "PUT", 429),
        sent: metrics.requests_sent(),
        elapsed,
    };
    emulator.shutdown().await;
    burst
}

async fn overhead_under_503s(rate: f64, reads: usize, retry: RetryPolicy) -> (usize, u64, usize) {
    let ws = ResourceId::workspace(SUB, "rg-ml", "mlw").unwrap();
    let emulator = Emulator::start(
        EmulatorConfig::default()
            .seed(seed())
            .throttle(ThrottleLimits::unlimited())
            .fault(FaultRule::probability(
                Some("GET"),
                &ws.to_string(),
                rate,
                Fault::ServiceUnavailable {
                    retry_after_secs: None,
                },
            )),
    )
    .await
    .unwrap();
    let metrics = ArmMetrics::unregistered();
    let client = client(&emulator, PacerConfig::default(), retry, metrics.clone());
    let mut failed = 0;
    for _ in 0..reads {
        if client.get::<Workspace>(&ws).await.is_err() {
            failed += 1;
        }
    }
    emulator.shutdown().await;
    (reads, metrics.requests_sent(), failed)
}

fn main() {
    let scale: f64 = std::env::var("ARM_FIGURES_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let writes = 1000;
        let ideal = (writes as f64 - 180.0) / (10.0 * scale);
        println!(
            "pacer: {writes} writes, bucket 200 tokens refilled at {}/s, 64 in flight (ideal with a 10% reserve: {ideal:.1} s)",
            10.0 * scale
        );
        for paced in [true, false] {
            let b = burst_of_writes(scale, paced, writes).await;
            println!(
                "  {:<34} ok {:>4}  failed {:>3}  429s {:>5}  requests sent {:>5}  time {:>6.1} s  rate {:>5.1} writes/s",
                if paced { "with the pacer" } else { "without (429 + Retry-After only)" },
                b.ok,
                b.failed,
                b.throttled,
                b.sent,
                b.elapsed.as_secs_f64(),
                b.ok as f64 / b.elapsed.as_secs_f64()
            );
        }

        let quick = |max_retries| RetryPolicy {
            max_retries,
            base_delay: Duration::from_millis(2),
            max_delay: Duration::from_millis(20),
            max_throttle_wait: Duration::from_secs(60),
            max_bucket_wait: None,
        };
        println!("retries: GETs with 20% of answers an injected 503 (exponential backoff, full jitter)");
        for max_retries in [4, 8] {
            let (needed, sent, failed) = overhead_under_503s(0.2, 2000, quick(max_retries)).await;
            println!(
                "  max_retries {max_retries}: requests needed {needed}, sent {sent}, overhead {:.3} (ideal 1.25), failed after the budget {failed}",
                sent as f64 / needed as f64
            );
        }
    });
}
