//! `aml-operator sandbox`: the whole product on one machine. Starts the Kubernetes emulator and
//! the ARM emulator in-process (seeded with the subscription, workspace and VNet the examples
//! name), installs the CRDs, applies a directory of manifests, runs the controller against both,
//! and shows progress until everything is Ready.
//!
//! Azure's operations take realistic times (minutes for a deployment) scaled by `--time-scale`.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use api::conditions::{ConditionType, find_condition};
use api::{OnlineDeployment, OnlineEndpoint, Workspace};
use arm::{Cloud, Credential};
use arm_emulator::{Emulator, EmulatorConfig, JournalEntry, LroDurations, Seed};
use azure_core::credentials::Secret;
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::api::{Api, PostParams};
use kube::{Client, ResourceExt};
use kube_emulator::{KubeEmulator, KubeEmulatorConfig};
use serde_json::Value;

use crate::azure::AzureSettings;
use crate::metrics::Metrics;
use crate::run::{RunOptions, run};

/// The sandbox principal the controller signs in as (a client secret through the emulator's
/// Entra ID endpoint, azure_identity's real code path).
pub const SANDBOX_TENANT: &str = "99999999-8888-7777-6666-555555555555";
/// The sandbox principal's client id.
pub const SANDBOX_CLIENT: &str = "0c0c0c0c-0000-4000-8000-000000000001";
/// The sandbox principal's secret (a test value of the seed).
pub const SANDBOX_SECRET: &str = "sandbox-controller-secret";

/// Both emulators and the controller, running.
pub struct Sandbox {
    /// The Kubernetes emulator.
    pub kube: KubeEmulator,
    /// The ARM emulator.
    pub arm: Emulator,
    /// A client for the Kubernetes emulator.
    pub client: Client,
    /// The controller's metrics.
    pub metrics: Arc<Metrics>,
    shutdown: tokio_util::sync::CancellationToken,
    controller: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

/// How to start a sandbox.
#[derive(Clone, Debug)]
pub struct SandboxOptions {
    /// The ARM emulator's configuration (seed, durations, faults).
    pub arm: EmulatorConfig,
    /// Reconciles at once per kind.
    pub concurrency: u16,
    /// Resync interval.
    pub sync_interval: Duration,
    /// Start the controller (false: only the emulators, e.g. to apply objects first).
    pub start_controller: bool,
}

impl SandboxOptions {
    /// The examples' Azure, with operations taking Azure-like times multiplied by `time_scale`.
    pub fn examples(time_scale: f64) -> anyhow::Result<Self> {
        let seed = Seed::sandbox().context("failed to load the sandbox seed")?;
        Ok(Self {
            arm: EmulatorConfig::default()
                .seed(seed)
                .lro_durations(LroDurations::realistic())
                .time_scale(time_scale),
            concurrency: 4,
            sync_interval: Duration::from_secs(30),
            start_controller: true,
        })
    }
}

impl Sandbox {
    /// Starts both emulators, installs the CRDs and (optionally) the controller.
    ///
    /// # Errors
    /// When an emulator or the controller cannot start.
    pub async fn start(options: SandboxOptions) -> anyhow::Result<Self> {
        crate::run::install_crypto_provider();
        let kube = KubeEmulator::start(KubeEmulatorConfig::default())
            .await
            .context("failed to start the Kubernetes emulator")?;
        let arm = Emulator::start(options.arm.clone())
            .await
            .context("failed to start the ARM emulator")?;
        let client = kube
            .client()
            .await
            .context("failed to connect to the Kubernetes emulator")?;
        install_crds(&client).await?;
        let mut sandbox = Self {
            kube,
            arm,
            client,
            metrics: Metrics::new(),
            shutdown: tokio_util::sync::CancellationToken::new(),
            controller: None,
        };
        if options.start_controller {
            sandbox.start_controller(options.concurrency, options.sync_interval)?;
        }
        Ok(sandbox)
    }

