//! A deployment's Azure Monitor autoscale setting (`Microsoft.Insights/autoscalesettings`,
//! api-version 2022-10-01) from `spec.autoscale`: its id and body, the capacity the deployment
//! planner keeps, and the one step on the setting each reconcile takes.
//!
//! # Guarantees
//! - With `spec.autoscale`, an instance count Azure reports within `[minInstances,
//!   maxInstances]` is the autoscaler's: [`effective_capacity`] keeps it, so the deployment
//!   planner sees no drift; one outside is corrected to the nearest bound. Without it,
//!   `instanceCount` is enforced as before.
//! - The setting is created only once the deployment is Succeeded in Azure (it targets the
//!   deployment's ARM id), written only when what Azure has differs from the spec (a PUT of the
//!   whole setting: it is ours alone), and deleted when `spec.autoscale` is removed or the
//!   deployment is deleted with `deletionPolicy: Delete`.
//! - A setting without this object's owner tag is never written or deleted ([`AutoscaleStep`]
//!   is `None` and the plan says why).
//!
//! # Caveats
//! Azure does not delete an autoscale setting with its target; the controller does. A setting
//! recorded in status whose deployment object was force-deleted stays in Azure.

use api::autoscale::Autoscale;
use serde_json::{Value, json};

use api::OnlineDeploymentStatus;
use api::conditions::{ConditionType, Reason, find_condition};
use k8s_openapi::jiff::Timestamp;

use crate::lifecycle::{OWNER_TAG, tag};
use crate::observe::Observation;
use crate::outcome::{Drift, EventNote, Plan};
use crate::validate::WorkspaceView;

/// The resource type.
pub const AUTOSCALE_TYPE: &str = "Microsoft.Insights/autoscalesettings";
/// Longest setting name the controller derives.
pub const NAME_MAX: usize = 64;
/// The one profile the controller writes.
pub const PROFILE_NAME: &str = "default";

/// The setting's name for `namespace/name`: `aml-<namespace>-<name>`, at most [`NAME_MAX`]
/// characters (a longer one keeps its start and ends in a hash of the whole, FNV-1a).
pub fn setting_name(namespace: &str, name: &str) -> String {
    let full = format!("aml-{namespace}-{name}");
    if full.len() <= NAME_MAX {
        return full;
    }
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in full.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let suffix = format!("-{h:016x}");
    // Kubernetes names are ASCII, so byte cuts are character cuts.
    let head: String = full.chars().take(NAME_MAX - suffix.len()).collect();
    format!("{}{suffix}", head.trim_end_matches(['-', '.']))
}

/// ARM id of the setting: in the workspace's resource group.
pub fn setting_id(workspace: &WorkspaceView, namespace: &str, name: &str) -> Option<String> {
    let lower = workspace.arm_id.to_ascii_lowercase();
    let at = lower.find("/providers/")?;
    let group = &workspace.arm_id[..at];
    if !lower.starts_with("/subscriptions/") || !lower[..at].contains("/resourcegroups/") {
        return None;
    }
    Some(format!(
        "{group}/providers/{AUTOSCALE_TYPE}/{}",
        setting_name(namespace, name)
    ))
}

/// The instance count the deployment is written with: without autoscale `instance_count`;
/// with it the count Azure has when within the bounds (the autoscaler's), else the nearest
/// bound — and at create, `instance_count` held within the bounds.
pub fn effective_capacity(
    autoscale: Option<&Autoscale>,
    instance_count: i32,
    observed: Option<i32>,
) -> i32 {
    let Some(a) = autoscale else {
        return instance_count;
    };
    let (min, max) = (a.min_instances, a.max_instances.max(a.min_instances));
    observed.unwrap_or(instance_count).clamp(min, max)
}

/// An ISO-8601 duration for Azure from `1h30m`-style text (`None` when not one).
pub fn iso_duration(value: &str) -> Option<String> {
    let seconds = crate::keys::parse_duration(value)?.as_secs();
    let (h, m, s) = (seconds / 3600, (seconds % 3600) / 60, seconds % 60);
    let mut out = String::from("PT");
    if h > 0 {
        out.push_str(&format!("{h}H"));
    }
    if m > 0 {
        out.push_str(&format!("{m}M"));
    }
    if s > 0 || (h == 0 && m == 0) {
        out.push_str(&format!("{s}S"));
    }
    Some(out)
}

