//! Which Azure cloud to talk to: its Resource Manager endpoint, its Entra ID authority host and
//! the token scope for ARM. A custom cloud names both URLs, which is how tests and the sandbox
//! point the client at the ARM emulator.
//!
//! Invariant: the authority host is https (azure_identity refuses anything else); the resource
//! manager endpoint may be http only for a custom cloud on loopback.

use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use url::Url;

/// An Azure cloud, named as `az cloud list` names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cloud {
    /// Azure public cloud (`AzureCloud`).
    AzureCloud,
    /// Azure operated by 21Vianet (`AzureChinaCloud`).
    AzureChinaCloud,
    /// Azure Government (`AzureUSGovernment`).
    AzureUsGovernment,
    /// Any other endpoint pair, e.g. the ARM emulator.
    Custom {
        /// Base URL of Resource Manager, e.g. `https://127.0.0.1:8443/`.
        resource_manager: Url,
        /// Base URL of the Entra ID authority, e.g. `https://127.0.0.1:8443/` (must be https).
        authority_host: Url,
        /// Token audience for ARM; `None` means public Azure's (`https://management.azure.com/`),
        /// which is what an emulator of public Azure expects.
        audience: Option<String>,
    },
}

/// A cloud that could not be configured.
#[derive(Debug, thiserror::Error)]
pub enum CloudError {
    /// Not a cloud name this crate knows.
    #[error(
        "failed to select cloud {0:?}: expected AzureCloud, AzureChinaCloud or AzureUSGovernment"
    )]
    UnknownName(String),
    /// A URL that does not parse.
    #[error("failed to parse {what} URL {url:?}")]
    BadUrl {
        /// Which URL.
        what: &'static str,
        /// The text.
        url: String,
        /// Why.
        #[source]
        source: url::ParseError,
    },
    /// An authority host that is not https.
    #[error("failed to use authority host {0}: it must be https (azure_identity refuses http)")]
    InsecureAuthority(String),
}

impl Cloud {
    /// The cloud named as `az cloud list` names it (case-insensitive).
    pub fn from_name(name: &str) -> Result<Self, CloudError> {
        match name.to_ascii_lowercase().as_str() {
            "azurecloud" | "azurepubliccloud" | "public" => Ok(Self::AzureCloud),
            "azurechinacloud" | "china" => Ok(Self::AzureChinaCloud),
            "azureusgovernment" | "usgovernment" => Ok(Self::AzureUsGovernment),
            _ => Err(CloudError::UnknownName(name.to_string())),
        }
    }

    /// A custom cloud: Resource Manager at `resource_manager`, Entra ID at `authority_host`.
    ///
    /// # Errors
    /// When a URL does not parse or the authority host is not https.
    pub fn custom(resource_manager: &str, authority_host: &str) -> Result<Self, CloudError> {
        let parse = |what, url: &str| {
            Url::parse(url).map_err(|source| CloudError::BadUrl {
                what,
                url: url.to_string(),
                source,
            })
        };
        let resource_manager = parse("resource manager", resource_manager)?;
        let authority_host = parse("authority host", authority_host)?;
        if authority_host.scheme() != "https" {
            return Err(CloudError::InsecureAuthority(authority_host.to_string()));
        }
        Ok(Self::Custom {
            resource_manager,
            authority_host,
            audience: None,
        })
    }

    /// The Resource Manager base URL.
    pub fn resource_manager(&self) -> Url {
        let known =
            |s: &str| Url::parse(s).unwrap_or_else(|_| unreachable!("constant URL {s} parses"));
        match self {
            Self::AzureCloud => known("https://management.azure.com/"),
            Self::AzureChinaCloud => known("https://management.chinacloudapi.cn/"),
            Self::AzureUsGovernment => known("https://management.usgovcloudapi.net/"),
            Self::Custom {
                resource_manager, ..
            } => resource_manager.clone(),
        }
    }

    /// The Entra ID authority host.
    pub fn authority_host(&self) -> String {
        match self {
            Self::AzureCloud => "https://login.microsoftonline.com".into(),
            Self::AzureChinaCloud => "https://login.chinacloudapi.cn".into(),
            Self::AzureUsGovernment => "https://login.microsoftonline.us".into(),
            Self::Custom { authority_host, .. } => {
                authority_host.as_str().trim_end_matches('/').to_string()
            }
        }
    }

    /// Sets the token audience of a custom cloud (e.g. an Azure Stack Hub's).
    pub fn with_audience(self, audience: &str) -> Self {
        match self {
            Self::Custom {
                resource_manager,
                authority_host,
                ..
            } => Self::Custom {
                resource_manager,
                authority_host,
                audience: Some(audience.to_string()),
            },
            other => other,
        }
    }

    /// The scope to request ARM tokens for (`<audience>/.default`).
    pub fn arm_scope(&self) -> String {
        let audience = match self {
            Self::Custom {
                audience: Some(audience),
                ..
            } => audience.clone(),
            Self::Custom { audience: None, .. } => Self::AzureCloud.resource_manager().to_string(),
            other => other.resource_manager().to_string(),
        };
        format!("{}/.default", audience.trim_end_matches('/'))
    }

    /// The azure_core cloud configuration for azure_identity's credentials.
    pub fn to_azure_core(&self) -> CloudConfiguration {
        match self {
            Self::AzureCloud => CloudConfiguration::AzurePublic,
            Self::AzureChinaCloud => CloudConfiguration::AzureChina,
            Self::AzureUsGovernment => CloudConfiguration::AzureGovernment,
            Self::Custom { .. } => {
                let mut custom = CustomConfiguration::default();
                custom.authority_host = self.authority_host();
                CloudConfiguration::Custom(custom)
            }
        }
    }
}
