//! Managed online deployments: PUT (201 + Azure-AsyncOperation + x-ms-async-operation-timeout
//! for a create, a bare 200 for an update), PATCH (tags/sku; 202 + Location; a capacity change
//! is Scaling), GET, list, DELETE (202 + Location), getLogs, skus.
//!
//! Service rules: 409 while the endpoint (or the deployment) has an operation running;
//! create-only fields (instanceType, egressPublicNetworkAccess, endpointComputeType) → 400 when
//! changed; a deployment with live or mirrored traffic cannot be deleted (400); more instances
//! than the per-deployment limit fail the operation with `OutOfQuota`; getLogs' `containerType`
//! is `StorageInitializer` or `InferenceServer`; server defaults (scaleSettings,
//! requestSettings, probes) are filled in as the service does.
//!
//! Wire shapes from the 2025-12-01 spec, `mfe.json` in Azure/azure-rest-api-specs
//! (`specification/machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable/2025-12-01/mfe.json`,
//! commit 5485d5f8; not copied into testdata): `OnlineDeployments_CreateOrUpdate` declares
//! `x-ms-async-operation-timeout` and `Azure-AsyncOperation` on its 201 and no headers on its
//! 200; `ContainerType` is the enum `StorageInitializer`, `InferenceServer`.

#![allow(clippy::too_many_arguments)] // ARM paths carry up to five names besides the context and body.

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::operations::{Effect, LinkSet, NewOperation, OpResult};
use super::render::{system_data, touch};
use super::validation::{
    body_object, canonical_enum, check_duration, check_ml_name, check_tags, normalize_enum,
    render_identity, required_location, same_region,
};
use super::{
    Answer, Ctx, Kind, OperationFailure, Resource, World, is_busy, provisioning_state,
    set_provisioning_state,
};
use crate::config::OperationKind;
use crate::wire::ArmError;
use crate::wire::lro_headers::OperationUrlStyle;

const DEPLOYMENT_TYPE: &str =
    "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments";
const COMPUTE_TYPES: &[&str] = &["Managed", "Kubernetes", "AzureMLCompute"];
const PUBLIC_ACCESS: &[&str] = &["Enabled", "Disabled"];
const CREATE_ONLY: &[&str] = &[
    "instanceType",
    "egressPublicNetworkAccess",
    "endpointComputeType",
];

fn default_probe(initial_delay: &str) -> Value {
    json!({
        "initialDelay": initial_delay,
        "period": "PT10S",
        "timeout": "PT2S",
        "failureThreshold": 30,
        "successThreshold": 1,
    })
}

