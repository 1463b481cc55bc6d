//! `aml-operator bench`: figures at scale. Starts both emulators in this process (operations
//! finish at once, throttling off so the controller, not Azure's budget, is measured), runs the
//! controller as a child process (this binary's `run`, so its memory is its own), creates the seed's
//! private Workspace and N endpoints with two deployments each, and prints: wall time to all Ready, ARM
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
/// Idle sync periods measured after everything is Ready.
const IDLE_PERIODS: u32 = 3;
const SEED_WORKSPACE: &str = include_str!("../../../examples/seed/workspace.yaml");

fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// CPU time (user + system) the process has used, from `/proc/<pid>/stat` (in USER_HZ, which
/// Linux fixes at 100 per second for this file).
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces; the fields after its closing parenthesis are plain.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) as f64 / 100.0)
}

async fn create_objects(client: &kube::Client, endpoints: usize) -> anyhow::Result<()> {
    let ns: k8s_openapi::api::core::v1::Namespace =
        serde_json::from_value(json!({"metadata": {"name": NAMESPACE,
            "annotations": {planner::tenancy::DEFAULT_CREDENTIAL_ANNOTATION: "allowed"}}}))?;
    Api::all(client.clone())
        .create(&PostParams::default(), &ns)
        .await
        .context("namespace")?;
    // The seed's Workspace: private, with its private endpoint and DNS zones, so endpoints are
    // Ready only once isolation holds, as in production.
    let mut ws: Workspace =
        serde_saphyr::from_str(SEED_WORKSPACE).context("examples/seed/workspace.yaml")?;
    ws.metadata.name = Some("bench".to_owned());
    ws.metadata.namespace = Some(NAMESPACE.to_owned());
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

/// How many objects are Ready for their generation, of how many, and why the others are not
/// (`kind Ready=status reason` → count).
struct Readiness {
    ready: usize,
    total: usize,
    waiting: BTreeMap<String, usize>,
}

async fn count_ready(client: &kube::Client) -> anyhow::Result<Readiness> {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
    let lp = kube::api::ListParams::default();
    let mut out = Readiness {
        ready: 0,
        total: 0,
        waiting: BTreeMap::new(),
    };
    let mut tally = |kind: &str, conds: &[Condition], generation: Option<i64>| {
        out.total += 1;
        let ready = conds.iter().find(|c| c.type_ == "Ready");
        match ready {
            Some(c) if c.status == "True" && c.observed_generation == generation => out.ready += 1,
            Some(c) => {
                *out.waiting
                    .entry(format!("{kind} Ready={} {}", c.status, c.reason))
                    .or_default() += 1;
            }
            None => *out.waiting.entry(format!("{kind} no status")).or_default() += 1,
        }
    };
    for ep in Api::<OnlineEndpoint>::namespaced(client.clone(), NAMESPACE)
        .list(&lp)
        .await?
    {
        let conds = ep.status.map(|s| s.conditions).unwrap_or_default();
        tally("OnlineEndpoint", &conds, ep.metadata.generation);
    }
    for dep in Api::<OnlineDeployment>::namespaced(client.clone(), NAMESPACE)
        .list(&lp)
        .await?
    {
        let conds = dep.status.map(|s| s.conditions).unwrap_or_default();
        tally("OnlineDeployment", &conds, dep.metadata.generation);
    }
    Ok(out)
}

fn waiting_summary(waiting: &BTreeMap<String, usize>) -> String {
    waiting
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect::<Vec<_>>()
        .join("; ")
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
        let Readiness {
            ready: done,
            total,
            waiting,
        } = count_ready(&sandbox.client).await?;
        if total == args.endpoints * 3 && done == total {
            break;
        }
        if last_report.elapsed() > Duration::from_secs(10) {
            println!(
                "  {:6.1}s: {done}/{total} Ready; waiting: {}",
                started.elapsed().as_secs_f64(),
                waiting_summary(&waiting)
            );
            last_report = Instant::now();
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "only {done}/{total} Ready after {:?}; waiting: {}",
            args.timeout,
            waiting_summary(&waiting)
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let converged = started.elapsed();
    let cpu_at_ready = cpu_seconds(pid);
    let journal = sandbox.arm.journal();
    let calls = by_kind(&journal);
    println!(
        "created all objects in {:.1}s; all Ready after {:.1}s; now measuring {IDLE_PERIODS} idle sync periods ({:?})",
        created.as_secs_f64(),
        converged.as_secs_f64(),
        args.sync_interval * IDLE_PERIODS
    );

    // Idle sync periods: everything is Ready and nothing changes. Syncs are jittered by ±10%,
    // so one period may see an object 0, 1 or 2 times; three periods are measured and averaged.
    let before = sandbox.arm.admin().journal_len();
    tokio::time::sleep(args.sync_interval * IDLE_PERIODS).await;
    let idle = sandbox.arm.admin().journal_since(before);
    let mut idle_calls = by_kind(&idle);
    let count = |pick: &dyn Fn(&str) -> bool| -> f64 {
        let n: usize = idle_calls
            .values()
            .flat_map(|verbs| verbs.iter())
            .filter(|(verb, _)| pick(verb))
            .map(|(_, n)| n)
            .sum();
        n as f64 / f64::from(IDLE_PERIODS)
    };
    let idle_reads = count(&|verb| verb == "GET");
    let idle_writes = count(&|verb| verb != "GET");
    for verbs in idle_calls.values_mut() {
        for n in verbs.values_mut() {
            *n = n.div_ceil(IDLE_PERIODS as usize);
        }
    }
    let rss = peak_rss_kib(pid);
    let cpu_at_end = cpu_seconds(pid);
    let _ = child.kill().await;

    println!("ARM requests until Ready, by resource type and verb:");
    println!("{}", crate::sandbox::render_calls(&calls));
    let total: usize = calls.values().flat_map(BTreeMap::values).sum();
    println!(
        "ARM requests until Ready: {total} ({:.2} per object)",
        total as f64 / resources as f64
    );
    println!(
        "ARM requests per idle sync period ({:?}; mean of {IDLE_PERIODS}, rounded up):",
        args.sync_interval
    );
    println!("{}", crate::sandbox::render_calls(&idle_calls));
    println!(
        "idle sync period: {idle_reads:.1} reads ({:.2} per object), {idle_writes:.1} writes",
        idle_reads / resources as f64
    );
    if let (Some(ready), Some(end)) = (cpu_at_ready, cpu_at_end) {
        let idle = (args.sync_interval * IDLE_PERIODS).as_secs_f64();
        println!(
            "controller CPU: {ready:.1} s until Ready ({:.2} cores), {:.3} cores while idle",
            ready / converged.as_secs_f64(),
            (end - ready) / idle
        );
    }
    match rss {
        Some(kib) => println!("controller peak RSS: {:.1} MiB", kib as f64 / 1024.0),
        None => println!("controller peak RSS: unavailable (no /proc)"),
    }
    sandbox.stop().await;
    Ok(ExitCode::SUCCESS)
}
