//! ResourceId parsing, formatting, navigation, equality and `azureml:` shorthands.

use super::*;
use std::collections::HashSet;

const SUB: &str = "00000000-1111-2222-3333-444444444444";

fn ws() -> ResourceId {
    ResourceId::workspace(SUB, "rg-ml", "mlw-prod").unwrap()
}

#[test]
fn parses_and_formats_a_deployment_id() {
    let text = format!(
        "/subscriptions/{SUB}/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/mlw-prod/onlineEndpoints/ep1/deployments/blue"
    );
    let id = ResourceId::parse(&text).unwrap();
    assert_eq!(id.to_string(), text);
    assert_eq!(id.kind(), ResourceKind::OnlineDeployment);
    assert_eq!(id.subscription_id(), SUB);
    assert_eq!(id.resource_group(), Some("rg-ml"));
    assert_eq!(id.namespace(), Some(ML_NAMESPACE));
    assert_eq!(
        id.resource_type(),
        "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments"
    );
    assert_eq!(id.name(), "blue");
    assert_eq!(id.name_of("onlineendpoints"), Some("ep1"));
    assert_eq!(id.name_of("workspaces"), Some("mlw-prod"));
}

#[test]
fn keywords_are_canonicalised_and_other_case_kept() {
    let id = ResourceId::parse(&format!(
        "/SUBSCRIPTIONS/{SUB}/resourcegroups/RG-Ml/PROVIDERS/microsoft.network/privateEndpoints/PE1"
    ))
    .unwrap();
    assert_eq!(
        id.to_string(),
        format!(
            "/subscriptions/{SUB}/resourceGroups/RG-Ml/providers/microsoft.network/privateEndpoints/PE1"
        )
    );
    assert_eq!(id.kind(), ResourceKind::PrivateEndpoint);
}

#[test]
fn equality_and_hash_ignore_case_as_arm_does() {
    let a = ResourceId::parse(&format!(
        "/subscriptions/{SUB}/resourceGroups/RG-ML/providers/Microsoft.MachineLearningServices/workspaces/MLW-Prod"
    ))
    .unwrap();
    let b = ResourceId::parse(&format!(
        "/subscriptions/{}/resourcegroups/rg-ml/providers/microsoft.machinelearningservices/Workspaces/mlw-prod",
        SUB.to_uppercase()
    ))
    .unwrap();
    assert_eq!(a, b);
    let set: HashSet<ResourceId> = [a.clone(), b].into_iter().collect();
    assert_eq!(set.len(), 1);
    assert_ne!(a, ws().online_endpoint("ep1").unwrap());
}

#[test]
fn typed_constructors_build_every_kind() {
    let ws = ws();
    let ep = ws.online_endpoint("california-housing-service").unwrap();
    let dep = ep.deployment("default").unwrap();
    let pec = ws.private_endpoint_connection("mlw-prod.pe-1").unwrap();
    let pe = ResourceId::private_endpoint(SUB, "rg-net", "mlw-prod-pe").unwrap();
    let group = pe.dns_zone_group("default").unwrap();
    let zone = ResourceId::private_dns_zone(SUB, "rg-dns", "privatelink.api.azureml.ms").unwrap();
    let link = zone.virtual_network_link("vnet-hub").unwrap();
    let vnet = ResourceId::virtual_network(SUB, "rg-net", "vnet-hub").unwrap();
    let subnet = ResourceId::subnet(SUB, "rg-net", "vnet-hub", "pe").unwrap();
    let cases = [
        (
            &ws,
            ResourceKind::Workspace,
            "Microsoft.MachineLearningServices/workspaces/mlw-prod",
        ),
        (
            &ep,
            ResourceKind::OnlineEndpoint,
            "Microsoft.MachineLearningServices/workspaces/mlw-prod/onlineEndpoints/california-housing-service",
        ),
        (
            &dep,
            ResourceKind::OnlineDeployment,
            "Microsoft.MachineLearningServices/workspaces/mlw-prod/onlineEndpoints/california-housing-service/deployments/default",
        ),
        (
            &pec,
            ResourceKind::WorkspacePrivateEndpointConnection,
            "Microsoft.MachineLearningServices/workspaces/mlw-prod/privateEndpointConnections/mlw-prod.pe-1",
        ),
        (
            &pe,
            ResourceKind::PrivateEndpoint,
            "Microsoft.Network/privateEndpoints/mlw-prod-pe",
        ),
        (
            &group,
            ResourceKind::PrivateDnsZoneGroup,
            "Microsoft.Network/privateEndpoints/mlw-prod-pe/privateDnsZoneGroups/default",
        ),
        (
            &zone,
            ResourceKind::PrivateDnsZone,
            "Microsoft.Network/privateDnsZones/privatelink.api.azureml.ms",
        ),
        (
            &link,
            ResourceKind::VirtualNetworkLink,
            "Microsoft.Network/privateDnsZones/privatelink.api.azureml.ms/virtualNetworkLinks/vnet-hub",
        ),
        (
            &vnet,
            ResourceKind::VirtualNetwork,
            "Microsoft.Network/virtualNetworks/vnet-hub",
        ),
        (
            &subnet,
            ResourceKind::Subnet,
            "Microsoft.Network/virtualNetworks/vnet-hub/subnets/pe",
        ),
    ];
    for (id, kind, tail) in cases {
        assert_eq!(id.kind(), kind, "{id}");
        assert!(
            id.to_string().ends_with(&format!("/providers/{tail}")),
            "{id}"
        );
        // Every id survives a format/parse round trip.
        assert_eq!(&ResourceId::parse(&id.to_string()).unwrap(), id);
    }
}

