//! The one table that decides an [`ArmError`]'s class. Rows are tried in order and the first
//! that matches wins; an error no row matches is `Terminal` (a person must look at it).
//!
//! Why this order: throttling first (whatever else is wrong, slow down); then missing parents
//! (a 404 that no retry or create fixes, unlike the resource's own 404); then busy (409) before
//! quota; then server-side trouble (5xx, timeouts, no answer) which retries fix; then every
//! other client error, which only a change of the request fixes.

use super::{ArmError, ErrorOrigin};
use std::time::Duration;

/// What the caller does about an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// ARM asks us to slow down: wait `retry_after`, then retry.
    Throttled {
        /// How long ARM asked us to wait (or [`DEFAULT_THROTTLE_WAIT`] when it did not say).
        retry_after: Duration,
    },
    /// Likely to pass on its own: retry with backoff.
    Transient,
    /// The resource is busy with another operation (HTTP 409): retry later.
    Conflict,
    /// The resource does not exist.
    NotFound,
    /// Retrying the same request will not help: bad request, quota, authorization.
    Terminal,
}

impl ErrorClass {
    /// Whether the same request may succeed later without a change.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            Self::Throttled { .. } | Self::Transient | Self::Conflict
        )
    }

    /// A stable name, for metrics and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Throttled { .. } => "Throttled",
            Self::Transient => "Transient",
            Self::Conflict => "Conflict",
            Self::NotFound => "NotFound",
            Self::Terminal => "Terminal",
        }
    }
}

/// How long to wait on a 429 that carries no `Retry-After`.
pub const DEFAULT_THROTTLE_WAIT: Duration = Duration::from_secs(10);

/// Which origins a row applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OriginMatch {
    /// Any origin.
    Any,
    /// Only this origin.
    Is(ErrorOrigin),
}

/// Which HTTP statuses a row applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusMatch {
    /// Any status, or none.
    Any,
    /// Exactly this status.
    Is(u16),
    /// A status in this inclusive range.
    Range(u16, u16),
}

/// Which ARM error codes a row applies to (compared case-insensitively).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeMatch {
    /// Any code, or none.
    Any,
    /// One of these codes.
    OneOf(&'static [&'static str]),
}

/// One row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClassificationRule {
    /// Origins the row applies to.
    pub origin: OriginMatch,
    /// Statuses the row applies to.
    pub status: StatusMatch,
    /// Codes the row applies to.
    pub code: CodeMatch,
    /// The class of a matching error; `Throttled`'s wait comes from the error's `Retry-After`.
    pub class: ErrorClass,
}

const THROTTLED: ErrorClass = ErrorClass::Throttled {
    retry_after: DEFAULT_THROTTLE_WAIT,
};

const fn rule(
    origin: OriginMatch,
    status: StatusMatch,
    code: CodeMatch,
    class: ErrorClass,
) -> ClassificationRule {
    ClassificationRule {
        origin,
        status,
        code,
        class,
    }
}

use CodeMatch::{Any as AnyCode, OneOf};
use ErrorClass::{Conflict, NotFound, Terminal, Transient};
use OriginMatch::{Any as AnyOrigin, Is as Only};
use StatusMatch::{Any as AnyStatus, Is as Status, Range};

