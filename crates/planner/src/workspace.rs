//! Planning a `Workspace`: bind the AML workspace it names and make its network what the spec
//! declares (see [`crate::network`] for the legs). The AML workspace is never created or
//! deleted here; a Workspace in use by endpoints is not released until they are gone.
//!
//! Ready means every declared leg holds; `NetworkIsolated` means the workspace is private
//! (public access off and every leg holding), its message naming each leg that does not.
//! One Azure write is in flight per Workspace, recorded in `status.operation` and resumed.

use api::conditions::{ConditionType, NewCondition, Reason, find_condition, set_condition};
use api::workspace::IsolationMode;
use api::{DeletionPolicy, WorkspaceSpec, WorkspaceStatus};
use k8s_openapi::jiff::Timestamp;

use crate::network::associated::{
    approved_outbound, associated_findings, associated_reads, enforce_targets, image_build_problem,
    observed_resource,
};
use crate::network::ids::same_id;
use crate::network::insights::recorded_reads;
use crate::network::legs::{Evaluation, Finding, LegState, evaluate};
use crate::network::removed::{plan_removal, removed_endpoints};
use crate::network::teardown::{TeardownStep, next_step, scoped_cleanup};
use crate::network::{
    NetworkAction, NetworkObservation, NetworkTargets, WorkspaceZones, network_targets,
};
use crate::network::{ids::name_of, owner_value};
use crate::observe::{Observation, OperationOutcome, provisioning_state, str_at};
use crate::outcome::{EventNote, Plan, Requeue};
use crate::progress::{
    Resumed, drifting, progressing, ready, resume_operation, stall_hold, stalled, waiting_reason,
};
use crate::validate::WorkspaceView;
use crate::{STALLED_RETRY, WAIT_POLL};

/// A Workspace plan: its action names its target.
pub type WorkspacePlan = Plan<WorkspaceStatus, NetworkAction>;

/// Everything the workspace planner needs.
#[derive(Clone, Debug)]
pub struct WorkspaceInput<'a> {
    /// `metadata.namespace`.
    pub namespace: &'a str,
    /// `metadata.name`.
    pub name: &'a str,
    /// `metadata.generation`.
    pub generation: Option<i64>,
    /// The spec.
    pub spec: &'a WorkspaceSpec,
    /// The status as stored.
    pub status: &'a WorkspaceStatus,
    /// `metadata.deletionTimestamp` is set.
    pub deleting: bool,
    /// GET of the AML workspace (with its private endpoint connections).
    pub observed: &'a Observation,
    /// What was read of the network legs (see [`workspace_reads`]).
    pub network: &'a NetworkObservation,
    /// Poll of `status.operation`.
    pub operation: &'a OperationOutcome,
    /// Objects in the namespace that use this Workspace (`OnlineEndpoint a`, `OnlineDeployment b`).
    pub endpoints: &'a [String],
    /// Annotations, claims (another Workspace on the same AML workspace with another network
    /// posture) and deletion time.
    pub lifecycle: &'a crate::Lifecycle,
    /// The time.
    pub now: Timestamp,
}

/// The ids the controller reads for a Workspace in the public cloud ([`workspace_reads_in`]
/// with [`WorkspaceZones::AZURE_CLOUD`]).
///
/// # Errors
/// A [`crate::FieldError`] naming the spec field that cannot be turned into ARM ids.
pub fn workspace_reads(
    namespace: &str,
    name: &str,
    spec: &WorkspaceSpec,
) -> Result<NetworkTargets, crate::FieldError> {
    workspace_reads_in(namespace, name, spec, WorkspaceZones::AZURE_CLOUD)
}

/// The ids the controller reads for a Workspace, or why the spec cannot be used; `zones` are the
/// private DNS zone names of the controller's cloud ([`WorkspaceZones::for_cloud`]).
///
/// # Errors
/// A [`crate::FieldError`] naming the spec field that cannot be turned into ARM ids.
pub fn workspace_reads_in(
    namespace: &str,
    name: &str,
    spec: &WorkspaceSpec,
    zones: WorkspaceZones,
) -> Result<NetworkTargets, crate::FieldError> {
    network_targets(&owner_value(namespace, name), spec, zones)
}

