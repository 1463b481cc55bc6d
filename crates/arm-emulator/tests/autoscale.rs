//! Azure Monitor autoscale settings (`Microsoft.Insights/autoscalesettings`, 2022-10-01): the
//! spec's verbs and status codes, its validation (profiles, rules, capacity, durations), the
//! api-versions it publishes, and the autoscaler scaling an online deployment within a
//! setting's bounds.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

const AS: &str = "2022-10-01";

fn setting_id(name: &str) -> String {
    format!(
        "/subscriptions/{SUB}/resourceGroups/rg-ml/providers/Microsoft.Insights/autoscalesettings/{name}"
    )
}

fn setting(target: &str, min: &str, max: &str, default: &str) -> Value {
    json!({
        "location": "westeurope",
        "tags": {"aml-operator-owner": "OnlineDeployment/ml-prod/blue"},
        "properties": {
            "enabled": true,
            "targetResourceUri": target,
            "profiles": [{
                "name": "default",
                "capacity": {"minimum": min, "maximum": max, "default": default},
                "rules": [{
                    "metricTrigger": {
                        "metricName": "CpuUtilizationPercentage",
                        "metricResourceUri": target,
                        "timeGrain": "PT1M", "statistic": "average", "timeWindow": "PT5M",
                        "timeAggregation": "Average", "operator": "GreaterThan", "threshold": 70
                    },
                    "scaleAction": {"direction": "Increase", "type": "ChangeCount", "value": "1", "cooldown": "PT5M"}
                }]
            }]
        }
    })
}

#[tokio::test]
async fn put_get_patch_list_delete_with_the_specs_status_codes() {
    let h = Harness::start().await;
    h.endpoint("ep1", "Disabled", json!({})).await;
    let target = dep_id("ep1", "blue");
    h.deployment("ep1", "blue", 1).await;
    let id = setting_id("aml-ml-prod-blue");

    let created = h.put(&id, AS, &setting(&target, "1", "5", "1")).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["type"], "Microsoft.Insights/autoscaleSettings");
    assert_eq!(created.body["name"], "aml-ml-prod-blue");
    assert_eq!(created.body["properties"]["name"], "aml-ml-prod-blue");
    assert_eq!(
        created.body["properties"]["targetResourceUri"],
        json!(target)
    );
    // Enums are stored in canonical case.
    assert_eq!(
        created.body["properties"]["profiles"][0]["rules"][0]["metricTrigger"]["statistic"],
        "Average"
    );

    let again = h.put(&id, AS, &setting(&target, "1", "6", "2")).await;
    assert_eq!(again.status, StatusCode::OK, "an update answers 200");
    let got = h.get(&id, AS).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(
        got.body["properties"]["profiles"][0]["capacity"],
        json!({"minimum": "1", "maximum": "6", "default": "2"})
    );

    let patched = h
        .patch(&id, AS, &json!({"properties": {"enabled": false}}))
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{:?}", patched.body);
    assert_eq!(patched.body["properties"]["enabled"], json!(false));

    let listed = h
        .get(&format!("/subscriptions/{SUB}/resourceGroups/rg-ml/providers/Microsoft.Insights/autoscalesettings"), AS)
        .await;
    assert_eq!(listed.body["value"].as_array().unwrap().len(), 1);
    let by_sub = h
        .get(
            &format!("/subscriptions/{SUB}/providers/microsoft.insights/autoscalesettings"),
            AS,
        )
        .await;
    assert_eq!(by_sub.status, StatusCode::OK, "{:?}", by_sub.body);
    assert_eq!(by_sub.body["value"][0]["id"], json!(id));

    assert_eq!(h.delete(&id, AS).await.status, StatusCode::OK);
    assert_eq!(h.get(&id, AS).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        h.delete(&id, AS).await.status,
        StatusCode::NO_CONTENT,
        "deleting what does not exist answers 204"
    );
}

