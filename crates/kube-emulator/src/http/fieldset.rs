//! Field ownership for `metadata.managedFields`: sets of field paths in the `FieldsV1` encoding
//! (`f:<field>`, `k:<key json>` for items of `x-kubernetes-list-type: map` lists, `v:<value json>`
//! for set items, `.` for an item that is itself owned), and the per-manager entries the
//! apiserver keeps. Lists are atomic unless the schema (or, for metadata, ObjectMeta) says
//! `map` or `set`, as in structured-merge-diff.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use crate::meta;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Elem {
    Field(String),
    /// Canonical JSON of the key fields of a list-map item.
    Key(String),
    /// Canonical JSON of a set item.
    Value(String),
}

pub(crate) type FieldPath = Vec<Elem>;
pub(crate) type FieldSet = BTreeSet<FieldPath>;

/// Which part of an object a write may own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    /// Everything but `status` (main resource of a kind with the status subresource).
    Main,
    /// Only `status` (the status subresource).
    Status,
    /// Everything (kinds without the status subresource).
    All,
}

#[derive(Debug, Clone, PartialEq)]
enum ListKind {
    Atomic,
    Set,
    Map(Vec<String>),
}

fn list_kind(path: &[Elem], schema: Option<&Value>) -> ListKind {
    if let [Elem::Field(m), Elem::Field(f)] = path
        && m == "metadata"
    {
        return match f.as_str() {
            "finalizers" => ListKind::Set,
            "ownerReferences" => ListKind::Map(vec!["uid".to_owned()]),
            _ => ListKind::Atomic,
        };
    }
    let Some(schema) = schema else {
        return ListKind::Atomic;
    };
    match schema.get("x-kubernetes-list-type").and_then(Value::as_str) {
        Some("set") => ListKind::Set,
        Some("map") => ListKind::Map(
            schema
                .get("x-kubernetes-list-map-keys")
                .and_then(Value::as_array)
                .map(|k| {
                    k.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
        ),
        _ => ListKind::Atomic,
    }
}

fn child_schema<'a>(schema: Option<&'a Value>, field: &str) -> Option<&'a Value> {
    let schema = schema?;
    schema
        .get("properties")
        .and_then(|p| p.get(field))
        .or_else(|| schema.get("additionalProperties").filter(|a| a.is_object()))
}

fn is_granular_map(schema: Option<&Value>) -> bool {
    schema
        .and_then(|s| s.get("x-kubernetes-map-type"))
        .and_then(Value::as_str)
        != Some("atomic")
}

fn key_of(item: &Value, keys: &[String]) -> String {
    let mut key = Map::new();
    for k in keys {
        if let Some(v) = item.get(k) {
            key.insert(k.clone(), v.clone());
        }
    }
    Value::Object(key).to_string()
}

/// The top-level fields a part covers (metadata only its user-owned fields).
fn root_fields(object: &Value, part: Part) -> Vec<(String, &Value)> {
    let Some(map) = object.as_object() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, v) in map {
        let wanted = match k.as_str() {
            "apiVersion" | "kind" => false,
            "status" => part != Part::Main,
            _ => part != Part::Status,
        };
        if wanted {
            out.push((k.clone(), v));
        }
    }
    out
}

/// Every owned leaf path of `object` (for `part`), given the schema of its root.
pub(crate) fn fields_of(object: &Value, schema: Option<&Value>, part: Part) -> FieldSet {
    let mut out = FieldSet::new();
    for (k, v) in root_fields(object, part) {
        let path = vec![Elem::Field(k.clone())];
        if k == "metadata" {
            if let Value::Object(meta) = v {
                for f in ["labels", "annotations", "finalizers", "ownerReferences"] {
                    if let Some(sub) = meta.get(f) {
                        let mut p = path.clone();
                        p.push(Elem::Field(f.to_owned()));
                        collect(sub, None, p, &mut out);
                    }
                }
            }
            continue;
        }
        collect(v, child_schema(schema, &k), path, &mut out);
    }
    out
}

