//! Reconciling a `Workspace`: poll the network operation in flight or read the AML workspace and
//! every declared network leg (private endpoints, zone groups, DNS zones and their VNet links),
//! hand them to `planner::plan_workspace`, take the one step it names (on whatever resource it
//! targets), write status and Events. A Workspace is released only when no OnlineEndpoint uses
//! it and, under `deletionPolicy: Delete`, what it created in Azure is gone.
//!
//! One Azure write is in flight per Workspace; it is recorded in `status.operation`, so a
//! restarted controller polls it instead of sending it again.

use std::sync::Arc;
use std::time::Duration;

use api::workspace::WorkspaceCredential;
use api::{OperationStatus, Workspace, WorkspaceStatus};
use arm::{ArmClient, ArmError, ResourceId, Started};
use k8s_openapi::jiff::Timestamp;
use kube::api::Api;
use kube::runtime::controller::Action as KubeAction;
use kube::runtime::events::{Event, EventType};
use kube::{Resource, ResourceExt};
use planner::network::removed::{RemovedEndpoint, removed_endpoints};
use planner::network::{EndpointObservation, ZoneObservation};
use planner::progress::started;
use planner::{
    EventNote, Failure, FailureClass, Lifecycle, NetworkAction, NetworkObservation, NetworkTargets,
    Observation, OperationOutcome, Requeue, WorkspaceInput, WorkspacePlan,
};
use serde_json::Value;

use super::driver::{Kind, Stop, drive};
use super::{Error, poll, with_finalizer};
use crate::azure::to_failure;
use crate::context::{Context, TreeKey};
use crate::status_patch::patch_status;

const KIND: &str = "Workspace";

/// Reconciles one Workspace. Its ARM requests go ahead of those the pacer handed back: every
/// endpoint of the workspace waits for its legs.
pub async fn reconcile(ws: Arc<Workspace>, ctx: Arc<Context>) -> Result<KubeAction, Error> {
    arm::priority::ahead(with_finalizer(
        KIND,
        ws,
        ctx.clone(),
        |obj, deleting| async move { drive(obj, &ctx, deleting).await },
    ))
    .await
}

/// An id the planner built, parsed for the ARM client.
fn arm_id(id: &str) -> Result<ResourceId, Failure> {
    ResourceId::parse(id).map_err(|e| {
        Failure::new(
            FailureClass::Terminal,
            "InvalidResourceId",
            format!("{id}: {e}"),
        )
    })
}

async fn get(client: &ArmClient, id: &str) -> Result<Observation, Failure> {
    let id = arm_id(id)?;
    match client.get_optional::<Value>(&id).await {
        Ok(Some(v)) => Ok(Observation::Found(v)),
        Ok(None) => Ok(Observation::Missing),
        Err(e) => Err(to_failure(&e)),
    }
}

/// Reads every declared leg: each private endpoint (its VNet only when it must be created), its
/// zone group, and each zone with its VNet links. Children are read only when their parent exists.
/// Then each private endpoint the spec no longer declares.
async fn read_network(
    client: &ArmClient,
    targets: &NetworkTargets,
    removed: &[RemovedEndpoint],
) -> Result<NetworkObservation, Failure> {
    let mut endpoints = Vec::with_capacity(targets.endpoints.len());
    for target in &targets.endpoints {
        let mut o = EndpointObservation {
            private_endpoint: get(client, &target.id).await?,
            ..Default::default()
        };
        match &o.private_endpoint {
            Observation::Missing => o.vnet = get(client, &target.vnet_id).await?,
            Observation::Found(_) => {
                if let Some(group) = &target.zone_group_id {
                    o.zone_group = get(client, group).await?;
                }
            }
            Observation::Skipped => {}
        }
        for zone in &target.zones {
            let observed = get(client, &zone.id).await?;
            let links = if observed.found().is_some() {
                let zone_id = arm_id(&zone.id)?;
                Some(
                    client
                        .list::<Value>(&zone_id, "virtualNetworkLinks")
                        .await
                        .map_err(|e| to_failure(&e))?,
                )
            } else {
                None
            };
            o.zones.push(ZoneObservation {
                zone: observed,
                links,
            });
        }
        endpoints.push(o);
    }
    let mut gone = Vec::with_capacity(removed.len());
    for r in removed {
        gone.push(get(client, &r.id).await?);
    }
    Ok(NetworkObservation {
        endpoints,
        removed: gone,
        associated: Vec::new(),
        insights: Default::default(),
    })
}

