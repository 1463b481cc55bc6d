//! Private DNS: a VNet cannot be linked to two zones with the same name ("A virtual network
//! cannot be linked to multiple zones with overlapping namespaces", BadRequest) — the usual
//! hub-and-spoke setup with central DNS in another resource group meets it.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_vnet_links_to_one_zone_of_a_name() {
    let h = Harness::start().await;
    let name = "privatelink.api.azureml.ms";
    let central = zone_id(name);
    let spoke = central.replace("/resourceGroups/rg-dns/", "/resourceGroups/rg-ml/");
    for zone in [&central, &spoke] {
        let r = h.put(zone, DNS, &json!({"location": "global"})).await;
        assert!(r.status.is_success(), "{:?}", r.body);
        h.finish(&r).await;
    }
    let link = |zone: &str| format!("{zone}/virtualNetworkLinks/hub");
    let body = json!({"location": "global", "properties": {"virtualNetwork": {"id": vnet_id()}, "registrationEnabled": false}});
    let r = h.put(&link(&central), DNS, &body).await;
    assert!(r.status.is_success(), "{:?}", r.body);
    h.finish(&r).await;

    let refused = h.put(&link(&spoke), DNS, &body).await;
    assert_eq!(
        refused.status,
        StatusCode::BAD_REQUEST,
        "{:?}",
        refused.body
    );
    let message = refused
        .body
        .pointer("/error/message")
        .and_then(|m| m.as_str())
        .unwrap_or_default();
    assert!(message.contains("overlapping namespaces"), "{message}");
    assert!(
        message.to_ascii_lowercase().contains("rg-dns"),
        "names the zone already linked: {message}"
    );

    // Another name is fine.
    let other = zone_id("privatelink.notebooks.azure.net")
        .replace("/resourceGroups/rg-dns/", "/resourceGroups/rg-ml/");
    let r = h.put(&other, DNS, &json!({"location": "global"})).await;
    h.finish(&r).await;
    let r = h.put(&link(&other), DNS, &body).await;
    assert!(r.status.is_success(), "{:?}", r.body);
}
