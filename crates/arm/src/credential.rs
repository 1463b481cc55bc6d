//! How the client authenticates: an enum the controller builds from its configuration, turned
//! into an azure_identity credential (which fetches and caches tokens) bound to a cloud.
//!
//! Invariants: secrets live only in [`azure_core::credentials::Secret`], whose `Debug` prints
//! nothing; tokens are never logged. azure_identity talks to the authority host through the
//! same rustls reqwest client as ARM requests, so a custom CA (the emulator's) is trusted by both.

use crate::cloud::Cloud;
use azure_core::credentials::{AccessToken, Secret, TokenCredential, TokenRequestOptions};
use azure_core::http::ClientMethodOptions;
use azure_core::http::{ClientOptions, Transport};
use azure_identity::{
    AzureCliCredential, AzureCliCredentialOptions, ClientAssertion, ClientAssertionCredential,
    ClientAssertionCredentialOptions, ClientSecretCredential, ClientSecretCredentialOptions,
    ManagedIdentityCredential, ManagedIdentityCredentialOptions, UserAssignedId,
    WorkloadIdentityCredential, WorkloadIdentityCredentialOptions,
};
use std::path::PathBuf;
use std::sync::Arc;

/// Who the client is. Build one from configuration, then hand it to
/// [`crate::ArmClient::builder`].
#[derive(Debug, Clone)]
pub enum Credential {
    /// Entra workload identity. Absent fields come from the environment AKS injects
    /// (`AZURE_CLIENT_ID`, `AZURE_TENANT_ID`, `AZURE_FEDERATED_TOKEN_FILE`).
    WorkloadIdentity {
        /// Client (application) id.
        client_id: Option<String>,
        /// Tenant id.
        tenant_id: Option<String>,
        /// File holding the projected service account token.
        token_file: Option<PathBuf>,
    },
    /// A managed identity: the system-assigned one, or a user-assigned one by client id.
    ManagedIdentity {
        /// Client id of a user-assigned identity; `None` for the system-assigned one.
        client_id: Option<String>,
    },
    /// A service principal with a client secret (the controller reads these from a Secret).
    ClientSecret {
        /// Tenant id.
        tenant_id: String,
        /// Client (application) id.
        client_id: String,
        /// The secret.
        secret: Secret,
    },
    /// Workload identity federation with an assertion the caller supplies (e.g. a Kubernetes
    /// ServiceAccount token from the TokenRequest API), exchanged by azure_identity's
    /// `ClientAssertionCredential` for a token of `client_id`.
    ClientAssertion {
        /// Tenant id.
        tenant_id: String,
        /// Client (application) id.
        client_id: String,
        /// Where the assertion comes from; it caches and refreshes it.
        assertion: AssertionSource,
        /// Names the assertion's subject in [`Credential::principal_key`] (never a secret), so
        /// one client id used with two subjects is two principals.
        subject: String,
    },
    /// The signed-in Azure CLI user (developer laptops).
    AzureCli {
        /// Tenant to request tokens from; `None` for the CLI's default.
        tenant_id: Option<String>,
    },
    /// A fixed bearer token, for tests.
    StaticToken(Secret),
}

/// A credential that could not be built.
#[derive(Debug, thiserror::Error)]
#[error("failed to build the {kind} credential")]
pub struct CredentialError {
    /// Which credential.
    pub kind: &'static str,
    /// azure_identity's reason (missing environment, bad tenant id, ...).
    #[source]
    pub source: azure_core::Error,
}

impl Credential {
    /// Workload identity configured entirely by the environment AKS injects.
    pub fn workload_identity_from_env() -> Self {
        Self::WorkloadIdentity {
            client_id: None,
            tenant_id: None,
            token_file: None,
        }
    }

    /// A service principal with a client secret.
    pub fn client_secret(tenant_id: &str, client_id: &str, secret: impl Into<String>) -> Self {
        Self::ClientSecret {
            tenant_id: tenant_id.to_string(),
            client_id: client_id.to_string(),
            secret: Secret::new(secret.into()),
        }
    }

    /// A fixed bearer token, for tests.
    pub fn static_token(token: impl Into<String>) -> Self {
        Self::StaticToken(Secret::new(token.into()))
    }

