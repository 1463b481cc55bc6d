//! Starting long-running writes: send the request, then read from ARM's answer whether the
//! work is done or how to follow it.

use super::{OperationHandle, OperationKind, PollingStyle, Started};
use crate::client::ArmClient;
use crate::client::send::Answer;
use crate::client::typed::decode;
use crate::error::{ArmError, ErrorOrigin};
use crate::models::ProvisioningState;
use crate::resource_id::ResourceId;
use serde::Serialize;
use serde::de::DeserializeOwned;

impl ArmClient {
    /// Creates or replaces `id` with `body`. ARM's 201 makes the operation a `Create`, 200 an
    /// `Update`.
    ///
    /// # Errors
    /// An [`ArmError`] when ARM refuses the request (validation, conflict, quota, ...).
    pub async fn begin_put<B: Serialize, T: DeserializeOwned>(
        &self,
        id: &ResourceId,
        body: &B,
    ) -> Result<Started<T>, ArmError> {
        let body = Self::encode(id, body)?;
        let answer = self
            .send_to(http::Method::PUT, id, Some(body), true)
            .await?;
        let kind = if answer.status == 201 {
            OperationKind::Create
        } else {
            OperationKind::Update
        };
        self.started(kind, id, &answer)
    }

    /// Updates part of `id` (tags, identity, a deployment's SKU, a workspace's network
    /// settings). Set the returned handle's kind to [`OperationKind::Scale`] for a scale.
    pub async fn begin_patch<B: Serialize, T: DeserializeOwned>(
        &self,
        id: &ResourceId,
        body: &B,
    ) -> Result<Started<T>, ArmError> {
        let body = Self::encode(id, body)?;
        let answer = self
            .send_to(http::Method::PATCH, id, Some(body), false)
            .await?;
        self.started(OperationKind::Update, id, &answer)
    }

    /// Deletes `id`. A resource that does not exist (ARM's 204, or a 404) is `Done`.
    pub async fn begin_delete(&self, id: &ResourceId) -> Result<Started<()>, ArmError> {
        match self.send_to(http::Method::DELETE, id, None, true).await {
            Ok(answer) => self.started(OperationKind::Delete, id, &answer),
            Err(e) if e.status == Some(404) => Ok(Started::Done(None)),
            Err(e) => Err(e),
        }
    }

    /// Calls the action `<id>/<action>` (e.g. `regenerateKeys`, `provisionManagedNetwork`).
    pub async fn begin_post<B: Serialize, T: DeserializeOwned>(
        &self,
        id: &ResourceId,
        action: &str,
        body: Option<&B>,
    ) -> Result<Started<T>, ArmError> {
        let answer = self.post_raw(id, action, body, false).await?;
        self.started(OperationKind::Action(action.to_string()), id, &answer)
    }

    /// Reads ARM's first answer to a write.
    fn started<T: DeserializeOwned>(
        &self,
        kind: OperationKind,
        id: &ResourceId,
        answer: &Answer,
    ) -> Result<Started<T>, ArmError> {
        let action = format!("start {kind} of {id}");
        let async_op = answer
            .header("azure-asyncoperation")
            .map(|u| (PollingStyle::AzureAsyncOperation, u));
        // ARM's contract: `Location` is a polling URL only on a 202. On a 201 it may simply name
        // the created resource, which says nothing about the provisioning state.
        let location = answer
            .header("location")
            .filter(|_| answer.status == 202)
            .map(|u| (PollingStyle::Location, u));
        // A POST's result is at its Location; everything else reads best from the status body.
        let followed = if matches!(kind, OperationKind::Action(_)) {
            location.or(async_op)
        } else {
            async_op.or(location)
        };
        if let Some((polling, url)) = followed {
            let url = self.resource_url(id)?.join(url).map_err(|e| {
                ArmError::new(
                    ErrorOrigin::Decode,
                    action.as_str(),
                    format!("polling URL {url:?} is not a URL"),
                )
                .with_source(e)
            })?;
            self.check_origin(&url, &action)?;
            return Ok(Started::Pending(self.handle(
                kind,
                polling,
                url.to_string(),
                id,
            )));
        }
        let by_state = |client: &Self, kind| {
            Ok(Started::Pending(client.handle(
                kind,
                PollingStyle::ProvisioningState,
                client.resource_url(id)?.to_string(),
                id,
            )))
        };
        match kind {
            OperationKind::Delete if answer.status == 202 => by_state(self, kind),
            OperationKind::Delete => Ok(Started::Done(None)),
            OperationKind::Action(_) => Ok(Started::Done(decode(&action, answer)?)),
            _ => {
                let value: Option<serde_json::Value> = decode(&action, answer)?;
                let state = value
                    .as_ref()
                    .and_then(|v| v.pointer("/properties/provisioningState"))
                    .and_then(serde_json::Value::as_str)
                    .map(ProvisioningState::from);
                if state.is_some_and(|s| !s.is_terminal()) || answer.status == 202 {
                    return by_state(self, kind);
                }
                match value {
                    None => Ok(Started::Done(None)),
                    Some(v) => serde_json::from_value(v)
                        .map(|t| Started::Done(Some(t)))
                        .map_err(|e| {
                            ArmError::new(
                                ErrorOrigin::Decode,
                                action.as_str(),
                                format!("the answer is not the expected JSON: {e}"),
                            )
                            .with_source(e)
                        }),
                }
            }
        }
    }

    fn handle(
        &self,
        kind: OperationKind,
        polling: PollingStyle,
        url: String,
        id: &ResourceId,
    ) -> OperationHandle {
        tracing::info!(kind = %kind, polling = polling.as_str(), resource = %id, "ARM operation started");
        OperationHandle {
            kind,
            url,
            polling,
            resource_id: id.clone(),
            started_at: jiff::Timestamp::now(),
        }
    }
}
