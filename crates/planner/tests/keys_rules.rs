//! Key rotation and the token Secret (`planner::keys`, issue 17 part 3) as tables: each step of
//! the dual-key rotation, resuming after a restart or a lost status write, the grace, the
//! annotation served once per value, AMLToken/AADToken endpoints, and a model run that checks
//! after every step that the key the Secret names active was never regenerated after it was
//! published.

mod builders;
mod fixtures;

use std::time::Duration;

use api::conditions::{ConditionType, find_condition};
use api::{AuthMode, KeyRotationStatus, OperationStatus};
use builders::*;
use fixtures::*;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use planner::keys::{KeySlot, KeysConfig, KeysInput, KeysPlan, phase, plan_keys, token_refresh_at};
use planner::{Action, KeysState, OperationOutcome, Requeue};

const GRACE: Duration = Duration::from_secs(600);
const DAY: Duration = Duration::from_secs(24 * 3600);

fn config(every: Option<Duration>) -> KeysConfig {
    KeysConfig {
        rotate_every: every,
        grace: GRACE,
    }
}

/// A Key endpoint with a Secret naming `active`, synced at `now()`.
fn input<'a>(active: KeySlot, rotation: Option<&'a KeyRotationStatus>) -> KeysInput<'a> {
    KeysInput {
        auth_mode: AuthMode::Key,
        has_secret: true,
        config: config(None),
        secret: KeysState::Keys {
            synced_at: now(),
            active,
        },
        rotation,
        request: None,
        regenerate_finished: false,
        tree_busy: None,
        keys_refresh: planner::KEYS_REFRESH,
        secret_name: "scoring-keys",
        now: now(),
    }
}

fn rotation(p: &str, active: KeySlot, regenerating: Option<KeySlot>) -> KeyRotationStatus {
    KeyRotationStatus {
        phase: p.to_owned(),
        active_key: Some(active.as_str().to_owned()),
        regenerating: regenerating.map(|k| k.as_str().to_owned()),
        started_at: Some(Time(now())),
        ..KeyRotationStatus::default()
    }
}

fn reasons(p: &KeysPlan) -> Vec<&'static str> {
    p.events.iter().map(|e| e.reason).collect()
}

fn phase_of(p: &KeysPlan) -> &str {
    p.rotation.as_ref().map_or("", |r| r.phase.as_str())
}

#[test]
fn an_annotation_value_starts_one_rotation_regenerating_the_inactive_key() {
    let mut i = input(KeySlot::Primary, None);
    i.request = Some("r1");
    let p = plan_keys(&i);
    assert_eq!(p.action, Action::RegenerateKey(KeySlot::Secondary));
    let r = p.rotation.clone().expect("rotation status");
    assert_eq!(r.phase, phase::REGENERATING_INACTIVE);
    assert_eq!(r.active_key.as_deref(), Some("primary"));
    assert_eq!(r.regenerating.as_deref(), Some("secondary"));
    assert_eq!(r.served_request.as_deref(), Some("r1"));
    assert_eq!(reasons(&p), ["KeyRotationStarted"]);

    // With the secondary key active, the primary one is regenerated first.
    let mut i = input(KeySlot::Secondary, None);
    i.request = Some("r1");
    assert_eq!(
        plan_keys(&i).action,
        Action::RegenerateKey(KeySlot::Primary)
    );

    // The same value once served does nothing more; a new value rotates again.
    let served = KeyRotationStatus {
        phase: phase::IDLE.into(),
        active_key: Some("secondary".into()),
        served_request: Some("r1".into()),
        last_rotation_time: Some(Time(now())),
        ..KeyRotationStatus::default()
    };
    let mut i = input(KeySlot::Secondary, Some(&served));
    i.request = Some("r1");
    let p = plan_keys(&i);
    assert_eq!(p.action, Action::None);
    assert_eq!(phase_of(&p), phase::IDLE);
    assert!(p.events.is_empty());
    i.request = Some("r2");
    assert_eq!(
        plan_keys(&i).action,
        Action::RegenerateKey(KeySlot::Primary)
    );
    // An empty value asks for nothing.
    i.request = Some("  ");
    assert_eq!(plan_keys(&i).action, Action::None);
}

