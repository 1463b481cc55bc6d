//! The few kind-specific rules of the served built-ins:
//! - Secret: `stringData` is merged into `data` (base64) and dropped; `data` must be base64;
//!   `type` defaults to `Opaque` and is immutable.
//! - Namespace: `spec.finalizers: [kubernetes]` and `status.phase: Active` on create; deletion
//!   (Terminating) is finished by [`crate::controllers`].
//! - events.k8s.io/v1 Event: the fields its validation requires (`eventTime`, `type`,
//!   `reportingController`, `reportingInstance`, `action`, `reason`).
//! - CustomResourceDefinition: name = `<plural>.<group>`, one storage version, schemas whose CEL
//!   compiles; on write its status says NamesAccepted + Established and its served versions are
//!   registered; it carries the `customresourcecleanup.apiextensions.k8s.io` finalizer so its
//!   objects are deleted before it goes; a custom resource of a terminating CRD cannot be created.

use std::sync::Arc;

use base64::Engine as _;
use serde_json::{Value, json};

use crate::admission::{CrdSchema, FieldError, FieldErrorType};
use crate::meta;
use crate::resources::{Behaviour, GroupResource, PrinterColumn, ResourceType};
use crate::status::ApiError;
use crate::store::State;

pub(crate) const CRD_CLEANUP_FINALIZER: &str = "customresourcecleanup.apiextensions.k8s.io";

/// The fields a built-in kind has at its top level and in `spec` (from the Go types); anything
/// else is unknown and is pruned, warned about or refused like a custom resource's.
fn known_fields(behaviour: Behaviour) -> (&'static [&'static str], &'static [&'static str]) {
    match behaviour {
        Behaviour::Namespace => (
            &["apiVersion", "kind", "metadata", "spec", "status"],
            &["finalizers"],
        ),
        Behaviour::Secret => (
            &[
                "apiVersion",
                "kind",
                "metadata",
                "data",
                "stringData",
                "type",
                "immutable",
            ],
            &[],
        ),
        Behaviour::ConfigMap => (
            &[
                "apiVersion",
                "kind",
                "metadata",
                "data",
                "binaryData",
                "immutable",
            ],
            &[],
        ),
        Behaviour::ServiceAccount => (
            &[
                "apiVersion",
                "kind",
                "metadata",
                "secrets",
                "imagePullSecrets",
                "automountServiceAccountToken",
            ],
            &[],
        ),
        Behaviour::Lease => (
            &["apiVersion", "kind", "metadata", "spec"],
            &[
                "holderIdentity",
                "leaseDurationSeconds",
                "acquireTime",
                "renewTime",
                "leaseTransitions",
                "strategy",
                "preferredHolder",
            ],
        ),
        Behaviour::CoreEvent => (
            &[
                "apiVersion",
                "kind",
                "metadata",
                "involvedObject",
                "reason",
                "message",
                "source",
                "firstTimestamp",
                "lastTimestamp",
                "count",
                "type",
                "eventTime",
                "series",
                "action",
                "related",
                "reportingComponent",
                "reportingInstance",
            ],
            &[],
        ),
        Behaviour::Event => (
            &[
                "apiVersion",
                "kind",
                "metadata",
                "eventTime",
                "series",
                "reportingController",
                "reportingInstance",
                "action",
                "reason",
                "regarding",
                "related",
                "note",
                "type",
                "deprecatedSource",
                "deprecatedFirstTimestamp",
                "deprecatedLastTimestamp",
                "deprecatedCount",
            ],
            &[],
        ),
        Behaviour::Crd => (&["apiVersion", "kind", "metadata", "spec", "status"], &[]),
        Behaviour::Custom => (&[], &[]),
    }
}

/// Removes the unknown top-level and `spec` fields of a built-in kind and returns their paths.
pub(crate) fn prune_builtin(t: &ResourceType, object: &mut Value) -> Vec<String> {
    let (top, spec) = known_fields(t.behaviour);
    let mut unknown = Vec::new();
    if top.is_empty() {
        return unknown;
    }
    if let Some(map) = object.as_object_mut() {
        map.retain(|k, _| {
            let known = top.contains(&k.as_str());
            if !known {
                unknown.push(k.clone());
            }
            known
        });
        if !spec.is_empty()
            && let Some(Value::Object(spec_map)) = map.get_mut("spec")
        {
            spec_map.retain(|k, _| {
                let known = spec.contains(&k.as_str());
                if !known {
                    unknown.push(format!("spec.{k}"));
                }
                known
            });
        }
    }
    unknown
}

