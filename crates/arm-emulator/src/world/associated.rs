//! A workspace's associated resources: storage accounts, key vaults, container registries and
//! Application Insights components — their network properties, private link resources (group
//! ids) and the private endpoint connections a Network private endpoint creates on them.
//!
//! Shapes, per Microsoft's REST specs (Azure/azure-rest-api-specs, MIT):
//! - `Microsoft.Storage/storageAccounts`: `StorageAccountGetProperties.json`,
//!   `StorageAccountUpdateDisablePublicNetworkAccess.json` (2026-09-01 examples) and
//!   `stable/2025-01-01/privatelinks.json`: `properties.publicNetworkAccess`
//!   (`Enabled|Disabled|SecuredByPerimeter`), `properties.networkAcls.defaultAction`
//!   (`Allow|Deny`), `properties.privateEndpointConnections`; PATCH (`StorageAccounts_Update`)
//!   answers 200 with the account, synchronously.
//! - `Microsoft.KeyVault/vaults`: `stable/2024-11-01/keyvault.json` and `getVault.json` /
//!   `updateVault.json` (2026-04-01): `properties.publicNetworkAccess` (a free string there,
//!   default `enabled`), `properties.networkAcls`, `properties.privateEndpointConnections`;
//!   PATCH (`Vaults_Update`) answers 200 synchronously.
//! - `Microsoft.ContainerRegistry/registries`: `RegistryGet.json`, `RegistryUpdate.json`
//!   (2025-11-01): `sku.name` (`Basic|Standard|Premium`), `properties.publicNetworkAccess`,
//!   `properties.networkRuleSet.defaultAction`, `properties.privateEndpointConnections`. PATCH
//!   (`Registries_Update`) may answer 200 or 201 + Azure-AsyncOperation; the emulator always
//!   answers 200 with the updated registry (a documented shape, the shorter one).
//! - `Microsoft.Insights/components`: `stable/2020-02-02/components_API.json`:
//!   `properties.publicNetworkAccessForIngestion` / `publicNetworkAccessForQuery`
//!   (`Enabled|Disabled`, default `Enabled`); the PATCH takes tags only, other fields change with
//!   a PUT (`Components_CreateOrUpdate`, 200).
//!
//! Service rules:
//! - Private link with private endpoints needs a Premium registry (Microsoft Learn, "Azure
//!   Container Registry service tiers", feature table: "Private link with private endpoints" —
//!   Premium only). The code and wording of Azure's refusal of a private endpoint to a Basic or
//!   Standard registry were not found; the emulator answers 400 `PrivateEndpointNotSupported`
//!   (its own wording) naming the SKU.
//! - Disabling a non-Premium registry's public network access is refused with 400
//!   `DisablingPublicNetworkAccessNotSupported` "Disabling public network access is not
//!   supported for the SKU Basic. ..." (the error ARM returned, quoted in
//!   Azure-Samples/dotNET-Frontend-AB-Testing-on-Azure-Container-Apps issue #5).

use serde_json::{Map, Value, json};

use super::render::{system_data, touch};
use super::validation::{body_object, canonical_enum, check_tags};
use super::{Answer, Ctx, Kind, Resource, World};
use crate::wire::ArmError;
use crate::wire::path;

/// The four associated resource types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Associated {
    Storage,
    KeyVault,
    Registry,
    AppInsights,
}

impl Associated {
    pub(crate) fn of_type(resource_type: &str) -> Option<Self> {
        [
            Self::Storage,
            Self::KeyVault,
            Self::Registry,
            Self::AppInsights,
        ]
        .into_iter()
        .find(|a| a.arm_type().eq_ignore_ascii_case(resource_type))
    }

    pub(crate) fn of_kind(kind: Kind) -> Option<Self> {
        match kind {
            Kind::StorageAccount => Some(Self::Storage),
            Kind::KeyVault => Some(Self::KeyVault),
            Kind::ContainerRegistry => Some(Self::Registry),
            Kind::AppInsights => Some(Self::AppInsights),
            _ => None,
        }
    }

