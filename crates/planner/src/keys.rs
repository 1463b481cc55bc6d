//! The keys Secret of an endpoint: zero-downtime key rotation (`authMode: Key`) and the scoring
//! token (`authMode: AMLToken`). Pure: [`plan_keys`] decides one step, the controller performs it
//! (`regenerateKeys`, `listKeys` + Secret write, `token` + Secret write) and writes the status.
//!
//! # Rotation (dual key)
//! The Secret carries both keys and `activeKey`, the one consumers use. A rotation
//! 1. regenerates the key the Secret does **not** name active (`RegeneratingInactive`);
//! 2. publishes it and names it active (`Grace`, until `graceUntil` = now + `rotationGrace`);
//! 3. once the grace is over, regenerates the previous key, no longer named active
//!    (`RegeneratingPrevious`);
//! 4. publishes it (the active key stays) and is done (`Idle`, `lastRotationTime`,
//!    `nextRotationTime`).
//!
//! Safety does not rest on the status alone: a step that regenerates a key is planned only when
//! the Secret as observed names the *other* key active ([`plan_keys`] checks it last, whatever
//! the phase says), and a phase that expects the Secret to name the new key active while it does
//! not publishes it again and restarts the grace. So a consumer that reads `activeKey` never
//! holds a key that was already regenerated, across restarts, lost status writes and failed
//! Secret writes. A regeneration whose end was not seen (a restart, a lost or failed operation)
//! is sent again: it regenerates a key nobody is told to use.
//!
//! A rotation starts when `spec.keys.rotateEvery` has passed since the last one (the first one
//! that long after rotation was configured), or when the annotation
//! `aml-operator.io/rotate-keys` holds a value not yet served (once per value).

use std::time::Duration;

use api::{AuthMode, KeyRotationStatus, OnlineEndpointSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;

use crate::endpoint::KeysState;
use crate::observe::bounded;
use crate::outcome::{Action, EventNote};

/// The shortest `rotateEvery`.
pub const MIN_ROTATE_EVERY: Duration = Duration::from_secs(60 * 60);
/// The longest `rotateEvery`.
pub const MAX_ROTATE_EVERY: Duration = Duration::from_secs(365 * 24 * 60 * 60);
/// `rotationGrace` when the spec does not say.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(10 * 60);
/// The shortest `rotationGrace`.
pub const MIN_GRACE: Duration = Duration::from_secs(1);
/// The longest `rotationGrace`.
pub const MAX_GRACE: Duration = Duration::from_secs(7 * 24 * 60 * 60);
/// A token is refreshed no sooner than this after it was fetched (an Azure `refreshAfterTimeUtc`
/// in the past must not make a hot loop).
pub const TOKEN_MIN_REFRESH: Duration = Duration::from_secs(15);
/// A token is refreshed at the latest this long after it was fetched.
pub const TOKEN_MAX_REFRESH: Duration = Duration::from_secs(24 * 60 * 60);
/// A token is refreshed at least this long before it expires (or a quarter of its lifetime,
/// when that is shorter).
pub const TOKEN_EXPIRY_MARGIN: Duration = Duration::from_secs(60);
/// When Azure gives neither refresh time nor expiry: refresh this long after fetching.
pub const TOKEN_FALLBACK_REFRESH: Duration = Duration::from_secs(15 * 60);
/// The longest annotation value recorded as served.
pub const MAX_REQUEST: usize = 256;

/// Rotation phases, as `status.keyRotation.phase` spells them.
pub mod phase {
    /// No rotation in progress.
    pub const IDLE: &str = "Idle";
    /// The key the Secret does not name active is being regenerated.
    pub const REGENERATING_INACTIVE: &str = "RegeneratingInactive";
    /// The Secret names the new key active; the previous one stays valid until `graceUntil`.
    pub const GRACE: &str = "Grace";
    /// The previous key (no longer named active) is being regenerated.
    pub const REGENERATING_PREVIOUS: &str = "RegeneratingPrevious";
    /// Rotation is configured but does not apply (see `message`).
    pub const NOT_APPLICABLE: &str = "NotApplicable";
}

/// One of an endpoint's two keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeySlot {
    /// `primaryKey`.
    Primary,
    /// `secondaryKey`.
    Secondary,
}

