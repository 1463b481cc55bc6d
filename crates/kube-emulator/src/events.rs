//! events.k8s.io/v1 Events and core/v1 Events are one set of objects, as on a real apiserver:
//! stored in the core shape and converted field by field (`regarding` ↔ `involvedObject`,
//! `note` ↔ `message`, `reportingController` ↔ `reportingComponent`, `deprecated*` ↔ the
//! legacy fields), so `kubectl get events` shows what a kube-runtime `Recorder` publishes.

use serde_json::{Map, Value};

/// (events.k8s.io/v1 name, core/v1 name) of every renamed field.
const RENAMED: &[(&str, &str)] = &[
    ("regarding", "involvedObject"),
    ("note", "message"),
    ("reportingController", "reportingComponent"),
    ("deprecatedSource", "source"),
    ("deprecatedFirstTimestamp", "firstTimestamp"),
    ("deprecatedLastTimestamp", "lastTimestamp"),
    ("deprecatedCount", "count"),
];

fn rename(object: &Value, to_core: bool, api_version: &str) -> Value {
    let Some(map) = object.as_object() else {
        return object.clone();
    };
    let mut out = Map::new();
    for (k, v) in map {
        let renamed = RENAMED
            .iter()
            .find(|(v1, core)| if to_core { v1 == k } else { core == k })
            .map(|(v1, core)| if to_core { *core } else { *v1 });
        out.insert(renamed.unwrap_or(k).to_owned(), v.clone());
    }
    out.insert(
        "apiVersion".to_owned(),
        Value::String(api_version.to_owned()),
    );
    out.insert("kind".to_owned(), Value::String("Event".to_owned()));
    Value::Object(out)
}

/// An events.k8s.io/v1 Event in the stored (core/v1) shape.
pub(crate) fn to_core(object: &Value) -> Value {
    rename(object, true, "v1")
}

/// A stored Event as events.k8s.io/v1 serves it.
pub(crate) fn to_events_v1(object: &Value) -> Value {
    rename(object, false, "events.k8s.io/v1")
}

/// A field selector of events.k8s.io/v1 in stored field names.
pub(crate) fn core_field(field: &str) -> String {
    for (v1, core) in RENAMED {
        if field == *v1 {
            return (*core).to_owned();
        }
        if let Some(rest) = field.strip_prefix(&format!("{v1}.")) {
            return format!("{core}.{rest}");
        }
    }
    field.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_between_the_two_shapes() {
        let v1 = json!({"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "e"},
            "regarding": {"kind": "Widget", "name": "w"}, "note": "hello", "reason": "Done",
            "reportingController": "ctl", "reportingInstance": "ctl-0", "action": "Act", "type": "Normal"});
        let core = to_core(&v1);
        assert_eq!(core["involvedObject"]["name"], "w");
        assert_eq!(core["message"], "hello");
        assert_eq!(core["reportingComponent"], "ctl");
        assert_eq!(core["apiVersion"], "v1");
        assert_eq!(to_events_v1(&core), v1);
        assert_eq!(core_field("regarding.name"), "involvedObject.name");
        assert_eq!(core_field("reason"), "reason");
    }
}
