//! Managed online endpoints (`Microsoft.MachineLearningServices/workspaces/onlineEndpoints`)
//! and the bodies of their actions: keys, regenerateKeys and token.
//!
//! Keys and tokens never appear in `Debug` output: they are secrets.

use super::common::{Extra, ProvisioningState, PublicNetworkAccess, Resource};
use super::wire_enum::wire_enum;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A managed online endpoint.
pub type OnlineEndpoint = Resource<OnlineEndpointProperties>;

wire_enum! {
    /// How clients authenticate to the scoring endpoint.
    EndpointAuthMode {
        /// Azure ML tokens.
        AmlToken = "AMLToken",
        /// Primary and secondary keys.
        Key = "Key",
        /// Entra ID tokens.
        AadToken = "AADToken",
    }
}

/// The properties of an online endpoint.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OnlineEndpointProperties {
    /// How clients authenticate to the scoring endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_mode: Option<EndpointAuthMode>,
    /// Compute for Kubernetes endpoints; absent for managed ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compute: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Keys to set on create (write-only; never returned).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<EndpointAuthKeys>,
    /// Deployment name -> percent of live traffic copied to it (sum at most 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mirror_traffic: Option<BTreeMap<String, i32>>,
    /// Free-form properties.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<BTreeMap<String, String>>,
    /// Provisioning state (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning_state: Option<ProvisioningState>,
    /// Whether the scoring endpoint is reachable publicly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_network_access: Option<PublicNetworkAccess>,
    /// Scoring URI (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scoring_uri: Option<String>,
    /// Swagger URI (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swagger_uri: Option<String>,
    /// Deployment name -> percent of live traffic (sum 0 or 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traffic: Option<BTreeMap<String, i32>>,
    /// Members not modelled here.
    #[serde(flatten)]
    pub extra: Extra,
}

/// An endpoint's keys (`listKeys`), or keys to set on create.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointAuthKeys {
    /// Primary key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_key: Option<String>,
    /// Secondary key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secondary_key: Option<String>,
    /// Members not modelled here.
    #[serde(flatten)]
    pub extra: Extra,
}

impl fmt::Debug for EndpointAuthKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EndpointAuthKeys")
            .field(
                "primary_key",
                &self.primary_key.as_ref().map(|_| "<redacted>"),
            )
            .field(
                "secondary_key",
                &self.secondary_key.as_ref().map(|_| "<redacted>"),
            )
            .finish_non_exhaustive()
    }
}

/// A scoring token (`token` action, AMLToken endpoints).
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointAuthToken {
    /// The token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
    /// Expiry, in seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry_time_utc: Option<i64>,
    /// When to refresh, in seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_after_time_utc: Option<i64>,
    /// Token type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// Members not modelled here.
    #[serde(flatten)]
    pub extra: Extra,
}

impl fmt::Debug for EndpointAuthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EndpointAuthToken")
            .field(
                "access_token",
                &self.access_token.as_ref().map(|_| "<redacted>"),
            )
            .field("expiry_time_utc", &self.expiry_time_utc)
            .field("token_type", &self.token_type)
            .finish_non_exhaustive()
    }
}

wire_enum! {
    /// Which key to regenerate.
    KeyType {
        /// The primary key.
        Primary = "Primary",
        /// The secondary key.
        Secondary = "Secondary",
    }
}

/// Body of `regenerateKeys`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegenerateEndpointKeysRequest {
    /// Which key.
    pub key_type: KeyType,
    /// The new value; absent lets Azure choose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_value: Option<String>,
    /// Members not modelled here.
    #[serde(flatten)]
    pub extra: Extra,
}

impl fmt::Debug for RegenerateEndpointKeysRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegenerateEndpointKeysRequest")
            .field("key_type", &self.key_type)
            .field("key_value", &self.key_value.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}