/// Sends the plan's write to the resource it names.
async fn write(
    client: &ArmClient,
    action: &NetworkAction,
) -> Result<Option<OperationStatus>, Failure> {
    let Some(target) = action.target() else {
        return Ok(None);
    };
    let id = arm_id(target)?;
    let started: Result<Started<Value>, ArmError> = match action {
        NetworkAction::Put { body, .. } => client.begin_put::<Value, Value>(&id, body).await,
        NetworkAction::Patch { body, .. } => client.begin_patch::<Value, Value>(&id, body).await,
        NetworkAction::Post { action, body, .. } => {
            client
                .begin_post::<Value, Value>(&id, action, Some(body))
                .await
        }
        NetworkAction::Delete { .. } => client.begin_delete(&id).await.map(|s| match s {
            Started::Done(_) => Started::Done(None),
            Started::Pending(h) => Started::Pending(h),
        }),
        NetworkAction::None | NetworkAction::RemoveFinalizer => return Ok(None),
    };
    match started.map_err(|e| to_failure(&e))? {
        Started::Done(_) => Ok(None),
        Started::Pending(mut handle) => {
            // The planner knows whether it meant to create; ARM's 200/201 can differ.
            handle.kind = arm::OperationKind::parse(action.operation_kind());
            let parts = handle.to_parts();
            Ok(Some(OperationStatus {
                kind: parts.kind,
                url: parts.url,
                polling: parts.polling,
                resource_id: parts.resource_id,
                started_at: parts.started_at,
            }))
        }
    }
}

/// The Event action of a write: its kind and the resource type it targets (`Create
/// privateEndpoints`). kube-runtime's recorder folds Events with the same reason and action into
/// one series, so each leg's Events stay apart.
fn event_action(kind: &str, target: &str) -> String {
    let kind_of = target
        .trim_end_matches('/')
        .rsplit('/')
        .nth(1)
        .unwrap_or("resource");
    format!("{kind} {kind_of}")
}

/// Publishes the plan's Events: those about the operation that just ended under its action,
/// the others under the action this reconcile takes.
async fn publish_events(
    ctx: &Context,
    ws: &Workspace,
    events: &[EventNote],
    finished: Option<&OperationStatus>,
    action: &NetworkAction,
) {
    let current = action
        .target()
        .map(|t| event_action(action.operation_kind(), t));
    let ended = finished.map(|op| event_action(&op.kind, &op.resource_id));
    for note in events {
        let label = match note.reason {
            "Succeeded" | "Failed" => ended.as_ref().or(current.as_ref()),
            _ => current.as_ref().or(ended.as_ref()),
        };
        let event = Event {
            type_: match note.type_ {
                planner::EventType::Normal => EventType::Normal,
                planner::EventType::Warning => EventType::Warning,
            },
            reason: note.reason.to_owned(),
            note: Some(note.note.chars().take(1000).collect()),
            action: label.cloned().unwrap_or_else(|| note.reason.to_owned()),
            secondary: None,
        };
        if let Err(e) = ctx.recorder.publish(&event, &ws.object_ref(&())).await {
            tracing::warn!(workspace = %super::key(ws), error = %e, "failed to publish an Event");
        }
    }
}

/// The credential problem with a reminder of the namespace rule when a Secret is involved.
fn credential_failure(ws: &Workspace, failure: Failure) -> Failure {
    match &ws.spec.credential {
        Some(WorkspaceCredential {
            secret_ref: Some(_),
            ..
        }) => Failure {
            message: format!(
                "{} (a Workspace only uses a Secret in its own namespace)",
                failure.message
            ),
            ..failure
        },
        _ => failure,
    }
}

/// What a Workspace's reconcile read.
pub struct Seen {
    endpoints: Vec<String>,
    client: Option<ArmClient>,
    operation: OperationOutcome,
    observed: Observation,
    network: NetworkObservation,
}

impl Kind for Workspace {
    const KIND: &'static str = KIND;
    type Status = WorkspaceStatus;
    type Action = NetworkAction;
    type Seen = Seen;

    fn stored(&self) -> WorkspaceStatus {
        self.status.clone().unwrap_or_default()
    }
    fn tree(&self) -> Option<TreeKey> {
        None
    }

