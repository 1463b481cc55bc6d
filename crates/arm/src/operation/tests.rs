//! Operation handles as status values: the five-string form, kinds and final-state rules.

use super::*;

fn handle() -> OperationHandle {
    OperationHandle {
        kind: OperationKind::Create,
        url: "https://management.azure.com/subscriptions/00000000-1111-2222-3333-444444444444/providers/Microsoft.MachineLearningServices/locations/eastus/mfeOperationsStatus/op-1?api-version=2025-12-01".into(),
        polling: PollingStyle::AzureAsyncOperation,
        resource_id: ResourceId::parse(
            "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/onlineEndpoints/ep1",
        )
        .unwrap(),
        started_at: "2026-11-26T12:00:00Z".parse().unwrap(),
    }
}

#[test]
fn serializes_as_the_five_status_fields() {
    let json = serde_json::to_value(handle()).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "kind": "Create",
            "url": handle().url,
            "polling": "AzureAsyncOperation",
            "resourceId": handle().resource_id.to_string(),
            "startedAt": "2026-11-26T12:00:00Z",
        })
    );
    let back: OperationHandle = serde_json::from_value(json).unwrap();
    assert_eq!(back, handle());
}

#[test]
fn parts_round_trip_for_every_kind_and_style() {
    let kinds = [
        OperationKind::Create,
        OperationKind::Update,
        OperationKind::Scale,
        OperationKind::Delete,
        OperationKind::Action("regenerateKeys".into()),
    ];
    let styles = [
        PollingStyle::AzureAsyncOperation,
        PollingStyle::Location,
        PollingStyle::ProvisioningState,
    ];
    for kind in &kinds {
        for polling in styles {
            let h = OperationHandle {
                kind: kind.clone(),
                polling,
                ..handle()
            };
            let parts = h.to_parts();
            assert_eq!(OperationHandle::from_parts(&parts).unwrap(), h);
        }
    }
}

#[test]
fn final_state_follows_the_verb() {
    assert_eq!(OperationKind::Create.final_state(), FinalState::OriginalUri);
    assert_eq!(OperationKind::Scale.final_state(), FinalState::OriginalUri);
    assert_eq!(OperationKind::Delete.final_state(), FinalState::None);
    assert_eq!(
        OperationKind::Action("x".into()).final_state(),
        FinalState::Location
    );
}

#[test]
fn broken_parts_name_the_field() {
    let good = handle().to_parts();
    let cases = [
        (
            OperationParts {
                polling: "Sometimes".into(),
                ..good.clone()
            },
            "polling",
        ),
        (
            OperationParts {
                resource_id: "/nope".into(),
                ..good.clone()
            },
            "resourceId",
        ),
        (
            OperationParts {
                started_at: "yesterday".into(),
                ..good.clone()
            },
            "startedAt",
        ),
        (
            OperationParts {
                url: "not a url".into(),
                ..good.clone()
            },
            "url",
        ),
        (
            OperationParts {
                kind: String::new(),
                ..good.clone()
            },
            "kind",
        ),
    ];
    for (parts, field) in cases {
        let err = OperationHandle::from_parts(&parts).unwrap_err();
        assert!(err.message().contains(&format!("field {field}")), "{err}");
        assert_eq!(err.class(), crate::ErrorClass::Terminal);
    }
}

#[test]
fn polling_style_parses_case_insensitively() {
    assert_eq!(
        PollingStyle::parse("location"),
        Some(PollingStyle::Location)
    );
    assert_eq!(PollingStyle::parse("azure-asyncoperation"), None);
}

#[test]
fn age_is_measured_from_the_start() {
    let now: jiff::Timestamp = "2026-11-26T12:01:30Z".parse().unwrap();
    assert_eq!(handle().age(now), Duration::from_secs(90));
}
