//! Patches: JSON merge, JSON patch with test, strategic merge (415 for custom resources), server-side apply.

use kube::api::{Patch, PatchParams};
use serde_json::json;

use super::harness::{Cluster, api_error};

/// JSON merge patch: `null` deletes a field, lists are replaced whole.
#[tokio::test]
async fn merge_patch_deletes_with_null_and_replaces_lists() {
    let c = Cluster::start().await;
    c.create_widget(
        "m",
        json!({"size": 1, "labels": {"a": "x"}, "tags": ["a", "b"]}),
    )
    .await;
    let patched = c
        .widgets()
        .patch(
            "m",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"labels": null, "tags": ["c"]}})),
        )
        .await
        .unwrap();
    assert!(patched.data["spec"].get("labels").is_none());
    assert_eq!(patched.data["spec"]["tags"], json!(["c"]));
    c.shutdown().await;
}

/// JSON patch: operations apply in order; a failed `test` fails the whole patch with 422 and
/// changes nothing; a `test` against `null` of a missing path passes (what kube-runtime's
/// finalizer helper sends).
#[tokio::test]
async fn json_patch_with_test_operations() {
    let c = Cluster::start().await;
    c.create_widget("j", json!({"size": 1})).await;
    let path = format!("{}/j", c.widgets_path());
    let ok = json!([
        {"op": "test", "path": "/metadata/finalizers", "value": null},
        {"op": "add", "path": "/metadata/finalizers", "value": ["example.com/f"]},
        {"op": "replace", "path": "/spec/size", "value": 2},
    ]);
    let (code, patched, _) = c
        .raw(
            "PATCH",
            &path,
            Some("application/json-patch+json"),
            None,
            Some(ok),
        )
        .await;
    assert_eq!(code, 200, "{patched}");
    assert_eq!(patched["metadata"]["finalizers"], json!(["example.com/f"]));
    assert_eq!(patched["spec"]["size"], 2);
    let failing = json!([
        {"op": "replace", "path": "/spec/size", "value": 3},
        {"op": "test", "path": "/spec/size", "value": 99},
    ]);
    let (code, _, _) = c
        .raw(
            "PATCH",
            &path,
            Some("application/json-patch+json"),
            None,
            Some(failing),
        )
        .await;
    assert_eq!(code, 422);
    assert_eq!(c.widgets().get("j").await.unwrap().data["spec"]["size"], 2);
    c.shutdown().await;
}

/// Strategic merge patch is not supported for custom resources: 415.
#[tokio::test]
async fn strategic_merge_patch_is_unsupported_for_custom_resources() {
    let c = Cluster::start().await;
    c.create_widget("smp", json!({"size": 1})).await;
    let err = api_error(
        c.widgets()
            .patch(
                "smp",
                &PatchParams::default(),
                &Patch::Strategic(json!({"spec": {"size": 2}})),
            )
            .await,
    );
    assert_eq!(err.code, 415);
    c.shutdown().await;
}

