//! Model, environment and code versions, in a workspace and in an Azure ML registry: GET of a
//! version and the list of an asset's versions, as mfe.json 2025-12-01 declares them
//! (`ModelVersions_Get`/`_List`, `EnvironmentVersions_*`, `CodeVersions_*` under
//! `.../workspaces/{ws}/{models|environments|codes}/{name}/versions`, and `RegistryModelVersions_*`
//! and the like under `.../registries/{registry}/...`; Azure/azure-rest-api-specs,
//! `specification/machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable/2025-12-01/mfe.json`,
//! commit 5485d5f8). The lists take `$orderBy` ("Ordering of list") and `$top` ("Maximum number
//! of records to return") and page with `nextLink`.
//!
//! Versions are published by a test (the admin [`crate::Admin::publish_asset_version`], as a data
//! scientist's `az ml model create` would), each with `systemData.createdAt`; registries are
//! seeded (`mlRegistries` of a resource group).
//!
//! Not verified, so chosen and said here: `$orderBy` is matched as azure-ai-ml sends it
//! (`createdtime desc` / `createdtime asc`, case-insensitive); any other value keeps creation
//! order. Without `$orderBy` the list is in creation order. A list of the versions of an asset
//! that does not exist answers an empty list (azure-ai-ml's `_get_latest` handles an empty answer
//! as "does not exist"), while a workspace or registry that does not exist answers 404
//! `ResourceNotFound`. The version PUT (synchronous for workspaces, long-running for registries
//! in the spec) is not served.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::render::system_data;
use super::{Ctx, Kind, Resource, World};
use crate::error::Error;
use crate::wire::ArmError;
use crate::wire::path::key;

/// The three versioned asset collections (their path segment).
pub(crate) const COLLECTIONS: [&str; 3] = ["models", "environments", "codes"];

fn canonical_collection(collection: &str) -> Option<&'static str> {
    COLLECTIONS
        .iter()
        .find(|c| c.eq_ignore_ascii_case(collection))
        .copied()
}

/// `.../workspaces/{ws}` or `.../registries/{registry}`: the parent of asset collections.
fn scope_kind(scope_id: &str) -> Option<&'static str> {
    let lower = scope_id.to_ascii_lowercase();
    let after = lower
        .split("/providers/microsoft.machinelearningservices/")
        .nth(1)?;
    let parts: Vec<&str> = after.split('/').collect();
    match parts.as_slice() {
        ["workspaces", _] => Some("workspaces"),
        ["registries", _] => Some("registries"),
        _ => None,
    }
}

fn version_body(
    scope_id: &str,
    scope: &str,
    collection: &str,
    name: &str,
    version: &str,
    actor: &str,
    now: jiff::Timestamp,
) -> Value {
    let id = format!("{scope_id}/{collection}/{name}/versions/{version}");
    let kind_props = match collection {
        // ModelVersion example (Workspace/ModelVersion/get.json): modelType, modelUri, flavors.
        "models" => json!({
            "modelType": "CustomModel",
            "modelUri": format!("azureml://locations/westeurope/workspaces/00000/models/{name}/versions/{version}"),
            "flavors": {},
            "jobName": null,
        }),
        // EnvironmentVersion: image, osType, environmentType.
        "environments" => json!({
            "image": "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest",
            "osType": "Linux",
            "environmentType": "UserCreated",
        }),
        // CodeVersion: codeUri.
        _ => json!({
            "codeUri": format!("https://storage.blob.core.windows.net/code/{name}/{version}"),
        }),
    };
    let mut props = json!({
        "description": null,
        "tags": {},
        "properties": {},
        "isAnonymous": false,
        "isArchived": false,
        "provisioningState": "Succeeded",
    });
    if let (Some(p), Some(extra)) = (props.as_object_mut(), kind_props.as_object()) {
        for (k, v) in extra {
            p.insert(k.clone(), v.clone());
        }
    }
    json!({
        "id": id,
        "name": version,
        "type": format!("Microsoft.MachineLearningServices/{scope}/{collection}/versions"),
        "properties": props,
        "systemData": system_data(actor, now),
    })
}

