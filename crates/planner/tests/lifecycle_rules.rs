//! One test per lifecycle and deletion rule of the pure planner: deletion order and what it may
//! delete, ownership by tag and adoption, claims, reserved tags, unreachable Azure, lost
//! operations, 409 bounds and the reconcile-policy annotation.

mod builders;
mod fixtures;

use std::time::Duration;

use api::conditions::{ConditionType, find_condition};
use api::status::CommonStatus;
use api::{OnlineEndpointStatus, OperationStatus};
use builders::*;
use fixtures::*;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use planner::lifecycle::{ADOPTED_TAG, DELETION_GRACE, OWNER_TAG, apply_policy};
use planner::{
    Action, Adoption, DeploymentView, EndpointView, EventNote, EventType, Failure, FailureClass,
    Lifecycle, Observation, OperationKind, OperationOutcome, Plan, ReconcilePolicy, Requeue,
};
use serde_json::{Value, json};

const EP: &str = "california-housing-service";

/// The fixtures' endpoint, Succeeded, private, with this live traffic and its owner tag.
fn ours(traffic: &[(&str, i32)]) -> Value {
    azure_endpoint(EP, "Succeeded", "Disabled", traffic)
}

/// The fixtures' endpoint without any owner tag (made outside the controller).
fn untagged_endpoint() -> Value {
    let mut e = ours(&[]);
    e["tags"] = json!({"team": "ml"});
    e
}

/// A deployment being deleted, as its object reports it.
fn deleting_view(azure_name: &str) -> DeploymentView {
    DeploymentView {
        deleting: true,
        ..deployment_view(azure_name, true)
    }
}

/// A deployment Azure lists under the endpoint, with these tags.
fn listed(name: &str, tags: Value) -> Value {
    json!({"name": name, "tags": tags, "properties": {"provisioningState": "Succeeded"}})
}

fn cond(conditions: &[Condition], type_: ConditionType) -> Option<&Condition> {
    find_condition(conditions, type_)
}

fn ready_of<S: CommonStatus>(s: &S) -> (String, String, String) {
    let c = cond(s.conditions(), ConditionType::Ready).expect("Ready is always present");
    (c.status.clone(), c.reason.clone(), c.message.clone())
}

fn stalled_of<S: CommonStatus>(s: &S) -> (String, String) {
    let c = cond(s.conditions(), ConditionType::Stalled).expect("Stalled is set");
    assert_eq!(c.status, "True");
    assert!(
        cond(s.conditions(), ConditionType::Reconciling).is_none(),
        "never Stalled and Reconciling together"
    );
    (c.reason.clone(), c.message.clone())
}

fn event<'a, S>(p: &'a Plan<S>, reason: &str) -> Option<&'a EventNote> {
    p.events.iter().find(|e| e.reason == reason)
}

fn warning<'a, S: std::fmt::Debug>(p: &'a Plan<S>, reason: &str) -> &'a EventNote {
    let e = event(p, reason).unwrap_or_else(|| panic!("a {reason} Event in {:?}", p.events));
    assert_eq!(e.type_, EventType::Warning, "{reason} is a Warning: {e:?}");
    e
}

fn operation(kind: OperationKind, resource_id: &str) -> OperationStatus {
    OperationStatus {
        kind: kind.as_str().to_owned(),
        url: "https://management.azure.com/providers/Microsoft.MachineLearningServices/locations/westeurope/mfeOperationsStatus/op-1?api-version=2025-06-01".into(),
        polling: "AzureAsyncOperation".into(),
        resource_id: resource_id.to_owned(),
        started_at: (now() - Duration::from_secs(120)).to_string(),
    }
}

