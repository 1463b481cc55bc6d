//! `ArmError`: everything that can go wrong talking to ARM, as one value carrying what ARM said
//! (HTTP status, code, message, target, details) and how to find the request again
//! (`x-ms-request-id`, `x-ms-correlation-request-id`). [`ArmError::class`] sorts it into the
//! five classes the controller acts on, using the single table in `classification`.
//!
//! Invariant: no token, key or secret is ever put into an `ArmError` (messages come from ARM's
//! error body or from our own wording, never from request headers or bodies).

mod classification;

pub use classification::{
    CLASSIFICATION_TABLE, ClassificationRule, CodeMatch, DEFAULT_THROTTLE_WAIT, ErrorClass,
    OriginMatch, StatusMatch,
};

use crate::models::{ErrorDetail, ErrorResponse};
use std::fmt;
use std::time::Duration;

/// Where an error came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorOrigin {
    /// ARM answered a request with an error status.
    Response,
    /// A long-running operation ended `Failed` or `Canceled`.
    Operation,
    /// No answer: connection refused or reset, DNS, TLS.
    Transport,
    /// No answer in time.
    Timeout,
    /// No access token could be had.
    Credential,
    /// ARM answered something this crate could not read.
    Decode,
    /// The request could not be built (a bad URL or operation handle).
    Invalid,
    /// The request was not sent: the pacer found no room under a resource provider's limit
    /// within the retry policy's `max_throttle_wait` (`retry_after` says when there is).
    Pacer,
}

/// An error talking to Azure Resource Manager. Its fields are those of [`ArmErrorInfo`]
/// (reached through `Deref`); boxed so `Result<_, ArmError>` stays small.
pub struct ArmError(Box<ArmErrorInfo>);

/// The fields of an [`ArmError`].
pub struct ArmErrorInfo {
    /// Where the error came from.
    pub origin: ErrorOrigin,
    /// What we were doing, e.g. `PUT Microsoft.MachineLearningServices/workspaces/onlineEndpoints ep1`.
    pub action: String,
    /// The HTTP status, when there was an answer.
    pub status: Option<u16>,
    /// ARM's error code (`ResourceNotFound`, `OutOfQuota`, ...); empty when ARM gave none.
    pub code: String,
    /// ARM's message, or ours when ARM gave none.
    pub message: String,
    /// The part of the request the error is about.
    pub target: Option<String>,
    /// ARM's nested errors.
    pub details: Vec<ErrorDetail>,
    /// `x-ms-request-id` of the answer.
    pub request_id: Option<String>,
    /// `x-ms-correlation-request-id` of the answer (give this to Azure support).
    pub correlation_id: Option<String>,
    /// `Retry-After` of the answer.
    pub retry_after: Option<Duration>,
    /// The underlying error.
    pub source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl ArmError {
    /// An error of `origin` with our own message.
    pub fn new(origin: ErrorOrigin, action: impl Into<String>, message: impl Into<String>) -> Self {
        Self(Box::new(ArmErrorInfo {
            origin,
            action: action.into(),
            status: None,
            code: String::new(),
            message: message.into(),
            target: None,
            details: Vec::new(),
            request_id: None,
            correlation_id: None,
            retry_after: None,
            source: None,
        }))
    }

    /// Attaches the underlying error.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// Attaches ARM's error fields.
    pub fn with_detail(mut self, detail: ErrorDetail) -> Self {
        self.code = detail.code;
        if !detail.message.is_empty() {
            self.message = detail.message;
        }
        self.target = detail.target;
        self.details = detail.details;
        self
    }

    /// The error for an HTTP answer with an error status, from its body (ARM's
    /// `{"error": {...}}`, a bare `{code, message}`, or anything else as the message).
    pub fn from_response(action: impl Into<String>, status: u16, body: &[u8]) -> Self {
        let mut err = Self::new(ErrorOrigin::Response, action, "");
        err.status = Some(status);
        match parse_error_body(body) {
            Some(detail) => err = err.with_detail(detail),
            None => {
                let text = String::from_utf8_lossy(body);
                let text = text.trim();
                err.message = if text.is_empty() {
                    format!("HTTP {status} with no error body")
                } else {
                    text.chars().take(512).collect()
                };
            }
        }
        err
    }

    /// The class that decides what the caller does next; see [`CLASSIFICATION_TABLE`].
    pub fn class(&self) -> ErrorClass {
        classification::classify(self)
    }

    /// The HTTP status, if any.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// ARM's error code; empty when ARM gave none.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    fn describe(&self) -> String {
        let mut out = String::new();
        if let Some(status) = self.status {
            out.push_str(&format!("HTTP {status} "));
        }
        if !self.code.is_empty() {
            out.push_str(&self.code);
            out.push_str(": ");
        }
        out.push_str(&self.message);
        if let Some(target) = &self.target {
            out.push_str(&format!(" (target {target})"));
        }
        if let Some(correlation) = &self.correlation_id {
            out.push_str(&format!(" [correlation id {correlation}]"));
        }
        out
    }
}

/// Reads ARM's error body; `None` when the body is not one.
pub(crate) fn parse_error_body(body: &[u8]) -> Option<ErrorDetail> {
    if let Ok(wrapped) = serde_json::from_slice::<ErrorResponse>(body) {
        return Some(wrapped.error);
    }
    // Some providers answer a bare `{code, message}` without the `error` wrapper.
    serde_json::from_slice::<ErrorDetail>(body)
        .ok()
        .filter(|d| !d.code.is_empty() || !d.message.is_empty())
}

impl std::ops::Deref for ArmError {
    type Target = ArmErrorInfo;

    fn deref(&self) -> &ArmErrorInfo {
        &self.0
    }
}

impl std::ops::DerefMut for ArmError {
    fn deref_mut(&mut self) -> &mut ArmErrorInfo {
        &mut self.0
    }
}

impl fmt::Debug for ArmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Debug for ArmErrorInfo {
    /// Like a derived `Debug`, but the source is shown by its message: azure_core's errors
    /// print whole backtraces otherwise.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArmError")
            .field("origin", &self.origin)
            .field("action", &self.action)
            .field("status", &self.status)
            .field("code", &self.code)
            .field("message", &self.message)
            .field("target", &self.target)
            .field("details", &self.details)
            .field("request_id", &self.request_id)
            .field("correlation_id", &self.correlation_id)
            .field("retry_after", &self.retry_after)
            .field("source", &self.source.as_ref().map(|s| s.to_string()))
            .finish()
    }
}

impl fmt::Display for ArmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "failed to {}: {}", self.action, self.describe())
    }
}

impl std::error::Error for ArmError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

impl fmt::Display for ErrorOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Response => "response",
            Self::Operation => "operation",
            Self::Transport => "transport",
            Self::Timeout => "timeout",
            Self::Credential => "credential",
            Self::Decode => "decode",
            Self::Invalid => "invalid",
            Self::Pacer => "pacer",
        })
    }
}

#[cfg(test)]
mod tests;