/// Validate the deployment's properties and fill the server defaults.
fn normalize_properties(props: &mut Map<String, Value>) -> Result<(), ArmError> {
    props.remove("provisioningState");
    let compute = canonical_enum(
        "properties.endpointComputeType",
        props.get("endpointComputeType").unwrap_or(&Value::Null),
        COMPUTE_TYPES,
    )?;
    props.insert("endpointComputeType".into(), Value::from(compute));
    if compute == "Managed" {
        match props.get("instanceType").and_then(Value::as_str) {
            Some(t) if !t.trim().is_empty() => {}
            _ => {
                return Err(ArmError::bad_argument(
                    "properties.instanceType",
                    "instanceType is required for managed online deployments (e.g. Standard_DS3_v2).",
                ));
            }
        }
    }
    normalize_enum(
        props,
        "egressPublicNetworkAccess",
        "properties.egressPublicNetworkAccess",
        PUBLIC_ACCESS,
    )?;
    props
        .entry("egressPublicNetworkAccess")
        .or_insert_with(|| Value::from("Enabled"));
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
        if let Some(p) = props.get(probe).filter(|v| !v.is_null()) {
            let p = p.as_object().ok_or_else(|| {
                ArmError::bad_argument(&format!("properties.{probe}"), "a probe must be an object")
            })?;
            for field in ["initialDelay", "period", "timeout"] {
                if let Some(v) = p.get(field) {
                    check_duration(&format!("properties.{probe}.{field}"), v)?;
                }
            }
            for field in ["failureThreshold", "successThreshold"] {
                if let Some(v) = p.get(field)
                    && v.as_i64().is_none_or(|n| n < 1)
                {
                    return Err(ArmError::bad_argument(
                        &format!("properties.{probe}.{field}"),
                        format!("{field} must be a positive integer."),
                    ));
                }
            }
            // Microsoft Learn, "CLI (v2) managed online deployment YAML schema"
            // (reference-yaml-deployment-managed-online), ProbeSettings, success_threshold:
            // "Minimum value is 1 for readiness probe. The value for liveness probe is fixed as
            // 1." (as for a Kubernetes liveness probe). The page documents the value, not Azure's
            // answer to another one: the 400 BadArgument here is the emulator's rendering.
            if probe == "livenessProbe"
                && let Some(v) = p.get("successThreshold")
                && v.as_i64() != Some(1)
            {
                return Err(ArmError::bad_argument(
                    "properties.livenessProbe.successThreshold",
                    format!("successThreshold of a liveness probe must be 1, got {v}."),
                ));
            }
        }
    }
    if let Some(rs) = props.get("requestSettings").filter(|v| !v.is_null()) {
        let rs = rs.as_object().ok_or_else(|| {
            ArmError::bad_argument(
                "properties.requestSettings",
                "requestSettings must be an object",
            )
        })?;
        for field in ["requestTimeout", "maxQueueWait"] {
            if let Some(v) = rs.get(field) {
                check_duration(&format!("properties.requestSettings.{field}"), v)?;
            }
        }
        if let Some(v) = rs.get("maxConcurrentRequestsPerInstance")
            && v.as_i64().is_none_or(|n| n < 1)
        {
            return Err(ArmError::bad_argument(
                "properties.requestSettings.maxConcurrentRequestsPerInstance",
                "must be a positive integer",
            ));
        }
    }
    normalize_data_collector(props)?;
    if let Some(v) = props.get("modelMountPath").filter(|v| !v.is_null())
        && !v.is_string()
    {
        return Err(ArmError::bad_argument(
            "properties.modelMountPath",
            "modelMountPath must be a string.",
        ));
    }
    if let Some(scale) = props
        .get_mut("scaleSettings")
        .and_then(Value::as_object_mut)
    {
        let t = canonical_enum(
            "properties.scaleSettings.scaleType",
            scale.get("scaleType").unwrap_or(&Value::Null),
            &["Default", "TargetUtilization"],
        )?;
        scale.insert("scaleType".into(), Value::from(t));
    }
    props
        .entry("scaleSettings")
        .or_insert_with(|| json!({"scaleType": "Default"}));
    let request_defaults = json!({"requestTimeout": "PT5S", "maxConcurrentRequestsPerInstance": 1, "maxQueueWait": "PT0.5S"});
    match props
        .get_mut("requestSettings")
        .and_then(Value::as_object_mut)
    {
        Some(rs) => {
            for (k, v) in request_defaults.as_object().into_iter().flatten() {
                rs.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        None => {
            props.insert("requestSettings".into(), request_defaults);
        }
    }
    props
        .entry("livenessProbe")
        .or_insert_with(|| default_probe("PT10M"));
    props
        .entry("readinessProbe")
        .or_insert_with(|| default_probe("PT10S"));
    props
        .entry("appInsightsEnabled")
        .or_insert(Value::Bool(false));
    Ok(())
}

/// `dataCollector` (mfe.json 2025-12-01 `DataCollector`): `collections` is required, an object
/// of `Collection {dataCollectionMode: Enabled|Disabled, samplingRate: number, clientId,
/// dataId}`; `rollingRate` is `RollingRateType` (Year, Month, Day, Hour, Minute);
/// `requestLogging.captureHeaders` an array of strings. Enums are answered in canonical case.
/// The spec gives `samplingRate` no bounds, so none is enforced (the 0-1 range is `az ml`'s).
fn normalize_data_collector(props: &mut Map<String, Value>) -> Result<(), ArmError> {
    let Some(dc) = props.get_mut("dataCollector").filter(|v| !v.is_null()) else {
        return Ok(());
    };
    let dc = dc.as_object_mut().ok_or_else(|| {
        ArmError::bad_argument(
            "properties.dataCollector",
            "dataCollector must be an object.",
        )
    })?;
    let collections = dc
        .get_mut("collections")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| {
            ArmError::bad_argument(
                "properties.dataCollector.collections",
                "The collections field is required.",
            )
        })?;
    for (name, c) in collections.iter_mut() {
        let field = format!("properties.dataCollector.collections.{name}");
        let c = c
            .as_object_mut()
            .ok_or_else(|| ArmError::bad_argument(&field, "a collection must be an object."))?;
        if c.get("dataCollectionMode").is_some_and(|v| !v.is_null()) {
            normalize_enum(
                c,
                "dataCollectionMode",
                &format!("{field}.dataCollectionMode"),
                &["Enabled", "Disabled"],
            )?;
        }
        if let Some(v) = c.get("samplingRate").filter(|v| !v.is_null())
            && !v.is_number()
        {
            return Err(ArmError::bad_argument(
                &format!("{field}.samplingRate"),
                "samplingRate must be a number.",
            ));
        }
    }
    if dc.get("rollingRate").is_some_and(|v| !v.is_null()) {
        normalize_enum(
            dc,
            "rollingRate",
            "properties.dataCollector.rollingRate",
            &["Year", "Month", "Day", "Hour", "Minute"],
        )?;
    }
    if let Some(h) = dc
        .get("requestLogging")
        .and_then(|r| r.get("captureHeaders"))
        .filter(|v| !v.is_null())
        && !h.as_array().is_some_and(|a| a.iter().all(Value::is_string))
    {
        return Err(ArmError::bad_argument(
            "properties.dataCollector.requestLogging.captureHeaders",
            "captureHeaders must be an array of strings.",
        ));
    }
    Ok(())
}