/// Every id a Workspace reconciles: [`workspace_reads_in`], then with
/// `associatedResources.mode: Enforce` the private endpoints, zones and public access of the
/// associated resources the AML workspace names (`workspace`, as read) — see
/// [`crate::network::associated::enforce_targets`]; `associated` is what was read of them, in
/// [`associated_reads`] order. The controller reads with these targets and the planner plans
/// with the same, so both agree on which private endpoints are declared.
///
/// # Errors
/// A [`crate::FieldError`] naming the spec field that cannot be turned into ARM ids.
pub fn workspace_targets_in(
    namespace: &str,
    name: &str,
    spec: &WorkspaceSpec,
    zones: WorkspaceZones,
    workspace: &Observation,
    associated: &[Observation],
) -> Result<NetworkTargets, crate::FieldError> {
    let mut targets = workspace_reads_in(namespace, name, spec, zones)?;
    enforce_targets(
        &mut targets,
        spec,
        workspace,
        associated,
        zones.associated(),
    )?;
    Ok(targets)
}

/// The managed network mode Azure reports, if any.
pub fn observed_isolation_mode(resource: &serde_json::Value) -> Option<IsolationMode> {
    match str_at(resource, "/properties/managedNetwork/isolationMode")?
        .to_ascii_lowercase()
        .as_str()
    {
        "allowinternetoutbound" => Some(IsolationMode::AllowInternetOutbound),
        "allowonlyapprovedoutbound" => Some(IsolationMode::AllowOnlyApprovedOutbound),
        "disabled" => Some(IsolationMode::Disabled),
        _ => None,
    }
}

/// What endpoints and deployments need to know of a Ready workspace binding.
pub fn workspace_view(spec: &WorkspaceSpec, status: &WorkspaceStatus) -> Option<WorkspaceView> {
    let location = status.location.clone()?;
    let managed_network = match status.managed_network_isolation_mode.as_deref() {
        Some("AllowInternetOutbound") => Some(IsolationMode::AllowInternetOutbound),
        Some("AllowOnlyApprovedOutbound") => Some(IsolationMode::AllowOnlyApprovedOutbound),
        Some("Disabled") => Some(IsolationMode::Disabled),
        _ => None,
    };
    Some(WorkspaceView {
        arm_id: status
            .azure_resource_id
            .clone()
            .unwrap_or_else(|| spec.resource_id.clone()),
        location,
        managed_network,
        private_endpoint: status.approved_private_endpoint_connections.map(|n| n > 0),
    })
}

/// The binding endpoints and deployments use: the workspace is found in Azure (its id and
/// region known) and its managed network is as declared (a deployment's egress depends on it).
/// Endpoints do not wait for the whole network: their own `NetworkIsolated` (and so their Ready)
/// waits for the Workspace's, while their drift is still corrected.
///
/// # Errors
/// Why the binding cannot be used yet, for the endpoint's or deployment's status.
pub fn workspace_binding(
    name: &str,
    spec: &WorkspaceSpec,
    status: &WorkspaceStatus,
) -> Result<WorkspaceView, String> {
    let waiting = || {
        let why = find_condition(&status.conditions, ConditionType::Ready)
            .map(|c| format!(": {}", c.message))
            .unwrap_or_default();
        format!("waiting for Workspace {name} to bind its AML workspace{why}")
    };
    if status.azure_resource_id.is_none() {
        return Err(waiting());
    }
    let view = workspace_view(spec, status).ok_or_else(waiting)?;
    if let Some(declared) = spec
        .network
        .managed_network
        .as_ref()
        .map(|m| m.isolation_mode)
        && declared != IsolationMode::Disabled
        && view.managed_network != Some(declared)
    {
        return Err(format!(
            "waiting for Workspace {name} to set its managed network to {}",
            declared.as_str()
        ));
    }
    Ok(view)
}

fn plan(action: NetworkAction, status: WorkspaceStatus, requeue: Requeue) -> WorkspacePlan {
    Plan {
        action,
        status,
        requeue,
        events: Vec::new(),
        drift: Vec::new(),
    }
}

/// Decides the next step for a Workspace in the public cloud ([`plan_workspace_in`] with
/// [`WorkspaceZones::AZURE_CLOUD`]).
pub fn plan_workspace(input: &WorkspaceInput<'_>) -> WorkspacePlan {
    plan_workspace_in(input, WorkspaceZones::AZURE_CLOUD)
}

