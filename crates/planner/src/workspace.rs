//! Planning a `Workspace` binding: resolve the AML workspace it names and report what Azure has.
//! The workspace is never created or deleted here; a binding in use by endpoints is not released
//! until they are gone.

use api::conditions::Reason;
use api::workspace::IsolationMode;
use api::{WorkspaceSpec, WorkspaceStatus};
use k8s_openapi::jiff::Timestamp;

use crate::observe::{Observation, provisioning_state, str_at};
use crate::outcome::{Action, Plan, Requeue};
use crate::progress::{progressing, ready, stalled};
use crate::validate::WorkspaceView;
use crate::{STALLED_RETRY, WAIT_POLL};

/// Everything the workspace planner needs.
#[derive(Clone, Debug)]
pub struct WorkspaceInput<'a> {
    /// `metadata.generation`.
    pub generation: Option<i64>,
    /// The spec.
    pub spec: &'a WorkspaceSpec,
    /// The status as stored.
    pub status: &'a WorkspaceStatus,
    /// `metadata.deletionTimestamp` is set.
    pub deleting: bool,
    /// GET of the AML workspace.
    pub observed: &'a Observation,
    /// OnlineEndpoints in the namespace that use this Workspace.
    pub endpoints: &'a [String],
    /// The time.
    pub now: Timestamp,
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
    })
}

/// Decides the next step for a Workspace binding.
pub fn plan_workspace(input: &WorkspaceInput<'_>) -> Plan<WorkspaceStatus> {
    let generation = input.generation;
    let now = input.now;
    let mut status = input.status.clone();
    let plan = |action, status, requeue| Plan {
        action,
        status,
        requeue,
        events: Vec::new(),
        drift: Vec::new(),
    };

    if input.deleting {
        if !input.endpoints.is_empty() {
            progressing(
                &mut status,
                generation,
                Reason::Deleting,
                format!(
                    "waiting for OnlineEndpoints {} that use this Workspace to be deleted",
                    input.endpoints.join(", ")
                ),
                now,
            );
            return plan(Action::None, status, Requeue::After(WAIT_POLL));
        }
        return plan(Action::RemoveFinalizer, status, Requeue::Sync);
    }

    match input.observed {
        Observation::Found(resource) => {
            status.azure_resource_id = str_at(resource, "/id")
                .map(str::to_owned)
                .or(Some(input.spec.resource_id.clone()));
            status.location = str_at(resource, "/location").map(str::to_owned);
            status.provisioning_state = provisioning_state(resource).map(|p| p.as_str().to_owned());
            status.public_network_access =
                Some(crate::body::observed_public_access(resource).to_owned());
            status.managed_network_isolation_mode =
                observed_isolation_mode(resource).map(|m| m.as_str().to_owned());
            if status.location.is_none() {
                stalled(
                    &mut status,
                    generation,
                    Reason::AzureRejected,
                    "Azure returned the workspace without a location",
                    now,
                );
                return plan(Action::None, status, Requeue::After(STALLED_RETRY));
            }
            ready(
                &mut status,
                generation,
                format!("bound to {}", input.spec.resource_id),
                now,
            );
            plan(Action::None, status, Requeue::Sync)
        }
        Observation::Missing => {
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
            plan(
                Action::None,
                status,
                Requeue::After(std::time::Duration::from_secs(60)),
            )
        }
        Observation::Skipped => {
            progressing(
                &mut status,
                generation,
                Reason::Progressing,
                "reading the workspace from Azure",
                now,
            );
            plan(Action::None, status, Requeue::After(WAIT_POLL))
        }
    }
}
