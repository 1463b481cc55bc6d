//! `OnlineDeployment`: a managed online deployment under an `OnlineEndpoint`, with its outbound
//! network locked down.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::{
    ASSET_PATTERN, AZURE_NAME_PATTERN, ArmErrorStatus, DeletionPolicy, LocalObjectReference,
    OperationStatus, PublicNetworkAccess, bounds, conditions_schema, env_schema, tags_schema,
};

/// The desired state of a managed online deployment.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "aml-operator.io",
    version = "v1alpha1",
    kind = "OnlineDeployment",
    namespaced,
    status = "OnlineDeploymentStatus",
    shortname = "amldep",
    category = "azureml",
    doc = "An Azure Machine Learning managed online deployment behind an OnlineEndpoint.",
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
        name = "Endpoint",
        type_ = "string",
        json_path = ".spec.endpointRef.name"
    ),
    printcolumn(
        name = "Instances",
        type_ = "integer",
        json_path = ".status.instanceCount"
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
#[x_kube(validation = kube::core::Rule::new("(has(self.egressPublicNetworkAccess) ? self.egressPublicNetworkAccess : '') == (has(oldSelf.egressPublicNetworkAccess) ? oldSelf.egressPublicNetworkAccess : '')").message("spec.egressPublicNetworkAccess is immutable (Azure sets it only at create)").field_path(".egressPublicNetworkAccess"))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OnlineDeploymentSpec {
    /// The OnlineEndpoint (in this namespace) the deployment belongs to. Immutable.
    #[x_kube(validation = kube::core::Rule::new("self == oldSelf").message("spec.endpointRef is immutable"))]
    pub endpoint_ref: LocalObjectReference,

    /// The deployment's name in Azure; default `metadata.name`. A letter first, then letters,
    /// digits and single dashes, 3-32 characters. The endpoint's `traffic` names deployments by
    /// this name. Immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 3, max = 32), regex(pattern = AZURE_NAME_PATTERN))]
    pub azure_name: Option<String>,

    /// The model: `azureml:<name>:<version>` (resolved in the endpoint's workspace),
    /// `azureml:<name>@latest` (resolved by the controller and pinned in
    /// `status.resolvedAssets`), `azureml://registries/<registry>/models/<name>/versions/<v>`
    /// (or `.../labels/latest`) for a model shared in an Azure ML registry, or a full ARM id of
    /// a model version.
    #[schemars(length(min = 1, max = bounds::RESOURCE_ID), regex(pattern = ASSET_PATTERN))]
    pub model: String,

    /// The scoring code and its entry script.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_configuration: Option<CodeConfiguration>,

    /// The environment: `azureml:<name>:<version>`, `azureml:<name>@latest`,
    /// `azureml://registries/<registry>/environments/<name>/versions/<v>` (or
    /// `.../labels/latest`) or a full ARM id of an environment version.
    #[schemars(length(min = 1, max = bounds::RESOURCE_ID), regex(pattern = ASSET_PATTERN))]
    pub environment: String,

    /// How labels (`@latest`) in `model`, `environment` and `codeConfiguration.code` are
    /// resolved: pinned in status (the default) or tracked on every sync.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assets: Option<crate::assets::AssetPolicy>,

    /// Where the model is mounted in the scoring container (an absolute path without spaces;
    /// Azure's default `/var/azureml-app/azureml-models/<name>/<version>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 256), regex(pattern = "^/\\S*$"))]
    pub model_mount_path: Option<String>,

    /// Model data collection (payload logging of requests and responses, custom collections
    /// from the scoring script), as the `az ml` YAML's `data_collector`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_collector: Option<crate::assets::DataCollector>,

    /// The VM size, e.g. `Standard_F2s_v2`. Azure sets it only at create. Immutable.
    #[x_kube(validation = kube::core::Rule::new("self == oldSelf").message("spec.instanceType is immutable (Azure sets it only at create)"))]
    #[schemars(length(min = 1, max = 64), regex(pattern = "^[A-Za-z0-9_]+$"))]
    pub instance_type: String,

    /// Number of instances (1-50). A change scales the deployment in place. With `autoscale`
    /// it is the count the deployment is created with (held within the autoscale bounds), and
    /// the autoscaler owns it from then on.
    #[serde(default = "default_instance_count")]
    #[schemars(range(min = 1, max = 50))]
    pub instance_count: i32,

    /// Scale with an Azure Monitor autoscale setting the controller creates and keeps for this
    /// deployment (deleted with it, or when this field is removed). Absent: `instanceCount` is
    /// enforced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscale: Option<crate::autoscale::Autoscale>,

    /// Legacy outbound isolation: `Disabled` keeps the deployment's egress on private endpoints
    /// to the workspace's resources. Azure sets it only at create. Immutable. Absent: `Disabled`
    /// unless the workspace has a managed network, which replaces this flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub egress_public_network_access: Option<PublicNetworkAccess>,

    /// Environment variables for the scoring container.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(schema_with = "env_schema")]
    pub environment_variables: BTreeMap<String, String>,

    /// Request handling limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_settings: Option<RequestSettings>,

    /// Liveness probe of the scoring container. Its successThreshold is fixed at 1 for managed
    /// online deployments (Learn: CLI (v2) managed online deployment YAML schema, ProbeSettings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = kube::core::Rule::new("!has(self.successThreshold) || self.successThreshold == 1").message("spec.livenessProbe.successThreshold must be 1 for a liveness probe").field_path(".successThreshold"))]
    pub liveness_probe: Option<Probe>,

    /// Readiness probe of the scoring container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readiness_probe: Option<Probe>,

    /// Send the scoring container's telemetry to the workspace's Application Insights.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub app_insights_enabled: bool,

    /// Description of the deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = bounds::DESCRIPTION))]
    pub description: Option<String>,

    /// Azure tags on the deployment.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(schema_with = "tags_schema")]
    pub tags: BTreeMap<String, String>,

    /// `Delete` (the default) deletes the Azure deployment with this object; `Orphan` leaves it.
    #[serde(default)]
    pub deletion_policy: DeletionPolicy,
}

