//! Structural validation of a value against an OpenAPI v3 schema node, with the apiserver's
//! messages (kube-openapi's validator as apiextensions turns its results into field errors):
//! types, `required`, `enum`, `pattern` (RE2: Rust's `regex` has the same syntax and no
//! look-around either), string lengths in characters, numeric bounds, list sizes and
//! uniqueness of `x-kubernetes-list-type` map keys and set items, map sizes, and the
//! `allOf`/`anyOf`/`oneOf`/`not` combinators.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use regex::Regex;
use serde_json::{Map, Value};

use super::field::{FieldError, FieldErrorType, child, index};

/// Validates `value` at `path` against `schema`, appending every error.
pub fn validate(value: &Value, schema: &Value, path: &str, errors: &mut Vec<FieldError>) {
    // A null that survived pruning (a list item, a map value) is a type error unless nullable.
    if value.is_null() && schema.get("nullable") == Some(&Value::Bool(true)) {
        return;
    }
    if !check_type(value, schema, path, errors) {
        return;
    }
    check_enum(value, schema, path, errors);
    match value {
        Value::String(s) => check_string(s, schema, path, errors),
        Value::Number(_) => check_number(value, schema, path, errors),
        Value::Array(items) => check_array(items, schema, path, errors),
        Value::Object(map) => check_object(map, schema, path, errors),
        _ => {}
    }
    check_combinators(value, schema, path, errors);
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if is_integral(n) => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Integers as the apiserver's JSON decoder sees them: a float with no fraction is an integer.
fn is_integral(n: &serde_json::Number) -> bool {
    n.is_i64()
        || n.is_u64()
        || n.as_f64()
            .is_some_and(|f| f.fract() == 0.0 && f.is_finite())
}

fn check_type(value: &Value, schema: &Value, path: &str, errors: &mut Vec<FieldError>) -> bool {
    let int_or_string = schema.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true));
    if int_or_string {
        if matches!(json_type(value), "integer" | "string") {
            return true;
        }
        errors.push(type_error(path, value, "integer,string"));
        return false;
    }
    let Some(expected) = schema.get("type").and_then(Value::as_str) else {
        return true;
    };
    let actual = json_type(value);
    let ok = actual == expected || (expected == "number" && actual == "integer");
    if !ok {
        errors.push(type_error(path, value, expected));
    }
    ok
}

fn type_error(path: &str, value: &Value, expected: &str) -> FieldError {
    let actual = json_type(value);
    FieldError::new(
        path,
        FieldErrorType::TypeInvalid,
        Some(Value::String(actual.to_owned())),
        format!("{path} in body must be of type {expected}: \"{actual}\""),
    )
}

fn check_enum(value: &Value, schema: &Value, path: &str, errors: &mut Vec<FieldError>) {
    let Some(Value::Array(allowed)) = schema.get("enum") else {
        return;
    };
    if allowed.iter().any(|a| json_equal(a, value)) {
        return;
    }
    let supported: Vec<String> = allowed
        .iter()
        .map(|a| match a {
            Value::String(s) => Value::String(s.clone()).to_string(),
            other => Value::String(other.to_string()).to_string(),
        })
        .collect();
    errors.push(FieldError::new(
        path,
        FieldErrorType::NotSupported,
        Some(value.clone()),
        format!("supported values: {}", supported.join(", ")),
    ));
}

/// Equality where 1 and 1.0 are the same number.
fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// Whether a schema `pattern` compiles (as RE2 would accept it).
pub(crate) fn pattern_compiles(pattern: &str) -> bool {
    compiled_pattern(pattern).is_some()
}

fn compiled_pattern(pattern: &str) -> Option<Regex> {
    static CACHE: OnceLock<Mutex<HashMap<String, Option<Regex>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    cache
        .entry(pattern.to_owned())
        .or_insert_with(|| {
            regex::RegexBuilder::new(&go_perl_classes(pattern))
                .size_limit(64 << 20)
                .build()
                .ok()
        })
        .clone()
}

