//! What a namespace may do with Azure, as the cluster admin grants it — never the tenant.
//!
//! The admin writes the grant on the Namespace object (tenants normally cannot edit their
//! Namespace) or in the controller's flags:
//! - `aml-operator.io/default-credential: allowed` (or `--default-credential-namespaces`): a
//!   Workspace here may act with the controller's own identity — without `spec.credential`, or
//!   with `credential.workloadIdentity` but no `serviceAccountName` (the controller's own
//!   projected token is then what is exchanged for the client id, so any namespace could name
//!   any identity that trusts the controller). Not allowed by default. With `serviceAccountName`
//!   the namespace's own ServiceAccount's token is exchanged and no grant is needed.
//! - `aml-operator.io/allowed-workspaces`: comma-separated ARM id prefixes (a subscription, a
//!   resource group, a workspace) the namespace's Workspaces may bind. Absent: any.
//! - `aml-operator.io/allowed-networks`: comma-separated ARM id prefixes (a subscription, a
//!   resource group, a VNet, a subnet) the private endpoints' subnets and DNS VNet links may use.
//!   Absent: any.
//!
//! A Workspace outside its namespace's grant is Stalled `NotPermitted` naming the rule, and
//! nothing is sent to Azure for it or for the endpoints and deployments that use it.

use api::workspace::{WorkspaceCredential, WorkspaceSpec};

/// Namespace annotation: `allowed` lets Workspaces without a credential use the controller's.
pub const DEFAULT_CREDENTIAL_ANNOTATION: &str = "aml-operator.io/default-credential";
/// Namespace annotation: ARM id prefixes of the workspaces the namespace may bind.
pub const ALLOWED_WORKSPACES_ANNOTATION: &str = "aml-operator.io/allowed-workspaces";
/// Namespace annotation: ARM id prefixes of the subnets and VNets the namespace may use.
pub const ALLOWED_NETWORKS_ANNOTATION: &str = "aml-operator.io/allowed-networks";

/// A namespace's grant.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NamespacePolicy {
    /// The namespace.
    pub namespace: String,
    /// Workspaces here may use the controller's own identity.
    pub default_credential: bool,
    /// ARM id prefixes of the workspaces it may bind (`None`: any).
    pub workspaces: Option<Vec<String>>,
    /// ARM id prefixes of the subnets and VNets it may use (`None`: any).
    pub networks: Option<Vec<String>>,
}

impl NamespacePolicy {
    /// The grant written on a Namespace's annotations, plus the controller's flag
    /// (`default_credential_by_flag`).
    pub fn from_annotations(
        namespace: &str,
        default_credential_by_flag: bool,
        annotation: impl Fn(&str) -> Option<String>,
    ) -> Self {
        let list = |key: &str| {
            annotation(key).map(|v| {
                v.split(',')
                    .map(|s| s.trim().trim_end_matches('/').to_owned())
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
            })
        };
        Self {
            namespace: namespace.to_owned(),
            default_credential: default_credential_by_flag
                || annotation(DEFAULT_CREDENTIAL_ANNOTATION)
                    .is_some_and(|v| v.trim().eq_ignore_ascii_case("allowed")),
            workspaces: list(ALLOWED_WORKSPACES_ANNOTATION),
            networks: list(ALLOWED_NETWORKS_ANNOTATION),
        }
    }
}

/// True when `id` is `prefix` or lies under it (whole path segments, case-insensitive: ARM ids
/// are).
pub fn under(id: &str, prefix: &str) -> bool {
    let id = id.trim_end_matches('/').to_ascii_lowercase();
    let prefix = prefix.trim_end_matches('/').to_ascii_lowercase();
    !prefix.is_empty() && (id == prefix || id.starts_with(&format!("{prefix}/")))
}

