//! The admin handle tests and the sandbox use to steer a running emulator: journal, fault
//! rules, failing the next operation of a resource, portal drift, connection approval, reading
//! any resource's JSON, issuing tokens and seeding more data. The same controls are served over
//! HTTP under `/_emulator/` (see `http/admin.rs`).

use serde_json::{Map, Value};

use crate::auth::Principal;
use crate::error::Error;
use crate::faults::FaultRule;
use crate::journal::{JournalEntry, StateChange};
use crate::seed::Seed;
use crate::state::SharedState;
use crate::world::{Drift, OperationFailure};

/// A cloneable handle on a running emulator's controls.
#[derive(Debug, Clone)]
pub struct Admin {
    pub(crate) state: SharedState,
}

impl Admin {
    /// Every journal entry so far (operations that are due are finished first, so their
    /// state changes are in it).
    pub fn journal(&self) -> Vec<JournalEntry> {
        self.state.world().advance(std::time::Instant::now());
        self.state.journal.snapshot()
    }

    /// The state changes of one resource (any case of its id), oldest first — e.g. to assert
    /// that an endpoint never had `publicNetworkAccess: Enabled`.
    pub fn state_changes(&self, resource_id: &str) -> Vec<StateChange> {
        self.journal()
            .into_iter()
            .filter_map(|e| match e {
                JournalEntry::StateChange(c) if c.resource_id.eq_ignore_ascii_case(resource_id) => {
                    Some(c)
                }
                _ => None,
            })
            .collect()
    }

    /// Journal entries from index `from` on.
    pub fn journal_since(&self, from: usize) -> Vec<JournalEntry> {
        self.state.journal.since(from)
    }

    /// Number of journal entries so far.
    pub fn journal_len(&self) -> usize {
        self.state.journal.len()
    }

    /// The journal as JSON lines.
    pub fn journal_json_lines(&self) -> String {
        self.state.journal.to_json_lines()
    }

    /// Add a fault rule.
    pub fn add_fault(&self, rule: FaultRule) {
        self.state.faults.add(rule);
    }

    /// Remove every fault rule.
    pub fn clear_faults(&self) {
        self.state.faults.clear();
    }

    /// The active fault rules.
    pub fn faults(&self) -> Vec<FaultRule> {
        self.state.faults.list()
    }

    /// Make the next long-running operation started on `resource_id` (which need not exist
    /// yet) end `Failed` with `code` (e.g. `OutOfQuota`, `ImageBuildFailure`, `BadArgument`,
    /// `WorkspaceManagedNetworkNotReady`).
    pub fn fail_next_operation(&self, resource_id: &str, code: &str, message: Option<&str>) {
        let failure = OperationFailure {
            code: code.to_string(),
            message: message.map_or_else(
                || format!("The operation failed with {code} (injected)."),
                str::to_string,
            ),
        };
        self.state.world().fail_next_operation(resource_id, failure);
    }

    /// Set the output of one container (`InferenceServer` or `StorageInitializer`) of a
    /// deployment (which need not exist yet): getLogs answers its last `tail` lines. With
    /// [`Admin::fail_next_operation`] a test makes a deployment fail with something to read.
    ///
    /// # Errors
    /// [`Error::Admin`] for another container type.
    pub fn set_container_logs(
        &self,
        deployment_id: &str,
        container: &str,
        text: &str,
    ) -> Result<(), Error> {
        self.state
            .world()
            .set_container_logs(deployment_id, container, text)
    }

    /// Apply a portal-drift action now.
    ///
    /// # Errors
    /// [`Error::Admin`] when the resource does not exist or the action does not fit it.
    pub fn drift(&self, drift: Drift) -> Result<(), Error> {
        let mut world = self.state.world();
        world.advance(std::time::Instant::now());
        world.apply_drift(&drift)
    }

    /// Drift: set `publicNetworkAccess` of an endpoint or workspace.
    ///
    /// # Errors
    /// See [`Admin::drift`].
    pub fn set_public_network_access(&self, resource_id: &str, enabled: bool) -> Result<(), Error> {
        self.drift(Drift::SetPublicNetworkAccess {
            resource_id: resource_id.to_string(),
            value: if enabled { "Enabled" } else { "Disabled" }.to_string(),
        })
    }

    /// Drift: delete a Network private endpoint.
    ///
    /// # Errors
    /// See [`Admin::drift`].
    pub fn delete_private_endpoint(&self, resource_id: &str) -> Result<(), Error> {
        self.drift(Drift::DeletePrivateEndpoint {
            resource_id: resource_id.to_string(),
        })
    }

    /// Drift: remove a DNS zone group (its id, or a private endpoint id for all its groups).
    ///
    /// # Errors
    /// See [`Admin::drift`].
    pub fn remove_dns_zone_group(&self, resource_id: &str) -> Result<(), Error> {
        self.drift(Drift::RemoveDnsZoneGroup {
            resource_id: resource_id.to_string(),
        })
    }

