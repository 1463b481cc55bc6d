//! The pacer on a synthetic clock, against a simulated ARM bucket.

use super::*;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

fn key(bucket: Bucket) -> BucketKey {
    BucketKey {
        endpoint: "https://arm".into(),
        principal: "sp:t/c".into(),
        subscription: "sub".into(),
        bucket,
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// ARM's side of one bucket, on the same synthetic clock.
struct ServerBucket {
    tokens: f64,
    capacity: f64,
    rate: f64,
    at: Instant,
}

impl ServerBucket {
    /// Takes a token at `now`; `None` is a 429.
    fn take(&mut self, now: Instant) -> Option<u64> {
        let elapsed = now.duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.capacity);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Some(self.tokens.floor() as u64)
        } else {
            None
        }
    }
}

struct Outcome {
    throttled: u32,
    finished_after: Duration,
    max_wait: Duration,
}

/// `requests` writes from `workers` concurrent callers, each request taking `latency` on the
/// wire (half there, half back), against a server bucket of `capacity` refilled at `rate`.
fn simulate(requests: u32, workers: u32, capacity: f64, rate: f64, latency: Duration) -> Outcome {
    let pacer = Pacer::new(PacerConfig {
        writes: BucketLimits {
            capacity,
            refill_per_second: rate,
        },
        ..PacerConfig::default()
    });
    let t0 = Instant::now();
    let mut server = ServerBucket {
        tokens: capacity,
        capacity,
        rate,
        at: t0,
    };
    // Events: (time, worker). A worker whose event fires reserves and sends its next request.
    let mut ready: BinaryHeap<Reverse<(Duration, u32)>> =
        (0..workers).map(|w| Reverse((Duration::ZERO, w))).collect();
    // Answers on their way back: (arrival, seq, remaining or None for 429, worker, reservation)
    let mut answers: Vec<(Duration, Option<u64>, u32, Reservation)> = Vec::new();
    let (mut sent, mut throttled, mut done) = (0, 0, 0);
    let mut max_wait = Duration::ZERO;
    let mut last = Duration::ZERO;
    while done < requests {
        // Deliver every answer due before the next worker wakes.
        answers.sort_by_key(|a| Reverse(a.0));
        let next_ready = ready.peek().map(|Reverse((t, _))| *t);
        if let Some((t, remaining, worker, reservation)) = answers.last().cloned()
            && next_ready.is_none_or(|n| t <= n)
        {
            answers.pop();
            match remaining {
                Some(r) => pacer.observe(&reservation, r, t0 + t),
                None => {
                    throttled += 1;
                    pacer.observe_throttled(&reservation, t0 + t);
                }
            }
            done += 1;
            last = t;
            ready.push(Reverse((t, worker)));
            continue;
        }
        let Some(Reverse((t, worker))) = ready.pop() else {
            break;
        };
        if sent == requests {
            continue;
        }
        sent += 1;
        let reservation = pacer.reserve(key(Bucket::Writes), t0 + t);
        max_wait = max_wait.max(reservation.wait);
        let at_server = t + reservation.wait + latency / 2;
        let remaining = server.take(t0 + at_server);
        answers.push((at_server + latency / 2, remaining, worker, reservation));
    }
    Outcome {
        throttled,
        finished_after: last,
        max_wait,
    }
}

#[test]
fn a_thousand_writes_against_200_at_10_per_second_get_no_429() {
    let out = simulate(1000, 32, 200.0, 10.0, ms(40));
    assert_eq!(out.throttled, 0);
    // 180 tokens above the 10% reserve go at once; the other 820 at the refill rate.
    let ideal = 820.0 / 10.0;
    let took = out.finished_after.as_secs_f64();
    assert!(
        took >= ideal - 1.0,
        "took {took}s, faster than the bucket allows"
    );
    assert!(
        took <= ideal * 1.1 + 1.0,
        "took {took}s, far slower than the refill rate"
    );
    assert!(out.max_wait > Duration::ZERO);
}

#[test]
fn without_room_to_spare_a_single_caller_is_paced_too() {
    let out = simulate(300, 1, 50.0, 5.0, ms(200));
    assert_eq!(out.throttled, 0);
}

