//! What the apiserver demands of a CRD schema before it accepts the CRD: a structural schema
//! (every node has a `type`, unless it is `x-kubernetes-int-or-string` or preserves unknown
//! fields; `properties` and `additionalProperties` are exclusive), `pattern`s that compile as RE2
//! (no look-around, no back-references), and CEL rules that compile. Paths are printed the way
//! the apiserver names schema nodes (`spec.versions[0].schema.openAPIV3Schema.properties[spec].type`).

use serde_json::Value;

use super::field::FieldError;

/// Every problem of `schema`, with paths under `prefix`.
pub fn schema_problems(schema: &Value, prefix: &str) -> Vec<FieldError> {
    let mut problems = Vec::new();
    walk(schema, prefix, true, &mut problems);
    let compiled = kube::core::cel::compile_schema(schema);
    cel_problems(&compiled, prefix, &mut problems);
    problems
}

/// CEL compilation errors anywhere in the compiled tree, at the node that declares the rule.
fn cel_problems(
    node: &kube::core::cel::CompiledSchema,
    path: &str,
    problems: &mut Vec<FieldError>,
) {
    for e in node.compilation_errors() {
        problems.push(FieldError::invalid(
            format!("{path}.x-kubernetes-validations"),
            Value::String(String::new()),
            format!("compilation failed: {e}"),
        ));
    }
    for (name, sub) in &node.properties {
        cel_problems(sub, &format!("{path}.properties[{name}]"), problems);
    }
    if let Some(items) = &node.items {
        cel_problems(items, &format!("{path}.items"), problems);
    }
    if let Some(additional) = &node.additional_properties {
        cel_problems(
            additional,
            &format!("{path}.additionalProperties"),
            problems,
        );
    }
}

fn walk(node: &Value, path: &str, root: bool, problems: &mut Vec<FieldError>) {
    let Some(map) = node.as_object() else { return };
    let typed = map
        .get("type")
        .and_then(Value::as_str)
        .is_some_and(|t| !t.is_empty());
    let exempt = map.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true))
        || map.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true));
    if !typed && !exempt && !root {
        problems.push(
            FieldError::required(format!("{path}.type"))
                .with_detail("must not be empty for specified object fields"),
        );
    }
    if map.contains_key("properties")
        && map
            .get("additionalProperties")
            .is_some_and(|a| a != &Value::Bool(false))
    {
        problems.push(FieldError::forbidden(
            format!("{path}.additionalProperties"),
            "additionalProperties and properties are mutual exclusive",
        ));
    }
    if let Some(pattern) = map.get("pattern").and_then(Value::as_str)
        && !super::structural::pattern_compiles(pattern)
    {
        problems.push(FieldError::invalid(
            format!("{path}.pattern"),
            Value::String(pattern.to_owned()),
            "must be a valid regular expression (RE2 syntax)",
        ));
    }
    if let Some(Value::Object(props)) = map.get("properties") {
        for (name, sub) in props {
            walk(sub, &format!("{path}.properties[{name}]"), false, problems);
        }
    }
    if let Some(items) = map.get("items") {
        walk(items, &format!("{path}.items"), false, problems);
    }
    if let Some(additional) = map.get("additionalProperties").filter(|a| a.is_object()) {
        walk(
            additional,
            &format!("{path}.additionalProperties"),
            false,
            problems,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_untyped_nodes_bad_patterns_and_bad_cel() {
        let schema = json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {
            "a": {"description": "no type"},
            "b": {"type": "string", "pattern": "^(?!x)"},
            "c": {"type": "integer", "x-kubernetes-validations": [{"rule": "self >", "message": "m"}]},
        }}}});
        let problems: Vec<String> = schema_problems(&schema, "s")
            .iter()
            .map(|p| p.path.clone())
            .collect();
        assert!(
            problems.contains(&"s.properties[spec].properties[a].type".to_owned()),
            "{problems:?}"
        );
        assert!(
            problems.contains(&"s.properties[spec].properties[b].pattern".to_owned()),
            "{problems:?}"
        );
        assert!(
            problems
                .iter()
                .any(|p| p.ends_with("x-kubernetes-validations")),
            "{problems:?}"
        );
    }
}
