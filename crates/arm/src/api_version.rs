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
