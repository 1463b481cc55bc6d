//! The classification table, row by row, and how ARM error bodies are read.

use super::classification::matching_row;
use super::*;
use std::time::Duration;

fn err(origin: ErrorOrigin, status: Option<u16>, code: &str) -> ArmError {
    let mut e = ArmError::new(origin, "test", "message");
    e.status = status;
    e.code = code.to_string();
    e
}

const THROTTLE_DEFAULT: ErrorClass = ErrorClass::Throttled {
    retry_after: DEFAULT_THROTTLE_WAIT,
};

/// One case per row, in table order: the error, the row it must hit, and its class.
/// Each case is built so that no earlier row matches it, which is what makes the order matter.
#[test]
fn every_row_of_the_table_is_hit_by_its_own_case() {
    use ErrorClass::*;
    use ErrorOrigin::*;
    let cases: Vec<(ArmError, usize, ErrorClass)> = vec![
        (
            err(Response, Some(429), "TooManyRequests"),
            0,
            THROTTLE_DEFAULT,
        ),
        (
            err(Operation, None, "SubscriptionRequestsThrottled"),
            1,
            THROTTLE_DEFAULT,
        ),
        (
            err(Response, Some(404), "ParentResourceNotFound"),
            2,
            Terminal,
        ),
        (err(Response, Some(404), "ResourceNotFound"), 3, NotFound),
        (err(Operation, None, "ResourceNotFound"), 4, NotFound),
        (err(Response, Some(409), "Conflict"), 5, Conflict),
        (
            err(Response, Some(400), "AnotherOperationInProgress"),
            6,
            Conflict,
        ),
        (err(Operation, None, "OutOfQuota"), 7, Terminal),
        (err(Response, Some(408), ""), 8, Transient),
        (err(Response, Some(503), "ServiceUnavailable"), 9, Transient),
        (
            err(Operation, None, "WorkspaceManagedNetworkNotReady"),
            10,
            Transient,
        ),
        (err(Transport, None, ""), 11, Transient),
        (err(Timeout, None, ""), 12, Transient),
        (
            err(Response, Some(403), "AuthorizationFailed"),
            13,
            Terminal,
        ),
        (err(Operation, None, "ImageBuildFailure"), 14, Terminal),
        (err(Pacer, None, ""), 15, THROTTLE_DEFAULT),
    ];
    assert_eq!(cases.len(), CLASSIFICATION_TABLE.len(), "one case per row");
    for (e, row, class) in &cases {
        assert_eq!(matching_row(e), Some(*row), "{e}");
        assert_eq!(e.class(), *class, "{e}");
    }
}

#[test]
fn more_cases_by_row() {
    use ErrorClass::*;
    use ErrorOrigin::*;
    let cases: Vec<(ArmError, ErrorClass)> = vec![
        // A 429 from the token endpoint is throttling too.
        (err(Credential, Some(429), ""), THROTTLE_DEFAULT),
        // Missing resource group on a GET: creating the child would fail too.
        (err(Response, Some(404), "ResourceGroupNotFound"), Terminal),
        (err(Response, Some(404), "SubscriptionNotFound"), Terminal),
        // A 404 without a body is the resource's own.
        (err(Response, Some(404), ""), NotFound),
        // Any 409 is busy, whatever its code.
        (err(Response, Some(409), "SomethingElse"), Conflict),
        // Codes are compared case-insensitively.
        (
            err(Response, Some(400), "anotheroperationinprogress"),
            Conflict,
        ),
        (err(Response, Some(400), "QuotaExceeded"), Terminal),
        (err(Response, Some(400), "BadRequest"), Terminal),
        (err(Response, Some(400), "UserError"), Terminal),
        (
            err(Response, Some(401), "InvalidAuthenticationToken"),
            Terminal,
        ),
        (
            err(Response, Some(403), "RequestDisallowedByPolicy"),
            Terminal,
        ),
        (err(Response, Some(500), ""), Transient),
        (err(Response, Some(502), ""), Transient),
        (err(Response, Some(504), "GatewayTimeout"), Transient),
        (err(Credential, Some(503), ""), Transient),
        (err(Credential, Some(401), ""), Terminal),
        (err(Credential, None, ""), Terminal),
        (err(Operation, None, "InternalServerError"), Transient),
        (err(Operation, None, "Canceled"), Transient),
        (err(Operation, None, "BadArgument"), Terminal),
        (err(Operation, None, "OperationFailed"), Terminal),
        (err(Decode, Some(200), ""), Terminal),
        (err(Invalid, None, ""), Terminal),
    ];
    for (e, class) in &cases {
        assert_eq!(e.class(), *class, "{e}");
    }
}

#[test]
fn throttled_waits_what_arm_said() {
    let mut e = err(ErrorOrigin::Response, Some(429), "");
    e.retry_after = Some(Duration::from_secs(7));
    assert_eq!(
        e.class(),
        ErrorClass::Throttled {
            retry_after: Duration::from_secs(7)
        }
    );
    assert!(e.class().is_retryable());
    assert!(
        !err(ErrorOrigin::Response, Some(400), "")
            .class()
            .is_retryable()
    );
}

#[test]
fn unmatched_errors_are_terminal() {
    let e = err(ErrorOrigin::Decode, None, "");
    assert_eq!(matching_row(&e), None);
    assert_eq!(e.class(), ErrorClass::Terminal);
}

#[test]
fn arm_error_bodies_are_read() {
    let body = br#"{"error":{"code":"BadArgument","message":"traffic must sum to 100","target":"properties.traffic","details":[{"code":"Inner","message":"m"}]}}"#;
    let e = ArmError::from_response("PUT x", 400, body);
    assert_eq!(e.status(), Some(400));
    assert_eq!(e.code(), "BadArgument");
    assert_eq!(e.message(), "traffic must sum to 100");
    assert_eq!(e.target.as_deref(), Some("properties.traffic"));
    assert_eq!(e.details.len(), 1);
    assert_eq!(
        e.to_string(),
        "failed to PUT x: HTTP 400 BadArgument: traffic must sum to 100 (target properties.traffic)"
    );

    let bare = ArmError::from_response(
        "GET x",
        404,
        br#"{"code":"NotFound","message":"gone","details":null}"#,
    );
    assert_eq!(bare.code(), "NotFound");

    let text = ArmError::from_response("GET x", 502, b"<html>Bad Gateway</html>");
    assert_eq!(text.code(), "");
    assert_eq!(text.message(), "<html>Bad Gateway</html>");

    let empty = ArmError::from_response("GET x", 503, b"");
    assert_eq!(empty.message(), "HTTP 503 with no error body");
    assert_eq!(empty.class(), ErrorClass::Transient);
}

#[test]
fn display_names_the_correlation_id_and_keeps_the_source() {
    let mut e = ArmError::new(ErrorOrigin::Transport, "GET x", "could not connect")
        .with_source(std::io::Error::other("refused"));
    e.correlation_id = Some("c-1".into());
    assert_eq!(
        e.to_string(),
        "failed to GET x: could not connect [correlation id c-1]"
    );
    let source = std::error::Error::source(&e).unwrap();
    assert_eq!(source.to_string(), "refused");
}
