//! The seed: what exists in the emulated Azure before the first request — subscriptions,
//! resource groups, ML workspaces, virtual networks with subnets, private DNS zones, and the
//! principals that may ask for tokens together with the ARM scopes they are allowed.
//!
//! Seeds are plain serde values, read from YAML (serde-saphyr) or JSON, or built in code.
//! Field names are camelCase, like ARM.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// Everything present at start.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Seed {
    /// Subscriptions with their resource groups.
    pub subscriptions: Vec<SubscriptionSeed>,
    /// Service principals / workload identities that may obtain tokens.
    pub principals: Vec<PrincipalSeed>,
}

/// One subscription.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct SubscriptionSeed {
    /// The subscription id (a GUID in Azure; any string is accepted here).
    pub id: String,
    /// Display name.
    pub display_name: Option<String>,
    /// Resource groups.
    pub resource_groups: Vec<ResourceGroupSeed>,
}

/// One resource group and what it holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct ResourceGroupSeed {
    /// Resource group name.
    pub name: String,
    /// Azure region, e.g. `westeurope`.
    pub location: String,
    /// ML workspaces.
    pub workspaces: Vec<WorkspaceSeed>,
    /// Virtual networks.
    pub virtual_networks: Vec<VirtualNetworkSeed>,
    /// Azure ML registries (`Microsoft.MachineLearningServices/registries`) by name; their
    /// model, environment and code versions are published with the admin
    /// `publish_asset_version`.
    pub ml_registries: Vec<String>,
    /// Private DNS zones that already exist (the controller may also create its own).
    pub private_dns_zones: Vec<String>,
    /// Azure Monitor Private Link Scopes that already exist (the hub team's; the controller
    /// never creates one). Their private endpoints are `privateEndpoints` entries whose target
    /// is the scope's id, group id `azuremonitor`.
    pub private_link_scopes: Vec<PrivateLinkScopeSeed>,
    /// Private endpoints that already exist (made by a platform team with Terraform, say), with
    /// their connection to the target already Approved. Seeded after every resource group, so
    /// the subnet and target may be in any resource group of the seed.
    pub private_endpoints: Vec<PrivateEndpointSeed>,
}

/// An existing Azure Monitor Private Link Scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct PrivateLinkScopeSeed {
    /// Scope name.
    pub name: String,
    /// `accessModeSettings.ingestionAccessMode`: `Open` (default) or `PrivateOnly`.
    pub ingestion_access_mode: String,
    /// `accessModeSettings.queryAccessMode`: `Open` (default) or `PrivateOnly`.
    pub query_access_mode: String,
}

impl Default for PrivateLinkScopeSeed {
    fn default() -> Self {
        Self {
            name: String::new(),
            ingestion_access_mode: "Open".to_string(),
            query_access_mode: "Open".to_string(),
        }
    }
}

/// An existing private endpoint, connected (Approved) to a private link resource.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct PrivateEndpointSeed {
    /// Private endpoint name.
    pub name: String,
    /// ARM id of the subnet it is in.
    pub subnet_id: String,
    /// ARM id of the private link resource (an ML workspace, storage account, key vault,
    /// Premium registry or Azure Monitor Private Link Scope).
    pub target: String,
    /// Group id, default `amlworkspace` (`blob`, `file`, `vault`, `registry`, `azuremonitor`
    /// for the others).
    pub group_id: Option<String>,
}

