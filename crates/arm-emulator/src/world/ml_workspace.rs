//! Azure ML workspaces: seeded (the controller never creates them), readable, patchable
//! (publicNetworkAccess, managedNetwork, tags; 202 + Location), their private endpoint
//! connections (synchronous PUT/GET/DELETE/list), private link resources and
//! provisionManagedNetwork.

#![allow(clippy::too_many_arguments)] // ARM paths carry up to five names besides the context and body.

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::operations::{Effect, LinkSet, NewOperation, OpResult};
use super::render::{system_data, touch};
use super::validation::{
    body_object, canonical_enum, check_tags, render_identity, required_location,
};
use super::{Answer, Ctx, Kind, Resource, World, set_provisioning_state};
use crate::config::OperationKind;
use crate::error::Error;
use crate::seed::WorkspaceSeed;
use crate::wire::ArmError;
use crate::wire::lro_headers::OperationUrlStyle;

const PUBLIC_ACCESS: &[&str] = &["Enabled", "Disabled"];
const ISOLATION_MODES: &[&str] = &[
    "Disabled",
    "AllowInternetOutbound",
    "AllowOnlyApprovedOutbound",
];
const CONNECTION_STATUSES: &[&str] =
    &["Pending", "Approved", "Rejected", "Disconnected", "Timeout"];

fn workspace_properties(
    rg_id: &str,
    name: &str,
    location: &str,
    workspace_id: &str,
    ws: &WorkspaceSeed,
) -> Result<Value, Error> {
    let region = location.replace(' ', "").to_ascii_lowercase();
    let default_id = |provider: &str, kind: &str, suffix: &str| {
        format!(
            "{rg_id}/providers/{provider}/{kind}/{}{suffix}",
            name.replace('-', "")
        )
    };
    let pna = PUBLIC_ACCESS
        .iter()
        .find(|v| v.eq_ignore_ascii_case(&ws.public_network_access))
        .ok_or_else(|| {
            Error::InvalidSeed(format!(
                "workspace {name}: publicNetworkAccess '{}'",
                ws.public_network_access
            ))
        })?;
    let mode = ISOLATION_MODES
        .iter()
        .find(|v| v.eq_ignore_ascii_case(&ws.managed_network.isolation_mode))
        .ok_or_else(|| {
            Error::InvalidSeed(format!(
                "workspace {name}: isolationMode '{}'",
                ws.managed_network.isolation_mode
            ))
        })?;
    let status = if ws.managed_network.status.eq_ignore_ascii_case("active") {
        "Active"
    } else {
        "Inactive"
    };
    Ok(json!({
        "friendlyName": ws.friendly_name.clone().unwrap_or_else(|| name.to_string()),
        "description": ws.description.clone().unwrap_or_default(),
        "storageAccount": ws.storage_account.clone().unwrap_or_else(|| default_id("Microsoft.Storage", "storageAccounts", "st")),
        "keyVault": ws.key_vault.clone().unwrap_or_else(|| default_id("Microsoft.KeyVault", "vaults", "kv")),
        "containerRegistry": ws.container_registry.clone().unwrap_or_else(|| default_id("Microsoft.ContainerRegistry", "registries", "cr")),
        "applicationInsights": ws.application_insights.clone().unwrap_or_else(|| default_id("Microsoft.Insights", "components", "appi")),
        "discoveryUrl": format!("https://{region}.api.azureml.ms/discovery"),
        "mlFlowTrackingUri": format!("azureml://{region}.api.azureml.ms/mlflow/v1.0{rg_id}/providers/Microsoft.MachineLearningServices/workspaces/{name}"),
        "hbiWorkspace": false,
        "workspaceId": workspace_id,
        "provisioningState": "Succeeded",
        "publicNetworkAccess": pna,
        "allowPublicAccessWhenBehindVnet": false,
        "v1LegacyMode": false,
        "enableDataIsolation": false,
        "managedNetwork": {
            "isolationMode": mode,
            "networkId": uuid::Uuid::new_v4().to_string(),
            "outboundRules": {},
            "status": {"status": status, "sparkReady": false},
        },
        "privateEndpointConnections": [],
        "privateLinkCount": 0,
        "serviceProvisionedResourceGroup": format!("azureml-rg-{name}_{}", &workspace_id[..8]),
        "sharedPrivateLinkResources": [],
    }))
}

