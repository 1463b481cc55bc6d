//! Azure Monitor Private Link Scopes (AMPLS) and their scoped resources: the hub's private path
//! for Application Insights (and Log Analytics).
//!
//! Shapes, per Microsoft's REST spec (Azure/azure-rest-api-specs, MIT):
//! `specification/monitor/resource-manager/Microsoft.Insights/preview/2021-07-01-preview/privateLinkScopes_API.json`:
//! - `Microsoft.Insights/privateLinkScopes/{scopeName}` (`AzureMonitorPrivateLinkScope`):
//!   `location`, `tags`, `properties.provisioningState`, `properties.privateEndpointConnections[]`
//!   (read-only; each with `properties.privateEndpoint.id` and
//!   `properties.privateLinkServiceConnectionState.{status, description}`). The emulator serves
//!   GET only: scopes are seeded, as the hub team made them.
//! - `.../scopedResources/{name}` (`ScopedResource`, a proxy resource):
//!   `properties.linkedResourceId`, `properties.provisioningState` (read-only). PUT
//!   (`PrivateLinkScopedResources_CreateOrUpdate`: 200, 201 or 202, long-running), GET, DELETE
//!   (`PrivateLinkScopedResources_Delete`: 200, 202, or 204 when absent) and the list. The
//!   emulator answers a PUT 201 (created) or 200 (updated) with `provisioningState` Succeeded and
//!   a DELETE 200, synchronously (documented answers, the shortest ones).
//! - `accessModeSettings` (`ingestionAccessMode` / `queryAccessMode`, `Open|PrivateOnly`) is in
//!   later versions of the spec (not in this 2021-07-01-preview file) and on Microsoft Learn,
//!   "Configure your private link" (access modes); the emulator stores the seeded values and
//!   returns them, and nothing depends on them.
//!
//! Service rules the emulator enforces:
//! - A scoped resource links an existing resource that Azure Monitor private link supports:
//!   Application Insights components and Log Analytics workspaces (Microsoft Learn, "Use Azure
//!   Private Link to connect networks to Azure Monitor": an AMPLS connects "Log Analytics
//!   workspaces and Application Insights components"). A missing or other resource is refused
//!   with 400; Azure's code and wording for that refusal were not found, so
//!   `LinkedResourceNotFound` / `LinkedResourceNotSupported` and their messages are the
//!   emulator's own.
//! - `linkedResourceId` is required (it is the only writable property of `ScopedResource`).
//! - A private endpoint to a scope uses the group id `azuremonitor` (Microsoft Learn,
//!   "Configure your private link", "Connect to a private endpoint": sub-resource
//!   `azuremonitor`).
//!
//! Not verified (no source found): whether Azure refuses a second scoped resource linking the
//! same component in one scope (the emulator accepts it), whether a component already linked
//! to another scope can be linked again (accepted), the limit on scoped resource names (the
//! emulator accepts 1-260 characters without `/`), and the exact shape of a component's
//! read-only `PrivateLinkScopedResources` (`components_API.json` 2020-02-02:
//! `{ResourceId, ScopeId}`; the emulator fills `ResourceId` with the scoped resource's id and
//! `ScopeId` with the scope's id).

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::render::system_data;
use super::validation::body_object;
use super::{Answer, Ctx, Kind, Resource, World};
use crate::wire::ArmError;
use crate::wire::path::{self, key};

/// `Microsoft.Insights/privateLinkScopes`.
pub(crate) const SCOPE_TYPE: &str = "Microsoft.Insights/privateLinkScopes";
const SCOPED_TYPE: &str = "Microsoft.Insights/privateLinkScopes/scopedResources";
/// The group id of a private endpoint to a scope.
pub(crate) const SCOPE_GROUP_ID: &str = "azuremonitor";

/// The resource types a scoped resource may link (see the module docs).
const LINKABLE: [&str; 2] = [
    "Microsoft.Insights/components",
    "Microsoft.OperationalInsights/workspaces",
];

