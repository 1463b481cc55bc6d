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

// ---- The associated resources, enforced ------------------------------------------------------
//
// The same loop with `associatedResources: {mode: Enforce}`: storage (blob, file), key vault and
// a Premium or Basic registry, behind user-VNet private endpoints, or — in a managed network that
// allows only approved outbound — behind Azure's required outbound rules. A person flips a
// resource's public access on, deletes one of their private endpoints, removes a zone's VNet link.
//
// After every step:
// - a resource's public access is PATCHed to Disabled only while its private path holds in Azure:
//   every private endpoint made for it has Approved connections and a zone group with A records
//   (or, in the managed network, every outbound rule to it exists and is Active);
// - no body the controller sends sets any public access to anything but Disabled;
// - nothing at all is written to a Basic registry, and no private endpoint points at it;
// - the checks of `network_legs_hold_and_converge`.
//
// Once the world is quiet every leg converges: public access off with the private path holding
// for each Premium resource (NetworkIsolated True, Application Insights being private here), or,
// with a Basic registry, the Workspace Stalled naming only the registry's SKU, the registry as it
// was.

use network_world::{REGISTRY, STORAGE, VAULT};

const ASSOCIATED: [&str; 3] = [STORAGE, VAULT, REGISTRY];
const RG_NET: &str = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-net/providers/Microsoft.Network/privateEndpoints";
const RG_DNS: &str = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-dns/providers/Microsoft.Network/privateDnsZones";

/// The private endpoints Enforce makes: (resource, private endpoint id, zone id).
fn enforced() -> Vec<(&'static str, String, String)> {
    [
        (
            STORAGE,
            "stmlwprod-blob-pe",
            "privatelink.blob.core.windows.net",
        ),
        (
            STORAGE,
            "stmlwprod-file-pe",
            "privatelink.file.core.windows.net",
        ),
        (
            VAULT,
            "kv-mlw-prod-vault-pe",
            "privatelink.vaultcore.azure.net",
        ),
        (REGISTRY, "crmlwprod-registry-pe", "privatelink.azurecr.io"),
    ]
    .into_iter()
    .map(|(r, pe, zone)| (r, format!("{RG_NET}/{pe}"), format!("{RG_DNS}/{zone}")))
    .collect()
}

#[derive(Clone, Debug)]
enum AssocStep {
    Reconcile(Answer),
    Tick,
    /// A person turns one resource's public access back on.
    EnablePublic(usize),
    /// A person deletes one of the private endpoints Enforce made.
    DeletePrivateEndpoint(usize),
    /// A person removes the VNet link of one of their zones.
    RemoveLink(usize),
    /// A person turns the workspace's own public access back on.
    EnableWorkspacePublic,
}

fn assoc_step() -> impl Strategy<Value = AssocStep> {
    prop_oneof![
        12 => answer().prop_map(AssocStep::Reconcile),
        4 => Just(AssocStep::Tick),
        1 => (0usize..3).prop_map(AssocStep::EnablePublic),
        1 => (0usize..4).prop_map(AssocStep::DeletePrivateEndpoint),
        1 => (0usize..4).prop_map(AssocStep::RemoveLink),
        1 => Just(AssocStep::EnableWorkspacePublic),
    ]
}