/// Server-side apply: creates a missing object; each manager's fields are recorded in
/// managedFields; applying a field another manager owns with a different value is a 409
/// naming the field; `force` takes it over; a field the manager stops applying is removed.
#[tokio::test]
async fn server_side_apply_tracks_owners_and_conflicts() {
    let c = Cluster::start().await;
    let api = c.widgets();
    let config = |size: i64, tags: Option<&str>| {
        let mut spec = json!({"size": size});
        if let Some(t) = tags {
            spec["tags"] = json!([t]);
        }
        json!({"apiVersion": "contract.kube-emulator.dev/v1", "kind": "Widget", "metadata": {"name": "a"}, "spec": spec})
    };
    let created = api
        .patch(
            "a",
            &PatchParams::apply("alice"),
            &Patch::Apply(config(1, Some("abc"))),
        )
        .await
        .unwrap();
    assert_eq!(created.data["spec"]["size"], 1);
    let managers: Vec<(String, String)> = created
        .metadata
        .managed_fields
        .unwrap_or_default()
        .into_iter()
        .map(|m| {
            (
                m.manager.unwrap_or_default(),
                m.operation.unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(managers, [("alice".to_owned(), "Apply".to_owned())]);
    let conflict = api_error(
        api.patch(
            "a",
            &PatchParams::apply("bob"),
            &Patch::Apply(config(2, None)),
        )
        .await,
    );
    assert_eq!(conflict.code, 409);
    assert!(
        conflict.message.contains("conflict with \"alice\""),
        "{}",
        conflict.message
    );
    let causes = conflict.details.unwrap().causes;
    assert_eq!(causes[0].field, ".spec.size");
    let same_value = api
        .patch(
            "a",
            &PatchParams::apply("bob"),
            &Patch::Apply(config(1, None)),
        )
        .await
        .unwrap();
    assert_eq!(
        same_value.data["spec"]["size"], 1,
        "applying an equal value shares ownership"
    );
    let forced = api
        .patch(
            "a",
            &PatchParams::apply("bob").force(),
            &Patch::Apply(config(3, None)),
        )
        .await
        .unwrap();
    assert_eq!(forced.data["spec"]["size"], 3);
    let dropped = api
        .patch(
            "a",
            &PatchParams::apply("alice"),
            &Patch::Apply(config(3, None)),
        )
        .await;
    let dropped = dropped.unwrap();
    assert!(
        dropped.data["spec"].get("tags").is_none(),
        "alice stopped applying spec.tags, which only she owned"
    );
    c.shutdown().await;
}

/// What a controller does with server-side apply: status through `/status` with `force`
/// (only status changes, generation stays), and an owned Secret applied with an ownerReference
/// that garbage collection follows when the owner goes.
#[tokio::test]
async fn controller_style_apply_of_status_and_owned_secret() {
    use k8s_openapi::api::core::v1::Secret;
    let c = Cluster::start().await;
    let owner = c.create_widget("owner", json!({"size": 1})).await;
    let status = json!({
        "apiVersion": "contract.kube-emulator.dev/v1", "kind": "Widget",
        "status": {"phase": "Ready", "conditions": [{"type": "Ready", "status": "True", "reason": "Done"}]},
    });
    let applied = c
        .widgets()
        .patch_status(
            "owner",
            &PatchParams::apply("controller").force(),
            &Patch::Apply(status),
        )
        .await
        .unwrap();
    assert_eq!(applied.data["status"]["conditions"][0]["status"], "True");
    assert_eq!(applied.metadata.generation, Some(1));
    let entry = applied
        .metadata
        .managed_fields
        .unwrap_or_default()
        .into_iter()
        .find(|m| m.manager.as_deref() == Some("controller"))
        .unwrap();
    assert_eq!(entry.subresource.as_deref(), Some("status"));
    assert_eq!(entry.operation.as_deref(), Some("Apply"));

    let secrets: kube::Api<Secret> = kube::Api::namespaced(c.client.clone(), &c.namespace);
    let secret = json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "owner-keys", "ownerReferences": [{
            "apiVersion": "contract.kube-emulator.dev/v1", "kind": "Widget", "name": "owner",
            "uid": owner.metadata.uid, "controller": true, "blockOwnerDeletion": true,
        }]},
        "stringData": {"primaryKey": "k1"},
    });
    secrets
        .patch(
            "owner-keys",
            &PatchParams::apply("controller").force(),
            &Patch::Apply(&secret),
        )
        .await
        .unwrap();
    let stored = secrets.get("owner-keys").await.unwrap();
    assert_eq!(stored.data.unwrap()["primaryKey"].0, b"k1");
    c.widgets()
        .delete("owner", &Default::default())
        .await
        .unwrap();
    super::harness::eventually(std::time::Duration::from_secs(30), || async {
        matches!(secrets.get("owner-keys").await, Err(kube::Error::Api(s)) if s.code == 404)
            .then_some(())
    })
    .await;
    c.shutdown().await;
}
