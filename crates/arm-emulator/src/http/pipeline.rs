//! The ARM request pipeline every non-admin request goes through, in ARM's order:
//! request ids → injected faults → (token endpoint: straight to its handler) → finish due
//! operations → authentication (401) → throttling (429) → api-version (400) → authorization
//! (403) → handler. Every answer gets `x-ms-request-id`, `x-ms-correlation-request-id` and the
//! remaining-requests header of its class, and is journalled.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde_json::Value;

use crate::faults::Fault;
use crate::journal::{JournalEntry, RequestRecord};
use crate::state::SharedState;
use crate::throttle::{Draw, RequestClass};
use crate::wire::ArmError;
use crate::wire::api_version::{self, ApiFamily};
use crate::wire::path;
use crate::world::Ctx;

/// Marker on a response: the server closes the connection instead of answering.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ResetConnection;

/// What handlers learn about the request.
#[derive(Debug, Clone)]
pub(crate) struct RequestContext {
    pub ctx: Ctx,
    /// `https://host:port` as the client addressed us (for absolute LRO links and nextLinks).
    pub base: String,
    pub query: HashMap<String, String>,
    pub headers: HeaderMap,
}

const MAX_BODY: usize = 16 * 1024 * 1024;

fn query_map(uri: &axum::http::Uri) -> HashMap<String, String> {
    uri.query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default()
}

/// Is this one of the identity routes (no ARM token, throttle or api-version)?
fn is_identity_route(path: &str) -> bool {
    path.contains("/oauth2/")
        || path.contains("/.well-known/")
        || path.starts_with("/common/discovery")
}

/// The `Microsoft.X/type/...` action ARM authorizes, for 403 messages.
fn action_of(path: &str, method: &axum::http::Method) -> String {
    let verb = match *method {
        axum::http::Method::GET => "read",
        axum::http::Method::DELETE => "delete",
        axum::http::Method::POST => "action",
        _ => "write",
    };
    format!("{}/{verb}", path::resource_type_of(path))
}

fn journal_body(bytes: &Bytes, redact: bool) -> Option<Value> {
    if bytes.is_empty() || redact {
        return None;
    }
    serde_json::from_slice(bytes)
        .ok()
        .or_else(|| Some(Value::String(String::from_utf8_lossy(bytes).into_owned())))
}