/// Decides the next step for a Workspace; `zones` are the private DNS zone names of the
/// controller's cloud (the same as given to [`workspace_reads_in`]).
pub fn plan_workspace_in(input: &WorkspaceInput<'_>, zones: WorkspaceZones) -> WorkspacePlan {
    let generation = input.generation;
    let now = input.now;
    let mut status = input.status.clone();
    crate::lifecycle::lift_lifecycle_stall(&mut status);

    let targets = match workspace_targets_in(
        input.namespace,
        input.name,
        input.spec,
        zones,
        input.observed,
        &input.network.associated,
    ) {
        Ok(t) => t,
        Err(err) if input.deleting => {
            let mut p = plan(NetworkAction::RemoveFinalizer, status, Requeue::Sync);
            p.events.push(EventNote::warning(
                "Orphaned",
                format!("the network of this Workspace is left in Azure: {err}"),
            ));
            return p;
        }
        Err(err) => {
            stalled(
                &mut status,
                generation,
                Reason::InvalidSpec,
                err.to_string(),
                now,
            );
            return plan(NetworkAction::None, status, Requeue::After(STALLED_RETRY));
        }
    };

    // An operation in flight is resumed, never re-issued.
    let what = status
        .operation
        .as_ref()
        .map(|op| name_of(&op.resource_id).to_owned())
        .unwrap_or_default();
    let mut events = match resume_operation(&mut status, generation, input.operation, &what, now) {
        Resumed::Waiting(requeue) => return plan(NetworkAction::None, status, requeue),
        Resumed::Failed(requeue, note) => {
            let mut p = plan(NetworkAction::None, status, requeue);
            p.events.push(note);
            return p;
        }
        Resumed::Done(events) => events,
    };

    if !input.deleting
        && let Some(first) = &input.lifecycle.claimed_by
    {
        stalled(
            &mut status,
            generation,
            Reason::OwnedByAnother,
            format!(
                "workspace {} is already bound by {first} with another network posture; two Workspaces never fight over one workspace (make their network specs equal, or delete one)",
                name_of(&targets.workspace_id)
            ),
            now,
        );
        let mut p = plan(NetworkAction::None, status, Requeue::After(STALLED_RETRY));
        p.events = events;
        return p;
    }
    let mut result = if input.deleting {
        plan_teardown(input, &targets, status)
    } else {
        plan_apply(input, &targets, status)
    };
    // Turning a managed network on under existing endpoints: Azure requires them to be
    // recreated to use it (Learn: "Workspace managed virtual network isolation", migrating
    // online endpoints). Recreating is the user's choice; say so, by name.
    if let NetworkAction::Patch { body, .. } = &result.action
        && body.pointer("/properties/managedNetwork").is_some()
    {
        let endpoints: Vec<&str> = input
            .endpoints
            .iter()
            .filter(|e| e.starts_with("OnlineEndpoint "))
            .map(|e| e.trim_start_matches("OnlineEndpoint "))
            .collect();
        if !endpoints.is_empty() {
            result.events.push(EventNote::warning(
                "EndpointsNeedRecreating",
                format!(
                    "turning the managed network on: OnlineEndpoints {} were created before it and must be deleted and created again to use it (Azure does not move existing endpoints); until then they report NetworkIsolated=False",
                    endpoints.join(", ")
                ),
            ));
        }
    }
    events.append(&mut result.events);
    result.events = events;
    result
}

