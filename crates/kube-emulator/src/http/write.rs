//! Writes: create (POST), update (PUT, and the common path of every patch), delete and
//! deletecollection, with the apiserver's rules:
//! - server-owned metadata (`uid`, `creationTimestamp`, `generation`, `deletionTimestamp`) is set
//!   by the server and kept across updates; `generation` starts at 1 and moves only when something
//!   outside `metadata` (and `status`, with the status subresource) changes;
//! - an update carrying a stale `resourceVersion` is a 409; a custom resource PUT without one a 422;
//! - a create (POST) carrying a `resourceVersion` is a 500, as the apiserver's storage answers;
//! - with the status subresource, main-resource writes keep the old `status` and `/status` writes
//!   change nothing but `status`;
//! - an update that changes nothing is not written (no new resourceVersion, no watch event);
//! - delete of an object with finalizers only sets `deletionTimestamp` (202); no finalizer may be
//!   added afterwards; removing the last one deletes the object;
//! - custom resources are pruned, defaulted and validated (see [`crate::admission`]).

use std::sync::Arc;

use axum::response::Response;
use serde_json::{Value, json};

use super::builtin;
use super::fieldset::{self, Part};
use super::objects::{Filter, present, respond_object};
use super::path::Target;
use super::{Req, respond};
use crate::admission::{self, FieldError, FieldValidation};
use crate::meta;
use crate::resources::{Behaviour, GroupResource, ResourceType};
use crate::shared::Shared;
use crate::status::ApiError;
use crate::store::{ObjectKey, State};
use crate::wire;

/// Parameters every write shares.
#[derive(Debug, Clone)]
pub(crate) struct WriteContext {
    pub dry_run: bool,
    pub manager: String,
    pub validation: FieldValidation,
    /// A PUT (as opposed to a patch): a custom resource must carry a resourceVersion.
    pub is_put: bool,
    /// A POST: the body must not carry a resourceVersion (see [`create`]).
    pub is_post: bool,
    /// A server-side apply, which keeps managedFields itself.
    pub apply: bool,
}

impl WriteContext {
    pub fn from_request(req: &Req) -> Result<Self, ApiError> {
        let validation =
            FieldValidation::parse(req.query.get("fieldValidation")).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "fieldValidation must be one of \"Ignore\", \"Warn\", or \"Strict\", got {:?}",
                    req.query.get("fieldValidation").unwrap_or_default()
                ))
            })?;
        Ok(Self {
            dry_run: req.query.dry_run()?,
            manager: req.field_manager(),
            validation,
            is_put: req.method == http::Method::PUT,
            is_post: req.method == http::Method::POST,
            apply: false,
        })
    }
}

/// Which part of the object a write owns, for managedFields.
pub(crate) fn part_for(t: &ResourceType, status_write: bool) -> Part {
    if status_write {
        Part::Status
    } else if t.status_subresource {
        Part::Main
    } else {
        Part::All
    }
}

pub(crate) fn schema_of(t: &ResourceType) -> Option<&Value> {
    t.schema.as_ref().map(|s| s.schema())
}

/// Prunes (and, for custom resources, defaults) a request body, reporting unknown fields as
/// `fieldValidation` asks: warnings, nothing, or a 400 strict decoding error.
pub(crate) fn decode_custom(
    t: &ResourceType,
    object: &mut Value,
    validation: FieldValidation,
) -> Result<Vec<String>, ApiError> {
    let unknown = match &t.schema {
        Some(schema) => {
            let unknown = admission::prune_object(object, schema.schema());
            admission::default_object(schema, object);
            unknown
        }
        None => builtin::prune_builtin(t, object),
    };
    if unknown.is_empty() {
        return Ok(Vec::new());
    }
    match validation {
        FieldValidation::Strict => Err(ApiError::bad_request(format!(
            "{} in version \"{}\" cannot be handled as a {}: {}",
            t.kind,
            t.version,
            t.kind,
            admission::strict_decoding_message(&unknown)
        ))),
        FieldValidation::Warn => Ok(unknown
            .iter()
            .map(|f| format!("unknown field \"{f}\""))
            .collect()),
        FieldValidation::Ignore => Ok(Vec::new()),
    }
}

