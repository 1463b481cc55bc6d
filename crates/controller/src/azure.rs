//! Azure access for reconcilers: one ARM client per credential (built once, cached), the
//! credential a Workspace asks for (its own Secret, workload identity as one of its namespace's
//! ServiceAccounts or with the controller's own token, or the controller's own identity), and
//! ARM errors turned into the planner's failure classes.
//!
//! Invariants: a Workspace's `secretRef` and `serviceAccountName` are read only from the
//! Workspace's own namespace; with `serviceAccountName` the controller's own projected token is
//! never exchanged for the tenant's client id (the ServiceAccount's TokenRequest token is), and
//! the client is cached per namespace, ServiceAccount and client id, so two namespaces never
//! share one; secrets and tokens are never logged (they live in azure_core's `Secret`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use api::Workspace;
use api::workspace::{WorkloadIdentity, WorkspaceCredential};
use arm::{
    ArmClient, ArmError, ArmMetrics, AssertionSource, Cloud, Credential, ErrorClass, ErrorOrigin,
    Pacer, PacerConfig,
};
use azure_core::credentials::Secret;
use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestSpec};
use k8s_openapi::api::core::v1::{Secret as KubeSecret, ServiceAccount};
use kube::api::{Api, PostParams};
use kube::{Client, ResourceExt};
use planner::{Failure, FailureClass};

/// How the controller reaches Azure.
#[derive(Clone, Debug)]
pub struct AzureSettings {
    /// The cloud (or a custom ARM endpoint and authority host, e.g. the emulator).
    pub cloud: Cloud,
    /// The controller's own credential, for Workspaces without `spec.credential`.
    pub default_credential: Credential,
    /// A CA bundle to trust instead of the system roots (the emulator's), PEM.
    pub ca_pem: Option<Vec<u8>>,
}

/// Which credential a client was built for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum CredentialKey {
    Default,
    /// Workload identity with the controller's own projected token.
    WorkloadIdentity {
        client_id: String,
        tenant_id: String,
    },
    /// Workload identity as a ServiceAccount of the Workspace's namespace (TokenRequest).
    ServiceAccount {
        namespace: String,
        service_account: String,
        client_id: String,
        tenant_id: String,
    },
    Secret {
        namespace: String,
        name: String,
        resource_version: String,
    },
}

/// A credential that could not be obtained for a Workspace.
#[derive(Debug, thiserror::Error)]
pub enum CredentialProblem {
    /// The referenced Secret is missing or incomplete.
    #[error("{0}")]
    Secret(String),
    /// The named ServiceAccount has no token to give (missing, or the controller may not
    /// request one), or Entra ID refused to exchange it for the client id.
    #[error("{0}")]
    ServiceAccount(String),
    /// The Kubernetes API did not answer the TokenRequest (timeout, 5xx): retried.
    #[error("{0}")]
    Unavailable(String),
    /// The ARM client could not be built.
    #[error("failed to build the ARM client: {0}")]
    Build(String),
}

impl CredentialProblem {
    /// As a planner failure (Stalled with CredentialError, retried slowly).
    pub fn to_failure(&self) -> Failure {
        match self {
            Self::Unavailable(message) => Failure::new(
                FailureClass::Transient,
                "TokenRequestFailed",
                message.clone(),
            ),
            _ => Failure::new(
                FailureClass::Credential,
                "CredentialError",
                self.to_string(),
            ),
        }
    }
}

/// The longest a reconcile waits in-process for a token of ARM's buckets. Short: a reconcile
/// that would wait longer gives its worker to the next object (at N = 200 under ARM's real limits,
/// 2 s left objects 105 s without a first look; 250 ms, 1.6 s).
pub const MAX_BUCKET_WAIT: Duration = Duration::from_millis(250);

