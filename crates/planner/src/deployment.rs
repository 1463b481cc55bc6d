//! Planning an `OnlineDeployment`: created once its endpoint is Succeeded, with egress locked down
//! from the first PUT; scaled by PATCH of `sku.capacity`; updated by a full PUT; deleted only once
//! no traffic goes to it.

use std::collections::BTreeMap;

use api::conditions::Reason;
use api::{OnlineDeploymentSpec, OnlineDeploymentStatus};
use k8s_openapi::jiff::Timestamp;
use serde_json::json;

use crate::body::{deployment_body, deployment_diff, observed_capacity};
use crate::deletion::{Deletion, Gate, plan_deletion, release, wait};
use crate::lifecycle::Lifecycle;
use crate::observe::{
    Observation, OperationOutcome, ProvisioningState, provisioning_state, str_at,
};
use crate::outcome::{Action, EventNote, OperationKind, Plan, Requeue};
use crate::progress::{
    Resumed, drifting, progressing, ready, resume_operation, stall_hold, stalled, waiting_reason,
};
use crate::validate::{WorkspaceView, validate_deployment_pinned};
use crate::{STALLED_RETRY, WAIT_POLL};

/// The deployment's endpoint, as its Kubernetes object reports it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EndpointView {
    /// The endpoint's Azure name.
    pub azure_name: String,
    /// ARM id of the endpoint, once known.
    pub arm_id: Option<String>,
    /// Azure reported it Succeeded at its last reconcile.
    pub succeeded: bool,
    /// The endpoint object is being deleted.
    pub deleting: bool,
    /// The endpoint object is being deleted and its deletion deletes it in Azure (which deletes
    /// its deployments too).
    pub deleting_in_azure: bool,
    /// Live traffic as last observed in Azure. When the deployment is being deleted the controller
    /// reads it fresh from Azure: a deployment with traffic must not be deleted.
    pub traffic: BTreeMap<String, i32>,
    /// Mirror traffic as last observed in Azure.
    pub mirror_traffic: BTreeMap<String, i32>,
}

impl EndpointView {
    /// The share of live plus mirror traffic Azure sends to `deployment`.
    pub fn traffic_to(&self, deployment: &str) -> i32 {
        let find = |m: &BTreeMap<String, i32>| {
            m.iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case(deployment))
                .map(|(_, v)| i64::from(*v))
                .sum::<i64>()
        };
        // Azure's answer may hold any numbers: summed wide, then held to i32.
        let total = find(&self.traffic) + find(&self.mirror_traffic);
        i32::try_from(total.clamp(i64::from(i32::MIN), i64::from(i32::MAX))).unwrap_or(i32::MAX)
    }
}

/// Everything the deployment planner needs, observed by the controller.
#[derive(Clone, Debug)]
pub struct DeploymentInput<'a> {
    /// `metadata.name`.
    pub name: &'a str,
    /// `metadata.generation`.
    pub generation: Option<i64>,
    /// The spec.
    pub spec: &'a OnlineDeploymentSpec,
    /// The status as stored.
    pub status: &'a OnlineDeploymentStatus,
    /// `metadata.deletionTimestamp` is set.
    pub deleting: bool,
    /// The endpoint, or why it is not there (no ARM call is made without it).
    pub endpoint: Result<&'a EndpointView, String>,
    /// The resolved Workspace, or why it is not usable.
    pub workspace: Result<&'a WorkspaceView, String>,
    /// GET of the deployment.
    pub observed: &'a Observation,
    /// Poll of `status.operation`.
    pub operation: &'a OperationOutcome,
    /// Another object of this endpoint's tree has an Azure write in flight (its name).
    pub tree_busy: Option<&'a str>,
    /// Owner tag, annotations, claims and deletion time.
    pub lifecycle: &'a Lifecycle,
    /// The share of live plus mirror traffic Azure's endpoint sends to this deployment, read
    /// fresh when it is about to be deleted (`None`: use the endpoint object's last observation).
    pub azure_traffic: Option<i32>,
    /// The time.
    pub now: Timestamp,
}

fn plan(
    action: Action,
    status: OnlineDeploymentStatus,
    requeue: Requeue,
) -> Plan<OnlineDeploymentStatus> {
    Plan {
        action,
        status,
        requeue,
        events: Vec::new(),
        drift: Vec::new(),
    }
}

