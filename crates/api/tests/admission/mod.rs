//! What a real apiserver does with a custom resource before storing it, as far as these tests
//! need: structural validation against the CRD's OpenAPI schema with strict field validation
//! (unknown fields are errors, as `kubectl apply` asks for by default), then the CEL rules of
//! `x-kubernetes-validations`, transition rules included. Errors name the field the way kubectl
//! prints them (`spec.azureName: ...`).
//!
//! kube's CEL evaluator is not the apiserver's cel-go; this is a lint that catches rules that do
//! not hold, alongside [`check_crd`] that keeps the schema acceptable to a real apiserver.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::core::cel::{ScopeContext, Validator, WarningKind, analyze_rule, compile_schema};
use serde_json::{Value, json};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The committed CRDs, keyed by kind.
pub fn committed_crds() -> BTreeMap<String, CustomResourceDefinition> {
    let mut out = BTreeMap::new();
    for crd in api::crds() {
        let path = repo_root().join("crds").join(api::crd_file_name(&crd));
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("failed to read {}: {e}", path.display()));
        let committed: CustomResourceDefinition = serde_saphyr::from_str(&text)
            .unwrap_or_else(|e| panic!("failed to parse {}: {e}", path.display()));
        out.insert(committed.spec.names.kind.clone(), committed);
    }
    out
}

/// The openAPIV3Schema of a CRD's only version, as JSON.
pub fn openapi_schema(crd: &CustomResourceDefinition) -> Value {
    let version = &crd.spec.versions[0];
    let schema = version
        .schema
        .as_ref()
        .and_then(|s| s.open_api_v3_schema.as_ref())
        .expect("CRD has an openAPIV3Schema");
    serde_json::to_value(schema).expect("schema serializes")
}

