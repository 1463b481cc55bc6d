//! kube-runtime end to end: Controller, finalizer(), status patches, Recorder events.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::events::v1::Event;
use kube::Resource as _;
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::events::{Event as RecordedEvent, EventType, Recorder, Reporter};
use kube::runtime::finalizer::{Event as Finalizer, finalizer};
use kube::runtime::watcher;
use serde_json::json;

use super::harness::{Cluster, api_error, eventually};

#[derive(Debug, thiserror::Error)]
#[error("reconcile failed: {0}")]
struct ReconcileError(String);

struct Context {
    api: Api<kube::api::DynamicObject>,
    recorder: Recorder,
}

async fn reconcile(
    obj: Arc<kube::api::DynamicObject>,
    ctx: Arc<Context>,
) -> Result<Action, ReconcileError> {
    let api = ctx.api.clone();
    finalizer(&api, "contract.kube-emulator.dev/cleanup", obj, |event| async {
        match event {
            Finalizer::Apply(o) => {
                let name = o.metadata.name.clone().unwrap_or_default();
                let status = json!({"status": {"phase": "Reconciled", "conditions": [{"type": "Ready", "status": "True", "reason": "Done"}]}});
                api.patch_status(&name, &PatchParams::default(), &Patch::Merge(status))
                    .await
                    .map_err(|e| ReconcileError(e.to_string()))?;
                let reference = o.object_ref(&super::harness::widget_resource());
                ctx.recorder
                    .publish(
                        &RecordedEvent {
                            type_: EventType::Normal,
                            reason: "Reconciled".into(),
                            note: Some("status written".into()),
                            action: "Reconcile".into(),
                            secondary: None,
                        },
                        &reference,
                    )
                    .await
                    .map_err(|e| ReconcileError(e.to_string()))?;
                Ok(Action::await_change())
            }
            Finalizer::Cleanup(_) => Ok::<_, ReconcileError>(Action::await_change()),
        }
    })
    .await
    .map_err(|e| ReconcileError(e.to_string()))
}

/// kube-runtime works unmodified: a `Controller` with `finalizer()` adds its finalizer (JSON
/// patch with `test`), patches status, publishes an events.k8s.io/v1 Event (also readable as a
/// core/v1 Event), and on delete runs cleanup and removes the finalizer so the object goes away.
#[tokio::test]
async fn kube_runtime_controller_with_finalizer_and_events() {
    let c = Cluster::start().await;
    let api = c.widgets();
    let recorder = Recorder::new(
        c.client.clone(),
        Reporter {
            controller: "contract-tests".into(),
            instance: Some("test-0".into()),
        },
    );
    let ctx = Arc::new(Context {
        api: api.clone(),
        recorder,
    });
    let controller = Controller::new_with(
        api.clone(),
        watcher::Config::default(),
        super::harness::widget_resource(),
    )
    .run(
        reconcile,
        |_, _, _| Action::requeue(Duration::from_secs(1)),
        ctx,
    )
    .for_each(|_| async {});
    let running = tokio::spawn(controller);
    c.create_widget("managed", json!({"size": 1})).await;
    let reconciled = eventually(Duration::from_secs(30), || async {
        let o = api.get("managed").await.ok()?;
        (o.data["status"]["phase"] == "Reconciled").then_some(o)
    })
    .await;
    assert_eq!(
        reconciled.metadata.finalizers.as_deref(),
        Some(&["contract.kube-emulator.dev/cleanup".to_owned()][..])
    );
    let events: Api<Event> = Api::namespaced(c.client.clone(), &c.namespace);
    let recorded = eventually(Duration::from_secs(30), || async {
        let list = events.list(&Default::default()).await.ok()?;
        list.items
            .into_iter()
            .find(|e| e.reason.as_deref() == Some("Reconciled"))
    })
    .await;
    assert_eq!(recorded.regarding.unwrap().name.as_deref(), Some("managed"));
    // The same Event through core/v1, as `kubectl get events` reads it.
    let core: Api<k8s_openapi::api::core::v1::Event> =
        Api::namespaced(c.client.clone(), &c.namespace);
    let legacy = core
        .list(&kube::api::ListParams::default().fields("involvedObject.name=managed"))
        .await
        .unwrap();
    let legacy = legacy
        .items
        .into_iter()
        .find(|e| e.reason.as_deref() == Some("Reconciled"))
        .unwrap();
    assert_eq!(legacy.message.as_deref(), Some("status written"));
    assert_eq!(legacy.involved_object.kind.as_deref(), Some("Widget"));
    api.delete("managed", &DeleteParams::default())
        .await
        .unwrap();
    eventually(Duration::from_secs(30), || async {
        matches!(api.get("managed").await, Err(kube::Error::Api(s)) if s.code == 404).then_some(())
    })
    .await;
    running.abort();
    let _ = api_error(api.get("managed").await);
    c.shutdown().await;
}