/// The setting as the controller PUTs it.
///
/// # Errors
/// A message naming the field whose duration cannot be read (the schema normally refuses it).
pub fn setting_body(
    autoscale: &Autoscale,
    name: &str,
    deployment_id: &str,
    location: &str,
    owner: &str,
) -> Result<Value, String> {
    let mut rules = Vec::with_capacity(autoscale.rules.len());
    for (i, r) in autoscale.rules.iter().enumerate() {
        let duration = |field: &str, value: &str| {
            iso_duration(value).ok_or_else(|| {
                format!("spec.autoscale.rules[{i}].{field}: {value:?} is not a duration such as 5m or 1h")
            })
        };
        rules.push(json!({
            "metricTrigger": {
                "metricName": r.metric.as_str(),
                "metricResourceUri": deployment_id,
                "timeGrain": duration("timeGrain", &r.time_grain)?,
                "statistic": r.statistic.as_str(),
                "timeWindow": duration("timeWindow", &r.time_window)?,
                "timeAggregation": r.time_aggregation.as_str(),
                "operator": r.operator.as_str(),
                "threshold": r.threshold,
                "dividePerInstance": false,
            },
            "scaleAction": {
                "direction": r.direction.as_arm(),
                "type": "ChangeCount",
                "value": r.change_count.to_string(),
                "cooldown": duration("cooldown", &r.cooldown)?,
            },
        }));
    }
    Ok(json!({
        "location": location,
        "tags": {OWNER_TAG: owner},
        "properties": {
            "name": name,
            "enabled": true,
            "targetResourceUri": deployment_id,
            "profiles": [{
                "name": PROFILE_NAME,
                "capacity": {
                    "minimum": autoscale.min_instances.to_string(),
                    "maximum": autoscale.max_instances.to_string(),
                    "default": autoscale.default_count().to_string(),
                },
                "rules": rules,
            }],
        },
    }))
}

/// Where `observed` differs from `desired` (both setting bodies), as drift entries. Durations
/// compare by length, names and enums case-insensitively, numbers by value; members the
/// controller does not write (notifications, predictive policy, systemData) are not compared.
pub fn setting_drift(desired: &Value, observed: &Value) -> Vec<Drift> {
    let mut out = Vec::new();
    let mut differ = |field: &str, theirs: &Value, ours: &Value| {
        if !same(theirs, ours) {
            out.push(Drift {
                field: format!("autoscale {field}"),
                observed: show(theirs),
                desired: show(ours),
            });
        }
    };
    let at = |v: &'_ Value, p: &str| v.pointer(p).cloned().unwrap_or(Value::Null);
    for p in ["/properties/enabled", "/properties/targetResourceUri"] {
        differ(
            p.trim_start_matches("/properties/"),
            &at(observed, p),
            &at(desired, p),
        );
    }
    let profiles = |v: &Value| {
        v.pointer("/properties/profiles")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let (theirs, ours) = (profiles(observed), profiles(desired));
    if theirs.len() != ours.len() {
        differ(
            "profiles",
            &json!(format!("{} profile(s)", theirs.len())),
            &json!(format!("{} profile(s)", ours.len())),
        );
        return out;
    }
    for (t, o) in theirs.iter().zip(&ours) {
        for c in ["minimum", "maximum", "default"] {
            let p = format!("/capacity/{c}");
            differ(&format!("capacity.{c}"), &at(t, &p), &at(o, &p));
        }
        let rules = |v: &Value| {
            v.get("rules")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        };
        let (tr, or) = (rules(t), rules(o));
        if tr.len() != or.len() {
            differ(
                "rules",
                &json!(format!("{} rule(s)", tr.len())),
                &json!(format!("{} rule(s)", or.len())),
            );
            continue;
        }
        for (i, (a, b)) in tr.iter().zip(&or).enumerate() {
            for p in [
                "/metricTrigger/metricName",
                "/metricTrigger/metricResourceUri",
                "/metricTrigger/timeGrain",
                "/metricTrigger/statistic",
                "/metricTrigger/timeWindow",
                "/metricTrigger/timeAggregation",
                "/metricTrigger/operator",
                "/metricTrigger/threshold",
                "/scaleAction/direction",
                "/scaleAction/type",
                "/scaleAction/value",
                "/scaleAction/cooldown",
            ] {
                let field = p.rsplit('/').next().unwrap_or(p);
                differ(&format!("rules[{i}].{field}"), &at(a, p), &at(b, p));
            }
        }
    }
    out
}

fn show(v: &Value) -> String {
    match v {
        Value::Null => "(unset)".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Equal as Azure means it: strings case-insensitively (or as durations / numbers when both
/// read as such), numbers by value.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => {
            if x.eq_ignore_ascii_case(y) {
                return true;
            }
            if let (Some(p), Some(q)) = (crate::body::parse_iso_ms(x), crate::body::parse_iso_ms(y))
            {
                return p == q;
            }
            matches!((x.trim().parse::<f64>(), y.trim().parse::<f64>()), (Ok(p), Ok(q)) if p == q)
        }
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::String(x), Value::Number(y)) | (Value::Number(y), Value::String(x)) => {
            x.trim().parse::<f64>().ok() == y.as_f64()
        }
        _ => a == b,
    }
}

