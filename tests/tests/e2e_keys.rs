//! End-to-end, day 2 (issue 17 part 3): zero-downtime key rotation and the AMLToken Secret.
//!
//! - A rotation asked for with `aml-operator.io/rotate-keys`, with a short grace and a controller
//!   restart in the middle: the ARM journal's `regenerateKeys` requests (keyType, time) checked
//!   against every version of the keys Secret a watch saw prove that the key the Secret named
//!   active was never regenerated while (or after) it was named active with its old value.
//! - An `AMLToken` endpoint: the Secret holds a token from the endpoint's `token` action and is
//!   refreshed at `refreshAfterTimeUtc`; `spec.keys.rotateEvery` is refused with a message.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aml_operator_tests::e2e::{Env, EnvOptions, arm_config};
use futures::StreamExt;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Patch, PatchParams};
use kube::runtime::{WatchStreamExt, watcher};
use serde_json::{Value, json};

const MINUTE: Duration = Duration::from_secs(60);

fn options(arm: arm_emulator::EmulatorConfig) -> EnvOptions {
    EnvOptions {
        arm,
        sync_interval: MINUTE,
        leader_election: false,
        operator_args: Vec::new(),
    }
}

fn workspace() -> Value {
    json!({
        "apiVersion": "aml-operator.io/v1alpha1", "kind": "Workspace",
        "metadata": {"name": "housing"},
        "spec": {"resourceId": aml_operator_tests::e2e::WORKSPACE_ID}
    })
}

fn endpoint(auth: &str, secret: &str, keys: Value) -> Value {
    json!({
        "apiVersion": "aml-operator.io/v1alpha1", "kind": "OnlineEndpoint",
        "metadata": {"name": "scoring"},
        "spec": {"workspaceRef": {"name": "housing"}, "authMode": auth,
                 "keysSecret": {"name": secret}, "keys": keys}
    })
}

/// One version of the keys Secret, as the watch saw it.
#[derive(Clone, Debug)]
struct Version {
    seen: Timestamp,
    active: String,
    primary: String,
    secondary: String,
    key: String,
}

impl Version {
    fn value(&self, slot: &str) -> &str {
        if slot.eq_ignore_ascii_case("primary") {
            &self.primary
        } else {
            &self.secondary
        }
    }
}

fn text(secret: &Secret, key: &str) -> String {
    secret
        .data
        .as_ref()
        .and_then(|d| d.get(key))
        .map(|b| String::from_utf8_lossy(&b.0).into_owned())
        .unwrap_or_default()
}

/// Records every version of Secret `name` the watch delivers, with the time it arrived.
fn record_secret(env: &Env, name: &str) -> (Arc<Mutex<Vec<Version>>>, tokio::task::JoinHandle<()>) {
    let history = Arc::new(Mutex::new(Vec::new()));
    let api = env.api::<Secret>();
    let name = name.to_owned();
    let sink = history.clone();
    let task = tokio::spawn(async move {
        let mut last_rv = None;
        let mut stream = watcher(api, watcher::Config::default())
            .applied_objects()
            .boxed();
        while let Some(item) = stream.next().await {
            let Ok(secret) = item else { continue };
            if secret.metadata.name.as_deref() != Some(name.as_str()) {
                continue;
            }
            // A relist delivers the same version again.
            if secret.metadata.resource_version == last_rv {
                continue;
            }
            last_rv.clone_from(&secret.metadata.resource_version);
            let v = Version {
                seen: Timestamp::now(),
                active: text(&secret, "activeKey"),
                primary: text(&secret, "primaryKey"),
                secondary: text(&secret, "secondaryKey"),
                key: text(&secret, "key"),
            };
            if let Ok(mut h) = sink.lock() {
                h.push(v);
            }
        }
    });
    (history, task)
}

