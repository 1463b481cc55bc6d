//! `OnlineEndpoint`: an Azure ML managed online endpoint, private unless the spec says otherwise.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::{
    AZURE_NAME_PATTERN, ArmErrorStatus, DeletionPolicy, LocalObjectReference, OperationStatus,
    PublicNetworkAccess, USER_IDENTITY_ID_PATTERN, bounds, conditions_schema, tags_schema,
    traffic_schema,
};

/// The desired state of a managed online endpoint.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "aml-operator.io",
    version = "v1alpha1",
    kind = "OnlineEndpoint",
    namespaced,
    status = "OnlineEndpointStatus",
    shortname = "amlep",
    category = "azureml",
    doc = "An Azure Machine Learning managed online endpoint, created network-isolated and kept so.",
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].status"
    ),
    printcolumn(
        name = "Reason",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].reason"
    ),
    printcolumn(
        name = "NetworkIsolated",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"NetworkIsolated\")].status"
    ),
    printcolumn(
        name = "ScoringURI",
        type_ = "string",
        json_path = ".status.scoringUri"
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    ),
    printcolumn(
        name = "Message",
        type_ = "string",
        priority = 1,
        json_path = ".status.conditions[?(@.type==\"Ready\")].message"
    )
)]
#[x_kube(validation = kube::core::Rule::new("(has(self.azureName) ? self.azureName : '') == (has(oldSelf.azureName) ? oldSelf.azureName : '')").message("spec.azureName is immutable").field_path(".azureName"))]
#[x_kube(validation = kube::core::Rule::new("!has(self.traffic) || size(self.traffic) == 0 || self.traffic.map(k, self.traffic[k]).sum() in [0, 100]").message("spec.traffic values must sum to 0 or 100").field_path(".traffic"))]
#[x_kube(validation = kube::core::Rule::new("!has(self.mirrorTraffic) || size(self.mirrorTraffic) == 0 || self.mirrorTraffic.map(k, self.mirrorTraffic[k]).sum() <= 50").message("spec.mirrorTraffic values must sum to at most 50").field_path(".mirrorTraffic"))]
#[x_kube(validation = kube::core::Rule::new("!has(self.mirrorTraffic) || size(self.mirrorTraffic) <= 1").message("spec.mirrorTraffic may name only one deployment").field_path(".mirrorTraffic"))]
#[x_kube(validation = kube::core::Rule::new("!has(self.mirrorTraffic) || !has(self.traffic) || self.mirrorTraffic.all(k, !(k in self.traffic) || self.traffic[k] == 0)").message("spec.mirrorTraffic must not name a deployment that receives live traffic").field_path(".mirrorTraffic"))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OnlineEndpointSpec {
    /// The Workspace (in this namespace) the endpoint belongs to. Immutable.
    #[x_kube(validation = kube::core::Rule::new("self == oldSelf").message("spec.workspaceRef is immutable"))]
    pub workspace_ref: LocalObjectReference,

    /// The endpoint's name in Azure; default `metadata.name`. A letter first, then letters,
    /// digits and single dashes, 3-32 characters, unique in the Azure region. Immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 3, max = 32), regex(pattern = AZURE_NAME_PATTERN))]
    pub azure_name: Option<String>,

    /// How clients authenticate to the scoring URI: `Key`, `AMLToken` or `AADToken`.
    #[serde(default)]
    pub auth_mode: AuthMode,

    /// `Disabled` (the default) makes the endpoint reachable only through the workspace's private
    /// endpoint. Updatable; a change converges.
    #[serde(default)]
    pub public_network_access: PublicNetworkAccess,

    /// Percent of live traffic per deployment, keyed by the deployment's Azure name. Values sum to
    /// 0 or 100. Applied once every deployment named here is Succeeded.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(schema_with = "traffic_schema")]
    pub traffic: BTreeMap<String, i32>,

    /// Percent of live traffic copied to a deployment, keyed by the deployment's Azure name.
    /// Values sum to at most 50; a deployment here must not receive live traffic.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(schema_with = "traffic_schema")]
    pub mirror_traffic: BTreeMap<String, i32>,

    /// Description of the endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = bounds::DESCRIPTION))]
    pub description: Option<String>,

    /// Azure tags on the endpoint.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(schema_with = "tags_schema")]
    pub tags: BTreeMap<String, String>,

    /// The endpoint's managed identity (used to pull images and read models).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<EndpointIdentity>,

    /// A Secret in this namespace the controller writes the endpoint's credentials into and keeps
    /// current. `authMode: Key`: `primaryKey`, `secondaryKey`, `activeKey` (`primary` or
    /// `secondary`: the one to use), `key` (its value) and `scoringUri`. `authMode: AMLToken`:
    /// `accessToken`, `tokenType`, `expiryTimeUtc`, `refreshAfterTimeUtc` and `scoringUri`,
    /// refreshed at `refreshAfterTimeUtc`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys_secret: Option<LocalObjectReference>,

    /// Key rotation (`authMode: Key` with `keysSecret`): how often, and how long the previous key
    /// stays valid after the Secret names the new one active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<EndpointKeys>,

    /// `Delete` (the default) deletes the Azure endpoint with this object; `Orphan` leaves it.
    #[serde(default)]
    pub deletion_policy: DeletionPolicy,
}

/// A duration such as `30d`, `12h`, `90m`, `1h30m` or `45s` (units d, h, m, s).
pub const DURATION_PATTERN: &str = "^([0-9]{1,6}[dhms]){1,4}$";

