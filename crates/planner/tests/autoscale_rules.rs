//! Autoscale, declared (issue 17 part 2): with `spec.autoscale` an instance count within
//! `[minInstances, maxInstances]` is the autoscaler's and never drift; outside it is corrected to
//! the nearest bound; without it `instanceCount` is enforced. The controller creates, corrects and
//! deletes the deployment's `Microsoft.Insights/autoscalesettings`, and never touches one that is
//! not its own.

mod builders;
mod fixtures;

use api::OnlineDeploymentSpec;
use builders::*;
use fixtures::*;
use planner::autoscale::{
    AutoscaleInput, AutoscalePlan, AutoscaleStep, effective_capacity, iso_duration, merge,
    plan_autoscale, setting_body, setting_drift, setting_id, setting_name,
};
use planner::{Action, Observation, OperationKind};
use serde_json::{Value, json};

const OWNER: &str = "OnlineDeployment/ml-prod/dep";

fn dep_id() -> String {
    format!(
        "{}/deployments/blue",
        endpoint_id("california-housing-service")
    )
}

fn with_autoscale(min: i32, max: i32) -> OnlineDeploymentSpec {
    let mut spec = deployment_spec("blue");
    spec.autoscale = Some(
        serde_json::from_value(json!({
            "minInstances": min,
            "maxInstances": max,
            "rules": [
                {"metric": "CpuUtilizationPercentage", "operator": "GreaterThan", "threshold": 70,
                 "direction": "Out", "changeCount": 2, "timeWindow": "5m", "cooldown": "5m"},
                {"metric": "CpuUtilizationPercentage", "operator": "LessThan", "threshold": 30,
                 "direction": "In", "timeWindow": "10m", "cooldown": "1h"}
            ]
        }))
        .expect("autoscale"),
    );
    spec
}

fn ready_dep(spec: OnlineDeploymentSpec, capacity: i32) -> Dep {
    let mut d = Dep::new(spec).azure(azure_deployment("blue", "Succeeded", capacity));
    d.status = ready_deployment_status(1);
    d
}

// ---- the deployment's capacity ----

#[test]
fn capacity_within_bounds_is_the_autoscalers() {
    // (min, max, instanceCount, Azure's capacity) -> the count the deployment is held to.
    for (min, max, count, observed, kept) in [
        (1, 5, 1, Some(3), 3),
        (1, 5, 1, Some(5), 5),
        (2, 4, 1, Some(1), 2),
        (2, 4, 1, Some(9), 4),
        (2, 4, 1, None, 2),
        (2, 4, 3, None, 3),
        (2, 4, 7, None, 4),
    ] {
        let spec = with_autoscale(min, max);
        assert_eq!(
            effective_capacity(spec.autoscale.as_ref(), count, observed),
            kept,
            "[{min},{max}] count {count} observed {observed:?}"
        );
    }
    assert_eq!(effective_capacity(None, 1, Some(3)), 1);
}

#[test]
fn autoscaler_change_within_bounds_is_not_drift() {
    for capacity in [1, 2, 3, 5] {
        let p = ready_dep(with_autoscale(1, 5), capacity).plan();
        assert_eq!(p.action, Action::None, "capacity {capacity}");
        assert!(p.drift.is_empty());
    }
}

#[test]
fn capacity_outside_bounds_is_corrected_to_the_nearest_bound() {
    for (capacity, bound) in [(7, 5), (1, 2)] {
        let p = ready_dep(with_autoscale(2, 5), capacity).plan();
        assert_eq!(
            p.action,
            Action::Patch {
                kind: OperationKind::Scale,
                body: json!({"sku": {"capacity": bound}})
            },
            "capacity {capacity}"
        );
        assert_eq!(p.drift.len(), 1);
        assert_eq!(p.drift[0].field, "instanceCount");
        assert_eq!(p.drift[0].desired, bound.to_string());
    }
}

#[test]
fn without_autoscale_instance_count_is_enforced() {
    let p = ready_dep(deployment_spec("blue"), 3).plan();
    assert_eq!(
        p.action,
        Action::Patch {
            kind: OperationKind::Scale,
            body: json!({"sku": {"capacity": 1}})
        }
    );
}

#[test]
fn create_holds_instance_count_within_the_bounds() {
    let mut spec = with_autoscale(2, 5);
    spec.instance_count = 1;
    let p = Dep::new(spec).plan();
    let Action::Put { kind, body } = &p.action else {
        panic!("expected a create, got {:?}", p.action);
    };
    assert_eq!(*kind, OperationKind::Create);
    assert_eq!(body["sku"]["capacity"], json!(2));
}

