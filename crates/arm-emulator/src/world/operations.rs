//! Long-running operations: starting one (with its polling links), finishing the due ones, and
//! answering the two polling URLs ARM clients use.
//!
//! - `Azure-AsyncOperation` (status URL): always 200 with `{id, name, status, startTime,
//!   endTime, error}`; `Retry-After` while InProgress.
//! - `Location` (result URL): 202 + `Retry-After` + `Location` while running; then the final
//!   answer (200 with the resource for PUT/PATCH, 204 for DELETE, 200 with an action's result),
//!   or the operation's error with a 4xx/5xx when it failed.

use std::cmp::Reverse;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use jiff::Timestamp;
use serde_json::{Value, json};

use super::{
    Answer, Ctx, Kind, LroLinks, OperationFailure, World, is_busy, set_provisioning_state,
};
use crate::config::OperationKind;
use crate::wire::ArmError;
use crate::wire::lro_headers::OperationUrlStyle;
use crate::wire::path::{self, key};

/// An operation's status, in ARM's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpStatus {
    InProgress,
    Succeeded,
    Failed,
    Canceled,
}

impl OpStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InProgress => "InProgress",
            Self::Succeeded => "Succeeded",
            Self::Failed => "Failed",
            Self::Canceled => "Canceled",
        }
    }
}

/// What the result URL answers once an operation succeeded.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum OpResult {
    /// 200 with the resource's current body.
    Resource,
    /// 204 No Content (deletes).
    NoContent,
    /// 200 with an empty body (actions without a result).
    Empty,
    /// 200 with this body.
    Body(Value),
}

/// What finishing an operation does to the world.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Effect {
    /// provisioningState → Succeeded (plus type-specific finishing touches).
    Provision,
    /// The resource (and what hangs off it) goes away.
    Delete,
    /// A new endpoint key.
    RegenerateKey {
        secondary: bool,
        value: Option<String>,
    },
    /// The workspace's managed network becomes Active.
    ProvisionManagedNetwork { include_spark: bool },
}

#[derive(Debug, Clone)]
pub(crate) struct Operation {
    pub id: String,
    pub resource_id: String,
    pub style: OperationUrlStyle,
    pub status: OpStatus,
    pub start: Timestamp,
    pub end: Option<Timestamp>,
    pub duration: Duration,
    pub due: Instant,
    pub failure: Option<OperationFailure>,
    pub effect: Effect,
    pub result: OpResult,
    pub api_version: String,
    pub subscription: String,
    pub resource_group: String,
    pub location: String,
}

/// Which links an answer carries.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LinkSet {
    pub azure_async: bool,
    pub location: bool,
    pub timeout: bool,
}

impl LinkSet {
    pub const ASYNC: Self = Self {
        azure_async: true,
        location: false,
        timeout: true,
    };
    pub const LOCATION: Self = Self {
        azure_async: false,
        location: true,
        timeout: false,
    };
    pub const LOCATION_WITH_TIMEOUT: Self = Self {
        azure_async: false,
        location: true,
        timeout: true,
    };
    pub const BOTH: Self = Self {
        azure_async: true,
        location: true,
        timeout: false,
    };
}

/// Parameters of a new operation.
pub(crate) struct NewOperation {
    pub resource_id: String,
    pub kind: OperationKind,
    pub style: OperationUrlStyle,
    pub effect: Effect,
    pub result: OpResult,
    pub location: String,
    pub links: LinkSet,
}

/// The polling query string ARM appends.
fn with_api_version(path: String, api_version: &str) -> String {
    if api_version.is_empty() {
        path
    } else {
        format!("{path}?api-version={api_version}")
    }
}

impl World {
    fn retry_after(&self, remaining: Duration) -> u64 {
        remaining
            .as_secs_f64()
            .ceil()
            .min(self.config.max_retry_after_secs as f64) as u64
    }