    async fn observe(
        &self,
        ctx: &Context,
        stored: &mut WorkspaceStatus,
        lifecycle: &mut Lifecycle,
        deleting: bool,
    ) -> Result<Seen, Stop> {
        let namespace = self.namespace().unwrap_or_default();
        let name = self.name_any();
        let endpoints = users(ctx, self);
        // Another Workspace on the same AML workspace with another network posture, that came
        // first and may act there (a refused one holds no claim).
        let rivals: Vec<Arc<Workspace>> = ctx
            .stores
            .workspaces
            .state()
            .into_iter()
            .filter(|other| other.meta().uid != self.meta().uid)
            .filter(|other| {
                other
                    .spec
                    .resource_id
                    .eq_ignore_ascii_case(&self.spec.resource_id)
            })
            .filter(|other| other.spec.network != self.spec.network)
            .filter(|other| super::came_first(&**other, self))
            .collect();
        for other in rivals {
            if super::not_permitted(ctx, &other).await.is_none() {
                lifecycle.claimed_by = Some(format!("Workspace {}", super::key(&*other)));
                break;
            }
        }

        lifecycle.not_permitted = super::not_permitted(ctx, self).await;

        // The credential Secret is held while this Workspace uses it (see hold_credential).
        if !deleting && lifecycle.not_permitted.is_none() {
            let api: Api<Workspace> = Api::namespaced(ctx.client.clone(), &namespace);
            hold_credential(ctx, self, stored, &api).await?;
        }

        // Observe: the operation in flight, else the workspace and the network legs.
        let mut seen = Seen {
            endpoints,
            client: None,
            operation: OperationOutcome::None,
            observed: Observation::Skipped,
            network: NetworkObservation::default(),
        };
        let targets = planner::workspace::workspace_reads_in(
            &namespace,
            &name,
            &self.spec,
            ctx.workspace_zones,
        );
        let removed = targets
            .as_ref()
            .map(|t| removed_endpoints(t, stored))
            .unwrap_or_default();
        // Deleting needs Azure only to remove what was created: not while endpoints remain, not
        // under Orphan, not without private endpoints (a bad credential must not hold the
        // finalizer).
        let needs_azure =
            (!deleting && lifecycle.claimed_by.is_none() && lifecycle.not_permitted.is_none())
                || (deleting
                    && seen.endpoints.is_empty()
                    && self.spec.deletion_policy == api::DeletionPolicy::Delete
                    && !lifecycle.detached()
                    && (!self.spec.network.private_endpoints.is_empty()
                        || !removed.is_empty()
                        || !stored.private_link_scoped_resources.is_empty()));
        let Ok(targets) = &targets else {
            return Ok(seen);
        };
        if !needs_azure {
            return Ok(seen);
        }
        let azure = |failure| Stop::Azure {
            failure,
            left: left_in_azure(self),
        };
        let client = ctx
            .azure
            .for_workspace_or_last(&ctx.client, self, deleting)
            .await
            .map_err(|problem| azure(credential_failure(self, problem.to_failure())))?;
        seen.operation = poll(&client, stored.operation.as_ref())
            .await
            .map_err(|e| azure(to_failure(&e)))?;
        if !matches!(seen.operation, OperationOutcome::Pending { .. }) {
            // Deleting a Workspace that enforces its associated resources reads the workspace
            // too: it names the resources whose private endpoints this Workspace created.
            let enforces = planner::network::associated::enforces(&self.spec);
            if !deleting || enforces {
                seen.observed = get(&client, &targets.workspace_id).await.map_err(azure)?;
            }
            if !deleting {
                // One paged list of the workspace's endpoints a sync tells each endpoint of this
                // namespace what its GET would.
                if !endpoints_here(&seen.endpoints).is_empty()
                    && matches!(seen.observed, Observation::Found(_))
                    && let Ok(id) = ResourceId::parse(&targets.workspace_id)
                {
                    super::list_for_sharing(ctx, &client, &namespace, &id, "onlineEndpoints").await;
                }
                // The associated resources the spec asks about: one GET each, named by the
                // workspace just read.
                for target in
                    planner::network::associated::associated_reads(&self.spec, &seen.observed)
                {
                    let observed = get(&client, &target.id).await.map_err(azure)?;
                    seen.network.associated.push(observed);
                }
            }
            // With mode Enforce the associated resources' private endpoints join the declared
            // ones; the planner computes the same targets from the same reads.
            let full = planner::workspace::workspace_targets_in(
                &namespace,
                &name,
                &self.spec,
                ctx.workspace_zones,
                &seen.observed,
                &seen.network.associated,
            );
            let targets = full.as_ref().unwrap_or(targets);
            let removed = removed_endpoints(targets, stored);
            let network = read_network(&client, targets, &removed)
                .await
                .map_err(azure)?;
            seen.network.endpoints = network.endpoints;
            seen.network.removed = network.removed;
            // Application Insights behind the hub's Azure Monitor Private Link Scope: the
            // scope and the scoped resource (two GETs, only with privateLinkScopeId and mode
            // Enforce), then any scoped resource this Workspace recorded that the spec no
            // longer asks for (all of them while deleting).
            let insights = targets.insights.as_ref();
            if let Some(target) = insights.filter(|_| !deleting) {
                seen.network.insights.scope =
                    get(&client, &target.scope_id).await.map_err(azure)?;
                seen.network.insights.scoped_resource = get(&client, &target.scoped_resource_id)
                    .await
                    .map_err(azure)?;
            }
            for id in planner::network::insights::recorded_reads(
                insights,
                &stored.private_link_scoped_resources,
                deleting,
            ) {
                let observed = get(&client, &id).await.map_err(azure)?;
                seen.network.insights.recorded.push(observed);
            }
        }
        seen.client = Some(client);
        Ok(seen)
    }

