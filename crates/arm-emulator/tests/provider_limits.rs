//! Resource-provider limits over HTTP: Private DNS allows 500 reads per 5 minutes per action
//! (Microsoft Learn, "Understand how Azure Resource Manager throttles requests", "Network
//! throttling"); the 501st read in the window is 429 `ResourceRequestsThrottled`.
//!
//! The limit itself is `Throttle::draw_provider` (unit-tested in `src/throttle.rs`); the ARM
//! pipeline (`src/http/pipeline.rs`) draws from it after ARM's own buckets.
#![allow(clippy::unwrap_used)]

mod common;

use arm_emulator::{EmulatorConfig, ThrottleLimits};
use common::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn the_501st_private_dns_read_in_the_window_is_429() {
    // Azure's counts on a clock ten times faster: 500 reads per 30 s; ARM's buckets open.
    let limits =
        ThrottleLimits::unlimited().with_providers(ThrottleLimits::default().providers.scaled(0.1));
    let h = Harness::with(EmulatorConfig::default().throttle(limits)).await;
    let zone = zone_id("privatelink.api.azureml.ms");
    let r = h.put(&zone, DNS, &json!({"location": "global"})).await;
    assert!(r.status.is_success(), "{:?}", r.body);
    h.finish(&r).await;
    // Following the PUT polled privateDnsOperationStatuses, another action: no zone read yet.
    let mut statuses = Vec::new();
    for _ in 0..501 {
        statuses.push(h.get(&zone, DNS).await);
    }
    let throttled: Vec<usize> = statuses
        .iter()
        .enumerate()
        .filter(|(_, r)| r.status == StatusCode::TOO_MANY_REQUESTS)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(throttled, vec![500]);
    let reply = &statuses[500];
    assert_eq!(reply.code(), "ResourceRequestsThrottled");
    assert!(reply.header("retry-after").is_some());
    assert_eq!(
        reply
            .header("x-ms-ratelimit-remaining-subscription-resource-requests")
            .as_deref(),
        Some("0")
    );
    assert_eq!(
        statuses[0]
            .header("x-ms-ratelimit-remaining-subscription-resource-requests")
            .as_deref(),
        Some("499")
    );
}