// Rule 1: an endpoint being deleted (Delete policy) whose deployments are all being deleted waits
// for them, unless one cannot go first: it still carries traffic, or it is Stalled.
#[test]
fn endpoint_deletion_waits_for_deleting_deployments_unless_one_carries_traffic_or_is_stalled() {
    // Live traffic to a deployment being deleted: only the endpoint's deletion can take it.
    let p = Ep::new(endpoint_spec())
        .azure(ours(&[("blue", 100)]))
        .deleting()
        .deployments(vec![deleting_view("blue")])
        .plan();
    assert_eq!(p.action, Action::Delete, "live traffic to blue");

    // Mirror traffic counts as traffic.
    let mut mirrored = ours(&[("green", 100)]);
    mirrored["properties"]["mirrorTraffic"] = json!({"blue": 10});
    let p = Ep::new(endpoint_spec())
        .azure(mirrored)
        .deleting()
        .deployments(vec![deleting_view("blue")])
        .plan();
    assert_eq!(p.action, Action::Delete, "mirror traffic to blue");

    // Azure names compare case-insensitively.
    let p = Ep::new(endpoint_spec())
        .azure(ours(&[("Blue", 100)]))
        .deleting()
        .deployments(vec![deleting_view("blue")])
        .plan();
    assert_eq!(p.action, Action::Delete, "traffic keyed Blue goes to blue");

    // No traffic (absent or 0) and none Stalled: wait, naming the deployments.
    for traffic in [&[][..], &[("blue", 0), ("green", 0)][..]] {
        let p = Ep::new(endpoint_spec())
            .azure(ours(traffic))
            .deleting()
            .deployments(vec![deleting_view("blue"), deleting_view("green")])
            .plan();
        assert_eq!(p.action, Action::None, "traffic {traffic:?}");
        assert!(matches!(p.requeue, Requeue::After(_)), "{:?}", p.requeue);
        let (status, reason, message) = ready_of(&p.status);
        assert_eq!((status.as_str(), reason.as_str()), ("False", "Deleting"));
        assert!(
            message.contains("dep-blue") && message.contains("dep-green"),
            "{message}"
        );
    }

    // One Stalled (Azure refused its deletion): it cannot hold the endpoint's deletion.
    let stalled = DeploymentView {
        stalled: true,
        ..deleting_view("green")
    };
    let p = Ep::new(endpoint_spec())
        .azure(ours(&[]))
        .deleting()
        .deployments(vec![deleting_view("blue"), stalled])
        .plan();
    assert_eq!(p.action, Action::Delete, "a Stalled deployment");
    assert!(event(&p, "Deleting").is_some(), "{:?}", p.events);
}

// Rule 2: a deployment object that is not being deleted holds the endpoint's deletion.
#[test]
fn endpoint_deletion_waits_for_a_deployment_object_not_being_deleted() {
    let p = Ep::new(endpoint_spec())
        // Even with traffic to the deployment being deleted, which alone would delete.
        .azure(ours(&[("blue", 100)]))
        .deleting()
        .deployments(vec![deleting_view("blue"), deployment_view("green", true)])
        .plan();
    assert_eq!(p.action, Action::None);
    let (status, reason, message) = ready_of(&p.status);
    assert_eq!((status.as_str(), reason.as_str()), ("False", "Deleting"));
    assert!(message.contains("dep-green"), "{message}");
    assert!(
        !message.contains("dep-blue"),
        "only the live object is named: {message}"
    );
}

// Rule 3: Azure deletes an endpoint's deployments with it, so none may be someone else's.
#[test]
fn endpoint_deletion_leaves_an_endpoint_holding_foreign_deployments() {
    let ns = NAMESPACE;
    let foreign_cases = [
        ("no-tags", json!({})),
        ("other-tags", json!({"team": "ml"})),
        (
            "other-ns",
            json!({OWNER_TAG: "OnlineDeployment/ml-staging/blue"}),
        ),
        (
            "prefix-ns",
            json!({OWNER_TAG: format!("OnlineDeployment/{ns}-2/blue")}),
        ),
        (
            "other-kind",
            json!({OWNER_TAG: format!("OnlineEndpoint/{ns}/{EP}")}),
        ),
        (
            "adopted-keep",
            json!({OWNER_TAG: format!("OnlineDeployment/{ns}/kept"), ADOPTED_TAG: "keep"}),
        ),
        (
            "adopted-keep-case",
            json!({"AML-Operator-Owner": format!("OnlineDeployment/{ns}/kept"), "aml-operator-ADOPTED": "Keep"}),
        ),
    ];
    for (name, tags) in foreign_cases {
        let mut ep = Ep::new(endpoint_spec()).azure(ours(&[])).deleting();
        ep.azure_deployments = Some(vec![
            listed(
                "mine",
                json!({OWNER_TAG: format!("OnlineDeployment/{ns}/mine")}),
            ),
            listed(name, tags),
        ]);
        let p = ep.plan();
        assert_eq!(p.action, Action::RemoveFinalizer, "{name}");
        let left = warning(&p, "LeftInAzure");
        assert!(left.note.contains(name), "{name}: {}", left.note);
        assert!(!left.note.contains("mine"), "{name}: {}", left.note);
    }

    // Every deployment tagged by this namespace (any object of it): deleted with the endpoint.
    let mut ep = Ep::new(endpoint_spec()).azure(ours(&[])).deleting();
    ep.azure_deployments = Some(vec![
        listed(
            "blue",
            json!({OWNER_TAG: format!("OnlineDeployment/{ns}/blue")}),
        ),
        listed(
            "green",
            json!({"AML-OPERATOR-OWNER": format!("OnlineDeployment/{ns}/green")}),
        ),
    ]);
    let p = ep.plan();
    assert_eq!(p.action, Action::Delete);
    assert!(event(&p, "LeftInAzure").is_none(), "{:?}", p.events);
}

