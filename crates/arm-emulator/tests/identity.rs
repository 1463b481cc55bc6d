//! Identity: azure_identity 1.0's real ClientSecretCredential and WorkloadIdentityCredential
//! obtain tokens from the emulator over TLS, and ARM honours them; 401 and 403 by scope.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::credentials::{Secret, TokenCredential};
use azure_core::http::{ClientOptions, Transport};
use azure_identity::{
    ClientAssertionCredentialOptions, ClientSecretCredential, ClientSecretCredentialOptions,
    WorkloadIdentityCredential, WorkloadIdentityCredentialOptions,
};
use common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

const SCOPE: &str = "https://management.azure.com/.default";

fn client_options(h: &Harness) -> ClientOptions {
    let mut cloud = CustomConfiguration::default();
    cloud.authority_host = h.emulator.authority_host().to_string();
    ClientOptions {
        cloud: Some(Arc::new(CloudConfiguration::Custom(cloud))),
        transport: Some(Transport::new(Arc::new(client_for(&h.emulator)))),
        ..ClientOptions::default()
    }
}

#[tokio::test]
async fn client_secret_credential_gets_a_token_arm_accepts() {
    let h = Harness::start().await;
    let credential = ClientSecretCredential::new(
        TENANT,
        CONTROLLER.to_string(),
        Secret::new(CONTROLLER_SECRET),
        Some(ClientSecretCredentialOptions {
            client_options: client_options(&h),
        }),
    )
    .unwrap();
    let token = credential.get_token(&[SCOPE], None).await.unwrap();
    let r = h
        .send_as(
            Some(token.token.secret()),
            Method::GET,
            &format!("{}?api-version={ML}", ws_id()),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["properties"]["publicNetworkAccess"], "Enabled");

    // a wrong secret is refused by the token endpoint with an AADSTS error
    let wrong = ClientSecretCredential::new(
        TENANT,
        CONTROLLER.to_string(),
        Secret::new("nope"),
        Some(ClientSecretCredentialOptions {
            client_options: client_options(&h),
        }),
    )
    .unwrap();
    let err = wrong.get_token(&[SCOPE], None).await.unwrap_err();
    assert!(err.to_string().contains("AADSTS7000215"), "{err}");
    // the wrong tenant too
    let other_tenant = ClientSecretCredential::new(
        "00000000-0000-0000-0000-000000000009",
        CONTROLLER.to_string(),
        Secret::new(CONTROLLER_SECRET),
        Some(ClientSecretCredentialOptions {
            client_options: client_options(&h),
        }),
    )
    .unwrap();
    assert!(other_tenant.get_token(&[SCOPE], None).await.is_err());
}

