//! Every request is a tracing span with method, resource type, status, duration and request
//! id, and nothing the client logs, at any level, holds the bearer token or a client secret.

#![allow(clippy::unwrap_used)]

mod support;

use arm::models::Workspace;
use arm_emulator::EmulatorConfig;
use std::io::Write;
use std::sync::{Arc, Mutex};
use support::*;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[tokio::test]
async fn requests_are_spans_and_secrets_never_reach_the_logs() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(captured.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let emulator = start(EmulatorConfig::default()).await;
    let client = builder(
        &emulator,
        arm::Credential::client_secret(TENANT, CLIENT, SECRET),
    )
    .build()
    .unwrap();
    let _: Workspace = client.get(&workspace()).await.unwrap();
    let missing = workspace().online_endpoint("ep-none").unwrap();
    let _ = client
        .get_optional::<arm::models::OnlineEndpoint>(&missing)
        .await
        .unwrap();

    let token = emulator.issue_token(CLIENT);
    let logs = captured.text();
    let span_lines: Vec<&str> = logs.lines().filter(|l| l.contains("arm.request")).collect();
    assert!(
        span_lines.iter().any(|l| l.contains("method=GET")
            && l.contains("resource_type=Microsoft.MachineLearningServices/workspaces")
            && l.contains("status=200")
            && l.contains("request_id=")
            && l.contains("duration_ms=")),
        "{logs}"
    );
    assert!(
        span_lines.iter().any(|l| l.contains("status=404")),
        "{logs}"
    );
    assert!(!logs.contains(SECRET), "the client secret reached the logs");
    // Tokens issued by the emulator share a prefix; no part of one may be logged.
    let token_head: String = token.chars().take(24).collect();
    assert!(
        !logs.contains(&token_head),
        "a bearer token reached the logs"
    );
    assert!(
        !logs.to_ascii_lowercase().contains("bearer "),
        "an Authorization header reached the logs"
    );
}
