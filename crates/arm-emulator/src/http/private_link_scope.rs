//! Handlers for Azure Monitor Private Link Scopes (GET) and their scoped resources
//! (GET/PUT/DELETE, list); see `world/private_link_scope.rs`.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};

use super::pipeline::RequestContext;
use super::respond::{Reply, answer, required_body};
use crate::state::SharedState;

type Scope = (String, String, String);
type Scoped = (String, String, String, String);

fn scope_id(sub: &str, rg: &str, scope: &str) -> String {
    format!(
        "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Insights/privateLinkScopes/{scope}"
    )
}

pub(crate) async fn get_scope(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, scope)): Path<Scope>,
) -> Reply {
    let a = s
        .world()
        .get_private_link_scope(&scope_id(&sub, &rg, &scope))?;
    Ok(answer(&rc, a))
}

pub(crate) async fn list_scoped(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, scope)): Path<Scope>,
) -> Reply {
    let a = s
        .world()
        .list_scoped_resources(&scope_id(&sub, &rg, &scope))?;
    Ok(answer(&rc, a))
}

pub(crate) async fn get_scoped(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, scope, name)): Path<Scoped>,
) -> Reply {
    let a = s
        .world()
        .get_scoped_resource(&scope_id(&sub, &rg, &scope), &name)?;
    Ok(answer(&rc, a))
}

pub(crate) async fn put_scoped(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, scope, name)): Path<Scoped>,
    body: Bytes,
) -> Reply {
    let body = required_body(&body)?;
    let a = s
        .world()
        .put_scoped_resource(&rc.ctx, &scope_id(&sub, &rg, &scope), &name, &body)?;
    Ok(answer(&rc, a))
}

pub(crate) async fn delete_scoped(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, scope, name)): Path<Scoped>,
) -> Reply {
    let a = s
        .world()
        .delete_scoped_resource(&rc.ctx, &scope_id(&sub, &rg, &scope), &name)?;
    Ok(answer(&rc, a))
}