fn name_of(object: &Value) -> String {
    meta::name_of(object).to_owned()
}

fn check_type_meta(t: &ResourceType, object: &mut Value) -> Result<(), ApiError> {
    if !object.is_object() {
        return Err(ApiError::bad_request(
            "the request body must be a JSON object",
        ));
    }
    if let Some(av) = object["apiVersion"].as_str() {
        let group = av.rsplit_once('/').map_or("", |(g, _)| g);
        if group != t.group {
            return Err(ApiError::bad_request(format!(
                "the API version in the data ({av}) does not match the expected API version ({})",
                t.api_version()
            )));
        }
    }
    if let Some(kind) = object["kind"].as_str()
        && kind != t.kind
    {
        return Err(ApiError::bad_request(format!(
            "the kind in the data ({kind}) does not match the expected kind ({})",
            t.kind
        )));
    }
    object["apiVersion"] = Value::String(if t.group.is_empty() {
        t.storage_version.clone()
    } else {
        format!("{}/{}", t.group, t.storage_version)
    });
    object["kind"] = Value::String(t.kind.clone());
    if !object["metadata"].is_object() {
        object["metadata"] = json!({});
    }
    Ok(())
}

fn check_namespace(
    t: &ResourceType,
    object: &mut Value,
    namespace: Option<&str>,
) -> Result<(), ApiError> {
    let meta = &mut object["metadata"];
    if t.namespaced {
        let Some(ns) = namespace else {
            return Err(ApiError::bad_request(
                "the namespace of the object must be set in the request path",
            ));
        };
        if let Some(body_ns) = meta["namespace"].as_str()
            && !body_ns.is_empty()
            && body_ns != ns
        {
            return Err(ApiError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
        meta["namespace"] = Value::String(ns.to_owned());
    } else if let Some(m) = meta.as_object_mut() {
        m.remove("namespace");
    }
    Ok(())
}

/// Refuses writes into a missing or terminating namespace.
fn namespace_accepts(
    state: &State,
    t: &ResourceType,
    namespace: &str,
    name: &str,
) -> Result<(), ApiError> {
    if !t.namespaced {
        return Ok(());
    }
    let ns_gr = GroupResource {
        group: String::new(),
        resource: "namespaces".to_owned(),
    };
    match state.get(&ns_gr, &(String::new(), namespace.to_owned())) {
        None => Err(ApiError::not_found(&ns_gr, namespace)),
        Some(ns) if meta::is_deleting(&ns) => Err(ApiError::forbidden(
            &t.gr(),
            name,
            &format!(
                "unable to create new content in namespace {namespace} because it is being terminated"
            ),
        )),
        Some(_) => Ok(()),
    }
}

fn invalid_or(t: &ResourceType, name: &str, errors: Vec<FieldError>) -> Result<(), ApiError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(t, name, &errors))
    }
}

/// Validation of a prepared object: name and metadata, then (custom resources) schema and CEL.
fn validate(t: &ResourceType, object: &Value, old: Option<&Value>) -> Result<(), ApiError> {
    let name = name_of(object);
    let mut errors = Vec::new();
    if old.is_none()
        && let Some(e) = meta::validate_name(t, &name)
    {
        errors.push(e);
    }
    errors.extend(meta::validate_metadata(&object["metadata"]));
    errors.extend(builtin::validate(t, object, old));
    if let Some(schema) = &t.schema {
        errors.extend(admission::validate(schema, object, old));
    }
    invalid_or(t, &name, errors)
}

