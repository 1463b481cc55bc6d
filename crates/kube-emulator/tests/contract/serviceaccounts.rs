//! ServiceAccounts and their `token` subresource (TokenRequest, authentication.k8s.io/v1), as the
//! Kubernetes API reference describes "create token of a ServiceAccount"
//! (<https://kubernetes.io/docs/reference/kubernetes-api/authentication-resources/token-request-v1/>).

use base64::Engine as _;
use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestSpec};
use k8s_openapi::api::core::v1::ServiceAccount;
use kube::api::{Api, PostParams};
use serde_json::{Value, json};

use super::harness::{Cluster, api_error};

const AUDIENCE: &str = "api://AzureADTokenExchange";

fn request(expiration: i64) -> TokenRequest {
    TokenRequest {
        spec: Some(TokenRequestSpec {
            audiences: Some(vec![AUDIENCE.to_owned()]),
            expiration_seconds: Some(expiration),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The claims of a JWT (its middle part, base64url).
fn claims(token: &str) -> Value {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(
        parts.len(),
        3,
        "a JWT has three parts: {} parts",
        parts.len()
    );
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(parts[1].trim_end_matches('='))
        .unwrap();
    serde_json::from_slice(&payload).unwrap()
}

/// A token for an existing ServiceAccount carries its subject, the requested audience, an
/// issuer, and an expiry as asked; `status.expirationTimestamp` agrees with `exp`; the
/// `kubernetes.io` claim names the namespace and the ServiceAccount (with its uid).
#[tokio::test]
async fn a_service_account_token_carries_subject_audience_issuer_and_expiry() {
    let c = Cluster::start().await;
    let accounts: Api<ServiceAccount> = Api::namespaced(c.client.clone(), &c.namespace);
    let sa: ServiceAccount =
        serde_json::from_value(json!({"metadata": {"name": "builder"}})).unwrap();
    let created = accounts.create(&PostParams::default(), &sa).await.unwrap();
    let uid = created.metadata.uid.clone().unwrap();

    let before = jiff::Timestamp::now().as_second();
    let answer = accounts
        .create_token_request("builder", &PostParams::default(), &request(3600))
        .await
        .unwrap();
    let status = answer.status.unwrap();
    let token = status.token.unwrap();
    let claims = claims(&token);
    assert_eq!(
        claims["sub"],
        json!(format!("system:serviceaccount:{}:builder", c.namespace))
    );
    let aud: Vec<&str> = match &claims["aud"] {
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        Value::String(s) => vec![s.as_str()],
        other => panic!("aud is {other}"),
    };
    assert_eq!(aud, vec![AUDIENCE]);
    assert!(
        claims["iss"].as_str().is_some_and(|i| !i.is_empty()),
        "{claims}"
    );
    let exp = claims["exp"].as_i64().unwrap();
    assert!(
        (before + 3600 - 5..=before + 3600 + 60).contains(&exp),
        "exp {exp} is about an hour after {before}"
    );
    assert!(claims["iat"].as_i64().is_some_and(|iat| iat <= exp));
    let expires = status.expiration_timestamp.unwrap().0.as_second();
    assert!((expires - exp).abs() <= 1, "{expires} vs exp {exp}");
    assert_eq!(claims["kubernetes.io"]["namespace"], json!(c.namespace));
    assert_eq!(
        claims["kubernetes.io"]["serviceaccount"]["name"],
        json!("builder")
    );
    assert_eq!(claims["kubernetes.io"]["serviceaccount"]["uid"], json!(uid));
    assert_eq!(
        answer.spec.and_then(|s| s.audiences),
        Some(vec![AUDIENCE.to_owned()])
    );

    // Each request mints a new token.
    let again = accounts
        .create_token_request("builder", &PostParams::default(), &request(3600))
        .await
        .unwrap();
    assert_ne!(again.status.and_then(|s| s.token), Some(token));
    c.shutdown().await;
}

/// No ServiceAccount, no token: 404 NotFound naming `serviceaccounts`; a lifetime under ten
/// minutes is 422 Invalid naming `spec.expirationSeconds`.
#[tokio::test]
async fn a_token_needs_an_existing_service_account_and_ten_minutes() {
    let c = Cluster::start().await;
    let accounts: Api<ServiceAccount> = Api::namespaced(c.client.clone(), &c.namespace);
    let missing = api_error(
        accounts
            .create_token_request("nobody", &PostParams::default(), &request(3600))
            .await,
    );
    assert_eq!((missing.code, missing.reason.as_str()), (404, "NotFound"));
    assert!(
        missing.message.contains("serviceaccounts"),
        "{}",
        missing.message
    );
    assert!(missing.message.contains("nobody"), "{}", missing.message);

    let sa: ServiceAccount =
        serde_json::from_value(json!({"metadata": {"name": "short"}})).unwrap();
    accounts.create(&PostParams::default(), &sa).await.unwrap();
    let short = api_error(
        accounts
            .create_token_request("short", &PostParams::default(), &request(60))
            .await,
    );
    assert_eq!((short.code, short.reason.as_str()), (422, "Invalid"));
    assert!(
        short.message.contains("spec.expirationSeconds"),
        "{}",
        short.message
    );
    c.shutdown().await;
}

/// Discovery lists `serviceaccounts/token` answering a TokenRequest of authentication.k8s.io/v1
/// with the single verb `create` (what `kubectl create token` looks for).
#[tokio::test]
async fn discovery_lists_the_token_subresource() {
    let c = Cluster::start().await;
    let (status, body, _) = c.raw("GET", "/api/v1", None, None, None).await;
    assert_eq!(status, 200);
    let token = body["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "serviceaccounts/token")
        .cloned()
        .unwrap_or_else(|| panic!("no serviceaccounts/token in {body}"));
    assert_eq!(token["kind"], "TokenRequest");
    assert_eq!(token["group"], "authentication.k8s.io");
    assert_eq!(token["version"], "v1");
    assert_eq!(token["verbs"], json!(["create"]));
    c.shutdown().await;
}
