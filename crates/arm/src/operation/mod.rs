//! Long-running operations as values. `begin_put / begin_patch / begin_delete / begin_post`
//! send the request and return either the finished result or an [`OperationHandle`]; the
//! handle is plain data (five strings, see [`OperationParts`]) that can sit in a Kubernetes
//! status and be polled by another process with [`crate::ArmClient::poll`].
//!
//! Invariants: nothing here sleeps waiting for an operation, except [`crate::ArmClient::wait`]
//! (for tools); a handle's URL is only ever polled on the client's Resource Manager origin,
//! so a tampered status cannot send our token elsewhere. The final-state rule follows from the
//! operation's kind as ARM defines it: after a PUT or PATCH the result is a GET of the resource
//! (`original-uri`); a DELETE has no result; a POST's result is the final answer of its
//! `Location` URL.

mod begin;
mod poll;

use crate::error::{ArmError, ErrorOrigin};
use crate::resource_id::ResourceId;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Duration;

/// What an operation does; decides how its result is read.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OperationKind {
    /// A PUT that created the resource.
    Create,
    /// A PUT or PATCH that changed it.
    Update,
    /// A PATCH of a deployment's instance count.
    Scale,
    /// A DELETE.
    Delete,
    /// A POST action such as `regenerateKeys`.
    Action(String),
}

impl OperationKind {
    /// The name stored in status: `Create`, `Update`, `Scale`, `Delete`, or the action's name.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Create => "Create",
            Self::Update => "Update",
            Self::Scale => "Scale",
            Self::Delete => "Delete",
            Self::Action(name) => name,
        }
    }

    /// The kind named `s` (the inverse of [`Self::as_str`]).
    pub fn parse(s: &str) -> Self {
        match s {
            "Create" => Self::Create,
            "Update" => Self::Update,
            "Scale" => Self::Scale,
            "Delete" => Self::Delete,
            other => Self::Action(other.to_string()),
        }
    }

    /// How the result of a finished operation is read.
    pub fn final_state(&self) -> FinalState {
        match self {
            Self::Create | Self::Update | Self::Scale => FinalState::OriginalUri,
            Self::Delete => FinalState::None,
            Self::Action(_) => FinalState::Location,
        }
    }
}

impl fmt::Display for OperationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where the result of a finished operation comes from (ARM's `final-state-via`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinalState {
    /// A GET of the resource (PUT, PATCH).
    OriginalUri,
    /// The final answer of the polling URL (POST).
    Location,
    /// Nothing (DELETE).
    None,
}

/// How an operation is polled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PollingStyle {
    /// GET the `Azure-AsyncOperation` URL: a status body `{status, error}`.
    AzureAsyncOperation,
    /// GET the `Location` URL: 202 while running, then the result or an error status.
    Location,
    /// GET the resource itself until its `provisioningState` is terminal (or, for a delete,
    /// until it is gone): ARM's rule when an answer names no polling URL.
    ProvisioningState,
}

impl PollingStyle {
    /// The name stored in status.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AzureAsyncOperation => "AzureAsyncOperation",
            Self::Location => "Location",
            Self::ProvisioningState => "ProvisioningState",
        }
    }

    /// The style named `s` (case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::AzureAsyncOperation,
            Self::Location,
            Self::ProvisioningState,
        ]
        .into_iter()
        .find(|style| style.as_str().eq_ignore_ascii_case(s))
    }
}

/// An operation ARM is still working on. Serializes as
/// `{kind, url, polling, resourceId, startedAt}`, the shape the operator keeps in status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationHandle {
    /// What the operation does.
    pub kind: OperationKind,
    /// The URL to poll.
    pub url: String,
    /// How to poll it.
    pub polling: PollingStyle,
    /// The resource the operation acts on.
    pub resource_id: ResourceId,
    /// When the operation was started.
    pub started_at: jiff::Timestamp,
}

/// An [`OperationHandle`] as five strings (the fields of the operator's `status.operation`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationParts {
    /// `Create`, `Update`, `Scale`, `Delete` or an action name.
    pub kind: String,
    /// The polling URL.
    pub url: String,
    /// `AzureAsyncOperation`, `Location` or `ProvisioningState`.
    pub polling: String,
    /// The ARM id of the resource.
    pub resource_id: String,
    /// RFC 3339 start time.
    pub started_at: String,
}

impl OperationHandle {
    /// The handle as five strings.
    pub fn to_parts(&self) -> OperationParts {
        OperationParts {
            kind: self.kind.as_str().to_string(),
            url: self.url.clone(),
            polling: self.polling.as_str().to_string(),
            resource_id: self.resource_id.to_string(),
            started_at: self.started_at.to_string(),
        }
    }

    /// A handle from five strings, e.g. read back from a Kubernetes status.
    ///
    /// # Errors
    /// An `Invalid` [`ArmError`] naming the field that does not parse.
    pub fn from_parts(parts: &OperationParts) -> Result<Self, ArmError> {
        let bad = |field: &str, why: String| {
            ArmError::new(
                ErrorOrigin::Invalid,
                "resume a stored operation",
                format!("field {field}: {why}"),
            )
        };
        let polling = PollingStyle::parse(&parts.polling).ok_or_else(|| {
            bad(
                "polling",
                format!("unknown polling style {:?}", parts.polling),
            )
        })?;
        let resource_id =
            ResourceId::parse(&parts.resource_id).map_err(|e| bad("resourceId", e.to_string()))?;
        let started_at = parts
            .started_at
            .parse::<jiff::Timestamp>()
            .map_err(|e| bad("startedAt", e.to_string()))?;
        url::Url::parse(&parts.url).map_err(|e| bad("url", e.to_string()))?;
        if parts.kind.is_empty() {
            return Err(bad("kind", "is empty".into()));
        }
        Ok(Self {
            kind: OperationKind::parse(&parts.kind),
            url: parts.url.clone(),
            polling,
            resource_id,
            started_at,
        })
    }

    /// How long the operation has been running at `now`.
    pub fn age(&self, now: jiff::Timestamp) -> Duration {
        Duration::try_from(now.duration_since(self.started_at)).unwrap_or(Duration::ZERO)
    }
}

impl Serialize for OperationHandle {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_parts().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for OperationHandle {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let parts = OperationParts::deserialize(deserializer)?;
        Self::from_parts(&parts).map_err(serde::de::Error::custom)
    }
}

/// What a `begin_*` call led to.
#[derive(Debug, Clone, PartialEq)]
pub enum Started<T> {
    /// ARM finished at once; the body, when the verb has one.
    Done(Option<T>),
    /// ARM is working; poll the handle.
    Pending(OperationHandle),
}

/// What a poll found.
#[derive(Debug)]
pub enum PollOutcome<T> {
    /// Still running; poll again after `retry_after`.
    Pending {
        /// How long ARM asked us to wait.
        retry_after: Duration,
    },
    /// Finished well; the result, when the operation has one.
    Succeeded(Option<T>),
    /// Finished badly (or was canceled); [`ArmError::class`] says what to do.
    Failed(ArmError),
}

#[cfg(test)]
mod tests;