impl KeySlot {
    /// As the Secret's `activeKey` and status spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Primary => "primary",
            Self::Secondary => "secondary",
        }
    }
    /// As Azure's `keyType` spells it.
    pub fn key_type(self) -> &'static str {
        match self {
            Self::Primary => "Primary",
            Self::Secondary => "Secondary",
        }
    }
    /// The Secret's data key holding this key.
    pub fn data_key(self) -> &'static str {
        match self {
            Self::Primary => "primaryKey",
            Self::Secondary => "secondaryKey",
        }
    }
    /// The other key.
    pub fn other(self) -> Self {
        match self {
            Self::Primary => Self::Secondary,
            Self::Secondary => Self::Primary,
        }
    }
    /// Parses `primary` / `secondary` (case-insensitive).
    pub fn parse(value: &str) -> Option<Self> {
        if value.trim().eq_ignore_ascii_case("primary") {
            Some(Self::Primary)
        } else if value.trim().eq_ignore_ascii_case("secondary") {
            Some(Self::Secondary)
        } else {
            None
        }
    }
}

/// Parses `30d`, `12h`, `1h30m`, `45s` (units d, h, m, s; at least one). `None` when it is not
/// such a duration or does not fit.
pub fn parse_duration(value: &str) -> Option<Duration> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    let mut total: u64 = 0;
    let mut number = String::new();
    for c in value.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit: u64 = match c {
            'd' => 24 * 60 * 60,
            'h' => 60 * 60,
            'm' => 60,
            's' => 1,
            _ => return None,
        };
        if number.is_empty() || number.len() > 12 {
            return None;
        }
        let n: u64 = number.parse().ok()?;
        total = total.checked_add(n.checked_mul(unit)?)?;
        number.clear();
    }
    if !number.is_empty() {
        return None;
    }
    Some(Duration::from_secs(total))
}

/// The rotation settings of a spec, checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeysConfig {
    /// `spec.keys.rotateEvery`.
    pub rotate_every: Option<Duration>,
    /// `spec.keys.rotationGrace` (or the default).
    pub grace: Duration,
}

fn bounded_duration(
    field: &str,
    value: &str,
    (min, max): (Duration, Duration),
    bounds: &str,
) -> Result<Duration, String> {
    let d = parse_duration(value).ok_or_else(|| {
        format!("{field}: {value:?} is not a duration like 30d, 12h, 90m or 1h30m")
    })?;
    if d < min || d > max {
        return Err(format!("{field}: {value} is outside {bounds}"));
    }
    Ok(d)
}

/// `spec.keys`, checked; the error names the field.
pub fn keys_config(spec: &OnlineEndpointSpec) -> Result<KeysConfig, String> {
    let Some(keys) = &spec.keys else {
        return Ok(KeysConfig {
            rotate_every: None,
            grace: DEFAULT_GRACE,
        });
    };
    let rotate_every = keys
        .rotate_every
        .as_deref()
        .map(|v| {
            bounded_duration(
                "spec.keys.rotateEvery",
                v,
                (MIN_ROTATE_EVERY, MAX_ROTATE_EVERY),
                "1h to 365d",
            )
        })
        .transpose()?;
    let grace = keys
        .rotation_grace
        .as_deref()
        .map(|v| {
            bounded_duration(
                "spec.keys.rotationGrace",
                v,
                (MIN_GRACE, MAX_GRACE),
                "1s to 7d",
            )
        })
        .transpose()?
        .unwrap_or(DEFAULT_GRACE);
    Ok(KeysConfig {
        rotate_every,
        grace,
    })
}

