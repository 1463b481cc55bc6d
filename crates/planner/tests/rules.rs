//! One test per reconcile rule of DESIGN §3, as tables of situations and the plan they must give.

mod builders;
mod fixtures;

use std::time::Duration;

use api::OperationStatus;
use api::conditions::{ConditionType, find_condition};
use builders::*;
use fixtures::*;
use planner::{
    Action, Failure, FailureClass, KeysState, Observation, OperationKind, OperationOutcome, Requeue,
};
use serde_json::{Value, json};

fn put_body(action: &Action) -> &Value {
    match action {
        Action::Put { body, .. } => body,
        other => panic!("expected a PUT, got {other:?}"),
    }
}

fn ready_status<S: api::status::CommonStatus>(s: &S) -> (String, String) {
    let c = find_condition(s.conditions(), ConditionType::Ready).expect("Ready is always present");
    (c.status.clone(), c.reason.clone())
}

// §3.1 Never public.
#[test]
fn first_put_of_an_endpoint_carries_the_specs_public_network_access() {
    for (spec, want) in [
        (endpoint_spec(), "Disabled"),
        (endpoint_spec().public(), "Enabled"),
    ] {
        let p = Ep::new(spec).plan();
        assert!(matches!(
            p.action,
            Action::Put {
                kind: OperationKind::Create,
                ..
            }
        ));
        let body = put_body(&p.action);
        assert_eq!(
            body.pointer("/properties/publicNetworkAccess"),
            Some(&json!(want))
        );
        assert_eq!(body["location"], "westeurope");
        assert_eq!(body["properties"]["authMode"], "Key");
        assert_eq!(
            body["properties"]["traffic"],
            json!({}),
            "no traffic before deployments exist"
        );
        assert!(body.get("id").is_none());
    }
}

// §3.3 GET and diff; write only on drift.
#[test]
fn a_resync_of_a_converged_endpoint_plans_no_write() {
    let p = Ep::new(endpoint_spec().with_traffic(&[("blue", 100)]))
        .status(ready_endpoint_status(1))
        .deployments(vec![deployment_view("blue", true)])
        .azure(azure_endpoint(
            "california-housing-service",
            "Succeeded",
            "Disabled",
            &[("blue", 100)],
        ))
        .plan();
    assert_eq!(p.action, Action::None);
    assert_eq!(p.requeue, Requeue::Sync);
    assert_eq!(ready_status(&p.status), ("True".into(), "Succeeded".into()));
    assert!(p.drift.is_empty() && p.events.is_empty());
    assert_eq!(
        p.status.scoring_uri.as_deref(),
        Some("https://california-housing-service.westeurope.inference.ml.azure.com/score")
    );
}

#[test]
fn enum_case_and_zero_traffic_entries_are_not_drift() {
    let mut azure = azure_endpoint(
        "california-housing-service",
        "Succeeded",
        "disabled",
        &[("blue", 100), ("green", 0)],
    );
    azure["properties"]["authMode"] = json!("key");
    let p = Ep::new(endpoint_spec().with_traffic(&[("blue", 100)]))
        .status(ready_endpoint_status(1))
        .deployments(vec![
            deployment_view("blue", true),
            deployment_view("green", true),
        ])
        .azure(azure)
        .plan();
    assert_eq!(p.action, Action::None);
}

#[test]
fn public_access_enabled_in_the_portal_is_flipped_back_as_drift() {
    let p = Ep::new(endpoint_spec())
        .status(ready_endpoint_status(1))
        .azure(azure_endpoint(
            "california-housing-service",
            "Succeeded",
            "Enabled",
            &[],
        ))
        .plan();
    let body = put_body(&p.action);
    assert_eq!(
        body.pointer("/properties/publicNetworkAccess"),
        Some(&json!("Disabled"))
    );
    assert_eq!(p.drift.len(), 1);
    assert_eq!(p.drift[0].field, "publicNetworkAccess");
    assert!(p.events.iter().any(|e| e.reason == "DriftCorrected"));
}

