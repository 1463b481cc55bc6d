//! `arm`: a typed Azure Resource Manager client that knows HTTP and Azure and nothing of
//! Kubernetes. The controller calls only this crate to talk to Azure.
//!
//! - [`ResourceId`]: parse, validate, format and navigate ARM ids; `azureml:` shorthands.
//! - [`Credential`] and [`Cloud`]: who we are and which cloud we talk to (azure_identity).
//! - [`models`]: serde models of every body, keeping unknown members.
//! - [`ArmClient`]: typed verbs, `begin_*` long-running operations as [`OperationHandle`]
//!   values, [`ArmClient::poll`], pagination.
//! - [`ArmError`] with one [`ArmError::class`] decided by one table.
//! - [`pipeline`]: the per-subscription pacer, the retry policy and the metrics.

// Tests may unwrap; the library build is still linted without this.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod api_version;
mod client;
pub mod cloud;
pub mod credential;
pub mod error;
pub mod models;
pub mod operation;
pub mod pipeline;
pub mod resource_id;

pub use api_version::ApiVersions;
/// The trait a client-assertion supplier implements (azure_identity's), for [`AssertionSource`].
pub use azure_identity::ClientAssertion;
pub use client::{ArmClient, ArmClientBuilder, BuildError, USER_AGENT};
pub use cloud::Cloud;
pub use credential::{AssertionSource, Credential, CredentialError};
pub use error::{ArmError, ErrorClass, ErrorOrigin};
pub use operation::{
    OperationHandle, OperationKind, OperationParts, PollOutcome, PollingStyle, Started,
};
pub use pipeline::{ArmMetrics, Pacer, PacerConfig, RetryPolicy};

pub mod priority {
    //! Requests whose progress unblocks many others (a Workspace's own legs, which every endpoint
    //! of it waits for) go ahead of requests the pacer handed back unsent, and are never handed
    //! back themselves: run them inside [`ahead`].

    tokio::task_local! {
        static AHEAD: bool;
    }

    /// Runs `f` with its ARM requests ahead of handed-back ones.
    pub async fn ahead<F: std::future::Future>(f: F) -> F::Output {
        AHEAD.scope(true, f).await
    }

    /// True inside [`ahead`].
    pub fn current() -> bool {
        AHEAD.try_with(|a| *a).unwrap_or(false)
    }
}

/// The code of the error a request gets back when the pacer would have made it wait for ARM's
/// own buckets longer than its [`RetryPolicy::max_bucket_wait`]: nothing was sent; requeue
/// after its `retry_after`.
pub const PACER_WAIT_CODE: &str = "PacerWait";
pub use resource_id::{AssetKind, AssetRef, ResourceId, ResourceIdError, ResourceKind};
