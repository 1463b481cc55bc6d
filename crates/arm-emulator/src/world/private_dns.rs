//! Private DNS zones (`Microsoft.Network/privateDnsZones`), their virtual network links and A
//! record sets.
//!
//! Zones and links are long-running (202 + Azure-AsyncOperation + Location + Retry-After, as
//! the 2024-06-01 examples show); a link's `virtualNetworkLinkState` is InProgress until its
//! operation finishes, then Completed. A zone cannot be deleted while it has links (409).

#![allow(clippy::too_many_arguments)] // ARM paths carry up to five names besides the context and body.

use axum::http::StatusCode;
use jiff::Timestamp;
use serde_json::{Map, Value, json};

use super::operations::{Effect, LinkSet, NewOperation, OpResult};
use super::validation::{body_object, check_tags};
use super::{Answer, Ctx, Kind, Resource, World, is_busy};
use crate::config::OperationKind;
use crate::wire::ArmError;
use crate::wire::lro_headers::OperationUrlStyle;
use crate::wire::path::{self, key};

const ZONE_TYPE: &str = "Microsoft.Network/privateDnsZones";

/// A zone's stored body.
pub(crate) fn zone_body(rg_id: &str, name: &str, tags: &Map<String, Value>, state: &str) -> Value {
    json!({
        "id": format!("{rg_id}/providers/Microsoft.Network/privateDnsZones/{name}"),
        "name": name,
        "type": ZONE_TYPE,
        "etag": uuid::Uuid::new_v4().to_string(),
        "location": "global",
        "tags": tags,
        "properties": {
            "maxNumberOfRecordSets": 25000,
            "numberOfRecordSets": 1,
            "maxNumberOfVirtualNetworkLinks": 1000,
            "numberOfVirtualNetworkLinks": 0,
            "maxNumberOfVirtualNetworkLinksWithRegistration": 100,
            "numberOfVirtualNetworkLinksWithRegistration": 0,
            "provisioningState": state,
            "internalId": format!("Private DNS zone {name}"),
        },
    })
}

fn check_global(obj: &Map<String, Value>) -> Result<(), ArmError> {
    match obj.get("location").and_then(Value::as_str) {
        None => Ok(()),
        Some(l) if l.eq_ignore_ascii_case("global") => Ok(()),
        Some(l) => Err(ArmError::bad_request(
            "InvalidLocation",
            format!("Private DNS resources are global; location must be 'global', got '{l}'."),
        )
        .with_target("location")),
    }
}

fn check_zone_name(name: &str) -> Result<(), ArmError> {
    let labels: Vec<&str> = name.split('.').collect();
    let ok = labels.len() >= 2
        && name.len() <= 253
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    if ok {
        Ok(())
    } else {
        Err(ArmError::bad_request(
            "InvalidZoneName",
            format!(
                "'{name}' is not a valid private DNS zone name (at least two labels of letters, digits and dashes)."
            ),
        ))
    }
}

/// If-Match / If-None-Match preconditions on Private DNS writes.
#[derive(Debug, Clone, Default)]
pub(crate) struct Preconditions {
    pub if_match: Option<String>,
    pub if_none_match: Option<String>,
}

impl Preconditions {
    fn check(&self, existing: Option<&Resource>) -> Result<(), ArmError> {
        let failed =
            |msg: &str| ArmError::new(StatusCode::PRECONDITION_FAILED, "PreconditionFailed", msg);
        if self.if_none_match.as_deref() == Some("*") && existing.is_some() {
            return Err(failed("The resource already exists (If-None-Match: *)."));
        }
        if let Some(want) = self.if_match.as_deref() {
            let current = existing.and_then(|r| r.body["etag"].as_str());
            if want != "*" && current != Some(want.trim_matches('"')) && current != Some(want) {
                return Err(failed(
                    "The etag in If-Match does not match the resource's current etag.",
                ));
            }
            if existing.is_none() {
                return Err(failed("The resource does not exist (If-Match)."));
            }
        }
        Ok(())
    }
}

