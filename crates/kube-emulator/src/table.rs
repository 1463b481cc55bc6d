//! Table output (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`), what `kubectl get`
//! prints: a Name column, then a CRD version's `additionalPrinterColumns` (or Age when it has
//! none), or the columns the built-in kinds print on a real cluster. Dates print as ages the
//! way apimachinery's `HumanDuration` does.

use serde_json::{Value, json};

use crate::jsonpath;
use crate::resources::{Behaviour, PrinterColumn, ResourceType};

const NAME_DESCRIPTION: &str = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
const AGE_DESCRIPTION: &str = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

/// What a row carries beside its cells (the `includeObject` parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IncludeObject {
    None,
    Metadata,
    Object,
}

impl IncludeObject {
    pub fn parse(value: Option<&str>) -> Self {
        match value {
            Some("None") => Self::None,
            Some("Object") => Self::Object,
            _ => Self::Metadata,
        }
    }
}

fn column(
    name: &str,
    type_: &str,
    format: &str,
    description: &str,
    priority: i64,
    path: &str,
) -> PrinterColumn {
    PrinterColumn {
        name: name.to_owned(),
        type_: type_.to_owned(),
        format: format.to_owned(),
        description: description.to_owned(),
        priority,
        json_path: path.to_owned(),
    }
}

fn age() -> PrinterColumn {
    column(
        "Age",
        "date",
        "",
        AGE_DESCRIPTION,
        0,
        ".metadata.creationTimestamp",
    )
}

/// The columns after Name.
fn columns(t: &ResourceType) -> Vec<PrinterColumn> {
    match t.behaviour {
        Behaviour::Custom if t.printer_columns.is_empty() => vec![age()],
        Behaviour::Custom => t.printer_columns.clone(),
        Behaviour::Namespace => vec![
            column(
                "Status",
                "string",
                "",
                "The status of the namespace",
                0,
                ".status.phase",
            ),
            age(),
        ],
        Behaviour::Secret => vec![
            column("Type", "string", "", "The type of the secret", 0, ".type"),
            column(
                "Data",
                "string",
                "",
                "The number of data items in the secret",
                0,
                "#data",
            ),
            age(),
        ],
        // kubectl get serviceaccounts: NAME SECRETS AGE.
        Behaviour::ServiceAccount => vec![
            column(
                "Secrets",
                "string",
                "",
                "The number of secrets of the service account",
                0,
                "#secrets",
            ),
            age(),
        ],
        Behaviour::ConfigMap => vec![
            column(
                "Data",
                "string",
                "",
                "Number of data in configmap",
                0,
                "#data",
            ),
            age(),
        ],
        Behaviour::Lease => vec![
            column(
                "Holder",
                "string",
                "",
                "Holder of the lease",
                0,
                ".spec.holderIdentity",
            ),
            age(),
        ],
        Behaviour::CoreEvent | Behaviour::Event => vec![
            column(
                "Last Seen",
                "string",
                "",
                "Time since the event was last seen",
                0,
                "#lastseen",
            ),
            column("Type", "string", "", "The type of the event", 0, ".type"),
            column(
                "Reason",
                "string",
                "",
                "The reason of the event",
                0,
                ".reason",
            ),
            column(
                "Object",
                "string",
                "",
                "The object the event is about",
                0,
                "#object",
            ),
            column(
                "Message",
                "string",
                "",
                "A human-readable message",
                0,
                "#message",
            ),
        ],
        Behaviour::Crd => vec![column(
            "Created At",
            "date",
            "",
            "The time the CRD was created",
            0,
            "#createdat",
        )],
    }
}

/// The special cells of built-in kinds that are not a plain path.
fn computed_cell(path: &str, object: &Value) -> Value {
    match path {
        "#data" => {
            let count = object["data"].as_object().map_or(0, |m| m.len())
                + object["binaryData"].as_object().map_or(0, |m| m.len());
            json!(count)
        }
        "#secrets" => json!(object["secrets"].as_array().map_or(0, Vec::len)),
        "#lastseen" => {
            let when = object["lastTimestamp"]
                .as_str()
                .or_else(|| object["deprecatedLastTimestamp"].as_str())
                .or_else(|| object["eventTime"].as_str())
                .or_else(|| object["metadata"]["creationTimestamp"].as_str());
            when.map_or(Value::Null, |w| Value::String(age_of(w)))
        }
        "#object" => {
            let target = if object["regarding"].is_object() {
                &object["regarding"]
            } else {
                &object["involvedObject"]
            };
            Value::String(format!(
                "{}/{}",
                target["kind"]
                    .as_str()
                    .unwrap_or_default()
                    .to_ascii_lowercase(),
                target["name"].as_str().unwrap_or_default()
            ))
        }
        "#message" => object["note"]
            .as_str()
            .or_else(|| object["message"].as_str())
            .map_or(Value::Null, |s| Value::String(s.to_owned())),
        "#createdat" => object["metadata"]["creationTimestamp"].clone(),
        _ => Value::Null,
    }
}