/// ARM clients by credential, sharing one pacer and one set of metrics.
pub struct AzureClients {
    settings: AzureSettings,
    pacer: Arc<Pacer>,
    metrics: ArmMetrics,
    clients: Mutex<HashMap<CredentialKey, ArmClient>>,
    /// ServiceAccount tokens by (namespace, ServiceAccount), each cached until 80% of its life.
    service_account_tokens: Mutex<HashMap<(String, String), Arc<ServiceAccountToken>>>,
    /// The last client that worked for each Workspace (by uid): deletion uses it when the
    /// credential went first (a namespace's Secrets are deleted at once with everything else).
    last_good: Mutex<HashMap<String, ArmClient>>,
}

impl AzureClients {
    /// Clients for `settings`, counting requests in `metrics`.
    pub fn new(settings: AzureSettings, metrics: ArmMetrics) -> Self {
        Self {
            settings,
            pacer: Arc::new(Pacer::new(PacerConfig::default())),
            metrics,
            clients: Mutex::new(HashMap::new()),
            service_account_tokens: Mutex::new(HashMap::new()),
            last_good: Mutex::new(HashMap::new()),
        }
    }

    /// The client for a Workspace's credential; while `deleting`, when the credential cannot be
    /// had any more, the last one that worked for this Workspace.
    ///
    /// # Errors
    /// As [`Self::for_workspace`], when no client worked for this Workspace before.
    pub async fn for_workspace_or_last(
        &self,
        kube: &Client,
        workspace: &Workspace,
        deleting: bool,
    ) -> Result<ArmClient, CredentialProblem> {
        let uid = workspace.metadata.uid.clone().unwrap_or_default();
        match self.for_workspace(kube, workspace).await {
            Ok(client) => {
                if !uid.is_empty() {
                    self.last_good
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(uid, client.clone());
                }
                Ok(client)
            }
            Err(problem) if deleting => self
                .last_good
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(&uid)
                .cloned()
                .ok_or(problem),
            Err(problem) => Err(problem),
        }
    }

