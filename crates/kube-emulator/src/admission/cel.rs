//! `x-kubernetes-validations`: CEL rules evaluated with kube's offline evaluator, transition
//! rules (`oldSelf`) only on updates, each failure turned into the field error the apiserver
//! reports (`Invalid value: "<schema type>": <message>` at the rule's node or its `fieldPath`).

use kube::core::cel::{CompiledSchema, ErrorKind, ValidationError, validate_compiled};
use serde_json::Value;

use super::field::{FieldError, FieldErrorType};

/// Runs every rule of `compiled` on `object` (and `old` for an update).
pub fn check(
    compiled: &CompiledSchema,
    schema: &Value,
    object: &Value,
    old: Option<&Value>,
) -> Vec<FieldError> {
    match validate_compiled(compiled, object, old) {
        Ok(()) => Vec::new(),
        Err(errors) => errors
            .into_iter()
            .map(|e| to_field_error(&e, schema))
            .collect(),
    }
}

fn to_field_error(e: &ValidationError, schema: &Value) -> FieldError {
    let kind = match e.reason.as_deref() {
        Some("FieldValueForbidden") => FieldErrorType::Forbidden,
        Some("FieldValueRequired") => FieldErrorType::Required,
        Some("FieldValueDuplicate") => FieldErrorType::Duplicate,
        _ => FieldErrorType::Invalid,
    };
    let value = rule_node_type(schema, &e.rule).unwrap_or("object");
    let detail = match e.kind {
        ErrorKind::ValidationFailure => e.message.clone(),
        _ => format!("rule evaluation error: {}", e.message),
    };
    FieldError::new(
        e.field_path.clone(),
        kind,
        Some(Value::String(value.to_owned())),
        detail,
    )
}

/// The `type` of the schema node that declares `rule` (what the apiserver prints as the value).
fn rule_node_type<'a>(schema: &'a Value, rule: &str) -> Option<&'a str> {
    let declares = schema
        .get("x-kubernetes-validations")
        .and_then(Value::as_array)
        .is_some_and(|rules| {
            rules
                .iter()
                .any(|r| r.get("rule").and_then(Value::as_str) == Some(rule))
        });
    if declares {
        return schema.get("type").and_then(Value::as_str);
    }
    let children = schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|p| p.values())
        .chain(schema.get("items"))
        .chain(schema.get("additionalProperties").filter(|a| a.is_object()));
    for sub in children {
        if let Some(found) = rule_node_type(sub, rule) {
            return Some(found);
        }
    }
    None
}
