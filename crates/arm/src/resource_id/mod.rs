//! Azure Resource Manager resource ids: parsing, validation, formatting and navigation.
//!
//! Invariants: a [`ResourceId`] always holds a GUID subscription, and when it names a resource it
//! has a resource group, one provider namespace and at least one `type/name` pair, every segment
//! non-empty. Two ids are equal when ARM would consider them the same resource: every segment is
//! compared case-insensitively, as ARM does. Formatting always spells the fixed keywords the way
//! ARM writes them (`subscriptions`, `resourceGroups`, `providers`) and keeps the case of
//! everything else as given.

mod asset;
mod kind;
mod parse;

pub use asset::{AssetKind, AssetRef};
pub use kind::ResourceKind;
pub use parse::ResourceIdError;

use std::fmt;
use std::hash::{Hash, Hasher};

/// Namespace of Azure Machine Learning resources.
pub const ML_NAMESPACE: &str = "Microsoft.MachineLearningServices";
/// Namespace of Azure networking resources (private endpoints, VNets, private DNS).
pub const NETWORK_NAMESPACE: &str = "Microsoft.Network";

/// An ARM resource id such as
/// `/subscriptions/<guid>/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws`.
///
/// Also represents the two scopes above resources: a subscription and a resource group.
#[derive(Clone, Debug)]
pub struct ResourceId {
    subscription: String,
    resource_group: Option<String>,
    namespace: Option<String>,
    /// `(type, name)` pairs below the namespace, outermost first.
    segments: Vec<(String, String)>,
}

impl ResourceId {
    /// Parses and validates an ARM id.
    ///
    /// # Errors
    /// [`ResourceIdError`] naming the part that is wrong (subscription, resource group, provider
    /// namespace, a type or a name) and why.
    pub fn parse(id: &str) -> Result<Self, ResourceIdError> {
        parse::parse(id)
    }

    /// The id of a subscription scope.
    pub fn subscription(subscription: &str) -> Result<Self, ResourceIdError> {
        parse::validate_subscription(subscription)?;
        Ok(Self {
            subscription: subscription.to_string(),
            resource_group: None,
            namespace: None,
            segments: Vec::new(),
        })
    }

    /// The id of a resource group.
    pub fn resource_group_scope(
        subscription: &str,
        resource_group: &str,
    ) -> Result<Self, ResourceIdError> {
        parse::validate_resource_group(resource_group)?;
        let mut id = Self::subscription(subscription)?;
        id.resource_group = Some(resource_group.to_string());
        Ok(id)
    }

    /// A top-level resource `/providers/<namespace>/<type>/<name>` in a resource group.
    pub fn resource(
        subscription: &str,
        resource_group: &str,
        namespace: &str,
        resource_type: &str,
        name: &str,
    ) -> Result<Self, ResourceIdError> {
        parse::validate_namespace(namespace)?;
        let mut id = Self::resource_group_scope(subscription, resource_group)?;
        id.namespace = Some(namespace.to_string());
        id.push_segment(resource_type, name)
    }

    /// An Azure Machine Learning workspace.
    pub fn workspace(
        subscription: &str,
        resource_group: &str,
        name: &str,
    ) -> Result<Self, ResourceIdError> {
        Self::resource(
            subscription,
            resource_group,
            ML_NAMESPACE,
            "workspaces",
            name,
        )
    }

    /// A Network private endpoint.
    pub fn private_endpoint(
        subscription: &str,
        resource_group: &str,
        name: &str,
    ) -> Result<Self, ResourceIdError> {
        Self::resource(
            subscription,
            resource_group,
            NETWORK_NAMESPACE,
            "privateEndpoints",
            name,
        )
    }

    /// A private DNS zone, e.g. `privatelink.api.azureml.ms`.
    pub fn private_dns_zone(
        subscription: &str,
        resource_group: &str,
        zone: &str,
    ) -> Result<Self, ResourceIdError> {
        Self::resource(
            subscription,
            resource_group,
            NETWORK_NAMESPACE,
            "privateDnsZones",
            zone,
        )
    }

