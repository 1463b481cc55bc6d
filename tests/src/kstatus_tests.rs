//! Row-by-row tests of the kstatus port: one row per rule and per edge of each rule.

use super::*;
use serde_json::json;

/// A custom resource with the given generation, observed generation and conditions
/// `(type, status, reason)`; the message of each condition is `"<type> says <reason>"`.
fn cr(generation: Option<i64>, observed: Option<i64>, conditions: &[(&str, &str, &str)]) -> Value {
    let mut obj = json!({
        "apiVersion": "aml-operator.io/v1alpha1",
        "kind": "OnlineEndpoint",
        "metadata": {"name": "ep", "namespace": "ml"},
    });
    if let Some(generation) = generation {
        obj["metadata"]["generation"] = json!(generation);
    }
    let list: Vec<Value> = conditions
        .iter()
        .map(|(kind, status, reason)| {
            json!({"type": kind, "status": status, "reason": reason, "message": format!("{kind} says {reason}")})
        })
        .collect();
    if observed.is_some() || !conditions.is_empty() {
        obj["status"] = json!({"conditions": list});
        if let Some(observed) = observed {
            obj["status"]["observedGeneration"] = json!(observed);
        }
    }
    obj
}

struct Row {
    name: &'static str,
    obj: Value,
    status: Status,
    reason: Option<&'static str>,
    rule: Rule,
}

fn rows() -> Vec<Row> {
    let deleting = {
        let mut obj = cr(Some(1), Some(1), &[("Ready", "True", "Succeeded")]);
        obj["metadata"]["deletionTimestamp"] = json!("2026-11-21T10:00:00Z");
        obj
    };
    let empty_deletion_timestamp = {
        let mut obj = cr(Some(1), Some(1), &[("Ready", "True", "Succeeded")]);
        obj["metadata"]["deletionTimestamp"] = json!("");
        obj
    };
    let null_status = {
        let mut obj = cr(Some(1), None, &[]);
        obj["status"] = Value::Null;
        obj
    };
    vec![
        Row {
            name: "no status: implicitly current",
            obj: cr(Some(1), None, &[]),
            status: Status::Current,
            reason: None,
            rule: Rule::NoStandardCondition,
        },
        Row {
            name: "null status: implicitly current",
            obj: null_status,
            status: Status::Current,
            reason: None,
            rule: Rule::NoStandardCondition,
        },
        Row {
            name: "observed, no conditions",
            obj: cr(Some(1), Some(1), &[]),
            status: Status::Current,
            reason: None,
            rule: Rule::NoStandardCondition,
        },
        Row {
            name: "other conditions only",
            obj: cr(
                Some(1),
                Some(1),
                &[("NetworkIsolated", "False", "NotIsolated")],
            ),
            status: Status::Current,
            reason: None,
            rule: Rule::NoStandardCondition,
        },
        Row {
            name: "ready true",
            obj: cr(Some(1), Some(1), &[("Ready", "True", "Succeeded")]),
            status: Status::Current,
            reason: None,
            rule: Rule::Ready,
        },
        Row {
            name: "ready true without observedGeneration",
            obj: cr(Some(1), None, &[("Ready", "True", "Succeeded")]),
            status: Status::Current,
            reason: None,
            rule: Rule::Ready,
        },
        Row {
            name: "ready false",
            obj: cr(Some(1), Some(1), &[("Ready", "False", "NotReadyYet")]),
            status: Status::InProgress,
            reason: Some("NotReadyYet"),
            rule: Rule::Ready,
        },
        Row {
            name: "ready unknown",
            obj: cr(Some(1), Some(1), &[("Ready", "Unknown", "Progressing")]),
            status: Status::InProgress,
            reason: Some("Progressing"),
            rule: Rule::Ready,
        },
        Row {
            name: "generation not observed",
            obj: cr(Some(2), Some(1), &[("Ready", "True", "Succeeded")]),
            status: Status::InProgress,
            reason: Some("LatestGenerationNotObserved"),
            rule: Rule::Generation,
        },
        Row {
            name: "generation not observed beats stalled",
            obj: cr(Some(3), Some(2), &[("Stalled", "True", "AzureRejected")]),
            status: Status::InProgress,
            reason: Some("LatestGenerationNotObserved"),
            rule: Rule::Generation,
        },
        Row {
            name: "no metadata.generation skips the generation rule",
            obj: cr(None, Some(7), &[("Ready", "True", "Succeeded")]),
            status: Status::Current,
            reason: None,
            rule: Rule::Ready,
        },
        Row {
            name: "reconciling",
            obj: cr(
                Some(1),
                Some(1),
                &[
                    ("Ready", "Unknown", "Creating"),
                    ("Reconciling", "True", "Creating"),
                ],
            ),
            status: Status::InProgress,
            reason: Some("Creating"),
            rule: Rule::Reconciling,
        },
        Row {
            name: "reconciling beats ready true",
            obj: cr(
                Some(1),
                Some(1),
                &[
                    ("Ready", "True", "Succeeded"),
                    ("Reconciling", "True", "DriftCorrected"),
                ],
            ),
            status: Status::InProgress,
            reason: Some("DriftCorrected"),
            rule: Rule::Reconciling,
        },
        Row {
            name: "reconciling false is ignored",
            obj: cr(
                Some(1),
                Some(1),
                &[
                    ("Reconciling", "False", "Done"),
                    ("Ready", "True", "Succeeded"),
                ],
            ),
            status: Status::Current,
            reason: None,
            rule: Rule::Ready,
        },
        Row {
            name: "stalled",
            obj: cr(
                Some(1),
                Some(1),
                &[
                    ("Ready", "False", "AzureRejected"),
                    ("Stalled", "True", "AzureRejected"),
                ],
            ),
            status: Status::Failed,
            reason: Some("AzureRejected"),
            rule: Rule::Stalled,
        },
        Row {
            name: "stalled unknown is ignored",
            obj: cr(
                Some(1),
                Some(1),
                &[
                    ("Stalled", "Unknown", "Maybe"),
                    ("Ready", "True", "Succeeded"),
                ],
            ),
            status: Status::Current,
            reason: None,
            rule: Rule::Ready,
        },
        Row {
            name: "reconciling listed first wins over stalled",
            obj: cr(
                Some(1),
                Some(1),
                &[
                    ("Reconciling", "True", "Retrying"),
                    ("Stalled", "True", "AzureRejected"),
                ],
            ),
            status: Status::InProgress,
            reason: Some("Retrying"),
            rule: Rule::Reconciling,
        },
        Row {
            name: "stalled listed first wins over reconciling",
            obj: cr(
                Some(1),
                Some(1),
                &[
                    ("Stalled", "True", "AzureRejected"),
                    ("Reconciling", "True", "Retrying"),
                ],
            ),
            status: Status::Failed,
            reason: Some("AzureRejected"),
            rule: Rule::Stalled,
        },
        Row {
            name: "deletion beats everything",
            obj: deleting,
            status: Status::Terminating,
            reason: None,
            rule: Rule::Deletion,
        },
        Row {
            name: "empty deletionTimestamp is not a deletion",
            obj: empty_deletion_timestamp,
            status: Status::Current,
            reason: None,
            rule: Rule::Ready,
        },
    ]
}