/// What [`plan_keys`] reads.
#[derive(Clone, Debug)]
pub struct KeysInput<'a> {
    /// `spec.authMode`.
    pub auth_mode: AuthMode,
    /// `spec.keysSecret` is set.
    pub has_secret: bool,
    /// `spec.keys`, checked.
    pub config: KeysConfig,
    /// The Secret as observed.
    pub secret: KeysState,
    /// `status.keyRotation` as stored.
    pub rotation: Option<&'a KeyRotationStatus>,
    /// The `aml-operator.io/rotate-keys` annotation.
    pub request: Option<&'a str>,
    /// A `regenerateKeys` operation recorded in status finished Succeeded in this reconcile.
    pub regenerate_finished: bool,
    /// Another object of the endpoint's tree has an Azure write in flight (its name).
    pub tree_busy: Option<&'a str>,
    /// How old keys in the Secret may get before they are read again.
    pub keys_refresh: Duration,
    /// The Secret's name, for messages.
    pub secret_name: &'a str,
    /// The time.
    pub now: Timestamp,
}

/// What [`plan_keys`] decided.
#[derive(Clone, Debug, PartialEq)]
pub struct KeysPlan {
    /// [`Action::None`], [`Action::SyncKeys`], [`Action::RegenerateKey`] or
    /// [`Action::SyncToken`].
    pub action: Action,
    /// `status.keyRotation` to write (`None`: none).
    pub rotation: Option<KeyRotationStatus>,
    /// Events.
    pub events: Vec<EventNote>,
    /// Look again after this long at the latest (the grace's end, a token's refresh time, the
    /// next rotation, a busy tree).
    pub wake: Option<Duration>,
}

fn at(t: Timestamp) -> Time {
    Time(t)
}

fn plus(t: Timestamp, d: Duration) -> Timestamp {
    t.checked_add(d).unwrap_or(Timestamp::MAX)
}

fn minus(t: Timestamp, d: Duration) -> Timestamp {
    t.checked_sub(d).unwrap_or(Timestamp::MIN)
}

fn until(now: Timestamp, then: Timestamp) -> Duration {
    Duration::try_from(then.duration_since(now)).unwrap_or_default()
}

/// When a token fetched at `synced_at` is refreshed: at Azure's `refreshAfterTimeUtc` (else half
/// way to its expiry, else [`TOKEN_FALLBACK_REFRESH`]), never later than
/// [`TOKEN_EXPIRY_MARGIN`] (or a quarter of its lifetime) before it expires, held to
/// [[`TOKEN_MIN_REFRESH`], [`TOKEN_MAX_REFRESH`]] after fetching.
pub fn token_refresh_at(
    synced_at: Timestamp,
    refresh_after: Option<Timestamp>,
    expires: Option<Timestamp>,
) -> Timestamp {
    let mut refresh = refresh_after.unwrap_or_else(|| match expires {
        Some(e) => plus(synced_at, until(synced_at, e) / 2),
        None => plus(synced_at, TOKEN_FALLBACK_REFRESH),
    });
    if let Some(e) = expires {
        let margin = TOKEN_EXPIRY_MARGIN.min(until(synced_at, e) / 4);
        refresh = refresh.min(minus(e, margin));
    }
    refresh.clamp(
        plus(synced_at, TOKEN_MIN_REFRESH),
        plus(synced_at, TOKEN_MAX_REFRESH),
    )
}

fn not_applicable(
    stored: Option<&KeyRotationStatus>,
    message: String,
) -> (KeyRotationStatus, Vec<EventNote>) {
    let events = if stored.is_some_and(|r| r.phase == phase::NOT_APPLICABLE) {
        Vec::new()
    } else {
        vec![EventNote::warning(
            "KeyRotationNotApplicable",
            message.clone(),
        )]
    };
    let mut rotation = stored.cloned().unwrap_or_default();
    rotation.phase = phase::NOT_APPLICABLE.to_owned();
    rotation.message = Some(message);
    rotation.regenerating = None;
    rotation.regenerated = false;
    rotation.grace_until = None;
    rotation.next_rotation_time = None;
    rotation.started_at = None;
    (rotation, events)
}

