//! Issue 17 parts 5 and 6 as tables: asset references as teams write them (registry URIs,
//! `@latest`), labels pinned in status and re-resolved only by policy, the managed deployment
//! fields that were missing (`modelMountPath`, `dataCollector`), and removals that reach Azure
//! without touching what others set (`planner::assets`, `planner::managed`).

mod builders;
mod fixtures;

use api::assets::{ManagedFields, ResolvedAsset, ResolvedAssets};
use api::conditions::{ConditionType, find_condition};
use builders::*;
use fixtures::*;
use planner::assets::{
    AssetField, AssetRef, Lookup, LookupAnswer, lookups, newest, parse, pin, resolve,
};
use planner::{Action, OperationKind};
use serde_json::{Value, json};

const REG_URI: &str = "azureml://registries/shared-models/models/fraud/versions/3";

fn spec_with(model: &str, extra: Value) -> api::OnlineDeploymentSpec {
    let mut v = serde_json::to_value(deployment_spec("blue")).expect("spec");
    v["model"] = json!(model);
    if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
        for (k, val) in e {
            o.insert(k.clone(), val.clone());
        }
    }
    serde_json::from_value(v).expect("spec")
}

fn pinned(reference: &str, version: &str, id: &str) -> ResolvedAssets {
    ResolvedAssets {
        model: Some(ResolvedAsset {
            reference: reference.into(),
            id: Some(id.into()),
            version: Some(version.into()),
            resolved_at: Some("2027-01-15T08:00:00Z".into()),
            error: None,
        }),
        ..Default::default()
    }
}

fn ws_model(version: &str) -> String {
    format!("{WS}/models/housing/versions/{version}")
}

#[test]
fn references_parse_as_az_ml_writes_them() {
    let ok: &[(AssetField, &str, AssetRef)] = &[
        (
            AssetField::Model,
            "azureml:housing:2",
            AssetRef::Workspace {
                name: "housing".into(),
                version: "2".into(),
            },
        ),
        (
            AssetField::Model,
            "azureml:housing@latest",
            AssetRef::WorkspaceLatest {
                name: "housing".into(),
            },
        ),
        (
            AssetField::Model,
            REG_URI,
            AssetRef::Registry {
                registry: "shared-models".into(),
                name: "fraud".into(),
                version: "3".into(),
            },
        ),
        (
            AssetField::Environment,
            "azureml://registries/azureml/environments/sklearn-1.5/labels/latest",
            AssetRef::RegistryLatest {
                registry: "azureml".into(),
                name: "sklearn-1.5".into(),
            },
        ),
        (
            AssetField::Code,
            "azureml://registries/shared-models/codes/score/versions/1",
            AssetRef::Registry {
                registry: "shared-models".into(),
                name: "score".into(),
                version: "1".into(),
            },
        ),
        (
            AssetField::Model,
            "/subscriptions/s/resourceGroups/r/providers/Microsoft.MachineLearningServices/workspaces/w/models/m/versions/1",
            AssetRef::ArmId("/subscriptions/s/resourceGroups/r/providers/Microsoft.MachineLearningServices/workspaces/w/models/m/versions/1".into()),
        ),
    ];
    for (field, written, want) in ok {
        assert_eq!(parse(*field, written).as_ref(), Ok(want), "{written}");
    }
    // Malformed: each error names the field and says what is wrong.
    let bad: &[(AssetField, &str, &str)] = &[
        (AssetField::Model, "housing:1", "must be azureml:"),
        (AssetField::Model, "azureml:housing", "must be azureml:"),
        (
            AssetField::Model,
            "azureml:housing@stable",
            "only \"latest\"",
        ),
        (
            AssetField::Code,
            "azureml:score@latest",
            "code asset takes no label",
        ),
        (
            AssetField::Model,
            "azureml://registries/shared-models/environments/e/versions/1",
            "this field takes a model",
        ),
        (
            AssetField::Environment,
            "azureml://registries/x/environments/e/versions/1",
            "registry name",
        ),
        (
            AssetField::Model,
            "azureml://registries/shared-models/models/fraud",
            "must be azureml:",
        ),
        (
            AssetField::Model,
            "azureml://datastores/d/paths/model.pkl",
            "only registry URIs",
        ),
        (
            AssetField::Model,
            "azureml://registries/shared-models/models/fraud/versions/3 4",
            "version",
        ),
    ];
    for (field, written, says) in bad {
        let err = parse(*field, written).expect_err(written);
        assert_eq!(err.field, field.path(), "{written}");
        assert!(err.message.contains(says), "{written}: {}", err.message);
    }
}

