//! Microsoft.Network: private endpoints (+ privateDnsZoneGroups) and read access to seeded
//! virtual networks and subnets.
//!
//! A private endpoint whose `privateLinkServiceConnections` target an ML workspace creates the
//! workspace's privateEndpointConnection, `Approved` (auto-approval) — or `Pending` when it uses
//! `manualPrivateLinkServiceConnections` or the workspace requires approval. The endpoint gets a
//! NIC, private IPs from its subnet and `customDnsConfigs` for the workspace FQDNs. A DNS zone
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
use crate::config::OperationKind;
use crate::wire::ArmError;
use crate::wire::lro_headers::OperationUrlStyle;
use crate::wire::path::{self, key};

const PE_TYPE: &str = "Microsoft.Network/privateEndpoints";
const CONNECTION_FIELDS: [&str; 2] = [
    "privateLinkServiceConnections",
    "manualPrivateLinkServiceConnections",
];
/// Public DNS suffixes whose `privatelink.` zones hold a private endpoint's records.
const KNOWN_SUFFIXES: &[&str] = &[
    "api.azureml.ms",
    "notebooks.azure.net",
    "instances.azureml.ms",
];

fn invalid_reference(id: &str, referrer: &str) -> ArmError {
    ArmError::bad_request(
        "InvalidResourceReference",
        format!(
            "Resource {id} referenced by resource {referrer} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region."
        ),
    )
}

/// Split an FQDN into (record name, zone suffix) for a zone: `privatelink.<suffix>` zones take
/// FQDNs ending in `.<suffix>`; other zones take the FQDN's first label (as Azure does for
/// zones that do not match the service).
fn record_for(fqdn: &str, zone: &str) -> Option<String> {
    let zone = zone.to_ascii_lowercase();
    let fqdn_l = fqdn.to_ascii_lowercase();
    if let Some(suffix) = zone.strip_prefix("privatelink.") {
        return fqdn_l
            .strip_suffix(&format!(".{suffix}"))
            .map(str::to_string);
    }
    if KNOWN_SUFFIXES
        .iter()
        .any(|s| fqdn_l.ends_with(&format!(".{s}")))
    {
        return None;
    }
    fqdn_l.split('.').next().map(str::to_string)
}