#[test]
fn rotate_every_schedules_from_the_last_rotation_not_at_once() {
    let mut i = input(KeySlot::Primary, None);
    i.config = config(Some(30 * DAY));
    let p = plan_keys(&i);
    assert_eq!(
        p.action,
        Action::None,
        "configuring rotation does not rotate"
    );
    let r = p.rotation.expect("rotation status");
    assert_eq!(r.phase, phase::IDLE);
    assert_eq!(
        r.next_rotation_time.map(|t| t.0),
        Some(now() + 30 * DAY),
        "first rotation one period after it was configured"
    );

    // Due: one period after the last rotation.
    let last = KeyRotationStatus {
        phase: phase::IDLE.into(),
        active_key: Some("primary".into()),
        last_rotation_time: Some(Time(now() - 30 * DAY)),
        ..KeyRotationStatus::default()
    };
    let i = KeysInput {
        rotation: Some(&last),
        ..i.clone()
    };
    let p = plan_keys(&i);
    assert_eq!(p.action, Action::RegenerateKey(KeySlot::Secondary));
    assert!(
        p.events[0].note.contains("spec.keys.rotateEvery"),
        "{:?}",
        p.events
    );

    // Not yet due: wakes when it is (or rides on the sync), publishes nothing.
    let recent = KeyRotationStatus {
        last_rotation_time: Some(Time(now() - 29 * DAY)),
        ..last.clone()
    };
    let p = plan_keys(&KeysInput {
        rotation: Some(&recent),
        ..i.clone()
    });
    assert_eq!(p.action, Action::None);
    assert_eq!(p.wake, Some(DAY));

    // A shorter period applies at once to a schedule recorded under a longer one.
    let scheduled = KeyRotationStatus {
        phase: phase::IDLE.into(),
        next_rotation_time: Some(Time(now() + 300 * DAY)),
        ..KeyRotationStatus::default()
    };
    let p = plan_keys(&KeysInput {
        rotation: Some(&scheduled),
        ..i
    });
    assert_eq!(
        p.rotation.and_then(|r| r.next_rotation_time).map(|t| t.0),
        Some(now() + 30 * DAY)
    );
}

#[test]
fn a_finished_regeneration_is_published_as_active_and_the_grace_starts() {
    let r = rotation(
        phase::REGENERATING_INACTIVE,
        KeySlot::Primary,
        Some(KeySlot::Secondary),
    );
    // The operation recorded in status finished in this reconcile.
    let mut i = input(KeySlot::Primary, Some(&r));
    i.regenerate_finished = true;
    let p = plan_keys(&i);
    assert_eq!(p.action, Action::SyncKeys);
    let next = p.rotation.clone().expect("rotation");
    assert_eq!(next.phase, phase::GRACE);
    assert_eq!(
        next.active_key.as_deref(),
        Some("secondary"),
        "publish names it active"
    );
    assert_eq!(next.grace_until.map(|t| t.0), Some(now() + GRACE));
    assert_eq!(p.wake, Some(GRACE));
    assert_eq!(reasons(&p), ["ActiveKeySwitched"]);

    // Azure answered at once (no operation): the controller recorded `regenerated`.
    let done = KeyRotationStatus {
        regenerated: true,
        ..r.clone()
    };
    assert_eq!(
        plan_keys(&input(KeySlot::Primary, Some(&done))).action,
        Action::SyncKeys
    );
}

#[test]
fn a_regeneration_whose_end_was_not_seen_is_sent_again_never_for_the_active_key() {
    // Restarted (or the operation was lost or failed): regenerate the inactive key again.
    let r = rotation(
        phase::REGENERATING_INACTIVE,
        KeySlot::Primary,
        Some(KeySlot::Secondary),
    );
    let p = plan_keys(&input(KeySlot::Primary, Some(&r)));
    assert_eq!(p.action, Action::RegenerateKey(KeySlot::Secondary));
    assert_eq!(phase_of(&p), phase::REGENERATING_INACTIVE);

    // The Secret already names the regenerated key active (the status write after the publish
    // was lost): nothing is regenerated, the grace starts now.
    let p = plan_keys(&input(KeySlot::Secondary, Some(&r)));
    assert_eq!(p.action, Action::None);
    let next = p.rotation.expect("rotation");
    assert_eq!(next.phase, phase::GRACE);
    assert_eq!(next.active_key.as_deref(), Some("secondary"));
    assert_eq!(next.grace_until.map(|t| t.0), Some(now() + GRACE));

    // A tree busy with another write waits.
    let mut i = input(KeySlot::Primary, Some(&r));
    i.tree_busy = Some("deployment blue");
    let p = plan_keys(&i);
    assert_eq!(p.action, Action::None);
    assert_eq!(p.wake, Some(planner::WAIT_POLL));
}

