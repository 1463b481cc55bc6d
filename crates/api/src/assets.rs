//! How an OnlineDeployment references its model, environment and code (workspace versions,
//! Azure ML registry URIs, the `latest` label), how a label is pinned in status, what the
//! controller keeps track of so that a removal from the spec reaches Azure, and the managed
//! deployment's data collector.

use std::collections::BTreeMap;

use schemars::{JsonSchema, Schema};
use serde::{Deserialize, Serialize};

use crate::common::bounds;

/// Any new value asks the controller to resolve an OnlineDeployment's `@latest` (or
/// `/labels/latest`) references once more and pin what they name now; the value served is
/// recorded in `status.resolvedAssets.request`. Without it (and without `track: Latest`) a pin
/// changes only when the reference in the spec changes.
pub const RESOLVE_ASSETS_ANNOTATION: &str = "aml-operator.io/resolve-assets";

/// When a label (`@latest`) is resolved again.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum AssetTracking {
    /// Resolve a label once and keep the version in `status.resolvedAssets`; resolve again
    /// only when the reference in the spec changes or on the `aml-operator.io/resolve-assets`
    /// annotation. A version published later never redeploys by itself (the default).
    #[default]
    Pinned,
    /// Resolve labels on every sync: a newer version published in the workspace or registry
    /// updates the deployment (a redeploy, with a Normal `AssetResolved` Event).
    Latest,
}

/// How the deployment's asset references are resolved.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AssetPolicy {
    /// `Pinned` (default) or `Latest`: when a label such as `@latest` is resolved again.
    #[serde(default)]
    pub track: AssetTracking,

    /// Azure ML registries by name (as in `azureml://registries/<name>/...`) → their ARM id
    /// (`/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.MachineLearningServices/registries/<name>`).
    /// Needed only to resolve a label of a registry asset (a list of the registry's versions
    /// is an ARM call); absent: the registry is looked for in the workspace's subscription and
    /// resource group.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(schema_with = "registries_schema")]
    pub registries: BTreeMap<String, String>,
}

fn registries_schema(generator: &mut schemars::SchemaGenerator) -> Schema {
    let _ = generator;
    schemars::json_schema!({
        "type": "object",
        "maxProperties": 16,
        "additionalProperties": {
            "type": "string",
            "maxLength": bounds::RESOURCE_ID,
            "pattern": "^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[-\\w\\._\\(\\)]{1,90}/providers/Microsoft\\.MachineLearningServices/registries/[a-zA-Z0-9][a-zA-Z0-9_-]{1,62}$"
        }
    })
}

/// What a label resolved to, pinned in status.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedAsset {
    /// The reference as the spec had it when it was resolved (e.g. `azureml:my-model@latest`).
    #[schemars(length(max = bounds::RESOURCE_ID))]
    pub reference: String,
    /// The version id sent to Azure (an ARM id of a workspace version, or an
    /// `azureml://registries/.../versions/<v>` URI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = bounds::RESOURCE_ID))]
    pub id: Option<String>,
    /// The resolved version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64))]
    pub version: Option<String>,
    /// When it was resolved (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64))]
    pub resolved_at: Option<String>,
    /// Why it could not be resolved (the list answered 404, or no version exists).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 1024))]
    pub error: Option<String>,
}

/// The versions the deployment's labels were pinned to.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedAssets {
    /// `spec.model`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ResolvedAsset>,
    /// `spec.environment`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<ResolvedAsset>,
    /// `spec.codeConfiguration.code`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<ResolvedAsset>,
    /// The last value of the `aml-operator.io/resolve-assets` annotation served.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 256))]
    pub request: Option<String>,
}

/// What the controller set in Azure on the resource, so that what the spec no longer says is
/// removed (and only that: tags and properties others set are left alone).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ManagedFields {
    /// Tag keys the controller set (the owner tag excluded).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = bounds::TAGS), schema_with = "keys_schema")]
    pub tags: Vec<String>,
    /// Properties the controller set, as paths (`description`,
    /// `requestSettings.requestTimeout`, `livenessProbe.period`, `dataCollector`,
    /// `identity.userAssignedIdentities/<id>`, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "fields_schema")]
    pub properties: Vec<String>,
}

fn keys_schema(generator: &mut schemars::SchemaGenerator) -> Schema {
    let _ = generator;
    schemars::json_schema!({
        "type": "array",
        "maxItems": bounds::TAGS,
        "items": {"type": "string", "maxLength": 512}
    })
}

fn fields_schema(generator: &mut schemars::SchemaGenerator) -> Schema {
    let _ = generator;
    schemars::json_schema!({
        "type": "array",
        "maxItems": 64,
        "items": {"type": "string", "maxLength": 1200}
    })
}

/// Model data collection of a managed deployment (`dataCollector` in the 2025-12-01 spec;
/// `data_collector` in the `az ml` YAML).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DataCollector {
    /// Collections by name. `request` and `response` are payload logging (the scoring
    /// request and response); any other name is custom logging from the scoring script (e.g.
    /// `model_inputs`, `model_outputs`).
    #[schemars(schema_with = "collections_schema")]
    pub collections: BTreeMap<String, DataCollection>,
    /// Default sampling rate (0.0-1.0) for collections that set none (the `az ml` YAML's
    /// `sampling_rate`; Azure takes it per collection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 1.0))]
    pub sampling_rate: Option<f64>,
    /// How collected files roll: `Year`, `Month`, `Day`, `Hour` or `Minute`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rolling_rate: Option<RollingRate>,
    /// Payload logging settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_logging: Option<RequestLogging>,
}

fn collections_schema(generator: &mut schemars::SchemaGenerator) -> Schema {
    let item = generator.subschema_for::<DataCollection>();
    schemars::json_schema!({
        "type": "object",
        "minProperties": 1,
        "maxProperties": 16,
        "additionalProperties": item
    })
}

/// One data collection.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DataCollection {
    /// Collect (default true).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Fraction of requests collected (0.0-1.0; Azure's default 1.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 1.0))]
    pub sampling_rate: Option<f64>,
    /// Client id of the user-assigned identity that writes the data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64))]
    pub client_id: Option<String>,
    /// ARM id of the data asset the collection writes to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = bounds::RESOURCE_ID))]
    pub data_id: Option<String>,
}

fn yes() -> bool {
    true
}

/// How collected data rolls into blob paths.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum RollingRate {
    /// `/yyyy/`
    Year,
    /// `/yyyy/MM/`
    Month,
    /// `/yyyy/MM/dd/`
    Day,
    /// `/yyyy/MM/dd/HH/`
    Hour,
    /// `/yyyy/MM/dd/HH/mm/`
    Minute,
}

impl RollingRate {
    /// The value as ARM spells it (`RollingRateType`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Year => "Year",
            Self::Month => "Month",
            Self::Day => "Day",
            Self::Hour => "Hour",
            Self::Minute => "Minute",
        }
    }
}

/// Payload logging settings of a data collector.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestLogging {
    /// Request headers collected along with the payload.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 32))]
    pub capture_headers: Vec<HeaderName>,
}

/// An HTTP header name.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(transparent)]
pub struct HeaderName(
    #[schemars(
        length(min = 1, max = 256),
        regex(pattern = "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
    )]
    pub String,
);
