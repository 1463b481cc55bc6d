//! The deployment's Azure Monitor autoscale setting, around the deployment's own reconcile:
//! read it (one GET per sync, only with `spec.autoscale` or a setting recorded in status), ask
//! `planner::autoscale` for its step, and send that step (a synchronous PUT or DELETE: autoscale
//! settings are Microsoft.Insights resources, outside the endpoint tree's one-write rule).

use api::{OnlineDeployment, OnlineDeploymentStatus};
use arm::{ArmClient, ResourceId};
use kube::{Resource, ResourceExt};
use planner::autoscale::{AutoscaleInput, AutoscalePlan, AutoscaleStep, plan_autoscale};
use planner::observe::{ProvisioningState, provisioning_state, str_at};
use planner::{EventNote, Lifecycle, Observation, Requeue, WorkspaceView};
use serde_json::Value;

/// How long a failed write of the setting waits before the next try.
const RETRY: std::time::Duration = std::time::Duration::from_secs(60);

/// What the reconcile read of the setting.
#[derive(Debug)]
pub struct SeenSetting {
    /// GET of the setting (`Skipped`: not read).
    pub observed: Observation,
}

impl Default for SeenSetting {
    fn default() -> Self {
        Self {
            observed: Observation::Skipped,
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn input<'a>(
    dep: &'a OnlineDeployment,
    namespace: &'a str,
    name: &'a str,
    lifecycle: &'a Lifecycle,
    deleting: bool,
    deployment_ready: Option<&'a str>,
    workspace: Option<&'a WorkspaceView>,
    stored: &'a OnlineDeploymentStatus,
    observed: &'a Observation,
) -> AutoscaleInput<'a> {
    AutoscaleInput {
        namespace,
        name,
        spec: dep.spec.autoscale.as_ref(),
        owner: &lifecycle.owner,
        deleting,
        keep_in_azure: dep.spec.deletion_policy == api::DeletionPolicy::Orphan
            || lifecycle.detached(),
        deployment_ready,
        workspace,
        recorded: stored.autoscale_setting_id.as_deref(),
        observed,
        drifting: planner::progress::drifting(stored, dep.meta().generation),
    }
}

/// Reads the setting when there is one to read.
///
/// # Errors
/// ARM's error other than the setting's own 404.
pub async fn observe(
    client: Option<&ArmClient>,
    dep: &OnlineDeployment,
    lifecycle: &Lifecycle,
    workspace: Option<&WorkspaceView>,
    stored: &OnlineDeploymentStatus,
    deleting: bool,
) -> Result<SeenSetting, arm::ArmError> {
    let (namespace, name) = (dep.namespace().unwrap_or_default(), dep.name_any());
    let skipped = Observation::Skipped;
    let wanted = planner::autoscale::setting_to_read(&input(
        dep, &namespace, &name, lifecycle, deleting, None, workspace, stored, &skipped,
    ));
    let (Some(client), Some(id)) = (client, wanted) else {
        return Ok(SeenSetting::default());
    };
    let Ok(id) = ResourceId::parse(&id) else {
        // A recorded id that is not an ARM id (status edited by hand): nothing to read.
        return Ok(SeenSetting::default());
    };
    let observed = match client.get_optional::<Value>(&id).await? {
        Some(v) => Observation::Found(v),
        None => Observation::Missing,
    };
    Ok(SeenSetting { observed })
}

/// The setting's step for this reconcile.
pub fn plan(
    dep: &OnlineDeployment,
    seen: &SeenSetting,
    deployment: &Observation,
    workspace: Option<&WorkspaceView>,
    stored: &OnlineDeploymentStatus,
    lifecycle: &Lifecycle,
    deleting: bool,
) -> AutoscalePlan {
    let (namespace, name) = (dep.namespace().unwrap_or_default(), dep.name_any());
    let ready_id = deployment
        .found()
        .filter(|d| provisioning_state(d) == Some(ProvisioningState::Succeeded))
        .and_then(|d| str_at(d, "/id"));
    plan_autoscale(&input(
        dep,
        &namespace,
        &name,
        lifecycle,
        deleting,
        ready_id,
        workspace,
        stored,
        &seen.observed,
    ))
}

/// The step's label for logs.
pub fn label(step: &AutoscaleStep) -> Option<&'static str> {
    match step {
        AutoscaleStep::None => None,
        AutoscaleStep::Put { .. } => Some("autoscale PUT"),
        AutoscaleStep::Delete { .. } => Some("autoscale DELETE"),
    }
}

/// Sends the step. A failure is a Warning Event naming ARM's code and message and a retry in a
/// minute; it never holds up the deployment's own action.
pub async fn execute(
    client: &ArmClient,
    step: &AutoscaleStep,
    events: &mut Vec<EventNote>,
) -> Option<Requeue> {
    let (id, result) = match step {
        AutoscaleStep::None => return None,
        AutoscaleStep::Put { id, body } => {
            let rid = ResourceId::parse(id).ok()?;
            (id, client.put::<_, Value>(&rid, body).await.map(|_| ()))
        }
        AutoscaleStep::Delete { id } => {
            let rid = ResourceId::parse(id).ok()?;
            (id, client.delete(&rid).await)
        }
    };
    match result {
        // Read back on the next reconcile (status records the id; a DELETE clears it then).
        Ok(()) => Some(Requeue::Now),
        Err(e) => {
            tracing::warn!(setting = %id, code = %e.code(), "autoscale setting write failed");
            events.push(EventNote::warning(
                "AutoscaleFailed",
                format!(
                    "failed to {} autoscale setting {id}: {} {}",
                    if matches!(step, AutoscaleStep::Delete { .. }) {
                        "delete"
                    } else {
                        "write"
                    },
                    e.code(),
                    e.message()
                ),
            ));
            Some(Requeue::After(RETRY))
        }
    }
}