    /// Drift: remove a private DNS zone's virtual network link.
    ///
    /// # Errors
    /// See [`Admin::drift`].
    pub fn remove_virtual_network_link(&self, resource_id: &str) -> Result<(), Error> {
        self.drift(Drift::RemoveVirtualNetworkLink {
            resource_id: resource_id.to_string(),
        })
    }

    /// Drift: set an endpoint's traffic.
    ///
    /// # Errors
    /// See [`Admin::drift`].
    pub fn set_traffic(&self, endpoint_id: &str, traffic: &[(&str, u32)]) -> Result<(), Error> {
        let traffic: Map<String, Value> = traffic
            .iter()
            .map(|(k, v)| ((*k).to_string(), Value::from(*v)))
            .collect();
        self.drift(Drift::SetTraffic {
            resource_id: endpoint_id.to_string(),
            traffic,
            mirror_traffic: None,
        })
    }

    /// Drift: set a deployment's instance count.
    ///
    /// # Errors
    /// See [`Admin::drift`].
    pub fn set_deployment_capacity(&self, deployment_id: &str, capacity: u32) -> Result<(), Error> {
        self.drift(Drift::SetDeploymentCapacity {
            resource_id: deployment_id.to_string(),
            capacity,
        })
    }

    /// The autoscaler: scale an online deployment toward `capacity` as Azure Monitor's autoscale
    /// engine would, within the bounds of the enabled autoscale setting that targets it
    /// (journalled with actor `autoscale`). Returns the count set.
    ///
    /// # Errors
    /// No enabled autoscale setting targets the deployment, or it does not exist.
    pub fn autoscale_deployment(&self, deployment_id: &str, capacity: u32) -> Result<u32, Error> {
        let mut world = self.state.world();
        world.advance(std::time::Instant::now());
        world.autoscale_deployment(deployment_id, capacity)
    }

    /// Approve a pending connection (by connection id or private endpoint id).
    ///
    /// # Errors
    /// See [`Admin::drift`].
    pub fn approve_private_endpoint_connection(&self, resource_id: &str) -> Result<(), Error> {
        self.drift(Drift::SetConnectionStatus {
            resource_id: resource_id.to_string(),
            status: "Approved".into(),
            description: None,
        })
    }

    /// Reject a connection (by connection id or private endpoint id).
    ///
    /// # Errors
    /// See [`Admin::drift`].
    pub fn reject_private_endpoint_connection(&self, resource_id: &str) -> Result<(), Error> {
        self.drift(Drift::SetConnectionStatus {
            resource_id: resource_id.to_string(),
            status: "Rejected".into(),
            description: None,
        })
    }

    /// The current JSON of a resource (as GET would answer), after finishing due operations.
    pub fn resource(&self, resource_id: &str) -> Option<Value> {
        let mut world = self.state.world();
        world.advance(std::time::Instant::now());
        world.resource_json(resource_id)
    }

    /// Publishes version `version` of the model, environment or code `name` (`collection`:
    /// `models`, `environments` or `codes`) in the workspace or registry `scope_id`, created
    /// now, as `az ml model create` would; returns the version's JSON.
    ///
    /// # Errors
    /// [`Error::Admin`] when the workspace or registry does not exist or a name is not a path
    /// segment.
    pub fn publish_asset_version(
        &self,
        scope_id: &str,
        collection: &str,
        name: &str,
        version: &str,
    ) -> Result<Value, Error> {
        let mut world = self.state.world();
        world.advance(std::time::Instant::now());
        let ctx = crate::world::Ctx::admin("data-scientist");
        world.publish_asset_version(&ctx, scope_id, collection, name, version)
    }

    /// Number of stored resources.
    pub fn resource_count(&self) -> usize {
        self.state.world().resource_count()
    }

    /// A valid bearer token for a seeded principal (an unknown client id gets a token that ARM
    /// answers with 401).
    pub fn issue_token(&self, client_id: &str) -> String {
        let tenant = self
            .state
            .auth
            .principal(client_id)
            .map(|p| p.tenant_id.clone())
            .unwrap_or_default();
        self.state
            .auth
            .issue(client_id, &tenant, self.state.config.token_lifetime)
    }

    /// Add more seed data (resources and principals) at runtime.
    ///
    /// # Errors
    /// [`Error::InvalidSeed`] for an invalid seed.
    pub fn seed(&self, seed: &Seed) -> Result<(), Error> {
        self.state.world().apply_seed(seed)?;
        for p in &seed.principals {
            self.state.auth.add_principal(Principal::from_seed(p));
        }
        Ok(())
    }
}
