//! The patch formats of `PATCH`: JSON merge patch (RFC 7386), JSON patch (RFC 6902, with the
//! apiserver's leniencies) and strategic merge patch for the built-in kinds. Server-side apply
//! lives in [`crate::http::apply`].

mod json;
mod merge;
mod strategic;

pub(crate) use json::apply_json_patch;
pub(crate) use merge::merge_patch;
pub(crate) use strategic::strategic_merge_patch;