impl World {
    /// Seed an AMPLS (as the hub team made it) unless it exists or its resource group is not
    /// in the seed.
    pub(super) fn seed_private_link_scope(
        &mut self,
        ctx: &Ctx,
        sub: &str,
        rg: &str,
        name: &str,
        ingestion: &str,
        query: &str,
    ) -> Result<(), String> {
        let mode = |v: &str, field: &str| {
            ["Open", "PrivateOnly"]
                .into_iter()
                .find(|m| m.eq_ignore_ascii_case(v))
                .ok_or_else(|| {
                    format!("private link scope {name}: {field} '{v}': one of Open, PrivateOnly")
                })
        };
        let (ingestion, query) = (
            mode(ingestion, "ingestionAccessMode")?,
            mode(query, "queryAccessMode")?,
        );
        if name.trim().is_empty() {
            return Err("a private link scope has an empty name".into());
        }
        let id = format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/{SCOPE_TYPE}/{name}");
        if self.get(&id).is_some() || self.require_resource_group(sub, rg).is_err() {
            return Ok(());
        }
        self.insert(Resource {
            id: id.clone(),
            kind: Kind::PrivateLinkScope,
            body: json!({
                "id": id,
                "name": name,
                "type": SCOPE_TYPE,
                "location": "global",
                "tags": {},
                "systemData": system_data("seed", ctx.now),
                "properties": {
                    "provisioningState": "Succeeded",
                    "accessModeSettings": {
                        "ingestionAccessMode": ingestion,
                        "queryAccessMode": query,
                        "exclusions": [],
                    },
                },
            }),
            op: None,
            keys: None,
        });
        self.record(&id, "created", &ctx.actor, ctx.now);
        Ok(())
    }

    fn require_scope(&self, id: &str) -> Result<&Resource, ArmError> {
        let r = self.require(id)?;
        if r.kind == Kind::PrivateLinkScope {
            Ok(r)
        } else {
            Err(ArmError::not_found(
                SCOPE_TYPE,
                path::name_of(id),
                path::resource_group_of(id),
            ))
        }
    }

    /// The scope as GET answers it: with its private endpoint connections.
    fn render_scope(&self, scope: &Resource) -> Value {
        let mut body = scope.body.clone();
        let connections: Vec<Value> = self
            .children(&scope.id, "privateEndpointConnections")
            .iter()
            .map(|c| c.body.clone())
            .collect();
        if let Some(props) = body.get_mut("properties").and_then(Value::as_object_mut) {
            props.insert(
                "privateEndpointConnections".into(),
                Value::Array(connections),
            );
        }
        body
    }

    /// GET of a scope.
    pub fn get_private_link_scope(&self, id: &str) -> Result<Answer, ArmError> {
        let scope = self.require_scope(id)?;
        Ok(Answer::ok(self.render_scope(scope)))
    }

    /// GET of a scoped resource.
    pub fn get_scoped_resource(&self, scope_id: &str, name: &str) -> Result<Answer, ArmError> {
        let scope = self.require_scope(scope_id)?;
        let id = format!("{}/scopedResources/{name}", scope.id);
        self.get(&id)
            .map(|r| Answer::ok(r.body.clone()))
            .ok_or_else(|| {
                ArmError::not_found(SCOPED_TYPE, name, path::resource_group_of(scope_id))
            })
    }

    /// The list of a scope's scoped resources.
    pub fn list_scoped_resources(&self, scope_id: &str) -> Result<Answer, ArmError> {
        let scope = self.require_scope(scope_id)?;
        let value: Vec<Value> = self
            .children(&scope.id, "scopedResources")
            .iter()
            .map(|r| r.body.clone())
            .collect();
        Ok(Answer::ok(json!({ "value": value })))
    }