#[test]
fn typed_children_refuse_the_wrong_parent() {
    let pe = ResourceId::private_endpoint(SUB, "rg", "pe").unwrap();
    let err = pe.online_endpoint("ep1").unwrap_err();
    assert_eq!(err.part, "resource type");
    assert!(
        err.reason
            .contains("expected workspace, found private endpoint"),
        "{err}"
    );
    assert!(ws().deployment("d1").is_err());
    assert!(ws().dns_zone_group("g").is_err());
    assert!(ws().virtual_network_link("l").is_err());
}

#[test]
fn endpoint_and_deployment_names_follow_azure_rules() {
    let ws = ws();
    for bad in ["ab", "1abc", "a--b", "abc-", "a_b_c", &"a".repeat(33)] {
        let err = ws.online_endpoint(bad).unwrap_err();
        assert_eq!(err.part, "online endpoint name", "{bad}");
    }
    for good in [
        "abc",
        "california-housing-service",
        &"a".repeat(32),
        "a1-b2",
    ] {
        assert!(ws.online_endpoint(good).is_ok(), "{good}");
    }
    let ep = ws.online_endpoint("ep1").unwrap();
    assert_eq!(ep.deployment("-x").unwrap_err().part, "deployment name");
}

#[test]
fn parent_navigation_walks_up_to_the_subscription() {
    let dep = ws()
        .online_endpoint("ep1")
        .unwrap()
        .deployment("blue")
        .unwrap();
    let ep = dep.parent().unwrap();
    assert_eq!(ep.kind(), ResourceKind::OnlineEndpoint);
    let ws = ep.parent().unwrap();
    assert_eq!(ws, self::ws());
    let rg = ws.parent().unwrap();
    assert_eq!(rg.kind(), ResourceKind::ResourceGroup);
    assert_eq!(
        rg.to_string(),
        format!("/subscriptions/{SUB}/resourceGroups/rg-ml")
    );
    assert_eq!(rg.resource_type(), "Microsoft.Resources/resourceGroups");
    assert_eq!(rg.name(), "rg-ml");
    let sub = rg.parent().unwrap();
    assert_eq!(sub.kind(), ResourceKind::Subscription);
    assert_eq!(sub.to_string(), format!("/subscriptions/{SUB}"));
    assert!(sub.parent().is_none());
    assert_eq!(dep.ancestor(ResourceKind::Workspace), Some(self::ws()));
    assert!(dep.is_within(&self::ws()));
    assert!(!self::ws().is_within(&dep));
    assert!(ResourceId::parse(&format!("/subscriptions/{SUB}")).is_ok());
    assert!(
        rg.child("x", "y").is_err(),
        "a resource group has no typed children"
    );
}