    fn plan(
        &self,
        ctx: &Context,
        seen: &Seen,
        stored: &WorkspaceStatus,
        lifecycle: &Lifecycle,
        deleting: bool,
        now: Timestamp,
    ) -> WorkspacePlan {
        let namespace = self.namespace().unwrap_or_default();
        let name = self.name_any();
        planner::workspace::plan_workspace_in(
            &WorkspaceInput {
                namespace: &namespace,
                name: &name,
                generation: self.meta().generation,
                spec: &self.spec,
                status: stored,
                deleting,
                observed: &seen.observed,
                network: &seen.network,
                operation: &seen.operation,
                endpoints: &seen.endpoints,
                lifecycle,
                now,
            },
            ctx.workspace_zones,
        )
    }

    async fn execute(
        &self,
        ctx: &Context,
        seen: &Seen,
        plan: &WorkspacePlan,
        status: &mut WorkspaceStatus,
        events: &mut Vec<EventNote>,
    ) -> Option<Requeue> {
        let client = seen.client.as_ref()?;
        if !plan.action.is_write() {
            return None;
        }
        let generation = self.meta().generation;
        let now = Timestamp::now();
        Some(match write(client, &plan.action).await {
            Ok(Some(op)) => {
                started(status, generation, op, now);
                Requeue::After(Duration::from_secs(1))
            }
            Ok(None) => Requeue::Now,
            Err(f) => {
                if !f.is_retryable() {
                    events.push(EventNote::warning(
                        "Failed",
                        format!(
                            "{} of {} refused: {}: {}",
                            plan.action.operation_kind(),
                            plan.action.target().unwrap_or_default(),
                            f.code,
                            f.message
                        ),
                    ));
                }
                planner::progress::failed_within(
                    status,
                    generation,
                    &f,
                    false,
                    now,
                    ctx.busy_stall_after,
                )
            }
        })
    }

    async fn publish(
        &self,
        ctx: &Context,
        events: &[EventNote],
        stored: &WorkspaceStatus,
        action: &NetworkAction,
    ) {
        publish_events(ctx, self, events, stored.operation.as_ref(), action).await;
    }

    async fn released(&self, ctx: &Context) -> Result<(), Error> {
        release_credential(ctx, self).await
    }
}

/// What in the namespace still uses this Workspace: its endpoints, and deployments whose
/// endpoint object is gone but whose Azure deployment lies in this workspace.
/// The endpoint objects among a Workspace's users.
fn endpoints_here(users: &[String]) -> Vec<&str> {
    users
        .iter()
        .filter_map(|u| u.strip_prefix("OnlineEndpoint "))
        .collect()
}

fn users(ctx: &Context, ws: &Workspace) -> Vec<String> {
    let namespace = ws.namespace().unwrap_or_default();
    let name = ws.name_any();
    let mut users: Vec<String> = ctx
        .stores
        .endpoints
        .state()
        .iter()
        .filter(|e| {
            e.namespace().as_deref() == Some(namespace.as_str())
                && e.spec.workspace_ref.name == name
        })
        .map(|e| format!("OnlineEndpoint {}", e.name_any()))
        .collect();
    let workspace_prefix = format!("{}/", ws.spec.resource_id.to_ascii_lowercase());
    users.extend(
        ctx.stores
            .deployments
            .state()
            .iter()
            .filter(|d| d.namespace().as_deref() == Some(namespace.as_str()))
            .filter(|d| {
                ctx.stores
                    .endpoints
                    .get(
                        &kube::runtime::reflector::ObjectRef::new(&d.spec.endpoint_ref.name)
                            .within(&namespace),
                    )
                    .is_none()
            })
            .filter(|d| {
                d.status
                    .as_ref()
                    .and_then(|s| s.azure_resource_id.as_deref())
                    .is_some_and(|id| id.to_ascii_lowercase().starts_with(&workspace_prefix))
            })
            .map(|d| format!("OnlineDeployment {}", d.name_any())),
    );
    users
}

