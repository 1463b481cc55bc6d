//! A workspace's associated resources as legs of `NetworkIsolated`: the storage account, key
//! vault, container registry and Application Insights component the AML workspace names in its
//! ARM properties (`storageAccount`, `keyVault`, `containerRegistry`, `applicationInsights`).
//!
//! Observed only when `spec.network.associatedResources` is present: one GET each per sync,
//! none otherwise. With `mode: Observe` nothing is written; with `mode: Enforce`
//! [`enforce_targets`] adds private endpoints for storage (`blob`, `file`), key vault (`vault`)
//! and a Premium registry (`registry`) to the Workspace's network targets, and the legs turn
//! each one's public access off once its private path holds (see [`super::legs`]).
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
//!   are `Disabled`; with `mode: Enforce` and `applicationInsights.privateLinkScopeId` also
//!   linked to the hub's Azure Monitor Private Link Scope, which has an Approved private
//!   endpoint connection (see [`super::insights`]; the controller never creates the scope).
//!
//! What is not checked: which VNet an Approved connection's private endpoint is in (the
//! connection carries only the endpoint's id; telling its VNet needs one more GET per
//! connection), and whether each storage sub-resource (blob, file) has its own connection (a
//! storage connection does not carry its group id).

use api::WorkspaceSpec;
use api::workspace::AssociatedResourcesMode;
use serde_json::Value;

use super::ids::{name_of, parent_of, resource_group_of, same_id, subscription_of};
use super::insights::InsightsTarget;
use super::targets::{
    AssociatedZones, EndpointTarget, LinkTarget, NetworkTargets, ZONE_GROUP_NAME, ZoneTarget,
    link_name,
};
use crate::observe::{Observation, str_at};
use crate::validate::FieldError;

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

    /// The group ids the controller makes private endpoints for with `mode: Enforce`
    /// (storage `blob` and `file`, key vault `vault`, registry `registry`); none for
    /// Application Insights (its private path is an Azure Monitor Private Link Scope).
    pub fn enforced_groups(self) -> &'static [&'static str] {
        match self {
            Self::StorageAccount => &["blob", "file"],
            Self::KeyVault => &["vault"],
            Self::ContainerRegistry => &["registry"],
            Self::ApplicationInsights => &[],
        }
    }

    /// Its ARM resource type.
    pub fn arm_type(self) -> &'static str {
        match self {
            Self::StorageAccount => "Microsoft.Storage/storageAccounts",
            Self::KeyVault => "Microsoft.KeyVault/vaults",
            Self::ContainerRegistry => "Microsoft.ContainerRegistry/registries",
            Self::ApplicationInsights => "Microsoft.Insights/components",
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

/// True when the spec asks the controller to make the associated resources private.
pub fn enforces(spec: &WorkspaceSpec) -> bool {
    spec.network
        .associated_resources
        .as_ref()
        .is_some_and(|a| a.mode == AssociatedResourcesMode::Enforce)
}

/// True when a registry, as read, is not Premium (private link needs Premium; Microsoft Learn,
/// "Azure Container Registry service tiers"). A registry not read is not known to be anything.
pub fn not_premium(registry: &Observation) -> Option<String> {
    let sku = str_at(registry.found()?, "/sku/name").unwrap_or("unknown");
    (!sku.eq_ignore_ascii_case("Premium")).then(|| shown(sku))
}

/// The observation of the associated resource `id` among `observed` (read in the order of
/// [`associated_reads`]): matched by the `id` Azure returned.
pub fn observed_resource<'a>(
    id: &str,
    targets: &[AssociatedTarget],
    observed: &'a [Observation],
) -> &'a Observation {
    targets
        .iter()
        .position(|t| same_id(&t.id, id))
        .and_then(|i| observed.get(i))
        .unwrap_or(&Observation::Skipped)
}