fn collect(value: &Value, schema: Option<&Value>, path: FieldPath, out: &mut FieldSet) {
    match value {
        Value::Object(map) if !map.is_empty() && is_granular_map(schema) => {
            for (k, v) in map {
                let mut p = path.clone();
                p.push(Elem::Field(k.clone()));
                collect(v, child_schema(schema, k), p, out);
            }
        }
        Value::Array(items) => match list_kind(&path, schema) {
            ListKind::Atomic => {
                out.insert(path);
            }
            ListKind::Set => {
                for item in items {
                    let mut p = path.clone();
                    p.push(Elem::Value(item.to_string()));
                    out.insert(p);
                }
            }
            ListKind::Map(keys) => {
                let item_schema = schema.and_then(|s| s.get("items"));
                for item in items {
                    let mut p = path.clone();
                    p.push(Elem::Key(key_of(item, &keys)));
                    out.insert(p.clone());
                    if let Value::Object(fields) = item {
                        for (k, v) in fields {
                            let mut q = p.clone();
                            q.push(Elem::Field(k.clone()));
                            collect(v, child_schema(item_schema, k), q, out);
                        }
                    }
                }
            }
        },
        _ => {
            out.insert(path);
        }
    }
}

/// The value a path points at.
pub(crate) fn value_at<'a>(object: &'a Value, path: &[Elem]) -> Option<&'a Value> {
    let mut node = object;
    for elem in path {
        node = match elem {
            Elem::Field(f) => node.get(f)?,
            Elem::Key(k) => {
                let key: Map<String, Value> = serde_json::from_str(k).ok()?;
                node.as_array()?
                    .iter()
                    .find(|item| key.iter().all(|(kk, kv)| item.get(kk) == Some(kv)))?
            }
            Elem::Value(v) => {
                let wanted: Value = serde_json::from_str(v).ok()?;
                node.as_array()?.iter().find(|item| **item == wanted)?
            }
        };
    }
    Some(node)
}

/// Removes the field or item at `path`, if present.
pub(crate) fn remove_at(object: &mut Value, path: &[Elem]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut node = object;
    for elem in parents {
        let next = match elem {
            Elem::Field(f) => node.get_mut(f),
            Elem::Key(k) => {
                let Ok(key) = serde_json::from_str::<Map<String, Value>>(k) else {
                    return;
                };
                node.as_array_mut().and_then(|items| {
                    items
                        .iter_mut()
                        .find(|item| key.iter().all(|(kk, kv)| item.get(kk) == Some(kv)))
                })
            }
            Elem::Value(_) => None,
        };
        match next {
            Some(n) => node = n,
            None => return,
        }
    }
    match last {
        Elem::Field(f) => {
            if let Some(map) = node.as_object_mut() {
                map.remove(f);
            }
        }
        Elem::Key(k) => {
            if let (Ok(key), Some(items)) = (
                serde_json::from_str::<Map<String, Value>>(k),
                node.as_array_mut(),
            ) {
                items.retain(|item| !key.iter().all(|(kk, kv)| item.get(kk) == Some(kv)));
            }
        }
        Elem::Value(v) => {
            if let (Ok(wanted), Some(items)) =
                (serde_json::from_str::<Value>(v), node.as_array_mut())
            {
                items.retain(|item| *item != wanted);
            }
        }
    }
}

