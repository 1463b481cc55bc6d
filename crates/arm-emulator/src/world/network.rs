//! Microsoft.Network: private endpoints (their DNS zone groups are in `dns_zone_group.rs`) and
//! read access to seeded virtual networks and subnets.
//!
//! A private endpoint whose `privateLinkServiceConnections` target an ML workspace (or a
//! storage account, key vault or Premium container registry, with their group ids; see
//! `associated.rs`) creates the target's privateEndpointConnection `Approved` (auto-approval)
//! when the caller may approve connections on it (`<provider>/<type>/privateEndpointConnectionsApproval/action`), and is refused with 403 `LinkedAuthorizationFailed` when it may
//! not; `manualPrivateLinkServiceConnections` create it `Pending` (see
//! [`World::put_private_endpoint`] for the sources). The endpoint gets a NIC, private IPs from
//! its subnet and `customDnsConfigs` for the workspace FQDNs. A DNS zone
//! group writes A records for those FQDNs into the linked private zones when it is provisioned,
//! and removes them when it (or the endpoint) goes away.

#![allow(clippy::too_many_arguments)] // ARM paths carry up to five names besides the context and body.

use axum::http::StatusCode;
use jiff::Timestamp;
use serde_json::{Map, Value, json};

use super::operations::{Effect, LinkSet, NewOperation, OpResult};
use super::render::etag;
use super::seeding::allocate_ip;
use super::validation::{body_object, check_tags, required_location};
use super::{Answer, Ctx, Kind, Resource, World, is_busy};
use crate::auth::Principal;
use crate::config::OperationKind;
use crate::wire::ArmError;
use crate::wire::lro_headers::OperationUrlStyle;
use crate::wire::path::{self, key};

const PE_TYPE: &str = "Microsoft.Network/privateEndpoints";
/// A connection's `requestMessage` is "Restricted to 140 chars." (Microsoft.Network
/// `privateEndpoint.json`, 2025-05-01, `PrivateLinkServiceConnectionProperties`).
pub(crate) const REQUEST_MESSAGE_MAX: usize = 140;
const CONNECTION_FIELDS: [&str; 2] = [
    "privateLinkServiceConnections",
    "manualPrivateLinkServiceConnections",
];

/// The action a caller needs on a private link resource for `privateLinkServiceConnections`
/// (auto-approval): `<provider>/<type>/privateEndpointConnectionsApproval/action` (Microsoft
/// Learn, "What is a private endpoint?", "Access to a private link resource using approval
/// workflow"; the spelling with `Connections` per MicrosoftDocs/azure-docs issue #77212).
fn approval_action(target: &str) -> String {
    format!(
        "{}/privateEndpointConnectionsApproval/action",
        path::resource_type_of(target)
    )
}

/// 403 `LinkedAuthorizationFailed`, worded as ARM words it for a private endpoint whose caller
/// may write the endpoint but may not approve connections on the linked resource
/// (Azure/azure-sdk-for-go issue #14306; MicrosoftDocs/azure-docs issue #96892). Azure's
/// message names the action as `PrivateEndpointConnectionsApproval/action`, without its provider.
fn linked_authorization_failed(caller: &Principal, pe_id: &str, target: &str) -> ArmError {
    ArmError::new(
        StatusCode::FORBIDDEN,
        "LinkedAuthorizationFailed",
        format!(
            "The client '{}' with object id '{}' has permission to perform action 'Microsoft.Network/privateEndpoints/write' on scope '{pe_id}'; however, it does not have permission to perform action 'PrivateEndpointConnectionsApproval/action' on the linked scope(s) '{target}' or the linked scope(s) are invalid.",
            caller.client_id, caller.object_id
        ),
    )
}

pub(super) fn invalid_reference(id: &str, referrer: &str) -> ArmError {
    ArmError::bad_request(
        "InvalidResourceReference",
        format!(
            "Resource {id} referenced by resource {referrer} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region."
        ),
    )
}

