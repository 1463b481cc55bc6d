//! Reads one object the way both GitOps tools do and checks that they agree: Argo CD through our
//! shipped health check ([`crate::argocd`]), Flux/kstatus through the port ([`crate::kstatus`]).
//!
//! Agreement, the sense documented in `deploy/README.md`:
//!
//! | Argo CD       | kstatus                   |
//! |---------------|---------------------------|
//! | `Healthy`     | `Current`                 |
//! | `Degraded`    | `Failed`                  |
//! | `Progressing` | `InProgress`, `Terminating` |
//! | `Missing`     | `NotFound`                |
//!
//! Known divergences, all on objects whose status the controller has not written properly:
//! kstatus reads "no status", "no Ready/Reconciling/Stalled condition" and "Ready=True without
//! `observedGeneration`" as `Current`, where Argo (our script) waits. [`check`] reports them as
//! disagreements on purpose: a status our controller writes must never fall into one of them.

use serde_json::Value;

use crate::argocd::{self, HealthStatus, HealthStatusCode, Kind};
use crate::kstatus::{self, Status, Verdict};

/// Whether an Argo CD health code and a kstatus status say the same thing.
pub fn agree(argo: HealthStatusCode, kstatus: Status) -> bool {
    matches!(
        (argo, kstatus),
        (HealthStatusCode::Healthy, Status::Current)
            | (HealthStatusCode::Degraded, Status::Failed)
            | (
                HealthStatusCode::Progressing,
                Status::InProgress | Status::Terminating
            )
            | (HealthStatusCode::Missing, Status::NotFound)
    )
}

/// Both tools' reading of one object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Readings {
    /// What Argo CD shows.
    pub argo: HealthStatus,
    /// What Flux / kstatus computes.
    pub kstatus: Verdict,
}

/// Why an object does not read right.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The object is not one of our kinds.
    #[error(
        "failed to read the object: not an aml-operator.io Workspace, OnlineEndpoint or OnlineDeployment"
    )]
    NotOurKind,
    /// Argo CD's health check failed.
    #[error("failed to evaluate the Argo CD health check")]
    Argo(#[from] argocd::Error),
    /// kstatus could not judge the object.
    #[error("failed to compute the kstatus status")]
    Kstatus(#[from] kstatus::Error),
    /// The two tools disagree.
    #[error(
        "Argo CD shows {argo} ({argo_message:?}) but kstatus computes {kstatus} ({kstatus_message:?})"
    )]
    Disagree {
        /// Argo's code.
        argo: HealthStatusCode,
        /// Argo's message.
        argo_message: String,
        /// kstatus' status.
        kstatus: Status,
        /// kstatus' message.
        kstatus_message: String,
    },
}

/// Reads an object with both tools without judging agreement.
///
/// # Errors
/// [`Error::NotOurKind`], [`Error::Argo`], [`Error::Kstatus`].
pub fn read(obj: &Value) -> Result<Readings, Error> {
    let kind = Kind::of(obj).ok_or(Error::NotOurKind)?;
    Ok(Readings {
        argo: argocd::health(kind, obj)?,
        kstatus: kstatus::compute(obj)?,
    })
}

/// Reads an object with both tools and fails unless they agree. The e2e tests call this on every
/// status the controller writes.
///
/// # Errors
/// As [`read`], plus [`Error::Disagree`].
pub fn check(obj: &Value) -> Result<Readings, Error> {
    let readings = read(obj)?;
    if !agree(readings.argo.status, readings.kstatus.status) {
        return Err(Error::Disagree {
            argo: readings.argo.status,
            argo_message: readings.argo.message,
            kstatus: readings.kstatus.status,
            kstatus_message: readings.kstatus.message,
        });
    }
    Ok(readings)
}
