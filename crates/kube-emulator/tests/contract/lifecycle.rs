//! Deletion: finalizers, garbage collection of dependents, namespace deletion.

use std::time::Duration;

use futures::StreamExt;

use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use serde_json::json;

use super::harness::{Cluster, api_error, eventually};

/// Deleting an object with finalizers only sets `deletionTimestamp` (202, object kept); a new
/// finalizer is then refused (422); removing the last finalizer deletes it.
#[tokio::test]
async fn finalizers_hold_deletion_until_removed() {
    let c = Cluster::start().await;
    c.create_widget("f", json!({"size": 1})).await;
    let pp = PatchParams::default();
    c.widgets()
        .patch(
            "f",
            &pp,
            &Patch::Merge(json!({"metadata": {"finalizers": ["example.com/a"]}})),
        )
        .await
        .unwrap();
    let deleted = c
        .widgets()
        .delete("f", &DeleteParams::default())
        .await
        .unwrap();
    let pending = deleted
        .left()
        .expect("an object with finalizers is not deleted at once");
    assert!(pending.metadata.deletion_timestamp.is_some());
    assert!(
        c.widgets()
            .get("f")
            .await
            .unwrap()
            .metadata
            .deletion_timestamp
            .is_some()
    );
    let added = api_error(
        c.widgets()
            .patch(
                "f",
                &pp,
                &Patch::Merge(
                    json!({"metadata": {"finalizers": ["example.com/a", "example.com/b"]}}),
                ),
            )
            .await,
    );
    assert_eq!(added.code, 422);
    assert!(
        added.message.contains("no new finalizers"),
        "{}",
        added.message
    );
    let rv = c
        .widgets()
        .get("f")
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap();
    let mut events = c
        .widgets()
        .watch(&kube::api::WatchParams::default(), &rv)
        .await
        .unwrap()
        .boxed();
    c.widgets()
        .patch(
            "f",
            &pp,
            &Patch::Merge(json!({"metadata": {"finalizers": null}})),
        )
        .await
        .unwrap();
    assert_eq!(api_error(c.widgets().get("f").await).code, 404);
    let event = tokio::time::timeout(Duration::from_secs(30), events.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(
        matches!(event, kube::api::WatchEvent::Deleted(_)),
        "removing the last finalizer is a DELETED event: {event:?}"
    );
    c.shutdown().await;
}

/// Background garbage collection: deleting an owner deletes dependents whose ownerReferences
/// name no existing object; a dependent with another live owner stays.
#[tokio::test]
async fn owner_deletion_collects_dependents() {
    let c = Cluster::start().await;
    let owner = c.create_widget("owner", json!({"size": 1})).await;
    let other = c.create_widget("other", json!({"size": 1})).await;
    let reference = |w: &kube::api::DynamicObject| json!({"apiVersion": "contract.kube-emulator.dev/v1", "kind": "Widget", "name": w.metadata.name, "uid": w.metadata.uid});
    let cms: Api<ConfigMap> = Api::namespaced(c.client.clone(), &c.namespace);
    for (name, refs) in [
        ("only-owner", json!([reference(&owner)])),
        ("two-owners", json!([reference(&owner), reference(&other)])),
    ] {
        let cm: ConfigMap =
            serde_json::from_value(json!({"metadata": {"name": name, "ownerReferences": refs}}))
                .unwrap();
        cms.create(&PostParams::default(), &cm).await.unwrap();
    }
    c.widgets()
        .delete("owner", &DeleteParams::background())
        .await
        .unwrap();
    eventually(Duration::from_secs(30), || async {
        matches!(cms.get("only-owner").await, Err(kube::Error::Api(s)) if s.code == 404)
            .then_some(())
    })
    .await;
    assert!(cms.get("two-owners").await.is_ok());
    c.shutdown().await;
}

/// Deleting a namespace marks it Terminating, deletes everything in it, then the namespace.
#[tokio::test]
async fn namespace_deletion_removes_contents() {
    let c = Cluster::start().await;
    let namespaces: Api<Namespace> = Api::all(c.client.clone());
    let ns_name = format!("{}-gone", c.namespace);
    namespaces
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({"metadata": {"name": ns_name}})).unwrap(),
        )
        .await
        .unwrap();
    let cms: Api<ConfigMap> = Api::namespaced(c.client.clone(), &ns_name);
    cms.create(
        &PostParams::default(),
        &serde_json::from_value(json!({"metadata": {"name": "x"}})).unwrap(),
    )
    .await
    .unwrap();
    namespaces
        .delete(&ns_name, &DeleteParams::default())
        .await
        .unwrap();
    eventually(Duration::from_secs(60), || async {
        matches!(namespaces.get(&ns_name).await, Err(kube::Error::Api(s)) if s.code == 404)
            .then_some(())
    })
    .await;
    assert_eq!(api_error(cms.get("x").await).code, 404);
    c.shutdown().await;
}

