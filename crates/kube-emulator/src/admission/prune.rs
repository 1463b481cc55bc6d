//! Pruning: the apiserver drops every field a structural schema does not specify (unless a node
//! says `x-kubernetes-preserve-unknown-fields: true`) and reports each one, which
//! `fieldValidation=Strict` turns into an error and `Warn` into a warning.

use serde_json::{Map, Value};

use super::field::{child, index};

/// The fields of `ObjectMeta` a client may send; anything else under `metadata` is unknown.
const OBJECT_META_FIELDS: &[&str] = &[
    "name",
    "generateName",
    "namespace",
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
    "managedFields",
];

/// Removes unknown fields from a whole custom resource and returns their paths
/// (`spec.publicAccess`, `metadata.foo`).
pub fn prune_object(object: &mut Value, schema: &Value) -> Vec<String> {
    let mut unknown = Vec::new();
    let Value::Object(map) = object else {
        return unknown;
    };
    if let Some(Value::Object(meta)) = map.get_mut("metadata") {
        prune_metadata(meta, &mut unknown);
    }
    let mut rest = Map::new();
    for (key, value) in std::mem::take(map) {
        if matches!(key.as_str(), "apiVersion" | "kind" | "metadata") {
            map.insert(key, value);
        } else {
            rest.insert(key, value);
        }
    }
    let mut rest = Value::Object(rest);
    prune_node(&mut rest, schema, "", &mut unknown);
    if let Value::Object(rest) = rest {
        map.extend(rest);
    }
    unknown
}

fn prune_metadata(meta: &mut Map<String, Value>, unknown: &mut Vec<String>) {
    meta.retain(|key, _| {
        let known = OBJECT_META_FIELDS.contains(&key.as_str());
        if !known {
            unknown.push(child("metadata", key));
        }
        known
    });
}

fn preserves_unknown(schema: &Value) -> bool {
    schema.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true))
}

/// Prunes `value` against the schema node `schema`, reporting paths relative to `path`.
pub(crate) fn prune_node(value: &mut Value, schema: &Value, path: &str, unknown: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            let embedded = schema.get("x-kubernetes-embedded-resource") == Some(&Value::Bool(true));
            let properties = schema.get("properties").and_then(Value::as_object);
            let additional = schema.get("additionalProperties");
            let preserve = preserves_unknown(schema);
            let keys: Vec<String> = map.keys().cloned().collect();
            for key in keys {
                let sub_path = child(path, &key);
                if embedded && matches!(key.as_str(), "apiVersion" | "kind") {
                    continue;
                }
                if embedded && key == "metadata" {
                    if let Some(Value::Object(meta)) = map.get_mut("metadata") {
                        let mut nested = Vec::new();
                        prune_metadata(meta, &mut nested);
                        unknown.extend(nested.into_iter().map(|p| child(path, &p)));
                    }
                    continue;
                }
                let sub_schema = properties
                    .and_then(|p| p.get(&key))
                    .or(additional.filter(|a| a.is_object()));
                match sub_schema {
                    Some(sub) => {
                        if let Some(v) = map.get_mut(&key) {
                            prune_node(v, sub, &sub_path, unknown);
                        }
                    }
                    None if preserve || additional == Some(&Value::Bool(true)) => {}
                    None => {
                        map.remove(&key);
                        unknown.push(sub_path);
                    }
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter_mut().enumerate() {
                    prune_node(item, item_schema, &index(path, i), unknown);
                }
            }
        }
        _ => {}
    }
}
