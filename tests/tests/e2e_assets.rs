//! End-to-end, day 2 (issue 17 parts 5 and 6): a model shared in an Azure ML registry deploys
//! with its `azureml://registries/...` URI; an `azureml:<name>@latest` model is pinned in
//! status, and a version published later redeploys only with `spec.assets.track: Latest`; a tag
//! removed from the spec is removed in Azure while a tag a person added in the portal stays.

use std::time::Duration;

use aml_operator_tests::e2e::{Env, EnvOptions, WORKSPACE_ID, deployment_id, endpoint_id};
use arm_emulator::{Drift, EmulatorConfig, LroDurations, Seed};
use serde_json::{Value, json};

const MINUTE: Duration = Duration::from_secs(60);
const REGISTRY: &str = "shared-models";
const REGISTRY_ID: &str = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/registries/shared-models";

fn options() -> EnvOptions {
    let mut seed = aml_operator_tests::e2e::with_platform_private_endpoint(
        Seed::sandbox().expect("sandbox seed"),
    );
    for sub in &mut seed.subscriptions {
        for rg in &mut sub.resource_groups {
            if rg.name == "rg-ml" {
                rg.ml_registries.push(REGISTRY.into());
            }
        }
    }
    EnvOptions {
        arm: EmulatorConfig::default()
            .seed(seed)
            .lro_durations(LroDurations::uniform(Duration::from_millis(100))),
        sync_interval: Duration::from_secs(30),
        leader_election: false,
        operator_args: Vec::new(),
    }
}

fn workspace() -> Value {
    json!({
        "apiVersion": "aml-operator.io/v1alpha1", "kind": "Workspace",
        "metadata": {"name": "housing"},
        "spec": {"resourceId": WORKSPACE_ID}
    })
}

fn endpoint(tags: Value) -> Value {
    json!({
        "apiVersion": "aml-operator.io/v1alpha1", "kind": "OnlineEndpoint",
        "metadata": {"name": "scoring"},
        "spec": {"workspaceRef": {"name": "housing"}, "authMode": "Key", "tags": tags}
    })
}

fn deployment(name: &str, azure: &str, model: &str, extra: Value) -> Value {
    let mut spec = json!({
        "endpointRef": {"name": "scoring"}, "azureName": azure,
        "model": model, "environment": "azureml:california-housing-env:1",
        "instanceType": "Standard_F2s_v2", "instanceCount": 1,
        "egressPublicNetworkAccess": "Disabled"
    });
    if let (Some(s), Some(e)) = (spec.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            s.insert(k.clone(), v.clone());
        }
    }
    json!({
        "apiVersion": "aml-operator.io/v1alpha1", "kind": "OnlineDeployment",
        "metadata": {"name": name}, "spec": spec
    })
}

fn azure_model(env: &Env, azure: &str) -> Option<String> {
    env.azure(&deployment_id("scoring", azure)).and_then(|d| {
        d.pointer("/properties/model")
            .and_then(Value::as_str)
            .map(str::to_owned)
    })
}

/// PUTs the controller sent to one deployment so far.
fn puts(env: &Env, azure: &str) -> usize {
    env.controller_requests("PUT", &format!("/deployments/{azure}"))
        .len()
}

