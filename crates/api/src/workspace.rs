//! `Workspace`: binds a namespace to an existing Azure ML workspace and declares its network
//! posture (public access, managed network, private endpoints and private DNS).
//!
//! The controller never creates or deletes the AML workspace itself; Terraform, Bicep or Azure
//! Service Operator do that. It makes the existing workspace private and keeps it so.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::{
    ArmErrorStatus, DNS_ZONE_ID_PATTERN, DeletionPolicy, GUID_PATTERN, K8S_NAME_PATTERN,
    OperationStatus, PRIVATE_LINK_SCOPE_ID_PATTERN, PublicNetworkAccess, RESOURCE_GROUP_PATTERN,
    SUBNET_ID_PATTERN, VNET_ID_PATTERN, WORKSPACE_ID_PATTERN, bounds, conditions_schema,
};

/// The desired state of a Workspace binding.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "aml-operator.io",
    version = "v1alpha1",
    kind = "Workspace",
    namespaced,
    status = "WorkspaceStatus",
    shortname = "amlws",
    category = "azureml",
    doc = "Binds a namespace to an existing Azure Machine Learning workspace and keeps it network-isolated.",
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].status"
    ),
    printcolumn(
        name = "Reason",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].reason"
    ),
    printcolumn(
        name = "NetworkIsolated",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"NetworkIsolated\")].status"
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    ),
    printcolumn(
        name = "Message",
        type_ = "string",
        priority = 1,
        json_path = ".status.conditions[?(@.type==\"Ready\")].message"
    )
)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkspaceSpec {
    /// ARM id of the existing AML workspace:
    /// `/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.MachineLearningServices/workspaces/<name>`.
    /// Immutable.
    #[x_kube(validation = kube::core::Rule::new("self == oldSelf").message("spec.resourceId is immutable"))]
    #[schemars(length(max = bounds::RESOURCE_ID), regex(pattern = WORKSPACE_ID_PATTERN))]
    pub resource_id: String,

    /// The Azure identity used for this workspace and every endpoint bound to it. Absent: the
    /// controller's own identity (workload identity in AKS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<WorkspaceCredential>,

    /// The network posture enforced on the workspace.
    #[serde(default)]
    pub network: WorkspaceNetwork,

    /// What happens to the Azure resources this object created (private endpoints, DNS zone
    /// groups, zones and links) when it is deleted. The AML workspace itself is never deleted.
    #[serde(default)]
    pub deletion_policy: DeletionPolicy,
}

/// Exactly one way to obtain an Azure credential.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[x_kube(validation = kube::core::Rule::new("has(self.workloadIdentity) != has(self.secretRef)").message("spec.credential must set exactly one of workloadIdentity or secretRef"))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkspaceCredential {
    /// Workload identity federation with a user-assigned managed identity or app registration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload_identity: Option<WorkloadIdentity>,
    /// A Secret in this namespace with keys `AZURE_TENANT_ID`, `AZURE_CLIENT_ID` and
    /// `AZURE_CLIENT_SECRET` (a service principal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<SecretReference>,
}

/// The Entra ID application used through workload identity federation.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkloadIdentity {
    /// The client (application) id, a GUID.
    #[schemars(length(max = 36), regex(pattern = GUID_PATTERN))]
    pub client_id: String,
    /// The Entra ID tenant id, a GUID.
    #[schemars(length(max = 36), regex(pattern = GUID_PATTERN))]
    pub tenant_id: String,
    /// A ServiceAccount in this Workspace's namespace to act as: the controller requests a
    /// token for `system:serviceaccount:<namespace>:<serviceAccountName>` (TokenRequest API,
    /// audience `api://AzureADTokenExchange`) and exchanges it for `clientId`, whose federated
    /// credential trusts that subject only. Absent: the controller's own projected token is
    /// exchanged, which counts as using the controller's identity (the namespace needs the
    /// admin's `aml-operator.io/default-credential` grant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253), regex(pattern = K8S_NAME_PATTERN))]
    pub service_account_name: Option<String>,
}

impl WorkloadIdentity {
    /// The Kubernetes subject a federated credential trusts for this identity's ServiceAccount
    /// in `namespace` (`None` without `serviceAccountName`).
    pub fn subject(&self, namespace: &str) -> Option<String> {
        self.service_account_name
            .as_deref()
            .map(|sa| format!("system:serviceaccount:{namespace}:{sa}"))
    }

