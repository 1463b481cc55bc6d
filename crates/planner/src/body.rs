//! Desired ARM bodies and the diff against what Azure has.
//!
//! Bodies are built over the observed resource (read-modify-write): properties the spec does not
//! manage survive a PUT, read-only ones are dropped. The diff lists only what the spec manages, and
//! compares enums case-insensitively and durations by value, as Azure does, so a resync of a
//! converged resource finds nothing to write.

use std::collections::BTreeMap;

use api::PublicNetworkAccess;
use api::deployment::Probe;
use api::endpoint::IdentityType;
use serde_json::{Map, Value, json};

use crate::observe::{same_enum, str_at};
use crate::outcome::Drift;
use crate::validate::{ValidatedDeployment, ValidatedEndpoint};

/// Properties Azure sets and a client must not send back.
const READ_ONLY_TOP: &[&str] = &["id", "name", "type", "systemData", "etag"];
const READ_ONLY_PROPERTIES: &[&str] = &["provisioningState", "scoringUri", "swaggerUri"];

/// The observed body without read-only fields, as the start of a read-modify-write.
fn writable_copy(observed: Option<&Value>) -> Map<String, Value> {
    let mut body = match observed {
        Some(Value::Object(map)) => map.clone(),
        _ => Map::new(),
    };
    for key in READ_ONLY_TOP {
        body.remove(*key);
    }
    if let Some(Value::Object(props)) = body.get_mut("properties") {
        for key in READ_ONLY_PROPERTIES {
            props.remove(*key);
        }
    }
    if let Some(Value::Object(identity)) = body.get_mut("identity") {
        identity.remove("principalId");
        identity.remove("tenantId");
        if let Some(Value::Object(uais)) = identity.get_mut("userAssignedIdentities") {
            for value in uais.values_mut() {
                *value = json!({});
            }
        }
    }
    body
}

fn properties(body: &mut Map<String, Value>) -> &mut Map<String, Value> {
    let entry = body.entry("properties").or_insert_with(|| json!({}));
    if !entry.is_object() {
        *entry = json!({});
    }
    match entry {
        Value::Object(map) => map,
        _ => unreachable!("properties was just made an object"),
    }
}

/// Spec tags merged over the observed ones: ours are set, others' are kept.
fn merged_tags(observed: Option<&Value>, tags: &BTreeMap<String, String>) -> Value {
    let mut out = observed
        .and_then(|o| o.get("tags"))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for (k, v) in tags {
        // Azure tag names are case-insensitive: ours replaces a key spelled otherwise.
        out.retain(|have, _| !have.eq_ignore_ascii_case(k));
        out.insert(k.clone(), Value::String(v.clone()));
    }
    Value::Object(out)
}

/// Tag keys the controller set and the spec dropped (`crate::managed`) are deleted.
fn remove_tags(tags: &mut Value, removed: &[String]) {
    if let Value::Object(map) = tags {
        map.retain(|have, _| !removed.iter().any(|k| k.eq_ignore_ascii_case(have)));
    }
}

/// Removed properties: a request setting or probe field goes back to its documented default,
/// anything else leaves the body.
fn remove_properties(props: &mut Map<String, Value>, removed: &[String]) {
    for path in removed {
        if path.starts_with(crate::managed::IDENTITY_PREFIX) {
            continue;
        }
        match (path.split_once('.'), crate::managed::default_of(path)) {
            (Some((head, leaf)), Some(default)) => {
                let entry = props.entry(head.to_owned()).or_insert_with(|| json!({}));
                if !entry.is_object() {
                    *entry = json!({});
                }
                if let Value::Object(obj) = entry {
                    obj.insert(leaf.to_owned(), default);
                }
            }
            _ => {
                props.remove(path);
            }
        }
    }
}

fn tags_drift(observed: &Value, tags: &BTreeMap<String, String>) -> Option<Drift> {
    let have = observed.get("tags").and_then(Value::as_object);
    let missing: Vec<String> = tags
        .iter()
        .filter(|(k, v)| {
            // Azure tag names are case-insensitive (values are not).
            have.and_then(|h| h.iter().find(|(hk, _)| hk.eq_ignore_ascii_case(k)))
                .and_then(|(_, hv)| hv.as_str())
                != Some(v.as_str())
        })
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    (!missing.is_empty()).then(|| Drift {
        field: "tags".into(),
        observed: "missing or different".into(),
        desired: missing.join(","),
    })
}

