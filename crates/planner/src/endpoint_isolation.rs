//! An OnlineEndpoint's `NetworkIsolated` condition, and what it does to Ready; and an
//! OnlineDeployment's, which reports its outbound.
//!
//! The endpoint is isolated when three things hold: its own public access is off (as Azure
//! reports it), its deployments' outbound is locked (the legacy `egressPublicNetworkAccess:
//! Disabled`, or the workspace's managed network in `AllowOnlyApprovedOutbound`), and its
//! Workspace reports `NetworkIsolated=True`.
//!
//! The legacy lock only works with a workspace private endpoint: a deployment with egress
//! disabled reaches the workspace and its resources through the workspace's private endpoint
//! (Learn: "Network isolation with managed online endpoints", legacy network isolation,
//! concept-secure-online-endpoint: "the workspace must have a private endpoint"). So a
//! deployment locked that way in a workspace without an Approved private endpoint connection
//! is reported not isolated, and so is its endpoint (which holds Ready). The deployment's own
//! Ready is not held: Azure accepts the deployment; what it cannot do is reach the workspace
//! privately. What Azure answers to such a deployment at run time (a failed image pull or a
//! scoring error) could not be verified from the public documentation.
//!
//! # Guarantees
//! - Ready=True stays only when the endpoint is isolated or its spec explicitly allows public
//!   access; otherwise Ready=False with Reconciling=True naming what is missing (the missing
//!   legs are the Workspace's or a deployment's to fix, so the endpoint waits, never Stalls).
//! - A Stalled endpoint stays Stalled; the condition is added, nothing else changes.

use api::conditions::{ConditionType, NewCondition, Reason, find_condition, set_condition};
use api::workspace::IsolationMode;
use api::{OnlineEndpointSpec, OnlineEndpointStatus, PublicNetworkAccess};
use k8s_openapi::jiff::Timestamp;

use crate::progress::progressing;

/// A deployment of the endpoint and the egress its spec asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeploymentEgress {
    /// The deployment's Azure name.
    pub name: String,
    /// `spec.egressPublicNetworkAccess` (absent: Disabled).
    pub egress: Option<PublicNetworkAccess>,
}

/// Everything the endpoint's isolation depends on.
#[derive(Clone, Debug)]
pub struct EndpointIsolationInput<'a> {
    /// `metadata.generation`.
    pub generation: Option<i64>,
    /// The endpoint's spec.
    pub spec: &'a OnlineEndpointSpec,
    /// The Workspace's `NetworkIsolated` (isolated, message); `None` when the Workspace is not
    /// there.
    pub workspace: Option<(bool, String)>,
    /// The workspace's managed network mode as last observed (`None`: none).
    pub managed_network: Option<IsolationMode>,
    /// The endpoint's deployments that are not being deleted.
    pub deployments: &'a [DeploymentEgress],
    /// When Azure created the endpoint (`systemData.createdAt`), if known.
    pub created_at: Option<Timestamp>,
    /// When the workspace's managed network was seen turned on, if it was.
    pub managed_network_enabled_at: Option<Timestamp>,
    /// Whether the workspace has an Approved private endpoint connection (`None`: unknown).
    pub workspace_private_endpoint: Option<bool>,
}

/// True when a deployment's outbound is locked: by the managed network (which replaces the
/// legacy flag), or by the legacy flag (Disabled by default) when there is no managed network.
pub fn outbound_locked(
    managed_network: Option<IsolationMode>,
    egress: Option<PublicNetworkAccess>,
) -> bool {
    match managed_network {
        Some(IsolationMode::AllowOnlyApprovedOutbound) => true,
        Some(IsolationMode::AllowInternetOutbound) => false,
        Some(IsolationMode::Disabled) | None => {
            egress.unwrap_or(PublicNetworkAccess::Disabled) == PublicNetworkAccess::Disabled
        }
    }
}

