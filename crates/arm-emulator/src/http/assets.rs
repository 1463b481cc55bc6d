//! Handlers for model, environment and code versions in a workspace or an Azure ML registry
//! (GET of a version, list of an asset's versions with `$orderBy` and `$top`); see
//! `world/assets.rs` for the rules and their sources.

use axum::Extension;
use axum::extract::{OriginalUri, Path, State};

use super::pipeline::RequestContext;
use super::respond::{Reply, answer, paged};
use crate::state::SharedState;
use crate::world::Answer;

const ML: &str = "providers/Microsoft.MachineLearningServices";

fn scope(sub: &str, rg: &str, kind: &str, name: &str) -> String {
    format!("/subscriptions/{sub}/resourceGroups/{rg}/{ML}/{kind}/{name}")
}

async fn list(
    s: SharedState,
    rc: RequestContext,
    uri: axum::http::Uri,
    scope_id: String,
    collection: &'static str,
    name: String,
) -> Reply {
    let top = rc.query.get("$top").and_then(|v| v.parse::<usize>().ok());
    let items = s.world().list_asset_versions(
        &scope_id,
        collection,
        &name,
        rc.query.get("$orderBy").map(String::as_str),
        top,
    )?;
    Ok(paged(&rc, &uri, items, s.config.list_page_size))
}

async fn get(
    s: SharedState,
    rc: RequestContext,
    scope_id: String,
    collection: &'static str,
    name: String,
    version: String,
) -> Reply {
    let body = s
        .world()
        .get_asset_version(&scope_id, collection, &name, &version)?;
    Ok(answer(&rc, Answer::ok(body)))
}

macro_rules! handlers {
    ($list:ident, $get:ident, $kind:literal, $collection:literal) => {
        pub(crate) async fn $list(
            State(s): State<SharedState>,
            Extension(rc): Extension<RequestContext>,
            OriginalUri(uri): OriginalUri,
            Path((sub, rg, parent, name)): Path<(String, String, String, String)>,
        ) -> Reply {
            list(
                s,
                rc,
                uri,
                scope(&sub, &rg, $kind, &parent),
                $collection,
                name,
            )
            .await
        }

        pub(crate) async fn $get(
            State(s): State<SharedState>,
            Extension(rc): Extension<RequestContext>,
            Path((sub, rg, parent, name, version)): Path<(String, String, String, String, String)>,
        ) -> Reply {
            get(
                s,
                rc,
                scope(&sub, &rg, $kind, &parent),
                $collection,
                name,
                version,
            )
            .await
        }
    };
}

handlers!(list_ws_models, get_ws_model, "workspaces", "models");
handlers!(
    list_ws_environments,
    get_ws_environment,
    "workspaces",
    "environments"
);
handlers!(list_ws_codes, get_ws_code, "workspaces", "codes");
handlers!(list_reg_models, get_reg_model, "registries", "models");
handlers!(
    list_reg_environments,
    get_reg_environment,
    "registries",
    "environments"
);
handlers!(list_reg_codes, get_reg_code, "registries", "codes");
