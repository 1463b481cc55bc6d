//! The pacer against the emulator's token buckets: a burst of writes far larger than the
//! bucket finishes without a single 429.
//!
//! Time is scaled: the emulator's write bucket is ARM's size (200) but refills at 100/s instead
//! of 10/s, so 1,000 writes take ~8 s instead of ~82 s. The pacer is configured with the same
//! numbers (and a larger reserve, see below). `cargo bench -p arm --bench pipeline_figures`
//! runs the unscaled case.

#![allow(clippy::unwrap_used)]

mod support;

use arm::models::PrivateDnsZone;
use arm::pipeline::{BucketLimits, PacerConfig};
use arm::{Pacer, ResourceId, RetryPolicy};
use arm_emulator::{BucketLimit, EmulatorConfig, ThrottleLimits};
use futures::StreamExt;
use std::sync::Arc;
use support::*;

const WRITES: usize = 1000;
const CAPACITY: u32 = 200;
const REFILL_PER_SECOND: f64 = 100.0;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_writes_against_a_200_token_bucket_get_no_429() {
    let limits = ThrottleLimits {
        writes: BucketLimit {
            capacity: CAPACITY,
            refill_per_second: REFILL_PER_SECOND,
        },
        ..ThrottleLimits::default()
    };
    let emulator = start(EmulatorConfig::default().throttle(limits)).await;
    let pacer = Arc::new(Pacer::new(PacerConfig {
        writes: BucketLimits {
            capacity: f64::from(CAPACITY),
            refill_per_second: REFILL_PER_SECOND,
        },
        // The reserve absorbs the spread between when the pacer sends and when the emulator
        // counts. Ten times the refill rate makes the default 10 % (20 tokens) only 0.2 s of
        // it, which a loaded 2-core machine exceeds; 25 % keeps the margin at 0.5 s.
        reserve_fraction: 0.25,
        ..PacerConfig::default()
    }));
    let token = emulator.issue_token(CLIENT);
    // No retries: a 429 would surface as an error instead of being hidden by a retry.
    let client = builder(&emulator, arm::Credential::static_token(token))
        .retry_policy(RetryPolicy::none())
        .pacer(pacer)
        .build()
        .unwrap();

    let zone = PrivateDnsZone {
        location: Some("global".into()),
        ..Default::default()
    };
    let results: Vec<_> = futures::stream::iter(0..WRITES)
        .map(|i| {
            let client = client.clone();
            let zone = zone.clone();
            async move {
                let id = ResourceId::private_dns_zone(
                    SUB,
                    "rg-dns",
                    &format!("zone{i}.example.internal"),
                )
                .unwrap();
                client.begin_put::<_, PrivateDnsZone>(&id, &zone).await
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;

    let failures: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(
        failures.is_empty(),
        "{} writes failed, first: {:?}",
        failures.len(),
        failures.first()
    );
    let puts: Vec<u16> = requests(&emulator)
        .into_iter()
        .filter(|(m, _, _)| m == "PUT")
        .map(|(_, _, s)| s)
        .collect();
    assert_eq!(puts.len(), WRITES);
    assert_eq!(puts.iter().filter(|s| **s == 429).count(), 0);
}
