//! The kinds of resource this operator touches, recognised from an id's namespace and types.

use super::{ML_NAMESPACE, NETWORK_NAMESPACE, ResourceId};
use std::fmt;

/// What a [`ResourceId`] names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceKind {
    /// `/subscriptions/<id>`
    Subscription,
    /// `/subscriptions/<id>/resourceGroups/<rg>`
    ResourceGroup,
    /// An Azure Machine Learning workspace.
    Workspace,
    /// A managed online endpoint.
    OnlineEndpoint,
    /// A deployment of an online endpoint.
    OnlineDeployment,
    /// A workspace's private endpoint connection (the ML side of private link).
    WorkspacePrivateEndpointConnection,
    /// A workspace's private link resource (`amlworkspace`).
    WorkspacePrivateLinkResource,
    /// A model version (`.../models/<name>/versions/<v>`).
    ModelVersion,
    /// An environment version.
    EnvironmentVersion,
    /// A code version.
    CodeVersion,
    /// A Network private endpoint.
    PrivateEndpoint,
    /// A private endpoint's DNS zone group.
    PrivateDnsZoneGroup,
    /// A private DNS zone.
    PrivateDnsZone,
    /// A private DNS zone's virtual network link.
    VirtualNetworkLink,
    /// A virtual network.
    VirtualNetwork,
    /// A subnet.
    Subnet,
    /// Any other resource.
    Other,
}

impl ResourceKind {
    pub(super) fn of(id: &ResourceId) -> Self {
        let Some(namespace) = id.namespace() else {
            return if id.resource_group().is_some() {
                Self::ResourceGroup
            } else {
                Self::Subscription
            };
        };
        let types: Vec<String> = id
            .segments()
            .iter()
            .map(|(t, _)| t.to_ascii_lowercase())
            .collect();
        let types: Vec<&str> = types.iter().map(String::as_str).collect();
        if namespace.eq_ignore_ascii_case(ML_NAMESPACE) {
            match types.as_slice() {
                ["workspaces"] => Self::Workspace,
                ["workspaces", "onlineendpoints"] => Self::OnlineEndpoint,
                ["workspaces", "onlineendpoints", "deployments"] => Self::OnlineDeployment,
                ["workspaces", "privateendpointconnections"] => {
                    Self::WorkspacePrivateEndpointConnection
                }
                ["workspaces", "privatelinkresources"] => Self::WorkspacePrivateLinkResource,
                ["workspaces", "models", "versions"] => Self::ModelVersion,
                ["workspaces", "environments", "versions"] => Self::EnvironmentVersion,
                ["workspaces", "codes", "versions"] => Self::CodeVersion,
                _ => Self::Other,
            }
        } else if namespace.eq_ignore_ascii_case(NETWORK_NAMESPACE) {
            match types.as_slice() {
                ["privateendpoints"] => Self::PrivateEndpoint,
                ["privateendpoints", "privatednszonegroups"] => Self::PrivateDnsZoneGroup,
                ["privatednszones"] => Self::PrivateDnsZone,
                ["privatednszones", "virtualnetworklinks"] => Self::VirtualNetworkLink,
                ["virtualnetworks"] => Self::VirtualNetwork,
                ["virtualnetworks", "subnets"] => Self::Subnet,
                _ => Self::Other,
            }
        } else {
            Self::Other
        }
    }

    /// A short human name, used in error messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Subscription => "subscription",
            Self::ResourceGroup => "resource group",
            Self::Workspace => "workspace",
            Self::OnlineEndpoint => "online endpoint",
            Self::OnlineDeployment => "online deployment",
            Self::WorkspacePrivateEndpointConnection => "workspace private endpoint connection",
            Self::WorkspacePrivateLinkResource => "workspace private link resource",
            Self::ModelVersion => "model version",
            Self::EnvironmentVersion => "environment version",
            Self::CodeVersion => "code version",
            Self::PrivateEndpoint => "private endpoint",
            Self::PrivateDnsZoneGroup => "private DNS zone group",
            Self::PrivateDnsZone => "private DNS zone",
            Self::VirtualNetworkLink => "virtual network link",
            Self::VirtualNetwork => "virtual network",
            Self::Subnet => "subnet",
            Self::Other => "resource of another type",
        }
    }
}

impl fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
