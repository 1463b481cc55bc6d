//! Microsoft.Resources reads: a subscription and a resource group (clients check these exist).

use axum::Extension;
use axum::extract::{Path, State};

use super::pipeline::RequestContext;
use super::respond::{Reply, answer};
use crate::state::SharedState;
use crate::wire::ArmError;
use crate::world::Answer;

pub(crate) async fn get_subscription(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path(sub): Path<String>,
) -> Reply {
    let body = s
        .world()
        .resource_json(&format!("/subscriptions/{sub}"))
        .ok_or_else(|| {
            ArmError::new(
                axum::http::StatusCode::NOT_FOUND,
                "SubscriptionNotFound",
                format!("The subscription '{sub}' could not be found."),
            )
        })?;
    Ok(answer(&rc, Answer::ok(body)))
}

pub(crate) async fn get_resource_group(
    State(s): State<SharedState>,
    Extension(rc): Extension<RequestContext>,
    Path((sub, rg)): Path<(String, String)>,
) -> Reply {
    let body = s
        .world()
        .resource_json(&format!("/subscriptions/{sub}/resourceGroups/{rg}"))
        .ok_or_else(|| {
            ArmError::new(
                axum::http::StatusCode::NOT_FOUND,
                "ResourceGroupNotFound",
                format!("Resource group '{rg}' could not be found."),
            )
        })?;
    Ok(answer(&rc, Answer::ok(body)))
}
