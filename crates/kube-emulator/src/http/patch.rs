//! `PATCH`: JSON merge patch, JSON patch and (built-in kinds only) strategic merge patch are
//! applied to the current object and the result goes down the update path; apply patches go to
//! [`super::apply`]. Any other media type (and strategic merge on a custom resource) is 415.

use std::sync::Arc;

use axum::response::Response;

use super::objects::{present, respond_object};
use super::path::Target;
use super::write::{WriteContext, update};
use super::{Req, apply};
use crate::patch::{apply_json_patch, merge_patch, strategic_merge_patch};
use crate::resources::Behaviour;
use crate::shared::Shared;
use crate::status::ApiError;
use crate::wire;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Merge,
    Json,
    Strategic,
}

pub(crate) fn patch_request(
    shared: &Arc<Shared>,
    req: &Req,
    target: &Target,
) -> Result<Response, ApiError> {
    let media = req.media_type();
    let kind = match media.as_str() {
        "application/apply-patch+yaml" => return apply::apply_request(shared, req, target),
        "application/merge-patch+json" => Kind::Merge,
        "application/json-patch+json" => Kind::Json,
        "application/strategic-merge-patch+json" if target.t.behaviour != Behaviour::Custom => {
            Kind::Strategic
        }
        other => return Err(ApiError::unsupported_media_type(other)),
    };
    if req.query.flag("force") {
        return Err(ApiError::bad_request(
            "force may not be set for non-apply patch requests",
        ));
    }
    let patch = wire::decode(&req.body, "application/json")?;
    let ctx = WriteContext::from_request(req)?;
    let explicit_rv = match kind {
        Kind::Json => patch.as_array().is_some_and(|ops| {
            ops.iter()
                .any(|op| op["path"] == "/metadata/resourceVersion")
        }),
        _ => patch["metadata"]["resourceVersion"].is_string(),
    };
    let t = target.t.clone();
    let result = update(
        shared,
        target,
        &ctx,
        explicit_rv,
        |current| {
            let mut doc = present(&t, current);
            match kind {
                Kind::Merge => merge_patch(&mut doc, &patch),
                Kind::Strategic => strategic_merge_patch(&mut doc, &patch),
                Kind::Json => apply_json_patch(&mut doc, &patch)
                    .map_err(|e| ApiError::new(422, "Invalid", e))?,
            }
            if !doc.is_object() {
                return Err(ApiError::bad_request(
                    "the patch turned the object into a non-object",
                ));
            }
            Ok(doc)
        },
        None,
    )?;
    Ok(respond_object(
        result.status,
        &target.t,
        &result.object,
        &result.warnings,
    ))
}