#[test]
fn the_previous_key_is_regenerated_only_after_the_grace() {
    let mut r = rotation(phase::GRACE, KeySlot::Secondary, None);
    r.grace_until = Some(Time(now() + Duration::from_secs(120)));
    let p = plan_keys(&input(KeySlot::Secondary, Some(&r)));
    assert_eq!(p.action, Action::None, "still in the grace");
    assert_eq!(p.wake, Some(Duration::from_secs(120)));
    assert_eq!(phase_of(&p), phase::GRACE);

    r.grace_until = Some(Time(now() - Duration::from_secs(1)));
    let p = plan_keys(&input(KeySlot::Secondary, Some(&r)));
    assert_eq!(p.action, Action::RegenerateKey(KeySlot::Primary));
    let next = p.rotation.clone().expect("rotation");
    assert_eq!(next.phase, phase::REGENERATING_PREVIOUS);
    assert_eq!(next.regenerating.as_deref(), Some("primary"));
    assert_eq!(reasons(&p), ["RegeneratingPreviousKey"]);

    // The grace is measured from the publish; a restart in the middle keeps its end.
    r.grace_until = Some(Time(now() + Duration::from_secs(1)));
    assert_eq!(
        plan_keys(&input(KeySlot::Secondary, Some(&r))).action,
        Action::None
    );
}

#[test]
fn a_secret_not_naming_the_new_key_is_published_again_and_the_grace_restarts() {
    // Grace over, but the Secret names the previous key active (the publish failed, or someone
    // restored an old Secret): the previous key is not regenerated.
    for p_name in [phase::GRACE, phase::REGENERATING_PREVIOUS] {
        let mut r = rotation(p_name, KeySlot::Secondary, Some(KeySlot::Primary));
        r.grace_until = Some(Time(now() - DAY));
        r.regenerated = true;
        let p = plan_keys(&input(KeySlot::Primary, Some(&r)));
        assert_eq!(p.action, Action::SyncKeys, "{p_name}");
        let next = p.rotation.clone().expect("rotation");
        assert_eq!(next.phase, phase::GRACE, "{p_name}");
        assert_eq!(next.active_key.as_deref(), Some("secondary"));
        assert_eq!(next.grace_until.map(|t| t.0), Some(now() + GRACE));
        assert_eq!(reasons(&p), ["ActiveKeySwitched"]);
    }
}

#[test]
fn the_rotation_completes_once_the_previous_key_is_regenerated_and_published() {
    let r = rotation(
        phase::REGENERATING_PREVIOUS,
        KeySlot::Secondary,
        Some(KeySlot::Primary),
    );
    // Not seen finished: sent again (it is not the active key).
    assert_eq!(
        plan_keys(&input(KeySlot::Secondary, Some(&r))).action,
        Action::RegenerateKey(KeySlot::Primary)
    );
    let mut i = input(KeySlot::Secondary, Some(&r));
    i.regenerate_finished = true;
    i.config = config(Some(7 * DAY));
    let p = plan_keys(&i);
    assert_eq!(p.action, Action::SyncKeys);
    let next = p.rotation.clone().expect("rotation");
    assert_eq!(next.phase, phase::IDLE);
    assert_eq!(next.active_key.as_deref(), Some("secondary"), "stays");
    assert_eq!(next.last_rotation_time.as_ref().map(|t| t.0), Some(now()));
    assert_eq!(
        next.next_rotation_time.as_ref().map(|t| t.0),
        Some(now() + 7 * DAY)
    );
    assert_eq!(next.regenerating, None);
    assert_eq!(reasons(&p), ["KeyRotationCompleted"]);

    // The publish that ended the rotation failed: the Secret predates it and is written again.
    let mut i = input(KeySlot::Secondary, Some(&next));
    i.secret = KeysState::Keys {
        synced_at: now() - Duration::from_secs(1),
        active: KeySlot::Secondary,
    };
    i.config = config(Some(7 * DAY));
    let p = plan_keys(&i);
    assert_eq!(p.action, Action::SyncKeys);
    assert_eq!(phase_of(&p), phase::IDLE);
}

#[test]
fn a_missing_secret_mid_rotation_is_written_with_the_rotations_active_key() {
    let r = rotation(phase::GRACE, KeySlot::Secondary, None);
    let mut i = input(KeySlot::Primary, Some(&r));
    i.secret = KeysState::Missing;
    let p = plan_keys(&i);
    assert_eq!(p.action, Action::SyncKeys);
    let next = p.rotation.expect("rotation");
    assert_eq!(next.active_key.as_deref(), Some("secondary"));
    assert_eq!(next.phase, phase::GRACE);
}

