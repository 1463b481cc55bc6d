//! Reconciling an `OnlineEndpoint`: resolve its Workspace and credential, poll its operation or
//! GET it, hand everything to `planner::plan_endpoint`, do the one thing the plan says, write
//! status and Events.

use std::sync::Arc;

use api::{OnlineDeployment, OnlineEndpoint, OnlineEndpointStatus, Workspace};
use arm::ResourceId;
use k8s_openapi::jiff::Timestamp;
use kube::api::Api;
use kube::runtime::controller::Action as KubeAction;
use kube::runtime::reflector::ObjectRef;
use kube::{Resource, ResourceExt};
use planner::endpoint_isolation::{
    DeploymentEgress, EndpointIsolationInput, apply_endpoint_isolation,
};
use planner::progress::first_seen;
use planner::{
    Action, DeploymentView, EndpointInput, KeysState, Observation, OperationOutcome, Requeue,
    WorkspaceView,
};

use super::{Error, execute_write, finish, key, observe, poll, publish, with_finalizer};
use crate::azure::to_failure;
use crate::context::{Context, TreeKey};
use crate::keys;
use crate::status_patch::patch_status;

const KIND: &str = "OnlineEndpoint";

/// The Workspace an object in `namespace` names, usable or why not.
pub fn resolve_workspace(
    ctx: &Context,
    namespace: &str,
    name: &str,
) -> (Option<Arc<Workspace>>, Result<WorkspaceView, String>) {
    // Same namespace only: a Workspace of the same name elsewhere is never used.
    let Some(ws) = ctx
        .stores
        .workspaces
        .get(&ObjectRef::new(name).within(namespace))
    else {
        return (
            None,
            Err(format!(
                "Workspace {name} not found in namespace {namespace}"
            )),
        );
    };
    // Bound is enough: an endpoint's own NetworkIsolated (and so its Ready) waits for the
    // Workspace's, while its drift is corrected even when the Workspace's network is not done.
    let status = ws.status.clone().unwrap_or_default();
    let view = planner::workspace_binding(name, &ws.spec, &status);
    (Some(ws), view)
}

/// The deployments that name `endpoint`, as the planner sees them.
pub fn deployment_views(
    ctx: &Context,
    namespace: &str,
    endpoint: &str,
) -> Vec<(Arc<OnlineDeployment>, DeploymentView)> {
    ctx.stores
        .deployments
        .state()
        .into_iter()
        .filter(|d| {
            d.namespace().as_deref() == Some(namespace) && d.spec.endpoint_ref.name == endpoint
        })
        .map(|d| {
            let view = deployment_view(&d);
            (d, view)
        })
        .collect()
}

fn deployment_view(d: &OnlineDeployment) -> DeploymentView {
    let status = d.status.as_ref();
    DeploymentView {
        name: d.name_any(),
        azure_name: planner::deployment::deployment_azure_name(
            d.metadata.name.as_deref().unwrap_or_default(),
            &d.spec,
        )
        .to_owned(),
        succeeded: status.and_then(|s| s.provisioning_state.as_deref()) == Some("Succeeded")
            && status.is_some_and(|s| s.azure_resource_id.is_some()),
        deleting: d.meta().deletion_timestamp.is_some(),
        stalled: status.is_some_and(|s| {
            api::conditions::find_condition(&s.conditions, api::conditions::ConditionType::Stalled)
                .is_some_and(|c| c.status == "True")
        }),
    }
}

/// The endpoint object that came first among those naming the same Azure endpoint (same AML
/// workspace and Azure name, in any namespace), when it is not `ep`.
pub fn endpoint_claim(ctx: &Context, ep: &OnlineEndpoint, workspace_id: &str) -> Option<String> {
    let azure_name = ep.spec.azure_name.clone().unwrap_or_else(|| ep.name_any());
    ctx.stores
        .endpoints
        .state()
        .into_iter()
        .filter(|other| other.meta().uid != ep.meta().uid)
        .filter(|other| {
            other
                .spec
                .azure_name
                .clone()
                .unwrap_or_else(|| other.name_any())
                .eq_ignore_ascii_case(&azure_name)
        })
        .filter(|other| super::came_first(&**other, ep))
        .find(|other| {
            let ns = other.namespace().unwrap_or_default();
            ctx.stores
                .workspaces
                .get(&ObjectRef::new(&other.spec.workspace_ref.name).within(&ns))
                .is_some_and(|w| w.spec.resource_id.eq_ignore_ascii_case(workspace_id))
        })
        .map(|other| format!("OnlineEndpoint {}", key(&*other)))
}

