//! Types shared by the three kinds: references, policies, the in-flight operation and the last
//! ARM error as status carries them, and the schema helpers that keep every string, list and map
//! bounded (a real apiserver estimates CEL cost from these bounds).

use schemars::{JsonSchema, Schema};
use serde::{Deserialize, Serialize};

/// Azure's rule for ML resource names (endpoints, deployments): a letter first, then letters,
/// digits and single dashes, no trailing dash; 3 to 32 characters (the length is a separate rule).
/// Go RE2 syntax: a real apiserver rejects look-ahead.
pub const AZURE_NAME_PATTERN: &str = "^[a-zA-Z](-?[a-zA-Z0-9])*$";

/// A Kubernetes object name (RFC 1123 subdomain).
pub const K8S_NAME_PATTERN: &str =
    "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";

/// A GUID as Entra ID uses for tenant and client ids.
pub const GUID_PATTERN: &str =
    "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

/// The segments of an ARM id up to and including the resource group.
macro_rules! rg_prefix {
    () => {
        "^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[-\\w\\._\\(\\)]{1,90}"
    };
}

/// An AML workspace id.
pub const WORKSPACE_ID_PATTERN: &str = concat!(
    rg_prefix!(),
    "/providers/Microsoft\\.MachineLearningServices/workspaces/[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$"
);
/// A subnet id.
pub const SUBNET_ID_PATTERN: &str = concat!(
    rg_prefix!(),
    "/providers/Microsoft\\.Network/virtualNetworks/[-\\w\\._]{2,64}/subnets/[-\\w\\._]{1,80}$"
);
/// A virtual network id.
pub const VNET_ID_PATTERN: &str = concat!(
    rg_prefix!(),
    "/providers/Microsoft\\.Network/virtualNetworks/[-\\w\\._]{2,64}$"
);
/// A private DNS zone id.
pub const DNS_ZONE_ID_PATTERN: &str = concat!(
    rg_prefix!(),
    "/providers/Microsoft\\.Network/privateDnsZones/[a-zA-Z0-9][-a-zA-Z0-9\\.]{0,252}$"
);
/// A user-assigned managed identity id.
pub const USER_IDENTITY_ID_PATTERN: &str = concat!(
    rg_prefix!(),
    "/providers/Microsoft\\.ManagedIdentity/userAssignedIdentities/[-\\w\\._]{3,128}$"
);
/// An Azure Monitor Private Link Scope id (`Microsoft.Insights/privateLinkScopes`): names of 1
/// to 255 letters, digits, `-`, `_`, `.`, `(` and `)`, not ending with `.` — the resource
/// group name alphabet; Azure's own rule for scope names was not found (Microsoft Learn's
/// naming rules page does not list privateLinkScopes), so this only keeps out what no ARM
/// name can hold.
pub const PRIVATE_LINK_SCOPE_ID_PATTERN: &str = concat!(
    rg_prefix!(),
    "/providers/Microsoft\\.Insights/privateLinkScopes/[-\\w\\._\\(\\)]{0,254}[-\\w_\\(\\)]$"
);
/// A resource group name.
pub const RESOURCE_GROUP_PATTERN: &str = "^[-\\w\\._\\(\\)]{1,90}$";
/// A model, environment or code asset: `azureml:<name>:<version>`, `azureml:<name>@<label>`,
/// `azureml://registries/<registry>/<models|environments|codes>/<name>/versions/<version>` (or
/// `/labels/<label>`), or a full ARM id.
pub const ASSET_PATTERN: &str = "^(azureml:[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}[:@][a-zA-Z0-9_.-]{1,64}|azureml://registries/[a-zA-Z0-9][a-zA-Z0-9_-]{1,62}/(models|environments|codes)/[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}/(versions|labels)/[a-zA-Z0-9_.-]{1,64}|/subscriptions/.+)$";

/// Bounds shared by every schema so the CEL cost estimate of a real apiserver stays small.
pub mod bounds {
    /// Longest ARM resource id we accept.
    pub const RESOURCE_ID: u32 = 1024;
    /// Longest free text (descriptions).
    pub const DESCRIPTION: u32 = 512;
    /// Most entries in a traffic map: Azure allows at most 20 deployments per endpoint.
    pub const TRAFFIC_ENTRIES: u32 = 20;
    /// Most tags Azure allows on a resource.
    pub const TAGS: u32 = 50;
    /// Longest tag value Azure allows.
    pub const TAG_VALUE: u32 = 256;
    /// Most lines of container logs kept in a deployment's status.
    pub const LOG_LINES: i32 = 40;
    /// Most bytes of container logs kept in a deployment's status.
    pub const LOG_BYTES: u32 = 4096;
    /// Longest `aml-operator.io/fetch-logs` value recorded as served.
    pub const LOGS_REQUEST: u32 = 256;
}