/// True when a deployment's outbound relies on the legacy lock (no managed network isolates
/// it) and the workspace is known to have no Approved private endpoint, which that lock needs.
pub fn legacy_lock_without_private_endpoint(
    managed_network: Option<IsolationMode>,
    egress: Option<PublicNetworkAccess>,
    workspace_private_endpoint: Option<bool>,
) -> bool {
    matches!(managed_network, None | Some(IsolationMode::Disabled))
        && egress.unwrap_or(PublicNetworkAccess::Disabled) == PublicNetworkAccess::Disabled
        && workspace_private_endpoint == Some(false)
}

const NO_WORKSPACE_PE: &str = "egressPublicNetworkAccess is Disabled but the workspace has no Approved private endpoint, which a deployment with egress disabled needs to reach the workspace, its storage, registry and key vault: add one (spec.network.privateEndpoints on the Workspace) or use a managed network";

/// A deployment's `NetworkIsolated`: its outbound as Azure has it. `None` until the deployment
/// has been read from Azure. It does not hold Ready back: a deployment's egress is create-only
/// and immutable, and the endpoint's condition already waits for it.
pub fn deployment_isolation(
    generation: Option<i64>,
    observed: Option<&serde_json::Value>,
    managed_network: Option<IsolationMode>,
    workspace_private_endpoint: Option<bool>,
) -> Option<NewCondition> {
    let observed = observed?;
    Some(match managed_network {
        Some(IsolationMode::AllowOnlyApprovedOutbound) => NewCondition::isolated(
            generation,
            "outbound is locked by the workspace's managed network (AllowOnlyApprovedOutbound)",
        ),
        Some(IsolationMode::AllowInternetOutbound) => NewCondition::not_isolated(
            generation,
            Reason::NotIsolated,
            "not isolated: the workspace's managed network allows internet outbound",
        ),
        _ if crate::body::deployment_egress_locked(observed)
            && workspace_private_endpoint == Some(false) =>
        {
            NewCondition::not_isolated(
                generation,
                Reason::NotIsolated,
                format!("not isolated: {NO_WORKSPACE_PE}"),
            )
        }
        _ if crate::body::deployment_egress_locked(observed) => NewCondition::isolated(
            generation,
            "outbound is locked: egressPublicNetworkAccess is Disabled",
        ),
        _ => NewCondition::not_isolated(
            generation,
            Reason::NotIsolated,
            "not isolated: egressPublicNetworkAccess is Enabled in Azure",
        ),
    })
}

