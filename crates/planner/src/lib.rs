//! aml-operator's decision core. Pure: no tokio, no HTTP, no Kubernetes client.
//!
//! Each reconcile of the controller observes (ARM GETs, the in-flight operation's poll, the
//! Kubernetes objects it depends on), hands what it saw to a `plan_*` function here, executes the
//! one [`Action`] the plan names, and writes the status the plan computed. Everything that decides
//! lives here so it can be tested with tables and properties:
//!
//! - validation turns a spec into `Validated*` values or a [`FieldError`] naming the field;
//! - the desired Azure body is built from the validated spec over what Azure has (read-modify-write
//!   keeps properties we do not manage);
//! - a diff against the observation decides whether to write at all (a resync that finds nothing
//!   changed plans no write);
//! - ordering: endpoint Succeeded → deployments → traffic once every deployment it names is
//!   Succeeded; one ARM write in flight per endpoint tree; a deployment leaves traffic before it is
//!   deleted; operations in flight are resumed, never re-issued;
//! - failures map to conditions by class (retry vs Stalled).
//!
//! # Guarantees
//! - A body the planner emits never sets `publicNetworkAccess` (or a deployment's egress) to a
//!   value other than the spec's: nothing is made public that the spec says is private.
//! - Traffic in a body gives or raises a share only for deployments the input reports as
//!   Succeeded (otherwise it keeps what Azure routes), and sums to 0 or 100.

pub mod assets;
pub mod autoscale;
pub mod body;
pub mod deletion;
pub mod deployment;
pub mod endpoint;
pub mod endpoint_isolation;
pub mod failure;
pub mod keys;
pub mod lifecycle;
pub mod logs;
pub mod managed;
pub mod network;
pub mod observe;
pub mod outcome;
pub mod progress;
pub mod tenancy;
pub mod validate;
pub mod workspace;

pub use deployment::{DeploymentInput, EndpointView, plan_deployment};
pub use endpoint::{DeploymentView, EndpointInput, KeysState, plan_endpoint};
pub use failure::{Failure, FailureClass};
pub use lifecycle::{Adoption, Lifecycle, Ownership, ReconcilePolicy};
pub use network::{NetworkAction, NetworkObservation, NetworkTargets};
pub use observe::{Observation, OperationOutcome, ProvisioningState};
pub use outcome::{Action, Drift, EventNote, EventType, OperationKind, Plan, Requeue};
pub use validate::{FieldError, WorkspaceView};
pub use workspace::{
    WorkspaceInput, WorkspacePlan, network_isolated, plan_workspace, workspace_binding,
    workspace_reads, workspace_view,
};

use std::time::Duration;

/// How long a waiting object sleeps before it looks again when nothing will wake it sooner.
pub const WAIT_POLL: Duration = Duration::from_secs(10);
/// How long a Stalled object waits before the controller retries the same generation.
pub const STALLED_RETRY: Duration = Duration::from_secs(15 * 60);
/// The default time after which a keys Secret is refreshed from Azure (nothing in Azure says
/// when keys were regenerated).
pub const KEYS_REFRESH: Duration = Duration::from_secs(60 * 60);