/// With `mode: Enforce`, adds to `targets` the associated resources whose public access is
/// enforced and a private endpoint per resource and group id (`<resource>-<group>-pe`, in the
/// subnet of `spec.network.privateEndpoints[0]`, with its `approve`), each with its one private
/// DNS zone (`zones`, created in `privateDnsZones.resourceGroup` in the linked VNet's
/// subscription and linked to that VNet) and a zone group. A registry read as not Premium gets
/// no private endpoint (Azure refuses one). `workspace` is the AML workspace as read (it names
/// the resources); `observed` the associated resources as read, in [`associated_reads`] order.
/// Without `mode: Enforce`, or before the workspace is read, `targets` is left as it is.
///
/// # Errors
/// A [`FieldError`] naming `spec.network.associatedResources` when the first private endpoint
/// gives no subnet or zone resource group (the CRD refuses such a spec; objects that did not
/// pass the API server's validation are refused here), or a generated name is already a
/// declared private endpoint's.
pub fn enforce_targets(
    targets: &mut NetworkTargets,
    spec: &WorkspaceSpec,
    workspace: &Observation,
    observed: &[Observation],
    zones: AssociatedZones,
) -> Result<(), FieldError> {
    if !enforces(spec) {
        return Ok(());
    }
    let field = "spec.network.associatedResources".to_owned();
    let needs = || {
        FieldError {
        field: field.clone(),
        message: "mode Enforce needs spec.network.privateEndpoints[0] with privateDnsZones.resourceGroup and linkVirtualNetworkId: the associated resources' private endpoints go into its subnet and their zones into that resource group".to_owned(),
    }
    };
    let first = spec.network.private_endpoints.first().ok_or_else(needs)?;
    let dns = first.private_dns_zones.as_ref().ok_or_else(needs)?;
    let (Some(zone_rg), Some(link_vnet)) = (&dns.resource_group, &dns.link_virtual_network_id)
    else {
        return Err(needs());
    };
    let (Some(sub), Some(rg), Some(vnet_id), Some(zone_sub)) = (
        subscription_of(&first.subnet_id),
        resource_group_of(&first.subnet_id),
        parent_of(&first.subnet_id),
        subscription_of(link_vnet),
    ) else {
        return Err(needs());
    };
    let reads = associated_reads(spec, workspace);
    // In a managed network that allows only approved outbound, Azure makes the private
    // endpoints from the workspace to them itself (see [`approved_outbound`]): no user-VNet
    // private endpoint is made, and public access waits for those outbound rules instead.
    let managed = approved_outbound(workspace).is_some();
    for target in &reads {
        if target.kind == AssociatedKind::ApplicationInsights
            && let Some(link) = spec
                .network
                .associated_resources
                .as_ref()
                .and_then(|a| a.application_insights.as_ref())
        {
            link.validate().map_err(|message| FieldError {
                field: "spec.network.associatedResources.applicationInsights.privateLinkScopeId"
                    .to_owned(),
                message: message
                    .split_once(": ")
                    .map_or(message.as_str(), |(_, m)| m)
                    .to_owned(),
            })?;
            targets.insights = Some(InsightsTarget::new(&target.id, &link.private_link_scope_id));
        }
        if target.kind.enforced_groups().is_empty() {
            continue;
        }
        targets.associated.push(target.clone());
        if managed {
            continue;
        }
        if target.kind == AssociatedKind::ContainerRegistry
            && not_premium(observed_resource(&target.id, &reads, observed)).is_some()
        {
            continue;
        }
        for group in target.kind.enforced_groups() {
            let Some(zone) = zones.for_group(group) else {
                continue;
            };
            let name = format!("{}-{group}-pe", name_of(&target.id));
            if spec
                .network
                .private_endpoints
                .iter()
                .any(|pe| pe.name.eq_ignore_ascii_case(&name))
            {
                return Err(FieldError {
                    field: field.clone(),
                    message: format!(
                        "mode Enforce names the private endpoint of {} {} {name:?}, which spec.network.privateEndpoints already declares; rename that one",
                        target.kind.label(),
                        name_of(&target.id)
                    ),
                });
            }
            let id = format!(
                "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/privateEndpoints/{name}"
            );
            let zone_id = format!(
                "/subscriptions/{zone_sub}/resourceGroups/{zone_rg}/providers/Microsoft.Network/privateDnsZones/{zone}"
            );
            targets.endpoints.push(EndpointTarget {
                name,
                zone_group_id: Some(format!("{id}/privateDnsZoneGroups/{ZONE_GROUP_NAME}")),
                id,
                subnet_id: first.subnet_id.clone(),
                vnet_id: vnet_id.clone(),
                service_id: target.id.clone(),
                group_id: (*group).to_owned(),
                associated: Some(target.kind),
                approve: first.approve,
                zones: vec![ZoneTarget {
                    link: Some(LinkTarget {
                        vnet_id: link_vnet.clone(),
                        id: format!("{zone_id}/virtualNetworkLinks/{}", link_name(link_vnet)),
                    }),
                    id: zone_id,
                    name: zone.to_owned(),
                    create: true,
                }],
            });
        }
    }
    Ok(())
}

