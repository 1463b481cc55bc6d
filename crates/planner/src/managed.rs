//! Removals reach Azure, and only ours.
//!
//! Bodies are read-modify-write: what the spec does not name keeps Azure's value, so tags,
//! properties and identities others set survive every write. The price is that a field removed
//! from the spec would stay in Azure forever. So each object records in `status.managed` what the
//! controller set (tag keys and property paths, never values); a field recorded there that the
//! spec no longer names, and that Azure still holds, is a **pending removal**: the next write
//! removes it (a tag key, the description, a user-assigned identity, a deployment's
//! `modelMountPath` or `dataCollector`) or sets it back to Azure's documented default (a request
//! setting or probe field, which Azure always reports), and a sync finds drift until it is gone.
//!
//! `status.managed` after a plan holds what the spec sets plus the removals still pending, so a
//! failed or lost write is retried, and a field is forgotten only once Azure no longer holds it.
//! An object without `status.managed` (made by an earlier version) removes nothing until it has
//! recorded what it sets.
//!
//! Defaults: Microsoft Learn, "CLI (v2) managed online deployment YAML schema"
//! (reference-yaml-deployment-managed-online): `request_timeout_ms` 5000,
//! `max_concurrent_requests_per_instance` 1; ProbeSettings `initial_delay` 10, `period` 10,
//! `timeout` 2, `success_threshold` 1, `failure_threshold` 30. Whether Azure itself puts
//! exactly these back for a property left out of a PUT is not verified (the ARM emulator fills
//! its own defaults), which is why a removal sends them explicitly.

use std::collections::BTreeSet;

use api::assets::ManagedFields;
use api::deployment::Probe;
use api::{OnlineDeploymentSpec, OnlineEndpointSpec};
use serde_json::Value;

use crate::body::parse_iso_ms;
use crate::observe::str_at;
use crate::outcome::Drift;

/// What the next write removes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Removals {
    /// Tag keys to delete.
    pub tags: Vec<String>,
    /// Property paths to remove or set back to their default.
    pub properties: Vec<String>,
}

impl Removals {
    /// Nothing to remove.
    pub fn is_empty(&self) -> bool {
        self.tags.is_empty() && self.properties.is_empty()
    }

    /// The removals as drift lines.
    pub fn drift(&self) -> Vec<Drift> {
        self.tags
            .iter()
            .map(|k| Drift {
                field: format!("tags.{k}"),
                observed: "set".into(),
                desired: "(removed from spec)".into(),
            })
            .chain(self.properties.iter().map(|p| Drift {
                field: p.clone(),
                observed: "set".into(),
                desired: match default_of(p) {
                    Some(d) => format!("(removed from spec: Azure's default {d})"),
                    None => "(removed from spec)".into(),
                },
            }))
            .collect()
    }
}

/// The prefix of a user-assigned identity's path.
pub const IDENTITY_PREFIX: &str = "identity.userAssignedIdentities/";

const PROBE_FIELDS: [&str; 5] = [
    "initialDelay",
    "period",
    "timeout",
    "failureThreshold",
    "successThreshold",
];

/// The documented default a removed request setting or probe field is set back to.
pub fn default_of(path: &str) -> Option<Value> {
    let (head, leaf) = path.split_once('.')?;
    match (head, leaf) {
        ("requestSettings", "requestTimeout") => Some(Value::from("PT5S")),
        ("requestSettings", "maxConcurrentRequestsPerInstance") => Some(Value::from(1)),
        ("livenessProbe" | "readinessProbe", "initialDelay" | "period") => {
            Some(Value::from("PT10S"))
        }
        ("livenessProbe" | "readinessProbe", "timeout") => Some(Value::from("PT2S")),
        ("livenessProbe" | "readinessProbe", "failureThreshold") => Some(Value::from(30)),
        ("livenessProbe" | "readinessProbe", "successThreshold") => Some(Value::from(1)),
        _ => None,
    }
}

fn same_value(have: &Value, want: &Value) -> bool {
    match (have, want) {
        (Value::String(a), Value::String(b)) => match (parse_iso_ms(a), parse_iso_ms(b)) {
            (Some(x), Some(y)) => x == y,
            _ => a == b,
        },
        (a, b) => a == b || (a.as_i64().is_some() && a.as_i64() == b.as_i64()),
    }
}

