//! The per-subscription pacer: keeps this process under ARM's request limits, and under the
//! limits of the resource providers behind ARM, instead of running into 429s.
//!
//! ARM meters each principal's requests per subscription in token buckets (reads, writes,
//! deletes) and reports what is left in `x-ms-ratelimit-remaining-subscription-{reads,writes,deletes}`.
//! The pacer mirrors each bucket: every request reserves one token before it is sent; when the
//! estimate would fall below a reserve, the request waits for the refill (at the configured
//! rate) instead of being sent. Every answer that carries the header re-syncs the estimate.
//!
//! Requests to Microsoft.Network and to Private DNS also take a slot in a window sized to that
//! provider's own limit ([`provider`]): the request waits for whichever of the two is later.
//!
//! Invariants:
//! - reservations are granted in order, so concurrent requests queue fairly and each waits for
//!   its own token (the estimate goes negative while requests are queued);
//! - an answer re-syncs only if no later request's answer did already (answers can arrive out of
//!   order), and requests reserved after the answered one are subtracted, because ARM had not
//!   counted them when it computed the header;
//! - the pacer never sleeps itself: [`Pacer::reserve`] returns how long to wait and the caller
//!   sleeps, so the logic is tested with synthetic instants.

pub mod provider;

pub use provider::{
    ProviderKey, ProviderLimit, ProviderReservation, RESOURCE_REQUESTS_HEADER, WindowLimits,
};

use provider::WindowState;
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

/// How far above its configured capacity a bucket may grow from ARM's remaining counts.
const MAX_CAPACITY_FACTOR: f64 = 50.0;

/// Pacer settings. The defaults are ARM's published per-principal, per-subscription limits
/// and the provider limits of Microsoft.Network and Private DNS (see [`provider`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PacerConfig {
    /// Reads bucket.
    pub reads: BucketLimits,
    /// Writes bucket.
    pub writes: BucketLimits,
    /// Deletes bucket.
    pub deletes: BucketLimits,
    /// Microsoft.Network reads (10,000 per 5 minutes); `None` does not pace them.
    pub network_reads: Option<WindowLimits>,
    /// Microsoft.Network writes and deletes (1,000 per 5 minutes).
    pub network_writes: Option<WindowLimits>,
    /// Private DNS reads, per action (500 per 5 minutes).
    pub private_dns_reads: Option<WindowLimits>,
    /// Private DNS writes, per action (12,000; the window is not documented, one hour assumed).
    pub private_dns_writes: Option<WindowLimits>,
    /// Fraction of each bucket and window kept unused, as a margin for other clients of the
    /// same principal and for answers still in flight.
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
            network_reads: Some(WindowLimits::per_five_minutes(10_000)),
            network_writes: Some(WindowLimits::per_five_minutes(1_000)),
            private_dns_reads: Some(WindowLimits::per_five_minutes(500)),
            private_dns_writes: Some(WindowLimits {
                limit: 12_000,
                window: Duration::from_secs(3600),
            }),
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

    /// The window of a provider limit; `None` when it is not paced.
    pub fn provider_limits(&self, limit: ProviderLimit) -> Option<WindowLimits> {
        match limit {
            ProviderLimit::NetworkReads => self.network_reads,
            ProviderLimit::NetworkWrites => self.network_writes,
            ProviderLimit::PrivateDnsReads => self.private_dns_reads,
            ProviderLimit::PrivateDnsWrites => self.private_dns_writes,
        }
    }

    /// No provider limits (only ARM's buckets).
    pub fn without_provider_limits(self) -> Self {
        Self {
            network_reads: None,
            network_writes: None,
            private_dns_reads: None,
            private_dns_writes: None,
            ..self
        }
    }

    /// Every provider window `factor` times as long (match an emulator's scaled time).
    pub fn scale_provider_windows(self, factor: f64) -> Self {
        let scale = |w: Option<WindowLimits>| w.map(|w| w.scaled(factor));
        Self {
            network_reads: scale(self.network_reads),
            network_writes: scale(self.network_writes),
            private_dns_reads: scale(self.private_dns_reads),
            private_dns_writes: scale(self.private_dns_writes),
            ..self
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
/// [`Pacer::observe`] (and [`Pacer::observe_provider`]), or give it back with
/// [`Pacer::release`] when the request is not sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Reservation {
    /// The bucket the token came from.
    pub key: BucketKey,
    /// Order of the reservation in its bucket.
    pub seq: u64,
    /// How long to wait before sending: the later of the bucket's and the provider window's.
    pub wait: Duration,
    /// The provider window slot, for requests to a provider with its own limit.
    pub provider: Option<ProviderReservation>,
}

impl Reservation {
    /// The name of what the request waits for, for metrics: the provider limit when its
    /// window is what delays the request, else ARM's bucket.
    pub fn waits_for(&self, now: Instant) -> &'static str {
        match &self.provider {
            Some(p) if p.send_at.saturating_duration_since(now) >= self.wait => {
                p.key.limit.as_str()
            }
            _ => self.key.bucket.as_str(),
        }
    }
}