async fn pinned(env: &Env, name: &str) -> anyhow::Result<Option<Value>> {
    Ok(env
        .get_json("OnlineDeployment", name)
        .await?
        .and_then(|d| d.pointer("/status/resolvedAssets/model").cloned()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_model_and_latest_pin() -> anyhow::Result<()> {
    let env = Env::start("assets-latest", options()).await?;
    let admin = env.arm.admin();
    admin.publish_asset_version(REGISTRY_ID, "models", "fraud", "3")?;
    admin.publish_asset_version(WORKSPACE_ID, "models", "housing", "1")?;
    admin.publish_asset_version(WORKSPACE_ID, "models", "housing", "2")?;

    env.apply(workspace()).await?;
    env.apply(endpoint(json!({}))).await?;
    env.wait_ready("OnlineEndpoint", "scoring", MINUTE).await?;

    // A registry model deploys with its URI as written (what azure-ai-ml sends).
    let registry_model = format!("azureml://registries/{REGISTRY}/models/fraud/versions/3");
    env.apply(deployment("fraud", "fraud", &registry_model, json!({})))
        .await?;
    env.wait_ready("OnlineDeployment", "fraud", MINUTE).await?;
    assert_eq!(
        azure_model(&env, "fraud").as_deref(),
        Some(registry_model.as_str())
    );

    // A registry label resolves through the registry's version list.
    env.apply(deployment(
        "fraud-latest",
        "fraudlatest",
        &format!("azureml://registries/{REGISTRY}/models/fraud/labels/latest"),
        json!({}),
    ))
    .await?;
    env.wait_ready("OnlineDeployment", "fraud-latest", MINUTE)
        .await?;
    assert_eq!(
        azure_model(&env, "fraudlatest").as_deref(),
        Some(registry_model.as_str())
    );

    // @latest in the workspace: pinned in status, deployed with version 2.
    env.apply(deployment(
        "pinned",
        "pinned",
        "azureml:housing@latest",
        json!({}),
    ))
    .await?;
    env.apply(deployment(
        "tracking",
        "tracking",
        "azureml:housing@latest",
        json!({"assets": {"track": "Latest"}}),
    ))
    .await?;
    env.wait_ready("OnlineDeployment", "pinned", MINUTE).await?;
    env.wait_ready("OnlineDeployment", "tracking", MINUTE)
        .await?;
    let v2 = format!("{WORKSPACE_ID}/models/housing/versions/2");
    let pin = pinned(&env, "pinned").await?.expect("pinned in status");
    assert_eq!(pin["reference"], "azureml:housing@latest");
    assert_eq!(pin["version"], "2");
    assert_eq!(pin["id"], v2.as_str());
    assert_eq!(azure_model(&env, "pinned").as_deref(), Some(v2.as_str()));
    assert_eq!(azure_model(&env, "tracking").as_deref(), Some(v2.as_str()));
    let pinned_puts = puts(&env, "pinned");

    // A data scientist publishes version 3: the tracking deployment moves to it, the pinned
    // one does not (not even on a forced sync through an annotation change of another kind).
    admin.publish_asset_version(WORKSPACE_ID, "models", "housing", "3")?;
    let v3 = format!("{WORKSPACE_ID}/models/housing/versions/3");
    env.wait("tracking deployment on version 3", 2 * MINUTE, || async {
        Ok((azure_model(&env, "tracking").as_deref() == Some(v3.as_str())).then_some(()))
    })
    .await?;
    env.wait_ready("OnlineDeployment", "tracking", MINUTE)
        .await?;
    // Let the pinned one sync at least once more (sync interval 30 s is clamped to 30 s).
    let mut touched = deployment("pinned", "pinned", "azureml:housing@latest", json!({}));
    touched["metadata"]["labels"] = json!({"touched": "yes"});
    env.apply(touched).await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(azure_model(&env, "pinned").as_deref(), Some(v2.as_str()));
    assert_eq!(
        puts(&env, "pinned"),
        pinned_puts,
        "no redeploy of a pinned label"
    );
    assert_eq!(pinned(&env, "pinned").await?.expect("pin")["version"], "2");

    // Asking for it (the annotation) re-resolves once: version 3, pinned.
    let mut asked = deployment("pinned", "pinned", "azureml:housing@latest", json!({}));
    asked["metadata"]["annotations"] = json!({"aml-operator.io/resolve-assets": "1"});
    env.apply(asked).await?;
    env.wait("pinned deployment on version 3", MINUTE, || async {
        Ok((azure_model(&env, "pinned").as_deref() == Some(v3.as_str())).then_some(()))
    })
    .await?;
    let pin = pinned(&env, "pinned").await?.expect("pin");
    assert_eq!(pin["version"], "3");

    // A label of an asset with no version names the field.
    env.apply(deployment(
        "missing",
        "missing",
        "azureml:nothing@latest",
        json!({}),
    ))
    .await?;
    let (_, stalled) = env
        .wait_reason("OnlineDeployment", "missing", "InvalidSpec", MINUTE)
        .await?;
    assert!(stalled.contains("spec.model"), "{stalled}");
    assert!(env.azure(&deployment_id("scoring", "missing")).is_none());
    env.finish().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removed_tag_goes_portal_tag_stays() -> anyhow::Result<()> {
    let env = Env::start("assets-removals", options()).await?;
    env.apply(workspace()).await?;
    env.apply(endpoint(json!({"team": "fraud", "costCenter": "42"})))
        .await?;
    env.wait_ready("OnlineEndpoint", "scoring", MINUTE).await?;
    let id = endpoint_id("scoring");
    let tags = |env: &Env| {
        env.azure(&id)
            .and_then(|e| e.get("tags").cloned())
            .unwrap_or(Value::Null)
    };
    assert_eq!(tags(&env)["costCenter"], "42");

    // A person adds a tag in the portal.
    env.arm.admin().drift(Drift::SetTag {
        resource_id: id.clone(),
        key: "owner-team".into(),
        value: Some("platform".into()),
    })?;
    // The spec drops costCenter.
    env.apply(endpoint(json!({"team": "fraud"}))).await?;
    env.wait("costCenter removed in Azure", MINUTE, || async {
        Ok(tags(&env).get("costCenter").is_none().then_some(()))
    })
    .await?;
    env.wait_ready("OnlineEndpoint", "scoring", MINUTE).await?;
    let now = tags(&env);
    assert_eq!(now["team"], "fraud", "{now}");
    assert_eq!(
        now["owner-team"], "platform",
        "the portal's tag stays: {now}"
    );
    assert!(now.get("aml-operator-owner").is_some(), "{now}");
    let ep = env
        .get_json("OnlineEndpoint", "scoring")
        .await?
        .expect("ep");
    let managed = ep
        .pointer("/status/managed/tags")
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(managed, json!(["team"]), "{ep}");
    env.finish().await
}
