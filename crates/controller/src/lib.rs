//! aml-operator: the controller that keeps Azure ML online endpoints and deployments the way
//! their Kubernetes objects declare them, network-isolated.
//!
//! Layout: [`run`] wires kube-runtime Controllers for the three kinds; [`reconcile`] holds the thin
//! reconcilers (observe → `planner` → execute → status); [`azure`] the ARM clients and credentials;
//! [`keys`] the endpoint keys Secret; [`status_patch`] status writes without churn; [`metrics`] and
//! [`admin`] what operators scrape and probe.
//!
//! Module dependencies point one way: `cli` → {`sandbox`, `bench`, `leader`, `run`, `admin`};
//! `bench` → `sandbox` → `run` → {`reconcile`, `context`, `azure`, ...}; `leader` depends on
//! none of them (it takes [`leader::LeaseSettings`]).

pub mod admin;
pub mod azure;
#[cfg(feature = "sandbox")]
pub mod bench;
pub mod cli;
pub mod context;
pub mod index;
pub mod keys;
pub mod leader;
pub mod metrics;
pub mod observations;
pub mod reconcile;
pub mod run;
#[cfg(feature = "sandbox")]
pub mod sandbox;
pub mod status_patch;
