//! Parse, don't validate: a spec becomes a `Validated*` value or a [`FieldError`] naming the
//! field. The CRD schema already rejects most bad input at `kubectl apply`; this re-checks what
//! the schema cannot see (a default taken from `metadata.name`, traffic keys, sums and Azure's
//! single-value rules when the apiserver's CEL is off) so the builders only ever see good values.

use std::collections::BTreeMap;

use api::deployment::{Probe, RequestSettings};
use api::endpoint::{EndpointIdentity, IdentityType};
use api::workspace::IsolationMode;
use api::{AuthMode, OnlineDeploymentSpec, OnlineEndpointSpec, PublicNetworkAccess};

/// A spec field that cannot be applied, with the reason. Displayed as kubectl shows field errors.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    /// The field's path, e.g. `spec.traffic`.
    pub field: String,
    /// Why it cannot be applied.
    pub message: String,
}

impl FieldError {
    fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// An Azure ML resource name: a letter first, then letters, digits and single dashes, no
/// trailing dash, 3 to 32 characters.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AzureName(String);

impl AzureName {
    /// Checks `value` against Azure's rule.
    pub fn parse(value: &str) -> Result<Self, String> {
        let len = value.chars().count();
        if !(3..=32).contains(&len) {
            return Err(format!("{value:?} must be 3 to 32 characters long"));
        }
        let mut chars = value.chars();
        if !chars.next().is_some_and(|c| c.is_ascii_alphabetic()) {
            return Err(format!("{value:?} must start with a letter"));
        }
        let mut previous_dash = false;
        for c in chars {
            if c == '-' {
                if previous_dash {
                    return Err(format!("{value:?} must not contain two dashes in a row"));
                }
                previous_dash = true;
            } else if c.is_ascii_alphanumeric() {
                previous_dash = false;
            } else {
                return Err(format!(
                    "{value:?} may hold only letters, digits and dashes"
                ));
            }
        }
        if previous_dash {
            return Err(format!("{value:?} must not end with a dash"));
        }
        Ok(Self(value.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for AzureName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// `spec.azureName`, or `metadata.name` when absent.
fn azure_name(explicit: Option<&str>, metadata_name: &str) -> Result<AzureName, FieldError> {
    match explicit {
        Some(name) => AzureName::parse(name).map_err(|m| FieldError::new("spec.azureName", m)),
        None => AzureName::parse(metadata_name).map_err(|m| {
            FieldError::new(
                "spec.azureName",
                format!("metadata.name is used as the Azure name but {m}; set spec.azureName"),
            )
        }),
    }
}

/// The Workspace an endpoint or deployment belongs to, as the controller resolved it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkspaceView {
    /// ARM id of the AML workspace.
    pub arm_id: String,
    /// Its Azure region.
    pub location: String,
    /// Its managed network mode as last observed (`None`: no managed network).
    pub managed_network: Option<IsolationMode>,
    /// Whether Azure reports at least one Approved private endpoint connection on the
    /// workspace (`None`: not observed yet).
    pub private_endpoint: Option<bool>,
}

impl WorkspaceView {
    /// True when the workspace's managed network isolates outbound traffic, which replaces a
    /// deployment's legacy `egressPublicNetworkAccess` flag.
    pub fn has_managed_network(&self) -> bool {
        matches!(
            self.managed_network,
            Some(IsolationMode::AllowInternetOutbound | IsolationMode::AllowOnlyApprovedOutbound)
        )
    }

    /// ARM id of an online endpoint in this workspace.
    pub fn endpoint_id(&self, endpoint: &AzureName) -> String {
        format!("{}/onlineEndpoints/{}", self.arm_id, endpoint)
    }

    /// Resolves an `azureml:<name>:<version>` asset the way `az ml` does
    /// (`<workspace>/<collection>/<name>/versions/<version>`); a full ARM id passes through.
    pub fn resolve_asset(&self, collection: &str, asset: &str) -> Result<String, String> {
        if asset.starts_with("/subscriptions/") {
            return Ok(asset.to_owned());
        }
        let Some(rest) = asset.strip_prefix("azureml:") else {
            return Err(format!(
                "{asset:?} must be azureml:<name>:<version> or an ARM id"
            ));
        };
        match rest.split_once(':') {
            Some((name, version))
                if !name.is_empty() && !version.is_empty() && !version.contains(':') =>
            {
                Ok(format!(
                    "{}/{collection}/{name}/versions/{version}",
                    self.arm_id
                ))
            }
            _ => Err(format!(
                "{asset:?} must be azureml:<name>:<version> or an ARM id"
            )),
        }
    }
}

/// An endpoint spec that can be applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidatedEndpoint {
    /// The Azure name.
    pub azure_name: AzureName,
    /// `authMode`.
    pub auth_mode: AuthMode,
    /// `publicNetworkAccess`.
    pub public_network_access: PublicNetworkAccess,
    /// Live traffic by deployment Azure name.
    pub traffic: BTreeMap<AzureName, i32>,
    /// Mirror traffic by deployment Azure name.
    pub mirror_traffic: BTreeMap<AzureName, i32>,
    /// `description`.
    pub description: Option<String>,
    /// `tags`.
    pub tags: BTreeMap<String, String>,
    /// `identity`, defaulting to SystemAssigned as `az ml` does.
    pub identity: EndpointIdentity,
    /// What the controller set that the spec no longer names and Azure still holds (see
    /// `managed`); set by the planner, empty after validation.
    pub removals: crate::managed::Removals,
}

fn traffic_map(
    field: &str,
    map: &BTreeMap<String, i32>,
) -> Result<BTreeMap<AzureName, i32>, FieldError> {
    let mut out = BTreeMap::new();
    for (key, value) in map {
        let name = AzureName::parse(key).map_err(|m| {
            FieldError::new(format!("{field}.{key}"), format!("deployment name {m}"))
        })?;
        if !(0..=100).contains(value) {
            return Err(FieldError::new(
                format!("{field}.{key}"),
                format!("{value} is not a percent (0-100)"),
            ));
        }
        out.insert(name, *value);
    }
    Ok(out)
}

/// Validates an endpoint spec.
pub fn validate_endpoint(
    metadata_name: &str,
    spec: &OnlineEndpointSpec,
) -> Result<ValidatedEndpoint, FieldError> {
    let azure_name = azure_name(spec.azure_name.as_deref(), metadata_name)?;
    let traffic = traffic_map("spec.traffic", &spec.traffic)?;
    let sum: i32 = traffic.values().sum();
    if sum != 0 && sum != 100 {
        return Err(FieldError::new(
            "spec.traffic",
            format!("values sum to {sum}; they must sum to 0 or 100"),
        ));
    }
    let mirror_traffic = traffic_map("spec.mirrorTraffic", &spec.mirror_traffic)?;
    // Azure mirrors to one deployment per endpoint (Learn, "Safe rollout for online endpoints":
    // "You can mirror traffic to only one deployment in an endpoint"; the online endpoint YAML
    // reference: mirror_traffic is "a dictionary with a single key-value pair"). The CRD says
    // the same (`size(self.mirrorTraffic) <= 1`), rechecked here for when its CEL is off.
    if mirror_traffic.len() > 1 {
        let names: Vec<&str> = mirror_traffic.keys().map(AzureName::as_str).collect();
        return Err(FieldError::new(
            "spec.mirrorTraffic",
            format!(
                "names {} deployments ({}); Azure mirrors traffic to only one deployment of an endpoint",
                names.len(),
                names.join(", ")
            ),
        ));
    }
    let mirror_sum: i32 = mirror_traffic.values().sum();
    if mirror_sum > 50 {
        return Err(FieldError::new(
            "spec.mirrorTraffic",
            format!("values sum to {mirror_sum}; at most 50"),
        ));
    }
    if let Some((name, _)) = mirror_traffic
        .iter()
        .find(|(name, pct)| **pct > 0 && traffic.get(*name).is_some_and(|live| *live > 0))
    {
        return Err(FieldError::new(
            "spec.mirrorTraffic",
            format!(
                "{name} receives live traffic; Azure mirrors only to a deployment without live traffic"
            ),
        ));
    }
    let identity = spec.identity.clone().unwrap_or(EndpointIdentity {
        type_: IdentityType::SystemAssigned,
        user_assigned_identities: Vec::new(),
    });
    let user_assigned = identity.type_ == IdentityType::UserAssigned;
    if user_assigned == identity.user_assigned_identities.is_empty() {
        return Err(FieldError::new(
            "spec.identity.userAssignedIdentities",
            "is required with type UserAssigned and allowed only with it",
        ));
    }
    Ok(ValidatedEndpoint {
        azure_name,
        auth_mode: spec.auth_mode,
        public_network_access: spec.public_network_access,
        traffic,
        mirror_traffic,
        description: spec.description.clone(),
        tags: spec.tags.clone(),
        identity,
        removals: Default::default(),
    })
}

/// A deployment spec that can be applied, with its assets resolved against the workspace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidatedDeployment {
    /// The Azure name.
    pub azure_name: AzureName,
    /// ARM id of the model version.
    pub model: String,
    /// ARM id of the environment version.
    pub environment: String,
    /// ARM id of the code version and the scoring script.
    pub code: Option<(String, String)>,
    /// VM size.
    pub instance_type: String,
    /// `sku.capacity`.
    pub instance_count: i32,
    /// The egress flag to send at create: `None` when the workspace's managed network replaces it.
    pub egress_public_network_access: Option<PublicNetworkAccess>,
    /// Environment variables.
    pub environment_variables: BTreeMap<String, String>,
    /// Request settings.
    pub request_settings: Option<RequestSettings>,
    /// Liveness probe.
    pub liveness_probe: Option<Probe>,
    /// Readiness probe.
    pub readiness_probe: Option<Probe>,
    /// App Insights.
    pub app_insights_enabled: bool,
    /// Description.
    pub description: Option<String>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// The spec set `egressPublicNetworkAccess` although the workspace's managed network replaces
    /// it (the controller warns with an Event).
    pub egress_ignored: bool,
    /// `modelMountPath`.
    pub model_mount_path: Option<String>,
    /// `dataCollector` as Azure's body has it.
    pub data_collector: Option<serde_json::Value>,
    /// What the controller set that the spec no longer names and Azure still holds (see
    /// `managed`); set by the planner, empty after validation.
    pub removals: crate::managed::Removals,
}

/// `dataCollector` in Azure's shape (mfe.json 2025-12-01 `DataCollector`: `collections` of
/// `Collection {dataCollectionMode, samplingRate, clientId, dataId}`, `requestLogging
/// {captureHeaders}`, `rollingRate`); the YAML's top-level `samplingRate` is applied to each
/// collection that sets none, as azure-ai-ml's `DataCollector._to_rest_object` does.
fn data_collector_body(dc: &api::assets::DataCollector) -> Result<serde_json::Value, FieldError> {
    use serde_json::{Map, Value, json};
    let rate_ok = |r: f64| (0.0..=1.0).contains(&r);
    if let Some(r) = dc.sampling_rate
        && !rate_ok(r)
    {
        return Err(FieldError::new(
            "spec.dataCollector.samplingRate",
            format!("{r} is outside 0.0-1.0"),
        ));
    }
    if dc.collections.is_empty() {
        return Err(FieldError::new(
            "spec.dataCollector.collections",
            "needs at least one collection (request, response, or a custom name)",
        ));
    }
    let mut collections = Map::new();
    for (name, c) in &dc.collections {
        let mut out = Map::new();
        out.insert(
            "dataCollectionMode".into(),
            json!(if c.enabled { "Enabled" } else { "Disabled" }),
        );
        if let Some(r) = c.sampling_rate.or(dc.sampling_rate) {
            if !rate_ok(r) {
                return Err(FieldError::new(
                    format!("spec.dataCollector.collections.{name}.samplingRate"),
                    format!("{r} is outside 0.0-1.0"),
                ));
            }
            out.insert("samplingRate".into(), json!(r));
        }
        if let Some(id) = &c.client_id {
            out.insert("clientId".into(), json!(id));
        }
        if let Some(id) = &c.data_id {
            out.insert("dataId".into(), json!(id));
        }
        collections.insert(name.clone(), Value::Object(out));
    }
    let mut body = Map::new();
    body.insert("collections".into(), Value::Object(collections));
    if let Some(rate) = dc.rolling_rate {
        body.insert("rollingRate".into(), json!(rate.as_str()));
    }
    if let Some(rl) = &dc.request_logging {
        let headers: Vec<&str> = rl.capture_headers.iter().map(|h| h.0.as_str()).collect();
        body.insert("requestLogging".into(), json!({"captureHeaders": headers}));
    }
    Ok(Value::Object(body))
}

/// Validates a deployment spec against the workspace it will live in (labels such as
/// `@latest` need a pin: see [`validate_deployment_pinned`]).
pub fn validate_deployment(
    metadata_name: &str,
    spec: &OnlineDeploymentSpec,
    workspace: &WorkspaceView,
) -> Result<ValidatedDeployment, FieldError> {
    validate_deployment_pinned(metadata_name, spec, workspace, None)
}

/// Validates a deployment spec, its labels resolved to the versions pinned in
/// `status.resolvedAssets` (`crate::assets`).
pub fn validate_deployment_pinned(
    metadata_name: &str,
    spec: &OnlineDeploymentSpec,
    workspace: &WorkspaceView,
    resolved: Option<&api::assets::ResolvedAssets>,
) -> Result<ValidatedDeployment, FieldError> {
    use crate::assets::{AssetField, resolve};
    let azure_name = azure_name(spec.azure_name.as_deref(), metadata_name)?;
    let model = resolve(AssetField::Model, &spec.model, &workspace.arm_id, resolved)?;
    let environment = resolve(
        AssetField::Environment,
        &spec.environment,
        &workspace.arm_id,
        resolved,
    )?;
    let code = match &spec.code_configuration {
        Some(cc) => Some((
            resolve(AssetField::Code, &cc.code, &workspace.arm_id, resolved)?,
            cc.scoring_script.clone(),
        )),
        None => None,
    };
    let data_collector = spec
        .data_collector
        .as_ref()
        .map(data_collector_body)
        .transpose()?;
    if let Some(path) = &spec.model_mount_path
        && (!path.starts_with('/') || path.chars().any(char::is_whitespace))
    {
        return Err(FieldError::new(
            "spec.modelMountPath",
            format!("{path:?} must be an absolute path without spaces"),
        ));
    }
    // Microsoft Learn, "CLI (v2) managed online deployment YAML schema", ProbeSettings: the
    // success_threshold "for liveness probe is fixed as 1".
    if let Some(threshold) = spec
        .liveness_probe
        .as_ref()
        .and_then(|p| p.success_threshold)
        && threshold != 1
    {
        return Err(FieldError::new(
            "spec.livenessProbe.successThreshold",
            format!("{threshold}: Azure fixes a liveness probe's success threshold at 1"),
        ));
    }
    if !(1..=50).contains(&spec.instance_count) {
        return Err(FieldError::new(
            "spec.instanceCount",
            format!("{} is outside 1-50", spec.instance_count),
        ));
    }
    // With a managed network Azure ignores the legacy flag; without one, outbound is locked down
    // unless the spec says otherwise (the seed's isolation).
    let (egress, egress_ignored) = if workspace.has_managed_network() {
        (None, spec.egress_public_network_access.is_some())
    } else {
        (
            Some(
                spec.egress_public_network_access
                    .unwrap_or(PublicNetworkAccess::Disabled),
            ),
            false,
        )
    };
    Ok(ValidatedDeployment {
        azure_name,
        model,
        environment,
        code,
        instance_type: spec.instance_type.clone(),
        instance_count: spec.instance_count,
        egress_public_network_access: egress,
        environment_variables: spec.environment_variables.clone(),
        request_settings: spec.request_settings.clone(),
        liveness_probe: spec.liveness_probe.clone(),
        readiness_probe: spec.readiness_probe.clone(),
        app_insights_enabled: spec.app_insights_enabled,
        description: spec.description.clone(),
        tags: spec.tags.clone(),
        egress_ignored,
        model_mount_path: spec.model_mount_path.clone(),
        data_collector,
        removals: Default::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn azure_names() {
        for ok in ["abc", "default", "a-b-c", "Blue2", &"a".repeat(32)] {
            assert!(AzureName::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            "1abc",
            "a--b",
            "abc-",
            "a_b",
            "a.b",
            &"a".repeat(33),
            "",
        ] {
            assert!(AzureName::parse(bad).is_err(), "{bad}");
        }
    }

    fn ws() -> WorkspaceView {
        WorkspaceView {
            arm_id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w"
                .into(),
            location: "westeurope".into(),
            managed_network: None,
            private_endpoint: Some(true),
        }
    }

    #[test]
    fn assets_resolve_like_az_ml() {
        let ws = ws();
        assert_eq!(
            ws.resolve_asset("models", "azureml:california-housing-prices:1")
                .as_deref(),
            Ok(
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w/models/california-housing-prices/versions/1"
            )
        );
        assert_eq!(
            ws.resolve_asset("models", "/subscriptions/x/y").as_deref(),
            Ok("/subscriptions/x/y")
        );
        assert!(ws.resolve_asset("models", "azureml:name").is_err());
        assert!(ws.resolve_asset("models", "name:1").is_err());
        assert!(ws.resolve_asset("models", "azureml:a:b:c").is_err());
    }

    #[test]
    fn metadata_name_that_is_not_an_azure_name_names_azure_name() {
        let spec: OnlineEndpointSpec =
            serde_json::from_value(serde_json::json!({"workspaceRef": {"name": "w"}}))
                .expect("spec");
        let err = validate_endpoint("my.endpoint", &spec).expect_err("dots are not allowed");
        assert_eq!(err.field, "spec.azureName");
        assert!(validate_endpoint("my-endpoint", &spec).is_ok());
    }

    #[test]
    fn traffic_rules_are_rechecked() {
        let spec = |traffic: serde_json::Value, mirror: serde_json::Value| -> OnlineEndpointSpec {
            serde_json::from_value(serde_json::json!({"workspaceRef": {"name": "w"}, "traffic": traffic, "mirrorTraffic": mirror}))
                .expect("spec")
        };
        let e = validate_endpoint(
            "ep1",
            &spec(serde_json::json!({"blue": 90}), serde_json::json!({})),
        )
        .expect_err("sum");
        assert_eq!(e.field, "spec.traffic");
        let e = validate_endpoint(
            "ep1",
            &spec(serde_json::json!({"b_1": 100}), serde_json::json!({})),
        )
        .expect_err("key");
        assert_eq!(e.field, "spec.traffic.b_1");
        let e = validate_endpoint(
            "ep1",
            &spec(
                serde_json::json!({"blue": 100}),
                serde_json::json!({"blue": 10}),
            ),
        )
        .expect_err("mirror to live");
        assert_eq!(e.field, "spec.mirrorTraffic");
        let e = validate_endpoint(
            "ep1",
            &spec(
                serde_json::json!({"blue": 100, "green": 0}),
                serde_json::json!({"green": 60}),
            ),
        )
        .expect_err("mirror sum");
        assert_eq!(e.field, "spec.mirrorTraffic");
        assert!(
            validate_endpoint(
                "ep1",
                &spec(
                    serde_json::json!({"blue": 100, "green": 0}),
                    serde_json::json!({"green": 10})
                )
            )
            .is_ok()
        );
    }

    #[test]
    fn egress_defaults_to_disabled_without_managed_network() {
        let spec: OnlineDeploymentSpec = serde_json::from_value(serde_json::json!({
            "endpointRef": {"name": "e"}, "model": "azureml:m:1", "environment": "azureml:e:1",
            "instanceType": "Standard_F2s_v2"
        }))
        .expect("spec");
        let v = validate_deployment("blue", &spec, &ws()).expect("valid");
        assert_eq!(
            v.egress_public_network_access,
            Some(PublicNetworkAccess::Disabled)
        );
        assert!(!v.egress_ignored);
        let mut managed = ws();
        managed.managed_network = Some(IsolationMode::AllowOnlyApprovedOutbound);
        let v = validate_deployment("blue", &spec, &managed).expect("valid");
        assert_eq!(v.egress_public_network_access, None);
        let mut with_flag = spec.clone();
        with_flag.egress_public_network_access = Some(PublicNetworkAccess::Disabled);
        let v = validate_deployment("blue", &with_flag, &managed).expect("valid");
        assert!(
            v.egress_ignored,
            "the flag is ignored under a managed network and warned about"
        );
    }
}