    /// Checks `serviceAccountName` as the CRD schema does (a DNS-1123 subdomain of at most 253
    /// characters), for objects that did not come through the API server's validation.
    ///
    /// # Errors
    /// A message naming `spec.credential.workloadIdentity.serviceAccountName`.
    pub fn validate(&self) -> Result<(), String> {
        let Some(sa) = &self.service_account_name else {
            return Ok(());
        };
        if is_dns1123_subdomain(sa) {
            Ok(())
        } else {
            Err(format!(
                "spec.credential.workloadIdentity.serviceAccountName: Invalid value {sa:?}: must be a DNS-1123 subdomain (lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters)"
            ))
        }
    }
}

/// A DNS-1123 subdomain, as Kubernetes names most objects (ServiceAccounts included).
pub fn is_dns1123_subdomain(name: &str) -> bool {
    let label_ok = |label: &str| {
        let bytes = label.as_bytes();
        !bytes.is_empty()
            && bytes
                .iter()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
            && bytes.first().is_some_and(|b| *b != b'-')
            && bytes.last().is_some_and(|b| *b != b'-')
    };
    !name.is_empty() && name.len() <= 253 && name.split('.').all(label_ok)
}

/// A Secret in the same namespace as the object that names it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretReference {
    /// Name of the Secret in this namespace.
    #[schemars(length(min = 1, max = 253), regex(pattern = K8S_NAME_PATTERN))]
    pub name: String,
}

/// The workspace's network posture: inbound (public access, private endpoints) and outbound
/// (managed network).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, KubeSchema)]
#[x_kube(validation = kube::core::Rule::new("!has(self.associatedResources) || !has(self.associatedResources.mode) || self.associatedResources.mode != 'Enforce' || (has(self.privateEndpoints) && size(self.privateEndpoints) > 0 && has(self.privateEndpoints[0].privateDnsZones) && has(self.privateEndpoints[0].privateDnsZones.resourceGroup))").message("spec.network.associatedResources.mode Enforce needs spec.network.privateEndpoints[0] with privateDnsZones.resourceGroup: the associated resources' private endpoints go into that private endpoint's subnet, and their private DNS zones are created in that resource group and linked to its linkVirtualNetworkId").field_path(".associatedResources"))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkspaceNetwork {
    /// Enforced on the workspace; `Disabled` (the default) makes it reachable only through its
    /// private endpoints.
    #[serde(default)]
    pub public_network_access: PublicNetworkAccess,

    /// Outbound isolation through the workspace's managed virtual network. Absent: left as it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_network: Option<ManagedNetwork>,

    /// Private endpoints from your virtual networks to the workspace (group id `amlworkspace`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 8))]
    #[x_kube(merge_strategy = kube::core::ListMerge::Map(vec!["name".into()]))]
    pub private_endpoints: Vec<WorkspacePrivateEndpoint>,

    /// The workspace's storage account, key vault, container registry and Application Insights
    /// (the ids the AML workspace names). Present: each is read once per sync and becomes a
    /// named leg of `NetworkIsolated` (public network access and network ACL default action;
    /// the registry's SKU, since private link needs Premium; Application Insights' ingestion
    /// and query public access; an Approved private endpoint connection). With `mode: Enforce`
    /// the controller also makes them private (see `mode`).
    /// Absent: they are neither read nor reported (as before this field existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub associated_resources: Option<AssociatedResources>,
}

