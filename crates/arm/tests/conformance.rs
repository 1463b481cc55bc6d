//! Conformance with Microsoft's REST examples (`testdata/azure-api/examples/**` at the repository
//! root, MIT-licensed by Microsoft; see `testdata/azure-api/NOTICE`): every
//! response body deserializes into our model and serializes back unchanged, every request body
//! round-trips, and the members we name land in named fields (not in `extra`) with the enum
//! values Microsoft spells. Every example file must be listed here: a new file fails the test
//! until it is given a model.

#![allow(clippy::unwrap_used)]

use arm::models::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn examples_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("AZURE_API_EXAMPLES") {
        return PathBuf::from(dir);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/azure-api/examples")
}

type Check = fn(&Value, &str);

/// Deserializes `value` as `T` and checks that serializing gives the same JSON back.
fn round_trip<T: Serialize + DeserializeOwned>(value: &Value, what: &str) {
    let typed: T = serde_json::from_value(value.clone())
        .unwrap_or_else(|e| panic!("{what}: does not deserialize: {e}"));
    let back = serde_json::to_value(&typed).unwrap();
    assert_eq!(&back, value, "{what}: does not round-trip");
}

/// An ARM resource handled as JSON: an object with string `id`, `name` and `type`, and an
/// object `properties`.
fn arm_json_resource(value: &Value, what: &str) {
    for key in ["id", "name", "type"] {
        assert!(value[key].is_string(), "{what}: no string {key}");
    }
    assert!(
        value["properties"].is_object(),
        "{what}: no properties object"
    );
}

/// A request body handled as JSON: an object with `properties` or `tags`.
fn arm_json_body(value: &Value, what: &str) {
    assert!(
        value["properties"].is_object() || value["tags"].is_object(),
        "{what}: neither properties nor tags"
    );
}