fn default_instance_count() -> i32 {
    1
}

/// The scoring code of a deployment.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CodeConfiguration {
    /// The code asset: `azureml:<name>:<version>` or a full ARM id of a code version.
    #[schemars(length(min = 1, max = bounds::RESOURCE_ID), regex(pattern = ASSET_PATTERN))]
    pub code: String,
    /// The entry script, relative to the code's root, e.g. `score.py`.
    #[schemars(length(min = 1, max = 256))]
    pub scoring_script: String,
}

/// Request handling limits of a deployment.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestSettings {
    /// Scoring timeout in milliseconds (1-180000; Azure's default 5000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 180000))]
    pub request_timeout_ms: Option<i32>,
    /// Concurrent requests per instance (1-1000; Azure's default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1000))]
    pub max_concurrent_requests_per_instance: Option<i32>,
}

/// A container probe, in seconds as the `az ml` YAML has it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Probe {
    /// Seconds after start before the first probe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 3600))]
    pub initial_delay: Option<i32>,
    /// Seconds between probes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 3600))]
    pub period: Option<i32>,
    /// Seconds a probe may take.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 3600))]
    pub timeout: Option<i32>,
    /// Failed probes in a row before the container is restarted or marked unready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1000))]
    pub failure_threshold: Option<i32>,
    /// Successful probes in a row before the container counts as healthy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1000))]
    pub success_threshold: Option<i32>,
}

/// The observed state of a managed online deployment.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OnlineDeploymentStatus {
    /// The generation the status was computed for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,

    /// Ready, Reconciling and Stalled.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "conditions_schema")]
    pub conditions: Vec<Condition>,

    /// ARM id of the deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = bounds::RESOURCE_ID))]
    pub azure_resource_id: Option<String>,

    /// The deployment's provisioningState in Azure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64))]
    pub provisioning_state: Option<String>,

    /// Instance count (`sku.capacity`) as last observed in Azure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_count: Option<i32>,

    /// The Azure operation in flight, resumed by a restarted controller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<OperationStatus>,

    /// ARM id of the autoscale setting (`Microsoft.Insights/autoscalesettings`) the controller
    /// created for `spec.autoscale`; kept until Azure says it is gone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = bounds::RESOURCE_ID))]
    pub autoscale_setting_id: Option<String>,

    /// The versions labels in the spec (`@latest`) were resolved to, as sent to Azure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_assets: Option<crate::assets::ResolvedAssets>,

    /// The tags and properties the controller set on the Azure deployment: removed from the
    /// spec, they are removed from Azure (what others set is left alone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed: Option<crate::assets::ManagedFields>,

    /// The last error from Azure Resource Manager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<ArmErrorStatus>,

    /// Since when Azure has answered 409 (busy with another operation) to every write; a
    /// conflict that does not clear within a bound becomes Stalled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azure_busy_since: Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>,

    /// The last lines of the deployment's containers, read with Azure's `getLogs` when an
    /// operation failed or Azure reported the deployment Failed (once per failure), or when the
    /// `aml-operator.io/fetch-logs` annotation took a new value. Never read on a plain sync.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_logs: Option<DeploymentLogs>,
}

/// Container logs the controller read from Azure (`getLogs`), bounded.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentLogs {
    /// Why they were read: `OperationFailed` (an Azure operation on the deployment failed),
    /// `ProvisioningFailed` (Azure reported it Failed) or `Requested` (the annotation).
    #[schemars(length(max = 32))]
    pub trigger: String,

    /// The object's generation when they were read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<i64>,

    /// When they were read.
    pub fetched_at: k8s_openapi::apimachinery::pkg::apis::meta::v1::Time,

    /// The last value of the `aml-operator.io/fetch-logs` annotation the controller served
    /// (each new value is served once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = bounds::LOGS_REQUEST))]
    pub request: Option<String>,

    /// One entry per container read (`InferenceServer`, `StorageInitializer`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 2))]
    pub containers: Vec<ContainerLogs>,
}

/// The last lines of one container of a deployment.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContainerLogs {
    /// `InferenceServer` or `StorageInitializer` (Azure's `ContainerType`).
    #[schemars(length(max = 32))]
    pub container_type: String,

    /// How many lines `text` holds.
    #[serde(default)]
    #[schemars(range(min = 0, max = bounds::LOG_LINES))]
    pub lines: i32,

    /// The last lines Azure returned: at most 40 lines and 4 KiB over all containers, the
    /// oldest cut first (on a UTF-8 character boundary).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[schemars(length(max = bounds::LOG_BYTES))]
    pub text: String,

    /// Why they could not be read (getLogs' error, e.g. 403 without the `getLogs/action`
    /// permission).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 1024))]
    pub error: Option<String>,
}
