//! A deployment Stalled by its own failed operation stays Stalled while its endpoint shows
//! Updating (Azure holds the endpoint during a deployment's operation), and is retried only after
//! the slow retry.

mod fixtures;

use api::OnlineDeploymentStatus;
use api::conditions::{ConditionType, find_condition};
use fixtures::{azure_deployment, deployment_spec, endpoint_view, now, workspace};
use planner::progress::failed;
use planner::{
    Action, DeploymentInput, Failure, FailureClass, Observation, OperationOutcome, STALLED_RETRY,
    plan_deployment,
};

#[test]
fn stalled_deployment_stays_stalled_while_its_endpoint_is_updating() {
    let spec = deployment_spec("blue");
    let mut status = OnlineDeploymentStatus::default();
    let quota = Failure::new(FailureClass::Terminal, "OutOfQuota", "no quota");
    failed(&mut status, Some(1), &quota, true, now());
    let observed = Observation::Found(azure_deployment("blue", "Failed", 1));
    let ws = workspace();
    let lifecycle = fixtures::deployment_lifecycle();
    let plan_with = |succeeded: bool, at| {
        let endpoint = endpoint_view(succeeded, &[]);
        plan_deployment(&DeploymentInput {
            name: "dep-blue",
            generation: Some(1),
            spec: &spec,
            status: &status,
            deleting: false,
            endpoint: Ok(&endpoint),
            workspace: Ok(&ws),
            observed: &observed,
            operation: &OperationOutcome::None,
            tree_busy: None,
            lifecycle: &lifecycle,
            azure_traffic: None,
            now: at,
        })
    };
    for endpoint_succeeded in [false, true] {
        let plan = plan_with(endpoint_succeeded, now());
        assert_eq!(plan.action, Action::None);
        let stalled = find_condition(&plan.status.conditions, ConditionType::Stalled)
            .map(|c| (c.status.clone(), c.reason.clone()));
        assert_eq!(
            stalled,
            Some(("True".into(), "OperationFailed".into())),
            "endpoint succeeded: {endpoint_succeeded}"
        );
    }
    let retry = plan_with(true, now() + STALLED_RETRY);
    assert!(
        matches!(retry.action, Action::Put { .. }),
        "{:?}",
        retry.action
    );
}
