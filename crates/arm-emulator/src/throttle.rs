//! ARM-style throttling: one token bucket per principal and request class (reads, writes,
//! deletes). Every answer carries the remaining count of its class; an empty bucket answers 429
//! with `Retry-After` (seconds until one token is back).
//!
//! Behind the buckets, the resource providers' own limits ([`Throttle::draw_provider`]):
//! Microsoft.Network and Private DNS count requests per subscription in sliding windows
//! ("N per 5 minutes"; see [`crate::config::ProviderLimits`] for the numbers and their
//! sources). A full window answers 429 `ResourceRequestsThrottled` with `Retry-After`.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::StatusCode;

use crate::config::{BucketLimit, ThrottleLimits, WindowLimit};
use crate::wire::ArmError;
use crate::wire::path;

/// Which bucket a request draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum RequestClass {
    Reads,
    Writes,
    Deletes,
}

impl RequestClass {
    pub fn of_method(method: &http::Method) -> Self {
        match *method {
            http::Method::GET | http::Method::HEAD | http::Method::OPTIONS => Self::Reads,
            http::Method::DELETE => Self::Deletes,
            _ => Self::Writes,
        }
    }

    /// The remaining-count header of this class.
    pub fn header(self) -> &'static str {
        match self {
            Self::Reads => "x-ms-ratelimit-remaining-subscription-reads",
            Self::Writes => "x-ms-ratelimit-remaining-subscription-writes",
            Self::Deletes => "x-ms-ratelimit-remaining-subscription-deletes",
        }
    }

    /// The newer "global" variant ARM sends alongside.
    pub fn global_header(self) -> &'static str {
        match self {
            Self::Reads => "x-ms-ratelimit-remaining-subscription-global-reads",
            Self::Writes => "x-ms-ratelimit-remaining-subscription-global-writes",
            Self::Deletes => "x-ms-ratelimit-remaining-subscription-global-deletes",
        }
    }
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// Outcome of drawing one token.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Draw {
    /// Allowed; this many tokens remain.
    Allowed { remaining: u64 },
    /// Throttled; retry after this many seconds.
    Throttled { retry_after_secs: u64 },
}

/// The provider limits a request can count against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum ProviderClass {
    NetworkReads,
    NetworkWrites,
    PrivateDnsReads,
    PrivateDnsWrites,
}

/// The header Private DNS answers carry its remaining count in. Microsoft Learn, "Understand how
/// Azure Resource Manager throttles requests", "Remaining requests": "Subscription scoped
/// resource type requests remaining. This header value is only returned if a service has
/// overridden the default limit. Resource Manager adds this value instead of the subscription
/// reads or writes." Recorded Private DNS answers carry it (`499` after a zone GET, `11999`
/// after a zone PUT: azure-sdk-for-java, azure-resourcemanager-privatedns session records);
/// recorded Microsoft.Network answers carry only ARM's `-reads`/`-writes` headers
/// (azure-resourcemanager-network session records), so Network's windows count silently.
pub(crate) const RESOURCE_REQUESTS_HEADER: &str =
    "x-ms-ratelimit-remaining-subscription-resource-requests";

impl ProviderClass {
    /// The limit `method path` counts against and the window's key: the subscription and, for
    /// Private DNS, the action (`Microsoft.Network/privateDnsZones/read`), which is what Azure's
    /// 429 names ("Number of requests for action 'Microsoft.Network/dnsZones/CNAME/read'
    /// exceeded the limit of '500' for time interval '00:05:00'",
    /// hashicorp/terraform-provider-azurerm#14213). Learn says the provider throttles "within
    /// each subscription ... per region of the resource in the request"; the emulator's Network
    /// windows are per subscription (every seeded network lives in one region). Whether the
    /// provider also counts per principal is not stated; the windows are shared by principals.
    pub fn of(method: &http::Method, request_path: &str) -> Option<(Self, String)> {
        let resource_type = path::resource_type_of(request_path);
        let lower = resource_type.to_ascii_lowercase();
        if !lower.starts_with("microsoft.network/") {
            return None;
        }
        let subscription = path::subscription_of(request_path)?.to_ascii_lowercase();
        let read = RequestClass::of_method(method) == RequestClass::Reads;
        let private_dns = lower.starts_with("microsoft.network/privatednszones")
            || lower.starts_with("microsoft.network/privatednsoperation");
        Some(match (private_dns, read) {
            (true, true) => (
                Self::PrivateDnsReads,
                format!("{subscription}|{resource_type}/read"),
            ),
            (true, false) => (
                Self::PrivateDnsWrites,
                format!("{subscription}|{resource_type}/write"),
            ),
            (false, true) => (Self::NetworkReads, subscription),
            (false, false) => (Self::NetworkWrites, subscription),
        })
    }