    /// Drops the clients and kept credentials no Workspace of `live` needs any more (called when a
    /// Workspace goes), so the caches stay bounded by the Workspaces that exist.
    pub fn prune(&self, live: &[std::sync::Arc<Workspace>]) {
        let wanted = |key: &CredentialKey| {
            live.iter().any(|ws| match (&ws.spec.credential, key) {
                (None, CredentialKey::Default) => true,
                (
                    Some(WorkspaceCredential {
                        workload_identity: Some(wi),
                        ..
                    }),
                    CredentialKey::WorkloadIdentity {
                        client_id,
                        tenant_id,
                    },
                ) => {
                    wi.service_account_name.is_none()
                        && &wi.client_id == client_id
                        && &wi.tenant_id == tenant_id
                }
                (
                    Some(WorkspaceCredential {
                        workload_identity: Some(wi),
                        ..
                    }),
                    CredentialKey::ServiceAccount {
                        namespace,
                        service_account,
                        client_id,
                        tenant_id,
                    },
                ) => {
                    ws.namespace().as_deref() == Some(namespace.as_str())
                        && wi.service_account_name.as_deref() == Some(service_account.as_str())
                        && &wi.client_id == client_id
                        && &wi.tenant_id == tenant_id
                }
                (
                    Some(WorkspaceCredential {
                        secret_ref: Some(r),
                        ..
                    }),
                    CredentialKey::Secret {
                        namespace, name, ..
                    },
                ) => ws.namespace().as_deref() == Some(namespace.as_str()) && &r.name == name,
                _ => false,
            })
        };
        self.clients
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|k, _| wanted(k));
        self.service_account_tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|(namespace, service_account), _| {
                live.iter().any(|ws| {
                    ws.namespace().as_deref() == Some(namespace.as_str())
                        && ws
                            .spec
                            .credential
                            .as_ref()
                            .and_then(|c| c.workload_identity.as_ref())
                            .and_then(|wi| wi.service_account_name.as_deref())
                            == Some(service_account.as_str())
                })
            });
        self.last_good
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|uid, _| {
                live.iter()
                    .any(|ws| ws.metadata.uid.as_deref() == Some(uid))
            });
    }

    /// How many ARM clients are cached.
    pub fn cached(&self) -> usize {
        self.clients.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Forgets what was kept for a Workspace that is gone.
    pub fn forget_workspace(&self, uid: &str) {
        self.last_good
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(uid);
    }

    /// The ARM metrics shared by every client.
    pub fn metrics(&self) -> &ArmMetrics {
        &self.metrics
    }

    fn build(
        &self,
        key: CredentialKey,
        credential: Credential,
    ) -> Result<ArmClient, CredentialProblem> {
        if let Some(client) = self
            .clients
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return Ok(client.clone());
        }
        let mut builder = ArmClient::builder(self.settings.cloud.clone(), credential)
            .pacer(self.pacer.clone())
            .metrics(self.metrics.clone())
            .connect_timeout(Duration::from_secs(10))
            .request_timeout(Duration::from_secs(60))
            // A reconcile never sits on ARM's buckets for long: it gives its worker and its tree
            // lock back and comes again when the bucket has refilled.
            .retry_policy(arm::RetryPolicy {
                max_bucket_wait: Some(MAX_BUCKET_WAIT),
                ..arm::RetryPolicy::default()
            });
        if let Some(pem) = &self.settings.ca_pem {
            builder = builder
                .trust_only_ca_pem(pem)
                .map_err(|e| CredentialProblem::Build(e.to_string()))?;
        }
        let client = builder
            .build()
            .map_err(|e| CredentialProblem::Build(e.to_string()))?;
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        // A rotated Secret replaces the client built from its old version.
        if let CredentialKey::Secret {
            namespace, name, ..
        } = &key
        {
            clients.retain(|k, _| !matches!(k, CredentialKey::Secret { namespace: n, name: m, .. } if n == namespace && m == name));
        }
        clients.insert(key, client.clone());
        Ok(client)
    }

    /// The client for a Workspace's credential.
    ///
    /// # Errors
    /// When the Workspace's Secret is missing or incomplete, or the client cannot be built.
    pub async fn for_workspace(
        &self,
        kube: &Client,
        workspace: &Workspace,
    ) -> Result<ArmClient, CredentialProblem> {
        match &workspace.spec.credential {
            None => self.build(
                CredentialKey::Default,
                self.settings.default_credential.clone(),
            ),
            Some(WorkspaceCredential {
                workload_identity: Some(wi),
                ..
            }) if wi.service_account_name.is_some() => {
                self.for_service_account(kube, &workspace.namespace().unwrap_or_default(), wi)
                    .await
            }
            // Without serviceAccountName the controller's own projected token is exchanged: the
            // controller's identity, which the namespace needs the admin's grant for
            // (planner::tenancy).
            Some(WorkspaceCredential {
                workload_identity: Some(wi),
                ..
            }) => self.build(
                CredentialKey::WorkloadIdentity {
                    client_id: wi.client_id.clone(),
                    tenant_id: wi.tenant_id.clone(),
                },
                Credential::WorkloadIdentity {
                    client_id: Some(wi.client_id.clone()),
                    tenant_id: Some(wi.tenant_id.clone()),
                    token_file: None,
                },
            ),
            Some(WorkspaceCredential {
                secret_ref: Some(secret_ref),
                ..
            }) => {
                // Only the Workspace's own namespace: the reference has no namespace field.
                let namespace = workspace.namespace().unwrap_or_default();
                let secrets: Api<KubeSecret> = Api::namespaced(kube.clone(), &namespace);
                let secret = secrets.get_opt(&secret_ref.name).await.map_err(|e| {
                    CredentialProblem::Secret(format!(
                        "failed to read Secret {namespace}/{}: {e}",
                        secret_ref.name
                    ))
                })?;
                let Some(secret) = secret else {
                    return Err(CredentialProblem::Secret(format!(
                        "spec.credential.secretRef: Secret {} not found in namespace {namespace}",
                        secret_ref.name
                    )));
                };
                let value = |key: &str| -> Result<String, CredentialProblem> {
                    secret
                        .data
                        .as_ref()
                        .and_then(|d| d.get(key))
                        .and_then(|b| String::from_utf8(b.0.clone()).ok())
                        .map(|s| s.trim().to_owned())
                        .filter(|s| !s.is_empty())
                        .ok_or_else(|| {
                            CredentialProblem::Secret(format!(
                                "spec.credential.secretRef: Secret {namespace}/{} has no key {key}",
                                secret_ref.name
                            ))
                        })
                };
                let credential = Credential::ClientSecret {
                    tenant_id: value("AZURE_TENANT_ID")?,
                    client_id: value("AZURE_CLIENT_ID")?,
                    secret: Secret::new(value("AZURE_CLIENT_SECRET")?),
                };
                self.build(
                    CredentialKey::Secret {
                        namespace: namespace.clone(),
                        name: secret_ref.name.clone(),
                        resource_version: secret.resource_version().unwrap_or_default(),
                    },
                    credential,
                )
            }
            Some(_) => Err(CredentialProblem::Secret(
                "spec.credential must set exactly one of workloadIdentity or secretRef".into(),
            )),
        }
    }
}