fn public_access(azure: &Azure, id: &str) -> Option<String> {
    azure
        .get(id)
        .and_then(|r| r.pointer("/properties/publicNetworkAccess"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// Whether `resource`'s private path holds in the model now: in a managed network that allows
/// only approved outbound, every outbound rule to it exists and is Active; else every private
/// endpoint Enforce makes for it has Approved connections and a zone group with A records.
fn private_path_holds(azure: &Azure, resource: &str) -> bool {
    let ws = azure.get(WS).cloned().unwrap_or(Value::Null);
    if ws.pointer("/properties/managedNetwork/isolationMode")
        == Some(&json!("AllowOnlyApprovedOutbound"))
    {
        let rules: Vec<Value> = ws
            .pointer("/properties/managedNetwork/outboundRules")
            .and_then(Value::as_object)
            .map(|r| r.values().cloned().collect())
            .unwrap_or_default();
        let to_it: Vec<&Value> = rules
            .iter()
            .filter(|r| r.pointer("/destination/serviceResourceId") == Some(&json!(resource)))
            .collect();
        return !to_it.is_empty() && to_it.iter().all(|r| r["status"] == "Active");
    }
    enforced()
        .iter()
        .filter(|(r, _, _)| *r == resource)
        .all(|(_, pe, _)| {
            let conns = azure.connections_of(pe);
            let approved = !conns.is_empty()
                && conns.iter().all(|c| {
                    c.pointer("/properties/privateLinkServiceConnectionState/status")
                        == Some(&json!("Approved"))
                });
            let group = azure
                .get(&format!("{pe}/privateDnsZoneGroups/default"))
                .cloned()
                .unwrap_or(Value::Null);
            let records = planner::network::bodies::zone_group_records(&group);
            approved && !records.is_empty() && records.iter().all(|(_, n)| *n > 0)
        })
}

fn check_associated(
    azure: &Azure,
    plan: &planner::WorkspacePlan,
    basic: bool,
) -> Result<(), TestCaseError> {
    let (target, body) = match &plan.action {
        NetworkAction::Put { target, body, .. }
        | NetworkAction::Patch { target, body }
        | NetworkAction::Post { target, body, .. } => (target.as_str(), Some(body)),
        NetworkAction::Delete { target } => (target.as_str(), None),
        _ => return Ok(()),
    };
    if let Some(pna) = body.and_then(|b| b.pointer("/properties/publicNetworkAccess")) {
        prop_assert_eq!(
            pna,
            &json!("Disabled"),
            "a body asked for public access: {}",
            target
        );
    }
    if let Some(resource) = ASSOCIATED.iter().find(|r| r.eq_ignore_ascii_case(target)) {
        prop_assert!(
            !(basic && *resource == REGISTRY),
            "wrote to a Basic registry: {:?}",
            plan.action
        );
        if body
            .and_then(|b| b.pointer("/properties/publicNetworkAccess"))
            .is_some()
        {
            prop_assert!(
                private_path_holds(azure, resource),
                "public access of {} turned off before its private path held",
                resource
            );
        }
    }
    if basic && let Some(b) = body {
        prop_assert!(
            !b.to_string().contains(REGISTRY),
            "a private endpoint to a Basic registry: {}",
            b
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn associated_legs_hold_and_converge(
        steps in proptest::collection::vec(assoc_step(), 1..50),
        managed in any::<bool>(),
        basic in proptest::bool::weighted(0.25),
    ) {
        let mode = managed.then_some(IsolationMode::AllowOnlyApprovedOutbound);
        let mut azure = Azure::seed().with_associated(if basic { "Basic" } else { "Premium" });
        // Application Insights private: once our legs hold, nothing else stands in the way.
        if let Some(a) = azure.get_mut(network_world::APPI) {
            a["properties"]["publicNetworkAccessForIngestion"] = json!("Disabled");
            a["properties"]["publicNetworkAccessForQuery"] = json!("Disabled");
        }
        let mut s = spec(Dns::Create, true, mode);
        s.network.associated_resources =
            Some(serde_json::from_value(json!({"mode": "Enforce"})).expect("Enforce"));
        let mut c = Controller::new(s);

        for s in &steps {
            match s {
                AssocStep::Reconcile(answer) => {
                    let busy_before = azure.busy();
                    let isolated_before = azure_isolated(&azure, mode)
                        && ASSOCIATED.iter().all(|r| {
                            public_access(&azure, r).as_deref() == Some("Disabled")
                                && private_path_holds(&azure, r)
                        });
                    let read_fresh = c.status.operation.is_none();
                    let plan = c.reconcile(&mut azure, *answer);
                    check(&c, &plan, busy_before, isolated_before, read_fresh)?;
                    check_associated(&azure, &plan, basic)?;
                }
                AssocStep::Tick => azure.tick(),
                AssocStep::EnablePublic(i) => {
                    if let Some(r) = azure.get_mut(ASSOCIATED[*i]) {
                        r["properties"]["publicNetworkAccess"] = json!("Enabled");
                    }
                }
                AssocStep::DeletePrivateEndpoint(i) => azure.delete_now(&enforced()[*i].1),
                AssocStep::RemoveLink(i) => azure.delete_now(&link_id(&enforced()[*i].2)),
                AssocStep::EnableWorkspacePublic => {
                    if let Some(ws) = azure.get_mut(WS) {
                        ws["properties"]["publicNetworkAccess"] = json!("Enabled");
                    }
                }
            }
        }

        // Faults stop; the slow retry of a refused write comes round.
        for _ in 0..3 {
            c.now += STALLED_RETRY;
            for plan in c.settle(&mut azure, 200) {
                check(&c, &plan, false, false, false)?;
                check_associated(&azure, &plan, basic)?;
            }
            if c.condition("Ready").is_some_and(|r| r.0 == "True") {
                break;
            }
        }
        let isolated = c.condition("NetworkIsolated").unwrap_or_default();
        for resource in [STORAGE, VAULT].iter().chain((!basic).then_some(&REGISTRY)) {
            let public = public_access(&azure, resource);
            prop_assert_eq!(
                public.as_deref(),
                Some("Disabled"),
                "{} still public: {}",
                resource,
                &isolated.2
            );
            prop_assert!(private_path_holds(&azure, resource), "{}: private path", resource);
        }
        if basic {
            let registry = azure.get(REGISTRY).cloned().unwrap_or(Value::Null);
            prop_assert_eq!(&registry["sku"]["name"], "Basic");
            prop_assert_eq!(&registry["properties"]["publicNetworkAccess"], "Enabled");
            prop_assert!(
                !azure.writes.iter().any(|(_, t, b)| t.eq_ignore_ascii_case(REGISTRY)
                    || b.to_string().contains(REGISTRY)),
                "the Basic registry was written to or targeted"
            );
            prop_assert_eq!(&isolated.0, "False");
            prop_assert!(
                isolated.2.contains("container registry crmlwprod")
                    && isolated.2.contains("SKU Basic")
                    && !isolated.2.contains("storage account")
                    && !isolated.2.contains("key vault"),
                "only the registry's SKU stands in the way: {}",
                isolated.2
            );
            prop_assert_eq!(c.condition("Stalled").map(|s| s.0), Some("True".to_owned()));
        } else {
            prop_assert_eq!(
                c.condition("Ready").map(|r| r.0),
                Some("True".to_owned()),
                "did not converge: {:?}",
                c.status.conditions
            );
            prop_assert_eq!(&isolated.0, "True", "{}", &isolated.2);
            prop_assert!(azure_isolated(&azure, mode), "Ready but the workspace is not isolated");
            for (_, pe, zone) in enforced() {
                // User-VNet private endpoints only without the managed network.
                prop_assert_eq!(azure.exists(&pe), !managed, "{}", pe);
                if !managed {
                    prop_assert_eq!(
                        azure
                            .get(&link_id(&zone))
                            .and_then(|l| l.pointer("/properties/virtualNetworkLinkState"))
                            .and_then(Value::as_str),
                        Some("Completed"),
                        "{} link",
                        zone
                    );
                }
            }
        }
        let writes = azure.writes.len();
        let resync = c.reconcile(&mut azure, Answer::Ok);
        prop_assert!(!resync.action.is_write(), "a resync wrote: {:?}", resync.action);
        prop_assert_eq!(azure.writes.len(), writes);
    }
}
