//! `kube-emulator`: a stateful stand-in for a Kubernetes API server on loopback, for tests and the
//! sandbox (dev-only; never shipped).
//!
//! It serves the REST semantics a controller and `kubectl` depend on — discovery, CRUD with
//! `resourceVersion` conflicts, `generation`, the status subresource, finalizers, merge/JSON/apply
//! patches, watches with bookmarks and 410, selectors, paging, garbage collection, Table output —
//! for core Namespaces, Secrets, ConfigMaps and Events, events.k8s.io Events, coordination Leases,
//! CustomResourceDefinitions and every custom resource a CRD defines. Custom resources pass the
//! same admission chain as on a real apiserver (see [`admission`]).
//!
//! Invariants: one global `resourceVersion` counter orders every write; every write is visible to
//! watches in that order; nothing listens beyond 127.0.0.1.

pub mod admission;
mod audit;
mod config;
mod controllers;
mod discovery;
mod emulator;
mod error;
mod events;
mod faults;
mod http;
mod jsonpath;
mod kubeconfig;
mod meta;
mod openapi;
mod patch;
mod protobuf;
mod resources;
mod selectors;
mod serve;
mod shared;
mod status;
mod store;
mod table;
mod tls;
mod wire;

pub use audit::AuditRecord;
pub use config::KubeEmulatorConfig;
pub use emulator::KubeEmulator;
pub use error::Error;
pub use faults::{FaultRule, Faults};
