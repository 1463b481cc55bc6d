//! The keys Secret of an endpoint with `keysSecret`, owned by the endpoint (deleted with it by
//! garbage collection):
//! - `authMode: Key`: `primaryKey`, `secondaryKey`, `activeKey` (`primary` or `secondary`, the
//!   one clients use; see `planner::keys` for the rotation), `key` (its value) and `scoringUri`;
//! - `authMode: AMLToken`: `accessToken`, `tokenType`, `expiryTimeUtc`, `refreshAfterTimeUtc`
//!   (RFC 3339) and `scoringUri`, from the endpoint's `token` action.
//!
//! Invariants: keys and tokens never appear in status, Events or logs; a Secret of that name the
//! endpoint does not own is never overwritten.

use std::collections::BTreeMap;

use api::OnlineEndpoint;
use arm::{ArmClient, ResourceId};
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, PostParams};
use kube::{Resource, ResourceExt};
use planner::KeysState;
use planner::keys::KeySlot;

/// When the keys (or token) in the Secret were fetched from Azure.
pub const SYNCED_AT_ANNOTATION: &str = "aml-operator.io/keys-synced-at";
/// Azure's `refreshAfterTimeUtc` of the token in the Secret (RFC 3339).
pub const TOKEN_REFRESH_AFTER_ANNOTATION: &str = "aml-operator.io/token-refresh-after";
/// Azure's `expiryTimeUtc` of the token in the Secret (RFC 3339).
pub const TOKEN_EXPIRES_ANNOTATION: &str = "aml-operator.io/token-expires";

/// Why the keys could not be written.
#[derive(Debug, thiserror::Error)]
pub enum KeysError {
    /// Azure refused listKeys or token.
    #[error("failed to {action}: {source}")]
    Arm {
        /// What was asked of Azure.
        action: &'static str,
        /// The cause.
        #[source]
        source: arm::ArmError,
    },
    /// Kubernetes refused the Secret write.
    #[error("failed to write Secret {name}: {source}")]
    Kube {
        /// The Secret.
        name: String,
        /// The cause.
        #[source]
        source: kube::Error,
    },
    /// A Secret of that name exists and is not the endpoint's.
    #[error(
        "Secret {0} exists and is not owned by this OnlineEndpoint; choose another spec.keysSecret.name"
    )]
    NotOurs(String),
    /// Azure's token answer held no token.
    #[error("the endpoint's token action answered without an accessToken")]
    NoToken,
}

fn owned_by(secret: &Secret, ep: &OnlineEndpoint) -> bool {
    let uid = ep.meta().uid.as_deref();
    secret
        .owner_references()
        .iter()
        .any(|o| Some(o.uid.as_str()) == uid && o.kind == "OnlineEndpoint")
}

/// The Secret's state, for the planner.
pub async fn keys_state(
    kube: &kube::Client,
    ep: &OnlineEndpoint,
) -> Result<KeysState, kube::Error> {
    let mode = ep.spec.auth_mode;
    let Some(secret_ref) = ep
        .spec
        .keys_secret
        .as_ref()
        .filter(|_| matches!(mode, api::AuthMode::Key | api::AuthMode::AMLToken))
    else {
        return Ok(KeysState::NotWanted);
    };
    let api: Api<Secret> = Api::namespaced(kube.clone(), &ep.namespace().unwrap_or_default());
    let Some(secret) = api.get_opt(&secret_ref.name).await? else {
        return Ok(KeysState::Missing);
    };
    if !owned_by(&secret, ep) {
        // Not ours: the sync reports the conflict.
        return Ok(KeysState::Missing);
    }
    Ok(secret_state(&secret, ep))
}

