//! Which `api-version` each resource provider is called with. The most specific prefix of the
//! resource type wins, so `Microsoft.Network/privateDnsZones` (its own API) is told apart from
//! the rest of `Microsoft.Network`.

use crate::resource_id::ResourceId;

/// Machine Learning Services: the version of the examples the models are held to.
pub const ML_API_VERSION: &str = "2025-12-01";
/// Network (private endpoints, DNS zone groups, VNets).
pub const NETWORK_API_VERSION: &str = "2025-05-01";
/// Private DNS zones and their VNet links.
pub const PRIVATE_DNS_API_VERSION: &str = "2024-06-01";

/// Storage accounts (a workspace's associated storage; `stable/2025-01-01` of
/// azure-rest-api-specs, the last split-file spec).
pub const STORAGE_API_VERSION: &str = "2025-01-01";
/// Key vaults (`stable/2024-11-01/keyvault.json`, the newest split-file spec).
pub const KEYVAULT_API_VERSION: &str = "2024-11-01";
/// Container registries.
pub const CONTAINER_REGISTRY_API_VERSION: &str = "2025-04-01";
/// Application Insights components (2020-02-02 is the newest stable version with them).
pub const INSIGHTS_COMPONENTS_API_VERSION: &str = "2020-02-02";

/// Azure Monitor Private Link Scopes and their scoped resources (Microsoft.Insights
/// `preview/2021-07-01-preview/privateLinkScopes_API.json`, the version the ARM emulator serves).
pub const PRIVATE_LINK_SCOPES_API_VERSION: &str = "2021-07-01-preview";

/// Azure Monitor autoscale settings (`stable/2022-10-01/autoScale.json`).
pub const AUTOSCALE_API_VERSION: &str = "2022-10-01";

/// A table of resource-type prefixes and api-versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiVersions {
    /// `(lower-cased type prefix, api-version)`.
    entries: Vec<(String, String)>,
}

impl Default for ApiVersions {
    fn default() -> Self {
        Self::empty()
            .with("Microsoft.MachineLearningServices", ML_API_VERSION)
            .with("Microsoft.Network", NETWORK_API_VERSION)
            .with("Microsoft.Network/privateDnsZones", PRIVATE_DNS_API_VERSION)
            .with("Microsoft.Resources", "2021-04-01")
            .with("Microsoft.Storage", STORAGE_API_VERSION)
            .with("Microsoft.KeyVault", KEYVAULT_API_VERSION)
            .with(
                "Microsoft.ContainerRegistry",
                CONTAINER_REGISTRY_API_VERSION,
            )
            .with(
                "Microsoft.Insights/components",
                INSIGHTS_COMPONENTS_API_VERSION,
            )
            .with(
                "Microsoft.Insights/autoscalesettings",
                AUTOSCALE_API_VERSION,
            )
            .with(
                "Microsoft.Insights/privateLinkScopes",
                PRIVATE_LINK_SCOPES_API_VERSION,
            )
    }
}

impl ApiVersions {
    /// A table with no entries.
    pub fn empty() -> Self {
        Self {
            entries: Vec::new(),
        }
    }

    /// Sets the version for a resource type prefix such as `Microsoft.Network/privateDnsZones`.
    pub fn with(mut self, type_prefix: &str, version: &str) -> Self {
        let prefix = type_prefix.to_ascii_lowercase();
        self.entries.retain(|(p, _)| *p != prefix);
        self.entries.push((prefix, version.to_string()));
        self
    }

    /// The version for a resource type, if a prefix matches.
    pub fn for_type(&self, resource_type: &str) -> Option<&str> {
        let t = resource_type.to_ascii_lowercase();
        self.entries
            .iter()
            .filter(|(p, _)| t == *p || t.starts_with(&format!("{p}/")))
            .max_by_key(|(p, _)| p.len())
            .map(|(_, v)| v.as_str())
    }

    /// The version for the resource `id` names.
    pub fn for_id(&self, id: &ResourceId) -> Option<&str> {
        self.for_type(&id.resource_type())
    }
}