/// An existing Azure ML workspace (the controller never creates these).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct WorkspaceSeed {
    /// Workspace name.
    pub name: String,
    /// Region; default the resource group's.
    pub location: Option<String>,
    /// Storage account ARM id; default a generated id in the same resource group.
    pub storage_account: Option<String>,
    /// Key Vault ARM id; default a generated id.
    pub key_vault: Option<String>,
    /// Container registry ARM id; default a generated id.
    pub container_registry: Option<String>,
    /// Application Insights ARM id; default a generated id.
    pub application_insights: Option<String>,
    /// Whether the four associated resources are created too (public network access
    /// `Enabled`, network ACLs `Allow`, as a fresh workspace's are), when their resource group is
    /// in the seed and they do not exist yet. Default true.
    pub create_associated_resources: bool,
    /// The container registry's `sku.name`: `Basic`, `Standard` or `Premium` (default; private
    /// link needs Premium).
    pub container_registry_sku: String,
    /// `Enabled` or `Disabled`.
    pub public_network_access: String,
    /// Managed network settings.
    pub managed_network: ManagedNetworkSeed,
    /// Tags.
    pub tags: serde_json::Map<String, serde_json::Value>,
    /// Friendly name.
    pub friendly_name: Option<String>,
    /// Description.
    pub description: Option<String>,
}

impl Default for WorkspaceSeed {
    fn default() -> Self {
        Self {
            name: String::new(),
            location: None,
            storage_account: None,
            key_vault: None,
            container_registry: None,
            application_insights: None,
            create_associated_resources: true,
            container_registry_sku: "Premium".to_string(),
            public_network_access: "Enabled".to_string(),
            managed_network: ManagedNetworkSeed::default(),
            tags: serde_json::Map::new(),
            friendly_name: None,
            description: None,
        }
    }
}

/// A workspace's managed network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct ManagedNetworkSeed {
    /// `Disabled`, `AllowInternetOutbound` or `AllowOnlyApprovedOutbound`.
    pub isolation_mode: String,
    /// `Inactive` (not provisioned yet) or `Active`.
    pub status: String,
}

impl Default for ManagedNetworkSeed {
    fn default() -> Self {
        Self {
            isolation_mode: "Disabled".to_string(),
            status: "Inactive".to_string(),
        }
    }
}

/// A virtual network with its subnets.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct VirtualNetworkSeed {
    /// VNet name.
    pub name: String,
    /// Region; default the resource group's.
    pub location: Option<String>,
    /// Address space, e.g. `["10.10.0.0/16"]`.
    pub address_prefixes: Vec<String>,
    /// Subnets.
    pub subnets: Vec<SubnetSeed>,
}

/// A subnet.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct SubnetSeed {
    /// Subnet name.
    pub name: String,
    /// IPv4 prefix, e.g. `10.10.1.0/24`; private endpoint IPs are allocated from it.
    pub address_prefix: String,
}

/// A principal that may obtain tokens from the emulator's Entra-ID-like endpoint.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct PrincipalSeed {
    /// Directory (tenant) id the principal lives in.
    pub tenant_id: String,
    /// Application (client) id.
    pub client_id: String,
    /// Object id; default derived from the client id.
    pub object_id: Option<String>,
    /// Client secret accepted by the client-credentials grant (`None` = secrets refused).
    pub secret: Option<String>,
    /// Whether a client assertion (workload identity federation) is accepted. Ignored when
    /// `federatedCredentials` is not empty (kept for seeds written before it).
    pub federated_assertion_accepted: bool,
    /// If set, the exact assertion that is accepted; otherwise any non-empty assertion.
    pub federated_assertion: Option<String>,
    /// Federated identity credentials, as Entra ID keeps them on an app registration or a
    /// user-assigned managed identity: a client assertion is accepted only when its `iss`,
    /// `sub` and `aud` claims match one of them.
    pub federated_credentials: Vec<FederatedCredentialSeed>,
    /// ARM scopes this principal may act on (`/`, `/subscriptions/<id>`,
    /// `/subscriptions/<id>/resourceGroups/<rg>`, or a resource id). Prefix match on segments.
    pub scopes: Vec<String>,
    /// Scopes this principal may only read (GET); writes there are 403.
    pub read_only_scopes: Vec<String>,
    /// Actions the principal's role excludes within its scopes, as an Azure role definition's
    /// `NotActions` (`*` matches any run of characters, compared without regard to case), e.g.
    /// `Microsoft.MachineLearningServices/workspaces/privateEndpointConnectionsApproval/action`
    /// for a Contributor-like role that may not auto-approve private endpoint connections.
    /// Honoured by the linked-authorization check of private endpoint auto-approval; the
    /// request pipeline's own check is by scope only.
    pub not_actions: Vec<String>,
}