fn probe_paths(name: &str, probe: Option<&Probe>, out: &mut BTreeSet<String>) {
    let Some(p) = probe else { return };
    for (leaf, set) in PROBE_FIELDS.iter().zip([
        p.initial_delay.is_some(),
        p.period.is_some(),
        p.timeout.is_some(),
        p.failure_threshold.is_some(),
        p.success_threshold.is_some(),
    ]) {
        if set {
            out.insert(format!("{name}.{leaf}"));
        }
    }
}

/// The properties a deployment spec sets, as paths.
pub fn deployment_paths(spec: &OnlineDeploymentSpec) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    if spec.description.is_some() {
        out.insert("description".to_owned());
    }
    if let Some(rs) = &spec.request_settings {
        if rs.request_timeout_ms.is_some() {
            out.insert("requestSettings.requestTimeout".to_owned());
        }
        if rs.max_concurrent_requests_per_instance.is_some() {
            out.insert("requestSettings.maxConcurrentRequestsPerInstance".to_owned());
        }
    }
    probe_paths("livenessProbe", spec.liveness_probe.as_ref(), &mut out);
    probe_paths("readinessProbe", spec.readiness_probe.as_ref(), &mut out);
    if spec.model_mount_path.is_some() {
        out.insert("modelMountPath".to_owned());
    }
    if spec.data_collector.is_some() {
        out.insert("dataCollector".to_owned());
    }
    out
}

/// The properties an endpoint spec sets, as paths.
pub fn endpoint_paths(spec: &OnlineEndpointSpec) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    if spec.description.is_some() {
        out.insert("description".to_owned());
    }
    if let Some(identity) = &spec.identity {
        for id in &identity.user_assigned_identities {
            out.insert(format!("{IDENTITY_PREFIX}{}", id.to_ascii_lowercase()));
        }
    }
    out
}

/// Whether Azure still holds a property the controller set.
fn still_held(observed: &Value, path: &str) -> bool {
    if let Some(id) = path.strip_prefix(IDENTITY_PREFIX) {
        return observed
            .pointer("/identity/userAssignedIdentities")
            .and_then(Value::as_object)
            .is_some_and(|m| m.keys().any(|k| k.eq_ignore_ascii_case(id)));
    }
    if path == "description" {
        return str_at(observed, "/properties/description").is_some_and(|d| !d.is_empty());
    }
    let pointer = format!("/properties/{}", path.replace('.', "/"));
    let Some(have) = observed.pointer(&pointer).filter(|v| !v.is_null()) else {
        return false;
    };
    match default_of(path) {
        Some(default) => !same_value(have, &default),
        None => true,
    }
}

/// Tag keys of the spec (the controller's owner tags are not the spec's and never removed).
fn spec_tag_keys<'a>(tags: impl Iterator<Item = &'a String>) -> BTreeSet<String> {
    tags.cloned().collect()
}

/// The removals pending against `observed`, and what `status.managed` holds after this plan.
/// `previous` is `status.managed` as stored (`None`: nothing recorded yet, nothing removed).
pub fn plan(
    previous: Option<&ManagedFields>,
    spec_tags: &std::collections::BTreeMap<String, String>,
    spec_paths: BTreeSet<String>,
    observed: Option<&Value>,
) -> (Removals, ManagedFields) {
    let tags = spec_tag_keys(spec_tags.keys());
    let mut removals = Removals::default();
    if let (Some(prev), Some(observed)) = (previous, observed) {
        let have_tags = observed.get("tags").and_then(Value::as_object);
        for key in &prev.tags {
            let in_spec = tags.iter().any(|k| k.eq_ignore_ascii_case(key));
            let in_azure = have_tags.is_some_and(|m| m.keys().any(|k| k.eq_ignore_ascii_case(key)));
            if !in_spec && in_azure {
                removals.tags.push(key.clone());
            }
        }
        for path in &prev.properties {
            if !spec_paths.contains(path) && still_held(observed, path) {
                removals.properties.push(path.clone());
            }
        }
    }
    let mut next_tags: BTreeSet<String> = tags;
    next_tags.extend(removals.tags.iter().cloned());
    let mut next_props = spec_paths;
    next_props.extend(removals.properties.iter().cloned());
    (
        removals,
        ManagedFields {
            tags: next_tags.into_iter().take(50).collect(),
            properties: next_props.into_iter().take(64).collect(),
        },
    )
}
