//! The command line: `run` (the controller), `crd` (print the CRDs), `sandbox` (both emulators
//! in-process with the controller, for a first look) and `bench` (figures at scale).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use arm::{Cloud, Credential};
use azure_core::credentials::Secret;
use clap::{Parser, Subcommand, ValueEnum};

use crate::azure::AzureSettings;
use crate::metrics::Metrics;
use crate::reconcile::parse_interval;
use crate::run::{RunOptions, run};

/// aml-operator: network-isolated Azure ML online endpoints, declared in Kubernetes.
#[derive(Parser, Debug)]
#[command(name = "aml-operator", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the controller against the cluster of the kubeconfig (or in-cluster config).
    Run(Box<RunArgs>),
    /// Print the CustomResourceDefinitions as YAML.
    Crd,
    #[cfg(feature = "sandbox")]
    /// Run everything on this machine: the Kubernetes and ARM emulators in-process, the CRDs,
    /// a directory of manifests and the controller, showing progress until all is Ready.
    Sandbox(crate::sandbox::SandboxArgs),
    #[cfg(feature = "sandbox")]
    /// Figures at scale: time to Ready, ARM requests per resource, idle-sync requests and the
    /// controller's peak memory, with both emulators in-process.
    Bench(crate::bench::BenchArgs),
}

/// Log output format.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Which credential the controller uses for Workspaces without `spec.credential`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum CredentialKind {
    /// Workload identity when AZURE_FEDERATED_TOKEN_FILE is set, a client secret when
    /// AZURE_CLIENT_SECRET is, else managed identity.
    Auto,
    /// AKS workload identity (AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE).
    WorkloadIdentity,
    /// A managed identity (AZURE_CLIENT_ID selects a user-assigned one).
    ManagedIdentity,
    /// A service principal (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET).
    ClientSecret,
    /// The signed-in Azure CLI user (developer machines).
    AzureCli,
}

/// `aml-operator run`.
#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// Reconciles running at once, per kind.
    #[arg(long, default_value_t = 4, env = "AML_OPERATOR_CONCURRENCY")]
    pub concurrency: u16,
    /// Time between resyncs of a converged object (jittered ±10%); an object's annotation
    /// `aml-operator.io/sync-interval` overrides it.
    #[arg(long, default_value = "10m", value_parser = parse_duration_arg)]
    pub sync_interval: std::time::Duration,
    /// Watch only this namespace (default: all).
    #[arg(long, env = "AML_OPERATOR_NAMESPACE")]
    pub namespace: Option<String>,
    /// Address of /metrics, /healthz and /readyz.
    #[arg(long, default_value = "0.0.0.0:8080")]
    pub admin_addr: SocketAddr,
    /// Log format.
    #[arg(long, value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// Log level or filter (RUST_LOG syntax).
    #[arg(long, default_value = "info")]
    pub log_level: String,
    /// Azure cloud: AzureCloud, AzureChinaCloud or AzureUSGovernment.
    #[arg(long, default_value = "AzureCloud", env = "AZURE_CLOUD")]
    pub cloud: String,
    /// A custom Resource Manager endpoint (with --authority-host), e.g. an Azure Stack or test endpoint.
    #[arg(long, requires = "authority_host")]
    pub arm_endpoint: Option<String>,
    /// The Entra ID authority host for --arm-endpoint.
    #[arg(long, requires = "arm_endpoint")]
    pub authority_host: Option<String>,
    /// Trust only this CA bundle (PEM) for Azure connections.
    #[arg(long)]
    pub ca_file: Option<PathBuf>,
    /// The controller's own Azure credential.
    #[arg(long, value_enum, default_value = "auto")]
    pub credential: CredentialKind,
    /// Name on Events and leader identity (the pod name in a cluster).
    #[arg(long, env = "POD_NAME")]
    pub instance: Option<String>,
    /// Reconcile only while holding the leader Lease (run several replicas; one is active).
    #[arg(long)]
    pub leader_election: bool,
    /// How old an endpoint's keys Secret may get before the keys are fetched from Azure again
    /// (keys regenerated in Azure reach the Secret within this time).
    #[arg(long, default_value = "1h", value_parser = parse_duration_arg)]
    pub keys_refresh_interval: std::time::Duration,
    /// Namespace of the leader Lease.
    #[arg(long, env = "POD_NAMESPACE", default_value = "default")]
    pub lease_namespace: String,
    /// Name of the leader Lease.
    #[arg(long, default_value = "aml-operator")]
    pub lease_name: String,
    /// How long a leader's Lease stays valid without renewal; a standby takes over after it.
    #[arg(long, default_value = "15s", value_parser = parse_duration_arg)]
    pub lease_duration: std::time::Duration,
    /// How long Azure may answer 409 (busy with another operation) to an object's writes before
    /// the object is Stalled with ARM's code and message.
    #[arg(long, default_value = "10m", value_parser = parse_duration_arg)]
    pub busy_stall_after: std::time::Duration,
    /// How long a deletion that cannot reach Azure at all (no credential, no permission) keeps
    /// trying; then its finalizer is released with a LeftInAzure Warning naming what stays there.
    #[arg(long, default_value = "10m", value_parser = parse_duration_arg)]
    pub deletion_grace: std::time::Duration,
    /// Namespaces (comma-separated; `*` for all) whose Workspaces may act with the controller's
    /// own identity, besides those whose Namespace the admin annotated
    /// `aml-operator.io/default-credential: allowed`. Default: none.
    #[arg(
        long,
        value_delimiter = ',',
        env = "AML_OPERATOR_DEFAULT_CREDENTIAL_NAMESPACES"
    )]
    pub default_credential_namespaces: Vec<String>,
}