#[test]
fn references_resolve_to_what_azure_takes() {
    let pins = pinned("azureml:housing@latest", "2", &ws_model("2"));
    let cases: &[(&str, Option<&ResolvedAssets>, Result<String, &str>)] = &[
        // A workspace version: its ARM id in the endpoint's workspace.
        ("azureml:housing:1", None, Ok(ws_model("1"))),
        // A registry version: the URI as written (what azure-ai-ml sends).
        (REG_URI, None, Ok(REG_URI.to_owned())),
        // A label: the pinned version, only for the reference it was pinned for.
        ("azureml:housing@latest", Some(&pins), Ok(ws_model("2"))),
        ("azureml:housing@latest", None, Err("is not resolved yet")),
        (
            "azureml:other@latest",
            Some(&pins),
            Err("is not resolved yet"),
        ),
    ];
    for (written, resolved, want) in cases {
        let got = resolve(AssetField::Model, written, WS, *resolved);
        match want {
            Ok(id) => assert_eq!(got.as_ref(), Ok(id), "{written}"),
            Err(says) => {
                let e = got.expect_err(written);
                assert_eq!(e.field, "spec.model");
                assert!(e.message.contains(says), "{written}: {}", e.message);
            }
        }
    }
    let failed = ResolvedAssets {
        model: Some(ResolvedAsset {
            reference: "azureml:gone@latest".into(),
            id: None,
            version: None,
            resolved_at: None,
            error: Some("has no version".into()),
        }),
        ..Default::default()
    };
    let e =
        resolve(AssetField::Model, "azureml:gone@latest", WS, Some(&failed)).expect_err("no pin");
    assert!(
        e.message.contains("could not be resolved: has no version"),
        "{e}"
    );
}

#[test]
fn labels_are_looked_up_only_when_policy_says() {
    let label = "azureml:housing@latest";
    let pins = pinned(label, "2", &ws_model("2"));
    let tracking = spec_with(label, json!({"assets": {"track": "Latest"}}));
    let pinned_spec = spec_with(label, json!({}));
    // (what, spec, pins, annotation, lookups expected)
    type Case<'a> = (
        &'a str,
        api::OnlineDeploymentSpec,
        Option<ResolvedAssets>,
        Option<&'a str>,
        usize,
    );
    let cases: Vec<Case> = vec![
        ("first resolution", pinned_spec.clone(), None, None, 1),
        (
            "pinned: no list, no redeploy",
            pinned_spec.clone(),
            Some(pins.clone()),
            None,
            0,
        ),
        (
            "track Latest: every sync",
            tracking.clone(),
            Some(pins.clone()),
            None,
            1,
        ),
        (
            "new annotation value: once",
            pinned_spec.clone(),
            Some(pins.clone()),
            Some("1"),
            1,
        ),
        (
            "annotation value already served",
            pinned_spec.clone(),
            Some(ResolvedAssets {
                request: Some("1".into()),
                ..pins.clone()
            }),
            Some("1"),
            0,
        ),
        (
            "the reference changed",
            spec_with("azureml:fraud@latest", json!({})),
            Some(pins.clone()),
            None,
            1,
        ),
        (
            "a version needs no list",
            spec_with("azureml:housing:2", json!({})),
            None,
            None,
            0,
        ),
        (
            "a registry version needs no list",
            spec_with(REG_URI, json!({})),
            None,
            None,
            0,
        ),
    ];
    for (what, spec, resolved, request, want) in cases {
        let got = lookups(&spec, resolved.as_ref(), WS, request);
        assert_eq!(got.len(), want, "{what}: {got:?}");
    }
    let got = lookups(&pinned_spec, None, WS, None);
    assert_eq!(got[0].asset_id, format!("{WS}/models/housing"));
    assert_eq!(got[0].version_id(AssetField::Model, "7"), ws_model("7"));
    assert_eq!(
        Lookup::QUERY,
        [("$orderBy", "createdtime desc"), ("$top", "1")]
    );

    // A registry label lists the registry's versions: by default in the workspace's resource
    // group, or where spec.assets.registries says.
    let reg_label = "azureml://registries/shared-models/models/fraud/labels/latest";
    let default_rg = lookups(&spec_with(reg_label, json!({})), None, WS, None);
    let rg = WS.split("/providers/").next().unwrap_or_default();
    assert_eq!(
        default_rg[0].asset_id,
        format!(
            "{rg}/providers/Microsoft.MachineLearningServices/registries/shared-models/models/fraud"
        )
    );
    assert_eq!(default_rg[0].version_id(AssetField::Model, "3"), REG_URI);
    let elsewhere = "/subscriptions/99999999-2222-3333-4444-555555555555/resourceGroups/rg-shared/providers/Microsoft.MachineLearningServices/registries/shared-models";
    let named = lookups(
        &spec_with(
            reg_label,
            json!({"assets": {"registries": {"shared-models": elsewhere}}}),
        ),
        None,
        WS,
        None,
    );
    assert_eq!(named[0].asset_id, format!("{elsewhere}/models/fraud"));
}