    /// The Azure settings that reach the ARM emulator as the sandbox principal.
    pub fn azure_settings(&self) -> anyhow::Result<AzureSettings> {
        Ok(AzureSettings {
            cloud: Cloud::custom(self.arm.base_url(), self.arm.authority_host())
                .context("the emulator's URLs")?,
            default_credential: Credential::ClientSecret {
                tenant_id: SANDBOX_TENANT.into(),
                client_id: SANDBOX_CLIENT.into(),
                secret: Secret::new(SANDBOX_SECRET),
            },
            ca_pem: self.arm.ca_pem().map(|p| p.as_bytes().to_vec()),
        })
    }

    /// Runs the controller in this process.
    ///
    /// # Errors
    /// When the Azure settings are invalid.
    pub fn start_controller(
        &mut self,
        concurrency: u16,
        sync_interval: Duration,
    ) -> anyhow::Result<()> {
        let options = RunOptions {
            concurrency,
            sync_interval,
            keys_refresh: planner::KEYS_REFRESH,
            namespace: None,
            azure: self.azure_settings()?,
            instance: Some("sandbox".into()),
            busy_stall_after: planner::lifecycle::BUSY_STALL_AFTER,
            deletion_grace: planner::lifecycle::DELETION_GRACE,
            // The examples' Namespaces grant it themselves (as an admin would).
            default_credential_namespaces: Vec::new(),
            workspace_zones: planner::network::WorkspaceZones::default(),
        };
        let client = self.client.clone();
        let metrics = self.metrics.clone();
        let shutdown = self.shutdown.clone();
        self.controller = Some(tokio::spawn(async move {
            run(
                client,
                options,
                metrics,
                Default::default(),
                shutdown,
                |_| {},
            )
            .await
        }));
        Ok(())
    }

    /// Stops the controller and both emulators.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(handle) = self.controller.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), handle).await;
        }
        self.arm.shutdown().await;
        self.kube.shutdown().await;
    }
}

/// Creates the CRDs and waits until the apiserver serves them.
///
/// # Errors
/// When a CRD is refused or not Established in time.
pub async fn install_crds(client: &Client) -> anyhow::Result<()> {
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    for crd in api::crds() {
        let name = crd.name_any();
        match crds.create(&PostParams::default(), &crd).await {
            Ok(_) => {}
            Err(kube::Error::Api(e)) if e.code == 409 => {}
            Err(e) => return Err(e).with_context(|| format!("failed to create CRD {name}")),
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let established = crds
                .get(&name)
                .await
                .ok()
                .and_then(|c| c.status)
                .and_then(|s| s.conditions)
                .is_some_and(|cs| {
                    cs.iter()
                        .any(|c| c.type_ == "Established" && c.status == "True")
                });
            if established {
                break;
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "CRD {name} was not Established within 10s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    Ok(())
}

/// Creates every object of the YAML files in `dir` (sorted by name; subdirectories are not read).
///
/// # Errors
/// When a file cannot be read or parsed, or an object is refused (the message names the file).
pub async fn apply_dir(client: &Client, dir: &Path) -> anyhow::Result<Vec<String>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("failed to read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    // Namespaces first, then Workspaces, endpoints and deployments, as a person would apply them.
    let mut documents = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("failed to read {}", file.display()))?;
        let docs: Vec<Value> = serde_saphyr::from_multiple(&text)
            .with_context(|| format!("failed to parse {}", file.display()))?;
        for doc in docs.into_iter().filter(|d| !d.is_null()) {
            documents.push((file.clone(), doc));
        }
    }
    let order = |doc: &Value| match doc.get("kind").and_then(Value::as_str) {
        Some("Namespace") => 0,
        Some("Workspace") => 1,
        Some("OnlineEndpoint") => 2,
        _ => 3,
    };
    documents.sort_by_key(|(_, d)| order(d));
    let mut applied = Vec::new();
    for (file, doc) in documents {
        let kind = doc
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let what = format!("{} ({})", kind, file.display());
        let name = apply_one(client, doc)
            .await
            .with_context(|| format!("failed to apply {what}"))?;
        applied.push(format!("{kind}/{name}"));
    }
    Ok(applied)
}

async fn apply_one(client: &Client, doc: Value) -> anyhow::Result<String> {
    let kind = doc
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let namespace = doc
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("default")
        .to_owned();
    let pp = PostParams::default();
    macro_rules! create {
        ($ty:ty, $api:expr) => {{
            let obj: $ty =
                serde_json::from_value(doc).with_context(|| format!("not a valid {kind}"))?;
            let name = obj.name_any();
            match $api.create(&pp, &obj).await {
                Ok(_) => Ok(name),
                Err(kube::Error::Api(e)) if e.code == 409 => Ok(name),
                Err(e) => Err(anyhow::Error::new(e)),
            }
        }};
    }
    match kind.as_str() {
        "Namespace" => create!(Namespace, Api::<Namespace>::all(client.clone())),
        "Workspace" => create!(
            Workspace,
            Api::<Workspace>::namespaced(client.clone(), &namespace)
        ),
        "OnlineEndpoint" => create!(
            OnlineEndpoint,
            Api::<OnlineEndpoint>::namespaced(client.clone(), &namespace)
        ),
        "OnlineDeployment" => create!(
            OnlineDeployment,
            Api::<OnlineDeployment>::namespaced(client.clone(), &namespace)
        ),
        other => anyhow::bail!(
            "kind {other:?} is not one the sandbox applies (Namespace, Workspace, OnlineEndpoint, OnlineDeployment)"
        ),
    }
}

/// One row of the progress table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// `Workspace`, `OnlineEndpoint`, `OnlineDeployment`.
    pub kind: &'static str,
    /// `namespace/name`.
    pub name: String,
    /// Ready's status.
    pub ready: String,
    /// Ready's reason.
    pub reason: String,
    /// NetworkIsolated's status, or `-`.
    pub isolated: String,
    /// Ready's message.
    pub message: String,
    /// Ready=True for the object's current generation.
    pub done: bool,
}

