//! A minimal OpenAPI v3 surface: the root index and, per group-version, one PATCH operation per
//! resource tagged with `x-kubernetes-group-version-kind` and the `fieldValidation`, `dryRun`,
//! `fieldManager` and `force` parameters. kubectl reads exactly this to decide that the server
//! validates fields itself (`--validate=strict` then sends `fieldValidation=Strict` instead of
//! validating client-side). No component schemas are published, so kubectl's client-side apply
//! uses JSON merge patches for custom resources, as it does against a real cluster.

use serde_json::{Map, Value, json};

use crate::resources::Registry;

fn gv_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

fn hash(registry: &Registry, group: &str, version: &str) -> String {
    let mut text = String::new();
    for t in registry.in_group_version(group, version) {
        text.push_str(&t.plural);
        text.push_str(&t.kind);
    }
    format!(
        "{:016X}",
        text.bytes()
            .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b))
                .wrapping_mul(0x100_0000_01b3))
    )
}

pub(crate) fn root(registry: &Registry) -> Value {
    let mut paths = Map::new();
    let mut gvs: Vec<(String, String)> = vec![(String::new(), "v1".to_owned())];
    for g in registry.groups() {
        for v in registry.versions(&g) {
            gvs.push((g.clone(), v));
        }
    }
    for (g, v) in gvs {
        let path = gv_path(&g, &v);
        let url = format!("/openapi/v3/{path}?hash={}", hash(registry, &g, &v));
        paths.insert(path, json!({"serverRelativeURL": url}));
    }
    json!({"paths": paths})
}

fn param(name: &str, type_: &str) -> Value {
    json!({"name": name, "in": "query", "schema": {"type": type_, "uniqueItems": true}})
}

pub(crate) fn group_version(registry: &Registry, gv: &str) -> Option<Value> {
    let (group, version) = if let Some(v) = gv.strip_prefix("api/") {
        (String::new(), v.to_owned())
    } else {
        let rest = gv.strip_prefix("apis/")?;
        let (g, v) = rest.split_once('/')?;
        (g.to_owned(), v.to_owned())
    };
    let mut paths = Map::new();
    let prefix = format!("/{}", gv_path(&group, &version));
    for t in registry.in_group_version(&group, &version) {
        let item = if t.namespaced {
            format!("{prefix}/namespaces/{{namespace}}/{}/{{name}}", t.plural)
        } else {
            format!("{prefix}/{}/{{name}}", t.plural)
        };
        let op = json!({
            "operationId": format!("patch{}", t.kind),
            "x-kubernetes-action": "patch",
            "x-kubernetes-group-version-kind": {"group": t.group, "version": t.version, "kind": t.kind},
            "parameters": [
                param("dryRun", "string"),
                param("fieldManager", "string"),
                param("fieldValidation", "string"),
                param("force", "boolean"),
            ],
            "responses": {"200": {"description": "OK"}},
        });
        paths.insert(item, json!({"patch": op}));
    }
    if paths.is_empty() {
        return None;
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.32.0"},
        "paths": paths,
        "components": {"schemas": {}},
    }))
}