/// Whether `spec` stays within `policy`; `Err` names the rule it breaks and how to grant it.
///
/// # Errors
/// The first rule the spec breaks.
pub fn check(policy: &NamespacePolicy, spec: &WorkspaceSpec) -> Result<(), String> {
    let ns = &policy.namespace;
    if spec.credential.is_none() && !policy.default_credential {
        return Err(format!(
            "spec.credential is absent, and namespace {ns} may not use the controller's own identity: name a credential (workloadIdentity with serviceAccountName, or secretRef), or ask the cluster admin to annotate the namespace {DEFAULT_CREDENTIAL_ANNOTATION}=allowed"
        ));
    }
    if let Some(WorkspaceCredential {
        workload_identity: Some(wi),
        ..
    }) = &spec.credential
        && wi.service_account_name.is_none()
        && !policy.default_credential
    {
        return Err(format!(
            "spec.credential.workloadIdentity.serviceAccountName is absent, so the controller's own token would be exchanged for client id {}, and namespace {ns} may not use the controller's own identity: name a ServiceAccount of this namespace that the identity's federated credential trusts, or ask the cluster admin to annotate the namespace {DEFAULT_CREDENTIAL_ANNOTATION}=allowed",
            wi.client_id
        ));
    }
    if let Some(allowed) = &policy.workspaces
        && !allowed.iter().any(|p| under(&spec.resource_id, p))
    {
        return Err(format!(
            "spec.resourceId {} is outside what namespace {ns} may bind ({ALLOWED_WORKSPACES_ANNOTATION}: {})",
            spec.resource_id,
            allowed.join(", ")
        ));
    }
    if let Some(allowed) = &policy.networks {
        for (i, pe) in spec.network.private_endpoints.iter().enumerate() {
            if !allowed.iter().any(|p| under(&pe.subnet_id, p)) {
                return Err(format!(
                    "spec.network.privateEndpoints[{i}].subnetId {} is outside the networks namespace {ns} may use ({ALLOWED_NETWORKS_ANNOTATION}: {})",
                    pe.subnet_id,
                    allowed.join(", ")
                ));
            }
            if let Some(vnet) = pe
                .private_dns_zones
                .as_ref()
                .and_then(|z| z.link_virtual_network_id.as_deref())
                && !allowed.iter().any(|p| under(vnet, p))
            {
                return Err(format!(
                    "spec.network.privateEndpoints[{i}].privateDnsZones.linkVirtualNetworkId {vnet} is outside the networks namespace {ns} may use ({ALLOWED_NETWORKS_ANNOTATION}: {})",
                    allowed.join(", ")
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUB: &str = "/subscriptions/11111111-2222-3333-4444-555555555555";

    fn spec(credential: bool, subnet: &str) -> WorkspaceSpec {
        let mut doc = serde_json::json!({
            "resourceId": format!("{SUB}/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/mlw-prod"),
            "network": {"privateEndpoints": [{"name": "pe", "subnetId": subnet,
                "privateDnsZones": {"resourceGroup": "rg-dns",
                    "linkVirtualNetworkId": format!("{SUB}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-hub")}}]}
        });
        if credential {
            doc["credential"] = serde_json::json!({"secretRef": {"name": "sp"}});
        }
        serde_json::from_value(doc).expect("a spec")
    }

    fn policy(pairs: &[(&str, &str)]) -> NamespacePolicy {
        NamespacePolicy::from_annotations("team-b", false, |k| {
            pairs
                .iter()
                .find(|(key, _)| *key == k)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn the_default_credential_needs_the_admins_grant() {
        let subnet = format!(
            "{SUB}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-hub/subnets/pe"
        );
        let err = check(&policy(&[]), &spec(false, &subnet)).expect_err("not granted");
        assert!(err.contains(DEFAULT_CREDENTIAL_ANNOTATION), "{err}");
        assert!(
            check(
                &policy(&[(DEFAULT_CREDENTIAL_ANNOTATION, "Allowed")]),
                &spec(false, &subnet)
            )
            .is_ok()
        );
        assert!(
            check(&policy(&[]), &spec(true, &subnet)).is_ok(),
            "its own credential needs no grant"
        );
        let by_flag = NamespacePolicy::from_annotations("team-b", true, |_| None);
        assert!(check(&by_flag, &spec(false, &subnet)).is_ok());
    }

    #[test]
    fn workload_identity_without_a_service_account_is_the_controllers_identity() {
        let subnet = format!(
            "{SUB}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-hub/subnets/pe"
        );
        let with = |sa: Option<&str>| {
            let mut s = spec(true, &subnet);
            let mut wi = serde_json::json!({"clientId": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
                "tenantId": "aaaaaaaa-bbbb-cccc-dddd-ffffffffffff"});
            if let Some(sa) = sa {
                wi["serviceAccountName"] = sa.into();
            }
            s.credential = Some(
                serde_json::from_value(serde_json::json!({"workloadIdentity": wi}))
                    .expect("a credential"),
            );
            s
        };
        let err = check(&policy(&[]), &with(None)).expect_err("the controller's token");
        assert!(
            err.contains("serviceAccountName") && err.contains(DEFAULT_CREDENTIAL_ANNOTATION),
            "{err}"
        );
        assert!(
            check(
                &policy(&[(DEFAULT_CREDENTIAL_ANNOTATION, "allowed")]),
                &with(None)
            )
            .is_ok()
        );
        assert!(
            check(&policy(&[]), &with(Some("runner"))).is_ok(),
            "the namespace's own ServiceAccount needs no grant"
        );
    }

    #[test]
    fn workspaces_and_networks_are_held_to_their_prefixes() {
        let subnet = format!(
            "{SUB}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-hub/subnets/pe"
        );
        let p = policy(&[(
            ALLOWED_WORKSPACES_ANNOTATION,
            &format!("{SUB}/resourceGroups/rg-team-a"),
        )]);
        let err = check(&p, &spec(true, &subnet)).expect_err("another resource group");
        assert!(
            err.contains("spec.resourceId") && err.contains(ALLOWED_WORKSPACES_ANNOTATION),
            "{err}"
        );
        let p = policy(&[(
            ALLOWED_WORKSPACES_ANNOTATION,
            &format!("{}/RESOURCEGROUPS/RG-ML/", SUB.to_uppercase()),
        )]);
        assert!(
            check(&p, &spec(true, &subnet)).is_ok(),
            "case-insensitive, trailing slash"
        );
        // A prefix matches whole segments only: rg-m is not rg-ml.
        let p = policy(&[(
            ALLOWED_WORKSPACES_ANNOTATION,
            &format!("{SUB}/resourceGroups/rg-m"),
        )]);
        assert!(check(&p, &spec(true, &subnet)).is_err());

        let hub = format!(
            "{SUB}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-hub"
        );
        let p = policy(&[(ALLOWED_NETWORKS_ANNOTATION, &hub)]);
        assert!(check(&p, &spec(true, &subnet)).is_ok());
        let other = format!(
            "{SUB}/resourceGroups/rg-team-a/providers/Microsoft.Network/virtualNetworks/vnet-a/subnets/pe"
        );
        let err = check(&p, &spec(true, &other)).expect_err("team A's subnet");
        assert!(err.contains("privateEndpoints[0].subnetId"), "{err}");
        let p = policy(&[(
            ALLOWED_NETWORKS_ANNOTATION,
            &format!("{SUB}/resourceGroups/rg-team-a"),
        )]);
        let err = check(&p, &spec(true, &other)).expect_err("the DNS link is in rg-net");
        assert!(err.contains("linkVirtualNetworkId"), "{err}");
    }
}
