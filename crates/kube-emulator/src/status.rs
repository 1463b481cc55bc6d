//! Failed requests as the apiserver reports them: a `v1 Status` body whose `code`, `reason`,
//! `message` and `details` match what client-go and kube-rs parse (and kubectl prints).

use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::admission::FieldError;
use crate::resources::{GroupResource, ResourceType};

/// A request the emulator refuses, rendered as a `Status`.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    pub details: Option<Box<Value>>,
    pub retry_after: Option<u64>,
}

/// Boxes `details` so results carrying an `ApiError` stay small.
pub(crate) fn boxed(details: Value) -> Option<Box<Value>> {
    Some(Box::new(details))
}

fn details(gr: &GroupResource, name: &str) -> Value {
    json!({"name": name, "group": gr.group, "kind": gr.resource})
}

impl ApiError {
    pub fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            reason,
            message: message.into(),
            details: None,
            retry_after: None,
        }
    }

    pub fn not_found(gr: &GroupResource, name: &str) -> Self {
        Self {
            details: crate::status::boxed(details(gr, name)),
            ..Self::new(404, "NotFound", format!("{gr} \"{name}\" not found"))
        }
    }

    pub fn already_exists(gr: &GroupResource, name: &str) -> Self {
        Self {
            details: crate::status::boxed(details(gr, name)),
            ..Self::new(
                409,
                "AlreadyExists",
                format!("{gr} \"{name}\" already exists"),
            )
        }
    }

    /// The optimistic-concurrency conflict of a stale `resourceVersion`.
    pub fn conflict(gr: &GroupResource, name: &str) -> Self {
        Self::conflict_with(
            gr,
            name,
            "the object has been modified; please apply your changes to the latest version and try again",
        )
    }

    pub fn conflict_with(gr: &GroupResource, name: &str, why: &str) -> Self {
        Self {
            details: crate::status::boxed(details(gr, name)),
            ..Self::new(
                409,
                "Conflict",
                format!("Operation cannot be fulfilled on {gr} \"{name}\": {why}"),
            )
        }
    }

    /// A 422 whose causes name each field, as `errors.NewInvalid` builds it.
    pub fn invalid(t: &ResourceType, name: &str, errors: &[FieldError]) -> Self {
        Self::invalid_kind(&t.group, &t.kind, name, errors)
    }

    pub fn invalid_kind(group: &str, kind: &str, name: &str, errors: &[FieldError]) -> Self {
        let group_kind = if group.is_empty() {
            kind.to_owned()
        } else {
            format!("{kind}.{group}")
        };
        let causes: Vec<Value> = errors
            .iter()
            .map(|e| json!({"reason": e.reason(), "message": e.body(), "field": e.path}))
            .collect();
        let message = match errors {
            [] => format!("{group_kind} \"{name}\" is invalid"),
            [one] => format!("{group_kind} \"{name}\" is invalid: {one}"),
            many => format!(
                "{group_kind} \"{name}\" is invalid: [{}]",
                many.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        Self {
            details: crate::status::boxed(
                json!({"name": name, "group": group, "kind": kind, "causes": causes}),
            ),
            ..Self::new(422, "Invalid", message)
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }

    pub fn forbidden(gr: &GroupResource, name: &str, why: &str) -> Self {
        Self {
            details: crate::status::boxed(details(gr, name)),
            ..Self::new(
                403,
                "Forbidden",
                format!("{gr} \"{name}\" is forbidden: {why}"),
            )
        }
    }

    pub fn method_not_allowed(message: impl Into<String>) -> Self {
        Self::new(405, "MethodNotAllowed", message)
    }

    pub fn unsupported_media_type(content_type: &str) -> Self {
        Self::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml (got {content_type})"
            ),
        )
    }

    /// The watch/list answer to a resourceVersion older than the kept history.
    pub fn gone(message: impl Into<String>) -> Self {
        Self::new(410, "Expired", message)
    }

    pub fn unauthorized() -> Self {
        Self::new(401, "Unauthorized", "Unauthorized")
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(500, "InternalError", message)
    }

    /// A create whose body still carries a `metadata.resourceVersion`. The apiserver's etcd
    /// storage refuses it with a plain Go error (`storage.ErrResourceVersionSetOnCreate`), not an
    /// API status, so the response writer turns it into a 500 with reason Unknown (empty, left
    /// out of the body) and the error text as the message, without details
    /// (`responsewriters.ErrorToAPIStatus`).
    pub fn resource_version_set_on_create() -> Self {
        Self::new(
            500,
            "",
            "resourceVersion should not be set on objects to be created",
        )
    }

    pub fn too_many_requests(retry_after: u64) -> Self {
        Self {
            details: crate::status::boxed(json!({"retryAfterSeconds": retry_after})),
            retry_after: Some(retry_after),
            ..Self::new(
                429,
                "TooManyRequests",
                "Too many requests, please try again later.",
            )
        }
    }

    /// The `Status` object itself (also what a watch ERROR event carries).
    pub fn to_status(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        // Reason Unknown is the empty string, which the apiserver leaves out (omitempty).
        if self.reason.is_empty()
            && let Some(map) = status.as_object_mut()
        {
            map.remove("reason");
        }
        if let Some(details) = &self.details {
            status["details"] = (**details).clone();
        }
        status
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = http::StatusCode::from_u16(self.code)
            .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        let body = self.to_status().to_string();
        let mut response = (
            code,
            [(http::header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response();
        if let Some(seconds) = self.retry_after
            && let Ok(value) = http::HeaderValue::from_str(&seconds.to_string())
        {
            response
                .headers_mut()
                .insert(http::header::RETRY_AFTER, value);
        }
        response
    }
}