impl World {
    fn zone_id(sub: &str, rg: &str, zone: &str) -> String {
        format!(
            "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/privateDnsZones/{zone}"
        )
    }

    /// PUT a zone: 202 with the three LRO headers.
    pub fn put_zone(
        &mut self,
        ctx: &Ctx,
        sub: &str,
        rg: &str,
        zone: &str,
        body: &Value,
        pre: &Preconditions,
    ) -> Result<Answer, ArmError> {
        let obj = body_object(body)?;
        self.require_resource_group(sub, rg)?;
        check_tags(&obj)?;
        check_global(&obj)?;
        check_zone_name(zone)?;
        let id = Self::zone_id(sub, rg, zone);
        pre.check(self.get(&id))?;
        let tags = obj
            .get("tags")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        if let Some(existing) = self.get(&id).cloned() {
            if existing.op.is_some() && is_busy(&existing.body) {
                return Err(ArmError::conflict(format!(
                    "Private DNS zone '{zone}' has an operation in progress."
                )));
            }
            let mut stored = existing.body.clone();
            stored["tags"] = Value::Object(tags);
            stored["etag"] = Value::String(uuid::Uuid::new_v4().to_string());
            stored["properties"]["provisioningState"] = Value::from("Updating");
            if let Some(r) = self.get_mut(&id) {
                r.body = stored;
            }
            self.record(&id, "updated", &ctx.actor, ctx.now);
        } else {
            let rg_id = format!("/subscriptions/{sub}/resourceGroups/{rg}");
            self.insert(Resource {
                id: id.clone(),
                kind: Kind::PrivateDnsZone,
                body: zone_body(&rg_id, zone, &tags, "Creating"),
                op: None,
                keys: None,
            });
            self.record(&id, "created", &ctx.actor, ctx.now);
        }
        let links = self.start_operation(
            ctx,
            NewOperation {
                resource_id: id,
                kind: OperationKind::DnsZonePut,
                style: OperationUrlStyle::PrivateDns,
                effect: Effect::Provision,
                result: OpResult::Resource,
                location: "global".into(),
                links: LinkSet::BOTH,
            },
        );
        Ok(Answer {
            status: StatusCode::ACCEPTED,
            body: None,
            lro: Some(links),
        })
    }

    /// PATCH a zone (tags): 202 with the three LRO headers, like PUT.
    pub fn patch_zone(
        &mut self,
        ctx: &Ctx,
        sub: &str,
        rg: &str,
        zone: &str,
        body: &Value,
        pre: &Preconditions,
    ) -> Result<Answer, ArmError> {
        let obj = body_object(body)?;
        let existing = self.require(&Self::zone_id(sub, rg, zone))?.clone();
        pre.check(Some(&existing))?;
        check_tags(&obj)?;
        let mut merged = existing.body.as_object().cloned().unwrap_or_default();
        if let Some(tags) = obj.get("tags").filter(|t| t.is_object()) {
            merged.insert("tags".into(), tags.clone());
        }
        self.put_zone(
            ctx,
            sub,
            rg,
            zone,
            &Value::Object(merged),
            &Preconditions::default(),
        )
    }

    pub fn list_zones(&self, sub: &str, rg: &str) -> Result<Vec<Value>, ArmError> {
        self.require_resource_group(sub, rg)?;
        Ok(self.list_kind_under(
            &format!("/subscriptions/{sub}/resourceGroups/{rg}"),
            Kind::PrivateDnsZone,
        ))
    }