#[test]
fn pins_move_only_with_an_answer_and_say_so() {
    let label = "azureml:housing@latest";
    let spec = spec_with(label, json!({}));
    let lookup = lookups(&spec, None, WS, None).remove(0);
    let old = pinned(label, "2", &ws_model("2"));

    // A newer version: the pin moves, with an Event naming both versions.
    let (pins, events) = pin(
        &spec,
        Some(&old),
        &[(lookup.clone(), LookupAnswer::Found("3".into()))],
        None,
        "2027-02-01T00:00:00Z",
    );
    let model = pins.as_ref().and_then(|p| p.model.clone()).expect("pin");
    assert_eq!(model.id.as_deref(), Some(ws_model("3").as_str()));
    assert_eq!(model.resolved_at.as_deref(), Some("2027-02-01T00:00:00Z"));
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].reason, "AssetResolved");
    assert!(
        events[0].note.contains("version 3 (was version 2)"),
        "{}",
        events[0].note
    );

    // The same version: no Event, the time it was resolved is kept.
    let (same, events) = pin(
        &spec,
        Some(&old),
        &[(lookup.clone(), LookupAnswer::Found("2".into()))],
        Some("req-1"),
        "2027-02-01T00:00:00Z",
    );
    assert!(events.is_empty());
    let same = same.expect("pins");
    assert_eq!(
        same.model.as_ref().and_then(|m| m.resolved_at.as_deref()),
        Some("2027-01-15T08:00:00Z")
    );
    assert_eq!(same.request.as_deref(), Some("req-1"));

    // Missing: a previous pin of the same reference stays in use, the error is recorded.
    let (kept, _) = pin(
        &spec,
        Some(&old),
        &[(
            lookup.clone(),
            LookupAnswer::Missing("404 ResourceNotFound".into()),
        )],
        None,
        "2027-02-01T00:00:00Z",
    );
    let kept = kept.and_then(|p| p.model).expect("kept");
    assert_eq!(kept.id.as_deref(), Some(ws_model("2").as_str()));
    assert_eq!(kept.error.as_deref(), Some("404 ResourceNotFound"));

    // A spec that no longer holds a label drops the pin.
    let (dropped, _) = pin(
        &spec_with("azureml:housing:1", json!({})),
        Some(&old),
        &[],
        None,
        "t",
    );
    assert_eq!(dropped, None);

    // Latest is the most recently created, whatever the names.
    let items = vec![
        ("10".to_owned(), Some("2027-01-01T00:00:00Z".to_owned())),
        ("9".to_owned(), Some("2027-03-01T00:00:00Z".to_owned())),
        ("11".to_owned(), Some("2027-02-01T00:00:00Z".to_owned())),
    ];
    assert_eq!(newest(&items).as_deref(), Some("9"));
    assert_eq!(newest(&[]), None);
}

