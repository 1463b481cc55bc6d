//! Handlers for a workspace's associated resources: storage accounts, key vaults, container
//! registries (GET/PATCH) and Application Insights components (GET/PUT/PATCH tags), with their
//! private link resources and private endpoint connections (see `world/associated.rs`).

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};

use super::pipeline::RequestContext;
use super::respond::{Reply, answer, required_body};
use crate::state::SharedState;
use crate::world::Associated;

type Res = (String, String, String);
type Child = (String, String, String, String);

fn id(kind: Associated, sub: &str, rg: &str, name: &str) -> String {
    format!(
        "/subscriptions/{sub}/resourceGroups/{rg}/providers/{}/{name}",
        kind.arm_type()
    )
}

async fn get(s: SharedState, rc: RequestContext, kind: Associated, (sub, rg, name): Res) -> Reply {
    let a = s
        .world()
        .get_associated(kind, &id(kind, &sub, &rg, &name))?;
    Ok(answer(&rc, a))
}

async fn update(
    s: SharedState,
    rc: RequestContext,
    kind: Associated,
    (sub, rg, name): Res,
    body: Bytes,
    put: bool,
) -> Reply {
    let body = required_body(&body)?;
    let a = s
        .world()
        .update_associated(&rc.ctx, kind, &id(kind, &sub, &rg, &name), &body, put)?;
    Ok(answer(&rc, a))
}

async fn link_resources(
    s: SharedState,
    rc: RequestContext,
    kind: Associated,
    (sub, rg, name): Res,
) -> Reply {
    let a = s
        .world()
        .list_associated_link_resources(kind, &id(kind, &sub, &rg, &name))?;
    Ok(answer(&rc, a))
}

async fn connections(
    s: SharedState,
    rc: RequestContext,
    kind: Associated,
    (sub, rg, name): Res,
) -> Reply {
    let a = s
        .world()
        .list_associated_connections(kind, &id(kind, &sub, &rg, &name))?;
    Ok(answer(&rc, a))
}

async fn connection(
    s: SharedState,
    rc: RequestContext,
    kind: Associated,
    (sub, rg, name, pec): Child,
) -> Reply {
    let a = s
        .world()
        .get_associated_connection(kind, &id(kind, &sub, &rg, &name), &pec)?;
    Ok(answer(&rc, a))
}

// Not every type routes every verb (storage, vaults and registries are updated by PATCH, a
// component by PUT; components have no private link of their own).
macro_rules! handlers {
    ($kind:expr, $get:ident, $patch:ident, $put:ident, $plr:ident, $pecs:ident, $pec:ident) => {
        pub(crate) async fn $get(
            State(s): State<SharedState>,
            Extension(rc): Extension<RequestContext>,
            Path(p): Path<Res>,
        ) -> Reply {
            get(s, rc, $kind, p).await
        }
        pub(crate) async fn $patch(
            State(s): State<SharedState>,
            Extension(rc): Extension<RequestContext>,
            Path(p): Path<Res>,
            body: Bytes,
        ) -> Reply {
            update(s, rc, $kind, p, body, false).await
        }
        #[allow(dead_code)]
        pub(crate) async fn $put(
            State(s): State<SharedState>,
            Extension(rc): Extension<RequestContext>,
            Path(p): Path<Res>,
            body: Bytes,
        ) -> Reply {
            update(s, rc, $kind, p, body, true).await
        }
        #[allow(dead_code)]
        pub(crate) async fn $plr(
            State(s): State<SharedState>,
            Extension(rc): Extension<RequestContext>,
            Path(p): Path<Res>,
        ) -> Reply {
            link_resources(s, rc, $kind, p).await
        }
        #[allow(dead_code)]
        pub(crate) async fn $pecs(
            State(s): State<SharedState>,
            Extension(rc): Extension<RequestContext>,
            Path(p): Path<Res>,
        ) -> Reply {
            connections(s, rc, $kind, p).await
        }
        #[allow(dead_code)]
        pub(crate) async fn $pec(
            State(s): State<SharedState>,
            Extension(rc): Extension<RequestContext>,
            Path(p): Path<Child>,
        ) -> Reply {
            connection(s, rc, $kind, p).await
        }
    };
}

handlers!(
    Associated::Storage,
    get_storage,
    patch_storage,
    put_storage,
    storage_link_resources,
    storage_connections,
    storage_connection
);
handlers!(
    Associated::KeyVault,
    get_vault,
    patch_vault,
    put_vault,
    vault_link_resources,
    vault_connections,
    vault_connection
);
handlers!(
    Associated::Registry,
    get_registry,
    patch_registry,
    put_registry,
    registry_link_resources,
    registry_connections,
    registry_connection
);
handlers!(
    Associated::AppInsights,
    get_component,
    patch_component,
    put_component,
    component_link_resources,
    component_connections,
    component_connection
);