// Rule 4: a deployment with traffic is never deleted; who can take the traffic decides the wait.
#[test]
fn deployment_deletion_with_traffic_waits_or_is_left_by_who_can_take_it() {
    let base = || {
        let mut d = Dep::new(deployment_spec("blue"))
            .azure(azure_deployment("blue", "Succeeded", 1))
            .deleting();
        d.azure_traffic = Some(100);
        d
    };

    // The endpoint's deletion deletes it in Azure: wait for it.
    let mut dep = base();
    dep.endpoint = Ok(EndpointView {
        deleting: true,
        deleting_in_azure: true,
        ..endpoint_view(true, &[("blue", 100)])
    });
    let p = dep.plan();
    assert_eq!(p.action, Action::None);
    assert_eq!(ready_of(&p.status).1, "Deleting");

    // The endpoint stays: the user must move the traffic.
    let mut dep = base();
    dep.endpoint = Ok(endpoint_view(true, &[("blue", 100)]));
    let p = dep.plan();
    assert_eq!(p.action, Action::None);
    let (_, reason, message) = ready_of(&p.status);
    assert_eq!(reason, "WaitingForTrafficRemoval");
    assert!(message.contains("100%"), "{message}");

    // The endpoint object is gone: nothing can move the traffic; left in Azure with a Warning.
    let mut dep = base();
    dep.endpoint = Err("OnlineEndpoint california-housing-service not found".into());
    let p = dep.plan();
    assert_eq!(p.action, Action::RemoveFinalizer);
    let left = warning(&p, "LeftInAzure");
    assert!(left.note.contains("blue"), "{}", left.note);
    assert!(left.note.contains(EP), "names the endpoint: {}", left.note);

    // Azure's fresh share is 0: deleted, even if the endpoint object's last view said 100.
    let mut dep = base();
    dep.azure_traffic = Some(0);
    dep.endpoint = Ok(endpoint_view(true, &[("blue", 100)]));
    let p = dep.plan();
    assert_eq!(p.action, Action::Delete);
    assert_eq!(ready_of(&p.status).1, "Deleting");
}

