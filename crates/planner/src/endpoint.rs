//! Planning an `OnlineEndpoint`: create it private from its first PUT, apply traffic once every
//! deployment it names is Succeeded, correct drift, keep its keys Secret current, delete it after
//! its deployments.

use std::collections::BTreeMap;

use api::conditions::Reason;
use api::{OnlineEndpointSpec, OnlineEndpointStatus};
use k8s_openapi::jiff::Timestamp;

use crate::WAIT_POLL;
use crate::body::{endpoint_body, endpoint_drift, observed_public_access, observed_traffic};
use crate::deletion::{Deletion, Gate, plan_deletion, release, wait};
use crate::lifecycle::Lifecycle;
use crate::observe::{
    Observation, OperationOutcome, ProvisioningState, provisioning_state, str_at,
};
use crate::outcome::{Action, EventNote, OperationKind, Plan, Requeue};
use crate::progress::{
    Resumed, drifting, progressing, ready, resume_operation, stall_hold, stalled, waiting_reason,
};
use crate::validate::{ValidatedEndpoint, WorkspaceView, validate_endpoint};

/// A deployment of this endpoint, as its Kubernetes object reports it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DeploymentView {
    /// `metadata.name`.
    pub name: String,
    /// The deployment's Azure name (what `traffic` keys are).
    pub azure_name: String,
    /// Azure reported it Succeeded at its last reconcile.
    pub succeeded: bool,
    /// The Kubernetes object is being deleted.
    pub deleting: bool,
    /// Its status is Stalled (a deletion Azure refused cannot hold its endpoint's deletion).
    pub stalled: bool,
}

/// The keys Secret, as the controller found it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeysState {
    /// No `keysSecret`, or an auth mode without keys.
    NotWanted,
    /// The Secret does not exist yet.
    Missing,
    /// The Secret holds keys fetched at this time and names the primary key active (or, written
    /// before rotation existed, none).
    SyncedAt(Timestamp),
    /// The Secret holds keys fetched at `synced_at` and names `active` the one to use.
    Keys {
        /// When the keys were fetched.
        synced_at: Timestamp,
        /// The Secret's `activeKey`.
        active: crate::keys::KeySlot,
    },
    /// The Secret holds a token (`authMode: AMLToken`) fetched at `synced_at`.
    Token {
        /// When the token was fetched.
        synced_at: Timestamp,
        /// Azure's `refreshAfterTimeUtc`.
        refresh_after: Option<Timestamp>,
        /// Azure's `expiryTimeUtc`.
        expires: Option<Timestamp>,
    },
}

/// Everything the endpoint planner needs, observed by the controller.
#[derive(Clone, Debug)]
pub struct EndpointInput<'a> {
    /// `metadata.name`.
    pub name: &'a str,
    /// `metadata.generation`.
    pub generation: Option<i64>,
    /// The spec.
    pub spec: &'a OnlineEndpointSpec,
    /// The status as stored.
    pub status: &'a OnlineEndpointStatus,
    /// `metadata.deletionTimestamp` is set.
    pub deleting: bool,
    /// The resolved Workspace, or why it is not usable.
    pub workspace: Result<&'a WorkspaceView, String>,
    /// GET of the endpoint.
    pub observed: &'a Observation,
    /// Poll of `status.operation`.
    pub operation: &'a OperationOutcome,
    /// The OnlineDeployments that name this endpoint.
    pub deployments: &'a [DeploymentView],
    /// Another object of this endpoint's tree has an Azure write in flight (its name).
    pub tree_busy: Option<&'a str>,
    /// The keys Secret.
    pub keys: KeysState,
    /// How old the keys in the Secret may get before they are fetched again (keys regenerated in
    /// Azure show up within this time).
    pub keys_refresh: std::time::Duration,
    /// The `aml-operator.io/rotate-keys` annotation (each new value starts one key rotation).
    pub rotate_keys_request: Option<&'a str>,
    /// Owner tag, annotations, claims and deletion time.
    pub lifecycle: &'a Lifecycle,
    /// `metadata.namespace` (deployments of this endpoint are tagged `OnlineDeployment/<ns>/...`).
    pub namespace: &'a str,
    /// The deployments Azure lists under the endpoint, read when it is about to be deleted (Azure
    /// deletes them with it, so none may be someone else's).
    pub azure_deployments: Option<&'a [serde_json::Value]>,
    /// The time.
    pub now: Timestamp,
}

