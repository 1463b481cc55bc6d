//! Create, read, update, list and delete semantics: server metadata, conflicts, generation, status subresource, selectors, paging, dry runs, built-in kinds.

use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

use super::harness::{Cluster, api_error};

/// The server sets `uid`, `creationTimestamp`, `resourceVersion` and `generation: 1` on create;
/// a create whose body still carries a resourceVersion is a 500 (as kube-apiserver v1.36.2
/// answers), whether or not the name is taken; a second create of the same name without one is
/// 409 AlreadyExists; a get of a missing name is 404 NotFound.
#[tokio::test]
async fn create_sets_server_metadata_and_refuses_duplicates() {
    let c = Cluster::start().await;
    let w = c.create_widget("first", json!({"size": 1})).await;
    assert!(w.metadata.uid.as_deref().is_some_and(|u| !u.is_empty()));
    assert!(w.metadata.creation_timestamp.is_some());
    assert!(
        w.metadata
            .resource_version
            .as_deref()
            .is_some_and(|r| !r.is_empty())
    );
    assert_eq!(w.metadata.generation, Some(1));
    // The stored object sent back as is still carries its resourceVersion: kube-apiserver's
    // storage refuses that before it looks at the name, with a 500 whose reason is Unknown
    // (empty) and whose message is the storage error.
    let with_rv = api_error(c.widgets().create(&PostParams::default(), &w).await);
    assert_eq!(
        (
            with_rv.code,
            with_rv.reason.as_str(),
            with_rv.message.as_str()
        ),
        (
            500,
            "",
            "resourceVersion should not be set on objects to be created"
        )
    );
    // The same object under a free name is refused too: the resourceVersion is the reason.
    let mut renamed = w.clone();
    renamed.metadata.name = Some("second".to_owned());
    let renamed_err = api_error(c.widgets().create(&PostParams::default(), &renamed).await);
    assert_eq!(renamed_err.code, 500);
    assert!(c.widgets().get_opt("second").await.unwrap().is_none());
    // Without a resourceVersion, the taken name is a 409 AlreadyExists.
    let mut again = w.clone();
    again.metadata.resource_version = None;
    let again = api_error(c.widgets().create(&PostParams::default(), &again).await);
    assert_eq!((again.code, again.reason.as_str()), (409, "AlreadyExists"));
    let missing = api_error(c.widgets().get("nope").await);
    assert_eq!((missing.code, missing.reason.as_str()), (404, "NotFound"));
    c.shutdown().await;
}

/// A PUT carrying a stale resourceVersion is 409 Conflict; a custom resource PUT without one
/// is 422 (metadata.resourceVersion must be specified for an update).
#[tokio::test]
async fn update_with_stale_or_missing_resource_version_fails() {
    let c = Cluster::start().await;
    let first = c.create_widget("w", json!({"size": 1})).await;
    let mut next = first.clone();
    next.data["spec"]["size"] = json!(2);
    c.widgets()
        .replace("w", &PostParams::default(), &next)
        .await
        .unwrap();
    let mut stale = first.clone();
    stale.data["spec"]["size"] = json!(3);
    let conflict = api_error(
        c.widgets()
            .replace("w", &PostParams::default(), &stale)
            .await,
    );
    assert_eq!((conflict.code, conflict.reason.as_str()), (409, "Conflict"));
    let mut unversioned = first.clone();
    unversioned.metadata.resource_version = None;
    let invalid = api_error(
        c.widgets()
            .replace("w", &PostParams::default(), &unversioned)
            .await,
    );
    assert_eq!(invalid.code, 422);
    let cause = &invalid.details.unwrap().causes[0];
    assert_eq!(cause.field, "metadata.resourceVersion");
    c.shutdown().await;
}

/// `generation` moves only when something outside metadata and status changes.
#[tokio::test]
async fn generation_counts_spec_changes_only() {
    let c = Cluster::start().await;
    c.create_widget("g", json!({"size": 1})).await;
    let pp = PatchParams::default();
    let labelled = c
        .widgets()
        .patch(
            "g",
            &pp,
            &Patch::Merge(json!({"metadata": {"labels": {"a": "b"}}})),
        )
        .await
        .unwrap();
    assert_eq!(labelled.metadata.generation, Some(1));
    let status = c
        .widgets()
        .patch_status("g", &pp, &Patch::Merge(json!({"status": {"phase": "Up"}})))
        .await
        .unwrap();
    assert_eq!(status.metadata.generation, Some(1));
    let spec = c
        .widgets()
        .patch("g", &pp, &Patch::Merge(json!({"spec": {"size": 5}})))
        .await
        .unwrap();
    assert_eq!(spec.metadata.generation, Some(2));
    c.shutdown().await;
}

