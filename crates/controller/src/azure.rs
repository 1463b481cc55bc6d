//! Azure access for reconcilers: one ARM client per credential (built once, cached), the
//! credential a Workspace asks for (its own Secret, workload identity, or the controller's own),
//! and ARM errors turned into the planner's failure classes.
//!
//! Invariants: a Workspace's `secretRef` is read only from the Workspace's own namespace; secrets
//! and tokens are never logged (they live in azure_core's `Secret`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use api::Workspace;
use api::workspace::WorkspaceCredential;
use arm::{ArmClient, ArmError, ArmMetrics, Cloud, Credential, ErrorClass, Pacer, PacerConfig};
use azure_core::credentials::Secret;
use k8s_openapi::api::core::v1::Secret as KubeSecret;
use kube::api::Api;
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
    WorkloadIdentity {
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
    /// The ARM client could not be built.
    #[error("failed to build the ARM client: {0}")]
    Build(String),
}

impl CredentialProblem {
    /// As a planner failure (Stalled with CredentialError, retried slowly).
    pub fn to_failure(&self) -> Failure {
        Failure::new(
            FailureClass::Credential,
            "CredentialError",
            self.to_string(),
        )
    }
}

/// ARM clients by credential, sharing one pacer and one set of metrics.
pub struct AzureClients {
    settings: AzureSettings,
    pacer: Arc<Pacer>,
    metrics: ArmMetrics,
    clients: Mutex<HashMap<CredentialKey, ArmClient>>,
}

impl AzureClients {
    /// Clients for `settings`, counting requests in `metrics`.
    pub fn new(settings: AzureSettings, metrics: ArmMetrics) -> Self {
        Self {
            settings,
            pacer: Arc::new(Pacer::new(PacerConfig::default())),
            metrics,
            clients: Mutex::new(HashMap::new()),
        }
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
            .request_timeout(Duration::from_secs(60));
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
