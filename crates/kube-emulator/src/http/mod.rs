//! The HTTP front: authentication (bearer token), scripted faults, and routing of Kubernetes
//! paths (`/api/v1/...`, `/apis/<group>/<version>/...`, discovery, OpenAPI, health) to handlers.

mod apply;
mod builtin;
mod fieldset;
mod objects;
mod patch;
mod path;
mod token;
mod watch;
mod write;

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Value, json};

use crate::discovery;
use crate::openapi;
use crate::shared::Shared;
use crate::status::ApiError;
use crate::wire::{self, Query};

pub(crate) use builtin::{CRD_CLEANUP_FINALIZER, after_remove};
pub(crate) use write::{DeleteOptions, create_or_replace, delete_object, internal_context};

/// One decoded request.
pub(crate) struct Req {
    pub method: http::Method,
    pub path: String,
    pub query: Query,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

impl Req {
    pub fn header(&self, name: http::header::HeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn accept(&self) -> Option<&str> {
        self.header(http::header::ACCEPT)
    }

    pub fn media_type(&self) -> String {
        wire::media_type(self.header(http::header::CONTENT_TYPE))
    }

    /// The field manager: the `fieldManager` parameter, else the user agent's product name
    /// (what the apiserver derives for non-apply requests).
    pub fn field_manager(&self) -> String {
        if let Some(m) = self.query.get("fieldManager") {
            return m.to_owned();
        }
        self.header(http::header::USER_AGENT)
            .and_then(|ua| ua.split('/').next())
            .filter(|s| !s.is_empty())
            .unwrap_or("unknown")
            .to_owned()
    }
}

pub(crate) fn router(shared: Arc<Shared>) -> axum::Router {
    axum::Router::new().fallback(handle).with_state(shared)
}

/// Paths anyone may read without a token (as the default RBAC lets `system:unauthenticated`).
fn is_public(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/livez" | "/version") || path.starts_with("/healthz/")
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, 64 * 1024 * 1024).await {
        Ok(b) => b,
        Err(e) => {
            return ApiError::bad_request(format!("failed to read the request body: {e}"))
                .into_response();
        }
    };
    let req = Req {
        path: parts.uri.path().to_owned(),
        query: Query::parse(parts.uri.query()),
        method: parts.method,
        headers: parts.headers,
        body,
    };
    // client-go never sends a bearer token over plain HTTP, so there a request without
    // credentials is admitted (loopback only); over HTTPS the token is required. A wrong token
    // is always refused.
    if !is_public(&req.path) {
        let given = req.header(http::header::AUTHORIZATION);
        let admitted = match given {
            Some(g) => g == format!("Bearer {}", shared.config.token),
            None => !shared.config.tls,
        };
        if !admitted {
            return ApiError::unauthorized().into_response();
        }
    }
    if let Some(rest) = req.path.strip_prefix("/emulator/faults") {
        return faults_admin(&shared, &req, rest);
    }
    let watch = req
        .query
        .get("watch")
        .is_some_and(|w| w == "true" || w == "1");
    let user_agent = req.header(http::header::USER_AGENT).unwrap_or_default();
    if let Some(record) =
        crate::audit::attributes(req.method.as_str(), &req.path, watch, user_agent)
    {
        shared.audit.record(record);
    }
    let verdict = shared.faults.verdict(req.method.as_str(), &req.path);
    if !verdict.latency.is_zero() {
        tokio::time::sleep(verdict.latency).await;
    }
    if let Some((status, retry_after)) = verdict.status {
        return injected(status, retry_after).into_response();
    }
    match route(&shared, req).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

fn injected(status: u16, retry_after: Option<u64>) -> ApiError {
    match status {
        429 => ApiError::too_many_requests(retry_after.unwrap_or(1)),
        409 => ApiError::new(
            409,
            "Conflict",
            "Operation cannot be fulfilled: injected conflict; please apply your changes to the latest version and try again",
        ),
        500 => ApiError::internal("Internal error occurred: injected fault"),
        503 => ApiError::new(
            503,
            "ServiceUnavailable",
            "the server is currently unable to handle the request (injected)",
        ),
        504 => ApiError::new(
            504,
            "Timeout",
            "the server was unable to return a response in the time allotted (injected)",
        ),
        other => ApiError::new(other, "Unknown", format!("injected fault {other}")),
    }
}

fn faults_admin(shared: &Shared, req: &Req, rest: &str) -> Response {
    let ok = || wire::json(200, &json!({"ok": true}), &[]);
    match (req.method.as_str(), rest) {
        ("POST", "" | "/") => match serde_json::from_slice::<crate::faults::FaultRule>(&req.body) {
            Ok(rule) => {
                shared.faults.push(rule);
                ok()
            }
            Err(e) => ApiError::bad_request(format!("failed to parse the fault rule: {e}"))
                .into_response(),
        },
        ("POST", "/drop-watches") => {
            shared.faults.drop_watches();
            ok()
        }
        ("POST", "/expire-watch") => {
            shared.faults.expire_next_watch();
            ok()
        }
        ("POST", "/latency") => {
            let ms = req
                .query
                .get("ms")
                .and_then(|m| m.parse().ok())
                .unwrap_or(0);
            shared
                .faults
                .set_latency(std::time::Duration::from_millis(ms));
            ok()
        }
        ("DELETE", _) => {
            shared.faults.clear();
            ok()
        }
        _ => ApiError::new(404, "NotFound", "unknown fault endpoint").into_response(),
    }
}

fn not_found() -> ApiError {
    ApiError {
        details: crate::status::boxed(json!({})),
        ..ApiError::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )
    }
}

async fn route(shared: &Arc<Shared>, req: Req) -> Result<Response, ApiError> {
    let segments: Vec<String> = req
        .path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    match segs.as_slice() {
        ["healthz" | "readyz" | "livez", ..] => Ok((
            [(http::header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "ok",
        )
            .into_response()),
        ["version"] => Ok(wire::json(200, &discovery::version(), &[])),
        ["openapi", "v3"] => Ok(wire::json(
            200,
            &openapi::root(&shared.lock().registry),
            &[],
        )),
        ["openapi", "v3", rest @ ..] => {
            let gv = rest.join("/");
            let state = shared.lock();
            openapi::group_version(&state.registry, &gv)
                .map(|doc| wire::json(200, &doc, &[]))
                .ok_or_else(not_found)
        }
        ["api"] => Ok(discovery::api(shared, req.accept())),
        ["apis"] => Ok(discovery::apis(shared, req.accept())),
        ["api", "v1"] => discovery::resource_list(shared, "", "v1").ok_or_else(not_found),
        ["apis", group] => discovery::group(shared, group).ok_or_else(not_found),
        ["apis", group, version] => {
            discovery::resource_list(shared, group, version).ok_or_else(not_found)
        }
        ["api", "v1", rest @ ..] => resource(shared, req, "", "v1", rest).await,
        ["apis", group, version, rest @ ..] => resource(shared, req, group, version, rest).await,
        _ => Err(not_found()),
    }
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| s.to_owned())
}

async fn resource(
    shared: &Arc<Shared>,
    req: Req,
    group: &str,
    version: &str,
    rest: &[&str],
) -> Result<Response, ApiError> {
    let target = {
        let state = shared.lock();
        path::resolve(&state.registry, group, version, rest).ok_or_else(not_found)?
    };
    let watching = req.query.flag("watch");
    if target.sub.as_deref() == Some("token") {
        return match req.method {
            http::Method::POST => token::create(shared, &req, &target),
            method => Err(ApiError::method_not_allowed(format!(
                "the server does not allow this method on the requested resource ({method})"
            ))),
        };
    }
    match (req.method.clone(), target.name.is_some()) {
        (http::Method::GET, false) if watching => watch::watch(shared.clone(), &req, &target),
        (http::Method::GET, false) => objects::list(shared, &req, &target),
        (http::Method::GET, true) => objects::get(shared, &req, &target),
        (http::Method::POST, false) => write::create_request(shared, &req, &target),
        (http::Method::PUT, true) => write::update_request(shared, &req, &target),
        (http::Method::PATCH, true) => patch::patch_request(shared, &req, &target),
        (http::Method::DELETE, true) => write::delete_request(shared, &req, &target),
        (http::Method::DELETE, false) => write::delete_collection_request(shared, &req, &target),
        (method, _) => Err(ApiError::method_not_allowed(format!(
            "the server does not allow this method on the requested resource ({method})"
        ))),
    }
}

/// Serializes a response body that is an object or list.
pub(crate) fn respond(status: u16, body: &Value, warnings: &[String]) -> Response {
    wire::json(status, body, warnings)
}

pub(crate) fn streaming(body: Body) -> Response {
    let mut response = Response::new(body);
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}
