//! `aml-operator bench`: figures at scale. Starts both emulators in this process (operations
//! finish at once, throttling off so the controller, not Azure's budget, is measured), runs the
//! controller as a child process (this binary's `run`, so its memory is its own), creates one
//! Workspace and N endpoints with two deployments each, and prints: wall time to all Ready, ARM
//! requests per resource by verb, ARM requests during one idle sync period afterwards, and the
//! controller's peak RSS.

use std::collections::BTreeMap;
use std::process::{ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use api::{OnlineDeployment, OnlineEndpoint, Workspace};
use arm_emulator::{EmulatorConfig, JournalEntry, LroDurations, Seed, ThrottleLimits};
use futures::{StreamExt, TryStreamExt};
use kube::api::{Api, PostParams};
use serde_json::json;

use crate::sandbox::{SANDBOX_CLIENT, SANDBOX_SECRET, SANDBOX_TENANT, Sandbox, SandboxOptions};

/// `aml-operator bench` arguments.
#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Number of endpoints (each gets two deployments).
    #[arg(long, default_value_t = 200)]
    pub endpoints: usize,
    /// The controller's reconciles at once, per kind.
    #[arg(long, default_value_t = 16)]
    pub concurrency: u16,
    /// The controller's sync interval; the idle period measured is one interval.
    #[arg(long, default_value = "20s", value_parser = |v: &str| crate::reconcile::parse_interval(v).ok_or_else(|| format!("{v:?} is not a duration")))]
    pub sync_interval: Duration,
    /// Give up waiting for Ready after this long.
    #[arg(long, default_value = "15m", value_parser = |v: &str| crate::reconcile::parse_interval(v).ok_or_else(|| format!("{v:?} is not a duration")))]
    pub timeout: Duration,
}

const NAMESPACE: &str = "bench";
const WORKSPACE_ID: &str = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/mlw-prod";

fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

async fn create_objects(client: &kube::Client, endpoints: usize) -> anyhow::Result<()> {
    let ns: k8s_openapi::api::core::v1::Namespace =
        serde_json::from_value(json!({"metadata": {"name": NAMESPACE}}))?;
    Api::all(client.clone())
        .create(&PostParams::default(), &ns)
        .await
        .context("namespace")?;
    let ws: Workspace = serde_json::from_value(json!({
        "apiVersion": "aml-operator.io/v1alpha1", "kind": "Workspace",
        "metadata": {"name": "bench", "namespace": NAMESPACE},
        "spec": {"resourceId": WORKSPACE_ID, "network": {"publicNetworkAccess": "Enabled"}}
    }))?;
    Api::namespaced(client.clone(), NAMESPACE)
        .create(&PostParams::default(), &ws)
        .await
        .context("workspace")?;
    let eps: Api<OnlineEndpoint> = Api::namespaced(client.clone(), NAMESPACE);
    let deps: Api<OnlineDeployment> = Api::namespaced(client.clone(), NAMESPACE);
    futures::stream::iter(0..endpoints)
        .map(|i| {
            let (eps, deps) = (eps.clone(), deps.clone());
            async move {
                let name = format!("bench-{i:05}");
                let ep: OnlineEndpoint = serde_json::from_value(json!({
                    "metadata": {"name": name},
                    "spec": {"workspaceRef": {"name": "bench"}, "traffic": {"blue": 100}}
                }))?;
                eps.create(&PostParams::default(), &ep).await?;
                for color in ["blue", "green"] {
                    let dep: OnlineDeployment = serde_json::from_value(json!({
                        "metadata": {"name": format!("{name}-{color}")},
                        "spec": {"endpointRef": {"name": name}, "azureName": color,
                                 "model": "azureml:bench-model:1", "environment": "azureml:bench-env:1",
                                 "instanceType": "Standard_F2s_v2", "instanceCount": 1}
                    }))?;
                    deps.create(&PostParams::default(), &dep).await?;
                }
                anyhow::Ok(())
            }
        })
        .buffer_unordered(16)
        .try_collect::<Vec<_>>()
        .await?;
    Ok(())
}

async fn count_ready(client: &kube::Client) -> anyhow::Result<(usize, usize)> {
    let lp = kube::api::ListParams::default();
    let ready = |conds: &[k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition],
                 generation: Option<i64>| {
        conds.iter().any(|c| {
            c.type_ == "Ready" && c.status == "True" && c.observed_generation == generation
        })
    };
    let mut total = 0;
    let mut done = 0;
    for ep in Api::<OnlineEndpoint>::namespaced(client.clone(), NAMESPACE)
        .list(&lp)
        .await?
    {
        total += 1;
        done += usize::from(ready(
            &ep.status.unwrap_or_default().conditions,
            ep.metadata.generation,
        ));
    }
    for dep in Api::<OnlineDeployment>::namespaced(client.clone(), NAMESPACE)
        .list(&lp)
        .await?
    {
        total += 1;
        done += usize::from(ready(
            &dep.status.unwrap_or_default().conditions,
            dep.metadata.generation,
        ));
    }
    Ok((done, total))
}