#[test]
fn reservations_queue_in_order() {
    let pacer = Pacer::new(PacerConfig {
        writes: BucketLimits {
            capacity: 10.0,
            refill_per_second: 2.0,
        },
        reserve_fraction: 0.0,
        ..PacerConfig::default()
    });
    let now = Instant::now();
    let waits: Vec<Duration> = (0..14)
        .map(|_| pacer.reserve(key(Bucket::Writes), now).wait)
        .collect();
    // Ten tokens go at once; then one every half second, each caller behind the one before.
    assert!(waits[..10].iter().all(Duration::is_zero), "{waits:?}");
    for (i, w) in waits[10..].iter().enumerate() {
        let expected = 0.5 * (i as f64 + 1.0);
        assert!((w.as_secs_f64() - expected).abs() < 1e-6, "{waits:?}");
    }
}

#[test]
fn an_answer_resyncs_and_subtracts_requests_sent_after_it() {
    let pacer = Pacer::new(PacerConfig::default());
    let now = Instant::now();
    let first = pacer.reserve(key(Bucket::Writes), now);
    let _second = pacer.reserve(key(Bucket::Writes), now);
    let _third = pacer.reserve(key(Bucket::Writes), now);
    // Someone else used most of the bucket: ARM says 40 left after the first request.
    pacer.observe(&first, 40, now);
    let estimate = pacer.estimate(&key(Bucket::Writes), now).unwrap();
    assert!((estimate - 38.0).abs() < 1e-9, "{estimate}");
}

#[test]
fn an_older_answer_arriving_late_is_ignored() {
    let pacer = Pacer::new(PacerConfig::default());
    let now = Instant::now();
    let first = pacer.reserve(key(Bucket::Writes), now);
    let second = pacer.reserve(key(Bucket::Writes), now);
    pacer.observe(&second, 100, now);
    pacer.observe(&first, 5, now);
    let estimate = pacer.estimate(&key(Bucket::Writes), now).unwrap();
    assert!((estimate - 100.0).abs() < 1e-9, "{estimate}");
}

#[test]
fn a_429_empties_the_bucket_and_later_requests_wait_for_refill() {
    let pacer = Pacer::new(PacerConfig::default());
    let now = Instant::now();
    let r = pacer.reserve(key(Bucket::Deletes), now);
    pacer.observe_throttled(&r, now);
    let next = pacer.reserve(key(Bucket::Deletes), now);
    // Reserve of 20 tokens plus this one, at 10 per second.
    assert!(
        (next.wait.as_secs_f64() - 2.1).abs() < 1e-6,
        "{:?}",
        next.wait
    );
}

#[test]
fn buckets_are_separate_per_kind_subscription_and_principal() {
    let pacer = Pacer::new(PacerConfig::default());
    let now = Instant::now();
    let r = pacer.reserve(key(Bucket::Writes), now);
    pacer.observe(&r, 0, now);
    assert!(!pacer.reserve(key(Bucket::Writes), now).wait.is_zero());
    assert!(pacer.reserve(key(Bucket::Reads), now).wait.is_zero());
    let mut other_sub = key(Bucket::Writes);
    other_sub.subscription = "other".into();
    assert!(pacer.reserve(other_sub, now).wait.is_zero());
    let mut other_principal = key(Bucket::Writes);
    other_principal.principal = "sp:t/other".into();
    assert!(pacer.reserve(other_principal, now).wait.is_zero());
}

#[test]
fn methods_map_to_arm_buckets() {
    assert_eq!(Bucket::for_method(&http::Method::GET), Bucket::Reads);
    assert_eq!(Bucket::for_method(&http::Method::PUT), Bucket::Writes);
    assert_eq!(Bucket::for_method(&http::Method::PATCH), Bucket::Writes);
    assert_eq!(Bucket::for_method(&http::Method::POST), Bucket::Writes);
    assert_eq!(Bucket::for_method(&http::Method::DELETE), Bucket::Deletes);
    assert_eq!(
        Bucket::Writes.header(),
        "x-ms-ratelimit-remaining-subscription-writes"
    );
}

fn dns_key(action: &str) -> ProviderKey {
    ProviderKey {
        endpoint: "https://arm".into(),
        subscription: "sub".into(),
        limit: ProviderLimit::PrivateDnsReads,
        scope: action.into(),
    }
}