/// `propagationPolicy: Orphan` removes the owner and strips its reference from dependents,
/// which stay; `Foreground` keeps the owner (with the `foregroundDeletion` finalizer) until its
/// dependents are gone.
#[tokio::test]
async fn orphan_and_foreground_propagation() {
    let c = Cluster::start().await;
    let cms: Api<ConfigMap> = Api::namespaced(c.client.clone(), &c.namespace);
    let owned_by = |w: &kube::api::DynamicObject, name: &str| -> ConfigMap {
        serde_json::from_value(json!({"metadata": {"name": name, "ownerReferences": [{
            "apiVersion": "contract.kube-emulator.dev/v1", "kind": "Widget",
            "name": w.metadata.name, "uid": w.metadata.uid,
        }]}}))
        .unwrap()
    };
    let orphaner = c.create_widget("orphaner", json!({"size": 1})).await;
    cms.create(&PostParams::default(), &owned_by(&orphaner, "kept"))
        .await
        .unwrap();
    c.widgets()
        .delete(
            "orphaner",
            &DeleteParams {
                propagation_policy: Some(kube::api::PropagationPolicy::Orphan),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    eventually(Duration::from_secs(30), || async {
        matches!(c.widgets().get("orphaner").await, Err(kube::Error::Api(s)) if s.code == 404)
            .then_some(())
    })
    .await;
    let kept = eventually(Duration::from_secs(30), || async {
        let cm = cms.get("kept").await.ok()?;
        cm.metadata
            .owner_references
            .as_ref()
            .is_none_or(Vec::is_empty)
            .then_some(cm)
    })
    .await;
    assert!(kept.metadata.deletion_timestamp.is_none());

    let foreground = c.create_widget("foreground", json!({"size": 1})).await;
    let mut blocker = owned_by(&foreground, "blocker");
    blocker.metadata.finalizers = Some(vec!["example.com/hold".to_owned()]);
    cms.create(&PostParams::default(), &blocker).await.unwrap();
    c.widgets()
        .delete("foreground", &DeleteParams::foreground())
        .await
        .unwrap();
    let owner = c.widgets().get("foreground").await.unwrap();
    assert!(owner.metadata.deletion_timestamp.is_some());
    assert!(
        owner
            .metadata
            .finalizers
            .unwrap_or_default()
            .contains(&"foregroundDeletion".to_owned())
    );
    eventually(Duration::from_secs(30), || async {
        cms.get("blocker")
            .await
            .ok()?
            .metadata
            .deletion_timestamp
            .map(|_| ())
    })
    .await;
    cms.patch(
        "blocker",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"finalizers": null}})),
    )
    .await
    .unwrap();
    eventually(Duration::from_secs(30), || async {
        matches!(c.widgets().get("foreground").await, Err(kube::Error::Api(s)) if s.code == 404)
            .then_some(())
    })
    .await;
    c.shutdown().await;
}