// Rule 5: an existing Azure resource without this object's owner tag is neither read, written
// nor deleted unless the object adopts it.
#[test]
fn ownership_by_tag_and_explicit_adoption() {
    // Not owned, not deleting: Stalled NotOwned, no write, nothing of it read into status.
    let p = Ep::new(endpoint_spec()).azure(untagged_endpoint()).plan();
    assert_eq!(p.action, Action::None);
    let (reason, message) = stalled_of(&p.status);
    assert_eq!(reason, "NotOwned");
    assert!(message.contains(api::ADOPT_ANNOTATION), "{message}");
    assert_eq!(p.status.provisioning_state, None);
    assert_eq!(p.status.scoring_uri, None);
    assert_eq!(p.status.azure_resource_id, None);

    // Owned by another object: OwnedByAnother naming it.
    let mut theirs = ours(&[]);
    theirs["tags"] = json!({OWNER_TAG: "OnlineEndpoint/other-ns/scoring"});
    let p = Ep::new(endpoint_spec()).azure(theirs).plan();
    assert_eq!(p.action, Action::None);
    let (reason, message) = stalled_of(&p.status);
    assert_eq!(reason, "OwnedByAnother");
    assert!(
        message.contains("OnlineEndpoint/other-ns/scoring"),
        "{message}"
    );

    // Adopted with keep: an update PUT that writes the owner and adopted tags, keeping others'.
    let mut ep = Ep::new(endpoint_spec()).azure(untagged_endpoint());
    ep.lifecycle.adoption = Adoption::Keep;
    let p = ep.plan();
    let Action::Put { kind, body } = &p.action else {
        panic!("expected a PUT, got {:?}", p.action);
    };
    assert_eq!(*kind, OperationKind::Update);
    assert_eq!(
        body["tags"][OWNER_TAG],
        json!(format!("OnlineEndpoint/{NAMESPACE}/{EP}"))
    );
    assert_eq!(body["tags"][ADOPTED_TAG], json!("keep"));
    assert_eq!(body["tags"]["team"], json!("ml"));
    assert_eq!(p.status.provisioning_state.as_deref(), Some("Succeeded"));

    // A NotOwned Stall from the last reconcile does not hold back the adoption.
    let mut ep = Ep::new(endpoint_spec()).azure(untagged_endpoint());
    ep.status = Ep::new(endpoint_spec())
        .azure(untagged_endpoint())
        .plan()
        .status;
    ep.lifecycle.adoption = Adoption::Keep;
    assert!(
        matches!(
            ep.plan().action,
            Action::Put {
                kind: OperationKind::Update,
                ..
            }
        ),
        "adopting does not wait for the Stalled retry"
    );

    // Deleting, not adopted: left in Azure with a Kept Warning.
    let p = Ep::new(endpoint_spec())
        .azure(untagged_endpoint())
        .deleting()
        .plan();
    assert_eq!(p.action, Action::RemoveFinalizer);
    warning(&p, "Kept");

    // Deleting, adopted with keep (annotation, or the tag Azure still carries): Orphaned.
    let mut ep = Ep::new(endpoint_spec())
        .azure(untagged_endpoint())
        .deleting();
    ep.lifecycle.adoption = Adoption::Keep;
    let p = ep.plan();
    assert_eq!(p.action, Action::RemoveFinalizer);
    assert!(event(&p, "Orphaned").is_some(), "{:?}", p.events);
    let mut kept = ours(&[]);
    kept["tags"][ADOPTED_TAG] = json!("keep");
    let p = Ep::new(endpoint_spec()).azure(kept).deleting().plan();
    assert_eq!(p.action, Action::RemoveFinalizer, "the keep tag in Azure");
    assert!(event(&p, "Orphaned").is_some(), "{:?}", p.events);

    // Adopted with delete, deletionPolicy Delete: deleted.
    let mut ep = Ep::new(endpoint_spec())
        .azure(untagged_endpoint())
        .deleting();
    ep.lifecycle.adoption = Adoption::Delete;
    assert_eq!(ep.plan().action, Action::Delete);

    // The same rules for a deployment.
    let mut foreign = azure_deployment("blue", "Succeeded", 1);
    foreign["tags"] = json!({});
    let p = Dep::new(deployment_spec("blue"))
        .azure(foreign.clone())
        .plan();
    assert_eq!(p.action, Action::None);
    assert_eq!(stalled_of(&p.status).0, "NotOwned");
    assert_eq!(p.status.provisioning_state, None);
    let p = Dep::new(deployment_spec("blue"))
        .azure(foreign)
        .deleting()
        .plan();
    assert_eq!(p.action, Action::RemoveFinalizer);
    warning(&p, "Kept");
}

// Rule 6: two objects never manage one Azure resource: the second is Stalled and never deletes.
#[test]
fn a_claimed_resource_stalls_the_second_object_and_its_deletion_leaves_azure() {
    let first = "OnlineEndpoint ns/first";
    let mut ep = Ep::new(endpoint_spec());
    ep.lifecycle.claimed_by = Some(first.into());
    // Missing in Azure would otherwise be a create.
    let p = ep.plan();
    assert_eq!(p.action, Action::None);
    let (reason, message) = stalled_of(&p.status);
    assert_eq!(reason, "OwnedByAnother");
    assert!(message.contains(first), "{message}");

    let mut ep = Ep::new(endpoint_spec()).azure(ours(&[])).deleting();
    ep.lifecycle.claimed_by = Some(first.into());
    let p = ep.plan();
    assert_eq!(p.action, Action::RemoveFinalizer);
    assert!(!p.action.is_write());

    let mut dep = Dep::new(deployment_spec("blue"));
    dep.lifecycle.claimed_by = Some("OnlineDeployment ns/first".into());
    let p = dep.plan();
    assert_eq!(p.action, Action::None);
    let (reason, message) = stalled_of(&p.status);
    assert_eq!(reason, "OwnedByAnother");
    assert!(message.contains("OnlineDeployment ns/first"), "{message}");
    let mut dep = dep
        .azure(azure_deployment("blue", "Succeeded", 1))
        .deleting();
    dep.azure_traffic = Some(0);
    assert_eq!(dep.plan().action, Action::RemoveFinalizer);
}