impl AzureClients {
    /// The (cached) TokenRequest token source of `service_account` in `namespace`.
    fn service_account_token(
        &self,
        kube: &Client,
        namespace: &str,
        service_account: &str,
    ) -> Arc<ServiceAccountToken> {
        self.service_account_tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry((namespace.to_owned(), service_account.to_owned()))
            .or_insert_with(|| {
                Arc::new(ServiceAccountToken::new(
                    kube.clone(),
                    namespace,
                    service_account,
                ))
            })
            .clone()
    }

    /// The client acting as `wi.clientId` with a token of the ServiceAccount
    /// `wi.serviceAccountName` in `namespace`: the ServiceAccount's token is requested first
    /// (a missing ServiceAccount or a refused TokenRequest is named), then exchanged with
    /// Entra ID before anything is sent to ARM (a refused exchange is named too).
    async fn for_service_account(
        &self,
        kube: &Client,
        namespace: &str,
        wi: &WorkloadIdentity,
    ) -> Result<ArmClient, CredentialProblem> {
        wi.validate().map_err(CredentialProblem::ServiceAccount)?;
        let service_account = wi.service_account_name.clone().unwrap_or_default();
        let subject = wi.subject(namespace).unwrap_or_default();
        let token = self.service_account_token(kube, namespace, &service_account);
        token.token().await.map_err(|e| {
            if e.permanent {
                CredentialProblem::ServiceAccount(e.message)
            } else {
                CredentialProblem::Unavailable(e.message)
            }
        })?;
        let client = self.build(
            CredentialKey::ServiceAccount {
                namespace: namespace.to_owned(),
                service_account: service_account.clone(),
                client_id: wi.client_id.clone(),
                tenant_id: wi.tenant_id.clone(),
            },
            Credential::ClientAssertion {
                tenant_id: wi.tenant_id.clone(),
                client_id: wi.client_id.clone(),
                assertion: AssertionSource::new(token),
                subject: subject.clone(),
            },
        )?;
        match client.authenticate().await {
            Ok(()) => Ok(client),
            // Entra ID unreachable: the ARM request will fail and be classified as usual.
            Err(e) if e.origin != ErrorOrigin::Credential => Ok(client),
            Err(e) => Err(CredentialProblem::ServiceAccount(format!(
                "spec.credential.workloadIdentity: Entra ID refused to exchange the token of ServiceAccount {namespace}/{service_account} (subject {subject}, audience {TOKEN_AUDIENCE}) for client id {}: the identity needs a federated credential for this subject and the cluster's OIDC issuer ({})",
                wi.client_id, e.message
            ))),
        }
    }
}

