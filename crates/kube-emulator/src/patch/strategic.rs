//! Strategic merge patch for the built-in kinds the emulator serves (Namespaces, Secrets,
//! ConfigMaps, Events, Leases, CRDs): a merge patch whose lists with a patch merge key merge by
//! that key (`metadata.ownerReferences` by `uid`, CRD `versions` by `name`), `metadata.finalizers`
//! merges as a set, and `$patch`, `$retainKeys`, `$setElementOrder/...` and
//! `$deleteFromPrimitiveList/...` directives are honoured. Custom resources refuse it (415), as
//! on a real apiserver.

use serde_json::{Map, Value};

/// The merge key of a list field by its name, for the kinds served here.
fn merge_key(field: &str) -> Option<&'static str> {
    match field {
        "ownerReferences" => Some("uid"),
        "versions" | "additionalPrinterColumns" => Some("name"),
        "conditions" => Some("type"),
        _ => None,
    }
}

fn is_set(field: &str) -> bool {
    matches!(field, "finalizers")
}

pub(crate) fn strategic_merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch_map) = patch else {
        *target = patch.clone();
        return;
    };
    if patch_map.get("$patch").and_then(Value::as_str) == Some("replace") {
        let mut replaced = patch_map.clone();
        replaced.remove("$patch");
        *target = Value::Object(replaced);
        return;
    }
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(target_map) = target else {
        return;
    };
    if let Some(Value::Array(keep)) = patch_map.get("$retainKeys") {
        let keep: Vec<&str> = keep.iter().filter_map(Value::as_str).collect();
        target_map.retain(|k, _| keep.contains(&k.as_str()));
    }
    for (key, value) in patch_map {
        if key.starts_with('$') {
            continue;
        }
        if let Some(field) = key.strip_prefix("$deleteFromPrimitiveList/") {
            if let (Some(Value::Array(items)), Value::Array(gone)) =
                (target_map.get_mut(field), value)
            {
                items.retain(|i| !gone.contains(i));
            }
            continue;
        }
        if key.starts_with("$setElementOrder/") {
            continue;
        }
        if value.is_null() {
            target_map.remove(key);
            continue;
        }
        match (value, target_map.get_mut(key)) {
            (Value::Object(sub), _)
                if sub.get("$patch").and_then(Value::as_str) == Some("delete") =>
            {
                target_map.remove(key);
            }
            (Value::Array(items), Some(Value::Array(existing))) if is_set(key) => {
                for item in items {
                    if !existing.contains(item) {
                        existing.push(item.clone());
                    }
                }
            }
            (Value::Array(items), Some(Value::Array(existing))) if merge_key(key).is_some() => {
                let mk = merge_key(key).unwrap_or_default();
                merge_list(existing, items, mk);
            }
            _ => {
                strategic_merge_patch(target_map.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

fn merge_list(existing: &mut Vec<Value>, patch: &[Value], key: &str) {
    for item in patch {
        let id = item.get(key);
        let directive = item.get("$patch").and_then(Value::as_str);
        let pos = existing
            .iter()
            .position(|e| e.get(key) == id && id.is_some());
        match (pos, directive) {
            (Some(i), Some("delete")) => {
                existing.remove(i);
            }
            (None, Some("delete")) => {}
            (Some(i), _) => strategic_merge_patch(&mut existing[i], item),
            (None, _) => {
                let mut fresh = Value::Null;
                strategic_merge_patch(&mut fresh, item);
                existing.push(fresh);
            }
        }
    }
}
