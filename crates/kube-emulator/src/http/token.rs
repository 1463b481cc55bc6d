//! `POST /api/v1/namespaces/{ns}/serviceaccounts/{sa}/token`: the TokenRequest subresource
//! (authentication.k8s.io/v1), as the Kubernetes API reference describes it
//! (<https://kubernetes.io/docs/reference/kubernetes-api/authentication-resources/token-request-v1/>,
//! "create token of a ServiceAccount"): 404 when the ServiceAccount does not exist; otherwise
//! 201 with the request echoed back (`spec.audiences` defaulted to the API server's audience,
//! `spec.expirationSeconds` to 3600) and `status.token` plus `status.expirationTimestamp`.
//! `spec.expirationSeconds` below 10 minutes or above 2^32 seconds is 422 Invalid, as
//! `ValidateTokenRequest` (pkg/apis/authentication/validation) refuses it.
//!
//! The token is JWT-shaped with the claims a real API server puts in a ServiceAccount token
//! (`iss`, `sub` = `system:serviceaccount:<ns>:<sa>`, `aud`, `exp`, `iat`, `nbf`, `jti`,
//! `kubernetes.io.{namespace, serviceaccount}`), so an identity provider's federation check
//! (issuer, subject, audience) can read it. It is not signed with a key anyone could verify:
//! its signature part is random bytes. The emulator serves no OIDC discovery or JWKS.

use std::sync::Arc;

use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::Req;
use super::path::Target;
use crate::admission::FieldError;
use crate::shared::Shared;
use crate::status::ApiError;
use crate::wire;

/// The issuer of the emulator's ServiceAccount tokens: what kubeadm and kind clusters use as
/// `--service-account-issuer` by default. Its default audience is the same.
pub const SERVICE_ACCOUNT_ISSUER: &str = "https://kubernetes.default.svc.cluster.local";

const MIN_EXPIRATION_SECONDS: i64 = 10 * 60;
const MAX_EXPIRATION_SECONDS: i64 = 1 << 32;
const DEFAULT_EXPIRATION_SECONDS: i64 = 3600;

pub(crate) fn create(
    shared: &Arc<Shared>,
    req: &Req,
    target: &Target,
) -> Result<Response, ApiError> {
    let namespace = target.namespace.clone().unwrap_or_default();
    let name = target.name.clone().unwrap_or_default();
    let body: Value = if req.body.is_empty() {
        json!({})
    } else {
        serde_json::from_slice(&req.body)
            .map_err(|e| ApiError::bad_request(format!("failed to decode the TokenRequest: {e}")))?
    };
    let service_account = {
        let state = shared.lock();
        state
            .get(&target.t.gr(), &(namespace.clone(), name.clone()))
            .ok_or_else(|| ApiError::not_found(&target.t.gr(), &name))?
    };
    let spec = body.get("spec").cloned().unwrap_or_else(|| json!({}));
    let expiration = match spec.get("expirationSeconds") {
        None | Some(Value::Null) => DEFAULT_EXPIRATION_SECONDS,
        Some(v) => v.as_i64().ok_or_else(|| {
            ApiError::bad_request(format!(
                "TokenRequest in version \"v1\" cannot be handled as a TokenRequest: spec.expirationSeconds: expected an integer, got {v}"
            ))
        })?,
    };
    let mut errors = Vec::new();
    if expiration < MIN_EXPIRATION_SECONDS {
        errors.push(FieldError::invalid(
            "spec.expirationSeconds",
            json!(expiration),
            "may not specify a duration less than 10 minutes",
        ));
    }
    if expiration > MAX_EXPIRATION_SECONDS {
        errors.push(FieldError::invalid(
            "spec.expirationSeconds",
            json!(expiration),
            "may not specify a duration larger than 2^32 seconds",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid_kind(
            "authentication.k8s.io",
            "TokenRequest",
            "",
            &errors,
        ));
    }
    let audiences: Vec<String> = spec
        .get("audiences")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .filter(|a: &Vec<String>| !a.is_empty())
        .unwrap_or_else(|| vec![SERVICE_ACCOUNT_ISSUER.to_owned()]);
    let uid = service_account
        .pointer("/metadata/uid")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let now = jiff::Timestamp::now().as_second();
    let exp = now.saturating_add(expiration);
    let token = jwt(&json!({
        "aud": audiences,
        "exp": exp,
        "iat": now,
        "iss": SERVICE_ACCOUNT_ISSUER,
        "jti": uuid::Uuid::new_v4().to_string(),
        "kubernetes.io": {
            "namespace": namespace,
            "serviceaccount": {"name": name, "uid": uid},
        },
        "nbf": now,
        "sub": format!("system:serviceaccount:{namespace}:{name}"),
    }));
    let expiration_timestamp = jiff::Timestamp::from_second(exp)
        .map(|t| t.to_string())
        .map_err(|e| ApiError::internal(format!("token expiry out of range: {e}")))?;
    Ok(wire::json(
        201,
        &json!({
            "kind": "TokenRequest",
            "apiVersion": "authentication.k8s.io/v1",
            "metadata": {"name": name, "namespace": namespace, "creationTimestamp": null},
            "spec": {"audiences": audiences, "expirationSeconds": expiration, "boundObjectRef": spec.get("boundObjectRef").cloned().unwrap_or(Value::Null)},
            "status": {"token": token, "expirationTimestamp": expiration_timestamp},
        }),
        &[],
    ))
}

/// `header.payload.signature`, base64url without padding; the signature is random bytes.
fn jwt(claims: &Value) -> String {
    let header = json!({"alg": "RS256", "kid": "kube-emulator"});
    let signature: [u8; 32] = rand::random();
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        URL_SAFE_NO_PAD.encode(signature)
    )
}
