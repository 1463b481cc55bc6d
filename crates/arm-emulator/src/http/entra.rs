//! The Entra-ID-like identity endpoints: the client-credentials token endpoint (v2 with
//! `scope`, v1 with `resource`) accepting a client secret or a client assertion (workload
//! identity federation), plus the OpenID configuration and instance discovery documents that
//! MSAL-based clients fetch. azure_identity 1.0 itself only posts to
//! `{authority}/{tenant}/oauth2/v2.0/token`.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::pipeline::RequestContext;
use crate::state::SharedState;

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const MANAGEMENT_RESOURCES: &[&str] = &[
    "https://management.azure.com",
    "https://management.azure.com/",
    "https://management.core.windows.net",
    "https://management.core.windows.net/",
];

fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

fn entra_error(status: StatusCode, error: &str, code: u32, description: &str) -> Response {
    let trace = uuid::Uuid::new_v4();
    let correlation = uuid::Uuid::new_v4();
    let now = jiff::Timestamp::now();
    json_response(
        status,
        &json!({
            "error": error,
            "error_description": format!("AADSTS{code}: {description} Trace ID: {trace} Correlation ID: {correlation} Timestamp: {now}"),
            "error_codes": [code],
            "timestamp": now.to_string(),
            "trace_id": trace.to_string(),
            "correlation_id": correlation.to_string(),
            "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
        }),
    )
}

fn entra_reject(status: StatusCode, error: &str, code: u32, description: &str) -> Box<Response> {
    Box::new(entra_error(status, error, code, description))
}

/// The resource a v2 `scope` asks for (`<resource>/.default`).
fn resource_of_scope(scope: &str) -> Option<&str> {
    scope
        .split_whitespace()
        .find_map(|s| s.strip_suffix(".default"))
}

/// Check the client's credentials; Ok = the client id to issue for.
fn authenticate_client(
    s: &SharedState,
    tenant: &str,
    form: &[(String, String)],
) -> Result<(String, String), Box<Response>> {
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    if get("grant_type") != Some("client_credentials") {
        return Err(entra_reject(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            "The app requested an unsupported grant type; only client_credentials is emulated.",
        ));
    }
    let client_id = get("client_id").unwrap_or_default();
    let principal = s
        .auth
        .principal(client_id)
        .filter(|p| p.tenant_id.eq_ignore_ascii_case(tenant));
    let Some(principal) = principal else {
        return Err(entra_reject(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700_016,
            &format!(
                "Application with identifier '{client_id}' was not found in the directory '{tenant}'."
            ),
        ));
    };
    if let Some(secret) = get("client_secret") {
        return if principal.secret.as_deref() == Some(secret) {
            Ok((principal.client_id.clone(), principal.tenant_id.clone()))
        } else {
            Err(entra_reject(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                7_000_215,
                &format!(
                    "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."
                ),
            ))
        };
    }
    if let Some(assertion) = get("client_assertion") {
        if get("client_assertion_type") != Some(ASSERTION_TYPE) {
            return Err(entra_reject(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                50_027,
                "Invalid client_assertion_type.",
            ));
        }
        if !principal.federated_credentials.is_empty() {
            let now = jiff::Timestamp::now().as_second();
            return match crate::auth::federation::check(
                &principal.federated_credentials,
                assertion,
                now,
            ) {
                Ok(()) => Ok((principal.client_id.clone(), principal.tenant_id.clone())),
                Err(refusal) => Err(entra_reject(
                    if refusal.error == "invalid_client" {
                        StatusCode::UNAUTHORIZED
                    } else {
                        StatusCode::BAD_REQUEST
                    },
                    refusal.error,
                    refusal.code,
                    &refusal.description,
                )),
            };
        }
        // Seeds without federated credentials: the older switch (any, or one exact, assertion).
        let accepted = principal.federated_assertion_accepted
            && !assertion.trim().is_empty()
            && principal
                .federated_assertion
                .as_deref()
                .is_none_or(|want| want == assertion.trim());
        return if accepted {
            Ok((principal.client_id.clone(), principal.tenant_id.clone()))
        } else {
            Err(entra_reject(
                StatusCode::BAD_REQUEST,
                "invalid_client",
                700_213,
                &format!(
                    "No matching federated identity record found for presented assertion subject for app '{client_id}'."
                ),
            ))
        };
    }
    Err(entra_reject(
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        7_000_216,
        "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
    ))
}