fn plan_teardown(
    input: &WorkspaceInput<'_>,
    targets: &NetworkTargets,
    mut status: WorkspaceStatus,
) -> WorkspacePlan {
    let generation = input.generation;
    let now = input.now;
    if !input.endpoints.is_empty() {
        progressing(
            &mut status,
            generation,
            Reason::Deleting,
            format!(
                "waiting for {} that use this Workspace to be deleted",
                input.endpoints.join(", ")
            ),
            now,
        );
        return plan(NetworkAction::None, status, Requeue::After(WAIT_POLL));
    }
    if input.lifecycle.detached() {
        let mut p = plan(NetworkAction::RemoveFinalizer, status, Requeue::Sync);
        p.events.push(EventNote::normal(
            "Orphaned",
            format!(
                "what this Workspace created in Azure is left there (annotation {})",
                api::RECONCILE_POLICY_ANNOTATION
            ),
        ));
        return p;
    }
    let mut scoped_events = Vec::new();
    if input.spec.deletion_policy == DeletionPolicy::Delete {
        // The Azure Monitor scoped resources this Workspace created: first (made last).
        let ids = recorded_reads(None, &input.status.private_link_scoped_resources, true);
        let cleanup = scoped_cleanup(&ids, &input.network.insights.recorded, true);
        status.private_link_scoped_resources = cleanup.keep;
        if let Some(step) = cleanup.step {
            let mut p = deletion_plan(step, targets, status, generation, now);
            p.events.extend(cleanup.events);
            return p;
        }
        scoped_events = cleanup.events;
        let removed = removed_endpoints(targets, input.status);
        let removal = plan_removal(targets, input.status, &removed, &input.network.removed);
        if let Some(step) = removal.step {
            let mut p = deletion_plan(step, targets, status, generation, now);
            p.events.extend(scoped_events);
            return p;
        }
    }
    if input.spec.deletion_policy == DeletionPolicy::Orphan || targets.endpoints.is_empty() {
        let mut p = plan(NetworkAction::RemoveFinalizer, status, Requeue::Sync);
        p.events.extend(scoped_events);
        if !targets.endpoints.is_empty() || !input.status.private_link_scoped_resources.is_empty() {
            p.events.push(EventNote::normal(
                "Orphaned",
                "the private endpoints, DNS zones and links (and Azure Monitor scoped resources) of this Workspace are left in Azure (deletionPolicy Orphan)",
            ));
        }
        return p;
    }
    let mut p = deletion_plan(
        next_step(targets, input.network),
        targets,
        status,
        generation,
        now,
    );
    p.events.extend(scoped_events);
    p
}

/// The plan for a deletion step (of the teardown, or of a private endpoint removed from the
/// spec): the DELETE with an Event, a short wait, or the finalizer's removal once all is gone.
fn deletion_plan(
    step: TeardownStep,
    targets: &NetworkTargets,
    mut status: WorkspaceStatus,
    generation: Option<i64>,
    now: Timestamp,
) -> WorkspacePlan {
    match step {
        TeardownStep::Delete { action, what } => {
            progressing(&mut status, generation, Reason::Deleting, what.clone(), now);
            let mut p = plan(action, status, Requeue::Now);
            p.events.push(EventNote::normal("Deleting", what));
            p
        }
        TeardownStep::Wait(why) => {
            progressing(&mut status, generation, Reason::Deleting, why, now);
            plan(
                NetworkAction::None,
                status,
                Requeue::After(std::time::Duration::from_secs(2)),
            )
        }
        TeardownStep::Done(kept) => {
            let mut p = plan(NetworkAction::RemoveFinalizer, status, Requeue::Sync);
            let mut note = format!(
                "deleted what this Workspace created in Azure; workspace {} and its settings are left as they are",
                name_of(&targets.workspace_id)
            );
            if !kept.is_empty() {
                note.push_str(&format!("; left in place: {}", kept.join(", ")));
            }
            p.events.push(EventNote::normal("Deleted", note));
            p
        }
    }
}

/// Copies what Azure reports of the workspace into status.
fn observe_into(
    status: &mut WorkspaceStatus,
    spec: &WorkspaceSpec,
    resource: &serde_json::Value,
    now: Timestamp,
) {
    // A managed network turned on while this controller watched: remember when, so endpoints
    // created before it can say they must be recreated to use it.
    let was_off = status.provisioning_state.is_some()
        && status
            .managed_network_isolation_mode
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case("Disabled"));
    let is_on = matches!(
        observed_isolation_mode(resource),
        Some(IsolationMode::AllowInternetOutbound | IsolationMode::AllowOnlyApprovedOutbound)
    );
    if was_off && is_on {
        status.managed_network_enabled_at =
            Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(now));
    }
    status.azure_resource_id = str_at(resource, "/id")
        .map(str::to_owned)
        .or(Some(spec.resource_id.clone()));
    status.location = str_at(resource, "/location").map(str::to_owned);
    status.provisioning_state = provisioning_state(resource).map(|p| p.as_str().to_owned());
    status.public_network_access = Some(crate::body::observed_public_access(resource).to_owned());
    status.managed_network_isolation_mode =
        observed_isolation_mode(resource).map(|m| m.as_str().to_owned());
    status.approved_private_endpoint_connections =
        Some(crate::body::approved_private_endpoint_connections(resource));
}

