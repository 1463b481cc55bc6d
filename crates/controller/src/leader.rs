//! Leader election on a coordination.k8s.io Lease (kube-lease-manager): only the holder
//! reconciles; a standby takes over within the lease duration when the leader dies. A leader that
//! loses the lease stops reconciling at once and the process exits, so it can restart as a standby.

use anyhow::Context as _;
use kube::Client;
use kube_lease_manager::{LeaseManagerBuilder, LeaseParams};
use tokio_util::sync::CancellationToken;

/// Where the Lease lives and how long it lasts (from the `run` command's flags).
#[derive(Clone, Debug)]
pub struct LeaseSettings {
    /// Name on Events and the prefix of the leader identity (the pod name in a cluster).
    pub instance: Option<String>,
    /// Namespace of the Lease.
    pub lease_namespace: String,
    /// Name of the Lease.
    pub lease_name: String,
    /// How long the Lease stays valid without renewal.
    pub lease_duration: std::time::Duration,
}

/// Held while this process leads; dropping it releases the Lease (a fast hand-over on shutdown).
pub struct Leadership {
    _state: tokio::sync::watch::Receiver<bool>,
}

/// Waits until this process holds the Lease. Returns `None` when `shutdown` fires first. Once
/// leading, `lost` is cancelled if the Lease is ever lost.
///
/// # Errors
/// When the Lease cannot be read or created.
pub async fn acquire(
    client: &Client,
    args: &LeaseSettings,
    shutdown: &CancellationToken,
    lost: &CancellationToken,
) -> anyhow::Result<Option<Leadership>> {
    let identity = format!(
        "{}-{:08x}",
        args.instance
            .clone()
            .unwrap_or_else(|| "aml-operator".into()),
        rand::random::<u32>()
    );
    let duration = args.lease_duration.as_secs().max(2);
    let grace = (duration / 3).max(1);
    let manager = LeaseManagerBuilder::new(client.clone(), &args.lease_name)
        .with_namespace(&args.lease_namespace)
        .with_parameters(LeaseParams::new(identity.clone(), duration, grace))
        .build()
        .await
        .with_context(|| {
            format!(
                "failed to set up Lease {}/{}",
                args.lease_namespace, args.lease_name
            )
        })?;
    let (mut state, _task) = manager.watch().await;
    tracing::info!(%identity, lease = %args.lease_name, "standing by for the leader Lease");
    while !*state.borrow_and_update() {
        tokio::select! {
            changed = state.changed() => changed.context("the Lease manager stopped")?,
            () = shutdown.cancelled() => return Ok(None),
        }
    }
    tracing::info!(%identity, "leading");
    let mut watch = state.clone();
    let lost = lost.clone();
    tokio::spawn(async move {
        loop {
            if watch.changed().await.is_err() || !*watch.borrow_and_update() {
                tracing::error!("lost the leader Lease; stopping");
                lost.cancel();
                return;
            }
        }
    });
    Ok(Some(Leadership { _state: state }))
}
