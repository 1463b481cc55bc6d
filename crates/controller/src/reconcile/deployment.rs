//! Reconciling an `OnlineDeployment`: find its endpoint (same namespace) and Workspace, poll its
//! operation or GET it, hand everything to `planner::plan_deployment`, do the one thing the plan
//! says, write status and Events. Without its endpoint nothing is sent to Azure.

use std::sync::Arc;

use api::{OnlineDeployment, OnlineDeploymentStatus, OnlineEndpoint};
use arm::{ArmClient, ResourceId};
use k8s_openapi::jiff::Timestamp;
use kube::runtime::controller::Action as KubeAction;
use kube::runtime::reflector::ObjectRef;
use kube::{Resource, ResourceExt};
use planner::logs::{LogsContainer, LogsFetch, LogsInput};
use planner::{
    Action, DeploymentInput, EndpointView, Lifecycle, Observation, OperationOutcome, Plan, Requeue,
    WorkspaceView,
};
use serde_json::Value;

use super::driver::{Kind, Stop, drive};
use super::endpoint::resolve_workspace;
use super::{Error, execute_write, observe_shared, poll_with_result, with_finalizer};
use crate::azure::to_failure;
use crate::context::{Context, TreeKey};

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
        .deployments_of(
            dep.metadata.namespace.as_deref().unwrap_or_default(),
            &dep.spec.endpoint_ref.name,
        )
        .into_iter()
        .filter(|other| other.meta().uid != dep.meta().uid)
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
        drive(obj, &ctx, deleting).await
    })
    .await
}

/// What a deployment's reconcile read.
pub struct Seen {
    endpoint: Result<EndpointView, String>,
    workspace: Result<WorkspaceView, String>,
    tree_busy: Option<String>,
    id: Option<ResourceId>,
    client: Option<ArmClient>,
    operation: OperationOutcome,
    observed: Observation,
    azure_traffic: Option<i32>,
    /// The deployment's autoscale setting, as read.
    autoscale: super::autoscale::SeenSetting,
    /// `AssetResolved` Events of this sync's label resolution.
    asset_events: Vec<planner::EventNote>,
    /// `status.resolvedAssets` after this sync's label resolution (`None`: unchanged).
    resolved_assets: Option<Option<api::assets::ResolvedAssets>>,
}

/// Resolves the spec's labels (`@latest`) that need it this sync (`planner::assets::lookups`)
/// with one ARM list of the asset's versions each, newest created first, and pins the answers
/// for `status.resolvedAssets` (`None`: nothing to change). A 404 (no such asset, registry or workspace) is the field's
/// answer, named in status; any other error is the reconcile's.
async fn resolve_assets(
    dep: &OnlineDeployment,
    client: &ArmClient,
    workspace_id: &str,
    stored: &OnlineDeploymentStatus,
) -> Result<
    (
        Option<Option<api::assets::ResolvedAssets>>,
        Vec<planner::EventNote>,
    ),
    arm::ArmError,
> {
    use planner::assets::{Lookup, LookupAnswer, lookups, newest, pin};
    let request = dep
        .meta()
        .annotations
        .as_ref()
        .and_then(|a| a.get(api::assets::RESOLVE_ASSETS_ANNOTATION))
        .map(String::as_str);
    let wanted = lookups(
        &dep.spec,
        stored.resolved_assets.as_ref(),
        workspace_id,
        request,
    );
    let labels_in_spec = planner::assets::AssetField::ALL.iter().any(|f| {
        f.reference(&dep.spec)
            .and_then(|r| planner::assets::parse(*f, r).ok())
            .is_some_and(|p| p.is_label())
    });
    if wanted.is_empty() && (labels_in_spec || stored.resolved_assets.is_none()) {
        return Ok((None, Vec::new()));
    }
    let mut answers = Vec::with_capacity(wanted.len());
    for lookup in wanted {
        let answer = match ResourceId::parse(&lookup.asset_id) {
            Err(e) => LookupAnswer::Missing(format!("{} is not an ARM id: {e}", lookup.asset_id)),
            Ok(asset) => {
                match client
                    .list_first_page::<Value>(&asset, "versions", &Lookup::QUERY)
                    .await
                {
                    Ok(items) => {
                        let items: Vec<(String, Option<String>)> = items
                            .iter()
                            .filter_map(|i| {
                                let name = i.get("name").and_then(Value::as_str)?;
                                let created = i
                                    .pointer("/systemData/createdAt")
                                    .and_then(Value::as_str)
                                    .map(str::to_owned);
                                Some((name.to_owned(), created))
                            })
                            .collect();
                        match newest(&items) {
                            Some(version) => LookupAnswer::Found(version),
                            None => {
                                LookupAnswer::Missing(format!("{} has no version", lookup.asset_id))
                            }
                        }
                    }
                    Err(e) if e.class() == arm::ErrorClass::NotFound => LookupAnswer::Missing(
                        format!("{}: {} {}", lookup.asset_id, e.code(), e.message()),
                    ),
                    Err(e) => return Err(e),
                }
            }
        };
        answers.push((lookup, answer));
    }
    let (resolved, events) = pin(
        &dep.spec,
        stored.resolved_assets.as_ref(),
        &answers,
        request,
        &Timestamp::now().to_string(),
    );
    Ok((Some(resolved), events))
}