impl World {
    pub(super) fn seeded_workspace_body(
        &self,
        ctx: &Ctx,
        rg_id: &str,
        rg_location: &str,
        ws: &WorkspaceSeed,
    ) -> Result<Value, Error> {
        if ws.name.trim().is_empty() {
            return Err(Error::InvalidSeed(format!(
                "a workspace in {rg_id} has no name"
            )));
        }
        let location = ws
            .location
            .clone()
            .unwrap_or_else(|| rg_location.to_string());
        let id = format!(
            "{rg_id}/providers/Microsoft.MachineLearningServices/workspaces/{}",
            ws.name
        );
        let workspace_id = uuid::Uuid::new_v4().to_string();
        let tenant = "00000000-0000-0000-0000-000000000000";
        let mut body = json!({
            "id": id,
            "name": ws.name,
            "type": "Microsoft.MachineLearningServices/workspaces",
            "location": location,
            "identity": {"type": "SystemAssigned", "principalId": uuid::Uuid::new_v4().to_string(), "tenantId": tenant},
            "sku": {"name": "Basic", "tier": "Basic"},
            "kind": "Default",
            "tags": ws.tags,
            "systemData": system_data("seed", ctx.now),
            "properties": workspace_properties(rg_id, &ws.name, &location, &workspace_id, ws)?,
        });
        // A managed network comes with Azure's required outbound rules (managed_network.rs).
        self.add_required_outbound_rules(&mut body, None);
        Ok(body)
    }

    fn workspace_id(sub: &str, rg: &str, ws: &str) -> String {
        format!(
            "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{ws}"
        )
    }

    /// The workspace, or 404.
    pub(super) fn require_workspace(
        &self,
        sub: &str,
        rg: &str,
        ws: &str,
    ) -> Result<&Resource, ArmError> {
        self.require(&Self::workspace_id(sub, rg, ws))
    }

    pub fn get_workspace(&self, sub: &str, rg: &str, ws: &str) -> Result<Answer, ArmError> {
        let id = self.require_workspace(sub, rg, ws)?.id.clone();
        self.render_by_id(&id).map(Answer::ok).ok_or_else(|| {
            ArmError::not_found("Microsoft.MachineLearningServices/workspaces", ws, Some(rg))
        })
    }