#[test]
fn token_endpoints_skip_rotation_with_a_message_and_refresh_their_token() {
    let mut i = input(KeySlot::Primary, None);
    i.auth_mode = AuthMode::AMLToken;
    i.config = config(Some(30 * DAY));
    i.request = Some("now");
    i.secret = KeysState::Missing;
    let p = plan_keys(&i);
    assert_eq!(p.action, Action::SyncToken, "the token is written instead");
    let r = p.rotation.clone().expect("rotation status says why");
    assert_eq!(r.phase, phase::NOT_APPLICABLE);
    let message = r.message.clone().unwrap_or_default();
    assert!(message.contains("authMode Key only"), "{message}");
    assert!(message.contains("AMLToken"), "{message}");
    assert_eq!(reasons(&p), ["KeyRotationNotApplicable"]);

    // Said once: the next reconcile emits no Event again.
    let i2 = KeysInput {
        rotation: Some(&r),
        ..i.clone()
    };
    assert!(plan_keys(&i2).events.is_empty());

    // AADToken: no Secret content, and the same message.
    let mut aad = i.clone();
    aad.auth_mode = AuthMode::AADToken;
    aad.secret = KeysState::NotWanted;
    let p = plan_keys(&aad);
    assert_eq!(p.action, Action::None);
    assert_eq!(phase_of(&p), phase::NOT_APPLICABLE);

    // Key auth without a Secret: no rotation either (clients would hold a regenerated key).
    let mut nosecret = input(KeySlot::Primary, None);
    nosecret.has_secret = false;
    nosecret.request = Some("r1");
    nosecret.secret = KeysState::NotWanted;
    let p = plan_keys(&nosecret);
    assert_eq!(p.action, Action::None);
    assert!(
        p.rotation
            .and_then(|r| r.message)
            .is_some_and(|m| m.contains("spec.keysSecret"))
    );

    // No rotation asked: no status, no Event.
    let mut plain = input(KeySlot::Primary, None);
    plain.auth_mode = AuthMode::AMLToken;
    plain.secret = KeysState::Missing;
    let p = plan_keys(&plain);
    assert_eq!(p.action, Action::SyncToken);
    assert_eq!(p.rotation, None);
    assert!(p.events.is_empty());
}

#[test]
fn a_token_is_refreshed_at_refresh_after_within_bounds() {
    let t0 = now();
    let secs = Duration::from_secs;
    // Azure's refreshAfterTimeUtc, when it is sensible.
    assert_eq!(
        token_refresh_at(t0, Some(t0 + secs(1800)), Some(t0 + secs(3600))),
        t0 + secs(1800)
    );
    // Never later than a minute before expiry.
    assert_eq!(
        token_refresh_at(t0, Some(t0 + secs(3590)), Some(t0 + secs(3600))),
        t0 + secs(3540)
    );
    // A short-lived token: a quarter of its lifetime before expiry.
    assert_eq!(
        token_refresh_at(t0, Some(t0 + secs(39)), Some(t0 + secs(40))),
        t0 + secs(30)
    );
    assert_eq!(
        token_refresh_at(t0, Some(t0 + secs(20)), Some(t0 + secs(40))),
        t0 + secs(20)
    );
    // A refresh time in the past is held to 15 s after fetching (no hot loop).
    assert_eq!(
        token_refresh_at(t0, Some(t0 - secs(100)), None),
        t0 + secs(15)
    );
    // Absurdly far: held to 24 h.
    assert_eq!(token_refresh_at(t0, Some(t0 + 400 * DAY), None), t0 + DAY);
    // Without refreshAfter: half way to expiry; without either: 15 minutes.
    assert_eq!(
        token_refresh_at(t0, None, Some(t0 + secs(3600))),
        t0 + secs(1800)
    );
    assert_eq!(token_refresh_at(t0, None, None), t0 + secs(900));

    let mut i = input(KeySlot::Primary, None);
    i.auth_mode = AuthMode::AMLToken;
    i.secret = KeysState::Token {
        synced_at: now() - secs(100),
        refresh_after: Some(now() + secs(20)),
        expires: Some(now() + secs(3000)),
    };
    let p = plan_keys(&i);
    assert_eq!(p.action, Action::None);
    assert_eq!(p.wake, Some(secs(20)));
    i.secret = KeysState::Token {
        synced_at: now() - secs(100),
        refresh_after: Some(now()),
        expires: Some(now() + secs(3000)),
    };
    assert_eq!(plan_keys(&i).action, Action::SyncToken);
}