#[test]
fn a_pinned_label_deploys_its_pin_and_never_redeploys_by_itself() {
    let label = "azureml:housing@latest";
    // Not resolved: stalled naming the field, nothing sent.
    let p = Dep::new(spec_with(label, json!({}))).plan();
    assert_eq!(p.action, Action::None);
    let stalled = find_condition(&p.status.conditions, ConditionType::Stalled).expect("stalled");
    assert!(
        stalled.message.contains("spec.model"),
        "{}",
        stalled.message
    );

    // Pinned to 2: created with version 2.
    let mut dep = Dep::new(spec_with(label, json!({})));
    dep.status.resolved_assets = Some(pinned(label, "2", &ws_model("2")));
    let p = dep.plan();
    let Action::Put {
        kind: OperationKind::Create,
        body,
    } = &p.action
    else {
        panic!("create: {:?}", p.action)
    };
    assert_eq!(body["properties"]["model"], ws_model("2").as_str());
    assert_eq!(
        p.status
            .resolved_assets
            .as_ref()
            .and_then(|r| r.model.as_ref())
            .and_then(|m| m.version.as_deref()),
        Some("2"),
        "the pin stays in status"
    );

    // In Azure at 2, pinned at 2: nothing to do.
    let mut azure = azure_deployment("blue", "Succeeded", 1);
    azure["properties"]["model"] = json!(ws_model("2"));
    let mut dep = Dep::new(spec_with(label, json!({}))).azure(azure.clone());
    dep.status = ready_deployment_status(1);
    dep.status.resolved_assets = Some(pinned(label, "2", &ws_model("2")));
    assert_eq!(dep.plan().action, Action::None);

    // The pin moved to 3 (policy): an update to version 3.
    dep.status.resolved_assets = Some(pinned(label, "3", &ws_model("3")));
    let p = dep.plan();
    let Action::Put {
        kind: OperationKind::Update,
        body,
    } = &p.action
    else {
        panic!("update: {:?}", p.action)
    };
    assert_eq!(body["properties"]["model"], ws_model("3").as_str());
}

#[test]
fn a_registry_model_is_sent_as_written() {
    let p = Dep::new(spec_with(REG_URI, json!({}))).plan();
    let Action::Put { body, .. } = &p.action else {
        panic!("create: {:?}", p.action)
    };
    assert_eq!(body["properties"]["model"], REG_URI);
    // Converged when Azure holds the same URI (any case).
    let mut azure = azure_deployment("blue", "Succeeded", 1);
    azure["properties"]["model"] = json!(REG_URI.to_uppercase());
    let mut dep = Dep::new(spec_with(REG_URI, json!({}))).azure(azure);
    dep.status = ready_deployment_status(1);
    assert_eq!(dep.plan().action, Action::None);
}

#[test]
fn model_mount_path_and_data_collector_reach_the_body() {
    let extra = json!({
        "modelMountPath": "/var/models/housing",
        "dataCollector": {
            "samplingRate": 0.25,
            "rollingRate": "Hour",
            "collections": {
                "request": {},
                "response": {"samplingRate": 1.0},
                "model_inputs": {"enabled": false}
            },
            "requestLogging": {"captureHeaders": ["x-request-id"]}
        }
    });
    let p = Dep::new(spec_with("azureml:housing:1", extra.clone())).plan();
    let Action::Put { body, .. } = &p.action else {
        panic!("create: {:?}", p.action)
    };
    let props = &body["properties"];
    assert_eq!(props["modelMountPath"], "/var/models/housing");
    let dc = &props["dataCollector"];
    assert_eq!(dc["rollingRate"], "Hour");
    assert_eq!(
        dc["requestLogging"]["captureHeaders"],
        json!(["x-request-id"])
    );
    assert_eq!(
        dc["collections"]["request"],
        json!({"dataCollectionMode": "Enabled", "samplingRate": 0.25})
    );
    assert_eq!(dc["collections"]["response"]["samplingRate"], 1.0);
    assert_eq!(
        dc["collections"]["model_inputs"]["dataCollectionMode"],
        "Disabled"
    );

    // Azure without them: drift; with them (enums in another case, extra members): none.
    let mut azure = azure_deployment("blue", "Succeeded", 1);
    let mut dep = Dep::new(spec_with("azureml:housing:1", extra.clone())).azure(azure.clone());
    dep.status = ready_deployment_status(1);
    azure["properties"]["model"] = json!(ws_model("1"));
    dep.observed = planner::Observation::Found(azure.clone());
    let p = dep.plan();
    assert!(
        matches!(
            p.action,
            Action::Put {
                kind: OperationKind::Update,
                ..
            }
        ),
        "{:?}",
        p.action
    );
    let mut held = dc.clone();
    held["rollingRate"] = json!("hour");
    held["collections"]["request"]["clientId"] = json!("server-filled");
    azure["properties"]["dataCollector"] = held;
    azure["properties"]["modelMountPath"] = json!("/var/models/housing");
    dep.observed = planner::Observation::Found(azure);
    assert_eq!(dep.plan().action, Action::None);

    // A sampling rate outside 0-1 names the field.
    let bad = json!({"dataCollector": {"collections": {"request": {"samplingRate": 1.5}}}});
    let p = Dep::new(spec_with("azureml:housing:1", bad)).plan();
    let stalled = find_condition(&p.status.conditions, ConditionType::Stalled).expect("stalled");
    assert!(
        stalled
            .message
            .contains("spec.dataCollector.collections.request.samplingRate"),
        "{}",
        stalled.message
    );
}