/// The audience of ServiceAccount tokens exchanged with Entra ID (Microsoft Learn, "Workload
/// identity federation": `api://AzureADTokenExchange`).
pub const TOKEN_AUDIENCE: &str = "api://AzureADTokenExchange";
/// The lifetime asked of a ServiceAccount token (the API server may shorten it).
const TOKEN_EXPIRATION_SECONDS: i64 = 3600;
/// A TokenRequest that takes longer than this failed.
const TOKEN_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A TokenRequest that failed: `permanent` for 404 (no such ServiceAccount) and 403 (the
/// controller may not create tokens for it), otherwise worth retrying.
#[derive(Debug, Clone)]
pub struct TokenRequestError {
    /// For a condition: names `spec.credential.workloadIdentity.serviceAccountName`.
    pub message: String,
    /// Whether retrying without a change cannot help.
    pub permanent: bool,
}

/// A ServiceAccount's token from the Kubernetes TokenRequest API
/// (`POST /api/v1/namespaces/{ns}/serviceaccounts/{sa}/token`, audience
/// [`TOKEN_AUDIENCE`]), kept until 80% of its lifetime has passed and then requested again.
/// It is the client assertion azure_identity exchanges for the tenant's client id.
pub struct ServiceAccountToken {
    kube: Client,
    namespace: String,
    service_account: String,
    cached: tokio::sync::Mutex<Option<(Secret, std::time::Instant)>>,
}

impl std::fmt::Debug for ServiceAccountToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceAccountToken")
            .field("namespace", &self.namespace)
            .field("service_account", &self.service_account)
            .finish_non_exhaustive()
    }
}

impl ServiceAccountToken {
    /// A token source for `service_account` in `namespace`; nothing is requested yet.
    pub fn new(kube: Client, namespace: &str, service_account: &str) -> Self {
        Self {
            kube,
            namespace: namespace.to_owned(),
            service_account: service_account.to_owned(),
            cached: tokio::sync::Mutex::new(None),
        }
    }

    /// The token: the cached one while it is younger than 80% of its lifetime, else a new one.
    ///
    /// # Errors
    /// When the TokenRequest fails; the message names the ServiceAccount and the spec field.
    pub async fn token(&self) -> Result<Secret, TokenRequestError> {
        let mut cached = self.cached.lock().await;
        if let Some((token, refresh_at)) = cached.as_ref()
            && std::time::Instant::now() < *refresh_at
        {
            return Ok(token.clone());
        }
        let (token, lifetime) = self.request().await?;
        let refresh_at = std::time::Instant::now() + lifetime.mul_f64(0.8);
        *cached = Some((token.clone(), refresh_at));
        Ok(token)
    }

    async fn request(&self) -> Result<(Secret, Duration), TokenRequestError> {
        let (ns, sa) = (&self.namespace, &self.service_account);
        let field = "spec.credential.workloadIdentity.serviceAccountName";
        let api: Api<ServiceAccount> = Api::namespaced(self.kube.clone(), ns);
        let request = TokenRequest {
            spec: Some(TokenRequestSpec {
                audiences: Some(vec![TOKEN_AUDIENCE.to_owned()]),
                expiration_seconds: Some(TOKEN_EXPIRATION_SECONDS),
                ..Default::default()
            }),
            ..Default::default()
        };
        let answer = tokio::time::timeout(
            TOKEN_REQUEST_TIMEOUT,
            api.create_token_request(sa, &PostParams::default(), &request),
        )
        .await
        .map_err(|_| TokenRequestError {
            message: format!(
                "{field}: the Kubernetes API did not answer the TokenRequest for ServiceAccount {ns}/{sa} within {}s",
                TOKEN_REQUEST_TIMEOUT.as_secs()
            ),
            permanent: false,
        })?;
        let answer = answer.map_err(|e| match &e {
            kube::Error::Api(status) if status.code == 404 => TokenRequestError {
                message: format!("{field}: ServiceAccount {sa} not found in namespace {ns}"),
                permanent: true,
            },
            kube::Error::Api(status) if status.code == 403 => TokenRequestError {
                message: format!(
                    "{field}: the controller may not request a token for ServiceAccount {ns}/{sa} (it needs create on serviceaccounts/token in namespace {ns}): {}",
                    status.message
                ),
                permanent: true,
            },
            _ => TokenRequestError {
                message: format!(
                    "{field}: the TokenRequest for ServiceAccount {ns}/{sa} failed: {e}"
                ),
                permanent: false,
            },
        })?;
        let status = answer.status.unwrap_or_default();
        let token = status
            .token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| TokenRequestError {
                message: format!(
                    "{field}: the TokenRequest for ServiceAccount {ns}/{sa} was answered without a token"
                ),
                permanent: false,
            })?;
        Ok((
            Secret::new(token),
            token_lifetime(status.expiration_timestamp.map(|t| t.0)),
        ))
    }
}