/// `sku` with `capacity` (instance count, an integer ≥ 1; default 1) and `name` (default
/// "Default"). The upper bound is a quota, not a validation rule: see
/// [`World::over_instance_quota`].
fn normalize_sku(sku: Option<&Value>) -> Result<Value, ArmError> {
    let mut sku = match sku.filter(|v| !v.is_null()) {
        Some(Value::Object(o)) => o.clone(),
        Some(_) => return Err(ArmError::bad_argument("sku", "sku must be an object.")),
        None => Map::new(),
    };
    sku.entry("name").or_insert_with(|| Value::from("Default"));
    match sku.get("capacity") {
        None | Some(Value::Null) => {
            sku.insert("capacity".into(), Value::from(1));
        }
        Some(v) if v.as_i64().is_some_and(|n| n >= 1) => {}
        Some(v) => {
            return Err(ArmError::bad_argument(
                "sku.capacity",
                format!("sku.capacity (instance count) must be an integer of at least 1, got {v}."),
            ));
        }
    }
    Ok(Value::Object(sku))
}

impl World {
    /// A deployment asking for more instances than one deployment may have fails its operation
    /// with `OutOfQuota`: the request is accepted (201/200/202) and the operation ends Failed.
    ///
    /// - The limit: Microsoft Learn, "Manage and increase quotas and limits for resources with
    ///   Azure Machine Learning" (how-to-manage-quotas), managed online endpoints, "Number of
    ///   instances per deployment: 50", which "allows exception"
    ///   (`EmulatorConfig::deployment_instance_quota`).
    /// - The code and where it shows: Learn, "Troubleshooting online endpoint deployment and
    ///   scoring" (how-to-troubleshoot-online-endpoints), lists `OutOfQuota` among the "common
    ///   deployment errors that are reported as part of the deployment operation status".
    ///
    /// Not verified: Azure's exact message, and whether this particular limit is checked before
    /// the request is accepted (a synchronous 400) rather than by the operation. The 20 % extra
    /// VM quota Learn says upgrades need is about cores, which the emulator does not count.
    fn over_instance_quota(&mut self, id: &str, sku: &Value) {
        let quota = self.config.deployment_instance_quota;
        let Some(capacity) = sku.get("capacity").and_then(Value::as_u64) else {
            return;
        };
        if capacity <= u64::from(quota) {
            return;
        }
        self.fail_next
            .entry(crate::wire::path::key(id))
            .or_insert(OperationFailure {
                code: "OutOfQuota".into(),
                message: format!(
                    "Not enough quota: the deployment asks for {capacity} instances and a managed online deployment may have at most {quota}. Lower sku.capacity or request an endpoint limit increase."
                ),
            });
    }

