//! Server-side apply (`application/apply-patch+yaml`): the configuration is merged into the live
//! object (list-maps by key, sets by value, the rest replaced); fields the manager applied before
//! and no longer applies are removed unless another manager owns them; a field another manager
//! owns with a different value is a 409 conflict naming it, unless `force=true` takes it over.
//! Apply creates a missing object. `fieldManager` is required.

use std::sync::Arc;

use axum::response::Response;
use serde_json::{Value, json};

use super::Req;
use super::fieldset::{self, Entry, FieldSet, display, fields_of, merge_into, remove_at, value_at};
use super::objects::{present, respond_object};
use super::path::Target;
use super::write::{WriteContext, create, decode_custom, part_for, schema_of, update};
use crate::meta;
use crate::shared::Shared;
use crate::status::ApiError;
use crate::wire;

pub(crate) fn apply_request(
    shared: &Arc<Shared>,
    req: &Req,
    target: &Target,
) -> Result<Response, ApiError> {
    let Some(manager) = req.query.get("fieldManager").map(str::to_owned) else {
        return Err(ApiError::bad_request(
            "PATCH, fieldManager: Required value: is required for apply requests",
        ));
    };
    let force = req.query.flag("force");
    let mut ctx = WriteContext::from_request(req)?;
    ctx.manager = manager.clone();
    ctx.apply = true;
    let t = target.t.clone();
    let mut config = wire::decode(&req.body, "application/yaml")?;
    if !config.is_object() {
        return Err(ApiError::bad_request(
            "an apply configuration must be an object",
        ));
    }
    if config["apiVersion"].as_str().is_none_or(str::is_empty)
        || config["kind"].as_str().is_none_or(str::is_empty)
    {
        return Err(ApiError::bad_request(
            "apiVersion and kind must be set in an apply configuration",
        ));
    }
    let name = target.name.clone().unwrap_or_default();
    match config["metadata"]["name"].as_str() {
        Some(n) if n != name => {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({n}) does not match the name on the URL ({name})"
            )));
        }
        Some(_) => {}
        None => config["metadata"]["name"] = Value::String(name.clone()),
    }
    let warnings = decode_custom(&t, &mut config, ctx.validation)?;
    let part = part_for(&t, target.is_status());
    let schema = schema_of(&t).cloned();
    let applied = fields_of(&config, schema.as_ref(), part);
    let api_version = t.api_version();
    let sub = target.sub.clone();
    let exists = shared
        .lock()
        .get(&t.gr(), &(target.key_namespace(), name.clone()))
        .is_some();
    if !exists {
        if target.is_status() {
            return Err(ApiError::not_found(&t.gr(), &name));
        }
        let (object, mut more) = create(
            shared,
            &t,
            target.namespace.as_deref(),
            config,
            &ctx,
            Some(applied),
        )?;
        more.extend(warnings);
        return Ok(respond_object(201, &t, &object, &more));
    }
    let explicit_rv = config["metadata"]["resourceVersion"].is_string();
    let result = update(
        shared,
        target,
        &ctx,
        explicit_rv,
        |current| {
            let live = present(&t, current);
            let mut list = fieldset::entries(current);
            let is_mine =
                |e: &Entry| e.manager == manager && e.operation == "Apply" && e.subresource == sub;
            let mut conflicts: Vec<(String, String, fieldset::FieldPath)> = Vec::new();
            for e in list.iter().filter(|e| !is_mine(e)) {
                for p in applied.intersection(&e.fields) {
                    if value_at(&live, p) != value_at(&config, p) {
                        conflicts.push((e.manager.clone(), e.api_version.clone(), p.clone()));
                    }
                }
            }
            if !conflicts.is_empty() && !force {
                return Err(conflict_error(&t.gr(), &name, &conflicts));
            }
            if force {
                for e in list.iter_mut().filter(|e| !is_mine(e)) {
                    e.fields.retain(|p| !applied.contains(p));
                }
            }
            let previously: FieldSet = list
                .iter()
                .find(|e| is_mine(e))
                .map(|e| e.fields.clone())
                .unwrap_or_default();
            let others: FieldSet = list
                .iter()
                .filter(|e| !is_mine(e))
                .flat_map(|e| e.fields.iter().cloned())
                .collect();
            let mut merged = live.clone();
            for p in previously.difference(&applied) {
                if !others.contains(p) {
                    remove_at(&mut merged, p);
                }
            }
            merge_into(&mut merged, &config, schema.as_ref(), &Vec::new());
            list.retain(|e| !is_mine(e));
            list.push(Entry {
                manager: manager.clone(),
                operation: "Apply".to_owned(),
                api_version: api_version.clone(),
                time: meta::now(),
                subresource: sub.clone(),
                fields: applied.clone(),
            });
            fieldset::store_entries(&mut merged, &list);
            Ok(merged)
        },
        None,
    )?;
    let mut all = result.warnings;
    all.extend(warnings);
    Ok(respond_object(result.status, &t, &result.object, &all))
}

/// The managedFields of an object an apply created.
pub(crate) fn record_apply_create(
    object: &mut Value,
    manager: &str,
    api_version: &str,
    fields: FieldSet,
) {
    fieldset::store_entries(
        object,
        &[Entry {
            manager: manager.to_owned(),
            operation: "Apply".to_owned(),
            api_version: api_version.to_owned(),
            time: meta::now(),
            subresource: None,
            fields,
        }],
    );
}

fn conflict_error(
    gr: &crate::resources::GroupResource,
    name: &str,
    conflicts: &[(String, String, fieldset::FieldPath)],
) -> ApiError {
    let causes: Vec<Value> = conflicts
        .iter()
        .map(|(m, v, p)| json!({"reason": "FieldManagerConflict", "message": format!("conflict with \"{m}\" using {v}"), "field": display(p)}))
        .collect();
    let message = if let [(m, v, p)] = conflicts {
        format!(
            "Apply failed with 1 conflict: conflict with \"{m}\" using {v}: {}",
            display(p)
        )
    } else {
        let mut managers: Vec<&str> = conflicts.iter().map(|(m, _, _)| m.as_str()).collect();
        managers.dedup();
        let lines: Vec<String> = conflicts
            .iter()
            .map(|(_, _, p)| format!("- {}", display(p)))
            .collect();
        format!(
            "Apply failed with {} conflicts: conflicts with \"{}\" using {}:\n{}",
            conflicts.len(),
            managers.join("\", \""),
            conflicts[0].1,
            lines.join("\n")
        )
    };
    ApiError {
        details: crate::status::boxed(
            json!({"name": name, "group": gr.group, "kind": gr.resource, "causes": causes}),
        ),
        ..ApiError::new(409, "Conflict", message)
    }
}