/// What an owned Secret holds, as the planner sees it.
fn secret_state(secret: &Secret, ep: &OnlineEndpoint) -> KeysState {
    let annotation = |key: &str| {
        secret
            .annotations()
            .get(key)
            .and_then(|v| v.parse::<Timestamp>().ok())
    };
    let data = |key: &str| {
        secret
            .data
            .as_ref()
            .and_then(|d| d.get(key))
            .map(|b| b.0.as_slice())
    };
    // Keys of an endpoint that was recreated (new scoring URI) are stale. A status that names no
    // scoring URI yet tells nothing: the object this reconcile reads can be older than the status
    // write that recorded the URI the Secret was written with (the Secret's own watch event can
    // come first), and reading that as "recreated" fetched the keys or token twice.
    let same_uri = match ep.status.as_ref().and_then(|s| s.scoring_uri.as_deref()) {
        Some(uri) => data("scoringUri") == Some(uri.as_bytes()),
        None => true,
    };
    let Some(synced_at) = annotation(SYNCED_AT_ANNOTATION).filter(|_| same_uri) else {
        return KeysState::Missing;
    };
    match ep.spec.auth_mode {
        api::AuthMode::AMLToken if data("accessToken").is_some() => KeysState::Token {
            synced_at,
            refresh_after: annotation(TOKEN_REFRESH_AFTER_ANNOTATION),
            expires: annotation(TOKEN_EXPIRES_ANNOTATION),
        },
        api::AuthMode::Key if data("primaryKey").is_some() => {
            // A Secret written before rotation existed names no key: the primary one.
            let active = match data("activeKey") {
                None => KeySlot::Primary,
                Some(v) => match std::str::from_utf8(v).ok().and_then(KeySlot::parse) {
                    Some(k) => k,
                    // Unreadable: rewritten (named from the status), never guessed for a
                    // regeneration.
                    None => return KeysState::Missing,
                },
            };
            KeysState::Keys { synced_at, active }
        }
        _ => KeysState::Missing,
    }
}

/// The Secret `keysSecret` names when it is absent or the endpoint's; `Err` when another
/// object's Secret has that name.
async fn own_secret(
    api: &Api<Secret>,
    ep: &OnlineEndpoint,
    name: &str,
) -> Result<Option<Secret>, KeysError> {
    let existing = api.get_opt(name).await.map_err(|source| KeysError::Kube {
        name: name.to_owned(),
        source,
    })?;
    if let Some(existing) = &existing
        && !owned_by(existing, ep)
    {
        return Err(KeysError::NotOurs(name.to_owned()));
    }
    Ok(existing)
}

/// Creates or replaces the endpoint's Secret with `data` and `annotations`.
async fn write_secret(
    api: &Api<Secret>,
    ep: &OnlineEndpoint,
    name: String,
    existing: Option<Secret>,
    data: BTreeMap<String, ByteString>,
    annotations: BTreeMap<String, String>,
) -> Result<(), KeysError> {
    let mut secret = Secret {
        metadata: ObjectMeta {
            name: Some(name.clone()),
            namespace: ep.namespace(),
            labels: Some(
                [(
                    "app.kubernetes.io/managed-by".to_owned(),
                    "aml-operator".to_owned(),
                )]
                .into(),
            ),
            annotations: Some(annotations),
            owner_references: ep.controller_owner_ref(&()).map(|o| vec![o]),
            ..ObjectMeta::default()
        },
        type_: Some("Opaque".into()),
        data: Some(data),
        ..Secret::default()
    };
    let result = match existing {
        None => api.create(&PostParams::default(), &secret).await,
        Some(existing) => {
            secret.metadata.resource_version = existing.resource_version();
            api.replace(&name, &PostParams::default(), &secret).await
        }
    };
    result
        .map(|_| ())
        .map_err(|source| KeysError::Kube { name, source })
}

fn put(data: &mut BTreeMap<String, ByteString>, key: &str, value: Option<&str>) {
    if let Some(v) = value {
        data.insert(key.to_owned(), ByteString(v.as_bytes().to_vec()));
    }
}

/// Fetches the keys from Azure and writes the Secret, naming `active` the key to use.
pub async fn sync_keys(
    kube: &kube::Client,
    client: &ArmClient,
    ep: &OnlineEndpoint,
    id: &ResourceId,
    scoring_uri: Option<&str>,
    active: KeySlot,
    now: Timestamp,
) -> Result<(), KeysError> {
    let Some(secret_ref) = &ep.spec.keys_secret else {
        return Ok(());
    };
    let name = secret_ref.name.clone();
    let api: Api<Secret> = Api::namespaced(kube.clone(), &ep.namespace().unwrap_or_default());
    let existing = own_secret(&api, ep, &name).await?;
    let keys = client
        .list_keys(id)
        .await
        .map_err(|source| KeysError::Arm {
            action: "list the endpoint's keys",
            source,
        })?;
    let active_value = match active {
        KeySlot::Primary => keys.primary_key.as_deref(),
        KeySlot::Secondary => keys.secondary_key.as_deref(),
    };
    let mut data = BTreeMap::new();
    put(&mut data, "primaryKey", keys.primary_key.as_deref());
    put(&mut data, "secondaryKey", keys.secondary_key.as_deref());
    put(&mut data, "activeKey", Some(active.as_str()));
    put(&mut data, "key", active_value);
    put(&mut data, "scoringUri", scoring_uri);
    let annotations = [(SYNCED_AT_ANNOTATION.to_owned(), now.to_string())].into();
    write_secret(&api, ep, name, existing, data, annotations).await
}

