//! The request pipeline's retries against the emulator's injected faults.

#![allow(clippy::unwrap_used)]

mod support;

use arm::models::*;
use arm::{ArmMetrics, ErrorClass, ErrorOrigin};
use arm_emulator::{EmulatorConfig, Fault, FaultRule};
use std::time::{Duration, Instant};
use support::*;

fn workspace_path() -> String {
    workspace().to_string()
}

fn with_metrics(emulator: &arm_emulator::Emulator, retries: usize) -> (arm::ArmClient, ArmMetrics) {
    let metrics = ArmMetrics::unregistered();
    let token = emulator.issue_token(CLIENT);
    let client = builder(emulator, arm::Credential::static_token(token))
        .retry_policy(quick_retries(retries))
        .metrics(metrics.clone())
        .build()
        .unwrap();
    (client, metrics)
}

fn answered(emulator: &arm_emulator::Emulator, path: &str) -> Vec<u16> {
    requests(emulator)
        .into_iter()
        .filter(|(m, p, _)| m == "GET" && p.eq_ignore_ascii_case(path))
        .map(|(_, _, s)| s)
        .collect()
}

#[tokio::test]
async fn a_429_is_retried_after_its_retry_after() {
    let emulator = start(EmulatorConfig::default().fault(FaultRule::sequence(
        Some("GET"),
        &workspace_path(),
        vec![Fault::TooManyRequests {
            retry_after_secs: 1,
        }],
    )))
    .await;
    let (client, metrics) = with_metrics(&emulator, 4);
    let started = Instant::now();
    let ws: Workspace = client.get(&workspace()).await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(ws.name.as_deref(), Some("mlw-test"));
    assert!(
        elapsed >= Duration::from_secs(1),
        "retried after {elapsed:?}, before Retry-After"
    );
    assert_eq!(answered(&emulator, &workspace_path()), [429, 200]);
    assert_eq!(metrics.requests_sent(), 2);
    assert_eq!(metrics.retries(), 1);
}

#[tokio::test]
async fn three_503s_then_success() {
    let emulator = start(EmulatorConfig::default().fault(FaultRule::sequence(
        Some("GET"),
        &workspace_path(),
        vec![
            Fault::ServiceUnavailable {
                retry_after_secs: None,
            },
            Fault::ServiceUnavailable {
                retry_after_secs: None,
            },
            Fault::ServiceUnavailable {
                retry_after_secs: None,
            },
        ],
    )))
    .await;
    let (client, metrics) = with_metrics(&emulator, 4);
    let ws: Workspace = client.get(&workspace()).await.unwrap();
    assert_eq!(
        ws.properties.public_network_access,
        Some(PublicNetworkAccess::Enabled)
    );
    assert_eq!(answered(&emulator, &workspace_path()), [503, 503, 503, 200]);
    assert_eq!(metrics.retries(), 3);
}

#[tokio::test]
async fn an_exhausted_retry_budget_is_a_transient_error() {
    let emulator = start(EmulatorConfig::default().fault(FaultRule::probability(
        Some("GET"),
        &workspace_path(),
        1.0,
        Fault::ServiceUnavailable {
            retry_after_secs: None,
        },
    )))
    .await;
    let (client, metrics) = with_metrics(&emulator, 3);
    let err = client.get::<Workspace>(&workspace()).await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(err.code(), "ServiceUnavailable");
    assert_eq!(err.class(), ErrorClass::Transient);
    assert_eq!(
        answered(&emulator, &workspace_path()).len(),
        4,
        "one try and three retries"
    );
    assert_eq!(metrics.requests_sent(), 4);
}

#[tokio::test]
async fn a_dropped_connection_is_retried_for_a_read() {
    let emulator = start(EmulatorConfig::default().fault(FaultRule::sequence(
        Some("GET"),
        &workspace_path(),
        vec![Fault::ConnectionReset, Fault::InternalServerError],
    )))
    .await;
    let (client, metrics) = with_metrics(&emulator, 4);
    let ws: Workspace = client.get(&workspace()).await.unwrap();
    assert_eq!(ws.name.as_deref(), Some("mlw-test"));
    assert_eq!(metrics.retries(), 2);
}