/// Go's RE2 `\d`, `\s` and `\w` are ASCII-only; Rust's are Unicode (and, repeated, compile
/// into programs too big for the default limit). Rewrites them to the ASCII classes.
fn go_perl_classes(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(next) = chars.next() else {
                    out.push(c);
                    break;
                };
                let ascii = match next {
                    'w' => Some("[:word:]"),
                    'd' => Some("[:digit:]"),
                    's' => Some("\\t\\n\\x0C\\r "),
                    'W' => Some("^[:word:]"),
                    'D' => Some("^[:digit:]"),
                    _ => None,
                };
                match ascii {
                    Some(class) if in_class && !class.starts_with('^') => out.push_str(class),
                    Some(class) if !in_class => {
                        out.push('[');
                        if let Some(negated) = class.strip_prefix('^') {
                            out.push('^');
                            out.push_str(negated);
                        } else {
                            out.push_str(class);
                        }
                        out.push(']');
                    }
                    _ => {
                        out.push('\\');
                        out.push(next);
                    }
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                // A leading `]` or `^]` is literal inside a class.
                let rest = chars.as_str();
                for lead in ["^]", "]", "^"] {
                    if rest.starts_with(lead) {
                        out.push_str(lead);
                        for _ in 0..lead.len() {
                            chars.next();
                        }
                        break;
                    }
                }
            }
            '[' if in_class && chars.as_str().starts_with(':') => {
                // A POSIX class inside a class: copy through its closing `:]`.
                out.push(c);
                for d in chars.by_ref() {
                    out.push(d);
                    if d == ']' {
                        break;
                    }
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

fn check_string(s: &str, schema: &Value, path: &str, errors: &mut Vec<FieldError>) {
    let length = s.chars().count() as u64;
    if let Some(max) = schema.get("maxLength").and_then(Value::as_u64)
        && length > max
    {
        let unit = if max == 1 { "byte" } else { "bytes" };
        errors.push(FieldError::new(
            path,
            FieldErrorType::TooLong,
            Some(Value::String(s.to_owned())),
            format!("may not be more than {max} {unit}"),
        ));
    }
    if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
        && length < min
    {
        errors.push(FieldError::invalid(
            path,
            Value::String(s.to_owned()),
            format!("{path} in body should be at least {min} chars long"),
        ));
    }
    if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
        match compiled_pattern(pattern) {
            Some(re) if re.is_match(s) => {}
            _ => errors.push(FieldError::invalid(
                path,
                Value::String(s.to_owned()),
                format!("{path} in body should match '{pattern}'"),
            )),
        }
    }
}

fn check_number(value: &Value, schema: &Value, path: &str, errors: &mut Vec<FieldError>) {
    let Some(x) = value.as_f64() else { return };
    let flag = |key: &str| schema.get(key) == Some(&Value::Bool(true));
    if let Some(min) = schema.get("minimum").and_then(Value::as_f64) {
        if flag("exclusiveMinimum") && x <= min {
            errors.push(FieldError::invalid(
                path,
                value.clone(),
                format!("{path} in body should be greater than {}", number(min)),
            ));
        } else if x < min {
            errors.push(FieldError::invalid(
                path,
                value.clone(),
                format!(
                    "{path} in body should be greater than or equal to {}",
                    number(min)
                ),
            ));
        }
    }
    if let Some(max) = schema.get("maximum").and_then(Value::as_f64) {
        if flag("exclusiveMaximum") && x >= max {
            errors.push(FieldError::invalid(
                path,
                value.clone(),
                format!("{path} in body should be less than {}", number(max)),
            ));
        } else if x > max {
            errors.push(FieldError::invalid(
                path,
                value.clone(),
                format!(
                    "{path} in body should be less than or equal to {}",
                    number(max)
                ),
            ));
        }
    }
    if let Some(m) = schema.get("multipleOf").and_then(Value::as_f64)
        && m > 0.0
        && (x / m).fract() != 0.0
    {
        errors.push(FieldError::invalid(
            path,
            value.clone(),
            format!("{path} in body should be a multiple of {}", number(m)),
        ));
    }
}

/// A bound as Go prints a float64 with `%v`: `1`, not `1.0`.
fn number(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        f.to_string()
    }
}

fn check_array(items: &[Value], schema: &Value, path: &str, errors: &mut Vec<FieldError>) {
    let count = items.len() as u64;
    if let Some(max) = schema.get("maxItems").and_then(Value::as_u64)
        && count > max
    {
        errors.push(FieldError::new(
            path,
            FieldErrorType::TooMany,
            Some(Value::from(count)),
            format!("must have at most {max} items"),
        ));
    }
    if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
        && count < min
    {
        errors.push(FieldError::invalid(
            path,
            Value::Array(items.to_vec()),
            format!("{path} in body should have at least {min} items"),
        ));
    }
    let list_type = schema.get("x-kubernetes-list-type").and_then(Value::as_str);
    if schema.get("uniqueItems") == Some(&Value::Bool(true)) || list_type == Some("set") {
        for (i, item) in items.iter().enumerate() {
            if items[..i].iter().any(|earlier| json_equal(earlier, item)) {
                errors.push(FieldError::new(
                    index(path, i),
                    FieldErrorType::Duplicate,
                    Some(item.clone()),
                    "",
                ));
            }
        }
    }
    if list_type == Some("map") {
        let keys: Vec<&str> = schema
            .get("x-kubernetes-list-map-keys")
            .and_then(Value::as_array)
            .map(|k| k.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let key_of = |item: &Value| -> Value {
            let mut key = Map::new();
            for k in &keys {
                if let Some(v) = item.get(*k) {
                    key.insert((*k).to_owned(), v.clone());
                }
            }
            Value::Object(key)
        };
        for (i, item) in items.iter().enumerate() {
            let key = key_of(item);
            if items[..i].iter().any(|earlier| key_of(earlier) == key) {
                errors.push(FieldError::new(
                    index(path, i),
                    FieldErrorType::Duplicate,
                    Some(key),
                    "",
                ));
            }
        }
    }
    if let Some(item_schema) = schema.get("items") {
        for (i, item) in items.iter().enumerate() {
            validate(item, item_schema, &index(path, i), errors);
        }
    }
}

fn check_object(
    map: &Map<String, Value>,
    schema: &Value,
    path: &str,
    errors: &mut Vec<FieldError>,
) {
    let count = map.len() as u64;
    if let Some(max) = schema.get("maxProperties").and_then(Value::as_u64)
        && count > max
    {
        errors.push(FieldError::new(
            path,
            FieldErrorType::TooMany,
            Some(Value::from(count)),
            format!("must have at most {max} items"),
        ));
    }
    if let Some(min) = schema.get("minProperties").and_then(Value::as_u64)
        && count < min
    {
        errors.push(FieldError::invalid(
            path,
            Value::Object(map.clone()),
            format!("{path} in body should have at least {min} properties"),
        ));
    }
    if let Some(Value::Array(required)) = schema.get("required") {
        for name in required.iter().filter_map(Value::as_str) {
            if !map.contains_key(name) {
                errors.push(FieldError::required(child(path, name)));
            }
        }
    }
    let properties = schema.get("properties").and_then(Value::as_object);
    let additional = schema.get("additionalProperties").filter(|a| a.is_object());
    for (key, value) in map {
        let sub_path = child(path, key);
        if let Some(sub) = properties.and_then(|p| p.get(key)) {
            validate(value, sub, &sub_path, errors);
        } else if let Some(sub) = additional {
            validate(value, sub, &sub_path, errors);
        }
    }
}

fn check_combinators(value: &Value, schema: &Value, path: &str, errors: &mut Vec<FieldError>) {
    let passes = |sub: &Value| {
        let mut found = Vec::new();
        validate(value, sub, path, &mut found);
        found.is_empty()
    };
    if let Some(Value::Array(all)) = schema.get("allOf") {
        for sub in all {
            validate(value, sub, path, errors);
        }
    }
    if let Some(Value::Array(any)) = schema.get("anyOf")
        && !any.iter().any(passes)
    {
        errors.push(FieldError::invalid(
            path,
            value.clone(),
            format!("{path} in body must validate at least one schema (anyOf)"),
        ));
    }
    if let Some(Value::Array(one)) = schema.get("oneOf")
        && one.iter().filter(|s| passes(s)).count() != 1
    {
        errors.push(FieldError::invalid(
            path,
            value.clone(),
            format!("{path} in body must validate one and only one schema (oneOf)"),
        ));
    }
    if let Some(not) = schema.get("not")
        && passes(not)
    {
        errors.push(FieldError::invalid(
            path,
            value.clone(),
            format!("{path} in body should not validate the given schema"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn errors(value: Value, schema: Value) -> Vec<String> {
        let mut out = Vec::new();
        validate(&value, &schema, "spec.x", &mut out);
        out.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn arm_id_pattern_with_escapes_in_classes_matches() {
        let schema = json!({"type": "string", "pattern": r"^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[-\w\._\(\)]{1,90}/providers/Microsoft\.Network/virtualNetworks/[-\w\._]{2,64}/subnets/[-\w\._]{1,80}$"});
        let id = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-hub/subnets/pe";
        assert_eq!(errors(json!(id), schema), Vec::<String>::new());
    }

    #[test]
    fn messages_match_the_apiserver() {
        let s = json!({"type": "string", "minLength": 3, "maxLength": 5, "pattern": "^[a-z]+$", "enum": ["abcd", "ab"]});
        assert_eq!(
            errors(json!("ab"), s.clone()),
            vec![
                "spec.x: Invalid value: \"ab\": spec.x in body should be at least 3 chars long"
                    .to_owned(),
            ]
        );
        assert_eq!(
            errors(json!("ABCDEF"), s),
            vec![
                "spec.x: Unsupported value: \"ABCDEF\": supported values: \"abcd\", \"ab\""
                    .to_owned(),
                "spec.x: Too long: may not be more than 5 bytes".to_owned(),
                "spec.x: Invalid value: \"ABCDEF\": spec.x in body should match '^[a-z]+$'"
                    .to_owned(),
            ]
        );
        assert_eq!(errors(json!("1"), json!({"type": "integer"})), vec![
            "spec.x: Invalid value: \"string\": spec.x in body must be of type integer: \"string\"".to_owned(),
        ]);
        assert_eq!(
            errors(json!(0), json!({"type": "integer", "minimum": 1})),
            vec![
                "spec.x: Invalid value: 0: spec.x in body should be greater than or equal to 1"
                    .to_owned(),
            ]
        );
        assert_eq!(
            errors(
                json!({"a": 1, "b": 2}),
                json!({"type": "object", "maxProperties": 1, "required": ["c"]})
            ),
            vec![
                "spec.x: Too many: 2: must have at most 1 items".to_owned(),
                "spec.x.c: Required value".to_owned(),
            ]
        );
    }
}
