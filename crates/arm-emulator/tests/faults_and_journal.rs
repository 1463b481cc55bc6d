//! Throttling, fault injection, failed operations, workspace changes, drift, the journal and the
//! HTTP admin API.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use arm_emulator::{BucketLimit, EmulatorConfig, Fault, FaultRule, JournalEntry, ThrottleLimits};
use common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn throttling_per_principal_with_headers() {
    let limits = ThrottleLimits {
        reads: BucketLimit {
            capacity: 3,
            refill_per_second: 0.5,
        },
        ..ThrottleLimits::default()
    };
    let h = Harness::with(EmulatorConfig::default().throttle(limits)).await;
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let r = h.get(&ws_id(), ML).await;
        assert_eq!(r.status, StatusCode::OK);
        remaining.push(
            r.header("x-ms-ratelimit-remaining-subscription-reads")
                .unwrap(),
        );
    }
    assert_eq!(remaining, ["2", "1", "0"]);
    let r = h.get(&ws_id(), ML).await;
    assert_eq!(
        (r.status, r.code()),
        (
            StatusCode::TOO_MANY_REQUESTS,
            "SubscriptionRequestsThrottled"
        )
    );
    assert_eq!(r.header("retry-after").as_deref(), Some("2"));
    // writes and other principals have their own buckets
    let w = h
        .put(
            &ep_id("still-ok"),
            ML,
            &endpoint_body("Disabled", json!({})),
        )
        .await;
    assert_eq!(w.status, StatusCode::CREATED);
    let team = h.emulator.issue_token(TEAM);
    let r = h
        .send_as(
            Some(&team),
            Method::GET,
            &format!("{}?api-version={ML}", ws_id()),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn scripted_faults_and_probability() {
    let h = Harness::start().await;
    let admin = h.emulator.admin();
    admin.add_fault(FaultRule::sequence(
        Some("GET"),
        "*/workspaces/mlw-prod",
        vec![
            Fault::TooManyRequests {
                retry_after_secs: 7,
            },
            Fault::InternalServerError,
            Fault::ServiceUnavailable {
                retry_after_secs: Some(3),
            },
            Fault::Pass,
            Fault::ConnectionReset,
            Fault::Latency { millis: 150 },
        ],
    ));
    let r = h.get(&ws_id(), ML).await;
    assert_eq!(
        (r.status, r.header("retry-after").as_deref()),
        (StatusCode::TOO_MANY_REQUESTS, Some("7"))
    );
    assert_eq!(
        h.get(&ws_id(), ML).await.status,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    let r = h.get(&ws_id(), ML).await;
    assert_eq!(
        (r.status, r.header("retry-after").as_deref()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("3"))
    );
    assert_eq!(h.get(&ws_id(), ML).await.status, StatusCode::OK);
    let reset = h
        .http
        .get(h.url(&format!("{}?api-version={ML}", ws_id())))
        .bearer_auth(&h.token)
        .send()
        .await;
    assert!(reset.is_err(), "the connection should have been reset");
    let started = std::time::Instant::now();
    assert_eq!(h.get(&ws_id(), ML).await.status, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert!(admin.faults().is_empty(), "the sequence is used up");
    admin.add_fault(FaultRule::probability(
        None,
        "*/onlineEndpoints/*",
        1.0,
        Fault::InternalServerError,
    ));
    assert_eq!(
        h.get(&ep_id("any"), ML).await.status,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(h.get(&ws_id(), ML).await.status, StatusCode::OK);
    admin.clear_faults();
    assert_eq!(h.get(&ep_id("any"), ML).await.status, StatusCode::NOT_FOUND);
    let reset_entries = h
        .emulator
        .journal()
        .into_iter()
        .filter(|e| matches!(e, JournalEntry::Request(r) if r.status == 0))
        .count();
    assert_eq!(reset_entries, 1);
}

#[tokio::test]
async fn injected_operation_failures() {
    let h = Harness::start().await;
    h.endpoint("quota", "Disabled", json!({})).await;
    h.emulator
        .admin()
        .fail_next_operation(&dep_id("quota", "blue"), "OutOfQuota", None);
    let r = h
        .put(
            &dep_id("quota", "blue"),
            ML,
            &deployment_body("Standard_F2s_v2", 1),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let done = h.finish(&r).await;
    assert_eq!(done.body["status"], "Failed");
    assert_eq!(done.body["error"]["code"], "OutOfQuota");
    let dep = h.get(&dep_id("quota", "blue"), ML).await.body;
    assert_eq!(dep["properties"]["provisioningState"], "Failed");
    // Location-style failure: a PATCH that fails answers the error on its result URL
    h.emulator
        .admin()
        .fail_next_operation(&ep_id("quota"), "BadArgument", Some("nope"));
    let p = h
        .patch(&ep_id("quota"), ML, &json!({"tags": {"a": "b"}}))
        .await;
    let done = h.finish(&p).await;
    assert_eq!(
        (done.status, done.code()),
        (StatusCode::BAD_REQUEST, "BadArgument")
    );
    // the failed deployment can be retried with a PUT
    let r = h
        .put(
            &dep_id("quota", "blue"),
            ML,
            &deployment_body("Standard_F2s_v2", 1),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    // An update is a bare 200 (mfe.json: no headers on it); its body's state is what is followed.
    assert!(r.header("azure-asyncoperation").is_none());
    assert_eq!(r.body["properties"]["provisioningState"], "Updating");
    let dep = h.get(&dep_id("quota", "blue"), ML).await.body;
    assert_eq!(dep["properties"]["provisioningState"], "Succeeded");
}

#[tokio::test]
async fn workspace_patch_managed_network_and_drift_in_journal() {
    let h = Harness::start().await;
    let r = h.patch(&ws_id(), ML, &json!({"properties": {"publicNetworkAccess": "disabled", "managedNetwork": {"isolationMode": "AllowOnlyApprovedOutbound"}}})).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert!(
        r.header("location")
            .unwrap()
            .contains("workspaceOperationResults")
    );
    let done = h.finish(&r).await;
    assert_eq!(done.status, StatusCode::OK);
    assert_eq!(done.body["properties"]["publicNetworkAccess"], "Disabled");
    assert_eq!(
        done.body["properties"]["managedNetwork"]["status"]["status"],
        "Inactive"
    );
    let r = h
        .post(
            &format!("{}/provisionManagedNetwork", ws_id()),
            ML,
            Some(&json!({"includeSpark": false})),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let done = h.finish(&r).await;
    assert_eq!(done.body["status"], "Active");
    let r = h
        .patch(
            &ws_id(),
            ML,
            &json!({"properties": {"managedNetwork": {"isolationMode": "Disabled"}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    // drift through the HTTP admin API, then the journal shows it
    h.endpoint("drifty", "Disabled", json!({})).await;
    let resp = h
        .http
        .post(h.url("/_emulator/drift"))
        .json(&json!({"action": "setPublicNetworkAccess", "resourceId": ep_id("drifty"), "value": "Enabled"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let ep = h.get(&ep_id("drifty"), ML).await.body;
    assert_eq!(ep["properties"]["publicNetworkAccess"], "Enabled");
    let changes: Vec<_> = h
        .emulator
        .journal()
        .into_iter()
        .filter_map(|e| match e {
            JournalEntry::StateChange(c) if c.resource_id == ep_id("drifty") => Some(c),
            _ => None,
        })
        .collect();
    let drift = changes.last().unwrap();
    assert_eq!(
        (drift.actor.as_str(), drift.change.as_str()),
        ("portal", "drift")
    );
    assert_eq!(drift.public_network_access.as_deref(), Some("Enabled"));
    // the journal over HTTP, as JSON lines
    let text = h
        .http
        .get(h.url("/_emulator/journal?format=jsonl"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.lines().count() >= changes.len());
    assert!(
        text.lines()
            .all(|l| serde_json::from_str::<JournalEntry>(l).is_ok())
    );
    // other admin routes
    let res = h
        .http
        .get(h.url(&format!("/_emulator/resource?id={}", ep_id("drifty"))))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let tok: serde_json::Value = h
        .http
        .post(h.url("/_emulator/token"))
        .json(&json!({"clientId": CONTROLLER}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let r = h
        .send_as(
            tok["accessToken"].as_str(),
            Method::GET,
            &format!("{}?api-version={ML}", ws_id()),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let fault = json!({"method": "GET", "path": "*/workspaces/*", "plan": {"mode": "sequence", "steps": [{"type": "internalServerError"}]}});
    assert_eq!(
        h.http
            .post(h.url("/_emulator/faults"))
            .json(&fault)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        h.get(&ws_id(), ML).await.status,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    let bad = h
        .http
        .post(h.url("/_emulator/drift"))
        .json(&json!({"action": "deletePrivateEndpoint", "resourceId": "/nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn journal_file_and_binary_first_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.jsonl");
    let h = Harness::with(EmulatorConfig::default().journal_path(&path)).await;
    h.get(&ws_id(), ML).await;
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.lines()
            .any(|l| l.contains("\"kind\":\"request\"") && l.contains("mlw-prod"))
    );

    // the binary prints "<base url> <ca path>" first and serves
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_arm-emulator"))
        .args(["--port", "0", "--tls-dir"])
        .arg(dir.path().join("tls"))
        .arg("--time-scale")
        .arg("0")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(stdout));
    let first = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let (url, ca) = first.split_once(' ').unwrap();
    assert!(url.starts_with("https://127.0.0.1:"));
    let pem = std::fs::read(ca).unwrap();
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&pem).unwrap()])
        .build()
        .unwrap();
    let health: serde_json::Value = client
        .get(format!("{url}/_emulator/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    // SIGTERM stops it cleanly
    let pid = child.id().unwrap().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status:?}");
}
