//! Configuration of one emulator instance: TLS, seed, time scale, LRO durations, throttle limits,
//! faults, port and a few wire knobs.
//!
//! `EmulatorConfig::default()` is what unit tests want: instant long-running operations (they
//! still go through Creating → Succeeded, but finish by the next request), TLS on, ARM's default
//! throttle limits, no faults, an empty seed and any free port.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::faults::FaultRule;
use crate::seed::Seed;

/// What a long-running operation does; each kind has its own configurable duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum OperationKind {
    /// PUT of a new online endpoint.
    EndpointCreate,
    /// PUT/PATCH of an existing online endpoint (traffic, tags, identity, ...).
    EndpointUpdate,
    /// DELETE of an online endpoint (and its deployments).
    EndpointDelete,
    /// POST regenerateKeys.
    RegenerateKeys,
    /// PUT of a new online deployment.
    DeploymentCreate,
    /// PUT/PATCH of an existing deployment that does not change its instance count.
    DeploymentUpdate,
    /// PATCH/PUT of an existing deployment that changes `sku.capacity`.
    DeploymentScale,
    /// DELETE of an online deployment.
    DeploymentDelete,
    /// PATCH/PUT of a workspace.
    WorkspaceUpdate,
    /// POST provisionManagedNetwork.
    ManagedNetworkProvision,
    /// PUT of a Network private endpoint (create or update).
    PrivateEndpointPut,
    /// DELETE of a Network private endpoint.
    PrivateEndpointDelete,
    /// PUT of a private DNS zone group.
    DnsZoneGroupPut,
    /// DELETE of a private DNS zone group.
    DnsZoneGroupDelete,
    /// PUT of a private DNS zone.
    DnsZonePut,
    /// DELETE of a private DNS zone.
    DnsZoneDelete,
    /// PUT of a virtual network link (InProgress → Completed).
    VnetLinkPut,
    /// DELETE of a virtual network link.
    VnetLinkDelete,
}

impl OperationKind {
    /// Every kind, for tables and loops.
    pub const ALL: [OperationKind; 18] = [
        Self::EndpointCreate,
        Self::EndpointUpdate,
        Self::EndpointDelete,
        Self::RegenerateKeys,
        Self::DeploymentCreate,
        Self::DeploymentUpdate,
        Self::DeploymentScale,
        Self::DeploymentDelete,
        Self::WorkspaceUpdate,
        Self::ManagedNetworkProvision,
        Self::PrivateEndpointPut,
        Self::PrivateEndpointDelete,
        Self::DnsZoneGroupPut,
        Self::DnsZoneGroupDelete,
        Self::DnsZonePut,
        Self::DnsZoneDelete,
        Self::VnetLinkPut,
        Self::VnetLinkDelete,
    ];

    /// Roughly how long Azure takes for this operation (observed orders of magnitude), used by
    /// [`LroDurations::realistic`].
    pub fn realistic_duration(self) -> Duration {
        let secs = match self {
            Self::EndpointCreate => 90,
            Self::EndpointUpdate => 45,
            Self::EndpointDelete => 60,
            Self::RegenerateKeys => 10,
            Self::DeploymentCreate => 600,
            Self::DeploymentUpdate => 300,
            Self::DeploymentScale => 180,
            Self::DeploymentDelete => 180,
            Self::WorkspaceUpdate => 20,
            Self::ManagedNetworkProvision => 300,
            Self::PrivateEndpointPut => 30,
            Self::PrivateEndpointDelete => 30,
            Self::DnsZoneGroupPut => 15,
            Self::DnsZoneGroupDelete => 15,
            Self::DnsZonePut => 30,
            Self::DnsZoneDelete => 30,
            Self::VnetLinkPut => 45,
            Self::VnetLinkDelete => 30,
        };
        Duration::from_secs(secs)
    }
}

/// How long each kind of long-running operation takes before the time scale is applied.
/// Kinds not in the map take no time (they still answer 201/202 and finish by the next request).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LroDurations {
    durations: HashMap<OperationKind, Duration>,
}

impl LroDurations {
    /// Every operation finishes by the next request (the default, for unit tests).
    pub fn instant() -> Self {
        Self::default()
    }