/// A provider's side of one window: at most `limit` requests in any `window`.
struct ServerWindow {
    limit: usize,
    window: Duration,
    seen: std::collections::VecDeque<Instant>,
}

impl ServerWindow {
    /// Counts a request arriving at `now`; `None` is a 429, else the remaining count.
    fn take(&mut self, now: Instant) -> Option<u64> {
        while self
            .seen
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            self.seen.pop_front();
        }
        if self.seen.len() >= self.limit {
            return None;
        }
        self.seen.push_back(now);
        Some((self.limit - self.seen.len()) as u64)
    }
}

#[test]
fn requests_map_to_provider_limits_and_scopes() {
    let get = http::Method::GET;
    let zone = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/privatelink.api.azureml.ms";
    assert_eq!(
        ProviderLimit::for_request(&get, zone),
        Some((
            ProviderLimit::PrivateDnsReads,
            "microsoft.network/privatednszones/read".into()
        ))
    );
    assert_eq!(
        ProviderLimit::for_request(&get, &format!("{zone}/virtualNetworkLinks/hub")),
        Some((
            ProviderLimit::PrivateDnsReads,
            "microsoft.network/privatednszones/virtualnetworklinks/read".into()
        ))
    );
    assert_eq!(
        ProviderLimit::for_request(&http::Method::PUT, &format!("{zone}/A/ws")),
        Some((
            ProviderLimit::PrivateDnsWrites,
            "microsoft.network/privatednszones/a/write".into()
        ))
    );
    // A list is counted under its items' type; case does not matter.
    assert_eq!(
        ProviderLimit::for_request(
            &get,
            "/subscriptions/s/providers/microsoft.network/PRIVATEDNSZONES"
        ),
        Some((
            ProviderLimit::PrivateDnsReads,
            "microsoft.network/privatednszones/read".into()
        ))
    );
    assert_eq!(
        ProviderLimit::for_request(
            &get,
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/privateDnsOperationStatuses/op1"
        )
        .map(|(l, _)| l),
        Some(ProviderLimit::PrivateDnsReads)
    );
    let pe = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/privateEndpoints/pe1";
    assert_eq!(
        ProviderLimit::for_request(&get, pe),
        Some((ProviderLimit::NetworkReads, String::new()))
    );
    assert_eq!(
        ProviderLimit::for_request(&http::Method::DELETE, pe),
        Some((ProviderLimit::NetworkWrites, String::new()))
    );
    assert_eq!(
        ProviderLimit::for_request(
            &get,
            "/subscriptions/s/providers/Microsoft.Network/locations/westeurope/operations/op1"
        )
        .map(|(l, _)| l),
        Some(ProviderLimit::NetworkReads)
    );
    assert_eq!(
        ProviderLimit::for_request(
            &get,
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w"
        ),
        None
    );
    assert_eq!(
        ProviderLimit::PrivateDnsReads.header(),
        Some("x-ms-ratelimit-remaining-subscription-resource-requests")
    );
    assert_eq!(ProviderLimit::NetworkReads.header(), None);
}

#[test]
fn a_window_lets_the_usable_share_through_then_waits_for_the_oldest_to_leave() {
    let pacer = Pacer::new(PacerConfig::default());
    let now = Instant::now();
    let reserve = |at| {
        pacer.reserve_request(
            BucketKey {
                bucket: Bucket::Reads,
                ..key(Bucket::Reads)
            },
            Some(dns_key("microsoft.network/privatednszones/read")),
            at,
        )
    };
    // ARM's read bucket is the tighter one for the first 225 (250 less its 10 %), so look at
    // the provider's slot, not the total wait.
    let slots: Vec<Instant> = (0..460)
        .map(|_| reserve(now).provider.unwrap().send_at)
        .collect();
    // 500 less the 10 % reserve go now; the 451st waits until the first leaves the window.
    assert!(slots[..450].iter().all(|t| *t == now));
    assert_eq!(slots[450], now + Duration::from_secs(300));
    let r = reserve(now);
    assert_eq!(r.waits_for(now), "private-dns-reads");
    assert!(r.wait >= Duration::from_secs(300));
    // Another action has a window of its own.
    let other = pacer.reserve_request(
        key(Bucket::Reads),
        Some(dns_key(
            "microsoft.network/privatednszones/virtualnetworklinks/read",
        )),
        now,
    );
    assert_eq!(other.provider.unwrap().send_at, now);
}