impl World {
    pub(super) fn pe_id(sub: &str, rg: &str, name: &str) -> String {
        format!(
            "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/privateEndpoints/{name}"
        )
    }

    pub fn get_network_resource(&self, id: &str) -> Result<Answer, ArmError> {
        let r = self.require(id)?;
        self.render_by_id(&r.id).map(Answer::ok).ok_or_else(|| {
            ArmError::not_found(
                &path::resource_type_of(id),
                path::name_of(id),
                path::resource_group_of(id),
            )
        })
    }

    pub fn list_private_endpoints(&self, sub: &str, rg: &str) -> Result<Vec<Value>, ArmError> {
        self.require_resource_group(sub, rg)?;
        Ok(self.list_kind_under(
            &format!("/subscriptions/{sub}/resourceGroups/{rg}"),
            Kind::PrivateEndpoint,
        ))
    }

    /// The customDnsConfigs and private IPs for one connection target.
    fn dns_configs_for(
        &mut self,
        target_id: &str,
        group_ids: &[String],
        subnet_id: &str,
        prefix: &str,
    ) -> Vec<Value> {
        let fqdns: Vec<String> = match self.get(target_id).filter(|r| r.kind == Kind::Workspace) {
            Some(ws) => {
                let region = ws.body["location"]
                    .as_str()
                    .unwrap_or_default()
                    .replace(' ', "")
                    .to_ascii_lowercase();
                let wsid = ws
                    .body
                    .pointer("/properties/workspaceId")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let name = ws.body["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                vec![
                    format!("{wsid}.workspace.{region}.api.azureml.ms"),
                    format!("{wsid}.workspace.{region}.cert.api.azureml.ms"),
                    format!("ml-{name}-{region}-{wsid}.{region}.notebooks.azure.net"),
                    format!("*.{wsid}.inference.{region}.api.azureml.ms"),
                ]
            }
            None if self
                .get(target_id)
                .is_some_and(|r| super::Associated::of_kind(r.kind).is_some()) =>
            {
                self.associated_fqdns(target_id, group_ids)
            }
            None => {
                let name = path::name_of(target_id).to_ascii_lowercase();
                group_ids
                    .iter()
                    .map(|g| format!("{name}.{}.privatelink-target.net", g.to_ascii_lowercase()))
                    .collect()
            }
        };
        fqdns
            .into_iter()
            .map(|fqdn| {
                let ip =
                    allocate_ip(self, &key(subnet_id), prefix).unwrap_or_else(|| "0.0.0.0".into());
                json!({"fqdn": fqdn, "ipAddresses": [ip]})
            })
            .collect()
    }