fn plan(
    action: Action,
    status: OnlineEndpointStatus,
    requeue: Requeue,
) -> Plan<OnlineEndpointStatus> {
    Plan {
        action,
        status,
        requeue,
        events: Vec::new(),
        drift: Vec::new(),
    }
}

/// Copies what Azure reports into status.
fn observe_into(status: &mut OnlineEndpointStatus, resource: &serde_json::Value) {
    use crate::observe::{bounded, bounded_traffic};
    let id_max = api::common::bounds::RESOURCE_ID as usize;
    status.azure_resource_id = str_at(resource, "/id")
        .map(|id| bounded(id, id_max))
        .or(status.azure_resource_id.take());
    status.provisioning_state = provisioning_state(resource).map(|p| bounded(p.as_str(), 64));
    status.scoring_uri = str_at(resource, "/properties/scoringUri").map(|u| bounded(u, 2048));
    status.swagger_uri = str_at(resource, "/properties/swaggerUri").map(|u| bounded(u, 2048));
    status.public_network_access = Some(bounded(observed_public_access(resource), 32));
    // Azure's ManagedServiceIdentity.principalId (a GUID): what teams grant roles to.
    status.identity_principal_id = str_at(resource, "/identity/principalId")
        .filter(|p| !p.is_empty())
        .map(|p| bounded(p, 64));
    status.traffic = bounded_traffic(observed_traffic(resource, "traffic"));
    status.mirror_traffic = bounded_traffic(observed_traffic(resource, "mirrorTraffic"));
}

/// The traffic to send: the spec's once every deployment with a share is Succeeded (zero
/// entries only for deployments that exist), else what Azure has. Also returns the deployments
/// the spec's traffic waits for.
fn decide_traffic(
    v: &ValidatedEndpoint,
    observed: Option<&serde_json::Value>,
    deployments: &[DeploymentView],
) -> (BTreeMap<String, i32>, BTreeMap<String, i32>, Vec<String>) {
    let succeeded = |name: &str| {
        deployments
            .iter()
            .any(|d| d.succeeded && !d.deleting && d.azure_name.eq_ignore_ascii_case(name))
    };
    let mut waiting = Vec::new();
    let mut pick = |map: &BTreeMap<crate::validate::AzureName, i32>| -> BTreeMap<String, i32> {
        let mut out = BTreeMap::new();
        for (name, pct) in map {
            if succeeded(name.as_str()) {
                out.insert(name.to_string(), *pct);
            } else if *pct > 0 {
                waiting.push(name.to_string());
            }
        }
        out
    };
    let traffic = pick(&v.traffic);
    let mirror = pick(&v.mirror_traffic);
    if waiting.is_empty() {
        (traffic, mirror, waiting)
    } else {
        let keep = |field| {
            observed
                .map(|o| observed_traffic(o, field))
                .unwrap_or_default()
        };
        (keep("traffic"), keep("mirrorTraffic"), waiting)
    }
}

