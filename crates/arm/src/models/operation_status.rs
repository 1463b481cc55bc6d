//! Bodies ARM answers about work and failure: async operation status and error responses.

use super::common::{Extra, null_as_default};
use super::wire_enum::wire_enum;
use serde::{Deserialize, Serialize};

wire_enum! {
    /// The status of an async operation. `Succeeded`, `Failed` and `Canceled` are terminal;
    /// every other value (including unknown ones) means "still running".
    OperationState {
        /// Finished well.
        Succeeded = "Succeeded",
        /// Finished badly; `error` says why.
        Failed = "Failed",
        /// Canceled.
        Canceled = "Canceled",
        /// Running.
        InProgress = "InProgress",
        /// Accepted, not started.
        Accepted = "Accepted",
        /// Running.
        Running = "Running",
    }
}

impl OperationState {
    /// Whether the operation has finished.
    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Canceled)
    }
}

/// An Azure-AsyncOperation status body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationStatus {
    /// Operation id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Operation name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The status.
    pub status: OperationState,
    /// Start time (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    /// End time (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<String>,
    /// Progress, 0-100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent_complete: Option<f64>,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
    /// Operation-specific result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<serde_json::Value>,
    /// Members not modelled here.
    #[serde(flatten)]
    pub extra: Extra,
}

/// ARM's error body: `{"error": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorResponse {
    /// The error.
    pub error: ErrorDetail,
}

/// One ARM error, possibly with nested details.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorDetail {
    /// Machine-readable code, e.g. `ResourceNotFound`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub code: String,
    /// Human-readable message.
    #[serde(default, deserialize_with = "null_as_default")]
    pub message: String,
    /// The part of the request the error is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Nested errors.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub details: Vec<ErrorDetail>,
    /// Extra information, kept as sent.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub additional_info: Vec<serde_json::Value>,
}
