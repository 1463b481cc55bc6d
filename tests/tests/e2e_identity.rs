//! End-to-end: per-namespace Azure identity. A team's Workspace names its client id and a
//! ServiceAccount of its own namespace (`credential.workloadIdentity.serviceAccountName`); the
//! controller requests that ServiceAccount's token with the TokenRequest API and exchanges it
//! with Entra ID, whose federated credential on the team's identity trusts only
//! `system:serviceaccount:<team-ns>:<sa>`. The controller's own token is never exchanged for a
//! team's client id, so team B naming team A's client id gets nowhere. The real binary against
//! both emulators (or, with `E2E_KUBECONFIG`, a real API server: the issuer is read from a token
//! it issues).

use std::time::Duration;

use aml_operator_tests::e2e::{CONTROLLER_CLIENT, Env, EnvOptions, WORKSPACE_ID, arm_config};
use api::Workspace;
use arm_emulator::{FederatedCredentialSeed, PrincipalSeed, Seed};
use base64::Engine as _;
use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestSpec};
use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

const MINUTE: Duration = Duration::from_secs(60);
const SUB: &str = "/subscriptions/11111111-2222-3333-4444-555555555555";
const TEAM_A_CLIENT: &str = "0c0c0c0c-0000-4000-8000-0000000000a1";
const TEAM_B_CLIENT: &str = "0c0c0c0c-0000-4000-8000-0000000000b1";
const AUDIENCE: &str = "api://AzureADTokenExchange";

fn options() -> EnvOptions {
    EnvOptions {
        arm: arm_config(Duration::from_millis(200)).expect("seed"),
        sync_interval: MINUTE,
        leader_election: false,
        operator_args: vec!["--all-namespaces".into()],
    }
}

/// A team namespace without any grant from the admin, and its ServiceAccount `runner`.
async fn team(env: &Env, suffix: &str) -> anyhow::Result<String> {
    let name = format!("{}-{suffix}", env.namespace);
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": name}}))?;
    Api::<Namespace>::all(env.client.clone())
        .create(&PostParams::default(), &ns)
        .await?;
    let sa: ServiceAccount = serde_json::from_value(json!({"metadata": {"name": "runner"}}))?;
    Api::<ServiceAccount>::namespaced(env.client.clone(), &name)
        .create(&PostParams::default(), &sa)
        .await?;
    Ok(name)
}

/// The issuer of the API server's ServiceAccount tokens, read from one it issues (the emulator's
/// is fixed; a real cluster's is its `--service-account-issuer`).
async fn issuer(env: &Env, namespace: &str) -> anyhow::Result<String> {
    let request = TokenRequest {
        spec: Some(TokenRequestSpec {
            audiences: Some(vec![AUDIENCE.into()]),
            expiration_seconds: Some(600),
            ..Default::default()
        }),
        ..Default::default()
    };
    let answer = Api::<ServiceAccount>::namespaced(env.client.clone(), namespace)
        .create_token_request("runner", &PostParams::default(), &request)
        .await?;
    let token = answer
        .status
        .and_then(|s| s.token)
        .ok_or_else(|| anyhow::anyhow!("a TokenRequest without a token"))?;
    let payload = token
        .split('.')
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("not a JWT"))?;
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('='))?,
    )?;
    claims["iss"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("a token without iss: {claims}"))
}

/// A team identity trusting only `runner` of `namespace`, allowed to act in `resource_group`.
fn principal(
    client_id: &str,
    issuer: &str,
    namespace: &str,
    resource_group: &str,
) -> PrincipalSeed {
    PrincipalSeed {
        tenant_id: controller::sandbox::SANDBOX_TENANT.into(),
        client_id: client_id.into(),
        federated_credentials: vec![FederatedCredentialSeed {
            issuer: issuer.into(),
            subject: format!("system:serviceaccount:{namespace}:runner"),
            audiences: vec![AUDIENCE.into()],
        }],
        scopes: vec![format!("{SUB}/resourceGroups/{resource_group}")],
        ..Default::default()
    }
}

async fn apply_workspace(
    env: &Env,
    namespace: &str,
    name: &str,
    client_id: &str,
    service_account: &str,
) -> anyhow::Result<()> {
    let doc = json!({
        "apiVersion": "aml-operator.io/v1alpha1", "kind": "Workspace",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"resourceId": WORKSPACE_ID, "credential": {"workloadIdentity": {
            "clientId": client_id, "tenantId": controller::sandbox::SANDBOX_TENANT,
            "serviceAccountName": service_account}}}
    });
    Api::<Workspace>::namespaced(env.client.clone(), namespace)
        .patch(
            name,
            &PatchParams::apply("e2e-test").force(),
            &Patch::Apply(&doc),
        )
        .await?;
    Ok(())
}

