//! api-version checks. ARM accepts every version a provider publishes (previews included) and
//! answers 400 otherwise: `MissingApiVersionParameter` when absent, `InvalidApiVersionParameter`
//! when it is not a date-shaped version, `NoRegisteredProviderFound` when it is well formed but
//! not published for the resource type.

use crate::wire::ArmError;

/// The provider family a path belongs to; each publishes its own api-versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ApiFamily {
    MachineLearning,
    Network,
    PrivateDns,
    Resources,
    Storage,
    KeyVault,
    ContainerRegistry,
    Insights,
    /// Microsoft.Insights/autoscalesettings, which publishes its own versions.
    Autoscale,
    /// Microsoft.Insights/privateLinkScopes (Azure Monitor Private Link Scopes).
    PrivateLinkScopes,
}

/// Microsoft.MachineLearningServices versions (stable and preview). The controller uses
/// 2025-12-01 and 2026-07-01; Microsoft's own clients still send older previews.
const ML_VERSIONS: &[&str] = &[
    "2020-06-01",
    "2021-01-01",
    "2021-03-01-preview",
    "2021-04-01",
    "2021-07-01",
    "2021-10-01",
    "2022-01-01-preview",
    "2022-02-01-preview",
    "2022-05-01",
    "2022-06-01-preview",
    "2022-10-01",
    "2022-10-01-preview",
    "2022-12-01-preview",
    "2023-02-01-preview",
    "2023-04-01",
    "2023-04-01-preview",
    "2023-06-01-preview",
    "2023-08-01-preview",
    "2023-10-01",
    "2024-01-01-preview",
    "2024-04-01",
    "2024-04-01-preview",
    "2024-07-01-preview",
    "2024-10-01",
    "2024-10-01-preview",
    "2025-01-01-preview",
    "2025-04-01",
    "2025-04-01-preview",
    "2025-06-01",
    "2025-07-01-preview",
    "2025-09-01",
    "2025-10-01-preview",
    "2025-12-01",
    "2026-01-01-preview",
    "2026-07-01",
];

const NETWORK_VERSIONS: &[&str] = &[
    "2019-11-01",
    "2020-03-01",
    "2020-04-01",
    "2020-05-01",
    "2020-06-01",
    "2020-07-01",
    "2020-08-01",
    "2020-11-01",
    "2021-02-01",
    "2021-03-01",
    "2021-05-01",
    "2021-08-01",
    "2022-01-01",
    "2022-05-01",
    "2022-07-01",
    "2022-09-01",
    "2022-11-01",
    "2023-02-01",
    "2023-04-01",
    "2023-05-01",
    "2023-06-01",
    "2023-09-01",
    "2023-11-01",
    "2024-01-01",
    "2024-03-01",
    "2024-05-01",
    "2024-07-01",
    "2024-10-01",
    "2025-01-01",
    "2025-03-01",
    "2025-05-01",
    "2025-07-01",
    "2025-09-01",
];

const PRIVATE_DNS_VERSIONS: &[&str] = &["2018-09-01", "2020-01-01", "2020-06-01", "2024-06-01"];

/// Stable Microsoft.Storage versions of azure-rest-api-specs (`stable/<version>` folders; the
/// controller uses 2025-01-01, whose `privatelinks.json` is the one read).
const STORAGE_VERSIONS: &[&str] = &[
    "2021-09-01",
    "2022-05-01",
    "2022-09-01",
    "2023-01-01",
    "2023-04-01",
    "2023-05-01",
    "2024-01-01",
    "2025-01-01",
    "2025-06-01",
    "2025-08-01",
    // stable/2026-04-01 exists upstream (its examples folder); Microsoft's 2026-09-01
    // StorageAccountListPrivateEndpointConnections.json example carries this version.
    "2026-04-01",
    "2026-09-01",
];

/// Stable Microsoft.KeyVault versions (the controller uses 2024-11-01, the newest split spec).
const KEYVAULT_VERSIONS: &[&str] = &[
    "2021-10-01",
    "2022-07-01",
    "2023-02-01",
    "2023-07-01",
    "2024-11-01",
    "2025-05-01",
    "2026-02-01",
    "2026-04-01",
];

/// Stable Microsoft.ContainerRegistry versions (the controller uses 2025-04-01).
const REGISTRY_VERSIONS: &[&str] = &[
    "2021-09-01",
    "2022-12-01",
    "2023-07-01",
    "2025-04-01",
    "2025-11-01",
];

/// Microsoft.Insights components versions (2020-02-02 is the newest stable with components).
const INSIGHTS_VERSIONS: &[&str] = &["2015-05-01", "2020-02-02", "2020-02-02-preview"];

/// Microsoft.Insights privateLinkScopes versions (`preview/2019-10-17-preview` and
/// `preview/2021-07-01-preview` of azure-rest-api-specs `monitor/.../Microsoft.Insights`; the
/// controller uses 2021-07-01-preview). Newer previews exist upstream and are not listed.
const PRIVATE_LINK_SCOPES_VERSIONS: &[&str] = &["2019-10-17-preview", "2021-07-01-preview"];

/// Microsoft.Insights autoscalesettings versions (`stable/2015-04-01`, `preview/2021-05-01-preview`
/// and `stable/2022-10-01` of azure-rest-api-specs `monitor/.../Insights`; the controller uses
/// 2022-10-01).
const AUTOSCALE_VERSIONS: &[&str] = &["2015-04-01", "2021-05-01-preview", "2022-10-01"];