    /// A short name of the variant, for logs and errors.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::WorkloadIdentity { .. } => "workload identity",
            Self::ManagedIdentity { .. } => "managed identity",
            Self::ClientAssertion { .. } => "client assertion",
            Self::ClientSecret { .. } => "client secret",
            Self::AzureCli { .. } => "Azure CLI",
            Self::StaticToken(_) => "static token",
        }
    }

    /// A key naming the principal (never a secret), so ARM's per-principal rate limits are
    /// tracked per principal.
    pub fn principal_key(&self) -> String {
        let or_env = |v: &Option<String>, var: &str| {
            v.clone()
                .or_else(|| std::env::var(var).ok())
                .unwrap_or_default()
        };
        match self {
            Self::WorkloadIdentity {
                client_id,
                tenant_id,
                ..
            } => format!(
                "wi:{}/{}",
                or_env(tenant_id, "AZURE_TENANT_ID"),
                or_env(client_id, "AZURE_CLIENT_ID")
            ),
            Self::ManagedIdentity { client_id } => {
                format!("mi:{}", client_id.as_deref().unwrap_or("system"))
            }
            Self::ClientSecret {
                tenant_id,
                client_id,
                ..
            } => format!("sp:{tenant_id}/{client_id}"),
            Self::ClientAssertion {
                tenant_id,
                client_id,
                subject,
                ..
            } => format!("fa:{tenant_id}/{client_id}/{subject}"),
            Self::AzureCli { tenant_id } => format!("cli:{}", tenant_id.as_deref().unwrap_or("")),
            Self::StaticToken(_) => "static".into(),
        }
    }

    /// The azure_identity credential for `cloud`, sending its token requests through `http`.
    ///
    /// # Errors
    /// When azure_identity rejects the configuration (missing environment, bad tenant id,
    /// an authority host that is not https).
    pub fn build(
        &self,
        cloud: &Cloud,
        http: &reqwest::Client,
    ) -> Result<Arc<dyn TokenCredential>, CredentialError> {
        let client_options = || ClientOptions {
            transport: Some(Transport::new(Arc::new(http.clone()))),
            cloud: Some(Arc::new(cloud.to_azure_core())),
            ..Default::default()
        };
        let kind = self.kind();
        let wrap = |source| CredentialError { kind, source };
        let credential: Arc<dyn TokenCredential> = match self {
            Self::WorkloadIdentity {
                client_id,
                tenant_id,
                token_file,
            } => WorkloadIdentityCredential::new(Some(WorkloadIdentityCredentialOptions {
                credential_options: ClientAssertionCredentialOptions {
                    client_options: client_options(),
                },
                client_id: client_id.clone(),
                tenant_id: tenant_id.clone(),
                token_file_path: token_file.clone(),
            }))
            .map_err(wrap)?,
            Self::ManagedIdentity { client_id } => {
                ManagedIdentityCredential::new(Some(ManagedIdentityCredentialOptions {
                    user_assigned_id: client_id.clone().map(UserAssignedId::ClientId),
                    client_options: client_options(),
                }))
                .map_err(wrap)?
            }
            Self::ClientSecret {
                tenant_id,
                client_id,
                secret,
            } => ClientSecretCredential::new(
                tenant_id,
                client_id.clone(),
                secret.clone(),
                Some(ClientSecretCredentialOptions {
                    client_options: client_options(),
                }),
            )
            .map_err(wrap)?,
            Self::ClientAssertion {
                tenant_id,
                client_id,
                assertion,
                ..
            } => ClientAssertionCredential::new(
                tenant_id.clone(),
                client_id.clone(),
                assertion.clone(),
                Some(ClientAssertionCredentialOptions {
                    client_options: client_options(),
                }),
            )
            .map_err(wrap)?,
            Self::AzureCli { tenant_id } => {
                AzureCliCredential::new(Some(AzureCliCredentialOptions {
                    tenant_id: tenant_id.clone(),
                    ..Default::default()
                }))
                .map_err(wrap)?
            }
            Self::StaticToken(token) => Arc::new(StaticTokenCredential(token.clone())),
        };
        Ok(credential)
    }
}

/// A supplier of client assertions for [`Credential::ClientAssertion`]: any
/// [`azure_identity::ClientAssertion`] (its `secret` is called whenever azure_identity needs a new
/// access token; it should cache its assertion and refresh it before expiry).
#[derive(Clone)]
pub struct AssertionSource(Arc<dyn ClientAssertion>);

impl AssertionSource {
    /// Wraps a supplier.
    pub fn new(assertion: Arc<dyn ClientAssertion>) -> Self {
        Self(assertion)
    }
}

impl std::fmt::Debug for AssertionSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The supplier's own Debug, which never prints an assertion.
        self.0.fmt(f)
    }
}

#[async_trait::async_trait]
impl ClientAssertion for AssertionSource {
    async fn secret(&self, options: Option<ClientMethodOptions<'_>>) -> azure_core::Result<String> {
        self.0.secret(options).await
    }
}

/// A credential that always answers the same token (tests only).
#[derive(Debug)]
struct StaticTokenCredential(Secret);

#[async_trait::async_trait]
impl TokenCredential for StaticTokenCredential {
    async fn get_token(
        &self,
        _scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        // A day ahead: callers treat the token as fresh; it is never refreshed.
        let expires_on =
            azure_core::time::OffsetDateTime::now_utc() + azure_core::time::Duration::days(1);
        Ok(AccessToken::new(self.0.clone(), expires_on))
    }
}