    /// A virtual network.
    pub fn virtual_network(
        subscription: &str,
        resource_group: &str,
        name: &str,
    ) -> Result<Self, ResourceIdError> {
        Self::resource(
            subscription,
            resource_group,
            NETWORK_NAMESPACE,
            "virtualNetworks",
            name,
        )
    }

    /// A subnet of a virtual network.
    pub fn subnet(
        subscription: &str,
        resource_group: &str,
        vnet: &str,
        subnet: &str,
    ) -> Result<Self, ResourceIdError> {
        Self::virtual_network(subscription, resource_group, vnet)?.child("subnets", subnet)
    }

    /// The online endpoint `name` of this workspace.
    ///
    /// # Errors
    /// When `self` is not a workspace, or `name` breaks Azure's endpoint name rule.
    pub fn online_endpoint(&self, name: &str) -> Result<Self, ResourceIdError> {
        self.expect_kind(ResourceKind::Workspace)?;
        parse::validate_ml_name("online endpoint name", name)?;
        self.child("onlineEndpoints", name)
    }

    /// The deployment `name` of this online endpoint.
    pub fn deployment(&self, name: &str) -> Result<Self, ResourceIdError> {
        self.expect_kind(ResourceKind::OnlineEndpoint)?;
        parse::validate_ml_name("deployment name", name)?;
        self.child("deployments", name)
    }

    /// The private endpoint connection `name` of this workspace.
    pub fn private_endpoint_connection(&self, name: &str) -> Result<Self, ResourceIdError> {
        self.expect_kind(ResourceKind::Workspace)?;
        self.child("privateEndpointConnections", name)
    }

    /// The DNS zone group `name` of this Network private endpoint.
    pub fn dns_zone_group(&self, name: &str) -> Result<Self, ResourceIdError> {
        self.expect_kind(ResourceKind::PrivateEndpoint)?;
        self.child("privateDnsZoneGroups", name)
    }

    /// The virtual network link `name` of this private DNS zone.
    pub fn virtual_network_link(&self, name: &str) -> Result<Self, ResourceIdError> {
        self.expect_kind(ResourceKind::PrivateDnsZone)?;
        self.child("virtualNetworkLinks", name)
    }

    /// A versioned asset (model, environment or code) of this workspace, as `az ml` addresses
    /// it: `<workspace>/<models|environments|codes>/<name>/versions/<version>`.
    pub fn asset_version(
        &self,
        kind: AssetKind,
        name: &str,
        version: &str,
    ) -> Result<Self, ResourceIdError> {
        self.expect_kind(ResourceKind::Workspace)?;
        self.child(kind.collection(), name)?
            .child("versions", version)
    }

    /// A child resource `<self>/<child_type>/<name>`.
    ///
    /// # Errors
    /// When `self` is a subscription or resource group scope, or a segment is empty or holds `/`.
    pub fn child(&self, child_type: &str, name: &str) -> Result<Self, ResourceIdError> {
        if self.namespace.is_none() {
            return Err(ResourceIdError::new(
                "resource",
                self.to_string(),
                "a child needs a parent resource, not a subscription or resource group",
            ));
        }
        self.clone().push_segment(child_type, name)
    }

    fn push_segment(mut self, resource_type: &str, name: &str) -> Result<Self, ResourceIdError> {
        parse::validate_segment("resource type", resource_type)?;
        parse::validate_segment("resource name", name)?;
        self.segments
            .push((resource_type.to_string(), name.to_string()));
        Ok(self)
    }

    /// The parent: the enclosing resource, else the resource group, else the subscription.
    /// `None` for a subscription.
    pub fn parent(&self) -> Option<Self> {
        let mut parent = self.clone();
        if parent.segments.len() > 1 {
            parent.segments.pop();
        } else if !parent.segments.is_empty() {
            parent.segments.clear();
            parent.namespace = None;
        } else if parent.resource_group.is_some() {
            parent.resource_group = None;
        } else {
            return None;
        }
        Some(parent)
    }