    /// Azure-like durations (minutes for deployments); combine with a time scale for a sandbox.
    pub fn realistic() -> Self {
        Self {
            durations: OperationKind::ALL
                .iter()
                .map(|k| (*k, k.realistic_duration()))
                .collect(),
        }
    }

    /// Every operation takes `duration`.
    pub fn uniform(duration: Duration) -> Self {
        Self {
            durations: OperationKind::ALL.iter().map(|k| (*k, duration)).collect(),
        }
    }

    /// Set the duration of one kind.
    pub fn with(mut self, kind: OperationKind, duration: Duration) -> Self {
        self.durations.insert(kind, duration);
        self
    }

    /// The unscaled duration of one kind.
    pub fn get(&self, kind: OperationKind) -> Duration {
        self.durations.get(&kind).copied().unwrap_or_default()
    }
}

/// One ARM token bucket: `capacity` requests at once, refilled at `refill_per_second`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BucketLimit {
    /// Bucket size (the burst).
    pub capacity: u32,
    /// Tokens added per second.
    pub refill_per_second: f64,
}

/// A resource provider's own limit: at most `limit` requests in any `window_secs` (Azure
/// states these as "N per 5 minutes").
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowLimit {
    /// Requests allowed in one window.
    pub limit: u32,
    /// The window, in seconds.
    pub window_secs: f64,
}

impl WindowLimit {
    /// `limit` requests per 5 minutes.
    pub const fn per_five_minutes(limit: u32) -> Self {
        Self {
            limit,
            window_secs: 300.0,
        }
    }
}

/// The limits resource providers apply behind ARM's buckets, per subscription. ARM throttles
/// first; "if the request is under the throttling limits for the subscription and tenant,
/// Resource Manager routes the request to the resource provider. The resource provider applies
/// throttling limits that are tailored to its operations" (Microsoft Learn, "Understand how
/// Azure Resource Manager throttles requests",
/// <https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling>,
/// "Network throttling"). `None` switches a limit off.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderLimits {
    /// Microsoft.Network "read (GET): 10000 per 5 minutes" (Private DNS excepted).
    pub network_reads: Option<WindowLimit>,
    /// Microsoft.Network "write / delete (PUT): 1000 per 5 minutes" (PUT, PATCH, POST and
    /// DELETE; Private DNS excepted).
    pub network_writes: Option<WindowLimit>,
    /// "Azure DNS and Azure Private DNS have a throttle limit of 500 read (GET) operations per
    /// 5 minutes", counted per action (`Microsoft.Network/privateDnsZones/read`, `.../A/read`,
    /// ...), as Azure's 429 names it.
    pub private_dns_reads: Option<WindowLimit>,
    /// Private DNS writes, per action: 12,000, the count real answers start from
    /// (`x-ms-ratelimit-remaining-subscription-resource-requests: 11999` after a zone PUT in
    /// azure-sdk-for-java's privatedns session records). No Microsoft page states this limit or
    /// its window; one hour is an assumption.
    pub private_dns_writes: Option<WindowLimit>,
}

impl Default for ProviderLimits {
    fn default() -> Self {
        Self {
            network_reads: Some(WindowLimit::per_five_minutes(10_000)),
            network_writes: Some(WindowLimit::per_five_minutes(1_000)),
            private_dns_reads: Some(WindowLimit::per_five_minutes(500)),
            private_dns_writes: Some(WindowLimit {
                limit: 12_000,
                window_secs: 3600.0,
            }),
        }
    }
}

impl ProviderLimits {
    /// No provider limits: only ARM's buckets apply.
    pub fn none() -> Self {
        Self {
            network_reads: None,
            network_writes: None,
            private_dns_reads: None,
            private_dns_writes: None,
        }
    }

    /// The same counts over windows `factor` times as long (0.01: a 5-minute window lasts 3 s),
    /// for tests that want Azure's numbers without waiting minutes.
    pub fn scaled(self, factor: f64) -> Self {
        let factor = if factor.is_finite() && factor > 0.0 {
            factor
        } else {
            1.0
        };
        let scale = |w: Option<WindowLimit>| {
            w.map(|w| WindowLimit {
                limit: w.limit,
                window_secs: w.window_secs * factor,
            })
        };
        Self {
            network_reads: scale(self.network_reads),
            network_writes: scale(self.network_writes),
            private_dns_reads: scale(self.private_dns_reads),
            private_dns_writes: scale(self.private_dns_writes),
        }
    }
}

