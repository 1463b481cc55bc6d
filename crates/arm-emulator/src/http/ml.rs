//! Handlers for Microsoft.MachineLearningServices: workspaces (+ connections, private link
//! resources, managed network), online endpoints and online deployments. They parse the
//! request, call the world, and render its answer.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State};

use super::pipeline::RequestContext;
use super::respond::{Reply, answer, paged, parse_body, required_body};
use crate::state::SharedState;

type Ws = (String, String, String);
type Ep = (String, String, String, String);
type Dep = (String, String, String, String, String);

pub(crate) async fn get_workspace(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, ws)): Path<Ws>,
) -> Reply {
    let a = s.world().get_workspace(&sub, &rg, &ws)?;
    Ok(answer(&rc, a))
}

pub(crate) async fn patch_workspace(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, ws)): Path<Ws>,
    body: Bytes,
) -> Reply {
    let body = required_body(&body)?;
    let a = s.world().patch_workspace(&rc.ctx, &sub, &rg, &ws, &body)?;
    Ok(answer(&rc, a))
}

pub(crate) async fn put_workspace(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, ws)): Path<Ws>,
    body: Bytes,
) -> Reply {
    let body = required_body(&body)?;
    let a = s.world().put_workspace(&rc.ctx, &sub, &rg, &ws, &body)?;
    Ok(answer(&rc, a))
}

pub(crate) async fn list_connections(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, ws)): Path<Ws>,
) -> Reply {
    let a = s.world().list_workspace_connections(&sub, &rg, &ws)?;
    Ok(answer(&rc, a))
}

pub(crate) async fn get_connection(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, ws, pec)): Path<Ep>,
) -> Reply {
    let a = s.world().get_workspace_connection(&sub, &rg, &ws, &pec)?;
    Ok(answer(&rc, a))
}

pub(crate) async fn put_connection(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, ws, pec)): Path<Ep>,
    body: Bytes,
) -> Reply {
    let body = required_body(&body)?;
    let a = s
        .world()
        .put_workspace_connection(&rc.ctx, &sub, &rg, &ws, &pec, &body)?;
    Ok(answer(&rc, a))
}

pub(crate) async fn delete_connection(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, ws, pec)): Path<Ep>,
) -> Reply {
    let a = s
        .world()
        .delete_workspace_connection(&rc.ctx, &sub, &rg, &ws, &pec)?;
    Ok(answer(&rc, a))
}

pub(crate) async fn list_private_link_resources(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, ws)): Path<Ws>,
) -> Reply {
    let a = s.world().list_private_link_resources(&sub, &rg, &ws)?;
    Ok(answer(&rc, a))
}

pub(crate) async fn provision_managed_network(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, ws)): Path<Ws>,
    body: Bytes,
) -> Reply {
    let body = parse_body(&body)?;
    let a = s
        .world()
        .provision_managed_network(&rc.ctx, &sub, &rg, &ws, &body)?;
    Ok(answer(&rc, a))
}

pub(crate) async fn list_endpoints(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    OriginalUri(uri): OriginalUri,
    Path((sub, rg, ws)): Path<Ws>,
) -> Reply {
    let mut items = s.world().list_endpoints(&sub, &rg, &ws)?;
    if let Some(name) = rc.query.get("name") {
        items.retain(|e| {
            e["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        });
    }
    if let Some(order) = rc.query.get("orderBy") {
        let key = |v: &serde_json::Value| {
            v.pointer("/systemData/createdAt")
                .and_then(|t| t.as_str())
                .unwrap_or_default()
                .to_string()
        };
        match order.as_str() {
            "CreatedAtDesc" => items.sort_by_key(|v| std::cmp::Reverse(key(v))),
            "CreatedAtAsc" => items.sort_by_key(key),
            _ => {}
        }
    }
    Ok(paged(&rc, &uri, items, s.config.list_page_size))
}

pub(crate) async fn get_endpoint(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, ws, ep)): Path<Ep>,
) -> Reply {
    let a = s.world().get_endpoint(&sub, &rg, &ws, &ep)?;
    Ok(answer(&rc, a))
}

pub(crate) async fn put_endpoint(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, ws, ep)): Path<Ep>,
    body: Bytes,
) -> Reply {
    let body = required_body(&body)?;
    let a = s
        .world()
        .put_endpoint(&rc.ctx, &sub, &rg, &ws, &ep, &body)?;
    Ok(answer(&rc, a))
}