/// Decides the keys Secret's next step (see the module documentation).
pub fn plan_keys(input: &KeysInput<'_>) -> KeysPlan {
    let rotation_asked = input.config.rotate_every.is_some() || input.request.is_some();
    let mut plan = KeysPlan {
        action: Action::None,
        rotation: None,
        events: Vec::new(),
        wake: None,
    };
    let why_not = match (input.auth_mode, input.has_secret) {
        (AuthMode::Key, true) => None,
        (AuthMode::Key, false) => Some(
            "key rotation needs spec.keysSecret: without a Secret naming the active key, clients would hold a key the rotation regenerates".to_owned(),
        ),
        (mode, _) => Some(format!(
            "key rotation (spec.keys.rotateEvery, annotation {}) applies to authMode Key only; this endpoint uses {}{}",
            api::ROTATE_KEYS_ANNOTATION,
            mode.as_str(),
            if mode == AuthMode::AMLToken {
                ", whose token in spec.keysSecret is refreshed before it expires instead"
            } else {
                ", whose clients get Microsoft Entra ID tokens"
            }
        )),
    };
    if let Some(message) = why_not {
        if rotation_asked {
            let (rotation, events) = not_applicable(input.rotation, message);
            plan.rotation = Some(rotation);
            plan.events = events;
        }
        if input.auth_mode == AuthMode::AMLToken && input.has_secret {
            plan_token(input, &mut plan);
        }
        return plan;
    }
    plan_rotation(input, &mut plan);
    plan
}

fn plan_token(input: &KeysInput<'_>, plan: &mut KeysPlan) {
    match input.secret {
        KeysState::Token {
            synced_at,
            refresh_after,
            expires,
        } => {
            let due = token_refresh_at(synced_at, refresh_after, expires);
            if input.now >= due {
                plan.action = Action::SyncToken;
            } else {
                plan.wake = Some(until(input.now, due));
            }
        }
        KeysState::NotWanted => {}
        // Missing, or keys written while the endpoint used authMode Key.
        _ => plan.action = Action::SyncToken,
    }
}

/// The Secret's sync time and the key it names active, when it holds keys.
fn secret_keys(secret: KeysState) -> Option<(Timestamp, KeySlot)> {
    match secret {
        KeysState::SyncedAt(t) => Some((t, KeySlot::Primary)),
        KeysState::Keys { synced_at, active } => Some((synced_at, active)),
        _ => None,
    }
}