fn plan_apply(
    input: &WorkspaceInput<'_>,
    targets: &NetworkTargets,
    mut status: WorkspaceStatus,
) -> WorkspacePlan {
    let generation = input.generation;
    let now = input.now;
    let resource = match input.observed {
        Observation::Found(resource) => resource,
        Observation::Missing => {
            // Endpoints must not keep using a binding whose workspace is gone.
            status.location = None;
            stalled(
                &mut status,
                generation,
                Reason::DependencyNotReady,
                format!(
                    "AML workspace {} does not exist; create it (Terraform, Bicep, az ml) or fix spec.resourceId",
                    input.spec.resource_id
                ),
                now,
            );
            return plan(
                NetworkAction::None,
                status,
                Requeue::After(std::time::Duration::from_secs(60)),
            );
        }
        Observation::Skipped => {
            progressing(
                &mut status,
                generation,
                Reason::Progressing,
                "reading the workspace from Azure",
                now,
            );
            return plan(NetworkAction::None, status, Requeue::After(WAIT_POLL));
        }
    };
    observe_into(&mut status, input.spec, resource, now);
    if status.location.is_none() {
        stalled(
            &mut status,
            generation,
            Reason::AzureRejected,
            "Azure returned the workspace without a location",
            now,
        );
        return plan(NetworkAction::None, status, Requeue::After(STALLED_RETRY));
    }

    let Evaluation {
        findings,
        endpoints,
    } = evaluate(targets, resource, input.network);
    status.private_endpoints = endpoints;
    let removed = removed_endpoints(targets, input.status);
    let removal = plan_removal(targets, input.status, &removed, &input.network.removed);
    status
        .private_endpoints
        .extend(removal.keep.iter().cloned());
    // Enforced resources are legs of their own (private endpoints, public access); the others
    // (Application Insights, or all of them when observing) are reported as read.
    let reads = associated_reads(input.spec, input.observed);
    let (reported, read): (Vec<_>, Vec<_>) = reads
        .iter()
        .filter(|r| !targets.associated.iter().any(|e| e.id == r.id))
        .filter(|r| {
            !targets
                .insights
                .as_ref()
                .is_some_and(|i| same_id(&i.component_id, &r.id))
        })
        .map(|r| {
            let o = observed_resource(&r.id, &reads, &input.network.associated);
            (r.clone(), o.clone())
        })
        .unzip();
    let mut associated = associated_findings(&reported, &read, approved_outbound(input.observed));
    associated.extend(image_build_problem(
        input.spec,
        input.observed,
        &reads,
        &input.network.associated,
    ));
    set_condition(
        &mut status.conditions,
        isolation_condition(
            targets,
            resource,
            &findings,
            &associated,
            input.spec.network.associated_resources.is_some(),
            generation,
        ),
        now,
    );
    // Scoped resources this Workspace created that the spec no longer asks for.
    let stale = recorded_reads(
        targets.insights.as_ref(),
        &input.status.private_link_scoped_resources,
        false,
    );
    let cleanup = scoped_cleanup(&stale, &input.network.insights.recorded, false);
    status.private_link_scoped_resources = input
        .status
        .private_link_scoped_resources
        .iter()
        .filter(|id| !stale.contains(id))
        .cloned()
        .chain(cleanup.keep)
        .collect();
    let mut p = next_apply_step(
        input,
        targets,
        &findings,
        removal.step.or(cleanup.step),
        status,
    );
    p.events.extend(removal.events);
    p.events.extend(cleanup.events);
    // The scoped resource about to be created is recorded before it exists: it carries no
    // tags, so status is the only mark that this Workspace made it.
    if let (
        Some(insights),
        NetworkAction::Put {
            target,
            kind: crate::outcome::OperationKind::Create,
            ..
        },
    ) = (&targets.insights, &p.action)
        && same_id(target, &insights.scoped_resource_id)
        && !p
            .status
            .private_link_scoped_resources
            .iter()
            .any(|id| same_id(id, target))
    {
        p.status
            .private_link_scoped_resources
            .push(insights.scoped_resource_id.clone());
    }
    p
}