/// Traffic without zero entries, for comparison: Azure may list a deployment at 0 or omit it.
fn nonzero(map: &BTreeMap<String, i32>) -> BTreeMap<String, i32> {
    map.iter()
        .filter(|(_, v)| **v != 0)
        .map(|(k, v)| (k.to_ascii_lowercase(), *v))
        .collect()
}

/// A traffic map as Azure returned it.
pub fn observed_traffic(resource: &Value, field: &str) -> BTreeMap<String, i32> {
    resource
        .pointer(&format!("/properties/{field}"))
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| {
                    v.as_i64()
                        .and_then(|n| i32::try_from(n).ok())
                        .map(|n| (k.clone(), n))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn show_traffic(map: &BTreeMap<String, i32>) -> String {
    if map.is_empty() {
        return "{}".into();
    }
    let parts: Vec<String> = map.iter().map(|(k, v)| format!("{k}={v}")).collect();
    parts.join(",")
}

/// `publicNetworkAccess` as Azure has it: an endpoint or workspace without the property is
/// public (Azure's default is Enabled).
pub fn observed_public_access(resource: &Value) -> &str {
    str_at(resource, "/properties/publicNetworkAccess").unwrap_or("Enabled")
}

/// How many of a workspace's `privateEndpointConnections` Azure reports Approved (the
/// workspace GET carries them; `PrivateEndpointConnection` in machineLearningServices.json).
/// Bounded: at most 10,000 counted.
pub fn approved_private_endpoint_connections(workspace: &Value) -> i32 {
    let approved = workspace
        .pointer("/properties/privateEndpointConnections")
        .and_then(Value::as_array)
        .map_or(0, |connections| {
            connections
                .iter()
                .filter(|c| {
                    c.pointer("/properties/privateLinkServiceConnectionState/status")
                        .and_then(Value::as_str)
                        .is_some_and(|s| s.eq_ignore_ascii_case("Approved"))
                })
                .take(10_000)
                .count()
        });
    i32::try_from(approved).unwrap_or(10_000)
}

fn identity_body(v: &ValidatedEndpoint, observed: Option<&Value>) -> Value {
    match v.identity.type_ {
        IdentityType::SystemAssigned => json!({"type": "SystemAssigned"}),
        IdentityType::None => json!({"type": "None"}),
        IdentityType::UserAssigned => {
            // Identities others attached stay; the spec's are set; those the controller set
            // and the spec dropped go (`crate::managed`).
            let removed: Vec<&str> = v
                .removals
                .properties
                .iter()
                .filter_map(|p| p.strip_prefix(crate::managed::IDENTITY_PREFIX))
                .collect();
            let mut ids: Map<String, Value> = observed
                .and_then(|o| o.pointer("/identity/userAssignedIdentities"))
                .and_then(Value::as_object)
                .map(|m| {
                    m.keys()
                        .filter(|k| !removed.iter().any(|r| r.eq_ignore_ascii_case(k)))
                        .map(|k| (k.clone(), json!({})))
                        .collect()
                })
                .unwrap_or_default();
            for id in &v.identity.user_assigned_identities {
                ids.retain(|k, _| !k.eq_ignore_ascii_case(id));
                ids.insert(id.clone(), json!({}));
            }
            json!({"type": "UserAssigned", "userAssignedIdentities": ids})
        }
    }
}

/// The endpoint body to PUT: the spec over what Azure has, with `traffic` and `mirror` as the
/// planner decided (the spec's once eligible, else what Azure has).
pub fn endpoint_body(
    v: &ValidatedEndpoint,
    location: &str,
    observed: Option<&Value>,
    traffic: &BTreeMap<String, i32>,
    mirror: &BTreeMap<String, i32>,
) -> Value {
    let mut body = writable_copy(observed);
    body.entry("location")
        .or_insert_with(|| Value::String(location.to_owned()));
    body.insert("identity".into(), identity_body(v, observed));
    let mut tags = merged_tags(observed, &v.tags);
    remove_tags(&mut tags, &v.removals.tags);
    body.insert("tags".into(), tags);
    let props = properties(&mut body);
    remove_properties(props, &v.removals.properties);
    props.insert("authMode".into(), json!(v.auth_mode.as_str()));
    props.insert(
        "publicNetworkAccess".into(),
        json!(v.public_network_access.as_str()),
    );
    if let Some(d) = &v.description {
        props.insert("description".into(), json!(d));
    }
    props.insert("traffic".into(), json!(traffic));
    props.insert("mirrorTraffic".into(), json!(mirror));
    Value::Object(body)
}

/// What differs between the spec (with the traffic the planner would send) and Azure.
pub fn endpoint_drift(
    v: &ValidatedEndpoint,
    observed: &Value,
    traffic: &BTreeMap<String, i32>,
    mirror: &BTreeMap<String, i32>,
) -> Vec<Drift> {
    let mut out = Vec::new();
    let mut check = |field: &str, have: Option<&str>, want: &str| {
        if !same_enum(have, Some(want)) {
            out.push(Drift {
                field: field.into(),
                observed: have.unwrap_or("(unset)").into(),
                desired: want.into(),
            });
        }
    };
    check(
        "authMode",
        str_at(observed, "/properties/authMode"),
        v.auth_mode.as_str(),
    );
    check(
        "publicNetworkAccess",
        Some(observed_public_access(observed)),
        v.public_network_access.as_str(),
    );
    let identity = match v.identity.type_ {
        IdentityType::SystemAssigned => "SystemAssigned",
        IdentityType::UserAssigned => "UserAssigned",
        IdentityType::None => "None",
    };
    check(
        "identity.type",
        str_at(observed, "/identity/type").or(Some("None")),
        identity,
    );
    if let Some(d) = &v.description
        && str_at(observed, "/properties/description") != Some(d.as_str())
    {
        out.push(Drift {
            field: "description".into(),
            observed: str_at(observed, "/properties/description")
                .unwrap_or("(unset)")
                .into(),
            desired: d.clone(),
        });
    }
    out.extend(tags_drift(observed, &v.tags));
    for id in &v.identity.user_assigned_identities {
        let attached = observed
            .pointer("/identity/userAssignedIdentities")
            .and_then(Value::as_object)
            .is_some_and(|m| m.keys().any(|k| k.eq_ignore_ascii_case(id)));
        if v.identity.type_ == IdentityType::UserAssigned && !attached {
            out.push(Drift {
                field: "identity.userAssignedIdentities".into(),
                observed: "(not attached)".into(),
                desired: id.clone(),
            });
        }
    }
    out.extend(v.removals.drift());
    for (field, want) in [("traffic", traffic), ("mirrorTraffic", mirror)] {
        let have = observed_traffic(observed, field);
        if nonzero(&have) != nonzero(want) {
            out.push(Drift {
                field: field.into(),
                observed: show_traffic(&have),
                desired: show_traffic(want),
            });
        }
    }
    out
}

/// An ISO-8601 duration from milliseconds, as Azure's request settings take it.
pub fn iso_ms(ms: i32) -> String {
    if ms % 1000 == 0 {
        format!("PT{}S", ms / 1000)
    } else {
        format!("PT{}.{:03}S", ms / 1000, ms % 1000)
    }
}

/// An ISO-8601 duration from seconds, as Azure's probes take it.
pub fn iso_seconds(seconds: i32) -> String {
    format!("PT{seconds}S")
}

/// Milliseconds of an ISO-8601 duration Azure returned.
pub fn parse_iso_ms(value: &str) -> Option<u128> {
    iso8601::duration(value)
        .ok()
        .map(|d| std::time::Duration::from(d).as_millis())
}

fn probe_body(probe: &Probe, observed: Option<&Value>) -> Value {
    let mut out = observed
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for (key, seconds) in [
        ("initialDelay", probe.initial_delay),
        ("period", probe.period),
        ("timeout", probe.timeout),
    ] {
        if let Some(s) = seconds {
            out.insert(key.into(), json!(iso_seconds(s)));
        }
    }
    for (key, count) in [
        ("failureThreshold", probe.failure_threshold),
        ("successThreshold", probe.success_threshold),
    ] {
        if let Some(c) = count {
            out.insert(key.into(), json!(c));
        }
    }
    Value::Object(out)
}

/// The deployment body to PUT: the spec over what Azure has.
pub fn deployment_body(v: &ValidatedDeployment, location: &str, observed: Option<&Value>) -> Value {
    let mut body = writable_copy(observed);
    body.entry("location")
        .or_insert_with(|| Value::String(location.to_owned()));
    let mut tags = merged_tags(observed, &v.tags);
    remove_tags(&mut tags, &v.removals.tags);
    body.insert("tags".into(), tags);
    let sku = body
        .entry("sku")
        .or_insert_with(|| json!({"name": "Default"}));
    if let Value::Object(sku) = sku {
        sku.entry("name").or_insert_with(|| json!("Default"));
        sku.insert("capacity".into(), json!(v.instance_count));
    }
    let observed_props = observed.and_then(|o| o.get("properties"));
    let props = properties(&mut body);
    props.insert("endpointComputeType".into(), json!("Managed"));
    props.insert("model".into(), json!(v.model));
    props.insert("environmentId".into(), json!(v.environment));
    if let Some((code, script)) = &v.code {
        props.insert(
            "codeConfiguration".into(),
            json!({"codeId": code, "scoringScript": script}),
        );
    }
    props.insert("instanceType".into(), json!(v.instance_type));
    match v.egress_public_network_access {
        Some(egress) => {
            props.insert("egressPublicNetworkAccess".into(), json!(egress.as_str()));
        }
        None => {
            props.remove("egressPublicNetworkAccess");
        }
    }
    props.insert(
        "environmentVariables".into(),
        json!(v.environment_variables),
    );
    if let Some(rs) = &v.request_settings {
        let mut out = observed_props
            .and_then(|p| p.get("requestSettings"))
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        if let Some(ms) = rs.request_timeout_ms {
            out.insert("requestTimeout".into(), json!(iso_ms(ms)));
        }
        if let Some(n) = rs.max_concurrent_requests_per_instance {
            out.insert("maxConcurrentRequestsPerInstance".into(), json!(n));
        }
        props.insert("requestSettings".into(), Value::Object(out));
    }
    for (key, probe) in [
        ("livenessProbe", &v.liveness_probe),
        ("readinessProbe", &v.readiness_probe),
    ] {
        if let Some(p) = probe {
            props.insert(
                key.into(),
                probe_body(p, observed_props.and_then(|o| o.get(key))),
            );
        }
    }
    props.insert("appInsightsEnabled".into(), json!(v.app_insights_enabled));
    if let Some(d) = &v.description {
        props.insert("description".into(), json!(d));
    }
    if let Some(path) = &v.model_mount_path {
        props.insert("modelMountPath".into(), json!(path));
    }
    if let Some(dc) = &v.data_collector {
        props.insert("dataCollector".into(), dc.clone());
    }
    // Last: what the spec dropped never collides with what it sets.
    remove_properties(props, &v.removals.properties);
    props
        .entry("scaleSettings")
        .or_insert_with(|| json!({"scaleType": "Default"}));
    Value::Object(body)
}

/// How a deployment differs from its spec.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeploymentDiff {
    /// Differences a full PUT corrects.
    pub update: Vec<Drift>,
    /// The instance count, corrected by a PATCH of `sku.capacity`.
    pub scale: Option<Drift>,
    /// Create-only properties that differ: Azure cannot change them in place.
    pub immutable: Vec<Drift>,
}

/// The observed `sku.capacity`.
pub fn observed_capacity(resource: &Value) -> Option<i32> {
    resource
        .pointer("/sku/capacity")
        .and_then(Value::as_i64)
        .and_then(|n| i32::try_from(n).ok())
}

fn probe_drift(field: &str, probe: &Probe, observed: Option<&Value>, out: &mut Vec<Drift>) {
    let seconds = |key: &str| {
        observed
            .and_then(|o| o.get(key))
            .and_then(Value::as_str)
            .and_then(parse_iso_ms)
    };
    for (key, want) in [
        ("initialDelay", probe.initial_delay),
        ("period", probe.period),
        ("timeout", probe.timeout),
    ] {
        if let Some(want) = want
            && seconds(key) != u128::try_from(want).ok().map(|s| s * 1000)
        {
            out.push(Drift {
                field: format!("{field}.{key}"),
                observed: format!("{:?}", seconds(key)),
                desired: iso_seconds(want),
            });
        }
    }
    for (key, want) in [
        ("failureThreshold", probe.failure_threshold),
        ("successThreshold", probe.success_threshold),
    ] {
        let have = observed.and_then(|o| o.get(key)).and_then(Value::as_i64);
        if let Some(want) = want
            && have != Some(i64::from(want))
        {
            out.push(Drift {
                field: format!("{field}.{key}"),
                observed: format!("{have:?}"),
                desired: want.to_string(),
            });
        }
    }
}

/// What differs between a deployment spec and Azure.
pub fn deployment_diff(v: &ValidatedDeployment, observed: &Value) -> DeploymentDiff {
    let mut diff = DeploymentDiff::default();
    let prop = |key: &str| str_at(observed, &format!("/properties/{key}"));
    let mut differs = |field: &str, have: Option<&str>, want: &str, case_insensitive: bool| {
        let same = match have {
            Some(h) if case_insensitive => h.eq_ignore_ascii_case(want),
            Some(h) => h == want,
            None => false,
        };
        if !same {
            diff.update.push(Drift {
                field: field.into(),
                observed: have.unwrap_or("(unset)").into(),
                desired: want.into(),
            });
        }
    };
    differs("model", prop("model"), &v.model, true);
    differs("environment", prop("environmentId"), &v.environment, true);
    if let Some((code, script)) = &v.code {
        differs(
            "codeConfiguration.code",
            str_at(observed, "/properties/codeConfiguration/codeId"),
            code,
            true,
        );
        differs(
            "codeConfiguration.scoringScript",
            str_at(observed, "/properties/codeConfiguration/scoringScript"),
            script,
            false,
        );
    }
    if let Some(d) = &v.description {
        differs("description", prop("description"), d, false);
    }
    let env: BTreeMap<String, String> = observed
        .pointer("/properties/environmentVariables")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    if env != v.environment_variables {
        diff.update.push(Drift {
            field: "environmentVariables".into(),
            observed: format!("{} variables", env.len()),
            desired: format!("{} variables", v.environment_variables.len()),
        });
    }
    let app_insights = observed
        .pointer("/properties/appInsightsEnabled")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if app_insights != v.app_insights_enabled {
        diff.update.push(Drift {
            field: "appInsightsEnabled".into(),
            observed: app_insights.to_string(),
            desired: v.app_insights_enabled.to_string(),
        });
    }
    if let Some(rs) = &v.request_settings {
        if let Some(ms) = rs.request_timeout_ms {
            let have = str_at(observed, "/properties/requestSettings/requestTimeout")
                .and_then(parse_iso_ms);
            if have != u128::try_from(ms).ok() {
                diff.update.push(Drift {
                    field: "requestSettings.requestTimeoutMs".into(),
                    observed: format!("{have:?}"),
                    desired: ms.to_string(),
                });
            }
        }
        if let Some(n) = rs.max_concurrent_requests_per_instance {
            let have = observed
                .pointer("/properties/requestSettings/maxConcurrentRequestsPerInstance")
                .and_then(Value::as_i64);
            if have != Some(i64::from(n)) {
                diff.update.push(Drift {
                    field: "requestSettings.maxConcurrentRequestsPerInstance".into(),
                    observed: format!("{have:?}"),
                    desired: n.to_string(),
                });
            }
        }
    }
    if let Some(p) = &v.liveness_probe {
        probe_drift(
            "livenessProbe",
            p,
            observed.pointer("/properties/livenessProbe"),
            &mut diff.update,
        );
    }
    if let Some(p) = &v.readiness_probe {
        probe_drift(
            "readinessProbe",
            p,
            observed.pointer("/properties/readinessProbe"),
            &mut diff.update,
        );
    }
    diff.update.extend(tags_drift(observed, &v.tags));
    if let Some(path) = &v.model_mount_path
        && str_at(observed, "/properties/modelMountPath") != Some(path.as_str())
    {
        diff.update.push(Drift {
            field: "modelMountPath".into(),
            observed: str_at(observed, "/properties/modelMountPath")
                .unwrap_or("(unset)")
                .into(),
            desired: path.clone(),
        });
    }
    if let Some(dc) = &v.data_collector
        && !data_collector_matches(observed.pointer("/properties/dataCollector"), dc)
    {
        diff.update.push(Drift {
            field: "dataCollector".into(),
            observed: "different".into(),
            desired: "as the spec".into(),
        });
    }
    diff.update.extend(v.removals.drift());

    if !same_enum(prop("instanceType"), Some(&v.instance_type)) {
        diff.immutable.push(Drift {
            field: "instanceType".into(),
            observed: prop("instanceType").unwrap_or("(unset)").into(),
            desired: v.instance_type.clone(),
        });
    }
    if let Some(egress) = v.egress_public_network_access {
        // Azure's default is Enabled: a deployment without the property has public egress.
        let have = prop("egressPublicNetworkAccess").unwrap_or("Enabled");
        if !have.eq_ignore_ascii_case(egress.as_str()) {
            diff.immutable.push(Drift {
                field: "egressPublicNetworkAccess".into(),
                observed: have.into(),
                desired: egress.as_str().into(),
            });
        }
    }
    let capacity = observed_capacity(observed);
    if capacity != Some(v.instance_count) {
        diff.scale = Some(Drift {
            field: "instanceCount".into(),
            observed: capacity.map_or("(unset)".into(), |c| c.to_string()),
            desired: v.instance_count.to_string(),
        });
    }
    diff
}

/// Whether Azure's `dataCollector` holds what the spec sets: every member the spec sends has
/// the same value (enums case-insensitively, numbers by value); members Azure adds are ignored.
fn data_collector_matches(observed: Option<&Value>, want: &Value) -> bool {
    fn covers(have: &Value, want: &Value) -> bool {
        match (have, want) {
            (Value::Object(h), Value::Object(w)) => w.iter().all(|(k, wv)| {
                h.iter()
                    .find(|(hk, _)| hk.eq_ignore_ascii_case(k))
                    .is_some_and(|(_, hv)| covers(hv, wv))
            }),
            (Value::String(h), Value::String(w)) => h.eq_ignore_ascii_case(w),
            (Value::Number(h), Value::Number(w)) => h.as_f64() == w.as_f64(),
            (Value::Array(h), Value::Array(w)) => {
                h.len() == w.len() && h.iter().zip(w).all(|(a, b)| covers(a, b))
            }
            (h, w) => h == w,
        }
    }
    observed.is_some_and(|o| covers(o, want))
}

/// True when a deployment's outbound is locked down: the legacy flag is Disabled (Azure's
/// default is Enabled).
pub fn deployment_egress_locked(observed: &Value) -> bool {
    str_at(observed, "/properties/egressPublicNetworkAccess")
        .is_some_and(|v| v.eq_ignore_ascii_case(PublicNetworkAccess::Disabled.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn approved_connections_are_counted_whoever_made_them() {
        let ws = json!({"properties": {"privateEndpointConnections": [
            {"properties": {"privateLinkServiceConnectionState": {"status": "Approved"}}},
            {"properties": {"privateLinkServiceConnectionState": {"status": "Pending"}}},
            {"properties": {"privateLinkServiceConnectionState": {"status": "approved"}}},
            {"properties": {}},
            "not an object",
        ]}});
        assert_eq!(approved_private_endpoint_connections(&ws), 2);
        assert_eq!(approved_private_endpoint_connections(&json!({})), 0);
        assert_eq!(
            approved_private_endpoint_connections(
                &json!({"properties": {"privateEndpointConnections": "x"}})
            ),
            0
        );
    }

    #[test]
    fn durations() {
        assert_eq!(iso_ms(5000), "PT5S");
        assert_eq!(iso_ms(1500), "PT1.500S");
        assert_eq!(parse_iso_ms("PT5S"), Some(5000));
        assert_eq!(parse_iso_ms("PT5M"), Some(300_000));
        assert_eq!(parse_iso_ms("PT1.5S"), Some(1500));
        assert_eq!(parse_iso_ms("later"), None);
    }

    #[test]
    fn writable_copy_drops_read_only_and_keeps_the_rest() {
        let observed = json!({
            "id": "/x", "name": "n", "type": "t", "systemData": {}, "location": "westeurope",
            "identity": {"type": "SystemAssigned", "principalId": "p", "tenantId": "t"},
            "properties": {"provisioningState": "Succeeded", "scoringUri": "https://s", "compute": "c", "properties": {"k": "v"}}
        });
        let body = Value::Object(writable_copy(Some(&observed)));
        assert_eq!(
            body,
            json!({
                "location": "westeurope",
                "identity": {"type": "SystemAssigned"},
                "properties": {"compute": "c", "properties": {"k": "v"}}
            })
        );
    }
}