/// What the controller does with the workspace's associated resources.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AssociatedResources {
    /// `Observe` (the default): read and report them as legs of `NetworkIsolated`, never
    /// change them. `Enforce`: private endpoints for storage (`blob`, `file`), key vault
    /// (`vault`) and a Premium registry (`registry`) in the subnet of
    /// `spec.network.privateEndpoints[0]`, their private DNS zones in its
    /// `privateDnsZones.resourceGroup` linked to its `linkVirtualNetworkId`, and each
    /// resource's public network access turned off only once its private endpoints are
    /// Approved with DNS records (make before break). A registry that is not Premium is
    /// reported and left as it is. Application Insights is made private only with
    /// `applicationInsights.privateLinkScopeId` (its private path is the hub's Azure Monitor
    /// Private Link Scope); without it, it is observed only.
    #[serde(default)]
    pub mode: AssociatedResourcesMode,
    /// The compute (a CPU compute cluster in the VNet of the workspace's associated resources)
    /// Azure builds environment images on, set as the workspace's `imageBuildCompute`. Once the
    /// registry is behind the VNet, Azure's default build (serverless compute) cannot reach it
    /// unless the workspace has a managed network (Microsoft Learn, "Secure an Azure Machine
    /// Learning workspace with virtual networks", "Secure Azure Container Registry"); without a
    /// compute named here or on the workspace, the registry's leg of `NetworkIsolated` says so.
    /// PATCHed in either mode when set; absent: the workspace's value is left as it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 255), regex(pattern = r"^[^/\s]+$"))]
    pub image_build_compute: Option<String>,
    /// How the workspace's Application Insights component is made private (with `mode:
    /// Enforce`). Absent: it is observed and reported only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_insights: Option<ApplicationInsightsPrivateLink>,
}

/// Application Insights behind an existing Azure Monitor Private Link Scope (AMPLS).
///
/// The controller never creates an AMPLS, its private endpoint or its DNS zones: a virtual
/// network connects to only one AMPLS, one AMPLS serves a shared DNS, and in hub-and-spoke the
/// single private link is set up on the hub (Microsoft Learn, "Design your Azure Monitor
/// private link configuration"), so the AMPLS belongs to the hub (platform) team. With `mode:
/// Enforce` the controller links the component to it (a scoped resource
/// `aml-<component>-<hash>` of the AMPLS, recorded in `status.privateLinkScopedResources` and
/// deleted with the Workspace) and, once that link has Succeeded and the AMPLS has an Approved
/// private endpoint connection (make before break), turns the component's
/// `publicNetworkAccessForIngestion` and `publicNetworkAccessForQuery` to `Disabled`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApplicationInsightsPrivateLink {
    /// ARM id of the hub's existing Azure Monitor Private Link Scope:
    /// `/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Insights/privateLinkScopes/<name>`.
    #[schemars(length(max = bounds::RESOURCE_ID), regex(pattern = PRIVATE_LINK_SCOPE_ID_PATTERN))]
    pub private_link_scope_id: String,
}

impl ApplicationInsightsPrivateLink {
    /// Checks `privateLinkScopeId` as the CRD schema does, for objects that did not come
    /// through the API server's validation.
    ///
    /// # Errors
    /// A message naming
    /// `spec.network.associatedResources.applicationInsights.privateLinkScopeId`.
    pub fn validate(&self) -> Result<(), String> {
        let id = self.private_link_scope_id.as_str();
        let parts: Vec<&str> = id.split('/').collect();
        let ok = id.len() <= bounds::RESOURCE_ID as usize
            && parts.len() == 9
            && parts[0].is_empty()
            && parts[1].eq_ignore_ascii_case("subscriptions")
            && parts[2].len() == 36
            && parts[2].chars().all(|c| c.is_ascii_hexdigit() || c == '-')
            && parts[3].eq_ignore_ascii_case("resourceGroups")
            && !parts[4].is_empty()
            && parts[4].len() <= 90
            && parts[5].eq_ignore_ascii_case("providers")
            && parts[6].eq_ignore_ascii_case("Microsoft.Insights")
            && parts[7].eq_ignore_ascii_case("privateLinkScopes")
            && !parts[8].is_empty()
            && parts[8].len() <= 255
            && !parts[8].ends_with('.')
            && parts[8]
                .chars()
                .all(|c| c.is_alphanumeric() || "-_.()".contains(c));
        if ok {
            Ok(())
        } else {
            Err(format!(
                "spec.network.associatedResources.applicationInsights.privateLinkScopeId: Invalid value {:?}: must be /subscriptions/<subscription id>/resourceGroups/<rg>/providers/Microsoft.Insights/privateLinkScopes/<name> (the hub's Azure Monitor Private Link Scope)",
                id.chars().take(300).collect::<String>()
            ))
        }
    }
}

/// How associated resources are handled.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash, JsonSchema)]
pub enum AssociatedResourcesMode {
    /// Read and report; never write.
    #[default]
    Observe,
    /// Make storage, key vault and a Premium registry private: private endpoints and DNS
    /// first, public network access off once they hold; Application Insights too when
    /// `applicationInsights.privateLinkScopeId` names the hub's Azure Monitor Private Link
    /// Scope.
    Enforce,
}