fn row(kind: &'static str, name: String, generation: Option<i64>, conditions: &[Condition]) -> Row {
    let ready = find_condition(conditions, ConditionType::Ready);
    let isolated = find_condition(conditions, ConditionType::NetworkIsolated);
    Row {
        kind,
        name,
        ready: ready.map_or("-".into(), |c| c.status.clone()),
        reason: ready.map_or("-".into(), |c| c.reason.clone()),
        isolated: isolated.map_or("-".into(), |c| c.status.clone()),
        message: ready.map_or(String::new(), |c| c.message.clone()),
        done: ready.is_some_and(|c| c.status == "True" && c.observed_generation == generation),
    }
}

/// The rows of every object of the three kinds.
///
/// # Errors
/// When the objects cannot be listed.
pub async fn rows(client: &Client) -> anyhow::Result<Vec<Row>> {
    let mut out = Vec::new();
    let key = |ns: Option<String>, name: String| format!("{}/{name}", ns.unwrap_or_default());
    for ws in Api::<Workspace>::all(client.clone())
        .list(&Default::default())
        .await?
    {
        let conditions = ws.status.clone().unwrap_or_default().conditions;
        out.push(row(
            "Workspace",
            key(ws.namespace(), ws.name_any()),
            ws.metadata.generation,
            &conditions,
        ));
    }
    for ep in Api::<OnlineEndpoint>::all(client.clone())
        .list(&Default::default())
        .await?
    {
        let conditions = ep.status.clone().unwrap_or_default().conditions;
        out.push(row(
            "OnlineEndpoint",
            key(ep.namespace(), ep.name_any()),
            ep.metadata.generation,
            &conditions,
        ));
    }
    for dep in Api::<OnlineDeployment>::all(client.clone())
        .list(&Default::default())
        .await?
    {
        let conditions = dep.status.clone().unwrap_or_default().conditions;
        out.push(row(
            "OnlineDeployment",
            key(dep.namespace(), dep.name_any()),
            dep.metadata.generation,
            &conditions,
        ));
    }
    Ok(out)
}