#[test]
fn every_row_gets_its_verdict() {
    let mut failures = Vec::new();
    for row in rows() {
        let verdict = compute(&row.obj).unwrap_or_else(|e| panic!("{}: {e}", row.name));
        if verdict.status != row.status
            || verdict.reason.as_deref() != row.reason
            || verdict.rule != row.rule
        {
            failures.push(format!(
                "{}: got {:?}/{:?}/{:?}, want {:?}/{:?}/{:?}",
                row.name,
                verdict.status,
                verdict.reason,
                verdict.rule,
                row.status,
                row.reason,
                row.rule
            ));
        }
    }
    assert!(failures.is_empty(), "rows failed:\n{}", failures.join("\n"));
}

#[test]
fn messages_come_from_the_deciding_condition_or_kstatus_wording() {
    let stale = compute(&cr(Some(2), Some(1), &[])).unwrap();
    assert_eq!(
        stale.message,
        "OnlineEndpoint generation is 2, but latest observed generation is 1"
    );
    let stalled = compute(&cr(
        Some(1),
        Some(1),
        &[("Stalled", "True", "AzureRejected")],
    ))
    .unwrap();
    assert_eq!(stalled.message, "Stalled says AzureRejected");
    let ready = compute(&cr(Some(1), Some(1), &[("Ready", "True", "Succeeded")])).unwrap();
    assert_eq!(ready.message, "Ready says Succeeded");
    assert_eq!(
        compute(&cr(Some(1), None, &[])).unwrap().message,
        "Resource is current"
    );
}

#[test]
fn an_absent_object_is_not_found() {
    let verdict = compute_observed(None).unwrap();
    assert_eq!(
        (verdict.status, verdict.rule),
        (Status::NotFound, Rule::Absent)
    );
    let present = compute_observed(Some(&cr(
        Some(1),
        Some(1),
        &[("Ready", "True", "Succeeded")],
    )))
    .unwrap();
    assert_eq!(present.status, Status::Current);
}

#[test]
fn wrongly_typed_fields_are_errors_naming_the_field() {
    let mut generation_text = cr(Some(1), Some(1), &[]);
    generation_text["metadata"]["generation"] = json!("1");
    let mut observed_float = cr(Some(1), Some(1), &[]);
    observed_float["status"]["observedGeneration"] = json!(1.5);
    let mut conditions_map = cr(Some(1), Some(1), &[]);
    conditions_map["status"]["conditions"] = json!({"type": "Ready"});
    let mut condition_status_bool = cr(Some(1), Some(1), &[("Ready", "True", "Succeeded")]);
    condition_status_bool["status"]["conditions"][0]["status"] = json!(true);
    let mut deletion_number = cr(Some(1), Some(1), &[]);
    deletion_number["metadata"]["deletionTimestamp"] = json!(5);

    for (obj, path) in [
        (generation_text, "metadata.generation"),
        (observed_float, "status.observedGeneration"),
        (conditions_map, "status.conditions"),
        (condition_status_bool, "status.conditions[0].status"),
        (deletion_number, "metadata.deletionTimestamp"),
    ] {
        match compute(&obj) {
            Err(Error::FieldType { path: got, .. }) => assert_eq!(got, path),
            other => panic!("{path}: expected a field type error, got {other:?}"),
        }
    }
    assert!(matches!(compute(&json!([1, 2])), Err(Error::NotAnObject)));
}

#[test]
fn built_in_kinds_with_their_own_rules_are_refused() {
    for (api_version, kind, key) in [
        ("apps/v1", "Deployment", "apps/Deployment"),
        ("v1", "Pod", "Pod"),
        ("batch/v1", "Job", "batch/Job"),
        (
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            "apiextensions.k8s.io/CustomResourceDefinition",
        ),
    ] {
        let obj = json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": "x", "generation": 1}});
        match compute(&obj) {
            Err(Error::BuiltInKind { kind }) => assert_eq!(kind, key),
            other => panic!("{key}: expected refusal, got {other:?}"),
        }
    }
    // A kind that merely shares a name with a built-in one, in another group, is judged.
    let lookalike =
        json!({"apiVersion": "example.io/v1", "kind": "Deployment", "metadata": {"generation": 1}});
    assert_eq!(compute(&lookalike).unwrap().status, Status::Current);
}