/// Ready of a Workspace, once `done` says it is what we wait for: (status, reason, message).
async fn wait_ready_condition(
    env: &Env,
    namespace: &str,
    name: &str,
    what: &str,
    done: impl Fn(&str, &str) -> bool,
) -> anyhow::Result<(String, String, String)> {
    let api = Api::<Workspace>::namespaced(env.client.clone(), namespace);
    env.wait(
        &format!("Workspace {namespace}/{name} {what}"),
        MINUTE,
        || async {
            let ws = api.get_opt(name).await?;
            Ok(ws.and_then(|w| w.status).and_then(|s| {
                s.conditions
                    .iter()
                    .find(|c| c.type_ == "Ready" && done(&c.status, &c.reason))
                    .map(|c| (c.status.clone(), c.reason.clone(), c.message.clone()))
            }))
        },
    )
    .await
}

/// The journal's requests made by `client_id`, as `METHOD path`.
fn requests_by(env: &Env, client_id: &str) -> Vec<String> {
    env.requests()
        .iter()
        .filter(|r| {
            r.principal
                .as_deref()
                .is_some_and(|p| p.eq_ignore_ascii_case(client_id))
        })
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

/// Team B naming team A's client id with B's own ServiceAccount is refused by Entra ID (A's
/// identity trusts only A's ServiceAccount): Stalled naming the credential, nothing sent to ARM.
/// A ServiceAccount that does not exist is named. Team A with its own ServiceAccount converges,
/// acting as A's client id, and the controller's own identity is never used.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_namespace_acts_as_its_own_service_account() -> anyhow::Result<()> {
    let env = Env::start("identity", options()).await?;
    let team_a = team(&env, "a").await?;
    let team_b = team(&env, "b").await?;
    let issuer = issuer(&env, &team_a).await?;
    env.arm.admin().seed(&Seed {
        principals: vec![
            principal(TEAM_A_CLIENT, &issuer, &team_a, "rg-ml"),
            principal(TEAM_B_CLIENT, &issuer, &team_b, "rg-team-b"),
        ],
        ..Default::default()
    })?;

    // B borrows A's client id with its own ServiceAccount.
    apply_workspace(&env, &team_b, "housing", TEAM_A_CLIENT, "runner").await?;
    let (status, reason, message) =
        wait_ready_condition(&env, &team_b, "housing", "CredentialError", |_, r| {
            r == "CredentialError"
        })
        .await?;
    assert_eq!(status, "False");
    assert!(
        message.contains("spec.credential.workloadIdentity")
            && message.contains(&format!("system:serviceaccount:{team_b}:runner"))
            && message.contains(TEAM_A_CLIENT)
            && message.contains("AADSTS70021"),
        "{reason}: {message}"
    );

    // A ServiceAccount that is not there.
    apply_workspace(&env, &team_b, "ghost", TEAM_B_CLIENT, "ghost").await?;
    let (_, _, message) =
        wait_ready_condition(&env, &team_b, "ghost", "CredentialError", |_, r| {
            r == "CredentialError"
        })
        .await?;
    assert!(
        message.contains("spec.credential.workloadIdentity.serviceAccountName")
            && message.contains("ghost")
            && message.contains("not found"),
        "{message}"
    );

    tokio::time::sleep(Duration::from_secs(2)).await;
    let sent: Vec<String> = env
        .requests()
        .iter()
        .filter(|r| r.principal.is_some())
        .map(|r| format!("{:?} {} {}", r.principal, r.method, r.path))
        .collect();
    assert!(
        sent.is_empty(),
        "nothing reaches ARM for team B, as anyone: {sent:?}"
    );

    // A with its own ServiceAccount: Ready, acting as A.
    apply_workspace(&env, &team_a, "housing", TEAM_A_CLIENT, "runner").await?;
    wait_ready_condition(&env, &team_a, "housing", "Ready", |s, _| s == "True").await?;
    let by_a = requests_by(&env, TEAM_A_CLIENT);
    assert!(
        by_a.iter().any(|r| r.starts_with("GET ")
            && r.to_ascii_lowercase()
                .contains(&WORKSPACE_ID.to_ascii_lowercase())),
        "A's client id read its workspace: {by_a:?}"
    );
    assert_eq!(
        env.azure(WORKSPACE_ID)
            .and_then(|w| w.pointer("/properties/publicNetworkAccess").cloned()),
        Some(json!("Disabled")),
        "A's identity made the workspace private"
    );
    assert!(
        requests_by(&env, TEAM_B_CLIENT).is_empty(),
        "B's identity was never used"
    );
    assert!(
        requests_by(&env, CONTROLLER_CLIENT).is_empty(),
        "the controller's own identity was never used"
    );
    // B is still refused after A converged (no credential leaks across namespaces).
    let (_, reason, _) = wait_ready_condition(&env, &team_b, "housing", "still refused", |_, r| {
        r == "CredentialError"
    })
    .await?;
    assert_eq!(reason, "CredentialError");

    if env.kube.is_none() {
        for ns in [&team_a, &team_b] {
            let _ = Api::<Namespace>::all(env.client.clone())
                .delete(ns, &DeleteParams::default())
                .await;
        }
    }
    env.finish().await
}