    /// Start an operation on a resource; the resource's `op` points at it.
    pub(super) fn start_operation(&mut self, ctx: &Ctx, new: NewOperation) -> LroLinks {
        self.op_seq += 1;
        let id = uuid::Uuid::new_v4().to_string();
        let duration = self.config.scaled_duration(new.kind);
        let failure = self.fail_next.remove(&key(&new.resource_id));
        let subscription = path::subscription_of(&new.resource_id)
            .unwrap_or_default()
            .to_string();
        let resource_group = path::resource_group_of(&new.resource_id)
            .unwrap_or_default()
            .to_string();
        let location = new.location.replace(' ', "").to_ascii_lowercase();
        let op = Operation {
            id: id.clone(),
            resource_id: new.resource_id.clone(),
            style: new.style,
            status: OpStatus::InProgress,
            start: ctx.now,
            end: None,
            duration,
            due: ctx.instant + duration,
            failure,
            effect: new.effect,
            result: new.result,
            api_version: ctx.api_version.clone(),
            subscription: subscription.clone(),
            resource_group: resource_group.clone(),
            location: location.clone(),
        };
        self.due.push(Reverse((op.due, self.op_seq, id.clone())));
        self.ops.insert(id.clone(), op);
        if let Some(r) = self.get_mut(&new.resource_id) {
            r.op = Some(id.clone());
        }
        let status = with_api_version(
            new.style
                .status_path(&subscription, &resource_group, &location, &id),
            &ctx.api_version,
        );
        let result = with_api_version(
            new.style
                .result_path(&subscription, &resource_group, &location, &id),
            &ctx.api_version,
        );
        LroLinks {
            azure_async_operation: new.links.azure_async.then_some(status),
            location: new.links.location.then_some(result),
            retry_after_secs: self.retry_after(duration),
            timeout: new.links.timeout.then_some("PT1H"),
        }
    }

    /// Links of the operation in flight on a resource (a repeated DELETE answers with them).
    pub(super) fn links_of(&self, op_id: &str, links: LinkSet, now: Instant) -> Option<LroLinks> {
        let op = self.ops.get(op_id)?;
        let status = with_api_version(
            op.style
                .status_path(&op.subscription, &op.resource_group, &op.location, &op.id),
            &op.api_version,
        );
        let result = with_api_version(
            op.style
                .result_path(&op.subscription, &op.resource_group, &op.location, &op.id),
            &op.api_version,
        );
        Some(LroLinks {
            azure_async_operation: links.azure_async.then_some(status),
            location: links.location.then_some(result),
            retry_after_secs: self.retry_after(op.due.saturating_duration_since(now)),
            timeout: links.timeout.then_some("PT1H"),
        })
    }

    /// The failure to inject into the next operation started on `resource_id`.
    pub fn fail_next_operation(&mut self, resource_id: &str, failure: OperationFailure) {
        self.fail_next.insert(key(resource_id), failure);
    }

    /// Finish every operation due by `now`, in due order.
    pub fn advance(&mut self, now: Instant) {
        while let Some(Reverse((due, _, _))) = self.due.peek() {
            if *due > now {
                break;
            }
            let Some(Reverse((_, _, id))) = self.due.pop() else {
                break;
            };
            self.complete(&id);
        }
    }

