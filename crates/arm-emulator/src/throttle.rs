//! ARM-style throttling: one token bucket per principal and request class (reads, writes,
//! deletes). Every answer carries the remaining count of its class; an empty bucket answers 429
//! with `Retry-After` (seconds until one token is back).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use crate::config::{BucketLimit, ThrottleLimits};

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

#[derive(Debug)]
pub(crate) struct Throttle {
    limits: ThrottleLimits,
    buckets: Mutex<HashMap<(String, RequestClass), Bucket>>,
}

impl Throttle {
    pub fn new(limits: ThrottleLimits) -> Self {
        Self {
            limits,
            buckets: Mutex::new(HashMap::new()),
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
