//! End-to-end harness: the real `aml-operator` binary, as a child process, against the ARM
//! emulator and the Kubernetes emulator (or, with `E2E_KUBECONFIG`, a real cluster — the CRDs are
//! installed by the harness and each test works in its own namespace).
//!
//! Every test ends with [`Env::finish`], which checks the invariants that must hold in every run:
//! the ARM journal never shows the controller making public what its spec keeps private, and every
//! status the controller wrote reads consistently for kstatus (Flux) and Argo CD.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use api::{OnlineDeployment, OnlineEndpoint, Workspace};
use arm_emulator::{
    Emulator, EmulatorConfig, JournalEntry, LroDurations, OperationKind, PrivateEndpointSeed,
    RequestRecord, Seed,
};
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::{Client, ResourceExt};
use kube_emulator::{KubeEmulator, KubeEmulatorConfig};
use serde_json::{Value, json};
use tokio::process::{Child, Command};

use crate::gitops;

/// The subscription, resource group and workspace the sandbox seed holds.
pub const WORKSPACE_ID: &str = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/mlw-prod";
/// The controller's principal in the seed.
pub const CONTROLLER_CLIENT: &str = "0c0c0c0c-0000-4000-8000-000000000001";
/// A second principal ("a person") allowed to write in rg-ml.
pub const PERSON_CLIENT: &str = "0c0c0c0c-0000-4000-8000-000000000002";

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Builds the operator binary once per test process and returns its path.
pub fn operator_binary() -> anyhow::Result<PathBuf> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            if let Ok(path) = std::env::var("AML_OPERATOR_BIN") {
                return Ok(PathBuf::from(path));
            }
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let status = std::process::Command::new(cargo)
                .args([
                    "build",
                    "--quiet",
                    "-p",
                    "controller",
                    "--bin",
                    "aml-operator",
                ])
                .current_dir(repo_root())
                .status()
                .map_err(|e| format!("failed to run cargo build: {e}"))?;
            if !status.success() {
                return Err("cargo build -p controller --bin aml-operator failed".into());
            }
            // Test binaries live in <target>/debug/deps.
            let exe = std::env::current_exe().map_err(|e| e.to_string())?;
            let dir = exe
                .parent()
                .and_then(Path::parent)
                .ok_or("no target directory")?;
            Ok(dir.join("aml-operator"))
        })
        .clone()
        .map_err(anyhow::Error::msg)
}

/// The ARM emulator configuration most tests use: the sandbox seed with the platform team's
/// private endpoint on the workspace ([`with_platform_private_endpoint`]), and short
/// operations.
pub fn arm_config(operation_time: Duration) -> anyhow::Result<EmulatorConfig> {
    Ok(EmulatorConfig::default()
        .seed(with_platform_private_endpoint(
            Seed::sandbox().context("sandbox seed")?,
        ))
        .lro_durations(LroDurations::uniform(operation_time)))
}

/// Name of the private endpoint [`with_platform_private_endpoint`] adds.
pub const PLATFORM_PE: &str = "mlw-prod-platform-pe";

/// The sandbox as most teams meet it: the platform team already gave workspace mlw-prod a
/// private endpoint (Approved) in vnet-hub, so deployments that lock outbound with the legacy
/// `egressPublicNetworkAccess: Disabled` can reach it. Tests of the Workspace's own private
/// endpoints still create theirs; this one is not the controller's and is never touched.
pub fn with_platform_private_endpoint(mut seed: Seed) -> Seed {
    let subnet = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-hub/subnets/pe";
    if let Some(rg) = seed
        .subscriptions
        .iter_mut()
        .flat_map(|s| s.resource_groups.iter_mut())
        .find(|g| g.name == "rg-net")
    {
        rg.private_endpoints.push(PrivateEndpointSeed {
            name: PLATFORM_PE.into(),
            subnet_id: subnet.into(),
            target: WORKSPACE_ID.into(),
            group_id: None,
        });
    }
    seed
}