pub(crate) async fn patch_endpoint(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, ws, ep)): Path<Ep>,
    body: Bytes,
) -> Reply {
    let body = required_body(&body)?;
    let a = s
        .world()
        .patch_endpoint(&rc.ctx, &sub, &rg, &ws, &ep, &body)?;
    Ok(answer(&rc, a))
}

pub(crate) async fn delete_endpoint(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, ws, ep)): Path<Ep>,
) -> Reply {
    let a = s.world().delete_endpoint(&rc.ctx, &sub, &rg, &ws, &ep)?;
    Ok(answer(&rc, a))
}

pub(crate) async fn list_keys(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, ws, ep)): Path<Ep>,
) -> Reply {
    let a = s.world().endpoint_keys(&sub, &rg, &ws, &ep)?;
    Ok(answer(&rc, a))
}

pub(crate) async fn regenerate_keys(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, ws, ep)): Path<Ep>,
    body: Bytes,
) -> Reply {
    let body = required_body(&body)?;
    let a = s
        .world()
        .regenerate_keys(&rc.ctx, &sub, &rg, &ws, &ep, &body)?;
    Ok(answer(&rc, a))
}

pub(crate) async fn get_token(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, ws, ep)): Path<Ep>,
) -> Reply {
    let a = s.world().endpoint_token(&rc.ctx, &sub, &rg, &ws, &ep)?;
    Ok(answer(&rc, a))
}

pub(crate) async fn list_deployments(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    OriginalUri(uri): OriginalUri,
    Path((sub, rg, ws, ep)): Path<Ep>,
) -> Reply {
    let items = s.world().list_deployments(&sub, &rg, &ws, &ep)?;
    Ok(paged(&rc, &uri, items, s.config.list_page_size))
}

pub(crate) async fn get_deployment(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, ws, ep, dep)): Path<Dep>,
) -> Reply {
    let a = s.world().get_deployment(&sub, &rg, &ws, &ep, &dep)?;
    Ok(answer(&rc, a))
}

pub(crate) async fn put_deployment(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, ws, ep, dep)): Path<Dep>,
    body: Bytes,
) -> Reply {
    let body = required_body(&body)?;
    let a = s
        .world()
        .put_deployment(&rc.ctx, &sub, &rg, &ws, &ep, &dep, &body)?;
    Ok(answer(&rc, a))
}

pub(crate) async fn patch_deployment(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, ws, ep, dep)): Path<Dep>,
    body: Bytes,
) -> Reply {
    let body = required_body(&body)?;
    let a = s
        .world()
        .patch_deployment(&rc.ctx, &sub, &rg, &ws, &ep, &dep, &body)?;
    Ok(answer(&rc, a))
}

pub(crate) async fn delete_deployment(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, ws, ep, dep)): Path<Dep>,
) -> Reply {
    let a = s
        .world()
        .delete_deployment(&rc.ctx, &sub, &rg, &ws, &ep, &dep)?;
    Ok(answer(&rc, a))
}

pub(crate) async fn get_logs(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, ws, ep, dep)): Path<Dep>,
    body: Bytes,
) -> Reply {
    let body = parse_body(&body)?;
    let a = s
        .world()
        .deployment_logs(&sub, &rg, &ws, &ep, &dep, &body)?;
    Ok(answer(&rc, a))
}

pub(crate) async fn list_skus(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, ws, ep, dep)): Path<Dep>,
) -> Reply {
    let a = s.world().deployment_skus(&sub, &rg, &ws, &ep, &dep)?;
    Ok(answer(&rc, a))
}

pub(crate) async fn list_workspaces(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    OriginalUri(uri): OriginalUri,
    Path((sub, rg)): Path<(String, String)>,
) -> Reply {
    let items = s.world().list_workspaces(&sub, &rg)?;
    Ok(paged(&rc, &uri, items, s.config.list_page_size))
}