/// One federated identity credential (Microsoft Learn, "Workload identity federation"): the
/// external token's issuer, subject and audience that the principal trusts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct FederatedCredentialSeed {
    /// The external identity provider's issuer URL (a cluster's OIDC issuer), matched exactly.
    pub issuer: String,
    /// The external identity, e.g. `system:serviceaccount:<namespace>:<name>`, matched exactly.
    pub subject: String,
    /// The audiences the token must carry one of; empty means `api://AzureADTokenExchange`.
    pub audiences: Vec<String>,
}

impl Seed {
    /// Parse a YAML seed document.
    ///
    /// # Errors
    /// [`Error::ParseSeedYaml`] when the text does not match the schema.
    pub fn from_yaml(text: &str) -> Result<Self, Error> {
        serde_saphyr::from_str(text).map_err(Error::ParseSeedYaml)
    }

    /// Parse a JSON seed document.
    ///
    /// # Errors
    /// [`Error::ParseSeedJson`] when the text does not match the schema.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        serde_json::from_str(text).map_err(Error::ParseSeedJson)
    }

    /// Read a seed file; `.json` files are JSON, anything else YAML.
    ///
    /// # Errors
    /// [`Error::ReadSeed`] or a parse error.
    pub fn from_file(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::ReadSeed {
            path: path.to_path_buf(),
            source,
        })?;
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        {
            Self::from_json(&text)
        } else {
            Self::from_yaml(&text)
        }
    }

    /// The seed the project's examples and sandbox use (`seeds/sandbox.yaml`).
    ///
    /// # Errors
    /// Only if the embedded file were broken (a test guards it).
    pub fn sandbox() -> Result<Self, Error> {
        Self::from_yaml(include_str!("../seeds/sandbox.yaml"))
    }

    /// Merge another seed into this one (subscriptions with the same id are merged).
    pub fn merge(mut self, other: Seed) -> Self {
        for sub in other.subscriptions {
            match self
                .subscriptions
                .iter_mut()
                .find(|s| s.id.eq_ignore_ascii_case(&sub.id))
            {
                Some(existing) => existing.resource_groups.extend(sub.resource_groups),
                None => self.subscriptions.push(sub),
            }
        }
        self.principals.extend(other.principals);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sandbox_seed_has_the_ids_the_examples_use() {
        let seed = Seed::sandbox().unwrap();
        let sub = &seed.subscriptions[0];
        assert_eq!(sub.id, "11111111-2222-3333-4444-555555555555");
        let names: Vec<&str> = sub
            .resource_groups
            .iter()
            .map(|g| g.name.as_str())
            .collect();
        assert_eq!(names, ["rg-ml", "rg-net", "rg-dns"]);
        let ws = &sub.resource_groups[0].workspaces[0];
        assert_eq!(
            (ws.name.as_str(), ws.public_network_access.as_str()),
            ("mlw-prod", "Enabled")
        );
        assert_eq!(
            sub.resource_groups[1].virtual_networks[0].subnets[0].name,
            "pe"
        );
        assert!(seed.principals.iter().all(|p| !p.scopes.is_empty()));
    }

    #[test]
    fn unknown_fields_are_refused_and_seeds_merge() {
        assert!(Seed::from_yaml("subscriptions: []\nprincipalz: []\n").is_err());
        let extra = Seed::from_json(r#"{"subscriptions":[{"id":"11111111-2222-3333-4444-555555555555","resourceGroups":[{"name":"rg-x","location":"westus"}]}]}"#).unwrap();
        let merged = Seed::sandbox().unwrap().merge(extra);
        assert_eq!(merged.subscriptions.len(), 1);
        assert_eq!(merged.subscriptions[0].resource_groups.len(), 4);
    }
}
