//! azure_identity's real credential flows against the emulator's token endpoint, over HTTPS
//! with the emulator's CA.

#![allow(clippy::unwrap_used)]

mod support;

use arm::models::Workspace;
use arm::{Credential, ErrorClass, ErrorOrigin};
use arm_emulator::EmulatorConfig;
use support::*;

fn token_requests(emulator: &arm_emulator::Emulator) -> usize {
    requests(emulator)
        .into_iter()
        .filter(|(m, p, _)| m == "POST" && p == &format!("/{TENANT}/oauth2/v2.0/token"))
        .count()
}

#[tokio::test]
async fn client_secret_credential_gets_a_token_and_caches_it() {
    let emulator = start(EmulatorConfig::default()).await;
    let client = builder(&emulator, Credential::client_secret(TENANT, CLIENT, SECRET))
        .build()
        .unwrap();
    let ws: Workspace = client.get(&workspace()).await.unwrap();
    assert_eq!(ws.name.as_deref(), Some("mlw-test"));
    let _: Workspace = client.get(&workspace()).await.unwrap();
    assert_eq!(
        token_requests(&emulator),
        1,
        "azure_identity caches the token"
    );
    // ARM saw our principal.
    let principal = emulator.journal().into_iter().rev().find_map(|e| match e {
        arm_emulator::JournalEntry::Request(r) if r.method == "GET" => r.principal,
        _ => None,
    });
    assert_eq!(principal.as_deref(), Some(CLIENT));
}

#[tokio::test]
async fn a_wrong_secret_is_a_terminal_credential_error() {
    let emulator = start(EmulatorConfig::default()).await;
    let client = builder(
        &emulator,
        Credential::client_secret(TENANT, CLIENT, "wrong"),
    )
    .build()
    .unwrap();
    let err = client.get::<Workspace>(&workspace()).await.unwrap_err();
    assert_eq!(err.origin, ErrorOrigin::Credential);
    assert!(
        err.status().is_some_and(|s| (400..500).contains(&s)),
        "{err}"
    );
    assert_eq!(err.class(), ErrorClass::Terminal);
    assert!(
        !err.to_string().contains("wrong"),
        "the secret must not appear: {err}"
    );
    assert_eq!(
        token_requests(&emulator),
        1,
        "a rejected secret is not retried"
    );
}

#[tokio::test]
async fn workload_identity_exchanges_the_projected_token() {
    let emulator = start(EmulatorConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("azure-identity-token");
    std::fs::write(&token_file, ASSERTION).unwrap();
    let credential = Credential::WorkloadIdentity {
        client_id: Some(CLIENT.into()),
        tenant_id: Some(TENANT.into()),
        token_file: Some(token_file),
    };
    let client = builder(&emulator, credential).build().unwrap();
    let ws: Workspace = client.get(&workspace()).await.unwrap();
    assert_eq!(ws.name.as_deref(), Some("mlw-test"));
    assert_eq!(token_requests(&emulator), 1);
}

#[tokio::test]
async fn workload_identity_with_a_foreign_token_is_refused() {
    let emulator = start(EmulatorConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "some-other-cluster-token").unwrap();
    let credential = Credential::WorkloadIdentity {
        client_id: Some(CLIENT.into()),
        tenant_id: Some(TENANT.into()),
        token_file: Some(token_file),
    };
    let client = builder(&emulator, credential).build().unwrap();
    let err = client.get::<Workspace>(&workspace()).await.unwrap_err();
    assert_eq!(err.origin, ErrorOrigin::Credential);
    assert_eq!(err.class(), ErrorClass::Terminal);
}

/// Counts how often azure_identity asks for an assertion.
#[derive(Debug)]
struct CountingAssertion {
    assertion: String,
    calls: std::sync::atomic::AtomicUsize,
}

#[async_trait::async_trait]
impl arm::ClientAssertion for CountingAssertion {
    async fn secret(
        &self,
        _options: Option<azure_core::http::ClientMethodOptions<'_>>,
    ) -> azure_core::Result<String> {
        self.calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(self.assertion.clone())
    }
}

fn assertion_credential(assertion: &str) -> (Credential, std::sync::Arc<CountingAssertion>) {
    let source = std::sync::Arc::new(CountingAssertion {
        assertion: assertion.into(),
        calls: Default::default(),
    });
    let credential = Credential::ClientAssertion {
        tenant_id: TENANT.into(),
        client_id: CLIENT.into(),
        assertion: arm::AssertionSource::new(source.clone()),
        subject: "system:serviceaccount:team-a:runner".into(),
    };
    (credential, source)
}

#[tokio::test]
async fn a_supplied_assertion_is_exchanged_once_and_cached() {
    let emulator = start(EmulatorConfig::default()).await;
    let (credential, source) = assertion_credential(ASSERTION);
    assert_eq!(
        credential.principal_key(),
        format!("fa:{TENANT}/{CLIENT}/system:serviceaccount:team-a:runner")
    );
    let client = builder(&emulator, credential).build().unwrap();
    client.authenticate().await.unwrap();
    let ws: Workspace = client.get(&workspace()).await.unwrap();
    assert_eq!(ws.name.as_deref(), Some("mlw-test"));
    assert_eq!(token_requests(&emulator), 1, "the access token is cached");
    assert_eq!(source.calls.load(std::sync::atomic::Ordering::Relaxed), 1);
}

#[tokio::test]
async fn a_refused_assertion_fails_authenticate_without_reaching_arm() {
    let emulator = start(EmulatorConfig::default()).await;
    let (credential, _) = assertion_credential("not-the-trusted-assertion");
    let client = builder(&emulator, credential).build().unwrap();
    let err = client.authenticate().await.unwrap_err();
    assert_eq!(err.origin, ErrorOrigin::Credential);
    assert_eq!(err.class(), ErrorClass::Terminal);
    assert!(err.to_string().contains("AADSTS"), "{err}");
    assert!(
        !err.to_string().contains("not-the-trusted-assertion"),
        "the assertion must not appear: {err}"
    );
    let arm_requests = requests(&emulator)
        .into_iter()
        .filter(|(_, p, _)| p.starts_with("/subscriptions"))
        .count();
    assert_eq!(arm_requests, 0);
}

#[test]
fn a_missing_token_file_fails_at_build_time() {
    let cloud = arm::Cloud::custom("https://127.0.0.1:1", "https://127.0.0.1:1").unwrap();
    let credential = Credential::WorkloadIdentity {
        client_id: Some(CLIENT.into()),
        tenant_id: Some(TENANT.into()),
        token_file: Some("/nonexistent/token".into()),
    };
    let err = arm::ArmClient::builder(cloud, credential)
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("workload identity"), "{err}");
}

