//! Object metadata the server owns or checks: uids, timestamps, generated names, name and label
//! validation (apimachinery's messages), and the rules for when `generation` moves.

use rand::Rng as _;
use serde_json::Value;

use crate::admission::FieldError;
use crate::resources::{Behaviour, ResourceType};

/// Now, as metadata timestamps carry it (RFC 3339, whole seconds, UTC).
pub(crate) fn now() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| jiff::Timestamp::now().to_string())
}

pub(crate) fn new_uid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// `generateName` plus five characters from the apiserver's alphabet (no vowels, no look-alikes).
pub(crate) fn generated_name(prefix: &str) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut rng = rand::rng();
    let suffix: String = (0..5)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    let max_prefix = 63 - 5;
    let prefix = if prefix.len() > max_prefix {
        &prefix[..max_prefix]
    } else {
        prefix
    };
    format!("{prefix}{suffix}")
}

const DNS1123_SUBDOMAIN: &str = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const DNS1123_LABEL: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";

fn is_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn is_subdomain(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && s.split('.').all(is_label)
}

/// The name rules of a kind: DNS-1123 labels for Namespaces, subdomains for the rest.
pub(crate) fn validate_name(t: &ResourceType, name: &str) -> Option<FieldError> {
    if t.behaviour == Behaviour::Namespace {
        if is_label(name) {
            return None;
        }
        return Some(FieldError::invalid(
            "metadata.name",
            Value::String(name.to_owned()),
            format!(
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '{DNS1123_LABEL}')"
            ),
        ));
    }
    if is_subdomain(name) {
        return None;
    }
    Some(FieldError::invalid(
        "metadata.name",
        Value::String(name.to_owned()),
        format!(
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '{DNS1123_SUBDOMAIN}')"
        ),
    ))
}

fn is_label_value(v: &str) -> bool {
    v.is_empty()
        || (v.len() <= 63
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
            && v.as_bytes().first().is_some_and(u8::is_ascii_alphanumeric)
            && v.as_bytes().last().is_some_and(u8::is_ascii_alphanumeric))
}

fn is_qualified_name(k: &str) -> bool {
    let (prefix, name) = match k.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, k),
    };
    prefix.is_none_or(is_subdomain) && !name.is_empty() && is_label_value(name)
}

/// Metadata checks every kind shares: labels, annotation sizes, finalizer names.
pub(crate) fn validate_metadata(meta: &Value) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Some(labels) = meta["labels"].as_object() {
        for (k, v) in labels {
            if !is_qualified_name(k) {
                errors.push(FieldError::invalid(
                    "metadata.labels",
                    Value::String(k.clone()),
                    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
                ));
            }
            match v.as_str() {
                Some(s) if is_label_value(s) => {}
                _ => errors.push(FieldError::invalid(
                    "metadata.labels",
                    v.clone(),
                    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
                )),
            }
        }
    }
    if let Some(annotations) = meta["annotations"].as_object() {
        let total: usize = annotations
            .iter()
            .map(|(k, v)| k.len() + v.as_str().map_or(0, str::len))
            .sum();
        if total > 256 * 1024 {
            errors.push(FieldError::new(
                "metadata.annotations",
                crate::admission::FieldErrorType::TooLong,
                None,
                "may not be more than 262144 bytes",
            ));
        }
    }
    if let Some(finalizers) = meta["finalizers"].as_array() {
        for (i, f) in finalizers.iter().enumerate() {
            let ok = f
                .as_str()
                .is_some_and(|s| is_qualified_name(s) || s == "kubernetes");
            if !ok {
                errors.push(FieldError::invalid(
                    format!("metadata.finalizers[{i}]"),
                    f.clone(),
                    "name part must consist of alphanumeric characters, '-', '_' or '.'",
                ));
            }
        }
    }
    errors
}

/// Drops empty collections from metadata, as Go's `omitempty` does when an object is stored.
pub(crate) fn normalize(object: &mut Value) {
    if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        for key in [
            "labels",
            "annotations",
            "finalizers",
            "ownerReferences",
            "managedFields",
        ] {
            let empty = match meta.get(key) {
                Some(Value::Null) => true,
                Some(Value::Object(m)) => m.is_empty(),
                Some(Value::Array(a)) => a.is_empty(),
                _ => false,
            };
            if empty {
                meta.remove(key);
            }
        }
        meta.remove("selfLink");
    }
}

/// Whether a write changes what `generation` counts: everything but `metadata` (and `status`
/// when the kind has the status subresource).
pub(crate) fn generation_changes(t: &ResourceType, old: &Value, new: &Value) -> bool {
    let counted = |k: &str| {
        !(matches!(k, "metadata" | "apiVersion" | "kind")
            || (t.status_subresource && k == "status"))
    };
    let (Some(a), Some(b)) = (old.as_object(), new.as_object()) else {
        return old != new;
    };
    a.iter()
        .filter(|(k, _)| counted(k))
        .any(|(k, v)| b.get(k) != Some(v))
        || b.iter()
            .filter(|(k, _)| counted(k))
            .any(|(k, _)| !a.contains_key(k))
}

pub(crate) fn finalizers(object: &Value) -> Vec<String> {
    object["metadata"]["finalizers"]
        .as_array()
        .map(|f| {
            f.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) fn is_deleting(object: &Value) -> bool {
    object["metadata"]["deletionTimestamp"].is_string()
}

pub(crate) fn name_of(object: &Value) -> &str {
    object["metadata"]["name"].as_str().unwrap_or_default()
}
