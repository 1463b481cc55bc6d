//! `azureml:<name>:<version>` shorthands for models, environments and code, resolved against a
//! workspace the way `az ml` does: `<workspace id>/<models|environments|codes>/<name>/versions/<version>`.
//! A full ARM id is accepted as well and checked to name an asset of the expected kind.

use super::{ResourceId, ResourceIdError, ResourceKind};
use std::fmt;

/// Which versioned asset collection a reference points into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AssetKind {
    /// `models`
    Model,
    /// `environments`
    Environment,
    /// `codes`
    Code,
}

impl AssetKind {
    /// The collection's segment in an ARM id.
    pub fn collection(self) -> &'static str {
        match self {
            Self::Model => "models",
            Self::Environment => "environments",
            Self::Code => "codes",
        }
    }

    /// The kind of id a version of this asset has.
    pub fn resource_kind(self) -> ResourceKind {
        match self {
            Self::Model => ResourceKind::ModelVersion,
            Self::Environment => ResourceKind::EnvironmentVersion,
            Self::Code => ResourceKind::CodeVersion,
        }
    }
}

/// A reference to a versioned asset as users write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssetRef {
    /// `azureml:<name>:<version>`, resolved against a workspace.
    Shorthand {
        /// The asset's name.
        name: String,
        /// The asset's version.
        version: String,
    },
    /// A full ARM id.
    Id(ResourceId),
}

const PREFIX: &str = "azureml:";

impl AssetRef {
    /// Parses `azureml:<name>:<version>` or a full ARM id.
    ///
    /// # Errors
    /// A [`ResourceIdError`] naming the part that is wrong. Labels (`azureml:<name>@latest`) and
    /// registry URIs (`azureml://registries/...`) are rejected: they cannot be resolved offline.
    pub fn parse(s: &str) -> Result<Self, ResourceIdError> {
        if s.starts_with('/') {
            return ResourceId::parse(s).map(Self::Id);
        }
        let Some(rest) = s.strip_prefix(PREFIX) else {
            return Err(ResourceIdError::new(
                "asset reference",
                s,
                "must be azureml:<name>:<version> or a full ARM id",
            ));
        };
        if rest.starts_with("//") {
            return Err(ResourceIdError::new(
                "asset reference",
                s,
                "is a registry URI; only workspace assets (azureml:<name>:<version>) are supported",
            ));
        }
        if rest.contains('@') {
            return Err(ResourceIdError::new(
                "asset reference",
                s,
                "uses a label; give an explicit version as azureml:<name>:<version>",
            ));
        }
        let Some((name, version)) = rest.split_once(':') else {
            return Err(ResourceIdError::new(
                "asset version",
                s,
                "is missing: write azureml:<name>:<version>",
            ));
        };
        validate_asset_name(name)?;
        validate_asset_version(version)?;
        Ok(Self::Shorthand {
            name: name.to_string(),
            version: version.to_string(),
        })
    }

    /// The ARM id of the asset version, for `kind` assets under `workspace`.
    ///
    /// # Errors
    /// When `workspace` is not a workspace id, or a full id names something other than a
    /// `kind` version.
    pub fn resolve(
        &self,
        workspace: &ResourceId,
        kind: AssetKind,
    ) -> Result<ResourceId, ResourceIdError> {
        match self {
            Self::Shorthand { name, version } => workspace.asset_version(kind, name, version),
            Self::Id(id) => {
                id.expect_kind(kind.resource_kind())?;
                Ok(id.clone())
            }
        }
    }
}

impl fmt::Display for AssetRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Shorthand { name, version } => write!(f, "{PREFIX}{name}:{version}"),
            Self::Id(id) => write!(f, "{id}"),
        }
    }
}

fn validate_asset_name(name: &str) -> Result<(), ResourceIdError> {
    let ok = (1..=255).contains(&name.len())
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if ok {
        Ok(())
    } else {
        Err(ResourceIdError::new(
            "asset name",
            name,
            "must be 1-255 letters, digits, '_', '.' or '-', starting with a letter or digit",
        ))
    }
}

fn validate_asset_version(version: &str) -> Result<(), ResourceIdError> {
    let ok = (1..=64).contains(&version.len())
        && version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if ok {
        Ok(())
    } else {
        Err(ResourceIdError::new(
            "asset version",
            version,
            "must be 1-64 letters, digits, '_', '.' or '-'",
        ))
    }
}