/// A deployment in Azure with `tags` and `props` merged over the fixture's, Succeeded.
fn azure_with(tags: Value, props: Value) -> Value {
    let mut azure = azure_deployment("blue", "Succeeded", 1);
    azure["properties"]["model"] = json!(ws_model("1"));
    if let (Some(t), Some(extra)) = (azure["tags"].as_object_mut(), tags.as_object()) {
        for (k, v) in extra {
            t.insert(k.clone(), v.clone());
        }
    }
    if let (Some(p), Some(extra)) = (azure["properties"].as_object_mut(), props.as_object()) {
        for (k, v) in extra {
            p.insert(k.clone(), v.clone());
        }
    }
    azure
}

fn managed(tags: &[&str], props: &[&str]) -> Option<ManagedFields> {
    Some(ManagedFields {
        tags: tags.iter().map(|s| (*s).to_owned()).collect(),
        properties: props.iter().map(|s| (*s).to_owned()).collect(),
    })
}

#[test]
fn removals_reach_azure_and_only_ours() {
    let spec = spec_with("azureml:housing:1", json!({"tags": {"team": "fraud"}}));
    let azure = azure_with(
        json!({"team": "fraud", "costCenter": "42", "owner-team": "platform"}),
        json!({}),
    );
    // The controller set team and costCenter; the spec dropped costCenter: it goes, the
    // portal's owner-team and the owner tag stay.
    let mut dep = Dep::new(spec.clone()).azure(azure.clone());
    dep.status = ready_deployment_status(1);
    dep.status.managed = managed(&["costCenter", "team"], &[]);
    let p = dep.plan();
    let Action::Put {
        kind: OperationKind::Update,
        body,
    } = &p.action
    else {
        panic!("update: {:?}", p.action)
    };
    let tags = body["tags"].as_object().expect("tags");
    assert!(tags.get("costCenter").is_none(), "{tags:?}");
    assert_eq!(tags["owner-team"], "platform");
    assert_eq!(tags["team"], "fraud");
    assert!(tags.contains_key("aml-operator-owner"));
    assert!(
        p.drift.iter().any(|d| d.field == "tags.costCenter")
            || p.events.iter().any(|e| e.note.contains("tags.costCenter"))
    );
    // Still pending until Azure drops it, so a lost write is retried.
    assert_eq!(p.status.managed, managed(&["costCenter", "team"], &[]));

    // Azure dropped it: nothing to do, and costCenter is forgotten.
    let mut done = Dep::new(spec.clone()).azure(azure_with(
        json!({"team": "fraud", "owner-team": "platform"}),
        json!({}),
    ));
    done.status = ready_deployment_status(1);
    done.status.managed = managed(&["costCenter", "team"], &[]);
    let p = done.plan();
    assert_eq!(p.action, Action::None);
    assert_eq!(p.status.managed, managed(&["team"], &[]));

    // Nothing recorded (an object from before status.managed): nothing removed, what the spec
    // sets is recorded from now on.
    let mut old = Dep::new(spec).azure(azure);
    old.status = ready_deployment_status(1);
    let p = old.plan();
    assert_eq!(p.action, Action::None);
    assert_eq!(p.status.managed, managed(&["team"], &[]));
}