/// With the status subresource, `status` is dropped on create and ignored by main-resource
/// writes, and a `/status` write changes nothing but status.
#[tokio::test]
async fn status_subresource_separates_spec_and_status() {
    let c = Cluster::start().await;
    let created: kube::api::DynamicObject = c
        .widgets()
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({
                "apiVersion": "contract.kube-emulator.dev/v1", "kind": "Widget",
                "metadata": {"name": "s"}, "spec": {"size": 1}, "status": {"phase": "Ignored"},
            }))
            .unwrap(),
        )
        .await
        .unwrap();
    assert!(created.data.get("status").is_none());
    let pp = PatchParams::default();
    let main = c
        .widgets()
        .patch(
            "s",
            &pp,
            &Patch::Merge(json!({"status": {"phase": "Main"}})),
        )
        .await
        .unwrap();
    assert!(main.data.get("status").is_none());
    let status = c
        .widgets()
        .patch_status(
            "s",
            &pp,
            &Patch::Merge(json!({"spec": {"size": 9}, "status": {"phase": "Up"}})),
        )
        .await
        .unwrap();
    assert_eq!(status.data["status"]["phase"], "Up");
    assert_eq!(status.data["spec"]["size"], 1);
    c.shutdown().await;
}

/// Label selectors (equality and set-based), field selectors on metadata.name, and paging with
/// `limit` + `continue` (every item exactly once, in name order).
#[tokio::test]
async fn selectors_and_paging() {
    let c = Cluster::start().await;
    for (i, tier) in ["gold", "silver", "gold", "bronze", "gold"]
        .iter()
        .enumerate()
    {
        let name = format!("w{i}");
        c.create_widget(&name, json!({"size": i})).await;
        c.widgets()
            .patch(
                &name,
                &PatchParams::default(),
                &Patch::Merge(json!({"metadata": {"labels": {"tier": tier}}})),
            )
            .await
            .unwrap();
    }
    let names = |list: kube::api::ObjectList<kube::api::DynamicObject>| -> Vec<String> {
        list.items
            .into_iter()
            .map(|o| o.metadata.name.unwrap())
            .collect()
    };
    let gold = c
        .widgets()
        .list(&ListParams::default().labels("tier=gold"))
        .await
        .unwrap();
    assert_eq!(names(gold), ["w0", "w2", "w4"]);
    let not_gold = c
        .widgets()
        .list(&ListParams::default().labels("tier notin (gold),tier"))
        .await
        .unwrap();
    assert_eq!(names(not_gold), ["w1", "w3"]);
    let by_name = c
        .widgets()
        .list(&ListParams::default().fields("metadata.name=w3"))
        .await
        .unwrap();
    assert_eq!(names(by_name), ["w3"]);
    let bad = api_error(
        c.widgets()
            .list(&ListParams::default().fields("spec.size=1"))
            .await,
    );
    assert_eq!(bad.code, 400);
    let mut seen = Vec::new();
    let mut params = ListParams::default().limit(2);
    loop {
        let page = c.widgets().list(&params).await.unwrap();
        let token = page.metadata.continue_.clone();
        seen.extend(names(page));
        match token {
            Some(t) if !t.is_empty() => params = params.continue_token(&t),
            _ => break,
        }
    }
    assert_eq!(seen, ["w0", "w1", "w2", "w3", "w4"]);
    c.shutdown().await;
}

/// deletecollection removes what the selector matches and nothing else.
#[tokio::test]
async fn delete_collection_honours_selectors() {
    let c = Cluster::start().await;
    for name in ["keep", "drop1", "drop2"] {
        c.create_widget(name, json!({"size": 1})).await;
        let label = if name == "keep" { "no" } else { "yes" };
        c.widgets()
            .patch(
                name,
                &PatchParams::default(),
                &Patch::Merge(json!({"metadata": {"labels": {"drop": label}}})),
            )
            .await
            .unwrap();
    }
    c.widgets()
        .delete_collection(
            &DeleteParams::default(),
            &ListParams::default().labels("drop=yes"),
        )
        .await
        .unwrap();
    let left: Vec<String> = c
        .widgets()
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|o| o.metadata.name.unwrap())
        .collect();
    assert_eq!(left, ["keep"]);
    c.shutdown().await;
}