async fn rotation(env: &Env) -> anyhow::Result<Value> {
    Ok(env
        .get_json("OnlineEndpoint", "scoring")
        .await?
        .and_then(|o| o.pointer("/status/keyRotation").cloned())
        .unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_never_leaves_a_regenerated_key_named_active() -> anyhow::Result<()> {
    const GRACE: Duration = Duration::from_secs(4);
    let mut env = Env::start(
        "keys-rotation",
        options(arm_config(Duration::from_millis(300))?),
    )
    .await?;
    env.apply(workspace()).await?;
    env.apply(endpoint(
        "Key",
        "scoring-keys",
        json!({"rotationGrace": format!("{}s", GRACE.as_secs())}),
    ))
    .await?;
    env.wait_ready("OnlineEndpoint", "scoring", MINUTE).await?;
    let secrets = env.api::<Secret>();
    let initial = env
        .wait("the keys Secret", MINUTE, || async {
            Ok(secrets
                .get_opt("scoring-keys")
                .await?
                .filter(|s| text(s, "activeKey") == "primary"))
        })
        .await?;
    let (history, watch) = record_secret(&env, "scoring-keys");
    env.wait("the watch to see the Secret", MINUTE, || async {
        Ok(history
            .lock()
            .map(|h| !h.is_empty())
            .unwrap_or(false)
            .then_some(()))
    })
    .await?;

    // Rotate now.
    env.api::<api::OnlineEndpoint>()
        .patch(
            "scoring",
            &PatchParams::default(),
            &Patch::Merge(
                json!({"metadata": {"annotations": {api::ROTATE_KEYS_ANNOTATION: "r1"}}}),
            ),
        )
        .await?;

    // In the grace (the Secret names the new key active), the controller restarts: the
    // rotation resumes from status.
    env.wait("the rotation's grace", MINUTE, || async {
        Ok((rotation(&env).await?["phase"] == "Grace").then_some(()))
    })
    .await?;
    env.kill_operator().await?;
    env.start_operator().await?;

    let done = env
        .wait("the rotation to complete", MINUTE, || async {
            let r = rotation(&env).await?;
            Ok((r["phase"] == "Idle"
                && r["servedRequest"] == "r1"
                && r.get("lastRotationTime").is_some())
            .then_some(r))
        })
        .await?;
    assert_eq!(done["activeKey"], "secondary", "{done}");

    // Served once: nothing more is regenerated while the annotation stays.
    tokio::time::sleep(Duration::from_secs(3)).await;
    watch.abort();
    let regenerations: Vec<(String, Timestamp)> = env
        .controller_requests("POST", "/onlineEndpoints/scoring/regenerateKeys")
        .into_iter()
        .map(|r| {
            let key_type = r
                .body
                .as_ref()
                .and_then(|b| b["keyType"].as_str())
                .unwrap_or_default()
                .to_owned();
            let at: Timestamp = r.time.parse().expect("journal time is RFC 3339");
            (key_type, at)
        })
        .collect();
    let types: Vec<&str> = regenerations.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        types,
        ["Secondary", "Primary"],
        "the inactive key first, the previous one after the grace"
    );
    let between = Duration::try_from(regenerations[1].1.duration_since(regenerations[0].1))?;
    assert!(
        between >= GRACE,
        "the previous key was regenerated {between:?} after the first, within the grace of {GRACE:?}"
    );

    // The journal against the Secret's history.
    let history = history.lock().map(|h| h.clone()).unwrap_or_default();
    assert!(
        history.len() >= 3,
        "publish, switch, final publish: {history:#?}"
    );
    for (key_type, at) in &regenerations {
        let slot = key_type.to_ascii_lowercase();
        let before = history
            .iter()
            .rev()
            .find(|v| v.seen <= *at)
            .unwrap_or_else(|| panic!("no Secret version before the regeneration at {at}"));
        assert_ne!(
            before.active, slot,
            "at {at} the {slot} key was regenerated while the Secret named it active"
        );
        let revoked = before.value(&slot).to_owned();
        assert!(!revoked.is_empty(), "the Secret held the {slot} key");
        for v in history.iter().filter(|v| v.seen > *at) {
            assert!(
                !(v.active == slot && v.value(&slot) == revoked),
                "the Secret named the {slot} key active with its revoked value at {}",
                v.seen
            );
        }
    }
    // Every version's `key` is the value of the key it names active.
    for v in &history {
        assert_eq!(
            v.key,
            v.value(&v.active),
            "key holds the active key's value"
        );
    }
    // Both keys were replaced; the Secret names the new secondary key active.
    let last = history.last().expect("a version");
    assert_eq!(last.active, "secondary");
    assert_ne!(last.primary, text(&initial, "primaryKey"));
    assert_ne!(last.secondary, text(&initial, "secondaryKey"));

    let reasons: Vec<String> = env
        .events("scoring")
        .await?
        .into_iter()
        .map(|(r, _)| r)
        .collect();
    for step in [
        "KeyRotationStarted",
        "ActiveKeySwitched",
        "RegeneratingPreviousKey",
        "KeyRotationCompleted",
    ] {
        assert!(
            reasons.iter().any(|r| r == step),
            "no {step} Event: {reasons:?}"
        );
    }
    assert_eq!(
        reasons
            .iter()
            .filter(|r| *r == "KeyRotationStarted")
            .count(),
        1,
        "one rotation for one annotation value: {reasons:?}"
    );
    env.finish().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aml_token_secret_is_refreshed_at_refresh_after() -> anyhow::Result<()> {
    // Tokens live 40 s here (refresh after 20 s); the controller refreshes no sooner than 15 s.
    let arm =
        arm_config(Duration::from_millis(200))?.endpoint_token_lifetime(Duration::from_secs(40));
    let env = Env::start("keys-token", options(arm)).await?;
    env.apply(workspace()).await?;
    env.apply(endpoint(
        "AMLToken",
        "scoring-token",
        json!({"rotateEvery": "720h"}),
    ))
    .await?;
    env.wait_ready("OnlineEndpoint", "scoring", MINUTE).await?;
    let secrets = env.api::<Secret>();
    let first = env
        .wait("the token Secret", MINUTE, || async {
            Ok(secrets
                .get_opt("scoring-token")
                .await?
                .filter(|s| !text(s, "accessToken").is_empty()))
        })
        .await?;
    let refresh_after: Timestamp = text(&first, "refreshAfterTimeUtc").parse()?;
    let expires: Timestamp = text(&first, "expiryTimeUtc").parse()?;
    assert_eq!(text(&first, "tokenType"), "Bearer");
    assert!(!text(&first, "scoringUri").is_empty());
    assert!(
        text(&first, "primaryKey").is_empty(),
        "no keys for AMLToken"
    );

    // Rotation does not apply, and status says why.
    let r = rotation(&env).await?;
    assert_eq!(r["phase"], "NotApplicable", "{r}");
    let message = r["message"].as_str().unwrap_or_default();
    assert!(message.contains("authMode Key only"), "{message}");

    let second = env
        .wait("a refreshed token", MINUTE, || async {
            Ok(secrets
                .get_opt("scoring-token")
                .await?
                .filter(|s| text(s, "accessToken") != text(&first, "accessToken")))
        })
        .await?;
    let replaced_at = Timestamp::now();
    assert!(
        replaced_at < expires,
        "refreshed at {replaced_at}, after the token expired at {expires}"
    );
    assert!(text(&second, "refreshAfterTimeUtc").parse::<Timestamp>()? > refresh_after);

    let tokens: Vec<Timestamp> = env
        .controller_requests("POST", "/onlineEndpoints/scoring/token")
        .into_iter()
        .map(|r| r.time.parse().expect("journal time is RFC 3339"))
        .collect();
    assert!(tokens.len() >= 2, "{tokens:?}");

    // Not before Azure's refreshAfterTimeUtc (whole seconds, hence the second of slack).
    assert!(
        tokens[1] >= refresh_after - Duration::from_secs(1),
        "refreshed at {} before refreshAfterTimeUtc {refresh_after}",
        tokens[1]
    );
    // ...and at it: the refresh is scheduled for that time, not left to the sync interval.
    assert!(
        tokens[1] <= refresh_after + Duration::from_secs(5),
        "refreshed at {}, long after refreshAfterTimeUtc {refresh_after}",
        tokens[1]
    );
    assert!(
        env.controller_requests("POST", "/listKeys").is_empty()
            && env
                .controller_requests("POST", "/regenerateKeys")
                .is_empty(),
        "no key calls for an AMLToken endpoint"
    );
    let warnings = env
        .events("scoring")
        .await?
        .into_iter()
        .filter(|(r, _)| r == "KeyRotationNotApplicable")
        .count();
    assert_eq!(warnings, 1, "said once");
    env.finish().await
}