#[test]
fn durations_are_checked_naming_the_field() {
    use planner::keys::{keys_config, parse_duration};
    assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
    assert_eq!(parse_duration("30d"), Some(30 * DAY));
    assert_eq!(parse_duration("45s"), Some(Duration::from_secs(45)));
    for bad in ["", "h", "5", "5x", "-1h", "1.5h", "99999999999999999999d"] {
        assert_eq!(parse_duration(bad), None, "{bad:?}");
    }
    let spec = |keys: serde_json::Value| -> api::OnlineEndpointSpec {
        serde_json::from_value(
            serde_json::json!({"workspaceRef": {"name": "housing"}, "keys": keys}),
        )
        .expect("spec")
    };
    for (keys, field) in [
        (
            serde_json::json!({"rotateEvery": "30m"}),
            "spec.keys.rotateEvery",
        ),
        (
            serde_json::json!({"rotateEvery": "366d"}),
            "spec.keys.rotateEvery",
        ),
        (
            serde_json::json!({"rotateEvery": "soon"}),
            "spec.keys.rotateEvery",
        ),
        (
            serde_json::json!({"rotationGrace": "8d"}),
            "spec.keys.rotationGrace",
        ),
        (
            serde_json::json!({"rotationGrace": "0s"}),
            "spec.keys.rotationGrace",
        ),
    ] {
        let err = keys_config(&spec(keys.clone())).expect_err("out of bounds");
        assert!(err.starts_with(field), "{keys}: {err}");
    }
    let ok = keys_config(&spec(
        serde_json::json!({"rotateEvery": "1h", "rotationGrace": "5s"}),
    ))
    .expect("in bounds");
    assert_eq!(ok.rotate_every, Some(Duration::from_secs(3600)));
    assert_eq!(ok.grace, Duration::from_secs(5));
    assert_eq!(
        keys_config(&spec(serde_json::json!({}))).map(|c| c.grace),
        Ok(planner::keys::DEFAULT_GRACE)
    );
}

/// Through `plan_endpoint`, as the controller calls it.
fn converged(keys: serde_json::Value) -> Ep {
    let mut spec = endpoint_spec();
    spec.keys_secret = Some(api::LocalObjectReference {
        name: "scoring-keys".into(),
    });
    spec.keys = serde_json::from_value(keys).expect("keys");
    let mut ep = Ep::new(spec)
        .status(ready_endpoint_status(1))
        .azure(azure_endpoint(
            "california-housing-service",
            "Succeeded",
            "Disabled",
            &[],
        ));
    ep.keys = KeysState::Keys {
        synced_at: now(),
        active: KeySlot::Primary,
    };
    ep
}

#[test]
fn plan_endpoint_rotates_on_the_annotation_and_publishes_after_the_operation() {
    let mut ep = converged(serde_json::json!({"rotationGrace": "5s"}));
    assert_eq!(ep.plan().action, Action::None);
    ep.rotate_keys_request = Some("2026-01-01".into());
    let p = ep.plan();
    assert_eq!(p.action, Action::RegenerateKey(KeySlot::Secondary));
    assert!(p.action.is_write(), "counts as the tree's one write");
    assert_eq!(p.requeue, Requeue::Sync);
    let rotating = p.status.clone();

    // The regenerateKeys operation is recorded and finishes: the key is published as active.
    let mut status = rotating.clone();
    status.operation = Some(OperationStatus {
        kind: "regenerateKeys".into(),
        url: "https://management.azure.com/op".into(),
        polling: "Location".into(),
        resource_id: endpoint_id("california-housing-service"),
        started_at: now().to_string(),
    });
    ep.status = status;
    ep.operation = OperationOutcome::Succeeded;
    let p = ep.plan();
    assert_eq!(p.action, Action::SyncKeys);
    assert_eq!(p.status.operation, None);
    let r = p.status.key_rotation.clone().expect("rotation");
    assert_eq!(r.phase, phase::GRACE);
    assert_eq!(r.active_key.as_deref(), Some("secondary"));
    assert_eq!(p.requeue, Requeue::After(Duration::from_secs(5)));
    let events: Vec<&str> = p.events.iter().map(|e| e.reason).collect();
    assert!(events.contains(&"ActiveKeySwitched"), "{events:?}");
}

