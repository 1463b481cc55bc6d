//! Writing status: a JSON merge patch on the status subresource holding only what changed, with
//! explicit nulls for fields that went away (a plain merge of the new status would leave a
//! finished `operation` behind). Nothing is written when the status is the same but for condition
//! timestamps, so a resync that changes nothing writes nothing.

use api::conditions::same_conditions;
use api::status::CommonStatus;
use kube::Resource;
use kube::api::{Api, Patch, PatchParams};
use kube::core::NamespaceResourceScope;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// The RFC 7386 merge patch that turns `old` into `new`.
pub fn merge_diff(old: &Value, new: &Value) -> Option<Value> {
    match (old, new) {
        (Value::Object(o), Value::Object(n)) => {
            let mut patch = Map::new();
            for (key, old_value) in o {
                match n.get(key) {
                    None => {
                        patch.insert(key.clone(), Value::Null);
                    }
                    Some(new_value) => {
                        if let Some(p) = merge_diff(old_value, new_value) {
                            patch.insert(key.clone(), p);
                        }
                    }
                }
            }
            for (key, new_value) in n {
                if !o.contains_key(key) {
                    patch.insert(key.clone(), new_value.clone());
                }
            }
            (!patch.is_empty()).then_some(Value::Object(patch))
        }
        (o, n) if o == n => None,
        // Lists and scalars are replaced whole (merge patch semantics).
        (_, n) => Some(n.clone()),
    }
}

/// True when `a` and `b` differ in more than condition timestamps.
pub fn status_changed<S: CommonStatus + Serialize>(a: &S, b: &S) -> bool {
    if !same_conditions(a.conditions(), b.conditions()) {
        return true;
    }
    let strip = |s: &S| {
        let mut v = serde_json::to_value(s).unwrap_or(Value::Null);
        if let Value::Object(m) = &mut v {
            m.remove("conditions");
        }
        v
    };
    strip(a) != strip(b)
}

/// Patches `name`'s status from `old` to `new`; does nothing when only timestamps differ.
///
/// # Errors
/// When the apiserver refuses the patch.
pub async fn patch_status<K, S>(
    api: &Api<K>,
    name: &str,
    old: &S,
    new: &S,
) -> Result<bool, kube::Error>
where
    K: Resource<Scope = NamespaceResourceScope> + Clone + DeserializeOwned + std::fmt::Debug,
    S: CommonStatus + Serialize,
{
    if !status_changed(old, new) {
        return Ok(false);
    }
    let old_v = serde_json::to_value(old).unwrap_or(Value::Null);
    let new_v = serde_json::to_value(new).unwrap_or(Value::Null);
    let Some(diff) = merge_diff(&old_v, &new_v) else {
        return Ok(false);
    };
    let patch = serde_json::json!({ "status": diff });
    api.patch_status(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn removed_fields_become_null_and_unchanged_ones_are_left_out() {
        let old =
            json!({"a": 1, "op": {"kind": "Create"}, "nested": {"x": 1, "y": 2}, "list": [1, 2]});
        let new = json!({"a": 1, "nested": {"x": 1, "y": 3}, "list": [1], "added": true});
        assert_eq!(
            merge_diff(&old, &new),
            Some(json!({"op": null, "nested": {"y": 3}, "list": [1], "added": true}))
        );
        assert_eq!(merge_diff(&new, &new), None);
    }

    #[test]
    fn a_status_that_differs_only_in_timestamps_is_unchanged() {
        use api::OnlineEndpointStatus;
        use api::conditions::{NewCondition, set_condition};
        use k8s_openapi::jiff::Timestamp;
        let mut a = OnlineEndpointStatus::default();
        let mut b = OnlineEndpointStatus::default();
        set_condition(
            &mut a.conditions,
            NewCondition::ready(Some(1), "ok"),
            Timestamp::UNIX_EPOCH,
        );
        set_condition(
            &mut b.conditions,
            NewCondition::ready(Some(1), "ok"),
            Timestamp::MAX,
        );
        assert!(!status_changed(&a, &b));
        b.scoring_uri = Some("https://x".into());
        assert!(status_changed(&a, &b));
    }
}
