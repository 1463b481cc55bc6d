//! Azure Monitor autoscale settings (`Microsoft.Insights/autoscalesettings`), and the autoscaler
//! acting on an online deployment.
//!
//! Shape and rules, per Microsoft's REST spec (Azure/azure-rest-api-specs, MIT,
//! `specification/monitor/resource-manager/Microsoft.Insights/Insights/stable/2022-10-01/autoScale.json`)
//! and its example `listAutoscaleSettingBySubscription.json`:
//! - `AutoscaleSettings_CreateOrUpdate` (PUT) answers 201 on create and 200 on update, with the
//!   setting; `AutoscaleSettings_Update` (PATCH, `tags` and `properties`) 200; `_Delete` 200, or
//!   204 when it does not exist; `_Get` 200; `_ListByResourceGroup` / `_ListBySubscription`
//!   200 `{value}`. No long-running operations.
//! - `properties.profiles` is required, `maxItems: 20`; a profile requires `name`, `capacity`
//!   (`minimum`, `maximum`, `default`, strings) and `rules` ("A maximum of 10 rules can be
//!   specified"); a rule requires `metricTrigger` (`metricName`, `metricResourceUri`,
//!   `timeGrain`, `statistic`, `timeWindow`, `timeAggregation`, `operator`, `threshold`) and
//!   `scaleAction` (`direction`, `type`, `cooldown`; `value` "must be 1 or greater", default
//!   "1"). `timeGrain` "Must be between 12 hours and 1 minute", `timeWindow` "between 12 hours
//!   and 5 minutes", `cooldown` "between 1 week and 1 minute". Enums per the spec
//!   (`ComparisonOperationType`, `MetricStatisticType`, `TimeAggregationType`,
//!   `ScaleDirection`, `ScaleType`), matched case-insensitively. `enabled` defaults to false.
//! - The response `type` is `Microsoft.Insights/autoscaleSettings` (as the example has it).
//!
//! Not verified (no source found): the error codes and wording ARM uses for a refused setting
//! (the emulator answers 400 `BadRequest` in its own words naming the field), whether ARM checks
//! `minimum <= default <= maximum` (the spec's descriptions imply it; the emulator refuses it),
//! whether it checks that `targetResourceUri` exists (the emulator does not), and the
//! autoscale engine's timing. Azure does not delete a setting when its target goes (nor does
//! the emulator).
//!
//! The autoscaler ([`World::autoscale_deployment`]) sets an online deployment's `sku.capacity`
//! within the bounds of the enabled setting that targets it, journalled with actor `autoscale`.

use serde_json::{Map, Value, json};

use super::render::{system_data, touch};
use super::validation::{body_object, canonical_enum, check_tags, required_location};
use super::{Answer, Ctx, Kind, Resource, World};
use crate::error::Error;
use crate::wire::ArmError;
use crate::wire::path;

/// The resource type in paths.
pub(crate) const AUTOSCALE_PATH_TYPE: &str = "Microsoft.Insights/autoscalesettings";
/// The resource type in bodies (as the spec's example spells it).
pub(crate) const AUTOSCALE_TYPE: &str = "Microsoft.Insights/autoscaleSettings";
/// `AutoscaleSetting.profiles.maxItems`.
const MAX_PROFILES: usize = 20;
/// "A maximum of 10 rules can be specified."
const MAX_RULES: usize = 10;

fn bad(field: &str, message: impl Into<String>) -> ArmError {
    ArmError::bad_request("BadRequest", message).with_target(field)
}

fn seconds(field: &str, value: Option<&Value>) -> Result<u64, ArmError> {
    let text = value
        .and_then(Value::as_str)
        .ok_or_else(|| bad(field, format!("'{field}' is required.")))?;
    iso8601::duration(text)
        .ok()
        .filter(|_| text.starts_with('P'))
        .map(|d| std::time::Duration::from(d).as_secs())
        .ok_or_else(|| {
            bad(
                field,
                format!("'{field}' must be an ISO-8601 duration such as PT5M, got '{text}'."),
            )
        })
}

fn within(field: &str, secs: u64, min: u64, max: u64, bounds: &str) -> Result<(), ArmError> {
    if (min..=max).contains(&secs) {
        Ok(())
    } else {
        Err(bad(field, format!("'{field}' must be between {bounds}.")))
    }
}

fn count(field: &str, value: Option<&Value>) -> Result<i64, ArmError> {
    let v = value.ok_or_else(|| bad(field, format!("'{field}' is required.")))?;
    let parsed = match v {
        Value::String(s) => s.trim().parse::<i64>().ok(),
        Value::Number(n) => n.as_i64(),
        _ => None,
    };
    parsed.ok_or_else(|| bad(field, format!("'{field}' must be a whole number, got {v}.")))
}