    fn header(self) -> Option<&'static str> {
        match self {
            Self::PrivateDnsReads | Self::PrivateDnsWrites => Some(RESOURCE_REQUESTS_HEADER),
            Self::NetworkReads | Self::NetworkWrites => None,
        }
    }
}

/// What a provider says about one request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ProviderDraw {
    /// No provider limit applies (another provider, or the limit is switched off).
    Unlimited,
    /// Counted; `header` is the remaining-count header to answer with, if the provider sends one.
    Allowed { header: Option<(&'static str, u64)> },
    /// The window is full: the 429 to answer.
    Throttled(ArmError),
}

/// One provider window: when the requests still counted arrived.
#[derive(Debug, Default)]
struct Window {
    seen: VecDeque<Instant>,
}

#[derive(Debug)]
pub(crate) struct Throttle {
    limits: ThrottleLimits,
    buckets: Mutex<HashMap<(String, RequestClass), Bucket>>,
    windows: Mutex<HashMap<(ProviderClass, String), Window>>,
}

impl Throttle {
    pub fn new(limits: ThrottleLimits) -> Self {
        Self {
            limits,
            buckets: Mutex::new(HashMap::new()),
            windows: Mutex::new(HashMap::new()),
        }
    }

    fn provider_limit(&self, class: ProviderClass) -> Option<WindowLimit> {
        let p = &self.limits.providers;
        match class {
            ProviderClass::NetworkReads => p.network_reads,
            ProviderClass::NetworkWrites => p.network_writes,
            ProviderClass::PrivateDnsReads => p.private_dns_reads,
            ProviderClass::PrivateDnsWrites => p.private_dns_writes,
        }
    }

    /// Counts `method request_path` against its provider's window at `now` (after ARM's bucket
    /// let it through). A request is refused when the window already holds `limit` requests;
    /// `Retry-After` is the time until the oldest of them leaves the window.
    //
    // Wired by the pipeline right after `draw` (see the README, "Provider limits").
    pub fn draw_provider(
        &self,
        method: &http::Method,
        request_path: &str,
        now: Instant,
    ) -> ProviderDraw {
        let Some((class, key)) = ProviderClass::of(method, request_path) else {
            return ProviderDraw::Unlimited;
        };
        let Some(limit) = self.provider_limit(class) else {
            return ProviderDraw::Unlimited;
        };
        let window = Duration::from_secs_f64(limit.window_secs.max(0.0));
        let Ok(mut windows) = self.windows.lock() else {
            return ProviderDraw::Unlimited;
        };
        let w = windows.entry((class, key.clone())).or_default();
        while w
            .seen
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= window)
        {
            w.seen.pop_front();
        }
        let capacity = limit.limit as usize;
        if w.seen.len() >= capacity {
            let frees_at = w.seen.front().map_or(now, |t| *t + window);
            let retry_after_secs =
                (frees_at.saturating_duration_since(now).as_secs_f64().ceil() as u64).max(1);
            let action = key.split_once('|').map_or("", |(_, a)| a);
            let what = if action.is_empty() {
                match class {
                    ProviderClass::NetworkReads => "Microsoft.Network/read",
                    _ => "Microsoft.Network/write",
                }
            } else {
                action
            };
            // The wording of Azure's answer for a DNS read limit (terraform-provider-azurerm
            // #14213). Microsoft.Network's own 429 body is not documented; the same code and
            // wording are used for it.
            let mut e = ArmError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "ResourceRequestsThrottled",
                format!(
                    "Number of requests for action '{what}' exceeded the limit of '{}' for time interval '{}'. Please try again after '{retry_after_secs}' seconds.",
                    limit.limit,
                    interval(window)
                ),
            )
            .with_header("retry-after", retry_after_secs.to_string());
            if let Some(h) = class.header() {
                e = e.with_header(h, "0");
            }
            return ProviderDraw::Throttled(e);
        }
        w.seen.push_back(now);
        let remaining = (capacity - w.seen.len()) as u64;
        ProviderDraw::Allowed {
            header: class.header().map(|h| (h, remaining)),
        }
    }

    fn limit(&self, class: RequestClass) -> BucketLimit {
        match class {
            RequestClass::Reads => self.limits.reads,
            RequestClass::Writes => self.limits.writes,
            RequestClass::Deletes => self.limits.deletes,
        }
    }

    pub fn draw(&self, principal: &str, class: RequestClass, now: Instant) -> Draw {
        let limit = self.limit(class);
        let capacity = f64::from(limit.capacity);
        let Ok(mut buckets) = self.buckets.lock() else {
            return Draw::Allowed { remaining: 0 };
        };
        let bucket = buckets
            .entry((principal.to_string(), class))
            .or_insert(Bucket {
                tokens: capacity,
                last: now,
            });
        let elapsed = now.saturating_duration_since(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * limit.refill_per_second).min(capacity);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Draw::Allowed {
                remaining: bucket.tokens.floor() as u64,
            }
        } else {
            let missing = 1.0 - bucket.tokens;
            let secs = if limit.refill_per_second > 0.0 {
                (missing / limit.refill_per_second).ceil()
            } else {
                60.0
            };
            Draw::Throttled {
                retry_after_secs: (secs as u64).max(1),
            }
        }
    }
}

