//! Reconciling an `OnlineEndpoint`: resolve its Workspace and credential, poll its operation or
//! GET it, hand everything to `planner::plan_endpoint`, do the one thing the plan says, write
//! status and Events.

use std::sync::Arc;

use api::{OnlineDeployment, OnlineEndpoint, OnlineEndpointStatus, Workspace};
use arm::ResourceId;
use k8s_openapi::jiff::Timestamp;
use kube::runtime::controller::Action as KubeAction;
use kube::runtime::reflector::ObjectRef;
use kube::{Resource, ResourceExt};
use planner::endpoint_isolation::{
    DeploymentEgress, EndpointIsolationInput, apply_endpoint_isolation,
};
use planner::{
    Action, DeploymentView, EndpointInput, KeysState, Lifecycle, Observation, OperationOutcome,
    Plan, Requeue, WorkspaceView,
};

use super::driver::{Kind, Stop, drive};
use super::{
    Error, execute_write, key, list_for_sharing, observe_shared, poll_with_result, with_finalizer,
};
use crate::azure::to_failure;
use crate::context::{Context, TreeKey};
use crate::keys;
use arm::ArmClient;

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
        .deployments_of(namespace, endpoint)
        .into_iter()
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
        // Traffic moves only to a deployment Ready for its current spec: Azure's Succeeded can
        // still be the previous generation's (a new model not yet deployed).
        succeeded: status.and_then(|s| s.provisioning_state.as_deref()) == Some("Succeeded")
            && status.is_some_and(|s| s.azure_resource_id.is_some())
            && status.is_some_and(|s| {
                ready_for(&s.conditions, s.observed_generation, d.meta().generation)
            }),
        deleting: d.meta().deletion_timestamp.is_some(),
        stalled: status.is_some_and(|s| {
            api::conditions::find_condition(&s.conditions, api::conditions::ConditionType::Stalled)
                .is_some_and(|c| c.status == "True")
        }),
    }
}

/// True when `Ready` is True and was computed for `generation` (the status's and the
/// condition's observed generation both).
fn ready_for(
    conditions: &[k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition],
    observed: Option<i64>,
    generation: Option<i64>,
) -> bool {
    observed == generation
        && api::conditions::find_condition(conditions, api::conditions::ConditionType::Ready)
            .is_some_and(|c| c.status == "True" && c.observed_generation == generation)
}

/// The endpoint object that came first among those naming the same Azure endpoint (same AML
/// workspace and Azure name, in any namespace) and may act there, when it is not `ep`.
pub async fn endpoint_claim(
    ctx: &Context,
    ep: &OnlineEndpoint,
    workspace_id: &str,
) -> Option<String> {
    let azure_name = ep.spec.azure_name.clone().unwrap_or_else(|| ep.name_any());
    let rivals: Vec<(Arc<OnlineEndpoint>, Arc<Workspace>)> = ctx
        .stores
        .endpoints_named(&azure_name)
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
        .filter_map(|other| {
            let ns = other.namespace().unwrap_or_default();
            let ws = ctx
                .stores
                .workspaces
                .get(&ObjectRef::new(&other.spec.workspace_ref.name).within(&ns))
                .filter(|w| w.spec.resource_id.eq_ignore_ascii_case(workspace_id))?;
            Some((other, ws))
        })
        .collect();
    for (other, ws) in rivals {
        if super::not_permitted(ctx, &ws).await.is_none() {
            return Some(format!("OnlineEndpoint {}", key(&*other)));
        }
    }
    None
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
        drive(obj, &ctx, deleting).await
    })
    .await
}

/// What an endpoint's reconcile read.
pub struct Seen {
    workspace: Option<Arc<Workspace>>,
    view: Result<WorkspaceView, String>,
    deployments: Vec<(Arc<OnlineDeployment>, DeploymentView)>,
    tree_busy: Option<String>,
    id: Option<ResourceId>,
    client: Option<ArmClient>,
    operation: OperationOutcome,
    observed: Observation,
    azure_deployments: Option<Vec<serde_json::Value>>,
    keys: KeysState,
}

fn me(ep: &OnlineEndpoint) -> String {
    format!("endpoint {}", ep.name_any())
}

impl Kind for OnlineEndpoint {
    const KIND: &'static str = KIND;
    type Status = OnlineEndpointStatus;
    type Action = Action;
    type Seen = Seen;

    fn stored(&self) -> OnlineEndpointStatus {
        self.status.clone().unwrap_or_default()
    }
    fn tree(&self) -> Option<TreeKey> {
        Some((self.namespace().unwrap_or_default(), self.name_any()))
    }

