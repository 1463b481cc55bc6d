//! The state shared by every request: the world, journal, throttle buckets, fault rules and
//! identities, plus the emulator's own base URL.

use std::sync::{Arc, Mutex, MutexGuard};

use crate::auth::Auth;
use crate::config::EmulatorConfig;
use crate::faults::FaultSet;
use crate::journal::Journal;
use crate::throttle::Throttle;
use crate::world::World;

#[derive(Debug)]
pub(crate) struct AppState {
    pub config: Arc<EmulatorConfig>,
    pub world: Mutex<World>,
    pub journal: Arc<Journal>,
    pub throttle: Throttle,
    pub faults: FaultSet,
    pub auth: Auth,
    /// `https://127.0.0.1:PORT` (or http).
    pub base_url: String,
}

impl AppState {
    /// Lock the world. A panic while holding the lock cannot leave it half-updated in a way
    /// that matters more than losing the emulator, so a poisoned lock is simply taken over.
    pub fn world(&self) -> MutexGuard<'_, World> {
        self.world
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

pub(crate) type SharedState = Arc<AppState>;