/// A running test environment.
pub struct Env {
    /// The Kubernetes emulator (`None` against a real cluster).
    pub kube: Option<KubeEmulator>,
    /// The kubeconfig the operator uses.
    pub kubeconfig: PathBuf,
    /// A client for the test.
    pub client: Client,
    /// The ARM emulator.
    pub arm: Emulator,
    /// The namespace this test works in.
    pub namespace: String,
    /// The operator's sync interval.
    pub sync_interval: Duration,
    operators: Vec<Operator>,
    leader_election: bool,
    operator_args: Vec<String>,
    operator_log: PathBuf,
    _dir: tempfile::TempDir,
}

/// Options of an environment.
pub struct EnvOptions {
    /// The ARM emulator's configuration.
    pub arm: EmulatorConfig,
    /// The operator's `--sync-interval`.
    pub sync_interval: Duration,
    /// Start operators with `--leader-election` (Lease in the test namespace, 4 s duration).
    pub leader_election: bool,
    /// More `aml-operator run` arguments.
    pub operator_args: Vec<String>,
}

/// A running operator process.
pub struct Operator {
    /// The process.
    pub child: Child,
    /// Its admin port (/metrics, /healthz, /readyz).
    pub admin_port: u16,
    /// Its `--instance` name (the prefix of its Lease identity).
    pub instance: String,
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

impl Env {
    /// Starts the emulators (or connects to `E2E_KUBECONFIG`), installs the CRDs, creates the
    /// namespace and starts the operator.
    pub async fn start(test: &str, options: EnvOptions) -> anyhow::Result<Self> {
        controller::cli::install_crypto_provider();
        let dir = tempfile::tempdir()?;
        let (kube, kubeconfig, client) = match std::env::var("E2E_KUBECONFIG") {
            Ok(path) => {
                let kubeconfig =
                    kube::config::Kubeconfig::read_from(&path).context("E2E_KUBECONFIG")?;
                let config =
                    kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default()).await?;
                (None, PathBuf::from(path), Client::try_from(config)?)
            }
            Err(_) => {
                let kube = KubeEmulator::start(KubeEmulatorConfig::default()).await?;
                let client = kube.client().await?;
                let path = kube.kubeconfig_path().to_path_buf();
                (Some(kube), path, client)
            }
        };
        controller::sandbox::install_crds(&client).await?;
        let namespace = format!(
            "e2e-{}-{}",
            test.replace('_', "-"),
            std::process::id() % 100_000
        );
        // As the cluster admin grants it: this namespace's Workspaces may use the controller's
        // own identity (tests of the grant itself use namespaces of their own).
        let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": namespace,
            "annotations": {"aml-operator.io/default-credential": "allowed"}}}))?;
        match Api::<Namespace>::all(client.clone())
            .create(&PostParams::default(), &ns)
            .await
        {
            Ok(_) => {}
            Err(kube::Error::Api(e)) if e.code == 409 => {}
            Err(e) => return Err(e.into()),
        }
        let arm = Emulator::start(options.arm).await.context("ARM emulator")?;
        let operator_log = dir.path().join("operator.log");
        let mut env = Self {
            kube,
            kubeconfig,
            client,
            arm,
            namespace,
            sync_interval: options.sync_interval,
            operators: Vec::new(),
            leader_election: options.leader_election,
            operator_args: options.operator_args,
            operator_log,
            _dir: dir,
        };
        env.start_operator().await?;
        Ok(env)
    }

    /// Starts (or restarts) an operator process; returns its index.
    pub async fn start_operator(&mut self) -> anyhow::Result<usize> {
        let binary = operator_binary()?;
        let ca = self
            .arm
            .ca_pem_path()
            .context("the ARM emulator serves TLS")?
            .to_path_buf();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.operator_log)?;
        let admin_port = free_port()?;
        let instance = format!("operator-{}", self.operators.len());
        let mut command = Command::new(binary);
        // `--all-namespaces` in the options (a harness word, not a flag of the binary) watches
        // every namespace, for tests that span several.
        let all_namespaces = self.operator_args.iter().any(|a| a == "--all-namespaces");
        command.arg("run");
        if !all_namespaces {
            command.args(["--namespace", &self.namespace]);
        }
        command
            .args(["--instance", &instance])
            .args(["--admin-addr", &format!("127.0.0.1:{admin_port}")])
            .args([
                "--sync-interval",
                &format!("{}s", self.sync_interval.as_secs().max(1)),
            ])
            .args([
                "--arm-endpoint",
                self.arm.base_url(),
                "--authority-host",
                self.arm.authority_host(),
            ])
            .arg("--ca-file")
            .arg(&ca)
            .args(["--credential", "client-secret", "--log-level"])
            .arg(
                std::env::var("E2E_OPERATOR_LOG")
                    .unwrap_or_else(|_| "info,controller=debug".into()),
            );
        command.args(
            self.operator_args
                .iter()
                .filter(|a| *a != "--all-namespaces"),
        );
        if self.leader_election {
            command.args([
                "--leader-election",
                "--lease-namespace",
                &self.namespace,
                "--lease-duration",
                "4s",
            ]);
        }
        let child = command
            .env("KUBECONFIG", &self.kubeconfig)
            .env("AZURE_TENANT_ID", controller::sandbox::SANDBOX_TENANT)
            .env("AZURE_CLIENT_ID", controller::sandbox::SANDBOX_CLIENT)
            .env("AZURE_CLIENT_SECRET", controller::sandbox::SANDBOX_SECRET)
            .env_remove("RUST_LOG")
            .env_remove("POD_NAME")
            .env_remove("POD_NAMESPACE")
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .context("failed to start aml-operator")?;
        self.operators.push(Operator {
            child,
            admin_port,
            instance,
        });
        Ok(self.operators.len() - 1)
    }

    /// The running operators.
    pub fn operators(&self) -> &[Operator] {
        &self.operators
    }

    /// Kills every operator process at once (SIGKILL: no cleanup).
    pub async fn kill_operator(&mut self) -> anyhow::Result<()> {
        for mut op in self.operators.drain(..) {
            op.child.kill().await?;
        }
        Ok(())
    }

    /// Kills operator `index` at once (SIGKILL: no Lease release, no cleanup).
    pub async fn kill_operator_at(&mut self, index: usize) -> anyhow::Result<()> {
        if let Some(op) = self.operators.get_mut(index) {
            op.child.kill().await?;
        }
        Ok(())
    }

    /// GETs `path` from operator `index`'s admin port.
    pub async fn admin_get(&self, index: usize, path: &str) -> anyhow::Result<(u16, String)> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let port = self
            .operators
            .get(index)
            .context("no such operator")?
            .admin_port;
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
        stream
            .write_all(
                format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            )
            .await?;
        let mut text = String::new();
        stream.read_to_string(&mut text).await?;
        let status = text
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = text
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default();
        Ok((status, body))
    }

    /// The operator's log so far (for failure messages).
    pub fn operator_log(&self) -> String {
        let text = std::fs::read_to_string(&self.operator_log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(60)..].join("\n")
    }

    /// Applies the manifests of `dir` (examples) into this test's namespace.
    pub async fn apply_dir(&self, dir: &str) -> anyhow::Result<()> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(repo_root().join(dir))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
            .collect();
        files.sort();
        for file in files {
            let text = std::fs::read_to_string(&file)?;
            for doc in serde_saphyr::from_multiple::<Value>(&text)? {
                if doc.get("kind").and_then(Value::as_str) == Some("Namespace") {
                    continue;
                }
                self.apply(doc)
                    .await
                    .with_context(|| format!("applying {}", file.display()))?;
            }
        }
        Ok(())
    }

    /// Creates or updates one object (server-side apply) in this test's namespace.
    pub async fn apply(&self, mut doc: Value) -> anyhow::Result<()> {
        doc["metadata"]["namespace"] = json!(self.namespace);
        let name = doc
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .context("metadata.name")?
            .to_owned();
        let pp = PatchParams::apply("e2e-test").force();
        match doc.get("kind").and_then(Value::as_str) {
            Some("Workspace") => {
                self.api::<Workspace>()
                    .patch(&name, &pp, &Patch::Apply(&doc))
                    .await?;
            }
            Some("OnlineEndpoint") => {
                self.api::<OnlineEndpoint>()
                    .patch(&name, &pp, &Patch::Apply(&doc))
                    .await?;
            }
            Some("OnlineDeployment") => {
                self.api::<OnlineDeployment>()
                    .patch(&name, &pp, &Patch::Apply(&doc))
                    .await?;
            }
            other => anyhow::bail!("unexpected kind {other:?}"),
        }
        Ok(())
    }

    /// A namespaced API of this test's namespace.
    pub fn api<K>(&self) -> Api<K>
    where
        K: kube::Resource<Scope = kube::core::NamespaceResourceScope, DynamicType = ()>
            + Clone
            + serde::de::DeserializeOwned
            + std::fmt::Debug,
    {
        Api::namespaced(self.client.clone(), &self.namespace)
    }

    /// Deletes an object.
    pub async fn delete<K>(&self, name: &str) -> anyhow::Result<()>
    where
        K: kube::Resource<Scope = kube::core::NamespaceResourceScope, DynamicType = ()>
            + Clone
            + serde::de::DeserializeOwned
            + std::fmt::Debug,
    {
        self.api::<K>()
            .delete(name, &DeleteParams::default())
            .await?;
        Ok(())
    }

    /// Waits until `check` returns `Some`, polling every 200 ms, or fails after `timeout` with
    /// `what` and the operator's log.
    pub async fn wait<T, F, Fut>(
        &self,
        what: &str,
        timeout: Duration,
        mut check: F,
    ) -> anyhow::Result<T>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = anyhow::Result<Option<T>>>,
    {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(v) = check().await? {
                return Ok(v);
            }
            if Instant::now() > deadline {
                if let Ok(dir) = std::env::var("E2E_KEEP_LOGS") {
                    let _ = std::fs::copy(
                        &self.operator_log,
                        Path::new(&dir).join(format!("{}.log", self.namespace)),
                    );
                }
                anyhow::bail!(
                    "timed out after {timeout:?} waiting for {what}\n--- objects ---\n{}\n--- operator log ---\n{}",
                    self.describe().await,
                    self.operator_log()
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Every object of the three kinds with its status, for failure messages.
    pub async fn describe(&self) -> String {
        let mut out = String::new();
        let lp = kube::api::ListParams::default();
        if let Ok(list) = self.api::<Workspace>().list(&lp).await {
            for o in list {
                out.push_str(&format!(
                    "Workspace {} finalizers={:?} status={}\n",
                    o.name_any(),
                    o.metadata.finalizers,
                    json!(o.status)
                ));
            }
        }
        if let Ok(list) = self.api::<OnlineEndpoint>().list(&lp).await {
            for o in list {
                out.push_str(&format!(
                    "OnlineEndpoint {} finalizers={:?} status={}\n",
                    o.name_any(),
                    o.metadata.finalizers,
                    json!(o.status)
                ));
            }
        }
        if let Ok(list) = self.api::<OnlineDeployment>().list(&lp).await {
            for o in list {
                out.push_str(&format!(
                    "OnlineDeployment {} finalizers={:?} status={}\n",
                    o.name_any(),
                    o.metadata.finalizers,
                    json!(o.status)
                ));
            }
        }
        out
    }

    /// The object as JSON.
    pub async fn get_json(&self, kind: &str, name: &str) -> anyhow::Result<Option<Value>> {
        Ok(match kind {
            "Workspace" => self
                .api::<Workspace>()
                .get_opt(name)
                .await?
                .map(serde_json::to_value)
                .transpose()?,
            "OnlineEndpoint" => self
                .api::<OnlineEndpoint>()
                .get_opt(name)
                .await?
                .map(serde_json::to_value)
                .transpose()?,
            "OnlineDeployment" => self
                .api::<OnlineDeployment>()
                .get_opt(name)
                .await?
                .map(serde_json::to_value)
                .transpose()?,
            other => anyhow::bail!("unexpected kind {other}"),
        })
    }

    /// A condition of an object: (status, reason, message, observedGeneration == generation).
    pub async fn condition(
        &self,
        kind: &str,
        name: &str,
        type_: &str,
    ) -> anyhow::Result<Option<(String, String, String, bool)>> {
        let Some(obj) = self.get_json(kind, name).await? else {
            return Ok(None);
        };
        let generation = obj.pointer("/metadata/generation").and_then(Value::as_i64);
        let conditions = obj
            .pointer("/status/conditions")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        Ok(conditions.iter().find(|c| c["type"] == type_).map(|c| {
            (
                c["status"].as_str().unwrap_or_default().to_owned(),
                c["reason"].as_str().unwrap_or_default().to_owned(),
                c["message"].as_str().unwrap_or_default().to_owned(),
                c["observedGeneration"].as_i64() == generation,
            )
        }))
    }

    /// Waits until the object is Ready=True for its current generation, checking that every
    /// status seen on the way reads the same for kstatus and Argo CD.
    pub async fn wait_ready(
        &self,
        kind: &str,
        name: &str,
        timeout: Duration,
    ) -> anyhow::Result<()> {
        self.wait(&format!("{kind} {name} Ready"), timeout, || async {
            // Only statuses the controller wrote are judged (a new object has none yet).
            if let Some(obj) = self
                .get_json(kind, name)
                .await?
                .filter(|o| o.get("status").is_some_and(|s| !s.is_null()))
            {
                gitops::check(&obj).map_err(|e| anyhow::anyhow!("{kind} {name}: {e}"))?;
            }
            let c = self.condition(kind, name, "Ready").await?;
            Ok(c.filter(|(s, _, _, current)| s == "True" && *current)
                .map(|_| ()))
        })
        .await
    }

    /// Waits until Ready has `reason` (any status), returning (status, message).
    pub async fn wait_reason(
        &self,
        kind: &str,
        name: &str,
        reason: &str,
        timeout: Duration,
    ) -> anyhow::Result<(String, String)> {
        self.wait(
            &format!("{kind} {name} with reason {reason}"),
            timeout,
            || async {
                let c = self.condition(kind, name, "Ready").await?;
                Ok(c.filter(|(_, r, _, _)| r == reason)
                    .map(|(s, _, m, _)| (s, m)))
            },
        )
        .await
    }

    /// Waits until the object is gone.
    pub async fn wait_gone(&self, kind: &str, name: &str, timeout: Duration) -> anyhow::Result<()> {
        self.wait(&format!("{kind} {name} deleted"), timeout, || async {
            Ok(self.get_json(kind, name).await?.is_none().then_some(()))
        })
        .await
    }

    /// Every request of the ARM journal.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.arm
            .journal()
            .into_iter()
            .filter_map(|e| match e {
                JournalEntry::Request(r) => Some(r),
                JournalEntry::StateChange(_) => None,
            })
            .collect()
    }

    /// The controller's requests with `method` whose path ends with `suffix` (case-insensitive).
    pub fn controller_requests(&self, method: &str, suffix: &str) -> Vec<RequestRecord> {
        let suffix = suffix.to_ascii_lowercase();
        self.requests()
            .into_iter()
            .filter(|r| r.principal.as_deref() == Some(CONTROLLER_CLIENT))
            .filter(|r| {
                r.method.eq_ignore_ascii_case(method)
                    && r.path.to_ascii_lowercase().ends_with(&suffix)
            })
            .collect()
    }

    /// A resource in the ARM emulator.
    pub fn azure(&self, id: &str) -> Option<Value> {
        self.arm.admin().resource(id)
    }

    /// Events recorded for an object (events.k8s.io), as (reason, note).
    pub async fn events(&self, name: &str) -> anyhow::Result<Vec<(String, String)>> {
        let api: Api<k8s_openapi::api::events::v1::Event> = self.api();
        let mut out = Vec::new();
        for e in api.list(&Default::default()).await? {
            if e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(name) {
                out.push((
                    e.reason.clone().unwrap_or_default(),
                    e.note.clone().unwrap_or_default(),
                ));
            }
        }
        Ok(out)
    }

    /// Writes the Kubernetes permissions the operator exercised in this test (from the emulator's
    /// audit trail) to `target/rbac-usage/<namespace>.json`; CI holds the chart's RBAC to the union
    /// of them (no permission missing, none unused).
    pub fn record_rbac_usage(&self) -> anyhow::Result<()> {
        let Some(kube) = &self.kube else {
            return Ok(());
        };
        let mut used: Vec<Value> = kube
            .audit()
            .into_iter()
            .filter(|r| r.user_agent.starts_with("aml-operator/"))
            .map(|r| json!({"apiGroup": r.api_group, "resource": r.resource, "verb": r.verb}))
            .collect();
        used.sort_by_key(|v| v.to_string());
        used.dedup();
        let dir = repo_root().join("target").join("rbac-usage");
        std::fs::create_dir_all(&dir)?;
        std::fs::write(
            dir.join(format!("{}.json", self.namespace)),
            serde_json::to_vec_pretty(&used)?,
        )?;
        Ok(())
    }

    /// The invariants of every run, then the shutdown: the controller never sent a body making an
    /// endpoint or deployment public, and no endpoint became public except by "a person".
    pub async fn finish(mut self) -> anyhow::Result<()> {
        let violations = never_public_violations(&self.arm.journal());
        self.record_rbac_usage()?;
        self.kill_operator().await?;
        if self.kube.is_none() {
            // A real cluster: leave nothing behind.
            let _ = Api::<Namespace>::all(self.client.clone())
                .delete(&self.namespace, &DeleteParams::default())
                .await;
        }
        self.arm.shutdown().await;
        if let Some(kube) = self.kube.take() {
            kube.shutdown().await;
        }
        anyhow::ensure!(
            violations.is_empty(),
            "never-public invariant violated: {violations:#?}"
        );
        Ok(())
    }
}

/// The requests and state changes that broke "never public": a controller request body that
/// sets publicNetworkAccess or egressPublicNetworkAccess to Enabled, or an endpoint that became
/// public by anyone but a person at the portal.
pub fn never_public_violations(journal: &[JournalEntry]) -> Vec<String> {
    let mut out = Vec::new();
    for entry in journal {
        match entry {
            JournalEntry::Request(r) if r.principal.as_deref() == Some(CONTROLLER_CLIENT) => {
                if let Some(body) = &r.body {
                    for pointer in [
                        "/properties/publicNetworkAccess",
                        "/properties/egressPublicNetworkAccess",
                    ] {
                        if body
                            .pointer(pointer)
                            .and_then(Value::as_str)
                            .is_some_and(|v| v.eq_ignore_ascii_case("Enabled"))
                        {
                            out.push(format!("{} {} sent {pointer} Enabled", r.method, r.path));
                        }
                    }
                }
            }
            JournalEntry::StateChange(c)
                if c.resource_type
                    .to_ascii_lowercase()
                    .ends_with("onlineendpoints")
                    && c.actor != "portal"
                    && c.public_network_access
                        .as_deref()
                        .is_some_and(|p| p.eq_ignore_ascii_case("Enabled")) =>
            {
                out.push(format!(
                    "{} became public ({}) by {}",
                    c.resource_id, c.change, c.actor
                ));
            }
            _ => {}
        }
    }
    out
}

/// Counts requests by (method, resource path), for figures and assertions.
pub fn count_by_method(requests: &[RequestRecord]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for r in requests {
        *out.entry(r.method.clone()).or_insert(0) += 1;
    }
    out
}

/// `OperationKind`, re-exported for tests that set per-kind durations.
pub type ArmOperation = OperationKind;

/// The ARM id of an endpoint of the seed workspace.
pub fn endpoint_id(name: &str) -> String {
    format!("{WORKSPACE_ID}/onlineEndpoints/{name}")
}

/// The ARM id of a deployment of the seed workspace.
pub fn deployment_id(endpoint: &str, name: &str) -> String {
    format!("{WORKSPACE_ID}/onlineEndpoints/{endpoint}/deployments/{name}")
}

/// The object's name as a string (for messages).
pub fn name_of<K: ResourceExt>(obj: &K) -> String {
    obj.name_any()
}