/// How long a token expiring at `expires` stays usable from now: none when it has expired or
/// the API server gave no expiry (it is used once and requested again), at most a day.
fn token_lifetime(expires: Option<k8s_openapi::jiff::Timestamp>) -> Duration {
    let now = k8s_openapi::jiff::Timestamp::now();
    match expires {
        Some(at) if at > now => at
            .duration_since(now)
            .unsigned_abs()
            .min(Duration::from_secs(24 * 3600)),
        _ => Duration::ZERO,
    }
}

#[async_trait::async_trait]
impl arm::ClientAssertion for ServiceAccountToken {
    async fn secret(
        &self,
        _options: Option<azure_core::http::ClientMethodOptions<'_>>,
    ) -> azure_core::Result<String> {
        self.token()
            .await
            .map(|t| t.secret().to_owned())
            .map_err(|e| {
                azure_core::Error::with_message(azure_core::error::ErrorKind::Credential, e.message)
            })
    }
}

/// An ARM error as the planner classifies it.
pub fn to_failure(err: &ArmError) -> Failure {
    let class = match err.class() {
        ErrorClass::Throttled { retry_after } => FailureClass::Throttled { retry_after },
        ErrorClass::Transient => FailureClass::Transient,
        ErrorClass::Conflict => FailureClass::Conflict,
        ErrorClass::NotFound => FailureClass::NotFound,
        ErrorClass::Terminal => FailureClass::Terminal,
    };
    let code = if err.code().is_empty() {
        "Error".to_owned()
    } else {
        err.code().to_owned()
    };
    let message = if err.message().is_empty() {
        err.to_string()
    } else {
        err.message().to_owned()
    };
    Failure {
        class,
        code,
        message,
        correlation_id: err.correlation_id.clone(),
    }
}

/// Puts [`api::CREDENTIAL_FINALIZER`] on the Secret `name` in `namespace` (a no-op when it is
/// there, the Secret is missing or already being deleted). Returns whether the Secret now holds it.
///
/// # Errors
/// When the Kubernetes API refuses the read or the patch.
pub async fn hold_secret(kube: &Client, namespace: &str, name: &str) -> Result<bool, kube::Error> {
    let secrets: Api<KubeSecret> = Api::namespaced(kube.clone(), namespace);
    let Some(secret) = secrets.get_opt(name).await? else {
        return Ok(false);
    };
    let finalizers = secret.metadata.finalizers.clone().unwrap_or_default();
    if finalizers.iter().any(|f| f == api::CREDENTIAL_FINALIZER) {
        return Ok(true);
    }
    if secret.metadata.deletion_timestamp.is_some() {
        return Ok(false);
    }
    let mut next = finalizers.clone();
    next.push(api::CREDENTIAL_FINALIZER.to_owned());
    patch_finalizers(&secrets, name, &secret, next).await?;
    Ok(true)
}

