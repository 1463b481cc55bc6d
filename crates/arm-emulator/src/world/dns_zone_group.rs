//! Private DNS zone groups of Network private endpoints: at most one per endpoint, each naming
//! 1–5 private DNS zones. When a group's operation finishes it writes an A record per matching
//! `customDnsConfigs` FQDN of its endpoint into each zone; deleting the group (or the endpoint)
//! removes exactly the records it wrote.

#![allow(clippy::too_many_arguments)] // ARM paths carry up to five names besides the context and body.

use axum::http::StatusCode;
use jiff::Timestamp;
use serde_json::{Value, json};

use super::network::invalid_reference;
use super::operations::{Effect, LinkSet, NewOperation, OpResult};
use super::render::etag;
use super::validation::body_object;
use super::{Answer, Ctx, Kind, Resource, World, is_busy};
use crate::config::OperationKind;
use crate::wire::ArmError;
use crate::wire::lro_headers::OperationUrlStyle;
use crate::wire::path::{self, key};

/// Public DNS suffixes whose `privatelink.` zones hold a private endpoint's records.
const KNOWN_SUFFIXES: &[&str] = &[
    "api.azureml.ms",
    "notebooks.azure.net",
    "instances.azureml.ms",
];

/// Key vault zone suffix → the public suffix of its vaults' FQDNs.
const VAULT_ZONES: &[(&str, &str)] = &[
    ("vaultcore.azure.net", "vault.azure.net"),
    ("vaultcore.azure.cn", "vault.azure.cn"),
    ("vaultcore.usgovcloudapi.net", "vault.usgovcloudapi.net"),
];

/// Split an FQDN into (record name, zone suffix) for a zone: `privatelink.<suffix>` zones take
/// FQDNs ending in `.<suffix>`; other zones take the FQDN's first label (as Azure does for
/// zones that do not match the service).
fn record_for(fqdn: &str, zone: &str) -> Option<String> {
    let zone = zone.to_ascii_lowercase();
    let fqdn_l = fqdn.to_ascii_lowercase();
    if let Some(suffix) = zone.strip_prefix("privatelink.") {
        // A key vault's FQDN is `<vault>.vault.azure.net`, its zone
        // `privatelink.vaultcore.azure.net` (Microsoft Learn, "Azure Private Endpoint private
        // DNS zone values", Key Vault row; the same for the sovereign clouds' suffixes).
        let public = VAULT_ZONES
            .iter()
            .find(|(z, _)| *z == suffix)
            .map_or(suffix, |(_, public)| *public);
        return fqdn_l
            .strip_suffix(&format!(".{public}"))
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
