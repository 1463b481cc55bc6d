//! Managed online endpoints: PUT (201 + Azure-AsyncOperation + x-ms-async-operation-timeout for
//! a create, a bare 200 for an update), PATCH (tags/identity; 202 + Location), GET, list,
//! DELETE (202 + Location; takes its deployments with it), listKeys, regenerateKeys (202),
//! token.
//!
//! Wire shapes from the 2025-12-01 spec, `mfe.json` in Azure/azure-rest-api-specs
//! (`specification/machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable/2025-12-01/mfe.json`,
//! commit 5485d5f8; not copied into testdata): `OnlineEndpoints_CreateOrUpdate` declares headers
//! only on its 201, `OnlineEndpoints_RegenerateKeys` a 202 with `Location` and `Retry-After`
//! (`final-state-via: location`), and `EndpointPropertiesBase.keys` is `x-ms-mutability:
//! [create]`, "always returned as null".
//!
//! Service rules: name shape; names unique per region; authMode and publicNetworkAccess enums;
//! location equal to the workspace's and immutable; traffic values 0–100 summing to 0 or 100,
//! mirror traffic to at most one deployment and ≤ 50, and every named deployment existing and
//! Succeeded; 409 while an operation runs on the endpoint.

#![allow(clippy::too_many_arguments)] // ARM paths carry up to five names besides the context and body.

use axum::http::StatusCode;
use base64::Engine;
use serde_json::{Map, Value, json};

use super::operations::{Effect, LinkSet, NewOperation, OpResult};
use super::render::{system_data, touch};
use super::validation::{
    body_object, canonical_enum, check_ml_name, check_tags, normalize_enum, render_identity,
    required_location, same_region, traffic_map, traffic_sum,
};
use super::{
    Answer, Ctx, Kind, Resource, World, is_busy, provisioning_state, set_provisioning_state,
};
use crate::config::OperationKind;
use crate::wire::ArmError;
use crate::wire::lro_headers::OperationUrlStyle;

const AUTH_MODES: &[&str] = &["Key", "AMLToken", "AADToken"];
const PUBLIC_ACCESS: &[&str] = &["Enabled", "Disabled"];
const ENDPOINT_TYPE: &str = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints";