fn me(dep: &OnlineDeployment) -> String {
    format!("deployment {}", dep.name_any())
}

/// What a deployment's plan asks for: the one Azure action, and the container logs to read
/// (`getLogs`, only when an operation failed, Azure reports the deployment Failed, or the
/// `aml-operator.io/fetch-logs` annotation took a new value; see `planner::logs`).
#[derive(Clone, Debug, PartialEq)]
pub struct DeploymentStep {
    /// The Azure action.
    pub azure: Action,
    /// The logs to read before it.
    pub logs: Option<LogsFetch>,
    /// The step on the deployment's autoscale setting (`spec.autoscale`).
    pub autoscale: planner::autoscale::AutoscaleStep,
}

impl super::driver::PlanAction for DeploymentStep {
    fn writes(&self) -> bool {
        self.azure.is_write() || self.autoscale.is_write()
    }
    fn releases(&self) -> bool {
        super::driver::PlanAction::releases(&self.azure)
    }
    fn nothing() -> Self {
        Self {
            azure: Action::None,
            logs: None,
            autoscale: planner::autoscale::AutoscaleStep::None,
        }
    }
    fn label(&self) -> String {
        let azure = super::driver::PlanAction::label(&self.azure);
        let azure = match super::autoscale::label(&self.autoscale) {
            Some(step) => format!("{azure} + {step}"),
            None => azure,
        };
        match &self.logs {
            Some(logs) => format!(
                "{azure} + getLogs ({}, {})",
                logs.trigger.as_str(),
                logs.containers
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => azure,
        }
    }
}

/// What `getLogs` failing says in status: ARM's status and code and message, never the body
/// of an answer that could not be read (it would be log text).
fn logs_error(e: &arm::ArmError) -> String {
    match (e.origin, e.status()) {
        (arm::ErrorOrigin::Decode, status) => format!(
            "the getLogs answer (HTTP {}) could not be read",
            status.unwrap_or_default()
        ),
        (_, Some(status)) => format!("HTTP {status} {}: {}", e.code(), e.message()),
        (_, None) => format!("{}: {}", e.code(), e.message()),
    }
}

/// Reads the containers' logs the plan asks for (each call bounded by the client's deadline);
/// a failure is that container's answer, never the reconcile's.
async fn read_logs(
    client: &ArmClient,
    id: &ResourceId,
    fetch: &LogsFetch,
) -> Vec<(LogsContainer, Result<String, String>)> {
    let mut out = Vec::with_capacity(fetch.containers.len());
    for container in &fetch.containers {
        let request = arm::models::DeploymentLogsRequest {
            container_type: Some(match container {
                LogsContainer::InferenceServer => arm::models::ContainerType::InferenceServer,
                LogsContainer::StorageInitializer => arm::models::ContainerType::StorageInitializer,
            }),
            tail: Some(i32::try_from(fetch.tail).unwrap_or(i32::MAX)),
            extra: Default::default(),
        };
        let answer = client
            .deployment_logs(id, &request)
            .await
            .map(|logs| logs.content.unwrap_or_default())
            .map_err(|e| logs_error(&e));
        // Only the outcome's shape is logged: log text may hold secrets.
        tracing::debug!(deployment = %id, container = container.as_str(), ok = answer.is_ok(), "read container logs");
        out.push((*container, answer));
    }
    out
}

impl Kind for OnlineDeployment {
    const KIND: &'static str = KIND;
    type Status = OnlineDeploymentStatus;
    type Action = DeploymentStep;
    type Seen = Seen;

    fn stored(&self) -> OnlineDeploymentStatus {
        self.status.clone().unwrap_or_default()
    }
    fn tree(&self) -> Option<TreeKey> {
        Some((
            self.namespace().unwrap_or_default(),
            self.spec.endpoint_ref.name.clone(),
        ))
    }

