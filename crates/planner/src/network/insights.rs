//! Application Insights made private through the hub's Azure Monitor Private Link Scope (AMPLS).
//!
//! The controller never creates an AMPLS, its private endpoint or its DNS zones: a virtual
//! network can connect to only one AMPLS, one AMPLS serves a shared DNS, and in hub-and-spoke
//! the single private link is set up on the hub (Microsoft Learn, "Design your Azure Monitor
//! private link configuration", learn.microsoft.com/azure/azure-monitor/logs/private-link-design).
//! The AMPLS is the hub team's; a Workspace names it
//! (`spec.network.associatedResources.applicationInsights.privateLinkScopeId`) and, with `mode:
//! Enforce`, the Application Insights leg holds when
//!
//! 1. a scoped resource of that AMPLS links the component
//!    (`Microsoft.Insights/privateLinkScopes/{scope}/scopedResources/{name}`, body
//!    `{"properties": {"linkedResourceId": <component id>}}`, `provisioningState` Succeeded;
//!    Microsoft.Insights `privateLinkScopes_API.json` 2021-07-01-preview, `ScopedResource`);
//! 2. the AMPLS has at least one Approved private endpoint connection
//!    (`properties.privateEndpointConnections[].properties.privateLinkServiceConnectionState.status`,
//!    same file) — the hub's private endpoint;
//! 3. the component's `publicNetworkAccessForIngestion` and `publicNetworkAccessForQuery` are
//!    `Disabled` (`components_API.json` 2020-02-02).
//!
//! The controller creates the scoped resource ([`scoped_resource_name`]: scoped resources carry
//! no tags, so the one it created is recorded in `status.privateLinkScopedResources`), and only
//! once 1 and 2 hold (make before break) PUTs the component with both flags `Disabled`: its
//! PATCH (`Components_UpdateTags`) takes tags only, so the update is `Components_CreateOrUpdate`
//! with the component's writable properties as read (what `az monitor app-insights component
//! update --ingestion-access/--query-access` sends). It never sends `Enabled`, never rewrites
//! or deletes a scoped resource that links another resource, and deletes only the scoped
//! resource it recorded.
//!
//! Reads per sync: the AMPLS and the scoped resource (two GETs), only while enforcing with a
//! `privateLinkScopeId`; the component is already read as an associated resource.

use serde_json::{Map, Value, json};

use super::ids::{name_of, same_id};
use crate::observe::{Observation, ProvisioningState, provisioning_state, str_at};

/// The App Insights leg to enforce.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InsightsTarget {
    /// The component (`Microsoft.Insights/components`), as the AML workspace names it.
    pub component_id: String,
    /// The hub's AMPLS.
    pub scope_id: String,
    /// The scoped resource the controller creates (or finds) in it.
    pub scoped_resource_id: String,
}

impl InsightsTarget {
    /// The target for a component and an AMPLS.
    pub fn new(component_id: &str, scope_id: &str) -> Self {
        Self {
            component_id: component_id.to_owned(),
            scope_id: scope_id.trim_end_matches('/').to_owned(),
            scoped_resource_id: format!(
                "{}/scopedResources/{}",
                scope_id.trim_end_matches('/'),
                scoped_resource_name(component_id)
            ),
        }
    }
}

/// What was read of the App Insights private link this sync.
#[derive(Clone, Debug, PartialEq)]
pub struct InsightsObservation {
    /// GET of the AMPLS (with its private endpoint connections).
    pub scope: Observation,
    /// GET of the scoped resource [`InsightsTarget::scoped_resource_id`].
    pub scoped_resource: Observation,
    /// GET of each scoped resource [`recorded_reads`] names, in that order (absent: not read).
    pub recorded: Vec<Observation>,
}

impl Default for InsightsObservation {
    fn default() -> Self {
        Self {
            scope: Observation::Skipped,
            scoped_resource: Observation::Skipped,
            recorded: Vec::new(),
        }
    }
}

/// The scoped resources status records as created by this Workspace that are not the one the
/// spec asks for now (all of them while deleting): the controller GETs each, and deletes it
/// while it still links the component it was made for.
pub fn recorded_reads(
    target: Option<&InsightsTarget>,
    recorded: &[String],
    deleting: bool,
) -> Vec<String> {
    recorded
        .iter()
        .filter(|id| deleting || !target.is_some_and(|t| same_id(&t.scoped_resource_id, id)))
        .cloned()
        .collect()
}

/// True when a scoped resource named as the controller names them links the resource its
/// name was derived from: a scoped resource recorded in status that a person has since
/// replaced by one linking something else fails this, and is never deleted.
pub fn still_ours(scoped_id: &str, scoped: &Value) -> bool {
    linked_resource(scoped)
        .is_some_and(|linked| scoped_resource_name(linked).eq_ignore_ascii_case(name_of(scoped_id)))
}

/// The longest scoped resource name the controller makes. Azure's limit for scoped resource
/// names was not found; 64 keeps well inside ARM's usual name limits.
pub const SCOPED_RESOURCE_NAME_MAX: usize = 64;