pub(crate) fn create_request(
    shared: &Arc<Shared>,
    req: &Req,
    target: &Target,
) -> Result<Response, ApiError> {
    if target.sub.is_some() {
        return Err(ApiError::method_not_allowed(
            "the server does not allow this method on the requested resource",
        ));
    }
    let body = wire::decode(&req.body, &req.media_type())?;
    let ctx = WriteContext::from_request(req)?;
    let (object, warnings) = create(
        shared,
        &target.t,
        target.namespace.as_deref(),
        body,
        &ctx,
        None,
    )?;
    Ok(respond_object(201, &target.t, &object, &warnings))
}

/// Creates an object; `apply_fields` makes the creator an Apply manager of those fields.
pub(crate) fn create(
    shared: &Shared,
    t: &ResourceType,
    namespace: Option<&str>,
    mut object: Value,
    ctx: &WriteContext,
    apply_fields: Option<fieldset::FieldSet>,
) -> Result<(Arc<Value>, Vec<String>), ApiError> {
    check_type_meta(t, &mut object)?;
    check_namespace(t, &mut object, namespace)?;
    let warnings = decode_custom(t, &mut object, ctx.validation)?;
    let refuse_resource_version =
        ctx.is_post && resource_version_set(&object["metadata"]["resourceVersion"]);
    let mut generated = false;
    {
        let meta = object["metadata"]
            .as_object_mut()
            .ok_or_else(|| ApiError::bad_request("metadata must be an object"))?;
        for key in [
            "uid",
            "resourceVersion",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
            "selfLink",
            "managedFields",
        ] {
            meta.remove(key);
        }
        let name = meta
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        if name.is_empty() {
            match meta.get("generateName").and_then(Value::as_str) {
                Some(prefix) if !prefix.is_empty() => {
                    meta.insert(
                        "name".to_owned(),
                        Value::String(meta::generated_name(prefix)),
                    );
                    generated = true;
                }
                _ => {
                    return Err(ApiError::invalid(
                        t,
                        "",
                        &[FieldError::new(
                            "metadata.name",
                            admission::FieldErrorType::Required,
                            None,
                            "name or generateName is required",
                        )],
                    ));
                }
            }
        }
        meta.insert("uid".to_owned(), Value::String(meta::new_uid()));
        meta.insert("creationTimestamp".to_owned(), Value::String(meta::now()));
        if t.has_generation() {
            meta.insert("generation".to_owned(), json!(1));
        }
    }
    if t.status_subresource
        && t.behaviour == Behaviour::Custom
        && let Some(map) = object.as_object_mut()
    {
        map.remove("status");
    }
    builtin::prepare_create(t, &mut object)?;
    validate(t, &object, None)?;
    if t.behaviour == Behaviour::Event {
        object = crate::events::to_core(&object);
    }
    let part = part_for(t, false);
    match apply_fields {
        Some(fields) => {
            super::apply::record_apply_create(&mut object, &ctx.manager, &t.api_version(), fields)
        }
        None => fieldset::record_update(
            None,
            &mut object,
            &ctx.manager,
            &t.api_version(),
            None,
            schema_of(t),
            part,
        ),
    }
    meta::normalize(&mut object);
    let name = name_of(&object);
    let key: ObjectKey = (
        object["metadata"]["namespace"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        name.clone(),
    );
    let mut key = key;
    let mut name = name;
    let mut state = shared.lock();
    namespace_accepts(&state, t, &key.0, &name)?;
    builtin::check_create_allowed(&state, t, &name)?;
    // The storage layer's check, so after validation and admission, and before the name is
    // looked up: a POST of an object that still carries its resourceVersion is a 500 even when
    // the name is taken, and a 409 AlreadyExists only without one. A dry run never reaches the
    // storage's Create (`DryRunnableStorage` only looks the name up), so it is not refused.
    if refuse_resource_version && !ctx.dry_run {
        return Err(ApiError::resource_version_set_on_create());
    }
    // A generated name that is taken is generated again (the apiserver retries up to 8 times).
    let prefix = object["metadata"]["generateName"]
        .as_str()
        .map(str::to_owned);
    let mut attempts = 0;
    while state.get(&t.gr(), &key).is_some() {
        match &prefix {
            Some(p) if generated && attempts < 8 => {
                attempts += 1;
                name = meta::generated_name(p);
                object["metadata"]["name"] = Value::String(name.clone());
                key.1 = name.clone();
            }
            _ => return Err(ApiError::already_exists(&t.gr(), &name)),
        }
    }
    if ctx.dry_run {
        return Ok((Arc::new(object), warnings));
    }
    let stored = state.put(&t.gr(), key, object);
    builtin::after_write(&mut state, t, &stored);
    drop(state);
    if stored["metadata"]["ownerReferences"].is_array() {
        shared.work.notify_one();
    }
    Ok((stored, warnings))
}

/// Whether a create body's `metadata.resourceVersion` makes the apiserver refuse the create.
///
/// kube-apiserver v1.36.2 answers a POST of a custom resource whose body still carries
/// `metadata.resourceVersion` with a 500 (seen by the contract test against a real server). The
/// source shows why and what else follows: the etcd3 store's `Create`
/// (`k8s.io/apiserver/pkg/storage/etcd3/store.go`) returns
/// `"resourceVersion should not be set on objects to be created"` when
/// `APIObjectVersioner.ObjectResourceVersion` parses the field as a non-zero unsigned integer;
/// `InterpretCreateError` leaves that error alone and `ErrorToAPIStatus` makes it a 500. So an
/// empty, `"0"` or non-numeric resourceVersion is not refused (the store then clears it).
///
/// Built-in kinds stored in etcd (ConfigMap, Secret, Lease, Namespace, Event, ...) go through
/// the same generic registry and store, so the emulator applies the rule to them too. Only the
/// custom-resource case was observed against a real server; the built-in kinds, the `"0"` and
/// non-numeric values and the dry-run exemption are taken from reading the source, not checked
/// against a running kube-apiserver. PUTs that create (create-on-update) and server-side apply
/// of a new object go through the registry's Update, not this check, and are left as they were.
fn resource_version_set(rv: &Value) -> bool {
    rv.as_str()
        .and_then(|rv| rv.parse::<u64>().ok())
        .is_some_and(|rv| rv != 0)
}

pub(crate) fn update_request(
    shared: &Arc<Shared>,
    req: &Req,
    target: &Target,
) -> Result<Response, ApiError> {
    let body = wire::decode(&req.body, &req.media_type())?;
    let ctx = WriteContext::from_request(req)?;
    let explicit_rv = body["metadata"]["resourceVersion"]
        .as_str()
        .is_some_and(|s| !s.is_empty());
    let result = update(
        shared,
        target,
        &ctx,
        explicit_rv,
        |_| Ok(body.clone()),
        Some(&body),
    )?;
    Ok(respond_object(
        result.status,
        &target.t,
        &result.object,
        &result.warnings,
    ))
}

pub(crate) struct Updated {
    pub object: Arc<Value>,
    pub status: u16,
    pub warnings: Vec<String>,
}

/// The update path of PUT and every patch: `desired_of` computes the new object from the
/// current one (re-run when a concurrent write got in between, unless the client pinned a
/// resourceVersion, which then is a conflict).
pub(crate) fn update(
    shared: &Shared,
    target: &Target,
    ctx: &WriteContext,
    explicit_rv: bool,
    mut desired_of: impl FnMut(&Value) -> Result<Value, ApiError>,
    create_body: Option<&Value>,
) -> Result<Updated, ApiError> {
    let t = &target.t;
    let gr = t.gr();
    let name = target.name.clone().unwrap_or_default();
    let key: ObjectKey = (target.key_namespace(), name.clone());
    // Like GuaranteedUpdate: a patch recomputed on a fresh read until it lands.
    for _ in 0..256 {
        let current = shared.lock().get(&gr, &key);
        let Some(current) = current else {
            if let Some(body) = create_body
                && t.create_on_update()
                && !target.is_status()
            {
                let (object, warnings) = create(
                    shared,
                    t,
                    target.namespace.as_deref(),
                    body.clone(),
                    ctx,
                    None,
                )?;
                return Ok(Updated {
                    object,
                    status: 201,
                    warnings,
                });
            }
            return Err(ApiError::not_found(&gr, &name));
        };
        let mut desired = desired_of(&current)?;
        check_type_meta(t, &mut desired)?;
        let warnings = decode_custom(t, &mut desired, ctx.validation)?;
        if t.behaviour == Behaviour::Event {
            desired = crate::events::to_core(&desired);
        }
        let mut next = prepare_update(t, target, &current, desired, ctx)?;
        validate(t, &next, Some(&current))?;
        if !ctx.apply {
            fieldset::record_update(
                Some(&current),
                &mut next,
                &ctx.manager,
                &t.api_version(),
                target.sub.as_deref(),
                schema_of(t),
                part_for(t, target.is_status()),
            );
        }
        meta::normalize(&mut next);
        let mut state = shared.lock();
        let latest = state.get(&gr, &key);
        let same = latest.as_ref().is_some_and(|l| Arc::ptr_eq(l, &current));
        if !same {
            if explicit_rv {
                return Err(ApiError::conflict(&gr, &name));
            }
            continue;
        }
        if unchanged(&current, &next) {
            return Ok(Updated {
                object: current,
                status: 200,
                warnings,
            });
        }
        if ctx.dry_run {
            return Ok(Updated {
                object: Arc::new(next),
                status: 200,
                warnings,
            });
        }
        let spec_finalized = t.behaviour != Behaviour::Namespace
            || next["spec"]["finalizers"]
                .as_array()
                .is_none_or(Vec::is_empty);
        if meta::is_deleting(&next) && meta::finalizers(&next).is_empty() && spec_finalized {
            let removed = state.remove(&gr, &key).unwrap_or(current);
            builtin::after_remove(&mut state, t, &removed);
            drop(state);
            shared.work.notify_one();
            return Ok(Updated {
                object: removed,
                status: 200,
                warnings,
            });
        }
        let stored = state.put(&gr, key, next);
        builtin::after_write(&mut state, t, &stored);
        drop(state);
        if meta::is_deleting(&stored) {
            shared.work.notify_one();
        }
        return Ok(Updated {
            object: stored,
            status: 200,
            warnings,
        });
    }
    Err(ApiError::conflict(&gr, &name))
}

/// Equal but for resourceVersion and managedFields: nothing to write.
fn unchanged(current: &Value, next: &Value) -> bool {
    let (Some(a), Some(b)) = (current.as_object(), next.as_object()) else {
        return current == next;
    };
    if a.len() != b.len() {
        return false;
    }
    a.iter().all(|(k, v)| {
        let Some(w) = b.get(k) else { return false };
        if k != "metadata" {
            return v == w;
        }
        let (Some(m), Some(n)) = (v.as_object(), w.as_object()) else {
            return v == w;
        };
        let ignored = |key: &String| key == "resourceVersion" || key == "managedFields";
        m.iter().filter(|(key, _)| !ignored(key)).count()
            == n.iter().filter(|(key, _)| !ignored(key)).count()
            && m.iter()
                .filter(|(key, _)| !ignored(key))
                .all(|(key, val)| n.get(key) == Some(val))
    })
}

fn prepare_update(
    t: &ResourceType,
    target: &Target,
    current: &Value,
    mut desired: Value,
    ctx: &WriteContext,
) -> Result<Value, ApiError> {
    let gr = t.gr();
    let name = target.name.clone().unwrap_or_default();
    match desired["metadata"]["name"].as_str() {
        Some(n) if !n.is_empty() && n != name => {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({n}) does not match the name on the URL ({name})"
            )));
        }
        _ => desired["metadata"]["name"] = Value::String(name.clone()),
    }
    check_namespace(t, &mut desired, target.namespace.as_deref())?;
    let current_rv = current["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or_default();
    match desired["metadata"]["resourceVersion"]
        .as_str()
        .filter(|s| !s.is_empty())
    {
        Some(rv) if rv != current_rv => return Err(ApiError::conflict(&gr, &name)),
        Some(_) => {}
        None if ctx.is_put && t.requires_resource_version_on_update() => {
            return Err(ApiError::invalid(
                t,
                &name,
                &[FieldError::invalid(
                    "metadata.resourceVersion",
                    json!(0),
                    "must be specified for an update",
                )],
            ));
        }
        None => {}
    }
    let current_uid = current["metadata"]["uid"].as_str().unwrap_or_default();
    if let Some(uid) = desired["metadata"]["uid"]
        .as_str()
        .filter(|u| !u.is_empty())
        && uid != current_uid
    {
        return Err(ApiError::conflict_with(
            &gr,
            &name,
            &format!(
                "Precondition failed: UID in precondition: {uid}, UID in object meta: {current_uid}"
            ),
        ));
    }
    // An apply computed managedFields itself; every other write inherits them (then records).
    let applied_fields = ctx
        .apply
        .then(|| desired["metadata"]["managedFields"].clone());
    let mut next = if target.is_status() {
        let mut next = current.clone();
        carry(&mut next, "status", desired.get("status"));
        next
    } else {
        let mut next = desired;
        for key in [
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
            "managedFields",
        ] {
            carry(&mut next["metadata"], key, current["metadata"].get(key));
        }
        if t.status_subresource {
            carry(&mut next, "status", current.get("status"));
        }
        next
    };
    next["metadata"]["resourceVersion"] = Value::String(current_rv.to_owned());
    if let Some(fields) = applied_fields {
        next["metadata"]["managedFields"] = fields;
    }
    if meta::is_deleting(current) {
        let old = meta::finalizers(current);
        let added: Vec<String> = meta::finalizers(&next)
            .into_iter()
            .filter(|f| !old.contains(f))
            .collect();
        if !added.is_empty() {
            return Err(ApiError::invalid(
                t,
                &name,
                &[FieldError::forbidden(
                    "metadata.finalizers",
                    format!(
                        "no new finalizers can be added if the object is being deleted, found new finalizers []string{{{}}}",
                        added
                            .iter()
                            .map(|f| format!("{f:?}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )],
            ));
        }
    }
    builtin::prepare_update(t, current, &mut next, target.sub.as_deref())?;
    if t.has_generation() && meta::generation_changes(t, current, &next) {
        let generation = current["metadata"]["generation"].as_i64().unwrap_or(0) + 1;
        next["metadata"]["generation"] = json!(generation);
    }
    Ok(next)
}

/// Sets `target[key]` to `value`, or removes the key when there is none.
fn carry(target: &mut Value, key: &str, value: Option<&Value>) {
    match value {
        Some(v) => target[key] = v.clone(),
        None => {
            if let Some(map) = target.as_object_mut() {
                map.remove(key);
            }
        }
    }
}

/// How dependents are treated when their owner is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Propagation {
    Background,
    Foreground,
    Orphan,
}

#[derive(Debug, Clone)]
pub(crate) struct DeleteOptions {
    pub propagation: Propagation,
    pub uid: Option<String>,
    pub resource_version: Option<String>,
    pub dry_run: bool,
}

impl DeleteOptions {
    pub fn background() -> Self {
        Self {
            propagation: Propagation::Background,
            uid: None,
            resource_version: None,
            dry_run: false,
        }
    }

    fn from_request(req: &Req) -> Result<Self, ApiError> {
        let body: Value = if req.body.is_empty() {
            Value::Null
        } else {
            wire::decode(&req.body, &req.media_type())?
        };
        let policy = body["propagationPolicy"]
            .as_str()
            .or_else(|| req.query.get("propagationPolicy"))
            .map(str::to_owned)
            .or_else(|| match body["orphanDependents"].as_bool() {
                Some(true) => Some("Orphan".to_owned()),
                Some(false) => Some("Background".to_owned()),
                None => None,
            });
        let propagation = match policy.as_deref() {
            None | Some("Background") => Propagation::Background,
            Some("Foreground") => Propagation::Foreground,
            Some("Orphan") => Propagation::Orphan,
            Some(other) => {
                return Err(ApiError::invalid_kind(
                    "",
                    "DeleteOptions",
                    "",
                    &[FieldError::new(
                        "propagationPolicy",
                        admission::FieldErrorType::NotSupported,
                        Some(Value::String(other.to_owned())),
                        "supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\"",
                    )],
                ));
            }
        };
        let dry_run = match body["dryRun"].as_array() {
            Some(list) => list.iter().any(|v| v == "All"),
            None => req.query.dry_run()?,
        };
        Ok(Self {
            propagation,
            uid: body["preconditions"]["uid"].as_str().map(str::to_owned),
            resource_version: body["preconditions"]["resourceVersion"]
                .as_str()
                .map(str::to_owned),
            dry_run,
        })
    }
}

/// The outcome of a delete.
pub(crate) enum Deleted {
    /// Removed now (200).
    Gone(Arc<Value>),
    /// Waiting on finalizers (202).
    Pending(Arc<Value>),
}

/// Deletes under the caller's lock (the background controllers delete through here too).
pub(crate) fn delete_object(
    state: &mut State,
    t: &ResourceType,
    key: &ObjectKey,
    opts: &DeleteOptions,
) -> Result<Deleted, ApiError> {
    let gr = t.gr();
    let current = state
        .get(&gr, key)
        .ok_or_else(|| ApiError::not_found(&gr, &key.1))?;
    let uid = current["metadata"]["uid"].as_str().unwrap_or_default();
    if let Some(want) = &opts.uid
        && want != uid
    {
        return Err(ApiError::conflict_with(
            &gr,
            &key.1,
            &format!("Precondition failed: UID in precondition: {want}, UID in object meta: {uid}"),
        ));
    }
    let rv = current["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or_default();
    if let Some(want) = &opts.resource_version
        && want != rv
    {
        return Err(ApiError::conflict_with(
            &gr,
            &key.1,
            &format!(
                "Precondition failed: ResourceVersion in precondition: {want}, ResourceVersion in object meta: {rv}"
            ),
        ));
    }
    if t.behaviour == Behaviour::Namespace {
        if meta::is_deleting(&current) || opts.dry_run {
            return Ok(Deleted::Pending(current));
        }
        let mut next = (*current).clone();
        next["metadata"]["deletionTimestamp"] = Value::String(meta::now());
        next["metadata"]["deletionGracePeriodSeconds"] = json!(0);
        next["status"]["phase"] = Value::String("Terminating".to_owned());
        return Ok(Deleted::Pending(state.put(&gr, key.clone(), next)));
    }
    let mut finalizers = meta::finalizers(&current);
    let extra = match opts.propagation {
        Propagation::Foreground => Some("foregroundDeletion"),
        Propagation::Orphan => Some("orphan"),
        Propagation::Background => None,
    };
    if let Some(f) = extra
        && !meta::is_deleting(&current)
        && !finalizers.iter().any(|x| x == f)
        && (f == "orphan" || !state.dependents_of(uid).is_empty())
    {
        finalizers.push(f.to_owned());
    }
    if finalizers.is_empty() {
        if opts.dry_run {
            return Ok(Deleted::Gone(current));
        }
        let removed = state.remove(&gr, key).unwrap_or(current);
        builtin::after_remove(state, t, &removed);
        return Ok(Deleted::Gone(removed));
    }
    if meta::is_deleting(&current) || opts.dry_run {
        return Ok(Deleted::Pending(current));
    }
    let mut next = (*current).clone();
    next["metadata"]["finalizers"] = json!(finalizers);
    next["metadata"]["deletionTimestamp"] = Value::String(meta::now());
    next["metadata"]["deletionGracePeriodSeconds"] = json!(0);
    if t.has_generation() {
        let generation = current["metadata"]["generation"].as_i64().unwrap_or(0) + 1;
        next["metadata"]["generation"] = json!(generation);
    }
    let stored = state.put(&gr, key.clone(), next);
    builtin::after_write(state, t, &stored);
    Ok(Deleted::Pending(stored))
}

pub(crate) fn delete_request(
    shared: &Arc<Shared>,
    req: &Req,
    target: &Target,
) -> Result<Response, ApiError> {
    if target.sub.is_some() {
        return Err(ApiError::method_not_allowed(
            "the server does not allow this method on the requested resource",
        ));
    }
    let opts = DeleteOptions::from_request(req)?;
    let key: ObjectKey = (
        target.key_namespace(),
        target.name.clone().unwrap_or_default(),
    );
    let outcome = {
        let mut state = shared.lock();
        delete_object(&mut state, &target.t, &key, &opts)?
    };
    shared.work.notify_one();
    Ok(match outcome {
        Deleted::Gone(object) => respond_object(200, &target.t, &object, &[]),
        Deleted::Pending(object) if target.t.behaviour == Behaviour::Namespace => {
            respond_object(200, &target.t, &object, &[])
        }
        Deleted::Pending(object) => respond_object(202, &target.t, &object, &[]),
    })
}

pub(crate) fn delete_collection_request(
    shared: &Arc<Shared>,
    req: &Req,
    target: &Target,
) -> Result<Response, ApiError> {
    if target.t.behaviour == Behaviour::Namespace {
        return Err(ApiError::method_not_allowed(
            "the server does not allow this method on the requested resource",
        ));
    }
    let filter = Filter::from_request(req, target)?;
    let opts = DeleteOptions::from_request(req)?;
    let gr = target.t.gr();
    let mut items = Vec::new();
    let rv = {
        let mut state = shared.lock();
        let keys: Vec<ObjectKey> = state
            .list(&gr, filter.namespace.as_deref())
            .filter(|(_, o)| filter.matches(o))
            .map(|(k, _)| k.clone())
            .collect();
        for key in keys {
            match delete_object(&mut state, &target.t, &key, &opts)? {
                Deleted::Gone(o) | Deleted::Pending(o) => items.push(present(&target.t, &o)),
            }
        }
        state.resource_version()
    };
    shared.work.notify_one();
    let body = json!({
        "apiVersion": target.t.api_version(),
        "kind": format!("{}List", target.t.kind),
        "metadata": {"resourceVersion": rv.to_string()},
        "items": items,
    });
    Ok(respond(200, &body, &[]))
}

/// The context of writes the emulator makes for its host (preloading CRDs).
pub(crate) fn internal_context() -> WriteContext {
    WriteContext {
        dry_run: false,
        manager: "kube-emulator".to_owned(),
        validation: FieldValidation::Strict,
        is_put: false,
        is_post: false,
        apply: false,
    }
}

/// Creates a cluster-scoped object, or replaces the stored one of the same name.
pub(crate) fn create_or_replace(
    shared: &Shared,
    t: &Arc<ResourceType>,
    object: Value,
    ctx: &WriteContext,
) -> Result<Arc<Value>, ApiError> {
    match create(shared, t, None, object.clone(), ctx, None) {
        Ok((stored, _)) => Ok(stored),
        Err(e) if e.reason == "AlreadyExists" => {
            let target = Target {
                t: t.clone(),
                namespace: None,
                name: Some(name_of(&object)),
                sub: None,
            };
            let mut body = object;
            if let Some(meta) = body["metadata"].as_object_mut() {
                meta.remove("resourceVersion");
            }
            update(shared, &target, ctx, false, |_| Ok(body.clone()), None).map(|u| u.object)
        }
        Err(e) => Err(e),
    }
}