/// The one step of an applying Workspace once Azure has been read: a declared leg to fix, a
/// removed private endpoint to delete, or the conditions for what holds and what waits.
fn next_apply_step(
    input: &WorkspaceInput<'_>,
    targets: &NetworkTargets,
    findings: &[Finding],
    removal: Option<TeardownStep>,
    mut status: WorkspaceStatus,
) -> WorkspacePlan {
    let generation = input.generation;
    let now = input.now;

    // A write Azure refused for good is not re-sent until the slow retry or a spec change,
    // except the one that takes public access away.
    let hold = stall_hold(&status, generation, now).filter(|_| status.last_error.is_some());
    let fix = findings.iter().find_map(|f| match &f.state {
        LegState::Fix(fix) if hold.is_none() || fix.urgent => Some(fix.as_ref()),
        _ => None,
    });
    if let Some(fix) = fix {
        let drifted = drifting(input.status, generation);
        progressing(&mut status, generation, fix.reason, fix.what.clone(), now);
        let mut p = plan(fix.action.clone(), status, Requeue::Now);
        // Every leg this one write corrects (one PATCH may fix public access and managed network).
        let corrected: Vec<_> = findings
            .iter()
            .filter_map(|f| match &f.state {
                LegState::Fix(other) if other.action == fix.action => Some(other.drift.clone()),
                _ => None,
            })
            .collect();
        if drifted {
            let what: Vec<String> = findings
                .iter()
                .filter(|f| matches!(&f.state, LegState::Fix(other) if other.action == fix.action))
                .map(|f| f.problem.clone())
                .collect();
            p.events.push(EventNote::warning(
                "DriftCorrected",
                format!("{} in Azure; correcting: {}", what.join("; "), fix.what),
            ));
            p.drift = corrected;
        } else {
            p.events
                .push(EventNote::normal(fix.event, fix.what.clone()));
        }
        return p;
    }
    if let Some(step) = removal {
        return deletion_plan(step, targets, status, generation, now);
    }
    if let Some(left) =
        hold.filter(|_| findings.iter().any(|f| matches!(f.state, LegState::Fix(_))))
    {
        // Stalled by a refused write; the status says so already (a refused auto-approval is
        // named with the permission it lacks).
        if let Some(message) = linked_authorization_message(&status, targets) {
            stalled(
                &mut status,
                generation,
                Reason::AuthorizationFailed,
                message,
                now,
            );
        }
        return plan(NetworkAction::None, status, Requeue::After(left));
    }
    let blocked: Vec<(Reason, &str)> = findings
        .iter()
        .filter_map(|f| match &f.state {
            LegState::Blocked { reason, message } => Some((*reason, message.as_str())),
            _ => None,
        })
        .collect();
    let waiting: Vec<(Reason, &str)> = findings
        .iter()
        .filter_map(|f| match &f.state {
            LegState::Waiting { reason, message } => Some((*reason, message.as_str())),
            _ => None,
        })
        .collect();
    let join =
        |items: &[(Reason, &str)]| items.iter().map(|(_, m)| *m).collect::<Vec<_>>().join("; ");
    if let Some((reason, _)) = blocked.first() {
        stalled(&mut status, generation, *reason, join(&blocked), now);
        // Drift on other legs is still looked for at every sync.
        return plan(NetworkAction::None, status, Requeue::Sync);
    }
    // A leg waiting on another (public access on its private endpoint) names the wait's
    // cause as Ready's reason: the other leg's (ApprovalPending, Creating, ...).
    let cause = waiting
        .iter()
        .find(|(r, _)| *r != Reason::DependencyNotReady)
        .or(waiting.first());
    if let Some((reason, _)) = cause {
        // A leg that held and now waits on Azure was changed out of band (a person deleting a
        // private endpoint): marked, so its repair once Azure is done counts as drift.
        let reason = waiting_reason(input.status, generation, *reason);
        progressing(&mut status, generation, reason, join(&waiting), now);
        return plan(NetworkAction::None, status, Requeue::After(WAIT_POLL));
    }
    ready(
        &mut status,
        generation,
        format!(
            "bound to {}; every declared network leg holds",
            name_of(&input.spec.resource_id)
        ),
        now,
    );
    plan(NetworkAction::None, status, Requeue::Sync)
}

