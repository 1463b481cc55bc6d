//! The services' validation rules that do not depend on stored state: names, enums (matched
//! case-insensitively and stored in canonical case), ISO-8601 durations, identities, traffic
//! shapes.

use serde_json::{Map, Value};

use crate::wire::ArmError;

/// ML endpoint and deployment names: a letter first, 3–32 characters, letters, digits and
/// single dashes, no trailing dash.
pub(crate) fn check_ml_name(kind: &str, name: &str) -> Result<(), ArmError> {
    let bytes = name.as_bytes();
    let shape_ok = (3..=32).contains(&bytes.len())
        && bytes[0].is_ascii_alphabetic()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
        && !name.contains("--")
        && !name.ends_with('-');
    if shape_ok {
        Ok(())
    } else {
        Err(ArmError::bad_argument(
            "name",
            format!(
                "{kind} name '{name}' is invalid: it must start with a letter, be 3-32 characters long, and contain only letters, digits and single dashes, not ending with a dash."
            ),
        ))
    }
}

/// Match `value` against `allowed` ignoring case; return the canonical spelling.
pub(crate) fn canonical_enum(
    field: &str,
    value: &Value,
    allowed: &[&'static str],
) -> Result<&'static str, ArmError> {
    let text = value.as_str().ok_or_else(|| {
        ArmError::bad_argument(
            field,
            format!("'{field}' must be a string, one of {allowed:?}."),
        )
    })?;
    allowed
        .iter()
        .copied()
        .find(|a| a.eq_ignore_ascii_case(text))
        .ok_or_else(|| {
            ArmError::bad_argument(
                field,
                format!(
                    "The value '{text}' is not valid for '{field}'. Allowed values: {allowed:?}."
                ),
            )
        })
}

/// Canonicalise an optional enum property in place (absent stays absent).
pub(crate) fn normalize_enum(
    obj: &mut Map<String, Value>,
    field: &str,
    target: &str,
    allowed: &[&'static str],
) -> Result<(), ArmError> {
    if let Some(v) = obj.get(field).filter(|v| !v.is_null()) {
        let canonical = canonical_enum(target, v, allowed)?;
        obj.insert(field.to_string(), Value::from(canonical));
    }
    Ok(())
}

/// An ISO-8601 duration such as `PT10S`.
pub(crate) fn check_duration(field: &str, value: &Value) -> Result<(), ArmError> {
    let ok = value
        .as_str()
        .is_some_and(|s| iso8601::duration(s).is_ok() && s.starts_with('P'));
    if ok {
        Ok(())
    } else {
        Err(ArmError::bad_argument(
            field,
            format!("'{field}' must be an ISO-8601 duration such as PT10S, got {value}."),
        ))
    }
}

/// The body as a JSON object, or 400.
pub(crate) fn body_object(body: &Value) -> Result<Map<String, Value>, ArmError> {
    body.as_object().cloned().ok_or_else(|| {
        ArmError::invalid_body("The request content was invalid and could not be deserialized: the body must be a JSON object.")
    })
}

/// `location` (required for tracked resources), trimmed.
pub(crate) fn required_location(obj: &Map<String, Value>) -> Result<String, ArmError> {
    match obj.get("location").and_then(Value::as_str) {
        Some(l) if !l.trim().is_empty() => Ok(l.trim().to_string()),
        _ => Err(ArmError::bad_request(
            "LocationRequired",
            "The location property is required for this definition.",
        )
        .with_target("location")),
    }
}

/// Regions compare without case and spaces ("West Europe" == "westeurope").
pub(crate) fn same_region(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.replace(' ', "").to_ascii_lowercase();
    norm(a) == norm(b)
}

/// Longest tag name and value ARM accepts (Microsoft Learn, "Use tags to organize your Azure
/// resources and management hierarchy", Limitations: "The tag name is limited to 512
/// characters, and the tag value is limited to 256 characters").
pub(crate) const TAG_NAME_MAX: usize = 512;
/// See [`TAG_NAME_MAX`].
pub(crate) const TAG_VALUE_MAX: usize = 256;

/// `tags`: an object of strings, names of at most 512 and values of at most 256 characters
/// (Learn, tag limitations). The limits are documented; the codes of ARM's 400 are not: these
/// follow the check in Microsoft's Az.RecoveryServices PowerShell module
/// (`InvalidTagName`/`InvalidTagValueLength`, "Maximum allowed length for tag value - '256'
/// characters"), which is not verified against ARM itself.
pub(crate) fn check_tags(obj: &Map<String, Value>) -> Result<(), ArmError> {
    let tags = match obj.get("tags") {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Object(tags)) if tags.values().all(Value::is_string) => tags,
        Some(_) => {
            return Err(ArmError::invalid_body(
                "'tags' must be an object of string values.",
            ));
        }
    };
    for (name, value) in tags {
        if name.chars().count() > TAG_NAME_MAX {
            return Err(ArmError::bad_request(
                "InvalidTagName",
                format!(
                    "Tag key too large. Following tag name '{name}' exceeded the maximum length. Maximum allowed length for tag name - '{TAG_NAME_MAX}' characters."
                ),
            ));
        }
        let value = value.as_str().unwrap_or_default();
        if value.chars().count() > TAG_VALUE_MAX {
            return Err(ArmError::bad_request(
                "InvalidTagValueLength",
                format!(
                    "Tag value too large. Following tag value '{value}' exceeded the maximum length. Maximum allowed length for tag value - '{TAG_VALUE_MAX}' characters."
                ),
            ));
        }
    }
    Ok(())
}