struct Example {
    /// Path below `examples/`.
    path: &'static str,
    /// The parameter holding the request body, and its model.
    request: Option<(&'static str, Check)>,
    /// The model of every response body.
    response: Option<Check>,
}

const fn ex(
    path: &'static str,
    request: Option<(&'static str, Check)>,
    response: Option<Check>,
) -> Example {
    Example {
        path,
        request,
        response,
    }
}

fn table() -> Vec<Example> {
    let ml = "machinelearningservices/2025-12-01";
    let ml_new = "machinelearningservices/2026-07-01";
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    let endpoint: Check = round_trip::<OnlineEndpoint>;
    let deployment: Check = round_trip::<OnlineDeployment>;
    let patch: Check = round_trip::<Patch>;
    let pec: Check = round_trip::<PrivateEndpointConnection>;
    let workspace: Check = round_trip::<Workspace>;
    let token: Check = round_trip::<EndpointAuthToken>;
    let regenerate: Check = round_trip::<RegenerateEndpointKeysRequest>;
    vec![
        // A workspace's associated resources (storage, key vault, registry, Application
        // Insights) are handled as JSON: what the planner reads of these files is checked in
        // crates/planner/tests/associated_examples.rs, the emulator's answers in
        // crates/arm-emulator/tests/fidelity.rs. Here: each body is an ARM resource (or a page).
        ex(
            "storage/2026-09-01/StorageAccountGetProperties.json",
            None,
            Some(arm_json_resource),
        ),
        ex(
            "keyvault/2026-04-01/getVault.json",
            None,
            Some(arm_json_resource),
        ),
        ex(
            "containerregistry/2025-11-01/RegistryGet.json",
            None,
            Some(arm_json_resource),
        ),
        ex(
            "applicationinsights/2020-02-02/ComponentsGet.json",
            None,
            Some(arm_json_resource),
        ),
        ex(
            "storage/2025-08-01/StorageAccountGetPrivateEndpointConnection.json",
            None,
            Some(arm_json_resource),
        ),
        ex(
            "keyvault/2026-04-01/getPrivateEndpointConnection.json",
            None,
            Some(arm_json_resource),
        ),
        ex(
            "containerregistry/2025-11-01/PrivateEndpointConnectionGet.json",
            None,
            Some(arm_json_resource),
        ),
        ex(
            "storage/2026-09-01/StorageAccountListPrivateLinkResources.json",
            None,
            Some(round_trip::<Page<serde_json::Value>>),
        ),
        ex(
            "storage/2026-09-01/StorageAccountListPrivateEndpointConnections.json",
            None,
            Some(round_trip::<Page<serde_json::Value>>),
        ),
        ex(
            "keyvault/2026-04-01/listPrivateLinkResources.json",
            None,
            Some(round_trip::<Page<serde_json::Value>>),
        ),
        ex(
            "containerregistry/2025-11-01/RegistryListPrivateLinkResources.json",
            None,
            Some(round_trip::<Page<serde_json::Value>>),
        ),
        ex(
            "storage/2026-09-01/StorageAccountUpdateDisablePublicNetworkAccess.json",
            Some(("parameters", arm_json_body)),
            Some(arm_json_resource),
        ),
        ex(
            "keyvault/2026-04-01/updateVault.json",
            Some(("parameters", arm_json_body)),
            Some(arm_json_resource),
        ),
        ex(
            "containerregistry/2025-11-01/RegistryUpdate.json",
            Some(("registryUpdateParameters", arm_json_body)),
            Some(arm_json_resource),
        ),
        ex(
            "applicationinsights/2020-02-02/ComponentsCreate.json",
            Some(("InsightProperties", arm_json_body)),
            Some(arm_json_resource),
        ),
        ex(
            "applicationinsights/2020-02-02/ComponentsUpdate.json",
            Some(("InsightProperties", arm_json_body)),
            Some(arm_json_resource),
        ),
        ex(
            "applicationinsights/2020-02-02/ComponentsUpdateTagsOnly.json",
            Some(("ComponentTags", arm_json_body)),
            Some(arm_json_resource),
        ),
        // Azure Monitor autoscale settings are handled as JSON (no typed model): the page shape
        // the controller reads is what is checked.
        ex(
            "monitor/2022-10-01/listAutoscaleSettingBySubscription.json",
            None,
            Some(round_trip::<Page<serde_json::Value>>),
        ),
        ex(
            "machinelearningservices/2025-06-01/Workspace/OnlineEndpoint/listKeys.json",
            None,
            Some(round_trip::<EndpointAuthKeys>),
        ),
        ex(
            leak(format!(
                "{ml}/OnlineDeployment/ManagedOnlineDeployment/createOrUpdate.json"
            )),
            Some(("body", deployment)),
            Some(deployment),
        ),
        ex(
            leak(format!(
                "{ml}/OnlineDeployment/ManagedOnlineDeployment/get.json"
            )),
            None,
            Some(deployment),
        ),
        ex(
            leak(format!(
                "{ml}/OnlineDeployment/ManagedOnlineDeployment/listSkus.json"
            )),
            None,
            Some(round_trip::<Page<SkuResource>>),
        ),
        ex(
            leak(format!(
                "{ml}/OnlineDeployment/ManagedOnlineDeployment/update.json"
            )),
            Some(("body", patch)),
            Some(deployment),
        ),
        ex(
            leak(format!("{ml}/OnlineDeployment/getLogs.json")),
            Some(("body", round_trip::<DeploymentLogsRequest>)),
            Some(round_trip::<DeploymentLogs>),
        ),
        ex(
            leak(format!("{ml}/OnlineDeployment/list.json")),
            None,
            Some(round_trip::<Page<OnlineDeployment>>),
        ),
        // The upstream example names the body parameter `properties`.
        ex(
            leak(format!(
                "{ml}/PrivateEndpointConnection/createOrUpdate.json"
            )),
            Some(("properties", pec)),
            Some(pec),
        ),
        ex(
            leak(format!("{ml}/PrivateEndpointConnection/delete.json")),
            None,
            None,
        ),
        ex(
            leak(format!("{ml}/PrivateEndpointConnection/get.json")),
            None,
            Some(pec),
        ),
        ex(
            leak(format!("{ml}/PrivateEndpointConnection/list.json")),
            None,
            Some(round_trip::<Page<PrivateEndpointConnection>>),
        ),
        ex(
            leak(format!("{ml}/PrivateLinkResource/list.json")),
            None,
            Some(round_trip::<Page<PrivateLinkResource>>),
        ),
        ex(
            leak(format!("{ml}/Workspace/OnlineDeployment/delete.json")),
            None,
            None,
        ),
        ex(
            leak(format!("{ml}/Workspace/OnlineEndpoint/createOrUpdate.json")),
            Some(("body", endpoint)),
            Some(endpoint),
        ),
        ex(
            leak(format!("{ml}/Workspace/OnlineEndpoint/delete.json")),
            None,
            None,
        ),
        ex(
            leak(format!("{ml}/Workspace/OnlineEndpoint/get.json")),
            None,
            Some(endpoint),
        ),
        ex(
            leak(format!("{ml}/Workspace/OnlineEndpoint/getToken.json")),
            None,
            Some(token),
        ),
        ex(
            leak(format!("{ml}/Workspace/OnlineEndpoint/list.json")),
            None,
            Some(round_trip::<Page<OnlineEndpoint>>),
        ),
        ex(
            leak(format!("{ml}/Workspace/OnlineEndpoint/regenerateKeys.json")),
            Some(("body", regenerate)),
            None,
        ),
        ex(
            leak(format!("{ml}/Workspace/OnlineEndpoint/update.json")),
            Some(("body", patch)),
            Some(endpoint),
        ),
        ex(
            leak(format!("{ml}/Workspace/get.json")),
            None,
            Some(workspace),
        ),
        ex(
            leak(format!("{ml_new}/PrivateEndpointConnection/delete.json")),
            None,
            None,
        ),
        ex(
            leak(format!("{ml_new}/Workspace/OnlineEndpoint/delete.json")),
            None,
            None,
        ),
        ex(
            leak(format!("{ml_new}/Workspace/OnlineEndpoint/getToken.json")),
            None,
            Some(token),
        ),
        ex(
            leak(format!(
                "{ml_new}/Workspace/OnlineEndpoint/regenerateKeys.json"
            )),
            Some(("body", regenerate)),
            None,
        ),
        ex(
            leak(format!("{ml_new}/Workspace/OnlineEndpoint/update.json")),
            Some(("body", patch)),
            Some(endpoint),
        ),
        ex(
            leak(format!("{ml_new}/Workspace/create.json")),
            Some(("body", workspace)),
            Some(workspace),
        ),
        ex(
            "network/2025-05-01/PrivateEndpointCreate.json",
            Some(("parameters", round_trip::<PrivateEndpoint>)),
            Some(round_trip::<PrivateEndpoint>),
        ),
        ex(
            "network/2025-05-01/PrivateEndpointGet.json",
            None,
            Some(round_trip::<PrivateEndpoint>),
        ),
        ex(
            "network/2025-05-01/PrivateEndpointDnsZoneGroupCreate.json",
            Some(("parameters", round_trip::<PrivateDnsZoneGroup>)),
            Some(round_trip::<PrivateDnsZoneGroup>),
        ),
        ex(
            "network/2025-05-01/PrivateEndpointDnsZoneGroupGet.json",
            None,
            Some(round_trip::<PrivateDnsZoneGroup>),
        ),
        ex(
            "privatedns/2024-06-01/PrivateZonePut.json",
            Some(("parameters", round_trip::<PrivateDnsZone>)),
            Some(round_trip::<PrivateDnsZone>),
        ),
        ex(
            "privatedns/2024-06-01/VirtualNetworkLinkPut.json",
            Some(("parameters", round_trip::<VirtualNetworkLink>)),
            Some(round_trip::<VirtualNetworkLink>),
        ),
    ]
}

fn all_example_files(dir: &Path, root: &Path, out: &mut BTreeSet<String>) {
    for entry in
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
    {
        let path = entry.unwrap().path();
        if path.is_dir() {
            all_example_files(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.insert(
                path.strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/"),
            );
        }
    }
}

fn load(rel: &str) -> Value {
    let path = examples_dir().join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

#[test]
fn every_example_file_is_covered() {
    let root = examples_dir();
    let mut files = BTreeSet::new();
    all_example_files(&root, &root, &mut files);
    assert!(
        files.len() >= 30,
        "expected Microsoft's examples under {}",
        root.display()
    );
    let listed: BTreeSet<String> = table().iter().map(|e| e.path.to_string()).collect();
    let missing: Vec<_> = files.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&files).collect();
    assert!(
        missing.is_empty(),
        "example files without a model: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "listed files that do not exist: {stale:?}"
    );
}

#[test]
fn every_request_and_response_body_round_trips() {
    let mut checked = 0;
    for example in table() {
        let json = load(example.path);
        if let Some((key, check)) = example.request {
            let body = json["parameters"]
                .get(key)
                .unwrap_or_else(|| panic!("{}: no parameter {key}", example.path));
            check(body, &format!("{} request", example.path));
            checked += 1;
        }
        let responses = json["responses"].as_object().unwrap();
        for (status, response) in responses {
            match (response.get("body"), example.response) {
                (Some(body), Some(check)) => {
                    check(body, &format!("{} response {status}", example.path));
                    checked += 1;
                }
                (Some(_), None) => {
                    panic!("{} response {status} has a body but no model", example.path)
                }
                (None, _) => {}
            }
        }
    }
    assert!(checked >= 45, "only {checked} bodies checked");
}

fn body<T: DeserializeOwned>(rel: &str, status: &str) -> T {
    serde_json::from_value(load(rel)["responses"][status]["body"].clone()).unwrap()
}

#[test]
fn online_endpoint_members_land_in_named_fields() {
    let ep: OnlineEndpoint = body(
        "machinelearningservices/2025-12-01/Workspace/OnlineEndpoint/createOrUpdate.json",
        "201",
    );
    assert!(ep.extra.is_empty(), "{:?}", ep.extra);
    let p = &ep.properties;
    assert!(p.extra.is_empty(), "{:?}", p.extra);
    assert_eq!(p.auth_mode, Some(EndpointAuthMode::AmlToken));
    assert_eq!(p.provisioning_state, Some(ProvisioningState::Creating));
    assert_eq!(
        p.scoring_uri.as_deref(),
        Some("https://www.contoso.com/example")
    );
    assert_eq!(p.traffic.as_ref().unwrap()["string"], 1);
    let identity = ep.identity.unwrap();
    assert_eq!(
        identity.identity_type,
        ManagedServiceIdentityType::SystemAssigned
    );
    assert!(identity.extra.is_empty());
    assert_eq!(ep.sku.unwrap().tier, Some(SkuTier::Free));
    assert!(ep.system_data.unwrap().extra.is_empty());
}

#[test]
fn online_deployment_members_land_in_named_fields() {
    let dep: OnlineDeployment = body(
        "machinelearningservices/2025-12-01/OnlineDeployment/ManagedOnlineDeployment/createOrUpdate.json",
        "201",
    );
    assert!(dep.extra.is_empty(), "{:?}", dep.extra);
    let p = &dep.properties;
    assert!(p.extra.is_empty(), "{:?}", p.extra);
    assert_eq!(p.endpoint_compute_type, Some(EndpointComputeType::Managed));
    assert_eq!(p.provisioning_state, Some(ProvisioningState::Creating));
    assert_eq!(
        p.scale_settings.as_ref().unwrap().scale_type,
        ScaleType::Default
    );
    let readiness = p.readiness_probe.as_ref().unwrap();
    assert!(readiness.extra.is_empty());
    assert_eq!(
        readiness.period.as_ref().unwrap().to_std(),
        Some(std::time::Duration::from_secs(10))
    );
    assert_eq!(readiness.failure_threshold, Some(30));
    let request = p.request_settings.as_ref().unwrap();
    assert!(request.extra.is_empty());
    assert_eq!(
        request.request_timeout.as_ref().unwrap().to_std(),
        Some(std::time::Duration::from_secs(300))
    );
    assert!(p.code_configuration.as_ref().unwrap().extra.is_empty());
    assert_eq!(dep.sku.unwrap().capacity, Some(1));
}

#[test]
fn a_kubernetes_deployment_keeps_what_we_do_not_model() {
    let page: Page<OnlineDeployment> = body(
        "machinelearningservices/2025-12-01/OnlineDeployment/list.json",
        "200",
    );
    let dep = &page.value[0];
    assert_eq!(
        dep.properties.endpoint_compute_type,
        Some(EndpointComputeType::Kubernetes)
    );
    assert!(
        dep.properties
            .extra
            .contains_key("containerResourceRequirements")
    );
    assert!(page.next_link.is_some());
}

#[test]
fn workspace_isolation_members_land_in_named_fields() {
    let ws: Workspace = body(
        "machinelearningservices/2025-12-01/Workspace/get.json",
        "200",
    );
    let p = &ws.properties;
    assert_eq!(p.public_network_access, Some(PublicNetworkAccess::Disabled));
    let mn = p.managed_network.as_ref().unwrap();
    assert!(mn.extra.is_empty(), "{:?}", mn.extra);
    assert_eq!(
        mn.isolation_mode,
        Some(IsolationMode::AllowOnlyApprovedOutbound)
    );
    assert_eq!(
        mn.status.as_ref().unwrap().status,
        Some(ManagedNetworkStatus::Active)
    );
    let rule = &mn.outbound_rules.as_ref().unwrap()["some_string"];
    assert_eq!(rule.rule_type, RuleType::Fqdn);
    assert!(rule.extra.is_empty());
    let pec = &p.private_endpoint_connections.as_ref().unwrap()[0];
    let state = pec
        .properties
        .private_link_service_connection_state
        .as_ref()
        .unwrap();
    assert_eq!(state.status, Some(ConnectionStatus::Approved));
    assert!(state.extra.is_empty());
    assert!(pec.properties.extra.is_empty());
    assert_eq!(
        ws.identity.unwrap().identity_type,
        ManagedServiceIdentityType::SystemAssignedUserAssigned
    );
    // Properties the operator does not manage are kept, not dropped.
    assert!(p.extra.contains_key("encryption"));
    assert!(p.extra.contains_key("sharedPrivateLinkResources"));
}

#[test]
fn private_link_resource_members_land_in_named_fields() {
    let page: Page<PrivateLinkResource> = body(
        "machinelearningservices/2025-12-01/PrivateLinkResource/list.json",
        "200",
    );
    let p = &page.value[0].properties;
    assert!(p.extra.is_empty());
    assert_eq!(p.group_id.as_deref(), Some("amlworkspace"));
}

#[test]
fn network_members_land_in_named_fields() {
    let pe: PrivateEndpoint = body("network/2025-05-01/PrivateEndpointGet.json", "200");
    let p = &pe.properties;
    assert!(p.extra.is_empty(), "{:?}", p.extra);
    assert_eq!(p.provisioning_state, Some(ProvisioningState::Succeeded));
    let conn = &p.private_link_service_connections.as_ref().unwrap()[0];
    assert!(conn.properties.extra.is_empty());
    assert_eq!(
        conn.properties
            .private_link_service_connection_state
            .as_ref()
            .unwrap()
            .status,
        Some(ConnectionStatus::Approved)
    );
    assert_eq!(
        p.custom_dns_configs.as_ref().unwrap()[0]
            .ip_addresses
            .as_ref()
            .unwrap()[0],
        "192.168.0.4"
    );

    let group: PrivateDnsZoneGroup = body(
        "network/2025-05-01/PrivateEndpointDnsZoneGroupGet.json",
        "200",
    );
    let configs = group.properties.private_dns_zone_configs.as_ref().unwrap();
    assert_eq!(configs.len(), 2);
    let records = configs[0].properties.record_sets.as_ref().unwrap();
    assert!(records[0].extra.is_empty());
    assert_eq!(records[0].fqdn.as_deref(), Some("abc.zone1.com"));
}

#[test]
fn private_dns_members_land_in_named_fields() {
    let zone: PrivateDnsZone = body("privatedns/2024-06-01/PrivateZonePut.json", "201");
    assert!(
        zone.properties.extra.is_empty(),
        "{:?}",
        zone.properties.extra
    );
    assert_eq!(
        zone.etag.as_deref(),
        Some("00000000-0000-0000-0000-000000000000")
    );
    let link: VirtualNetworkLink = body("privatedns/2024-06-01/VirtualNetworkLinkPut.json", "201");
    assert!(link.properties.extra.is_empty());
    assert_eq!(
        link.properties.virtual_network_link_state,
        Some(VirtualNetworkLinkState::Completed)
    );
    assert_eq!(link.properties.registration_enabled, Some(false));
}

#[test]
fn secrets_never_show_in_debug_output() {
    let keys: EndpointAuthKeys = body(
        "machinelearningservices/2025-06-01/Workspace/OnlineEndpoint/listKeys.json",
        "200",
    );
    assert_eq!(keys.primary_key.as_deref(), Some("string"));
    let shown = format!("{keys:?}");
    assert!(!shown.contains("\"string\""), "{shown}");
    let mut token: EndpointAuthToken = body(
        "machinelearningservices/2025-12-01/Workspace/OnlineEndpoint/getToken.json",
        "200",
    );
    token.access_token = Some("eyJ-secret-token".into());
    let shown = format!("{token:?}");
    assert!(
        !shown.contains("eyJ-secret-token") && shown.contains("<redacted>"),
        "{shown}"
    );
    let request = RegenerateEndpointKeysRequest {
        key_type: KeyType::Primary,
        key_value: Some("new-secret-key".into()),
        extra: Default::default(),
    };
    assert!(!format!("{request:?}").contains("new-secret-key"));
}