#[tokio::test]
async fn a_non_idempotent_post_is_not_retried_on_5xx() {
    let ws = workspace();
    let emulator = start(EmulatorConfig::default().fault(FaultRule::sequence(
        Some("POST"),
        &format!("{ws}/provisionManagedNetwork"),
        vec![Fault::ServiceUnavailable {
            retry_after_secs: None,
        }],
    )))
    .await;
    let (client, metrics) = with_metrics(&emulator, 4);
    let err = client
        .begin_post::<_, ManagedNetworkProvisionStatus>(
            &ws,
            "provisionManagedNetwork",
            Some(&ManagedNetworkProvisionOptions::default()),
        )
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(err.class(), ErrorClass::Transient);
    assert_eq!(metrics.requests_sent(), 1);
    assert_eq!(metrics.retries(), 0);
}

#[tokio::test]
async fn a_retry_after_longer_than_the_caller_allows_goes_back_to_the_caller() {
    let emulator = start(EmulatorConfig::default().fault(FaultRule::sequence(
        Some("GET"),
        &workspace_path(),
        vec![Fault::TooManyRequests {
            retry_after_secs: 120,
        }],
    )))
    .await;
    let (client, _) = with_metrics(&emulator, 4);
    let err = client.get::<Workspace>(&workspace()).await.unwrap_err();
    assert_eq!(
        err.class(),
        ErrorClass::Throttled {
            retry_after: Duration::from_secs(120)
        }
    );
    assert_eq!(answered(&emulator, &workspace_path()), [429]);
}

#[tokio::test]
async fn under_a_20_percent_503_rate_every_read_succeeds_with_bounded_overhead() {
    let emulator = start(EmulatorConfig::default().fault(FaultRule::probability(
        Some("GET"),
        &workspace_path(),
        0.2,
        Fault::ServiceUnavailable {
            retry_after_secs: None,
        },
    )))
    .await;
    let (client, metrics) = with_metrics(&emulator, 8);
    let needed = 300;
    for _ in 0..needed {
        client.get::<Workspace>(&workspace()).await.unwrap();
    }
    let sent = metrics.requests_sent();
    let ratio = sent as f64 / needed as f64;
    // The expected ratio is 1 / 0.8 = 1.25; these bounds are over 4 standard deviations away.
    assert!(
        (1.1..1.45).contains(&ratio),
        "sent {sent} for {needed}: {ratio}"
    );
    assert_eq!(answered(&emulator, &workspace_path()).len() as u64, sent);
}

#[tokio::test]
async fn an_unreachable_endpoint_is_a_transient_transport_error() {
    // Bind and drop a listener to find a port nobody serves.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cloud = arm::Cloud::custom(
        &format!("https://127.0.0.1:{port}"),
        &format!("https://127.0.0.1:{port}"),
    )
    .unwrap();
    let client = arm::ArmClient::builder(cloud, arm::Credential::static_token("t"))
        .retry_policy(quick_retries(2))
        .pacer(std::sync::Arc::new(arm::Pacer::new(
            arm::PacerConfig::default(),
        )))
        .build()
        .unwrap();
    let err = client.get::<Workspace>(&workspace()).await.unwrap_err();
    assert_eq!(err.origin, ErrorOrigin::Transport);
    assert_eq!(err.class(), ErrorClass::Transient);
}

#[tokio::test]
async fn metrics_count_attempts_by_resource_type_verb_and_status_class() {
    let emulator = start(EmulatorConfig::default().fault(FaultRule::sequence(
        Some("GET"),
        &workspace_path(),
        vec![Fault::ServiceUnavailable {
            retry_after_secs: None,
        }],
    )))
    .await;
    let mut registry = prometheus_client::registry::Registry::default();
    let metrics = ArmMetrics::register(&mut registry);
    let token = emulator.issue_token(CLIENT);
    let client = builder(&emulator, arm::Credential::static_token(token))
        .metrics(metrics)
        .build()
        .unwrap();
    client.get::<Workspace>(&workspace()).await.unwrap();
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
    let series = |status_class: &str| {
        format!(
            "arm_requests_total{{resource_type=\"Microsoft.MachineLearningServices/workspaces\",verb=\"GET\",status_class=\"{status_class}\"}} 1"
        )
    };
    assert!(text.contains(&series("5xx")), "{text}");
    assert!(text.contains(&series("2xx")), "{text}");
    assert!(
        text.contains("arm_retries_total{resource_type=\"Microsoft.MachineLearningServices/workspaces\",verb=\"GET\",reason=\"Transient\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("arm_request_duration_seconds_bucket{"),
        "{text}"
    );
}