/// `hh:mm:ss`, as Azure's throttling messages write the interval.
fn interval(d: Duration) -> String {
    let secs = d.as_secs();
    format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bucket_empties_and_refills() {
        let limits = ThrottleLimits {
            writes: BucketLimit {
                capacity: 3,
                refill_per_second: 1.0,
            },
            ..ThrottleLimits::default()
        };
        let t = Throttle::new(limits);
        let now = Instant::now();
        assert_eq!(
            t.draw("p", RequestClass::Writes, now),
            Draw::Allowed { remaining: 2 }
        );
        assert_eq!(
            t.draw("p", RequestClass::Writes, now),
            Draw::Allowed { remaining: 1 }
        );
        assert_eq!(
            t.draw("p", RequestClass::Writes, now),
            Draw::Allowed { remaining: 0 }
        );
        assert_eq!(
            t.draw("p", RequestClass::Writes, now),
            Draw::Throttled {
                retry_after_secs: 1
            }
        );
        // another principal has its own bucket
        assert!(matches!(
            t.draw("q", RequestClass::Writes, now),
            Draw::Allowed { .. }
        ));
        let later = now + Duration::from_millis(1500);
        assert!(matches!(
            t.draw("p", RequestClass::Writes, later),
            Draw::Allowed { .. }
        ));
    }
}

#[cfg(test)]
mod provider_tests {
    use super::*;
    use crate::config::ProviderLimits;

    const ZONE: &str = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-dns/providers/Microsoft.Network/privateDnsZones/privatelink.api.azureml.ms";
    const PE: &str = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-net/providers/Microsoft.Network/privateEndpoints/pe1";

    fn get(t: &Throttle, path: &str, now: Instant) -> ProviderDraw {
        t.draw_provider(&http::Method::GET, path, now)
    }

