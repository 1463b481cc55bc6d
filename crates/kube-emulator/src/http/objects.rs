//! Reads: get and list (label and field selectors, `limit` + `continue`), as JSON or Table.
//!
//! A continue token carries the list's resourceVersion and the last key returned; the next page
//! starts after that key. A token older than the watch history is answered 410 Expired, as a
//! real apiserver does once etcd compacted the snapshot it was paging through.

use std::sync::Arc;

use axum::response::Response;
use base64::Engine as _;
use serde_json::{Value, json};

use super::Req;
use super::path::Target;
use crate::resources::ResourceType;
use crate::selectors::{FieldSelector, LabelSelector};
use crate::shared::Shared;
use crate::status::ApiError;
use crate::store::ObjectKey;
use crate::table::{self, IncludeObject};
use crate::wire;

/// An object as served through `t`'s version (versions of a CRD share storage and differ only
/// in `apiVersion`, as with conversion strategy `None`).
pub(crate) fn present(t: &ResourceType, object: &Value) -> Value {
    if is_presentable(t, object) {
        return object.clone();
    }
    if t.behaviour == crate::resources::Behaviour::Event {
        return crate::events::to_events_v1(object);
    }
    let mut out = object.clone();
    let api_version = t.api_version();
    if out["apiVersion"].as_str() != Some(api_version.as_str()) {
        out["apiVersion"] = Value::String(api_version);
    }
    if out["kind"].is_null() {
        out["kind"] = Value::String(t.kind.clone());
    }
    out
}

pub(crate) fn get(shared: &Arc<Shared>, req: &Req, target: &Target) -> Result<Response, ApiError> {
    let name = target.name.as_deref().unwrap_or_default();
    let key: ObjectKey = (target.key_namespace(), name.to_owned());
    let (object, rv) = {
        let state = shared.lock();
        let object = state
            .get(&target.t.gr(), &key)
            .ok_or_else(|| ApiError::not_found(&target.t.gr(), name))?;
        (object, state.resource_version())
    };
    if wire::wants_table(req.accept()) {
        let include = IncludeObject::parse(req.query.get("includeObject"));
        let shown = present(&target.t, &object);
        let table = table::table(&target.t, &[&shown], &rv.to_string(), None, include);
        return Ok(wire::json(200, &table, &[]));
    }
    Ok(wire::json(200, &present(&target.t, &object), &[]))
}

/// Whether an object can be served through `t` as stored (no apiVersion rewrite needed).
pub(crate) fn is_presentable(t: &ResourceType, object: &Value) -> bool {
    object["kind"].is_string()
        && object["apiVersion"].as_str().is_some_and(|v| {
            v.strip_prefix(t.group.as_str())
                .map(|r| r.trim_start_matches('/'))
                == Some(t.version.as_str())
        })
}

/// The response body of one object, without copying it when no rewrite is needed.
pub(crate) fn respond_object(
    status: u16,
    t: &ResourceType,
    object: &Value,
    warnings: &[String],
) -> Response {
    if is_presentable(t, object) {
        wire::json(status, object, warnings)
    } else {
        wire::json(status, &present(t, object), warnings)
    }
}

/// Selectors of a list or watch.
pub(crate) struct Filter {
    pub namespace: Option<String>,
    pub labels: Option<LabelSelector>,
    pub fields: Option<FieldSelector>,
}

impl Filter {
    pub fn from_request(req: &Req, target: &Target) -> Result<Self, ApiError> {
        Ok(Self {
            namespace: target.namespace.clone().filter(|_| target.t.namespaced),
            labels: req
                .query
                .get("labelSelector")
                .map(LabelSelector::parse)
                .transpose()?,
            fields: req
                .query
                .get("fieldSelector")
                .map(|f| FieldSelector::parse(f, &target.t))
                .transpose()?,
        })
    }

    pub fn matches(&self, object: &Value) -> bool {
        if let Some(ns) = &self.namespace
            && object["metadata"]["namespace"].as_str() != Some(ns.as_str())
        {
            return false;
        }
        self.labels.as_ref().is_none_or(|l| l.matches(object))
            && self.fields.as_ref().is_none_or(|f| f.matches(object))
    }