/// The image build leg of the container registry: once the registry is behind the VNet (its
/// public network access `Disabled`, or `mode: Enforce` making it so), Azure's default image
/// build (serverless compute) cannot reach it, and environment images are built only on the
/// workspace's `imageBuildCompute` (Microsoft Learn, "Secure an Azure Machine Learning workspace
/// with virtual networks", section "Secure Azure Container Registry": serverless image builds
/// work "only when the workspace-dependent resources such as Storage Account or Container
/// Registry are not under any network restriction (private endpoints)"; otherwise "use an
/// image-build-compute instead") or the serverless compute of a managed network (Microsoft
/// Learn, "Workspace managed network isolation": with a managed network Azure creates the
/// private endpoints to the registry itself). Returns the problem line when neither
/// `spec.network.associatedResources.imageBuildCompute`, the workspace's `imageBuildCompute`,
/// nor a managed network (`managedNetwork.isolationMode` other than `Disabled`) is there; `None`
/// when the registry is public, not read, or builds can run. `workspace` is the AML workspace
/// as read; `targets`/`observed` as [`associated_reads`] read them.
pub fn image_build_problem(
    spec: &WorkspaceSpec,
    workspace: &Observation,
    targets: &[AssociatedTarget],
    observed: &[Observation],
) -> Option<String> {
    let associated = spec.network.associated_resources.as_ref()?;
    let ws = workspace.found()?;
    let registry = targets
        .iter()
        .find(|t| t.kind == AssociatedKind::ContainerRegistry)?;
    let body = observed_resource(&registry.id, targets, observed).found()?;
    let behind_vnet = disabled(str_at(body, "/properties/publicNetworkAccess"))
        || (associated.mode == AssociatedResourcesMode::Enforce
            && not_premium(&Observation::Found(body.clone())).is_none());
    if !behind_vnet {
        return None;
    }
    let named = |v: Option<&str>| v.is_some_and(|c| !c.trim().is_empty());
    if named(associated.image_build_compute.as_deref())
        || named(str_at(ws, "/properties/imageBuildCompute"))
    {
        return None;
    }
    let managed = str_at(ws, "/properties/managedNetwork/isolationMode")
        .is_some_and(|m| !m.eq_ignore_ascii_case("Disabled"));
    if managed {
        return None;
    }
    Some(format!(
        "container registry {}: behind the VNet, Azure cannot build environment images: the workspace has no imageBuildCompute and no managed network (set spec.network.associatedResources.imageBuildCompute to a CPU compute cluster in the VNet)",
        name_of(&registry.id)
    ))
}

/// The workspace as read when its managed network allows only approved outbound: Azure then
/// creates the private endpoints from the managed network to the workspace's storage account,
/// key vault and registry itself, as required outbound rules, "regardless of public network
/// access mode for those resources" (Microsoft Learn, "Workspace managed network isolation",
/// "List of required rules"). Their status is in the workspace's own body
/// (`properties.managedNetwork.outboundRules`, `workspaceRP.json` 2025-12-01
/// `ManagedNetworkSettings`/`PrivateEndpointOutboundRule`/`RuleStatus`): no extra read.
pub fn approved_outbound(workspace: &Observation) -> Option<&Value> {
    let ws = workspace.found()?;
    allows_only_approved_outbound(ws).then_some(ws)
}