// Rule 7: the owner tag's key is the controller's; a spec may not set it.
#[test]
fn a_spec_tag_with_a_reserved_key_is_invalid() {
    for key in [OWNER_TAG, "AML-Operator-Owner"] {
        let mut spec = endpoint_spec();
        spec.tags = [(key.to_owned(), "OnlineEndpoint/x/y".to_owned())].into();
        let p = Ep::new(spec).plan();
        assert_eq!(p.action, Action::None, "{key}");
        let (reason, message) = stalled_of(&p.status);
        assert_eq!(reason, "InvalidSpec");
        assert!(message.contains("spec.tags"), "{message}");

        let mut spec = deployment_spec("blue");
        spec.tags = [(key.to_owned(), "OnlineDeployment/x/y".to_owned())].into();
        let p = Dep::new(spec).plan();
        assert_eq!(p.action, Action::None, "{key}");
        let (reason, message) = stalled_of(&p.status);
        assert_eq!(reason, "InvalidSpec");
        assert!(message.contains("spec.tags"), "{message}");
    }
    // With adoption keep, the adopted tag's key is reserved too.
    let mut spec = endpoint_spec();
    spec.tags = [(ADOPTED_TAG.to_owned(), "no".to_owned())].into();
    let mut ep = Ep::new(spec);
    ep.lifecycle.adoption = Adoption::Keep;
    let p = ep.plan();
    assert_eq!(p.action, Action::None);
    assert_eq!(stalled_of(&p.status).0, "InvalidSpec");
}

// Rule 8: a deletion that cannot reach Azure waits DELETION_GRACE, then leaves it with a Warning.
#[test]
fn an_unreachable_deletion_waits_the_grace_then_leaves_azure() {
    let id = endpoint_id(EP);
    let endpoint = |waited: Duration| {
        let mut ep = Ep::new(endpoint_spec()).deleting();
        ep.observed = Observation::Skipped;
        ep.workspace = Err("no Azure credential for Workspace housing".into());
        ep.status.azure_resource_id = Some(id.clone());
        ep.lifecycle.deleting_since = Some(now() - waited);
        ep.plan()
    };
    let p = endpoint(DELETION_GRACE - Duration::from_secs(1));
    assert_eq!(p.action, Action::None);
    let (_, _, message) = ready_of(&p.status);
    assert!(
        message.contains(&format!("after {}s", DELETION_GRACE.as_secs()))
            && message.contains("left in Azure"),
        "{message}"
    );
    assert!(p.events.is_empty(), "{:?}", p.events);
    let p = endpoint(DELETION_GRACE + Duration::from_secs(1));
    assert_eq!(p.action, Action::RemoveFinalizer);
    let left = warning(&p, "LeftInAzure");
    assert!(left.note.contains(&id), "{}", left.note);

    // The same for a deployment, whose endpoint object is gone.
    let dep_id = format!("{id}/deployments/blue");
    let deployment = |waited: Duration| {
        let mut dep = Dep::new(deployment_spec("blue")).deleting();
        dep.observed = Observation::Skipped;
        dep.endpoint = Err("OnlineEndpoint california-housing-service not found".into());
        dep.status.azure_resource_id = Some(dep_id.clone());
        dep.lifecycle.deleting_since = Some(now() - waited);
        dep.plan()
    };
    let p = deployment(Duration::from_secs(60));
    assert_eq!(p.action, Action::None);
    assert!(
        ready_of(&p.status)
            .2
            .contains(&format!("after {}s", DELETION_GRACE.as_secs()))
    );
    let p = deployment(DELETION_GRACE + Duration::from_secs(1));
    assert_eq!(p.action, Action::RemoveFinalizer);
    assert!(warning(&p, "LeftInAzure").note.contains(&dep_id));
}

