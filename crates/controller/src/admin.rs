//! The admin port: `/metrics` (Prometheus text), `/healthz` (the process makes progress), `/readyz` (a
//! standby waiting for the leader lease, or a controller whose caches are filled).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::metrics::Metrics;

/// What the probes report.
#[derive(Debug)]
pub struct Health {
    caches_ready: AtomicBool,
    standby: AtomicBool,
    origin: Instant,
    running: AtomicU64,
    last_finished_ms: AtomicU64,
    stall_after: Duration,
}

impl Default for Health {
    fn default() -> Self {
        Self::new(crate::run::RECONCILE_TIMEOUT * 2)
    }
}

impl Health {
    /// Probes that call the process stuck when reconciles run but none has finished for
    /// `stall_after` (each reconcile has a deadline well below it).
    pub fn new(stall_after: Duration) -> Self {
        Self {
            caches_ready: AtomicBool::new(false),
            standby: AtomicBool::new(false),
            origin: Instant::now(),
            running: AtomicU64::new(0),
            last_finished_ms: AtomicU64::new(0),
            stall_after,
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// A reconcile starts.
    pub fn reconcile_started(&self) {
        self.running.fetch_add(1, Ordering::Relaxed);
    }

    /// A reconcile ended (whatever its result).
    pub fn reconcile_finished(&self) {
        let _ = self
            .running
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
        self.last_finished_ms
            .store(self.now_ms(), Ordering::Relaxed);
    }

    /// False when reconciles are running and none has finished for longer than the stall
    /// bound: the runtime is wedged, and the liveness probe should restart the process.
    pub fn is_live(&self) -> bool {
        if self.running.load(Ordering::Relaxed) == 0 {
            return true;
        }
        let idle = self
            .now_ms()
            .saturating_sub(self.last_finished_ms.load(Ordering::Relaxed));
        Duration::from_millis(idle) <= self.stall_after
    }

    /// The controllers' caches are filled.
    pub fn set_caches_ready(&self) {
        self.caches_ready.store(true, Ordering::Relaxed);
    }
    /// Waiting for the leader lease (ready: a standby is healthy and serves its probes).
    pub fn set_standby(&self, standby: bool) {
        self.standby.store(standby, Ordering::Relaxed);
    }
    /// True when /readyz answers 200.
    pub fn is_ready(&self) -> bool {
        self.standby.load(Ordering::Relaxed) || self.caches_ready.load(Ordering::Relaxed)
    }
}

/// A reconcile in progress, for [`Health`]: counted from `start` until dropped (a reconcile whose
/// future is dropped mid-way also ends).
pub struct Running<'a>(&'a Health);

impl<'a> Running<'a> {
    /// Counts a reconcile as running.
    pub fn start(health: &'a Health) -> Self {
        health.reconcile_started();
        Self(health)
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.reconcile_finished();
    }
}

#[derive(Clone)]
struct AdminState {
    metrics: Arc<Metrics>,
    health: Arc<Health>,
}

async fn metrics_text(State(state): State<AdminState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.encode(),
    )
}

async fn healthz(State(state): State<AdminState>) -> (StatusCode, &'static str) {
    if state.health.is_live() {
        (StatusCode::OK, "ok")
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "reconciles are running and none has finished within twice their deadline",
        )
    }
}

async fn readyz(State(state): State<AdminState>) -> (StatusCode, &'static str) {
    if state.health.is_ready() {
        (StatusCode::OK, "ok")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "caches not filled yet")
    }
}

/// Serves the admin routes on `listener` until `shutdown`.
pub async fn serve(
    listener: TcpListener,
    metrics: Arc<Metrics>,
    health: Arc<Health>,
    shutdown: CancellationToken,
) {
    let app = Router::new()
        .route("/metrics", get(metrics_text))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(AdminState { metrics, health });
    if let Err(e) = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
    {
        tracing::error!(error = %e, "admin server stopped");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_unless_reconciles_run_and_none_finishes() {
        let health = Health::new(Duration::from_millis(30));
        assert!(health.is_live(), "nothing running");
        health.reconcile_started();
        assert!(health.is_live(), "running, within the bound");
        std::thread::sleep(Duration::from_millis(60));
        assert!(
            !health.is_live(),
            "running, nothing finished for longer than the bound"
        );
        health.reconcile_finished();
        assert!(health.is_live(), "finished");
        health.reconcile_finished();
        assert!(health.is_live(), "an extra finish never underflows");
    }
}
