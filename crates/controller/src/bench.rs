//! `aml-operator bench`: figures at scale. Starts both emulators in this process (ARM's real
//! throttling limits by default, `--arm-limits none` to measure the controller alone; operations
//! finish at once unless `--time-scale` gives them Azure-like durations), runs the controller as a
//! child process (this binary's `run`, so its memory is its own), creates the seed's private
//! Workspace and N endpoints with two deployments each, and prints: wall time to all Ready against
//! the physical bound ARM's write bucket sets, 429s, ARM requests per object by verb, the longest
//! wait of an object for its first reconcile, ARM requests per idle sync period, the reaction time
//! of spec changes made while idle (p50/p99 to their first ARM write), CPU and peak RSS.

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
    /// ARM's throttling: `real` (ARM's token buckets per principal — reads 250 + 25/s, writes
    /// 200 + 10/s, deletes 200 + 10/s — and the Network / Private DNS provider limits) or `none`.
    #[arg(long, value_enum, default_value_t = ArmLimits::Real)]
    pub arm_limits: ArmLimits,
    /// Give Azure's operations Azure-like durations multiplied by this factor (e.g. 0.05); without
    /// it they finish at once.
    #[arg(long)]
    pub time_scale: Option<f64>,
    /// How many deployments get a spec change while idle, to time the reaction.
    #[arg(long, default_value_t = 20)]
    pub reaction_sample: usize,
}

/// ARM throttling in the bench.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArmLimits {
    /// ARM's real limits.
    Real,
    /// No throttling at all.
    None,
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

/// When each object was created (`kind/name`).
type Created = std::sync::Mutex<BTreeMap<String, Instant>>;

async fn create_objects(
    client: &kube::Client,
    endpoints: usize,
    created: &Created,
) -> anyhow::Result<()> {
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
                note(created, format!("OnlineEndpoint/{name}"));
                for color in ["blue", "green"] {
                    let dep: OnlineDeployment = serde_json::from_value(json!({
                        "metadata": {"name": format!("{name}-{color}")},
                        "spec": {"endpointRef": {"name": name}, "azureName": color,
                                 "model": "azureml:bench-model:1", "environment": "azureml:bench-env:1",
                                 "instanceType": "Standard_F2s_v2", "instanceCount": 1}
                    }))?;
                    deps.create(&PostParams::default(), &dep).await?;
                    note(created, format!("OnlineDeployment/{name}-{color}"));
                }
                anyhow::Ok(())
            }
        })
        .buffer_unordered(16)
        .try_collect::<Vec<_>>()
        .await?;
    Ok(())
}

fn note(created: &Created, key: String) {
    if let Ok(mut map) = created.lock() {
        map.insert(key, Instant::now());
    }
}

/// How many objects are Ready for their generation, of how many, and why the others are not
/// (`kind Ready=status reason` → count); and which objects have a status (were reconciled).
struct Readiness {
    ready: usize,
    total: usize,
    waiting: BTreeMap<String, usize>,
    reconciled: Vec<String>,
}

