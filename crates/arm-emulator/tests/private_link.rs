//! Private link: Network private endpoints to the workspace, connection approval, DNS zones,
//! VNet links (InProgress → Completed), zone groups writing A records, and drift.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use arm_emulator::{EmulatorConfig, OperationKind};
use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const API_ZONE: &str = "privatelink.api.azureml.ms";
const NB_ZONE: &str = "privatelink.notebooks.azure.net";

fn pe_body(manual: bool) -> Value {
    let field = if manual {
        "manualPrivateLinkServiceConnections"
    } else {
        "privateLinkServiceConnections"
    };
    json!({
        "location": "westeurope",
        "properties": {
            "subnet": {"id": subnet_id()},
            field: [{"name": "mlw-prod-pe-conn", "properties": {"privateLinkServiceId": ws_id(), "groupIds": ["amlworkspace"], "requestMessage": "please"}}],
        },
    })
}

async fn zone_with_link(h: &Harness, zone: &str) {
    let r = h
        .put(&zone_id(zone), DNS, &json!({"location": "global"}))
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
    for header in ["azure-asyncoperation", "location", "retry-after"] {
        assert!(r.header(header).is_some(), "zone PUT lacks {header}");
    }
    assert_eq!(h.finish(&r).await.body["status"], "Succeeded");
    let link = json!({"location": "global", "properties": {"virtualNetwork": {"id": vnet_id()}, "registrationEnabled": false}});
    let r = h
        .put(
            &format!("{}/virtualNetworkLinks/hub", zone_id(zone)),
            DNS,
            &link,
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
    assert_eq!(h.finish(&r).await.body["status"], "Succeeded");
}

#[tokio::test]
async fn auto_approved_private_endpoint_with_dns() {
    let h = Harness::start().await;
    let r = h.put(&pe_id("mlw-prod-pe"), NETWORK, &pe_body(false)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert!(
        r.header("azure-asyncoperation")
            .unwrap()
            .contains("/providers/Microsoft.Network/locations/westeurope/operations/")
    );
    assert_eq!(r.body["properties"]["provisioningState"], "Updating");
    assert_eq!(h.finish(&r).await.body["status"], "Succeeded");
    let pe = h.get(&pe_id("mlw-prod-pe"), NETWORK).await.body;
    assert_eq!(pe["properties"]["provisioningState"], "Succeeded");
    assert_eq!(
        pe["properties"]["privateLinkServiceConnections"][0]["properties"]["privateLinkServiceConnectionState"]
            ["status"],
        "Approved"
    );
    let configs = pe["properties"]["customDnsConfigs"].as_array().unwrap();
    assert_eq!(configs.len(), 4);
    assert!(
        configs[0]["ipAddresses"][0]
            .as_str()
            .unwrap()
            .starts_with("10.10.1.")
    );
    // the workspace sees an Approved connection
    let ws = h.get(&ws_id(), ML).await.body;
    let conns = ws["properties"]["privateEndpointConnections"]
        .as_array()
        .unwrap();
    assert_eq!(conns.len(), 1);
    assert_eq!(
        conns[0]["properties"]["privateLinkServiceConnectionState"]["status"],
        "Approved"
    );
    assert_eq!(ws["properties"]["privateLinkCount"], 1);
    let list = h
        .get(&format!("{}/privateEndpointConnections", ws_id()), ML)
        .await;
    assert_eq!(list.body["value"].as_array().unwrap().len(), 1);
    let plr = h
        .get(&format!("{}/privateLinkResources", ws_id()), ML)
        .await;
    assert_eq!(
        plr.body["value"][0]["properties"]["groupId"],
        "amlworkspace"
    );

    // zones, links, the zone group → A records
    zone_with_link(&h, API_ZONE).await;
    zone_with_link(&h, NB_ZONE).await;
    let group = json!({"properties": {"privateDnsZoneConfigs": [
        {"name": "api", "properties": {"privateDnsZoneId": zone_id(API_ZONE)}},
        {"name": "notebooks", "properties": {"privateDnsZoneId": zone_id(NB_ZONE)}},
    ]}});
    let r = h
        .put(
            &format!("{}/privateDnsZoneGroups/default", pe_id("mlw-prod-pe")),
            NETWORK,
            &group,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    h.finish(&r).await;
    let g = h
        .get(
            &format!("{}/privateDnsZoneGroups/default", pe_id("mlw-prod-pe")),
            NETWORK,
        )
        .await
        .body;
    assert_eq!(g["properties"]["provisioningState"], "Succeeded");
    assert_eq!(
        g["properties"]["privateDnsZoneConfigs"][0]["properties"]["recordSets"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        g["properties"]["privateDnsZoneConfigs"][1]["properties"]["recordSets"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let records = h.get(&format!("{}/A", zone_id(API_ZONE)), DNS).await.body;
    assert_eq!(records["value"].as_array().unwrap().len(), 3);
    let zone = h.get(&zone_id(API_ZONE), DNS).await.body;
    assert_eq!(zone["properties"]["numberOfRecordSets"], 4);
    assert_eq!(zone["properties"]["numberOfVirtualNetworkLinks"], 1);
    // a second zone group on the same endpoint is refused
    let r = h
        .put(
            &format!("{}/privateDnsZoneGroups/other", pe_id("mlw-prod-pe")),
            NETWORK,
            &group,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    // zone deletion fails while links exist
    let r = h.delete(&zone_id(API_ZONE), DNS).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::CONFLICT, "CannotDeleteResource")
    );

    // drift: someone removes the zone group → records go; deletes the PE → connection goes
    let admin = h.emulator.admin();
    admin.remove_dns_zone_group(&pe_id("mlw-prod-pe")).unwrap();
    assert_eq!(
        h.get(&format!("{}/A", zone_id(API_ZONE)), DNS).await.body["value"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    admin
        .delete_private_endpoint(&pe_id("mlw-prod-pe"))
        .unwrap();
    let ws = h.get(&ws_id(), ML).await.body;
    assert_eq!(
        ws["properties"]["privateEndpointConnections"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        h.get(&pe_id("mlw-prod-pe"), NETWORK).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn manual_connections_wait_for_approval() {
    let h = Harness::start().await;
    let r = h.put(&pe_id("manual-pe"), NETWORK, &pe_body(true)).await;
    h.finish(&r).await;
    let conns = h
        .get(&format!("{}/privateEndpointConnections", ws_id()), ML)
        .await
        .body;
    let conn = &conns["value"][0];
    assert_eq!(
        conn["properties"]["privateLinkServiceConnectionState"]["status"],
        "Pending"
    );
    let name = conn["name"].as_str().unwrap().to_string();
    assert!(name.starts_with("manual-pe."));
    // approve through the ARM API (synchronous 200)
    let body = json!({"properties": {"privateLinkServiceConnectionState": {"status": "approved", "description": "ok"}}});
    let r = h
        .put(
            &format!("{}/privateEndpointConnections/{name}", ws_id()),
            ML,
            &body,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        r.body["properties"]["privateLinkServiceConnectionState"]["status"],
        "Approved"
    );
    let pe = h.get(&pe_id("manual-pe"), NETWORK).await.body;
    assert_eq!(
        pe["properties"]["manualPrivateLinkServiceConnections"][0]["properties"]["privateLinkServiceConnectionState"]
            ["status"],
        "Approved"
    );
    // delete the connection: 200, then 204; the PE's connection turns Disconnected
    let r = h
        .delete(
            &format!("{}/privateEndpointConnections/{name}", ws_id()),
            ML,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = h
        .delete(
            &format!("{}/privateEndpointConnections/{name}", ws_id()),
            ML,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let pe = h.get(&pe_id("manual-pe"), NETWORK).await.body;
    assert_eq!(
        pe["properties"]["manualPrivateLinkServiceConnections"][0]["properties"]["privateLinkServiceConnectionState"]
            ["status"],
        "Disconnected"
    );
}

/// Auto-approval is decided by the caller's permission on the workspace, never by a flag of the
/// workspace: `privateLinkServiceConnections` from a caller without
/// `Microsoft.MachineLearningServices/workspaces/privateEndpointConnectionsApproval/action` are
/// refused with 403 `LinkedAuthorizationFailed` (nothing is created, no Pending connection), as
/// Azure/azure-sdk-for-go issue #14306 shows ARM doing; the same caller's
/// `manualPrivateLinkServiceConnections` arrive Pending and wait for the workspace's owner.
#[tokio::test]
async fn auto_approval_needs_the_approval_permission() {
    let h = Harness::start().await;
    let approve =
        "Microsoft.MachineLearningServices/workspaces/privateEndpointConnectionsApproval/action";
    // A network team: Contributor-like on the subscription but without the approval action,
    // and one that may write only rg-net (no role on the workspace at all).
    let seed: arm_emulator::Seed = serde_yaml_like(&format!(
        r#"{{"principals":[
            {{"tenantId":"{TENANT}","clientId":"0c0c0c0c-0000-4000-8000-00000000000a","scopes":["/subscriptions/{SUB}"],"notActions":["{approve}"]}},
            {{"tenantId":"{TENANT}","clientId":"0c0c0c0c-0000-4000-8000-00000000000b","scopes":["/subscriptions/{SUB}/resourceGroups/rg-net"]}}
        ]}}"#
    ));
    h.emulator.admin().seed(&seed).unwrap();
    let status = |pe: &Value, field: &str| {
        pe["properties"][field][0]["properties"]["privateLinkServiceConnectionState"]["status"]
            .clone()
    };
    for client in [
        "0c0c0c0c-0000-4000-8000-00000000000a",
        "0c0c0c0c-0000-4000-8000-00000000000b",
    ] {
        let token = h.emulator.issue_token(client);
        let path = format!("{}?api-version={NETWORK}", pe_id("auto-pe"));
        let r = h
            .send_as(Some(&token), Method::PUT, &path, Some(&pe_body(false)))
            .await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::FORBIDDEN, "LinkedAuthorizationFailed"),
            "{client}: {:?}",
            r.body
        );
        let message = r.body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("PrivateEndpointConnectionsApproval/action")
                && message.contains(&ws_id())
                && message.contains(client),
            "{message}"
        );
        assert_eq!(
            h.get(&pe_id("auto-pe"), NETWORK).await.status,
            StatusCode::NOT_FOUND,
            "nothing is created"
        );
        let ws = h.get(&ws_id(), ML).await.body;
        let pending_or_not = ws["properties"]["privateEndpointConnections"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["name"].as_str().unwrap().starts_with("auto-pe."))
            .count();
        assert_eq!(pending_or_not, 0, "no connection, not even a Pending one");

        // The same caller may ask for a manual approval.
        let name = format!("manual-{}", &client[client.len() - 1..]);
        let path = format!("{}?api-version={NETWORK}", pe_id(&name));
        let r = h
            .send_as(Some(&token), Method::PUT, &path, Some(&pe_body(true)))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{client}: {:?}", r.body);
        h.finish(&r).await;
        let pe = h.get(&pe_id(&name), NETWORK).await.body;
        assert_eq!(
            status(&pe, "manualPrivateLinkServiceConnections"),
            "Pending"
        );
        assert_eq!(
            pe["properties"]["manualPrivateLinkServiceConnections"][0]["properties"]["privateLinkServiceConnectionState"]
                ["description"],
            "please",
            "the request message reaches the owner"
        );
        h.emulator
            .admin()
            .approve_private_endpoint_connection(&pe_id(&name))
            .unwrap();
        let pe = h.get(&pe_id(&name), NETWORK).await.body;
        assert_eq!(
            status(&pe, "manualPrivateLinkServiceConnections"),
            "Approved"
        );
    }
    // A caller holding the permission (the controller: the whole subscription) is auto-approved.
    let r = h.put(&pe_id("auto-pe"), NETWORK, &pe_body(false)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    h.finish(&r).await;
    let pe = h.get(&pe_id("auto-pe"), NETWORK).await.body;
    assert_eq!(status(&pe, "privateLinkServiceConnections"), "Approved");
}

/// The approval flag the emulator once invented on workspaces is gone: a seed naming it is
/// refused like any unknown field.
#[test]
fn workspaces_have_no_approval_flag() {
    let text = format!(
        r#"{{"subscriptions":[{{"id":"{SUB}","resourceGroups":[{{"name":"rg-strict","location":"westeurope","workspaces":[{{"name":"strict","privateEndpointConnectionsRequireApproval":true}}]}}]}}]}}"#
    );
    assert!(arm_emulator::Seed::from_json(&text).is_err());
}

fn serde_yaml_like(json_text: &str) -> arm_emulator::Seed {
    arm_emulator::Seed::from_json(json_text).unwrap()
}

#[tokio::test]
async fn network_validation() {
    let h = Harness::start().await;
    let mut body = pe_body(false);
    body["properties"]["subnet"]["id"] = json!(format!("{}/subnets/missing", vnet_id()));
    let r = h.put(&pe_id("bad-pe"), NETWORK, &body).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "InvalidResourceReference")
    );
    let mut body = pe_body(false);
    body["properties"]["privateLinkServiceConnections"][0]["properties"]["groupIds"] =
        json!(["blob"]);
    assert_eq!(
        h.put(&pe_id("bad-pe"), NETWORK, &body).await.status,
        StatusCode::BAD_REQUEST
    );
    let missing_vnet = json!({"location": "global", "properties": {"virtualNetwork": {"id": format!("{}x", vnet_id())}, "registrationEnabled": false}});
    let r = h
        .put(&zone_id(API_ZONE), DNS, &json!({"location": "global"}))
        .await;
    h.finish(&r).await;
    let r = h
        .put(
            &format!("{}/virtualNetworkLinks/bad", zone_id(API_ZONE)),
            DNS,
            &missing_vnet,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        h.put(&zone_id("nodots"), DNS, &json!({"location": "global"}))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        h.put(
            &zone_id("a.example"),
            DNS,
            &json!({"location": "westeurope"})
        )
        .await
        .status,
        StatusCode::BAD_REQUEST
    );
    // If-None-Match: * on an existing zone
    let resp = h
        .http
        .put(h.url(&format!("{}?api-version={DNS}", zone_id(API_ZONE))))
        .bearer_auth(&h.token)
        .header("if-none-match", "*")
        .body(json!({"location": "global"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PRECONDITION_FAILED);
}

#[tokio::test]
async fn vnet_link_is_in_progress_until_its_operation_finishes() {
    let config = EmulatorConfig::default()
        .lro_duration(OperationKind::VnetLinkPut, Duration::from_millis(300));
    let h = Harness::with(config).await;
    let r = h
        .put(&zone_id(API_ZONE), DNS, &json!({"location": "global"}))
        .await;
    h.finish(&r).await;
    let link_id = format!("{}/virtualNetworkLinks/hub", zone_id(API_ZONE));
    let link = json!({"location": "global", "properties": {"virtualNetwork": {"id": vnet_id()}, "registrationEnabled": false}});
    let r = h.put(&link_id, DNS, &link).await;
    let during = h.get(&link_id, DNS).await.body;
    assert_eq!(
        during["properties"]["virtualNetworkLinkState"],
        "InProgress"
    );
    assert_eq!(during["properties"]["provisioningState"], "Creating");
    let loc = h
        .send(Method::GET, &r.header("location").unwrap(), None)
        .await;
    assert_eq!(loc.status, StatusCode::ACCEPTED);
    h.finish(&r).await;
    let after = h.get(&link_id, DNS).await.body;
    assert_eq!(after["properties"]["virtualNetworkLinkState"], "Completed");
    assert_eq!(after["properties"]["provisioningState"], "Succeeded");
    // delete the link, then the zone
    let d = h.delete(&link_id, DNS).await;
    assert_eq!(d.status, StatusCode::ACCEPTED);
    h.finish(&d).await;
    let d = h.delete(&zone_id(API_ZONE), DNS).await;
    assert_eq!(d.status, StatusCode::ACCEPTED);
    let done = h.finish(&d).await;
    assert_eq!(done.body["status"], "Succeeded");
    assert_eq!(
        h.get(&zone_id(API_ZONE), DNS).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn subscription_lists_and_zone_patch() {
    let h = Harness::start().await;
    let r = h.put(&pe_id("listed-pe"), NETWORK, &pe_body(false)).await;
    h.finish(&r).await;
    let r = h
        .put(
            &zone_id(API_ZONE),
            DNS,
            &json!({"location": "global", "tags": {"a": "1"}}),
        )
        .await;
    h.finish(&r).await;
    let pes = h
        .get(
            &format!("/subscriptions/{SUB}/providers/Microsoft.Network/privateEndpoints"),
            NETWORK,
        )
        .await;
    // The sandbox seed's hub already holds its Azure Monitor private endpoint (pe-ampls-hub).
    let names: Vec<&str> = pes.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(
        names.iter().filter(|n| **n == "listed-pe").count(),
        1,
        "{names:?}"
    );
    assert!(names.contains(&"pe-ampls-hub"), "{names:?}");
    let zones = h
        .get(
            &format!("/subscriptions/{SUB}/providers/Microsoft.Network/privateDnsZones"),
            DNS,
        )
        .await;
    assert_eq!(zones.body["value"][0]["name"], API_ZONE);
    let workspaces = h.get(&format!("/subscriptions/{SUB}/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces"), ML).await;
    assert_eq!(workspaces.body["value"][0]["name"], "mlw-prod");
    let missing = h
        .get(
            "/subscriptions/nope/providers/Microsoft.Network/privateEndpoints",
            NETWORK,
        )
        .await;
    assert_eq!(
        missing.status,
        StatusCode::FORBIDDEN,
        "outside the principal's scopes"
    );
    let p = h
        .patch(&zone_id(API_ZONE), DNS, &json!({"tags": {"b": "2"}}))
        .await;
    assert_eq!(p.status, StatusCode::ACCEPTED);
    h.finish(&p).await;
    let zone = h.get(&zone_id(API_ZONE), DNS).await.body;
    assert_eq!(zone["tags"], json!({"b": "2"}));
    assert_eq!(zone["properties"]["provisioningState"], "Succeeded");
}

/// Lengths Azure limits: a connection's `requestMessage` to 140 characters (Microsoft.Network
/// privateEndpoint.json: "Restricted to 140 chars."), a tag value to 256 and a tag name to 512
/// (Learn, "Use tags to organize your Azure resources", Limitations). Exactly the limit passes.
#[tokio::test]
async fn request_message_and_tag_lengths() {
    let h = Harness::start().await;
    let with_message = |len: usize| {
        let mut body = pe_body(true);
        body["properties"]["manualPrivateLinkServiceConnections"][0]["properties"]["requestMessage"] =
            json!("é".repeat(len));
        body
    };
    let r = h.put(&pe_id("long-msg"), NETWORK, &with_message(141)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("requestMessage"),
        "{:?}",
        r.body
    );
    assert_eq!(
        h.get(&pe_id("long-msg"), NETWORK).await.status,
        StatusCode::NOT_FOUND
    );
    let r = h.put(&pe_id("long-msg"), NETWORK, &with_message(140)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    h.finish(&r).await;

    let with_tag = |name: String, value: String| {
        let mut body = pe_body(false);
        body["tags"] = json!({ name: value });
        body
    };
    let r = h
        .put(
            &pe_id("tagged"),
            NETWORK,
            &with_tag("owner".into(), "v".repeat(257)),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "InvalidTagValueLength"),
        "{:?}",
        r.body
    );
    let r = h
        .put(
            &pe_id("tagged"),
            NETWORK,
            &with_tag("n".repeat(513), "v".into()),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "InvalidTagName"),
        "{:?}",
        r.body
    );
    // Private DNS zones (and every other resource with tags) keep the same limit.
    let r = h
        .put(
            &zone_id(API_ZONE),
            DNS,
            &json!({"location": "global", "tags": {"owner": "v".repeat(257)}}),
        )
        .await;
    assert_eq!(r.code(), "InvalidTagValueLength", "{:?}", r.body);
    let r = h
        .put(
            &pe_id("tagged"),
            NETWORK,
            &with_tag("n".repeat(512), "v".repeat(256)),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
}

/// A seeded private endpoint (made before the controller, by a platform team) exists as a
/// Network private endpoint whose connection is Approved, and the workspace GET lists that
/// connection Approved (`privateEndpointConnections`, `privateLinkCount`).
#[tokio::test]
async fn a_seeded_private_endpoint_is_approved_and_listed_on_the_workspace() {
    let mut seed = arm_emulator::Seed::sandbox().unwrap();
    let rg = seed.subscriptions[0]
        .resource_groups
        .iter_mut()
        .find(|g| g.name == "rg-net")
        .unwrap();
    rg.private_endpoints
        .push(arm_emulator::PrivateEndpointSeed {
            name: "platform-pe".into(),
            subnet_id: subnet_id(),
            target: ws_id(),
            group_id: None,
        });
    let h = Harness::with(EmulatorConfig::default().seed(seed)).await;
    let pe = h.get(&pe_id("platform-pe"), NETWORK).await;
    assert_eq!(pe.status, StatusCode::OK, "{:?}", pe.body);
    assert_eq!(pe.body["properties"]["provisioningState"], "Succeeded");
    assert_eq!(
        pe.body.pointer("/properties/privateLinkServiceConnections/0/properties/privateLinkServiceConnectionState/status"),
        Some(&json!("Approved"))
    );
    let ws = h.get(&ws_id(), ML).await;
    assert_eq!(ws.body["properties"]["privateLinkCount"], 1);
    assert_eq!(
        ws.body.pointer("/properties/privateEndpointConnections/0/properties/privateLinkServiceConnectionState/status"),
        Some(&json!("Approved"))
    );

    // A seed naming a subnet that does not exist is refused, naming the endpoint.
    let mut bad = arm_emulator::Seed::sandbox().unwrap();
    bad.subscriptions[0].resource_groups[1]
        .private_endpoints
        .push(arm_emulator::PrivateEndpointSeed {
            name: "lost".into(),
            subnet_id: format!("{}/subnets/none", vnet_id()),
            target: ws_id(),
            group_id: None,
        });
    let Err(err) = arm_emulator::Emulator::start(EmulatorConfig::default().seed(bad)).await else {
        panic!("a seed with a missing subnet was accepted");
    };
    assert!(err.to_string().contains("lost"), "{err}");
}
