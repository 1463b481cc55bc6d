//! Field errors as apimachinery's `field.Error` renders them: `<path>: <type>: <value>: <detail>`,
//! e.g. `spec.azureName: Invalid value: "ab": spec.azureName in body should be at least 3 chars
//! long`. The same text is a `Status` cause's `message` (without the path) and its `reason`.

use serde_json::Value;

/// The kind of a field error (apimachinery's `field.ErrorType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldErrorType {
    NotFound,
    Required,
    Duplicate,
    Invalid,
    NotSupported,
    Forbidden,
    TooLong,
    TooMany,
    TypeInvalid,
}

impl FieldErrorType {
    /// The words kubectl prints (`Required value`, `Invalid value`, ...).
    pub fn words(self) -> &'static str {
        match self {
            Self::NotFound => "Not found",
            Self::Required => "Required value",
            Self::Duplicate => "Duplicate value",
            Self::Invalid | Self::TypeInvalid => "Invalid value",
            Self::NotSupported => "Unsupported value",
            Self::Forbidden => "Forbidden",
            Self::TooLong => "Too long",
            Self::TooMany => "Too many",
        }
    }

    /// The `reason` of a `Status` cause (`FieldValueInvalid`, ...).
    pub fn reason(self) -> &'static str {
        match self {
            Self::NotFound => "FieldValueNotFound",
            Self::Required => "FieldValueRequired",
            Self::Duplicate => "FieldValueDuplicate",
            Self::Invalid => "FieldValueInvalid",
            Self::NotSupported => "FieldValueNotSupported",
            Self::Forbidden => "FieldValueForbidden",
            Self::TooLong => "FieldValueTooLong",
            Self::TooMany => "FieldValueTooMany",
            Self::TypeInvalid => "FieldValueTypeInvalid",
        }
    }
}

/// One rejected field.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    /// The field as kubectl prints it: `spec.traffic.blue`, `spec.list[0].name`.
    pub path: String,
    pub kind: FieldErrorType,
    /// The offending value; `None` where the error type prints none (Required, Forbidden, ...).
    pub value: Option<Value>,
    pub detail: String,
}

impl FieldError {
    pub fn new(
        path: impl Into<String>,
        kind: FieldErrorType,
        value: Option<Value>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            path: path.into(),
            kind,
            value,
            detail: detail.into(),
        }
    }

    pub fn required(path: impl Into<String>) -> Self {
        Self::new(path, FieldErrorType::Required, None, "")
    }

    pub fn invalid(path: impl Into<String>, value: Value, detail: impl Into<String>) -> Self {
        Self::new(path, FieldErrorType::Invalid, Some(value), detail)
    }

    pub fn forbidden(path: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(path, FieldErrorType::Forbidden, None, detail)
    }

    /// The same error with a detail text.
    #[must_use]
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }

    pub fn reason(&self) -> &'static str {
        self.kind.reason()
    }

    /// The error without its path, as a `Status` cause's `message`.
    pub fn body(&self) -> String {
        let mut s = self.kind.words().to_owned();
        let prints_value = !matches!(
            self.kind,
            FieldErrorType::Required | FieldErrorType::Forbidden | FieldErrorType::TooLong
        );
        if prints_value {
            let value = self.value.clone().unwrap_or(Value::Null);
            s.push_str(": ");
            s.push_str(&go_value(&value));
        }
        if !self.detail.is_empty() {
            s.push_str(": ");
            s.push_str(&self.detail);
        }
        s
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.body())
    }
}

impl std::error::Error for FieldError {}

/// A value the way Go's `%v` / `%q` prints it in a field error: strings quoted, numbers and
/// booleans bare, `null` for nil, maps and lists in Go's `%#v` shape.
pub(crate) fn go_value(value: &Value) -> String {
    match value {
        Value::Null => "\"null\"".to_owned(),
        Value::String(s) => Value::String(s.clone()).to_string(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Object(map) => format!(
            "map[string]interface {{}}{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{}:{}", Value::String(k.clone()), go_value(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Array(items) => format!(
            "[]interface {{}}{{{}}}",
            items.iter().map(go_value).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// Joins a parent path and a property name.
pub(crate) fn child(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

/// Joins a parent path and a list index.
pub(crate) fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}
