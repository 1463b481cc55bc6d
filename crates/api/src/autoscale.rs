//! `spec.autoscale` of an `OnlineDeployment`: an Azure Monitor autoscale setting
//! (`Microsoft.Insights/autoscalesettings`) the controller creates and keeps for the deployment,
//! shaped like what `az monitor autoscale create` / `az monitor autoscale rule create` take.
//!
//! The metrics are those Azure Monitor publishes for
//! `Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments` (Microsoft Learn,
//! "Supported metrics for Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments",
//! generated table, 2024-02-19). The bounds are the autoscale spec's
//! (azure-rest-api-specs `monitor/.../Insights/stable/2022-10-01/autoScale.json`): at most 10
//! rules per profile, a time grain of 1 minute to 12 hours, a time window of 5 minutes to 12 hours,
//! a cooldown of 1 minute to 1 week, a scale action value of at least 1.

use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Most instances a managed online deployment may have (the deployment quota the CRD holds
/// `instanceCount` to).
pub const MAX_INSTANCES: i32 = 50;
/// Most rules Azure accepts in one autoscale profile (`AutoscaleProfile.rules`).
pub const MAX_RULES: u32 = 10;
/// A duration: hours, minutes and seconds, e.g. `5m`, `1h`, `1h30m`.
pub const AUTOSCALE_DURATION_PATTERN: &str = "^([0-9]{1,6}[hms]){1,3}$";

/// How the deployment scales: an Azure Monitor autoscale setting targeting it. With it, an
/// instance count Azure reports within `[minInstances, maxInstances]` is the autoscaler's and is
/// left alone; one outside is corrected to the nearest bound. Removing it deletes the setting
/// and `instanceCount` is enforced again.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[x_kube(validation = kube::core::Rule::new("self.minInstances <= self.maxInstances").message("spec.autoscale.minInstances must be at most spec.autoscale.maxInstances").field_path(".minInstances"))]
#[x_kube(validation = kube::core::Rule::new("!has(self.defaultInstances) || (self.minInstances <= self.defaultInstances && self.defaultInstances <= self.maxInstances)").message("spec.autoscale.defaultInstances must lie between minInstances and maxInstances").field_path(".defaultInstances"))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Autoscale {
    /// The fewest instances (1-50; `az monitor autoscale create --min-count`).
    #[schemars(range(min = 1, max = 50))]
    pub min_instances: i32,
    /// The most instances (1-50, the deployment quota; `--max-count`).
    #[schemars(range(min = 1, max = 50))]
    pub max_instances: i32,
    /// The count Azure sets when it has no metrics to evaluate (`--count`); default
    /// `minInstances`. Between `minInstances` and `maxInstances`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 50))]
    pub default_instances: Option<i32>,
    /// The rules (1-10; `az monitor autoscale rule create`).
    #[schemars(length(min = 1, max = 10))]
    pub rules: Vec<AutoscaleRule>,
}

impl Autoscale {
    /// `defaultInstances`, or `minInstances` when absent.
    pub fn default_count(&self) -> i32 {
        self.default_instances.unwrap_or(self.min_instances)
    }
}

/// One rule: when `metric` (its `statistic` over instances, then `timeAggregation` over
/// `timeWindow`) compares to `threshold` by `operator`, scale `direction` by `changeCount`,
/// then wait `cooldown`. For example `az monitor autoscale rule create --condition
/// "CpuUtilizationPercentage > 70 avg 5m" --scale out 2 --cooldown 5` is `{metric:
/// CpuUtilizationPercentage, operator: GreaterThan, threshold: 70, timeWindow: 5m, direction:
/// Out, changeCount: 2, cooldown: 5m}`.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[x_kube(validation = kube::core::Rule::new("duration(self.timeWindow) >= duration('5m') && duration(self.timeWindow) <= duration('12h')").message("spec.autoscale.rules[].timeWindow must be between 5m and 12h").field_path(".timeWindow"))]
#[x_kube(validation = kube::core::Rule::new("duration(self.timeGrain) >= duration('1m') && duration(self.timeGrain) <= duration('12h')").message("spec.autoscale.rules[].timeGrain must be between 1m and 12h").field_path(".timeGrain"))]
#[x_kube(validation = kube::core::Rule::new("duration(self.cooldown) >= duration('1m') && duration(self.cooldown) <= duration('168h')").message("spec.autoscale.rules[].cooldown must be between 1m and 168h (one week)").field_path(".cooldown"))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AutoscaleRule {
    /// The deployment metric the rule watches.
    pub metric: AutoscaleMetric,
    /// How the metric compares to `threshold`.
    pub operator: ComparisonOperator,
    /// The value the metric is compared with (percent for the utilization metrics).
    pub threshold: f64,
    /// `Out` adds instances, `In` removes them (`--scale out|in`).
    pub direction: ScaleDirection,
    /// How many instances one scale action adds or removes (1-50; default 1).
    #[serde(default = "one")]
    #[schemars(range(min = 1, max = 50))]
    pub change_count: i32,
    /// The period the metric is aggregated over (5m-12h; default 5m).
    #[serde(default = "five_minutes")]
    #[schemars(length(max = 24), regex(pattern = AUTOSCALE_DURATION_PATTERN))]
    pub time_window: String,
    /// The metric's granularity (1m-12h; default 1m: the deployment metrics are published per
    /// minute).
    #[serde(default = "one_minute")]
    #[schemars(length(max = 24), regex(pattern = AUTOSCALE_DURATION_PATTERN))]
    pub time_grain: String,
    /// How long Azure waits after a scale action before this rule may act again (1m-168h;
    /// default 5m).
    #[serde(default = "five_minutes")]
    #[schemars(length(max = 24), regex(pattern = AUTOSCALE_DURATION_PATTERN))]
    pub cooldown: String,
    /// How values from several instances combine (default `Average`).
    #[serde(default)]
    pub statistic: MetricStatistic,
    /// How values over the time window combine (default `Average`).
    #[serde(default)]
    pub time_aggregation: TimeAggregation,
}

