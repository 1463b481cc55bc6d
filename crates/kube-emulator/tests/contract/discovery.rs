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
