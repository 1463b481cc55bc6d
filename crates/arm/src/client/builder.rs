//! Building an [`ArmClient`]: cloud, credential, TLS roots, timeouts, retry policy, pacer,
//! metrics and api-versions.

use super::{ArmClient, Inner, USER_AGENT};
use crate::api_version::ApiVersions;
use crate::cloud::Cloud;
use crate::credential::{Credential, CredentialError};
use crate::pipeline::{ArmMetrics, Pacer, RetryPolicy};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// A client that could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A CA file that could not be read.
    #[error("failed to read CA certificates from {path}")]
    ReadCa {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// CA certificates that do not parse.
    #[error("failed to parse CA certificates (PEM)")]
    ParseCa(#[source] reqwest::Error),
    /// The HTTP client could not be built (TLS setup).
    #[error("failed to build the HTTP client")]
    Http(#[source] reqwest::Error),
    /// The credential could not be built.
    #[error(transparent)]
    Credential(#[from] CredentialError),
}

/// Builds an [`ArmClient`].
#[derive(Debug)]
pub struct ArmClientBuilder {
    cloud: Cloud,
    credential: Credential,
    extra_roots: Vec<reqwest::Certificate>,
    only_extra_roots: bool,
    connect_timeout: Duration,
    request_timeout: Duration,
    retry: RetryPolicy,
    pacer: Option<Arc<Pacer>>,
    metrics: Option<ArmMetrics>,
    api_versions: ApiVersions,
    default_poll_interval: Duration,
}

impl ArmClientBuilder {
    /// A builder with the defaults: system roots, 10 s connect and 60 s request timeouts,
    /// [`RetryPolicy::default`], the process-wide [`Pacer::shared`], unregistered metrics.
    pub fn new(cloud: Cloud, credential: Credential) -> Self {
        Self {
            cloud,
            credential,
            extra_roots: Vec::new(),
            only_extra_roots: false,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            retry: RetryPolicy::default(),
            pacer: None,
            metrics: None,
            api_versions: ApiVersions::default(),
            default_poll_interval: Duration::from_secs(10),
        }
    }

    /// Trusts only the CA certificates in this PEM (e.g. the ARM emulator's), for ARM and for
    /// the token endpoint.
    ///
    /// # Errors
    /// When the PEM holds no parsable certificate.
    pub fn trust_only_ca_pem(mut self, pem: &[u8]) -> Result<Self, BuildError> {
        self.extra_roots =
            reqwest::Certificate::from_pem_bundle(pem).map_err(BuildError::ParseCa)?;
        self.only_extra_roots = true;
        Ok(self)
    }

    /// [`Self::trust_only_ca_pem`] from a file.
    pub fn trust_only_ca_file(self, path: &Path) -> Result<Self, BuildError> {
        let pem = std::fs::read(path).map_err(|source| BuildError::ReadCa {
            path: path.display().to_string(),
            source,
        })?;
        self.trust_only_ca_pem(&pem)
    }

    /// Connect timeout of each attempt.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Whole-request timeout of each attempt.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// The retry policy.
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// A pacer to share with other clients (default: [`Pacer::shared`]).
    pub fn pacer(mut self, pacer: Arc<Pacer>) -> Self {
        self.pacer = Some(pacer);
        self
    }

    /// Metrics to record into (see [`ArmMetrics::register`]).
    pub fn metrics(mut self, metrics: ArmMetrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// The api-version table.
    pub fn api_versions(mut self, api_versions: ApiVersions) -> Self {
        self.api_versions = api_versions;
        self
    }

    /// How long to wait between polls when ARM gives no `Retry-After` (default 10 s).
    pub fn default_poll_interval(mut self, interval: Duration) -> Self {
        self.default_poll_interval = interval;
        self
    }

    /// Builds the client and its credential.
    ///
    /// # Errors
    /// When TLS cannot be set up or the credential is misconfigured.
    pub fn build(self) -> Result<ArmClient, BuildError> {
        let mut http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(self.connect_timeout)
            .timeout(self.request_timeout)
            // ARM answers with Location headers that are polling URLs, not redirects.
            .redirect(reqwest::redirect::Policy::none());
        if self.only_extra_roots {
            http = http.tls_certs_only(self.extra_roots);
        }
        let http = http.build().map_err(BuildError::Http)?;
        let credential = self.credential.build(&self.cloud, &http)?;
        let base = self.cloud.resource_manager();
        Ok(ArmClient {
            inner: Arc::new(Inner {
                scope: self.cloud.arm_scope(),
                principal: self.credential.principal_key(),
                http,
                base,
                cloud: self.cloud,
                credential,
                api_versions: self.api_versions,
                retry: self.retry,
                pacer: self.pacer.unwrap_or_else(Pacer::shared),
                metrics: self.metrics.unwrap_or_else(ArmMetrics::unregistered),
                default_poll_interval: self.default_poll_interval,
            }),
        })
    }
}
