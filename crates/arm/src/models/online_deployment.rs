//! Managed online deployments (`.../onlineEndpoints/{e}/deployments`), their logs and SKUs.
//! The instance count is `sku.capacity`; scaling is a PATCH of the SKU.

use super::common::{Extra, IsoDuration, ProvisioningState, PublicNetworkAccess, Resource};
use super::wire_enum::wire_enum;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An online deployment.
pub type OnlineDeployment = Resource<OnlineDeploymentProperties>;

wire_enum! {
    /// Where the deployment runs.
    EndpointComputeType {
        /// Azure-managed compute.
        Managed = "Managed",
        /// An attached Kubernetes cluster.
        Kubernetes = "Kubernetes",
        /// Azure ML compute.
        AzureMlCompute = "AzureMLCompute",
    }
}

/// The properties of an online deployment (managed or Kubernetes).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OnlineDeploymentProperties {
    /// Whether Application Insights logging is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_insights_enabled: Option<bool>,
    /// Scoring code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_configuration: Option<CodeConfiguration>,
    /// Data collection settings, kept as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_collector: Option<serde_json::Value>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether the deployment may reach the public internet (create-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub egress_public_network_access: Option<PublicNetworkAccess>,
    /// Where it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_compute_type: Option<EndpointComputeType>,
    /// Environment version id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment_id: Option<String>,
    /// Environment variables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment_variables: Option<BTreeMap<String, String>>,
    /// VM size, e.g. `Standard_F2s_v2` (create-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_type: Option<String>,
    /// Liveness probe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub liveness_probe: Option<ProbeSettings>,
    /// Model version id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Where the model is mounted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_mount_path: Option<String>,
    /// Free-form properties.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<BTreeMap<String, String>>,
    /// Provisioning state (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning_state: Option<ProvisioningState>,
    /// Readiness probe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readiness_probe: Option<ProbeSettings>,
    /// Request handling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_settings: Option<OnlineRequestSettings>,
    /// Scaling (the service sets `{scaleType: Default}` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_settings: Option<OnlineScaleSettings>,
    /// Startup probe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub startup_probe: Option<ProbeSettings>,
    /// Members not modelled here (e.g. a Kubernetes deployment's `containerResourceRequirements`).
    #[serde(flatten)]
    pub extra: Extra,
}

/// Scoring code of a deployment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeConfiguration {
    /// Code version id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_id: Option<String>,
    /// The scoring script, relative to the code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scoring_script: Option<String>,
    /// Members not modelled here.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A liveness, readiness or startup probe. Durations are ISO 8601 on the wire.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProbeSettings {
    /// Failures before the probe fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_threshold: Option<i32>,
    /// Delay before the first probe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_delay: Option<IsoDuration>,
    /// Interval between probes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<IsoDuration>,
    /// Successes before the probe succeeds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_threshold: Option<i32>,
    /// Probe timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<IsoDuration>,
    /// Members not modelled here.
    #[serde(flatten)]
    pub extra: Extra,
}

/// How a deployment handles requests.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OnlineRequestSettings {
    /// Concurrent requests per instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrent_requests_per_instance: Option<i32>,
    /// Longest a request may queue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_queue_wait: Option<IsoDuration>,
    /// Scoring timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_timeout: Option<IsoDuration>,
    /// Members not modelled here.
    #[serde(flatten)]
    pub extra: Extra,
}

wire_enum! {
    /// How a deployment scales.
    ScaleType {
        /// A fixed instance count (`sku.capacity`).
        Default = "Default",
        /// Autoscale on utilisation (Kubernetes).
        TargetUtilization = "TargetUtilization",
    }
}

/// Scale settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OnlineScaleSettings {
    /// The scale type.
    pub scale_type: ScaleType,
    /// Members of `TargetUtilization` settings (min/max instances, ...), kept as sent.
    #[serde(flatten)]
    pub extra: Extra,
}

wire_enum! {
    /// Which container's logs to read.
    ContainerType {
        /// The container that downloads the model and code.
        StorageInitializer = "StorageInitializer",
        /// The scoring server.
        InferenceServer = "InferenceServer",
        /// The model data collector.
        ModelDataCollector = "ModelDataCollector",
    }
}

/// Body of `getLogs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentLogsRequest {
    /// Which container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_type: Option<ContainerType>,
    /// How many lines from the end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tail: Option<i32>,
    /// Members not modelled here.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Answer of `getLogs`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentLogs {
    /// The log text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// Members not modelled here.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One SKU a deployment can scale within (`skus`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkuResource {
    /// Instance count bounds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<SkuCapacity>,
    /// The resource type the SKU applies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    /// The SKU.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<super::common::Sku>,
    /// Members not modelled here.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Instance count bounds of a SKU.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkuCapacity {
    /// Default count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<i32>,
    /// Largest count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum: Option<i32>,
    /// Smallest count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum: Option<i32>,
    /// `Automatic`, `Manual` or `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_type: Option<String>,
    /// Members not modelled here.
    #[serde(flatten)]
    pub extra: Extra,
}
