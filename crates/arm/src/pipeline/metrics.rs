//! Request metrics, registered into a prometheus-client registry the caller owns.
//!
//! Series (labels are low-cardinality: resource type, verb, status class, never ids):
//! - `arm_requests_total{resource_type, verb, status_class}`: every attempt sent;
//! - `arm_request_duration_seconds{resource_type, verb, status_class}`: attempt latency;
//! - `arm_retries_total{resource_type, verb, reason}`: attempts repeated after an error;
//! - `arm_pacer_delay_seconds_total{bucket}`: time requests waited in the pacer.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::{Family, MetricConstructor};
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Labels of request series.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct RequestLabels {
    /// ARM resource type, e.g. `Microsoft.MachineLearningServices/workspaces/onlineEndpoints`.
    pub resource_type: String,
    /// HTTP method.
    pub verb: String,
    /// `2xx`, `3xx`, `4xx`, `5xx`, or `error` when there was no answer.
    pub status_class: String,
}

/// Labels of the retry series.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct RetryLabels {
    /// ARM resource type.
    pub resource_type: String,
    /// HTTP method.
    pub verb: String,
    /// The error class that caused the retry.
    pub reason: String,
}

/// Labels of the pacer series.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct BucketLabels {
    /// `reads`, `writes` or `deletes` (ARM's buckets), or the provider limit that delayed the
    /// request (`network-reads`, `network-writes`, `private-dns-reads`, `private-dns-writes`).
    pub bucket: String,
}

#[derive(Debug, Clone)]
struct LatencyBuckets;

impl MetricConstructor<Histogram> for LatencyBuckets {
    fn new_metric(&self) -> Histogram {
        // 5 ms to ~40 s.
        Histogram::new(exponential_buckets(0.005, 2.0, 14))
    }
}

/// The client's metrics. Cloning shares the series.
#[derive(Debug, Clone)]
pub struct ArmMetrics {
    requests: Family<RequestLabels, Counter>,
    latency: Family<RequestLabels, Histogram, LatencyBuckets>,
    retries: Family<RetryLabels, Counter>,
    pacer_delay: Family<BucketLabels, Counter<f64, AtomicU64>>,
    sent: Arc<AtomicU64>,
    retried: Arc<AtomicU64>,
    paced: Arc<AtomicU64>,
    paced_nanos: Arc<AtomicU64>,
}

impl ArmMetrics {
    /// Creates the series and registers them in `registry`.
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self::unregistered();
        registry.register(
            "arm_requests",
            "Requests sent to Azure Resource Manager (every attempt)",
            metrics.requests.clone(),
        );
        registry.register(
            "arm_request_duration_seconds",
            "Latency of requests to Azure Resource Manager",
            metrics.latency.clone(),
        );
        registry.register(
            "arm_retries",
            "Requests to Azure Resource Manager sent again after an error",
            metrics.retries.clone(),
        );
        registry.register(
            "arm_pacer_delay_seconds",
            "Time requests waited to stay under ARM's and the resource providers' request limits",
            metrics.pacer_delay.clone(),
        );
        metrics
    }

    /// Series that are counted but exported nowhere (when the caller has no registry).
    pub fn unregistered() -> Self {
        Self {
            requests: Family::default(),
            latency: Family::new_with_constructor(LatencyBuckets),
            retries: Family::default(),
            pacer_delay: Family::default(),
            sent: Arc::default(),
            retried: Arc::default(),
            paced: Arc::default(),
            paced_nanos: Arc::default(),
        }
    }

    pub(crate) fn record_attempt(&self, labels: &RequestLabels, elapsed: Duration) {
        self.requests.get_or_create(labels).inc();
        self.sent.fetch_add(1, Ordering::Relaxed);
        self.latency
            .get_or_create(labels)
            .observe(elapsed.as_secs_f64());
    }

    pub(crate) fn record_retry(&self, labels: RetryLabels) {
        self.retries.get_or_create(&labels).inc();
        self.retried.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn record_pacer_delay(&self, bucket: &str, waited: Duration) {
        self.pacer_delay
            .get_or_create(&BucketLabels {
                bucket: bucket.to_string(),
            })
            .inc_by(waited.as_secs_f64());
        self.paced.fetch_add(1, Ordering::Relaxed);
        self.paced_nanos.fetch_add(
            u64::try_from(waited.as_nanos()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    /// Attempts sent so far, over every label set.
    pub fn requests_sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// Retries so far, over every label set.
    pub fn retries(&self) -> u64 {
        self.retried.load(Ordering::Relaxed)
    }

    /// Requests the pacer held back so far, and how long in total, over every bucket.
    pub fn pacer_delays(&self) -> (u64, Duration) {
        (
            self.paced.load(Ordering::Relaxed),
            Duration::from_nanos(self.paced_nanos.load(Ordering::Relaxed)),
        )
    }
}

/// `2xx`, `4xx`, ... for a status; `error` when there was none.
pub(crate) fn status_class(status: Option<u16>) -> String {
    match status {
        Some(s) => format!("{}xx", s / 100),
        None => "error".into(),
    }
}
