//! Polling an operation once, and — for tools only — waiting for it.

use super::{FinalState, OperationHandle, OperationKind, PollOutcome, PollingStyle};
use crate::client::ArmClient;
use crate::client::send::{Answer, Call};
use crate::client::typed::decode;
use crate::error::{ArmError, ErrorClass, ErrorOrigin};
use crate::models::{OperationState, OperationStatus, ProvisioningState};
use serde::de::DeserializeOwned;
use std::time::{Duration, Instant};

impl ArmClient {
    /// Asks ARM once how the operation is doing. Never sleeps (apart from the retries of the
    /// poll request itself).
    ///
    /// # Errors
    /// An [`ArmError`] when the poll itself fails (ARM unreachable, a tampered URL); an
    /// operation that failed is `Ok(PollOutcome::Failed(..))`.
    pub async fn poll<T: DeserializeOwned>(
        &self,
        handle: &OperationHandle,
    ) -> Result<PollOutcome<T>, ArmError> {
        let action = format!("poll {} of {}", handle.kind, handle.resource_id);
        let url = url::Url::parse(&handle.url).map_err(|e| {
            ArmError::new(
                ErrorOrigin::Invalid,
                action.as_str(),
                format!("polling URL {:?} is not a URL", handle.url),
            )
            .with_source(e)
        })?;
        let call = Call {
            method: http::Method::GET,
            url,
            body: None,
            idempotent: true,
            resource_type: handle.resource_id.resource_type(),
            subscription: handle.resource_id.subscription_id().to_string(),
            action: action.clone(),
        };
        match handle.polling {
            PollingStyle::AzureAsyncOperation => {
                let answer = self.execute(&call).await?;
                let status: OperationStatus = decode(&action, &answer)?;
                match status.status {
                    OperationState::Succeeded => {
                        let from_status = status.properties.filter(|p| !p.is_null());
                        self.final_result(handle, &action, from_status).await
                    }
                    OperationState::Failed | OperationState::Canceled => {
                        Ok(PollOutcome::Failed(operation_failed(&action, &status)))
                    }
                    _ => Ok(self.pending(&answer)),
                }
            }
            PollingStyle::Location => match self.execute(&call).await {
                Ok(answer) if answer.status == 202 => Ok(self.pending(&answer)),
                Ok(answer) => {
                    let body: Option<serde_json::Value> = decode(&action, &answer)?;
                    self.final_result(handle, &action, body).await
                }
                // The Location URL answers the operation's own failure with an error status.
                Err(mut e)
                    if e.status.is_some_and(|s| (400..500).contains(&s))
                        && e.class() != ErrorClass::Conflict =>
                {
                    e.origin = ErrorOrigin::Operation;
                    Ok(PollOutcome::Failed(e))
                }
                Err(e) => Err(e),
            },
            PollingStyle::ProvisioningState => {
                let answer = match self.execute(&call).await {
                    Ok(answer) => answer,
                    Err(e)
                        if handle.kind == OperationKind::Delete
                            && e.class() == ErrorClass::NotFound =>
                    {
                        return Ok(PollOutcome::Succeeded(None));
                    }
                    Err(e) => return Err(e),
                };
                if handle.kind == OperationKind::Delete {
                    return Ok(self.pending(&answer));
                }
                let value: serde_json::Value = decode(&action, &answer)?;
                let state = value
                    .pointer("/properties/provisioningState")
                    .and_then(serde_json::Value::as_str)
                    .map(ProvisioningState::from);
                match state {
                    Some(ProvisioningState::Failed) | Some(ProvisioningState::Canceled) => {
                        let code = if state == Some(ProvisioningState::Canceled) {
                            "Canceled"
                        } else {
                            "ProvisioningFailed"
                        };
                        let mut err = ArmError::new(
                            ErrorOrigin::Operation,
                            action.as_str(),
                            format!(
                                "the resource's provisioningState is {}",
                                state.map(|s| s.to_string()).unwrap_or_default()
                            ),
                        );
                        err.code = code.to_string();
                        Ok(PollOutcome::Failed(err))
                    }
                    Some(s) if !s.is_terminal() => Ok(self.pending(&answer)),
                    _ => typed(&action, value).map(|t| PollOutcome::Succeeded(Some(t))),
                }
            }
        }
    }

    /// Polls until the operation finishes or `timeout` passes, sleeping as ARM asks between
    /// polls. For tools and tests; the controller polls once per reconcile instead.
    ///
    /// # Errors
    /// The operation's failure, a failed poll, or a `Timeout` error when `timeout` passes.
    pub async fn wait<T: DeserializeOwned>(
        &self,
        handle: &OperationHandle,
        timeout: Duration,
    ) -> Result<Option<T>, ArmError> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.poll(handle).await? {
                PollOutcome::Succeeded(result) => return Ok(result),
                PollOutcome::Failed(err) => return Err(err),
                PollOutcome::Pending { retry_after } => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Err(ArmError::new(
                            ErrorOrigin::Timeout,
                            format!("wait for {} of {}", handle.kind, handle.resource_id),
                            format!("still running after {timeout:?}"),
                        ));
                    }
                    // A `Retry-After: 0` must not turn this into a busy loop.
                    let pause = retry_after.max(Duration::from_millis(10));
                    tokio::time::sleep(pause.min(deadline - now)).await;
                }
            }
        }
    }

    fn pending<T>(&self, answer: &Answer) -> PollOutcome<T> {
        PollOutcome::Pending {
            retry_after: answer.retry_after().unwrap_or(self.default_poll_interval()),
        }
    }

    /// The result of a finished operation, by its kind's final-state rule.
    async fn final_result<T: DeserializeOwned>(
        &self,
        handle: &OperationHandle,
        action: &str,
        body: Option<serde_json::Value>,
    ) -> Result<PollOutcome<T>, ArmError> {
        match handle.kind.final_state() {
            FinalState::None => Ok(PollOutcome::Succeeded(None)),
            FinalState::OriginalUri => self
                .get(&handle.resource_id)
                .await
                .map(|t| PollOutcome::Succeeded(Some(t))),
            FinalState::Location => match body {
                None => Ok(PollOutcome::Succeeded(None)),
                Some(v) => typed(action, v).map(|t| PollOutcome::Succeeded(Some(t))),
            },
        }
    }
}

fn typed<T: DeserializeOwned>(action: &str, value: serde_json::Value) -> Result<T, ArmError> {
    serde_json::from_value(value).map_err(|e| {
        ArmError::new(
            ErrorOrigin::Decode,
            action,
            format!("the result is not the expected JSON: {e}"),
        )
        .with_source(e)
    })
}

fn operation_failed(action: &str, status: &OperationStatus) -> ArmError {
    let mut err = ArmError::new(
        ErrorOrigin::Operation,
        action,
        format!("the operation ended {}", status.status),
    );
    match &status.error {
        Some(detail) => err = err.with_detail(detail.clone()),
        None => {
            err.code = if status.status == OperationState::Canceled {
                "Canceled".into()
            } else {
                "OperationFailed".into()
            }
        }
    }
    err
}
