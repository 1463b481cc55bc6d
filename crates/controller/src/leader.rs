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
    // Renew half-way through the duration, so a missed renewal is noticed (renew_deadline)
    // well before the Lease can expire for the others.
    let grace = (duration / 2).max(1);
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
    spawn_renew_watchdog(client.clone(), args.clone(), identity.clone());
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

/// The renew deadline (as client-go's leader election has): the share of the lease duration
/// within which a leader must see its Lease renewed (renewals come every half duration), or stop. Others may take the Lease only once
/// the whole duration has passed since its last renewal, so a leader that stops at the deadline
/// never writes to Azure next to a new leader.
pub fn renew_deadline(lease_duration: std::time::Duration) -> std::time::Duration {
    lease_duration.mul_f64(0.75)
}

/// Watches this leader's own Lease: if its renewal has not been seen to advance (or the API
/// server has not answered) within [`renew_deadline`], or another identity holds it, the process
/// exits at once — in-flight reconciles included — so no Azure write is sent after the deadline.
fn spawn_renew_watchdog(client: Client, settings: LeaseSettings, identity: String) {
    let duration = std::time::Duration::from_secs(settings.lease_duration.as_secs().max(2));
    let deadline = renew_deadline(duration);
    // Renewals come every half duration; seen within a period of happening, so the deadline
    // (three quarters) is neither hit by a renewal on time nor passed the Lease's expiry.
    let period = (duration / 16).max(std::time::Duration::from_millis(250));
    tokio::spawn(async move {
        let leases: kube::Api<k8s_openapi::api::coordination::v1::Lease> =
            kube::Api::namespaced(client, &settings.lease_namespace);
        let mut confirmed = std::time::Instant::now();
        let mut last_renewal = None;
        loop {
            tokio::time::sleep(period).await;
            let left = deadline.saturating_sub(confirmed.elapsed());
            let read = tokio::time::timeout(
                left.max(std::time::Duration::from_millis(100)),
                leases.get_opt(&settings.lease_name),
            )
            .await;
            if let Ok(Ok(lease)) = read {
                let spec = lease.and_then(|l| l.spec).unwrap_or_default();
                if spec.holder_identity.as_deref() != Some(identity.as_str()) {
                    tracing::error!(%identity, holder = ?spec.holder_identity, "another identity holds the leader Lease; exiting");
                    std::process::exit(1);
                }
                let renewal = spec.renew_time.map(|t| t.0);
                if renewal != last_renewal {
                    last_renewal = renewal;
                    confirmed = std::time::Instant::now();
                }
            }
            if confirmed.elapsed() >= deadline {
                tracing::error!(%identity, deadline = ?deadline, "the leader Lease was not seen renewed within the renew deadline; exiting before it can expire");
                std::process::exit(1);
            }
        }
    });
}
