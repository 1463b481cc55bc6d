//! Tests of the Argo CD Lua evaluator itself (the shipped scripts are tested through their
//! `health_test.yaml` cases in `tests/tests/gitops_health.rs`).

use super::*;
use serde_json::json;

fn endpoint() -> Value {
    json!({
        "apiVersion": "aml-operator.io/v1alpha1",
        "kind": "OnlineEndpoint",
        "metadata": {"name": "ep", "generation": 1},
        "status": {"observedGeneration": 1, "conditions": [
            {"type": "Ready", "status": "True", "reason": "Succeeded", "message": "up"}
        ]}
    })
}

#[test]
fn the_object_is_the_global_obj_with_null_as_nil() {
    let script = r#"
        local hs = {}
        if obj.metadata.missing == nil and obj.spec.nothing == nil and obj.status.observedGeneration == 1 then
          hs.status = "Healthy"
        else
          hs.status = "Degraded"
        end
        hs.message = obj.metadata.name .. "/" .. #obj.status.conditions
        return hs
    "#;
    let mut obj = endpoint();
    obj["spec"] = json!({"nothing": null});
    let health = run_health_script(script, &obj).unwrap();
    assert_eq!(
        health,
        HealthStatus {
            status: HealthStatusCode::Healthy,
            message: "ep/1".to_owned()
        }
    );
}

#[test]
fn libraries_argo_does_not_open_are_absent() {
    for lib in ["string", "math", "io", "debug"] {
        let script = format!(r#"return {{status = "Healthy", message = tostring({lib} == nil)}}"#);
        let health = run_health_script(&script, &endpoint()).unwrap();
        assert_eq!(health.message, "true", "{lib} should be absent");
    }
    let uses_string_lib = r#"return {status = "Healthy", message = string.format("%d", 1)}"#;
    assert!(matches!(
        run_health_script(uses_string_lib, &endpoint()),
        Err(Error::Script(_))
    ));
    let uses_string_method = r#"local s = "abc"; return {status = "Healthy", message = s:upper()}"#;
    assert!(matches!(
        run_health_script(uses_string_method, &endpoint()),
        Err(Error::Script(_))
    ));
    let uses_table_lib =
        r#"local t = {"b", "a"}; table.sort(t); return {status = "Healthy", message = t[1]}"#;
    assert_eq!(
        run_health_script(uses_table_lib, &endpoint())
            .unwrap()
            .message,
        "a"
    );
}

#[test]
fn an_invalid_status_reads_as_unknown_like_argo() {
    let health =
        run_health_script(r#"return {status = "Fine", message = "x"}"#, &endpoint()).unwrap();
    assert_eq!(health.status, HealthStatusCode::Unknown);
    assert_eq!(health.message, "Lua returned an invalid health status");
}

#[test]
fn a_missing_message_is_empty_and_a_wrong_result_is_an_error() {
    let health = run_health_script(r#"return {status = "Progressing"}"#, &endpoint()).unwrap();
    assert_eq!(health.message, "");
    assert!(matches!(
        run_health_script("return 5", &endpoint()),
        Err(Error::NotATable(_))
    ));
    assert!(matches!(
        run_health_script(r#"return {status = "Healthy", message = 7}"#, &endpoint()),
        Err(Error::FieldNotString("message"))
    ));
    assert!(matches!(
        run_health_script("error('boom')", &endpoint()),
        Err(Error::Script(_))
    ));
    assert!(matches!(
        run_health_script("return {", &endpoint()),
        Err(Error::Script(_))
    ));
}

#[test]
fn a_runaway_script_is_stopped_by_the_instruction_budget() {
    let err = run_health_script("while true do end", &endpoint()).unwrap_err();
    let Error::Script(source) = err else {
        panic!("expected a script error, got {err:?}")
    };
    assert!(
        source.to_string().contains("instruction budget"),
        "{source}"
    );
}

#[test]
fn deletion_is_progressing_before_any_script_runs() {
    let mut obj = endpoint();
    obj["metadata"]["deletionTimestamp"] = json!("2026-11-21T10:00:00Z");
    let health = health(Kind::OnlineEndpoint, &obj).unwrap();
    assert_eq!(
        health,
        HealthStatus {
            status: HealthStatusCode::Progressing,
            message: "Pending deletion".to_owned()
        }
    );
    assert_eq!(
        super::health(Kind::OnlineEndpoint, &endpoint())
            .unwrap()
            .status,
        HealthStatusCode::Healthy
    );
}

#[test]
fn kinds_are_recognised_by_group_and_kind() {
    assert_eq!(Kind::of(&endpoint()), Some(Kind::OnlineEndpoint));
    assert_eq!(
        Kind::of(&json!({"apiVersion": "aml-operator.io/v1alpha1", "kind": "Workspace"})),
        Some(Kind::Workspace)
    );
    assert_eq!(
        Kind::of(&json!({"apiVersion": "example.io/v1", "kind": "Workspace"})),
        None
    );
    assert_eq!(
        Kind::of(&json!({"apiVersion": "aml-operator.io/v1alpha1", "kind": "Secret"})),
        None
    );
    assert_eq!(
        Kind::OnlineDeployment.customization_dir(),
        "aml-operator.io/OnlineDeployment"
    );
}