impl World {
    fn pe_id(sub: &str, rg: &str, name: &str) -> String {
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
    pub fn put_private_endpoint(
        &mut self,
        ctx: &Ctx,
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
            let requires_approval = manual
                || self.get(&target).is_some_and(|w| {
                    w.body
                        .pointer("/properties/privateEndpointConnectionsRequireApproval")
                        .and_then(Value::as_bool)
                        .unwrap_or(false)
                });
            let state = if requires_approval {
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
                workspace_links.push((target, state));
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
        for (ws_id, state) in workspace_links {
            self.add_workspace_connection(ctx, &ws_id, &id, name, state);
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

    /// A private endpoint is going away: its workspace connections go too.
    pub(super) fn detach_private_endpoint(&mut self, pe: &Resource, time: Timestamp, actor: &str) {
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

    fn group_id(sub: &str, rg: &str, pe: &str, group: &str) -> String {
        format!("{}/privateDnsZoneGroups/{group}", Self::pe_id(sub, rg, pe))
    }

    /// PUT a private DNS zone group: 201/200 + Azure-AsyncOperation; records appear when done.
    pub fn put_zone_group(
        &mut self,
        ctx: &Ctx,
        sub: &str,
        rg: &str,
        pe: &str,
        group: &str,
        body: &Value,
    ) -> Result<Answer, ArmError> {
        body_object(body)?;
        let pe_res = self.require(&Self::pe_id(sub, rg, pe))?.clone();
        if pe_res.op.is_some() && is_busy(&pe_res.body) {
            return Err(ArmError::new(
                StatusCode::CONFLICT,
                "AnotherOperationInProgress",
                format!("Private endpoint '{pe}' has an operation in progress."),
            ));
        }
        let id = Self::group_id(sub, rg, pe, group);
        if let Some(other) = self
            .children(&pe_res.id, "privateDnsZoneGroups")
            .iter()
            .find(|g| !g.id.eq_ignore_ascii_case(&id))
        {
            return Err(ArmError::bad_request(
                "OnlyOnePrivateDnsZoneGroupAllowedPerPrivateEndpoint",
                format!(
                    "Private endpoint {} already has private DNS zone group {}; only one is allowed.",
                    pe_res.id, other.id
                ),
            ));
        }
        let configs = body
            .pointer("/properties/privateDnsZoneConfigs")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if configs.is_empty() || configs.len() > 5 {
            return Err(ArmError::bad_request(
                "InvalidPrivateDnsZoneConfigs",
                "A private DNS zone group needs 1 to 5 privateDnsZoneConfigs.",
            ));
        }
        let mut rendered = Vec::new();
        for (i, c) in configs.iter().enumerate() {
            let zone_id = c
                .pointer("/properties/privateDnsZoneId")
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    ArmError::bad_request(
                        "InvalidRequestFormat",
                        format!(
                            "privateDnsZoneConfigs[{i}].properties.privateDnsZoneId is required."
                        ),
                    )
                })?;
            let zone = self
                .get(zone_id)
                .filter(|z| z.kind == Kind::PrivateDnsZone)
                .ok_or_else(|| invalid_reference(zone_id, &id))?;
            let zone_name = zone.body["name"].as_str().unwrap_or_default().to_string();
            rendered.push(json!({
                "name": c.get("name").and_then(Value::as_str).map_or_else(|| zone_name.replace('.', "-"), str::to_string),
                "properties": {"privateDnsZoneId": zone.id, "recordSets": []},
            }));
        }
        let existed = self.get(&id).is_some();
        if existed {
            self.remove_group_records(&id, ctx.now, &ctx.actor);
        }
        let stored = json!({
            "name": group,
            "id": id,
            "etag": etag(),
            "properties": {"provisioningState": "Updating", "privateDnsZoneConfigs": rendered},
        });
        self.insert(Resource {
            id: id.clone(),
            kind: Kind::DnsZoneGroup,
            body: stored,
            op: None,
            keys: None,
        });
        self.record(
            &id,
            if existed { "updated" } else { "created" },
            &ctx.actor,
            ctx.now,
        );
        let location = pe_res.body["location"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let links = self.start_operation(
            ctx,
            NewOperation {
                resource_id: id.clone(),
                kind: OperationKind::DnsZoneGroupPut,
                style: OperationUrlStyle::Network,
                effect: Effect::Provision,
                result: OpResult::Resource,
                location,
                links: LinkSet::ASYNC_NETWORK,
            },
        );
        Ok(Answer {
            status: if existed {
                StatusCode::OK
            } else {
                StatusCode::CREATED
            },
            body: self.render_by_id(&id),
            lro: Some(links),
        })
    }

    pub fn list_zone_groups(&self, sub: &str, rg: &str, pe: &str) -> Result<Vec<Value>, ArmError> {
        let pe_id = self.require(&Self::pe_id(sub, rg, pe))?.id.clone();
        Ok(self.list(&pe_id, "privateDnsZoneGroups"))
    }

    pub fn delete_zone_group(
        &mut self,
        ctx: &Ctx,
        sub: &str,
        rg: &str,
        pe: &str,
        group: &str,
    ) -> Result<Answer, ArmError> {
        self.require(&Self::pe_id(sub, rg, pe))?;
        let Some(existing) = self.get(&Self::group_id(sub, rg, pe, group)).cloned() else {
            return Ok(Answer::status(StatusCode::NO_CONTENT));
        };
        self.start_delete(
            ctx,
            &existing,
            OperationKind::DnsZoneGroupDelete,
            OperationUrlStyle::Network,
            "Deleting",
        )
    }

    /// Write the A records of a zone group into its zones (on provisioning).
    pub(super) fn write_group_records(&mut self, group_id: &str, time: Timestamp) {
        let Some(pe_id) = path::parent(group_id) else {
            return;
        };
        let dns_configs = self
            .get(&pe_id)
            .and_then(|p| {
                p.body
                    .pointer("/properties/customDnsConfigs")
                    .and_then(Value::as_array)
                    .cloned()
            })
            .unwrap_or_default();
        let configs = self
            .get(group_id)
            .and_then(|g| {
                g.body
                    .pointer("/properties/privateDnsZoneConfigs")
                    .and_then(Value::as_array)
                    .cloned()
            })
            .unwrap_or_default();
        let mut written = Vec::new();
        let mut new_configs = Vec::new();
        for mut config in configs {
            let zone_id = config
                .pointer("/properties/privateDnsZoneId")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let Some(zone_name) = self
                .get(&zone_id)
                .map(|z| z.body["name"].as_str().unwrap_or_default().to_string())
            else {
                new_configs.push(config);
                continue;
            };
            let mut record_sets = Vec::new();
            for dns in &dns_configs {
                let fqdn = dns["fqdn"].as_str().unwrap_or_default();
                let Some(record) = record_for(fqdn, &zone_name) else {
                    continue;
                };
                let ips: Vec<Value> = dns["ipAddresses"].as_array().cloned().unwrap_or_default();
                let record_id = self.upsert_a_record(&zone_id, &record, &ips, time);
                written.push(key(&record_id));
                record_sets.push(json!({
                    "recordType": "A",
                    "recordSetName": record,
                    "fqdn": format!("{record}.{zone_name}"),
                    "provisioningState": "Succeeded",
                    "ttl": 10,
                    "ipAddresses": ips,
                }));
            }
            config["properties"]["recordSets"] = Value::Array(record_sets);
            new_configs.push(config);
        }
        if let Some(g) = self.get_mut(group_id) {
            g.body["properties"]["privateDnsZoneConfigs"] = Value::Array(new_configs);
        }
        self.group_records.insert(key(group_id), written);
    }

    /// Remove the A records a zone group wrote.
    pub(super) fn remove_group_records(&mut self, group_id: &str, time: Timestamp, actor: &str) {
        for record in self
            .group_records
            .remove(&key(group_id))
            .unwrap_or_default()
        {
            if let Some(r) = self.store.remove(&record) {
                self.record(&r.id, "deleted", actor, time);
                if let Some(zone) = path::parent(&r.id) {
                    self.record(&zone, "updated", actor, time);
                }
            }
        }
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

#[cfg(test)]
mod tests {
    use super::record_for;

    #[test]
    fn records_follow_the_zone() {
        assert_eq!(
            record_for(
                "abc.workspace.westeurope.api.azureml.ms",
                "privatelink.api.azureml.ms"
            )
            .as_deref(),
            Some("abc.workspace.westeurope")
        );
        assert_eq!(
            record_for(
                "abc.workspace.westeurope.api.azureml.ms",
                "privatelink.notebooks.azure.net"
            ),
            None
        );
        assert_eq!(
            record_for("abc.workspace.westeurope.api.azureml.ms", "zone1.com"),
            None
        );
        assert_eq!(
            record_for("abc.cosmos.com", "zone1.com").as_deref(),
            Some("abc")
        );
    }
}
