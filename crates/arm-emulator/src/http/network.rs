//! Handlers for Microsoft.Network private endpoints, DNS zone groups, VNets and subnets.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State};

use super::pipeline::RequestContext;
use super::respond::{Reply, answer, paged, required_body};
use crate::state::SharedState;

type Rg = (String, String);
type Pe = (String, String, String);
type Group = (String, String, String, String);

fn pe_id(sub: &str, rg: &str, pe: &str) -> String {
    format!(
        "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/privateEndpoints/{pe}"
    )
}

pub(crate) async fn list_private_endpoints(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    OriginalUri(uri): OriginalUri,
    Path((sub, rg)): Path<Rg>,
) -> Reply {
    let items = s.world().list_private_endpoints(&sub, &rg)?;
    Ok(paged(&rc, &uri, items, s.config.list_page_size))
}

pub(crate) async fn get_private_endpoint(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, pe)): Path<Pe>,
) -> Reply {
    let a = s.world().get_network_resource(&pe_id(&sub, &rg, &pe))?;
    Ok(answer(&rc, a))
}

pub(crate) async fn put_private_endpoint(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, pe)): Path<Pe>,
    body: Bytes,
) -> Reply {
    let body = required_body(&body)?;
    // Auto-approval is decided by the caller's permissions on the linked resource.
    let caller = s.auth.principal(&rc.ctx.actor);
    let a = s
        .world()
        .put_private_endpoint(&rc.ctx, caller.as_deref(), &sub, &rg, &pe, &body)?;
    Ok(answer(&rc, a))
}

pub(crate) async fn delete_private_endpoint(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, pe)): Path<Pe>,
) -> Reply {
    let a = s.world().delete_private_endpoint(&rc.ctx, &sub, &rg, &pe)?;
    Ok(answer(&rc, a))
}

pub(crate) async fn list_zone_groups(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    OriginalUri(uri): OriginalUri,
    Path((sub, rg, pe)): Path<Pe>,
) -> Reply {
    let items = s.world().list_zone_groups(&sub, &rg, &pe)?;
    Ok(paged(&rc, &uri, items, s.config.list_page_size))
}

pub(crate) async fn get_zone_group(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, pe, group)): Path<Group>,
) -> Reply {
    let a = s.world().get_network_resource(&format!(
        "{}/privateDnsZoneGroups/{group}",
        pe_id(&sub, &rg, &pe)
    ))?;
    Ok(answer(&rc, a))
}

pub(crate) async fn put_zone_group(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, pe, group)): Path<Group>,
    body: Bytes,
) -> Reply {
    let body = required_body(&body)?;
    let a = s
        .world()
        .put_zone_group(&rc.ctx, &sub, &rg, &pe, &group, &body)?;
    Ok(answer(&rc, a))
}

pub(crate) async fn delete_zone_group(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, pe, group)): Path<Group>,
) -> Reply {
    let a = s
        .world()
        .delete_zone_group(&rc.ctx, &sub, &rg, &pe, &group)?;
    Ok(answer(&rc, a))
}

pub(crate) async fn get_vnet(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, vnet)): Path<Pe>,
) -> Reply {
    let a = s.world().get_network_resource(&format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/virtualNetworks/{vnet}"))?;
    Ok(answer(&rc, a))
}

pub(crate) async fn get_subnet(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, vnet, subnet)): Path<Group>,
) -> Reply {
    let a = s.world().get_network_resource(&format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/virtualNetworks/{vnet}/subnets/{subnet}"))?;
    Ok(answer(&rc, a))
}

pub(crate) async fn list_private_endpoints_in_subscription(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    OriginalUri(uri): OriginalUri,
    Path(sub): Path<String>,
) -> Reply {
    let items = s
        .world()
        .list_in_subscription(&sub, crate::world::Kind::PrivateEndpoint)?;
    Ok(paged(&rc, &uri, items, s.config.list_page_size))
}