    async fn observe(
        &self,
        ctx: &Context,
        stored: &mut OnlineDeploymentStatus,
        lifecycle: &mut Lifecycle,
        deleting: bool,
    ) -> Result<Seen, Stop> {
        let namespace = self.namespace().unwrap_or_default();
        let name = self.name_any();
        let endpoint_name = self.spec.endpoint_ref.name.clone();
        let tree: TreeKey = (namespace.clone(), endpoint_name.clone());
        let me = me(self);

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
            // Its endpoint object is gone (orphaned or never there): deletion still reaches
            // Azure through the Workspace that holds what status recorded.
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
                .deployments_of(&namespace, &endpoint_name)
                .iter()
                .find(|d| {
                    d.metadata.name.as_deref() != Some(name.as_str())
                        && d.status.as_ref().is_some_and(|s| s.operation.is_some())
                })
                .map(|d| format!("deployment {}", d.name_any()))
        });

        let azure_name = planner::deployment::deployment_azure_name(&name, &self.spec).to_owned();
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
        lifecycle.claimed_by = deployment_claim(ctx, self);
        if let Some(ws) = &workspace {
            lifecycle.not_permitted = super::not_permitted(ctx, ws).await;
        }
        let left = stored
            .azure_resource_id
            .clone()
            .unwrap_or_else(|| format!("deployment {azure_name}"));
        let azure = |failure| Stop::Azure {
            failure,
            left: left.clone(),
        };

