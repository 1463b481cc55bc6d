//! The cluster a contract test runs against: a fresh emulator, or — with
//! `KUBE_CONTRACT_KUBECONFIG` set — the apiserver that kubeconfig names, so the same assertions
//! can be checked against a real kube-apiserver. Each test gets its own namespace and the test
//! CRD (`widgets.contract.kube-emulator.dev`) is installed and waited on until Established.

use std::path::PathBuf;
use std::time::Duration;

use kube::api::{
    Api, ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams,
};
use kube::core::Status;
use kube_emulator::{KubeEmulator, KubeEmulatorConfig};
use serde_json::{Value, json};

pub const WIDGET_CRD: &str = r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.contract.kube-emulator.dev
spec:
  group: contract.kube-emulator.dev
  names: {kind: Widget, plural: widgets, singular: widget, shortNames: [wg], listKind: WidgetList}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    additionalPrinterColumns:
    - {name: Size, type: integer, jsonPath: .spec.size}
    - {name: Ready, type: string, jsonPath: '.status.conditions[?(@.type=="Ready")].status'}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [size]
            x-kubernetes-validations:
            - {rule: "self.size <= self.limit", message: "size must not exceed limit", fieldPath: ".size"}
            - {rule: "!has(oldSelf.name) || (has(self.name) && self.name == oldSelf.name)", message: "spec.name is immutable", fieldPath: ".name"}
            properties:
              size: {type: integer, minimum: 0}
              limit: {type: integer, default: 10}
              name: {type: string, maxLength: 16, pattern: "^[a-z]+$"}
              mode: {type: string, enum: [fast, slow], default: fast}
              tags: {type: array, maxItems: 3, items: {type: string, maxLength: 10}}
              labels: {type: object, maxProperties: 2, additionalProperties: {type: string, maxLength: 10}}
          status:
            type: object
            properties:
              phase: {type: string, maxLength: 32}
              conditions:
                type: array
                maxItems: 8
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [type]
                items:
                  type: object
                  required: [type, status]
                  properties:
                    type: {type: string, maxLength: 32}
                    status: {type: string, maxLength: 8}
                    reason: {type: string, maxLength: 32}
"#;

pub struct Cluster {
    pub client: kube::Client,
    pub namespace: String,
    emulator: Option<KubeEmulator>,
}

pub fn widget_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("contract.kube-emulator.dev", "v1", "Widget"),
        "widgets",
    )
}

impl Cluster {
    pub async fn start() -> Self {
        let (client, emulator) = match std::env::var_os("KUBE_CONTRACT_KUBECONFIG") {
            Some(path) => {
                let path = PathBuf::from(path);
                let kubeconfig = kube::config::Kubeconfig::read_from(&path).unwrap();
                let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
                    .await
                    .unwrap();
                (kube::Client::try_from(config).unwrap(), None)
            }
            None => {
                let emulator = KubeEmulator::start(KubeEmulatorConfig {
                    bookmark_interval: Duration::from_millis(200),
                    watch_history: 64,
                    ..KubeEmulatorConfig::default()
                })
                .await
                .unwrap();
                let client = emulator.client().await.unwrap();
                (client, Some(emulator))
            }
        };
        let namespace = format!(
            "contract-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..10]
        );
        let namespaces: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client.clone());
        namespaces
            .create(
                &PostParams::default(),
                &serde_json::from_value(json!({"metadata": {"name": namespace}})).unwrap(),
            )
            .await
            .unwrap();
        let cluster = Self {
            client,
            namespace,
            emulator,
        };
        cluster.install_widget_crd().await;
        cluster
    }

    pub fn emulator(&self) -> Option<&KubeEmulator> {
        self.emulator.as_ref()
    }

    async fn install_widget_crd(&self) {
        let crds: Api<DynamicObject> = Api::all_with(
            self.client.clone(),
            &ApiResource::from_gvk_with_plural(
                &GroupVersionKind::gvk("apiextensions.k8s.io", "v1", "CustomResourceDefinition"),
                "customresourcedefinitions",
            ),
        );
        let crd: Value = serde_saphyr::from_str(WIDGET_CRD).unwrap();
        crds.patch(
            "widgets.contract.kube-emulator.dev",
            &PatchParams::apply("contract-tests").force(),
            &Patch::Apply(&crd),
        )
        .await
        .unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let got = crds
                .get("widgets.contract.kube-emulator.dev")
                .await
                .unwrap();
            let established = got.data["status"]["conditions"]
                .as_array()
                .is_some_and(|cs| {
                    cs.iter()
                        .any(|c| c["type"] == "Established" && c["status"] == "True")
                });
            if established && self.widgets().list(&Default::default()).await.is_ok() {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the test CRD never became Established"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn widgets(&self) -> Api<DynamicObject> {
        Api::namespaced_with(self.client.clone(), &self.namespace, &widget_resource())
    }

    /// A raw request; returns the status code, the body as JSON (or a string value), and headers.
    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        accept: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value, http::HeaderMap) {
        let mut builder = http::Request::builder().method(method).uri(path);
        if let Some(ct) = content_type {
            builder = builder.header(http::header::CONTENT_TYPE, ct);
        }
        if let Some(a) = accept {
            builder = builder.header(http::header::ACCEPT, a);
        }
        let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        let request = builder.body(kube::client::Body::from(bytes)).unwrap();
        let response = self.client.send(request).await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect_bytes().await.unwrap();
        let value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        (status, value, headers)
    }

    pub fn widgets_path(&self) -> String {
        format!(
            "/apis/contract.kube-emulator.dev/v1/namespaces/{}/widgets",
            self.namespace
        )
    }

    pub async fn create_widget(&self, name: &str, spec: Value) -> DynamicObject {
        let obj: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "contract.kube-emulator.dev/v1",
            "kind": "Widget",
            "metadata": {"name": name},
            "spec": spec,
        }))
        .unwrap();
        self.widgets()
            .create(&PostParams::default(), &obj)
            .await
            .unwrap()
    }

    pub async fn shutdown(self) {
        let namespaces: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(self.client.clone());
        let _ = namespaces
            .delete(&self.namespace, &Default::default())
            .await;
        if let Some(emulator) = self.emulator {
            emulator.shutdown().await;
        }
    }
}

/// The `Status` of a failed kube-rs call.
pub fn api_error<T: std::fmt::Debug>(result: Result<T, kube::Error>) -> Status {
    match result {
        Err(kube::Error::Api(status)) => *status,
        other => panic!("expected an API error, got {other:?}"),
    }
}

/// Polls `check` every 50 ms until it returns Some or `timeout` passes.
pub async fn eventually<T, F, Fut>(timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not reached within {timeout:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