/// Deleting a CRD deletes its custom resources first, then the CRD; its resource then stops
/// being served.
#[tokio::test]
async fn crd_deletion_removes_its_objects_and_endpoint() {
    use kube::api::{ApiResource, DynamicObject, GroupVersionKind};
    let c = Cluster::start().await;
    let suffix = &c.namespace["contract-".len()..];
    let plural = format!("sprockets{suffix}");
    let group = "contract.kube-emulator.dev";
    let crd_name = format!("{plural}.{group}");
    let crds: Api<DynamicObject> = Api::all_with(
        c.client.clone(),
        &ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("apiextensions.k8s.io", "v1", "CustomResourceDefinition"),
            "customresourcedefinitions",
        ),
    );
    let crd: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": crd_name},
        "spec": {"group": group, "scope": "Namespaced", "names": {"kind": format!("Sprocket{suffix}"), "plural": plural},
            "versions": [{"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {
                "type": "object", "properties": {"spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}}}]},
    }))
    .unwrap();
    crds.create(&PostParams::default(), &crd).await.unwrap();
    let resource = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk(group, "v1", &format!("Sprocket{suffix}")),
        &plural,
    );
    let sprockets: Api<DynamicObject> =
        Api::namespaced_with(c.client.clone(), &c.namespace, &resource);
    let one: DynamicObject = serde_json::from_value(json!({
        "apiVersion": format!("{group}/v1"), "kind": format!("Sprocket{suffix}"), "metadata": {"name": "one"}, "spec": {"teeth": 12},
    }))
    .unwrap();
    eventually(Duration::from_secs(30), || async {
        sprockets.create(&PostParams::default(), &one).await.ok()
    })
    .await;
    assert_eq!(
        sprockets.get("one").await.unwrap().data["spec"]["teeth"],
        12,
        "preserved unknown fields stay"
    );
    crds.delete(&crd_name, &DeleteParams::default())
        .await
        .unwrap();
    eventually(Duration::from_secs(60), || async {
        matches!(crds.get(&crd_name).await, Err(kube::Error::Api(s)) if s.code == 404).then_some(())
    })
    .await;
    eventually(Duration::from_secs(30), || async {
        matches!(sprockets.list(&Default::default()).await, Err(kube::Error::Api(s)) if s.code == 404).then_some(())
    })
    .await;
    c.shutdown().await;
}

/// A Terminating namespace waits for its contents (an object with a finalizer holds it, and
/// other writes to the namespace do not end it); clearing `spec.finalizers` through
/// `/finalize` removes it at once.
#[tokio::test]
async fn terminating_namespace_waits_and_finalize_ends_it() {
    let c = Cluster::start().await;
    let namespaces: Api<Namespace> = Api::all(c.client.clone());
    let ns_name = format!("{}-held", c.namespace);
    namespaces
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({"metadata": {"name": ns_name}})).unwrap(),
        )
        .await
        .unwrap();
    let cms: Api<ConfigMap> = Api::namespaced(c.client.clone(), &ns_name);
    cms.create(
        &PostParams::default(),
        &serde_json::from_value(
            json!({"metadata": {"name": "held", "finalizers": ["example.com/hold"]}}),
        )
        .unwrap(),
    )
    .await
    .unwrap();
    namespaces
        .delete(&ns_name, &DeleteParams::default())
        .await
        .unwrap();
    let terminating = namespaces.get(&ns_name).await.unwrap();
    assert_eq!(
        terminating.status.unwrap().phase.as_deref(),
        Some("Terminating")
    );
    namespaces
        .patch(
            &ns_name,
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {"touched": "yes"}}})),
        )
        .await
        .unwrap();
    assert!(
        namespaces.get(&ns_name).await.is_ok(),
        "a label change does not end a Terminating namespace"
    );
    let mut finalized = namespaces.get(&ns_name).await.unwrap();
    finalized.spec.as_mut().unwrap().finalizers = Some(Vec::new());
    let (code, body, _) = c
        .raw(
            "PUT",
            &format!("/api/v1/namespaces/{ns_name}/finalize"),
            Some("application/json"),
            None,
            Some(serde_json::to_value(&finalized).unwrap()),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    eventually(Duration::from_secs(30), || async {
        matches!(namespaces.get(&ns_name).await, Err(kube::Error::Api(s)) if s.code == 404)
            .then_some(())
    })
    .await;
    c.shutdown().await;
}