    /// Apply the updatable workspace properties of a PATCH/PUT body.
    fn apply_workspace_update(
        stored: &mut Value,
        obj: &Map<String, Value>,
        ctx: &Ctx,
    ) -> Result<(), ArmError> {
        check_tags(obj)?;
        if let Some(tags) = obj.get("tags").filter(|t| t.is_object()) {
            stored["tags"] = tags.clone();
        }
        if let Some(identity) = obj.get("identity").filter(|v| !v.is_null()) {
            stored["identity"] = render_identity(identity, &ctx.tenant)?;
        }
        if let Some(sku) = obj.get("sku").filter(|v| v.is_object()) {
            stored["sku"] = sku.clone();
        }
        let Some(props) = obj.get("properties").filter(|v| !v.is_null()) else {
            return Ok(());
        };
        let props = props
            .as_object()
            .ok_or_else(|| ArmError::invalid_body("'properties' must be an object."))?;
        let current_mode = stored
            .pointer("/properties/managedNetwork/isolationMode")
            .and_then(Value::as_str)
            .unwrap_or("Disabled")
            .to_string();
        let target = stored["properties"]
            .as_object_mut()
            .ok_or_else(|| ArmError::invalid_body("stored workspace has no properties"))?;
        if let Some(v) = props.get("publicNetworkAccess").filter(|v| !v.is_null()) {
            let pna = canonical_enum("properties.publicNetworkAccess", v, PUBLIC_ACCESS)?;
            target.insert("publicNetworkAccess".into(), Value::from(pna));
        }
        for field in [
            "description",
            "friendlyName",
            "imageBuildCompute",
            "applicationInsights",
            "containerRegistry",
            "v1LegacyMode",
            "enableDataIsolation",
            "allowPublicAccessWhenBehindVnet",
        ] {
            if let Some(v) = props.get(field).filter(|v| !v.is_null()) {
                target.insert(field.into(), v.clone());
            }
        }
        if let Some(mn) = props.get("managedNetwork").filter(|v| !v.is_null()) {
            let mn = mn
                .as_object()
                .ok_or_else(|| ArmError::invalid_body("'managedNetwork' must be an object."))?;
            let stored_mn = target
                .entry("managedNetwork")
                .or_insert_with(|| json!({"isolationMode": "Disabled", "outboundRules": {}, "status": {"status": "Inactive", "sparkReady": false}}));
            if let Some(mode) = mn.get("isolationMode").filter(|v| !v.is_null()) {
                let mode = canonical_enum(
                    "properties.managedNetwork.isolationMode",
                    mode,
                    ISOLATION_MODES,
                )?;
                // Managed network isolation is one-way (Microsoft Learn, "Workspace Managed
                // Virtual Network Isolation", how-to-managed-network: "once a managed VNet
                // workspace is configured to allow internet outbound, the workspace cannot be
                // reconfigured to disabled. Similarly, once … configured to allow only approved
                // outbound, the workspace cannot be reconfigured to allow internet outbound";
                // Limitations: "you can't disable it"). The status (400) and code (BadArgument)
                // of Azure's refusal are not documented; they are the emulator's choice.
                if mode == "Disabled" && current_mode != "Disabled" {
                    return Err(ArmError::bad_argument(
                        "properties.managedNetwork.isolationMode",
                        "Managed network isolation cannot be disabled once it has been enabled on a workspace.",
                    ));
                }
                if mode == "AllowInternetOutbound" && current_mode == "AllowOnlyApprovedOutbound" {
                    return Err(ArmError::bad_argument(
                        "properties.managedNetwork.isolationMode",
                        "A workspace whose managed network allows only approved outbound cannot be reconfigured to allow internet outbound.",
                    ));
                }
                if current_mode == "Disabled" && mode != "Disabled" {
                    stored_mn["status"] = json!({"status": "Inactive", "sparkReady": false});
                }
                stored_mn["isolationMode"] = Value::from(mode);
            }
            if let Some(rules) = mn.get("outboundRules").filter(|v| v.is_object()) {
                stored_mn["outboundRules"] = rules.clone();
            }
        }
        Ok(())
    }