#[test]
fn a_released_slot_is_given_to_the_next_request() {
    let pacer = Pacer::new(PacerConfig {
        private_dns_reads: Some(WindowLimits {
            limit: 2,
            window: Duration::from_secs(10),
        }),
        reserve_fraction: 0.0,
        ..PacerConfig::default()
    });
    let now = Instant::now();
    let k = dns_key("a/read");
    let first = pacer.reserve_request(key(Bucket::Reads), Some(k.clone()), now);
    let _second = pacer.reserve_request(key(Bucket::Reads), Some(k.clone()), now);
    let third = pacer.reserve_request(key(Bucket::Reads), Some(k.clone()), now);
    assert_eq!(third.wait, Duration::from_secs(10));
    pacer.release(&third);
    pacer.release(&first);
    assert_eq!(pacer.provider_in_window(&k, now), Some(1));
    let again = pacer.reserve_request(key(Bucket::Reads), Some(k), now);
    assert!(again.wait.is_zero(), "{:?}", again.wait);
}

#[test]
fn requests_the_pacer_did_not_send_hold_slots_after_a_resync() {
    let pacer = Pacer::new(PacerConfig::default());
    let now = Instant::now();
    let k = dns_key("a/read");
    let r = pacer.reserve_request(key(Bucket::Reads), Some(k.clone()), now);
    // The provider counted 480 of 500: 479 came from elsewhere.
    pacer.observe_provider(r.provider.as_ref().unwrap(), 20, now);
    assert_eq!(pacer.provider_in_window(&k, now), Some(480));
    let next = pacer.reserve_request(key(Bucket::Reads), Some(k), now);
    assert_eq!(next.wait, Duration::from_secs(300));
}

#[test]
fn a_provider_429_blocks_its_window_for_retry_after() {
    let pacer = Pacer::new(PacerConfig::default());
    let now = Instant::now();
    let k = dns_key("a/read");
    let r = pacer.reserve_request(key(Bucket::Reads), Some(k.clone()), now);
    pacer.observe_provider_throttled(
        r.provider.as_ref().unwrap(),
        Some(Duration::from_secs(7)),
        now,
    );
    let next = pacer.reserve_request(key(Bucket::Reads), Some(k), now);
    assert_eq!(next.wait, Duration::from_secs(7));
    // ARM's own bucket was not emptied by the provider's refusal.
    assert!(pacer.estimate(&key(Bucket::Reads), now).unwrap() > 200.0);
}

/// `requests` reads from `workers` callers against a provider window of `limit` per `window`,
/// ARM's buckets out of the way; returns the 429s and when the last answer came.
fn simulate_window(
    requests: u32,
    workers: u32,
    limit: u32,
    window: Duration,
    latency: Duration,
) -> (u32, Duration) {
    let pacer = Pacer::new(PacerConfig {
        reads: BucketLimits {
            capacity: 1e9,
            refill_per_second: 1e9,
        },
        private_dns_reads: Some(WindowLimits { limit, window }),
        ..PacerConfig::default()
    });
    let t0 = Instant::now();
    let mut server = ServerWindow {
        limit: limit as usize,
        window,
        seen: std::collections::VecDeque::new(),
    };
    let k = dns_key("a/read");
    let mut ready: BinaryHeap<Reverse<(Duration, u32)>> =
        (0..workers).map(|w| Reverse((Duration::ZERO, w))).collect();
    let mut answers: Vec<(Duration, Option<u64>, u32, Reservation)> = Vec::new();
    let (mut sent, mut throttled, mut done) = (0, 0, 0);
    let mut last = Duration::ZERO;
    while done < requests {
        answers.sort_by_key(|a| Reverse(a.0));
        let next_ready = ready.peek().map(|Reverse((t, _))| *t);
        if let Some((t, remaining, worker, reservation)) = answers.last().cloned()
            && next_ready.is_none_or(|n| t <= n)
        {
            answers.pop();
            let p = reservation.provider.as_ref().unwrap();
            match remaining {
                Some(r) => pacer.observe_provider(p, r, t0 + t),
                None => {
                    throttled += 1;
                    pacer.observe_provider_throttled(p, None, t0 + t);
                }
            }
            done += 1;
            last = t;
            ready.push(Reverse((t, worker)));
            continue;
        }
        let Some(Reverse((t, worker))) = ready.pop() else {
            break;
        };
        if sent == requests {
            continue;
        }
        sent += 1;
        let reservation = pacer.reserve_request(key(Bucket::Reads), Some(k.clone()), t0 + t);
        let at_server = t + reservation.wait + latency / 2;
        let remaining = server.take(t0 + at_server);
        answers.push((at_server + latency / 2, remaining, worker, reservation));
    }
    (throttled, last)
}