    #[test]
    fn the_501st_private_dns_read_in_five_minutes_is_429() {
        let t = Throttle::new(ThrottleLimits::default());
        let now = Instant::now();
        for i in 0..500u64 {
            assert_eq!(
                get(&t, ZONE, now + Duration::from_millis(i)),
                ProviderDraw::Allowed {
                    header: Some((RESOURCE_REQUESTS_HEADER, 499 - i))
                }
            );
        }
        let later = now + Duration::from_secs(60);
        let ProviderDraw::Throttled(e) = get(&t, ZONE, later) else {
            panic!("the 501st read within the window was let through");
        };
        assert_eq!(e.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(e.code, "ResourceRequestsThrottled");
        assert!(
            e.message.contains(
                "'Microsoft.Network/privateDnsZones/read' exceeded the limit of '500' for time interval '00:05:00'"
            ),
            "{}",
            e.message
        );
        // The oldest read leaves the window 240 s later.
        assert!(e.headers.contains(&("retry-after", "240".to_string())));
        assert!(
            e.headers
                .contains(&(RESOURCE_REQUESTS_HEADER, "0".to_string()))
        );
        // Another action (the zone's links) and another subscription count on their own.
        assert!(matches!(
            get(&t, &format!("{ZONE}/virtualNetworkLinks/hub"), later),
            ProviderDraw::Allowed { .. }
        ));
        let other_sub = ZONE.replace("11111111-2222", "99999999-2222");
        assert!(matches!(
            get(&t, &other_sub, later),
            ProviderDraw::Allowed { .. }
        ));
        // Five minutes after the first read, its slot is free again.
        assert!(matches!(
            get(&t, ZONE, now + Duration::from_secs(300)),
            ProviderDraw::Allowed { .. }
        ));
    }

    #[test]
    fn network_counts_reads_and_writes_per_subscription_without_a_header() {
        let limits = ThrottleLimits::default().with_providers(ProviderLimits {
            network_writes: Some(WindowLimit {
                limit: 2,
                window_secs: 300.0,
            }),
            ..ProviderLimits::default()
        });
        let t = Throttle::new(limits);
        let now = Instant::now();
        assert_eq!(get(&t, PE, now), ProviderDraw::Allowed { header: None });
        for method in [http::Method::PUT, http::Method::DELETE] {
            assert_eq!(
                t.draw_provider(&method, PE, now),
                ProviderDraw::Allowed { header: None }
            );
        }
        let ProviderDraw::Throttled(e) =
            t.draw_provider(&http::Method::PATCH, &format!("{PE}x"), now)
        else {
            panic!("the third write was let through");
        };
        assert!(
            e.message.contains("'Microsoft.Network/write'"),
            "{}",
            e.message
        );
        // Reads have their own window; other providers have none.
        assert!(matches!(get(&t, PE, now), ProviderDraw::Allowed { .. }));
        assert_eq!(
            get(
                &t,
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w",
                now
            ),
            ProviderDraw::Unlimited
        );
    }

    #[test]
    fn provider_limits_switch_off_and_scale() {
        let now = Instant::now();
        let off = Throttle::new(ThrottleLimits::unlimited());
        assert_eq!(get(&off, ZONE, now), ProviderDraw::Unlimited);
        let off = Throttle::new(ThrottleLimits::default().without_providers());
        assert_eq!(get(&off, ZONE, now), ProviderDraw::Unlimited);
        // A hundred times faster: 500 reads per 3 s.
        let fast = Throttle::new(ThrottleLimits::default().scale_provider_windows(0.01));
        for _ in 0..500 {
            assert!(matches!(
                get(&fast, ZONE, now),
                ProviderDraw::Allowed { .. }
            ));
        }
        let ProviderDraw::Throttled(e) = get(&fast, ZONE, now) else {
            panic!("the 501st read was let through");
        };
        assert!(e.headers.contains(&("retry-after", "3".to_string())));
        assert!(matches!(
            get(&fast, ZONE, now + Duration::from_secs(3)),
            ProviderDraw::Allowed { .. }
        ));
    }
}