/// A cell the way the apiserver's table convertor renders a printer column.
fn cell(col: &PrinterColumn, object: &Value) -> Value {
    if col.json_path.starts_with('#') {
        return computed_cell(&col.json_path, object);
    }
    let found = jsonpath::find(object, &col.json_path);
    let Some(value) = found.first() else {
        return Value::Null;
    };
    match col.type_.as_str() {
        "date" => value
            .as_str()
            .map_or(Value::Null, |s| Value::String(age_of(s))),
        "string" => match value {
            Value::String(s) => Value::String(s.clone()),
            Value::Null => Value::Null,
            other => Value::String(other.to_string()),
        },
        "integer" => value.as_i64().map_or(Value::Null, Value::from),
        "number" => value.as_f64().map_or(Value::Null, Value::from),
        "boolean" => value.as_bool().map_or(Value::Null, Value::Bool),
        _ => (*value).clone(),
    }
}

fn age_of(timestamp: &str) -> String {
    match timestamp.parse::<jiff::Timestamp>() {
        Ok(t) => human_duration(jiff::Timestamp::now().as_second() - t.as_second()),
        Err(_) => "<invalid>".to_owned(),
    }
}

/// apimachinery's `duration.HumanDuration` for a number of seconds.
pub(crate) fn human_duration(seconds: i64) -> String {
    if seconds < -1 {
        return "<invalid>".to_owned();
    }
    if seconds < 0 {
        return "0s".to_owned();
    }
    if seconds < 120 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        let s = seconds % 60;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    }
    if minutes < 180 {
        return format!("{minutes}m");
    }
    let hours = seconds / 3600;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 {
            format!("{}d", hours / 24)
        } else {
            format!("{}d{h}h", hours / 24)
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        return if dy == 0 {
            format!("{}y", hours / 24 / 365)
        } else {
            format!("{}y{dy}d", hours / 24 / 365)
        };
    }
    format!("{}y", hours / 24 / 365)
}

/// Builds a `meta.k8s.io/v1 Table` of `objects`.
pub(crate) fn table(
    t: &ResourceType,
    objects: &[&Value],
    resource_version: &str,
    continue_token: Option<&str>,
    include: IncludeObject,
) -> Value {
    let cols = columns(t);
    let mut definitions = vec![json!({
        "name": "Name", "type": "string", "format": "name",
        "description": NAME_DESCRIPTION, "priority": 0,
    })];
    definitions.extend(cols.iter().map(|c| {
        json!({
            "name": c.name, "type": if c.type_ == "date" { "string" } else { c.type_.as_str() },
            "format": c.format, "description": c.description, "priority": c.priority,
        })
    }));
    let rows: Vec<Value> = objects
        .iter()
        .map(|object| {
            let mut cells = vec![object["metadata"]["name"].clone()];
            cells.extend(cols.iter().map(|c| cell(c, object)));
            let mut row = json!({"cells": cells});
            match include {
                IncludeObject::None => {}
                IncludeObject::Metadata => {
                    let mut meta = object["metadata"].clone();
                    if let Value::Object(m) = &mut meta {
                        m.remove("managedFields");
                    }
                    row["object"] = json!({
                        "kind": "PartialObjectMetadata",
                        "apiVersion": "meta.k8s.io/v1",
                        "metadata": meta,
                    });
                }
                IncludeObject::Object => row["object"] = (*object).clone(),
            }
            row
        })
        .collect();
    let mut metadata = json!({"resourceVersion": resource_version});
    if let Some(token) = continue_token {
        metadata["continue"] = Value::String(token.to_owned());
    }
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
        "columnDefinitions": definitions,
        "rows": rows,
    })
}

#[cfg(test)]
mod tests {
    use super::human_duration;

    #[test]
    fn ages_print_like_kubectl() {
        assert_eq!(human_duration(5), "5s");
        assert_eq!(human_duration(125), "2m5s");
        assert_eq!(human_duration(600), "10m");
        assert_eq!(human_duration(3 * 3600 + 60), "3h1m");
        assert_eq!(human_duration(30 * 3600), "30h");
        assert_eq!(human_duration(3 * 86_400 + 3600), "3d1h");
    }
}