    async fn observe(
        &self,
        ctx: &Context,
        stored: &mut OnlineEndpointStatus,
        lifecycle: &mut Lifecycle,
        deleting: bool,
    ) -> Result<Seen, Stop> {
        let namespace = self.namespace().unwrap_or_default();
        let name = self.name_any();
        let tree: TreeKey = (namespace.clone(), name.clone());
        let me = me(self);
        let (workspace, view) = resolve_workspace(ctx, &namespace, &self.spec.workspace_ref.name);
        let deployments = deployment_views(ctx, &namespace, &name);
        let tree_busy = ctx.trees.other_in_flight(&tree, &me).or_else(|| {
            deployments
                .iter()
                .find(|(d, _)| d.status.as_ref().is_some_and(|s| s.operation.is_some()))
                .map(|(d, _)| format!("deployment {}", d.name_any()))
        });

        // The ARM id: from the Workspace, or (deleting without a Workspace) from status.
        let azure_name = self.spec.azure_name.clone().unwrap_or_else(|| name.clone());
        let id = match &view {
            Ok(v) => ResourceId::parse(&v.arm_id)
                .and_then(|ws| ws.online_endpoint(&azure_name))
                .ok(),
            Err(_) => stored
                .azure_resource_id
                .as_deref()
                .and_then(|s| ResourceId::parse(s).ok()),
        };
        if let Some(ws) = &workspace {
            lifecycle.claimed_by = endpoint_claim(ctx, self, &ws.spec.resource_id).await;
            lifecycle.not_permitted = super::not_permitted(ctx, ws).await;
        }
        let left = || {
            stored
                .azure_resource_id
                .clone()
                .unwrap_or_else(|| format!("endpoint {azure_name}"))
        };
        let azure = |failure| Stop::Azure {
            failure,
            left: left(),
        };

        let mut operation = OperationOutcome::None;
        let mut observed = Observation::Skipped;
        let mut azure_deployments = None;
        // Nothing goes to Azure for an object whose namespace may not use its Workspace, even
        // while deleting (deletion then leaves Azure alone).
        let claimed =
            (lifecycle.claimed_by.is_some() && !deleting) || lifecycle.not_permitted.is_some();
        let client = match &workspace {
            Some(ws) if id.is_some() && !claimed => Some(
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
            observed = observe_shared(
                ctx,
                client,
                &namespace,
                id,
                (&operation, final_body),
                may_share,
            )
            .await
            .map_err(|e| azure(to_failure(&e)))?;
            // One list of the endpoint's deployments a sync tells each of them what a GET
            // would.
            // Only once they are all settled: while they converge each reads its own.
            let settled = deployments.iter().all(|(d, _)| {
                d.status.as_ref().is_some_and(|s| {
                    s.operation.is_none() && planner::progress::was_ready(s, d.meta().generation)
                })
            });
            if !deleting
                && settled
                && !deployments.is_empty()
                && matches!(observed, Observation::Found(_))
            {
                list_for_sharing(ctx, client, &namespace, id, "deployments").await;
            }
            // About to be deleted: Azure deletes its deployments with it, so read which they are.
            if deleting && matches!(observed, Observation::Found(_)) {
                azure_deployments = Some(
                    client
                        .list::<serde_json::Value>(id, "deployments")
                        .await
                        .map_err(|e| azure(to_failure(&e)))?,
                );
            }
        }
        super::settle_in_flight(
            ctx,
            &tree,
            &me,
            stored.operation.is_some(),
            &operation,
            &observed,
        );

        let keys = if deleting {
            KeysState::NotWanted
        } else {
            keys::keys_state(&ctx.client, self)
                .await
                .map_err(|e| Error::kube("read the keys Secret", e))?
        };
        Ok(Seen {
            workspace,
            view,
            deployments,
            tree_busy,
            id,
            client,
            operation,
            observed,
            azure_deployments,
            keys,
        })
    }

    fn plan(
        &self,
        ctx: &Context,
        seen: &Seen,
        stored: &OnlineEndpointStatus,
        lifecycle: &Lifecycle,
        deleting: bool,
        now: Timestamp,
    ) -> Plan<OnlineEndpointStatus> {
        let name = self.name_any();
        let namespace = self.namespace().unwrap_or_default();
        let generation = self.meta().generation;
        let views: Vec<DeploymentView> = seen.deployments.iter().map(|(_, v)| v.clone()).collect();
        let mut plan = planner::plan_endpoint(&EndpointInput {
            name: &name,
            generation,
            spec: &self.spec,
            status: stored,
            deleting,
            workspace: seen.view.as_ref().map_err(Clone::clone),
            observed: &seen.observed,
            operation: &seen.operation,
            deployments: &views,
            tree_busy: seen.tree_busy.as_deref(),
            keys: seen.keys,
            keys_refresh: ctx.keys_refresh,
            rotate_keys_request: self
                .annotations()
                .get(api::ROTATE_KEYS_ANNOTATION)
                .map(String::as_str),
            lifecycle,
            namespace: &namespace,
            azure_deployments: seen.azure_deployments.as_deref(),
            now,
        });
        if !deleting {
            let egress: Vec<DeploymentEgress> = seen
                .deployments
                .iter()
                .filter(|(_, v)| !v.deleting)
                .map(|(d, v)| DeploymentEgress {
                    name: v.azure_name.clone(),
                    egress: d.spec.egress_public_network_access,
                })
                .collect();
            let ws_status = seen
                .workspace
                .as_ref()
                .map(|w| w.status.clone().unwrap_or_default());
            apply_endpoint_isolation(
                &mut plan.status,
                &EndpointIsolationInput {
                    generation,
                    spec: &self.spec,
                    workspace: ws_status.as_ref().map(planner::network_isolated),
                    managed_network: seen.view.as_ref().ok().and_then(|v| v.managed_network),
                    deployments: &egress,
                    created_at: seen
                        .observed
                        .found()
                        .and_then(|r| r.pointer("/systemData/createdAt"))
                        .and_then(serde_json::Value::as_str)
                        .and_then(|t| t.parse::<Timestamp>().ok()),
                    managed_network_enabled_at: ws_status
                        .as_ref()
                        .and_then(|s| s.managed_network_enabled_at.as_ref())
                        .map(|t| t.0),
                    workspace_private_endpoint: seen
                        .view
                        .as_ref()
                        .ok()
                        .and_then(|v| v.private_endpoint),
                },
                now,
            );
        }
        // A keys Secret refreshed more often than the sync interval needs its own wake-up.
        if plan.requeue == Requeue::Sync
            && seen.keys != KeysState::NotWanted
            && ctx.keys_refresh < ctx.sync_interval
        {
            plan.requeue = Requeue::After(ctx.keys_refresh);
        }
        plan
    }

    async fn execute(
        &self,
        ctx: &Context,
        seen: &Seen,
        plan: &Plan<OnlineEndpointStatus>,
        status: &mut OnlineEndpointStatus,
        events: &mut Vec<planner::EventNote>,
    ) -> Option<Requeue> {
        let (Some(client), Some(id)) = (&seen.client, &seen.id) else {
            return None;
        };
        let tree = self.tree().unwrap_or_default();
        match &plan.action {
            Action::Put { .. } | Action::Patch { .. } | Action::Delete => {
                execute_write(
                    ctx,
                    client,
                    id,
                    &plan.action,
                    status,
                    self.meta().generation,
                    (&tree, &me(self)),
                    events,
                )
                .await
            }
            Action::RegenerateKey(_) => {
                let requeue = execute_write(
                    ctx,
                    client,
                    id,
                    &plan.action,
                    status,
                    self.meta().generation,
                    (&tree, &me(self)),
                    events,
                )
                .await;
                // No operation to follow (Azure answered at once): the key is regenerated;
                // recorded so that the next step publishes it instead of regenerating again.
                if requeue.is_none()
                    && status.operation.is_none()
                    && let Some(rotation) = status.key_rotation.as_mut()
                {
                    rotation.regenerated = true;
                }
                requeue
            }
            Action::SyncKeys | Action::SyncToken => {
                sync_secret(self, ctx, seen, &plan.action, status, events).await
            }
            Action::None | Action::RemoveFinalizer => None,
        }
    }
}

/// Writes the keys Secret (keys or token) and records the outcome in the `KeysSynced`
/// condition; a Secret that cannot be written backs off per endpoint.
async fn sync_secret(
    ep: &OnlineEndpoint,
    ctx: &Context,
    seen: &Seen,
    action: &Action,
    status: &mut OnlineEndpointStatus,
    events: &mut Vec<planner::EventNote>,
) -> Option<Requeue> {
    let (Some(client), Some(id)) = (&seen.client, &seen.id) else {
        return None;
    };
    let now = Timestamp::now();
    let secret = ep
        .spec
        .keys_secret
        .as_ref()
        .map(|s| s.name.clone())
        .unwrap_or_default();
    let written = if *action == Action::SyncToken {
        keys::sync_token(
            &ctx.client,
            client,
            ep,
            id,
            status.scoring_uri.as_deref(),
            now,
        )
        .await
        .map(|t| {
            // The new token's refresh, as the planner computes it from the Secret.
            let refresh = planner::keys::token_refresh_at(now, t.refresh_after, t.expires);
            let wake = std::time::Duration::try_from(refresh.duration_since(now))
                .unwrap_or_default()
                .max(std::time::Duration::from_secs(1));
            let expires = t.expires.map_or("unknown".to_owned(), |t| t.to_string());
            (
                format!(
                    "the keys Secret holds a token from the endpoint's token action, valid until {expires}; refreshed at {refresh}"
                ),
                format!("wrote a token of the endpoint to Secret {secret}"),
                (wake < ctx.keys_refresh).then_some(Requeue::After(wake)),
            )
        })
    } else {
        // The key the plan's status names active (the planner decided it; a Secret written
        // before rotation existed names the primary key).
        let active = status
            .key_rotation
            .as_ref()
            .and_then(|r| r.active_key.as_deref())
            .and_then(planner::keys::KeySlot::parse)
            .or(match seen.keys {
                KeysState::Keys { active, .. } => Some(active),
                _ => None,
            })
            .unwrap_or(planner::keys::KeySlot::Primary);
        keys::sync_keys(
            &ctx.client,
            client,
            ep,
            id,
            status.scoring_uri.as_deref(),
            active,
            now,
        )
        .await
        .map(|()| {
            (
                format!(
                    "the keys Secret holds the endpoint's keys; activeKey is {}",
                    active.as_str()
                ),
                format!(
                    "wrote the endpoint's keys to Secret {secret} (activeKey {})",
                    active.as_str()
                ),
                None,
            )
        })
    };
    let generation = ep.meta().generation;
    let backoff_key = format!("keys:{}", key(ep));
    match written {
        Err(e) => {
            tracing::warn!(endpoint = %key(ep), error = %e, "keys not synced");
            events.push(planner::EventNote::warning("KeysNotSynced", e.to_string()));
            api::conditions::set_condition(
                &mut status.conditions,
                api::conditions::NewCondition::keys_synced(
                    generation,
                    false,
                    format!("the keys Secret was not written: {e}"),
                ),
                now,
            );
            // Back off per endpoint: a Secret that cannot be written (RBAC, a foreign Secret
            // of that name) must not be retried every few seconds.
            Some(Requeue::After(ctx.backoff.failed(
                &backoff_key,
                planner::WAIT_POLL,
                std::time::Duration::from_secs(600),
            )))
        }
        Ok((condition, note, requeue)) => {
            ctx.backoff.succeeded(&backoff_key);
            api::conditions::set_condition(
                &mut status.conditions,
                api::conditions::NewCondition::keys_synced(generation, true, condition),
                now,
            );
            events.push(planner::EventNote::normal("KeysSynced", note));
            requeue
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment(generation: i64, observed: i64, ready: &str) -> OnlineDeployment {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "aml-operator.io/v1alpha1", "kind": "OnlineDeployment",
            "metadata": {"name": "green", "namespace": "ns", "generation": generation},
            "spec": {"endpointRef": {"name": "scoring"}, "model": "azureml:m:2",
                     "environment": "azureml:e:1", "instanceType": "Standard_F2s_v2", "instanceCount": 1},
            "status": {
                "observedGeneration": observed,
                "provisioningState": "Succeeded",
                "azureResourceId": "/subscriptions/s/resourceGroups/r/providers/Microsoft.MachineLearningServices/workspaces/w/onlineEndpoints/scoring/deployments/green",
                "conditions": [{"type": "Ready", "status": ready, "reason": "Succeeded", "message": "",
                                "observedGeneration": observed, "lastTransitionTime": "2026-01-01T00:00:00Z"}]
            }
        }))
        .expect("a deployment")
    }

    #[test]
    fn traffic_goes_only_to_a_deployment_ready_for_its_current_spec() {
        assert!(deployment_view(&deployment(1, 1, "True")).succeeded);
        // A new model was applied (generation 2); Azure still says Succeeded, for generation 1.
        assert!(!deployment_view(&deployment(2, 1, "True")).succeeded);
        assert!(!deployment_view(&deployment(2, 2, "False")).succeeded);
        assert!(deployment_view(&deployment(2, 2, "True")).succeeded);
    }
}