    pub(super) fn complete(&mut self, op_id: &str) {
        let Some(op) = self.ops.get(op_id).cloned() else {
            return;
        };
        if op.status != OpStatus::InProgress {
            return;
        }
        let end = op
            .start
            .checked_add(jiff::SignedDuration::try_from(op.duration).unwrap_or_default())
            .unwrap_or(op.start);
        let still_ours = self
            .get(&op.resource_id)
            .is_some_and(|r| r.op.as_deref() == Some(op_id));
        let status = if !still_ours {
            OpStatus::Canceled
        } else if op.failure.is_some() {
            OpStatus::Failed
        } else {
            OpStatus::Succeeded
        };
        if let Some(stored) = self.ops.get_mut(op_id) {
            stored.status = status;
            stored.end = Some(end);
        }
        if !still_ours {
            return;
        }
        if let Some(r) = self.get_mut(&op.resource_id) {
            r.op = None;
        }
        match status {
            OpStatus::Failed => {
                if let Some(r) = self.get_mut(&op.resource_id) {
                    set_provisioning_state(&mut r.body, "Failed");
                    if r.kind == Kind::VirtualNetworkLink
                        && let Some(p) = r.body.get_mut("properties").and_then(Value::as_object_mut)
                    {
                        p.insert("virtualNetworkLinkState".into(), Value::from("Completed"));
                    }
                    if r.kind == Kind::OnlineEndpoint {
                        // Deployments marked Deleting by a failed endpoint delete stay Failed too.
                        let children: Vec<String> = self
                            .children(&op.resource_id, "deployments")
                            .iter()
                            .filter(|d| is_busy(&d.body) && d.op.is_none())
                            .map(|d| d.id.clone())
                            .collect();
                        for child in children {
                            if let Some(d) = self.get_mut(&child) {
                                set_provisioning_state(&mut d.body, "Failed");
                            }
                        }
                    }
                }
                self.record(&op.resource_id, "operationFailed", "operation", end);
            }
            _ => self.apply_effect(&op, end),
        }
        self.release_endpoint(&op.resource_id, end);
    }

    fn apply_effect(&mut self, op: &Operation, end: Timestamp) {
        match &op.effect {
            Effect::Delete => {
                self.delete_now(&op.resource_id, end, "operation");
            }
            Effect::Provision => {
                self.finish_provisioning(&op.resource_id, end);
                self.record(&op.resource_id, "operationSucceeded", "operation", end);
            }
            Effect::RegenerateKey { secondary, value } => {
                let fresh = value.clone().unwrap_or_else(super::ml_endpoint::new_key);
                if let Some(r) = self.get_mut(&op.resource_id) {
                    set_provisioning_state(&mut r.body, "Succeeded");
                    if let Some(keys) = r.keys.as_mut() {
                        if *secondary {
                            keys.1 = fresh;
                        } else {
                            keys.0 = fresh;
                        }
                    }
                }
                self.record(&op.resource_id, "operationSucceeded", "operation", end);
            }
            Effect::ProvisionManagedNetwork { include_spark } => {
                self.activate_managed_network(&op.resource_id, *include_spark);
                if let Some(stored) = self.ops.get_mut(&op.id) {
                    stored.result =
                        OpResult::Body(json!({"status": "Active", "sparkReady": include_spark}));
                }
                self.record(&op.resource_id, "operationSucceeded", "operation", end);
            }
        }
    }

    /// Type-specific completion of a create/update.
    fn finish_provisioning(&mut self, id: &str, end: Timestamp) {
        let Some(kind) = self.get(id).map(|r| r.kind) else {
            return;
        };
        match kind {
            Kind::DnsZoneGroup => self.write_group_records(id, end),
            Kind::VirtualNetworkLink => {
                if let Some(r) = self.get_mut(id)
                    && let Some(p) = r.body.get_mut("properties").and_then(Value::as_object_mut)
                {
                    p.insert("virtualNetworkLinkState".into(), Value::from("Completed"));
                }
            }
            _ => {}
        }
        if let Some(r) = self.get_mut(id) {
            set_provisioning_state(&mut r.body, "Succeeded");
        }
    }

    /// Remove a resource and everything that hangs off it, with type-specific side effects.
    pub(super) fn delete_now(&mut self, id: &str, time: Timestamp, actor: &str) {
        let Some(resource) = self.get(id).cloned() else {
            return;
        };
        match resource.kind {
            Kind::OnlineEndpoint => {
                self.endpoint_names.retain(|_, v| *v != key(id));
            }
            Kind::PrivateEndpoint => self.detach_private_endpoint(&resource, time, actor),
            Kind::DnsZoneGroup => self.remove_group_records(id, time, actor),
            Kind::PrivateDnsZone => {}
            _ => {}
        }
        for k in self.subtree_keys(id) {
            if k != key(id)
                && let Some(child) = self.store.get(&k).cloned()
            {
                if child.kind == Kind::DnsZoneGroup {
                    self.remove_group_records(&child.id, time, actor);
                }
                self.store.remove(&k);
                self.record(&child.id, "deleted", actor, time);
            }
        }
        self.store.remove(&key(id));
        self.record(&resource.id, "deleted", actor, time);
        if let Some(parent) = path::parent(&resource.id) {
            self.after_child_removed(&parent, resource.kind, time, actor);
        }
    }