pub(crate) fn prepare_create(t: &ResourceType, object: &mut Value) -> Result<(), ApiError> {
    match t.behaviour {
        Behaviour::Secret => prepare_secret(object, None),
        Behaviour::Namespace => {
            let name = meta::name_of(object).to_owned();
            object["metadata"]["labels"]["kubernetes.io/metadata.name"] = Value::String(name);
            object["spec"]["finalizers"] = json!(["kubernetes"]);
            object["status"] = json!({"phase": "Active"});
            Ok(())
        }
        Behaviour::Crd => {
            let mut finalizers = meta::finalizers(object);
            if !finalizers.iter().any(|f| f == CRD_CLEANUP_FINALIZER) {
                finalizers.push(CRD_CLEANUP_FINALIZER.to_owned());
            }
            object["metadata"]["finalizers"] = json!(finalizers);
            crd_status(object, None);
            Ok(())
        }
        _ => Ok(()),
    }
}

/// `sub` is the subresource written: a Namespace's `spec.finalizers` change only through
/// `/finalize`, where nothing else changes.
pub(crate) fn prepare_update(
    t: &ResourceType,
    current: &Value,
    next: &mut Value,
    sub: Option<&str>,
) -> Result<(), ApiError> {
    match t.behaviour {
        Behaviour::Secret => prepare_secret(next, Some(current)),
        Behaviour::Namespace if sub == Some("finalize") => {
            let finalizers = next["spec"]["finalizers"].clone();
            *next = current.clone();
            next["spec"]["finalizers"] = if finalizers.is_array() {
                finalizers
            } else {
                json!([])
            };
            Ok(())
        }
        Behaviour::Namespace => {
            next["spec"] = current["spec"].clone();
            let name = meta::name_of(current).to_owned();
            next["metadata"]["labels"]["kubernetes.io/metadata.name"] = Value::String(name);
            Ok(())
        }
        Behaviour::Crd => {
            crd_status(next, Some(current));
            Ok(())
        }
        _ => Ok(()),
    }
}

fn prepare_secret(object: &mut Value, old: Option<&Value>) -> Result<(), ApiError> {
    if let Some(Value::Object(string_data)) =
        object.as_object_mut().and_then(|m| m.remove("stringData"))
    {
        for (k, v) in string_data {
            let text = v.as_str().unwrap_or_default();
            object["data"][k] =
                Value::String(base64::engine::general_purpose::STANDARD.encode(text));
        }
    }
    if let Some(data) = object["data"].as_object() {
        for v in data.values() {
            let ok = v
                .as_str()
                .is_some_and(|s| base64::engine::general_purpose::STANDARD.decode(s).is_ok());
            if !ok {
                return Err(ApiError::bad_request(
                    "Secret in version \"v1\" cannot be handled as a Secret: illegal base64 data at input byte 0",
                ));
            }
        }
    }
    if object["type"].as_str().is_none_or(str::is_empty) {
        object["type"] = Value::String(
            old.and_then(|o| o["type"].as_str())
                .unwrap_or("Opaque")
                .to_owned(),
        );
    }
    Ok(())
}

pub(crate) fn validate(t: &ResourceType, object: &Value, old: Option<&Value>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    match t.behaviour {
        Behaviour::Secret => {
            if let Some(old) = old
                && old["type"] != object["type"]
            {
                errors.push(FieldError::invalid(
                    "type",
                    object["type"].clone(),
                    "field is immutable",
                ));
            }
        }
        Behaviour::Event if old.is_none() => {
            if object["eventTime"].as_str().is_none_or(str::is_empty) {
                errors.push(FieldError::required("eventTime"));
            }
            let ty = object["type"].as_str().unwrap_or_default();
            if ty != "Normal" && ty != "Warning" {
                errors.push(FieldError::invalid(
                    "type",
                    json!(""),
                    format!("has invalid value: {ty}"),
                ));
            }
            for field in [
                "reportingController",
                "reportingInstance",
                "action",
                "reason",
            ] {
                if object[field].as_str().is_none_or(str::is_empty) {
                    errors.push(FieldError::required(field));
                }
            }
            if object["note"].as_str().is_some_and(|n| n.len() > 1024) {
                errors.push(FieldError::new(
                    "note",
                    FieldErrorType::TooLong,
                    None,
                    "may not be more than 1024 bytes",
                ));
            }
        }
        Behaviour::Crd => errors.extend(validate_crd(object)),
        _ => {}
    }
    errors
}