/// The classification table. Row order matters: the first match wins.
pub const CLASSIFICATION_TABLE: &[ClassificationRule] = &[
    // 0: HTTP 429 from ARM or from the token endpoint.
    rule(AnyOrigin, Status(429), AnyCode, THROTTLED),
    // 1: throttling reported by code (an operation can fail this way).
    rule(
        AnyOrigin,
        AnyStatus,
        OneOf(&[
            "TooManyRequests",
            "SubscriptionRequestsThrottled",
            "TenantRequestsThrottled",
            "ResourceRequestsThrottled",
            "ResourceCollectionRequestsThrottled",
        ]),
        THROTTLED,
    ),
    // 2: the scope the resource lives in is missing: no retry or create fixes that.
    rule(
        AnyOrigin,
        AnyStatus,
        OneOf(&[
            "ResourceGroupNotFound",
            "ParentResourceNotFound",
            "SubscriptionNotFound",
            "InvalidSubscriptionId",
        ]),
        Terminal,
    ),
    // 3: the resource itself is missing.
    rule(Only(ErrorOrigin::Response), Status(404), AnyCode, NotFound),
    // 4: missing resource reported by code from an operation.
    rule(
        AnyOrigin,
        AnyStatus,
        OneOf(&["ResourceNotFound", "NotFound"]),
        NotFound,
    ),
    // 5: busy: another operation is running on the resource or its parent.
    rule(Only(ErrorOrigin::Response), Status(409), AnyCode, Conflict),
    // 6: busy reported by code (some services answer 400 or fail the operation).
    rule(
        AnyOrigin,
        AnyStatus,
        OneOf(&[
            "Conflict",
            "AnotherOperationInProgress",
            "OperationPreempted",
            "ResourceBusy",
        ]),
        Conflict,
    ),
    // 7: quota and capacity: a person must raise the quota or pick another size or region.
    rule(
        AnyOrigin,
        AnyStatus,
        OneOf(&[
            "QuotaExceeded",
            "OutOfQuota",
            "InsufficientQuota",
            "SkuNotAvailable",
            "OutOfCapacity",
            "ZonalAllocationFailed",
        ]),
        Terminal,
    ),
    // 8: the request timed out on the server.
    rule(AnyOrigin, Status(408), AnyCode, Transient),
    // 9: server-side errors from ARM or the token endpoint.
    rule(AnyOrigin, Range(500, 599), AnyCode, Transient),
    // 10: server trouble reported by code, and states that settle on their own.
    rule(
        AnyOrigin,
        AnyStatus,
        OneOf(&[
            "InternalServerError",
            "ServiceUnavailable",
            "GatewayTimeout",
            "BadGateway",
            "ServerTimeout",
            "RetryableError",
            "WorkspaceManagedNetworkNotReady",
            "Canceled",
        ]),
        Transient,
    ),
    // 11: no answer.
    rule(Only(ErrorOrigin::Transport), AnyStatus, AnyCode, Transient),
    // 12: no answer in time.
    rule(Only(ErrorOrigin::Timeout), AnyStatus, AnyCode, Transient),
    // 13: every other client error: bad request, authentication, authorization, policy.
    rule(AnyOrigin, Range(400, 499), AnyCode, Terminal),
    // 14: an operation that failed for a reason not listed above (BadArgument, ImageBuildFailure, ...).
    rule(Only(ErrorOrigin::Operation), AnyStatus, AnyCode, Terminal),
    // 15: not sent: the pacer holds it under a provider's limit for longer than we wait.
    rule(Only(ErrorOrigin::Pacer), AnyStatus, AnyCode, THROTTLED),
];

impl ClassificationRule {
    /// Whether the row applies to `err`.
    pub fn matches(&self, err: &ArmError) -> bool {
        let origin_ok = match self.origin {
            OriginMatch::Any => true,
            OriginMatch::Is(origin) => origin == err.origin,
        };
        let status_ok = match self.status {
            StatusMatch::Any => true,
            StatusMatch::Is(s) => err.status == Some(s),
            StatusMatch::Range(lo, hi) => err.status.is_some_and(|s| (lo..=hi).contains(&s)),
        };
        let code_ok = match self.code {
            CodeMatch::Any => true,
            CodeMatch::OneOf(codes) => codes.iter().any(|c| c.eq_ignore_ascii_case(&err.code)),
        };
        origin_ok && status_ok && code_ok
    }
}

/// The index of the first row matching `err`, if any.
pub(crate) fn matching_row(err: &ArmError) -> Option<usize> {
    CLASSIFICATION_TABLE.iter().position(|r| r.matches(err))
}

pub(super) fn classify(err: &ArmError) -> ErrorClass {
    match matching_row(err).map(|i| CLASSIFICATION_TABLE[i].class) {
        Some(ErrorClass::Throttled { .. }) => ErrorClass::Throttled {
            retry_after: err.retry_after.unwrap_or(DEFAULT_THROTTLE_WAIT),
        },
        Some(class) => class,
        None => ErrorClass::Terminal,
    }
}