/// The times of a token just written.
pub struct TokenTimes {
    /// Azure's `expiryTimeUtc`.
    pub expires: Option<Timestamp>,
    /// Azure's `refreshAfterTimeUtc`.
    pub refresh_after: Option<Timestamp>,
}

/// Fetches a token from the endpoint's `token` action and writes it to the Secret.
pub async fn sync_token(
    kube: &kube::Client,
    client: &ArmClient,
    ep: &OnlineEndpoint,
    id: &ResourceId,
    scoring_uri: Option<&str>,
    now: Timestamp,
) -> Result<TokenTimes, KeysError> {
    let none = TokenTimes {
        expires: None,
        refresh_after: None,
    };
    let Some(secret_ref) = &ep.spec.keys_secret else {
        return Ok(none);
    };
    let name = secret_ref.name.clone();
    let api: Api<Secret> = Api::namespaced(kube.clone(), &ep.namespace().unwrap_or_default());
    let existing = own_secret(&api, ep, &name).await?;
    let token = client
        .endpoint_token(id)
        .await
        .map_err(|source| KeysError::Arm {
            action: "get a token from the endpoint's token action",
            source,
        })?;
    let Some(access_token) = token.access_token.as_deref() else {
        return Err(KeysError::NoToken);
    };
    // Seconds since the Unix epoch (mfe.json, `AccessToken`); a value out of range is left out
    // and the planner's fallback refresh applies.
    let time = |secs: Option<i64>| secs.and_then(|s| Timestamp::from_second(s).ok());
    let times = TokenTimes {
        expires: time(token.expiry_time_utc),
        refresh_after: time(token.refresh_after_time_utc),
    };
    let expires = times.expires.map(|t| t.to_string());
    let refresh = times.refresh_after.map(|t| t.to_string());
    let mut data = BTreeMap::new();
    put(&mut data, "accessToken", Some(access_token));
    put(&mut data, "tokenType", token.token_type.as_deref());
    put(&mut data, "expiryTimeUtc", expires.as_deref());
    put(&mut data, "refreshAfterTimeUtc", refresh.as_deref());
    put(&mut data, "scoringUri", scoring_uri);
    let mut annotations: BTreeMap<String, String> =
        [(SYNCED_AT_ANNOTATION.to_owned(), now.to_string())].into();
    if let Some(e) = expires {
        annotations.insert(TOKEN_EXPIRES_ANNOTATION.to_owned(), e);
    }
    if let Some(r) = refresh {
        annotations.insert(TOKEN_REFRESH_AFTER_ANNOTATION.to_owned(), r);
    }
    write_secret(&api, ep, name, existing, data, annotations).await?;
    Ok(times)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(scoring_uri: Option<&str>) -> OnlineEndpoint {
        let mut ep: OnlineEndpoint = serde_json::from_value(serde_json::json!({
            "apiVersion": "aml-operator.io/v1alpha1", "kind": "OnlineEndpoint",
            "metadata": {"name": "scoring", "namespace": "ml", "uid": "u1"},
            "spec": {"workspaceRef": {"name": "housing"}, "authMode": "AMLToken",
                     "keysSecret": {"name": "scoring-token"}},
            "status": {"scoringUri": scoring_uri}
        }))
        .expect("endpoint");
        if scoring_uri.is_none() {
            ep.status = None;
        }
        ep
    }

    fn token_secret(uri: &str) -> Secret {
        let data = |v: &str| ByteString(v.as_bytes().to_vec());
        Secret {
            metadata: ObjectMeta {
                annotations: Some(BTreeMap::from([(
                    SYNCED_AT_ANNOTATION.to_owned(),
                    "2026-12-03T10:00:00Z".to_owned(),
                )])),
                ..Default::default()
            },
            data: Some(BTreeMap::from([
                ("accessToken".to_owned(), data("t")),
                ("scoringUri".to_owned(), data(uri)),
            ])),
            ..Default::default()
        }
    }

    #[test]
    fn a_status_without_a_scoring_uri_does_not_make_the_token_stale() {
        let secret = token_secret("https://a/score");
        assert!(matches!(
            secret_state(&secret, &endpoint(None)),
            KeysState::Token { .. }
        ));
        assert!(matches!(
            secret_state(&secret, &endpoint(Some("https://a/score"))),
            KeysState::Token { .. }
        ));
        // A recreated endpoint (another scoring URI) makes it stale.
        assert!(matches!(
            secret_state(&secret, &endpoint(Some("https://b/score"))),
            KeysState::Missing
        ));
    }
}