/// Decides the next step for an endpoint.
pub fn plan_endpoint(input: &EndpointInput<'_>) -> Plan<OnlineEndpointStatus> {
    let generation = input.generation;
    let now = input.now;
    let mut status = input.status.clone();
    crate::lifecycle::lift_lifecycle_stall(&mut status);

    let v = match validate_endpoint(input.name, input.spec)
        .map_err(|e| e.to_string())
        .and_then(|v| with_owner_tags(v, input.lifecycle))
        .and_then(|v| crate::keys::keys_config(input.spec).map(|_| v))
    {
        Ok(v) => v,
        // An invalid spec does not block deletion of what exists.
        Err(_) if input.deleting => return plan_delete(input, input.name, status),
        Err(err) => {
            stalled(&mut status, generation, Reason::InvalidSpec, err, now);
            return plan(Action::None, status, Requeue::After(crate::STALLED_RETRY));
        }
    };

    if let Some(requeue) = crate::lifecycle::refuse(
        input.lifecycle,
        &mut status,
        input.observed,
        input.deleting,
        &format!("endpoint {}", v.azure_name),
        "OnlineEndpoint",
        input.name,
        generation,
        now,
    ) {
        return plan(Action::None, status, requeue);
    }

    if let Some(resource) = input.observed.found() {
        observe_into(&mut status, resource);
    }

    // An operation in flight is resumed, never re-issued.
    let mut events = match resume_operation(
        &mut status,
        generation,
        input.operation,
        &format!("endpoint {}", v.azure_name),
        now,
    ) {
        Resumed::Waiting(requeue) => return plan(Action::None, status, requeue),
        Resumed::Failed(requeue, note) => {
            let mut p = plan(Action::None, status, requeue);
            p.events.push(note);
            return p;
        }
        Resumed::Done(events) => events,
    };

    // What the controller set and the spec dropped is removed (`crate::managed`).
    let mut v = v;
    let (removals, managed) = crate::managed::plan(
        status.managed.as_ref(),
        &input.spec.tags,
        crate::managed::endpoint_paths(input.spec),
        input.observed.found(),
    );
    v.removals = removals;
    status.managed = Some(managed);

    let mut result = plan_steps(input, &v, status);
    events.append(&mut result.events);
    result.events = events;
    result
}

fn plan_steps(
    input: &EndpointInput<'_>,
    v: &ValidatedEndpoint,
    mut status: OnlineEndpointStatus,
) -> Plan<OnlineEndpointStatus> {
    let generation = input.generation;
    let now = input.now;
    let observed = input.observed.found();

    if input.deleting {
        return plan_delete(input, v.azure_name.as_str(), status);
    }

    let workspace = match &input.workspace {
        Ok(ws) => ws,
        Err(why) => {
            progressing(
                &mut status,
                generation,
                Reason::DependencyNotReady,
                why.clone(),
                now,
            );
            return plan(Action::None, status, Requeue::After(WAIT_POLL));
        }
    };
    if status.azure_resource_id.is_none() {
        status.azure_resource_id = Some(workspace.endpoint_id(&v.azure_name));
    }

    let wait_for_tree = |status: &mut OnlineEndpointStatus, who: &str| {
        progressing(
            status,
            generation,
            Reason::WaitingForEndpoint,
            format!("waiting for the Azure operation on {who} to finish"),
            now,
        );
    };

    let Some(resource) = observed else {
        // Missing: create it, private from the first request when the spec says so.
        if let Some(who) = input.tree_busy {
            wait_for_tree(&mut status, who);
            return plan(Action::None, status, Requeue::After(WAIT_POLL));
        }
        if let Some(left) = stall_hold(&status, generation, now) {
            return plan(Action::None, status, Requeue::After(left));
        }
        let empty = BTreeMap::new();
        let body = endpoint_body(v, &workspace.location, None, &empty, &empty);
        let recreate = status.scoring_uri.take().is_some();
        progressing(
            &mut status,
            generation,
            Reason::Creating,
            format!("creating endpoint {}", v.azure_name),
            now,
        );
        let mut p = plan(
            Action::Put {
                kind: OperationKind::Create,
                body,
            },
            status,
            Requeue::Now,
        );
        p.events.push(if recreate {
            EventNote::warning(
                "Recreating",
                format!(
                    "endpoint {} was deleted outside the controller; creating it again",
                    v.azure_name
                ),
            )
        } else {
            EventNote::normal(
                "Creating",
                format!(
                    "creating endpoint {} (publicNetworkAccess {})",
                    v.azure_name,
                    v.public_network_access.as_str()
                ),
            )
        });
        return p;
    };

    let state = provisioning_state(resource).unwrap_or(ProvisioningState::Succeeded);
    if !state.is_terminal() {
        let reason = waiting_reason(&status, generation, Reason::Updating);
        progressing(
            &mut status,
            generation,
            reason,
            format!("Azure reports endpoint {} {}", v.azure_name, state.as_str()),
            now,
        );
        return plan(Action::None, status, Requeue::After(WAIT_POLL));
    }

    let (traffic, mirror, waiting) = decide_traffic(v, Some(resource), input.deployments);
    let drift = endpoint_drift(v, resource, &traffic, &mirror);
    let failed_in_azure = matches!(
        state,
        ProvisioningState::Failed | ProvisioningState::Canceled
    );

    if !drift.is_empty() || failed_in_azure {
        if let Some(left) = stall_hold(&status, generation, now) {
            return plan(Action::None, status, Requeue::After(left));
        }
        if let Some(who) = input.tree_busy {
            wait_for_tree(&mut status, who);
            return plan(Action::None, status, Requeue::After(WAIT_POLL));
        }
        let is_drift = drifting(&status, generation) && !drift.is_empty();
        let body = endpoint_body(v, &workspace.location, Some(resource), &traffic, &mirror);
        let what: Vec<String> = drift.iter().map(ToString::to_string).collect();
        progressing(
            &mut status,
            generation,
            Reason::Updating,
            format!("updating endpoint {}: {}", v.azure_name, what.join("; ")),
            now,
        );
        let mut p = plan(
            Action::Put {
                kind: OperationKind::Update,
                body,
            },
            status,
            Requeue::Now,
        );
        if is_drift {
            p.events.push(EventNote::warning(
                "DriftCorrected",
                format!("endpoint {}: {}; correcting", v.azure_name, what.join("; ")),
            ));
            p.drift = drift;
        } else {
            p.events.push(EventNote::normal(
                "Updating",
                format!("updating endpoint {}: {}", v.azure_name, what.join("; ")),
            ));
        }
        return p;
    }

    if !waiting.is_empty() {
        progressing(
            &mut status,
            generation,
            Reason::DependencyNotReady,
            format!(
                "waiting for deployments {} to be Succeeded before sending them traffic",
                waiting.join(", ")
            ),
            now,
        );
        return plan(Action::None, status, Requeue::After(WAIT_POLL));
    }

    let scoring = status.scoring_uri.clone().unwrap_or_default();
    ready(
        &mut status,
        generation,
        format!(
            "endpoint {} is Succeeded; scoring URI {scoring}",
            v.azure_name
        ),
        now,
    );
    plan_keys_step(input, status)
}

