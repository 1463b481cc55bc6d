//! Test harness: an emulator with the sandbox seed over TLS, a reqwest client trusting its CA,
//! a bearer token for the controller principal, and helpers to send ARM requests and follow
//! long-running operations.
#![allow(dead_code, clippy::unwrap_used)]

use std::time::{Duration, Instant};

use arm_emulator::{Emulator, EmulatorConfig, Seed};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub const SUB: &str = "11111111-2222-3333-4444-555555555555";
pub const TENANT: &str = "99999999-8888-7777-6666-555555555555";
pub const CONTROLLER: &str = "0c0c0c0c-0000-4000-8000-000000000001";
pub const CONTROLLER_SECRET: &str = "sandbox-controller-secret";
pub const TEAM: &str = "0c0c0c0c-0000-4000-8000-000000000002";
pub const ML: &str = "2025-12-01";
pub const NETWORK: &str = "2025-05-01";
pub const DNS: &str = "2024-06-01";

pub fn ws_id() -> String {
    format!(
        "/subscriptions/{SUB}/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/mlw-prod"
    )
}
pub fn ep_id(ep: &str) -> String {
    format!("{}/onlineEndpoints/{ep}", ws_id())
}
pub fn dep_id(ep: &str, dep: &str) -> String {
    format!("{}/deployments/{dep}", ep_id(ep))
}
pub fn subnet_id() -> String {
    format!(
        "/subscriptions/{SUB}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-hub/subnets/pe"
    )
}
pub fn vnet_id() -> String {
    format!(
        "/subscriptions/{SUB}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-hub"
    )
}
pub fn pe_id(name: &str) -> String {
    format!(
        "/subscriptions/{SUB}/resourceGroups/rg-net/providers/Microsoft.Network/privateEndpoints/{name}"
    )
}
pub fn zone_id(zone: &str) -> String {
    format!(
        "/subscriptions/{SUB}/resourceGroups/rg-dns/providers/Microsoft.Network/privateDnsZones/{zone}"
    )
}

pub fn endpoint_body(public: &str, traffic: Value) -> Value {
    json!({
        "location": "westeurope",
        "identity": {"type": "SystemAssigned"},
        "properties": {"authMode": "Key", "publicNetworkAccess": public, "traffic": traffic},
        "tags": {"owner": "tests"},
    })
}

pub fn deployment_body(instance_type: &str, count: u32) -> Value {
    json!({
        "location": "westeurope",
        "sku": {"name": "Default", "capacity": count},
        "properties": {
            "endpointComputeType": "Managed",
            "model": format!("{}/models/california-housing-prices/versions/1", ws_id()),
            "environmentId": format!("{}/environments/california-housing-env/versions/1", ws_id()),
            "instanceType": instance_type,
            "egressPublicNetworkAccess": "Disabled",
            "livenessProbe": {"initialDelay": "PT10S", "period": "PT10S", "timeout": "PT2S", "failureThreshold": 30, "successThreshold": 1},
        },
    })
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
    pub fn code(&self) -> &str {
        self.body
            .pointer("/error/code")
            .and_then(Value::as_str)
            .unwrap_or("")
    }
}

pub struct Harness {
    pub emulator: Emulator,
    pub http: reqwest::Client,
    pub token: String,
}

pub fn client_for(emulator: &Emulator) -> reqwest::Client {
    let mut builder = reqwest::Client::builder();
    if let Some(pem) = emulator.ca_pem() {
        let cert = reqwest::Certificate::from_pem(pem.as_bytes()).unwrap();
        builder = builder.tls_certs_only([cert]);
    }
    builder.build().unwrap()
}

impl Harness {
    pub async fn start() -> Self {
        Self::with(EmulatorConfig::default()).await
    }

    pub async fn with(config: EmulatorConfig) -> Self {
        let config = if config.seed == Seed::default() {
            config.seed(Seed::sandbox().unwrap())
        } else {
            config
        };
        let emulator = Emulator::start(config).await.unwrap();
        let http = client_for(&emulator);
        let token = emulator.issue_token(CONTROLLER);
        Self {
            emulator,
            http,
            token,
        }
    }

    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.emulator.base_url())
        }
    }

    pub async fn send_as(
        &self,
        token: Option<&str>,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Reply {
        let mut req = self.http.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> Reply {
        self.send_as(Some(&self.token), method, path, body).await
    }

    pub async fn get(&self, id: &str, api: &str) -> Reply {
        self.send(Method::GET, &format!("{id}?api-version={api}"), None)
            .await
    }
    pub async fn put(&self, id: &str, api: &str, body: &Value) -> Reply {
        self.send(Method::PUT, &format!("{id}?api-version={api}"), Some(body))
            .await
    }
    pub async fn patch(&self, id: &str, api: &str, body: &Value) -> Reply {
        self.send(
            Method::PATCH,
            &format!("{id}?api-version={api}"),
            Some(body),
        )
        .await
    }
    pub async fn delete(&self, id: &str, api: &str) -> Reply {
        self.send(Method::DELETE, &format!("{id}?api-version={api}"), None)
            .await
    }
    pub async fn post(&self, id: &str, api: &str, body: Option<&Value>) -> Reply {
        self.send(Method::POST, &format!("{id}?api-version={api}"), body)
            .await
    }

    /// Follow an LRO answer to its end (Azure-AsyncOperation preferred, else Location),
    /// honouring Retry-After, bounded by a deadline. Returns the final status body / answer.
    pub async fn finish(&self, reply: &Reply) -> Reply {
        let deadline = Instant::now() + Duration::from_secs(20);
        if let Some(url) = reply.header("azure-asyncoperation") {
            loop {
                let r = self.send(Method::GET, &url, None).await;
                assert_eq!(r.status, StatusCode::OK, "status poll: {:?}", r.body);
                let status = r.body["status"].as_str().unwrap_or_default().to_string();
                if status != "InProgress" {
                    return r;
                }
                assert!(
                    r.header("retry-after").is_some(),
                    "Retry-After on InProgress"
                );
                assert!(
                    Instant::now() < deadline,
                    "operation did not finish in time"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        let url = reply
            .header("location")
            .expect("an LRO answer has Azure-AsyncOperation or Location");
        loop {
            let r = self.send(Method::GET, &url, None).await;
            if r.status != StatusCode::ACCEPTED {
                return r;
            }
            assert!(r.header("retry-after").is_some(), "Retry-After on 202");
            assert!(
                Instant::now() < deadline,
                "operation did not finish in time"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Create an endpoint and wait until it is Succeeded.
    pub async fn endpoint(&self, name: &str, public: &str, traffic: Value) -> Value {
        let r = self
            .put(&ep_id(name), ML, &endpoint_body(public, traffic))
            .await;
        assert!(
            r.status.is_success(),
            "endpoint PUT: {} {:?}",
            r.status,
            r.body
        );
        let done = self.finish(&r).await;
        assert_eq!(done.body["status"], "Succeeded", "{:?}", done.body);
        self.get(&ep_id(name), ML).await.body
    }

    /// Create a deployment and wait until it is Succeeded.
    pub async fn deployment(&self, ep: &str, name: &str, count: u32) -> Value {
        let r = self
            .put(
                &dep_id(ep, name),
                ML,
                &deployment_body("Standard_F2s_v2", count),
            )
            .await;
        assert!(
            r.status.is_success(),
            "deployment PUT: {} {:?}",
            r.status,
            r.body
        );
        let done = self.finish(&r).await;
        assert_eq!(done.body["status"], "Succeeded", "{:?}", done.body);
        self.get(&dep_id(ep, name), ML).await.body
    }
}