const RESOURCES_VERSIONS: &[&str] = &[
    "2016-06-01",
    "2019-10-01",
    "2020-01-01",
    "2020-06-01",
    "2021-01-01",
    "2021-04-01",
    "2022-01-01",
    "2022-09-01",
    "2022-12-01",
    "2023-07-01",
    "2024-03-01",
    "2024-07-01",
    "2024-11-01",
    "2025-01-01",
    "2025-03-01",
    "2025-04-01",
];

impl ApiFamily {
    /// Which family a canonical path belongs to.
    pub fn of_path(path: &str) -> Self {
        if path.contains("/providers/Microsoft.MachineLearningServices") {
            Self::MachineLearning
        } else if path.contains("/privateDnsZones") || path.contains("/privateDnsOperation") {
            Self::PrivateDns
        } else if path.contains("/providers/Microsoft.Network") {
            Self::Network
        } else if path.contains("/providers/Microsoft.Storage") {
            Self::Storage
        } else if path.contains("/providers/Microsoft.KeyVault") {
            Self::KeyVault
        } else if path.contains("/providers/Microsoft.ContainerRegistry") {
            Self::ContainerRegistry
        } else if path.contains("/providers/Microsoft.Insights/autoscalesettings") {
            Self::Autoscale
        } else if path.contains("/providers/Microsoft.Insights/privateLinkScopes") {
            Self::PrivateLinkScopes
        } else if path.contains("/providers/Microsoft.Insights") {
            Self::Insights
        } else {
            Self::Resources
        }
    }

    pub fn versions(self) -> &'static [&'static str] {
        match self {
            Self::MachineLearning => ML_VERSIONS,
            Self::Network => NETWORK_VERSIONS,
            Self::PrivateDns => PRIVATE_DNS_VERSIONS,
            Self::Resources => RESOURCES_VERSIONS,
            Self::Storage => STORAGE_VERSIONS,
            Self::KeyVault => KEYVAULT_VERSIONS,
            Self::ContainerRegistry => REGISTRY_VERSIONS,
            Self::Insights => INSIGHTS_VERSIONS,
            Self::Autoscale => AUTOSCALE_VERSIONS,
            Self::PrivateLinkScopes => PRIVATE_LINK_SCOPES_VERSIONS,
        }
    }

    fn namespace(self) -> &'static str {
        match self {
            Self::MachineLearning => "Microsoft.MachineLearningServices",
            Self::Network | Self::PrivateDns => "Microsoft.Network",
            Self::Resources => "Microsoft.Resources",
            Self::Storage => "Microsoft.Storage",
            Self::KeyVault => "Microsoft.KeyVault",
            Self::ContainerRegistry => "Microsoft.ContainerRegistry",
            Self::Insights | Self::Autoscale | Self::PrivateLinkScopes => "Microsoft.Insights",
        }
    }
}

/// Is `v` shaped like an ARM api-version (`YYYY-MM-DD` with an optional `-suffix`)?
fn well_formed(v: &str) -> bool {
    let bytes = v.as_bytes();
    if bytes.len() < 10 {
        return false;
    }
    let date = &bytes[..10];
    let digits_ok = date.iter().enumerate().all(|(i, b)| {
        if i == 4 || i == 7 {
            *b == b'-'
        } else {
            b.is_ascii_digit()
        }
    });
    let suffix_ok = bytes.len() == 10
        || (bytes[10] == b'-'
            && bytes.len() > 11
            && bytes[11..].iter().all(|b| b.is_ascii_alphanumeric()));
    digits_ok && suffix_ok
}

/// Check the request's api-version for a path and resource type.
pub(crate) fn check(
    family: ApiFamily,
    api_version: Option<&str>,
    resource_type: &str,
) -> Result<String, ArmError> {
    let supported = family.versions().join(", ");
    let Some(v) = api_version.filter(|v| !v.is_empty()) else {
        return Err(ArmError::bad_request(
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        ));
    };
    if !well_formed(v) {
        return Err(ArmError::bad_request(
            "InvalidApiVersionParameter",
            format!("The api-version '{v}' is invalid. The supported versions are '{supported}'."),
        ));
    }
    if family.versions().iter().any(|s| s.eq_ignore_ascii_case(v)) {
        Ok(v.to_ascii_lowercase())
    } else {
        Err(ArmError::bad_request(
            "NoRegisteredProviderFound",
            format!(
                "No registered resource provider found for location 'global' and API version '{v}' for type '{resource_type}' in namespace '{}'. The supported api-versions are '{supported}'.",
                family.namespace()
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert!(well_formed("2025-12-01"));
        assert!(well_formed("2022-02-01-preview"));
        assert!(!well_formed("2025-12"));
        assert!(!well_formed("latest"));
        assert!(!well_formed("2025-12-01-"));
    }

    #[test]
    fn codes() {
        let f = ApiFamily::MachineLearning;
        assert_eq!(
            check(f, None, "t").unwrap_err().code,
            "MissingApiVersionParameter"
        );
        assert_eq!(
            check(f, Some("x"), "t").unwrap_err().code,
            "InvalidApiVersionParameter"
        );
        assert_eq!(
            check(f, Some("2001-01-01"), "t").unwrap_err().code,
            "NoRegisteredProviderFound"
        );
        assert_eq!(
            check(f, Some("2023-04-01-PREVIEW"), "t").unwrap(),
            "2023-04-01-preview"
        );
        assert!(check(ApiFamily::PrivateDns, Some("2024-06-01"), "t").is_ok());
        assert!(check(ApiFamily::Network, Some("2024-06-01"), "t").is_err());
    }
}
