//! Turning world answers into HTTP: JSON bodies, absolute LRO links with `Retry-After`, list
//! paging with `nextLink`, request-body parsing, and the 404/405 fallbacks.

use axum::body::Bytes;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::pipeline::RequestContext;
use crate::wire::ArmError;
use crate::world::Answer;

/// What handlers return.
pub(crate) type Reply = Result<Response, ArmError>;

/// Parse a JSON request body; an empty body is `null`.
pub(crate) fn parse_body(bytes: &Bytes) -> Result<Value, ArmError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(bytes).map_err(|e| {
        ArmError::invalid_body(format!(
            "The request content was invalid and could not be deserialized: '{e}'."
        ))
    })
}

/// A body that must be present (PUT/PATCH).
pub(crate) fn required_body(bytes: &Bytes) -> Result<Value, ArmError> {
    match parse_body(bytes)? {
        Value::Null => Err(ArmError::invalid_body(
            "The request content was invalid and could not be deserialized: the body is empty.",
        )),
        v => Ok(v),
    }
}

fn absolute(base: &str, path: &str) -> String {
    if path.starts_with("http") {
        path.to_string()
    } else {
        format!("{base}{path}")
    }
}

/// Render a world answer.
pub(crate) fn answer(rc: &RequestContext, answer: Answer) -> Response {
    let mut response = match &answer.body {
        Some(body) => (answer.status, body.to_string()).into_response(),
        None => answer.status.into_response(),
    };
    let h = response.headers_mut();
    if answer.body.is_some() {
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
    }
    if let Some(lro) = &answer.lro {
        if let Some(p) = &lro.azure_async_operation
            && let Ok(v) = HeaderValue::from_str(&absolute(&rc.base, p))
        {
            h.insert("azure-asyncoperation", v);
        }
        if let Some(p) = &lro.location
            && let Ok(v) = HeaderValue::from_str(&absolute(&rc.base, p))
        {
            h.insert(header::LOCATION, v);
        }
        h.insert(header::RETRY_AFTER, HeaderValue::from(lro.retry_after_secs));
        if let Some(t) = lro.timeout {
            h.insert("x-ms-async-operation-timeout", HeaderValue::from_static(t));
        }
    }
    response
}

/// A page of `items` with ARM's `nextLink` when more remain (`$skipToken` is the offset).
pub(crate) fn paged(
    rc: &RequestContext,
    uri: &Uri,
    items: Vec<Value>,
    page_size: usize,
) -> Response {
    let requested = ["count", "$top", "top"]
        .iter()
        .find_map(|k| rc.query.get(*k))
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n > 0);
    let size = requested.unwrap_or(page_size).max(1);
    let skip = rc
        .query
        .get("$skipToken")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    let total = items.len();
    let page: Vec<Value> = items.into_iter().skip(skip).take(size).collect();
    let mut body = json!({"value": page});
    if skip + size < total {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &rc.query {
            if k != "$skipToken" {
                query.append_pair(k, v);
            }
        }
        query.append_pair("$skipToken", &(skip + size).to_string());
        body["nextLink"] = Value::String(format!("{}{}?{}", rc.base, uri.path(), query.finish()));
    }
    let mut response = (StatusCode::OK, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

pub(crate) async fn not_found(uri: Uri) -> Response {
    ArmError::new(
        StatusCode::NOT_FOUND,
        "InvalidResourceType",
        format!(
            "The resource type could not be found for path '{}'.",
            uri.path()
        ),
    )
    .into_response()
}

pub(crate) async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    ArmError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "HttpMethodNotAllowed",
        format!(
            "The requested resource '{}' does not support http method '{method}'.",
            uri.path()
        ),
    )
    .into_response()
}