/// What an endpoint's reconcile reads of one of its deployments, as a digest: its view, whether
/// it has an operation in flight (the tree is busy), and its spec (egress) by generation. A
/// deployment change that leaves this the same does not wake the endpoint.
pub fn deployment_relevance(d: &OnlineDeployment) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (
        d.namespace(),
        &d.spec.endpoint_ref.name,
        deployment_view(d),
        d.meta().generation,
        d.status.as_ref().is_some_and(|s| s.operation.is_some()),
    )
        .hash(&mut h);
    h.finish()
}

/// Reconciles one endpoint.
pub async fn reconcile(ep: Arc<OnlineEndpoint>, ctx: Arc<Context>) -> Result<KubeAction, Error> {
    with_finalizer(KIND, ep, ctx.clone(), |obj, deleting| async move {
        step(obj, &ctx, deleting).await
    })
    .await
}

async fn step(ep: Arc<OnlineEndpoint>, ctx: &Context, deleting: bool) -> Result<KubeAction, Error> {
    let namespace = ep.namespace().unwrap_or_default();
    let name = ep.name_any();
    let api: Api<OnlineEndpoint> = Api::namespaced(ctx.client.clone(), &namespace);
    let tree: TreeKey = (namespace.clone(), name.clone());
    let me = format!("endpoint {name}");
    let _guard = ctx.trees.lock(&tree).await;
    let now = Timestamp::now();
    let generation = ep.meta().generation;

    let mut stored = ep.status.clone().unwrap_or_default();
    if stored.conditions.is_empty() {
        let mut first = stored.clone();
        first_seen(&mut first, generation, now);
        patch_status(&api, &name, &stored, &first)
            .await
            .map_err(|e| Error::kube("write the first status", e))?;
        stored = first;
    }

    let (workspace, view) = resolve_workspace(ctx, &namespace, &ep.spec.workspace_ref.name);
    let deployments = deployment_views(ctx, &namespace, &name);
    let views: Vec<DeploymentView> = deployments.iter().map(|(_, v)| v.clone()).collect();
    let tree_busy = ctx.trees.other_in_flight(&tree, &me).or_else(|| {
        deployments
            .iter()
            .find(|(d, _)| d.status.as_ref().is_some_and(|s| s.operation.is_some()))
            .map(|(d, _)| format!("deployment {}", d.name_any()))
    });

    // The ARM id: from the Workspace, or (deleting without a Workspace) from status.
    let azure_name = ep.spec.azure_name.clone().unwrap_or_else(|| name.clone());
    let id = match &view {
        Ok(v) => ResourceId::parse(&v.arm_id)
            .and_then(|ws| ws.online_endpoint(&azure_name))
            .ok(),
        Err(_) => stored
            .azure_resource_id
            .as_deref()
            .and_then(|s| ResourceId::parse(s).ok()),
    };

    let mut lifecycle = super::lifecycle_of(KIND, &*ep);
    if let Some(ws) = &workspace {
        lifecycle.claimed_by = endpoint_claim(ctx, &ep, &ws.spec.resource_id);
    }

    let mut status = stored.clone();
    let mut operation = OperationOutcome::None;
    let mut observed = Observation::Skipped;
    let mut azure_deployments: Option<Vec<serde_json::Value>> = None;
    let mut failure = None;
    let claimed = lifecycle.claimed_by.is_some() && !deleting;
    let client = match &workspace {
        Some(ws) if id.is_some() && !claimed => {
            match ctx
                .azure
                .for_workspace_or_last(&ctx.client, ws, deleting)
                .await
            {
                Ok(c) => Some(c),
                Err(problem) => {
                    failure = Some(problem.to_failure());
                    None
                }
            }
        }
        _ => None,
    };
    if let (Some(client), Some(id)) = (&client, &id) {
        match poll(client, stored.operation.as_ref()).await {
            Ok(outcome) => operation = outcome,
            Err(e) => failure = Some(to_failure(&e)),
        }
        if failure.is_none() {
            match observe(client, id, &operation).await {
                Ok(o) => observed = o,
                Err(e) => failure = Some(to_failure(&e)),
            }
        }
        // About to be deleted: Azure deletes its deployments with it, so read which they are.
        if failure.is_none() && deleting && matches!(observed, Observation::Found(_)) {
            match client.list::<serde_json::Value>(id, "deployments").await {
                Ok(list) => azure_deployments = Some(list),
                Err(e) => failure = Some(to_failure(&e)),
            }
        }
    }
    if let Some(f) = failure {
        if let Some(done) = super::give_up_deletion(
            ctx,
            &*ep,
            deleting,
            &f,
            stored
                .azure_resource_id
                .as_deref()
                .unwrap_or("the endpoint"),
        )
        .await
        {
            return Ok(done);
        }
        let requeue = planner::progress::failed_within(
            &mut status,
            generation,
            &f,
            false,
            now,
            ctx.busy_stall_after,
        );
        patch_status(&api, &name, &stored, &status)
            .await
            .map_err(|e| Error::kube("write status", e))?;
        return finish(deleting, requeue, &*ep, ctx);
    }
    if !matches!(
        operation,
        OperationOutcome::Pending { .. } | OperationOutcome::None
    ) {
        ctx.trees.set_in_flight(&tree, &me, false);
    }

    let keys_state = if deleting {
        KeysState::NotWanted
    } else {
        keys::keys_state(&ctx.client, &ep)
            .await
            .map_err(|e| Error::kube("read the keys Secret", e))?
    };
    let input = EndpointInput {
        name: &name,
        generation,
        spec: &ep.spec,
        status: &stored,
        deleting,
        workspace: view.as_ref().map_err(Clone::clone),
        observed: &observed,
        operation: &operation,
        deployments: &views,
        tree_busy: tree_busy.as_deref(),
        keys: keys_state,
        keys_refresh: ctx.keys_refresh,
        lifecycle: &lifecycle,
        namespace: &namespace,
        azure_deployments: azure_deployments.as_deref(),
        now,
    };
    let plan = planner::plan_endpoint(&input);
    let plan = if deleting {
        plan
    } else {
        let is_write = plan.action.is_write();
        planner::lifecycle::apply_policy(plan, &lifecycle, is_write, Action::None, generation, now)
    };
    tracing::debug!(endpoint = %key(&*ep), action = ?plan.action, "planned");
    let mut status: OnlineEndpointStatus = plan.status.clone();
    if !deleting {
        let egress: Vec<DeploymentEgress> = deployments
            .iter()
            .filter(|(_, v)| !v.deleting)
            .map(|(d, v)| DeploymentEgress {
                name: v.azure_name.clone(),
                egress: d.spec.egress_public_network_access,
            })
            .collect();
        let ws_status = workspace
            .as_ref()
            .map(|w| w.status.clone().unwrap_or_default());
        apply_endpoint_isolation(
            &mut status,
            &EndpointIsolationInput {
                generation,
                spec: &ep.spec,
                workspace: ws_status.as_ref().map(planner::network_isolated),
                managed_network: view.as_ref().ok().and_then(|v| v.managed_network),
                deployments: &egress,
            },
            now,
        );
    }
    let mut requeue = plan.requeue;
    // A keys Secret refreshed more often than the sync interval needs its own wake-up.
    if requeue == Requeue::Sync
        && keys_state != KeysState::NotWanted
        && ctx.keys_refresh < ctx.sync_interval
    {
        requeue = Requeue::After(ctx.keys_refresh);
    }
    let mut events = plan.events.clone();

    match (&plan.action, &client, &id) {
        (Action::Put { .. } | Action::Patch { .. } | Action::Delete, Some(client), Some(id)) => {
            if let Some(r) = execute_write(
                ctx,
                client,
                id,
                &plan.action,
                &mut status,
                generation,
                (&tree, &me),
                &mut events,
            )
            .await
            {
                requeue = r;
            }
        }
        (Action::SyncKeys, Some(client), Some(id)) => {
            if let Err(e) = keys::sync_keys(
                &ctx.client,
                client,
                &ep,
                id,
                status.scoring_uri.as_deref(),
                now,
            )
            .await
            {
                tracing::warn!(endpoint = %key(&*ep), error = %e, "keys not synced");
                events.push(planner::EventNote::warning("KeysNotSynced", e.to_string()));
                requeue = Requeue::After(planner::WAIT_POLL);
            } else {
                events.push(planner::EventNote::normal(
                    "KeysSynced",
                    format!(
                        "wrote the endpoint's keys to Secret {}",
                        ep.spec
                            .keys_secret
                            .as_ref()
                            .map(|s| s.name.as_str())
                            .unwrap_or_default()
                    ),
                ));
            }
        }
        _ => {}
    }
    for d in &plan.drift {
        ctx.metrics.drift_corrected(KIND, &d.field);
    }
    ctx.metrics
        .set_in_flight("all", ctx.trees.in_flight_count());
    publish(ctx, &*ep, &events).await;
    patch_status(&api, &name, &stored, &status)
        .await
        .map_err(|e| Error::kube("write status", e))?;
    if plan.action == Action::RemoveFinalizer {
        return Ok(KubeAction::await_change());
    }
    finish(deleting, requeue, &*ep, ctx)
}