#[test]
fn an_endpoint_without_the_property_counts_as_public() {
    let mut azure = azure_endpoint("california-housing-service", "Succeeded", "Disabled", &[]);
    azure["properties"]
        .as_object_mut()
        .expect("object")
        .remove("publicNetworkAccess");
    let p = Ep::new(endpoint_spec())
        .status(ready_endpoint_status(1))
        .azure(azure)
        .plan();
    assert_eq!(
        put_body(&p.action).pointer("/properties/publicNetworkAccess"),
        Some(&json!("Disabled"))
    );
}

#[test]
fn read_modify_write_keeps_properties_the_spec_does_not_manage() {
    let mut azure = azure_endpoint("california-housing-service", "Succeeded", "Enabled", &[]);
    azure["properties"]["compute"] = json!("someone-elses");
    azure["tags"]["costCenter"] = json!("42");
    let p = Ep::new(endpoint_spec())
        .status(ready_endpoint_status(1))
        .azure(azure)
        .plan();
    let body = put_body(&p.action);
    assert_eq!(body["properties"]["compute"], "someone-elses");
    assert_eq!(body["tags"]["costCenter"], "42");
    assert!(body["properties"].get("provisioningState").is_none());
    assert!(body["properties"].get("scoringUri").is_none());
    assert!(body.get("systemData").is_none());
}

// §3.5 Order: traffic only once every deployment it names is Succeeded.
#[test]
fn traffic_waits_for_the_deployments_it_names() {
    let spec = endpoint_spec().with_traffic(&[("blue", 90), ("green", 10)]);
    let azure = azure_endpoint(
        "california-housing-service",
        "Succeeded",
        "Disabled",
        &[("blue", 100)],
    );
    let waiting = Ep::new(spec.clone())
        .status(ready_endpoint_status(1))
        .deployments(vec![
            deployment_view("blue", true),
            deployment_view("green", false),
        ])
        .azure(azure.clone())
        .plan();
    assert_eq!(
        waiting.action,
        Action::None,
        "no traffic write while green is not Succeeded"
    );
    assert_eq!(
        ready_status(&waiting.status),
        ("False".into(), "DependencyNotReady".into())
    );
    assert!(
        find_condition(&waiting.status.conditions, ConditionType::Ready)
            .is_some_and(|c| c.message.contains("green"))
    );

    let go = Ep::new(spec)
        .status(ready_endpoint_status(1))
        .deployments(vec![
            deployment_view("blue", true),
            deployment_view("green", true),
        ])
        .azure(azure)
        .plan();
    assert_eq!(
        put_body(&go.action)["properties"]["traffic"],
        json!({"blue": 90, "green": 10})
    );
}

#[test]
fn a_zero_share_for_a_deployment_that_does_not_exist_yet_is_left_out() {
    let p = Ep::new(endpoint_spec().with_traffic(&[("blue", 100), ("green", 0)]))
        .deployments(vec![deployment_view("blue", true)])
        .azure(azure_endpoint(
            "california-housing-service",
            "Succeeded",
            "Disabled",
            &[],
        ))
        .plan();
    assert_eq!(
        put_body(&p.action)["properties"]["traffic"],
        json!({"blue": 100})
    );
}

#[test]
fn mirror_traffic_goes_with_live_traffic() {
    let p = Ep::new(
        endpoint_spec()
            .with_traffic(&[("blue", 100), ("green", 0)])
            .with_mirror(&[("green", 10)]),
    )
    .deployments(vec![
        deployment_view("blue", true),
        deployment_view("green", true),
    ])
    .azure(azure_endpoint(
        "california-housing-service",
        "Succeeded",
        "Disabled",
        &[("blue", 100)],
    ))
    .plan();
    let body = put_body(&p.action);
    assert_eq!(body["properties"]["mirrorTraffic"], json!({"green": 10}));
    assert_eq!(
        body["properties"]["traffic"],
        json!({"blue": 100, "green": 0})
    );
}