fn parse_form(body: &Bytes) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

pub(crate) async fn token_v2(
    State(s): State<SharedState>,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Response {
    let form = parse_form(&body);
    let scope = form
        .iter()
        .find(|(k, _)| k == "scope")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let (client_id, tenant_id) = match authenticate_client(&s, &tenant, &form) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    match resource_of_scope(&scope) {
        Some(resource)
            if MANAGEMENT_RESOURCES.contains(&resource.trim_end_matches('/'))
                || MANAGEMENT_RESOURCES.contains(&resource) => {}
        _ => {
            return entra_error(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                1_002_012,
                &format!(
                    "The provided value for scope '{scope}' is not valid for this emulator; only the Azure Resource Manager '.default' scope is served."
                ),
            );
        }
    }
    let lifetime = s.config.token_lifetime;
    let token = s.auth.issue(&client_id, &tenant_id, lifetime);
    json_response(
        StatusCode::OK,
        &json!({
            "token_type": "Bearer",
            "expires_in": lifetime.as_secs(),
            "ext_expires_in": lifetime.as_secs(),
            "access_token": token,
        }),
    )
}

pub(crate) async fn token_v1(
    State(s): State<SharedState>,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Response {
    let form = parse_form(&body);
    let resource = form
        .iter()
        .find(|(k, _)| k == "resource")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let (client_id, tenant_id) = match authenticate_client(&s, &tenant, &form) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    if !MANAGEMENT_RESOURCES.contains(&resource.as_str()) {
        return entra_error(
            StatusCode::BAD_REQUEST,
            "invalid_resource",
            500_011,
            &format!("The resource principal named {resource} was not found in the tenant."),
        );
    }
    let lifetime = s.config.token_lifetime;
    let token = s.auth.issue(&client_id, &tenant_id, lifetime);
    let now = jiff::Timestamp::now().as_second();
    let secs = i64::try_from(lifetime.as_secs()).unwrap_or(3599);
    json_response(
        StatusCode::OK,
        &json!({
            "token_type": "Bearer",
            "expires_in": secs.to_string(),
            "ext_expires_in": secs.to_string(),
            "expires_on": (now + secs).to_string(),
            "not_before": now.to_string(),
            "resource": resource,
            "access_token": token,
        }),
    )
}

pub(crate) async fn openid_configuration(
    Extension(rc): Extension<RequestContext>,
    Path(tenant): Path<String>,
) -> Response {
    let a = &rc.base;
    json_response(
        StatusCode::OK,
        &json!({
            "token_endpoint": format!("{a}/{tenant}/oauth2/v2.0/token"),
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": format!("{a}/{tenant}/discovery/v2.0/keys"),
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": format!("{a}/{tenant}/v2.0"),
            "request_uri_parameter_supported": false,
            "authorization_endpoint": format!("{a}/{tenant}/oauth2/v2.0/authorize"),
            "device_authorization_endpoint": format!("{a}/{tenant}/oauth2/v2.0/devicecode"),
            "end_session_endpoint": format!("{a}/{tenant}/oauth2/v2.0/logout"),
            "tenant_region_scope": "EU",
            "cloud_instance_name": "microsoftonline.com",
        }),
    )
}

pub(crate) async fn instance_discovery(Extension(rc): Extension<RequestContext>) -> Response {
    let host = rc.base.split("://").nth(1).unwrap_or_default().to_string();
    json_response(
        StatusCode::OK,
        &json!({
            "tenant_discovery_endpoint": format!("{}/common/v2.0/.well-known/openid-configuration", rc.base),
            "api-version": "1.1",
            "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
        }),
    )
}