/// The keys Secret's step once the endpoint is Ready with nothing else to do (see
/// [`crate::keys`]).
fn plan_keys_step(
    input: &EndpointInput<'_>,
    mut status: OnlineEndpointStatus,
) -> Plan<OnlineEndpointStatus> {
    // Checked with the rest of the spec before anything was planned.
    let Ok(config) = crate::keys::keys_config(input.spec) else {
        return plan(Action::None, status, Requeue::Sync);
    };
    let regenerate_finished = matches!(input.operation, OperationOutcome::Succeeded)
        && input
            .status
            .operation
            .as_ref()
            .is_some_and(|o| o.kind.eq_ignore_ascii_case("regenerateKeys"));
    let keys = crate::keys::plan_keys(&crate::keys::KeysInput {
        auth_mode: input.spec.auth_mode,
        // The controller reports NotWanted without `keysSecret` (or for AADToken).
        has_secret: input.keys != KeysState::NotWanted,
        config,
        secret: input.keys,
        rotation: input.status.key_rotation.as_ref(),
        request: input.rotate_keys_request,
        regenerate_finished,
        tree_busy: input.tree_busy,
        keys_refresh: input.keys_refresh,
        secret_name: input
            .spec
            .keys_secret
            .as_ref()
            .map_or("", |s| s.name.as_str()),
        now: input.now,
    });
    status.key_rotation = keys.rotation;
    // A wake-up sooner than the keys refresh is asked for; later ones ride on the sync (which
    // the controller holds to the keys refresh for endpoints with a Secret).
    let requeue = match keys.wake {
        Some(d) if d < input.keys_refresh => {
            Requeue::After(d.max(std::time::Duration::from_secs(1)))
        }
        _ => Requeue::Sync,
    };
    let mut p = plan(keys.action, status, requeue);
    p.events = keys.events;
    p
}

/// The validated endpoint with the lifecycle's tags added; a spec tag may not use their keys.
fn with_owner_tags(
    mut v: ValidatedEndpoint,
    lifecycle: &Lifecycle,
) -> Result<ValidatedEndpoint, String> {
    for (key, value) in lifecycle.tags() {
        if v.tags.keys().any(|k| k.eq_ignore_ascii_case(&key)) {
            return Err(format!(
                "spec.tags: the key {key} is reserved for the controller's owner tag"
            ));
        }
        v.tags.insert(key, value);
    }
    Ok(v)
}

