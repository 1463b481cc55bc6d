//! What every request handler and background loop shares: the state behind its lock, the
//! configuration, the fault script, and the signals that wake the background controllers and
//! stop everything.

use std::sync::{Mutex, MutexGuard};

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::config::KubeEmulatorConfig;
use crate::faults::Faults;
use crate::store::State;

pub(crate) struct Shared {
    state: Mutex<State>,
    pub config: KubeEmulatorConfig,
    pub faults: Faults,
    /// Every resource request, in RBAC terms.
    pub audit: crate::audit::AuditLog,
    /// Wakes the garbage collector and namespace/CRD finalizers.
    pub work: Notify,
    pub shutdown: CancellationToken,
    /// `127.0.0.1:PORT`, for discovery's serverAddressByClientCIDRs.
    pub address: String,
}

impl Shared {
    pub fn new(config: KubeEmulatorConfig, address: String) -> Self {
        let (events, _) = tokio::sync::broadcast::channel(16_384);
        Self {
            state: Mutex::new(State::new(config.watch_history, events)),
            config,
            faults: Faults::default(),
            audit: crate::audit::AuditLog::default(),
            work: Notify::new(),
            shutdown: CancellationToken::new(),
            address,
        }
    }

    /// The state; a panicked holder cannot leave it half-written (every write is one `put`),
    /// so a poisoned lock is taken over.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}