/// True when the workspace as read has a managed network that allows only approved outbound.
pub fn allows_only_approved_outbound(workspace: &Value) -> bool {
    str_at(workspace, "/properties/managedNetwork/isolationMode")
        .is_some_and(|m| m.eq_ignore_ascii_case("AllowOnlyApprovedOutbound"))
}

/// What does not hold of the managed network's outbound path to `resource_id` (a workspace
/// read as [`approved_outbound`]): its `PrivateEndpoint` outbound rules whose
/// `destination.serviceResourceId` is the resource must exist and all be `Active`. `None` when
/// they are.
pub fn outbound_rule_problem(workspace: &Value, resource_id: &str) -> Option<String> {
    let rules: Vec<(&String, &Value)> = workspace
        .pointer("/properties/managedNetwork/outboundRules")
        .and_then(Value::as_object)
        .map(|rules| {
            rules
                .iter()
                .filter(|(_, r)| {
                    str_at(r, "/type").is_some_and(|t| t.eq_ignore_ascii_case("PrivateEndpoint"))
                        && str_at(r, "/destination/serviceResourceId")
                            .is_some_and(|id| same_id(id, resource_id))
                })
                .collect()
        })
        .unwrap_or_default();
    if rules.is_empty() {
        return Some(
            "no managed network outbound rule to it yet (Azure adds it when the managed network is provisioned)"
                .to_owned(),
        );
    }
    let pending: Vec<String> = rules
        .iter()
        .filter_map(|(name, r)| {
            let status = str_at(r, "/status").unwrap_or("unknown");
            (!status.eq_ignore_ascii_case("Active")).then(|| {
                let sub = str_at(r, "/destination/subresourceTarget")
                    .map(|s| format!(" ({})", shown(s)))
                    .unwrap_or_default();
                let error = str_at(r, "/errorInformation")
                    .map(|e| format!(": {}", e.chars().take(200).collect::<String>()))
                    .unwrap_or_default();
                format!(
                    "managed network outbound rule {}{sub} {}{error}",
                    // Azure names its required rules `__SYS_PE_<resource>_<sub>_<8 hex>`,
                    // longer than 32 characters: cut later, or the name is lost.
                    name.chars().take(96).collect::<String>(),
                    shown(status)
                )
            })
        })
        .collect();
    (!pending.is_empty()).then(|| pending.join(", "))
}

fn disabled(v: Option<&str>) -> bool {
    v.is_some_and(|v| v.eq_ignore_ascii_case("Disabled"))
}

/// Cut a value Azure reported before it goes into a message.
fn shown(v: &str) -> String {
    v.chars().take(32).collect()
}

/// What does not hold of one associated resource (empty: every leg holds).
///
/// `managed`: the workspace when its managed network allows only approved outbound
/// ([`approved_outbound`]); then the private path of storage, key vault and registry is the
/// managed network's outbound rule ([`outbound_rule_problem`]), not an Approved connection.
pub fn associated_problems(
    kind: AssociatedKind,
    observed: &Observation,
    managed: Option<&Value>,
) -> Vec<String> {
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
                "to make it private, set spec.network.associatedResources.applicationInsights.privateLinkScopeId to the hub's Azure Monitor Private Link Scope with mode Enforce".to_owned(),
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
    if let Some(ws) = managed {
        let id = str_at(resource, "/id").unwrap_or_default();
        problems.extend(outbound_rule_problem(ws, id));
        return problems;
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
pub fn associated_findings(
    targets: &[AssociatedTarget],
    observed: &[Observation],
    managed: Option<&Value>,
) -> Vec<String> {
    targets
        .iter()
        .enumerate()
        .filter_map(|(i, t)| {
            let o = observed.get(i).unwrap_or(&Observation::Skipped);
            let problems = associated_problems(t.kind, o, managed);
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
            associated_problems(
                AssociatedKind::ContainerRegistry,
                &Observation::Found(r),
                None
            )
            .is_empty()
        );
    }

    #[test]
    fn key_vault_lower_case_disabled_holds_its_public_leg() {
        let r = json!({"properties": {"publicNetworkAccess": "disabled"}});
        assert_eq!(
            associated_problems(AssociatedKind::KeyVault, &Observation::Found(r), None),
            ["no Approved private endpoint"]
        );
    }
}