/// Zero-downtime rotation of an endpoint's keys (`authMode: Key` with `keysSecret`).
///
/// A rotation regenerates the key the Secret does not name in `activeKey`, publishes it and names
/// it active, then after `rotationGrace` regenerates the other key (now unused) and publishes it.
/// A rotation also starts when the annotation `aml-operator.io/rotate-keys` takes a new value.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EndpointKeys {
    /// Rotate the keys this often (`30d`, `720h`; 1h to 365d). Absent: only on request (the
    /// annotation). Applies to `authMode: Key` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 32), regex(pattern = DURATION_PATTERN))]
    pub rotate_every: Option<String>,

    /// How long the previous key stays valid after the Secret names the new key active, so that
    /// consumers can pick up the new one (default `10m`; 1s to 7d).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 32), regex(pattern = DURATION_PATTERN))]
    pub rotation_grace: Option<String>,
}

/// Where a key rotation stands, so that a restarted controller resumes it.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KeyRotationStatus {
    /// `Idle`, `RegeneratingInactive` (the key the Secret does not name active is being
    /// regenerated), `Grace` (the Secret names the new key active; the previous one is still
    /// valid until `graceUntil`), `RegeneratingPrevious` (the previous key is being regenerated)
    /// or `NotApplicable` (see `message`).
    #[schemars(length(max = 32))]
    pub phase: String,

    /// The key the Secret names active: `primary` or `secondary`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 16))]
    pub active_key: Option<String>,

    /// The key being regenerated in this phase: `primary` or `secondary`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 16))]
    pub regenerating: Option<String>,

    /// Azure finished regenerating the key named in `regenerating` (an answer without an
    /// operation to follow); the next step publishes it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub regenerated: bool,

    /// When the current rotation started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>,

    /// Until when the previous key stays valid (phase `Grace`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_until: Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>,

    /// When the last rotation finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_rotation_time: Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>,

    /// When the next rotation is due (with `spec.keys.rotateEvery`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_rotation_time: Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>,

    /// The last value of the `aml-operator.io/rotate-keys` annotation served (each new value
    /// starts one rotation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 256))]
    pub served_request: Option<String>,

    /// Why rotation does not apply (phase `NotApplicable`), for humans.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 512))]
    pub message: Option<String>,
}

/// How clients authenticate to an online endpoint.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash, JsonSchema)]
pub enum AuthMode {
    /// Keys that do not expire (the default).
    #[default]
    Key,
    /// Azure ML tokens that expire.
    AMLToken,
    /// Microsoft Entra ID tokens.
    AADToken,
}

impl AuthMode {
    /// The value as ARM spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Key => "Key",
            Self::AMLToken => "AMLToken",
            Self::AADToken => "AADToken",
        }
    }
}

/// The managed identity of an endpoint.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[x_kube(validation = kube::core::Rule::new("(self.type == 'UserAssigned') == (has(self.userAssignedIdentities) && size(self.userAssignedIdentities) > 0)").message("identity.userAssignedIdentities is required with type UserAssigned and allowed only with it").field_path(".userAssignedIdentities"))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EndpointIdentity {
    /// `SystemAssigned`, `UserAssigned` or `None`.
    #[serde(rename = "type")]
    pub type_: IdentityType,
    /// ARM ids of user-assigned identities (with `type: UserAssigned`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 8), inner(length(max = bounds::RESOURCE_ID), regex(pattern = USER_IDENTITY_ID_PATTERN)))]
    pub user_assigned_identities: Vec<String>,
}

/// Managed identity type.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash, JsonSchema)]
pub enum IdentityType {
    /// An identity Azure creates for the endpoint (the default).
    #[default]
    SystemAssigned,
    /// Identities you created.
    UserAssigned,
    /// No identity.
    None,
}

/// The observed state of an online endpoint.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OnlineEndpointStatus {
    /// The generation the status was computed for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,

    /// Ready, Reconciling, Stalled and NetworkIsolated.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "conditions_schema")]
    pub conditions: Vec<Condition>,

    /// ARM id of the endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = bounds::RESOURCE_ID))]
    pub azure_resource_id: Option<String>,

    /// The endpoint's provisioningState in Azure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64))]
    pub provisioning_state: Option<String>,

    /// The URI clients send scoring requests to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 2048))]
    pub scoring_uri: Option<String>,

    /// The URI of the endpoint's OpenAPI document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 2048))]
    pub swagger_uri: Option<String>,

    /// publicNetworkAccess as last observed in Azure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 32))]
    pub public_network_access: Option<String>,

    /// The principal id of the endpoint's system-assigned identity (Azure's
    /// `identity.principalId`), as last observed: grant it roles (e.g. AcrPull, Storage Blob Data
    /// Reader) for what the deployments' containers read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64))]
    pub identity_principal_id: Option<String>,

    /// The tags and properties (description, user-assigned identities) the controller set on
    /// the Azure endpoint: removed from the spec, they are removed from Azure (what others set
    /// is left alone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed: Option<crate::assets::ManagedFields>,

    /// Key rotation (`spec.keys`): phase, active key, last and next rotation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_rotation: Option<KeyRotationStatus>,

    /// Live traffic as last observed in Azure.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(schema_with = "traffic_schema")]
    pub traffic: BTreeMap<String, i32>,

    /// Mirror traffic as last observed in Azure.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(schema_with = "traffic_schema")]
    pub mirror_traffic: BTreeMap<String, i32>,

    /// The Azure operation in flight, resumed by a restarted controller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<OperationStatus>,

    /// The last error from Azure Resource Manager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<ArmErrorStatus>,

    /// Since when Azure has answered 409 (busy with another operation) to every write; a
    /// conflict that does not clear within a bound becomes Stalled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azure_busy_since: Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>,
}
