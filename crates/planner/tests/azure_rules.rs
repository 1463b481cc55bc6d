//! Azure's own rules on endpoint and deployment specs, which the planner's validation enforces
//! before anything is sent (the CRD's CEL may be off, or a spec may predate a rule).

use api::OnlineEndpointSpec;
use planner::validate::validate_endpoint;
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
