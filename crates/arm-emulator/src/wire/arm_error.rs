//! ARM error bodies: `{"error": {"code", "message", "target", "details"}}` with the status code
//! ARM uses for each class of failure. Every error the emulated services answer is one of these.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// An error answer in ARM's shape (boxed: errors travel through many `Result`s).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ArmError(Box<ArmErrorBody>);

/// The fields of an [`ArmError`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ArmErrorBody {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub target: Option<String>,
    pub details: Vec<ArmError>,
    /// Extra headers (e.g. `Retry-After` on 429, `WWW-Authenticate` on 401).
    pub headers: Vec<(&'static str, String)>,
}

impl std::ops::Deref for ArmError {
    type Target = ArmErrorBody;
    fn deref(&self) -> &ArmErrorBody {
        &self.0
    }
}

impl ArmError {
    pub fn new(status: StatusCode, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self(Box::new(ArmErrorBody {
            status,
            code: code.into(),
            message: message.into(),
            target: None,
            details: Vec::new(),
            headers: Vec::new(),
        }))
    }

    pub fn with_target(mut self, target: impl Into<String>) -> Self {
        self.0.target = Some(target.into());
        self
    }

    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.0.headers.push((name, value.into()));
        self
    }

    /// 400 with a service-specific code.
    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 400 `BadArgument`: the ML service's code for a field it rejects.
    pub fn bad_argument(target: &str, message: impl Into<String>) -> Self {
        Self::bad_request("BadArgument", message).with_target(target)
    }

    /// 404 `ResourceNotFound` in ARM's words.
    pub fn not_found(resource_type: &str, name: &str, resource_group: Option<&str>) -> Self {
        let message = match resource_group {
            Some(rg) => format!(
                "The Resource '{resource_type}/{name}' under resource group '{rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"
            ),
            None => format!("The Resource '{resource_type}/{name}' was not found."),
        };
        Self::new(StatusCode::NOT_FOUND, "ResourceNotFound", message)
    }

    /// 404 `ParentResourceNotFound` (PUT under a parent that does not exist).
    pub fn parent_not_found(child_id: &str, parent_id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "ParentResourceNotFound",
            format!(
                "Failed to perform 'write' on resource(s) of type '{}', because the parent resource '{parent_id}' could not be found.",
                crate::wire::path::resource_type_of(child_id)
            ),
        )
    }

    /// 409 because another operation is running on the resource (or its endpoint).
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "Conflict", message)
    }

    /// 400 for a body that is not JSON or not the right shape.
    pub fn invalid_body(message: impl Into<String>) -> Self {
        Self::bad_request("InvalidRequestContent", message)
    }

    pub fn body(&self) -> Value {
        json!({ "error": self.inner_json() })
    }

    fn inner_json(&self) -> Value {
        let mut inner = json!({ "code": self.code, "message": self.message });
        if let Some(target) = &self.target {
            inner["target"] = Value::String(target.clone());
        }
        if !self.details.is_empty() {
            inner["details"] = Value::Array(self.details.iter().map(|d| d.inner_json()).collect());
        }
        inner
    }
}

impl IntoResponse for ArmError {
    fn into_response(self) -> Response {
        let body = self.body().to_string();
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        headers.insert(
            "x-ms-failure-cause",
            HeaderValue::from_static(if self.status.is_server_error() {
                "service"
            } else {
                "gateway"
            }),
        );
        for (name, value) in &self.headers {
            if let Ok(v) = HeaderValue::from_str(value) {
                headers.insert(*name, v);
            }
        }
        response
    }
}
