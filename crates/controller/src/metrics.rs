//! The controller's Prometheus metrics: reconciles by kind and result, reconcile duration, drift
//! corrections, Azure operations in flight, and (registered by the ARM client) ARM requests by
//! verb, resource type and status class.

use std::sync::Arc;
use std::time::Duration;

use arm::ArmMetrics;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReconcileLabels {
    kind: &'static str,
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DriftLabels {
    kind: &'static str,
    field: String,
}

/// The controller's metrics and their registry.
pub struct Metrics {
    registry: Registry,
    reconciles: Family<ReconcileLabels, Counter>,
    duration: Family<KindLabels, Histogram>,
    drift: Family<DriftLabels, Counter>,
    in_flight: Family<KindLabels, Gauge>,
    arm: ArmMetrics,
}

impl Metrics {
    /// Creates and registers every series.
    pub fn new() -> Arc<Self> {
        let mut registry = Registry::with_prefix("aml_operator");
        let reconciles = Family::<ReconcileLabels, Counter>::default();
        registry.register(
            "reconciles",
            "Reconciles by kind and result",
            reconciles.clone(),
        );
        let duration = Family::<KindLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.001, 2.0, 16))
        });
        registry.register(
            "reconcile_duration_seconds",
            "Reconcile duration by kind",
            duration.clone(),
        );
        let drift = Family::<DriftLabels, Counter>::default();
        registry.register(
            "drift_corrections",
            "Differences between Azure and the spec that were corrected",
            drift.clone(),
        );
        let in_flight = Family::<KindLabels, Gauge>::default();
        registry.register(
            "operations_in_flight",
            "Azure long-running operations being polled",
            in_flight.clone(),
        );
        let arm = ArmMetrics::register(&mut registry);
        Arc::new(Self {
            registry,
            reconciles,
            duration,
            drift,
            in_flight,
            arm,
        })
    }

    /// The ARM client's metrics (registered here).
    pub fn arm(&self) -> ArmMetrics {
        self.arm.clone()
    }

    /// Counts a reconcile.
    pub fn reconciled(&self, kind: &'static str, result: &'static str, took: Duration) {
        self.reconciles
            .get_or_create(&ReconcileLabels { kind, result })
            .inc();
        self.duration
            .get_or_create(&KindLabels { kind })
            .observe(took.as_secs_f64());
    }

    /// Counts a corrected drift of `field`.
    pub fn drift_corrected(&self, kind: &'static str, field: &str) {
        self.drift
            .get_or_create(&DriftLabels {
                kind,
                field: field.to_owned(),
            })
            .inc();
    }

    /// Sets the number of operations in flight for `kind`.
    pub fn set_in_flight(&self, kind: &'static str, count: usize) {
        self.in_flight
            .get_or_create(&KindLabels { kind })
            .set(i64::try_from(count).unwrap_or(i64::MAX));
    }

    /// The reconcile count of `kind` with `result`.
    pub fn reconcile_count(&self, kind: &'static str, result: &'static str) -> u64 {
        self.reconciles
            .get_or_create(&ReconcileLabels { kind, result })
            .get()
    }

    /// The text exposition of every metric.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}