#[test]
fn bad_ids_name_the_part_that_is_wrong() {
    let cases: &[(&str, &str)] = &[
        ("subscriptions/x", "id"),
        ("/tenants/x", "id"),
        (
            "/subscriptions/not-a-guid/resourceGroups/rg",
            "subscription",
        ),
        ("/subscriptions", "subscription"),
        (
            &format!("/subscriptions/{SUB}/resourceGroups/bad.")[..],
            "resource group",
        ),
        (
            &format!("/subscriptions/{SUB}/resourceGroups/a b")[..],
            "resource group",
        ),
        (
            &format!("/subscriptions/{SUB}/resourceGroups")[..],
            "resource group",
        ),
        (
            &format!("/subscriptions/{SUB}/resourceGroups/rg/providers")[..],
            "provider namespace",
        ),
        (
            &format!("/subscriptions/{SUB}/resourceGroups/rg/providers/Network/x/y")[..],
            "provider namespace",
        ),
        (
            &format!("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network")[..],
            "resource type",
        ),
        (
            &format!(
                "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/privateEndpoints"
            )[..],
            "resource name",
        ),
        (
            &format!("/subscriptions/{SUB}/resourceGroups/rg/foo/bar")[..],
            "id",
        ),
        (
            &format!("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/a/b/")[..],
            "id",
        ),
        (
            &format!(
                "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/a/b/providers/Microsoft.Authorization/locks/l"
            )[..],
            "id",
        ),
    ];
    for (text, part) in cases {
        let err = ResourceId::parse(text).unwrap_err();
        assert_eq!(err.part, *part, "{text}: {err}");
        assert!(err.to_string().starts_with("invalid ARM id: "), "{err}");
    }
}

#[test]
fn serde_uses_the_string_form() {
    let id = ws();
    let json = serde_json::to_string(&id).unwrap();
    assert_eq!(json, format!("\"{id}\""));
    let back: ResourceId = serde_json::from_str(&json).unwrap();
    assert_eq!(back, id);
    assert!(serde_json::from_str::<ResourceId>("\"/subscriptions/nope\"").is_err());
}

#[test]
fn azureml_shorthand_resolves_like_az_ml() {
    let ws = ws();
    let cases = [
        (
            AssetKind::Model,
            "azureml:california-housing-prices:1",
            "models/california-housing-prices/versions/1",
        ),
        (
            AssetKind::Environment,
            "azureml:california-housing-env:1",
            "environments/california-housing-env/versions/1",
        ),
        (
            AssetKind::Code,
            "azureml:housing-code:2.0.1",
            "codes/housing-code/versions/2.0.1",
        ),
    ];
    for (kind, text, tail) in cases {
        let asset = AssetRef::parse(text).unwrap();
        assert_eq!(asset.to_string(), text);
        let id = asset.resolve(&ws, kind).unwrap();
        assert_eq!(id.to_string(), format!("{ws}/{tail}"));
        assert_eq!(id.kind(), kind.resource_kind());
    }
}

#[test]
fn full_asset_ids_are_checked_against_the_expected_kind() {
    let model = ws().asset_version(AssetKind::Model, "m", "3").unwrap();
    let asset = AssetRef::parse(&model.to_string()).unwrap();
    assert_eq!(asset, AssetRef::Id(model.clone()));
    assert_eq!(asset.resolve(&ws(), AssetKind::Model).unwrap(), model);
    let err = asset.resolve(&ws(), AssetKind::Environment).unwrap_err();
    assert!(
        err.reason
            .contains("expected environment version, found model version"),
        "{err}"
    );
}

#[test]
fn bad_asset_references_say_why() {
    let cases = [
        ("model:1", "asset reference"),
        ("azureml:model", "asset version"),
        ("azureml:model@latest", "asset reference"),
        (
            "azureml://registries/r/models/m/versions/1",
            "asset reference",
        ),
        ("azureml:-bad:1", "asset name"),
        ("azureml:m:", "asset version"),
        ("azureml:m:1:2", "asset version"),
        ("/subscriptions/x", "subscription"),
    ];
    for (text, part) in cases {
        assert_eq!(AssetRef::parse(text).unwrap_err().part, part, "{text}");
    }
    let pe = ResourceId::private_endpoint(SUB, "rg", "pe").unwrap();
    assert!(
        AssetRef::parse("azureml:m:1")
            .unwrap()
            .resolve(&pe, AssetKind::Model)
            .is_err()
    );
}
