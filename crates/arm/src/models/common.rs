//! The ARM envelope every resource shares (id, name, type, location, tags, identity, sku,
//! systemData, properties) and the small types found across providers.
//!
//! Invariant: every object type keeps the members it does not model in `extra` (a flattened
//! map), and serializes them back, so a body read from ARM and written back loses nothing.

use super::wire_enum::wire_enum;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Members of a JSON object that the model does not name; kept so they round-trip.
pub type Extra = serde_json::Map<String, serde_json::Value>;

/// Whether a value equals its type's default; used to leave empty `properties` out of a body.
pub(crate) fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// Reads `null` as the type's default; some providers send `"details": null`.
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// An ARM resource: the envelope shared by tracked resources, proxy resources and sub-resources,
/// around the provider-specific `properties`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(bound(
    serialize = "P: Serialize + Default + PartialEq",
    deserialize = "P: Deserialize<'de> + Default"
))]
pub struct Resource<P> {
    /// The ARM id (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The resource name (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The resource type, e.g. `Microsoft.MachineLearningServices/workspaces` (read-only).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    /// The Azure region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Resource tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
    /// Entity tag for optimistic concurrency (Network, private DNS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// Resource kind, where the provider uses one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Managed identity of the resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<ManagedServiceIdentity>,
    /// SKU of the resource (a deployment's instance count is `sku.capacity`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<Sku>,
    /// Who created and last modified the resource, and when (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_data: Option<SystemData>,
    /// The provider-specific properties.
    #[serde(default, skip_serializing_if = "is_default")]
    pub properties: P,
    /// Members not modelled here (e.g. `extendedLocation`).
    #[serde(flatten)]
    pub extra: Extra,
}

/// A PATCH body: the envelope members ARM lets a client update (tags, identity, sku) and,
/// for workspaces, a subset of `properties`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(bound(
    serialize = "P: Serialize + Default + PartialEq",
    deserialize = "P: Deserialize<'de> + Default"
))]
pub struct Patch<P = Extra> {
    /// New tags (replace the old ones).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
    /// New identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<ManagedServiceIdentity>,
    /// New SKU (for a deployment: `capacity` scales it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<Sku>,
    /// Properties to change, where the resource type allows it.
    #[serde(default, skip_serializing_if = "is_default")]
    pub properties: P,
    /// Members not modelled here.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Creation and modification metadata ARM adds to responses. Times are kept as ARM sent them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemData {
    /// When the resource was created (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Who created it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// `User`, `Application`, `ManagedIdentity` or `Key`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by_type: Option<String>,
    /// When it was last modified (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_at: Option<String>,
    /// Who last modified it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_by: Option<String>,
    /// `User`, `Application`, `ManagedIdentity` or `Key`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_by_type: Option<String>,
    /// Members not modelled here.
    #[serde(flatten)]
    pub extra: Extra,
}

wire_enum! {
    /// Which managed identities a resource has.
    ManagedServiceIdentityType {
        /// No identity.
        None = "None",
        /// The resource's own identity.
        SystemAssigned = "SystemAssigned",
        /// One or more user-assigned identities.
        UserAssigned = "UserAssigned",
        /// Both.
        SystemAssignedUserAssigned = "SystemAssigned,UserAssigned",
    }
}

/// A resource's managed identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedServiceIdentity {
    /// Which identities.
    #[serde(rename = "type")]
    pub identity_type: ManagedServiceIdentityType,
    /// The system-assigned identity's principal (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<String>,
    /// The system-assigned identity's tenant (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    /// User-assigned identities by ARM id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_assigned_identities: Option<BTreeMap<String, UserAssignedIdentity>>,
    /// Members not modelled here.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One user-assigned identity; a request sends it as `{}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserAssignedIdentity {
    /// Its principal id (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<String>,
    /// Its client id (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Members not modelled here.
    #[serde(flatten)]
    pub extra: Extra,
}

wire_enum! {
    /// SKU tier.
    SkuTier {
        /// Free.
        Free = "Free",
        /// Basic.
        Basic = "Basic",
        /// Standard.
        Standard = "Standard",
        /// Premium.
        Premium = "Premium",
    }
}

/// A resource SKU.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sku {
    /// SKU name (`Default` for managed online deployments).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Tier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<SkuTier>,
    /// Size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    /// Family.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// Capacity: for a deployment, its instance count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<i32>,
    /// Members not modelled here.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A reference to another resource by id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubResource {
    /// The ARM id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Members not modelled here.
    #[serde(flatten)]
    pub extra: Extra,
}

impl SubResource {
    /// A reference to `id`.
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: Some(id.into()),
            extra: Extra::new(),
        }
    }
}

/// One page of a list; `next_link` is the URL of the next page, absent on the last.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(bound(serialize = "T: Serialize", deserialize = "T: Deserialize<'de>"))]
pub struct Page<T> {
    /// The items.
    #[serde(default)]
    pub value: Vec<T>,
    /// URL of the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_link: Option<String>,
    /// Members not modelled here.
    #[serde(flatten)]
    pub extra: Extra,
}

wire_enum! {
    /// A resource's provisioning state. ARM's resource types each list a subset of these;
    /// `Succeeded`, `Failed` and `Canceled` are terminal everywhere.
    ProvisioningState {
        /// Done.
        Succeeded = "Succeeded",
        /// Failed.
        Failed = "Failed",
        /// Canceled.
        Canceled = "Canceled",
        /// Being created.
        Creating = "Creating",
        /// Being updated.
        Updating = "Updating",
        /// Being deleted.
        Deleting = "Deleting",
        /// A deployment changing its instance count.
        Scaling = "Scaling",
        /// Accepted, not started.
        Accepted = "Accepted",
        /// Being provisioned.
        Provisioning = "Provisioning",
        /// In progress.
        InProgress = "InProgress",
    }
}

impl ProvisioningState {
    /// Whether ARM will not change the state any more without a new request.
    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Canceled)
    }
}

wire_enum! {
    /// Whether a resource is reachable from the public internet (`publicNetworkAccess`,
    /// `egressPublicNetworkAccess`).
    PublicNetworkAccess {
        /// Reachable publicly.
        Enabled = "Enabled",
        /// Only through private endpoints.
        Disabled = "Disabled",
    }
}

/// An ISO 8601 duration as ARM sends it (`PT5M`), kept verbatim so it round-trips.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IsoDuration(pub String);

impl IsoDuration {
    /// A whole number of seconds, written as ARM writes it (`PT10S`).
    pub fn from_secs(secs: u64) -> Self {
        Self(format!("PT{secs}S"))
    }

    /// The duration as a `std::time::Duration`, if the text is an ISO 8601 duration of days,
    /// hours, minutes and seconds.
    pub fn to_std(&self) -> Option<std::time::Duration> {
        let span: jiff::Span = self.0.parse().ok()?;
        let secs = span
            .total(jiff::SpanTotal::from(jiff::Unit::Second).days_are_24_hours())
            .ok()?;
        (secs.is_finite() && secs >= 0.0).then(|| std::time::Duration::from_secs_f64(secs))
    }
}
