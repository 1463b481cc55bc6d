//! Reconciling an `OnlineDeployment`: find its endpoint (same namespace) and Workspace, poll its
//! operation or GET it, hand everything to `planner::plan_deployment`, do the one thing the plan
//! says, write status and Events. Without its endpoint nothing is sent to Azure.

use std::sync::Arc;

use api::{OnlineDeployment, OnlineEndpoint};
use arm::ResourceId;
use k8s_openapi::jiff::Timestamp;
use kube::api::Api;
use kube::runtime::controller::Action as KubeAction;
use kube::runtime::reflector::ObjectRef;
use kube::{Resource, ResourceExt};
use planner::progress::first_seen;
use planner::{Action, DeploymentInput, EndpointView, Observation, OperationOutcome};
use serde_json::Value;

use super::endpoint::resolve_workspace;
use super::{Error, execute_write, finish, observe, poll, publish, with_finalizer};
use crate::azure::to_failure;
use crate::context::{Context, TreeKey};
use crate::status_patch::patch_status;

const KIND: &str = "OnlineDeployment";

fn endpoint_view(ep: &OnlineEndpoint) -> EndpointView {
    let status = ep.status.clone().unwrap_or_default();
    EndpointView {
        azure_name: ep.spec.azure_name.clone().unwrap_or_else(|| ep.name_any()),
        arm_id: status.azure_resource_id.clone(),
        succeeded: status.provisioning_state.as_deref() == Some("Succeeded"),
        deleting: ep.meta().deletion_timestamp.is_some(),
        deleting_in_azure: ep.meta().deletion_timestamp.is_some()
            && ep.spec.deletion_policy == api::DeletionPolicy::Delete
            && !super::lifecycle_of("OnlineEndpoint", ep).detached(),
        traffic: status.traffic,
        mirror_traffic: status.mirror_traffic,
    }
}

fn endpoint_view_empty() -> EndpointView {
    EndpointView {
        azure_name: String::new(),
        arm_id: None,
        succeeded: false,
        deleting: false,
        deleting_in_azure: false,
        traffic: Default::default(),
        mirror_traffic: Default::default(),
    }
}

/// What a deployment's reconcile reads of its endpoint, as a digest: its view, whether it has an
/// operation in flight (the tree is busy) and the Workspace it names. An endpoint change that
/// leaves this the same does not wake its deployments.
pub fn endpoint_relevance(ep: &OnlineEndpoint) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (
        ep.namespace(),
        ep.name_any(),
        &ep.spec.workspace_ref.name,
        endpoint_view(ep),
        ep.status.as_ref().is_some_and(|s| s.operation.is_some()),
    )
        .hash(&mut h);
    h.finish()
}

/// The deployment object that came first among those naming the same Azure deployment (same
/// endpoint and Azure name; endpoints are per namespace, and two endpoints never share an Azure
/// endpoint), when it is not `dep`.
fn deployment_claim(ctx: &Context, dep: &OnlineDeployment) -> Option<String> {
    let name = dep.name_any();
    let azure_name = planner::deployment::deployment_azure_name(&name, &dep.spec).to_owned();
    ctx.stores
        .deployments
        .state()
        .into_iter()
        .filter(|other| other.meta().uid != dep.meta().uid)
        .filter(|other| other.namespace() == dep.namespace())
        .filter(|other| other.spec.endpoint_ref.name == dep.spec.endpoint_ref.name)
        .filter(|other| {
            let other_name = other.name_any();
            planner::deployment::deployment_azure_name(&other_name, &other.spec)
                .eq_ignore_ascii_case(&azure_name)
        })
        .find(|other| super::came_first(&**other, dep))
        .map(|other| format!("OnlineDeployment {}", super::key(&*other)))
}

/// The Workspace in `namespace` whose AML workspace holds `arm_id` (a deployment whose endpoint
/// object is gone still finishes its deletion with its Workspace's credential).
pub fn workspace_holding(
    ctx: &Context,
    namespace: &str,
    arm_id: &str,
) -> Option<Arc<api::Workspace>> {
    let id = arm_id.to_ascii_lowercase();
    ctx.stores
        .workspaces
        .state()
        .into_iter()
        .filter(|w| w.namespace().as_deref() == Some(namespace))
        .find(|w| id.starts_with(&format!("{}/", w.spec.resource_id.to_ascii_lowercase())))
}

