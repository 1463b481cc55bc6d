//! Discovery as kubectl and kube-rs read it: `/version`, legacy discovery (`/api`, `/apis`,
//! `/apis/<group>`, `/api/v1`, `/apis/<group>/<version>`), and aggregated discovery
//! (`apidiscovery.k8s.io/v2` `APIGroupDiscoveryList`) when the client's Accept header asks for it.
//! Custom resources appear once their CRD is stored (the emulator establishes CRDs at once).

use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::resources::{Registry, ResourceType};
use crate::shared::Shared;
use crate::wire;

/// The Kubernetes version the emulator reports (kubectl on this machine is v1.32).
pub(crate) fn version() -> Value {
    json!({
        "major": "1",
        "minor": "32",
        "gitVersion": "v1.32.0-kube-emulator",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": "go1.23.0",
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

const AGGREGATED: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

fn aggregated(body: &Value) -> Response {
    ([(http::header::CONTENT_TYPE, AGGREGATED)], body.to_string()).into_response()
}

pub(crate) fn api(shared: &Shared, accept: Option<&str>) -> Response {
    let state = shared.lock();
    if wire::wants_aggregated_discovery(accept) {
        let body = json!({
            "kind": "APIGroupDiscoveryList",
            "apiVersion": "apidiscovery.k8s.io/v2",
            "metadata": {},
            "items": [group_discovery(&state.registry, "")],
        });
        return aggregated(&body);
    }
    wire::json(
        200,
        &json!({
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": shared.address}],
        }),
        &[],
    )
}

fn group_entry(registry: &Registry, group: &str) -> Value {
    let versions: Vec<Value> = registry
        .versions(group)
        .iter()
        .map(|v| json!({"groupVersion": format!("{group}/{v}"), "version": v}))
        .collect();
    let preferred = versions.first().cloned().unwrap_or(Value::Null);
    json!({"name": group, "versions": versions, "preferredVersion": preferred})
}

pub(crate) fn apis(shared: &Shared, accept: Option<&str>) -> Response {
    let state = shared.lock();
    let groups = state.registry.groups();
    if wire::wants_aggregated_discovery(accept) {
        let items: Vec<Value> = groups
            .iter()
            .map(|g| group_discovery(&state.registry, g))
            .collect();
        let body = json!({
            "kind": "APIGroupDiscoveryList",
            "apiVersion": "apidiscovery.k8s.io/v2",
            "metadata": {},
            "items": items,
        });
        return aggregated(&body);
    }
    let entries: Vec<Value> = groups
        .iter()
        .map(|g| group_entry(&state.registry, g))
        .collect();
    wire::json(
        200,
        &json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": entries}),
        &[],
    )
}

pub(crate) fn group(shared: &Shared, group: &str) -> Option<Response> {
    let state = shared.lock();
    if state.registry.versions(group).is_empty() {
        return None;
    }
    let mut body = group_entry(&state.registry, group);
    body["kind"] = json!("APIGroup");
    body["apiVersion"] = json!("v1");
    Some(wire::json(200, &body, &[]))
}

fn subresources(t: &ResourceType) -> Vec<&'static str> {
    let mut subs = Vec::new();
    if t.status_subresource {
        subs.push("status");
    }
    if t.behaviour == crate::resources::Behaviour::Namespace {
        subs.push("finalize");
    }
    if t.behaviour == crate::resources::Behaviour::ServiceAccount {
        subs.push("token");
    }
    subs
}

/// A subresource's verbs and, when it answers another kind than its parent (the TokenRequest of
/// `serviceaccounts/token`), that kind's (group, version, kind).
fn subresource_shape(
    sub: &str,
) -> (
    &'static [&'static str],
    Option<(&'static str, &'static str, &'static str)>,
) {
    match sub {
        "finalize" => (&["update"], None),
        "token" => (
            &["create"],
            Some(("authentication.k8s.io", "v1", "TokenRequest")),
        ),
        _ => (&["get", "patch", "update"], None),
    }
}

pub(crate) fn resource_list(shared: &Shared, group: &str, version: &str) -> Option<Response> {
    let state = shared.lock();
    let mut resources = Vec::new();
    for t in state.registry.in_group_version(group, version) {
        let mut entry = json!({
            "name": t.plural,
            "singularName": t.singular,
            "namespaced": t.namespaced,
            "kind": t.kind,
            "verbs": t.verbs(),
        });
        if !t.short_names.is_empty() {
            entry["shortNames"] = json!(t.short_names);
        }
        if !t.categories.is_empty() {
            entry["categories"] = json!(t.categories);
        }
        resources.push(entry);
        for sub in subresources(t) {
            let (verbs, other) = subresource_shape(sub);
            let mut entry = json!({
                "name": format!("{}/{sub}", t.plural),
                "singularName": "",
                "namespaced": t.namespaced,
                "kind": t.kind,
                "verbs": verbs,
            });
            if let Some((group, version, kind)) = other {
                entry["group"] = json!(group);
                entry["version"] = json!(version);
                entry["kind"] = json!(kind);
            }
            resources.push(entry);
        }
    }
    if resources.is_empty() {
        return None;
    }
    let group_version = if group.is_empty() {
        version.to_owned()
    } else {
        format!("{group}/{version}")
    };
    Some(wire::json(
        200,
        &json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources}),
        &[],
    ))
}

/// One `APIGroupDiscovery` (aggregated discovery) for a group ("" = core).
fn group_discovery(registry: &Registry, group: &str) -> Value {
    let versions: Vec<Value> = if group.is_empty() {
        vec!["v1".to_owned()]
    } else {
        registry.versions(group)
    }
    .iter()
    .map(|v| {
        let resources: Vec<Value> = registry
            .in_group_version(group, v)
            .map(|t| {
                let response_kind = json!({"group": t.group, "version": t.version, "kind": t.kind});
                let subs: Vec<Value> = subresources(t)
                    .into_iter()
                    .map(|s| {
                        let (verbs, other) = subresource_shape(s);
                        let kind = match other {
                            Some((group, version, kind)) => {
                                json!({"group": group, "version": version, "kind": kind})
                            }
                            None => response_kind.clone(),
                        };
                        json!({"subresource": s, "responseKind": kind, "verbs": verbs})
                    })
                    .collect();
                let mut entry = json!({
                    "resource": t.plural,
                    "responseKind": response_kind,
                    "scope": if t.namespaced { "Namespaced" } else { "Cluster" },
                    "singularResource": t.singular,
                    "verbs": t.verbs(),
                });
                if !t.short_names.is_empty() {
                    entry["shortNames"] = json!(t.short_names);
                }
                if !t.categories.is_empty() {
                    entry["categories"] = json!(t.categories);
                }
                if !subs.is_empty() {
                    entry["subresources"] = json!(subs);
                }
                entry
            })
            .collect();
        json!({"version": v, "resources": resources, "freshness": "Current"})
    })
    .collect();
    let mut metadata = json!({"creationTimestamp": null});
    if !group.is_empty() {
        metadata["name"] = json!(group);
    }
    json!({"metadata": metadata, "versions": versions})
}
