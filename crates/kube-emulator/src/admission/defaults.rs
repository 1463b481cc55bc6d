//! Defaulting: `null` in a field that is not `nullable` is dropped, then every missing property
//! with a schema `default` gets it (recursively, so a defaulted object's own defaults apply),
//! as the apiserver does when it decodes a request and when it reads from storage.

use serde_json::Value;

fn is_nullable(schema: &Value) -> bool {
    schema.get("nullable") == Some(&Value::Bool(true))
}

/// Applies the schema's defaults to `value` in place.
pub fn apply_defaults(value: &mut Value, schema: &Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Object(properties)) = schema.get("properties") {
                for (name, sub) in properties {
                    let default = sub.get("default");
                    match map.get(name) {
                        Some(Value::Null) if !is_nullable(sub) => match default {
                            Some(d) => {
                                map.insert(name.clone(), d.clone());
                            }
                            None => {
                                map.remove(name);
                            }
                        },
                        None => {
                            if let Some(d) = default {
                                map.insert(name.clone(), d.clone());
                            }
                        }
                        _ => {}
                    }
                    if let Some(v) = map.get_mut(name) {
                        apply_defaults(v, sub);
                    }
                }
            } else if let Some(additional) = schema.get("additionalProperties")
                && additional.is_object()
            {
                for v in map.values_mut() {
                    apply_defaults(v, additional);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for item in items {
                    apply_defaults(item, item_schema);
                }
            }
        }
        _ => {}
    }
}
