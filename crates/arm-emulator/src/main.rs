//! The `arm-emulator` binary: start an emulator on loopback and print
//! `<base URL>[ <CA PEM path>]` as the first line of stdout, then serve until Ctrl-C.
//!
//! Without `--seed` it loads the sandbox seed (`seeds/sandbox.yaml`). LRO durations are
//! Azure-like, multiplied by `--time-scale` (default 0.05: a 10-minute deployment takes 30 s).

use std::path::PathBuf;
use std::process::ExitCode;

use arm_emulator::{Emulator, EmulatorConfig, LroDurations, Seed, ThrottleLimits};
use clap::Parser;

#[derive(Debug, Parser)]
#[command(
    name = "arm-emulator",
    about = "Stateful Azure Resource Manager emulator on 127.0.0.1"
)]
struct Args {
    /// TCP port on 127.0.0.1 (0 = any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Directory for the generated CA (`ca.pem`); default a temporary directory.
    #[arg(long)]
    tls_dir: Option<PathBuf>,
    /// Serve plain HTTP (azure_identity then refuses the authority host).
    #[arg(long)]
    no_tls: bool,
    /// Seed file (YAML, or JSON by extension); default the sandbox seed.
    #[arg(long)]
    seed: Option<PathBuf>,
    /// Multiplies Azure-like LRO durations (0 = instant).
    #[arg(long, default_value_t = 0.05)]
    time_scale: f64,
    /// Append the journal as JSON lines to this file.
    #[arg(long)]
    journal: Option<PathBuf>,
    /// Disable throttling (benchmarks, scale tests).
    #[arg(long)]
    no_throttle: bool,
}

async fn run(args: Args) -> Result<(), arm_emulator::Error> {
    let seed = match &args.seed {
        Some(path) => Seed::from_file(path)?,
        None => Seed::sandbox()?,
    };
    let mut config = EmulatorConfig::default()
        .port(args.port)
        .tls(!args.no_tls)
        .seed(seed)
        .lro_durations(LroDurations::realistic())
        .time_scale(args.time_scale);
    if let Some(dir) = args.tls_dir {
        config = config.tls_dir(dir);
    }
    if let Some(path) = args.journal {
        config = config.journal_path(path);
    }
    if args.no_throttle {
        config = config.throttle(ThrottleLimits::unlimited());
    }
    let emulator = Emulator::start(config).await?;
    match emulator.ca_pem_path() {
        Some(ca) => println!("{} {}", emulator.base_url(), ca.display()),
        None => println!("{}", emulator.base_url()),
    }
    wait_for_stop().await;
    emulator.shutdown().await;
    Ok(())
}

/// Ctrl-C or SIGTERM (how supervisors and test harnesses stop the emulator).
async fn wait_for_stop() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = async {
            match term.as_mut() {
                Some(t) => { t.recv().await; }
                None => std::future::pending::<()>().await,
            }
        } => {}
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    match run(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let mut message = format!("arm-emulator: {e}");
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                message.push_str(&format!(": {s}"));
                source = s.source();
            }
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}