/// Per-principal token buckets, as ARM's 2024 throttling model has them, and the limits of the
/// resource providers behind ARM.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThrottleLimits {
    /// GET/HEAD.
    pub reads: BucketLimit,
    /// PUT/PATCH/POST.
    pub writes: BucketLimit,
    /// DELETE.
    pub deletes: BucketLimit,
    /// Microsoft.Network and Private DNS limits, applied after the buckets.
    #[serde(default)]
    pub providers: ProviderLimits,
}

impl Default for ThrottleLimits {
    fn default() -> Self {
        Self {
            reads: BucketLimit {
                capacity: 250,
                refill_per_second: 25.0,
            },
            writes: BucketLimit {
                capacity: 200,
                refill_per_second: 10.0,
            },
            deletes: BucketLimit {
                capacity: 200,
                refill_per_second: 10.0,
            },
            providers: ProviderLimits::default(),
        }
    }
}

impl ThrottleLimits {
    /// Limits so high that nothing is throttled (benchmarks, scale tests): no provider limits
    /// either.
    pub fn unlimited() -> Self {
        let big = BucketLimit {
            capacity: u32::MAX / 2,
            refill_per_second: 1.0e9,
        };
        Self {
            reads: big,
            writes: big,
            deletes: big,
            providers: ProviderLimits::none(),
        }
    }

    /// These buckets with other provider limits (`ThrottleLimits::default().providers`, its
    /// `scaled(f)`, or `ProviderLimits::none()` through [`Self::without_providers`]).
    pub fn with_providers(self, providers: ProviderLimits) -> Self {
        Self { providers, ..self }
    }

    /// These buckets without provider limits.
    pub fn without_providers(self) -> Self {
        self.with_providers(ProviderLimits::none())
    }

    /// These buckets with every provider window `factor` times as long.
    pub fn scale_provider_windows(self, factor: f64) -> Self {
        self.with_providers(self.providers.scaled(factor))
    }
}

/// Everything one emulator instance needs to start.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Serve HTTPS with a generated CA (required by azure_identity's authority host).
    pub tls: bool,
    /// Where the CA PEM (and server cert) are written; `None` = a fresh temporary directory.
    pub tls_dir: Option<PathBuf>,
    /// Subscriptions, resource groups, workspaces, VNets and principals present at start.
    pub seed: Seed,
    /// Multiplies every LRO duration (0.01 = a hundred times faster than Azure).
    pub time_scale: f64,
    /// Unscaled LRO durations per operation kind.
    pub lro_durations: LroDurations,
    /// Per-principal token buckets.
    pub throttle: ThrottleLimits,
    /// Fault rules active from the start (more can be added at runtime).
    pub faults: Vec<FaultRule>,
    /// TCP port on 127.0.0.1; 0 = any free port.
    pub port: u16,
    /// Upper bound of the `Retry-After` seconds sent with pending answers; the value sent is the
    /// operation's remaining time, capped by this.
    pub max_retry_after_secs: u64,
    /// Lifetime of issued access tokens.
    pub token_lifetime: Duration,
    /// Items per page of list answers before a `nextLink` is added.
    pub list_page_size: usize,
    /// Also append the journal as JSON lines to this file.
    pub journal_path: Option<PathBuf>,
    /// Instances one managed online deployment may have (`sku.capacity`): 50 by default, as
    /// Microsoft Learn "Manage and increase quotas and limits for resources with Azure Machine
    /// Learning" (how-to-manage-quotas) lists "Number of instances per deployment: 50" for
    /// managed online endpoints, a limit that "allows exception" (raise it here).
    pub deployment_instance_quota: u32,
    /// Lifetime of the scoring tokens an AMLToken endpoint's `token` action issues
    /// (`expiryTimeUtc` = now + this, `refreshAfterTimeUtc` = now + half of it). One hour by
    /// default; the lifetime Azure really gives is not stated in the spec.
    pub endpoint_token_lifetime: Duration,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            tls: true,
            tls_dir: None,
            seed: Seed::default(),
            time_scale: 1.0,
            lro_durations: LroDurations::instant(),
            throttle: ThrottleLimits::default(),
            faults: Vec::new(),
            port: 0,
            max_retry_after_secs: 10,
            token_lifetime: Duration::from_secs(3599),
            list_page_size: 100,
            journal_path: None,
            deployment_instance_quota: 50,
            endpoint_token_lifetime: Duration::from_secs(3600),
        }
    }
}

