//! Parsing and validation of ARM ids. Each rule reports the part of the id it rejects, so a
//! user reading the error knows which segment to fix.

use super::ResourceId;

/// An ARM id, or one part of it, that is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid ARM id: {part} {value:?} {reason}")]
pub struct ResourceIdError {
    /// Which part is wrong: `subscription`, `resource group`, `provider namespace`, ...
    pub part: &'static str,
    /// The offending text.
    pub value: String,
    /// Why it is wrong.
    pub reason: String,
}

impl ResourceIdError {
    pub(crate) fn new(
        part: &'static str,
        value: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Self {
            part,
            value: value.into(),
            reason: reason.into(),
        }
    }
}

pub(super) fn parse(id: &str) -> Result<ResourceId, ResourceIdError> {
    let Some(rest) = id.strip_prefix('/') else {
        return Err(ResourceIdError::new(
            "id",
            id,
            "must start with /subscriptions/",
        ));
    };
    let parts: Vec<&str> = rest.split('/').collect();
    if let Some(pos) = parts.iter().position(|p| p.is_empty()) {
        return Err(ResourceIdError::new(
            "id",
            id,
            format!("has an empty segment at position {}", pos + 1),
        ));
    }
    let mut it = parts.into_iter();
    expect_keyword(it.next(), "subscriptions", "id", id)?;
    let subscription = it
        .next()
        .ok_or_else(|| ResourceIdError::new("subscription", "", "is missing"))?;
    let mut out = ResourceId::subscription(subscription)?;

    let mut next = it.next();
    if let Some(keyword) = next
        && keyword.eq_ignore_ascii_case("resourceGroups")
    {
        let rg = it
            .next()
            .ok_or_else(|| ResourceIdError::new("resource group", "", "is missing"))?;
        validate_resource_group(rg)?;
        out.resource_group = Some(rg.to_string());
        next = it.next();
    }
    let Some(keyword) = next else {
        return Ok(out);
    };
    if !keyword.eq_ignore_ascii_case("providers") {
        return Err(ResourceIdError::new(
            "id",
            keyword,
            "is not expected here: after the subscription or resource group comes `providers`",
        ));
    }
    let namespace = it
        .next()
        .ok_or_else(|| ResourceIdError::new("provider namespace", "", "is missing"))?;
    validate_namespace(namespace)?;
    out.namespace = Some(namespace.to_string());
    while let Some(resource_type) = it.next() {
        if resource_type.eq_ignore_ascii_case("providers") {
            return Err(ResourceIdError::new(
                "id",
                id,
                "names an extension resource (a second `providers`), which is not supported",
            ));
        }
        let name = it.next().ok_or_else(|| {
            ResourceIdError::new(
                "resource name",
                "",
                format!("is missing after type {resource_type:?}"),
            )
        })?;
        out = out.push_segment(resource_type, name)?;
    }
    if out.segments.is_empty() {
        return Err(ResourceIdError::new(
            "resource type",
            "",
            format!("is missing after namespace {namespace:?}"),
        ));
    }
    Ok(out)
}

fn expect_keyword(
    found: Option<&str>,
    keyword: &str,
    part: &'static str,
    id: &str,
) -> Result<(), ResourceIdError> {
    match found {
        Some(f) if f.eq_ignore_ascii_case(keyword) => Ok(()),
        _ => Err(ResourceIdError::new(
            part,
            id,
            format!("must start with /{keyword}/"),
        )),
    }
}

/// A subscription id is a GUID (ARM answers `InvalidSubscriptionId` otherwise).
pub(super) fn validate_subscription(s: &str) -> Result<(), ResourceIdError> {
    if uuid::Uuid::try_parse(s).is_ok() && s.len() == 36 {
        Ok(())
    } else {
        Err(ResourceIdError::new(
            "subscription",
            s,
            "is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
        ))
    }
}

/// Azure's resource group rule: 1-90 characters of letters, digits, `_`, `(`, `)`, `-` and
/// `.`, not ending in `.`.
pub(super) fn validate_resource_group(rg: &str) -> Result<(), ResourceIdError> {
    let reason = if rg.is_empty() || rg.chars().count() > 90 {
        Some("must be 1 to 90 characters")
    } else if rg.ends_with('.') {
        Some("must not end with a period")
    } else if !rg
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '_' | '(' | ')' | '-' | '.'))
    {
        Some("may hold only letters, digits, '_', '(', ')', '-' and '.'")
    } else {
        None
    };
    match reason {
        Some(r) => Err(ResourceIdError::new("resource group", rg, r)),
        None => Ok(()),
    }
}

/// A provider namespace: dot-separated words of letters and digits, e.g. `Microsoft.Network`.
pub(super) fn validate_namespace(ns: &str) -> Result<(), ResourceIdError> {
    let words: Vec<&str> = ns.split('.').collect();
    let ok = words.len() >= 2
        && words.iter().all(|w| {
            w.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && w.chars().all(|c| c.is_ascii_alphanumeric())
        });
    if ok {
        Ok(())
    } else {
        Err(ResourceIdError::new(
            "provider namespace",
            ns,
            "must be dot-separated words of letters and digits, e.g. Microsoft.Network",
        ))
    }
}

/// A type or name segment: not empty, and nothing that would change the URL's shape.
pub(super) fn validate_segment(part: &'static str, s: &str) -> Result<(), ResourceIdError> {
    if s.is_empty() {
        return Err(ResourceIdError::new(part, s, "is empty"));
    }
    if let Some(c) = s
        .chars()
        .find(|c| matches!(c, '/' | '?' | '#' | '\\') || c.is_control() || c.is_whitespace())
    {
        return Err(ResourceIdError::new(
            part,
            s,
            format!("must not contain {c:?}"),
        ));
    }
    Ok(())
}

/// Azure's rule for ML endpoint and deployment names: a letter first, then letters, digits
/// and single dashes, no trailing dash, 3 to 32 characters.
pub(super) fn validate_ml_name(part: &'static str, name: &str) -> Result<(), ResourceIdError> {
    let len_ok = (3..=32).contains(&name.len());
    let first_ok = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    let chars_ok = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    let dashes_ok = !name.contains("--") && !name.ends_with('-');
    if len_ok && first_ok && chars_ok && dashes_ok {
        Ok(())
    } else {
        Err(ResourceIdError::new(
            part,
            name,
            "must be 3-32 characters: a letter first, then letters, digits and single dashes, no trailing dash",
        ))
    }
}
