//! `kube-emulator --port <p|0> --kubeconfig <path> [--crds <dir>]`: serves the Kubernetes API
//! emulator on 127.0.0.1, writes a kubeconfig for it, prints its URL as the first line of stdout,
//! and runs until interrupted.

use std::io::Write as _;
use std::path::PathBuf;

use clap::Parser;
use kube_emulator::{KubeEmulator, KubeEmulatorConfig};

#[derive(Debug, Parser)]
#[command(
    name = "kube-emulator",
    about = "A Kubernetes API emulator on loopback, for tests"
)]
struct Args {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Where to write the kubeconfig.
    #[arg(long)]
    kubeconfig: PathBuf,
    /// A directory of CRD manifests to serve from the start.
    #[arg(long)]
    crds: Option<PathBuf>,
    /// The bearer token to demand (and write into the kubeconfig).
    #[arg(long, default_value = "kube-emulator-token")]
    token: String,
    /// Serve HTTPS with a generated CA (written into the kubeconfig); the token is then required.
    #[arg(long)]
    tls: bool,
    /// How many past events a watch can resume from.
    #[arg(long, default_value_t = 10_000)]
    watch_history: usize,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let config = KubeEmulatorConfig {
        port: args.port,
        kubeconfig_path: Some(args.kubeconfig),
        token: args.token,
        watch_history: args.watch_history,
        tls: args.tls,
        ..KubeEmulatorConfig::default()
    };
    let emulator = match KubeEmulator::start(config).await {
        Ok(e) => e,
        Err(e) => {
            eprintln!(
                "kube-emulator: {e}: {}",
                std::error::Error::source(&e)
                    .map(ToString::to_string)
                    .unwrap_or_default()
            );
            return std::process::ExitCode::FAILURE;
        }
    };
    if let Some(dir) = &args.crds
        && let Err(e) = emulator.install_crds_dir(dir)
    {
        eprintln!("kube-emulator: {e}");
        return std::process::ExitCode::FAILURE;
    }
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "{}", emulator.base_url());
    let _ = stdout.flush();
    eprintln!(
        "kube-emulator: serving {} (kubeconfig {})",
        emulator.base_url(),
        emulator.kubeconfig_path().display()
    );
    let _ = tokio::signal::ctrl_c().await;
    emulator.shutdown().await;
    std::process::ExitCode::SUCCESS
}