fn canon(
    obj: &mut Map<String, Value>,
    key: &str,
    field: &str,
    allowed: &[&'static str],
) -> Result<(), ArmError> {
    let v = obj
        .get(key)
        .filter(|v| !v.is_null())
        .ok_or_else(|| bad(field, format!("'{field}' is required.")))?;
    let c = canonical_enum(field, v, allowed)?;
    obj.insert(key.into(), Value::from(c));
    Ok(())
}

/// Validates and canonicalises `properties` (see the module docs).
fn check_properties(props: &mut Map<String, Value>) -> Result<(), ArmError> {
    let profiles = props
        .get_mut("profiles")
        .and_then(Value::as_array_mut)
        .ok_or_else(|| bad("properties.profiles", "'properties.profiles' is required."))?;
    if profiles.len() > MAX_PROFILES {
        return Err(bad(
            "properties.profiles",
            format!(
                "A maximum of {MAX_PROFILES} profiles can be specified; got {}.",
                profiles.len()
            ),
        ));
    }
    for (p, profile) in profiles.iter_mut().enumerate() {
        let at = format!("properties.profiles[{p}]");
        let profile = profile
            .as_object_mut()
            .ok_or_else(|| bad(&at, format!("'{at}' must be an object.")))?;
        if !profile.get("name").is_some_and(Value::is_string) {
            return Err(bad(
                &format!("{at}.name"),
                format!("'{at}.name' is required."),
            ));
        }
        let capacity = profile.get("capacity").cloned().unwrap_or(Value::Null);
        let min = count(&format!("{at}.capacity.minimum"), capacity.get("minimum"))?;
        let max = count(&format!("{at}.capacity.maximum"), capacity.get("maximum"))?;
        let default = count(&format!("{at}.capacity.default"), capacity.get("default"))?;
        if min < 0 || min > max {
            return Err(bad(
                &format!("{at}.capacity"),
                format!(
                    "'{at}.capacity.minimum' ({min}) must be at least 0 and at most the maximum ({max})."
                ),
            ));
        }
        if !(min..=max).contains(&default) {
            return Err(bad(
                &format!("{at}.capacity.default"),
                format!(
                    "'{at}.capacity.default' ({default}) must be between the minimum ({min}) and the maximum ({max})."
                ),
            ));
        }
        profile.insert(
            "capacity".into(),
            json!({"minimum": min.to_string(), "maximum": max.to_string(), "default": default.to_string()}),
        );
        let rules = profile
            .get_mut("rules")
            .and_then(Value::as_array_mut)
            .ok_or_else(|| bad(&format!("{at}.rules"), format!("'{at}.rules' is required.")))?;
        if rules.len() > MAX_RULES {
            return Err(bad(
                &format!("{at}.rules"),
                format!(
                    "A maximum of {MAX_RULES} rules can be specified; got {}.",
                    rules.len()
                ),
            ));
        }
        for (r, rule) in rules.iter_mut().enumerate() {
            let at = format!("{at}.rules[{r}]");
            let trigger = rule
                .get_mut("metricTrigger")
                .and_then(Value::as_object_mut)
                .ok_or_else(|| {
                    bad(
                        &format!("{at}.metricTrigger"),
                        format!("'{at}.metricTrigger' is required."),
                    )
                })?;
            let t = format!("{at}.metricTrigger");
            for key in ["metricName", "metricResourceUri"] {
                if trigger
                    .get(key)
                    .and_then(Value::as_str)
                    .is_none_or(str::is_empty)
                {
                    return Err(bad(
                        &format!("{t}.{key}"),
                        format!("'{t}.{key}' is required."),
                    ));
                }
            }
            let grain = seconds(&format!("{t}.timeGrain"), trigger.get("timeGrain"))?;
            within(
                &format!("{t}.timeGrain"),
                grain,
                60,
                12 * 3600,
                "1 minute and 12 hours",
            )?;
            let window = seconds(&format!("{t}.timeWindow"), trigger.get("timeWindow"))?;
            within(
                &format!("{t}.timeWindow"),
                window,
                5 * 60,
                12 * 3600,
                "5 minutes and 12 hours",
            )?;
            canon(
                trigger,
                "statistic",
                &format!("{t}.statistic"),
                &["Average", "Min", "Max", "Sum", "Count"],
            )?;
            canon(
                trigger,
                "timeAggregation",
                &format!("{t}.timeAggregation"),
                &["Average", "Minimum", "Maximum", "Total", "Count", "Last"],
            )?;
            canon(
                trigger,
                "operator",
                &format!("{t}.operator"),
                &[
                    "Equals",
                    "NotEquals",
                    "GreaterThan",
                    "GreaterThanOrEqual",
                    "LessThan",
                    "LessThanOrEqual",
                ],
            )?;
            if !trigger.get("threshold").is_some_and(Value::is_number) {
                return Err(bad(
                    &format!("{t}.threshold"),
                    format!("'{t}.threshold' is required and must be a number."),
                ));
            }
            let action = rule
                .get_mut("scaleAction")
                .and_then(Value::as_object_mut)
                .ok_or_else(|| {
                    bad(
                        &format!("{at}.scaleAction"),
                        format!("'{at}.scaleAction' is required."),
                    )
                })?;
            let a = format!("{at}.scaleAction");
            canon(
                action,
                "direction",
                &format!("{a}.direction"),
                &["None", "Increase", "Decrease"],
            )?;
            canon(
                action,
                "type",
                &format!("{a}.type"),
                &[
                    "ChangeCount",
                    "PercentChangeCount",
                    "ExactCount",
                    "ServiceAllowedNextValue",
                ],
            )?;
            let cooldown = seconds(&format!("{a}.cooldown"), action.get("cooldown"))?;
            within(
                &format!("{a}.cooldown"),
                cooldown,
                60,
                7 * 24 * 3600,
                "1 minute and 1 week",
            )?;
            let value = match action.get("value") {
                None | Some(Value::Null) => 1,
                v => count(&format!("{a}.value"), v)?,
            };
            if value < 1 {
                return Err(bad(
                    &format!("{a}.value"),
                    format!("'{a}.value' must be 1 or greater."),
                ));
            }
            action.insert("value".into(), Value::from(value.to_string()));
        }
    }
    if !props.get("enabled").is_some_and(Value::is_boolean) {
        props.insert("enabled".into(), Value::Bool(false));
    }
    Ok(())
}

impl World {
    fn require_setting(&self, id: &str) -> Result<&Resource, ArmError> {
        let r = self.require(id)?;
        if r.kind == Kind::AutoscaleSetting {
            Ok(r)
        } else {
            Err(ArmError::not_found(
                AUTOSCALE_PATH_TYPE,
                path::name_of(id),
                path::resource_group_of(id),
            ))
        }
    }

    /// `AutoscaleSettings_Get`.
    pub fn get_autoscale_setting(&self, id: &str) -> Result<Answer, ArmError> {
        let r = self.require_setting(id)?;
        Ok(Answer::ok(r.body.clone()))
    }

    /// `AutoscaleSettings_CreateOrUpdate`: 201 on create, 200 on update.
    pub fn put_autoscale_setting(
        &mut self,
        ctx: &Ctx,
        id: &str,
        body: &Value,
    ) -> Result<Answer, ArmError> {
        let (Some(sub), Some(rg)) = (path::subscription_of(id), path::resource_group_of(id)) else {
            return Err(ArmError::invalid_body("not a resource id"));
        };
        self.require_resource_group(sub, rg)?;
        let mut obj = body_object(body)?;
        check_tags(&obj)?;
        let location = required_location(&obj)?;
        let mut props = obj
            .remove("properties")
            .and_then(|p| p.as_object().cloned())
            .ok_or_else(|| bad("properties", "'properties' is required."))?;
        check_properties(&mut props)?;
        let name = path::name_of(id).to_string();
        props.insert("name".into(), Value::from(name.clone()));
        let existing = self.get(id).cloned();
        let stored_id = existing
            .as_ref()
            .map_or_else(|| id.to_string(), |r| r.id.clone());
        let mut stored = json!({
            "id": stored_id,
            "name": name,
            "type": AUTOSCALE_TYPE,
            "location": location,
            "tags": obj.get("tags").filter(|t| t.is_object()).cloned().unwrap_or_else(|| json!({})),
            "properties": props,
        });
        match &existing {
            Some(r) => {
                stored["systemData"] = r.body.get("systemData").cloned().unwrap_or(Value::Null);
                touch(&mut stored, &ctx.actor, ctx.now);
            }
            None => stored["systemData"] = system_data(&ctx.actor, ctx.now),
        }
        self.insert(Resource {
            id: stored_id.clone(),
            kind: Kind::AutoscaleSetting,
            body: stored.clone(),
            op: None,
            keys: None,
        });
        let created = existing.is_none();
        self.record(
            &stored_id,
            if created { "created" } else { "updated" },
            &ctx.actor,
            ctx.now,
        );
        Ok(Answer {
            status: if created {
                axum::http::StatusCode::CREATED
            } else {
                axum::http::StatusCode::OK
            },
            body: Some(stored),
            lro: None,
        })
    }

    /// `AutoscaleSettings_Update` (PATCH of `tags` and `properties`), 200.
    pub fn patch_autoscale_setting(
        &mut self,
        ctx: &Ctx,
        id: &str,
        body: &Value,
    ) -> Result<Answer, ArmError> {
        let obj = body_object(body)?;
        check_tags(&obj)?;
        let mut stored = self.require_setting(id)?.body.clone();
        if let Some(tags) = obj.get("tags").filter(|t| t.is_object()) {
            stored["tags"] = tags.clone();
        }
        if let Some(patch) = obj.get("properties").and_then(Value::as_object) {
            let mut props = stored["properties"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            for (k, v) in patch {
                props.insert(k.clone(), v.clone());
            }
            check_properties(&mut props)?;
            props.insert("name".into(), stored["name"].clone());
            stored["properties"] = Value::Object(props);
        }
        touch(&mut stored, &ctx.actor, ctx.now);
        if let Some(r) = self.get_mut(id) {
            r.body = stored.clone();
        }
        self.record(id, "updated", &ctx.actor, ctx.now);
        Ok(Answer::ok(stored))
    }

    /// `AutoscaleSettings_Delete`: 200, or 204 when it does not exist.
    pub fn delete_autoscale_setting(&mut self, ctx: &Ctx, id: &str) -> Result<Answer, ArmError> {
        if let (Some(sub), Some(rg)) = (path::subscription_of(id), path::resource_group_of(id)) {
            self.require_resource_group(sub, rg)?;
        }
        match self.get(id).filter(|r| r.kind == Kind::AutoscaleSetting) {
            None => Ok(Answer::status(axum::http::StatusCode::NO_CONTENT)),
            Some(r) => {
                let stored_id = r.id.clone();
                self.store.remove(&path::key(id));
                self.record(&stored_id, "deleted", &ctx.actor, ctx.now);
                Ok(Answer::status(axum::http::StatusCode::OK))
            }
        }
    }

    /// `AutoscaleSettings_ListBySubscription` / `_ListByResourceGroup`.
    pub fn list_autoscale_settings(&self, sub: &str, rg: Option<&str>) -> Result<Answer, ArmError> {
        let value = match rg {
            Some(rg) => {
                self.require_resource_group(sub, rg)?;
                self.list_kind_under(
                    &format!("/subscriptions/{sub}/resourceGroups/{rg}"),
                    Kind::AutoscaleSetting,
                )
            }
            None => self.list_in_subscription(sub, Kind::AutoscaleSetting)?,
        };
        Ok(Answer::ok(json!({"value": value})))
    }

    /// Sets a deployment's `sku.capacity` and journals it as `actor` did.
    pub(super) fn set_capacity(
        &mut self,
        deployment_id: &str,
        capacity: u32,
        actor: &str,
        change: &str,
    ) -> Result<(), Error> {
        let r = self
            .get_mut(deployment_id)
            .filter(|r| r.kind == Kind::OnlineDeployment)
            .ok_or_else(|| Error::Admin(format!("no online deployment {deployment_id}")))?;
        r.body["sku"]["capacity"] = Value::from(capacity);
        let id = r.id.clone();
        self.record(&id, change, actor, jiff::Timestamp::now());
        Ok(())
    }

    /// The autoscaler: scale the deployment toward `capacity`, held within the first profile's
    /// bounds of the enabled setting that targets it (as the autoscale engine never leaves
    /// them). Returns the count set.
    ///
    /// # Errors
    /// No enabled setting targets the deployment, or it is not an online deployment.
    pub fn autoscale_deployment(
        &mut self,
        deployment_id: &str,
        capacity: u32,
    ) -> Result<u32, Error> {
        let setting = self
            .store
            .values()
            .filter(|r| r.kind == Kind::AutoscaleSetting)
            .find(|r| {
                r.body.pointer("/properties/enabled") == Some(&Value::Bool(true))
                    && r.body
                        .pointer("/properties/targetResourceUri")
                        .and_then(Value::as_str)
                        .is_some_and(|t| t.eq_ignore_ascii_case(deployment_id))
            })
            .ok_or_else(|| {
                Error::Admin(format!(
                    "no enabled autoscale setting targets {deployment_id}"
                ))
            })?;
        let bound = |k: &str| {
            setting
                .body
                .pointer(&format!("/properties/profiles/0/capacity/{k}"))
                .and_then(Value::as_str)
                .and_then(|s| s.parse::<u32>().ok())
        };
        let (Some(min), Some(max)) = (bound("minimum"), bound("maximum")) else {
            return Err(Error::Admin(format!(
                "autoscale setting {} has no capacity",
                setting.id
            )));
        };
        let target = capacity.clamp(min, max.max(min));
        self.set_capacity(deployment_id, target, "autoscale", "autoscaled")?;
        Ok(target)
    }
}