/// The Azure name the deployment uses: `spec.azureName` or `metadata.name`.
pub fn deployment_azure_name<'a>(name: &'a str, spec: &'a OnlineDeploymentSpec) -> &'a str {
    spec.azure_name.as_deref().unwrap_or(name)
}

/// Decides the next step for a deployment.
pub fn plan_deployment(input: &DeploymentInput<'_>) -> Plan<OnlineDeploymentStatus> {
    let generation = input.generation;
    let now = input.now;
    let mut status = input.status.clone();
    crate::lifecycle::lift_lifecycle_stall(&mut status);
    let display = deployment_azure_name(input.name, input.spec).to_owned();

    if let Some(requeue) = crate::lifecycle::refuse(
        input.lifecycle,
        &mut status,
        input.observed,
        input.deleting,
        &format!("deployment {display}"),
        "OnlineDeployment",
        input.name,
        generation,
        now,
    ) {
        return plan(Action::None, status, requeue);
    }

    if let Some(resource) = input.observed.found() {
        status.azure_resource_id = str_at(resource, "/id")
            .map(|id| crate::observe::bounded(id, api::common::bounds::RESOURCE_ID as usize))
            .or(status.azure_resource_id.take());
        status.provisioning_state =
            provisioning_state(resource).map(|p| crate::observe::bounded(p.as_str(), 64));
        status.instance_count = observed_capacity(resource);
    }

    let mut events = match resume_operation(
        &mut status,
        generation,
        input.operation,
        &format!("deployment {display}"),
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

    let mut result = if input.deleting {
        plan_delete(input, &display, status)
    } else {
        plan_apply(input, &display, status)
    };
    events.append(&mut result.events);
    result.events = events;
    result
}

fn plan_delete(
    input: &DeploymentInput<'_>,
    display: &str,
    status: OnlineDeploymentStatus,
) -> Plan<OnlineDeploymentStatus> {
    let deletion = Deletion {
        what: format!("deployment {display}"),
        policy: input.spec.deletion_policy,
        lifecycle: input.lifecycle,
        observed: input.observed,
        unreachable: match (&input.endpoint, &input.workspace) {
            (_, Err(why)) | (Err(why), _) => why.clone(),
            _ => "Azure could not be read".to_owned(),
        },
        tree_busy: input.tree_busy,
        generation: input.generation,
        now: input.now,
    };
    plan_deletion(&deletion, status, Gate::Pass, |_, status| {
        deployment_before_delete(input, &deletion, display, status)
    })
}

/// What only a deployment checks before its DELETE: Azure refuses to delete a deployment that
/// still receives traffic, so it waits for its traffic to go (or for its endpoint's deletion to
/// take it), or, when no OnlineEndpoint manages the endpoint any more, is left in Azure.
fn deployment_before_delete(
    input: &DeploymentInput<'_>,
    deletion: &Deletion<'_>,
    display: &str,
    status: OnlineDeploymentStatus,
) -> Gate<OnlineDeploymentStatus, (OnlineDeploymentStatus, String)> {
    let what = &deletion.what;
    let share = match (input.azure_traffic, &input.endpoint) {
        (Some(share), _) => share,
        (None, Ok(endpoint)) => endpoint.traffic_to(display),
        (None, Err(_)) => 0,
    };
    if share <= 0 {
        return Gate::Pass((status, String::new()));
    }
    Gate::Stop(match &input.endpoint {
        Ok(endpoint) if endpoint.deleting_in_azure => wait(
            status,
            deletion,
            Reason::Deleting,
            format!(
                "{what} still receives {share}% of endpoint {}'s traffic; the endpoint is being deleted and takes it with it",
                endpoint.azure_name
            ),
        ),
        Ok(endpoint) => wait(
            status,
            deletion,
            Reason::WaitingForTrafficRemoval,
            format!(
                "{what} still receives {share}% of endpoint {}'s traffic; remove it from the OnlineEndpoint's traffic and mirrorTraffic",
                endpoint.azure_name
            ),
        ),
        Err(_) => {
            // Its endpoint object is gone (orphaned): nothing here may move the traffic, and
            // Azure refuses to delete a deployment that has some.
            let endpoint = status
                .azure_resource_id
                .as_deref()
                .and_then(|id| id.rsplit_once("/deployments/"))
                .map(|(ep, _)| ep.rsplit('/').next().unwrap_or(ep).to_owned())
                .unwrap_or_default();
            release(
                status,
                EventNote::warning(
                    "LeftInAzure",
                    format!(
                        "{what} is left in Azure: it still receives {share}% of endpoint {endpoint}'s traffic, and no OnlineEndpoint manages that endpoint any more"
                    ),
                ),
            )
        }
    })
}

fn plan_apply(
    input: &DeploymentInput<'_>,
    display: &str,
    mut status: OnlineDeploymentStatus,
) -> Plan<OnlineDeploymentStatus> {
    let generation = input.generation;
    let now = input.now;
    // Stalled for this generation stays Stalled until the slow retry, whatever the endpoint does
    // meanwhile: the deployment's own failed operation is what made the endpoint Updating.
    if let Some(left) = stall_hold(&status, generation, now) {
        return plan(Action::None, status, Requeue::After(left));
    }
    let endpoint = match &input.endpoint {
        Ok(e) if e.succeeded && !e.deleting && e.arm_id.is_some() => e,
        Ok(e) if e.deleting => {
            progressing(
                &mut status,
                generation,
                Reason::DependencyNotReady,
                format!("OnlineEndpoint {} is being deleted", e.azure_name),
                now,
            );
            return plan(Action::None, status, Requeue::After(WAIT_POLL));
        }
        Ok(e) => {
            progressing(
                &mut status,
                generation,
                Reason::DependencyNotReady,
                format!(
                    "waiting for endpoint {} to be Succeeded in Azure",
                    e.azure_name
                ),
                now,
            );
            return plan(Action::None, status, Requeue::After(WAIT_POLL));
        }
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
    let v = match validate_deployment_pinned(
        input.name,
        input.spec,
        workspace,
        status.resolved_assets.as_ref(),
    )
    .map_err(|e| e.to_string())
    .and_then(|mut v| {
        for (key, value) in input.lifecycle.tags() {
            if v.tags.keys().any(|k| k.eq_ignore_ascii_case(&key)) {
                return Err(format!(
                    "spec.tags: the key {key} is reserved for the controller's owner tag"
                ));
            }
            v.tags.insert(key, value);
        }
        Ok(v)
    }) {
        Ok(v) => v,
        Err(err) => {
            stalled(&mut status, generation, Reason::InvalidSpec, err, now);
            return plan(Action::None, status, Requeue::After(STALLED_RETRY));
        }
    };
    // With autoscale the instance count Azure has within the bounds is the autoscaler's.
    let mut v = v;
    v.instance_count = crate::autoscale::effective_capacity(
        input.spec.autoscale.as_ref(),
        v.instance_count,
        input.observed.found().and_then(observed_capacity),
    );
    // What the controller set and the spec dropped is removed (`crate::managed`).
    let (removals, managed) = crate::managed::plan(
        status.managed.as_ref(),
        &input.spec.tags,
        crate::managed::deployment_paths(input.spec),
        input.observed.found(),
    );
    status.managed = Some(managed);
    let v = {
        let mut v = v;
        v.removals = removals;
        v
    };
    if status.azure_resource_id.is_none()
        && let Some(endpoint_id) = &endpoint.arm_id
    {
        status.azure_resource_id = Some(format!("{endpoint_id}/deployments/{}", v.azure_name));
    }
    let egress_warning = v.egress_ignored.then(|| {
        EventNote::warning(
            "EgressFlagIgnored",
            format!("deployment {display}: the workspace has a managed network, which replaces egressPublicNetworkAccess; the flag is not sent"),
        )
    });
    let wait_for_tree = |status: &mut OnlineDeploymentStatus, who: &str| {
        progressing(
            status,
            generation,
            Reason::WaitingForEndpoint,
            format!("waiting for the Azure operation on {who} to finish"),
            now,
        );
    };

    let Some(resource) = input.observed.found() else {
        if let Some(who) = input.tree_busy {
            wait_for_tree(&mut status, who);
            return plan(Action::None, status, Requeue::After(WAIT_POLL));
        }
        if let Some(left) = stall_hold(&status, generation, now) {
            return plan(Action::None, status, Requeue::After(left));
        }
        let body = deployment_body(&v, &workspace.location, None);
        let recreate = status.instance_count.take().is_some();
        progressing(
            &mut status,
            generation,
            Reason::Creating,
            format!("creating deployment {display}"),
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
                    "deployment {display} was deleted outside the controller; creating it again"
                ),
            )
        } else {
            EventNote::normal(
                "Creating",
                format!(
                    "creating deployment {display} ({} x {})",
                    v.instance_count, v.instance_type
                ),
            )
        });
        p.events.extend(egress_warning);
        return p;
    };

    let state = provisioning_state(resource).unwrap_or(ProvisioningState::Succeeded);
    if !state.is_terminal() {
        let reason = waiting_reason(&status, generation, Reason::Updating);
        progressing(
            &mut status,
            generation,
            reason,
            format!("Azure reports deployment {display} {}", state.as_str()),
            now,
        );
        return plan(Action::None, status, Requeue::After(WAIT_POLL));
    }
    let diff = deployment_diff(&v, resource);
    if !diff.immutable.is_empty() {
        let what: Vec<String> = diff.immutable.iter().map(ToString::to_string).collect();
        stalled(
            &mut status,
            generation,
            Reason::InvalidSpec,
            format!(
                "{}; Azure sets these only at create: delete and recreate the OnlineDeployment",
                what.join("; ")
            ),
            now,
        );
        return plan(Action::None, status, Requeue::After(STALLED_RETRY));
    }
    let failed_in_azure = matches!(
        state,
        ProvisioningState::Failed | ProvisioningState::Canceled
    );
    if !diff.update.is_empty() || diff.scale.is_some() || failed_in_azure {
        if let Some(left) = stall_hold(&status, generation, now) {
            return plan(Action::None, status, Requeue::After(left));
        }
        if let Some(who) = input.tree_busy {
            wait_for_tree(&mut status, who);
            return plan(Action::None, status, Requeue::After(WAIT_POLL));
        }
        let is_drift = drifting(&status, generation);
        let mut drift = diff.update.clone();
        let (kind, action) = if diff.update.is_empty() && !failed_in_azure {
            drift.extend(diff.scale.clone());
            (
                OperationKind::Scale,
                Action::Patch {
                    kind: OperationKind::Scale,
                    body: json!({"sku": {"capacity": v.instance_count}}),
                },
            )
        } else {
            drift.extend(diff.scale.clone());
            (
                OperationKind::Update,
                Action::Put {
                    kind: OperationKind::Update,
                    body: deployment_body(&v, &workspace.location, Some(resource)),
                },
            )
        };
        let what: Vec<String> = drift.iter().map(ToString::to_string).collect();
        let what = if what.is_empty() {
            format!("provisioningState is {}", state.as_str())
        } else {
            what.join("; ")
        };
        let reason = if kind == OperationKind::Scale {
            Reason::Scaling
        } else {
            Reason::Updating
        };
        progressing(
            &mut status,
            generation,
            reason,
            format!(
                "{} deployment {display}: {what}",
                kind.as_str().to_lowercase()
            ),
            now,
        );
        let mut p = plan(action, status, Requeue::Now);
        if is_drift && !drift.is_empty() {
            p.events.push(EventNote::warning(
                "DriftCorrected",
                format!("deployment {display}: {what}; correcting"),
            ));
            p.drift = drift;
        } else {
            p.events.push(EventNote::normal(
                if kind == OperationKind::Scale {
                    "Scaling"
                } else {
                    "Updating"
                },
                format!("deployment {display}: {what}"),
            ));
        }
        return p;
    }
    let scaling = input
        .spec
        .autoscale
        .as_ref()
        .map(|a| format!(" (autoscale {}-{})", a.min_instances, a.max_instances))
        .unwrap_or_default();
    ready(
        &mut status,
        generation,
        format!(
            "deployment {display} is Succeeded with {} instance(s){scaling}",
            v.instance_count
        ),
        now,
    );
    let _ = endpoint;
    plan(Action::None, status, Requeue::Sync)
}
