//! The admission chain a real apiserver runs on a custom resource, as a library: pruning of
//! unknown fields (with `fieldValidation` Ignore / Warn / Strict), schema defaults, structural
//! OpenAPI validation, and `x-kubernetes-validations` CEL rules including transition rules.
//! Errors are [`FieldError`]s that print as kubectl shows them
//! (`spec.azureName: Invalid value: "ab": spec.azureName in body should be at least 3 chars long`).
//!
//! Order (the apiserver's): decode → prune → default → validate schema → (only if the schema
//! found no type errors) CEL. On an update, schema errors on fields whose value did not change
//! are dropped (validation ratcheting, on by default since Kubernetes 1.30).
//!
//! ```no_run
//! # fn demo(crd: &serde_json::Value, object: serde_json::Value) {
//! use kube_emulator::admission::{CrdSchema, FieldValidation, admit};
//! let schema = CrdSchema::from_crd(crd, "v1alpha1").unwrap();
//! match admit(&schema, object, None, FieldValidation::Strict) {
//!     Ok(admitted) => println!("stored as {}", admitted.object),
//!     Err(rejection) => println!("{rejection}"),
//! }
//! # }
//! ```

mod cel;
mod defaults;
mod field;
mod prune;
mod structural;
mod structure;

use std::sync::Arc;

use kube::core::cel::{CompiledSchema, compile_schema};
use serde_json::Value;

pub use defaults::apply_defaults;
pub use field::{FieldError, FieldErrorType};
pub use prune::prune_object;
pub use structure::schema_problems;

/// How unknown fields are treated (the `fieldValidation` query parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FieldValidation {
    /// Drop them silently.
    Ignore,
    /// Drop them and warn (the server's default).
    #[default]
    Warn,
    /// Refuse the request (what kubectl asks for by default).
    Strict,
}

impl FieldValidation {
    /// Parses the query parameter; `None` for a value the apiserver would refuse.
    pub fn parse(value: Option<&str>) -> Option<Self> {
        match value {
            None | Some("") | Some("Warn") => Some(Self::Warn),
            Some("Ignore") => Some(Self::Ignore),
            Some("Strict") => Some(Self::Strict),
            Some(_) => None,
        }
    }
}

/// Why a schema could not be taken from a CRD.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("the CRD does not serve version {0}")]
    NoSuchVersion(String),
    #[error("version {0} of the CRD has no openAPIV3Schema")]
    NoSchema(String),
    #[error("CEL rule of the CRD does not compile: {0}")]
    Cel(String),
}

/// One version of a CRD, ready to admit objects: its schema and its compiled CEL rules.
pub struct CrdSchema {
    group: String,
    kind: String,
    version: String,
    schema: Value,
    compiled: Arc<CompiledSchema>,
}

impl std::fmt::Debug for CrdSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CrdSchema")
            .field("group", &self.group)
            .field("kind", &self.kind)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl CrdSchema {
    /// Takes `version`'s schema from a CRD given as JSON (as stored, or parsed from YAML).
    ///
    /// # Errors
    /// The version is missing, has no schema, or a CEL rule does not compile.
    pub fn from_crd(crd: &Value, version: &str) -> Result<Self, SchemaError> {
        let spec = &crd["spec"];
        let entry = spec["versions"]
            .as_array()
            .and_then(|vs| vs.iter().find(|v| v["name"] == version))
            .ok_or_else(|| SchemaError::NoSuchVersion(version.to_owned()))?;
        let schema = entry["schema"]["openAPIV3Schema"].clone();
        if !schema.is_object() {
            return Err(SchemaError::NoSchema(version.to_owned()));
        }
        Self::new(
            spec["group"].as_str().unwrap_or_default(),
            spec["names"]["kind"].as_str().unwrap_or_default(),
            version,
            schema,
        )
    }

    /// Builds from a bare openAPIV3Schema.
    ///
    /// # Errors
    /// A CEL rule does not compile.
    pub fn new(group: &str, kind: &str, version: &str, schema: Value) -> Result<Self, SchemaError> {
        let compiled = compile_schema(&schema);
        if let Some(err) = compiled.compilation_errors().first() {
            return Err(SchemaError::Cel(err.to_string()));
        }
        Ok(Self {
            group: group.to_owned(),
            kind: kind.to_owned(),
            version: version.to_owned(),
            schema,
            compiled: Arc::new(compiled),
        })
    }

    pub fn group(&self) -> &str {
        &self.group
    }

    pub fn kind(&self) -> &str {
        &self.kind
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    /// Takes `version`'s schema from a typed CRD (what the api crate generates).
    ///
    /// # Errors
    /// As [`CrdSchema::from_crd`].
    pub fn from_typed(
        crd: &k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
        version: &str,
    ) -> Result<Self, SchemaError> {
        let value = serde_json::to_value(crd).map_err(|e| SchemaError::Cel(e.to_string()))?;
        Self::from_crd(&value, version)
    }

    /// The openAPIV3Schema.
    pub fn schema(&self) -> &Value {
        &self.schema
    }
}

/// An object that passed admission, as it would be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Admitted {
    /// Pruned and defaulted.
    pub object: Value,
    /// `unknown field "spec.x"` for each pruned field under `FieldValidation::Warn`.
    pub warnings: Vec<String>,
}

