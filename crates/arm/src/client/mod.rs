//! `ArmClient`: the one door to Azure Resource Manager. It holds one rustls reqwest client,
//! the credential, the retry policy, the pacer and the metrics, and is cheap to clone.
//!
//! Invariants: every request carries a bearer token, the provider's api-version, a fresh
//! `x-ms-client-request-id` and `User-Agent: aml-operator/<version>`; the bearer token is only
//! ever sent to the configured Resource Manager origin (polling and next-page URLs pointing
//! elsewhere are refused).

mod builder;
pub(crate) mod send;
pub(crate) mod typed;

pub use builder::{ArmClientBuilder, BuildError};

use crate::api_version::ApiVersions;
use crate::cloud::Cloud;
use crate::error::{ArmError, ErrorOrigin};
use crate::pipeline::{ArmMetrics, Pacer, RetryPolicy};
use crate::resource_id::ResourceId;
use azure_core::credentials::TokenCredential;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// The `User-Agent` of every request.
pub const USER_AGENT: &str = concat!("aml-operator/", env!("CARGO_PKG_VERSION"));

/// A typed Azure Resource Manager client. Clones share everything.
#[derive(Clone)]
pub struct ArmClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    cloud: Cloud,
    base: Url,
    credential: Arc<dyn TokenCredential>,
    scope: String,
    principal: String,
    api_versions: ApiVersions,
    retry: RetryPolicy,
    pacer: Arc<Pacer>,
    metrics: ArmMetrics,
    default_poll_interval: Duration,
}

impl std::fmt::Debug for ArmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArmClient")
            .field("base", &self.inner.base.as_str())
            .field("principal", &self.inner.principal)
            .finish_non_exhaustive()
    }
}

impl ArmClient {
    /// Starts building a client for `cloud` authenticating as `credential`.
    pub fn builder(cloud: Cloud, credential: crate::Credential) -> ArmClientBuilder {
        ArmClientBuilder::new(cloud, credential)
    }

    /// The cloud this client talks to.
    pub fn cloud(&self) -> &Cloud {
        &self.inner.cloud
    }

    /// The metrics this client records into.
    pub fn metrics(&self) -> &ArmMetrics {
        &self.inner.metrics
    }

    /// How long to wait between polls when ARM gives no `Retry-After`.
    pub fn default_poll_interval(&self) -> Duration {
        self.inner.default_poll_interval
    }

    /// The pacer this client reserves tokens from.
    pub fn pacer(&self) -> &Arc<Pacer> {
        &self.inner.pacer
    }

    /// The URL of `id` with its provider's api-version.
    ///
    /// # Errors
    /// When no api-version is known for the resource type.
    pub fn resource_url(&self, id: &ResourceId) -> Result<Url, ArmError> {
        let version = self.inner.api_versions.for_id(id).ok_or_else(|| {
            ArmError::new(
                ErrorOrigin::Invalid,
                format!("address {id}"),
                format!("no api-version is configured for {}", id.resource_type()),
            )
        })?;
        Ok(self.url_for_path(&id.to_string(), version))
    }

    /// The URL of the collection `<parent>/<child_type>` (or, for a resource group or
    /// subscription scope, `<scope>/providers/<child_type>`), with the api-version for the
    /// items' type.
    pub fn collection_url(
        &self,
        parent: &ResourceId,
        child_type: &str,
    ) -> Result<(Url, String), ArmError> {
        let (path, item_type) = if parent.namespace().is_some() {
            (
                format!("{parent}/{child_type}"),
                format!("{}/{child_type}", parent.resource_type()),
            )
        } else {
            (
                format!("{parent}/providers/{child_type}"),
                child_type.to_string(),
            )
        };
        let version = self
            .inner
            .api_versions
            .for_type(&item_type)
            .ok_or_else(|| {
                ArmError::new(
                    ErrorOrigin::Invalid,
                    format!("list {path}"),
                    format!("no api-version is configured for {item_type}"),
                )
            })?;
        Ok((self.url_for_path(&path, version), item_type))
    }

    fn url_for_path(&self, path: &str, version: &str) -> Url {
        let mut url = self.inner.base.clone();
        let base_path = url.path().trim_end_matches('/').to_string();
        url.set_path(&format!("{base_path}{path}"));
        url.query_pairs_mut().append_pair("api-version", version);
        url
    }

    /// Checks that `url` is on the Resource Manager origin, so the bearer token never leaves it.
    pub(crate) fn check_origin(&self, url: &Url, action: &str) -> Result<(), ArmError> {
        if url.origin() == self.inner.base.origin() {
            Ok(())
        } else {
            Err(ArmError::new(
                ErrorOrigin::Invalid,
                action.to_string(),
                format!(
                    "refusing to send a token to {}: not the Resource Manager endpoint {}",
                    url.origin().ascii_serialization(),
                    self.inner.base.origin().ascii_serialization()
                ),
            ))
        }
    }
}