    /// PATCH a workspace: 202 + Location, Updating until the operation finishes.
    pub fn patch_workspace(
        &mut self,
        ctx: &Ctx,
        sub: &str,
        rg: &str,
        ws: &str,
        body: &Value,
    ) -> Result<Answer, ArmError> {
        let obj = body_object(body)?;
        let resource = self.require_workspace(sub, rg, ws)?;
        if resource.op.is_some() {
            return Err(ArmError::conflict(format!(
                "Workspace '{ws}' has an operation in progress; retry when it completes."
            )));
        }
        let id = resource.id.clone();
        let location = resource.body["location"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let mut stored = resource.body.clone();
        let rules_before = stored
            .pointer("/properties/managedNetwork/outboundRules")
            .cloned();
        Self::apply_workspace_update(&mut stored, &obj, ctx)?;
        // Azure's required outbound rules follow the isolation mode, and a PATCH that leaves
        // one out does not remove it (managed_network.rs).
        self.add_required_outbound_rules(&mut stored, rules_before.as_ref());
        set_provisioning_state(&mut stored, "Updating");
        touch(&mut stored, &ctx.actor, ctx.now);
        if let Some(r) = self.get_mut(&id) {
            r.body = stored;
        }
        self.record(&id, "updated", &ctx.actor, ctx.now);
        let links = self.start_operation(
            ctx,
            NewOperation {
                resource_id: id,
                kind: OperationKind::WorkspaceUpdate,
                style: OperationUrlStyle::MachineLearningWorkspaces,
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

    /// PUT a workspace (create or full update): 202 + Location.
    pub fn put_workspace(
        &mut self,
        ctx: &Ctx,
        sub: &str,
        rg: &str,
        ws: &str,
        body: &Value,
    ) -> Result<Answer, ArmError> {
        let obj = body_object(body)?;
        self.require_resource_group(sub, rg)?;
        let id = Self::workspace_id(sub, rg, ws);
        if let Some(existing) = self.get(&id) {
            if existing.op.is_some() {
                return Err(ArmError::conflict(format!(
                    "Workspace '{ws}' has an operation in progress; retry when it completes."
                )));
            }
            return self.patch_workspace(ctx, sub, rg, ws, body);
        }
        let location = required_location(&obj)?;
        let rg_id = format!("/subscriptions/{sub}/resourceGroups/{rg}");
        let props = obj
            .get("properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let text = |f: &str| props.get(f).and_then(Value::as_str).map(str::to_string);
        let seed = WorkspaceSeed {
            name: ws.to_string(),
            location: Some(location.clone()),
            storage_account: text("storageAccount"),
            key_vault: text("keyVault"),
            container_registry: text("containerRegistry"),
            application_insights: text("applicationInsights"),
            public_network_access: text("publicNetworkAccess").unwrap_or_else(|| "Enabled".into()),
            friendly_name: text("friendlyName"),
            description: text("description"),
            ..WorkspaceSeed::default()
        };
        let mut stored = self
            .seeded_workspace_body(ctx, &rg_id, &location, &seed)
            .map_err(|e| ArmError::bad_argument("properties", e.to_string()))?;
        stored["systemData"] = system_data(&ctx.actor, ctx.now);
        Self::apply_workspace_update(&mut stored, &obj, ctx)?;
        self.add_required_outbound_rules(&mut stored, None);
        for field in ["encryption", "hbiWorkspace", "sharedPrivateLinkResources"] {
            if let Some(v) = props.get(field) {
                stored["properties"][field] = v.clone();
            }
        }
        set_provisioning_state(&mut stored, "Creating");
        self.insert(Resource {
            id: id.clone(),
            kind: Kind::Workspace,
            body: stored,
            op: None,
            keys: None,
        });
        self.record(&id, "created", &ctx.actor, ctx.now);
        let links = self.start_operation(
            ctx,
            NewOperation {
                resource_id: id,
                kind: OperationKind::WorkspaceUpdate,
                style: OperationUrlStyle::MachineLearningWorkspaces,
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

    pub fn list_workspace_connections(
        &self,
        sub: &str,
        rg: &str,
        ws: &str,
    ) -> Result<Answer, ArmError> {
        let id = self.require_workspace(sub, rg, ws)?.id.clone();
        Ok(Answer::ok(
            json!({"value": self.list(&id, "privateEndpointConnections")}),
        ))
    }

    fn connection_id(&self, sub: &str, rg: &str, ws: &str, name: &str) -> Result<String, ArmError> {
        let ws_id = self.require_workspace(sub, rg, ws)?.id.clone();
        let id = format!("{ws_id}/privateEndpointConnections/{name}");
        self.get(&id).map(|r| r.id.clone()).ok_or_else(|| {
            ArmError::not_found(
                "Microsoft.MachineLearningServices/workspaces/privateEndpointConnections",
                name,
                Some(rg),
            )
        })
    }

    pub fn get_workspace_connection(
        &self,
        sub: &str,
        rg: &str,
        ws: &str,
        name: &str,
    ) -> Result<Answer, ArmError> {
        let id = self.connection_id(sub, rg, ws, name)?;
        self.render_by_id(&id)
            .map(Answer::ok)
            .ok_or_else(|| ArmError::not_found("privateEndpointConnections", name, Some(rg)))
    }

    /// Approve or reject a connection (synchronous 200).
    pub fn put_workspace_connection(
        &mut self,
        ctx: &Ctx,
        sub: &str,
        rg: &str,
        ws: &str,
        name: &str,
        body: &Value,
    ) -> Result<Answer, ArmError> {
        let obj = body_object(body)?;
        let id = self.connection_id(sub, rg, ws, name)?;
        let state = obj
            .get("properties")
            .and_then(|p| p.get("privateLinkServiceConnectionState"))
            .and_then(Value::as_object)
            .ok_or_else(|| {
                ArmError::bad_argument(
                    "properties.privateLinkServiceConnectionState",
                    "privateLinkServiceConnectionState is required.",
                )
            })?;
        let status = canonical_enum(
            "properties.privateLinkServiceConnectionState.status",
            state.get("status").unwrap_or(&Value::Null),
            CONNECTION_STATUSES,
        )?;
        let description = state
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        self.set_connection_state(&id, status, &description, &ctx.actor, ctx.now);
        self.get_workspace_connection(sub, rg, ws, name)
    }

    /// Delete a connection (synchronous; 200 when it existed, 204 when not). The Network
    /// private endpoint's connection turns Disconnected.
    pub fn delete_workspace_connection(
        &mut self,
        ctx: &Ctx,
        sub: &str,
        rg: &str,
        ws: &str,
        name: &str,
    ) -> Result<Answer, ArmError> {
        let ws_id = self.require_workspace(sub, rg, ws)?.id.clone();
        let id = format!("{ws_id}/privateEndpointConnections/{name}");
        let Some(conn) = self.get(&id).cloned() else {
            return Ok(Answer::status(StatusCode::NO_CONTENT));
        };
        if let Some(pe_id) = conn
            .body
            .pointer("/properties/privateEndpoint/id")
            .and_then(Value::as_str)
        {
            self.set_pe_connection_status(
                pe_id,
                &ws_id,
                "Disconnected",
                "Removed by the resource owner",
                &ctx.actor,
                ctx.now,
            );
        }
        self.delete_now(&conn.id, ctx.now, &ctx.actor);
        Ok(Answer::status(StatusCode::OK))
    }

    /// Set a workspace connection's state and mirror it onto the Network private endpoint.
    pub(super) fn set_connection_state(
        &mut self,
        conn_id: &str,
        status: &str,
        description: &str,
        actor: &str,
        now: jiff::Timestamp,
    ) {
        let Some(conn) = self.get_mut(conn_id) else {
            return;
        };
        conn.body["properties"]["privateLinkServiceConnectionState"] = json!({
            "status": status,
            "description": description,
            "actionsRequired": "None",
        });
        let pe_id = conn
            .body
            .pointer("/properties/privateEndpoint/id")
            .and_then(Value::as_str)
            .map(str::to_string);
        let ws_id = crate::wire::path::parent(conn_id).unwrap_or_default();
        self.record(conn_id, "updated", actor, now);
        self.record(&ws_id, "updated", actor, now);
        if let Some(pe_id) = pe_id {
            self.set_pe_connection_status(&pe_id, &ws_id, status, description, actor, now);
        }
    }

    pub fn list_private_link_resources(
        &self,
        sub: &str,
        rg: &str,
        ws: &str,
    ) -> Result<Answer, ArmError> {
        let r = self.require_workspace(sub, rg, ws)?;
        Ok(Answer::ok(json!({"value": [{
            "id": format!("{}/privateLinkResources/amlworkspace", r.id),
            "name": "amlworkspace",
            "type": "Microsoft.MachineLearningServices/workspaces/privateLinkResources",
            "location": r.body["location"],
            "properties": {
                "groupId": "amlworkspace",
                "requiredMembers": ["api", "notebook", "inference", "models"],
                "requiredZoneNames": [
                    "privatelink.api.azureml.ms",
                    "privatelink.notebooks.azure.net",
                ],
            },
        }]})))
    }

    /// POST provisionManagedNetwork: 202 + Location; the result is the managed network status.
    /// When it ends the network and all its outbound rules are Active (managed_network.rs).
    pub fn provision_managed_network(
        &mut self,
        ctx: &Ctx,
        sub: &str,
        rg: &str,
        ws: &str,
        body: &Value,
    ) -> Result<Answer, ArmError> {
        let include_spark = body
            .get("includeSpark")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let r = self.require_workspace(sub, rg, ws)?;
        let mode = r
            .body
            .pointer("/properties/managedNetwork/isolationMode")
            .and_then(Value::as_str)
            .unwrap_or("Disabled");
        if mode == "Disabled" {
            return Err(ArmError::bad_argument(
                "managedNetwork",
                format!(
                    "Workspace '{ws}' does not have managed network isolation enabled; set properties.managedNetwork.isolationMode first."
                ),
            ));
        }
        let id = r.id.clone();
        let location = r.body["location"].as_str().unwrap_or_default().to_string();
        // Its rules not yet Active show Provisioning until the operation ends (managed_network.rs).
        self.provisioning_outbound_rules(&id);
        let links = self.start_operation(
            ctx,
            NewOperation {
                resource_id: id,
                kind: OperationKind::ManagedNetworkProvision,
                style: OperationUrlStyle::MachineLearningWorkspaces,
                effect: Effect::ProvisionManagedNetwork { include_spark },
                result: OpResult::Empty,
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
}