/// The rows as a table like `kubectl get azureml`.
pub fn render(rows: &[Row]) -> String {
    let width = |f: &dyn Fn(&Row) -> usize, title: &str| {
        rows.iter().map(f).max().unwrap_or(0).max(title.len())
    };
    let wk = width(&|r| r.kind.len(), "KIND");
    let wn = width(&|r| r.name.len(), "NAME");
    let wr = width(&|r| r.reason.len(), "REASON");
    let mut out = format!(
        "{:wk$}  {:wn$}  {:5}  {:wr$}  {:16}  MESSAGE\n",
        "KIND", "NAME", "READY", "REASON", "NETWORKISOLATED"
    );
    for r in rows {
        let message: String = r.message.chars().take(90).collect();
        out.push_str(&format!(
            "{:wk$}  {:wn$}  {:5}  {:wr$}  {:16}  {message}\n",
            r.kind, r.name, r.ready, r.reason, r.isolated
        ));
    }
    out
}

/// ARM requests per resource, by verb, from the emulator's journal.
pub fn arm_calls(journal: &[JournalEntry]) -> BTreeMap<String, BTreeMap<String, usize>> {
    let mut out: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for entry in journal {
        let JournalEntry::Request(r) = entry else {
            continue;
        };
        let resource = resource_of(&r.path);
        if resource.is_empty() {
            continue;
        }
        *out.entry(resource)
            .or_default()
            .entry(r.method.clone())
            .or_default() += 1;
    }
    out
}

/// The resource a request path is about: `type/name` of its last resource, operation polls and
/// token requests grouped apart.
fn resource_of(path: &str) -> String {
    let lower = path.to_ascii_lowercase();
    if lower.contains("/oauth2/") {
        return "(sign-in)".into();
    }
    if lower.contains("/operations")
        || lower.contains("operationresults")
        || lower.contains("operationsstatus")
    {
        return "(operation polls)".into();
    }
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    // Walk type/name pairs after the provider.
    let Some(provider) = parts
        .iter()
        .position(|p| p.eq_ignore_ascii_case("providers"))
    else {
        return String::new();
    };
    let rest = &parts[provider + 2..];
    let mut last = String::new();
    let mut i = 0;
    while i + 1 < rest.len() {
        last = format!("{}/{}", rest[i], rest[i + 1]);
        i += 2;
    }
    last
}

/// Prints the ARM calls table.
pub fn render_calls(calls: &BTreeMap<String, BTreeMap<String, usize>>) -> String {
    let verbs = ["GET", "PUT", "PATCH", "POST", "DELETE"];
    let wn = calls.keys().map(String::len).max().unwrap_or(8).max(8);
    let mut out = format!(
        "{:wn$}  {:>5} {:>5} {:>5} {:>5} {:>6}\n",
        "RESOURCE", "GET", "PUT", "PATCH", "POST", "DELETE"
    );
    for (resource, by_verb) in calls {
        out.push_str(&format!("{resource:wn$}"));
        for (i, v) in verbs.iter().enumerate() {
            let n = by_verb.get(*v).copied().unwrap_or(0);
            let w = if i == 4 { 6 } else { 5 };
            out.push_str(&format!(" {n:>w$}"));
        }
        out.push('\n');
    }
    out
}

/// `aml-operator sandbox` arguments.
#[derive(clap::Args, Debug)]
pub struct SandboxArgs {
    /// Directory of manifests to apply.
    #[arg(default_value = "examples/seed")]
    pub dir: PathBuf,
    /// Exit 0 once everything is Ready; non-zero naming what is not, on timeout.
    #[arg(long)]
    pub once: bool,
    /// Multiplies Azure-like operation times (a deployment takes ~10 minutes at 1.0).
    #[arg(long, default_value_t = 0.02)]
    pub time_scale: f64,
    /// With --once: how long to wait for Ready.
    #[arg(long, default_value = "3m", value_parser = |v: &str| crate::reconcile::parse_interval(v).ok_or_else(|| format!("{v:?} is not a duration")))]
    pub timeout: Duration,
}

