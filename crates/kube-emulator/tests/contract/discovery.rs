//! Discovery documents, legacy and aggregated.

use super::harness::Cluster;

/// `/version`, `/api`, `/apis` and the group-version documents list what is served, custom
/// resources included once their CRD is Established; aggregated discovery answers in
/// `apidiscovery.k8s.io/v2` when asked.
#[tokio::test]
async fn discovery_lists_builtins_and_established_custom_resources() {
    let c = Cluster::start().await;
    let version = c.client.apiserver_version().await.unwrap();
    assert_eq!(version.major, "1");
    let core = c.client.list_core_api_resources("v1").await.unwrap();
    let names: Vec<&str> = core.resources.iter().map(|r| r.name.as_str()).collect();
    for wanted in [
        "namespaces",
        "secrets",
        "configmaps",
        "events",
        "namespaces/status",
    ] {
        assert!(names.contains(&wanted), "core/v1 lacks {wanted}: {names:?}");
    }
    let groups = c.client.list_api_groups().await.unwrap();
    let group_names: Vec<&str> = groups.groups.iter().map(|g| g.name.as_str()).collect();
    for wanted in [
        "events.k8s.io",
        "coordination.k8s.io",
        "apiextensions.k8s.io",
        "contract.kube-emulator.dev",
    ] {
        assert!(
            group_names.contains(&wanted),
            "missing group {wanted}: {group_names:?}"
        );
    }
    let widgets = c
        .client
        .list_api_group_resources("contract.kube-emulator.dev/v1")
        .await
        .unwrap();
    let widget = widgets
        .resources
        .iter()
        .find(|r| r.name == "widgets")
        .unwrap();
    assert!(widget.namespaced);
    assert_eq!(widget.kind, "Widget");
    assert_eq!(widget.short_names.as_deref(), Some(&["wg".to_owned()][..]));
    assert!(widgets.resources.iter().any(|r| r.name == "widgets/status"));

    let aggregated = c.client.list_api_groups_aggregated().await.unwrap();
    let entry = aggregated
        .items
        .iter()
        .find(|g| {
            g.metadata.as_ref().and_then(|m| m.name.as_deref())
                == Some("contract.kube-emulator.dev")
        })
        .expect("the custom group is in aggregated discovery");
    let resources = &entry.versions[0].resources;
    assert!(
        resources
            .iter()
            .any(|r| r.resource.as_deref() == Some("widgets")
                && r.scope.as_deref() == Some("Namespaced"))
    );
    c.shutdown().await;
}

/// `Accept: application/json;as=Table;g=meta.k8s.io;v=v1` returns a Table: a Name column, then
/// the CRD version's printer columns, one row per object with cells from their JSONPaths
/// (a `[?(@.type=="Ready")]` filter included) and the object's metadata.
#[tokio::test]
async fn table_output_uses_printer_columns() {
    let c = Cluster::start().await;
    c.create_widget("t1", serde_json::json!({"size": 7})).await;
    c.widgets()
        .patch_status(
            "t1",
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(serde_json::json!({"status": {"conditions": [{"type": "Ready", "status": "True"}]}})),
        )
        .await
        .unwrap();
    let accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";
    let (code, table, _) = c
        .raw("GET", &c.widgets_path(), None, Some(accept), None)
        .await;
    assert_eq!(code, 200, "{table}");
    assert_eq!(table["kind"], "Table");
    let columns: Vec<&str> = table["columnDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(columns, ["Name", "Size", "Ready"]);
    let row = &table["rows"][0];
    assert_eq!(row["cells"], serde_json::json!(["t1", 7, "True"]));
    assert_eq!(row["object"]["metadata"]["name"], "t1");
    c.shutdown().await;
}