    /// PUT a private endpoint: 201 (new) / 200 (update) + Azure-AsyncOperation.
    ///
    /// Approval, as Azure decides it (Microsoft Learn, "What is a private endpoint?", approval
    /// workflow; "Manage a Private Endpoint connection"): `privateLinkServiceConnections` ask
    /// for automatic approval, which needs the caller to hold
    /// `…/privateEndpointConnectionsApproval/action` on the target — without it ARM refuses the
    /// whole PUT with 403 `LinkedAuthorizationFailed` (azure-sdk-for-go #14306), it does not
    /// fall back to Pending; `manualPrivateLinkServiceConnections` always arrive `Pending` with
    /// the request message, for the resource's owner to approve. `caller` is `None` for the
    /// emulator's own (admin) writes, which hold every permission.
    pub fn put_private_endpoint(
        &mut self,
        ctx: &Ctx,
        caller: Option<&Principal>,
        sub: &str,
        rg: &str,
        name: &str,
        body: &Value,
    ) -> Result<Answer, ArmError> {
        let obj = body_object(body)?;
        self.require_resource_group(sub, rg)?;
        check_tags(&obj)?;
        let location = required_location(&obj)?;
        let id = Self::pe_id(sub, rg, name);
        let props = obj
            .get("properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let subnet_id = props
            .get("subnet")
            .and_then(|s| s.get("id"))
            .and_then(Value::as_str)
            .ok_or_else(|| {
                ArmError::bad_request(
                    "InvalidRequestFormat",
                    "properties.subnet.id is required for a private endpoint.",
                )
                .with_target("properties.subnet")
            })?
            .to_string();
        let subnet = self
            .get(&subnet_id)
            .filter(|s| s.kind == Kind::Subnet)
            .ok_or_else(|| invalid_reference(&subnet_id, &id))?;
        let subnet_id = subnet.id.clone();
        let prefix = subnet
            .body
            .pointer("/properties/addressPrefix")
            .and_then(Value::as_str)
            .unwrap_or("10.0.0.0/24")
            .to_string();

        if let Some(existing) = self.get(&id).cloned() {
            if existing.op.is_some() && is_busy(&existing.body) {
                return Err(ArmError::new(
                    StatusCode::CONFLICT,
                    "AnotherOperationInProgress",
                    format!("Another operation on private endpoint '{name}' is in progress."),
                ));
            }
            let old_subnet = existing
                .body
                .pointer("/properties/subnet/id")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if !old_subnet.eq_ignore_ascii_case(&subnet_id) {
                return Err(ArmError::bad_request(
                    "CannotChangeSubnetOfPrivateEndpoint",
                    format!("The subnet of private endpoint '{name}' cannot be changed."),
                ));
            }
            let mut stored = existing.body.clone();
            if let Some(tags) = obj.get("tags").filter(|t| t.is_object()) {
                stored["tags"] = tags.clone();
            }
            stored["etag"] = Value::String(etag());
            stored["properties"]["provisioningState"] = Value::from("Updating");
            if let Some(r) = self.get_mut(&id) {
                r.body = stored;
            }
            self.record(&id, "updated", &ctx.actor, ctx.now);
            let links = self.start_operation(
                ctx,
                NewOperation {
                    resource_id: id.clone(),
                    kind: OperationKind::PrivateEndpointPut,
                    style: OperationUrlStyle::Network,
                    effect: Effect::Provision,
                    result: OpResult::Resource,
                    location,
                    links: LinkSet::ASYNC_NETWORK,
                },
            );
            return Ok(Answer {
                status: StatusCode::OK,
                body: self.render_by_id(&id),
                lro: Some(links),
            });
        }

        // Validate every connection target before changing anything.
        let mut connections: Vec<(String, Map<String, Value>, bool)> = Vec::new();
        for (field, manual) in [(CONNECTION_FIELDS[0], false), (CONNECTION_FIELDS[1], true)] {
            for (i, c) in props
                .get(field)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .enumerate()
            {
                let cprops = c
                    .get("properties")
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default();
                let target = cprops
                    .get("privateLinkServiceId")
                    .and_then(Value::as_str)
                    .ok_or_else(|| {
                        ArmError::bad_request(
                            "InvalidRequestFormat",
                            format!("{field}[{i}].properties.privateLinkServiceId is required."),
                        )
                    })?;
                // privateEndpoint.json: requestMessage is "Restricted to 140 chars." Azure's
                // 400 code and wording for a longer one are not documented; these are the
                // emulator's.
                let message_len = cprops
                    .get("requestMessage")
                    .and_then(Value::as_str)
                    .map_or(0, |m| m.chars().count());
                if message_len > REQUEST_MESSAGE_MAX {
                    return Err(ArmError::bad_request(
                        "InvalidRequestFormat",
                        format!(
                            "{field}[{i}].properties.requestMessage has {message_len} characters; it is restricted to {REQUEST_MESSAGE_MAX}."
                        ),
                    )
                    .with_target(format!(
                        "properties.{field}[{i}].properties.requestMessage"
                    )));
                }
                if path::resource_type_of(target)
                    .eq_ignore_ascii_case("Microsoft.MachineLearningServices/workspaces")
                {
                    if self.get(target).is_none() {
                        return Err(ArmError::bad_request(
                            "PrivateLinkServiceNotFound",
                            format!(
                                "Private link service {target} referenced by private endpoint {id} was not found."
                            ),
                        ));
                    }
                    let groups: Vec<String> = cprops
                        .get("groupIds")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect();
                    if groups.len() != 1 || !groups[0].eq_ignore_ascii_case("amlworkspace") {
                        return Err(ArmError::bad_request(
                            "InvalidGroupIds",
                            format!(
                                "Group ids {groups:?} are not valid for {target}; use [\"amlworkspace\"]."
                            ),
                        ));
                    }
                }
                // Storage accounts, key vaults and registries: their group ids, and Premium
                // for a registry (see associated.rs for the sources).
                let groups: Vec<String> = cprops
                    .get("groupIds")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect();
                self.check_associated_target(target, &groups)?;
                // Azure Monitor Private Link Scopes: group id azuremonitor
                // (private_link_scope.rs cites the source).
                self.check_scope_target(target, &groups)?;
                if !manual
                    && let Some(caller) = caller
                    && !caller.may_perform(&approval_action(target), target)
                {
                    return Err(linked_authorization_failed(caller, &id, target));
                }
                let cname = c.get("name").and_then(Value::as_str).map_or_else(
                    || format!("{name}_{}", &uuid::Uuid::new_v4().to_string()[..8]),
                    str::to_string,
                );
                connections.push((cname, cprops, manual));
            }
        }

        let mut rendered: [Vec<Value>; 2] = [Vec::new(), Vec::new()];
        let mut dns_configs = Vec::new();
        let mut workspace_links = Vec::new();
        for (cname, mut cprops, manual) in connections {
            let target = cprops
                .get("privateLinkServiceId")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let groups: Vec<String> = cprops
                .get("groupIds")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect();
            let state = if manual {
                json!({"status": "Pending", "description": cprops.get("requestMessage").and_then(Value::as_str).unwrap_or("Awaiting approval"), "actionsRequired": "None"})
            } else {
                json!({"status": "Approved", "description": "Auto-Approved", "actionsRequired": "None"})
            };
            cprops.insert("privateLinkServiceConnectionState".into(), state.clone());
            cprops.insert("provisioningState".into(), Value::from("Succeeded"));
            rendered[usize::from(manual)].push(json!({
                "name": cname,
                "id": format!("{id}/{}/{cname}", CONNECTION_FIELDS[usize::from(manual)]),
                "etag": etag(),
                "type": format!("{PE_TYPE}/{}", CONNECTION_FIELDS[usize::from(manual)]),
                "properties": Value::Object(cprops),
            }));
            dns_configs.extend(self.dns_configs_for(&target, &groups, &subnet_id, &prefix));
            if self.get(&target).is_some_and(|w| w.kind == Kind::Workspace) {
                workspace_links.push((target, state, String::new()));
            } else if self
                .get(&target)
                .is_some_and(|r| super::Associated::of_kind(r.kind).is_some())
            {
                let group = groups.first().cloned().unwrap_or_default();
                workspace_links.push((target, state, group));
            } else if self
                .get(&target)
                .is_some_and(|r| r.kind == Kind::PrivateLinkScope)
            {
                workspace_links.push((
                    target,
                    state,
                    super::private_link_scope::SCOPE_GROUP_ID.to_string(),
                ));
            }
        }
        let nic_id = format!(
            "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/networkInterfaces/{name}.nic.{}",
            uuid::Uuid::new_v4()
        );
        let mut out_props = json!({
            "provisioningState": "Updating",
            "resourceGuid": uuid::Uuid::new_v4().to_string(),
            "privateLinkServiceConnections": rendered[0],
            "manualPrivateLinkServiceConnections": rendered[1],
            "subnet": {"id": subnet_id},
            "networkInterfaces": [{"id": nic_id}],
            "customDnsConfigs": dns_configs,
            "applicationSecurityGroups": props.get("applicationSecurityGroups").cloned().unwrap_or_else(|| json!([])),
            "ipConfigurations": props.get("ipConfigurations").cloned().unwrap_or_else(|| json!([])),
            "ipVersionType": props.get("ipVersionType").cloned().unwrap_or_else(|| json!("IPv4")),
        });
        if let Some(nic_name) = props.get("customNetworkInterfaceName") {
            out_props["customNetworkInterfaceName"] = nic_name.clone();
        }
        let mut stored = json!({
            "name": name,
            "id": id,
            "etag": etag(),
            "type": PE_TYPE,
            "location": location,
            "tags": obj.get("tags").filter(|t| t.is_object()).cloned().unwrap_or_else(|| json!({})),
            "properties": out_props,
        });
        if let Some(ext) = obj.get("extendedLocation") {
            stored["extendedLocation"] = ext.clone();
        }
        self.insert(Resource {
            id: id.clone(),
            kind: Kind::PrivateEndpoint,
            body: stored,
            op: None,
            keys: None,
        });
        self.record(&id, "created", &ctx.actor, ctx.now);
        for (target, state, group) in workspace_links {
            if group.is_empty() {
                self.add_workspace_connection(ctx, &target, &id, name, state);
            } else if group == super::private_link_scope::SCOPE_GROUP_ID {
                self.add_scope_connection(ctx, &target, &id, name, state);
            } else {
                self.add_associated_connection(ctx, &target, &id, name, &group, state);
            }
        }
        let links = self.start_operation(
            ctx,
            NewOperation {
                resource_id: id.clone(),
                kind: OperationKind::PrivateEndpointPut,
                style: OperationUrlStyle::Network,
                effect: Effect::Provision,
                result: OpResult::Resource,
                location,
                links: LinkSet::ASYNC_NETWORK,
            },
        );
        Ok(Answer {
            status: StatusCode::CREATED,
            body: self.render_by_id(&id),
            lro: Some(links),
        })
    }

    fn add_workspace_connection(
        &mut self,
        ctx: &Ctx,
        ws_id: &str,
        pe_id: &str,
        pe_name: &str,
        state: Value,
    ) {
        let conn_name = format!("{pe_name}.{}", uuid::Uuid::new_v4());
        let conn_id = format!("{ws_id}/privateEndpointConnections/{conn_name}");
        let subnet = self
            .get(pe_id)
            .and_then(|p| p.body.pointer("/properties/subnet/id").cloned())
            .unwrap_or(Value::Null);
        let location = self
            .get(ws_id)
            .map(|w| w.body["location"].clone())
            .unwrap_or(Value::Null);
        self.insert(Resource {
            id: conn_id.clone(),
            kind: Kind::WorkspaceConnection,
            body: json!({
                "id": conn_id,
                "name": conn_name,
                "type": "Microsoft.MachineLearningServices/workspaces/privateEndpointConnections",
                "location": location,
                "properties": {
                    "privateEndpoint": {"id": pe_id, "subnetArmId": subnet},
                    "privateLinkServiceConnectionState": state,
                    "provisioningState": "Succeeded",
                    "groupIds": ["amlworkspace"],
                },
            }),
            op: None,
            keys: None,
        });
        self.record(&conn_id, "created", &ctx.actor, ctx.now);
        self.record(ws_id, "updated", &ctx.actor, ctx.now);
    }

    /// Mirror a workspace-side connection state onto the private endpoint's connection.
    pub(super) fn set_pe_connection_status(
        &mut self,
        pe_id: &str,
        ws_id: &str,
        status: &str,
        description: &str,
        actor: &str,
        now: Timestamp,
    ) {
        let Some(pe) = self.get_mut(pe_id) else {
            return;
        };
        let mut changed = false;
        for field in CONNECTION_FIELDS {
            if let Some(list) = pe
                .body
                .pointer_mut(&format!("/properties/{field}"))
                .and_then(Value::as_array_mut)
            {
                for c in list {
                    let targets_ws = c
                        .pointer("/properties/privateLinkServiceId")
                        .and_then(Value::as_str)
                        .is_some_and(|t| t.eq_ignore_ascii_case(ws_id));
                    if targets_ws {
                        c["properties"]["privateLinkServiceConnectionState"] = json!({"status": status, "description": description, "actionsRequired": "None"});
                        changed = true;
                    }
                }
            }
        }
        if changed {
            self.record(pe_id, "updated", actor, now);
        }
    }

    /// A private endpoint is going away: its workspace (and associated resources') connections
    /// go too.
    pub(super) fn detach_private_endpoint(&mut self, pe: &Resource, time: Timestamp, actor: &str) {
        for c in self.linked_connections_of(&pe.id) {
            self.store.remove(&key(&c));
            self.record(&c, "deleted", actor, time);
            if let Some(parent) = path::parent(&c) {
                self.record(&parent, "updated", actor, time);
            }
        }
        let connections: Vec<String> = self
            .store
            .values()
            .filter(|r| r.kind == Kind::WorkspaceConnection)
            .filter(|r| {
                r.body
                    .pointer("/properties/privateEndpoint/id")
                    .and_then(Value::as_str)
                    .is_some_and(|p| p.eq_ignore_ascii_case(&pe.id))
            })
            .map(|r| r.id.clone())
            .collect();
        for c in connections {
            self.store.remove(&key(&c));
            self.record(&c, "deleted", actor, time);
            if let Some(ws) = path::parent(&c) {
                self.record(&ws, "updated", actor, time);
            }
        }
    }

    /// DELETE a private endpoint: 202 + Location + Azure-AsyncOperation; 204 when absent.
    pub fn delete_private_endpoint(
        &mut self,
        ctx: &Ctx,
        sub: &str,
        rg: &str,
        name: &str,
    ) -> Result<Answer, ArmError> {
        self.require_resource_group(sub, rg)?;
        let id = Self::pe_id(sub, rg, name);
        let Some(existing) = self.get(&id).cloned() else {
            return Ok(Answer::status(StatusCode::NO_CONTENT));
        };
        self.start_delete(
            ctx,
            &existing,
            OperationKind::PrivateEndpointDelete,
            OperationUrlStyle::Network,
            "Deleting",
        )
    }

    /// Common DELETE: mark Deleting and start the operation.
    pub(super) fn start_delete(
        &mut self,
        ctx: &Ctx,
        existing: &Resource,
        kind: OperationKind,
        style: OperationUrlStyle,
        state: &str,
    ) -> Result<Answer, ArmError> {
        if let Some(op) = existing.op.as_deref() {
            if super::provisioning_state(&existing.body) == state {
                let links = self.links_of(op, LinkSet::BOTH, ctx.instant);
                return Ok(Answer {
                    status: StatusCode::ACCEPTED,
                    body: None,
                    lro: links,
                });
            }
            if is_busy(&existing.body) {
                return Err(ArmError::new(
                    StatusCode::CONFLICT,
                    "AnotherOperationInProgress",
                    format!("Another operation on '{}' is in progress.", existing.id),
                ));
            }
        }
        if let Some(r) = self.get_mut(&existing.id) {
            super::set_provisioning_state(&mut r.body, state);
        }
        self.record(&existing.id, "updated", &ctx.actor, ctx.now);
        let location = existing.body["location"].as_str().map_or_else(
            || {
                self.get(&path::parent(&existing.id).unwrap_or_default())
                    .and_then(|p| p.body["location"].as_str().map(str::to_string))
                    .unwrap_or_else(|| "global".into())
            },
            str::to_string,
        );
        let links = self.start_operation(
            ctx,
            NewOperation {
                resource_id: existing.id.clone(),
                kind,
                style,
                effect: Effect::Delete,
                result: OpResult::NoContent,
                location,
                links: LinkSet::BOTH,
            },
        );
        Ok(Answer {
            status: StatusCode::ACCEPTED,
            body: None,
            lro: Some(links),
        })
    }
}

impl LinkSet {
    /// Network PUTs answer with Azure-AsyncOperation and Retry-After, no Location.
    pub const ASYNC_NETWORK: Self = Self {
        azure_async: true,
        location: false,
        timeout: false,
    };
}