// Rule 9: an operation that can no longer be followed is dropped; the observation decides.
#[test]
fn a_lost_operation_is_cleared_and_the_plan_follows_the_observation() {
    let mut ep = Ep::new(endpoint_spec()).azure(ours(&[]));
    ep.status = ready_endpoint_status(1);
    ep.status.operation = Some(operation(OperationKind::Update, &endpoint_id(EP)));
    ep.operation = OperationOutcome::Lost("status URL answered 404".into());
    let p = ep.plan();
    assert_eq!(p.status.operation, None);
    let lost = warning(&p, "OperationLost");
    assert!(lost.note.contains("404"), "{}", lost.note);
    assert_eq!(p.action, Action::None, "Azure matches the spec: no write");
    let (status, reason, _) = ready_of(&p.status);
    assert_eq!((status.as_str(), reason.as_str()), ("True", "Succeeded"));

    // Lost while Azure shows nothing: the plan creates from the observation.
    ep.observed = Observation::Missing;
    let p = ep.plan();
    assert_eq!(p.status.operation, None);
    warning(&p, "OperationLost");
    assert!(matches!(
        p.action,
        Action::Put {
            kind: OperationKind::Create,
            ..
        }
    ));

    // A deployment's lost scale: cleared, and a converged deployment is Ready.
    let mut dep = Dep::new(deployment_spec("blue")).azure(azure_deployment("blue", "Succeeded", 1));
    dep.status = ready_deployment_status(1);
    dep.status.operation = Some(operation(
        OperationKind::Scale,
        &format!("{}/deployments/blue", endpoint_id(EP)),
    ));
    dep.operation = OperationOutcome::Lost("older than 6h".into());
    let p = dep.plan();
    assert_eq!(p.status.operation, None);
    warning(&p, "OperationLost");
    assert_eq!(p.action, Action::None);
    assert_eq!(ready_of(&p.status).0, "True");
}

// Rule 10: a 409 is retried without an error until it has lasted the bound, then it stalls.
#[test]
fn a_conflict_that_does_not_clear_stalls_after_the_bound() {
    let bound = Duration::from_secs(300);
    let busy = Failure::new(
        FailureClass::Conflict,
        "Conflict",
        "another operation is running",
    );
    let t0 = now();
    let mut s = OnlineEndpointStatus::default();

    let requeue = planner::progress::failed_within(&mut s, Some(1), &busy, false, t0, bound);
    assert_eq!(requeue, Requeue::After(planner::WAIT_POLL));
    assert_eq!(s.azure_busy_since().map(|t| t.0), Some(t0));
    assert!(cond(&s.conditions, ConditionType::Stalled).is_none());
    assert_eq!(
        cond(&s.conditions, ConditionType::Reconciling).map(|c| c.status.as_str()),
        Some("True")
    );
    assert_eq!(s.last_error, None);

    // Still within the bound: the first time is kept, still Reconciling.
    let t1 = t0 + (bound - Duration::from_secs(1));
    planner::progress::failed_within(&mut s, Some(1), &busy, false, t1, bound);
    assert_eq!(s.azure_busy_since().map(|t| t.0), Some(t0));
    assert!(cond(&s.conditions, ConditionType::Stalled).is_none());
    assert_eq!(s.last_error, None);

    // Past the bound: Stalled AzureBusy with ARM's code.
    let t2 = t0 + bound + Duration::from_secs(1);
    let requeue = planner::progress::failed_within(&mut s, Some(1), &busy, false, t2, bound);
    assert_eq!(requeue, Requeue::After(planner::STALLED_RETRY));
    let (reason, _) = stalled_of(&s);
    assert_eq!(reason, "AzureBusy");
    assert_eq!(
        s.last_error.as_ref().map(|e| e.code.as_str()),
        Some("Conflict")
    );

    // Ready ends the busy period.
    planner::progress::ready(&mut s, Some(1), "ok", t2);
    assert_eq!(s.azure_busy_since(), None);
    assert_eq!(s.last_error, None);
}