// §3.4 Non-blocking operations: resumed, never re-issued.
#[test]
fn an_operation_in_flight_is_polled_not_reissued() {
    let mut ep = Ep::new(endpoint_spec());
    ep.status.operation = Some(OperationStatus {
        kind: "Create".into(),
        url: "https://127.0.0.1/op".into(),
        polling: "AzureAsyncOperation".into(),
        resource_id: endpoint_id("california-housing-service"),
        started_at: "2026-11-26T00:00:00Z".into(),
    });
    ep.operation = OperationOutcome::Pending {
        retry_after: Duration::from_secs(7),
    };
    ep.observed = Observation::Skipped;
    let p = ep.plan();
    assert_eq!(p.action, Action::None);
    assert_eq!(p.requeue, Requeue::After(Duration::from_secs(7)));
    assert_eq!(ready_status(&p.status), ("False".into(), "Creating".into()));
    assert!(p.status.operation.is_some(), "the operation stays recorded");
}

#[test]
fn a_resource_mid_operation_without_a_recorded_handle_is_waited_for() {
    // The controller died between sending the PUT and recording it: Azure says Creating.
    let p = Ep::new(endpoint_spec())
        .azure(azure_endpoint(
            "california-housing-service",
            "Creating",
            "Disabled",
            &[],
        ))
        .plan();
    assert_eq!(p.action, Action::None);
}

// §3.5 One write in flight per endpoint tree.
#[test]
fn no_write_while_another_object_of_the_tree_has_one_in_flight() {
    let mut ep = Ep::new(endpoint_spec()).azure(azure_endpoint(
        "california-housing-service",
        "Succeeded",
        "Enabled",
        &[],
    ));
    ep.tree_busy = Some("deployment blue".into());
    let p = ep.plan();
    assert_eq!(p.action, Action::None);
    assert_eq!(ready_status(&p.status).1, "WaitingForEndpoint");

    let mut dep = Dep::new(deployment_spec("blue"));
    dep.tree_busy = Some("deployment green".into());
    assert_eq!(dep.plan().action, Action::None);
}

// §3.7 Errors are classified.
#[test]
fn a_failed_operation_stalls_with_azures_code_and_is_not_retried_in_a_hot_loop() {
    let mut dep = Dep::new(deployment_spec("blue"));
    dep.status.operation = Some(OperationStatus {
        kind: "Create".into(),
        url: "https://127.0.0.1/op".into(),
        polling: "AzureAsyncOperation".into(),
        resource_id: "x".into(),
        started_at: "2026-11-26T00:00:00Z".into(),
    });
    dep.operation = OperationOutcome::Failed(Failure::new(
        FailureClass::Terminal,
        "OutOfQuota",
        "not enough quota for Standard_F2s_v2",
    ));
    dep.observed = Observation::Skipped;
    let p = dep.plan();
    assert_eq!(p.action, Action::None);
    let stalled = find_condition(&p.status.conditions, ConditionType::Stalled).expect("Stalled");
    assert_eq!(stalled.status, "True");
    assert!(stalled.message.starts_with("OutOfQuota"));
    assert!(find_condition(&p.status.conditions, ConditionType::Reconciling).is_none());
    assert_eq!(
        p.status.last_error.as_ref().map(|e| e.code.as_str()),
        Some("OutOfQuota")
    );
    assert!(p.status.operation.is_none());

    // Next reconcile, same generation: Azure shows the deployment Failed; no new PUT yet.
    let mut again = Dep::new(deployment_spec("blue")).azure(azure_deployment("blue", "Failed", 1));
    again.status = p.status.clone();
    let held = again.plan();
    assert_eq!(
        held.action,
        Action::None,
        "no hot loop on a terminal failure"
    );
    assert!(matches!(held.requeue, Requeue::After(d) if d > Duration::from_secs(60)));

    // A new generation (the user changed the spec) retries at once.
    again.generation = 2;
    assert!(matches!(
        again.plan().action,
        Action::Put {
            kind: OperationKind::Update,
            ..
        }
    ));
}

