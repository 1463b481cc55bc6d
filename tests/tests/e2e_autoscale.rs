//! End-to-end, autoscale declared (issue 17 part 2): a deployment with `spec.autoscale` gets its
//! Azure Monitor autoscale setting (PUT targeting the deployment, with its capacity); the
//! autoscaler changing capacity within `[min, max]` makes the controller write nothing across
//! several syncs; a count outside is corrected to the nearest bound; removing `autoscale`
//! deletes the setting and `instanceCount` is enforced again; deleting the deployment deletes
//! its setting.

use std::time::Duration;

use aml_operator_tests::e2e::{Env, EnvOptions, arm_config, deployment_id};
use api::OnlineDeployment;
use serde_json::{Value, json};

const MINUTE: Duration = Duration::from_secs(60);

/// Short syncs: what the autoscaler or a person changes in Azure is read within one sync (reads
/// within a sync may come from the endpoint's shared list).
const SYNC: Duration = Duration::from_secs(2);

fn options() -> EnvOptions {
    EnvOptions {
        arm: arm_config(Duration::from_millis(200)).expect("seed"),
        sync_interval: SYNC,
        leader_election: false,
        operator_args: Vec::new(),
    }
}

fn workspace() -> Value {
    json!({
        "apiVersion": "aml-operator.io/v1alpha1", "kind": "Workspace",
        "metadata": {"name": "housing"},
        "spec": {"resourceId": aml_operator_tests::e2e::WORKSPACE_ID}
    })
}

fn endpoint() -> Value {
    json!({
        "apiVersion": "aml-operator.io/v1alpha1", "kind": "OnlineEndpoint",
        "metadata": {"name": "scoring"},
        "spec": {"workspaceRef": {"name": "housing"}, "authMode": "Key"}
    })
}

fn deployment(autoscale: Option<Value>, touch: u32) -> Value {
    let mut spec = json!({
        "endpointRef": {"name": "scoring"}, "azureName": "blue",
        "model": "azureml:california-housing-prices:1", "environment": "azureml:california-housing-env:1",
        "instanceType": "Standard_F2s_v2", "instanceCount": 1, "egressPublicNetworkAccess": "Disabled"
    });
    if let Some(a) = autoscale {
        spec["autoscale"] = a;
    }
    json!({
        "apiVersion": "aml-operator.io/v1alpha1", "kind": "OnlineDeployment",
        "metadata": {"name": "scoring-blue", "annotations": {"example.com/touch": touch.to_string()}},
        "spec": spec
    })
}

fn autoscale() -> Value {
    json!({
        "minInstances": 1, "maxInstances": 4, "defaultInstances": 2,
        "rules": [
            {"metric": "CpuUtilizationPercentage", "operator": "GreaterThan", "threshold": 70,
             "direction": "Out", "changeCount": 2, "timeWindow": "5m", "cooldown": "5m"},
            {"metric": "CpuUtilizationPercentage", "operator": "LessThan", "threshold": 30,
             "direction": "In", "timeWindow": "10m", "cooldown": "10m"}
        ]
    })
}

fn setting_id(env: &Env) -> String {
    format!(
        "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-ml/providers/Microsoft.Insights/autoscalesettings/aml-{}-scoring-blue",
        env.namespace
    )
}

