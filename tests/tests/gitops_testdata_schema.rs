//! Every testdata object behind the Argo CD health cases is a valid object of its kind: it passes
//! the generated CRD's schema with unknown fields refused (as `kubectl apply` with strict field
//! validation would), so the health checks are tested on statuses the controller can write.

#![allow(clippy::unwrap_used)] // tests may unwrap

use std::path::Path;

use aml_operator_tests::argocd::Kind;
use aml_operator_tests::argocd_cases::load_cases;
use serde_json::{Value, json};

fn crd_file(kind: Kind) -> &'static str {
    match kind {
        Kind::Workspace => "workspaces.aml-operator.io.yaml",
        Kind::OnlineEndpoint => "onlineendpoints.aml-operator.io.yaml",
        Kind::OnlineDeployment => "onlinedeployments.aml-operator.io.yaml",
    }
}

/// The CRD's schema for its only version, made strict the way the apiserver treats a structural
/// schema: unknown fields rejected, `nullable` admitting null.
fn strict_schema(kind: Kind) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../crds")
        .join(crd_file(kind));
    let crd: Value = serde_saphyr::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"].clone();
    strictify(&mut schema);
    // apiVersion, kind and metadata are checked by the apiserver itself, not by the CRD schema.
    schema["properties"]["apiVersion"] = json!({"const": "aml-operator.io/v1alpha1"});
    schema["properties"]["kind"] = json!({"const": kind.as_str()});
    schema["properties"]["metadata"] = json!({"type": "object"});
    schema
}

fn strictify(schema: &mut Value) {
    let Some(map) = schema.as_object_mut() else {
        return;
    };
    if map.get("nullable") == Some(&Value::Bool(true))
        && let Some(Value::String(t)) = map.get("type").cloned()
    {
        map.insert("type".into(), json!([t, "null"]));
    }
    let preserves = map.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true));
    if map.contains_key("properties") && !map.contains_key("additionalProperties") && !preserves {
        map.insert("additionalProperties".into(), Value::Bool(false));
    }
    for (_, child) in map.iter_mut() {
        match child {
            Value::Object(_) => strictify(child),
            Value::Array(items) => items.iter_mut().for_each(strictify),
            _ => {}
        }
    }
}

#[test]
fn every_testdata_object_is_a_valid_object_of_its_kind() {
    let mut failures = Vec::new();
    for kind in Kind::ALL {
        let validator = jsonschema::validator_for(&strict_schema(kind)).unwrap();
        for case in load_cases(kind).unwrap() {
            for error in validator.iter_errors(&case.object) {
                failures.push(format!(
                    "{kind:?} {}: {} at {}",
                    case.input_path,
                    error,
                    error.instance_path()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "testdata objects the CRDs would refuse:\n{}",
        failures.join("\n")
    );
}

#[test]
fn the_strict_schema_refuses_what_the_apiserver_refuses() {
    let validator = jsonschema::validator_for(&strict_schema(Kind::OnlineEndpoint)).unwrap();
    let mut obj = load_cases(Kind::OnlineEndpoint).unwrap().remove(0).object;
    assert!(validator.is_valid(&obj));
    obj["status"] = json!({"observedGeneration": 1, "bogus": true});
    assert!(
        !validator.is_valid(&obj),
        "an unknown status field must be refused"
    );
    obj["status"] = json!({"observedGeneration": "1"});
    assert!(
        !validator.is_valid(&obj),
        "a string observedGeneration must be refused"
    );
}
