//! A workspace's managed network: the outbound rules Azure adds itself ("required" rules) and
//! how their status follows the network's provisioning.
//!
//! Sources:
//! - Microsoft Learn, "Workspace Managed Virtual Network Isolation" (how-to-managed-network),
//!   *List of required rules*: "When the isolation mode for the managed virtual network is
//!   `Allow only approved outbound`, private endpoint outbound rules are automatically created
//!   as required rules from the managed virtual network for the workspace and associated
//!   resources regardless of public network access mode for those resources (Key Vault,
//!   Storage Account, Container Registry, Azure Machine Learning workspace)"; with `Allow
//!   internet outbound` only for those "with public network access disabled". "These rules are
//!   automatically added to the managed virtual network."
//! - Same page, *Private endpoints*: "the private endpoints are only created when the first
//!   compute is created or when managed VNet provisioning is forced", and *Manually provision a
//!   managed VNet* (`provisionManagedNetwork`; an online deployment needs a provisioned network).
//!   So the rules are `Inactive` until the network is provisioned and `Active` after.
//! - `workspaceRP.json` 2025-12-01: `OutboundRule` (`type` PrivateEndpoint|FQDN|ServiceTag,
//!   `category` Required|Recommended|UserDefined|Dependency, `status`
//!   Inactive|Active|Provisioning|Deleting|Failed), `PrivateEndpointDestination`
//!   (`serviceResourceId`, `subresourceTarget`, `sparkEnabled`, `sparkStatus`),
//!   `ManagedNetworkProvisionStatus` (`status` Inactive|Active, `sparkReady`).
//!
//! Not documented, taken from what real workspaces show (a public Bicep export of a hub
//! workspace and the sample output of the Ansible `azure_rm_ml_workspace_info` module, both
//! listing Azure-made rules): the rules are named `__SYS_PE_<resource name>_<subresource>_<8 hex
//! digits>`, the hex suffix shared by the rules of one resource; the storage account gets `blob`
//! and `file`, the key vault `vault`, the registry `registry`, the workspace `amlworkspace`.
//! How Azure derives the suffix is not known: the emulator hashes the resource id. `sparkEnabled`
//! is true for storage and the workspace; the two sources disagree for the key vault (false in
//! one, true in the other): the emulator says false. Not verified either: whether Azure refuses
//! the deletion of a required rule or silently keeps it — the emulator keeps it (a PATCH whose
//! `outboundRules` leave one out does not remove it), as "automatically added" suggests; whether
//! rules added to an already provisioned network are `Active` at once (the emulator says yes);
//! and the `Provisioning` status while `provisionManagedNetwork` runs (the enum has it; the
//! emulator shows it for the rules not yet `Active` until the operation ends).

use serde_json::{Map, Value, json};

use super::World;