    pub(crate) fn arm_type(self) -> &'static str {
        match self {
            Self::Storage => "Microsoft.Storage/storageAccounts",
            Self::KeyVault => "Microsoft.KeyVault/vaults",
            Self::Registry => "Microsoft.ContainerRegistry/registries",
            Self::AppInsights => "Microsoft.Insights/components",
        }
    }

    pub(crate) fn kind(self) -> Kind {
        match self {
            Self::Storage => Kind::StorageAccount,
            Self::KeyVault => Kind::KeyVault,
            Self::Registry => Kind::ContainerRegistry,
            Self::AppInsights => Kind::AppInsights,
        }
    }

    /// Private link resources: `(groupId, requiredMembers, zone)`. Storage per
    /// `StorageAccountListPrivateLinkResources.json` (blob, table, dfs and their `_secondary`)
    /// plus file, queue and web (Microsoft Learn, "Use private endpoints for Azure Storage",
    /// storage service table); key vault per `listPrivateLinkResources.json` (vault); registry
    /// per `RegistryListPrivateLinkResources.json` (registry). Components have none (they use
    /// Azure Monitor Private Link Scopes).
    fn link_resources(self, region: &str) -> Vec<(String, Vec<String>, String)> {
        let one = |g: &str, members: Vec<String>, zone: &str| (g.to_string(), members, zone.into());
        match self {
            Self::Storage => ["blob", "table", "queue", "file", "web", "dfs"]
                .iter()
                .flat_map(|s| {
                    let zone = format!("privatelink.{s}.core.windows.net");
                    let secondary = format!("{s}_secondary");
                    [
                        one(s, vec![(*s).to_string()], &zone),
                        one(&secondary, vec![secondary.clone()], &zone),
                    ]
                })
                .collect(),
            Self::KeyVault => vec![one(
                "vault",
                vec!["default".into()],
                "privatelink.vaultcore.azure.net",
            )],
            Self::Registry => vec![one(
                "registry",
                vec!["registry".into(), format!("registry_data_{region}")],
                "privatelink.azurecr.io",
            )],
            Self::AppInsights => Vec::new(),
        }
    }
}

/// A registry's `sku.name` (Basic when absent).
fn sku_of(body: &Value) -> &str {
    body.pointer("/sku/name")
        .and_then(Value::as_str)
        .unwrap_or("Basic")
}

impl World {
    /// Seed one associated resource (public, as a fresh workspace's are) unless it exists or
    /// its resource group is not in the seed.
    pub(super) fn seed_associated(
        &mut self,
        ctx: &Ctx,
        id: &str,
        location: &str,
        registry_sku: &str,
    ) -> Result<(), String> {
        let Some(kind) = Associated::of_type(&path::resource_type_of(id)) else {
            return Err(format!(
                "{id} is not a storage account, key vault, container registry or Application Insights component"
            ));
        };
        if self.get(id).is_some() {
            return Ok(());
        }
        let (Some(sub), Some(rg)) = (path::subscription_of(id), path::resource_group_of(id)) else {
            return Err(format!("{id} is not a resource id"));
        };
        if self.require_resource_group(sub, rg).is_err() {
            return Ok(());
        }
        let name = path::name_of(id).to_string();
        let lower = name.to_ascii_lowercase();
        let props = match kind {
            Associated::Storage => json!({
                "provisioningState": "Succeeded",
                "creationTime": ctx.now.to_string(),
                "publicNetworkAccess": "Enabled",
                "networkAcls": {"bypass": "AzureServices", "defaultAction": "Allow", "ipRules": [], "virtualNetworkRules": [], "resourceAccessRules": []},
                "primaryEndpoints": {
                    "blob": format!("https://{lower}.blob.core.windows.net/"),
                    "file": format!("https://{lower}.file.core.windows.net/"),
                    "queue": format!("https://{lower}.queue.core.windows.net/"),
                    "table": format!("https://{lower}.table.core.windows.net/"),
                    "dfs": format!("https://{lower}.dfs.core.windows.net/"),
                    "web": format!("https://{lower}.web.core.windows.net/"),
                },
                "primaryLocation": location,
                "statusOfPrimary": "available",
                "minimumTlsVersion": "TLS1_2",
                "allowBlobPublicAccess": false,
                "supportsHttpsTrafficOnly": true,
            }),
            Associated::KeyVault => json!({
                "provisioningState": "Succeeded",
                "tenantId": "00000000-0000-0000-0000-000000000000",
                "sku": {"family": "A", "name": "standard"},
                "accessPolicies": [],
                "vaultUri": format!("https://{lower}.vault.azure.net"),
                "enableRbacAuthorization": true,
                "publicNetworkAccess": "Enabled",
                "networkAcls": {"bypass": "AzureServices", "defaultAction": "Allow", "ipRules": [], "virtualNetworkRules": []},
            }),
            Associated::Registry => json!({
                "provisioningState": "Succeeded",
                "loginServer": format!("{lower}.azurecr.io"),
                "creationDate": ctx.now.to_string(),
                "adminUserEnabled": false,
                "networkRuleSet": {"defaultAction": "Allow", "ipRules": []},
                "publicNetworkAccess": "Enabled",
                "networkRuleBypassOptions": "AzureServices",
                "zoneRedundancy": "Disabled",
                "dataEndpointEnabled": false,
                "dataEndpointHostNames": [],
                "anonymousPullEnabled": false,
            }),
            Associated::AppInsights => json!({
                "provisioningState": "Succeeded",
                "ApplicationId": name,
                "AppId": uuid::Uuid::new_v4().to_string(),
                "Application_Type": "web",
                "InstrumentationKey": uuid::Uuid::new_v4().to_string(),
                "CreationDate": ctx.now.to_string(),
                "IngestionMode": "LogAnalytics",
                "publicNetworkAccessForIngestion": "Enabled",
                "publicNetworkAccessForQuery": "Enabled",
            }),
        };
        let canonical_sku = ["Basic", "Standard", "Premium"]
            .into_iter()
            .find(|s| s.eq_ignore_ascii_case(registry_sku))
            .ok_or_else(|| {
                format!("container registry sku '{registry_sku}': one of Basic, Standard, Premium")
            })?;
        let mut body = json!({
            "id": id,
            "name": name,
            "type": kind.arm_type(),
            "location": location,
            "tags": {},
            "systemData": system_data("seed", ctx.now),
            "properties": props,
        });
        match kind {
            Associated::Storage => {
                body["kind"] = json!("StorageV2");
                body["sku"] = json!({"name": "Standard_LRS", "tier": "Standard"});
            }
            Associated::Registry => {
                body["sku"] = json!({"name": canonical_sku, "tier": canonical_sku});
            }
            Associated::AppInsights => {
                body["kind"] = json!("web");
                // components_API.json (2020-02-02): ComponentsResource has id, name, type,
                // location and tags, no systemData.
                if let Some(o) = body.as_object_mut() {
                    o.remove("systemData");
                }
            }
            Associated::KeyVault => {}
        }
        self.insert(Resource {
            id: id.to_string(),
            kind: kind.kind(),
            body,
            op: None,
            keys: None,
        });
        self.record(id, "created", &ctx.actor, ctx.now);
        Ok(())
    }