    /// Keep parents' derived state right after a child goes away.
    fn after_child_removed(&mut self, parent: &str, kind: Kind, time: Timestamp, actor: &str) {
        if kind == Kind::WorkspaceConnection {
            self.record(parent, "updated", actor, time);
        }
    }

    /// The status URL's answer.
    pub fn operation_status(&mut self, op_id: &str, now: Instant) -> Result<Answer, ArmError> {
        let op = self.ops.get(op_id).ok_or_else(|| {
            ArmError::new(
                StatusCode::NOT_FOUND,
                "OperationNotFound",
                format!("The operation '{op_id}' could not be found."),
            )
        })?;
        let mut body = json!({
            "id": op.style.status_path(&op.subscription, &op.resource_group, &op.location, &op.id),
            "name": op.id,
            "status": op.status.as_str(),
            "startTime": op.start.to_string(),
        });
        if let Some(end) = op.end {
            body["endTime"] = Value::String(end.to_string());
            body["percentComplete"] = Value::from(100.0);
        }
        if let Some(f) = op
            .failure
            .as_ref()
            .filter(|_| op.status == OpStatus::Failed)
        {
            body["error"] = json!({"code": f.code, "message": f.message});
        }
        let retry = (op.status == OpStatus::InProgress)
            .then(|| self.retry_after(op.due.saturating_duration_since(now)));
        Ok(Answer {
            status: StatusCode::OK,
            body: Some(body),
            lro: retry.map(|retry_after_secs| LroLinks {
                azure_async_operation: None,
                location: None,
                retry_after_secs,
                timeout: None,
            }),
        })
    }

    /// The result URL's answer.
    pub fn operation_result(&mut self, op_id: &str, now: Instant) -> Result<Answer, ArmError> {
        let op = self.ops.get(op_id).cloned().ok_or_else(|| {
            ArmError::new(
                StatusCode::NOT_FOUND,
                "OperationNotFound",
                format!("The operation '{op_id}' could not be found."),
            )
        })?;
        match op.status {
            OpStatus::InProgress => {
                let links = LroLinks {
                    azure_async_operation: None,
                    location: Some(with_api_version(
                        op.style.result_path(
                            &op.subscription,
                            &op.resource_group,
                            &op.location,
                            &op.id,
                        ),
                        &op.api_version,
                    )),
                    retry_after_secs: self.retry_after(op.due.saturating_duration_since(now)),
                    timeout: None,
                };
                Ok(Answer {
                    status: StatusCode::ACCEPTED,
                    body: None,
                    lro: Some(links),
                })
            }
            OpStatus::Failed | OpStatus::Canceled => {
                let failure = op.failure.unwrap_or(OperationFailure {
                    code: "OperationCanceled".into(),
                    message: "The operation was canceled because another operation replaced it."
                        .into(),
                });
                let status = if failure.code == "InternalServerError" {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::BAD_REQUEST
                };
                Err(ArmError::new(status, failure.code, failure.message))
            }
            OpStatus::Succeeded => match op.result {
                OpResult::Resource => match self.render_by_id(&op.resource_id) {
                    Some(body) => Ok(Answer::ok(body)),
                    None => Ok(Answer::status(StatusCode::NO_CONTENT)),
                },
                OpResult::NoContent => Ok(Answer::status(StatusCode::NO_CONTENT)),
                OpResult::Empty => Ok(Answer::status(StatusCode::OK)),
                OpResult::Body(body) => Ok(Answer::ok(body)),
            },
        }
    }

    /// The resource id an operation acts on (for authorization of polling requests).
    pub fn operation_resource(&self, op_id: &str) -> Option<String> {
        self.ops.get(op_id).map(|op| op.resource_id.clone())
    }
}
