//! Polling URLs: ML (`mfeOperationsStatus`/`mfeOperationResults`, workspace variants) and
//! Network (`operations`/`operationResults`) live under a subscription and a location;
//! Private DNS ones under a resource group.

use axum::Extension;
use axum::extract::{Path, State};

use super::pipeline::RequestContext;
use super::respond::{Reply, answer};
use crate::state::SharedState;
use crate::wire::ArmError;

fn is_status_kind(kind: &str) -> bool {
    matches!(
        kind,
        "mfeOperationsStatus" | "workspaceOperationsStatus" | "operations"
    )
}

fn is_result_kind(kind: &str) -> bool {
    matches!(
        kind,
        "mfeOperationResults" | "workspaceOperationResults" | "operationResults"
    )
}

pub(crate) async fn poll_subscription_scoped(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((_sub, _loc, kind, op)): Path<(String, String, String, String)>,
) -> Reply {
    let mut world = s.world();
    let result = if is_status_kind(&kind) {
        world.operation_status(&op, rc.ctx.instant)?
    } else if is_result_kind(&kind) {
        world.operation_result(&op, rc.ctx.instant)?
    } else {
        return Err(ArmError::new(
            axum::http::StatusCode::NOT_FOUND,
            "InvalidResourceType",
            format!("The resource type '{kind}' could not be found."),
        ));
    };
    Ok(answer(&rc, result))
}

pub(crate) async fn poll_dns_status(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((_sub, _rg, op)): Path<(String, String, String)>,
) -> Reply {
    let result = s.world().operation_status(&op, rc.ctx.instant)?;
    Ok(answer(&rc, result))
}

pub(crate) async fn poll_dns_result(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((_sub, _rg, op)): Path<(String, String, String)>,
) -> Reply {
    let result = s.world().operation_result(&op, rc.ctx.instant)?;
    Ok(answer(&rc, result))
}