        let mut operation = OperationOutcome::None;
        let mut observed = Observation::Skipped;
        let mut azure_traffic = None;
        let mut asset_events = Vec::new();
        let mut resolved_assets = None;
        // No endpoint: no ARM call at all (unless it is being deleted and we know its id).
        let may_call = lifecycle.not_permitted.is_none()
            && (deleting || (ep_view.is_ok() && lifecycle.claimed_by.is_none()));
        let client = match &workspace {
            Some(ws) if id.is_some() && may_call => Some(
                ctx.azure
                    .for_workspace_or_last(&ctx.client, ws, deleting)
                    .await
                    .map_err(|problem| azure(problem.to_failure()))?,
            ),
            _ => None,
        };
        if let (Some(client), Some(id)) = (&client, &id) {
            let (outcome, final_body) = poll_with_result(client, stored.operation.as_ref())
                .await
                .map_err(|e| azure(to_failure(&e)))?;
            operation = outcome;
            let may_share = !deleting
                && stored.operation.is_none()
                && stored.observed_generation == self.meta().generation;
            // While another object of the tree has a write in flight this one can only wait: a
            // 404 its last reconcile saw still holds for that decision (a create reads again).
            let waiting_missing = !deleting
                && tree_busy.is_some()
                && stored.operation.is_none()
                && ctx.observations.recently_missing(
                    &namespace,
                    &id.to_string(),
                    ctx.observation_max_age(),
                );
            observed = if waiting_missing {
                Observation::Missing
            } else {
                observe_shared(
                    ctx,
                    client,
                    &namespace,
                    id,
                    (&operation, final_body),
                    may_share,
                )
                .await
                .map_err(|e| azure(to_failure(&e)))?
            };
            if !deleting && let Ok(ws) = &ws_view {
                (resolved_assets, asset_events) = resolve_assets(self, client, &ws.arm_id, stored)
                    .await
                    .map_err(|e| azure(to_failure(&e)))?;
            }
            // A deployment with traffic must not be deleted: read the endpoint's traffic fresh.
            if deleting
                && matches!(observed, Observation::Found(_))
                && let Some(endpoint_id) = id.parent()
            {
                let fresh = match client
                    .get_optional::<Value>(&endpoint_id)
                    .await
                    .map_err(|e| azure(to_failure(&e)))?
                {
                    Some(e) => EndpointView {
                        traffic: planner::body::observed_traffic(&e, "traffic"),
                        mirror_traffic: planner::body::observed_traffic(&e, "mirrorTraffic"),
                        ..endpoint_view_empty()
                    },
                    None => endpoint_view_empty(),
                };
                azure_traffic = Some(fresh.traffic_to(&azure_name));
                if let Ok(view) = &mut ep_view {
                    view.traffic = fresh.traffic;
                    view.mirror_traffic = fresh.mirror_traffic;
                }
            }
        }
        let autoscale = super::autoscale::observe(
            client.as_ref(),
            self,
            &*lifecycle,
            ws_view.as_ref().ok(),
            stored,
            deleting,
        )
        .await
        .map_err(|e| azure(to_failure(&e)))?;
        super::settle_in_flight(
            ctx,
            &tree,
            &me,
            stored.operation.is_some(),
            &operation,
            &observed,
        );
        Ok(Seen {
            endpoint: ep_view,
            workspace: ws_view,
            tree_busy,
            id,
            client,
            operation,
            observed,
            azure_traffic,
            autoscale,
            asset_events,
            resolved_assets,
        })
    }

    fn plan(
        &self,
        _ctx: &Context,
        seen: &Seen,
        stored: &OnlineDeploymentStatus,
        lifecycle: &Lifecycle,
        deleting: bool,
        now: Timestamp,
    ) -> Plan<OnlineDeploymentStatus, DeploymentStep> {
        let name = self.name_any();
        let generation = self.meta().generation;
        // This sync's pins go into the status the plan starts from (and so into the status
        // written, which is diffed against what is stored).
        let pinned;
        let stored = match &seen.resolved_assets {
            Some(resolved) => {
                pinned = OnlineDeploymentStatus {
                    resolved_assets: resolved.clone(),
                    ..stored.clone()
                };
                &pinned
            }
            None => stored,
        };
        let mut plan = planner::plan_deployment(&DeploymentInput {
            name: &name,
            generation,
            spec: &self.spec,
            status: stored,
            deleting,
            endpoint: seen.endpoint.as_ref().map_err(Clone::clone),
            workspace: seen.workspace.as_ref().map_err(Clone::clone),
            observed: &seen.observed,
            operation: &seen.operation,
            tree_busy: seen.tree_busy.as_deref(),
            lifecycle,
            azure_traffic: seen.azure_traffic,
            now,
        });
        if !deleting
            && let Some(condition) = planner::endpoint_isolation::deployment_isolation(
                generation,
                seen.observed.found(),
                seen.workspace.as_ref().ok().and_then(|v| v.managed_network),
                seen.workspace
                    .as_ref()
                    .ok()
                    .and_then(|v| v.private_endpoint),
            )
        {
            api::conditions::set_condition(&mut plan.status.conditions, condition, now);
        }
        // The autoscale setting: its id, Events and drift join the deployment's plan.
        let setting = super::autoscale::plan(
            self,
            &seen.autoscale,
            &seen.observed,
            seen.workspace.as_ref().ok(),
            stored,
            lifecycle,
            deleting,
        );
        planner::autoscale::merge(&mut plan, stored, &setting, generation, now);
        // A deployment keeps its finalizer until its setting is deleted (the next reconcile
        // reads it gone).
        if setting.step.is_write() && plan.action == Action::RemoveFinalizer {
            plan.action = Action::None;
            plan.requeue = Requeue::Now;
        }
        let logs = planner::logs::plan_logs(&LogsInput {
            status: stored,
            planned: &plan.status,
            operation: &seen.operation,
            observed: &seen.observed,
            request: self
                .meta()
                .annotations
                .as_ref()
                .and_then(|a| a.get(api::FETCH_LOGS_ANNOTATION))
                .map(String::as_str),
            deleting,
        });
        let mut events = seen.asset_events.clone();
        events.extend(plan.events);
        Plan {
            action: DeploymentStep {
                azure: plan.action,
                logs,
                autoscale: setting.step,
            },
            status: plan.status,
            requeue: plan.requeue,
            events,
            drift: plan.drift,
        }
    }

    async fn execute(
        &self,
        ctx: &Context,
        seen: &Seen,
        plan: &Plan<OnlineDeploymentStatus, DeploymentStep>,
        status: &mut OnlineDeploymentStatus,
        events: &mut Vec<planner::EventNote>,
    ) -> Option<Requeue> {
        let (Some(client), Some(id)) = (&seen.client, &seen.id) else {
            return None;
        };
        if let Some(fetch) = &plan.action.logs {
            let results = read_logs(client, id, fetch).await;
            let name = self.name_any();
            let display = planner::deployment::deployment_azure_name(&name, &self.spec);
            events.push(planner::logs::record(
                status,
                fetch,
                results,
                self.meta().generation,
                display,
                Timestamp::now(),
            ));
        }
        let autoscale = super::autoscale::execute(client, &plan.action.autoscale, events).await;
        if !plan.action.azure.is_write() {
            return autoscale;
        }
        let tree = self.tree().unwrap_or_default();
        execute_write(
            ctx,
            client,
            id,
            &plan.action.azure,
            status,
            self.meta().generation,
            (&tree, &me(self)),
            events,
        )
        .await
        .or(autoscale)
    }
}