    /// The nearest ancestor (or self) of the given kind.
    pub fn ancestor(&self, kind: ResourceKind) -> Option<Self> {
        let mut current = Some(self.clone());
        while let Some(id) = current {
            if id.kind() == kind {
                return Some(id);
            }
            current = id.parent();
        }
        None
    }

    /// The subscription id (a GUID).
    pub fn subscription_id(&self) -> &str {
        &self.subscription
    }

    /// The resource group name, absent for a subscription scope.
    pub fn resource_group(&self) -> Option<&str> {
        self.resource_group.as_deref()
    }

    /// The provider namespace, e.g. `Microsoft.Network`.
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    /// The full resource type, e.g. `Microsoft.MachineLearningServices/workspaces/onlineEndpoints`;
    /// `Microsoft.Resources/subscriptions` and `Microsoft.Resources/resourceGroups` for the scopes.
    pub fn resource_type(&self) -> String {
        match &self.namespace {
            Some(namespace) => {
                let mut out = namespace.clone();
                for (t, _) in &self.segments {
                    out.push('/');
                    out.push_str(t);
                }
                out
            }
            None if self.resource_group.is_some() => "Microsoft.Resources/resourceGroups".into(),
            None => "Microsoft.Resources/subscriptions".into(),
        }
    }

    /// The resource's own name (the last segment); the group or subscription for scopes.
    pub fn name(&self) -> &str {
        match (self.segments.last(), &self.resource_group) {
            (Some((_, name)), _) => name,
            (None, Some(rg)) => rg,
            (None, None) => &self.subscription,
        }
    }

    /// The name given to `resource_type` among this id's segments (case-insensitive), e.g.
    /// `name_of("onlineEndpoints")` on a deployment id gives its endpoint's name.
    pub fn name_of(&self, resource_type: &str) -> Option<&str> {
        self.segments
            .iter()
            .find(|(t, _)| t.eq_ignore_ascii_case(resource_type))
            .map(|(_, n)| n.as_str())
    }

    /// `(type, name)` pairs below the provider namespace, outermost first.
    pub fn segments(&self) -> &[(String, String)] {
        &self.segments
    }

    /// What this id names, from its namespace and types.
    pub fn kind(&self) -> ResourceKind {
        ResourceKind::of(self)
    }

    /// Checks that the id names a resource of `kind`.
    ///
    /// # Errors
    /// [`ResourceIdError`] naming the kind found instead.
    pub fn expect_kind(&self, kind: ResourceKind) -> Result<&Self, ResourceIdError> {
        if self.kind() == kind {
            Ok(self)
        } else {
            Err(ResourceIdError::new(
                "resource type",
                self.resource_type(),
                format!("expected {kind}, found {}", self.kind()),
            ))
        }
    }

    /// Whether `self` is `other` or lies below it (case-insensitive).
    pub fn is_within(&self, other: &Self) -> bool {
        let mut current = Some(self.clone());
        while let Some(id) = current {
            if &id == other {
                return true;
            }
            current = id.parent();
        }
        false
    }

    /// A lower-cased form used for equality and hashing; ARM ids are case-insensitive.
    fn folded(&self) -> String {
        self.to_string().to_ascii_lowercase()
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "/subscriptions/{}", self.subscription)?;
        if let Some(rg) = &self.resource_group {
            write!(f, "/resourceGroups/{rg}")?;
        }
        if let Some(namespace) = &self.namespace {
            write!(f, "/providers/{namespace}")?;
            for (t, n) in &self.segments {
                write!(f, "/{t}/{n}")?;
            }
        }
        Ok(())
    }
}

impl PartialEq for ResourceId {
    fn eq(&self, other: &Self) -> bool {
        self.folded() == other.folded()
    }
}

impl Eq for ResourceId {}

impl Hash for ResourceId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.folded().hash(state);
    }
}

impl std::str::FromStr for ResourceId {
    type Err = ResourceIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<&str> for ResourceId {
    type Error = ResourceIdError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::parse(s)
    }
}

impl serde::Serialize for ResourceId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for ResourceId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests;