/// A named change to a setting's body.
type Mutation = (&'static str, Box<dyn Fn(&mut Value)>);

#[tokio::test]
async fn the_specs_rules_are_enforced() {
    let h = Harness::start().await;
    let target = dep_id("ep1", "blue");
    let id = setting_id("s");
    let cases: Vec<Mutation> = vec![
        (
            "capacity",
            Box::new(|b: &mut Value| {
                b["properties"]["profiles"][0]["capacity"]["minimum"] = json!("6")
            }),
        ),
        (
            "capacity.default",
            Box::new(|b: &mut Value| {
                b["properties"]["profiles"][0]["capacity"]["default"] = json!("9")
            }),
        ),
        (
            "timeWindow",
            Box::new(|b: &mut Value| {
                b["properties"]["profiles"][0]["rules"][0]["metricTrigger"]["timeWindow"] =
                    json!("PT1M")
            }),
        ),
        (
            "timeGrain",
            Box::new(|b: &mut Value| {
                b["properties"]["profiles"][0]["rules"][0]["metricTrigger"]["timeGrain"] =
                    json!("PT13H")
            }),
        ),
        (
            "cooldown",
            Box::new(|b: &mut Value| {
                b["properties"]["profiles"][0]["rules"][0]["scaleAction"]["cooldown"] =
                    json!("PT8D")
            }),
        ),
        (
            "value",
            Box::new(|b: &mut Value| {
                b["properties"]["profiles"][0]["rules"][0]["scaleAction"]["value"] = json!("0")
            }),
        ),
        (
            "operator",
            Box::new(|b: &mut Value| {
                b["properties"]["profiles"][0]["rules"][0]["metricTrigger"]["operator"] =
                    json!("Above")
            }),
        ),
        (
            "rules",
            Box::new(|b: &mut Value| {
                let rule = b["properties"]["profiles"][0]["rules"][0].clone();
                b["properties"]["profiles"][0]["rules"] = Value::Array(vec![rule; 11]);
            }),
        ),
        (
            "profiles",
            Box::new(|b: &mut Value| {
                let profile = b["properties"]["profiles"][0].clone();
                b["properties"]["profiles"] = Value::Array(vec![profile; 21]);
            }),
        ),
        (
            "profiles",
            Box::new(|b: &mut Value| {
                b["properties"].as_object_mut().unwrap().remove("profiles");
            }),
        ),
    ];
    for (field, change) in cases {
        let mut body = setting(&target, "1", "5", "1");
        change(&mut body);
        let r = h.put(&id, AS, &body).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{field}: {:?}", r.body);
        let message = r.body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
            + r.body["error"]["target"].as_str().unwrap_or_default();
        assert!(message.contains(field), "{field}: {:?}", r.body);
    }
    // 10 rules and 20 profiles are accepted.
    let mut body = setting(&target, "1", "5", "1");
    let rule = body["properties"]["profiles"][0]["rules"][0].clone();
    body["properties"]["profiles"][0]["rules"] = Value::Array(vec![rule; 10]);
    let profile = body["properties"]["profiles"][0].clone();
    body["properties"]["profiles"] = Value::Array(vec![profile; 20]);
    assert_eq!(h.put(&id, AS, &body).await.status, StatusCode::CREATED);
}

#[tokio::test]
async fn only_published_api_versions_are_accepted() {
    let h = Harness::start().await;
    let body = setting(&dep_id("ep1", "blue"), "1", "2", "1");
    for v in ["2015-04-01", "2021-05-01-preview", "2022-10-01"] {
        let r = h.put(&setting_id(&format!("v{}", &v[..4])), v, &body).await;
        assert!(r.status.is_success(), "{v}: {:?}", r.body);
    }
    let r = h.put(&setting_id("x"), "2020-02-02", &body).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "NoRegisteredProviderFound");
}

#[tokio::test]
async fn the_autoscaler_scales_a_deployment_within_its_settings_bounds() {
    let h = Harness::start().await;
    h.endpoint("ep1", "Disabled", json!({})).await;
    h.deployment("ep1", "blue", 1).await;
    let target = dep_id("ep1", "blue");
    let admin = h.emulator.admin();
    assert!(
        admin.autoscale_deployment(&target, 3).is_err(),
        "no setting targets it yet"
    );
    let id = setting_id("s");
    assert!(
        h.put(&id, AS, &setting(&target, "2", "4", "2"))
            .await
            .status
            .is_success()
    );
    assert_eq!(admin.autoscale_deployment(&target, 3).unwrap(), 3);
    assert_eq!(h.get(&target, ML).await.body["sku"]["capacity"], json!(3));
    assert_eq!(
        admin.autoscale_deployment(&target, 9).unwrap(),
        4,
        "held to the maximum"
    );
    assert_eq!(
        admin.autoscale_deployment(&target, 1).unwrap(),
        2,
        "held to the minimum"
    );
    let changes = admin.state_changes(&target);
    let last = changes.last().unwrap();
    assert_eq!(last.actor, "autoscale");
    assert_eq!(last.change, "autoscaled");

    // A disabled setting does not scale.
    assert!(
        h.patch(&id, AS, &json!({"properties": {"enabled": false}}))
            .await
            .status
            .is_success()
    );
    assert!(admin.autoscale_deployment(&target, 3).is_err());
    // The portal still can, to any count.
    admin.set_deployment_capacity(&target, 7).unwrap();
    assert_eq!(h.get(&target, ML).await.body["sku"]["capacity"], json!(7));
    assert_eq!(admin.state_changes(&target).last().unwrap().actor, "portal");
}