/// What a reconcile does to the setting.
#[derive(Clone, Debug, PartialEq)]
pub enum AutoscaleStep {
    /// Nothing.
    None,
    /// PUT the whole setting.
    Put {
        /// ARM id.
        id: String,
        /// The body.
        body: Value,
    },
    /// DELETE it.
    Delete {
        /// ARM id.
        id: String,
    },
}

impl AutoscaleStep {
    /// True when it changes Azure.
    pub fn is_write(&self) -> bool {
        !matches!(self, Self::None)
    }
}

/// What the setting planner needs.
#[derive(Clone, Debug)]
pub struct AutoscaleInput<'a> {
    /// The deployment object's namespace.
    pub namespace: &'a str,
    /// The deployment object's name.
    pub name: &'a str,
    /// `spec.autoscale`.
    pub spec: Option<&'a Autoscale>,
    /// This object's owner tag value.
    pub owner: &'a str,
    /// The deployment object is being deleted.
    pub deleting: bool,
    /// Deletion leaves Azure alone (`Orphan`, `detach-on-delete`, ...).
    pub keep_in_azure: bool,
    /// The deployment's ARM id, when Azure reports it Succeeded (the setting's target).
    pub deployment_ready: Option<&'a str>,
    /// The Workspace (resource group and location of the setting).
    pub workspace: Option<&'a WorkspaceView>,
    /// `status.autoscaleSettingId`.
    pub recorded: Option<&'a str>,
    /// GET of the setting ([`Observation::Skipped`] when not read).
    pub observed: &'a Observation,
    /// The deployment was Ready for this generation (a difference found now is drift, not a
    /// spec change).
    pub drifting: bool,
}

/// The setting's step, its id for status, and what to say.
#[derive(Clone, Debug, PartialEq)]
pub struct AutoscalePlan {
    /// The step.
    pub step: AutoscaleStep,
    /// `status.autoscaleSettingId` after this reconcile (before the step's effect: a DELETE
    /// that succeeds clears it on the next reconcile, when Azure answers 404).
    pub setting_id: Option<String>,
    /// Why the setting is not as the spec asks and the controller will not write it (not ours,
    /// an invalid duration): the deployment is not Ready while this holds.
    pub blocked: Option<String>,
    /// Events.
    pub events: Vec<EventNote>,
    /// Drift the step corrects.
    pub drift: Vec<Drift>,
}

/// The id the controller reads this reconcile: the derived one (with a Workspace) or the one
/// recorded in status. `None`: nothing to read.
pub fn setting_to_read(input: &AutoscaleInput<'_>) -> Option<String> {
    if input.spec.is_none() && input.recorded.is_none() {
        return None;
    }
    input.recorded.map(str::to_owned).or_else(|| {
        input
            .workspace
            .and_then(|w| setting_id(w, input.namespace, input.name))
    })
}