#[test]
fn an_http_authority_is_refused() {
    let err = arm::Cloud::custom("http://127.0.0.1:1", "http://127.0.0.1:1").unwrap_err();
    assert!(
        matches!(err, arm::cloud::CloudError::InsecureAuthority(_)),
        "{err}"
    );
}

#[test]
fn secrets_do_not_show_in_debug_output() {
    let credential = Credential::client_secret(TENANT, CLIENT, "s3cr3t-value");
    assert!(!format!("{credential:?}").contains("s3cr3t-value"));
    assert!(!credential.principal_key().contains("s3cr3t-value"));
    let token = Credential::static_token("tok3n-value");
    assert!(!format!("{token:?}").contains("tok3n-value"));
}

#[test]
fn clouds_have_their_endpoints() {
    use arm::Cloud;
    let public = Cloud::from_name("AzureCloud").unwrap();
    assert_eq!(
        public.resource_manager().as_str(),
        "https://management.azure.com/"
    );
    assert_eq!(public.arm_scope(), "https://management.azure.com/.default");
    assert_eq!(public.authority_host(), "https://login.microsoftonline.com");
    let china = Cloud::from_name("azurechinacloud").unwrap();
    assert_eq!(
        china.resource_manager().as_str(),
        "https://management.chinacloudapi.cn/"
    );
    assert_eq!(china.authority_host(), "https://login.chinacloudapi.cn");
    let gov = Cloud::from_name("AzureUSGovernment").unwrap();
    assert_eq!(
        gov.resource_manager().as_str(),
        "https://management.usgovcloudapi.net/"
    );
    assert_eq!(gov.authority_host(), "https://login.microsoftonline.us");
    assert!(Cloud::from_name("Mars").is_err());
    let custom = Cloud::custom("https://127.0.0.1:8443", "https://127.0.0.1:8443/").unwrap();
    assert_eq!(custom.authority_host(), "https://127.0.0.1:8443");
    assert_eq!(custom.arm_scope(), "https://management.azure.com/.default");
    let stack = custom.with_audience("https://management.local.azurestack.external/");
    assert_eq!(
        stack.arm_scope(),
        "https://management.local.azurestack.external/.default"
    );
}

#[test]
fn every_credential_kind_builds_from_configuration() {
    let cloud = arm::Cloud::custom("https://127.0.0.1:1", "https://127.0.0.1:1").unwrap();
    let kinds = [
        Credential::ManagedIdentity { client_id: None },
        Credential::ManagedIdentity {
            client_id: Some(CLIENT.into()),
        },
        Credential::client_secret(TENANT, CLIENT, SECRET),
        Credential::AzureCli { tenant_id: None },
        Credential::AzureCli {
            tenant_id: Some(TENANT.into()),
        },
        Credential::static_token("t"),
    ];
    let mut keys = std::collections::HashSet::new();
    for credential in kinds {
        let kind = credential.kind();
        keys.insert(credential.principal_key());
        arm::ArmClient::builder(cloud.clone(), credential)
            .build()
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
    }
    assert_eq!(
        keys.len(),
        6,
        "each principal has its own pacer key: {keys:?}"
    );
    let err = arm::ArmClient::builder(
        cloud,
        Credential::client_secret("not a tenant!", CLIENT, SECRET),
    )
    .build()
    .unwrap_err();
    assert!(err.to_string().contains("client secret"), "{err}");
}