#[test]
fn invalid_specs_stall_naming_the_field() {
    let mut spec = endpoint_spec();
    spec.traffic = [("blue".to_owned(), 60)].into();
    let p = Ep::new(spec).plan();
    assert_eq!(p.action, Action::None);
    let stalled = find_condition(&p.status.conditions, ConditionType::Stalled).expect("Stalled");
    assert_eq!(stalled.reason, "InvalidSpec");
    assert!(
        stalled.message.starts_with("spec.traffic:"),
        "{}",
        stalled.message
    );
}

#[test]
fn a_missing_workspace_is_a_dependency_not_an_error() {
    let mut ep = Ep::new(endpoint_spec());
    ep.workspace = Err("Workspace housing not found in namespace ml-prod".into());
    ep.observed = Observation::Skipped;
    let p = ep.plan();
    assert_eq!(p.action, Action::None);
    assert_eq!(
        ready_status(&p.status),
        ("False".into(), "DependencyNotReady".into())
    );
}

// Keys.
#[test]
fn keys_are_synced_when_the_secret_is_missing_or_old() {
    let converged = || {
        Ep::new(endpoint_spec())
            .status(ready_endpoint_status(1))
            .azure(azure_endpoint(
                "california-housing-service",
                "Succeeded",
                "Disabled",
                &[],
            ))
    };
    let mut ep = converged();
    ep.keys = KeysState::Missing;
    assert_eq!(ep.plan().action, Action::SyncKeys);
    ep.keys = KeysState::SyncedAt(now());
    assert_eq!(ep.plan().action, Action::None);
    ep.keys = KeysState::SyncedAt(now() - planner::KEYS_REFRESH);
    assert_eq!(ep.plan().action, Action::SyncKeys);
}

// §3.8 Deletion in order.
#[test]
fn an_endpoint_is_deleted_after_its_deployments() {
    let mut ep = Ep::new(endpoint_spec()).azure(azure_endpoint(
        "california-housing-service",
        "Succeeded",
        "Disabled",
        &[],
    ));
    ep.deleting = true;
    ep.deployments = vec![deployment_view("blue", true)];
    assert_eq!(ep.plan().action, Action::None, "waits for its deployments");
    ep.deployments.clear();
    assert_eq!(ep.plan().action, Action::Delete);
    ep.observed = Observation::Missing;
    assert_eq!(ep.plan().action, Action::RemoveFinalizer);
}

#[test]
fn orphan_leaves_azure_alone() {
    let mut ep = Ep::new(endpoint_spec().orphan()).azure(azure_endpoint(
        "california-housing-service",
        "Succeeded",
        "Disabled",
        &[],
    ));
    ep.deleting = true;
    assert_eq!(ep.plan().action, Action::RemoveFinalizer);
    let mut dep = Dep::new(deployment_spec("blue")).azure(azure_deployment("blue", "Succeeded", 1));
    dep.spec.deletion_policy = api::DeletionPolicy::Orphan;
    dep.deleting = true;
    assert_eq!(dep.plan().action, Action::RemoveFinalizer);
}

#[test]
fn a_deployment_with_traffic_is_not_deleted() {
    let mut dep = Dep::new(deployment_spec("blue")).azure(azure_deployment("blue", "Succeeded", 1));
    dep.deleting = true;
    dep.endpoint = Ok(endpoint_view(true, &[("blue", 10), ("green", 90)]));
    let p = dep.plan();
    assert_eq!(p.action, Action::None);
    assert_eq!(ready_status(&p.status).1, "WaitingForTrafficRemoval");
    dep.endpoint = Ok(endpoint_view(true, &[("blue", 0), ("green", 100)]));
    assert_eq!(dep.plan().action, Action::Delete);
    dep.observed = Observation::Missing;
    assert_eq!(dep.plan().action, Action::RemoveFinalizer);
}

