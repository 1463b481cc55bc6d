//! Model, environment and code versions in a workspace and in an Azure ML registry (GET and
//! list with `$orderBy`/`$top`, as mfe.json 2025-12-01 declares them), seeded registries, the
//! admin publish, a deployment's `dataCollector` and `modelMountPath`, and the portal's tag
//! drift.
#![allow(clippy::unwrap_used)]

mod common;

use arm_emulator::{Drift, EmulatorConfig, Seed};
use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn registry_id() -> String {
    format!(
        "/subscriptions/{SUB}/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/registries/shared-models"
    )
}

async fn harness() -> Harness {
    let mut seed = Seed::sandbox().unwrap();
    for sub in &mut seed.subscriptions {
        for rg in &mut sub.resource_groups {
            if rg.name == "rg-ml" {
                rg.ml_registries.push("shared-models".into());
            }
        }
    }
    Harness::with(EmulatorConfig::default().seed(seed)).await
}

fn names(body: &Value) -> Vec<String> {
    body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn versions_are_listed_newest_first_and_read_in_workspaces_and_registries() {
    let h = harness().await;
    let admin = h.emulator.admin();
    for scope in [ws_id(), registry_id()] {
        for v in ["1", "10", "2"] {
            admin
                .publish_asset_version(&scope, "models", "housing", v)
                .unwrap();
            // Distinct creation times (RFC 3339 with sub-second precision).
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let list = format!("{scope}/models/housing/versions?api-version={ML}");
        let all = h.send(Method::GET, &list, None).await;
        assert_eq!(all.status, StatusCode::OK, "{:?}", all.body);
        assert_eq!(names(&all.body), ["1", "10", "2"], "creation order");
        let newest = h
            .send(
                Method::GET,
                &format!("{list}&$orderBy=createdtime%20desc&$top=1"),
                None,
            )
            .await;
        assert_eq!(
            names(&newest.body),
            ["2"],
            "the most recently created, not the highest"
        );
        assert!(newest.body.get("nextLink").is_none_or(Value::is_null));
        let item = &newest.body["value"][0];
        assert_eq!(item["id"], format!("{scope}/models/housing/versions/2"));
        let kind = if scope.contains("/registries/") {
            "registries"
        } else {
            "workspaces"
        };
        assert_eq!(
            item["type"],
            format!("Microsoft.MachineLearningServices/{kind}/models/versions")
        );
        assert!(item.pointer("/systemData/createdAt").is_some());
        assert_eq!(item["properties"]["provisioningState"], "Succeeded");

        let one = h
            .get(&format!("{scope}/models/housing/versions/10"), ML)
            .await;
        assert_eq!(one.status, StatusCode::OK);
        assert_eq!(one.body["name"], "10");
        let missing = h
            .get(&format!("{scope}/models/housing/versions/99"), ML)
            .await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        // An asset without versions lists nothing.
        let none = h
            .send(
                Method::GET,
                &format!("{scope}/models/nothing/versions?api-version={ML}"),
                None,
            )
            .await;
        assert_eq!(none.status, StatusCode::OK);
        assert!(names(&none.body).is_empty());
    }
    admin
        .publish_asset_version(&ws_id(), "environments", "env", "3")
        .unwrap();
    admin
        .publish_asset_version(&registry_id(), "codes", "score", "1")
        .unwrap();
    assert_eq!(
        h.get(&format!("{}/environments/env/versions/3", ws_id()), ML)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        h.get(&format!("{}/codes/score/versions/1", registry_id()), ML)
            .await
            .status,
        StatusCode::OK
    );

    // A registry that does not exist is a 404, and nothing is published into it.
    let nowhere = registry_id().replace("shared-models", "nowhere");
    let r = h
        .send(
            Method::GET,
            &format!("{nowhere}/models/housing/versions?api-version={ML}"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "ResourceNotFound");
    assert!(
        admin
            .publish_asset_version(&nowhere, "models", "m", "1")
            .is_err()
    );
    assert!(
        admin
            .publish_asset_version(&ws_id(), "datasets", "m", "1")
            .is_err()
    );
}

#[tokio::test]
async fn data_collector_and_model_mount_path_are_validated_and_kept() {
    let h = harness().await;
    let ep = ep_id("assets-ep");
    let r = h.put(&ep, ML, &endpoint_body("Disabled", json!({}))).await;
    assert!(r.status.is_success());
    h.get(&ep, ML).await;
    let dep = dep_id("assets-ep", "blue");
    let mut body = deployment_body("Standard_F2s_v2", 1);
    body["properties"]["modelMountPath"] = json!("/var/models/housing");
    body["properties"]["dataCollector"] = json!({
        "collections": {"request": {"dataCollectionMode": "enabled", "samplingRate": 0.5}},
        "rollingRate": "hour",
        "requestLogging": {"captureHeaders": ["x-request-id"]}
    });
    let r = h.put(&dep, ML, &body).await;
    assert!(r.status.is_success(), "{:?}", r.body);
    let got = h.get(&dep, ML).await.body;
    assert_eq!(got["properties"]["modelMountPath"], "/var/models/housing");
    assert_eq!(got["properties"]["dataCollector"]["rollingRate"], "Hour");
    assert_eq!(
        got["properties"]["dataCollector"]["collections"]["request"]["dataCollectionMode"],
        "Enabled"
    );

    let bad = [
        (
            json!({"rollingRate": "Hour"}),
            "properties.dataCollector.collections",
        ),
        (
            json!({"collections": {"request": {"dataCollectionMode": "Sometimes"}}}),
            "dataCollectionMode",
        ),
        (
            json!({"collections": {}, "rollingRate": "Week"}),
            "rollingRate",
        ),
        (
            json!({"collections": {"request": {"samplingRate": "half"}}}),
            "samplingRate",
        ),
    ];
    for (dc, says) in bad {
        let mut b = deployment_body("Standard_F2s_v2", 1);
        b["properties"]["dataCollector"] = dc.clone();
        let r = h.put(&dep_id("assets-ep", "green"), ML, &b).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{dc}");
        assert!(r.body.to_string().contains(says), "{dc}: {}", r.body);
    }
}

#[tokio::test]
async fn a_portal_tag_is_set_and_deleted() {
    let h = harness().await;
    let ep = ep_id("tagged");
    h.put(&ep, ML, &endpoint_body("Disabled", json!({}))).await;
    let admin = h.emulator.admin();
    admin
        .drift(Drift::SetTag {
            resource_id: ep.clone(),
            key: "Owner-Team".into(),
            value: Some("platform".into()),
        })
        .unwrap();
    assert_eq!(h.get(&ep, ML).await.body["tags"]["Owner-Team"], "platform");
    admin
        .drift(Drift::SetTag {
            resource_id: ep.clone(),
            key: "owner-team".into(),
            value: None,
        })
        .unwrap();
    assert!(
        h.get(&ep, ML).await.body["tags"]
            .get("Owner-Team")
            .is_none()
    );
    assert!(
        admin
            .drift(Drift::SetTag {
                resource_id: ep_id("nope"),
                key: "k".into(),
                value: None
            })
            .is_err()
    );
}