    /// PUT of a scoped resource (see the module docs for the rules).
    pub fn put_scoped_resource(
        &mut self,
        ctx: &Ctx,
        scope_id: &str,
        name: &str,
        body: &Value,
    ) -> Result<Answer, ArmError> {
        let scope = self.require_scope(scope_id)?.id.clone();
        if name.is_empty() || name.len() > 260 || name.contains('/') {
            return Err(ArmError::bad_argument(
                "name",
                format!("The scoped resource name '{name}' is not valid."),
            ));
        }
        let obj = body_object(body)?;
        let linked = obj
            .get("properties")
            .and_then(|p| p.get("linkedResourceId"))
            .and_then(Value::as_str)
            .filter(|l| !l.trim().is_empty())
            .ok_or_else(|| {
                ArmError::bad_argument(
                    "properties.linkedResourceId",
                    "The property 'properties.linkedResourceId' is required.",
                )
            })?
            .to_string();
        let linked_type = path::resource_type_of(&linked);
        if !LINKABLE
            .iter()
            .any(|t| t.eq_ignore_ascii_case(&linked_type))
        {
            return Err(ArmError::bad_request(
                "LinkedResourceNotSupported",
                format!(
                    "Resource '{linked}' of type '{linked_type}' cannot be linked to an Azure Monitor private link scope; link an Application Insights component or a Log Analytics workspace."
                ),
            ));
        }
        let Some(target) = self.get(&linked).map(|r| r.id.clone()) else {
            return Err(ArmError::bad_request(
                "LinkedResourceNotFound",
                format!("The linked resource '{linked}' was not found."),
            ));
        };
        let id = format!("{scope}/scopedResources/{name}");
        let created = self.get(&id).is_none();
        let mut props = Map::new();
        props.insert("linkedResourceId".into(), Value::from(target.clone()));
        props.insert("provisioningState".into(), Value::from("Succeeded"));
        self.insert(Resource {
            id: id.clone(),
            kind: Kind::ScopedResource,
            body: json!({
                "id": id,
                "name": name,
                "type": SCOPED_TYPE,
                "systemData": system_data(&ctx.actor, ctx.now),
                "properties": Value::Object(props),
            }),
            op: None,
            keys: None,
        });
        self.record(
            &id,
            if created { "created" } else { "updated" },
            &ctx.actor,
            ctx.now,
        );
        self.record(&target, "updated", &ctx.actor, ctx.now);
        let body = self.get(&id).map(|r| r.body.clone());
        Ok(Answer {
            status: if created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            },
            body,
            lro: None,
        })
    }

    /// DELETE of a scoped resource: 200, or 204 when absent.
    pub fn delete_scoped_resource(
        &mut self,
        ctx: &Ctx,
        scope_id: &str,
        name: &str,
    ) -> Result<Answer, ArmError> {
        let scope = self.require_scope(scope_id)?.id.clone();
        let id = format!("{scope}/scopedResources/{name}");
        let Some(existing) = self.store.remove(&key(&id)) else {
            return Ok(Answer::status(StatusCode::NO_CONTENT));
        };
        self.record(&existing.id, "deleted", &ctx.actor, ctx.now);
        if let Some(linked) = existing
            .body
            .pointer("/properties/linkedResourceId")
            .and_then(Value::as_str)
        {
            self.record(linked, "updated", &ctx.actor, ctx.now);
        }
        Ok(Answer::status(StatusCode::OK))
    }

    /// A component's read-only `PrivateLinkScopedResources`: the scoped resources linking it.
    pub(super) fn scoped_links_of(&self, resource_id: &str) -> Vec<Value> {
        self.store
            .values()
            .filter(|r| r.kind == Kind::ScopedResource)
            .filter(|r| {
                r.body
                    .pointer("/properties/linkedResourceId")
                    .and_then(Value::as_str)
                    .is_some_and(|l| l.eq_ignore_ascii_case(resource_id))
            })
            .map(|r| {
                json!({
                    "ResourceId": r.id,
                    "ScopeId": path::parent(&r.id).unwrap_or_default(),
                })
            })
            .collect()
    }

    /// Check a private endpoint's connection to a scope before anything is created: the scope
    /// exists and the group id is `azuremonitor`. `Ok(false)` when `target` is not a scope.
    pub(super) fn check_scope_target(
        &self,
        target: &str,
        groups: &[String],
    ) -> Result<bool, ArmError> {
        if !path::resource_type_of(target).eq_ignore_ascii_case(SCOPE_TYPE) {
            return Ok(false);
        }
        if self
            .get(target)
            .is_none_or(|r| r.kind != Kind::PrivateLinkScope)
        {
            return Err(ArmError::bad_request(
                "PrivateLinkServiceNotFound",
                format!("Private link service {target} was not found."),
            ));
        }
        if groups.len() != 1 || !groups[0].eq_ignore_ascii_case(SCOPE_GROUP_ID) {
            return Err(ArmError::bad_request(
                "InvalidGroupIds",
                format!(
                    "Group ids {groups:?} are not valid for {target}; it offers [\"{SCOPE_GROUP_ID}\"]."
                ),
            ));
        }
        Ok(true)
    }

    /// A private endpoint connected to a scope: its connection child (removed with the
    /// endpoint, as the other linked connections are).
    pub(super) fn add_scope_connection(
        &mut self,
        ctx: &Ctx,
        target: &str,
        pe_id: &str,
        pe_name: &str,
        state: Value,
    ) {
        let Some(scope) = self
            .get(target)
            .filter(|r| r.kind == Kind::PrivateLinkScope)
            .map(|r| r.id.clone())
        else {
            return;
        };
        let conn_name = format!("{pe_name}.{}", uuid::Uuid::new_v4());
        let conn_id = format!("{scope}/privateEndpointConnections/{conn_name}");
        self.insert(Resource {
            id: conn_id.clone(),
            kind: Kind::LinkedConnection,
            body: json!({
                "id": conn_id,
                "name": conn_name,
                "type": format!("{SCOPE_TYPE}/privateEndpointConnections"),
                "properties": {
                    "privateEndpoint": {"id": pe_id},
                    "privateLinkServiceConnectionState": state,
                    "provisioningState": "Succeeded",
                },
            }),
            op: None,
            keys: None,
        });
        self.record(&conn_id, "created", &ctx.actor, ctx.now);
        self.record(&scope, "updated", &ctx.actor, ctx.now);
    }
}
