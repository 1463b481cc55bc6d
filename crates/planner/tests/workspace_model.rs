//! Property test of the Workspace's network legs: random sequences of reconciles with Azure's
//! answers (success, failed operations, 429, 409 busy, 400), time passing, and a person's drift
//! (public access enabled, the private endpoint deleted, the zone group or a VNet link removed,
//! a connection approved or rejected), against the model of Azure in `network_world`.
//!
//! After every step:
//! - no body sets the workspace's public access to anything but Disabled (the spec's value),
//!   none asks a managed network to turn off, and public access never shares a PATCH with a
//!   managed network change;
//! - no write is planned while the Workspace's operation is in flight, and nothing is deleted
//!   while the Workspace is not being deleted;
//! - Stalled and Reconciling are never True together;
//! - NetworkIsolated=True, computed from a fresh read, matches an isolated Azure.
//!
//! Once faults stop (and a person removes a rejected connection's endpoint or approves a pending
//! one), every leg converges within a bounded number of reconciles, and a resync writes nothing.

mod network_world;

use api::workspace::IsolationMode;
use network_world::{
    Answer, Azure, Controller, Dns, PE, WS, ZONE_API, ZONE_NB, group_id, link_id, spec,
};
use planner::{NetworkAction, STALLED_RETRY};
use proptest::prelude::*;
use serde_json::{Value, json};

#[derive(Clone, Debug)]
enum Step {
    Reconcile(Answer),
    Tick,
    EnablePublicAccess,
    DeletePrivateEndpoint,
    RemoveZoneGroup,
    RemoveLink(usize),
    /// Azure re-provisions a VNet link: InProgress until time passes.
    LinkInProgress(usize),
    Approve,
    Reject,
    ToggleApprove,
}

fn answer() -> impl Strategy<Value = Answer> {
    prop_oneof![
        8 => Just(Answer::Ok),
        1 => Just(Answer::OkThenFail),
        1 => Just(Answer::Throttled),
        1 => Just(Answer::Busy),
        1 => Just(Answer::BadRequest),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        10 => answer().prop_map(Step::Reconcile),
        4 => Just(Step::Tick),
        1 => Just(Step::EnablePublicAccess),
        1 => Just(Step::DeletePrivateEndpoint),
        1 => Just(Step::RemoveZoneGroup),
        1 => (0usize..2).prop_map(Step::RemoveLink),
        1 => (0usize..2).prop_map(Step::LinkInProgress),
        1 => Just(Step::Approve),
        1 => Just(Step::Reject),
        1 => Just(Step::ToggleApprove),
    ]
}