fn validate_crd(crd: &Value) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let spec = &crd["spec"];
    let group = spec["group"].as_str().unwrap_or_default();
    let plural = spec["names"]["plural"].as_str().unwrap_or_default();
    let name = meta::name_of(crd);
    if group.is_empty() {
        errors.push(FieldError::required("spec.group"));
    }
    if plural.is_empty() {
        errors.push(FieldError::required("spec.names.plural"));
    }
    if spec["names"]["kind"].as_str().is_none_or(str::is_empty) {
        errors.push(FieldError::required("spec.names.kind"));
    }
    if !group.is_empty() && !plural.is_empty() && name != format!("{plural}.{group}") {
        errors.push(FieldError::invalid(
            "metadata.name",
            Value::String(name.to_owned()),
            "must be spec.names.plural+\".\"+spec.group",
        ));
    }
    if !matches!(spec["scope"].as_str(), Some("Namespaced" | "Cluster")) {
        errors.push(FieldError::new(
            "spec.scope",
            FieldErrorType::NotSupported,
            Some(spec["scope"].clone()),
            "supported values: \"Cluster\", \"Namespaced\"",
        ));
    }
    let versions = spec["versions"].as_array().cloned().unwrap_or_default();
    if versions.is_empty() {
        errors.push(FieldError::required("spec.versions"));
    }
    let storage = versions.iter().filter(|v| v["storage"] == true).count();
    if !versions.is_empty() && storage != 1 {
        errors.push(FieldError::invalid(
            "spec.versions",
            Value::Array(versions.clone()),
            "must have exactly one version marked as storage version",
        ));
    }
    for (i, v) in versions.iter().enumerate() {
        let schema = &v["schema"]["openAPIV3Schema"];
        if schema.is_object() {
            errors.extend(crate::admission::schema_problems(
                schema,
                &format!("spec.versions[{i}].schema.openAPIV3Schema"),
            ));
        } else if v["served"] != false {
            errors.push(
                FieldError::required(format!("spec.versions[{i}].schema.openAPIV3Schema"))
                    .with_detail("schemas are required"),
            );
        }
    }
    errors
}

fn condition(type_: &str, status: &str, reason: &str, message: &str, old: Option<&Value>) -> Value {
    let since = old
        .and_then(|o| o["status"]["conditions"].as_array())
        .and_then(|cs| {
            cs.iter()
                .find(|c| c["type"] == type_ && c["status"] == status)
        })
        .and_then(|c| c["lastTransitionTime"].as_str())
        .map(str::to_owned)
        .unwrap_or_else(meta::now);
    json!({"type": type_, "status": status, "lastTransitionTime": since, "reason": reason, "message": message})
}

fn crd_status(crd: &mut Value, old: Option<&Value>) {
    let mut conditions = vec![
        condition(
            "NamesAccepted",
            "True",
            "NoConflicts",
            "no conflicts found",
            old,
        ),
        condition(
            "Established",
            "True",
            "InitialNamesAccepted",
            "the initial names have been accepted",
            old,
        ),
    ];
    if meta::is_deleting(crd) {
        conditions.push(condition(
            "Terminating",
            "True",
            "InstanceDeletionInProgress",
            "CustomResource deletion is in progress",
            old,
        ));
    }
    let mut names = crd["spec"]["names"].clone();
    if names["singular"].as_str().is_none_or(str::is_empty) {
        names["singular"] = Value::String(
            names["kind"]
                .as_str()
                .unwrap_or_default()
                .to_ascii_lowercase(),
        );
    }
    if names["listKind"].as_str().is_none_or(str::is_empty) {
        names["listKind"] = Value::String(format!(
            "{}List",
            names["kind"].as_str().unwrap_or_default()
        ));
    }
    crd["spec"]["names"] = names.clone();
    let mut stored: Vec<Value> = old
        .and_then(|o| o["status"]["storedVersions"].as_array().cloned())
        .unwrap_or_default();
    if let Some(storage) = crd["spec"]["versions"]
        .as_array()
        .and_then(|vs| vs.iter().find(|v| v["storage"] == true))
        .and_then(|v| v["name"].as_str())
        && !stored.iter().any(|s| s == storage)
    {
        stored.push(Value::String(storage.to_owned()));
    }
    crd["status"] =
        json!({"conditions": conditions, "acceptedNames": names, "storedVersions": stored});
}