/// Reconciles one deployment.
pub async fn reconcile(dep: Arc<OnlineDeployment>, ctx: Arc<Context>) -> Result<KubeAction, Error> {
    with_finalizer(KIND, dep, ctx.clone(), |obj, deleting| async move {
        step(obj, &ctx, deleting).await
    })
    .await
}

async fn step(
    dep: Arc<OnlineDeployment>,
    ctx: &Context,
    deleting: bool,
) -> Result<KubeAction, Error> {
    let namespace = dep.namespace().unwrap_or_default();
    let name = dep.name_any();
    let api: Api<OnlineDeployment> = Api::namespaced(ctx.client.clone(), &namespace);
    let endpoint_name = dep.spec.endpoint_ref.name.clone();
    let tree: TreeKey = (namespace.clone(), endpoint_name.clone());
    let me = format!("deployment {name}");
    let _guard = ctx.trees.lock(&tree).await;
    let now = Timestamp::now();
    let generation = dep.meta().generation;

    let mut stored = dep.status.clone().unwrap_or_default();
    if stored.conditions.is_empty() {
        let mut first = stored.clone();
        first_seen(&mut first, generation, now);
        patch_status(&api, &name, &stored, &first)
            .await
            .map_err(|e| Error::kube("write the first status", e))?;
        stored = first;
    }

    // The endpoint: same namespace only.
    let endpoint = ctx
        .stores
        .endpoints
        .get(&ObjectRef::new(&endpoint_name).within(&namespace));
    let mut ep_view: Result<EndpointView, String> =
        endpoint.as_deref().map(endpoint_view).ok_or_else(|| {
            format!("OnlineEndpoint {endpoint_name} not found in namespace {namespace}")
        });
    let workspace_name = endpoint.as_ref().map(|e| e.spec.workspace_ref.name.clone());
    let (workspace, ws_view) = match &workspace_name {
        Some(ws) => resolve_workspace(ctx, &namespace, ws),
        // Its endpoint object is gone (orphaned or never there): deletion still reaches Azure
        // through the Workspace that holds what status recorded.
        None => match stored
            .azure_resource_id
            .as_deref()
            .filter(|_| deleting)
            .and_then(|id| workspace_holding(ctx, &namespace, id))
        {
            Some(ws) => {
                let name = ws.name_any();
                resolve_workspace(ctx, &namespace, &name)
            }
            None => (
                None,
                Err(format!(
                    "OnlineEndpoint {endpoint_name} not found in namespace {namespace}"
                )),
            ),
        },
    };
    let tree_busy = ctx.trees.other_in_flight(&tree, &me).or_else(|| {
        let endpoint_busy = endpoint
            .as_ref()
            .and_then(|e| e.status.as_ref())
            .is_some_and(|s| s.operation.is_some());
        if endpoint_busy {
            return Some(format!("endpoint {endpoint_name}"));
        }
        ctx.stores
            .deployments
            .state()
            .iter()
            .find(|d| {
                d.namespace().as_deref() == Some(namespace.as_str())
                    && d.spec.endpoint_ref.name == endpoint_name
                    && d.name_any() != name
                    && d.status.as_ref().is_some_and(|s| s.operation.is_some())
            })
            .map(|d| format!("deployment {}", d.name_any()))
    });

    let azure_name = planner::deployment::deployment_azure_name(&name, &dep.spec).to_owned();
    let endpoint_id = ep_view.as_ref().ok().and_then(|v| v.arm_id.clone());
    let id = match endpoint_id {
        Some(eid) => ResourceId::parse(&eid)
            .and_then(|e| e.deployment(&azure_name))
            .ok(),
        None => stored
            .azure_resource_id
            .as_deref()
            .and_then(|s| ResourceId::parse(s).ok()),
    };

    let mut lifecycle = super::lifecycle_of(KIND, &*dep);
    lifecycle.claimed_by = deployment_claim(ctx, &dep);

    let mut status = stored.clone();
    let mut operation = OperationOutcome::None;
    let mut observed = Observation::Skipped;
    let mut azure_traffic = None;
    let mut failure = None;
    // No endpoint: no ARM call at all (unless it is being deleted and we know its id).
    let may_call = deleting || (ep_view.is_ok() && lifecycle.claimed_by.is_none());
    let client = match &workspace {
        Some(ws) if id.is_some() && may_call => {
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
        // A deployment with traffic must not be deleted: read the endpoint's traffic fresh.
        if failure.is_none()
            && deleting
            && matches!(observed, Observation::Found(_))
            && let Some(endpoint_id) = id.parent()
        {
            match client.get_optional::<Value>(&endpoint_id).await {
                Ok(Some(e)) => {
                    let fresh = EndpointView {
                        traffic: planner::body::observed_traffic(&e, "traffic"),
                        mirror_traffic: planner::body::observed_traffic(&e, "mirrorTraffic"),
                        ..endpoint_view_empty()
                    };
                    azure_traffic = Some(fresh.traffic_to(&azure_name));
                    if let Ok(view) = &mut ep_view {
                        view.traffic = fresh.traffic;
                        view.mirror_traffic = fresh.mirror_traffic;
                    }
                }
                Ok(None) => {
                    azure_traffic = Some(0);
                    if let Ok(view) = &mut ep_view {
                        view.traffic.clear();
                        view.mirror_traffic.clear();
                    }
                }
                Err(e) => failure = Some(to_failure(&e)),
            }
        }
    }
    if let Some(f) = failure {
        if let Some(done) = super::give_up_deletion(
            ctx,
            &*dep,
            deleting,
            &f,
            stored
                .azure_resource_id
                .as_deref()
                .unwrap_or("the deployment"),
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
        return finish(deleting, requeue, &*dep, ctx);
    }
    if !matches!(
        operation,
        OperationOutcome::Pending { .. } | OperationOutcome::None
    ) {
        ctx.trees.set_in_flight(&tree, &me, false);
    }

    let input = DeploymentInput {
        name: &name,
        generation,
        spec: &dep.spec,
        status: &stored,
        deleting,
        endpoint: ep_view.as_ref().map_err(Clone::clone),
        workspace: ws_view.as_ref().map_err(Clone::clone),
        observed: &observed,
        operation: &operation,
        tree_busy: tree_busy.as_deref(),
        lifecycle: &lifecycle,
        azure_traffic,
        now,
    };
    let plan = planner::plan_deployment(&input);
    let plan = if deleting {
        plan
    } else {
        let is_write = plan.action.is_write();
        planner::lifecycle::apply_policy(plan, &lifecycle, is_write, Action::None, generation, now)
    };
    tracing::debug!(deployment = %super::key(&*dep), action = ?plan.action, "planned");
    let mut status = plan.status.clone();
    if !deleting
        && let Some(condition) = planner::endpoint_isolation::deployment_isolation(
            generation,
            observed.found(),
            ws_view.as_ref().ok().and_then(|v| v.managed_network),
        )
    {
        api::conditions::set_condition(&mut status.conditions, condition, now);
    }
    let mut requeue = plan.requeue;
    let mut events = plan.events.clone();
    if plan.action.is_write()
        && let (Some(client), Some(id)) = (&client, &id)
        && let Some(r) = execute_write(
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
    for d in &plan.drift {
        ctx.metrics.drift_corrected(KIND, &d.field);
    }
    ctx.metrics
        .set_in_flight("all", ctx.trees.in_flight_count());
    publish(ctx, &*dep, &events).await;
    patch_status(&api, &name, &stored, &status)
        .await
        .map_err(|e| Error::kube("write status", e))?;
    if plan.action == Action::RemoveFinalizer {
        return Ok(KubeAction::await_change());
    }
    finish(deleting, requeue, &*dep, ctx)
}
