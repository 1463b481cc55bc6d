//! When a failed request is sent again, and after how long.
//!
//! Rules: a 429 waits what ARM's `Retry-After` says (any method: ARM rejected the request
//! without acting on it), unless that is longer than `max_throttle_wait`, in which case the
//! error goes back to the caller to requeue. 5xx answers, timeouts and dropped connections are
//! retried only for idempotent requests (GET, PUT, DELETE, and read-only POSTs such as
//! `listKeys`), with exponential backoff and full jitter: the wait is drawn uniformly from
//! `[0, min(max_delay, base_delay * 2^n)]`, so many clients failing together do not retry
//! together. A connection that was never established is safe to retry for any method.
//! Attempts are bounded by `max_retries`; when they run out the last error is returned.

use crate::error::{ArmError, ErrorClass, ErrorOrigin};
use rand::Rng;
use std::time::Duration;

/// The retry policy of a client.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: usize,
    /// Backoff of the first retry (before jitter).
    pub base_delay: Duration,
    /// Longest backoff (before jitter).
    pub max_delay: Duration,
    /// Longest `Retry-After` waited in-process; longer ones are returned to the caller.
    pub max_throttle_wait: Duration,
    /// Longest wait for a token of ARM's own buckets slept in-process; a longer one goes back to
    /// the caller as a throttle to requeue on, so a worker (and any lock it holds) is not held
    /// while the bucket refills. `None`: always sleep (tools and tests).
    pub max_bucket_wait: Option<Duration>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 4,
            base_delay: Duration::from_millis(800),
            max_delay: Duration::from_secs(30),
            max_throttle_wait: Duration::from_secs(60),
            max_bucket_wait: None,
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// The exponential schedule (without jitter) bounded by `max_retries`.
    pub fn backoff(&self) -> backon::ExponentialBuilder {
        backon::ExponentialBuilder::default()
            .with_min_delay(self.base_delay)
            .with_max_delay(self.max_delay)
            .with_factor(2.0)
            .with_max_times(self.max_retries)
    }

    /// Whether `err` from a request that is (or is not) idempotent may be sent again.
    pub fn should_retry(&self, err: &ArmError, idempotent: bool) -> bool {
        // The pacer handed the request back instead of waiting: waiting here would undo that.
        if err.origin == ErrorOrigin::Pacer {
            return false;
        }
        match err.class() {
            ErrorClass::Throttled { retry_after } => retry_after <= self.max_throttle_wait,
            ErrorClass::Transient => {
                idempotent || (err.origin == ErrorOrigin::Transport && never_sent(err))
            }
            ErrorClass::Conflict | ErrorClass::NotFound | ErrorClass::Terminal => false,
        }
    }

    /// The wait before the next attempt: ARM's `Retry-After` for a 429, else full jitter over
    /// the exponential schedule's `backoff`.
    pub fn delay(&self, err: &ArmError, backoff: Duration) -> Duration {
        match err.class() {
            ErrorClass::Throttled { retry_after } => retry_after,
            _ => full_jitter(backoff),
        }
    }
}

/// A duration drawn uniformly from `[0, cap]`.
pub fn full_jitter(cap: Duration) -> Duration {
    if cap.is_zero() {
        return cap;
    }
    let nanos = u64::try_from(cap.as_nanos()).unwrap_or(u64::MAX);
    Duration::from_nanos(rand::rng().random_range(0..=nanos))
}

/// Whether a transport error happened before the request left (connect failure).
fn never_sent(err: &ArmError) -> bool {
    err.source
        .as_deref()
        .and_then(|s| s.downcast_ref::<reqwest::Error>())
        .is_some_and(reqwest::Error::is_connect)
}
