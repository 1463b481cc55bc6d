//! Model behaviour beyond the examples: case-insensitive enums, unknown values and members kept.

use super::*;
use serde_json::json;

#[test]
fn enums_parse_case_insensitively_and_write_microsofts_spelling() {
    let p: OnlineEndpointProperties =
        serde_json::from_value(json!({"publicNetworkAccess": "disabled", "authMode": "key"}))
            .unwrap();
    assert_eq!(p.public_network_access, Some(PublicNetworkAccess::Disabled));
    assert_eq!(p.auth_mode, Some(EndpointAuthMode::Key));
    let back = serde_json::to_value(&p).unwrap();
    assert_eq!(
        back,
        json!({"publicNetworkAccess": "Disabled", "authMode": "Key"})
    );
}

#[test]
fn unknown_enum_values_are_kept_verbatim() {
    let p: OnlineEndpointProperties =
        serde_json::from_value(json!({"provisioningState": "Migrating"})).unwrap();
    assert_eq!(
        p.provisioning_state,
        Some(ProvisioningState::Other("Migrating".into()))
    );
    assert!(!p.provisioning_state.as_ref().unwrap().is_terminal());
    assert_eq!(
        serde_json::to_value(&p).unwrap(),
        json!({"provisioningState": "Migrating"})
    );
}

#[test]
fn read_modify_write_keeps_what_someone_else_set() {
    let from_arm = json!({
        "id": "/subscriptions/x/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w/onlineEndpoints/e",
        "location": "eastus",
        "futureEnvelopeMember": {"a": 1},
        "tags": {"owner": "someone-else"},
        "properties": {
            "authMode": "Key",
            "publicNetworkAccess": "Enabled",
            "traffic": {"blue": 100},
            "aPropertyFromNextYear": [1, 2, 3]
        }
    });
    let mut endpoint: OnlineEndpoint = serde_json::from_value(from_arm.clone()).unwrap();
    endpoint.properties.public_network_access = Some(PublicNetworkAccess::Disabled);
    let sent = serde_json::to_value(&endpoint).unwrap();
    let mut expected = from_arm;
    expected["properties"]["publicNetworkAccess"] = json!("Disabled");
    assert_eq!(sent, expected);
}

#[test]
fn empty_properties_are_left_out_of_a_body() {
    let zone = PrivateDnsZone {
        location: Some("global".into()),
        ..Default::default()
    };
    assert_eq!(
        serde_json::to_value(&zone).unwrap(),
        json!({"location": "global"})
    );
}

#[test]
fn a_scale_patch_sends_only_the_sku() {
    let patch: Patch = Patch {
        sku: Some(Sku {
            name: Some("Default".into()),
            capacity: Some(3),
            ..Default::default()
        }),
        ..Default::default()
    };
    assert_eq!(
        serde_json::to_value(&patch).unwrap(),
        json!({"sku": {"name": "Default", "capacity": 3}})
    );
    let ws_patch = Patch::<WorkspaceProperties> {
        properties: WorkspaceProperties {
            public_network_access: Some(PublicNetworkAccess::Disabled),
            ..Default::default()
        },
        ..Default::default()
    };
    assert_eq!(
        serde_json::to_value(&ws_patch).unwrap(),
        json!({"properties": {"publicNetworkAccess": "Disabled"}})
    );
}

#[test]
fn iso_durations_convert_both_ways() {
    assert_eq!(IsoDuration::from_secs(10).0, "PT10S");
    assert_eq!(
        IsoDuration("PT5M".into()).to_std(),
        Some(std::time::Duration::from_secs(300))
    );
    assert_eq!(
        IsoDuration("PT1H0.5S".into()).to_std(),
        Some(std::time::Duration::from_millis(3_600_500))
    );
    assert_eq!(
        IsoDuration("P1D".into()).to_std(),
        Some(std::time::Duration::from_secs(86_400))
    );
    assert_eq!(IsoDuration("soon".into()).to_std(), None);
}

#[test]
fn error_bodies_tolerate_nulls() {
    let e: ErrorResponse = serde_json::from_value(
        json!({"error": {"code": "X", "message": null, "details": null, "additionalInfo": null}}),
    )
    .unwrap();
    assert_eq!(e.error.code, "X");
    assert!(e.error.message.is_empty() && e.error.details.is_empty());
}

#[test]
fn operation_status_bodies_parse() {
    let s: OperationStatus = serde_json::from_value(json!({
        "id": "op", "name": "op", "status": "InProgress", "startTime": "2026-01-01T00:00:00Z"
    }))
    .unwrap();
    assert!(!s.status.is_terminal());
    let s: OperationStatus = serde_json::from_value(json!({
        "status": "Failed", "error": {"code": "OutOfQuota", "message": "no quota"}
    }))
    .unwrap();
    assert!(s.status.is_terminal());
    assert_eq!(s.error.unwrap().code, "OutOfQuota");
}
