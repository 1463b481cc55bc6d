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
                ) => &wi.client_id == client_id && &wi.tenant_id == tenant_id,
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
}
