//! The keys Secret of an endpoint with `authMode: Key` and `keysSecret`: `primaryKey`,
//! `secondaryKey` and `scoringUri`, owned by the endpoint (deleted with it by garbage collection).
//!
//! Invariants: keys never appear in status, Events or logs; a Secret of that name the endpoint does
//! not own is never overwritten.

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

/// When the keys in the Secret were fetched from Azure.
pub const SYNCED_AT_ANNOTATION: &str = "aml-operator.io/keys-synced-at";

/// Why the keys could not be written.
#[derive(Debug, thiserror::Error)]
pub enum KeysError {
    /// Azure refused listKeys.
    #[error("failed to list the endpoint's keys: {0}")]
    Arm(#[from] arm::ArmError),
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
    let Some(secret_ref) = ep
        .spec
        .keys_secret
        .as_ref()
        .filter(|_| ep.spec.auth_mode == api::AuthMode::Key)
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
    let synced = secret
        .annotations()
        .get(SYNCED_AT_ANNOTATION)
        .and_then(|v| v.parse::<Timestamp>().ok());
    // Keys of an endpoint that was recreated (new scoring URI) are stale.
    let same_uri = secret
        .data
        .as_ref()
        .and_then(|d| d.get("scoringUri"))
        .map(|b| b.0.as_slice())
        == ep
            .status
            .as_ref()
            .and_then(|s| s.scoring_uri.as_deref())
            .map(str::as_bytes);
    Ok(match synced {
        Some(at) if same_uri => KeysState::SyncedAt(at),
        _ => KeysState::Missing,
    })
}

/// Fetches the keys from Azure and writes the Secret.
pub async fn sync_keys(
    kube: &kube::Client,
    client: &ArmClient,
    ep: &OnlineEndpoint,
    id: &ResourceId,
    scoring_uri: Option<&str>,
    now: Timestamp,
) -> Result<(), KeysError> {
    let Some(secret_ref) = &ep.spec.keys_secret else {
        return Ok(());
    };
    let name = secret_ref.name.clone();
    let api: Api<Secret> = Api::namespaced(kube.clone(), &ep.namespace().unwrap_or_default());
    let existing = api.get_opt(&name).await.map_err(|source| KeysError::Kube {
        name: name.clone(),
        source,
    })?;
    if let Some(existing) = &existing
        && !owned_by(existing, ep)
    {
        return Err(KeysError::NotOurs(name));
    }
    let keys = client.list_keys(id).await?;
    let mut data = BTreeMap::new();
    for (key, value) in [
        ("primaryKey", keys.primary_key.as_deref()),
        ("secondaryKey", keys.secondary_key.as_deref()),
        ("scoringUri", scoring_uri),
    ] {
        if let Some(v) = value {
            data.insert(key.to_owned(), ByteString(v.as_bytes().to_vec()));
        }
    }
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
            annotations: Some([(SYNCED_AT_ANNOTATION.to_owned(), now.to_string())].into()),
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