#[derive(Debug)]
struct BucketState {
    tokens: f64,
    at: Instant,
    capacity: f64,
    next_seq: u64,
    last_synced_seq: Option<u64>,
    /// Tokens of requests handed back unsent ([`Pacer::defer`]), each given back to the
    /// bucket at the time its request would have been sent: until then they keep their place, so
    /// requests coming later wait behind them instead of all coming back at once.
    deferred: Vec<Instant>,
}

/// The most handed-back tokens a bucket keeps apart; past it a token goes back at once.
const MAX_DEFERRED: usize = 100_000;

impl BucketState {
    /// Gives back the deferred tokens whose time has come.
    fn credit_deferred(&mut self, now: Instant) {
        let before = self.deferred.len();
        self.deferred.retain(|at| *at > now);
        let due = before - self.deferred.len();
        if due > 0 {
            self.tokens = (self.tokens + due as f64).min(self.capacity);
        }
    }
}

/// The pacer. Share one per process ([`Pacer::shared`]) so every client's requests count
/// against the same buckets.
#[derive(Debug)]
pub struct Pacer {
    config: PacerConfig,
    buckets: Mutex<HashMap<BucketKey, BucketState>>,
    windows: Mutex<HashMap<ProviderKey, WindowState>>,
}

impl Pacer {
    /// A pacer with its own buckets.
    pub fn new(config: PacerConfig) -> Self {
        Self {
            config,
            buckets: Mutex::new(HashMap::new()),
            windows: Mutex::new(HashMap::new()),
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
        self.reserve_ahead(key, now, false)
    }

    /// [`Self::reserve`]; with `ahead_of_deferred`, the request does not queue behind requests
    /// handed back unsent ([`Self::defer`]): for the few callers whose progress unblocks the
    /// others (a Workspace's own legs, which every endpoint of it waits for).
    pub fn reserve_ahead(
        &self,
        key: BucketKey,
        now: Instant,
        ahead_of_deferred: bool,
    ) -> Reservation {
        let limits = self.config.limits(key.bucket);
        let mut buckets = self.lock();
        let state = buckets.entry(key.clone()).or_insert_with(|| BucketState {
            // Unknown until ARM answers: assume full, the first answer corrects it.
            tokens: limits.capacity,
            at: now,
            capacity: limits.capacity,
            next_seq: 0,
            last_synced_seq: None,
            deferred: Vec::new(),
        });
        let rate = limits.refill_per_second.max(f64::MIN_POSITIVE);
        if now > state.at {
            let elapsed = now.duration_since(state.at).as_secs_f64();
            state.tokens = (state.tokens + elapsed * rate).min(state.capacity);
            state.at = now;
        }
        state.credit_deferred(now);
        // The reserve is a share of the published bucket, not of a capacity learned from ARM's
        // counts, so a large reported count never makes the wait for the reserve long.
        let floor = limits.capacity.min(state.capacity) * self.config.reserve_fraction;
        let parked = if ahead_of_deferred {
            state.deferred.len() as f64
        } else {
            0.0
        };
        let deficit = floor + 1.0 - (state.tokens + parked);
        let wait = if deficit > 0.0 {
            Duration::from_secs_f64(deficit / rate)
        } else {
            Duration::ZERO
        };
        state.tokens -= 1.0;
        let seq = state.next_seq;
        state.next_seq += 1;
        Reservation {
            key,
            seq,
            wait,
            provider: None,
        }
    }

    /// Reserves a token from `key`'s bucket and, when `provider` names a paced provider limit,
    /// a slot in its window; the wait is the later of the two.
    pub fn reserve_request(
        &self,
        key: BucketKey,
        provider: Option<ProviderKey>,
        now: Instant,
    ) -> Reservation {
        self.reserve_request_ahead(key, provider, now, false)
    }

    /// [`Self::reserve_request`], ahead of deferred requests when asked (see
    /// [`Self::reserve_ahead`]).
    pub fn reserve_request_ahead(
        &self,
        key: BucketKey,
        provider: Option<ProviderKey>,
        now: Instant,
        ahead_of_deferred: bool,
    ) -> Reservation {
        let mut reservation = self.reserve_ahead(key, now, ahead_of_deferred);
        let Some(provider) = provider else {
            return reservation;
        };
        let Some(limits) = self.config.provider_limits(provider.limit) else {
            return reservation;
        };
        let send_at = self
            .lock_windows()
            .entry(provider.clone())
            .or_default()
            .reserve(limits, self.config.reserve_fraction, now);
        reservation.wait = reservation.wait.max(send_at.saturating_duration_since(now));
        reservation.provider = Some(ProviderReservation {
            key: provider,
            send_at,
        });
        reservation
    }

    /// For a request handed back unsent because its wait was too long: its bucket token stays
    /// taken until `until` (when it would have been sent), so the caller's place in the queue
    /// is kept and later requests wait behind it; then the token goes back. A provider slot is
    /// given back at once.
    pub fn defer(&self, reservation: &Reservation, until: Instant) {
        if let Some(state) = self.lock().get_mut(&reservation.key) {
            if state.deferred.len() < MAX_DEFERRED {
                state.deferred.push(until);
            } else {
                state.tokens = (state.tokens + 1.0).min(state.capacity);
            }
        }
        if let Some(p) = &reservation.provider
            && let Some(window) = self.lock_windows().get_mut(&p.key)
        {
            window.release(p.send_at);
        }
    }

    /// Gives back what `reservation` took, for a request that is not sent.
    pub fn release(&self, reservation: &Reservation) {
        if let Some(state) = self.lock().get_mut(&reservation.key) {
            state.tokens = (state.tokens + 1.0).min(state.capacity);
        }
        if let Some(p) = &reservation.provider
            && let Some(window) = self.lock_windows().get_mut(&p.key)
        {
            window.release(p.send_at);
        }
    }

    /// Re-syncs a provider window from the provider's `remaining` count in the answer to
    /// `reservation`, received at `now`: requests it counted that this pacer did not send
    /// (another process, the portal) hold slots until they leave the window.
    pub fn observe_provider(
        &self,
        reservation: &ProviderReservation,
        remaining: u64,
        now: Instant,
    ) {
        let Some(limits) = self.config.provider_limits(reservation.key.limit) else {
            return;
        };
        let used = u64::from(limits.limit).saturating_sub(remaining);
        if let Some(window) = self.lock_windows().get_mut(&reservation.key) {
            window.observe_used(limits, used, now);
        }
    }

    /// Records that the provider answered 429 for `reservation`: nothing more goes to that
    /// window before `retry_after` (a whole window when the answer gave none).
    pub fn observe_provider_throttled(
        &self,
        reservation: &ProviderReservation,
        retry_after: Option<Duration>,
        now: Instant,
    ) {
        let Some(limits) = self.config.provider_limits(reservation.key.limit) else {
            return;
        };
        // A provider's window frees within the window itself: a longer (or unreadable)
        // Retry-After cannot shut it for longer, and cannot overflow the clock.
        let wait = retry_after.unwrap_or(limits.window).min(limits.window);
        if let Some(window) = self.lock_windows().get_mut(&reservation.key) {
            window.block_until(now.checked_add(wait).unwrap_or(now));
        }
    }

    /// Requests counted in `key`'s window ending `now`.
    pub fn provider_in_window(&self, key: &ProviderKey, now: Instant) -> Option<usize> {
        let limits = self.config.provider_limits(key.limit)?;
        let windows = self.lock_windows();
        Some(windows.get(key)?.in_window(limits.window, now))
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
        // ARM may report more than the published bucket (regions differ), never without bound:
        // a count past MAX_CAPACITY_FACTOR times the configured capacity is not believed, so one
        // odd header cannot make every later wait enormous.
        let configured = self.config.limits(reservation.key.bucket).capacity;
        let remaining = (remaining as f64).min(configured * MAX_CAPACITY_FACTOR);
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

    fn lock_windows(&self) -> std::sync::MutexGuard<'_, HashMap<ProviderKey, WindowState>> {
        self.windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests;