/// The managed network of the workspace.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, KubeSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ManagedNetwork {
    /// `AllowOnlyApprovedOutbound` (recommended), `AllowInternetOutbound`, or `Disabled`.
    /// Managed network isolation is one-way in Azure (Microsoft Learn, "Workspace Managed
    /// Virtual Network Isolation"): once on it cannot be turned off, and
    /// `AllowOnlyApprovedOutbound` cannot go back to `AllowInternetOutbound`; such updates are
    /// refused here.
    #[x_kube(validation = kube::core::Rule::new("oldSelf != 'AllowOnlyApprovedOutbound' || self == 'AllowOnlyApprovedOutbound'").message("spec.network.managedNetwork.isolationMode cannot leave AllowOnlyApprovedOutbound: Azure's managed network isolation is one-way"))]
    #[x_kube(validation = kube::core::Rule::new("oldSelf == 'Disabled' || self != 'Disabled'").message("spec.network.managedNetwork.isolationMode cannot go back to Disabled: Azure cannot turn a managed network off once it is on"))]
    pub isolation_mode: IsolationMode,
}

/// Outbound isolation mode of a workspace managed network.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum IsolationMode {
    /// No managed network.
    Disabled,
    /// Outbound to the internet is allowed.
    AllowInternetOutbound,
    /// Outbound only to approved destinations.
    AllowOnlyApprovedOutbound,
}

impl IsolationMode {
    /// The value as ARM spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Disabled => "Disabled",
            Self::AllowInternetOutbound => "AllowInternetOutbound",
            Self::AllowOnlyApprovedOutbound => "AllowOnlyApprovedOutbound",
        }
    }
}

/// A private endpoint to the workspace in one of your subnets.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkspacePrivateEndpoint {
    /// Name of the `Microsoft.Network/privateEndpoints` resource, created in the subnet's
    /// resource group.
    #[schemars(
        length(min = 2, max = 64),
        regex(pattern = "^[a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9_])?$")
    )]
    pub name: String,

    /// ARM id of the subnet the private endpoint is placed in.
    #[schemars(length(max = bounds::RESOURCE_ID), regex(pattern = SUBNET_ID_PATTERN))]
    pub subnet_id: String,

    /// The controller's identity may approve connections on the workspace
    /// (`Microsoft.MachineLearningServices/workspaces/privateEndpointConnectionsApproval/action`):
    /// the private endpoint asks for automatic approval (Azure refuses it with 403
    /// `LinkedAuthorizationFailed` without that permission) and a connection left Pending is
    /// approved by the controller. Off: a manual request, Pending until an owner of the
    /// workspace approves it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub approve: bool,

    /// Private DNS for the endpoint: zones to create and link, or existing zones by id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_dns_zones: Option<PrivateDnsZones>,
}

/// Private DNS for a workspace private endpoint. Either `resourceGroup` (the controller creates
/// `privatelink.api.azureml.ms` and `privatelink.notebooks.azure.net` there and links them to
/// `linkVirtualNetworkId`) or `zoneIds` (existing zones).
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[x_kube(validation = kube::core::Rule::new("has(self.resourceGroup) != has(self.zoneIds)").message("privateDnsZones must set exactly one of resourceGroup or zoneIds"))]
#[x_kube(validation = kube::core::Rule::new("!has(self.resourceGroup) || has(self.linkVirtualNetworkId)").message("privateDnsZones.linkVirtualNetworkId is required with resourceGroup"))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PrivateDnsZones {
    /// Resource group in which the controller creates the private DNS zones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 90), regex(pattern = RESOURCE_GROUP_PATTERN))]
    pub resource_group: Option<String>,

    /// ARM ids of existing private DNS zones to attach instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 4), inner(length(max = bounds::RESOURCE_ID), regex(pattern = DNS_ZONE_ID_PATTERN)))]
    pub zone_ids: Option<Vec<String>>,

    /// ARM id of the virtual network the created zones are linked to (registration off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = bounds::RESOURCE_ID), regex(pattern = VNET_ID_PATTERN))]
    pub link_virtual_network_id: Option<String>,
}

