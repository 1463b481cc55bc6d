//! What the controller observed, in the planner's terms: an ARM resource as Azure returned it
//! (kept as JSON so properties we do not model survive a read-modify-write), the state of the
//! operation in flight, and provisioning states.

use std::time::Duration;

use serde_json::Value;

use crate::failure::Failure;

/// The result of GETting an ARM resource.
#[derive(Clone, Debug, PartialEq)]
pub enum Observation {
    /// Not looked at in this reconcile (e.g. an operation is still pending).
    Skipped,
    /// 404: the resource does not exist.
    Missing,
    /// The resource as Azure returned it.
    Found(Value),
}

impl Observation {
    /// The resource body, when found.
    pub fn found(&self) -> Option<&Value> {
        match self {
            Self::Found(v) => Some(v),
            _ => None,
        }
    }
}

/// The outcome of polling the operation recorded in status.
#[derive(Clone, Debug, PartialEq)]
pub enum OperationOutcome {
    /// No operation was in flight.
    None,
    /// Still running; poll again after `retry_after`.
    Pending {
        /// Azure's `Retry-After`.
        retry_after: Duration,
    },
    /// Finished successfully.
    Succeeded,
    /// Finished Failed or Canceled.
    Failed(Failure),
    /// Can no longer be polled (its status URL answers 404 or 410, or it is older than
    /// [`crate::lifecycle::OPERATION_MAX_AGE`]): the record is dropped and a GET decides.
    Lost(String),
}

/// An ARM provisioningState.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProvisioningState {
    /// Being created.
    Creating,
    /// Being updated.
    Updating,
    /// Being scaled.
    Scaling,
    /// Being deleted.
    Deleting,
    /// Done.
    Succeeded,
    /// Ended in failure.
    Failed,
    /// Canceled.
    Canceled,
    /// A value this version does not know; treated as in progress.
    Other(String),
}

impl ProvisioningState {
    /// Parses Azure's spelling, case-insensitively.
    pub fn parse(value: &str) -> Self {
        match value.to_ascii_lowercase().as_str() {
            "creating" => Self::Creating,
            "updating" => Self::Updating,
            "scaling" => Self::Scaling,
            "deleting" => Self::Deleting,
            "succeeded" => Self::Succeeded,
            "failed" => Self::Failed,
            "canceled" | "cancelled" => Self::Canceled,
            _ => Self::Other(value.to_owned()),
        }
    }

    /// True when no operation is running on the resource.
    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Canceled)
    }

    /// Azure's spelling.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Creating => "Creating",
            Self::Updating => "Updating",
            Self::Scaling => "Scaling",
            Self::Deleting => "Deleting",
            Self::Succeeded => "Succeeded",
            Self::Failed => "Failed",
            Self::Canceled => "Canceled",
            Self::Other(s) => s,
        }
    }
}

/// `properties.provisioningState` of an ARM body.
pub fn provisioning_state(resource: &Value) -> Option<ProvisioningState> {
    resource
        .pointer("/properties/provisioningState")
        .and_then(Value::as_str)
        .map(ProvisioningState::parse)
}

/// A string at a JSON pointer.
pub fn str_at<'a>(resource: &'a Value, pointer: &str) -> Option<&'a str> {
    resource.pointer(pointer).and_then(Value::as_str)
}

/// True when two enum values are the same, as Azure compares them (case-insensitively).
pub fn same_enum(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        (None, None) => true,
        _ => false,
    }
}

/// A string Azure returned, cut to `max` bytes (on a character boundary) so status stays within
/// the CRD's bounds: the apiserver refuses a whole status write over one long field.
pub fn bounded(value: &str, max: usize) -> String {
    if value.len() <= max {
        return value.to_owned();
    }
    let mut end = max;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    value[..end].to_owned()
}

/// A traffic map Azure returned, held to the CRD's bounds: shares within 0–100 and at most
/// `api::common::bounds::TRAFFIC_ENTRIES` entries (the largest shares kept).
pub fn bounded_traffic(
    map: std::collections::BTreeMap<String, i32>,
) -> std::collections::BTreeMap<String, i32> {
    let mut entries: Vec<(String, i32)> = map
        .into_iter()
        .map(|(k, v)| (bounded(&k, 253), v.clamp(0, 100)))
        .collect();
    entries.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    entries.truncate(api::common::bounds::TRAFFIC_ENTRIES as usize);
    entries.into_iter().collect()
}
