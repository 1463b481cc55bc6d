//! `arm-emulator`: a stateful, faithful stand-in for Azure Resource Manager on loopback, for
//! tests and the sandbox.
//!
//! It serves the resource types aml-operator drives — Azure ML workspaces (+ private endpoint
//! connections, private link resources, managed network), online endpoints (+ keys, token),
//! online deployments (+ logs, skus), Network private endpoints (+ DNS zone groups), private DNS
//! zones (+ VNet links, A records) — with ARM's wire contract: long-running operations (201/202,
//! `Azure-AsyncOperation`/`Location`, `Retry-After`, operation status bodies), ARM error bodies,
//! api-version checks, throttling headers and 429s, the services' validation rules, and an
//! Entra-ID-like token endpoint that azure_identity's real credentials work against over TLS.
//! Fault injection, portal drift and a journal of every request and state change make the
//! controller's invariants checkable.
//!
//! ```no_run
//! # async fn demo() -> Result<(), arm_emulator::Error> {
//! use arm_emulator::{Emulator, EmulatorConfig, Seed};
//! let emulator = Emulator::start(EmulatorConfig::default().seed(Seed::sandbox()?)).await?;
//! let token = emulator.issue_token("0c0c0c0c-0000-4000-8000-000000000001");
//! println!("{} {:?} {}", emulator.base_url(), emulator.ca_pem_path(), token.len());
//! emulator.shutdown().await;
//! # Ok(()) }
//! ```

#![cfg_attr(test, allow(clippy::unwrap_used))] // tests may unwrap

mod admin;
mod auth;
mod config;
mod error;
mod faults;
mod http;
mod journal;
mod seed;
mod server;
mod state;
mod throttle;
mod tls;
mod wire;
mod world;

pub use admin::Admin;
pub use config::{BucketLimit, EmulatorConfig, LroDurations, OperationKind, ThrottleLimits};
pub use error::Error;
pub use faults::{Fault, FaultPlan, FaultRule};
pub use journal::{JournalEntry, RequestRecord, StateChange};
pub use seed::{
    FederatedCredentialSeed, ManagedNetworkSeed, PrincipalSeed, PrivateEndpointSeed,
    ResourceGroupSeed, Seed, SubnetSeed, SubscriptionSeed, VirtualNetworkSeed, WorkspaceSeed,
};
pub use server::Emulator;
pub use world::Drift;