/// A fresh endpoint key.
pub(crate) fn new_key() -> String {
    let bytes: [u8; 24] = rand::random();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Properties a client may set on an endpoint (the rest are server-managed).
const ENDPOINT_WRITABLE: &[&str] = &[
    "description",
    "properties",
    "authMode",
    "compute",
    "traffic",
    "mirrorTraffic",
    "publicNetworkAccess",
];

impl World {
    pub(super) fn endpoint_id(sub: &str, rg: &str, ws: &str, ep: &str) -> String {
        format!(
            "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{ws}/onlineEndpoints/{ep}"
        )
    }

    pub(super) fn require_endpoint(
        &self,
        sub: &str,
        rg: &str,
        ws: &str,
        ep: &str,
    ) -> Result<&Resource, ArmError> {
        self.require_workspace(sub, rg, ws)?;
        self.require(&Self::endpoint_id(sub, rg, ws, ep))
    }

    /// Check traffic and mirror traffic against this endpoint's deployments.
    fn check_traffic(
        &self,
        endpoint_id: &str,
        props: &mut Map<String, Value>,
    ) -> Result<(), ArmError> {
        let traffic = traffic_map("properties.traffic", props.get("traffic"), 100)?;
        let mirror = traffic_map("properties.mirrorTraffic", props.get("mirrorTraffic"), 50)?;
        let sum = traffic_sum(&traffic);
        if !traffic.is_empty() && sum != 0 && sum != 100 {
            return Err(ArmError::bad_argument(
                "properties.traffic",
                format!("Traffic values must sum to 100 (or all be 0); they sum to {sum}."),
            ));
        }
        // Mirroring goes to one deployment: Microsoft Learn, "Safe rollout for online
        // endpoints" (how-to-safely-rollout-online-endpoints), limitations of mirroring: "You can
        // mirror traffic to only one deployment in an endpoint"; the online endpoint YAML
        // reference (reference-yaml-endpoint-online) has mirror_traffic as "a dictionary with a
        // single key-value pair". Entries at 0 mirror nothing and are let through. Azure's exact
        // error code and message for this are not documented; a 400 BadArgument like the other
        // traffic rules is the emulator's rendering.
        let mirrored: Vec<&String> = mirror
            .iter()
            .filter(|(_, percent)| percent.as_i64().unwrap_or(0) > 0)
            .map(|(name, _)| name)
            .collect();
        if mirrored.len() > 1 {
            let names: Vec<&str> = mirrored.iter().map(|n| n.as_str()).collect();
            return Err(ArmError::bad_argument(
                "properties.mirrorTraffic",
                format!(
                    "Mirror traffic can go to only one deployment of an endpoint; it names {}.",
                    names.join(", ")
                ),
            ));
        }
        let mirror_sum = traffic_sum(&mirror);
        if mirror_sum > 50 {
            return Err(ArmError::bad_argument(
                "properties.mirrorTraffic",
                format!("Mirror traffic must not exceed 50 in total; it sums to {mirror_sum}."),
            ));
        }
        let deployments = self.children(endpoint_id, "deployments");
        let lookup = |name: &str| {
            deployments.iter().find(|d| {
                d.body["name"]
                    .as_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
            })
        };
        for (field, map) in [
            ("properties.traffic", &traffic),
            ("properties.mirrorTraffic", &mirror),
        ] {
            for name in map.keys() {
                match lookup(name) {
                    None => {
                        return Err(ArmError::bad_argument(
                            field,
                            format!(
                                "Deployment '{name}' named in {field} does not exist under this endpoint."
                            ),
                        ));
                    }
                    Some(d) if provisioning_state(&d.body) != "Succeeded" => {
                        return Err(ArmError::bad_argument(
                            field,
                            format!(
                                "Deployment '{name}' named in {field} is in state '{}'; traffic can only go to Succeeded deployments.",
                                provisioning_state(&d.body)
                            ),
                        ));
                    }
                    Some(_) => {}
                }
            }
        }
        for (name, percent) in &mirror {
            if percent.as_i64().unwrap_or(0) > 0
                && traffic
                    .iter()
                    .any(|(t, p)| t.eq_ignore_ascii_case(name) && p.as_i64().unwrap_or(0) > 0)
            {
                return Err(ArmError::bad_argument(
                    "properties.mirrorTraffic",
                    format!(
                        "Deployment '{name}' receives live traffic and cannot also receive mirrored traffic."
                    ),
                ));
            }
        }
        props.insert("traffic".into(), Value::Object(traffic));
        props.insert("mirrorTraffic".into(), Value::Object(mirror));
        Ok(())
    }

    /// PUT an endpoint.
    pub fn put_endpoint(
        &mut self,
        ctx: &Ctx,
        sub: &str,
        rg: &str,
        ws: &str,
        ep: &str,
        body: &Value,
    ) -> Result<Answer, ArmError> {
        let obj = body_object(body)?;
        let ws_res = self.require_workspace(sub, rg, ws)?;
        let ws_location = ws_res.body["location"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let ws_id = ws_res.id.clone();
        check_ml_name("Endpoint", ep)?;
        check_tags(&obj)?;
        let location = required_location(&obj)?;
        if !same_region(&location, &ws_location) {
            return Err(ArmError::bad_argument(
                "location",
                format!(
                    "The endpoint location '{location}' must match the workspace location '{ws_location}'."
                ),
            ));
        }
        let given = obj
            .get("properties")
            .and_then(Value::as_object)
            .ok_or_else(|| {
                ArmError::bad_argument("properties", "The 'properties' object is required.")
            })?;
        let mut props: Map<String, Value> = given
            .iter()
            .filter(|(k, _)| ENDPOINT_WRITABLE.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let auth = canonical_enum(
            "properties.authMode",
            props.get("authMode").unwrap_or(&Value::Null),
            AUTH_MODES,
        )?;
        props.insert("authMode".into(), Value::from(auth));
        normalize_enum(
            &mut props,
            "publicNetworkAccess",
            "properties.publicNetworkAccess",
            PUBLIC_ACCESS,
        )?;
        props
            .entry("publicNetworkAccess")
            .or_insert_with(|| Value::from("Enabled"));
        let id = Self::endpoint_id(sub, rg, ws, ep);
        self.check_traffic(&id, &mut props)?;
        let region = location.replace(' ', "").to_ascii_lowercase();
        let name_key = format!("{region}|{}", ep.to_ascii_lowercase());
        // `properties.keys`: "EndpointAuthKeys to set initially on an Endpoint. This property will
        // always be returned as null. AuthKey values must be retrieved using the ListKeys API."
        // (mfe.json 2025-12-01, EndpointPropertiesBase.keys, x-ms-mutability [create]). Only a
        // create takes them; they are never stored in the body, so no answer carries them (the
        // emulator leaves the member out rather than writing `null`: the examples' bodies have
        // no `keys` member, and a reader sees the same absent value). Whether Azure ignores or
        // refuses keys sent with an update is not documented; the emulator ignores them.
        let keys = given.get("keys").and_then(Value::as_object).map(|k| {
            (
                k.get("primaryKey")
                    .and_then(Value::as_str)
                    .map_or_else(new_key, str::to_string),
                k.get("secondaryKey")
                    .and_then(Value::as_str)
                    .map_or_else(new_key, str::to_string),
            )
        });

        if let Some(existing) = self.get(&id).cloned() {
            if is_busy(&existing.body) {
                return Err(ArmError::conflict(format!(
                    "Endpoint '{ep}' is in state '{}'; another operation is in progress. Retry when it completes.",
                    provisioning_state(&existing.body)
                )));
            }
            let old_location = existing.body["location"].as_str().unwrap_or_default();
            if !same_region(old_location, &location) {
                return Err(ArmError::bad_argument(
                    "location",
                    "The location of an existing endpoint cannot be changed.",
                ));
            }
            let mut stored = existing.body.clone();
            let stored_props = stored["properties"]
                .as_object_mut()
                .ok_or_else(|| ArmError::invalid_body("stored endpoint has no properties"))?;
            for field in ENDPOINT_WRITABLE {
                stored_props.remove(*field);
            }
            for (k, v) in props {
                stored_props.insert(k, v);
            }
            stored_props.insert("provisioningState".into(), Value::from("Updating"));
            if let Some(tags) = obj.get("tags").filter(|t| t.is_object()) {
                stored["tags"] = tags.clone();
            }
            if let Some(identity) = obj.get("identity").filter(|v| !v.is_null()) {
                stored["identity"] = render_identity(identity, &ctx.tenant)?;
            }
            for field in ["kind", "sku"] {
                if let Some(v) = obj.get(field).filter(|v| !v.is_null()) {
                    stored[field] = v.clone();
                }
            }
            touch(&mut stored, &ctx.actor, ctx.now);
            if let Some(r) = self.get_mut(&id) {
                r.body = stored;
            }
            self.record(&id, "updated", &ctx.actor, ctx.now);
            self.start_operation(
                ctx,
                NewOperation {
                    resource_id: id.clone(),
                    kind: OperationKind::EndpointUpdate,
                    style: OperationUrlStyle::MachineLearningEndpoints,
                    effect: Effect::Provision,
                    result: OpResult::Resource,
                    location,
                    links: LinkSet::ASYNC,
                },
            );
            // mfe.json 2025-12-01, OnlineEndpoints_CreateOrUpdate: the 200 ("Create or update
            // request is successful") declares no headers, so an update names no polling URL;
            // the body's provisioningState (Updating) is what a client follows. The examples
            // (Workspace/OnlineEndpoint/createOrUpdate.json) show no headers on either code.
            return Ok(Answer {
                status: StatusCode::OK,
                body: self.render_by_id(&id),
                lro: None,
            });
        }

        if let Some(other) = self.endpoint_names.get(&name_key)
            && other.as_str() != crate::wire::path::key(&id)
        {
            return Err(ArmError::bad_request(
                "EndpointNameAlreadyExists",
                format!("An online endpoint named '{ep}' already exists in region '{region}'. Endpoint names must be unique per region."),
            )
            .with_target("name"));
        }
        let host = format!(
            "{}.{region}.inference.ml.azure.com",
            ep.to_ascii_lowercase()
        );
        props.insert(
            "scoringUri".into(),
            Value::String(format!("https://{host}/score")),
        );
        props.insert(
            "swaggerUri".into(),
            Value::String(format!("https://{host}/swagger.json")),
        );
        props.insert("provisioningState".into(), Value::from("Creating"));
        let mut stored = json!({
            "id": id,
            "name": ep,
            "type": ENDPOINT_TYPE,
            "properties": Value::Object(props),
            "systemData": system_data(&ctx.actor, ctx.now),
            "tags": obj.get("tags").filter(|t| t.is_object()).cloned().unwrap_or_else(|| json!({})),
            "location": location,
        });
        for field in ["kind", "sku"] {
            if let Some(v) = obj.get(field).filter(|v| !v.is_null()) {
                stored[field] = v.clone();
            }
        }
        stored["identity"] = match obj.get("identity").filter(|v| !v.is_null()) {
            Some(identity) => render_identity(identity, &ctx.tenant)?,
            None => json!({"type": "None"}),
        };
        self.insert(Resource {
            id: id.clone(),
            kind: Kind::OnlineEndpoint,
            body: stored,
            op: None,
            keys: Some(keys.unwrap_or_else(|| (new_key(), new_key()))),
        });
        self.endpoint_names
            .insert(name_key, crate::wire::path::key(&id));
        self.record(&id, "created", &ctx.actor, ctx.now);
        let _ = ws_id;
        // The 201 declares `x-ms-async-operation-timeout` and `Azure-AsyncOperation` (mfe.json
        // 2025-12-01, OnlineEndpoints_CreateOrUpdate); LinkSet::ASYNC sends both.
        let links = self.start_operation(
            ctx,
            NewOperation {
                resource_id: id.clone(),
                kind: OperationKind::EndpointCreate,
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

    /// PATCH an endpoint: only tags and identity.
    pub fn patch_endpoint(
        &mut self,
        ctx: &Ctx,
        sub: &str,
        rg: &str,
        ws: &str,
        ep: &str,
        body: &Value,
    ) -> Result<Answer, ArmError> {
        let obj = body_object(body)?;
        let existing = self.require_endpoint(sub, rg, ws, ep)?.clone();
        if obj.contains_key("properties") {
            return Err(ArmError::bad_argument(
                "properties",
                "PATCH of an online endpoint updates only 'tags' and 'identity'; send a full PUT to change properties.",
            ));
        }
        check_tags(&obj)?;
        if is_busy(&existing.body) {
            return Err(ArmError::conflict(format!(
                "Endpoint '{ep}' is in state '{}'; another operation is in progress.",
                provisioning_state(&existing.body)
            )));
        }
        let mut stored = existing.body.clone();
        if let Some(tags) = obj.get("tags").filter(|t| t.is_object()) {
            stored["tags"] = tags.clone();
        }
        if let Some(identity) = obj.get("identity").filter(|v| !v.is_null()) {
            stored["identity"] = render_identity(identity, &ctx.tenant)?;
        }
        set_provisioning_state(&mut stored, "Updating");
        touch(&mut stored, &ctx.actor, ctx.now);
        let location = stored["location"].as_str().unwrap_or_default().to_string();
        if let Some(r) = self.get_mut(&existing.id) {
            r.body = stored;
        }
        self.record(&existing.id, "updated", &ctx.actor, ctx.now);
        let links = self.start_operation(
            ctx,
            NewOperation {
                resource_id: existing.id.clone(),
                kind: OperationKind::EndpointUpdate,
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

    pub fn get_endpoint(
        &self,
        sub: &str,
        rg: &str,
        ws: &str,
        ep: &str,
    ) -> Result<Answer, ArmError> {
        let id = self.require_endpoint(sub, rg, ws, ep)?.id.clone();
        self.render_by_id(&id)
            .map(Answer::ok)
            .ok_or_else(|| ArmError::not_found(ENDPOINT_TYPE, ep, Some(rg)))
    }

    /// All endpoints of a workspace (paging is done by the HTTP layer).
    pub fn list_endpoints(&self, sub: &str, rg: &str, ws: &str) -> Result<Vec<Value>, ArmError> {
        let id = self.require_workspace(sub, rg, ws)?.id.clone();
        Ok(self.list(&id, "onlineEndpoints"))
    }

    /// DELETE an endpoint: 202 + Location; its deployments go with it.
    pub fn delete_endpoint(
        &mut self,
        ctx: &Ctx,
        sub: &str,
        rg: &str,
        ws: &str,
        ep: &str,
    ) -> Result<Answer, ArmError> {
        self.require_workspace(sub, rg, ws)?;
        let id = Self::endpoint_id(sub, rg, ws, ep);
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
        if is_busy(&existing.body) {
            return Err(ArmError::conflict(format!(
                "Endpoint '{ep}' is in state '{}'; another operation is in progress.",
                provisioning_state(&existing.body)
            )));
        }
        let deployments: Vec<String> = self
            .children(&existing.id, "deployments")
            .iter()
            .map(|d| d.id.clone())
            .collect();
        for d in &deployments {
            if let Some(r) = self.get_mut(d) {
                set_provisioning_state(&mut r.body, "Deleting");
            }
            self.record(d, "updated", &ctx.actor, ctx.now);
        }
        if let Some(r) = self.get_mut(&existing.id) {
            set_provisioning_state(&mut r.body, "Deleting");
        }
        self.record(&existing.id, "updated", &ctx.actor, ctx.now);
        let links = self.start_operation(
            ctx,
            NewOperation {
                resource_id: existing.id.clone(),
                kind: OperationKind::EndpointDelete,
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

    pub fn endpoint_keys(
        &self,
        sub: &str,
        rg: &str,
        ws: &str,
        ep: &str,
    ) -> Result<Answer, ArmError> {
        let r = self.require_endpoint(sub, rg, ws, ep)?;
        let auth = r
            .body
            .pointer("/properties/authMode")
            .and_then(Value::as_str)
            .unwrap_or("Key");
        if auth != "Key" {
            return Err(ArmError::bad_argument(
                "authMode",
                format!(
                    "Keys are only available for endpoints with authMode 'Key'; '{ep}' uses '{auth}'."
                ),
            ));
        }
        let (primary, secondary) = r.keys.clone().unwrap_or_default();
        Ok(Answer::ok(
            json!({"primaryKey": primary, "secondaryKey": secondary}),
        ))
    }

    /// POST regenerateKeys: 202 with `Location`, `Retry-After` and `Azure-AsyncOperation`; the
    /// key changes when it finishes.
    ///
    /// mfe.json 2025-12-01 (OnlineEndpoints_RegenerateKeys) declares only `Location` and
    /// `Retry-After` on the 202, with `final-state-via: location`. Both of Microsoft's examples
    /// (testdata/azure-api/examples/machinelearningservices/2025-12-01 and 2026-07-01,
    /// Workspace/OnlineEndpoint/regenerateKeys.json) show `Azure-AsyncOperation` and `Location`,
    /// and every example is a fixture the emulator must agree with (tests/fidelity.rs), so it
    /// sends the union. Which of the two Azure really sends was not verified; a client must
    /// follow `Location` for this action, as `final-state-via` says.
    pub fn regenerate_keys(
        &mut self,
        ctx: &Ctx,
        sub: &str,
        rg: &str,
        ws: &str,
        ep: &str,
        body: &Value,
    ) -> Result<Answer, ArmError> {
        let obj = body_object(body)?;
        let r = self.require_endpoint(sub, rg, ws, ep)?.clone();
        let key_type = canonical_enum(
            "keyType",
            obj.get("keyType").unwrap_or(&Value::Null),
            &["Primary", "Secondary"],
        )?;
        if r.body
            .pointer("/properties/authMode")
            .and_then(Value::as_str)
            != Some("Key")
        {
            return Err(ArmError::bad_argument(
                "authMode",
                "Keys can only be regenerated for endpoints with authMode 'Key'.",
            ));
        }
        if is_busy(&r.body) {
            return Err(ArmError::conflict(format!(
                "Endpoint '{ep}' has an operation in progress."
            )));
        }
        let value = obj
            .get("keyValue")
            .and_then(Value::as_str)
            .map(str::to_string);
        let links = self.start_operation(
            ctx,
            NewOperation {
                resource_id: r.id.clone(),
                kind: OperationKind::RegenerateKeys,
                style: OperationUrlStyle::MachineLearningEndpoints,
                effect: Effect::RegenerateKey {
                    secondary: key_type == "Secondary",
                    value,
                },
                result: OpResult::Empty,
                location: r.body["location"].as_str().unwrap_or_default().to_string(),
                links: LinkSet::BOTH,
            },
        );
        Ok(Answer {
            status: StatusCode::ACCEPTED,
            body: None,
            lro: Some(links),
        })
    }

    /// POST token (AMLToken endpoints): 200 with `accessToken`, `tokenType`, `expiryTimeUtc` and
    /// `refreshAfterTimeUtc` (seconds since the Unix epoch), as `OnlineEndpoints_GetToken`'s
    /// examples show (testdata/azure-api/examples/machinelearningservices/2025-12-01 and
    /// 2026-07-01, Workspace/OnlineEndpoint/getToken.json; mfe.json 2025-12-01, `AccessToken`).
    /// The lifetime is `EmulatorConfig::endpoint_token_lifetime`, refresh after half of it.
    pub fn endpoint_token(
        &self,
        ctx: &Ctx,
        sub: &str,
        rg: &str,
        ws: &str,
        ep: &str,
    ) -> Result<Answer, ArmError> {
        let r = self.require_endpoint(sub, rg, ws, ep)?;
        let auth = r
            .body
            .pointer("/properties/authMode")
            .and_then(Value::as_str)
            .unwrap_or("Key");
        if auth != "AMLToken" {
            return Err(ArmError::bad_argument(
                "authMode",
                format!(
                    "Tokens are only issued for endpoints with authMode 'AMLToken'; '{ep}' uses '{auth}'."
                ),
            ));
        }
        let now = ctx.now.as_second();
        let lifetime = i64::try_from(self.config.endpoint_token_lifetime.as_secs()).unwrap_or(3600);
        Ok(Answer::ok(json!({
            "accessToken": format!("aml.{}", new_key()),
            "tokenType": "Bearer",
            "expiryTimeUtc": now.saturating_add(lifetime),
            "refreshAfterTimeUtc": now.saturating_add(lifetime / 2),
        })))
    }
}