// ---- the setting ----

#[test]
fn setting_names_are_derived_and_bounded() {
    assert_eq!(setting_name("ml-prod", "blue"), "aml-ml-prod-blue");
    let long = setting_name(&"n".repeat(63), &"d".repeat(200));
    assert!(long.len() <= 64, "{long}");
    assert_ne!(long, setting_name(&"n".repeat(63), &"d".repeat(199)));
    assert_eq!(
        setting_id(&workspace(), "ml-prod", "blue").as_deref(),
        Some(
            "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-ml/providers/Microsoft.Insights/autoscalesettings/aml-ml-prod-blue"
        )
    );
}

#[test]
fn durations_become_iso_8601() {
    for (text, iso) in [
        ("5m", "PT5M"),
        ("1h", "PT1H"),
        ("1h30m", "PT1H30M"),
        ("90s", "PT1M30S"),
        ("168h", "PT168H"),
    ] {
        assert_eq!(iso_duration(text).as_deref(), Some(iso), "{text}");
    }
    assert_eq!(iso_duration("soon"), None);
}

#[test]
fn the_body_targets_the_deployment_with_capacity_and_rules() {
    let spec = with_autoscale(1, 5);
    let a = spec.autoscale.as_ref().expect("autoscale");
    let body = setting_body(a, "aml-ml-prod-blue", &dep_id(), "westeurope", OWNER).expect("body");
    assert_eq!(body["location"], "westeurope");
    assert_eq!(body["tags"]["aml-operator-owner"], OWNER);
    assert_eq!(body["properties"]["targetResourceUri"], json!(dep_id()));
    assert_eq!(body["properties"]["enabled"], json!(true));
    let profile = &body["properties"]["profiles"][0];
    assert_eq!(
        profile["capacity"],
        json!({"minimum": "1", "maximum": "5", "default": "1"})
    );
    let out = &profile["rules"][0];
    assert_eq!(
        out["metricTrigger"]["metricName"],
        "CpuUtilizationPercentage"
    );
    assert_eq!(out["metricTrigger"]["metricResourceUri"], json!(dep_id()));
    assert_eq!(out["metricTrigger"]["operator"], "GreaterThan");
    assert_eq!(out["metricTrigger"]["timeWindow"], "PT5M");
    assert_eq!(out["metricTrigger"]["timeGrain"], "PT1M");
    assert_eq!(
        out["scaleAction"],
        json!({"direction": "Increase", "type": "ChangeCount", "value": "2", "cooldown": "PT5M"})
    );
    let inward = &profile["rules"][1];
    assert_eq!(inward["scaleAction"]["direction"], "Decrease");
    assert_eq!(inward["scaleAction"]["cooldown"], "PT1H");
}

/// A setting as Azure returns it: the body plus what Azure adds.
fn azure_setting(body: &Value, id: &str) -> Value {
    let mut v = body.clone();
    v["id"] = json!(id);
    v["name"] = json!(id.rsplit('/').next());
    v["type"] = json!("Microsoft.Insights/autoscaleSettings");
    v["properties"]["notifications"] = json!([]);
    v["properties"]["predictiveAutoscalePolicy"] = json!({"scaleMode": "Disabled"});
    v
}

struct Setting {
    spec: Option<api::Autoscale>,
    deleting: bool,
    keep: bool,
    ready: bool,
    recorded: Option<String>,
    observed: Observation,
    drifting: bool,
}

impl Setting {
    fn new(spec: &OnlineDeploymentSpec) -> Self {
        Self {
            spec: spec.autoscale.clone(),
            deleting: false,
            keep: false,
            ready: true,
            recorded: None,
            observed: Observation::Missing,
            drifting: false,
        }
    }
    fn plan(&self) -> AutoscalePlan {
        let ws = workspace();
        let id = dep_id();
        plan_autoscale(&AutoscaleInput {
            namespace: NAMESPACE,
            name: "dep",
            spec: self.spec.as_ref(),
            owner: OWNER,
            deleting: self.deleting,
            keep_in_azure: self.keep,
            deployment_ready: self.ready.then_some(id.as_str()),
            workspace: Some(&ws),
            recorded: self.recorded.as_deref(),
            observed: &self.observed,
            drifting: self.drifting,
        })
    }
}

fn our_setting(spec: &OnlineDeploymentSpec) -> (String, Value) {
    let id = setting_id(&workspace(), NAMESPACE, "dep").expect("id");
    let a = spec.autoscale.as_ref().expect("autoscale");
    let body = setting_body(a, "aml-ml-prod-dep", &dep_id(), "westeurope", OWNER).expect("body");
    (id.clone(), azure_setting(&body, &id))
}