/// The observed state of a Workspace binding.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceStatus {
    /// The generation the status was computed for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,

    /// Ready, Reconciling, Stalled and NetworkIsolated.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "conditions_schema")]
    pub conditions: Vec<Condition>,

    /// ARM id of the workspace, as Azure spells it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = bounds::RESOURCE_ID))]
    pub azure_resource_id: Option<String>,

    /// The workspace's provisioningState in Azure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64))]
    pub provisioning_state: Option<String>,

    /// The workspace's Azure region; endpoints are created there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64))]
    pub location: Option<String>,

    /// The workspace's publicNetworkAccess as last observed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 32))]
    pub public_network_access: Option<String>,

    /// The managed network isolation mode as last observed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64))]
    pub managed_network_isolation_mode: Option<String>,

    /// Each declared private endpoint as last observed, then those removed from the spec that
    /// this Workspace created and has not yet seen deleted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 16))]
    pub private_endpoints: Vec<PrivateEndpointObservation>,

    /// How many of the workspace's private endpoint connections Azure reports Approved, whoever
    /// created them (this Workspace, Terraform, a person). Deployments that lock outbound with
    /// the legacy `egressPublicNetworkAccess: Disabled` need at least one (Learn: "Network
    /// isolation with managed online endpoints").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 10000))]
    pub approved_private_endpoint_connections: Option<i32>,

    /// When this controller saw the workspace's managed network turned on (from none or
    /// Disabled). Endpoints created before it must be recreated to use it (Learn: "Workspace
    /// managed virtual network isolation", migrating online endpoints).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_network_enabled_at: Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>,

    /// ARM ids of the Azure Monitor Private Link Scope scoped resources this Workspace created
    /// to link its Application Insights component to
    /// `associatedResources.applicationInsights.privateLinkScopeId` (scoped resources carry no
    /// tags: this is how the controller knows they are its own). Deleted with the Workspace,
    /// or when the spec no longer asks for them; each is kept here until Azure says it is gone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 8), inner(length(max = bounds::RESOURCE_ID)))]
    pub private_link_scoped_resources: Vec<String>,

    /// The credential Secret (`spec.credential.secretRef`) this Workspace holds with the
    /// `aml-operator.io/credential-in-use` finalizer, so that deleting the namespace cannot take
    /// the credential away before what was created in Azure is deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 253))]
    pub credential_secret: Option<String>,

    /// The Azure operation in flight, resumed by a restarted controller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<OperationStatus>,

    /// The last error from Azure Resource Manager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<ArmErrorStatus>,

    /// Since when Azure has answered 409 (busy with another operation) to every write; a
    /// conflict that does not clear within a bound becomes Stalled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azure_busy_since: Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>,
}

/// A private endpoint of the workspace as last observed.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PrivateEndpointObservation {
    /// The name from the spec.
    #[schemars(length(max = 64))]
    pub name: String,
    /// ARM id of the Network private endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = bounds::RESOURCE_ID))]
    pub resource_id: Option<String>,
    /// The private endpoint's provisioningState.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64))]
    pub provisioning_state: Option<String>,
    /// The workspace's connection state: Approved, Pending, Rejected or Disconnected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64))]
    pub connection_state: Option<String>,
    /// Whether the DNS zone group is attached and its A records exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_ready: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wi(sa: Option<&str>) -> WorkloadIdentity {
        WorkloadIdentity {
            client_id: "00000000-0000-0000-0000-000000000001".into(),
            tenant_id: "00000000-0000-0000-0000-000000000002".into(),
            service_account_name: sa.map(str::to_owned),
        }
    }

    #[test]
    fn service_account_names_are_dns_subdomains() {
        for good in ["ml-runner", "a", "team.a-1", &"a".repeat(253)] {
            assert!(wi(Some(good)).validate().is_ok(), "{good}");
        }
        for bad in ["", "ML", "-a", "a-", "a..b", "a_b", &"a".repeat(254)] {
            let err = wi(Some(bad)).validate().expect_err(bad);
            assert!(
                err.contains("spec.credential.workloadIdentity.serviceAccountName"),
                "{err}"
            );
        }
        assert!(wi(None).validate().is_ok());
        assert_eq!(
            wi(Some("runner")).subject("team-a").as_deref(),
            Some("system:serviceaccount:team-a:runner")
        );
        assert_eq!(wi(None).subject("team-a"), None);
    }
}
