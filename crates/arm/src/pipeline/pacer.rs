//! The per-subscription pacer: keeps this process under ARM's request limits instead of
//! running into 429s.
//!
//! ARM meters each principal's requests per subscription in token buckets (reads, writes,
//! deletes) and reports what is left in `x-ms-ratelimit-remaining-subscription-{reads,writes,deletes}`.
//! The pacer mirrors each bucket: every request reserves one token before it is sent; when the
//! estimate would fall below a reserve, the request waits for the refill (at the configured
//! rate) instead of being sent. Every answer that carries the header re-syncs the estimate.
//!
//! Invariants:
//! - reservations are granted in order, so concurrent requests queue fairly and each waits for
//!   its own token (the estimate goes negative while requests are queued);
//! - an answer re-syncs only if no later request's answer did already (answers can arrive out of
//!   order), and requests reserved after the answered one are subtracted, because ARM had not
//!   counted them when it computed the header;
//! - the pacer never sleeps itself: [`Pacer::reserve`] returns how long to wait and the caller
//!   sleeps, so the logic is tested with synthetic instants.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Which of ARM's buckets a request draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket {
    /// GET and HEAD.
    Reads,
    /// PUT, PATCH and POST.
    Writes,
    /// DELETE.
    Deletes,
}

impl Bucket {
    /// The bucket an HTTP method draws from.
    pub fn for_method(method: &http::Method) -> Self {
        if method == http::Method::GET || method == http::Method::HEAD {
            Self::Reads
        } else if method == http::Method::DELETE {
            Self::Deletes
        } else {
            Self::Writes
        }
    }

    /// The response header reporting what is left of this bucket.
    pub fn header(self) -> &'static str {
        match self {
            Self::Reads => "x-ms-ratelimit-remaining-subscription-reads",
            Self::Writes => "x-ms-ratelimit-remaining-subscription-writes",
            Self::Deletes => "x-ms-ratelimit-remaining-subscription-deletes",
        }
    }

    /// A stable name for metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reads => "reads",
            Self::Writes => "writes",
            Self::Deletes => "deletes",
        }
    }
}

/// Size and refill rate of one bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BucketLimits {
    /// Tokens when full. The pacer raises it if ARM ever reports more remaining.
    pub capacity: f64,
    /// Tokens added per second.
    pub refill_per_second: f64,
}

/// Pacer settings. The defaults are ARM's published per-principal, per-subscription limits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PacerConfig {
    /// Reads bucket.
    pub reads: BucketLimits,
    /// Writes bucket.
    pub writes: BucketLimits,
    /// Deletes bucket.
    pub deletes: BucketLimits,
    /// Fraction of each bucket kept unused, as a margin for other clients of the same
    /// principal and for answers still in flight.
    pub reserve_fraction: f64,
}

impl Default for PacerConfig {
    fn default() -> Self {
        Self {
            reads: BucketLimits {
                capacity: 250.0,
                refill_per_second: 25.0,
            },
            writes: BucketLimits {
                capacity: 200.0,
                refill_per_second: 10.0,
            },
            deletes: BucketLimits {
                capacity: 200.0,
                refill_per_second: 10.0,
            },
            reserve_fraction: 0.1,
        }
    }
}

impl PacerConfig {
    fn limits(&self, bucket: Bucket) -> BucketLimits {
        match bucket {
            Bucket::Reads => self.reads,
            Bucket::Writes => self.writes,
            Bucket::Deletes => self.deletes,
        }
    }
}

/// Identifies one of ARM's buckets: endpoint, principal, subscription and bucket kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BucketKey {
    /// The ARM endpoint (scheme, host, port): different endpoints have different buckets.
    pub endpoint: String,
    /// The principal (see [`crate::Credential::principal_key`]).
    pub principal: String,
    /// The subscription, lower-cased.
    pub subscription: String,
    /// Which bucket.
    pub bucket: Bucket,
}