/// Runs the sandbox command.
///
/// # Errors
/// When the sandbox cannot start or the manifests cannot be applied.
pub async fn main(args: SandboxArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    anyhow::ensure!(
        args.dir.is_dir(),
        "{} is not a directory of manifests",
        args.dir.display()
    );
    println!(
        "Starting the Kubernetes and ARM emulators (Azure operation times × {})...",
        args.time_scale
    );
    let sandbox = Sandbox::start(SandboxOptions::examples(args.time_scale)?).await?;
    println!(
        "  Kubernetes API: {} (kubeconfig {})",
        sandbox.kube.base_url(),
        sandbox.kube.kubeconfig_path().display()
    );
    println!("  Azure Resource Manager: {}", sandbox.arm.base_url());
    let applied = apply_dir(&sandbox.client, &args.dir).await?;
    println!("Applied {}: {}", args.dir.display(), applied.join(", "));
    println!();

    let tty = std::io::stdout().is_terminal();
    let mut last = String::new();
    let deadline = Instant::now() + args.timeout;
    let mut lines_drawn = 0usize;
    let finished = loop {
        let current = rows(&sandbox.client).await?;
        let table = render(&current);
        if table != last {
            if tty && lines_drawn > 0 {
                print!("\x1b[{lines_drawn}A\x1b[J");
            }
            let elapsed = started.elapsed().as_secs_f64();
            print!("[{elapsed:6.1}s]\n{table}");
            lines_drawn = table.lines().count() + 1;
            last = table;
        }
        let all_done = !current.is_empty() && current.iter().all(|r| r.done);
        if all_done {
            break Ok(current);
        }
        if args.once && Instant::now() > deadline {
            break Err(current);
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            _ = tokio::signal::ctrl_c() => {
                sandbox.stop().await;
                return Ok(ExitCode::from(130));
            }
        }
    };
    let kubeconfig = sandbox.kube.kubeconfig_path().display().to_string();
    match finished {
        Ok(_) => {
            println!(
                "\nEverything is Ready after {:.1}s.",
                started.elapsed().as_secs_f64()
            );
            println!(
                "\nARM requests the controller made, per resource:\n{}",
                render_calls(&arm_calls(&sandbox.arm.journal()))
            );
            let public = public_moments(&sandbox.arm.journal());
            if public.is_empty() {
                println!(
                    "The ARM journal shows no moment where an endpoint was publicly reachable."
                );
            } else {
                println!("Public moments in the ARM journal: {}", public.join("; "));
            }
            if args.once {
                sandbox.stop().await;
                return Ok(ExitCode::SUCCESS);
            }
            println!("\nThe sandbox keeps running; look around with kubectl:");
            println!("  kubectl --kubeconfig {kubeconfig} get azureml -A");
            println!("  kubectl --kubeconfig {kubeconfig} describe onlineendpoints -A");
            println!("Press Ctrl-C to stop.");
            let _ = tokio::signal::ctrl_c().await;
            sandbox.stop().await;
            Ok(ExitCode::SUCCESS)
        }
        Err(rows) => {
            eprintln!("\nNot Ready after {:?}:", args.timeout);
            for r in rows.iter().filter(|r| !r.done) {
                eprintln!(
                    "  {} {}: Ready={} reason {}: {}",
                    r.kind, r.name, r.ready, r.reason, r.message
                );
            }
            sandbox.stop().await;
            Ok(ExitCode::FAILURE)
        }
    }
}

/// Every state change in the journal that left an online endpoint with public access enabled.
pub fn public_moments(journal: &[JournalEntry]) -> Vec<String> {
    journal
        .iter()
        .filter_map(|e| match e {
            JournalEntry::StateChange(c)
                if c.resource_type
                    .to_ascii_lowercase()
                    .ends_with("onlineendpoints")
                    && c.public_network_access
                        .as_deref()
                        .is_some_and(|p| p.eq_ignore_ascii_case("Enabled")) =>
            {
                Some(format!(
                    "{} {} at {} by {}",
                    c.resource_id, c.change, c.time, c.actor
                ))
            }
            _ => None,
        })
        .collect()
}