#[test]
fn the_setting_is_created_once_the_deployment_is_succeeded() {
    let spec = with_autoscale(1, 5);
    let mut s = Setting::new(&spec);
    s.ready = false;
    assert_eq!(s.plan().step, AutoscaleStep::None, "waits for its target");

    s.ready = true;
    let p = s.plan();
    let AutoscaleStep::Put { id, body } = &p.step else {
        panic!("expected a PUT, got {:?}", p.step);
    };
    assert!(id.ends_with("/providers/Microsoft.Insights/autoscalesettings/aml-ml-prod-dep"));
    assert_eq!(body["properties"]["targetResourceUri"], json!(dep_id()));
    assert_eq!(p.setting_id.as_deref(), Some(id.as_str()));
    assert_eq!(p.events[0].reason, "AutoscaleCreating");
}

#[test]
fn an_unchanged_setting_is_not_written_even_as_azure_spells_it() {
    let spec = with_autoscale(1, 5);
    let (id, mut azure) = our_setting(&spec);
    // Azure's spelling: durations another way, numbers as numbers, enums in other case.
    azure["properties"]["profiles"][0]["rules"][1]["scaleAction"]["cooldown"] = json!("PT60M");
    azure["properties"]["profiles"][0]["rules"][0]["metricTrigger"]["threshold"] = json!(70.0);
    azure["properties"]["profiles"][0]["rules"][0]["metricTrigger"]["operator"] =
        json!("greaterthan");
    let mut s = Setting::new(&spec);
    s.observed = Observation::Found(azure);
    s.recorded = Some(id);
    let p = s.plan();
    assert_eq!(p.step, AutoscaleStep::None, "{:?}", p.events);
    assert!(p.drift.is_empty());
}

#[test]
fn drift_in_the_setting_is_corrected_by_a_put() {
    let spec = with_autoscale(1, 5);
    let (id, mut azure) = our_setting(&spec);
    azure["properties"]["profiles"][0]["capacity"]["maximum"] = json!("20");
    azure["properties"]["enabled"] = json!(false);
    let mut s = Setting::new(&spec);
    s.observed = Observation::Found(azure);
    s.recorded = Some(id.clone());
    s.drifting = true;
    let p = s.plan();
    assert!(matches!(&p.step, AutoscaleStep::Put { id: put, .. } if *put == id));
    let fields: Vec<&str> = p.drift.iter().map(|d| d.field.as_str()).collect();
    assert!(fields.contains(&"autoscale capacity.maximum"), "{fields:?}");
    assert!(fields.contains(&"autoscale enabled"), "{fields:?}");
    assert_eq!(p.events[0].reason, "DriftCorrected");

    // A spec change is an update, not drift.
    s.drifting = false;
    let p = s.plan();
    assert!(p.step.is_write());
    assert!(p.drift.is_empty());
    assert_eq!(p.events[0].reason, "AutoscaleUpdating");
}

#[test]
fn a_setting_that_is_not_ours_is_never_written_or_deleted() {
    let spec = with_autoscale(1, 5);
    for tags in [
        json!({}),
        json!({"aml-operator-owner": "OnlineDeployment/other/dep"}),
    ] {
        let (_, mut azure) = our_setting(&spec);
        azure["tags"] = tags.clone();
        azure["properties"]["profiles"][0]["capacity"]["maximum"] = json!("20");
        let mut s = Setting::new(&spec);
        s.observed = Observation::Found(azure.clone());
        let p = s.plan();
        assert_eq!(p.step, AutoscaleStep::None, "tags {tags}");
        assert!(
            p.blocked
                .as_deref()
                .is_some_and(|b| b.contains("aml-operator-owner"))
        );
        assert_eq!(p.setting_id, None);

        // Nor deleted when autoscale is removed or the deployment goes.
        for (spec_gone, deleting) in [(true, false), (false, true)] {
            let mut s = Setting::new(&spec);
            if spec_gone {
                s.spec = None;
            }
            s.deleting = deleting;
            s.recorded = Some("recorded".into());
            s.observed = Observation::Found(azure.clone());
            assert_eq!(s.plan().step, AutoscaleStep::None, "tags {tags}");
        }
    }
}