// Deployments.
#[test]
fn a_deployment_waits_for_its_endpoint_and_makes_no_call_without_it() {
    let mut dep = Dep::new(deployment_spec("blue"));
    dep.endpoint = Err("OnlineEndpoint california-housing-service not found".into());
    dep.observed = Observation::Skipped;
    let p = dep.plan();
    assert_eq!(p.action, Action::None);
    assert_eq!(
        ready_status(&p.status),
        ("False".into(), "DependencyNotReady".into())
    );
    dep.endpoint = Ok(endpoint_view(false, &[]));
    assert_eq!(dep.plan().action, Action::None);
}

#[test]
fn a_deployment_is_created_with_egress_locked_and_its_instance_count() {
    let p = Dep::new(deployment_spec("blue")).plan();
    let body = put_body(&p.action);
    assert_eq!(body["properties"]["egressPublicNetworkAccess"], "Disabled");
    assert_eq!(body["properties"]["endpointComputeType"], "Managed");
    assert_eq!(body["properties"]["instanceType"], "Standard_F2s_v2");
    assert_eq!(body["sku"], json!({"name": "Default", "capacity": 1}));
    assert_eq!(
        body["properties"]["model"],
        json!(format!("{WS}/models/california-housing-prices/versions/1"))
    );
}

#[test]
fn scaling_is_a_patch_of_the_capacity() {
    let mut spec = deployment_spec("blue");
    spec.instance_count = 3;
    let mut dep = Dep::new(spec).azure(azure_deployment("blue", "Succeeded", 1));
    dep.status = ready_deployment_status(1);
    let p = dep.plan();
    assert_eq!(
        p.action,
        Action::Patch {
            kind: OperationKind::Scale,
            body: json!({"sku": {"capacity": 3}})
        }
    );
}

#[test]
fn a_converged_deployment_plans_no_write_and_reports_its_instances() {
    let mut dep = Dep::new(deployment_spec("blue")).azure(azure_deployment("blue", "Succeeded", 1));
    dep.status = ready_deployment_status(1);
    let p = dep.plan();
    assert_eq!(p.action, Action::None);
    assert_eq!(p.status.instance_count, Some(1));
    assert_eq!(ready_status(&p.status), ("True".into(), "Succeeded".into()));
}

#[test]
fn a_create_only_difference_stalls_instead_of_failing_at_azure() {
    let mut azure = azure_deployment("blue", "Succeeded", 1);
    azure["properties"]["egressPublicNetworkAccess"] = json!("Enabled");
    let p = Dep::new(deployment_spec("blue")).azure(azure).plan();
    assert_eq!(p.action, Action::None);
    let stalled = find_condition(&p.status.conditions, ConditionType::Stalled).expect("Stalled");
    assert!(stalled.message.contains("egressPublicNetworkAccess"));
}

#[test]
fn a_model_change_is_a_full_put_keeping_unmanaged_properties() {
    let mut spec = deployment_spec("blue");
    spec.model = "azureml:california-housing-prices:2".into();
    let mut azure = azure_deployment("blue", "Succeeded", 1);
    azure["properties"]["startupProbe"] = json!({"period": "PT10S"});
    let p = Dep::new(spec).azure(azure).plan();
    let body = put_body(&p.action);
    assert_eq!(
        body["properties"]["model"],
        json!(format!("{WS}/models/california-housing-prices/versions/2"))
    );
    assert_eq!(
        body["properties"]["startupProbe"],
        json!({"period": "PT10S"})
    );
    assert_eq!(body["properties"]["egressPublicNetworkAccess"], "Disabled");
}

#[test]
fn requeue_is_now_after_a_write_and_sync_when_converged() {
    assert_eq!(Ep::new(endpoint_spec()).plan().requeue, Requeue::Now);
}
