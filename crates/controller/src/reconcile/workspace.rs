//! Reconciling a `Workspace` binding: GET the AML workspace it names with its credential and
//! report what Azure has. A binding is released only when no OnlineEndpoint uses it.

use std::sync::Arc;
use std::time::Instant;

use api::{FINALIZER, Workspace};
use arm::ResourceId;
use k8s_openapi::jiff::Timestamp;
use kube::api::Api;
use kube::runtime::controller::Action as KubeAction;
use kube::runtime::finalizer::{Event as Finalizer, finalizer};
use kube::{Resource, ResourceExt};
use planner::progress::{failed, first_seen};
use planner::{Action, Observation, Requeue, WorkspaceInput};

use super::{Error, publish, to_kube_action};
use crate::azure::to_failure;
use crate::context::Context;
use crate::status_patch::patch_status;

const KIND: &str = "Workspace";

/// Reconciles one Workspace binding.
pub async fn reconcile(ws: Arc<Workspace>, ctx: Arc<Context>) -> Result<KubeAction, Error> {
    ctx.stores.ready().await;
    let started_at = Instant::now();
    let api: Api<Workspace> =
        Api::namespaced(ctx.client.clone(), &ws.namespace().unwrap_or_default());
    let result = finalizer(&api, FINALIZER, ws, |event| async {
        match event {
            Finalizer::Apply(w) => step(w, &ctx, false).await,
            Finalizer::Cleanup(w) => step(w, &ctx, true).await,
        }
    })
    .await
    .map_err(|e| match e {
        kube::runtime::finalizer::Error::ApplyFailed(e)
        | kube::runtime::finalizer::Error::CleanupFailed(e) => e,
        other => Error::Finalizer(other.to_string()),
    });
    let outcome = match &result {
        Ok(_) => "ok",
        Err(Error::DeletionPending(_)) => "waiting",
        Err(_) => "error",
    };
    ctx.metrics.reconciled(KIND, outcome, started_at.elapsed());
    result
}

async fn step(ws: Arc<Workspace>, ctx: &Context, deleting: bool) -> Result<KubeAction, Error> {
    let namespace = ws.namespace().unwrap_or_default();
    let name = ws.name_any();
    let api: Api<Workspace> = Api::namespaced(ctx.client.clone(), &namespace);
    let now = Timestamp::now();
    let generation = ws.meta().generation;

    let mut stored = ws.status.clone().unwrap_or_default();
    if stored.conditions.is_empty() {
        let mut first = stored.clone();
        first_seen(&mut first, generation, now);
        patch_status(&api, &name, &stored, &first)
            .await
            .map_err(|e| Error::kube("write the first status", e))?;
        stored = first;
    }

    let endpoints: Vec<String> = ctx
        .stores
        .endpoints
        .state()
        .iter()
        .filter(|e| {
            e.namespace().as_deref() == Some(namespace.as_str())
                && e.spec.workspace_ref.name == name
        })
        .map(|e| e.name_any())
        .collect();

    let mut status = stored.clone();
    let mut observed = Observation::Skipped;
    if !deleting {
        let id = match ResourceId::parse(&ws.spec.resource_id) {
            Ok(id) => id,
            Err(e) => {
                planner::progress::stalled(
                    &mut status,
                    generation,
                    api::conditions::Reason::InvalidSpec,
                    format!("spec.resourceId: {e}"),
                    now,
                );
                patch_status(&api, &name, &stored, &status)
                    .await
                    .map_err(|e| Error::kube("write status", e))?;
                return Ok(to_kube_action(
                    Requeue::After(planner::STALLED_RETRY),
                    &*ws,
                    ctx,
                ));
            }
        };
        let answer = match ctx.azure.for_workspace(&ctx.client, &ws).await {
            Ok(client) => client
                .get_optional::<serde_json::Value>(&id)
                .await
                .map_err(|e| to_failure(&e)),
            Err(problem) => Err(problem.to_failure()),
        };
        match answer {
            Ok(Some(v)) => observed = Observation::Found(v),
            Ok(None) => observed = Observation::Missing,
            Err(f) => {
                let requeue = failed(&mut status, generation, &f, false, now);
                patch_status(&api, &name, &stored, &status)
                    .await
                    .map_err(|e| Error::kube("write status", e))?;
                return Ok(to_kube_action(requeue, &*ws, ctx));
            }
        }
    }

    let plan = planner::plan_workspace(&WorkspaceInput {
        generation,
        spec: &ws.spec,
        status: &stored,
        deleting,
        observed: &observed,
        endpoints: &endpoints,
        now,
    });
    publish(ctx, &*ws, &plan.events).await;
    patch_status(&api, &name, &stored, &plan.status)
        .await
        .map_err(|e| Error::kube("write status", e))?;
    match plan.action {
        Action::RemoveFinalizer => Ok(KubeAction::await_change()),
        _ if deleting => Err(Error::DeletionPending(planner::WAIT_POLL)),
        _ => Ok(to_kube_action(plan.requeue, &*ws, ctx)),
    }
}