/// Names another object in the same namespace. A namespace cannot be given: references never
/// cross namespaces, so one team cannot use another team's workspace or credentials.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LocalObjectReference {
    /// Name of the object in this namespace.
    #[schemars(length(min = 1, max = 253), regex(pattern = K8S_NAME_PATTERN))]
    pub name: String,
}

/// What happens in Azure when the Kubernetes object is deleted.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum DeletionPolicy {
    /// Delete the Azure resources this object created (the default).
    #[default]
    Delete,
    /// Leave the Azure resources in place and only remove the Kubernetes object.
    Orphan,
}

/// Whether a resource is reachable from the public internet.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash, JsonSchema)]
pub enum PublicNetworkAccess {
    /// Reachable from the public internet.
    Enabled,
    /// Reachable only through private endpoints (the default).
    #[default]
    Disabled,
}

impl PublicNetworkAccess {
    /// The value as ARM spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enabled => "Enabled",
            Self::Disabled => "Disabled",
        }
    }
}

/// An Azure long-running operation the controller started and has not seen finish. Kept in
/// status so a restarted controller polls it instead of sending the write again.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OperationStatus {
    /// What the operation does: Create, Update, Scale, Delete, ...
    #[schemars(length(max = 64))]
    pub kind: String,
    /// The URL Azure gave to poll the operation (Azure-AsyncOperation or Location).
    #[schemars(length(max = 2048))]
    pub url: String,
    /// How to poll `url`: AzureAsyncOperation or Location.
    #[schemars(length(max = 32))]
    pub polling: String,
    /// The ARM id of the resource the operation acts on.
    #[schemars(length(max = 1024))]
    pub resource_id: String,
    /// When the controller started the operation (RFC 3339).
    #[schemars(length(max = 64))]
    pub started_at: String,
}

/// The last error Azure Resource Manager answered. Keys and tokens never appear here.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ArmErrorStatus {
    /// ARM's error code, e.g. `OutOfQuota` or `AuthorizationFailed`.
    #[schemars(length(max = 256))]
    pub code: String,
    /// ARM's error message.
    #[schemars(length(max = 4096))]
    pub message: String,
    /// The `x-ms-correlation-request-id` of the failed request, for Azure support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 128))]
    pub correlation_id: Option<String>,
}

/// The `conditions` list: Kubernetes' `metav1.Condition` with the bounds and enums the
/// apiserver's own types carry, as a list-map keyed by `type` so server-side apply merges
/// conditions one by one and two conditions of the same type are refused.
pub fn conditions_schema(generator: &mut schemars::SchemaGenerator) -> Schema {
    let _ = generator;
    schemars::json_schema!({
        "type": "array",
        "maxItems": 16,
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["type"],
        "items": {
            "type": "object",
            "required": ["type", "status", "reason", "message", "lastTransitionTime"],
            "properties": {
                "type": {"type": "string", "maxLength": 316, "description": "The condition type: Ready, Reconciling, Stalled or NetworkIsolated."},
                "status": {"type": "string", "enum": ["True", "False", "Unknown"], "description": "True, False or Unknown."},
                "reason": {"type": "string", "minLength": 1, "maxLength": 1024, "description": "A stable CamelCase reason."},
                "message": {"type": "string", "maxLength": 32768, "description": "A message for humans."},
                "observedGeneration": {"type": "integer", "format": "int64", "minimum": 0, "description": "The generation the condition was computed for."},
                "lastTransitionTime": {"type": "string", "format": "date-time", "description": "When the condition's status last changed."}
            }
        }
    })
}

/// A `string -> integer percent` map as `traffic` and `mirrorTraffic` use.
pub fn traffic_schema(generator: &mut schemars::SchemaGenerator) -> Schema {
    let _ = generator;
    schemars::json_schema!({
        "type": "object",
        "maxProperties": bounds::TRAFFIC_ENTRIES,
        "additionalProperties": {"type": "integer", "format": "int32", "minimum": 0, "maximum": 100}
    })
}

/// A `string -> string` map with Azure's tag limits.
pub fn tags_schema(generator: &mut schemars::SchemaGenerator) -> Schema {
    let _ = generator;
    schemars::json_schema!({
        "type": "object",
        "maxProperties": bounds::TAGS,
        "additionalProperties": {"type": "string", "maxLength": bounds::TAG_VALUE}
    })
}

/// A `string -> string` map of environment variables.
pub fn env_schema(generator: &mut schemars::SchemaGenerator) -> Schema {
    let _ = generator;
    schemars::json_schema!({
        "type": "object",
        "maxProperties": 100,
        "additionalProperties": {"type": "string", "maxLength": 4096}
    })
}