fn plan_delete(
    input: &EndpointInput<'_>,
    name: &str,
    status: OnlineEndpointStatus,
) -> Plan<OnlineEndpointStatus> {
    let what = format!("endpoint {name}");
    let live: Vec<&str> = input
        .deployments
        .iter()
        .filter(|d| !d.deleting)
        .map(|d| d.name.as_str())
        .collect();
    let deletion = Deletion {
        what: what.clone(),
        policy: input.spec.deletion_policy,
        lifecycle: input.lifecycle,
        observed: input.observed,
        unreachable: match &input.workspace {
            Err(why) => why.clone(),
            Ok(_) => "Azure could not be read".to_owned(),
        },
        tree_busy: input.tree_busy,
        generation: input.generation,
        now: input.now,
    };
    plan_deletion(
        &deletion,
        status,
        |status| {
            if live.is_empty() {
                return Gate::Pass(status);
            }
            Gate::Stop(wait(
                status,
                &deletion,
                Reason::Deleting,
                format!(
                    "waiting for OnlineDeployments {} to be deleted first (deleting the endpoint in Azure deletes its deployments)",
                    live.join(", ")
                ),
            ))
        },
        |resource, status| endpoint_before_delete(input, &deletion, resource, status),
    )
}

/// What only an endpoint checks before its DELETE: its deployments being deleted go first unless
/// one cannot (it still carries traffic, or Azure refused its deletion), and none of the
/// deployments Azure would delete with it may be someone else's. `Ok` carries the words that
/// name what goes with it.
fn endpoint_before_delete(
    input: &EndpointInput<'_>,
    deletion: &Deletion<'_>,
    resource: &serde_json::Value,
    status: OnlineEndpointStatus,
) -> Gate<OnlineEndpointStatus, (OnlineEndpointStatus, String)> {
    let what = &deletion.what;
    if !input.deployments.is_empty() {
        let carried = |azure_name: &str| {
            let share = |field: &str| {
                observed_traffic(resource, field)
                    .iter()
                    .filter(|(k, _)| k.eq_ignore_ascii_case(azure_name))
                    .map(|(_, v)| i64::from(*v))
                    .sum::<i64>()
            };
            share("traffic") + share("mirrorTraffic") > 0
        };
        let blocked = input
            .deployments
            .iter()
            .any(|d| d.stalled || carried(&d.azure_name));
        if !blocked {
            let names: Vec<&str> = input.deployments.iter().map(|d| d.name.as_str()).collect();
            return Gate::Stop(wait(
                status,
                deletion,
                Reason::Deleting,
                format!(
                    "waiting for OnlineDeployments {} to be deleted first",
                    names.join(", ")
                ),
            ));
        }
    }
    // Azure deletes an endpoint's deployments with it: none may be someone else's.
    let prefix = format!("OnlineDeployment/{}/", input.namespace);
    let foreign: Vec<String> = input
        .azure_deployments
        .unwrap_or_default()
        .iter()
        .filter(|d| {
            let owned = crate::lifecycle::tag(d, crate::lifecycle::OWNER_TAG)
                .is_some_and(|o| o.starts_with(&prefix));
            let keep = crate::lifecycle::tag(d, crate::lifecycle::ADOPTED_TAG)
                .is_some_and(|k| k.eq_ignore_ascii_case("keep"));
            !owned || keep
        })
        .map(|d| str_at(d, "/name").unwrap_or("?").to_owned())
        .collect();
    if !foreign.is_empty() {
        return Gate::Stop(release(
            status,
            EventNote::warning(
                "LeftInAzure",
                format!(
                    "{what} is left in Azure: it holds deployments this namespace did not create or adopted to keep ({}), which deleting it would delete",
                    foreign.join(", ")
                ),
            ),
        ));
    }
    let with = if input.deployments.is_empty() {
        String::new()
    } else {
        let names: Vec<&str> = input
            .deployments
            .iter()
            .map(|d| d.azure_name.as_str())
            .collect();
        format!(" with its deployments {}", names.join(", "))
    };
    Gate::Pass((status, with))
}