/// Every leg holds in the model right now.
fn azure_isolated(azure: &Azure, mode: Option<IsolationMode>) -> bool {
    let ws = azure.get(WS).cloned().unwrap_or(Value::Null);
    let state = |v: Option<&Value>, pointer: &str| {
        v.and_then(|v| v.pointer(pointer))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let public_off = azure.public_access() == "Disabled";
    let mode_ok = match mode {
        None => true,
        Some(m) => {
            state(Some(&ws), "/properties/managedNetwork/isolationMode").as_deref()
                == Some(m.as_str())
                && state(Some(&ws), "/properties/managedNetwork/status/status").as_deref()
                    == Some("Active")
        }
    };
    let pe_ok = state(azure.get(PE), "/properties/provisioningState").as_deref()
        == Some("Succeeded")
        && azure
            .connection()
            .and_then(|c| {
                state(
                    Some(&c),
                    "/properties/privateLinkServiceConnectionState/status",
                )
            })
            .as_deref()
            == Some("Approved");
    let group = azure.get(&group_id());
    let group_ok = state(group, "/properties/provisioningState").as_deref() == Some("Succeeded")
        && group
            .and_then(|g| g.pointer("/properties/privateDnsZoneConfigs"))
            .and_then(Value::as_array)
            .is_some_and(|cs| {
                cs.len() == 2
                    && cs.iter().all(|c| {
                        c.pointer("/properties/recordSets")
                            .and_then(Value::as_array)
                            .is_some_and(|r| !r.is_empty())
                    })
            });
    let links_ok = [ZONE_API, ZONE_NB].iter().all(|z| {
        state(
            azure.get(&link_id(z)),
            "/properties/virtualNetworkLinkState",
        )
        .as_deref()
            == Some("Completed")
    });
    public_off && mode_ok && pe_ok && group_ok && links_ok
}

fn check(
    c: &Controller,
    plan: &planner::WorkspacePlan,
    busy_before: bool,
    isolated_before: bool,
    read_fresh: bool,
) -> Result<(), TestCaseError> {
    if plan.action.is_write() {
        prop_assert!(
            !busy_before,
            "a write was planned while an operation is in flight: {:?}",
            plan.action
        );
    }
    if let Some(body) = match &plan.action {
        NetworkAction::Put { body, .. }
        | NetworkAction::Patch { body, .. }
        | NetworkAction::Post { body, .. } => Some(body),
        _ => None,
    } {
        if let Some(pna) = body.pointer("/properties/publicNetworkAccess") {
            prop_assert_eq!(pna, &json!("Disabled"), "a body made the workspace public");
        }
        prop_assert!(
            body.pointer("/properties/publicNetworkAccess").is_none()
                || body.pointer("/properties/managedNetwork").is_none(),
            "public access rode in one PATCH with a managed network change: {}",
            body
        );
        if let Some(mode) = body.pointer("/properties/managedNetwork/isolationMode") {
            prop_assert_ne!(
                mode,
                &json!("Disabled"),
                "asked a managed network to turn off"
            );
        }
    }
    prop_assert!(
        !matches!(plan.action, NetworkAction::Delete { .. }),
        "deleted while not deleting: {:?}",
        plan.action
    );
    let stalled = c.condition("Stalled").is_some_and(|s| s.0 == "True");
    let reconciling = c.condition("Reconciling").is_some_and(|s| s.0 == "True");
    prop_assert!(
        !(stalled && reconciling),
        "Stalled and Reconciling together"
    );
    if read_fresh
        && c.condition("NetworkIsolated")
            .is_some_and(|s| s.0 == "True")
    {
        prop_assert!(
            isolated_before,
            "NetworkIsolated=True while Azure was not isolated"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn network_legs_hold_and_converge(
        steps in proptest::collection::vec(step(), 1..60),
        may_approve in any::<bool>(),
        approve in any::<bool>(),
        managed in any::<bool>(),
        start_converged in any::<bool>(),
    ) {
        let mode = managed.then_some(IsolationMode::AllowOnlyApprovedOutbound);
        let mut azure = Azure::seed();
        azure.may_approve = may_approve;
        let mut c = Controller::new(spec(Dns::Create, approve, mode));
        if start_converged {
            // Drift and faults then hit a Workspace whose every leg holds (a person approved
            // its manual request, or the controller's auto-approval was allowed).
            azure.may_approve = true;
            c.settle(&mut azure, 80);
            azure.set_connection("Approved");
            c.settle(&mut azure, 20);
            azure.may_approve = may_approve;
            prop_assert_eq!(c.condition("NetworkIsolated").map(|r| r.0), Some("True".to_owned()));
        }

        for s in &steps {
            match s {
                Step::Reconcile(answer) => {
                    let busy_before = azure.busy();
                    let isolated_before = azure_isolated(&azure, mode);
                    let read_fresh = c.status.operation.is_none();
                    let plan = c.reconcile(&mut azure, *answer);
                    check(&c, &plan, busy_before, isolated_before, read_fresh)?;
                }
                Step::Tick => azure.tick(),
                Step::EnablePublicAccess => {
                    if let Some(ws) = azure.get_mut(WS) {
                        ws["properties"]["publicNetworkAccess"] = json!("Enabled");
                    }
                }
                Step::DeletePrivateEndpoint => azure.delete_now(PE),
                Step::RemoveZoneGroup => azure.delete_now(&group_id()),
                Step::RemoveLink(i) => azure.delete_now(&link_id([ZONE_API, ZONE_NB][*i])),
                Step::LinkInProgress(i) => {
                    if let Some(l) = azure.get_mut(&link_id([ZONE_API, ZONE_NB][*i])) {
                        l["properties"]["virtualNetworkLinkState"] = json!("InProgress");
                    }
                }
                Step::Approve => azure.set_connection("Approved"),
                Step::Reject => azure.set_connection("Rejected"),
                Step::ToggleApprove => {
                    let pe = &mut c.spec.network.private_endpoints[0];
                    pe.approve = !pe.approve;
                    c.generation += 1;
                }
            }
        }

        // Faults stop. A person removes an endpoint whose connection was refused, grants the
        // controller the approval permission and approves a manual request that waits; the slow
        // retry of a refused write comes round.
        let status = azure
            .connection()
            .and_then(|conn| conn.pointer("/properties/privateLinkServiceConnectionState/status").cloned());
        if status.as_ref().is_some_and(|s| s != "Approved" && s != "Pending") {
            azure.delete_now(PE);
        }
        azure.may_approve = true;
        azure.set_connection("Approved");
        // A failure that surfaces only now (its operation was still running) holds its write
        // back until the slow retry: at most one more round; a private endpoint created only
        // now as a manual request waits for the person once more.
        for _ in 0..3 {
            c.now += STALLED_RETRY;
            let plans = c.settle(&mut azure, 80);
            for plan in &plans {
                check(&c, plan, false, false, false)?;
            }
            if c.condition("Ready").is_some_and(|r| r.0 == "True") {
                break;
            }
            azure.set_connection("Approved");
        }
        prop_assert_eq!(
            c.condition("Ready").map(|r| r.0),
            Some("True".to_owned()),
            "did not converge: {:?}",
            c.status.conditions
        );
        prop_assert_eq!(c.condition("NetworkIsolated").map(|r| r.0), Some("True".to_owned()));
        prop_assert!(azure_isolated(&azure, mode), "Ready but Azure is not isolated");
        let writes = azure.writes.len();
        let resync = c.reconcile(&mut azure, Answer::Ok);
        prop_assert!(!resync.action.is_write(), "a resync wrote: {:?}", resync.action);
        prop_assert_eq!(azure.writes.len(), writes);
    }
}