    fn require_associated(&self, kind: Associated, id: &str) -> Result<&Resource, ArmError> {
        let r = self.require(id)?;
        if r.kind == kind.kind() {
            Ok(r)
        } else {
            Err(ArmError::not_found(
                kind.arm_type(),
                path::name_of(id),
                path::resource_group_of(id),
            ))
        }
    }

    /// GET of an associated resource.
    pub fn get_associated(&self, kind: Associated, id: &str) -> Result<Answer, ArmError> {
        let id = self.require_associated(kind, id)?.id.clone();
        self.render_by_id(&id)
            .map(Answer::ok)
            .ok_or_else(|| ArmError::not_found(kind.arm_type(), path::name_of(&id), None))
    }

    /// The `privateEndpointConnections` a GET of the resource lists.
    pub(super) fn associated_connections(&self, id: &str) -> Vec<Value> {
        self.children(id, "privateEndpointConnections")
            .iter()
            .map(|c| c.body.clone())
            .collect()
    }

    /// PATCH (storage, key vault, registry) or PUT (components) of the network properties.
    /// Updates are applied at once and answered 200 (see the module docs).
    pub fn update_associated(
        &mut self,
        ctx: &Ctx,
        kind: Associated,
        id: &str,
        body: &Value,
        put: bool,
    ) -> Result<Answer, ArmError> {
        let obj = body_object(body)?;
        check_tags(&obj)?;
        let existing = self.require_associated(kind, id)?.clone();
        let props = obj
            .get("properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let mut stored = existing.body.clone();
        fn set(stored: &mut Value, field: &str, value: Value) {
            stored["properties"][field] = value;
        }
        let mut sku_after = sku_of(&existing.body).to_string();
        match kind {
            Associated::Storage => {
                if let Some(v) = props.get("publicNetworkAccess") {
                    set(
                        &mut stored,
                        "publicNetworkAccess",
                        Value::from(canonical_enum(
                            "properties.publicNetworkAccess",
                            v,
                            &["Enabled", "Disabled", "SecuredByPerimeter"],
                        )?),
                    );
                }
                if let Some(acls) = props.get("networkAcls") {
                    let mut acls = network_acls(acls, "properties.networkAcls")?;
                    // Storage answers with the rule set complete: `bypass` (default
                    // AzureServices), `ipRules` and `virtualNetworkRules` even when the
                    // request left them out (StorageAccountUpdateDisablePublicNetworkAccess.json,
                    // 2026-09-01: the request sends defaultAction and resourceAccessRules, the
                    // response shows all of them).
                    if let Some(o) = acls.as_object_mut() {
                        o.entry("bypass").or_insert_with(|| json!("AzureServices"));
                        o.entry("ipRules").or_insert_with(|| json!([]));
                        o.entry("virtualNetworkRules").or_insert_with(|| json!([]));
                    }
                    set(&mut stored, "networkAcls", acls);
                }
            }
            Associated::KeyVault => {
                if let Some(v) = props.get("publicNetworkAccess") {
                    // keyvault.json: a free string ("enabled"/"disabled" by its description);
                    // anything else is refused here.
                    set(
                        &mut stored,
                        "publicNetworkAccess",
                        Value::from(canonical_enum(
                            "properties.publicNetworkAccess",
                            v,
                            &["Enabled", "Disabled"],
                        )?),
                    );
                }
                if let Some(acls) = props.get("networkAcls") {
                    set(
                        &mut stored,
                        "networkAcls",
                        network_acls(acls, "properties.networkAcls")?,
                    );
                }
            }
            Associated::Registry => {
                if let Some(v) = obj.get("sku").and_then(|s| s.get("name")) {
                    let sku = canonical_enum("sku.name", v, &["Basic", "Standard", "Premium"])?;
                    stored["sku"] = json!({"name": sku, "tier": sku});
                    sku_after = sku.to_string();
                }
                if let Some(v) = props.get("publicNetworkAccess") {
                    let v = canonical_enum(
                        "properties.publicNetworkAccess",
                        v,
                        &["Enabled", "Disabled"],
                    )?;
                    if v == "Disabled" && sku_after != "Premium" {
                        return Err(ArmError::bad_request(
                            "DisablingPublicNetworkAccessNotSupported",
                            format!(
                                "Disabling public network access is not supported for the SKU {sku_after}. For more information, please visit https://aka.ms/acr/private-link."
                            ),
                        ));
                    }
                    set(&mut stored, "publicNetworkAccess", Value::from(v));
                }
                if let Some(rules) = props.get("networkRuleSet") {
                    set(
                        &mut stored,
                        "networkRuleSet",
                        network_acls(rules, "properties.networkRuleSet")?,
                    );
                }
            }
            Associated::AppInsights => {
                if !put && !props.is_empty() {
                    return Err(ArmError::bad_request(
                        "InvalidRequestFormat",
                        "The PATCH of a component (Components_UpdateTags) takes tags only; use PUT to change properties.",
                    ));
                }
                for field in [
                    "publicNetworkAccessForIngestion",
                    "publicNetworkAccessForQuery",
                ] {
                    // components_API.json: a PUT without the field leaves it at its default.
                    let v = match props.get(field) {
                        Some(v) => canonical_enum(
                            &format!("properties.{field}"),
                            v,
                            &["Enabled", "Disabled"],
                        )?,
                        None => "Enabled",
                    };
                    set(&mut stored, field, Value::from(v));
                }
            }
        }
        if let Some(tags) = obj.get("tags").filter(|t| t.is_object()) {
            stored["tags"] = tags.clone();
        }
        touch(&mut stored, &ctx.actor, ctx.now);
        if let Some(r) = self.get_mut(id) {
            r.body = stored;
        }
        self.record(id, "updated", &ctx.actor, ctx.now);
        Ok(Answer::ok(self.render_by_id(id).unwrap_or(Value::Null)))
    }

    /// `GET .../privateLinkResources`.
    pub fn list_associated_link_resources(
        &self,
        kind: Associated,
        id: &str,
    ) -> Result<Answer, ArmError> {
        let r = self.require_associated(kind, id)?;
        let region = r.body["location"]
            .as_str()
            .unwrap_or_default()
            .replace(' ', "")
            .to_ascii_lowercase();
        let value: Vec<Value> = kind
            .link_resources(&region)
            .into_iter()
            .map(|(group, members, zone)| {
                json!({
                    "id": format!("{}/privateLinkResources/{group}", r.id),
                    "name": group,
                    "type": format!("{}/privateLinkResources", kind.arm_type()),
                    "properties": {"groupId": group, "requiredMembers": members, "requiredZoneNames": [zone]},
                })
            })
            .collect();
        Ok(Answer::ok(json!({ "value": value })))
    }

    /// `GET .../privateEndpointConnections`.
    pub fn list_associated_connections(
        &self,
        kind: Associated,
        id: &str,
    ) -> Result<Answer, ArmError> {
        let r = self.require_associated(kind, id)?;
        Ok(Answer::ok(
            json!({ "value": self.associated_connections(&r.id) }),
        ))
    }

    /// `GET .../privateEndpointConnections/{name}`.
    pub fn get_associated_connection(
        &self,
        kind: Associated,
        id: &str,
        name: &str,
    ) -> Result<Answer, ArmError> {
        let r = self.require_associated(kind, id)?;
        let cid = format!("{}/privateEndpointConnections/{name}", r.id);
        self.get(&cid)
            .map(|c| Answer::ok(c.body.clone()))
            .ok_or_else(|| {
                ArmError::not_found(
                    &format!("{}/privateEndpointConnections", kind.arm_type()),
                    name,
                    path::resource_group_of(id),
                )
            })
    }

    /// Check a private endpoint's connection to an associated resource before anything is
    /// created: the group ids it offers, and Premium for a registry.
    pub(super) fn check_associated_target(
        &self,
        target: &str,
        groups: &[String],
    ) -> Result<(), ArmError> {
        let Some(kind) = Associated::of_type(&path::resource_type_of(target)) else {
            return Ok(());
        };
        let r = self
            .get(target)
            .filter(|r| r.kind == kind.kind())
            .ok_or_else(|| {
                ArmError::bad_request(
                    "PrivateLinkServiceNotFound",
                    format!("Private link service {target} was not found."),
                )
            })?;
        let offered: Vec<String> = kind
            .link_resources("region")
            .into_iter()
            .map(|(g, _, _)| g)
            .collect();
        if kind == Associated::AppInsights
            || groups.len() != 1
            || !offered.iter().any(|g| g.eq_ignore_ascii_case(&groups[0]))
        {
            return Err(ArmError::bad_request(
                "InvalidGroupIds",
                format!("Group ids {groups:?} are not valid for {target}; it offers {offered:?}."),
            ));
        }
        if kind == Associated::Registry && sku_of(&r.body) != "Premium" {
            return Err(ArmError::bad_request(
                "PrivateEndpointNotSupported",
                format!(
                    "Private endpoints are not supported for the SKU {} of container registry '{}'; private link needs the Premium SKU. For more information, please visit https://aka.ms/acr/private-link.",
                    sku_of(&r.body),
                    path::name_of(target)
                ),
            ));
        }
        Ok(())
    }

    /// A private endpoint connected to an associated resource: its connection child.
    pub(super) fn add_associated_connection(
        &mut self,
        ctx: &Ctx,
        target: &str,
        pe_id: &str,
        pe_name: &str,
        _group: &str,
        state: Value,
    ) {
        let Some(r) = self.get(target) else {
            return;
        };
        let Some(kind) = Associated::of_kind(r.kind) else {
            return;
        };
        let target = r.id.clone();
        // Storage spells the state's field `actionRequired` (privatelinks.json,
        // StorageAccountGetPrivateEndpointConnection.json); Key Vault and Container Registry
        // spell it `actionsRequired`, as Network does.
        let mut state = state;
        if kind == Associated::Storage
            && let Some(o) = state.as_object_mut()
            && let Some(v) = o.remove("actionsRequired")
        {
            o.insert("actionRequired".into(), v);
        }
        let conn_name = format!("{pe_name}.{}", uuid::Uuid::new_v4());
        let conn_id = format!("{target}/privateEndpointConnections/{conn_name}");
        let mut props = Map::new();
        props.insert("privateEndpoint".into(), json!({ "id": pe_id }));
        props.insert("privateLinkServiceConnectionState".into(), state);
        props.insert("provisioningState".into(), Value::from("Succeeded"));
        // Storage's and the registry's connection shapes carry no group id
        // (`privatelinks.json`, `PrivateEndpointConnectionGet.json`); the group is on the
        // private endpoint's own connection.
        self.insert(Resource {
            id: conn_id.clone(),
            kind: Kind::LinkedConnection,
            body: json!({
                "id": conn_id,
                "name": conn_name,
                "type": format!("{}/privateEndpointConnections", kind.arm_type()),
                "properties": Value::Object(props),
            }),
            op: None,
            keys: None,
        });
        self.record(&conn_id, "created", &ctx.actor, ctx.now);
        self.record(&target, "updated", &ctx.actor, ctx.now);
    }

    /// The FQDNs a private endpoint to an associated resource answers for (its
    /// `customDnsConfigs`): `<account>.<group>.core.windows.net` for storage,
    /// `<vault>.vault.azure.net`, and a registry's login server plus its regional data
    /// endpoint `<registry>.<region>.data.azurecr.io` (Microsoft Learn, "Connect privately to
    /// an Azure container registry using Azure Private Link"). Public-cloud suffixes only.
    pub(super) fn associated_fqdns(&self, target: &str, groups: &[String]) -> Vec<String> {
        let Some(r) = self.get(target) else {
            return Vec::new();
        };
        let name = path::name_of(&r.id).to_ascii_lowercase();
        let region = r.body["location"]
            .as_str()
            .unwrap_or_default()
            .replace(' ', "")
            .to_ascii_lowercase();
        match Associated::of_kind(r.kind) {
            Some(Associated::Storage) => groups
                .iter()
                .map(|g| {
                    let service = g.trim_end_matches("_secondary").to_ascii_lowercase();
                    let account = if g.ends_with("_secondary") {
                        format!("{name}-secondary")
                    } else {
                        name.clone()
                    };
                    format!("{account}.{service}.core.windows.net")
                })
                .collect(),
            Some(Associated::KeyVault) => vec![format!("{name}.vault.azure.net")],
            Some(Associated::Registry) => vec![
                format!("{name}.azurecr.io"),
                format!("{name}.{region}.data.azurecr.io"),
            ],
            _ => Vec::new(),
        }
    }

    /// Connections (of any associated resource) that a private endpoint made.
    pub(super) fn linked_connections_of(&self, pe_id: &str) -> Vec<String> {
        self.store
            .values()
            .filter(|r| r.kind == Kind::LinkedConnection)
            .filter(|r| {
                r.body
                    .pointer("/properties/privateEndpoint/id")
                    .and_then(Value::as_str)
                    .is_some_and(|p| p.eq_ignore_ascii_case(pe_id))
            })
            .map(|r| r.id.clone())
            .collect()
    }

    /// Portal drift on an associated resource: set public network access as-is (bypassing the
    /// registry SKU rule, as an admin write).
    pub(super) fn drift_associated_public_access(&mut self, id: &str, value: &str) -> Option<()> {
        let r = self.get_mut(id)?;
        match Associated::of_kind(r.kind)? {
            Associated::AppInsights => {
                r.body["properties"]["publicNetworkAccessForIngestion"] = Value::from(value);
                r.body["properties"]["publicNetworkAccessForQuery"] = Value::from(value);
            }
            _ => r.body["properties"]["publicNetworkAccess"] = Value::from(value),
        }
        Some(())
    }
}

/// Validate a `networkAcls` / `networkRuleSet` object (its `defaultAction` is `Allow|Deny`).
fn network_acls(value: &Value, field: &str) -> Result<Value, ArmError> {
    let mut obj = value
        .as_object()
        .cloned()
        .ok_or_else(|| ArmError::bad_argument(field, format!("'{field}' must be an object.")))?;
    let action = obj.get("defaultAction").cloned().ok_or_else(|| {
        ArmError::bad_argument(
            &format!("{field}.defaultAction"),
            format!("'{field}.defaultAction' is required."),
        )
    })?;
    let action = canonical_enum(
        &format!("{field}.defaultAction"),
        &action,
        &["Allow", "Deny"],
    )?;
    obj.insert("defaultAction".into(), Value::from(action));
    Ok(Value::Object(obj))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_ids_per_type() {
        let groups = |a: Associated| -> Vec<String> {
            a.link_resources("westeurope")
                .into_iter()
                .map(|(g, _, _)| g)
                .collect()
        };
        assert!(groups(Associated::Storage).contains(&"blob".to_string()));
        assert!(groups(Associated::Storage).contains(&"file".to_string()));
        assert_eq!(groups(Associated::KeyVault), ["vault"]);
        assert_eq!(groups(Associated::Registry), ["registry"]);
        assert!(groups(Associated::AppInsights).is_empty());
        assert_eq!(
            Associated::of_type("microsoft.keyvault/VAULTS"),
            Some(Associated::KeyVault)
        );
    }
}
