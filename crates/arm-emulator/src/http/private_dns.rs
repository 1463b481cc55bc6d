//! Handlers for private DNS zones, virtual network links and A record sets.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State};
use axum::http::HeaderMap;

use super::pipeline::RequestContext;
use super::respond::{Reply, answer, paged, required_body};
use crate::state::SharedState;
use crate::world::Preconditions;

type Rg = (String, String);
type Zone = (String, String, String);
type Child = (String, String, String, String);

fn preconditions(headers: &HeaderMap) -> Preconditions {
    let get = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    Preconditions {
        if_match: get("if-match"),
        if_none_match: get("if-none-match"),
    }
}

fn zone_id(sub: &str, rg: &str, zone: &str) -> String {
    format!(
        "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/privateDnsZones/{zone}"
    )
}

pub(crate) async fn list_zones(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    OriginalUri(uri): OriginalUri,
    Path((sub, rg)): Path<Rg>,
) -> Reply {
    let items = s.world().list_zones(&sub, &rg)?;
    Ok(paged(&rc, &uri, items, s.config.list_page_size))
}

pub(crate) async fn get_zone(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, zone)): Path<Zone>,
) -> Reply {
    let a = s.world().get_network_resource(&zone_id(&sub, &rg, &zone))?;
    Ok(answer(&rc, a))
}

pub(crate) async fn put_zone(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, zone)): Path<Zone>,
    body: Bytes,
) -> Reply {
    let body = required_body(&body)?;
    let a = s.world().put_zone(
        &rc.ctx,
        &sub,
        &rg,
        &zone,
        &body,
        &preconditions(&rc.headers),
    )?;
    Ok(answer(&rc, a))
}

pub(crate) async fn delete_zone(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, zone)): Path<Zone>,
) -> Reply {
    let a = s
        .world()
        .delete_zone(&rc.ctx, &sub, &rg, &zone, &preconditions(&rc.headers))?;
    Ok(answer(&rc, a))
}

pub(crate) async fn list_links(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    OriginalUri(uri): OriginalUri,
    Path((sub, rg, zone)): Path<Zone>,
) -> Reply {
    let items = s.world().list_vnet_links(&sub, &rg, &zone)?;
    Ok(paged(&rc, &uri, items, s.config.list_page_size))
}

pub(crate) async fn get_link(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, zone, link)): Path<Child>,
) -> Reply {
    let a = s.world().get_network_resource(&format!(
        "{}/virtualNetworkLinks/{link}",
        zone_id(&sub, &rg, &zone)
    ))?;
    Ok(answer(&rc, a))
}

pub(crate) async fn put_link(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, zone, link)): Path<Child>,
    body: Bytes,
) -> Reply {
    let body = required_body(&body)?;
    let a = s.world().put_vnet_link(
        &rc.ctx,
        &sub,
        &rg,
        &zone,
        &link,
        &body,
        &preconditions(&rc.headers),
    )?;
    Ok(answer(&rc, a))
}

pub(crate) async fn delete_link(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, zone, link)): Path<Child>,
) -> Reply {
    let a = s.world().delete_vnet_link(
        &rc.ctx,
        &sub,
        &rg,
        &zone,
        &link,
        &preconditions(&rc.headers),
    )?;
    Ok(answer(&rc, a))
}

pub(crate) async fn list_a_records(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    OriginalUri(uri): OriginalUri,
    Path((sub, rg, zone)): Path<Zone>,
) -> Reply {
    let items = s.world().list_records(&sub, &rg, &zone, false)?;
    Ok(paged(&rc, &uri, items, s.config.list_page_size))
}

pub(crate) async fn list_all_records(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    OriginalUri(uri): OriginalUri,
    Path((sub, rg, zone)): Path<Zone>,
) -> Reply {
    let items = s.world().list_records(&sub, &rg, &zone, true)?;
    Ok(paged(&rc, &uri, items, s.config.list_page_size))
}

pub(crate) async fn get_a_record(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, zone, record)): Path<Child>,
) -> Reply {
    let a = s
        .world()
        .get_network_resource(&format!("{}/A/{record}", zone_id(&sub, &rg, &zone)))?;
    Ok(answer(&rc, a))
}

pub(crate) async fn put_a_record(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, zone, record)): Path<Child>,
    body: Bytes,
) -> Reply {
    let body = required_body(&body)?;
    let a = s
        .world()
        .put_a_record(&rc.ctx, &sub, &rg, &zone, &record, &body)?;
    Ok(answer(&rc, a))
}

pub(crate) async fn delete_a_record(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, zone, record)): Path<Child>,
) -> Reply {
    let a = s
        .world()
        .delete_a_record(&rc.ctx, &sub, &rg, &zone, &record)?;
    Ok(answer(&rc, a))
}

pub(crate) async fn list_zones_in_subscription(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    OriginalUri(uri): OriginalUri,
    Path(sub): Path<String>,
) -> Reply {
    let items = s
        .world()
        .list_in_subscription(&sub, crate::world::Kind::PrivateDnsZone)?;
    Ok(paged(&rc, &uri, items, s.config.list_page_size))
}

pub(crate) async fn patch_zone(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg, zone)): Path<Zone>,
    body: Bytes,
) -> Reply {
    let body = required_body(&body)?;
    let a = s.world().patch_zone(
        &rc.ctx,
        &sub,
        &rg,
        &zone,
        &body,
        &preconditions(&rc.headers),
    )?;
    Ok(answer(&rc, a))
}