#[test]
fn two_thousand_dns_reads_against_500_per_5_minutes_get_no_429() {
    let (throttled, took) = simulate_window(2000, 32, 500, Duration::from_secs(300), ms(40));
    assert_eq!(throttled, 0);
    // 450 a window: the 2,000th read goes in the fifth window, after 4 × 300 s.
    let took = took.as_secs_f64();
    assert!((1200.0..1210.0).contains(&took), "took {took}s");
}

#[test]
fn provider_limits_are_on_by_default_and_can_be_scaled_or_dropped() {
    let config = PacerConfig::default();
    assert_eq!(
        config.private_dns_reads,
        Some(WindowLimits::per_five_minutes(500))
    );
    assert_eq!(
        config.network_reads,
        Some(WindowLimits::per_five_minutes(10_000))
    );
    assert_eq!(
        config.network_writes,
        Some(WindowLimits::per_five_minutes(1_000))
    );
    let fast = config.scale_provider_windows(0.01);
    assert_eq!(
        fast.private_dns_reads.unwrap().window,
        Duration::from_secs(3)
    );
    assert_eq!(config.without_provider_limits().network_reads, None);
}

#[test]
fn a_deferred_token_keeps_its_place_until_it_would_have_been_sent() {
    let pacer = Pacer::new(PacerConfig {
        reads: BucketLimits {
            capacity: 1.0,
            refill_per_second: 1.0,
        },
        reserve_fraction: 0.0,
        ..PacerConfig::default()
    });
    let t0 = Instant::now();
    let first = pacer.reserve(key(Bucket::Reads), t0);
    assert_eq!(first.wait, Duration::ZERO);
    // The bucket is empty: the next waits 1 s; handed back, it keeps its token until then.
    let second = pacer.reserve(key(Bucket::Reads), t0);
    assert_eq!(second.wait, ms(1000));
    pacer.defer(&second, t0 + second.wait);
    let third = pacer.reserve(key(Bucket::Reads), t0);
    assert_eq!(third.wait, ms(2000), "behind the deferred one");
    pacer.release(&third);
    // At 1 s the deferred token comes back with the refill: the returning caller goes at once.
    let back = pacer.reserve(key(Bucket::Reads), t0 + ms(1000));
    assert_eq!(back.wait, Duration::ZERO);
    // A released token, by contrast, is back at once.
    let fourth = pacer.reserve(key(Bucket::Reads), t0 + ms(1000));
    assert_eq!(fourth.wait, ms(1000));
}

#[test]
fn a_request_ahead_of_deferred_ones_does_not_queue_behind_them() {
    let pacer = Pacer::new(PacerConfig {
        reads: BucketLimits {
            capacity: 1.0,
            refill_per_second: 1.0,
        },
        reserve_fraction: 0.0,
        ..PacerConfig::default()
    });
    let t0 = Instant::now();
    assert_eq!(pacer.reserve(key(Bucket::Reads), t0).wait, Duration::ZERO);
    for _ in 0..10 {
        let r = pacer.reserve(key(Bucket::Reads), t0);
        pacer.defer(&r, t0 + r.wait);
    }
    // Ten handed back: a plain request waits behind them, one ahead only for the refill.
    let plain = pacer.reserve(key(Bucket::Reads), t0);
    assert_eq!(plain.wait, ms(11_000));
    pacer.release(&plain);
    let ahead = pacer.reserve_ahead(key(Bucket::Reads), t0, true);
    assert_eq!(ahead.wait, ms(1000));
}
