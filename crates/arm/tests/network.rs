//! The workspace's private link legs through the typed client: a Network private endpoint to
//! the workspace, the workspace's connection, private DNS zones with VNet links, the DNS zone
//! group writing records, and the endpoint actions (keys, token, logs, SKUs).

#![allow(clippy::unwrap_used)]

mod support;

use arm::models::*;
use arm::{ArmClient, ResourceId, Started};
use arm_emulator::EmulatorConfig;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::time::Duration;
use support::*;

const LONG: Duration = Duration::from_secs(20);

/// A PUT followed to its end, whatever ARM's answer style.
async fn put<B: Serialize, T: DeserializeOwned>(
    client: &ArmClient,
    id: &ResourceId,
    body: &B,
) -> T {
    match client.begin_put::<B, T>(id, body).await.unwrap() {
        Started::Done(Some(t)) => t,
        Started::Done(None) => client.get(id).await.unwrap(),
        Started::Pending(handle) => client.wait::<T>(&handle, LONG).await.unwrap().unwrap(),
    }
}

#[tokio::test]
async fn private_endpoint_dns_zones_links_and_zone_group() {
    let emulator = start(EmulatorConfig::default()).await;
    let client = client(&emulator);
    let ws = workspace();
    let subnet = ResourceId::subnet(SUB, "rg-net", "vnet-hub", "pe").unwrap();
    let vnet = subnet.parent().unwrap();

    let pe_id = ResourceId::private_endpoint(SUB, "rg-net", "mlw-test-pe").unwrap();
    let body = PrivateEndpoint {
        location: Some("westeurope".into()),
        properties: PrivateEndpointProperties {
            subnet: Some(SubResource::new(subnet.to_string())),
            private_link_service_connections: Some(vec![PrivateLinkServiceConnection {
                name: Some("mlw-test-pe-conn".into()),
                properties: PrivateLinkServiceConnectionProperties {
                    private_link_service_id: Some(ws.to_string()),
                    group_ids: Some(vec!["amlworkspace".into()]),
                    ..Default::default()
                },
                ..Default::default()
            }]),
            ..Default::default()
        },
        ..Default::default()
    };
    let pe: PrivateEndpoint = put(&client, &pe_id, &body).await;
    assert_eq!(
        pe.properties.provisioning_state,
        Some(ProvisioningState::Succeeded)
    );
    let conn = &pe
        .properties
        .private_link_service_connections
        .as_ref()
        .unwrap()[0];
    assert_eq!(
        conn.properties
            .private_link_service_connection_state
            .as_ref()
            .unwrap()
            .status,
        Some(ConnectionStatus::Approved)
    );

    // The workspace side lists the connection as approved.
    let connections: Vec<PrivateEndpointConnection> = client
        .list(&ws, "privateEndpointConnections")
        .await
        .unwrap();
    assert_eq!(connections.len(), 1);
    let state = connections[0]
        .properties
        .private_link_service_connection_state
        .as_ref()
        .unwrap();
    assert_eq!(state.status, Some(ConnectionStatus::Approved));
    let private_endpoint = connections[0].properties.private_endpoint.as_ref().unwrap();
    assert_eq!(
        ResourceId::parse(private_endpoint.id.as_deref().unwrap()).unwrap(),
        pe_id
    );
    let link_resources: Vec<PrivateLinkResource> =
        client.list(&ws, "privateLinkResources").await.unwrap();
    assert!(
        link_resources
            .iter()
            .any(|r| r.properties.group_id.as_deref() == Some("amlworkspace"))
    );

    let mut zone_ids = Vec::new();
    for zone in [
        "privatelink.api.azureml.ms",
        "privatelink.notebooks.azure.net",
    ] {
        let zone_id = ResourceId::private_dns_zone(SUB, "rg-dns", zone).unwrap();
        let _: PrivateDnsZone = put(
            &client,
            &zone_id,
            &PrivateDnsZone {
                location: Some("global".into()),
                ..Default::default()
            },
        )
        .await;
        let link_id = zone_id.virtual_network_link("vnet-hub").unwrap();
        let link: VirtualNetworkLink = put(
            &client,
            &link_id,
            &VirtualNetworkLink {
                location: Some("global".into()),
                properties: VirtualNetworkLinkProperties {
                    virtual_network: Some(SubResource::new(vnet.to_string())),
                    registration_enabled: Some(false),
                    ..Default::default()
                },
                ..Default::default()
            },
        )
        .await;
        assert_eq!(
            link.properties.virtual_network_link_state,
            Some(VirtualNetworkLinkState::Completed)
        );
        zone_ids.push(zone_id);
    }

    let group_id = pe_id.dns_zone_group("default").unwrap();
    let group: PrivateDnsZoneGroup = put(
        &client,
        &group_id,
        &PrivateDnsZoneGroup {
            properties: PrivateDnsZoneGroupProperties {
                private_dns_zone_configs: Some(
                    zone_ids
                        .iter()
                        .map(|z| PrivateDnsZoneConfig {
                            name: Some(z.name().replace('.', "-")),
                            properties: PrivateDnsZoneConfigProperties {
                                private_dns_zone_id: Some(z.to_string()),
                                ..Default::default()
                            },
                            ..Default::default()
                        })
                        .collect(),
                ),
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        group.properties.provisioning_state,
        Some(ProvisioningState::Succeeded)
    );
    let configs = group.properties.private_dns_zone_configs.unwrap();
    assert_eq!(configs.len(), 2);
    assert!(
        configs.iter().all(|c| c
            .properties
            .record_sets
            .as_ref()
            .is_some_and(|r| !r.is_empty())),
        "{configs:?}"
    );

    // Removing the zone group is an asynchronous delete followed to the end.
    if let Started::Pending(handle) = client.begin_delete(&group_id).await.unwrap() {
        client.wait::<()>(&handle, LONG).await.unwrap();
    }
    assert!(
        client
            .get_optional::<PrivateDnsZoneGroup>(&group_id)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn endpoint_and_deployment_actions() {
    let emulator = start(EmulatorConfig::default()).await;
    let client = client(&emulator);
    let ws = workspace();
    let endpoint = |auth| OnlineEndpoint {
        location: Some("westeurope".into()),
        properties: OnlineEndpointProperties {
            auth_mode: Some(auth),
            public_network_access: Some(PublicNetworkAccess::Disabled),
            ..Default::default()
        },
        ..Default::default()
    };
    let token_endpoint = ws.online_endpoint("ep-token").unwrap();
    let created: OnlineEndpoint = put(
        &client,
        &token_endpoint,
        &endpoint(EndpointAuthMode::AmlToken),
    )
    .await;
    assert_eq!(
        created.properties.auth_mode,
        Some(EndpointAuthMode::AmlToken)
    );
    let token = client.endpoint_token(&token_endpoint).await.unwrap();
    assert!(token.access_token.is_some_and(|t| !t.is_empty()));
    // Keys exist only for Key endpoints; the service says so with a terminal 400.
    let err = client.list_keys(&token_endpoint).await.unwrap_err();
    assert_eq!(err.class(), arm::ErrorClass::Terminal);

    let endpoint_id = ws.online_endpoint("ep-keys").unwrap();
    let _: OnlineEndpoint = put(&client, &endpoint_id, &endpoint(EndpointAuthMode::Key)).await;
    let before = client.list_keys(&endpoint_id).await.unwrap();
    let request = RegenerateEndpointKeysRequest {
        key_type: KeyType::Primary,
        key_value: None,
        extra: Default::default(),
    };
    match client
        .begin_post::<_, serde_json::Value>(&endpoint_id, "regenerateKeys", Some(&request))
        .await
        .unwrap()
    {
        Started::Pending(handle) => {
            assert_eq!(
                handle.kind,
                arm::OperationKind::Action("regenerateKeys".into())
            );
            client
                .wait::<serde_json::Value>(&handle, LONG)
                .await
                .unwrap();
        }
        Started::Done(_) => {}
    }
    let after = client.list_keys(&endpoint_id).await.unwrap();
    assert_ne!(after.primary_key, before.primary_key);
    assert_eq!(after.secondary_key, before.secondary_key);

    let deployment_id = endpoint_id.deployment("blue").unwrap();
    let _: OnlineDeployment = put(
        &client,
        &deployment_id,
        &OnlineDeployment {
            location: Some("westeurope".into()),
            sku: Some(Sku {
                name: Some("Default".into()),
                capacity: Some(1),
                ..Default::default()
            }),
            properties: OnlineDeploymentProperties {
                endpoint_compute_type: Some(EndpointComputeType::Managed),
                instance_type: Some("Standard_F2s_v2".into()),
                model: Some(
                    ws.asset_version(arm::AssetKind::Model, "california-housing-prices", "1")
                        .unwrap()
                        .to_string(),
                ),
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .await;
    let logs = client
        .deployment_logs(
            &deployment_id,
            &DeploymentLogsRequest {
                container_type: Some(ContainerType::InferenceServer),
                tail: Some(10),
                extra: Default::default(),
            },
        )
        .await
        .unwrap();
    assert!(logs.content.is_some());
    let skus = client.deployment_skus(&deployment_id).await.unwrap();
    assert!(!skus.is_empty());
    let deployments: Vec<OnlineDeployment> =
        client.list(&endpoint_id, "deployments").await.unwrap();
    assert_eq!(deployments.len(), 1);
}