// Rule 11: reconcile-policy skip never writes; an unreadable annotation stalls naming it.
#[test]
fn reconcile_policy_skip_observes_only_and_a_bad_annotation_stalls() {
    let skip = Lifecycle {
        policy: ReconcilePolicy::Skip,
        ..endpoint_lifecycle()
    };
    let gen1 = Some(1);

    // A plan whose action is a write (a create): dropped.
    let write = Ep::new(endpoint_spec()).plan();
    assert!(write.action.is_write() && !write.events.is_empty());
    let p = apply_policy(write, &skip, true, Action::None, gen1, now());
    assert_eq!(p.action, Action::None);
    let (status, reason, message) = ready_of(&p.status);
    assert_eq!(
        (status.as_str(), reason.as_str()),
        ("False", "ReconcileSkipped")
    );
    assert!(message.contains("nothing is written"), "{message}");
    assert!(p.events.is_empty(), "{:?}", p.events);
    assert!(p.drift.is_empty());
    assert!(cond(&p.status.conditions, ConditionType::Reconciling).is_none());
    assert!(cond(&p.status.conditions, ConditionType::Stalled).is_none());
    assert_ne!(p.requeue, Requeue::Now);

    // A drift correction under skip: dropped too, drift not counted.
    let mut drifted =
        Ep::new(endpoint_spec()).azure(azure_endpoint(EP, "Succeeded", "Enabled", &[]));
    drifted.status = ready_endpoint_status(1);
    let write = drifted.plan();
    assert!(write.action.is_write() && !write.drift.is_empty());
    let p = apply_policy(write, &skip, true, Action::None, gen1, now());
    assert_eq!(p.action, Action::None);
    assert!(p.drift.is_empty() && p.events.is_empty());

    // A Ready plan without a write: Ready True, reason ReconcileSkipped.
    let mut converged = Ep::new(endpoint_spec()).azure(ours(&[]));
    converged.status = ready_endpoint_status(1);
    let calm = converged.plan();
    assert_eq!(calm.action, Action::None);
    let p = apply_policy(calm, &skip, false, Action::None, gen1, now());
    assert_eq!(p.action, Action::None);
    let (status, reason, _) = ready_of(&p.status);
    assert_eq!(
        (status.as_str(), reason.as_str()),
        ("True", "ReconcileSkipped")
    );

    // An unreadable annotation: Stalled InvalidSpec naming it, no write.
    for (annotation, value) in [
        (api::RECONCILE_POLICY_ANNOTATION, "sometimes"),
        (api::ADOPT_ANNOTATION, "yes"),
    ] {
        let bad = Lifecycle::from_annotations("OnlineEndpoint", NAMESPACE, EP, |k| {
            (k == annotation).then(|| value.to_owned())
        });
        assert!(bad.invalid.is_some(), "{annotation}");
        let write = Ep::new(endpoint_spec()).plan();
        let p = apply_policy(write, &bad, true, Action::None, gen1, now());
        assert_eq!(p.action, Action::None, "{annotation}");
        let (reason, message) = stalled_of(&p.status);
        assert_eq!(reason, "InvalidSpec");
        assert!(message.contains(annotation), "{message}");
        assert!(p.events.is_empty(), "{:?}", p.events);
    }
}

/// Azure tag names are case-insensitive: an owner tag whose key Azure spells in capitals is not
/// drift, and a write never carries the key twice.
#[test]
fn a_tag_key_spelled_otherwise_is_the_same_tag() {
    let mut azure = azure_endpoint("california-housing-service", "Succeeded", "Disabled", &[]);
    let owner = azure["tags"]["aml-operator-owner"].clone();
    azure["tags"] = json!({ "AML-OPERATOR-OWNER": owner });
    let mut ep = Ep::new(endpoint_spec()).azure(azure.clone());
    ep.status = ready_endpoint_status(1);
    let p = ep.plan();
    assert_eq!(p.action, Action::None, "no drift: {:?}", p.drift);
    azure["properties"]["publicNetworkAccess"] = json!("Enabled");
    let mut ep = Ep::new(endpoint_spec()).azure(azure);
    ep.status = ready_endpoint_status(1);
    let p = ep.plan();
    let Action::Put { body, .. } = &p.action else {
        panic!("expected a PUT, got {:?}", p.action);
    };
    let keys: Vec<&String> = body["tags"]
        .as_object()
        .expect("tags")
        .keys()
        .filter(|k| k.eq_ignore_ascii_case("aml-operator-owner"))
        .collect();
    assert_eq!(keys.len(), 1, "{body}");
}