/// Render a managed identity the way ARM answers it (principal and tenant ids filled in).
pub(crate) fn render_identity(identity: &Value, tenant: &str) -> Result<Value, ArmError> {
    let mut obj = identity
        .as_object()
        .cloned()
        .ok_or_else(|| ArmError::invalid_body("'identity' must be an object."))?;
    let kind = canonical_enum(
        "identity.type",
        obj.get("type").unwrap_or(&Value::Null),
        &[
            "None",
            "SystemAssigned",
            "UserAssigned",
            "SystemAssigned,UserAssigned",
        ],
    )?;
    obj.insert("type".into(), Value::from(kind));
    if kind.starts_with("SystemAssigned") {
        obj.insert(
            "principalId".into(),
            Value::String(uuid::Uuid::new_v4().to_string()),
        );
        obj.insert("tenantId".into(), Value::String(tenant.to_string()));
    }
    if let Some(uais) = obj
        .get_mut("userAssignedIdentities")
        .and_then(Value::as_object_mut)
    {
        for v in uais.values_mut() {
            *v = serde_json::json!({
                "principalId": uuid::Uuid::new_v4().to_string(),
                "clientId": uuid::Uuid::new_v4().to_string(),
            });
        }
    }
    Ok(Value::Object(obj))
}

/// An integer traffic map (`{name: percent}`) with every value in `0..=max`.
pub(crate) fn traffic_map(
    field: &str,
    value: Option<&Value>,
    max: i64,
) -> Result<Map<String, Value>, ArmError> {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return Ok(Map::new());
    };
    let map = value.as_object().ok_or_else(|| {
        ArmError::bad_argument(
            field,
            format!("'{field}' must be an object of deployment name to percent."),
        )
    })?;
    for (name, percent) in map {
        match percent.as_i64() {
            Some(p) if (0..=max).contains(&p) => {}
            _ => {
                return Err(ArmError::bad_argument(
                    field,
                    format!(
                        "{field} for deployment '{name}' must be an integer between 0 and {max}, got {percent}."
                    ),
                ));
            }
        }
    }
    Ok(map.clone())
}

pub(crate) fn traffic_sum(map: &Map<String, Value>) -> i64 {
    map.values().filter_map(Value::as_i64).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names() {
        for ok in [
            "abc",
            "blue",
            "my-endpoint-1",
            "a23456789012345678901234567890ab",
        ] {
            assert!(check_ml_name("Endpoint", ok).is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            "1abc",
            "a--b",
            "abc-",
            "a_b_c",
            "a234567890123456789012345678901ab",
            "",
        ] {
            assert!(check_ml_name("Endpoint", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn enums_are_case_insensitive() {
        assert_eq!(
            canonical_enum("x", &json!("disabled"), &["Enabled", "Disabled"]).unwrap(),
            "Disabled"
        );
        assert!(canonical_enum("x", &json!("off"), &["Enabled", "Disabled"]).is_err());
        assert!(canonical_enum("x", &json!(1), &["Enabled", "Disabled"]).is_err());
    }

    #[test]
    fn durations() {
        assert!(check_duration("t", &json!("PT10S")).is_ok());
        assert!(check_duration("t", &json!("PT0.5S")).is_ok());
        assert!(check_duration("t", &json!("10s")).is_err());
    }

    #[test]
    fn traffic() {
        let m = traffic_map("traffic", Some(&json!({"a": 60, "b": 40})), 100).unwrap();
        assert_eq!(traffic_sum(&m), 100);
        assert!(traffic_map("traffic", Some(&json!({"a": 101})), 100).is_err());
        assert!(traffic_map("traffic", Some(&json!({"a": "x"})), 100).is_err());
        assert!(traffic_map("traffic", Some(&json!([1])), 100).is_err());
    }
}