/// The name of the scoped resource linking `component_id`: `aml-<component name>-<hash>`, the
/// hash (FNV-1a, 32 bits, of the lower-cased id) telling apart components of the same name in
/// other resource groups that link to the same hub AMPLS; the component name is cut so the
/// whole stays within [`SCOPED_RESOURCE_NAME_MAX`].
pub fn scoped_resource_name(component_id: &str) -> String {
    let mut hash: u32 = 0x811c_9dc5;
    for b in component_id.to_ascii_lowercase().bytes() {
        hash ^= u32::from(b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    let room = SCOPED_RESOURCE_NAME_MAX - "aml-".len() - "-".len() - 8;
    let name: String = name_of(component_id)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "-_.()".contains(*c))
        .take(room)
        .collect();
    format!("aml-{}-{hash:08x}", name.trim_end_matches('.'))
}

/// The scoped resource's body: `{"properties": {"linkedResourceId": <component id>}}`.
pub fn scoped_resource_body(component_id: &str) -> Value {
    json!({"properties": {"linkedResourceId": component_id}})
}

/// The component's read-only properties (`components_API.json` 2020-02-02,
/// `ApplicationInsightsComponentProperties`, `readOnly: true`): left out of the PUT.
const READ_ONLY: [&str; 11] = [
    "ApplicationId",
    "AppId",
    "Name",
    "InstrumentationKey",
    "CreationDate",
    "TenantId",
    "HockeyAppToken",
    "provisioningState",
    "ConnectionString",
    "LaMigrationDate",
    "PrivateLinkScopedResources",
];

/// The PUT (`Components_CreateOrUpdate`) that turns a component's public ingestion and query
/// off: `kind`, `location`, `tags` and the writable properties as read, with
/// `publicNetworkAccessForIngestion` and `publicNetworkAccessForQuery` `Disabled` (a PUT
/// without a writable property resets it to its default, so every one is sent back). Never
/// `Enabled`.
pub fn component_private_put(component: &Value) -> Value {
    let mut properties: Map<String, Value> = component
        .pointer("/properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    properties.retain(|k, _| !READ_ONLY.iter().any(|r| r.eq_ignore_ascii_case(k)));
    properties.insert("publicNetworkAccessForIngestion".into(), json!("Disabled"));
    properties.insert("publicNetworkAccessForQuery".into(), json!("Disabled"));
    let mut body = Map::new();
    for field in ["kind", "location", "tags"] {
        if let Some(v) = component.get(field).filter(|v| !v.is_null()) {
            body.insert(field.to_owned(), v.clone());
        }
    }
    body.insert("properties".into(), Value::Object(properties));
    Value::Object(body)
}

/// The component's public flags that are not `Disabled`: `(field, value as read)`.
pub fn public_flags(component: &Value) -> Vec<(&'static str, String)> {
    [
        "publicNetworkAccessForIngestion",
        "publicNetworkAccessForQuery",
    ]
    .into_iter()
    .filter_map(|field| {
        let v = str_at(component, &format!("/properties/{field}"));
        (!v.is_some_and(|v| v.eq_ignore_ascii_case("Disabled")))
            .then(|| (field, v.unwrap_or("Enabled").chars().take(32).collect()))
    })
    .collect()
}

/// The statuses of the AMPLS's private endpoint connections.
pub fn scope_connection_statuses(scope: &Value) -> Vec<String> {
    scope
        .pointer("/properties/privateEndpointConnections")
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .filter_map(|c| str_at(c, "/properties/privateLinkServiceConnectionState/status"))
                .map(|s| s.chars().take(32).collect())
                .collect()
        })
        .unwrap_or_default()
}

/// True when the AMPLS has an Approved private endpoint connection.
pub fn scope_approved(scope: &Value) -> bool {
    scope_connection_statuses(scope)
        .iter()
        .any(|s| s.eq_ignore_ascii_case("Approved"))
}

/// The resource a scoped resource links (`properties.linkedResourceId`).
pub fn linked_resource(scoped: &Value) -> Option<&str> {
    str_at(scoped, "/properties/linkedResourceId")
}

/// True when a scoped resource links `component_id`.
pub fn links(scoped: &Value, component_id: &str) -> bool {
    linked_resource(scoped).is_some_and(|l| same_id(l, component_id))
}

/// A scoped resource's provisioning state (Succeeded when absent).
pub fn scoped_state(scoped: &Value) -> ProvisioningState {
    provisioning_state(scoped).unwrap_or(ProvisioningState::Succeeded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_bounded_distinct_and_stable() {
        let a =
            "/subscriptions/s/resourceGroups/rg-a/providers/Microsoft.Insights/components/appi-ml";
        let b =
            "/subscriptions/s/resourceGroups/rg-b/providers/Microsoft.Insights/components/appi-ml";
        assert!(scoped_resource_name(a).starts_with("aml-appi-ml-"));
        assert_ne!(scoped_resource_name(a), scoped_resource_name(b));
        // Ids are case-insensitive: so is the hash.
        let upper = scoped_resource_name(&a.to_uppercase());
        assert_eq!(scoped_resource_name(a)[12..], upper[12..]);
        let long = format!("{a}{}", "x".repeat(300));
        assert!(scoped_resource_name(&long).len() <= SCOPED_RESOURCE_NAME_MAX);
    }

    #[test]
    fn the_put_keeps_writable_properties_and_never_enables() {
        let c = json!({"id": "x", "kind": "web", "location": "westeurope", "tags": {"a": "b"},
            "properties": {"Application_Type": "web", "RetentionInDays": 90, "AppId": "ro",
                "publicNetworkAccessForIngestion": "Enabled", "publicNetworkAccessForQuery": "Enabled"}});
        let put = component_private_put(&c);
        assert_eq!(put["properties"]["RetentionInDays"], 90);
        assert!(put["properties"].get("AppId").is_none());
        assert!(put.get("id").is_none());
        assert_eq!(
            put["properties"]["publicNetworkAccessForIngestion"],
            "Disabled"
        );
        assert_eq!(put["properties"]["publicNetworkAccessForQuery"], "Disabled");
        assert!(!put.to_string().contains("Enabled"));
    }
}