fn parse_duration_arg(value: &str) -> Result<std::time::Duration, String> {
    parse_interval(value).ok_or_else(|| format!("{value:?} is not a duration like 30s, 10m or 1h"))
}

/// Sets up logging.
pub fn init_logging(format: LogFormat, filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(filter))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The controller's own credential from its flags and environment.
pub fn default_credential(kind: CredentialKind) -> anyhow::Result<Credential> {
    let kind = match kind {
        CredentialKind::Auto if env("AZURE_FEDERATED_TOKEN_FILE").is_some() => {
            CredentialKind::WorkloadIdentity
        }
        CredentialKind::Auto if env("AZURE_CLIENT_SECRET").is_some() => {
            CredentialKind::ClientSecret
        }
        CredentialKind::Auto => CredentialKind::ManagedIdentity,
        other => other,
    };
    Ok(match kind {
        CredentialKind::WorkloadIdentity | CredentialKind::Auto => Credential::WorkloadIdentity {
            client_id: None,
            tenant_id: None,
            token_file: None,
        },
        CredentialKind::ManagedIdentity => Credential::ManagedIdentity {
            client_id: env("AZURE_CLIENT_ID"),
        },
        CredentialKind::ClientSecret => Credential::ClientSecret {
            tenant_id: env("AZURE_TENANT_ID")
                .context("--credential client-secret needs AZURE_TENANT_ID")?,
            client_id: env("AZURE_CLIENT_ID")
                .context("--credential client-secret needs AZURE_CLIENT_ID")?,
            secret: Secret::new(
                env("AZURE_CLIENT_SECRET")
                    .context("--credential client-secret needs AZURE_CLIENT_SECRET")?,
            ),
        },
        CredentialKind::AzureCli => Credential::AzureCli {
            tenant_id: env("AZURE_TENANT_ID"),
        },
    })
}

pub use crate::run::install_crypto_provider;

/// Refuses a plain-http URL unless it is on the loopback interface (a local emulator): tokens
/// and request bodies must never cross a network in clear text.
fn refuse_plain_http(flag: &str, value: &str) -> anyhow::Result<()> {
    let url = url::Url::parse(value).with_context(|| format!("{flag}: {value} is not a URL"))?;
    if url.scheme() != "http" {
        return Ok(());
    }
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    anyhow::ensure!(
        loopback,
        "{flag}: {value} is plain http to a host that is not loopback; use https"
    );
    Ok(())
}