/// `dryRun=All` answers as if it wrote but stores nothing.
#[tokio::test]
async fn dry_run_stores_nothing() {
    let c = Cluster::start().await;
    let obj = serde_json::from_value(json!({"apiVersion": "contract.kube-emulator.dev/v1", "kind": "Widget", "metadata": {"name": "dry"}, "spec": {"size": 1}})).unwrap();
    let answered = c
        .widgets()
        .create(
            &PostParams {
                dry_run: true,
                ..Default::default()
            },
            &obj,
        )
        .await
        .unwrap();
    assert_eq!(
        answered.data["spec"]["limit"], 10,
        "defaults are applied in a dry run too"
    );
    assert_eq!(api_error(c.widgets().get("dry").await).code, 404);
    c.shutdown().await;
}

/// A create carrying a resourceVersion, beyond the custom resource seen against a real server
/// (these follow kube-apiserver's source, not a run against one): a built-in kind is refused the
/// same way, since it is stored through the same registry; a dry run is not refused (it never
/// reaches the storage's create); `"0"` is not refused (the storage only refuses a non-zero
/// version) and the stored object gets its own.
#[tokio::test]
async fn create_with_resource_version_beyond_custom_resources() {
    use k8s_openapi::api::core::v1::ConfigMap;
    let c = Cluster::start().await;
    let cms: Api<ConfigMap> = Api::namespaced(c.client.clone(), &c.namespace);
    let cm: ConfigMap = serde_json::from_value(
        json!({"metadata": {"name": "c", "resourceVersion": "12"}, "data": {"a": "1"}}),
    )
    .unwrap();
    let err = api_error(cms.create(&PostParams::default(), &cm).await);
    assert_eq!(
        (err.code, err.reason.as_str(), err.message.as_str()),
        (
            500,
            "",
            "resourceVersion should not be set on objects to be created"
        )
    );
    assert!(cms.get_opt("c").await.unwrap().is_none());
    let dry = PostParams {
        dry_run: true,
        ..Default::default()
    };
    cms.create(&dry, &cm).await.unwrap();
    let mut zero = cm.clone();
    zero.metadata.resource_version = Some("0".to_owned());
    let stored = cms.create(&PostParams::default(), &zero).await.unwrap();
    assert_ne!(stored.metadata.resource_version.as_deref(), Some("0"));
    c.shutdown().await;
}

/// Secrets: `stringData` is stored base64-encoded in `data`; `type` defaults to Opaque.
/// ConfigMaps and Leases round-trip.
#[tokio::test]
async fn core_kinds_round_trip() {
    use k8s_openapi::api::coordination::v1::Lease;
    use k8s_openapi::api::core::v1::{ConfigMap, Secret};
    let c = Cluster::start().await;
    let secrets: Api<Secret> = Api::namespaced(c.client.clone(), &c.namespace);
    let s: Secret =
        serde_json::from_value(json!({"metadata": {"name": "s"}, "stringData": {"key": "value"}}))
            .unwrap();
    let stored = secrets.create(&PostParams::default(), &s).await.unwrap();
    assert_eq!(stored.type_.as_deref(), Some("Opaque"));
    assert_eq!(stored.data.unwrap()["key"].0, b"value");
    assert!(stored.string_data.is_none());
    let cms: Api<ConfigMap> = Api::namespaced(c.client.clone(), &c.namespace);
    let cm: ConfigMap =
        serde_json::from_value(json!({"metadata": {"name": "c"}, "data": {"a": "1"}})).unwrap();
    cms.create(&PostParams::default(), &cm).await.unwrap();
    assert_eq!(cms.get("c").await.unwrap().data.unwrap()["a"], "1");
    let leases: Api<Lease> = Api::namespaced(c.client.clone(), &c.namespace);
    let lease: Lease = serde_json::from_value(json!({"metadata": {"name": "l"}, "spec": {"holderIdentity": "me", "leaseDurationSeconds": 15}})).unwrap();
    leases.create(&PostParams::default(), &lease).await.unwrap();
    let got = leases.get("l").await.unwrap();
    assert_eq!(got.spec.unwrap().holder_identity.as_deref(), Some("me"));
    let missing_ns: Api<ConfigMap> = Api::namespaced(c.client.clone(), "no-such-namespace");
    let err = api_error(missing_ns.create(&PostParams::default(), &cm).await);
    assert_eq!(err.code, 404);
    let _: Value = Value::Null;
    c.shutdown().await;
}