fn plan_rotation(input: &KeysInput<'_>, plan: &mut KeysPlan) {
    let now = input.now;
    let stored = input.rotation;
    let wanted = input.config.rotate_every.is_some() || input.request.is_some() || stored.is_some();
    let mut rot = stored.cloned().unwrap_or_default();
    let Some((synced_at, active)) = secret_keys(input.secret) else {
        // No Secret (or one holding a token): publish the keys, naming active the key the
        // rotation says (a Secret deleted mid-rotation comes back as it was).
        let active = rot
            .active_key
            .as_deref()
            .and_then(KeySlot::parse)
            .unwrap_or(KeySlot::Primary);
        plan.action = Action::SyncKeys;
        if wanted {
            if rot.phase.is_empty() || rot.phase == phase::NOT_APPLICABLE {
                rot.phase = phase::IDLE.to_owned();
                rot.message = None;
            }
            rot.active_key = Some(active.as_str().to_owned());
            plan.rotation = Some(rot);
        }
        return;
    };
    if !wanted {
        if Duration::try_from(now.duration_since(synced_at))
            .map_or(true, |age| age >= input.keys_refresh)
        {
            plan.action = Action::SyncKeys;
        }
        return;
    }
    rot.message = None;
    let grace_end = plus(now, input.config.grace);
    let secret = input.secret_name;
    let current_phase = rot.phase.clone();
    match current_phase.as_str() {
        phase::REGENERATING_INACTIVE => {
            let target = rot
                .regenerating
                .as_deref()
                .and_then(KeySlot::parse)
                .unwrap_or(active.other());
            if active == target {
                // The Secret already names the regenerated key active (the status write that
                // followed the publish was lost): its grace starts now.
                enter_grace(&mut rot, target, grace_end);
                plan.wake = Some(input.config.grace);
            } else if rot.regenerated || input.regenerate_finished {
                enter_grace(&mut rot, target, grace_end);
                plan.action = Action::SyncKeys;
                plan.wake = Some(input.config.grace);
                plan.events.push(EventNote::normal(
                    "ActiveKeySwitched",
                    format!(
                        "publishing the regenerated {} key in Secret {secret} as activeKey; the {} key stays valid until {grace_end}, then is regenerated",
                        target.as_str(),
                        active.as_str()
                    ),
                ));
            } else {
                regenerate(input, plan, &mut rot, target, "RegeneratingKey");
            }
        }
        phase::GRACE => {
            let new = rot
                .active_key
                .as_deref()
                .and_then(KeySlot::parse)
                .unwrap_or(active);
            let until_at = rot.grace_until.as_ref().map_or(grace_end, |t| t.0);
            if active != new {
                republish(&mut rot, plan, new, active, grace_end, input);
            } else if now < until_at {
                plan.wake = Some(until(now, until_at));
                refresh_if_due(input, plan, &rot, synced_at);
            } else {
                rot.phase = phase::REGENERATING_PREVIOUS.to_owned();
                rot.grace_until = None;
                regenerate(
                    input,
                    plan,
                    &mut rot,
                    new.other(),
                    "RegeneratingPreviousKey",
                );
            }
        }
        phase::REGENERATING_PREVIOUS => {
            let new = rot
                .active_key
                .as_deref()
                .and_then(KeySlot::parse)
                .unwrap_or(active);
            let previous = rot
                .regenerating
                .as_deref()
                .and_then(KeySlot::parse)
                .filter(|p| *p != new)
                .unwrap_or(new.other());
            if active != new {
                // The Secret does not name the new key active (edited, or recreated from an
                // old state): never regenerate the key it names; publish and wait again.
                republish(&mut rot, plan, new, active, grace_end, input);
            } else if rot.regenerated || input.regenerate_finished {
                rot.phase = phase::IDLE.to_owned();
                rot.regenerating = None;
                rot.regenerated = false;
                rot.started_at = None;
                rot.last_rotation_time = Some(at(now));
                rot.next_rotation_time = input.config.rotate_every.map(|e| at(plus(now, e)));
                plan.action = Action::SyncKeys;
                plan.events.push(EventNote::normal(
                    "KeyRotationCompleted",
                    format!(
                        "regenerated the previous {} key and published it in Secret {secret}; activeKey stays {}",
                        previous.as_str(),
                        new.as_str()
                    ),
                ));
            } else {
                regenerate(input, plan, &mut rot, previous, "RegeneratingPreviousKey");
            }
        }
        // Idle, never rotated, NotApplicable before (the spec changed), or unreadable.
        _ => {
            rot.phase = phase::IDLE.to_owned();
            rot.active_key = Some(active.as_str().to_owned());
            rot.regenerating = None;
            rot.regenerated = false;
            rot.grace_until = None;
            rot.started_at = None;
            rot.next_rotation_time = input.config.rotate_every.map(|every| {
                let from_last = rot.last_rotation_time.as_ref().map(|l| plus(l.0, every));
                let recorded = rot.next_rotation_time.as_ref().map(|n| n.0);
                at(from_last
                    .or(recorded)
                    .map_or(plus(now, every), |n| n.min(plus(now, every))))
            });
            let request = input
                .request
                .map(|r| bounded(r.trim(), MAX_REQUEST))
                .filter(|r| !r.is_empty() && rot.served_request.as_deref() != Some(r.as_str()));
            let scheduled = rot.next_rotation_time.as_ref().map(|n| n.0);
            let due = request.is_some() || scheduled.is_some_and(|n| now >= n);
            if due {
                let why = match &request {
                    Some(r) => format!("annotation {}={r}", api::ROTATE_KEYS_ANNOTATION),
                    None => "spec.keys.rotateEvery".to_owned(),
                };
                if let Some(who) = input.tree_busy {
                    let _ = who;
                    plan.wake = Some(crate::WAIT_POLL);
                    plan.rotation = Some(rot);
                    return;
                }
                rot.phase = phase::REGENERATING_INACTIVE.to_owned();
                rot.started_at = Some(at(now));
                if let Some(r) = request {
                    rot.served_request = Some(r);
                }
                plan.events.push(EventNote::normal(
                    "KeyRotationStarted",
                    format!(
                        "rotating keys ({why}): regenerating the {} key, which Secret {secret} does not name active",
                        active.other().as_str()
                    ),
                ));
                regenerate(input, plan, &mut rot, active.other(), "");
            } else {
                if let Some(n) = scheduled {
                    plan.wake = Some(until(now, n));
                }
                refresh_if_due(input, plan, &rot, synced_at);
            }
        }
    }
    // By construction, and checked here whatever the phase says: never regenerate the key the
    // Secret names active.
    if plan.action == Action::RegenerateKey(active) {
        plan.action = Action::None;
    }
    plan.rotation = Some(rot);
}