/// What a Workspace's deletion leaves in Azure when it cannot reach it.
fn left_in_azure(ws: &Workspace) -> String {
    if ws.spec.network.private_endpoints.is_empty() {
        return "what this Workspace created".to_owned();
    }
    let names: Vec<&str> = ws
        .spec
        .network
        .private_endpoints
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    format!(
        "private endpoints {} (with their DNS zones and links)",
        names.join(", ")
    )
}

/// The Secret a Workspace's `spec.credential.secretRef` names.
fn secret_name(ws: &Workspace) -> Option<&str> {
    match &ws.spec.credential {
        Some(WorkspaceCredential {
            secret_ref: Some(r),
            ..
        }) => Some(r.name.as_str()),
        _ => None,
    }
}

/// True when another Workspace of the namespace (not `ws`) names the Secret `name`.
fn secret_used_by_others(ctx: &Context, ws: &Workspace, name: &str) -> bool {
    let namespace = ws.namespace();
    ctx.stores.workspaces.state().iter().any(|other| {
        other.meta().uid != ws.meta().uid
            && other.namespace() == namespace
            && secret_name(other) == Some(name)
    })
}

/// Keeps the credential Secret from going while this Workspace may need it: the Secret the spec
/// names carries the `aml-operator.io/credential-in-use` finalizer (recorded in
/// `status.credentialSecret`), and one it no longer names is released unless another Workspace
/// of the namespace uses it. Namespace deletion and GitOps pruning delete Secrets at once; with
/// the finalizer the Secret stays readable until the Workspace's own deletion is done.
async fn hold_credential(
    ctx: &Context,
    ws: &Workspace,
    stored: &mut api::WorkspaceStatus,
    api: &Api<Workspace>,
) -> Result<(), Error> {
    let namespace = ws.namespace().unwrap_or_default();
    let wanted = secret_name(ws).map(str::to_owned);
    if stored.credential_secret == wanted {
        return Ok(());
    }
    if let Some(old) = stored.credential_secret.clone()
        && !secret_used_by_others(ctx, ws, &old)
    {
        crate::azure::release_secret(&ctx.client, &namespace, &old)
            .await
            .map_err(|e| Error::kube(format!("release Secret {old}"), e))?;
    }
    let held = match &wanted {
        Some(name) => crate::azure::hold_secret(&ctx.client, &namespace, name)
            .await
            .map_err(|e| Error::kube(format!("hold Secret {name}"), e))?
            .then(|| name.clone()),
        None => None,
    };
    if held != stored.credential_secret {
        let mut next = stored.clone();
        next.credential_secret = held;
        patch_status(api, &ws.name_any(), stored, &next)
            .await
            .map_err(|e| Error::kube("record the held credential Secret", e))?;
        *stored = next;
    }
    Ok(())
}

/// Releases what a Workspace kept for its deletion: the Secret's finalizer (unless another
/// Workspace of the namespace names it) and the last working credential.
async fn release_credential(ctx: &Context, ws: &Workspace) -> Result<(), Error> {
    let namespace = ws.namespace().unwrap_or_default();
    let held = ws
        .status
        .as_ref()
        .and_then(|s| s.credential_secret.clone())
        .or_else(|| secret_name(ws).map(str::to_owned));
    if let Some(name) = held
        && !secret_used_by_others(ctx, ws, &name)
    {
        crate::azure::release_secret(&ctx.client, &namespace, &name)
            .await
            .map_err(|e| Error::kube(format!("release Secret {name}"), e))?;
    }
    if let Some(uid) = &ws.meta().uid {
        ctx.azure.forget_workspace(uid);
    }
    let live: Vec<Arc<Workspace>> = ctx
        .stores
        .workspaces
        .state()
        .into_iter()
        .filter(|w| w.meta().uid != ws.meta().uid)
        .collect();
    ctx.azure.prune(&live);
    Ok(())
}
