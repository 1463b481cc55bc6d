//! Request and response encoding: query parameters, JSON or YAML bodies, content negotiation
//! (plain JSON, Table, aggregated discovery), and warning headers.

use std::collections::HashMap;

use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::Value;

use crate::status::ApiError;

/// The query string, last value wins (as Go's `url.Values.Get` reads the first; our clients
/// never repeat a parameter).
#[derive(Debug, Clone, Default)]
pub(crate) struct Query(HashMap<String, String>);

impl Query {
    pub fn parse(raw: Option<&str>) -> Self {
        Self(
            url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// `true`/`1` (how client-go and kube-rs encode booleans).
    pub fn flag(&self, key: &str) -> bool {
        matches!(self.get(key), Some("true" | "1"))
    }

    pub fn dry_run(&self) -> Result<bool, ApiError> {
        match self.get("dryRun") {
            None => Ok(false),
            Some("All") => Ok(true),
            Some(other) => Err(ApiError::bad_request(format!(
                "Invalid dry run value: \"{other}\", only \"All\" is supported"
            ))),
        }
    }
}

/// The media type of a request body, without parameters.
pub(crate) fn media_type(content_type: Option<&str>) -> String {
    content_type
        .unwrap_or("application/json")
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// Decodes a JSON or YAML body into a JSON value.
pub(crate) fn decode(body: &Bytes, media: &str) -> Result<Value, ApiError> {
    if body.is_empty() {
        return Err(ApiError::bad_request("the request body is empty"));
    }
    if media == "application/vnd.kubernetes.protobuf" {
        return crate::protobuf::decode(body)
            .ok_or_else(|| ApiError::unsupported_media_type(media));
    }
    if !media.contains("json") && !media.contains("yaml") {
        return Err(ApiError::unsupported_media_type(media));
    }
    let yaml = media.contains("yaml");
    if !yaml {
        return serde_json::from_slice(body).map_err(|e| {
            ApiError::bad_request(format!("the body of the request could not be decoded: {e}"))
        });
    }
    let text = std::str::from_utf8(body)
        .map_err(|e| ApiError::bad_request(format!("the body of the request is not UTF-8: {e}")))?;
    serde_saphyr::from_str::<Value>(text)
        .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))
}

/// A JSON response with the given status and `Warning` headers.
pub(crate) fn json(status: u16, body: &Value, warnings: &[String]) -> Response {
    let code = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::OK);
    let mut response = (
        code,
        [(http::header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response();
    for warning in warnings {
        let text = format!("299 - {}", Value::String(warning.clone()));
        if let Ok(value) = http::HeaderValue::from_str(&text) {
            response.headers_mut().append(http::header::WARNING, value);
        }
    }
    response
}

/// Whether the client asked for a `meta.k8s.io` Table.
pub(crate) fn wants_table(accept: Option<&str>) -> bool {
    accept.is_some_and(|a| {
        a.split(',').any(|part| {
            let part = part.replace(' ', "");
            part.contains("as=Table") && part.contains("g=meta.k8s.io") && part.contains("v=v1")
        })
    })
}

/// Whether the client asked for aggregated discovery (`apidiscovery.k8s.io/v2`) first.
pub(crate) fn wants_aggregated_discovery(accept: Option<&str>) -> bool {
    accept.is_some_and(|a| {
        a.split(',').any(|part| {
            let part = part.replace(' ', "");
            part.contains("as=APIGroupDiscoveryList")
                && part.contains("g=apidiscovery.k8s.io")
                && part.contains("v=v2")
                && !part.contains("v=v2beta1")
        })
    })
}
