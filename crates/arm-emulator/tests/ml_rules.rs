//! Online endpoints and deployments: LRO semantics and the service's validation rules.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use arm_emulator::{EmulatorConfig, LroDurations, OperationKind};
use common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

/// Follows an answer to its end: its LRO headers when it has them, else (the bare 200 of an
/// update) the resource's provisioningState, as ARM clients do. Returns the resource.
async fn settle(h: &Harness, reply: &Reply, id: &str) -> serde_json::Value {
    if reply.header("azure-asyncoperation").is_some() || reply.header("location").is_some() {
        h.finish(reply).await;
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let r = h.get(id, ML).await;
        let state = r.body["properties"]["provisioningState"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if !matches!(
            state.as_str(),
            "Creating" | "Updating" | "Scaling" | "Deleting"
        ) {
            return r.body;
        }
        assert!(Instant::now() < deadline, "{id} still {state}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn endpoint_create_is_an_lro_with_async_operation_headers() {
    let h = Harness::start().await;
    let r = h
        .put(&ep_id("housing"), ML, &endpoint_body("disabled", json!({})))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let async_op = r.header("azure-asyncoperation").unwrap();
    assert!(async_op.starts_with(h.emulator.base_url()), "{async_op}");
    assert!(async_op.contains(
        "/providers/Microsoft.MachineLearningServices/locations/westeurope/mfeOperationsStatus/"
    ));
    assert!(async_op.contains("api-version=2025-12-01"));
    assert_eq!(
        r.header("x-ms-async-operation-timeout").as_deref(),
        Some("PT1H")
    );
    assert!(r.header("x-ms-request-id").is_some());
    assert!(r.header("x-ms-correlation-request-id").is_some());
    assert!(
        r.header("x-ms-ratelimit-remaining-subscription-writes")
            .is_some()
    );
    assert_eq!(r.body["properties"]["provisioningState"], "Creating");
    // enums are matched case-insensitively and answered in canonical case
    assert_eq!(r.body["properties"]["publicNetworkAccess"], "Disabled");
    assert_eq!(r.body["identity"]["type"], "SystemAssigned");
    assert_eq!(r.body["identity"]["tenantId"], TENANT);
    assert_eq!(r.body["systemData"]["createdBy"], CONTROLLER);
    assert!(
        r.body["properties"]["scoringUri"]
            .as_str()
            .unwrap()
            .starts_with("https://housing.westeurope.inference.ml.azure.com")
    );
    let done = h.finish(&r).await;
    assert_eq!(done.body["status"], "Succeeded");
    for field in ["id", "name", "startTime", "endTime"] {
        assert!(
            done.body.get(field).is_some(),
            "status body lacks {field}: {:?}",
            done.body
        );
    }
    let got = h.get(&ep_id("housing"), ML).await;
    assert_eq!(got.body["properties"]["provisioningState"], "Succeeded");
    assert_eq!(got.body["id"], ep_id("housing"));
    // A second PUT is an update: a bare 200 (mfe.json 2025-12-01 declares no headers on it)
    // whose body says Updating; the resource then settles.
    let again = h
        .put(&ep_id("housing"), ML, &endpoint_body("Disabled", json!({})))
        .await;
    assert_eq!(again.status, StatusCode::OK);
    for header in [
        "azure-asyncoperation",
        "location",
        "x-ms-async-operation-timeout",
        "retry-after",
    ] {
        assert!(again.header(header).is_none(), "{header} on a 200 update");
    }
    assert_eq!(again.body["properties"]["provisioningState"], "Updating");
    let settled = settle(&h, &again, &ep_id("housing")).await;
    assert_eq!(settled["properties"]["provisioningState"], "Succeeded");
}

#[tokio::test]
async fn timed_operations_report_in_progress_with_retry_after_then_finish() {
    let config = EmulatorConfig::default()
        .lro_durations(LroDurations::uniform(Duration::from_secs(2)))
        .time_scale(0.2);
    let h = Harness::with(config).await;
    let r = h
        .put(&ep_id("slow"), ML, &endpoint_body("Disabled", json!({})))
        .await;
    let status_url = r.header("azure-asyncoperation").unwrap();
    let first = h.send(Method::GET, &status_url, None).await;
    assert_eq!(first.body["status"], "InProgress");
    assert!(first.header("retry-after").is_some());
    assert!(first.body.get("endTime").is_none());
    // 409 while the endpoint is Creating: deployments, another PUT, a delete
    let dep = h
        .put(
            &dep_id("slow", "blue"),
            ML,
            &deployment_body("Standard_F2s_v2", 1),
        )
        .await;
    assert_eq!(dep.status, StatusCode::CONFLICT, "{:?}", dep.body);
    assert_eq!(dep.code(), "Conflict");
    let again = h
        .put(&ep_id("slow"), ML, &endpoint_body("Disabled", json!({})))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let done = h.finish(&r).await;
    assert_eq!(done.body["status"], "Succeeded");
    // the journal saw Creating then Succeeded, never Enabled
    let states = h
        .emulator
        .admin()
        .state_changes(&ep_id("slow").to_uppercase());
    assert_eq!(
        states.first().unwrap().provisioning_state.as_deref(),
        Some("Creating")
    );
    assert_eq!(
        states.last().unwrap().provisioning_state.as_deref(),
        Some("Succeeded")
    );
    assert!(
        states
            .iter()
            .all(|c| c.public_network_access.as_deref() == Some("Disabled"))
    );
}

#[tokio::test]
async fn deployment_409_while_endpoint_updating_and_location_polling_for_patch() {
    let config = EmulatorConfig::default()
        .lro_duration(OperationKind::EndpointUpdate, Duration::from_millis(400));
    let h = Harness::with(config).await;
    h.endpoint("ep1", "Disabled", json!({})).await;
    let upd = h
        .put(&ep_id("ep1"), ML, &endpoint_body("Disabled", json!({})))
        .await;
    assert_eq!(upd.status, StatusCode::OK);
    let dep = h
        .put(
            &dep_id("ep1", "blue"),
            ML,
            &deployment_body("Standard_F2s_v2", 1),
        )
        .await;
    assert_eq!(dep.status, StatusCode::CONFLICT);
    settle(&h, &upd, &ep_id("ep1")).await;
    // PATCH: tags only, 202 + Location + Retry-After, Location answers 202 then 200 with the body
    let patch = h
        .patch(&ep_id("ep1"), ML, &json!({"tags": {"team": "ml"}}))
        .await;
    assert_eq!(patch.status, StatusCode::ACCEPTED);
    assert!(
        patch
            .header("location")
            .unwrap()
            .contains("/mfeOperationResults/")
    );
    assert!(patch.header("retry-after").is_some());
    let pending = h
        .send(Method::GET, &patch.header("location").unwrap(), None)
        .await;
    assert_eq!(pending.status, StatusCode::ACCEPTED);
    let done = h.finish(&patch).await;
    assert_eq!(done.status, StatusCode::OK);
    assert_eq!(done.body["tags"]["team"], "ml");
    assert_eq!(done.body["properties"]["provisioningState"], "Succeeded");
    let bad = h
        .patch(&ep_id("ep1"), ML, &json!({"properties": {"traffic": {}}}))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn traffic_rules() {
    let h = Harness::start().await;
    h.endpoint("ep-main", "Disabled", json!({})).await;
    // naming a deployment that does not exist
    let r = h
        .put(
            &ep_id("ep-main"),
            ML,
            &endpoint_body("Disabled", json!({"blue": 100})),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "BadArgument");
    h.deployment("ep-main", "blue", 1).await;
    h.deployment("ep-main", "green", 1).await;
    for (traffic, ok) in [
        (json!({"blue": 60, "green": 30}), false),
        (json!({"blue": 101}), false),
        (json!({"blue": "x"}), false),
        (json!({"blue": 90, "green": 10}), true),
        (json!({"blue": 0, "green": 0}), true),
    ] {
        let r = h
            .put(
                &ep_id("ep-main"),
                ML,
                &endpoint_body("Disabled", traffic.clone()),
            )
            .await;
        assert_eq!(r.status.is_success(), ok, "{traffic}: {:?}", r.body);
        if ok {
            settle(&h, &r, &ep_id("ep-main")).await;
        }
    }
    // mirror traffic ≤ 50, not to a deployment with live traffic
    let mut body = endpoint_body("Disabled", json!({"blue": 100}));
    body["properties"]["mirrorTraffic"] = json!({"green": 60});
    assert_eq!(
        h.put(&ep_id("ep-main"), ML, &body).await.status,
        StatusCode::BAD_REQUEST
    );
    body["properties"]["mirrorTraffic"] = json!({"blue": 10});
    assert_eq!(
        h.put(&ep_id("ep-main"), ML, &body).await.status,
        StatusCode::BAD_REQUEST
    );
    body["properties"]["mirrorTraffic"] = json!({"green": 10});
    let r = h.put(&ep_id("ep-main"), ML, &body).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    settle(&h, &r, &ep_id("ep-main")).await;
    // a deployment with traffic cannot be deleted; one with mirror traffic neither
    let del = h.delete(&dep_id("ep-main", "blue"), ML).await;
    assert_eq!(del.status, StatusCode::BAD_REQUEST);
    let del = h.delete(&dep_id("ep-main", "green"), ML).await;
    assert_eq!(del.status, StatusCode::BAD_REQUEST);
    // traffic to 0 → delete is a 202 + Location; GET then 404
    let r = h
        .put(
            &ep_id("ep-main"),
            ML,
            &endpoint_body("Disabled", json!({"blue": 100})),
        )
        .await;
    settle(&h, &r, &ep_id("ep-main")).await;
    let del = h.delete(&dep_id("ep-main", "green"), ML).await;
    assert_eq!(del.status, StatusCode::ACCEPTED);
    assert!(del.header("location").is_some());
    let done = h.finish(&del).await;
    assert_eq!(done.status, StatusCode::NO_CONTENT);
    let gone = h.get(&dep_id("ep-main", "green"), ML).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.code(), "ResourceNotFound");
    // deleting what is not there: 204
    assert_eq!(
        h.delete(&dep_id("ep-main", "green"), ML).await.status,
        StatusCode::NO_CONTENT
    );
}

/// Mirror traffic goes to one deployment (Microsoft Learn, "Safe rollout for online endpoints":
/// "You can mirror traffic to only one deployment in an endpoint"): two deployments with a
/// non-zero share are a 400; entries at 0 beside the mirrored one are accepted.
#[tokio::test]
async fn mirror_traffic_goes_to_one_deployment() {
    let h = Harness::start().await;
    h.endpoint("ep-mirror", "Disabled", json!({})).await;
    for name in ["blue", "green", "red"] {
        h.deployment("ep-mirror", name, 1).await;
    }
    let mut body = endpoint_body("Disabled", json!({"blue": 100}));
    body["properties"]["mirrorTraffic"] = json!({"green": 10, "red": 10});
    let r = h.put(&ep_id("ep-mirror"), ML, &body).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
    assert_eq!(r.code(), "BadArgument");
    assert_eq!(r.body["error"]["target"], "properties.mirrorTraffic");
    let got = h.get(&ep_id("ep-mirror"), ML).await;
    assert_eq!(got.body["properties"]["mirrorTraffic"], json!({}));
    body["properties"]["mirrorTraffic"] = json!({"green": 10, "red": 0});
    let r = h.put(&ep_id("ep-mirror"), ML, &body).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    settle(&h, &r, &ep_id("ep-mirror")).await;
    let got = h.get(&ep_id("ep-mirror"), ML).await;
    assert_eq!(got.body["properties"]["mirrorTraffic"]["green"], 10);
}

#[tokio::test]
async fn deployment_create_only_fields_scaling_and_defaults() {
    let h = Harness::start().await;
    h.endpoint("ep-main", "Disabled", json!({})).await;
    let created = h.deployment("ep-main", "blue", 1).await;
    assert_eq!(
        created["properties"]["scaleSettings"]["scaleType"],
        "Default"
    );
    assert_eq!(created["properties"]["readinessProbe"]["period"], "PT10S");
    assert_eq!(
        created["properties"]["requestSettings"]["maxConcurrentRequestsPerInstance"],
        1
    );
    assert_eq!(created["sku"]["capacity"], 1);
    let r = h
        .put(
            &dep_id("ep-main", "blue"),
            ML,
            &deployment_body("Standard_DS3_v2", 1),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["error"]["target"], "properties.instanceType");
    let mut body = deployment_body("Standard_F2s_v2", 1);
    body["properties"]["egressPublicNetworkAccess"] = json!("Enabled");
    assert_eq!(
        h.put(&dep_id("ep-main", "blue"), ML, &body).await.status,
        StatusCode::BAD_REQUEST
    );
    // case-only difference is not a change
    body["properties"]["egressPublicNetworkAccess"] = json!("disabled");
    let ok = h.put(&dep_id("ep-main", "blue"), ML, &body).await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    assert!(ok.header("azure-asyncoperation").is_none());
    settle(&h, &ok, &dep_id("ep-main", "blue")).await;
    // PATCH sku.capacity → Scaling, then the new count
    let scale = h
        .patch(
            &dep_id("ep-main", "blue"),
            ML,
            &json!({"sku": {"capacity": 3}}),
        )
        .await;
    assert_eq!(scale.status, StatusCode::ACCEPTED);
    let mid = h.emulator.admin().resource(&dep_id("ep-main", "blue"));
    assert!(mid.is_some());
    let done = h.finish(&scale).await;
    assert_eq!(done.body["sku"]["capacity"], 3);
    // bad durations and bad sku
    let mut bad = deployment_body("Standard_F2s_v2", 1);
    bad["properties"]["livenessProbe"]["period"] = json!("10s");
    assert_eq!(
        h.put(&dep_id("ep-main", "green"), ML, &bad).await.status,
        StatusCode::BAD_REQUEST
    );
    let bad = deployment_body("Standard_F2s_v2", 0);
    assert_eq!(
        h.put(&dep_id("ep-main", "green"), ML, &bad).await.status,
        StatusCode::BAD_REQUEST
    );
    // deployment under a missing endpoint
    let r = h
        .put(
            &dep_id("nope", "green"),
            ML,
            &deployment_body("Standard_F2s_v2", 1),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "ParentResourceNotFound");
}

/// A liveness probe's successThreshold is fixed at 1 (Microsoft Learn, "CLI (v2) managed online
/// deployment YAML schema", ProbeSettings); a readiness probe may ask for more.
#[tokio::test]
async fn liveness_probe_success_threshold_is_one() {
    let h = Harness::start().await;
    h.endpoint("ep-probe", "Disabled", json!({})).await;
    for threshold in [json!(2), json!(0), json!("1")] {
        let mut body = deployment_body("Standard_F2s_v2", 1);
        body["properties"]["livenessProbe"]["successThreshold"] = threshold.clone();
        let r = h.put(&dep_id("ep-probe", "blue"), ML, &body).await;
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "{threshold}: {:?}",
            r.body
        );
        assert_eq!(r.code(), "BadArgument");
        assert_eq!(
            r.body["error"]["target"],
            "properties.livenessProbe.successThreshold"
        );
    }
    assert_eq!(
        h.get(&dep_id("ep-probe", "blue"), ML).await.status,
        StatusCode::NOT_FOUND
    );
    let mut body = deployment_body("Standard_F2s_v2", 1);
    body["properties"]["readinessProbe"] = json!({"period": "PT10S", "successThreshold": 3});
    let r = h.put(&dep_id("ep-probe", "blue"), ML, &body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let done = h.finish(&r).await;
    assert_eq!(done.body["status"], "Succeeded");
    let got = h.get(&dep_id("ep-probe", "blue"), ML).await;
    assert_eq!(
        got.body["properties"]["livenessProbe"]["successThreshold"],
        1
    );
    // an update may not change it either
    body["properties"]["livenessProbe"]["successThreshold"] = json!(3);
    let r = h.put(&dep_id("ep-probe", "blue"), ML, &body).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
}

#[tokio::test]
async fn names_versions_bodies_and_not_found() {
    let h = Harness::start().await;
    for bad in ["ab", "1abc", "a--b", "abc-", "has_underscore"] {
        let r = h
            .put(&ep_id(bad), ML, &endpoint_body("Disabled", json!({})))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    let r = h.send(Method::GET, &ws_id(), None).await;
    assert_eq!(r.code(), "MissingApiVersionParameter");
    let r = h.get(&ws_id(), "latest").await;
    assert_eq!(r.code(), "InvalidApiVersionParameter");
    let r = h.get(&ws_id(), "2019-01-01").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "NoRegisteredProviderFound");
    for v in [
        "2022-02-01-preview",
        "2023-04-01-preview",
        "2024-10-01-preview",
        "2026-07-01",
    ] {
        assert_eq!(h.get(&ws_id(), v).await.status, StatusCode::OK, "{v}");
    }
    let r = h
        .send(
            Method::PUT,
            &format!("{}?api-version={ML}", ep_id("okname")),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let resp = h
        .http
        .put(h.url(&format!("{}?api-version={ML}", ep_id("okname"))))
        .bearer_auth(&h.token)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let r = h.get(&ep_id("missing"), ML).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::NOT_FOUND, "ResourceNotFound")
    );
    let r = h.get(&format!("/subscriptions/{SUB}/resourceGroups/rg-nope/providers/Microsoft.MachineLearningServices/workspaces/x"), ML).await;
    assert_eq!(r.code(), "ResourceGroupNotFound");
    // ARM paths are case-insensitive; names keep their case
    let upper = ep_id("casey")
        .replace("resourceGroups", "RESOURCEGROUPS")
        .replace("onlineEndpoints", "ONLINEENDPOINTS");
    let r = h
        .put(&upper, ML, &endpoint_body("Disabled", json!({})))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["id"], ep_id("casey"));
    // location must be the workspace's; authMode is required
    let mut body = endpoint_body("Disabled", json!({}));
    body["location"] = json!("eastus");
    assert_eq!(
        h.put(&ep_id("elsewhere"), ML, &body).await.status,
        StatusCode::BAD_REQUEST
    );
    let mut body = endpoint_body("Disabled", json!({}));
    body["properties"]["authMode"] = json!("Password");
    assert_eq!(
        h.put(&ep_id("badauth"), ML, &body).await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn endpoint_names_are_unique_per_region_and_delete_cascades() {
    let h = Harness::start().await;
    // a second workspace in the same region
    let seed: arm_emulator::Seed = serde_json::from_value(json!({
        "subscriptions": [{"id": SUB, "resourceGroups": [{"name": "rg-ml2", "location": "westeurope", "workspaces": [{"name": "other"}]}]}]
    }))
    .unwrap();
    h.emulator.admin().seed(&seed).unwrap();
    h.endpoint("shared-name", "Disabled", json!({})).await;
    let other = format!(
        "/subscriptions/{SUB}/resourceGroups/rg-ml2/providers/Microsoft.MachineLearningServices/workspaces/other/onlineEndpoints/shared-name"
    );
    let r = h
        .put(&other, ML, &endpoint_body("Disabled", json!({})))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
    h.deployment("shared-name", "blue", 1).await;
    let del = h.delete(&ep_id("shared-name"), ML).await;
    assert_eq!(del.status, StatusCode::ACCEPTED);
    assert!(del.header("location").is_some());
    assert!(del.header("x-ms-async-operation-timeout").is_some());
    let done = h.finish(&del).await;
    assert_eq!(done.status, StatusCode::NO_CONTENT);
    assert_eq!(
        h.get(&dep_id("shared-name", "blue"), ML).await.status,
        StatusCode::NOT_FOUND
    );
    // the name is free again
    let r = h
        .put(&other, ML, &endpoint_body("Disabled", json!({})))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
}

#[tokio::test]
async fn keys_token_logs_skus_and_paging() {
    let h = Harness::with(EmulatorConfig::default().list_page_size(2)).await;
    h.endpoint("keyed", "Disabled", json!({})).await;
    let keys = h
        .post(&format!("{}/listKeys", ep_id("keyed")), ML, None)
        .await;
    assert_eq!(keys.status, StatusCode::OK);
    let primary = keys.body["primaryKey"].as_str().unwrap().to_string();
    let regen = h
        .post(
            &format!("{}/regenerateKeys", ep_id("keyed")),
            ML,
            Some(&json!({"keyType": "primary"})),
        )
        .await;
    assert_eq!(regen.status, StatusCode::ACCEPTED);
    // mfe.json 2025-12-01 declares Location and Retry-After; the examples show
    // Azure-AsyncOperation and Location: the emulator sends all three.
    for header in ["location", "retry-after", "azure-asyncoperation"] {
        assert!(
            regen.header(header).is_some(),
            "regenerateKeys lacks {header}"
        );
    }
    assert!(regen.body.is_null(), "{:?}", regen.body);
    h.finish(&regen).await;
    let keys = h
        .post(&format!("{}/listKeys", ep_id("keyed")), ML, None)
        .await;
    assert_ne!(keys.body["primaryKey"].as_str().unwrap(), primary);
    // token only for AMLToken endpoints
    assert_eq!(
        h.post(&format!("{}/token", ep_id("keyed")), ML, None)
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    let mut body = endpoint_body("Disabled", json!({}));
    body["properties"]["authMode"] = json!("amltoken");
    let r = h.put(&ep_id("tokened"), ML, &body).await;
    h.finish(&r).await;
    let t = h
        .post(&format!("{}/token", ep_id("tokened")), ML, None)
        .await;
    assert_eq!(t.status, StatusCode::OK);
    assert!(t.body["expiryTimeUtc"].is_i64());
    h.deployment("keyed", "blue", 1).await;
    let logs = h
        .post(
            &format!("{}/getLogs", dep_id("keyed", "blue")),
            ML,
            Some(&json!({"containerType": "StorageInitializer", "tail": 2})),
        )
        .await;
    assert!(
        logs.body["content"]
            .as_str()
            .unwrap()
            .contains("StorageInitializer")
    );
    let skus = h
        .get(&format!("{}/skus", dep_id("keyed", "blue")), ML)
        .await;
    assert_eq!(skus.body["value"][0]["capacity"]["minimum"], 1);
    h.endpoint("third", "Disabled", json!({})).await;
    let page1 = h.get(&format!("{}/onlineEndpoints", ws_id()), ML).await;
    assert_eq!(page1.body["value"].as_array().unwrap().len(), 2);
    let next = page1.body["nextLink"].as_str().unwrap().to_string();
    let page2 = h.send(Method::GET, &next, None).await;
    assert_eq!(page2.body["value"].as_array().unwrap().len(), 1);
    assert!(page2.body.get("nextLink").is_none());
}

#[tokio::test]
async fn a_deployment_operation_holds_its_endpoint_in_updating() {
    let config = EmulatorConfig::default()
        .lro_duration(OperationKind::DeploymentCreate, Duration::from_millis(400));
    let h = Harness::with(config).await;
    h.endpoint("busy", "Disabled", json!({})).await;
    let blue = h
        .put(
            &dep_id("busy", "blue"),
            ML,
            &deployment_body("Standard_F2s_v2", 1),
        )
        .await;
    assert_eq!(blue.status, StatusCode::CREATED);
    let ep = h.get(&ep_id("busy"), ML).await.body;
    assert_eq!(ep["properties"]["provisioningState"], "Updating");
    let green = h
        .put(
            &dep_id("busy", "green"),
            ML,
            &deployment_body("Standard_F2s_v2", 1),
        )
        .await;
    assert_eq!(green.status, StatusCode::CONFLICT);
    let ep_put = h
        .put(&ep_id("busy"), ML, &endpoint_body("Disabled", json!({})))
        .await;
    assert_eq!(ep_put.status, StatusCode::CONFLICT);
    assert_eq!(
        h.delete(&ep_id("busy"), ML).await.status,
        StatusCode::CONFLICT
    );
    assert_eq!(h.finish(&blue).await.body["status"], "Succeeded");
    let ep = h.get(&ep_id("busy"), ML).await.body;
    assert_eq!(ep["properties"]["provisioningState"], "Succeeded");
    let green = h
        .put(
            &dep_id("busy", "green"),
            ML,
            &deployment_body("Standard_F2s_v2", 1),
        )
        .await;
    assert_eq!(green.status, StatusCode::CREATED);
}

/// Managed network isolation is one-way (Microsoft Learn, "Workspace Managed Virtual Network
/// Isolation"): Disabled → AllowInternetOutbound → AllowOnlyApprovedOutbound are accepted, but
/// AllowOnlyApprovedOutbound → AllowInternetOutbound and any mode → Disabled are refused with
/// 400, and a refused PATCH changes nothing — not even the public access it also carried.
#[tokio::test]
async fn managed_network_isolation_is_one_way() {
    let h = Harness::start().await;
    let mode =
        |body: &serde_json::Value| body["properties"]["managedNetwork"]["isolationMode"].clone();
    for allowed in ["AllowInternetOutbound", "AllowOnlyApprovedOutbound"] {
        let r = h
            .patch(
                &ws_id(),
                ML,
                &json!({"properties": {"managedNetwork": {"isolationMode": allowed}}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{allowed}: {:?}", r.body);
        h.finish(&r).await;
        assert_eq!(mode(&h.get(&ws_id(), ML).await.body), allowed);
    }
    for refused in ["AllowInternetOutbound", "allowinternetoutbound", "Disabled"] {
        let r = h
            .patch(
                &ws_id(),
                ML,
                &json!({"properties": {"publicNetworkAccess": "Disabled", "managedNetwork": {"isolationMode": refused}}}),
            )
            .await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::BAD_REQUEST, "BadArgument"),
            "{refused}: {:?}",
            r.body
        );
        let ws = h.get(&ws_id(), ML).await.body;
        assert_eq!(mode(&ws), "AllowOnlyApprovedOutbound");
        assert_eq!(
            ws["properties"]["publicNetworkAccess"], "Enabled",
            "the refused PATCH changed nothing"
        );
    }
}

/// The PUT answers of online endpoints and deployments as mfe.json 2025-12-01 declares them: a
/// create is 201 with `Azure-AsyncOperation` and `x-ms-async-operation-timeout`; an update is a
/// bare 200 whose body says Updating.
#[tokio::test]
async fn deployment_put_is_201_with_async_headers_then_a_bare_200() {
    let h = Harness::start().await;
    h.endpoint("ep-put", "Disabled", json!({})).await;
    let created = h
        .put(
            &dep_id("ep-put", "blue"),
            ML,
            &deployment_body("Standard_F2s_v2", 1),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert!(created.header("azure-asyncoperation").is_some());
    assert_eq!(
        created.header("x-ms-async-operation-timeout").as_deref(),
        Some("PT1H")
    );
    assert_eq!(h.finish(&created).await.body["status"], "Succeeded");
    let updated = h
        .put(
            &dep_id("ep-put", "blue"),
            ML,
            &deployment_body("Standard_F2s_v2", 2),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{:?}", updated.body);
    for header in [
        "azure-asyncoperation",
        "location",
        "x-ms-async-operation-timeout",
    ] {
        assert!(updated.header(header).is_none(), "{header} on a 200 update");
    }
    assert_eq!(updated.body["properties"]["provisioningState"], "Updating");
    let settled = settle(&h, &updated, &dep_id("ep-put", "blue")).await;
    assert_eq!(settled["properties"]["provisioningState"], "Succeeded");
    assert_eq!(settled["sku"]["capacity"], 2);
}

/// `properties.keys` is create-only and never read back (mfe.json 2025-12-01,
/// EndpointPropertiesBase.keys: x-ms-mutability [create], "always returned as null"): keys given
/// at creation are the endpoint's keys; keys sent with an update change nothing.
#[tokio::test]
async fn endpoint_keys_are_create_only_and_never_read_back() {
    let h = Harness::start().await;
    let mut body = endpoint_body("Disabled", json!({}));
    body["properties"]["keys"] =
        json!({"primaryKey": "first-primary", "secondaryKey": "first-secondary"});
    let r = h.put(&ep_id("keyed-at-birth"), ML, &body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert!(r.body["properties"].get("keys").is_none_or(|k| k.is_null()));
    h.finish(&r).await;
    body["properties"]["keys"] =
        json!({"primaryKey": "second-primary", "secondaryKey": "second-secondary"});
    let r = h.put(&ep_id("keyed-at-birth"), ML, &body).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let got = settle(&h, &r, &ep_id("keyed-at-birth")).await;
    assert!(got["properties"].get("keys").is_none_or(|k| k.is_null()));
    let listed = h
        .post(&format!("{}/listKeys", ep_id("keyed-at-birth")), ML, None)
        .await;
    assert_eq!(listed.body["primaryKey"], "first-primary");
    assert_eq!(listed.body["secondaryKey"], "first-secondary");
}

/// getLogs' `containerType` is the ContainerType enum of mfe.json 2025-12-01:
/// `StorageInitializer` or `InferenceServer` (case-insensitive); anything else is 400.
#[tokio::test]
async fn get_logs_container_type_is_storage_initializer_or_inference_server() {
    let h = Harness::start().await;
    h.endpoint("ep-logs", "Disabled", json!({})).await;
    h.deployment("ep-logs", "blue", 1).await;
    let logs = format!("{}/getLogs", dep_id("ep-logs", "blue"));
    for (container, status) in [
        (json!("StorageInitializer"), StatusCode::OK),
        (json!("inferenceserver"), StatusCode::OK),
        (json!("ModelDataCollector"), StatusCode::BAD_REQUEST),
        (json!("storage-initializer"), StatusCode::BAD_REQUEST),
        (json!(3), StatusCode::BAD_REQUEST),
    ] {
        let r = h
            .post(
                &logs,
                ML,
                Some(&json!({"containerType": container, "tail": 5})),
            )
            .await;
        assert_eq!(r.status, status, "{container}: {:?}", r.body);
        if status == StatusCode::BAD_REQUEST {
            assert_eq!(r.code(), "BadArgument");
            assert_eq!(r.body["error"]["target"], "containerType");
        }
    }
    // no containerType: the inference server's logs
    let r = h.post(&logs, ML, Some(&json!({"tail": 5}))).await;
    assert!(
        r.body["content"]
            .as_str()
            .unwrap()
            .contains("InferenceServer")
    );
}

/// getLogs answers `{"content": …}` (OnlineDeployment/getLogs.json) with the last `tail` lines of
/// the container's output, which a test sets per container through the admin handle.
#[tokio::test]
async fn get_logs_returns_the_last_tail_lines_of_what_a_test_set() {
    let h = Harness::start().await;
    h.endpoint("ep-tail", "Disabled", json!({})).await;
    h.deployment("ep-tail", "blue", 1).await;
    let id = dep_id("ep-tail", "blue");
    let admin = h.emulator.admin();
    admin
        .set_container_logs(&id, "InferenceServer", "one\ntwo\nthree\nfour")
        .unwrap();
    admin
        .set_container_logs(&id, "storageinitializer", "fetching model")
        .unwrap();
    assert!(admin.set_container_logs(&id, "Sidecar", "x").is_err());
    let logs = format!("{id}/getLogs");
    let r = h
        .post(
            &logs,
            ML,
            Some(&json!({"containerType": "InferenceServer", "tail": 2})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["content"], "three\nfour");
    let r = h
        .post(
            &logs,
            ML,
            Some(&json!({"containerType": "StorageInitializer", "tail": 40})),
        )
        .await;
    assert_eq!(r.body["content"], "fetching model");
}

/// More instances than one managed online deployment may have (Learn, how-to-manage-quotas:
/// 50 by default) is accepted, then the operation fails with `OutOfQuota` (Learn,
/// how-to-troubleshoot-online-endpoints: reported in the deployment operation status); the limit
/// is configurable.
#[tokio::test]
async fn instances_above_the_deployment_limit_fail_with_out_of_quota() {
    let h = Harness::start().await;
    h.endpoint("ep-quota", "Disabled", json!({})).await;
    let r = h
        .put(
            &dep_id("ep-quota", "big"),
            ML,
            &deployment_body("Standard_F2s_v2", 51),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let done = h.finish(&r).await;
    assert_eq!(done.body["status"], "Failed");
    assert_eq!(done.body["error"]["code"], "OutOfQuota");
    let dep = h.get(&dep_id("ep-quota", "big"), ML).await.body;
    assert_eq!(dep["properties"]["provisioningState"], "Failed");
    // its endpoint is free again
    let ep = h.get(&ep_id("ep-quota"), ML).await.body;
    assert_eq!(ep["properties"]["provisioningState"], "Succeeded");
    // exactly the limit is fine; scaling past it fails the same way (Location polling)
    h.deployment("ep-quota", "fits", 50).await;
    let scale = h
        .patch(
            &dep_id("ep-quota", "fits"),
            ML,
            &json!({"sku": {"capacity": 60}}),
        )
        .await;
    assert_eq!(scale.status, StatusCode::ACCEPTED);
    let done = h.finish(&scale).await;
    assert_eq!(
        (done.status, done.code()),
        (StatusCode::BAD_REQUEST, "OutOfQuota")
    );
    let skus = h
        .get(&format!("{}/skus", dep_id("ep-quota", "fits")), ML)
        .await;
    assert_eq!(skus.body["value"][0]["capacity"]["maximum"], 50);

    // an endpoint limit increase: 60 instances fit
    let h = Harness::with(EmulatorConfig::default().deployment_instance_quota(60)).await;
    h.endpoint("ep-raised", "Disabled", json!({})).await;
    let dep = h.deployment("ep-raised", "big", 60).await;
    assert_eq!(dep["properties"]["provisioningState"], "Succeeded");
}