#[tokio::test]
async fn workload_identity_credential_gets_a_token_with_a_federated_assertion() {
    let h = Harness::start().await;
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(
        &token_file,
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6YW1sOmNvbnRyb2xsZXIifQ.sig",
    )
    .unwrap();
    let credential = WorkloadIdentityCredential::new(Some(WorkloadIdentityCredentialOptions {
        credential_options: ClientAssertionCredentialOptions {
            client_options: client_options(&h),
        },
        client_id: Some(CONTROLLER.to_string()),
        tenant_id: Some(TENANT.to_string()),
        token_file_path: Some(token_file),
    }))
    .unwrap();
    let token = credential.get_token(&[SCOPE], None).await.unwrap();
    let r = h
        .send_as(
            Some(token.token.secret()),
            Method::GET,
            &format!("{}?api-version={ML}", ws_id()),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // the journal records the principal, never the assertion
    let journal = serde_json::to_string(&h.emulator.journal()).unwrap();
    assert!(!journal.contains("eyJzdWIi"));
    assert!(journal.contains(CONTROLLER));
}

/// A principal with federated identity credentials takes a client assertion only when its
/// issuer, subject and audience match one of them (Entra's AADSTS70021 otherwise, naming what
/// the assertion carried); a principal seeded the old way keeps accepting its assertion.
#[tokio::test]
async fn federated_credentials_decide_which_assertions_are_exchanged() {
    use base64::Engine as _;
    let h = Harness::start().await;
    const ISSUER: &str = "https://kubernetes.default.svc.cluster.local";
    const TEAM_A: &str = "0c0c0c0c-0000-4000-8000-00000000000a";
    let seed = arm_emulator::Seed {
        principals: vec![arm_emulator::PrincipalSeed {
            tenant_id: TENANT.into(),
            client_id: TEAM_A.into(),
            federated_credentials: vec![arm_emulator::FederatedCredentialSeed {
                issuer: ISSUER.into(),
                subject: "system:serviceaccount:team-a:runner".into(),
                audiences: vec!["api://AzureADTokenExchange".into()],
            }],
            scopes: vec![format!("/subscriptions/{SUB}/resourceGroups/rg-ml")],
            ..Default::default()
        }],
        ..Default::default()
    };
    h.emulator.admin().seed(&seed).unwrap();
    let jwt = |sub: &str| {
        let b64 = |v: serde_json::Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
        };
        let exp = jiff::Timestamp::now().as_second() + 600;
        format!(
            "{}.{}.c2ln",
            b64(json!({"alg": "RS256"})),
            b64(
                json!({"iss": ISSUER, "sub": sub, "aud": ["api://AzureADTokenExchange"], "exp": exp})
            )
        )
    };
    let exchange = |assertion: String| {
        let url = format!("{}/{TENANT}/oauth2/v2.0/token", h.emulator.authority_host());
        let http = client_for(&h.emulator);
        async move {
            let form = [
                ("grant_type", "client_credentials"),
                ("client_id", TEAM_A),
                ("scope", SCOPE),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", assertion.as_str()),
            ];
            let body = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(form)
                .finish();
            let r = http
                .post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap();
            let status = r.status();
            (status, r.json::<serde_json::Value>().await.unwrap())
        }
    };
    let (status, body) = exchange(jwt("system:serviceaccount:team-a:runner")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["access_token"].is_string());

    let (status, body) = exchange(jwt("system:serviceaccount:team-b:runner")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error_codes"], json!([70021]));
    let description = body["error_description"].as_str().unwrap_or_default();
    assert!(
        description.contains("Assertion Subject: 'system:serviceaccount:team-b:runner'"),
        "{description}"
    );
    // Not a JWT at all.
    let (status, body) = exchange("opaque".into()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error_codes"], json!([50027]));
}

#[tokio::test]
async fn authentication_and_authorization_failures() {
    let h = Harness::start().await;
    let path = format!("{}?api-version={ML}", ws_id());
    let r = h.send_as(None, Method::GET, &path, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "AuthenticationFailed");
    assert!(r.header("www-authenticate").is_some());
    let r = h
        .send_as(Some("made.up.token"), Method::GET, &path, None)
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken")
    );
    // the team principal may write in rg-ml, only read rg-net, nothing in rg-dns
    let team = h.emulator.issue_token(TEAM);
    let r = h.send_as(Some(&team), Method::GET, &path, None).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = h
        .send_as(
            Some(&team),
            Method::GET,
            &format!("{}?api-version={NETWORK}", vnet_id()),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let pe = json!({"location": "westeurope", "properties": {"subnet": {"id": subnet_id()}}});
    let r = h
        .send_as(
            Some(&team),
            Method::PUT,
            &format!("{}?api-version={NETWORK}", pe_id("team-pe")),
            Some(&pe),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "AuthorizationFailed")
    );
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Microsoft.Network/privateEndpoints/write")
    );
    let r = h
        .send_as(
            Some(&team),
            Method::GET,
            &format!(
                "{}?api-version={DNS}",
                zone_id("privatelink.api.azureml.ms")
            ),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // expired tokens
    let short = Harness::with(
        arm_emulator::EmulatorConfig::default().token_lifetime(std::time::Duration::ZERO),
    )
    .await;
    let r = short
        .send(Method::GET, &format!("{}?api-version={ML}", ws_id()), None)
        .await;
    assert_eq!(r.code(), "ExpiredAuthenticationToken");
}

#[tokio::test]
async fn discovery_documents_point_at_the_emulator() {
    let h = Harness::start().await;
    let r = h
        .send_as(
            None,
            Method::GET,
            &format!("/{TENANT}/v2.0/.well-known/openid-configuration"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.body["token_endpoint"],
        format!("{}/{TENANT}/oauth2/v2.0/token", h.emulator.base_url())
    );
    let r = h
        .send_as(
            None,
            Method::GET,
            "/common/discovery/instance?api-version=1.1&authorization_endpoint=x",
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body["tenant_discovery_endpoint"]
            .as_str()
            .unwrap()
            .starts_with(h.emulator.base_url())
    );
}