/// Refuses new custom resources of a CRD being deleted.
pub(crate) fn check_create_allowed(
    state: &State,
    t: &ResourceType,
    _name: &str,
) -> Result<(), ApiError> {
    if t.behaviour != Behaviour::Custom {
        return Ok(());
    }
    let crd_gr = GroupResource {
        group: "apiextensions.k8s.io".to_owned(),
        resource: "customresourcedefinitions".to_owned(),
    };
    let crd_name = format!("{}.{}", t.plural, t.group);
    if let Some(crd) = state.get(&crd_gr, &(String::new(), crd_name))
        && meta::is_deleting(&crd)
    {
        return Err(ApiError::method_not_allowed(
            "create not allowed while custom resource definition is terminating",
        ));
    }
    Ok(())
}

pub(crate) fn after_write(state: &mut State, t: &ResourceType, stored: &Value) {
    if t.behaviour == Behaviour::Crd {
        register_crd(state, stored);
    }
}

pub(crate) fn after_remove(state: &mut State, t: &ResourceType, removed: &Value) {
    if t.behaviour == Behaviour::Crd {
        let group = removed["spec"]["group"].as_str().unwrap_or_default();
        let plural = removed["spec"]["names"]["plural"]
            .as_str()
            .unwrap_or_default();
        state.registry.remove_custom(group, plural);
        state.drop_table(&GroupResource {
            group: group.to_owned(),
            resource: plural.to_owned(),
        });
    }
}

/// Serves every `served` version of a CRD (an established CRD on a real apiserver).
pub(crate) fn register_crd(state: &mut State, crd: &Value) {
    let spec = &crd["spec"];
    let group = spec["group"].as_str().unwrap_or_default().to_owned();
    let names = &spec["names"];
    let plural = names["plural"].as_str().unwrap_or_default().to_owned();
    let kind = names["kind"].as_str().unwrap_or_default().to_owned();
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let versions = spec["versions"].as_array().cloned().unwrap_or_default();
    let storage_version = versions
        .iter()
        .find(|v| v["storage"] == true)
        .and_then(|v| v["name"].as_str())
        .unwrap_or_default()
        .to_owned();
    state.registry.remove_custom(&group, &plural);
    for v in versions.iter().filter(|v| v["served"] != false) {
        let version = v["name"].as_str().unwrap_or_default().to_owned();
        let schema = CrdSchema::from_crd(crd, &version).ok().map(Arc::new);
        let printer_columns = v["additionalPrinterColumns"]
            .as_array()
            .map(|cols| {
                cols.iter()
                    .map(|c| PrinterColumn {
                        name: c["name"].as_str().unwrap_or_default().to_owned(),
                        type_: c["type"].as_str().unwrap_or("string").to_owned(),
                        format: c["format"].as_str().unwrap_or_default().to_owned(),
                        description: c["description"].as_str().unwrap_or_default().to_owned(),
                        priority: c["priority"].as_i64().unwrap_or(0),
                        json_path: c["jsonPath"].as_str().unwrap_or_default().to_owned(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        state.registry.insert(ResourceType {
            group: group.clone(),
            version,
            plural: plural.clone(),
            singular: names["singular"]
                .as_str()
                .map_or_else(|| kind.to_ascii_lowercase(), str::to_owned),
            kind: kind.clone(),
            namespaced: spec["scope"] == "Namespaced",
            short_names: strings(&names["shortNames"]),
            categories: strings(&names["categories"]),
            status_subresource: v["subresources"]["status"].is_object(),
            behaviour: Behaviour::Custom,
            schema,
            printer_columns,
            storage_version: storage_version.clone(),
        });
    }
}
