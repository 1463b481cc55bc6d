//! Handlers for Azure Monitor autoscale settings (see `world/autoscale.rs`).

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};

use super::pipeline::RequestContext;
use super::respond::{Reply, answer, required_body};
use crate::state::SharedState;

type Setting = (String, String, String);

fn id(sub: &str, rg: &str, name: &str) -> String {
    format!(
        "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Insights/autoscalesettings/{name}"
    )
}

pub(crate) async fn get_setting(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, name)): Path<Setting>,
) -> Reply {
    let a = s.world().get_autoscale_setting(&id(&sub, &rg, &name))?;
    Ok(answer(&rc, a))
}

pub(crate) async fn put_setting(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, name)): Path<Setting>,
    body: Bytes,
) -> Reply {
    let body = required_body(&body)?;
    let a = s
        .world()
        .put_autoscale_setting(&rc.ctx, &id(&sub, &rg, &name), &body)?;
    Ok(answer(&rc, a))
}

pub(crate) async fn patch_setting(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, name)): Path<Setting>,
    body: Bytes,
) -> Reply {
    let body = required_body(&body)?;
    let a = s
        .world()
        .patch_autoscale_setting(&rc.ctx, &id(&sub, &rg, &name), &body)?;
    Ok(answer(&rc, a))
}

pub(crate) async fn delete_setting(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, name)): Path<Setting>,
) -> Reply {
    let a = s
        .world()
        .delete_autoscale_setting(&rc.ctx, &id(&sub, &rg, &name))?;
    Ok(answer(&rc, a))
}

pub(crate) async fn list_in_group(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg)): Path<(String, String)>,
) -> Reply {
    let a = s.world().list_autoscale_settings(&sub, Some(&rg))?;
    Ok(answer(&rc, a))
}

pub(crate) async fn list_in_subscription(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path(sub): Path<String>,
) -> Reply {
    let a = s.world().list_autoscale_settings(&sub, None)?;
    Ok(answer(&rc, a))
}