#[test]
fn removed_properties_go_back_to_azure_defaults_or_leave() {
    let spec = spec_with("azureml:housing:1", json!({}));
    let azure = azure_with(
        json!({}),
        json!({
            "description": "was ours",
            "requestSettings": {"requestTimeout": "PT30S", "maxConcurrentRequestsPerInstance": 4, "maxQueueWait": "PT0.5S"},
            "livenessProbe": {"initialDelay": "PT1M", "period": "PT10S", "timeout": "PT2S", "failureThreshold": 5, "successThreshold": 1},
            "modelMountPath": "/var/models/x",
            "dataCollector": {"collections": {"request": {"dataCollectionMode": "Enabled"}}}
        }),
    );
    let ours = [
        "dataCollector",
        "description",
        "livenessProbe.failureThreshold",
        "livenessProbe.initialDelay",
        "modelMountPath",
        "requestSettings.maxConcurrentRequestsPerInstance",
        "requestSettings.requestTimeout",
    ];
    let mut dep = Dep::new(spec.clone()).azure(azure);
    dep.status = ready_deployment_status(1);
    dep.status.managed = managed(&[], &ours);
    let p = dep.plan();
    let Action::Put {
        kind: OperationKind::Update,
        body,
    } = &p.action
    else {
        panic!("update: {:?}", p.action)
    };
    let props = &body["properties"];
    assert!(props.get("description").is_none(), "{props}");
    assert!(props.get("modelMountPath").is_none(), "{props}");
    assert!(props.get("dataCollector").is_none(), "{props}");
    assert_eq!(props["requestSettings"]["requestTimeout"], "PT5S");
    assert_eq!(
        props["requestSettings"]["maxConcurrentRequestsPerInstance"],
        1
    );
    assert_eq!(
        props["requestSettings"]["maxQueueWait"], "PT0.5S",
        "not ours: kept"
    );
    assert_eq!(props["livenessProbe"]["initialDelay"], "PT10S");
    assert_eq!(props["livenessProbe"]["failureThreshold"], 30);
    assert_eq!(props["livenessProbe"]["period"], "PT10S");

    // Azure at the defaults and without the rest: nothing pending, all forgotten.
    let settled = azure_with(
        json!({}),
        json!({
            "requestSettings": {"requestTimeout": "PT5S", "maxConcurrentRequestsPerInstance": 1},
            "livenessProbe": {"initialDelay": "PT10S", "failureThreshold": 30}
        }),
    );
    let mut dep = Dep::new(spec).azure(settled);
    dep.status = ready_deployment_status(1);
    dep.status.managed = managed(&[], &ours);
    let p = dep.plan();
    assert_eq!(p.action, Action::None);
    assert_eq!(p.status.managed, managed(&[], &[]));
}

#[test]
fn endpoint_removals_keep_others_identities_and_tags() {
    let a = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/a";
    let b = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/b";
    let c = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/portal";
    let mut spec = endpoint_spec();
    spec.identity = Some(
        serde_json::from_value(json!({"type": "UserAssigned", "userAssignedIdentities": [a]}))
            .expect("identity"),
    );
    let mut azure = azure_endpoint("california-housing-service", "Succeeded", "Disabled", &[]);
    azure["identity"] =
        json!({"type": "UserAssigned", "userAssignedIdentities": {a: {}, b: {}, c: {}}});
    azure["properties"]["description"] = json!("was ours");
    azure["tags"]["env"] = json!("prod");
    let mut ep = Ep::new(spec).azure(azure);
    ep.status = ready_endpoint_status(1);
    ep.status.managed = managed(
        &["env"],
        &[
            "description",
            &format!("identity.userAssignedIdentities/{}", a.to_ascii_lowercase()),
            &format!("identity.userAssignedIdentities/{}", b.to_ascii_lowercase()),
        ],
    );
    let p = ep.plan();
    let Action::Put {
        kind: OperationKind::Update,
        body,
    } = &p.action
    else {
        panic!("update: {:?}", p.action)
    };
    let ids = body["identity"]["userAssignedIdentities"]
        .as_object()
        .expect("ids");
    assert!(ids.contains_key(a) && ids.contains_key(c), "{ids:?}");
    assert!(!ids.contains_key(b), "ours, dropped from the spec: {ids:?}");
    assert!(body["properties"].get("description").is_none());
    assert!(body["tags"].get("env").is_none());
    assert!(body["tags"].get("aml-operator-owner").is_some());
}
