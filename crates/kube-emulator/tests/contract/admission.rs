//! Admission of custom resources: schema errors, defaults, pruning, strict field validation, CEL, CRD schema checks.

use kube::api::{Patch, PatchParams, PostParams};
use serde_json::json;

use super::harness::{Cluster, api_error};

fn widget(name: &str, spec: serde_json::Value) -> kube::api::DynamicObject {
    serde_json::from_value(json!({
        "apiVersion": "contract.kube-emulator.dev/v1", "kind": "Widget",
        "metadata": {"name": name}, "spec": spec,
    }))
    .unwrap()
}

/// Schema violations are a 422 whose causes name each field the way kubectl prints them.
#[tokio::test]
async fn schema_violations_name_the_field() {
    let c = Cluster::start().await;
    let err = api_error(
        c.widgets()
            .create(
                &PostParams::default(),
                &widget("bad", json!({"size": -1, "name": "UPPER", "mode": "warp"})),
            )
            .await,
    );
    assert_eq!((err.code, err.reason.as_str()), (422, "Invalid"));
    let causes = err.details.unwrap().causes;
    let fields: Vec<(&str, &str)> = causes
        .iter()
        .map(|c| (c.field.as_str(), c.reason.as_str()))
        .collect();
    assert!(
        fields.contains(&("spec.size", "FieldValueInvalid")),
        "{fields:?}"
    );
    assert!(
        fields.contains(&("spec.name", "FieldValueInvalid")),
        "{fields:?}"
    );
    assert!(
        fields.contains(&("spec.mode", "FieldValueNotSupported")),
        "{fields:?}"
    );
    assert!(
        err.message
            .starts_with("Widget.contract.kube-emulator.dev \"bad\" is invalid: ["),
        "{}",
        err.message
    );
    let missing = api_error(
        c.widgets()
            .create(&PostParams::default(), &widget("req", json!({"name": "x"})))
            .await,
    );
    assert_eq!(missing.details.unwrap().causes[0].field, "spec.size");
    assert!(
        missing.message.contains("spec.size: Required value"),
        "{}",
        missing.message
    );
    c.shutdown().await;
}

/// Defaults from the schema are applied; unknown fields are pruned (with a warning), or refused
/// with 400 under `fieldValidation=Strict`.
#[tokio::test]
async fn defaults_pruning_and_strict_field_validation() {
    let c = Cluster::start().await;
    let created = c
        .create_widget("d", json!({"size": 1, "colour": "red"}))
        .await;
    assert_eq!(created.data["spec"]["limit"], 10);
    assert_eq!(created.data["spec"]["mode"], "fast");
    assert!(created.data["spec"].get("colour").is_none());
    let (code, body, _) = c
        .raw(
            "POST",
            &format!("{}?fieldValidation=Strict", c.widgets_path()),
            Some("application/json"),
            None,
            Some(json!({"apiVersion": "contract.kube-emulator.dev/v1", "kind": "Widget", "metadata": {"name": "strict"}, "spec": {"size": 1, "colour": "red"}})),
        )
        .await;
    assert_eq!(code, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("unknown field \"spec.colour\""),
        "{body}"
    );
    c.shutdown().await;
}

/// `x-kubernetes-validations` rules run (with their `fieldPath`), and transition rules compare
/// against the old object only on updates.
#[tokio::test]
async fn cel_rules_and_transition_rules() {
    let c = Cluster::start().await;
    let err = api_error(
        c.widgets()
            .create(
                &PostParams::default(),
                &widget("big", json!({"size": 20, "limit": 5})),
            )
            .await,
    );
    assert_eq!(err.code, 422);
    let cause = &err.details.unwrap().causes[0];
    assert_eq!(cause.field, "spec.size");
    assert!(
        cause.message.contains("size must not exceed limit"),
        "{}",
        cause.message
    );
    c.create_widget("t", json!({"size": 1, "name": "first"}))
        .await;
    let changed = api_error(
        c.widgets()
            .patch(
                "t",
                &PatchParams::default(),
                &Patch::Merge(json!({"spec": {"name": "second"}})),
            )
            .await,
    );
    assert_eq!(changed.code, 422);
    assert!(
        changed.message.contains("spec.name is immutable"),
        "{}",
        changed.message
    );
    c.shutdown().await;
}

/// The library API on its own: the same rules without a server.
#[test]
fn admission_library_reports_kubectl_style_errors() {
    use kube_emulator::admission::{CrdSchema, FieldValidation, Rejection, admit};
    let crd: serde_json::Value = serde_saphyr::from_str(super::harness::WIDGET_CRD).unwrap();
    let schema = CrdSchema::from_crd(&crd, "v1").unwrap();
    let object = json!({"apiVersion": "contract.kube-emulator.dev/v1", "kind": "Widget", "metadata": {"name": "x"}, "spec": {"size": 1, "extra": 1}});
    match admit(&schema, object.clone(), None, FieldValidation::Strict) {
        Err(Rejection::UnknownFields(f)) => assert_eq!(f, ["spec.extra"]),
        other => panic!("{other:?}"),
    }
    let admitted = admit(&schema, object, None, FieldValidation::Warn).unwrap();
    assert_eq!(admitted.warnings, ["unknown field \"spec.extra\""]);
    assert_eq!(admitted.object["spec"]["limit"], 10);
    let bad = json!({"apiVersion": "contract.kube-emulator.dev/v1", "kind": "Widget", "metadata": {"name": "x"}, "spec": {"size": 1, "name": "ab1"}});
    match admit(&schema, bad, None, FieldValidation::Strict) {
        Err(Rejection::Invalid(errors)) => assert_eq!(
            errors[0].to_string(),
            "spec.name: Invalid value: \"ab1\": spec.name in body should match '^[a-z]+$'"
        ),
        other => panic!("{other:?}"),
    }
}

/// A CRD whose schema is not structural (a property without `type`) is refused with 422.
#[tokio::test]
async fn non_structural_crd_is_refused() {
    let c = Cluster::start().await;
    let crd = json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "gadgets.contract.kube-emulator.dev"},
        "spec": {"group": "contract.kube-emulator.dev", "scope": "Namespaced",
            "names": {"kind": "Gadget", "plural": "gadgets"},
            "versions": [{"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {
                "type": "object", "properties": {"spec": {"type": "object", "properties": {"x": {"description": "untyped"}}}}
            }}}]},
    });
    let (code, body, _) = c
        .raw(
            "POST",
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
            Some("application/json"),
            None,
            Some(crd),
        )
        .await;
    assert_eq!(code, 422, "{body}");
    let causes = body["details"]["causes"].as_array().unwrap();
    assert!(
        causes.iter().any(|c| c["field"]
            .as_str()
            .unwrap_or_default()
            .ends_with("properties[x].type")),
        "{body}"
    );
    c.shutdown().await;
}
