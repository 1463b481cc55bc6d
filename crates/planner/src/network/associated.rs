//! A workspace's associated resources as legs of `NetworkIsolated`: the storage account, key
//! vault, container registry and Application Insights component the AML workspace names in its
//! ARM properties (`storageAccount`, `keyVault`, `containerRegistry`, `applicationInsights`).
//!
//! Observed only when `spec.network.associatedResources` is present (mode `Observe`): one GET
//! each per sync, none otherwise. Nothing here writes.
//!
//! A leg holds when (properties per Microsoft's REST specs; see the ARM emulator's
//! `world/associated.rs` for the files):
//! - storage account, key vault, registry: `properties.publicNetworkAccess` is `Disabled` (an
//!   absent value is public: a storage account without it follows its network ACLs, whose
//!   default action is `Allow` unless set), and at least one private endpoint connection is
//!   `Approved`;
//! - registry: `sku.name` is `Premium` (private link needs it; Microsoft Learn, "Azure Container
//!   Registry service tiers"); the controller never changes a SKU;
//! - Application Insights: `publicNetworkAccessForIngestion` and `publicNetworkAccessForQuery`
//!   are `Disabled` (its private path is an Azure Monitor Private Link Scope, which the
//!   controller does not manage or read).
//!
//! What is not checked: which VNet an Approved connection's private endpoint is in (the
//! connection carries only the endpoint's id; telling its VNet needs one more GET per
//! connection), and whether each storage sub-resource (blob, file) has its own connection (a
//! storage connection does not carry its group id).

use api::WorkspaceSpec;
use serde_json::Value;

use super::ids::name_of;
use crate::observe::{Observation, str_at};

/// One of the four associated resource kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssociatedKind {
    /// `Microsoft.Storage/storageAccounts`.
    StorageAccount,
    /// `Microsoft.KeyVault/vaults`.
    KeyVault,
    /// `Microsoft.ContainerRegistry/registries`.
    ContainerRegistry,
    /// `Microsoft.Insights/components`.
    ApplicationInsights,
}

impl AssociatedKind {
    /// Every kind, in the order legs are reported.
    pub const ALL: [Self; 4] = [
        Self::StorageAccount,
        Self::KeyVault,
        Self::ContainerRegistry,
        Self::ApplicationInsights,
    ];

    /// The workspace property that names it.
    pub fn workspace_property(self) -> &'static str {
        match self {
            Self::StorageAccount => "storageAccount",
            Self::KeyVault => "keyVault",
            Self::ContainerRegistry => "containerRegistry",
            Self::ApplicationInsights => "applicationInsights",
        }
    }

    /// How a message names it.
    pub fn label(self) -> &'static str {
        match self {
            Self::StorageAccount => "storage account",
            Self::KeyVault => "key vault",
            Self::ContainerRegistry => "container registry",
            Self::ApplicationInsights => "Application Insights",
        }
    }
}

/// An associated resource to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssociatedTarget {
    /// What it is.
    pub kind: AssociatedKind,
    /// Its ARM id, as the workspace names it.
    pub id: String,
}

/// The associated resources to GET in this sync: none unless the spec asks for them and the
/// workspace was read; one per workspace property that names a resource (a workspace without
/// a registry yet, say, has no `containerRegistry`).
pub fn associated_reads(spec: &WorkspaceSpec, workspace: &Observation) -> Vec<AssociatedTarget> {
    if spec.network.associated_resources.is_none() {
        return Vec::new();
    }
    let Some(ws) = workspace.found() else {
        return Vec::new();
    };
    AssociatedKind::ALL
        .into_iter()
        .filter_map(|kind| {
            let id = str_at(ws, &format!("/properties/{}", kind.workspace_property()))?;
            let id = id.trim();
            (id.starts_with('/') && id.len() <= 1024).then(|| AssociatedTarget {
                kind,
                id: id.to_owned(),
            })
        })
        .collect()
}

