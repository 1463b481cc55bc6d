//! Azure's own rules on endpoint and deployment specs, which the planner's validation enforces
//! before anything is sent (the CRD's CEL may be off, or a spec may predate a rule).

use api::{OnlineDeploymentSpec, OnlineEndpointSpec};
use planner::WorkspaceView;
use planner::validate::{validate_deployment, validate_endpoint};
use serde_json::json;

fn endpoint(traffic: serde_json::Value, mirror: serde_json::Value) -> OnlineEndpointSpec {
    serde_json::from_value(json!({
        "workspaceRef": {"name": "housing"},
        "traffic": traffic,
        "mirrorTraffic": mirror,
    }))
    .expect("endpoint spec")
}

/// Mirror traffic goes to one deployment (Microsoft Learn, "Safe rollout for online endpoints":
/// "You can mirror traffic to only one deployment in an endpoint"; the online endpoint YAML
/// reference has `mirror_traffic` as a single key-value pair). Two entries are refused even when
/// one of them is 0, as the CRD's `size(self.mirrorTraffic) <= 1` does.
#[test]
fn mirror_traffic_names_one_deployment() {
    for mirror in [
        json!({"green": 10, "red": 10}),
        json!({"green": 10, "red": 0}),
        json!({"green": 0, "red": 0}),
    ] {
        let err = validate_endpoint(
            "housing",
            &endpoint(json!({"blue": 100, "green": 0, "red": 0}), mirror.clone()),
        )
        .expect_err("two mirror entries");
        assert_eq!(err.field, "spec.mirrorTraffic", "{mirror}");
        assert!(
            err.message.contains("green") && err.message.contains("red"),
            "{err}"
        );
    }
    for mirror in [json!({}), json!({"green": 10}), json!({"green": 0})] {
        let v = validate_endpoint(
            "housing",
            &endpoint(json!({"blue": 100, "green": 0}), mirror.clone()),
        )
        .unwrap_or_else(|e| panic!("{mirror}: {e}"));
        assert!(v.mirror_traffic.len() <= 1);
    }
}

fn workspace() -> WorkspaceView {
    WorkspaceView {
        arm_id: "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/mlw-prod".into(),
        location: "westeurope".into(),
        managed_network: None,
        private_endpoint: Some(true),
    }
}

fn deployment(probes: serde_json::Value) -> OnlineDeploymentSpec {
    let mut spec = json!({
        "endpointRef": {"name": "housing"},
        "model": "azureml:california-housing-prices:1",
        "environment": "azureml:california-housing-env:1",
        "instanceType": "Standard_F2s_v2",
    });
    if let (Some(spec), Some(probes)) = (spec.as_object_mut(), probes.as_object()) {
        spec.extend(probes.clone());
    }
    serde_json::from_value(spec).expect("deployment spec")
}

/// A liveness probe's success threshold is fixed at 1 (Microsoft Learn, "CLI (v2) managed online
/// deployment YAML schema", ProbeSettings: "The value for liveness probe is fixed as 1"); a
/// readiness probe may ask for more.
#[test]
fn liveness_probe_success_threshold_is_one() {
    for threshold in [2, 0, 1000] {
        let spec = deployment(json!({"livenessProbe": {"successThreshold": threshold}}));
        let err = validate_deployment("blue", &spec, &workspace())
            .expect_err("liveness successThreshold other than 1");
        assert_eq!(err.field, "spec.livenessProbe.successThreshold");
    }
    for probes in [
        json!({}),
        json!({"livenessProbe": {"period": 10}}),
        json!({"livenessProbe": {"successThreshold": 1}}),
        json!({"livenessProbe": {"successThreshold": 1}, "readinessProbe": {"successThreshold": 3}}),
    ] {
        let spec = deployment(probes.clone());
        validate_deployment("blue", &spec, &workspace())
            .unwrap_or_else(|e| panic!("{probes}: {e}"));
    }
}