/// Reconciles of OnlineDeployments the operator has finished (its `/metrics`).
async fn deployment_reconciles(env: &Env) -> anyhow::Result<u64> {
    let (_, metrics) = env.admin_get(0, "/metrics").await?;
    Ok(metrics
        .lines()
        .filter(|l| {
            l.starts_with("aml_operator_reconciles_total{")
                && l.contains("kind=\"OnlineDeployment\"")
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64)
}

/// Applies the deployment (a new annotation value wakes it) and waits for a reconcile.
async fn sync(env: &Env, autoscale: Option<Value>, touch: u32) -> anyhow::Result<()> {
    let before = deployment_reconciles(env).await?;
    env.apply(deployment(autoscale, touch)).await?;
    env.wait("a reconcile", MINUTE, || async {
        Ok((deployment_reconciles(env).await? > before).then_some(()))
    })
    .await
}

/// The controller's writes to the deployment (PUT and PATCH).
fn deployment_writes(env: &Env) -> usize {
    env.controller_requests("PATCH", "/deployments/blue").len()
        + env.controller_requests("PUT", "/deployments/blue").len()
}

fn capacity(env: &Env, id: &str) -> Option<i64> {
    env.azure(id)
        .and_then(|d| d.pointer("/sku/capacity").and_then(Value::as_i64))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn autoscale_is_declared_and_never_fought() -> anyhow::Result<()> {
    let env = Env::start("autoscale", options()).await?;
    env.apply(workspace()).await?;
    env.apply(endpoint()).await?;
    env.wait_ready("OnlineEndpoint", "scoring", MINUTE).await?;
    let dep_id = deployment_id("scoring", "blue");
    let setting = setting_id(&env);
    let setting_name = setting.rsplit('/').next().unwrap_or_default().to_owned();

    // 1. The deployment with autoscale gets its setting once it is Succeeded.
    env.apply(deployment(Some(autoscale()), 0)).await?;
    env.wait_ready("OnlineDeployment", "scoring-blue", MINUTE)
        .await?;
    let recorded = env
        .wait("status.autoscaleSettingId", MINUTE, || async {
            Ok(env
                .get_json("OnlineDeployment", "scoring-blue")
                .await?
                .and_then(|d| d.pointer("/status/autoscaleSettingId").cloned()))
        })
        .await?;
    assert_eq!(
        recorded.as_str().map(str::to_ascii_lowercase),
        Some(setting.to_ascii_lowercase())
    );
    let puts = env.controller_requests("PUT", &format!("/autoscalesettings/{setting_name}"));
    assert_eq!(puts.len(), 1, "one PUT of the setting");
    assert_eq!(puts[0].api_version.as_deref(), Some("2022-10-01"));
    let body = puts[0].body.clone().unwrap_or_default();
    assert!(
        body.pointer("/properties/targetResourceUri")
            .and_then(Value::as_str)
            .is_some_and(|t| t.eq_ignore_ascii_case(&dep_id)),
        "{body}"
    );
    assert_eq!(
        body.pointer("/properties/profiles/0/capacity"),
        Some(&json!({"minimum": "1", "maximum": "4", "default": "2"}))
    );
    assert_eq!(
        body.pointer("/tags/aml-operator-owner")
            .and_then(Value::as_str),
        Some(format!("OnlineDeployment/{}/scoring-blue", env.namespace).as_str())
    );
    assert_eq!(
        body.pointer("/properties/profiles/0/rules/0/scaleAction"),
        Some(
            &json!({"direction": "Increase", "type": "ChangeCount", "value": "2", "cooldown": "PT5M"})
        )
    );
    assert_eq!(body.pointer("/location"), Some(&json!("westeurope")));
    // The setting's PUT came after the deployment was created.
    let requests = env.requests();
    let created = requests
        .iter()
        .position(|r| r.method == "PUT" && r.path.eq_ignore_ascii_case(&dep_id));
    let set = requests.iter().position(|r| {
        r.method == "PUT" && r.path.to_ascii_lowercase().contains("/autoscalesettings/")
    });
    assert!(created < set, "deployment PUT before the setting's");

    // 2. The autoscaler scales within [1, 4]: no write from the controller across syncs.
    let writes = deployment_writes(&env);
    let scaled = env.arm.admin().autoscale_deployment(&dep_id, 3)?;
    assert_eq!(scaled, 3);
    let observed = env
        .wait("status.instanceCount 3", MINUTE, || async {
            Ok(env
                .get_json("OnlineDeployment", "scoring-blue")
                .await?
                .and_then(|d| d.pointer("/status/instanceCount").cloned())
                .filter(|c| *c == json!(3)))
        })
        .await?;
    // Several more syncs, and a touch of the object.
    let seen = deployment_reconciles(&env).await?;
    env.wait("three more syncs", MINUTE, || async {
        Ok((deployment_reconciles(&env).await? >= seen + 3).then_some(()))
    })
    .await?;
    sync(&env, Some(autoscale()), 1).await?;
    assert_eq!(observed, json!(3));
    assert_eq!(
        deployment_writes(&env),
        writes,
        "the autoscaler's count is not drift"
    );
    assert_eq!(capacity(&env, &dep_id), Some(3));
    assert_eq!(
        env.controller_requests("PUT", &format!("/autoscalesettings/{setting_name}"))
            .len(),
        1,
        "an unchanged setting is not written again"
    );
    env.wait_ready("OnlineDeployment", "scoring-blue", MINUTE)
        .await?;

    // 3. Outside the bounds (someone sets 7 in the portal): corrected to the nearest bound, 4.
    env.arm.admin().set_deployment_capacity(&dep_id, 7)?;
    sync(&env, Some(autoscale()), 4).await?;
    env.wait("capacity back to 4", MINUTE, || async {
        Ok((capacity(&env, &dep_id) == Some(4)).then_some(()))
    })
    .await?;
    let patches = env.controller_requests("PATCH", "/deployments/blue");
    assert_eq!(
        patches.last().and_then(|p| p.body.clone()),
        Some(json!({"sku": {"capacity": 4}}))
    );

    // 4. autoscale removed: the setting is deleted and instanceCount (1) is enforced again.
    env.wait_ready("OnlineDeployment", "scoring-blue", MINUTE)
        .await?;
    // (a merge patch, as `kubectl apply` sends for a removed field: the emulator's server-side
    // apply leaves an empty `autoscale: {}` behind, which the schema refuses)
    env.api::<OnlineDeployment>()
        .patch(
            "scoring-blue",
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(json!({"spec": {"autoscale": null}})),
        )
        .await?;
    env.wait("the setting deleted and capacity 1", MINUTE, || async {
        Ok((env.azure(&setting).is_none() && capacity(&env, &dep_id) == Some(1)).then_some(()))
    })
    .await?;
    assert_eq!(
        env.controller_requests("DELETE", &format!("/autoscalesettings/{setting_name}"))
            .len(),
        1
    );
    env.wait("status.autoscaleSettingId cleared", MINUTE, || async {
        Ok(env
            .get_json("OnlineDeployment", "scoring-blue")
            .await?
            .filter(|d| d.pointer("/status/autoscaleSettingId").is_none())
            .map(|_| ()))
    })
    .await?;

    // 5. Autoscale again, then delete the deployment: its setting goes with it.
    env.apply(deployment(Some(autoscale()), 6)).await?;
    env.wait("the setting again", MINUTE, || async {
        Ok(env.azure(&setting).map(|_| ()))
    })
    .await?;
    env.delete::<OnlineDeployment>("scoring-blue").await?;
    env.wait_gone("OnlineDeployment", "scoring-blue", MINUTE)
        .await?;
    assert!(
        env.azure(&setting).is_none(),
        "the setting is deleted with the deployment"
    );
    assert!(env.azure(&dep_id).is_none());
    assert_eq!(
        env.controller_requests("DELETE", &format!("/autoscalesettings/{setting_name}"))
            .len(),
        2
    );
    env.finish().await
}

/// A setting of that name that is not ours is never written or deleted: the deployment says
/// so (Stalled NotOwned) and the person's setting stays as it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_setting_that_is_not_ours_is_left_alone() -> anyhow::Result<()> {
    let env = Env::start("autoscale-theirs", options()).await?;
    env.apply(workspace()).await?;
    env.apply(endpoint()).await?;
    env.wait_ready("OnlineEndpoint", "scoring", MINUTE).await?;
    let dep_id = deployment_id("scoring", "blue");
    let setting = setting_id(&env);
    // Someone made a setting of that name by hand (no owner tag).
    env.apply(deployment(None, 0)).await?;
    env.wait_ready("OnlineDeployment", "scoring-blue", MINUTE)
        .await?;
    let theirs = json!({
        "location": "westeurope",
        "tags": {"team": "ml"},
        "properties": {"enabled": true, "targetResourceUri": dep_id, "profiles": [{
            "name": "manual", "capacity": {"minimum": "1", "maximum": "2", "default": "1"}, "rules": []}]}
    });
    put_as_person(&env, &setting, &theirs).await?;

    env.apply(deployment(Some(autoscale()), 1)).await?;
    let stalled = env
        .wait("Stalled NotOwned", MINUTE, || async {
            Ok(env
                .condition("OnlineDeployment", "scoring-blue", "Stalled")
                .await?
                .filter(|c| c.1 == "NotOwned"))
        })
        .await?;
    assert!(stalled.2.contains("aml-operator-owner"), "{stalled:?}");
    assert!(
        env.controller_requests("PUT", "/autoscalesettings/")
            .is_empty(),
        "never written"
    );
    env.delete::<OnlineDeployment>("scoring-blue").await?;
    env.wait_gone("OnlineDeployment", "scoring-blue", MINUTE)
        .await?;
    assert!(env.azure(&setting).is_some(), "never deleted");
    assert!(
        env.controller_requests("DELETE", "/autoscalesettings/")
            .is_empty()
    );
    env.finish().await
}

/// PUT as a person in the portal would (the person principal, through the ARM client).
async fn put_as_person(env: &Env, id: &str, body: &Value) -> anyhow::Result<()> {
    let person = arm::ArmClient::builder(
        arm::Cloud::custom(env.arm.base_url(), env.arm.authority_host())?,
        arm::Credential::StaticToken(azure_core::credentials::Secret::new(
            env.arm.issue_token(aml_operator_tests::e2e::PERSON_CLIENT),
        )),
    )
    .trust_only_ca_pem(env.arm.ca_pem().expect("tls").as_bytes())?
    .build()?;
    let _: Value = person.put(&arm::ResourceId::parse(id)?, body).await?;
    Ok(())
}