/// A reserved token: send the request after `wait`, then report the answer with
/// [`Pacer::observe`].
#[derive(Debug, Clone, PartialEq)]
pub struct Reservation {
    /// The bucket the token came from.
    pub key: BucketKey,
    /// Order of the reservation in its bucket.
    pub seq: u64,
    /// How long to wait before sending.
    pub wait: Duration,
}

#[derive(Debug)]
struct BucketState {
    tokens: f64,
    at: Instant,
    capacity: f64,
    next_seq: u64,
    last_synced_seq: Option<u64>,
}

/// The pacer. Share one per process ([`Pacer::shared`]) so every client's requests count
/// against the same buckets.
#[derive(Debug)]
pub struct Pacer {
    config: PacerConfig,
    buckets: Mutex<HashMap<BucketKey, BucketState>>,
}

impl Pacer {
    /// A pacer with its own buckets.
    pub fn new(config: PacerConfig) -> Self {
        Self {
            config,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// The process-wide pacer with ARM's default limits.
    pub fn shared() -> Arc<Self> {
        static SHARED: OnceLock<Arc<Pacer>> = OnceLock::new();
        SHARED
            .get_or_init(|| Arc::new(Self::new(PacerConfig::default())))
            .clone()
    }

    /// The settings.
    pub fn config(&self) -> &PacerConfig {
        &self.config
    }

    /// Reserves a token from `key`'s bucket at `now` and says how long to wait before sending.
    pub fn reserve(&self, key: BucketKey, now: Instant) -> Reservation {
        let limits = self.config.limits(key.bucket);
        let mut buckets = self.lock();
        let state = buckets.entry(key.clone()).or_insert_with(|| BucketState {
            // Unknown until ARM answers: assume full, the first answer corrects it.
            tokens: limits.capacity,
            at: now,
            capacity: limits.capacity,
            next_seq: 0,
            last_synced_seq: None,
        });
        let rate = limits.refill_per_second.max(f64::MIN_POSITIVE);
        if now > state.at {
            let elapsed = now.duration_since(state.at).as_secs_f64();
            state.tokens = (state.tokens + elapsed * rate).min(state.capacity);
            state.at = now;
        }
        let floor = state.capacity * self.config.reserve_fraction;
        let deficit = floor + 1.0 - state.tokens;
        let wait = if deficit > 0.0 {
            Duration::from_secs_f64(deficit / rate)
        } else {
            Duration::ZERO
        };
        state.tokens -= 1.0;
        let seq = state.next_seq;
        state.next_seq += 1;
        Reservation { key, seq, wait }
    }

    /// Re-syncs the bucket from ARM's `remaining` count in the answer to `reservation`,
    /// received at `now`.
    pub fn observe(&self, reservation: &Reservation, remaining: u64, now: Instant) {
        let mut buckets = self.lock();
        let Some(state) = buckets.get_mut(&reservation.key) else {
            return;
        };
        if state
            .last_synced_seq
            .is_some_and(|last| reservation.seq < last)
        {
            return;
        }
        let remaining = remaining as f64;
        let reserved_after = state.next_seq.saturating_sub(reservation.seq + 1) as f64;
        state.capacity = state.capacity.max(remaining);
        state.tokens = remaining - reserved_after;
        state.at = state.at.max(now);
        state.last_synced_seq = Some(reservation.seq);
    }

    /// Records that ARM answered 429 for `reservation`: its bucket is empty.
    pub fn observe_throttled(&self, reservation: &Reservation, now: Instant) {
        self.observe(reservation, 0, now);
    }

    /// The current estimate of tokens left in `key`'s bucket (negative while requests queue).
    pub fn estimate(&self, key: &BucketKey, now: Instant) -> Option<f64> {
        let limits = self.config.limits(key.bucket);
        let buckets = self.lock();
        let state = buckets.get(key)?;
        let elapsed = now.saturating_duration_since(state.at).as_secs_f64();
        Some((state.tokens + elapsed * limits.refill_per_second).min(state.capacity))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<BucketKey, BucketState>> {
        // A panic while holding the lock leaves plain numbers behind; they are still usable.
        self.buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests;