/// A continue token from before the kept history window is 410 Expired (on a real cluster: once
/// etcd compacted the list's snapshot). Emulator-only: compaction on a real cluster takes minutes.
#[tokio::test]
async fn stale_continue_token_is_expired() {
    let c = Cluster::start().await;
    if c.emulator().is_none() {
        c.shutdown().await;
        return;
    }
    for name in ["a", "b", "c"] {
        c.create_widget(name, json!({"size": 1})).await;
    }
    let page = c
        .widgets()
        .list(&ListParams::default().limit(1))
        .await
        .unwrap();
    let token = page.metadata.continue_.unwrap();
    for i in 0..80 {
        c.widgets()
            .patch(
                "a",
                &PatchParams::default(),
                &Patch::Merge(json!({"metadata": {"labels": {"i": i.to_string()}}})),
            )
            .await
            .unwrap();
    }
    let err = api_error(
        c.widgets()
            .list(&ListParams::default().limit(1).continue_token(&token))
            .await,
    );
    assert_eq!((err.code, err.reason.as_str()), (410, "Expired"));
    c.shutdown().await;
}

/// Built-in kinds refuse unknown fields under `fieldValidation=Strict` (400) and drop them
/// otherwise.
#[tokio::test]
async fn builtin_kinds_prune_unknown_fields() {
    let c = Cluster::start().await;
    let path = format!("/api/v1/namespaces/{}/configmaps", c.namespace);
    let body = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "typo"}, "dta": {"a": "b"}});
    let (code, status, _) = c
        .raw(
            "POST",
            &format!("{path}?fieldValidation=Strict"),
            Some("application/json"),
            None,
            Some(body.clone()),
        )
        .await;
    assert_eq!(code, 400, "{status}");
    assert!(
        status["message"]
            .as_str()
            .unwrap()
            .contains("unknown field \"dta\""),
        "{status}"
    );
    let (code, stored, headers) = c
        .raw("POST", &path, Some("application/json"), None, Some(body))
        .await;
    assert_eq!(code, 201, "{stored}");
    assert!(stored.get("dta").is_none());
    assert!(
        headers
            .get("warning")
            .is_some_and(|w| w.to_str().unwrap().contains("unknown field"))
    );
    c.shutdown().await;
}

/// `generateName` gets a five-character suffix from the server; a missing name and
/// generateName is 422 (metadata.name Required).
#[tokio::test]
async fn generate_name() {
    let c = Cluster::start().await;
    let mut names = Vec::new();
    for _ in 0..3 {
        let w: kube::api::DynamicObject = serde_json::from_value(json!({
            "apiVersion": "contract.kube-emulator.dev/v1", "kind": "Widget",
            "metadata": {"generateName": "gen-"}, "spec": {"size": 1},
        }))
        .unwrap();
        let created = c
            .widgets()
            .create(&PostParams::default(), &w)
            .await
            .unwrap();
        names.push(created.metadata.name.unwrap());
    }
    for n in &names {
        assert!(n.starts_with("gen-") && n.len() == 9, "{n}");
    }
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 3);
    let nameless: kube::api::DynamicObject = serde_json::from_value(json!({
        "apiVersion": "contract.kube-emulator.dev/v1", "kind": "Widget", "metadata": {}, "spec": {"size": 1},
    }))
    .unwrap();
    let err = api_error(c.widgets().create(&PostParams::default(), &nameless).await);
    assert_eq!(err.code, 422);
    assert_eq!(err.details.unwrap().causes[0].field, "metadata.name");
    c.shutdown().await;
}

/// A list at `resourceVersion=0` comes from the watch cache in full: `limit` is ignored.
#[tokio::test]
async fn list_at_resource_version_zero_ignores_limit() {
    let c = Cluster::start().await;
    for name in ["a", "b", "c"] {
        c.create_widget(name, json!({"size": 1})).await;
    }
    let path = format!("{}?resourceVersion=0&limit=1", c.widgets_path());
    let (code, list, _) = c.raw("GET", &path, None, None, None).await;
    assert_eq!(code, 200, "{list}");
    assert_eq!(list["items"].as_array().unwrap().len(), 3);
    assert!(list["metadata"].get("continue").is_none_or(|t| t == ""));
    c.shutdown().await;
}