async fn count_ready(client: &kube::Client) -> anyhow::Result<Readiness> {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
    let lp = kube::api::ListParams::default();
    let mut out = Readiness {
        ready: 0,
        total: 0,
        waiting: BTreeMap::new(),
        reconciled: Vec::new(),
    };
    let mut tally = |kind: &str, name: String, conds: &[Condition], generation: Option<i64>| {
        out.total += 1;
        if !conds.is_empty() {
            out.reconciled.push(format!("{kind}/{name}"));
        }
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
        let name = ep.metadata.name.clone().unwrap_or_default();
        let conds = ep.status.map(|s| s.conditions).unwrap_or_default();
        tally("OnlineEndpoint", name, &conds, ep.metadata.generation);
    }
    for dep in Api::<OnlineDeployment>::namespaced(client.clone(), NAMESPACE)
        .list(&lp)
        .await?
    {
        let name = dep.metadata.name.clone().unwrap_or_default();
        let conds = dep.status.map(|s| s.conditions).unwrap_or_default();
        tally("OnlineDeployment", name, &conds, dep.metadata.generation);
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
    let limits = match args.arm_limits {
        ArmLimits::Real => ThrottleLimits::default(),
        ArmLimits::None => ThrottleLimits::unlimited(),
    };
    let mut arm = EmulatorConfig::default()
        .seed(Seed::sandbox().context("sandbox seed")?)
        .throttle(limits);
    // `AML_BENCH_JOURNAL=<file>` keeps every ARM request as JSON lines, to see where they go.
    if let Some(path) = std::env::var_os("AML_BENCH_JOURNAL") {
        arm = arm.journal_path(std::path::PathBuf::from(path));
    }
    arm = match args.time_scale {
        Some(scale) => arm
            .lro_durations(LroDurations::realistic())
            .time_scale(scale),
        None => arm.lro_durations(LroDurations::instant()),
    };
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
    let created_at = Created::default();
    let first_reconcile: std::sync::Mutex<BTreeMap<String, Duration>> = Default::default();
    let watch = async {
        // Poll for first reconciles while the objects are created, too.
        loop {
            if let Ok(r) = count_ready(&sandbox.client).await {
                note_first_reconciles(&created_at, &first_reconcile, &r.reconciled);
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    };
    {
        let creation = create_objects(&sandbox.client, args.endpoints, &created_at);
        tokio::pin!(creation);
        tokio::pin!(watch);
        tokio::select! {
            r = &mut creation => r?,
            () = &mut watch => {}
        }
    }
    let created = started.elapsed();
    let deadline = started + args.timeout;
    let mut last_report = Instant::now();
    loop {
        let Readiness {
            ready: done,
            total,
            waiting,
            reconciled,
        } = count_ready(&sandbox.client).await?;
        note_first_reconciles(&created_at, &first_reconcile, &reconciled);
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
    let throttled = journal
        .iter()
        .filter(|e| matches!(e, JournalEntry::Request(r) if r.status == 429))
        .count();
    let (never, longest_first) = {
        let firsts = first_reconcile
            .lock()
            .map(|m| m.clone())
            .unwrap_or_default();
        (
            resources - 1 - firsts.len(),
            firsts.into_iter().max_by_key(|(_, d)| *d),
        )
    };
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
    let reactions = react(&sandbox, args.endpoints, args.reaction_sample).await?;
    let rss = peak_rss_kib(pid);
    let cpu_at_end = cpu_seconds(pid);
    let _ = child.kill().await;

    // ARM's write bucket sets the bound: each endpoint costs four writes (its create, two
    // deployment creates, the traffic update); the bucket holds 200 and refills 10 per second.
    let writes_needed = 4 * args.endpoints;
    let bound = match args.arm_limits {
        ArmLimits::Real => writes_needed.saturating_sub(200) as f64 / 10.0,
        ArmLimits::None => 0.0,
    };
    println!(
        "converged in {:.1}s; physical bound (write bucket, {writes_needed} writes) {bound:.1}s{}; 429 answers: {throttled}",
        converged.as_secs_f64(),
        if bound > 0.0 {
            format!(" → {:.2}× the bound", converged.as_secs_f64() / bound)
        } else {
            String::new()
        }
    );
    match longest_first {
        Some((object, wait)) => println!(
            "longest wait for a first reconcile: {:.1}s ({object}); never reconciled: {never}",
            wait.as_secs_f64()
        ),
        None => println!("no first reconcile observed"),
    }

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
    if reactions.is_empty() {
        println!("reaction to spec changes while idle: none measured");
    } else {
        println!(
            "reaction to {} spec changes while idle (to their first ARM write): p50 {:.2}s, p99 {:.2}s, max {:.2}s",
            reactions.len(),
            percentile(&reactions, 0.5),
            percentile(&reactions, 0.99),
            percentile(&reactions, 1.0)
        );
    }
    match rss {
        Some(kib) => println!("controller peak RSS: {:.1} MiB", kib as f64 / 1024.0),
        None => println!("controller peak RSS: unavailable (no /proc)"),
    }
    sandbox.stop().await;
    Ok(ExitCode::SUCCESS)
}

fn note_first_reconciles(
    created: &Created,
    firsts: &std::sync::Mutex<BTreeMap<String, Duration>>,
    reconciled: &[String],
) {
    let (Ok(created), Ok(mut firsts)) = (created.lock(), firsts.lock()) else {
        return;
    };
    for key in reconciled {
        if let Some(at) = created.get(key)
            && !firsts.contains_key(key)
        {
            firsts.insert(key.clone(), at.elapsed());
        }
    }
}

/// The value below which `q` of the sorted figures fall (nearest rank).
fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Changes the instance count of `sample` deployments spread over the endpoints, while
/// everything is idle, and returns (sorted) the seconds from each change to the first ARM write to
/// that deployment in the journal.
async fn react(sandbox: &Sandbox, endpoints: usize, sample: usize) -> anyhow::Result<Vec<f64>> {
    use kube::api::{Patch, PatchParams};
    let deps: Api<OnlineDeployment> = Api::namespaced(sandbox.client.clone(), NAMESPACE);
    let sample = sample.min(endpoints);
    let step = endpoints.checked_div(sample).unwrap_or(1).max(1);
    let mut changed = Vec::new();
    for i in (0..endpoints).step_by(step).take(sample) {
        let name = format!("bench-{i:05}-blue");
        let path = format!("/onlineendpoints/bench-{i:05}/deployments/blue");
        let at = k8s_openapi::jiff::Timestamp::now();
        deps.patch(
            &name,
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"instanceCount": 2}})),
        )
        .await
        .with_context(|| format!("patching {name}"))?;
        changed.push((path, at));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let journal = sandbox.arm.journal();
        let mut out = Vec::new();
        for (path, at) in &changed {
            let first = journal.iter().find_map(|e| match e {
                JournalEntry::Request(r)
                    if r.method != "GET"
                        && r.path.to_ascii_lowercase().ends_with(path.as_str()) =>
                {
                    r.time
                        .parse::<k8s_openapi::jiff::Timestamp>()
                        .ok()
                        .filter(|t| t >= at)
                        .map(|t| t.duration_since(*at).as_secs_f64())
                }
                _ => None,
            });
            if let Some(secs) = first {
                out.push(secs);
            }
        }
        if out.len() == changed.len() || Instant::now() > deadline {
            out.sort_by(f64::total_cmp);
            return Ok(out);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
