//! The pacer under a resource provider's own limit: a burst of Private DNS reads larger than
//! Private DNS allows in one window is held back by the pacer instead of meeting 429s.
//!
//! Azure's numbers (500 reads per 5 minutes, per action) on a scaled clock: both the emulator's
//! provider windows and the pacer's are 0.03 times as long, so a 5-minute window lasts 9 s.
//! ARM's buckets are opened on both sides, so only the provider limit shapes the burst.

#![allow(clippy::unwrap_used)]

mod support;

use arm::models::PrivateDnsZone;
use arm::pipeline::{BucketLimits, PacerConfig, WindowLimits};
use arm::{ArmMetrics, Pacer, ResourceId, RetryPolicy, Started};
use arm_emulator::{EmulatorConfig, ThrottleLimits};
use futures::StreamExt;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::*;

const SCALE: f64 = 0.03;
const READS: usize = 600;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_private_dns_reads_is_paced_under_the_providers_window() {
    let limits = ThrottleLimits::unlimited()
        .with_providers(ThrottleLimits::default().providers.scaled(SCALE));
    let emulator = start(EmulatorConfig::default().throttle(limits)).await;
    let open = BucketLimits {
        capacity: 1e9,
        refill_per_second: 1e9,
    };
    let config = PacerConfig {
        reads: open,
        writes: open,
        deletes: open,
        ..PacerConfig::default().scale_provider_windows(SCALE)
    };
    let window = config.private_dns_reads.unwrap();
    assert_eq!(
        window,
        WindowLimits {
            limit: 500,
            window: Duration::from_secs(9)
        }
    );
    let metrics = ArmMetrics::unregistered();
    let token = emulator.issue_token(CLIENT);
    // No retries: a 429 would surface as an error instead of being hidden by a retry.
    let client = builder(&emulator, arm::Credential::static_token(token))
        .retry_policy(RetryPolicy::none())
        .pacer(Arc::new(Pacer::new(config)))
        .metrics(metrics.clone())
        .build()
        .unwrap();

    let zone = ResourceId::private_dns_zone(SUB, "rg-dns", "privatelink.api.azureml.ms").unwrap();
    let body = PrivateDnsZone {
        location: Some("global".into()),
        ..Default::default()
    };
    if let Started::Pending(handle) = client
        .begin_put::<_, PrivateDnsZone>(&zone, &body)
        .await
        .unwrap()
    {
        client
            .wait::<PrivateDnsZone>(&handle, Duration::from_secs(10))
            .await
            .unwrap();
    }

    let before = requests(&emulator).len();
    let started = Instant::now();
    let results: Vec<_> = futures::stream::iter(0..READS)
        .map(|_| {
            let client = client.clone();
            let zone = zone.clone();
            async move { client.get::<PrivateDnsZone>(&zone).await }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    let took = started.elapsed();

    let failures: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(
        failures.is_empty(),
        "{} reads failed, first: {:?}",
        failures.len(),
        failures.first()
    );
    let zone_reads: Vec<u16> = requests(&emulator)
        .into_iter()
        .skip(before)
        .filter(|(m, p, _)| m == "GET" && p.ends_with("privatelink.api.azureml.ms"))
        .map(|(_, _, s)| s)
        .collect();
    assert_eq!(zone_reads.len(), READS);
    assert_eq!(zone_reads.iter().filter(|s| **s == 429).count(), 0);
    // 450 reads (500 less the 10 % reserve) fit in the first window; the others waited for the
    // first ones to leave it.
    let (paced, waited) = metrics.pacer_delays();
    assert!(paced > 0, "no request was paced");
    assert!(waited > Duration::ZERO);
    assert!(took >= window.window, "took {took:?}");
}

#[tokio::test]
async fn a_wait_longer_than_the_retry_policy_allows_goes_back_as_a_throttle() {
    let emulator = start(EmulatorConfig::default().throttle(ThrottleLimits::unlimited())).await;
    let config = PacerConfig {
        private_dns_reads: Some(WindowLimits {
            limit: 2,
            window: Duration::from_secs(300),
        }),
        reserve_fraction: 0.0,
        ..PacerConfig::default()
    };
    let token = emulator.issue_token(CLIENT);
    let client = builder(&emulator, arm::Credential::static_token(token))
        .retry_policy(quick_retries(4))
        .pacer(Arc::new(Pacer::new(config)))
        .build()
        .unwrap();
    let zone = ResourceId::private_dns_zone(SUB, "rg-dns", "example.internal").unwrap();
    for _ in 0..2 {
        let e = client.get::<PrivateDnsZone>(&zone).await.unwrap_err();
        assert_eq!(e.status, Some(404), "{e}");
    }
    // The window is spent for five minutes: the third read is not sent and not slept on.
    let started = Instant::now();
    let e = client.get::<PrivateDnsZone>(&zone).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(e.origin, arm::ErrorOrigin::Pacer);
    match e.class() {
        arm::ErrorClass::Throttled { retry_after } => {
            assert!(retry_after > Duration::from_secs(290), "{retry_after:?}")
        }
        other => panic!("{other:?}"),
    }
    let zone_reads = requests(&emulator)
        .into_iter()
        .filter(|(m, p, _)| m == "GET" && p.ends_with("example.internal"))
        .count();
    assert_eq!(zone_reads, 2);
}

/// A caller that does not sit on ARM's own buckets longer than `max_bucket_wait` gets the wait
/// back as a throttle (code `PacerWait`, nothing sent, not retried in-process), keeping its place
/// in the queue until it would have been sent.
#[tokio::test]
async fn a_bucket_wait_longer_than_the_caller_sits_on_goes_back() {
    // ARM's read bucket as small as the pacer's: its remaining counts agree with the pacer.
    let limits = ThrottleLimits {
        reads: arm_emulator::BucketLimit {
            capacity: 2,
            refill_per_second: 0.2,
        },
        ..ThrottleLimits::unlimited()
    };
    let emulator = start(EmulatorConfig::default().throttle(limits)).await;
    let config = PacerConfig {
        reads: BucketLimits {
            capacity: 2.0,
            refill_per_second: 0.2,
        },
        reserve_fraction: 0.0,
        ..PacerConfig::default()
    };
    let pacer = Arc::new(Pacer::new(config));
    let token = emulator.issue_token(CLIENT);
    let client = builder(&emulator, arm::Credential::static_token(token))
        .retry_policy(RetryPolicy {
            max_bucket_wait: Some(Duration::from_secs(1)),
            ..quick_retries(4)
        })
        .pacer(pacer.clone())
        .build()
        .unwrap();
    let zone = ResourceId::private_dns_zone(SUB, "rg-dns", "bucket.internal").unwrap();
    for _ in 0..2 {
        let e = client.get::<PrivateDnsZone>(&zone).await.unwrap_err();
        assert_eq!(e.status, Some(404), "{e}");
    }
    // The bucket is empty and refills one token in 5 s: handed back at once, twice; the first
    // keeps its place, so the second is told to come back later than the first.
    let mut waits = Vec::new();
    for _ in 0..2 {
        let started = Instant::now();
        let e = client.get::<PrivateDnsZone>(&zone).await.unwrap_err();
        assert!(started.elapsed() < Duration::from_millis(500));
        assert_eq!(e.origin, arm::ErrorOrigin::Pacer);
        assert_eq!(e.code(), arm::PACER_WAIT_CODE);
        match e.class() {
            arm::ErrorClass::Throttled { retry_after } => waits.push(retry_after),
            other => panic!("{other:?}"),
        }
    }
    assert!(
        waits[0] > Duration::from_secs(1) && waits[0] <= Duration::from_secs(6),
        "{waits:?}"
    );
    assert!(
        waits[1] >= waits[0] + Duration::from_secs(4),
        "the second waits behind the first: {waits:?}"
    );
    let sent = requests(&emulator)
        .into_iter()
        .filter(|(m, p, _)| m == "GET" && p.ends_with("bucket.internal"))
        .count();
    assert_eq!(sent, 2, "nothing was sent after the bucket ran dry");
}

/// Inside `priority::ahead` a request is never handed back: it waits for the refill (and not
/// behind the handed-back ones) and is sent.
#[tokio::test]
async fn a_request_ahead_is_paced_not_handed_back() {
    let limits = ThrottleLimits {
        reads: arm_emulator::BucketLimit {
            capacity: 1,
            refill_per_second: 2.0,
        },
        ..ThrottleLimits::unlimited()
    };
    let emulator = start(EmulatorConfig::default().throttle(limits)).await;
    let config = PacerConfig {
        reads: BucketLimits {
            capacity: 1.0,
            refill_per_second: 2.0,
        },
        reserve_fraction: 0.0,
        ..PacerConfig::default()
    };
    let token = emulator.issue_token(CLIENT);
    let client = builder(&emulator, arm::Credential::static_token(token))
        .retry_policy(RetryPolicy {
            max_bucket_wait: Some(Duration::from_millis(100)),
            ..quick_retries(4)
        })
        .pacer(Arc::new(Pacer::new(config)))
        .build()
        .unwrap();
    let zone = ResourceId::private_dns_zone(SUB, "rg-dns", "ahead.internal").unwrap();
    let e = client.get::<PrivateDnsZone>(&zone).await.unwrap_err();
    assert_eq!(e.status, Some(404), "{e}");
    let e = client.get::<PrivateDnsZone>(&zone).await.unwrap_err();
    assert_eq!(e.code(), arm::PACER_WAIT_CODE, "handed back: {e}");
    let e = arm::priority::ahead(client.get::<PrivateDnsZone>(&zone))
        .await
        .unwrap_err();
    assert_eq!(e.status, Some(404), "sent: {e}");
}