pub(crate) async fn arm_pipeline(
    State(state): State<SharedState>,
    req: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let now = Timestamp::now();
    let request_id = uuid::Uuid::new_v4().to_string();
    let correlation_id = req
        .headers()
        .get("x-ms-correlation-request-id")
        .and_then(|v| v.to_str().ok())
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_string);
    let client_request_id = req.headers().get("x-ms-client-request-id").cloned();
    let method = req.method().clone();
    let path_str = req.uri().path().to_string();
    let query = query_map(req.uri());
    let api_version_raw = query.get("api-version").cloned();
    let class = RequestClass::of_method(&method);
    let identity_route = is_identity_route(&path_str);
    let matched = req.extensions().get::<MatchedPath>().is_some();
    let scheme = if state.base_url.starts_with("https") {
        "https"
    } else {
        "http"
    };
    let base = req
        .headers()
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map_or_else(|| state.base_url.clone(), |h| format!("{scheme}://{h}"));

    let (parts, body) = req.into_parts();
    let bytes = match to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => Bytes::new(),
    };
    let journal_entry_body = journal_body(&bytes, identity_route);
    let headers = parts.headers.clone();

    let finish = |mut response: Response,
                  principal: Option<String>,
                  remaining: Option<u64>,
                  fault: Option<String>| {
        let h = response.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&request_id) {
            h.insert("x-ms-request-id", v);
        }
        if let Ok(v) = HeaderValue::from_str(&correlation_id) {
            h.insert("x-ms-correlation-request-id", v);
        }
        if let Some(v) = &client_request_id {
            h.insert("x-ms-client-request-id", v.clone());
        }
        if let Ok(v) = HeaderValue::from_str(&format!(
            "WESTEUROPE:{}:{request_id}",
            now.strftime("%Y%m%dT%H%M%SZ")
        )) {
            h.insert("x-ms-routing-request-id", v);
        }
        h.insert("cache-control", HeaderValue::from_static("no-cache"));
        if let Some(remaining) = remaining {
            h.insert(class.header(), HeaderValue::from(remaining));
            h.insert(class.global_header(), HeaderValue::from(remaining));
        }
        let reset = response.extensions().get::<ResetConnection>().is_some();
        state.journal.push(JournalEntry::Request(RequestRecord {
            time: now.to_string(),
            principal,
            method: method.to_string(),
            path: path_str.clone(),
            api_version: api_version_raw.clone(),
            body: journal_entry_body.clone(),
            status: if reset { 0 } else { response.status().as_u16() },
            request_id: request_id.clone(),
            correlation_id: correlation_id.clone(),
            fault,
        }));
        response
    };

    // Faults first: a real network or front door fails before anything else looks at the request.
    let mut fault_label = None;
    if let Some(fault) = state.faults.decide(method.as_str(), &path_str) {
        fault_label = Some(fault.label());
        match fault {
            Fault::Pass => {}
            Fault::Latency { millis } => tokio::time::sleep(Duration::from_millis(millis)).await,
            Fault::ConnectionReset => {
                let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
                response.extensions_mut().insert(ResetConnection);
                return finish(response, None, None, fault_label);
            }
            Fault::TooManyRequests { retry_after_secs } => {
                let e = ArmError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "TooManyRequests",
                    "The request was throttled (injected fault).",
                )
                .with_header("retry-after", retry_after_secs.to_string());
                return finish(e.into_response(), None, None, fault_label);
            }
            Fault::Conflict => {
                let e = ArmError::new(
                    StatusCode::CONFLICT,
                    "Conflict",
                    "The resource is busy with another operation (injected fault).",
                );
                return finish(e.into_response(), None, None, fault_label);
            }
            Fault::NotFound => {
                let e = ArmError::new(
                    StatusCode::NOT_FOUND,
                    "NotFound",
                    "The requested resource was not found (injected fault).",
                );
                return finish(e.into_response(), None, None, fault_label);
            }
            Fault::InternalServerError => {
                let e = ArmError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalServerError",
                    "Encountered internal server error (injected fault).",
                );
                return finish(e.into_response(), None, None, fault_label);
            }
            Fault::ServiceUnavailable { retry_after_secs } => {
                let mut e = ArmError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "ServiceUnavailable",
                    "The service is temporarily unavailable (injected fault).",
                );
                if let Some(s) = retry_after_secs {
                    e = e.with_header("retry-after", s.to_string());
                }
                return finish(e.into_response(), None, None, fault_label);
            }
        }
    }

    let ctx_base = Ctx {
        actor: String::new(),
        tenant: String::new(),
        api_version: api_version_raw.clone().unwrap_or_default(),
        now,
        instant: started,
    };
    if identity_route {
        let mut req = Request::from_parts(parts, Body::from(bytes));
        req.extensions_mut().insert(RequestContext {
            ctx: ctx_base,
            base,
            query,
            headers,
        });
        let response = next.run(req).await;
        return finish(response, None, None, fault_label);
    }

    state.world().advance(started);

    let authorization = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let principal = match state.auth.authenticate(authorization, &state.base_url) {
        Ok(p) => p,
        Err(e) => return finish(e.into_response(), None, None, fault_label),
    };
    let who = Some(principal.client_id.clone());

    let remaining = match state.throttle.draw(&principal.client_id, class, started) {
        Draw::Allowed { remaining } => remaining,
        Draw::Throttled { retry_after_secs } => {
            let kind = match class {
                RequestClass::Reads => "read",
                RequestClass::Writes => "write",
                RequestClass::Deletes => "delete",
            };
            let e = ArmError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "SubscriptionRequestsThrottled",
                format!(
                    "Number of '{kind}' requests for subscription '{}' actor '{}' exceeded. Please try again after '{retry_after_secs}' seconds after the additional tokens are available.",
                    path::subscription_of(&path_str).unwrap_or_default(),
                    principal.object_id
                ),
            )
            .with_header("retry-after", retry_after_secs.to_string());
            return finish(e.into_response(), who, Some(0), fault_label);
        }
    };

    let api_version = if matched {
        match api_version::check(
            ApiFamily::of_path(&path_str),
            api_version_raw.as_deref(),
            &path::resource_type_of(&path_str),
        ) {
            Ok(v) => v,
            Err(e) => return finish(e.into_response(), who, Some(remaining), fault_label),
        }
    } else {
        api_version_raw.clone().unwrap_or_default()
    };

    // Polling URLs are authorized against the resource their operation acts on.
    let scope = if path_str.contains("OperationsStatus/")
        || path_str.contains("OperationResults/")
        || path_str.contains("/operations/")
        || path_str.contains("/operationResults/")
        || path_str.contains("privateDnsOperation")
    {
        let op = path::name_of(&path_str).to_string();
        state
            .world()
            .operation_resource(&op)
            .unwrap_or_else(|| path_str.clone())
    } else {
        path_str.clone()
    };
    let write = method != axum::http::Method::GET && method != axum::http::Method::HEAD;
    if !principal.may(&scope, write) {
        let e = principal.forbidden(&action_of(&path_str, &method), &scope);
        return finish(e.into_response(), who, Some(remaining), fault_label);
    }

    // Behind ARM's buckets and authorization (a refused request never reaches the provider),
    // the resource provider's own limits (Microsoft.Network, Private DNS; see
    // `Throttle::draw_provider` for the sources).
    let provider_header = match state.throttle.draw_provider(&method, &path_str, started) {
        crate::throttle::ProviderDraw::Unlimited => None,
        crate::throttle::ProviderDraw::Allowed { header } => header,
        crate::throttle::ProviderDraw::Throttled(e) => {
            return finish(e.into_response(), who, Some(remaining), fault_label);
        }
    };

    let ctx = Ctx {
        actor: principal.client_id.clone(),
        tenant: principal.tenant_id.clone(),
        api_version,
        ..ctx_base
    };
    let mut req = Request::from_parts(parts, Body::from(bytes));
    req.extensions_mut().insert(RequestContext {
        ctx,
        base,
        query,
        headers,
    });
    let mut response = next.run(req).await;
    if let Some((name, left)) = provider_header
        && let Ok(v) = HeaderValue::from_str(&left.to_string())
    {
        response.headers_mut().insert(name, v);
    }
    finish(response, who, Some(remaining), fault_label)
}