fn enter_grace(rot: &mut KeyRotationStatus, new: KeySlot, grace_end: Timestamp) {
    rot.phase = phase::GRACE.to_owned();
    rot.active_key = Some(new.as_str().to_owned());
    rot.regenerating = None;
    rot.regenerated = false;
    rot.grace_until = Some(at(grace_end));
}

/// The Secret names `active` while the rotation has `new` active: publish `new` again and let
/// the grace start over (consumers may have read `active`).
fn republish(
    rot: &mut KeyRotationStatus,
    plan: &mut KeysPlan,
    new: KeySlot,
    active: KeySlot,
    grace_end: Timestamp,
    input: &KeysInput<'_>,
) {
    enter_grace(rot, new, grace_end);
    plan.action = Action::SyncKeys;
    plan.wake = Some(input.config.grace);
    plan.events.push(EventNote::warning(
        "ActiveKeySwitched",
        format!(
            "Secret {} names the {} key active, not the {} key of this rotation: publishing it again; the grace restarts until {grace_end}",
            input.secret_name,
            active.as_str(),
            new.as_str()
        ),
    ));
}

/// Plans `regenerateKeys` of `key` (waits while the tree has a write in flight).
fn regenerate(
    input: &KeysInput<'_>,
    plan: &mut KeysPlan,
    rot: &mut KeyRotationStatus,
    key: KeySlot,
    reason: &'static str,
) {
    rot.regenerating = Some(key.as_str().to_owned());
    rot.regenerated = false;
    if input.tree_busy.is_some() {
        plan.wake = Some(crate::WAIT_POLL);
        return;
    }
    plan.action = Action::RegenerateKey(key);
    if !reason.is_empty() {
        plan.events.push(EventNote::normal(
            reason,
            format!(
                "regenerating the {} key (keyType {}); Secret {} names the {} key active",
                key.as_str(),
                key.key_type(),
                input.secret_name,
                key.other().as_str()
            ),
        ));
    }
}

/// Reads the keys again when the Secret is older than the refresh interval or than the end of
/// the last rotation (a publish that failed).
fn refresh_if_due(
    input: &KeysInput<'_>,
    plan: &mut KeysPlan,
    rot: &KeyRotationStatus,
    synced_at: Timestamp,
) {
    let stale = Duration::try_from(input.now.duration_since(synced_at))
        .map_or(true, |age| age >= input.keys_refresh);
    let before_rotation = rot
        .last_rotation_time
        .as_ref()
        .is_some_and(|l| synced_at < l.0);
    if stale || before_rotation {
        plan.action = Action::SyncKeys;
    }
}