/// Why admission refused an object.
#[derive(Debug, Clone, PartialEq)]
pub enum Rejection {
    /// Unknown fields under `FieldValidation::Strict`: a 400 BadRequest on a real apiserver.
    UnknownFields(Vec<String>),
    /// Schema or CEL errors: a 422 Invalid whose causes are these.
    Invalid(Vec<FieldError>),
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::UnknownFields(fields) => write!(f, "{}", strict_decoding_message(fields)),
            Self::Invalid(errors) => write!(
                f,
                "{}",
                errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

impl std::error::Error for Rejection {}

/// The text of a strict decoding failure: `strict decoding error: unknown field "spec.x", ...`.
pub fn strict_decoding_message(fields: &[String]) -> String {
    format!(
        "strict decoding error: {}",
        fields
            .iter()
            .map(|f| format!("unknown field \"{f}\""))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// Admits `object` (a create when `old` is `None`, else an update of `old`).
///
/// # Errors
/// [`Rejection::UnknownFields`] under `Strict`, else [`Rejection::Invalid`] with every schema
/// error, or every CEL error when the schema found no type errors.
pub fn admit(
    schema: &CrdSchema,
    mut object: Value,
    old: Option<&Value>,
    validation: FieldValidation,
) -> Result<Admitted, Rejection> {
    let unknown = prune_object(&mut object, &schema.schema);
    let mut warnings = Vec::new();
    if !unknown.is_empty() {
        match validation {
            FieldValidation::Strict => return Err(Rejection::UnknownFields(unknown)),
            FieldValidation::Warn => {
                warnings.extend(unknown.iter().map(|f| format!("unknown field \"{f}\"")));
            }
            FieldValidation::Ignore => {}
        }
    }
    default_object(schema, &mut object);
    let errors = validate(schema, &object, old);
    if errors.is_empty() {
        Ok(Admitted { object, warnings })
    } else {
        Err(Rejection::Invalid(errors))
    }
}

/// Applies schema defaults to everything but `apiVersion`, `kind` and `metadata`.
pub fn default_object(schema: &CrdSchema, object: &mut Value) {
    let Value::Object(map) = object else { return };
    let mut body = serde_json::Map::new();
    for (k, v) in std::mem::take(map) {
        if matches!(k.as_str(), "apiVersion" | "kind" | "metadata") {
            map.insert(k, v);
        } else {
            body.insert(k, v);
        }
    }
    let mut body = Value::Object(body);
    apply_defaults(&mut body, &schema.schema);
    if let Value::Object(body) = body {
        map.extend(body);
    }
}

/// Schema and CEL validation of an already pruned and defaulted object.
pub fn validate(schema: &CrdSchema, object: &Value, old: Option<&Value>) -> Vec<FieldError> {
    let mut body = object.clone();
    if let Value::Object(map) = &mut body {
        map.remove("apiVersion");
        map.remove("kind");
        map.remove("metadata");
    }
    let mut errors = Vec::new();
    structural::validate(&body, &schema.schema, "", &mut errors);
    if let Some(old) = old {
        errors.retain(|e| !unchanged(object, old, &e.path));
    }
    // The apiserver skips CEL when a type or enum error makes the rules' inputs unreliable,
    // and says so.
    let blocking = errors.iter().any(|e| {
        matches!(
            e.kind,
            FieldErrorType::TypeInvalid | FieldErrorType::NotSupported
        )
    });
    if blocking {
        errors.push(FieldError::new(
            "<nil>",
            FieldErrorType::Invalid,
            None,
            "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation",
        ));
    } else {
        errors.extend(cel::check(&schema.compiled, &schema.schema, object, old));
    }
    errors
}

/// Whether the value at a kubectl-style field path is the same in both objects (ratcheting).
fn unchanged(new: &Value, old: &Value, path: &str) -> bool {
    let (a, b) = (lookup(new, path), lookup(old, path));
    a.is_some() && a == b
}

fn lookup<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    let mut node = value;
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (name, rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        node = node.get(name)?;
        for idx in rest.split(['[', ']']).filter(|s| !s.is_empty()) {
            node = node.get(idx.parse::<usize>().ok()?)?;
        }
    }
    Some(node)
}