/// Decides the setting's step.
pub fn plan_autoscale(input: &AutoscaleInput<'_>) -> AutoscalePlan {
    let mut plan = AutoscalePlan {
        step: AutoscaleStep::None,
        setting_id: input.recorded.map(str::to_owned),
        blocked: None,
        events: Vec::new(),
        drift: Vec::new(),
    };
    let Some(id) = setting_to_read(input) else {
        return plan;
    };
    let name = id.rsplit('/').next().unwrap_or_default().to_owned();
    let ours = |v: &Value| tag(v, OWNER_TAG) == Some(input.owner);

    // Removal: the deployment is going, or autoscale left the spec.
    if input.deleting || input.spec.is_none() {
        match input.observed {
            Observation::Missing => plan.setting_id = None,
            Observation::Found(v) if ours(v) && !(input.deleting && input.keep_in_azure) => {
                plan.events.push(EventNote::normal(
                    "AutoscaleDeleting",
                    if input.deleting {
                        format!("deleting autoscale setting {name} with the deployment")
                    } else {
                        format!("spec.autoscale was removed: deleting autoscale setting {name}; instanceCount is enforced again")
                    },
                ));
                plan.step = AutoscaleStep::Delete { id };
            }
            // Not ours (never deleted), kept by policy, or not read: forget it.
            Observation::Found(_) => plan.setting_id = None,
            Observation::Skipped => {}
        }
        return plan;
    }

    let (Some(autoscale), Some(deployment_id), Some(workspace)) =
        (input.spec, input.deployment_ready, input.workspace)
    else {
        // The deployment is not Succeeded yet: the setting waits for its target.
        return plan;
    };
    let body = match setting_body(
        autoscale,
        &name,
        deployment_id,
        &workspace.location,
        input.owner,
    ) {
        Ok(b) => b,
        Err(e) => {
            plan.blocked = Some(e);
            return plan;
        }
    };
    match input.observed {
        Observation::Skipped => {}
        Observation::Missing => {
            let recreate = plan.setting_id.is_some();
            plan.setting_id = Some(id.clone());
            plan.events.push(if recreate {
                EventNote::warning(
                    "AutoscaleRecreating",
                    format!("autoscale setting {name} was deleted outside the controller; creating it again"),
                )
            } else {
                EventNote::normal(
                    "AutoscaleCreating",
                    format!(
                        "creating autoscale setting {name} ({}-{} instances, {} rule(s))",
                        autoscale.min_instances,
                        autoscale.max_instances,
                        autoscale.rules.len()
                    ),
                )
            });
            plan.step = AutoscaleStep::Put { id, body };
        }
        Observation::Found(v) if !ours(v) => {
            plan.setting_id = None;
            plan.blocked = Some(match tag(v, OWNER_TAG) {
                Some(other) => format!(
                    "autoscale setting {id} is managed by {other} (tag {OWNER_TAG}); it is left as it is"
                ),
                None => format!(
                    "autoscale setting {id} already exists and was not created by this object (no tag {OWNER_TAG}); it is left as it is: delete it or remove spec.autoscale"
                ),
            });
        }
        Observation::Found(v) => {
            plan.setting_id = Some(id.clone());
            let drift = setting_drift(&body, v);
            if !drift.is_empty() {
                let what: Vec<String> = drift.iter().map(ToString::to_string).collect();
                let what = what.join("; ");
                if input.drifting {
                    plan.events.push(EventNote::warning(
                        "DriftCorrected",
                        format!("autoscale setting {name}: {what}; correcting"),
                    ));
                    plan.drift = drift;
                } else {
                    plan.events.push(EventNote::normal(
                        "AutoscaleUpdating",
                        format!("autoscale setting {name}: {what}"),
                    ));
                }
                plan.step = AutoscaleStep::Put { id, body };
            }
        }
    }
    plan
}

/// Folds the setting's plan into the deployment's: `status.autoscaleSettingId`, the Events and
/// drift, and — when the controller will not write the setting (not ours, unreadable) — a
/// deployment that would be Ready is Stalled saying why (`NotOwned` or `InvalidSpec`).
pub fn merge<A>(
    plan: &mut Plan<OnlineDeploymentStatus, A>,
    stored: &OnlineDeploymentStatus,
    autoscale: &AutoscalePlan,
    generation: Option<i64>,
    now: Timestamp,
) {
    plan.status.autoscale_setting_id = autoscale
        .setting_id
        .as_deref()
        .map(|id| crate::observe::bounded(id, api::common::bounds::RESOURCE_ID as usize));
    plan.events.extend(autoscale.events.iter().cloned());
    plan.drift.extend(autoscale.drift.iter().cloned());
    let Some(why) = &autoscale.blocked else {
        return;
    };
    let ready = find_condition(&plan.status.conditions, ConditionType::Ready)
        .is_some_and(|c| c.status == "True");
    if ready {
        let reason = if why.contains(OWNER_TAG) {
            Reason::NotOwned
        } else {
            Reason::InvalidSpec
        };
        let unchanged = stored.observed_generation == generation
            && find_condition(&stored.conditions, ConditionType::Stalled).is_some_and(|c| {
                c.status == "True" && c.reason == reason.as_str() && c.message == *why
            });
        if unchanged {
            // The same refusal as last time: keep its conditions (and their times) as stored.
            plan.status.conditions = stored.conditions.clone();
        } else {
            crate::progress::stalled(&mut plan.status, generation, reason, why.clone(), now);
        }
    }
}