#[test]
fn removing_autoscale_deletes_the_setting_then_forgets_it() {
    let spec = with_autoscale(1, 5);
    let (id, azure) = our_setting(&spec);
    let mut s = Setting::new(&spec);
    s.spec = None;
    s.recorded = Some(id.clone());
    s.observed = Observation::Found(azure);
    let p = s.plan();
    assert_eq!(p.step, AutoscaleStep::Delete { id: id.clone() });
    assert_eq!(p.events[0].reason, "AutoscaleDeleting");
    assert_eq!(
        p.setting_id.as_deref(),
        Some(id.as_str()),
        "kept until Azure says it is gone"
    );

    s.observed = Observation::Missing;
    let p = s.plan();
    assert_eq!(p.step, AutoscaleStep::None);
    assert_eq!(p.setting_id, None);

    // Never had one: nothing is read or done.
    let mut s = Setting::new(&deployment_spec("blue"));
    s.observed = Observation::Skipped;
    assert_eq!(
        planner::autoscale::setting_to_read(&AutoscaleInput {
            namespace: NAMESPACE,
            name: "dep",
            spec: None,
            owner: OWNER,
            deleting: false,
            keep_in_azure: false,
            deployment_ready: None,
            workspace: Some(&workspace()),
            recorded: None,
            observed: &s.observed,
            drifting: false,
        }),
        None
    );
}

#[test]
fn deleting_the_deployment_deletes_its_setting_unless_kept() {
    let spec = with_autoscale(1, 5);
    let (id, azure) = our_setting(&spec);
    let mut s = Setting::new(&spec);
    s.deleting = true;
    s.recorded = Some(id.clone());
    s.observed = Observation::Found(azure);
    assert_eq!(s.plan().step, AutoscaleStep::Delete { id });
    s.keep = true;
    let p = s.plan();
    assert_eq!(
        p.step,
        AutoscaleStep::None,
        "Orphan / detach-on-delete leave it"
    );
    assert_eq!(p.setting_id, None);
}

#[test]
fn a_refused_setting_keeps_the_deployment_from_ready() {
    let spec = with_autoscale(1, 5);
    let mut dep = ready_dep(spec.clone(), 3);
    dep.status.autoscale_setting_id = None;
    let mut plan = dep.plan();
    assert!(is_ready(&plan.status));
    let refused = AutoscalePlan {
        step: AutoscaleStep::None,
        setting_id: None,
        blocked: Some("autoscale setting x already exists and was not created by this object (no tag aml-operator-owner)".into()),
        events: Vec::new(),
        drift: Vec::new(),
    };
    let stored = plan.status.clone();
    merge(&mut plan, &stored, &refused, Some(1), now());
    assert!(!is_ready(&plan.status));
    let stalled = api::conditions::find_condition(
        &plan.status.conditions,
        api::conditions::ConditionType::Stalled,
    )
    .expect("stalled");
    assert_eq!(stalled.reason, "NotOwned");

    // The same refusal on the next reconcile leaves the stored conditions as they were.
    let stored = plan.status.clone();
    let mut again = dep.plan();
    merge(&mut again, &stored, &refused, Some(1), now());
    assert_eq!(again.status.conditions, stored.conditions);

    // A created setting's id reaches status.
    let created = AutoscalePlan {
        setting_id: Some(
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Insights/autoscalesettings/a"
                .into(),
        ),
        blocked: None,
        ..refused
    };
    let mut p = dep.plan();
    merge(&mut p, &dep.status, &created, Some(1), now());
    assert_eq!(p.status.autoscale_setting_id, created.setting_id);
    assert!(is_ready(&p.status));
}

fn is_ready(status: &api::OnlineDeploymentStatus) -> bool {
    api::conditions::find_condition(&status.conditions, api::conditions::ConditionType::Ready)
        .is_some_and(|c| c.status == "True")
}

#[test]
fn setting_drift_names_each_field() {
    let spec = with_autoscale(1, 5);
    let (_, ours) = our_setting(&spec);
    let mut theirs = ours.clone();
    theirs["properties"]["profiles"][0]["rules"][0]["metricTrigger"]["threshold"] = json!(90);
    theirs["properties"]["targetResourceUri"] = json!("/somewhere/else");
    let fields: Vec<String> = setting_drift(&ours, &theirs)
        .into_iter()
        .map(|d| d.field)
        .collect();
    assert_eq!(
        fields,
        vec![
            "autoscale targetResourceUri",
            "autoscale rules[0].threshold"
        ]
    );
    theirs["properties"]["profiles"][0]["rules"] = json!([]);
    let fields: Vec<String> = setting_drift(&ours, &theirs)
        .into_iter()
        .map(|d| d.field)
        .collect();
    assert!(
        fields.contains(&"autoscale rules".to_string()),
        "{fields:?}"
    );
}