/// Sets `NetworkIsolated` on an endpoint status the endpoint planner computed, and holds Ready
/// back while the endpoint is not isolated and its spec does not allow public access.
pub fn apply_endpoint_isolation(
    status: &mut OnlineEndpointStatus,
    input: &EndpointIsolationInput<'_>,
    now: Timestamp,
) {
    let generation = input.generation;
    let mut missing = Vec::new();
    let public = status.public_network_access.as_deref().unwrap_or("Unknown");
    if !public.eq_ignore_ascii_case("Disabled") {
        missing.push(format!("the endpoint's publicNetworkAccess is {public}"));
    }
    let open: Vec<&str> = input
        .deployments
        .iter()
        .filter(|d| !outbound_locked(input.managed_network, d.egress))
        .map(|d| d.name.as_str())
        .collect();
    if !open.is_empty() {
        let why = if input.managed_network == Some(IsolationMode::AllowInternetOutbound) {
            "the workspace's managed network allows internet outbound"
        } else {
            "egressPublicNetworkAccess is Enabled"
        };
        missing.push(format!(
            "outbound of deployment(s) {} is open: {why}",
            open.join(", ")
        ));
    }
    let unreachable: Vec<&str> = input
        .deployments
        .iter()
        .filter(|d| {
            legacy_lock_without_private_endpoint(
                input.managed_network,
                d.egress,
                input.workspace_private_endpoint,
            )
        })
        .map(|d| d.name.as_str())
        .collect();
    if !unreachable.is_empty() {
        missing.push(format!(
            "deployment(s) {}: {NO_WORKSPACE_PE}",
            unreachable.join(", ")
        ));
    }
    // An endpoint created before the workspace's managed network does not use it: Azure requires
    // it to be recreated (Learn: "Workspace managed virtual network isolation", migrating
    // online endpoints).
    if let (Some(created), Some(enabled)) = (input.created_at, input.managed_network_enabled_at)
        && created < enabled
    {
        missing.push(
            "the endpoint was created before the workspace's managed network was turned on and does not use it; delete and create it again (Azure does not move existing endpoints)"
                .to_owned(),
        );
    }
    match &input.workspace {
        Some((true, _)) => {}
        Some((false, message)) => missing.push(format!("Workspace: {message}")),
        None => missing.push("the Workspace is not there".to_owned()),
    }
    let allowed = input.spec.public_network_access == PublicNetworkAccess::Enabled;
    let condition = if missing.is_empty() {
        NewCondition::isolated(
            generation,
            "endpoint public access Disabled, deployments' outbound locked, Workspace isolated",
        )
    } else if allowed {
        NewCondition::not_isolated(
            generation,
            Reason::PublicAccessAllowed,
            format!(
                "the spec allows public access; not isolated: {}",
                missing.join("; ")
            ),
        )
    } else {
        NewCondition::not_isolated(
            generation,
            Reason::NotIsolated,
            format!("not isolated: {}", missing.join("; ")),
        )
    };
    set_condition(&mut status.conditions, condition, now);
    let ready = find_condition(&status.conditions, ConditionType::Ready)
        .is_some_and(|c| c.status == "True");
    if ready && !missing.is_empty() && !allowed {
        progressing(
            status,
            generation,
            Reason::NotIsolated,
            format!("waiting for network isolation: {}", missing.join("; ")),
            now,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use api::conditions::NewCondition as C;

    fn now() -> Timestamp {
        Timestamp::from_second(1_800_000_000).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    fn spec(public: bool) -> OnlineEndpointSpec {
        let mut s: OnlineEndpointSpec =
            serde_json::from_value(serde_json::json!({"workspaceRef": {"name": "housing"}}))
                .unwrap_or_else(|e| panic!("{e}"));
        if public {
            s.public_network_access = PublicNetworkAccess::Enabled;
        }
        s
    }

    fn ready_status(public: &str) -> OnlineEndpointStatus {
        let mut s = OnlineEndpointStatus {
            public_network_access: Some(public.to_owned()),
            observed_generation: Some(1),
            ..Default::default()
        };
        set_condition(&mut s.conditions, C::ready(Some(1), "ok"), now());
        s
    }

    fn cond(s: &OnlineEndpointStatus, t: ConditionType) -> (String, String, String) {
        find_condition(&s.conditions, t)
            .map(|c| (c.status.clone(), c.reason.clone(), c.message.clone()))
            .unwrap_or_default()
    }

    fn dep(egress: Option<PublicNetworkAccess>) -> DeploymentEgress {
        DeploymentEgress {
            name: "blue".into(),
            egress,
        }
    }

    #[test]
    fn outbound_is_locked_by_the_flag_or_an_approved_only_managed_network() {
        use IsolationMode::{AllowInternetOutbound, AllowOnlyApprovedOutbound};
        use PublicNetworkAccess::{Disabled, Enabled};
        assert!(outbound_locked(None, None), "the flag defaults to Disabled");
        assert!(outbound_locked(None, Some(Disabled)));
        assert!(!outbound_locked(None, Some(Enabled)));
        assert!(outbound_locked(
            Some(AllowOnlyApprovedOutbound),
            Some(Enabled)
        ));
        assert!(!outbound_locked(
            Some(AllowInternetOutbound),
            Some(Disabled)
        ));
        assert!(outbound_locked(Some(IsolationMode::Disabled), None));
    }

    #[test]
    fn a_deployment_is_isolated_by_its_flag_or_the_managed_network() {
        let locked = serde_json::json!({"properties": {"egressPublicNetworkAccess": "Disabled"}});
        let open = serde_json::json!({"properties": {}});
        let status = |c: Option<NewCondition>| c.map(|c| c.status.as_str());
        assert_eq!(
            status(deployment_isolation(Some(1), None, None, Some(true))),
            None
        );
        assert_eq!(
            status(deployment_isolation(
                Some(1),
                Some(&locked),
                None,
                Some(true)
            )),
            Some("True")
        );
        assert_eq!(
            status(deployment_isolation(Some(1), Some(&open), None, Some(true))),
            Some("False"),
            "Azure's default is Enabled"
        );
        assert_eq!(
            status(deployment_isolation(
                Some(1),
                Some(&open),
                Some(IsolationMode::AllowOnlyApprovedOutbound),
                Some(true)
            )),
            Some("True")
        );
        assert_eq!(
            status(deployment_isolation(
                Some(1),
                Some(&locked),
                Some(IsolationMode::AllowInternetOutbound),
                Some(true)
            )),
            Some("False")
        );
    }

    #[test]
    fn isolated_when_every_leg_holds() {
        let mut s = ready_status("Disabled");
        let spec = spec(false);
        apply_endpoint_isolation(
            &mut s,
            &EndpointIsolationInput {
                generation: Some(1),
                spec: &spec,
                workspace: Some((true, "ok".into())),
                managed_network: None,
                deployments: &[dep(None)],
                created_at: None,
                managed_network_enabled_at: None,
                workspace_private_endpoint: Some(true),
            },
            now(),
        );
        assert_eq!(cond(&s, ConditionType::NetworkIsolated).0, "True");
        assert_eq!(cond(&s, ConditionType::Ready).0, "True");
    }

    #[test]
    fn ready_waits_for_the_workspace_and_names_every_missing_leg() {
        let mut s = ready_status("Enabled");
        let spec = spec(false);
        apply_endpoint_isolation(
            &mut s,
            &EndpointIsolationInput {
                generation: Some(1),
                spec: &spec,
                workspace: Some((false, "not isolated: private endpoint pe is missing".into())),
                managed_network: Some(IsolationMode::AllowInternetOutbound),
                deployments: &[dep(None)],
                created_at: None,
                managed_network_enabled_at: None,
                workspace_private_endpoint: Some(true),
            },
            now(),
        );
        let (status, reason, message) = cond(&s, ConditionType::NetworkIsolated);
        assert_eq!((status.as_str(), reason.as_str()), ("False", "NotIsolated"));
        for part in [
            "publicNetworkAccess is Enabled",
            "blue",
            "internet outbound",
            "private endpoint pe is missing",
        ] {
            assert!(message.contains(part), "{part} in {message}");
        }
        let (ready, reason, _) = cond(&s, ConditionType::Ready);
        assert_eq!((ready.as_str(), reason.as_str()), ("False", "NotIsolated"));
        assert_eq!(cond(&s, ConditionType::Reconciling).0, "True");
        assert!(find_condition(&s.conditions, ConditionType::Stalled).is_none());
    }

    #[test]
    fn a_spec_that_allows_public_access_stays_ready() {
        let mut s = ready_status("Enabled");
        let spec = spec(true);
        apply_endpoint_isolation(
            &mut s,
            &EndpointIsolationInput {
                generation: Some(1),
                spec: &spec,
                workspace: Some((true, "ok".into())),
                managed_network: None,
                deployments: &[],
                created_at: None,
                managed_network_enabled_at: None,
                workspace_private_endpoint: Some(true),
            },
            now(),
        );
        assert_eq!(
            cond(&s, ConditionType::NetworkIsolated).1,
            "PublicAccessAllowed"
        );
        assert_eq!(cond(&s, ConditionType::Ready).0, "True");
    }

    #[test]
    fn an_endpoint_older_than_the_managed_network_must_be_recreated() {
        let at =
            |s: i64| Timestamp::from_second(1_800_000_000 + s).unwrap_or(Timestamp::UNIX_EPOCH);
        let spec = spec(false);
        let run = |created: i64| {
            let mut s = ready_status("Disabled");
            apply_endpoint_isolation(
                &mut s,
                &EndpointIsolationInput {
                    generation: Some(1),
                    spec: &spec,
                    workspace: Some((true, "ok".into())),
                    managed_network: Some(IsolationMode::AllowOnlyApprovedOutbound),
                    deployments: &[dep(None)],
                    created_at: Some(at(created)),
                    managed_network_enabled_at: Some(at(100)),
                    workspace_private_endpoint: Some(true),
                },
                now(),
            );
            cond(&s, ConditionType::NetworkIsolated)
        };
        let (status, _, message) = run(50);
        assert_eq!(status, "False");
        assert!(
            message.contains("created before the workspace's managed network"),
            "{message}"
        );
        assert_eq!(
            run(150).0,
            "True",
            "created after: it uses the managed network"
        );
    }

    /// Rule: the legacy egress lock needs a workspace private endpoint (Learn: "Network
    /// isolation with managed online endpoints", legacy). Without an Approved one, the
    /// deployment and its endpoint say so, and the endpoint's Ready waits.
    #[test]
    fn the_legacy_egress_lock_needs_a_workspace_private_endpoint() {
        let locked = serde_json::json!({"properties": {"egressPublicNetworkAccess": "Disabled"}});
        let c = deployment_isolation(Some(1), Some(&locked), None, Some(false));
        let c = c.expect("observed");
        assert_eq!(c.status.as_str(), "False");
        assert!(
            c.message.contains("no Approved private endpoint"),
            "{}",
            c.message
        );
        // Unknown (not observed yet) is not reported as missing.
        let unknown = deployment_isolation(Some(1), Some(&locked), None, None);
        assert_eq!(
            unknown.map(|c| c.status.as_str().to_owned()).as_deref(),
            Some("True")
        );
        // A managed network replaces the legacy lock: no private endpoint needed for outbound.
        let managed = deployment_isolation(
            Some(1),
            Some(&locked),
            Some(IsolationMode::AllowOnlyApprovedOutbound),
            Some(false),
        );
        assert_eq!(
            managed.map(|c| c.status.as_str().to_owned()).as_deref(),
            Some("True")
        );

        let spec = spec(false);
        let run = |private: Option<bool>, egress: Option<PublicNetworkAccess>| {
            let mut s = ready_status("Disabled");
            apply_endpoint_isolation(
                &mut s,
                &EndpointIsolationInput {
                    generation: Some(1),
                    spec: &spec,
                    workspace: Some((true, "ok".into())),
                    managed_network: None,
                    deployments: &[dep(egress)],
                    created_at: None,
                    managed_network_enabled_at: None,
                    workspace_private_endpoint: private,
                },
                now(),
            );
            s
        };
        let s = run(Some(false), None);
        let (status, _, message) = cond(&s, ConditionType::NetworkIsolated);
        assert_eq!(status, "False");
        assert!(message.contains("deployment(s) blue"), "{message}");
        assert!(
            message.contains("no Approved private endpoint"),
            "{message}"
        );
        assert_eq!(cond(&s, ConditionType::Ready).0, "False");
        assert_eq!(cond(&run(Some(true), None), ConditionType::Ready).0, "True");
        assert_eq!(cond(&run(None, None), ConditionType::Ready).0, "True");
        // An open deployment is reported as open, not as needing the private endpoint.
        let open = run(Some(false), Some(PublicNetworkAccess::Enabled));
        let message = cond(&open, ConditionType::NetworkIsolated).2;
        assert!(
            !message.contains("no Approved private endpoint"),
            "{message}"
        );
    }
}