    /// DELETE a zone: 409 while virtual network links exist; else 202.
    pub fn delete_zone(
        &mut self,
        ctx: &Ctx,
        sub: &str,
        rg: &str,
        zone: &str,
        pre: &Preconditions,
    ) -> Result<Answer, ArmError> {
        self.require_resource_group(sub, rg)?;
        let id = Self::zone_id(sub, rg, zone);
        let Some(existing) = self.get(&id).cloned() else {
            return Ok(Answer::status(StatusCode::NO_CONTENT));
        };
        pre.check(Some(&existing))?;
        let links: Vec<String> = self
            .children(&id, "virtualNetworkLinks")
            .iter()
            .map(|l| l.id.clone())
            .collect();
        if !links.is_empty() {
            return Err(ArmError::new(
                StatusCode::CONFLICT,
                "CannotDeleteResource",
                format!(
                    "Cannot delete resource while nested resources exist. Some existing nested resource IDs include: '{}'. Please delete all nested resources before deleting this resource.",
                    links.join("', '")
                ),
            ));
        }
        self.start_delete(
            ctx,
            &existing,
            OperationKind::DnsZoneDelete,
            OperationUrlStyle::PrivateDns,
            "Deleting",
        )
    }

    fn link_id(sub: &str, rg: &str, zone: &str, link: &str) -> String {
        format!(
            "{}/virtualNetworkLinks/{link}",
            Self::zone_id(sub, rg, zone)
        )
    }