#[test]
fn plan_endpoint_stalls_an_invalid_rotation_naming_the_field() {
    let ep = converged(serde_json::json!({"rotateEvery": "10m"}));
    let p = ep.plan();
    assert_eq!(p.action, Action::None);
    let stalled = find_condition(&p.status.conditions, ConditionType::Stalled).expect("Stalled");
    assert_eq!(stalled.status, "True");
    assert!(
        stalled.message.contains("spec.keys.rotateEvery"),
        "{}",
        stalled.message
    );
}

/// A model of Azure's two keys, the Secret and a controller that loses status writes and
/// restarts: after every step, the key the Secret names active holds a value Azure still
/// accepts, and no regeneration ever hits the key the Secret names active.
#[test]
fn a_model_run_never_names_a_regenerated_key_active() {
    #[derive(Clone)]
    struct World {
        azure: [u32; 2],
        secret: Option<([u32; 2], KeySlot)>,
        status: Option<KeyRotationStatus>,
        op_pending: bool,
        now: Timestamp,
        regenerations: Vec<KeySlot>,
        next_value: u32,
    }
    let idx = |k: KeySlot| match k {
        KeySlot::Primary => 0,
        KeySlot::Secondary => 1,
    };
    // Scenarios: (lose the status write at step n, restart (forget pending op) at step m).
    for lose_at in [None, Some(1), Some(2), Some(3), Some(4), Some(5)] {
        let mut w = World {
            azure: [1, 2],
            secret: Some(([1, 2], KeySlot::Primary)),
            status: None,
            op_pending: false,
            now: now(),
            regenerations: Vec::new(),
            next_value: 3,
        };
        let (mut started, mut completed) = (0, 0);
        for step in 0..40 {
            let (synced, active) = w
                .secret
                .map_or((None, KeySlot::Primary), |(_, a)| (Some(()), a));
            let mut i = input(active, w.status.as_ref());
            i.now = w.now;
            i.config = config(None);
            i.request = Some("r1");
            i.secret = match synced {
                Some(()) => KeysState::Keys {
                    synced_at: w.now,
                    active,
                },
                None => KeysState::Missing,
            };
            // The regenerate operation recorded earlier finishes now.
            i.regenerate_finished = std::mem::take(&mut w.op_pending);
            let p = plan_keys(&i);
            match p.action {
                Action::RegenerateKey(k) => {
                    assert_ne!(
                        Some(k),
                        w.secret.map(|(_, a)| a),
                        "step {step}: regenerated the key the Secret names active"
                    );
                    w.azure[idx(k)] = w.next_value;
                    w.next_value += 1;
                    w.regenerations.push(k);
                    w.op_pending = true;
                }
                Action::SyncKeys => {
                    let a = p
                        .rotation
                        .as_ref()
                        .and_then(|r| r.active_key.as_deref())
                        .and_then(KeySlot::parse)
                        .unwrap_or(KeySlot::Primary);
                    w.secret = Some((w.azure, a));
                }
                Action::None => {}
                other => panic!("unexpected {other:?}"),
            }
            if let Some((values, a)) = w.secret {
                assert_eq!(
                    values[idx(a)],
                    w.azure[idx(a)],
                    "step {step} (status lost at {lose_at:?}): the Secret's active key was revoked"
                );
            }
            if lose_at == Some(step) {
                // The status write is lost and the controller restarts: the pending operation
                // is forgotten too.
                w.op_pending = false;
            } else {
                w.status = p.rotation.clone();
            }
            if p.events.iter().any(|e| e.reason == "KeyRotationStarted") {
                started += 1;
            }
            if p.events.iter().any(|e| e.reason == "KeyRotationCompleted") {
                completed += 1;
            }
            w.now += Duration::from_secs(300);
        }
        // One rotation per value. A status write lost right after the last step repeats that
        // step (a second regeneration of the key nobody is told to use), never the start.
        assert_eq!(started, 1, "lose_at {lose_at:?}: one rotation per value");
        assert!(
            completed >= 1,
            "lose_at {lose_at:?}: the rotation completes"
        );
        let r = w.status.expect("status");
        assert_eq!(r.phase, phase::IDLE);
        assert_eq!(r.served_request.as_deref(), Some("r1"));
        // Both keys were replaced, the inactive one first.
        assert_eq!(w.regenerations.first(), Some(&KeySlot::Secondary));
        assert!(w.regenerations.contains(&KeySlot::Primary));
        assert!(w.azure[0] > 2 && w.azure[1] > 2, "{:?}", w.azure);
    }
}
