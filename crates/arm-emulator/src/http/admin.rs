//! `/_emulator/*`: the admin API over HTTP (loopback only, no authentication), mirroring
//! [`crate::Admin`]:
//!
//! | route | what |
//! |---|---|
//! | `GET /_emulator/health` | `{status, resources}` |
//! | `GET /_emulator/journal[?since=N][&format=jsonl]` | the journal (JSON array or JSON lines) |
//! | `GET /_emulator/resource?id=…` | a resource's current JSON |
//! | `GET/POST/DELETE /_emulator/faults` | list / add a [`crate::FaultRule`] / clear |
//! | `POST /_emulator/fail-next-operation` | `{resourceId, code, message?}` |
//! | `POST /_emulator/container-logs` | `{resourceId, containerType, text}`: what getLogs answers |
//! | `POST /_emulator/drift` | a [`crate::Drift`] (e.g. `{"action":"setPublicNetworkAccess",…}`) |
//! | `POST /_emulator/token` | `{clientId}` → `{accessToken}` |
//! | `POST /_emulator/seed` | a [`crate::Seed`] as JSON |

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, body::Bytes};
use serde::Deserialize;
use serde_json::json;

use crate::admin::Admin;
use crate::faults::FaultRule;
use crate::seed::Seed;
use crate::state::SharedState;
use crate::world::Drift;

pub(crate) fn router() -> Router<SharedState> {
    Router::new()
        .route("/_emulator/health", get(health))
        .route("/_emulator/journal", get(journal))
        .route("/_emulator/resource", get(resource))
        .route(
            "/_emulator/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/_emulator/fail-next-operation", post(fail_next))
        .route("/_emulator/container-logs", post(container_logs))
        .route("/_emulator/drift", post(drift))
        .route("/_emulator/token", post(token))
        .route("/_emulator/seed", post(seed))
}

fn admin(s: &SharedState) -> Admin {
    Admin { state: s.clone() }
}

fn bad_request(message: String) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": {"code": "BadAdminRequest", "message": message}})),
    )
        .into_response()
}

fn parse<T: for<'de> Deserialize<'de>>(body: &Bytes) -> Result<T, Box<Response>> {
    serde_json::from_slice(body).map_err(|e| {
        Box::new(bad_request(format!(
            "failed to parse the admin request: {e}"
        )))
    })
}

async fn health(State(s): State<SharedState>) -> Response {
    Json(json!({"status": "ok", "resources": admin(&s).resource_count(), "baseUrl": s.base_url}))
        .into_response()
}

async fn journal(
    State(s): State<SharedState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let since = q.get("since").and_then(|v| v.parse().ok()).unwrap_or(0);
    let entries = admin(&s).journal_since(since);
    if q.get("format").map(String::as_str) == Some("jsonl") {
        let mut text = String::new();
        for e in entries {
            if let Ok(line) = serde_json::to_string(&e) {
                text.push_str(&line);
                text.push('\n');
            }
        }
        let mut r = text.into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-ndjson"),
        );
        r
    } else {
        Json(entries).into_response()
    }
}

async fn resource(
    State(s): State<SharedState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(id) = q.get("id") else {
        return bad_request("the 'id' query parameter is required".into());
    };
    match admin(&s).resource(id) {
        Some(v) => Json(v).into_response(),
        None => (StatusCode::NOT_FOUND, Json(json!({"error": {"code": "ResourceNotFound", "message": format!("{id} does not exist")}}))).into_response(),
    }
}

async fn list_faults(State(s): State<SharedState>) -> Response {
    Json(admin(&s).faults()).into_response()
}

async fn add_fault(State(s): State<SharedState>, body: Bytes) -> Response {
    match parse::<FaultRule>(&body) {
        Ok(rule) => {
            admin(&s).add_fault(rule);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(r) => *r,
    }
}

async fn clear_faults(State(s): State<SharedState>) -> Response {
    admin(&s).clear_faults();
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FailNext {
    resource_id: String,
    code: String,
    message: Option<String>,
}

async fn fail_next(State(s): State<SharedState>, body: Bytes) -> Response {
    match parse::<FailNext>(&body) {
        Ok(f) => {
            admin(&s).fail_next_operation(&f.resource_id, &f.code, f.message.as_deref());
            StatusCode::NO_CONTENT.into_response()
        }
        Err(r) => *r,
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ContainerLogsRequest {
    resource_id: String,
    container_type: String,
    text: String,
}

async fn container_logs(State(s): State<SharedState>, body: Bytes) -> Response {
    let r = match parse::<ContainerLogsRequest>(&body) {
        Ok(r) => r,
        Err(r) => return *r,
    };
    match admin(&s).set_container_logs(&r.resource_id, &r.container_type, &r.text) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => bad_request(e.to_string()),
    }
}

async fn drift(State(s): State<SharedState>, body: Bytes) -> Response {
    let d = match parse::<Drift>(&body) {
        Ok(d) => d,
        Err(r) => return *r,
    };
    match admin(&s).drift(d) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => bad_request(e.to_string()),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TokenRequest {
    client_id: String,
}

async fn token(State(s): State<SharedState>, body: Bytes) -> Response {
    match parse::<TokenRequest>(&body) {
        Ok(t) => Json(json!({"accessToken": admin(&s).issue_token(&t.client_id)})).into_response(),
        Err(r) => *r,
    }
}

async fn seed(State(s): State<SharedState>, body: Bytes) -> Response {
    let seed = match parse::<Seed>(&body) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    match admin(&s).seed(&seed) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => bad_request(e.to_string()),
    }
}
