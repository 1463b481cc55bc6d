//! ARM's wire contract shared by every resource type: error bodies, api-versions, path
//! canonicalisation and resource-id handling, LRO headers.

pub(crate) mod api_version;
pub(crate) mod arm_error;
pub(crate) mod lro_headers;
pub(crate) mod path;

pub(crate) use arm_error::ArmError;