impl EmulatorConfig {
    /// What the sandbox wants: the sandbox seed, Azure-like LRO durations scaled by
    /// `time_scale` (0.05 makes a 10-minute deployment take 30 s), TLS on.
    ///
    /// # Errors
    /// Only if the embedded sandbox seed were broken.
    pub fn sandbox(time_scale: f64) -> Result<Self, crate::Error> {
        Ok(Self::default()
            .seed(Seed::sandbox()?)
            .lro_durations(LroDurations::realistic())
            .time_scale(time_scale))
    }

    /// Set whether TLS is served.
    pub fn tls(mut self, tls: bool) -> Self {
        self.tls = tls;
        self
    }
    /// Set the seed.
    pub fn seed(mut self, seed: Seed) -> Self {
        self.seed = seed;
        self
    }
    /// Set the time scale applied to every LRO duration.
    pub fn time_scale(mut self, scale: f64) -> Self {
        self.time_scale = scale;
        self
    }
    /// Set the unscaled LRO durations.
    pub fn lro_durations(mut self, durations: LroDurations) -> Self {
        self.lro_durations = durations;
        self
    }
    /// Set one LRO kind's unscaled duration.
    pub fn lro_duration(mut self, kind: OperationKind, duration: Duration) -> Self {
        self.lro_durations = self.lro_durations.with(kind, duration);
        self
    }
    /// Set the throttle limits.
    pub fn throttle(mut self, limits: ThrottleLimits) -> Self {
        self.throttle = limits;
        self
    }
    /// Add a fault rule active from the start.
    pub fn fault(mut self, rule: FaultRule) -> Self {
        self.faults.push(rule);
        self
    }
    /// Set the port (0 = any).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }
    /// Set the directory for the CA PEM.
    pub fn tls_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.tls_dir = Some(dir.into());
        self
    }
    /// Set the list page size.
    pub fn list_page_size(mut self, size: usize) -> Self {
        self.list_page_size = size.max(1);
        self
    }
    /// Set the access-token lifetime.
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime;
        self
    }
    /// Also write the journal as JSON lines to `path`.
    pub fn journal_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.journal_path = Some(path.into());
        self
    }
    /// Set the lifetime of AMLToken endpoints' scoring tokens (at least 2 s).
    pub fn endpoint_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.endpoint_token_lifetime = lifetime.max(Duration::from_secs(2));
        self
    }
    /// Set the instances one deployment may have (an endpoint limit increase).
    pub fn deployment_instance_quota(mut self, instances: u32) -> Self {
        self.deployment_instance_quota = instances;
        self
    }

    /// The scaled duration of one operation kind.
    pub(crate) fn scaled_duration(&self, kind: OperationKind) -> Duration {
        let base = self.lro_durations.get(kind);
        let scale = if self.time_scale.is_finite() && self.time_scale > 0.0 {
            self.time_scale
        } else {
            0.0
        };
        base.mul_f64(scale)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_scale() {
        let c = EmulatorConfig::sandbox(0.1).unwrap();
        assert_eq!(
            c.scaled_duration(OperationKind::DeploymentCreate),
            Duration::from_secs(60)
        );
        assert_eq!(
            EmulatorConfig::default().scaled_duration(OperationKind::DeploymentCreate),
            Duration::ZERO
        );
        let negative = EmulatorConfig::default()
            .lro_durations(LroDurations::realistic())
            .time_scale(-1.0);
        assert_eq!(
            negative.scaled_duration(OperationKind::EndpointCreate),
            Duration::ZERO
        );
    }
}