/// The action automatic approval of a workspace private endpoint connection needs on the
/// workspace (Microsoft Learn, "What is a private endpoint?", approval workflow).
pub const APPROVAL_ACTION: &str =
    "Microsoft.MachineLearningServices/workspaces/privateEndpointConnectionsApproval/action";

/// Stalled's message when Azure refused a private endpoint's automatic approval: ARM answers
/// 403 `LinkedAuthorizationFailed` to a caller that may write the private endpoint but lacks
/// [`APPROVAL_ACTION`] on the workspace (azure-sdk-for-go issue #14306), naming the action only
/// as `PrivateEndpointConnectionsApproval/action`. `None` for any other refusal.
fn linked_authorization_message(
    status: &WorkspaceStatus,
    targets: &NetworkTargets,
) -> Option<String> {
    let error = status.last_error.as_ref()?;
    if !error.code.eq_ignore_ascii_case("LinkedAuthorizationFailed") {
        return None;
    }
    Some(format!(
        "{}: {}. The controller's identity lacks {APPROVAL_ACTION} on workspace {}, which automatic approval (approve: true) needs: grant it, or remove approve: true to send a manual request that an owner of the workspace approves",
        error.code,
        error.message.trim_end_matches('.'),
        name_of(&targets.workspace_id)
    ))
}

/// `NetworkIsolated`: True only when the workspace is private and every leg holds (with
/// `associatedResources`, theirs too); otherwise the message names each leg that does not.
fn isolation_condition(
    targets: &NetworkTargets,
    workspace: &serde_json::Value,
    findings: &[Finding],
    associated: &[String],
    observes_associated: bool,
    generation: Option<i64>,
) -> NewCondition {
    let mut problems: Vec<String> = findings
        .iter()
        .filter(|f| !f.holds_now())
        .map(|f| f.problem.clone())
        .chain(associated.iter().cloned())
        .collect();
    let public = crate::body::observed_public_access(workspace);
    let allowed_public = !public.eq_ignore_ascii_case("Disabled")
        && targets.public_network_access == api::PublicNetworkAccess::Enabled;
    if allowed_public {
        problems.insert(
            0,
            format!("publicNetworkAccess is {public} (allowed by the spec)"),
        );
    }
    if problems.is_empty() {
        let mode = observed_isolation_mode(workspace).unwrap_or(IsolationMode::Disabled);
        let associated = if observes_associated {
            "; storage account, key vault, container registry and Application Insights private"
        } else {
            ""
        };
        return NewCondition::isolated(
            generation,
            format!(
                "public access Disabled; {} private endpoint(s) Approved with private DNS; managed network {}{associated}",
                targets.endpoints.len(),
                mode.as_str()
            ),
        );
    }
    let has = |wanted: Reason| {
        findings.iter().any(|f| match &f.state {
            LegState::Waiting { reason, .. } | LegState::Blocked { reason, .. } => {
                *reason == wanted
            }
            _ => false,
        })
    };
    let reason = if allowed_public && problems.len() == 1 {
        Reason::PublicAccessAllowed
    } else if has(Reason::ConnectionRejected) {
        Reason::ConnectionRejected
    } else if has(Reason::ApprovalPending) {
        Reason::ApprovalPending
    } else {
        Reason::NotIsolated
    };
    NewCondition::not_isolated(
        generation,
        reason,
        format!("not isolated: {}", problems.join("; ")),
    )
}

/// The Workspace's `NetworkIsolated` condition as last written: (true when isolated, message).
pub fn network_isolated(status: &WorkspaceStatus) -> (bool, String) {
    find_condition(&status.conditions, ConditionType::NetworkIsolated).map_or_else(
        || {
            (
                false,
                "the Workspace has not reported NetworkIsolated yet".to_owned(),
            )
        },
        |c| (c.status == "True", c.message.clone()),
    )
}
