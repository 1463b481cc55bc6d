//! Failures as the planner sees them: the class decides retry and status (DESIGN §3.7); the code,
//! message and correlation id are ARM's, for humans and support.

use std::time::Duration;

use api::ArmErrorStatus;

/// How a failure is handled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FailureClass {
    /// 429: wait as long as Azure asked, then retry.
    Throttled {
        /// Azure's `Retry-After`.
        retry_after: Duration,
    },
    /// 5xx, timeouts, connection errors: retry with backoff.
    Transient,
    /// 409: Azure is busy with another operation on the resource; retry.
    Conflict,
    /// 404 where something was expected.
    NotFound,
    /// 400, quota, 403 and failed operations: a retry will not fix it.
    Terminal,
    /// No credential could be obtained (bad secret, missing federated token).
    Credential,
}

/// A failed request or operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// How to handle it.
    pub class: FailureClass,
    /// ARM's error code, e.g. `OutOfQuota`.
    pub code: String,
    /// ARM's message.
    pub message: String,
    /// The request's correlation id.
    pub correlation_id: Option<String>,
}

impl Failure {
    /// A failure of `class` with ARM's code and message.
    pub fn new(class: FailureClass, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            class,
            code: code.into(),
            message: message.into(),
            correlation_id: None,
        }
    }

    /// True when retrying soon may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.class,
            FailureClass::Throttled { .. } | FailureClass::Transient | FailureClass::Conflict
        )
    }

    /// The failure as status carries it.
    pub fn to_status(&self) -> ArmErrorStatus {
        ArmErrorStatus {
            code: truncate(&self.code, 250),
            message: truncate(&self.message, 4000),
            correlation_id: self.correlation_id.as_deref().map(|c| truncate(c, 120)),
        }
    }
}

/// Cuts `text` to at most `max` bytes on a character boundary (status fields are bounded).
pub(crate) fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}