    fn has_selectors(&self) -> bool {
        self.labels.is_some() || self.fields.is_some()
    }
}

fn encode_continue(rv: u64, key: &ObjectKey) -> String {
    let token =
        json!({"v": "meta.k8s.io/v1", "rv": rv, "start": format!("{}/{}\u{0}", key.0, key.1)});
    base64::engine::general_purpose::STANDARD.encode(token.to_string())
}

fn decode_continue(token: &str) -> Result<(u64, ObjectKey), ApiError> {
    let invalid = || {
        ApiError::invalid_kind(
            "meta.k8s.io",
            "ListOptions",
            "",
            &[crate::admission::FieldError::invalid(
                "continue",
                Value::String(token.to_owned()),
                "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
            )],
        )
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(token)
        .map_err(|_| invalid())?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    let rv = value["rv"].as_u64().ok_or_else(invalid)?;
    let start = value["start"].as_str().ok_or_else(invalid)?;
    let start = start.trim_end_matches('\u{0}');
    let (ns, name) = start.split_once('/').ok_or_else(invalid)?;
    Ok((rv, (ns.to_owned(), name.to_owned())))
}

pub(crate) fn list(shared: &Arc<Shared>, req: &Req, target: &Target) -> Result<Response, ApiError> {
    let filter = Filter::from_request(req, target)?;
    // A list at resourceVersion "0" is served whole from the watch cache, which (in 1.32)
    // does not paginate: `limit` is ignored.
    let from_cache = req.query.get("resourceVersion") == Some("0");
    let limit = match req.query.get("limit").filter(|_| !from_cache) {
        Some(l) => l
            .parse::<i64>()
            .map_err(|_| ApiError::bad_request(format!("invalid limit {l:?}")))?,
        None => 0,
    };
    let after = req.query.get("continue").map(decode_continue).transpose()?;
    let gr = target.t.gr();
    let (items, rv, next, remaining) = {
        let state = shared.lock();
        let rv = state.resource_version();
        if let Some((token_rv, _)) = &after
            && !state.history.retains(*token_rv)
        {
            return Err(ApiError::gone(
                "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
            ));
        }
        let list_rv = after.as_ref().map_or(rv, |(r, _)| *r);
        let mut items: Vec<Arc<Value>> = Vec::new();
        let mut next = None;
        let mut remaining = 0usize;
        for (key, object) in state.list(&gr, filter.namespace.as_deref()) {
            if let Some((_, start)) = &after
                && key <= start
            {
                continue;
            }
            if !filter.matches(object) {
                continue;
            }
            if limit > 0 && items.len() as i64 == limit {
                if next.is_none() {
                    let last = items
                        .last()
                        .map(|o| {
                            (
                                o["metadata"]["namespace"]
                                    .as_str()
                                    .unwrap_or_default()
                                    .to_owned(),
                                o["metadata"]["name"]
                                    .as_str()
                                    .unwrap_or_default()
                                    .to_owned(),
                            )
                        })
                        .unwrap_or_default();
                    next = Some(encode_continue(list_rv, &last));
                }
                remaining += 1;
                continue;
            }
            items.push(object.clone());
        }
        (items, list_rv, next, remaining)
    };
    let shown: Vec<Value> = items.iter().map(|o| present(&target.t, o)).collect();
    if wire::wants_table(req.accept()) {
        let include = IncludeObject::parse(req.query.get("includeObject"));
        let refs: Vec<&Value> = shown.iter().collect();
        let table = table::table(&target.t, &refs, &rv.to_string(), next.as_deref(), include);
        return Ok(wire::json(200, &table, &[]));
    }
    let mut metadata = json!({"resourceVersion": rv.to_string()});
    if let Some(token) = &next {
        metadata["continue"] = Value::String(token.clone());
        if !filter.has_selectors() {
            metadata["remainingItemCount"] = json!(remaining);
        }
    }
    let body = json!({
        "apiVersion": target.t.api_version(),
        "kind": format!("{}List", target.t.kind),
        "metadata": metadata,
        "items": shown,
    });
    Ok(wire::json(200, &body, &[]))
}