/// One rule Azure requires: (resource id, subresource, sparkEnabled).
type Required = (String, &'static str, bool);

/// The rule's name for `resource_id`'s `subresource`: `__SYS_PE_<name>_<sub>_<8 hex>`.
pub(super) fn required_rule_name(resource_id: &str, subresource: &str) -> String {
    let name = resource_id.rsplit('/').next().unwrap_or(resource_id);
    // FNV-1a over the lower-cased id: stable, one suffix per resource (see the module docs).
    let hash = resource_id
        .to_ascii_lowercase()
        .bytes()
        .fold(0x811c_9dc5_u32, |h, b| {
            (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
        });
    format!("__SYS_PE_{name}_{subresource}_{hash:08x}")
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

fn eq(a: Option<&str>, b: &str) -> bool {
    a.is_some_and(|a| a.eq_ignore_ascii_case(b))
}

impl World {
    /// Whether the resource `id` (as stored now) has its public network access disabled.
    fn public_access_disabled(&self, id: &str, own: Option<&Value>) -> bool {
        let body = own.or_else(|| self.get(id).map(|r| &r.body));
        body.is_some_and(|b| eq(str_at(b, "/properties/publicNetworkAccess"), "Disabled"))
    }

    /// The private endpoint rules Azure requires for the workspace `ws` (its stored body).
    fn required_rules(&self, ws: &Value) -> Vec<Required> {
        let mode = str_at(ws, "/properties/managedNetwork/isolationMode");
        let approved_only = eq(mode, "AllowOnlyApprovedOutbound");
        if !approved_only && !eq(mode, "AllowInternetOutbound") {
            return Vec::new();
        }
        let mut targets: Vec<(Option<&str>, &[&'static str], bool, bool)> = vec![
            (
                str_at(ws, "/properties/storageAccount"),
                &["blob", "file"],
                true,
                false,
            ),
            (str_at(ws, "/properties/keyVault"), &["vault"], false, false),
            (
                str_at(ws, "/properties/containerRegistry"),
                &["registry"],
                false,
                false,
            ),
        ];
        targets.push((str_at(ws, "/id"), &["amlworkspace"], true, true));
        let mut rules = Vec::new();
        for (id, subs, spark, own) in targets {
            let Some(id) = id.filter(|id| !id.trim().is_empty()) else {
                continue;
            };
            // Allow internet outbound: only for resources whose public access is disabled.
            if !approved_only && !self.public_access_disabled(id, own.then_some(ws)) {
                continue;
            }
            for sub in subs {
                rules.push((id.to_owned(), *sub, spark));
            }
        }
        rules
    }

    /// Add the required rules the workspace `ws` (its stored body, about to be written back)
    /// lacks. `before`: its outbound rules before this change, so a required rule a PATCH left
    /// out comes back with the status it had. A new rule is `Active` when the network already
    /// is, else `Inactive`. User rules without a category or status get `UserDefined` and the
    /// network's status.
    pub(super) fn add_required_outbound_rules(&self, ws: &mut Value, before: Option<&Value>) {
        let required = self.required_rules(ws);
        let network_active = eq(
            str_at(ws, "/properties/managedNetwork/status/status"),
            "Active",
        );
        let fresh = if network_active { "Active" } else { "Inactive" };
        let Some(mn) = ws
            .pointer_mut("/properties/managedNetwork")
            .and_then(Value::as_object_mut)
        else {
            return;
        };
        let rules = mn
            .entry("outboundRules")
            .or_insert_with(|| Value::Object(Map::new()));
        if !rules.is_object() {
            *rules = Value::Object(Map::new());
        }
        let Some(rules) = rules.as_object_mut() else {
            return;
        };
        for rule in rules.values_mut().filter(|r| r.is_object()) {
            if rule.get("category").is_none_or(Value::is_null) {
                rule["category"] = Value::from("UserDefined");
            }
            if rule.get("status").is_none_or(Value::is_null) {
                rule["status"] = Value::from(fresh);
            }
        }
        for (id, sub, spark) in required {
            let name = required_rule_name(&id, sub);
            if rules.contains_key(&name) {
                continue;
            }
            let status = before
                .and_then(|b| b.get(&name))
                .and_then(|r| r.get("status"))
                .and_then(Value::as_str)
                .unwrap_or(fresh)
                .to_owned();
            rules.insert(
                name,
                json!({
                    "type": "PrivateEndpoint",
                    "category": "Required",
                    "status": status,
                    "destination": {
                        "serviceResourceId": id,
                        "subresourceTarget": sub,
                        "sparkEnabled": spark,
                        "sparkStatus": "Inactive",
                    },
                }),
            );
        }
    }

    /// The network is being provisioned (`provisionManagedNetwork` accepted): its rules that
    /// are not `Active` yet show `Provisioning` until the operation ends.
    pub(super) fn provisioning_outbound_rules(&mut self, ws_id: &str) {
        let Some(r) = self.get_mut(ws_id) else {
            return;
        };
        if let Some(rules) = r
            .body
            .pointer_mut("/properties/managedNetwork/outboundRules")
            .and_then(Value::as_object_mut)
        {
            for rule in rules.values_mut().filter(|r| r.is_object()) {
                if !eq(str_at(rule, "/status"), "Active") {
                    rule["status"] = Value::from("Provisioning");
                }
            }
        }
    }

    /// The managed network of `ws_id` is provisioned: its status `Active` (`sparkReady` as
    /// asked), the required rules brought up to date, every rule `Active` (and the Spark side
    /// of a `sparkEnabled` private endpoint rule when Spark is included).
    pub(super) fn activate_managed_network(&mut self, ws_id: &str, include_spark: bool) {
        let Some(mut body) = self.get(ws_id).map(|r| r.body.clone()) else {
            return;
        };
        let Some(mn) = body.pointer_mut("/properties/managedNetwork") else {
            return;
        };
        mn["status"] = json!({"status": "Active", "sparkReady": include_spark});
        self.add_required_outbound_rules(&mut body, None);
        if let Some(rules) = body
            .pointer_mut("/properties/managedNetwork/outboundRules")
            .and_then(Value::as_object_mut)
        {
            for rule in rules.values_mut().filter(|r| r.is_object()) {
                rule["status"] = Value::from("Active");
                if include_spark
                    && rule.pointer("/destination/sparkEnabled") == Some(&Value::Bool(true))
                {
                    rule["destination"]["sparkStatus"] = Value::from("Active");
                }
            }
        }
        if let Some(r) = self.get_mut(ws_id) {
            r.body = body;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::required_rule_name;

    #[test]
    fn one_suffix_per_resource_and_the_resource_name_in_the_rule() {
        let id =
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/stx";
        let blob = required_rule_name(id, "blob");
        let file = required_rule_name(id, "file");
        assert!(blob.starts_with("__SYS_PE_stx_blob_"), "{blob}");
        assert_eq!(blob.len(), "__SYS_PE_stx_blob_".len() + 8);
        assert_eq!(blob.rsplit('_').next(), file.rsplit('_').next());
        assert_eq!(
            blob,
            required_rule_name(&id.to_uppercase().replace("STX", "stx"), "blob")
        );
        assert_ne!(
            blob.rsplit('_').next(),
            required_rule_name(&id.replace("stx", "sty"), "blob")
                .rsplit('_')
                .next()
        );
    }
}