    fn deployment_id(sub: &str, rg: &str, ws: &str, ep: &str, d: &str) -> String {
        format!("{}/deployments/{d}", Self::endpoint_id(sub, rg, ws, ep))
    }

    /// 409 unless the endpoint is idle.
    fn require_idle_endpoint(endpoint: &Resource) -> Result<(), ArmError> {
        if is_busy(&endpoint.body) {
            return Err(ArmError::conflict(format!(
                "Endpoint '{}' is in state '{}'; deployments cannot be changed until the operation on the endpoint completes.",
                endpoint.body["name"].as_str().unwrap_or_default(),
                provisioning_state(&endpoint.body)
            )));
        }
        Ok(())
    }

    /// PUT a deployment.
    pub fn put_deployment(
        &mut self,
        ctx: &Ctx,
        sub: &str,
        rg: &str,
        ws: &str,
        ep: &str,
        name: &str,
        body: &Value,
    ) -> Result<Answer, ArmError> {
        let obj = body_object(body)?;
        let endpoint = match self.require_endpoint(sub, rg, ws, ep) {
            Ok(e) => e.clone(),
            Err(e) if e.code == "ResourceNotFound" => {
                return Err(ArmError::parent_not_found(
                    &Self::deployment_id(sub, rg, ws, ep, name),
                    &Self::endpoint_id(sub, rg, ws, ep),
                ));
            }
            Err(e) => return Err(e),
        };
        Self::require_idle_endpoint(&endpoint)?;
        check_ml_name("Deployment", name)?;
        check_tags(&obj)?;
        let location = required_location(&obj)?;
        let ep_location = endpoint.body["location"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if !same_region(&location, &ep_location) {
            return Err(ArmError::bad_argument(
                "location",
                format!(
                    "The deployment location '{location}' must match the endpoint location '{ep_location}'."
                ),
            ));
        }
        let mut props = obj
            .get("properties")
            .and_then(Value::as_object)
            .cloned()
            .ok_or_else(|| {
                ArmError::bad_argument("properties", "The 'properties' object is required.")
            })?;
        normalize_properties(&mut props)?;
        let sku = normalize_sku(obj.get("sku"))?;
        let id = Self::deployment_id(sub, rg, ws, ep, name);

        if let Some(existing) = self.get(&id).cloned() {
            if existing.op.is_some() || is_busy(&existing.body) {
                return Err(ArmError::conflict(format!(
                    "Deployment '{name}' is in state '{}'; another operation is in progress.",
                    provisioning_state(&existing.body)
                )));
            }
            for field in CREATE_ONLY {
                let old = existing.body.pointer(&format!("/properties/{field}"));
                let new = props.get(*field);
                let differs = match (old.and_then(Value::as_str), new.and_then(Value::as_str)) {
                    (Some(a), Some(b)) => !a.eq_ignore_ascii_case(b),
                    (a, b) => a != b,
                };
                if differs {
                    return Err(ArmError::bad_argument(
                        &format!("properties.{field}"),
                        format!(
                            "'{field}' of an existing deployment cannot be changed (it is set at creation); create a new deployment instead."
                        ),
                    ));
                }
            }
            let scaling = existing.body.pointer("/sku/capacity") != sku.get("capacity");
            let mut stored = existing.body.clone();
            props.insert("provisioningState".into(), Value::from("Updating"));
            stored["properties"] = Value::Object(props);
            stored["sku"] = sku;
            if let Some(tags) = obj.get("tags").filter(|t| t.is_object()) {
                stored["tags"] = tags.clone();
            }
            if let Some(identity) = obj.get("identity").filter(|v| !v.is_null()) {
                stored["identity"] = render_identity(identity, &ctx.tenant)?;
            }
            touch(&mut stored, &ctx.actor, ctx.now);
            if let Some(r) = self.get_mut(&id) {
                r.body = stored;
            }
            self.record(&id, "updated", &ctx.actor, ctx.now);
            self.hold_endpoint(ctx, &id);
            if let Some(sku) = self.get(&id).map(|r| r.body["sku"].clone()) {
                self.over_instance_quota(&id, &sku);
            }
            self.start_operation(
                ctx,
                NewOperation {
                    resource_id: id.clone(),
                    kind: if scaling {
                        OperationKind::DeploymentScale
                    } else {
                        OperationKind::DeploymentUpdate
                    },
                    style: OperationUrlStyle::MachineLearningEndpoints,
                    effect: Effect::Provision,
                    result: OpResult::Resource,
                    location,
                    links: LinkSet::ASYNC,
                },
            );
            // mfe.json 2025-12-01, OnlineDeployments_CreateOrUpdate: the 200 declares no
            // headers; the body's provisioningState (Updating) is what a client follows.
            return Ok(Answer {
                status: StatusCode::OK,
                body: self.render_by_id(&id),
                lro: None,
            });
        }

        props.insert("provisioningState".into(), Value::from("Creating"));
        let mut stored = json!({
            "id": id,
            "name": name,
            "type": DEPLOYMENT_TYPE,
            "properties": Value::Object(props),
            "systemData": system_data(&ctx.actor, ctx.now),
            "tags": obj.get("tags").filter(|t| t.is_object()).cloned().unwrap_or_else(|| json!({})),
            "location": location,
        });
        if let Some(kind) = obj.get("kind").filter(|v| !v.is_null()) {
            stored["kind"] = kind.clone();
        }
        if let Some(identity) = obj.get("identity").filter(|v| !v.is_null()) {
            stored["identity"] = render_identity(identity, &ctx.tenant)?;
        }
        self.over_instance_quota(&id, &sku);
        stored["sku"] = sku;
        self.insert(Resource {
            id: id.clone(),
            kind: Kind::OnlineDeployment,
            body: stored,
            op: None,
            keys: None,
        });
        self.record(&id, "created", &ctx.actor, ctx.now);
        self.auto_provision_managed_network(ctx, sub, rg, ws);
        self.hold_endpoint(ctx, &id);
        // The 201 declares `x-ms-async-operation-timeout` and `Azure-AsyncOperation`;
        // LinkSet::ASYNC sends both.
        let links = self.start_operation(
            ctx,
            NewOperation {
                resource_id: id.clone(),
                kind: OperationKind::DeploymentCreate,
                style: OperationUrlStyle::MachineLearningEndpoints,
                effect: Effect::Provision,
                result: OpResult::Resource,
                location,
                links: LinkSet::ASYNC,
            },
        );
        Ok(Answer {
            status: StatusCode::CREATED,
            body: self.render_by_id(&id),
            lro: Some(links),
        })
    }

    /// The first deployment in a managed-network workspace provisions that network.
    fn auto_provision_managed_network(&mut self, ctx: &Ctx, sub: &str, rg: &str, ws: &str) {
        let ws_id = Self::workspace_id_of(sub, rg, ws);
        let Some(r) = self.get_mut(&ws_id) else {
            return;
        };
        let mode = r
            .body
            .pointer("/properties/managedNetwork/isolationMode")
            .and_then(Value::as_str)
            .unwrap_or("Disabled");
        let status = r
            .body
            .pointer("/properties/managedNetwork/status/status")
            .and_then(Value::as_str)
            .unwrap_or("Inactive");
        if mode != "Disabled" && status != "Active" {
            // The network and its outbound rules become Active (managed_network.rs).
            self.activate_managed_network(&ws_id, false);
            self.record(&ws_id, "updated", &ctx.actor, ctx.now);
        }
    }

    /// A deployment operation puts its endpoint in `Updating` (as Azure does), so the endpoint and
    /// its other deployments answer 409 until it finishes.
    fn hold_endpoint(&mut self, ctx: &Ctx, deployment_id: &str) {
        let Some(endpoint_id) = crate::wire::path::parent(deployment_id) else {
            return;
        };
        if let Some(e) = self.get_mut(&endpoint_id)
            && !is_busy(&e.body)
        {
            set_provisioning_state(&mut e.body, "Updating");
            self.record(&endpoint_id, "updated", &ctx.actor, ctx.now);
        }
    }

    /// The deployment operation on `deployment_id` ended: its endpoint is idle again.
    pub(super) fn release_endpoint(&mut self, deployment_id: &str, time: jiff::Timestamp) {
        if !crate::wire::path::resource_type_of(deployment_id)
            .ends_with("onlineEndpoints/deployments")
        {
            return;
        }
        let Some(endpoint_id) = crate::wire::path::parent(deployment_id) else {
            return;
        };
        if let Some(e) = self.get_mut(&endpoint_id)
            && e.op.is_none()
            && provisioning_state(&e.body) == "Updating"
        {
            set_provisioning_state(&mut e.body, "Succeeded");
            self.record(&endpoint_id, "operationSucceeded", "operation", time);
        }
    }

    fn workspace_id_of(sub: &str, rg: &str, ws: &str) -> String {
        format!(
            "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{ws}"
        )
    }

    /// PATCH a deployment: tags and sku only; 202 + Location + Retry-After.
    pub fn patch_deployment(
        &mut self,
        ctx: &Ctx,
        sub: &str,
        rg: &str,
        ws: &str,
        ep: &str,
        name: &str,
        body: &Value,
    ) -> Result<Answer, ArmError> {
        let obj = body_object(body)?;
        let endpoint = self.require_endpoint(sub, rg, ws, ep)?.clone();
        let existing = self
            .require(&Self::deployment_id(sub, rg, ws, ep, name))?
            .clone();
        if obj.contains_key("properties") {
            return Err(ArmError::bad_argument(
                "properties",
                "PATCH of an online deployment updates only 'tags' and 'sku'; send a full PUT to change properties.",
            ));
        }
        check_tags(&obj)?;
        Self::require_idle_endpoint(&endpoint)?;
        if existing.op.is_some() || is_busy(&existing.body) {
            return Err(ArmError::conflict(format!(
                "Deployment '{name}' is in state '{}'; another operation is in progress.",
                provisioning_state(&existing.body)
            )));
        }
        let mut stored = existing.body.clone();
        let mut scaling = false;
        if let Some(sku) = obj.get("sku").filter(|v| !v.is_null()) {
            let mut merged = stored
                .get("sku")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            for (k, v) in sku
                .as_object()
                .ok_or_else(|| ArmError::bad_argument("sku", "sku must be an object."))?
            {
                merged.insert(k.clone(), v.clone());
            }
            let merged = normalize_sku(Some(&Value::Object(merged)))?;
            scaling = stored.pointer("/sku/capacity") != merged.get("capacity");
            stored["sku"] = merged;
        }
        if let Some(tags) = obj.get("tags").filter(|t| t.is_object()) {
            stored["tags"] = tags.clone();
        }
        set_provisioning_state(&mut stored, if scaling { "Scaling" } else { "Updating" });
        touch(&mut stored, &ctx.actor, ctx.now);
        let location = stored["location"].as_str().unwrap_or_default().to_string();
        if let Some(r) = self.get_mut(&existing.id) {
            r.body = stored;
        }
        self.record(&existing.id, "updated", &ctx.actor, ctx.now);
        self.hold_endpoint(ctx, &existing.id);
        if scaling && let Some(sku) = self.get(&existing.id).map(|r| r.body["sku"].clone()) {
            self.over_instance_quota(&existing.id, &sku);
        }
        let links = self.start_operation(
            ctx,
            NewOperation {
                resource_id: existing.id.clone(),
                kind: if scaling {
                    OperationKind::DeploymentScale
                } else {
                    OperationKind::DeploymentUpdate
                },
                style: OperationUrlStyle::MachineLearningEndpoints,
                effect: Effect::Provision,
                result: OpResult::Resource,
                location,
                links: LinkSet::LOCATION,
            },
        );
        Ok(Answer {
            status: StatusCode::ACCEPTED,
            body: None,
            lro: Some(links),
        })
    }

    pub fn get_deployment(
        &self,
        sub: &str,
        rg: &str,
        ws: &str,
        ep: &str,
        name: &str,
    ) -> Result<Answer, ArmError> {
        self.require_endpoint(sub, rg, ws, ep)?;
        let id = self
            .require(&Self::deployment_id(sub, rg, ws, ep, name))?
            .id
            .clone();
        self.render_by_id(&id)
            .map(Answer::ok)
            .ok_or_else(|| ArmError::not_found(DEPLOYMENT_TYPE, name, Some(rg)))
    }

    pub fn list_deployments(
        &self,
        sub: &str,
        rg: &str,
        ws: &str,
        ep: &str,
    ) -> Result<Vec<Value>, ArmError> {
        let id = self.require_endpoint(sub, rg, ws, ep)?.id.clone();
        Ok(self.list(&id, "deployments"))
    }

    /// DELETE a deployment: 202 + Location; 400 while it still has traffic.
    pub fn delete_deployment(
        &mut self,
        ctx: &Ctx,
        sub: &str,
        rg: &str,
        ws: &str,
        ep: &str,
        name: &str,
    ) -> Result<Answer, ArmError> {
        let endpoint = self.require_endpoint(sub, rg, ws, ep)?.clone();
        let id = Self::deployment_id(sub, rg, ws, ep, name);
        let Some(existing) = self.get(&id).cloned() else {
            return Ok(Answer::status(StatusCode::NO_CONTENT));
        };
        if let Some(op) = existing.op.as_deref()
            && provisioning_state(&existing.body) == "Deleting"
        {
            let links = self.links_of(op, LinkSet::LOCATION_WITH_TIMEOUT, ctx.instant);
            return Ok(Answer {
                status: StatusCode::ACCEPTED,
                body: None,
                lro: links,
            });
        }
        Self::require_idle_endpoint(&endpoint)?;
        if existing.op.is_some() || is_busy(&existing.body) {
            return Err(ArmError::conflict(format!(
                "Deployment '{name}' is in state '{}'; another operation is in progress.",
                provisioning_state(&existing.body)
            )));
        }
        for field in ["traffic", "mirrorTraffic"] {
            let percent = endpoint
                .body
                .pointer(&format!("/properties/{field}"))
                .and_then(Value::as_object)
                .and_then(|m| {
                    m.iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(name))
                        .map(|(_, v)| v.as_i64().unwrap_or(0))
                })
                .unwrap_or(0);
            if percent > 0 {
                return Err(ArmError::bad_argument(
                    &format!("properties.{field}"),
                    format!(
                        "Deployment '{name}' still receives {percent}% of the endpoint's {field}; set it to 0 before deleting the deployment."
                    ),
                ));
            }
        }
        if let Some(r) = self.get_mut(&id) {
            set_provisioning_state(&mut r.body, "Deleting");
        }
        self.record(&id, "updated", &ctx.actor, ctx.now);
        self.hold_endpoint(ctx, &id);
        let links = self.start_operation(
            ctx,
            NewOperation {
                resource_id: existing.id.clone(),
                kind: OperationKind::DeploymentDelete,
                style: OperationUrlStyle::MachineLearningEndpoints,
                effect: Effect::Delete,
                result: OpResult::NoContent,
                location: existing.body["location"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                links: LinkSet::LOCATION_WITH_TIMEOUT,
            },
        );
        Ok(Answer {
            status: StatusCode::ACCEPTED,
            body: None,
            lro: Some(links),
        })
    }

    pub fn deployment_logs(
        &self,
        sub: &str,
        rg: &str,
        ws: &str,
        ep: &str,
        name: &str,
        body: &Value,
    ) -> Result<Answer, ArmError> {
        let r = self.require(&Self::deployment_id(sub, rg, ws, ep, name))?;
        // ContainerType (mfe.json 2025-12-01) is `StorageInitializer` or `InferenceServer`; the
        // example (OnlineDeployment/getLogs.json) asks for StorageInitializer. An absent type
        // reads the inference server, as `az ml online-deployment get-logs` does by default
        // ("By default, logs are pulled from the inference server", Learn,
        // how-to-troubleshoot-online-endpoints). Any other value is 400 BadArgument; the enum is
        // `modelAsString`, so Azure's exact answer to an unknown value was not verified.
        let container = match body.get("containerType") {
            Some(v) if !v.is_null() => canonical_enum(
                "containerType",
                v,
                &["StorageInitializer", "InferenceServer"],
            )?,
            _ => "InferenceServer",
        };
        // `tail` is "The maximum number of lines to tail" (DeploymentLogsRequest, mfe.json
        // 2025-12-01); the service's default when it is absent is not in the spec (100 here).
        let tail = body.get("tail").and_then(Value::as_u64).unwrap_or(100);
        let lines: Vec<String> = match self.container_logs.get(&logs_key(&r.id, container)) {
            // What a test set as the container's output (`Admin::set_container_logs`).
            Some(text) => text.lines().map(str::to_string).collect(),
            None => {
                let state = provisioning_state(&r.body);
                vec![
                    format!("{container}: container started for deployment '{name}'"),
                    format!("{container}: provisioning state {state}"),
                    format!(
                        "{container}: instance type {}",
                        r.body
                            .pointer("/properties/instanceType")
                            .and_then(Value::as_str)
                            .unwrap_or("?")
                    ),
                ]
            }
        };
        let take = usize::try_from(tail).unwrap_or(usize::MAX).min(lines.len());
        let content = lines[lines.len() - take..].join("\n");
        Ok(Answer::ok(json!({"content": content})))
    }

    /// Sets what getLogs answers for one container of a deployment (which need not exist yet):
    /// the container's whole output, of which getLogs returns the last `tail` lines. Not an
    /// Azure rule: the test's stand-in for what the container printed.
    pub fn set_container_logs(
        &mut self,
        deployment_id: &str,
        container: &str,
        text: &str,
    ) -> Result<(), crate::error::Error> {
        let container = ["StorageInitializer", "InferenceServer"]
            .into_iter()
            .find(|c| c.eq_ignore_ascii_case(container))
            .ok_or_else(|| {
                crate::error::Error::Admin(format!(
                    "containerType {container} is not StorageInitializer or InferenceServer"
                ))
            })?;
        self.container_logs
            .insert(logs_key(deployment_id, container), text.to_string());
        Ok(())
    }

    pub fn deployment_skus(
        &self,
        sub: &str,
        rg: &str,
        ws: &str,
        ep: &str,
        name: &str,
    ) -> Result<Answer, ArmError> {
        self.require(&Self::deployment_id(sub, rg, ws, ep, name))?;
        // The maximum is the per-deployment instance limit (see `over_instance_quota`).
        let maximum = self.config.deployment_instance_quota;
        Ok(Answer::ok(json!({"value": [{
            "resourceType": "Microsoft.MachineLearning.Services/endpoints/deployments",
            "sku": {"name": "Default", "tier": "Standard"},
            "capacity": {"minimum": 1, "maximum": maximum, "default": 1, "scaleType": "Manual"},
        }]})))
    }
}

fn logs_key(deployment_id: &str, container: &str) -> String {
    format!("{}|{container}", deployment_id.to_ascii_lowercase())
}