    /// PUT a virtual network link: 202; InProgress → Completed.
    pub fn put_vnet_link(
        &mut self,
        ctx: &Ctx,
        sub: &str,
        rg: &str,
        zone: &str,
        link: &str,
        body: &Value,
        pre: &Preconditions,
    ) -> Result<Answer, ArmError> {
        let obj = body_object(body)?;
        let zone_res = self.require(&Self::zone_id(sub, rg, zone))?.clone();
        check_tags(&obj)?;
        check_global(&obj)?;
        let id = Self::link_id(sub, rg, zone, link);
        pre.check(self.get(&id))?;
        let props = obj
            .get("properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let vnet_id = props
            .get("virtualNetwork")
            .and_then(|v| v.get("id"))
            .and_then(Value::as_str)
            .ok_or_else(|| {
                ArmError::bad_request(
                    "InvalidRequestFormat",
                    "properties.virtualNetwork.id is required.",
                )
                .with_target("properties.virtualNetwork")
            })?;
        let vnet = self
            .get(vnet_id)
            .filter(|v| v.kind == Kind::VirtualNetwork)
            .ok_or_else(|| {
                ArmError::bad_request(
                    "InvalidVirtualNetworkReference",
                    format!("Virtual network '{vnet_id}' was not found."),
                )
            })?;
        let vnet_id = vnet.id.clone();
        let registration = match props.get("registrationEnabled") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                return Err(ArmError::invalid_body(
                    "registrationEnabled must be a boolean.",
                ));
            }
        };
        if let Some(other) = self
            .children(&zone_res.id, "virtualNetworkLinks")
            .iter()
            .find(|l| {
                !l.id.eq_ignore_ascii_case(&id)
                    && l.body
                        .pointer("/properties/virtualNetwork/id")
                        .and_then(Value::as_str)
                        .is_some_and(|v| v.eq_ignore_ascii_case(&vnet_id))
            })
        {
            return Err(ArmError::conflict(format!(
                "Virtual network {vnet_id} is already linked to zone {zone} by {}.",
                other.id
            )));
        }
        // Azure DNS resolves a linked VNet's names from one zone per namespace: "A virtual
        // network cannot be linked to multiple zones with overlapping namespaces" (Learn: "What
        // is a virtual network link?" / Private DNS zone scenarios, and the error Azure returns,
        // BadRequest). Another zone of the same name (another resource group) already linked to
        // this VNet refuses the link. The exact error code is not documented; BadRequest is what
        // the message is reported with.
        let zone_key = zone.to_ascii_lowercase();
        let overlapping = self
            .store
            .values()
            .filter(|r| r.kind == Kind::VirtualNetworkLink)
            .filter(|r| !r.id.eq_ignore_ascii_case(&id))
            .filter(|r| {
                r.body
                    .pointer("/properties/virtualNetwork/id")
                    .and_then(Value::as_str)
                    .is_some_and(|v| v.eq_ignore_ascii_case(&vnet_id))
            })
            .find_map(|r| {
                let (zone_id, _) = r.id.rsplit_once("/virtualNetworkLinks/")?;
                let other_zone = zone_id.rsplit('/').next()?;
                (other_zone.to_ascii_lowercase() == zone_key
                    && !zone_id.eq_ignore_ascii_case(&zone_res.id))
                .then(|| zone_id.to_owned())
            });
        if let Some(other_zone) = overlapping {
            return Err(ArmError::bad_request(
                "BadRequest",
                format!(
                    "A virtual network cannot be linked to multiple zones with overlapping namespaces. You tried to link virtual network with '{}' and '{}' zones.",
                    other_zone, zone_res.id
                ),
            ));
        }
        let existed = self.get(&id).cloned();
        if let Some(existing) = &existed
            && existing.op.is_some()
            && is_busy(&existing.body)
        {
            return Err(ArmError::conflict(format!(
                "Virtual network link '{link}' has an operation in progress."
            )));
        }
        let mut out_props = json!({
            "virtualNetwork": {"id": vnet_id},
            "registrationEnabled": registration,
            "virtualNetworkLinkState": "InProgress",
            "provisioningState": if existed.is_some() { "Updating" } else { "Creating" },
        });
        if let Some(policy) = props.get("resolutionPolicy") {
            out_props["resolutionPolicy"] = policy.clone();
        }
        let stored = json!({
            "id": id,
            "name": link,
            "type": "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
            "etag": uuid::Uuid::new_v4().to_string(),
            "location": "global",
            "tags": obj.get("tags").filter(|t| t.is_object()).cloned().unwrap_or_else(|| json!({})),
            "properties": out_props,
        });
        self.insert(Resource {
            id: id.clone(),
            kind: Kind::VirtualNetworkLink,
            body: stored,
            op: None,
            keys: None,
        });
        self.record(
            &id,
            if existed.is_some() {
                "updated"
            } else {
                "created"
            },
            &ctx.actor,
            ctx.now,
        );
        self.record(&zone_res.id, "updated", &ctx.actor, ctx.now);
        let links = self.start_operation(
            ctx,
            NewOperation {
                resource_id: id,
                kind: OperationKind::VnetLinkPut,
                style: OperationUrlStyle::PrivateDns,
                effect: Effect::Provision,
                result: OpResult::Resource,
                location: "global".into(),
                links: LinkSet::BOTH,
            },
        );
        Ok(Answer {
            status: StatusCode::ACCEPTED,
            body: None,
            lro: Some(links),
        })
    }

    pub fn list_vnet_links(&self, sub: &str, rg: &str, zone: &str) -> Result<Vec<Value>, ArmError> {
        let zone_id = self.require(&Self::zone_id(sub, rg, zone))?.id.clone();
        Ok(self.list(&zone_id, "virtualNetworkLinks"))
    }

    pub fn delete_vnet_link(
        &mut self,
        ctx: &Ctx,
        sub: &str,
        rg: &str,
        zone: &str,
        link: &str,
        pre: &Preconditions,
    ) -> Result<Answer, ArmError> {
        self.require(&Self::zone_id(sub, rg, zone))?;
        let Some(existing) = self.get(&Self::link_id(sub, rg, zone, link)).cloned() else {
            return Ok(Answer::status(StatusCode::NO_CONTENT));
        };
        pre.check(Some(&existing))?;
        self.start_delete(
            ctx,
            &existing,
            OperationKind::VnetLinkDelete,
            OperationUrlStyle::PrivateDns,
            "Deleting",
        )
    }

    /// Create or replace an A record set (used by zone groups and by PUT on `/A/{name}`).
    pub(super) fn upsert_a_record(
        &mut self,
        zone_id: &str,
        name: &str,
        ips: &[Value],
        time: Timestamp,
    ) -> String {
        let zone_name = path::name_of(zone_id).to_string();
        let zone_display = self
            .get(zone_id)
            .map_or_else(|| zone_id.to_string(), |z| z.id.clone());
        let id = format!("{zone_display}/A/{name}");
        let records: Vec<Value> = ips.iter().map(|ip| json!({"ipv4Address": ip})).collect();
        let existed = self.get(&id).is_some();
        self.insert(Resource {
            id: id.clone(),
            kind: Kind::DnsARecord,
            body: json!({
                "id": id,
                "name": name,
                "type": "Microsoft.Network/privateDnsZones/A",
                "etag": uuid::Uuid::new_v4().to_string(),
                "properties": {
                    "metadata": {},
                    "ttl": 10,
                    "fqdn": format!("{name}.{zone_name}."),
                    "isAutoRegistered": false,
                    "aRecords": records,
                },
            }),
            op: None,
            keys: None,
        });
        self.record(
            &id,
            if existed { "updated" } else { "created" },
            "operation",
            time,
        );
        id
    }

    pub fn list_records(
        &self,
        sub: &str,
        rg: &str,
        zone: &str,
        all: bool,
    ) -> Result<Vec<Value>, ArmError> {
        let zone_res = self.require(&Self::zone_id(sub, rg, zone))?;
        let mut out = Vec::new();
        if all {
            out.push(json!({
                "id": format!("{}/SOA/@", zone_res.id),
                "name": "@",
                "type": "Microsoft.Network/privateDnsZones/SOA",
                "etag": zone_res.body["etag"],
                "properties": {
                    "ttl": 3600,
                    "fqdn": format!("{zone}."),
                    "isAutoRegistered": false,
                    "soaRecord": {"email": "azureprivatedns-host.microsoft.com", "expireTime": 2_419_200, "host": "azureprivatedns.net", "minimumTtl": 10, "refreshTime": 3600, "retryTime": 300, "serialNumber": 1},
                },
            }));
        }
        out.extend(self.list(&zone_res.id.clone(), "A"));
        Ok(out)
    }

    /// PUT `/A/{name}` (synchronous: 201 new, 200 replaced).
    pub fn put_a_record(
        &mut self,
        ctx: &Ctx,
        sub: &str,
        rg: &str,
        zone: &str,
        name: &str,
        body: &Value,
    ) -> Result<Answer, ArmError> {
        let obj = body_object(body)?;
        let zone_id = self.require(&Self::zone_id(sub, rg, zone))?.id.clone();
        let ips: Vec<Value> = obj
            .get("properties")
            .and_then(|p| p.get("aRecords"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|r| r.get("ipv4Address").cloned())
            .collect();
        let existed = self.get(&format!("{zone_id}/A/{name}")).is_some();
        let id = self.upsert_a_record(&zone_id, name, &ips, ctx.now);
        if let Some(ttl) = body.pointer("/properties/ttl").and_then(Value::as_u64)
            && let Some(r) = self.get_mut(&id)
        {
            r.body["properties"]["ttl"] = Value::from(ttl);
        }
        self.record(&zone_id, "updated", &ctx.actor, ctx.now);
        Ok(Answer {
            status: if existed {
                StatusCode::OK
            } else {
                StatusCode::CREATED
            },
            body: self.render_by_id(&id),
            lro: None,
        })
    }

    pub fn delete_a_record(
        &mut self,
        ctx: &Ctx,
        sub: &str,
        rg: &str,
        zone: &str,
        name: &str,
    ) -> Result<Answer, ArmError> {
        let zone_id = self.require(&Self::zone_id(sub, rg, zone))?.id.clone();
        let id = format!("{zone_id}/A/{name}");
        if self.store.remove(&key(&id)).is_none() {
            return Ok(Answer::status(StatusCode::NO_CONTENT));
        }
        for records in self.group_records.values_mut() {
            records.retain(|r| *r != key(&id));
        }
        self.record(&id, "deleted", &ctx.actor, ctx.now);
        Ok(Answer::status(StatusCode::OK))
    }
}