/// Turns an OpenAPI v3 structural schema into draft-4 JSON Schema with strict field validation:
/// `nullable` becomes a `null` type, objects with `properties` refuse other keys, and the root
/// admits `apiVersion`, `kind` and `metadata`.
fn strict_json_schema(node: &Value, root: bool) -> Value {
    let Value::Object(map) = node else {
        return node.clone();
    };
    let mut out = serde_json::Map::new();
    for (key, value) in map {
        match key.as_str() {
            "properties" => {
                let mut props = serde_json::Map::new();
                if let Value::Object(p) = value {
                    for (name, sub) in p {
                        props.insert(name.clone(), strict_json_schema(sub, false));
                    }
                }
                if root {
                    props.insert("apiVersion".into(), json!({"type": "string"}));
                    props.insert("kind".into(), json!({"type": "string"}));
                    props.insert("metadata".into(), json!({"type": "object"}));
                }
                out.insert(key.clone(), Value::Object(props));
            }
            "items" | "additionalProperties" => {
                out.insert(key.clone(), strict_json_schema(value, false));
            }
            "nullable"
            | "x-kubernetes-validations"
            | "x-kubernetes-list-type"
            | "x-kubernetes-list-map-keys"
            | "format"
            | "default"
            | "description"
            | "title" => {}
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    if map.get("nullable") == Some(&Value::Bool(true)) {
        if let Some(Value::String(t)) = map.get("type") {
            out.insert("type".into(), json!([t, "null"]));
        }
        // enums must admit null too
        if let Some(Value::Array(values)) = out.get_mut("enum") {
            values.push(Value::Null);
        }
    }
    if map.contains_key("properties") && !map.contains_key("additionalProperties") {
        out.insert("additionalProperties".into(), Value::Bool(false));
    }
    Value::Object(out)
}

/// A JSON pointer as kubectl prints a field path: `/spec/list/0/name` -> `spec.list[0].name`.
fn dotted(pointer: &str) -> String {
    let mut out = String::new();
    for part in pointer.split('/').filter(|p| !p.is_empty()) {
        if part.chars().all(|c| c.is_ascii_digit()) {
            out.push_str(&format!("[{part}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(part);
        }
    }
    out
}

/// Validates `object` (and, for an update, `old`) as the apiserver would. Returns each error as
/// `<field path>: <message>`.
pub fn admit(
    crd: &CustomResourceDefinition,
    object: &Value,
    old: Option<&Value>,
) -> Result<(), Vec<String>> {
    let schema = openapi_schema(crd);
    let strict = strict_json_schema(&schema, true);
    let validator = jsonschema::draft4::new(&strict).expect("schema compiles as JSON Schema");
    let mut errors: Vec<String> = validator
        .iter_errors(object)
        .map(|e| {
            let mut path = dotted(e.instance_path().as_str());
            if let jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } =
                e.kind()
            {
                let field = unexpected.join(", ");
                path = if path.is_empty() {
                    field
                } else {
                    format!("{path}.{field}")
                };
                return format!("{path}: unknown field");
            }
            if let jsonschema::error::ValidationErrorKind::Required { property } = e.kind() {
                let field = property.as_str().unwrap_or_default();
                path = if path.is_empty() {
                    field.to_owned()
                } else {
                    format!("{path}.{field}")
                };
                return format!("{path}: Required value");
            }
            format!("{path}: {e}")
        })
        .collect();
    // The apiserver runs CEL only on a structurally valid object.
    if errors.is_empty()
        && let Err(cel_errors) = Validator::new().validate(&schema, object, old)
    {
        errors.extend(
            cel_errors
                .iter()
                .map(|e| format!("{}: {}", e.field_path, e.message)),
        );
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Walks every schema node with its path.
fn walk<'a>(
    node: &'a Value,
    path: String,
    visit: &mut dyn FnMut(&str, &'a serde_json::Map<String, Value>),
) {
    let Value::Object(map) = node else { return };
    visit(&path, map);
    if let Some(Value::Object(props)) = map.get("properties") {
        for (name, sub) in props {
            walk(sub, format!("{path}.{name}"), visit);
        }
    }
    if let Some(items) = map.get("items") {
        walk(items, format!("{path}[]"), visit);
    }
    if let Some(additional) = map.get("additionalProperties") {
        walk(additional, format!("{path}{{}}"), visit);
    }
}

/// What a real apiserver demands of a CRD schema beyond what kube checks: a structural schema
/// (every node typed, no `additionalProperties` beside `properties`), Go RE2 patterns (no
/// look-around or back-references), every CEL rule compiling and within the cost budget, and bounds
/// on every string, list and map. Returns (problems, number of CEL rules).
pub fn check_crd(crd: &CustomResourceDefinition) -> (Vec<String>, usize) {
    let schema = openapi_schema(crd);
    let mut problems = Vec::new();
    let mut rules = Vec::new();
    walk(&schema, String::new(), &mut |path, node| {
        let at = if path.is_empty() { "<root>" } else { path };
        let ty = node.get("type").and_then(Value::as_str);
        if ty.is_none() && !node.contains_key("x-kubernetes-int-or-string") {
            problems.push(format!("{at}: no type (not structural)"));
        }
        if node.contains_key("properties") && node.contains_key("additionalProperties") {
            problems.push(format!("{at}: properties beside additionalProperties"));
        }
        for forbidden in ["anyOf", "oneOf", "allOf", "$ref", "definitions", "not"] {
            if node.contains_key(forbidden) {
                problems.push(format!("{at}: {forbidden} is not allowed unchecked"));
            }
        }
        if let Some(pattern) = node.get("pattern").and_then(Value::as_str) {
            for lookaround in ["(?=", "(?!", "(?<=", "(?<!", "\\1"] {
                if pattern.contains(lookaround) {
                    problems.push(format!("{at}: pattern {pattern} is not RE2"));
                }
            }
        }
        let bounded = |key: &str| node.contains_key(key) || node.contains_key("enum");
        let is_meta = path == ".metadata";
        match ty {
            Some("string")
                if !bounded("maxLength")
                    && node.get("format").and_then(Value::as_str) != Some("date-time") =>
            {
                problems.push(format!("{at}: string without maxLength"))
            }
            Some("array") if !bounded("maxItems") => {
                problems.push(format!("{at}: list without maxItems"))
            }
            Some("object")
                if node.contains_key("additionalProperties") && !bounded("maxProperties") =>
            {
                problems.push(format!("{at}: map without maxProperties"))
            }
            Some("object")
                if !node.contains_key("properties")
                    && !node.contains_key("additionalProperties")
                    && !is_meta
                    && !path.is_empty() =>
            {
                problems.push(format!(
                    "{at}: object with neither properties nor additionalProperties"
                ))
            }
            _ => {}
        }
        if let Some(Value::Array(list)) = node.get("x-kubernetes-validations") {
            for rule in list {
                rules.push((path.to_owned(), rule.clone()));
            }
        }
    });
    let compiled = compile_schema(&schema);
    for err in compiled.compilation_errors() {
        problems.push(format!("CEL rule does not compile: {err}"));
    }
    for (path, rule) in &rules {
        let text = rule.get("rule").and_then(Value::as_str).unwrap_or_default();
        if rule
            .get("message")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            problems.push(format!("{path}: rule `{text}` has no message"));
        }
        let node = rules_node(&schema, path);
        let sub = compile_schema(node);
        // Scope warnings are left out: the analysis flags the variables that comprehension macros
        // bind (`map(k, ...)`). An unknown variable fails at evaluation, which the fixtures reach.
        for warning in analyze_rule(text, &sub, ScopeContext::CrdValidation) {
            if warning.kind != WarningKind::WrongScope {
                problems.push(format!("{path}: rule `{text}`: {}", warning.message));
            }
        }
    }
    (problems, rules.len())
}

/// The schema node at a path produced by [`walk`].
fn rules_node<'a>(schema: &'a Value, path: &str) -> &'a Value {
    let mut node = schema;
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (name, suffix) = match part.find(['[', '{']) {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        node = &node["properties"][name];
        for c in suffix.chars() {
            match c {
                '[' => node = &node["items"],
                '{' => node = &node["additionalProperties"],
                _ => {}
            }
        }
    }
    node
}

/// A fixture: the object to admit, an optional old object (an update), and the field the
/// rejection must name. Fixtures are YAML; the `# expect: <field>` line names the field, and a
/// second document makes the first the old object of an update.
pub struct Fixture {
    pub expect: Option<String>,
    pub old: Option<Value>,
    pub object: Value,
}

pub fn load_fixture(path: &Path) -> Fixture {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("failed to read {}: {e}", path.display()));
    let expect = text
        .lines()
        .find_map(|l| l.strip_prefix("# expect:"))
        .map(|s| s.trim().to_owned());
    let mut docs: Vec<Value> = serde_saphyr::from_multiple(&text)
        .unwrap_or_else(|e| panic!("failed to parse {}: {e}", path.display()));
    let object = docs
        .pop()
        .unwrap_or_else(|| panic!("{} has no document", path.display()));
    let old = docs.pop();
    Fixture {
        expect,
        old,
        object,
    }
}

pub fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("failed to list {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    files
}