/// Runs the command.
///
/// # Errors
/// When the command cannot start (configuration, Kubernetes or Azure access).
pub async fn main(cli: Cli) -> anyhow::Result<ExitCode> {
    install_crypto_provider();
    match cli.command {
        Command::Crd => {
            for crd in api::crds() {
                let yaml = api::crd_yaml(&crd).context("failed to serialize a CRD")?;
                println!("---\n{yaml}");
            }
            Ok(ExitCode::SUCCESS)
        }
        #[cfg(feature = "sandbox")]
        Command::Sandbox(args) => {
            init_logging(LogFormat::Text, "warn");
            crate::sandbox::main(args).await
        }
        #[cfg(feature = "sandbox")]
        Command::Bench(args) => {
            init_logging(LogFormat::Text, "warn");
            crate::bench::main(args).await
        }
        Command::Run(args) => {
            init_logging(args.log_format, &args.log_level);
            let cloud = match (&args.arm_endpoint, &args.authority_host) {
                (Some(arm), Some(authority)) => {
                    refuse_plain_http("--arm-endpoint", arm)?;
                    refuse_plain_http("--authority-host", authority)?;
                    Cloud::custom(arm, authority)
                        .context("invalid --arm-endpoint or --authority-host")?
                }
                _ => Cloud::from_name(&args.cloud).context("invalid --cloud")?,
            };
            let ca_pem = match &args.ca_file {
                Some(path) => Some(
                    std::fs::read(path)
                        .with_context(|| format!("failed to read --ca-file {}", path.display()))?,
                ),
                None => None,
            };
            let azure = AzureSettings {
                cloud,
                default_credential: default_credential(args.credential)?,
                ca_pem,
            };
            let mut kube_config = kube::Config::infer()
                .await
                .context("failed to configure the Kubernetes client")?;
            // Named in the apiserver's audit log (and the emulator's) as itself.
            kube_config.headers.push((
                http::header::USER_AGENT,
                http::HeaderValue::from_static(concat!("aml-operator/", env!("CARGO_PKG_VERSION"))),
            ));
            let client = kube::Client::try_from(kube_config)
                .context("failed to build the Kubernetes client")?;
            let shutdown = tokio_util::sync::CancellationToken::new();
            {
                let on_interrupt = shutdown.clone();
                tokio::spawn(async move {
                    let _ = tokio::signal::ctrl_c().await;
                    on_interrupt.cancel();
                });
                #[cfg(unix)]
                {
                    let shutdown = shutdown.clone();
                    tokio::spawn(async move {
                        if let Ok(mut term) = tokio::signal::unix::signal(
                            tokio::signal::unix::SignalKind::terminate(),
                        ) {
                            term.recv().await;
                            shutdown.cancel();
                        }
                    });
                }
            }
            let options = RunOptions {
                concurrency: args.concurrency,
                sync_interval: args.sync_interval,
                keys_refresh: args.keys_refresh_interval,
                namespace: args.namespace.clone(),
                azure,
                instance: args.instance.clone(),
                busy_stall_after: args.busy_stall_after,
                deletion_grace: args.deletion_grace,
                default_credential_namespaces: args.default_credential_namespaces.clone(),
                workspace_zones: planner::network::WorkspaceZones::for_cloud(&args.cloud)
                    .with_context(|| {
                        format!("--cloud {}: no private DNS zone names known", args.cloud)
                    })?,
            };
            let metrics = Metrics::new();
            let health = std::sync::Arc::new(crate::admin::Health::default());
            let listener = tokio::net::TcpListener::bind(args.admin_addr)
                .await
                .with_context(|| format!("failed to bind the admin address {}", args.admin_addr))?;
            tracing::info!(admin = %listener.local_addr().map(|a| a.to_string()).unwrap_or_default(), "serving /metrics, /healthz and /readyz");
            tokio::spawn(crate::admin::serve(
                listener,
                metrics.clone(),
                health.clone(),
                shutdown.clone(),
            ));

            let lost_lease = tokio_util::sync::CancellationToken::new();
            let _lease = if args.leader_election {
                health.set_standby(true);
                let settings = crate::leader::LeaseSettings {
                    instance: args.instance.clone(),
                    lease_namespace: args.lease_namespace.clone(),
                    lease_name: args.lease_name.clone(),
                    lease_duration: args.lease_duration,
                };
                let lease =
                    crate::leader::acquire(&client, &settings, &shutdown, &lost_lease).await?;
                if lease.is_none() {
                    return Ok(ExitCode::SUCCESS); // shut down while waiting
                }
                health.set_standby(false);
                lease
            } else {
                None
            };
            let stop = tokio_util::sync::CancellationToken::new();
            {
                let (stop, shutdown, lost) = (stop.clone(), shutdown.clone(), lost_lease.clone());
                tokio::spawn(async move {
                    tokio::select! {
                        () = shutdown.cancelled() => {}
                        () = lost.cancelled() => {}
                    }
                    stop.cancel();
                });
            }
            tracing::info!(namespace = ?options.namespace, concurrency = options.concurrency, "starting aml-operator");
            run(client, options, metrics, health, stop, |_| {}).await?;
            anyhow::ensure!(
                !lost_lease.is_cancelled(),
                "lost the leader lease; exiting so a fresh process can stand by"
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::refuse_plain_http;

    #[test]
    fn plain_http_only_on_loopback() {
        assert!(refuse_plain_http("--arm-endpoint", "https://management.azure.com").is_ok());
        assert!(refuse_plain_http("--arm-endpoint", "http://127.0.0.1:8443").is_ok());
        assert!(refuse_plain_http("--arm-endpoint", "http://localhost:8443").is_ok());
        assert!(refuse_plain_http("--arm-endpoint", "http://[::1]:8443").is_ok());
        let err = refuse_plain_http("--arm-endpoint", "http://arm.example.com")
            .expect_err("plain http elsewhere is refused");
        assert!(err.to_string().contains("--arm-endpoint"), "{err}");
    }
}