/// Removes [`api::CREDENTIAL_FINALIZER`] from the Secret `name` in `namespace`, if it has it.
///
/// # Errors
/// When the Kubernetes API refuses the read or the patch.
pub async fn release_secret(kube: &Client, namespace: &str, name: &str) -> Result<(), kube::Error> {
    let secrets: Api<KubeSecret> = Api::namespaced(kube.clone(), namespace);
    let Some(secret) = secrets.get_opt(name).await? else {
        return Ok(());
    };
    let finalizers = secret.metadata.finalizers.clone().unwrap_or_default();
    if !finalizers.iter().any(|f| f == api::CREDENTIAL_FINALIZER) {
        return Ok(());
    }
    let next: Vec<String> = finalizers
        .into_iter()
        .filter(|f| f != api::CREDENTIAL_FINALIZER)
        .collect();
    patch_finalizers(&secrets, name, &secret, next).await
}

/// Replaces a Secret's finalizers, only if its resourceVersion is still the one read (a JSON
/// patch with a test), so a concurrent change is never overwritten.
async fn patch_finalizers(
    secrets: &Api<KubeSecret>,
    name: &str,
    secret: &KubeSecret,
    finalizers: Vec<String>,
) -> Result<(), kube::Error> {
    let rv = secret.resource_version().unwrap_or_default();
    let patch: json_patch::Patch = serde_json::from_value(serde_json::json!([
        {"op": "test", "path": "/metadata/resourceVersion", "value": rv},
        {"op": "add", "path": "/metadata/finalizers", "value": finalizers},
    ]))
    .map_err(kube::Error::SerdeError)?;
    secrets
        .patch(
            name,
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Json::<()>(patch),
        )
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace(name: &str, uid: &str, credential: Option<serde_json::Value>) -> Workspace {
        let mut doc = serde_json::json!({
            "apiVersion": "aml-operator.io/v1alpha1", "kind": "Workspace",
            "metadata": {"name": name, "namespace": "team-a", "uid": uid},
            "spec": {"resourceId": "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w"}
        });
        if let Some(c) = credential {
            doc["spec"]["credential"] = c;
        }
        serde_json::from_value(doc).expect("a Workspace")
    }

    #[tokio::test]
    async fn clients_are_pruned_when_their_workspaces_go() {
        crate::run::install_crypto_provider();
        let settings = AzureSettings {
            cloud: Cloud::custom("https://127.0.0.1:9", "https://127.0.0.1:9").expect("cloud"),
            default_credential: Credential::static_token("t"),
            ca_pem: None,
        };
        let clients = AzureClients::new(settings, crate::metrics::Metrics::new().arm());
        let kube = Client::try_from(kube::Config::new(
            "https://127.0.0.1:9".parse().expect("uri"),
        ))
        .expect("a client that is never called");
        let a = std::sync::Arc::new(workspace("a", "uid-a", None));
        let b = std::sync::Arc::new(workspace("b", "uid-b", None));
        for ws in [&a, &b] {
            clients
                .for_workspace_or_last(&kube, ws, false)
                .await
                .expect("default client");
        }
        let kept = || {
            clients
                .last_good
                .lock()
                .map(|m| m.len())
                .unwrap_or(usize::MAX)
        };
        assert_eq!(
            (clients.cached(), kept()),
            (1, 2),
            "one client, a credential per Workspace"
        );
        clients.prune(std::slice::from_ref(&b));
        assert_eq!(
            (clients.cached(), kept()),
            (1, 1),
            "b still needs the default client"
        );
        clients.prune(&[]);
        assert_eq!((clients.cached(), kept()), (0, 0));
    }

    #[test]
    fn a_token_is_kept_for_its_lifetime_and_none_when_expired() {
        let now = k8s_openapi::jiff::Timestamp::now();
        let in_an_hour = now + k8s_openapi::jiff::SignedDuration::from_secs(3600);
        let lifetime = token_lifetime(Some(in_an_hour));
        assert!(
            (Duration::from_secs(3590)..=Duration::from_secs(3600)).contains(&lifetime),
            "{lifetime:?}"
        );
        let in_a_year = now + k8s_openapi::jiff::SignedDuration::from_secs(365 * 24 * 3600);
        assert_eq!(
            token_lifetime(Some(in_a_year)),
            Duration::from_secs(24 * 3600)
        );
        let past = now - k8s_openapi::jiff::SignedDuration::from_secs(1);
        assert_eq!(token_lifetime(Some(past)), Duration::ZERO);
        assert_eq!(token_lifetime(None), Duration::ZERO);
    }

    /// Against the Kubernetes emulator: a missing ServiceAccount is a permanent error naming
    /// the field; an existing one's token is requested once and then served from the cache;
    /// `prune` forgets the token sources no Workspace names.
    #[cfg(feature = "sandbox")]
    #[tokio::test]
    async fn service_account_tokens_are_requested_once_and_named_when_missing() {
        use k8s_openapi::api::core::v1::Namespace;
        let kube = kube_emulator::KubeEmulator::start(kube_emulator::KubeEmulatorConfig::default())
            .await
            .expect("kube emulator");
        let client = kube.client().await.expect("client");
        Api::<Namespace>::all(client.clone())
            .create(
                &PostParams::default(),
                &serde_json::from_value(serde_json::json!({"metadata": {"name": "team-a"}}))
                    .expect("a Namespace"),
            )
            .await
            .expect("namespace");
        let missing = ServiceAccountToken::new(client.clone(), "team-a", "runner");
        let err = missing.token().await.expect_err("no ServiceAccount yet");
        assert!(err.permanent, "{err:?}");
        assert!(
            err.message
                .contains("spec.credential.workloadIdentity.serviceAccountName")
                && err.message.contains("runner")
                && err.message.contains("team-a"),
            "{}",
            err.message
        );
        Api::<ServiceAccount>::namespaced(client.clone(), "team-a")
            .create(
                &PostParams::default(),
                &serde_json::from_value(serde_json::json!({"metadata": {"name": "runner"}}))
                    .expect("a ServiceAccount"),
            )
            .await
            .expect("service account");
        let first = missing.token().await.expect("a token now");
        let second = missing.token().await.expect("the cached token");
        assert_eq!(first.secret(), second.secret(), "served from the cache");
        let requests = kube
            .audit()
            .into_iter()
            .filter(|r| r.resource == "serviceaccounts/token" && r.verb == "create")
            .count();
        assert_eq!(requests, 2, "one refused, one granted, then the cache");
        let assertion = arm::ClientAssertion::secret(&missing, None)
            .await
            .expect("the assertion");
        assert_eq!(assertion, first.secret());

        crate::run::install_crypto_provider();
        let settings = AzureSettings {
            cloud: Cloud::custom("https://127.0.0.1:9", "https://127.0.0.1:9").expect("cloud"),
            default_credential: Credential::static_token("t"),
            ca_pem: None,
        };
        let clients = AzureClients::new(settings, crate::metrics::Metrics::new().arm());
        let a = clients.service_account_token(&client, "team-a", "runner");
        let b = clients.service_account_token(&client, "team-b", "runner");
        assert!(!Arc::ptr_eq(&a, &b), "namespaces never share a token");
        assert!(Arc::ptr_eq(
            &a,
            &clients.service_account_token(&client, "team-a", "runner")
        ));
        let mut ws = workspace(
            "a",
            "uid-a",
            Some(serde_json::json!({"workloadIdentity": {
                "clientId": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
                "tenantId": "aaaaaaaa-bbbb-cccc-dddd-ffffffffffff",
                "serviceAccountName": "runner"}})),
        );
        ws.metadata.namespace = Some("team-a".into());
        clients.prune(&[std::sync::Arc::new(ws)]);
        let kept: Vec<(String, String)> = clients
            .service_account_tokens
            .lock()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        assert_eq!(kept, vec![("team-a".to_owned(), "runner".to_owned())]);
        kube.shutdown().await;
    }
}