/// Requests by resource kind and verb, counting operation polls and sign-ins apart.
fn by_kind(journal: &[JournalEntry]) -> BTreeMap<String, BTreeMap<String, usize>> {
    let mut out: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for (resource, verbs) in crate::sandbox::arm_calls(journal) {
        let kind = resource.split('/').next().unwrap_or_default().to_owned();
        for (verb, n) in verbs {
            *out.entry(kind.clone())
                .or_default()
                .entry(verb)
                .or_default() += n;
        }
    }
    out
}

/// Runs the benchmark.
///
/// # Errors
/// When the emulators or the controller cannot start, or nothing converges in time.
pub async fn main(args: BenchArgs) -> anyhow::Result<ExitCode> {
    let arm = EmulatorConfig::default()
        .seed(Seed::sandbox().context("sandbox seed")?)
        .lro_durations(LroDurations::instant())
        .throttle(ThrottleLimits::unlimited());
    let sandbox = Sandbox::start(SandboxOptions {
        arm,
        concurrency: args.concurrency,
        sync_interval: args.sync_interval,
        start_controller: false,
    })
    .await?;
    let ca = sandbox
        .arm
        .ca_pem_path()
        .context("the ARM emulator serves TLS")?
        .to_path_buf();
    let exe = std::env::current_exe().context("this binary's path")?;
    let mut child = tokio::process::Command::new(exe)
        .args(["run", "--admin-addr", "127.0.0.1:0", "--log-level", "warn"])
        .args(["--concurrency", &args.concurrency.to_string()])
        .args([
            "--sync-interval",
            &format!("{}s", args.sync_interval.as_secs()),
        ])
        .args([
            "--arm-endpoint",
            sandbox.arm.base_url(),
            "--authority-host",
            sandbox.arm.authority_host(),
        ])
        .arg("--ca-file")
        .arg(&ca)
        .args(["--credential", "client-secret"])
        .env("KUBECONFIG", sandbox.kube.kubeconfig_path())
        .env("AZURE_TENANT_ID", SANDBOX_TENANT)
        .env("AZURE_CLIENT_ID", SANDBOX_CLIENT)
        .env("AZURE_CLIENT_SECRET", SANDBOX_SECRET)
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("failed to start the controller")?;
    let pid = child.id().context("the controller's pid")?;

    let resources = args.endpoints * 3 + 1;
    println!(
        "bench: 1 Workspace, {} endpoints, {} deployments ({resources} objects); controller pid {pid}",
        args.endpoints,
        args.endpoints * 2
    );
    let started = Instant::now();
    create_objects(&sandbox.client, args.endpoints).await?;
    let created = started.elapsed();
    let deadline = started + args.timeout;
    let mut last_report = Instant::now();
    loop {
        let (done, total) = count_ready(&sandbox.client).await?;
        if total == args.endpoints * 3 && done == total {
            break;
        }
        if last_report.elapsed() > Duration::from_secs(10) {
            println!(
                "  {:6.1}s: {done}/{total} Ready",
                started.elapsed().as_secs_f64()
            );
            last_report = Instant::now();
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "only {done}/{total} Ready after {:?}",
            args.timeout
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let converged = started.elapsed();
    let journal = sandbox.arm.journal();
    let calls = by_kind(&journal);

    // One idle sync period: everything is Ready and nothing changes.
    let before = sandbox.arm.admin().journal_len();
    tokio::time::sleep(args.sync_interval.mul_f64(1.15)).await;
    let idle = sandbox.arm.admin().journal_since(before);
    let idle_calls = by_kind(&idle);
    let idle_reads: usize = idle_calls
        .values()
        .map(|v| v.get("GET").copied().unwrap_or(0))
        .sum();
    let idle_writes: usize = idle_calls
        .values()
        .map(|v| {
            v.iter()
                .filter(|(k, _)| *k != "GET")
                .map(|(_, n)| n)
                .sum::<usize>()
        })
        .sum();
    let rss = peak_rss_kib(pid);
    let _ = child.kill().await;

    println!(
        "created all objects in {:.1}s; all Ready after {:.1}s",
        created.as_secs_f64(),
        converged.as_secs_f64()
    );
    println!("ARM requests until Ready, by resource type and verb:");
    println!("{}", crate::sandbox::render_calls(&calls));
    let total: usize = calls.values().flat_map(BTreeMap::values).sum();
    println!(
        "ARM requests until Ready: {total} ({:.2} per object)",
        total as f64 / resources as f64
    );
    println!(
        "idle sync period ({:?} x 1.15): {idle_reads} reads ({:.2} per object), {idle_writes} writes",
        args.sync_interval,
        idle_reads as f64 / resources as f64
    );
    match rss {
        Some(kib) => println!("controller peak RSS: {:.1} MiB", kib as f64 / 1024.0),
        None => println!("controller peak RSS: unavailable (no /proc)"),
    }
    sandbox.stop().await;
    Ok(ExitCode::SUCCESS)
}