impl World {
    /// Seeds an Azure ML registry (`Microsoft.MachineLearningServices/registries`).
    pub(crate) fn seed_ml_registry(&mut self, ctx: &Ctx, rg_id: &str, location: &str, name: &str) {
        let id = format!("{rg_id}/providers/Microsoft.MachineLearningServices/registries/{name}");
        if self.get(&id).is_some() {
            return;
        }
        self.insert(Resource {
            id: id.clone(),
            kind: Kind::MlRegistry,
            body: json!({
                "id": id,
                "name": name,
                "type": "Microsoft.MachineLearningServices/registries",
                "location": location,
                "properties": {"publicNetworkAccess": "Enabled", "regionDetails": [{"location": location}]},
                "systemData": system_data("seed", ctx.now),
            }),
            op: None,
            keys: None,
        });
        self.record(&id, "created", "seed", ctx.now);
    }

    /// Publishes a version of a model, environment or code in a workspace or registry
    /// (`scope_id`), created now by `ctx.actor`.
    pub(crate) fn publish_asset_version(
        &mut self,
        ctx: &Ctx,
        scope_id: &str,
        collection: &str,
        name: &str,
        version: &str,
    ) -> Result<Value, Error> {
        let scope = scope_kind(scope_id).ok_or_else(|| {
            Error::Admin(format!(
                "{scope_id} is not a Microsoft.MachineLearningServices workspace or registry id"
            ))
        })?;
        let collection = canonical_collection(collection).ok_or_else(|| {
            Error::Admin(format!(
                "{collection} is not one of models, environments, codes"
            ))
        })?;
        let parent = self
            .get(scope_id)
            .ok_or_else(|| Error::Admin(format!("{scope_id} does not exist")))?
            .id
            .clone();
        if name.is_empty() || version.is_empty() || name.contains('/') || version.contains('/') {
            return Err(Error::Admin(format!(
                "asset name {name:?} and version {version:?} must be non-empty path segments"
            )));
        }
        let body = version_body(
            &parent, scope, collection, name, version, &ctx.actor, ctx.now,
        );
        let id = body["id"].as_str().unwrap_or_default().to_string();
        self.insert(Resource {
            id: id.clone(),
            kind: Kind::AssetVersion,
            body: body.clone(),
            op: None,
            keys: None,
        });
        self.record(&id, "created", &ctx.actor, ctx.now);
        Ok(body)
    }

    fn require_asset_scope(&self, scope_id: &str) -> Result<(), ArmError> {
        self.require(scope_id).map(|_| ())
    }

    /// GET a version.
    pub(crate) fn get_asset_version(
        &self,
        scope_id: &str,
        collection: &str,
        name: &str,
        version: &str,
    ) -> Result<Value, ArmError> {
        self.require_asset_scope(scope_id)?;
        let id = format!("{scope_id}/{collection}/{name}/versions/{version}");
        self.get(&id).map(|r| r.body.clone()).ok_or_else(|| {
            ArmError::new(
                StatusCode::NOT_FOUND,
                "ResourceNotFound",
                format!("Could not find asset {name} with version {version} in {collection}."),
            )
        })
    }

    /// The versions of an asset, ordered as `$orderBy` asks and cut to `$top`.
    pub(crate) fn list_asset_versions(
        &self,
        scope_id: &str,
        collection: &str,
        name: &str,
        order_by: Option<&str>,
        top: Option<usize>,
    ) -> Result<Vec<Value>, ArmError> {
        self.require_asset_scope(scope_id)?;
        let container = format!("{scope_id}/{collection}/{name}");
        let prefix = format!("{}/versions/", key(&container));
        let mut items: Vec<Value> = self
            .store
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter(|(k, _)| !k[prefix.len()..].contains('/'))
            .map(|(_, r)| r.body.clone())
            .collect();
        let created = |v: &Value| {
            v.pointer("/systemData/createdAt")
                .and_then(Value::as_str)
                .and_then(|s| s.parse::<jiff::Timestamp>().ok())
        };
        // Creation order first (store order is by name); equal times keep name order.
        items.sort_by_key(|v| created(v));
        let order = order_by.map(|o| o.trim().to_ascii_lowercase());
        if order.as_deref() == Some("createdtime desc") {
            items.reverse();
        }
        if let Some(top) = top {
            items.truncate(top);
        }
        Ok(items)
    }
}