/// Merges an applied configuration into a live object: objects field by field, list-maps by
/// key, sets by value, everything else replaced.
pub(crate) fn merge_into(
    live: &mut Value,
    config: &Value,
    schema: Option<&Value>,
    path: &FieldPath,
) {
    match (live, config) {
        (Value::Object(live_map), Value::Object(config_map)) if is_granular_map(schema) => {
            for (k, v) in config_map {
                let mut p = path.clone();
                p.push(Elem::Field(k.clone()));
                let sub = if path.is_empty() && k == "metadata" {
                    None
                } else {
                    child_schema(schema, k)
                };
                match live_map.get_mut(k) {
                    Some(existing) => merge_into(existing, v, sub, &p),
                    None => {
                        live_map.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (Value::Array(live_items), Value::Array(config_items)) => match list_kind(path, schema) {
            ListKind::Atomic => *live_items = config_items.clone(),
            ListKind::Set => {
                for item in config_items {
                    if !live_items.contains(item) {
                        live_items.push(item.clone());
                    }
                }
            }
            ListKind::Map(keys) => {
                let item_schema = schema.and_then(|s| s.get("items"));
                for item in config_items {
                    let key = key_of(item, &keys);
                    match live_items.iter_mut().find(|l| key_of(l, &keys) == key) {
                        Some(existing) => {
                            let mut p = path.clone();
                            p.push(Elem::Key(key));
                            merge_into(existing, item, item_schema, &p);
                        }
                        None => live_items.push(item.clone()),
                    }
                }
            }
        },
        (live, config) => *live = config.clone(),
    }
}

fn elem_text(e: &Elem) -> String {
    match e {
        Elem::Field(f) => format!("f:{f}"),
        Elem::Key(k) => format!("k:{k}"),
        Elem::Value(v) => format!("v:{v}"),
    }
}

fn parse_elem(s: &str) -> Option<Elem> {
    if let Some(f) = s.strip_prefix("f:") {
        Some(Elem::Field(f.to_owned()))
    } else if let Some(k) = s.strip_prefix("k:") {
        let canonical = serde_json::from_str::<Value>(k).ok()?.to_string();
        Some(Elem::Key(canonical))
    } else {
        s.strip_prefix("v:").map(|v| Elem::Value(v.to_owned()))
    }
}

/// The `FieldsV1` JSON of a set.
pub(crate) fn to_fields_v1(set: &FieldSet) -> Value {
    let mut root = Map::new();
    for path in set {
        insert_path(&mut root, path, set);
    }
    mark_items(&mut root, &mut Vec::new(), set);
    Value::Object(root)
}

fn insert_path(node: &mut Map<String, Value>, path: &[Elem], set: &FieldSet) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    let child = node.entry(elem_text(first)).or_insert_with(|| json!({}));
    if let Value::Object(child) = child {
        insert_path(child, rest, set);
        let _ = set;
    }
}

/// Marks owned items that also have owned children with `.`.
fn mark_items(node: &mut Map<String, Value>, prefix: &mut FieldPath, set: &FieldSet) {
    for (k, v) in node.iter_mut() {
        let Some(e) = parse_elem(k) else { continue };
        prefix.push(e);
        if let Value::Object(child) = v {
            mark_items(child, prefix, set);
            if !child.is_empty() && !child.contains_key(".") && set.contains(prefix.as_slice()) {
                child.insert(".".to_owned(), json!({}));
            }
        }
        prefix.pop();
    }
}

/// Parses `FieldsV1` JSON.
pub(crate) fn from_fields_v1(value: &Value) -> FieldSet {
    let mut out = FieldSet::new();
    walk_v1(value, Vec::new(), &mut out);
    out
}

fn walk_v1(value: &Value, path: FieldPath, out: &mut FieldSet) {
    let Some(map) = value.as_object() else { return };
    if (map.is_empty() || map.contains_key(".")) && !path.is_empty() {
        out.insert(path.clone());
    }
    for (k, v) in map {
        if k == "." {
            continue;
        }
        if let Some(e) = parse_elem(k) {
            let mut p = path.clone();
            p.push(e);
            walk_v1(v, p, out);
        }
    }
}

/// How a path prints in an apply conflict: `.spec.authMode`, `.status.conditions[type="Ready"]`.
pub(crate) fn display(path: &[Elem]) -> String {
    let mut s = String::new();
    for e in path {
        match e {
            Elem::Field(f) => {
                s.push('.');
                s.push_str(f);
            }
            Elem::Key(k) => {
                let key: Map<String, Value> = serde_json::from_str(k).unwrap_or_default();
                let parts: Vec<String> = key.iter().map(|(kk, kv)| format!("{kk}={kv}")).collect();
                s.push_str(&format!("[{}]", parts.join(",")));
            }
            Elem::Value(v) => s.push_str(&format!("[={v}]")),
        }
    }
    s
}

/// One `managedFields` entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub manager: String,
    pub operation: String,
    pub api_version: String,
    pub time: String,
    pub subresource: Option<String>,
    pub fields: FieldSet,
}

pub(crate) fn entries(object: &Value) -> Vec<Entry> {
    object["metadata"]["managedFields"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|e| Entry {
                    manager: e["manager"].as_str().unwrap_or_default().to_owned(),
                    operation: e["operation"].as_str().unwrap_or("Update").to_owned(),
                    api_version: e["apiVersion"].as_str().unwrap_or_default().to_owned(),
                    time: e["time"].as_str().unwrap_or_default().to_owned(),
                    subresource: e["subresource"].as_str().map(str::to_owned),
                    fields: from_fields_v1(&e["fieldsV1"]),
                })
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) fn store_entries(object: &mut Value, entries: &[Entry]) {
    let list: Vec<Value> = entries
        .iter()
        .filter(|e| !e.fields.is_empty())
        .map(|e| {
            let mut v = json!({
                "manager": e.manager,
                "operation": e.operation,
                "apiVersion": e.api_version,
                "time": e.time,
                "fieldsType": "FieldsV1",
                "fieldsV1": to_fields_v1(&e.fields),
            });
            if let Some(sub) = &e.subresource {
                v["subresource"] = Value::String(sub.clone());
            }
            v
        })
        .collect();
    if list.is_empty() {
        if let Some(meta) = object["metadata"].as_object_mut() {
            meta.remove("managedFields");
        }
    } else {
        object["metadata"]["managedFields"] = Value::Array(list);
    }
}

/// Records a non-apply write by `manager`: the fields it changed become its own (and leave
/// other managers), fields it removed leave everyone.
pub(crate) fn record_update(
    old: Option<&Value>,
    new: &mut Value,
    manager: &str,
    api_version: &str,
    subresource: Option<&str>,
    schema: Option<&Value>,
    part: Part,
) {
    let mut list = old.map(entries).unwrap_or_default();
    let new_fields = fields_of(new, schema, part);
    let old_fields = old.map(|o| fields_of(o, schema, part)).unwrap_or_default();
    let changed: FieldSet = new_fields
        .iter()
        .filter(|p| old.is_none_or(|o| value_at(o, p) != value_at(new, p)))
        .cloned()
        .collect();
    let removed: FieldSet = old_fields.difference(&new_fields).cloned().collect();
    if changed.is_empty() && removed.is_empty() {
        store_entries(new, &list);
        return;
    }
    for e in &mut list {
        e.fields
            .retain(|p| !changed.contains(p) && !removed.contains(p));
    }
    let sub = subresource.map(str::to_owned);
    let pos = list
        .iter()
        .position(|e| e.manager == manager && e.operation == "Update" && e.subresource == sub);
    let entry = match pos {
        Some(i) => &mut list[i],
        None => {
            list.push(Entry {
                manager: manager.to_owned(),
                operation: "Update".to_owned(),
                api_version: api_version.to_owned(),
                time: String::new(),
                subresource: sub,
                fields: FieldSet::new(),
            });
            let last = list.len() - 1;
            &mut list[last]
        }
    };
    entry.fields.extend(changed);
    entry.time = meta::now();
    entry.api_version = api_version.to_owned();
    store_entries(new, &list);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_v1_round_trips_with_list_map_items() {
        let schema = json!({"properties": {"status": {"properties": {"conditions": {
            "type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"],
            "items": {"properties": {"type": {"type": "string"}, "status": {"type": "string"}}}
        }}}}});
        let obj = json!({"status": {"conditions": [{"type": "Ready", "status": "True"}]}});
        let set = fields_of(&obj, Some(&schema), Part::All);
        let v1 = to_fields_v1(&set);
        assert_eq!(
            v1,
            json!({"f:status": {"f:conditions": {"k:{\"type\":\"Ready\"}": {".": {}, "f:status": {}, "f:type": {}}}}})
        );
        assert_eq!(from_fields_v1(&v1), set);
    }
}