fn disabled(v: Option<&str>) -> bool {
    v.is_some_and(|v| v.eq_ignore_ascii_case("Disabled"))
}

/// Cut a value Azure reported before it goes into a message.
fn shown(v: &str) -> String {
    v.chars().take(32).collect()
}

/// What does not hold of one associated resource (empty: every leg holds).
pub fn associated_problems(kind: AssociatedKind, observed: &Observation) -> Vec<String> {
    let resource = match observed {
        Observation::Found(r) => r,
        Observation::Missing => return vec!["not found".to_owned()],
        Observation::Skipped => return vec!["not read in this sync".to_owned()],
    };
    let mut problems = Vec::new();
    if kind == AssociatedKind::ApplicationInsights {
        for (field, what) in [
            ("publicNetworkAccessForIngestion", "ingestion"),
            ("publicNetworkAccessForQuery", "query"),
        ] {
            let v = str_at(resource, &format!("/properties/{field}"));
            if !disabled(v) {
                problems.push(format!(
                    "public network access for {what} {}",
                    shown(v.unwrap_or("Enabled"))
                ));
            }
        }
        if !problems.is_empty() {
            problems.push(
                "its private path (an Azure Monitor Private Link Scope) is not managed by the controller".to_owned(),
            );
        }
        return problems;
    }
    let public = str_at(resource, "/properties/publicNetworkAccess");
    if !disabled(public) {
        let default_action = str_at(resource, "/properties/networkAcls/defaultAction")
            .or_else(|| str_at(resource, "/properties/networkRuleSet/defaultAction"))
            .unwrap_or("Allow");
        problems.push(format!(
            "public network access {} (network ACL default action {})",
            shown(public.unwrap_or("Enabled")),
            shown(default_action)
        ));
    }
    if kind == AssociatedKind::ContainerRegistry {
        let sku = str_at(resource, "/sku/name").unwrap_or("unknown");
        if !sku.eq_ignore_ascii_case("Premium") {
            problems.push(format!(
                "SKU {}: a private endpoint needs the Premium SKU (the controller does not change SKUs)",
                shown(sku)
            ));
            return problems;
        }
    }
    let approved = resource
        .pointer("/properties/privateEndpointConnections")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter().any(|c| {
                str_at(c, "/properties/privateLinkServiceConnectionState/status")
                    .is_some_and(|s| s.eq_ignore_ascii_case("Approved"))
            })
        });
    if !approved {
        problems.push("no Approved private endpoint".to_owned());
    }
    problems
}

/// One problem line per associated resource whose legs do not all hold, in the order of
/// `targets` (`observed` is read in the same order; a missing entry counts as not read):
/// `storage account stmlprod: public network access Enabled (network ACL default action
/// Allow), no Approved private endpoint`.
pub fn associated_findings(targets: &[AssociatedTarget], observed: &[Observation]) -> Vec<String> {
    targets
        .iter()
        .enumerate()
        .filter_map(|(i, t)| {
            let o = observed.get(i).unwrap_or(&Observation::Skipped);
            let problems = associated_problems(t.kind, o);
            (!problems.is_empty()).then(|| {
                format!(
                    "{} {}: {}",
                    t.kind.label(),
                    name_of(&t.id),
                    problems.join(", ")
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_private_premium_registry_holds() {
        let r = json!({"sku": {"name": "Premium"}, "properties": {"publicNetworkAccess": "Disabled",
            "privateEndpointConnections": [{"properties": {"privateLinkServiceConnectionState": {"status": "Approved"}}}]}});
        assert!(
            associated_problems(AssociatedKind::ContainerRegistry, &Observation::Found(r))
                .is_empty()
        );
    }

    #[test]
    fn key_vault_lower_case_disabled_holds_its_public_leg() {
        let r = json!({"properties": {"publicNetworkAccess": "disabled"}});
        assert_eq!(
            associated_problems(AssociatedKind::KeyVault, &Observation::Found(r)),
            ["no Approved private endpoint"]
        );
    }
}