fn one() -> i32 {
    1
}
fn five_minutes() -> String {
    "5m".into()
}
fn one_minute() -> String {
    "1m".into()
}

/// A metric Azure Monitor publishes for managed online deployments.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
#[allow(non_camel_case_types)]
pub enum AutoscaleMetric {
    /// Percent CPU of an instance.
    CpuUtilizationPercentage,
    /// Percent memory of an instance.
    CpuMemoryUtilizationPercentage,
    /// Percent disk of an instance.
    DiskUtilization,
    /// Percent GPU of an instance.
    GpuUtilizationPercentage,
    /// Percent GPU memory of an instance.
    GpuMemoryUtilizationPercentage,
    /// GPU energy in joules.
    GpuEnergyJoules,
    /// Requests sent to the deployment per minute.
    RequestsPerMinute,
    /// P50 request latency (ms).
    RequestLatency_P50,
    /// P90 request latency (ms).
    RequestLatency_P90,
    /// P95 request latency (ms).
    RequestLatency_P95,
    /// P99 request latency (ms).
    RequestLatency_P99,
    /// The number of instances.
    DeploymentCapacity,
    /// Data collection events per minute.
    DataCollectionEventsPerMinute,
    /// Data collection errors per minute.
    DataCollectionErrorsPerMinute,
}

impl AutoscaleMetric {
    /// The metric's name in Azure Monitor's REST API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CpuUtilizationPercentage => "CpuUtilizationPercentage",
            Self::CpuMemoryUtilizationPercentage => "CpuMemoryUtilizationPercentage",
            Self::DiskUtilization => "DiskUtilization",
            Self::GpuUtilizationPercentage => "GpuUtilizationPercentage",
            Self::GpuMemoryUtilizationPercentage => "GpuMemoryUtilizationPercentage",
            Self::GpuEnergyJoules => "GpuEnergyJoules",
            Self::RequestsPerMinute => "RequestsPerMinute",
            Self::RequestLatency_P50 => "RequestLatency_P50",
            Self::RequestLatency_P90 => "RequestLatency_P90",
            Self::RequestLatency_P95 => "RequestLatency_P95",
            Self::RequestLatency_P99 => "RequestLatency_P99",
            Self::DeploymentCapacity => "DeploymentCapacity",
            Self::DataCollectionEventsPerMinute => "DataCollectionEventsPerMinute",
            Self::DataCollectionErrorsPerMinute => "DataCollectionErrorsPerMinute",
        }
    }
}

/// Azure Monitor's `ComparisonOperationType`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum ComparisonOperator {
    /// `>`.
    GreaterThan,
    /// `>=`.
    GreaterThanOrEqual,
    /// `<`.
    LessThan,
    /// `<=`.
    LessThanOrEqual,
    /// `==`.
    Equals,
    /// `!=`.
    NotEquals,
}

impl ComparisonOperator {
    /// As ARM spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::GreaterThan => "GreaterThan",
            Self::GreaterThanOrEqual => "GreaterThanOrEqual",
            Self::LessThan => "LessThan",
            Self::LessThanOrEqual => "LessThanOrEqual",
            Self::Equals => "Equals",
            Self::NotEquals => "NotEquals",
        }
    }
}

/// Scale out (add instances) or in (remove them).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum ScaleDirection {
    /// Add instances (Azure's `Increase`).
    Out,
    /// Remove instances (Azure's `Decrease`).
    In,
}

impl ScaleDirection {
    /// Azure's `ScaleDirection`.
    pub fn as_arm(self) -> &'static str {
        match self {
            Self::Out => "Increase",
            Self::In => "Decrease",
        }
    }
}

/// Azure Monitor's `MetricStatisticType`: how instances' values combine.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash, JsonSchema)]
pub enum MetricStatistic {
    /// Mean over instances (the default).
    #[default]
    Average,
    /// Smallest.
    Min,
    /// Largest.
    Max,
    /// Sum.
    Sum,
    /// Count.
    Count,
}

impl MetricStatistic {
    /// As ARM spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Average => "Average",
            Self::Min => "Min",
            Self::Max => "Max",
            Self::Sum => "Sum",
            Self::Count => "Count",
        }
    }
}

/// Azure Monitor's `TimeAggregationType`: how values over the time window combine.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash, JsonSchema)]
pub enum TimeAggregation {
    /// Mean (the default).
    #[default]
    Average,
    /// Smallest.
    Minimum,
    /// Largest.
    Maximum,
    /// Sum.
    Total,
    /// Count.
    Count,
    /// The last value.
    Last,
}

impl TimeAggregation {
    /// As ARM spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Average => "Average",
            Self::Minimum => "Minimum",
            Self::Maximum => "Maximum",
            Self::Total => "Total",
            Self::Count => "Count",
            Self::Last => "Last",
        }
    }
}
