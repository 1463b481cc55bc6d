//! A workspace's associated resources (storage account, key vault, container registry,
//! Application Insights): seeded public with the sandbox workspace, their network properties
//! read and updated with Microsoft's shapes, private endpoints to them with their group ids,
//! auto-approval by permission, DNS records, the Premium rule for registries, and drift.
#![allow(clippy::unwrap_used)]

mod common;

use arm_emulator::{EmulatorConfig, Seed};
use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const STORAGE: &str = "2025-01-01";
const VAULT: &str = "2024-11-01";
const ACR: &str = "2025-04-01";
const APPI: &str = "2020-02-02";

fn rg_ml(provider_type: &str, name: &str) -> String {
    format!("/subscriptions/{SUB}/resourceGroups/rg-ml/providers/{provider_type}/{name}")
}
fn storage_id() -> String {
    rg_ml("Microsoft.Storage/storageAccounts", "stmlwprod")
}
fn vault_id() -> String {
    rg_ml("Microsoft.KeyVault/vaults", "kv-mlw-prod")
}
fn registry_id() -> String {
    rg_ml("Microsoft.ContainerRegistry/registries", "crmlwprod")
}
fn appi_id() -> String {
    rg_ml("Microsoft.Insights/components", "appi-mlw-prod")
}

fn pe_to(target: &str, group: &str) -> Value {
    json!({
        "location": "westeurope",
        "properties": {
            "subnet": {"id": subnet_id()},
            "privateLinkServiceConnections": [{"name": "c", "properties": {"privateLinkServiceId": target, "groupIds": [group]}}],
        },
    })
}

#[tokio::test]
async fn seeded_public_with_microsofts_shapes() {
    let h = Harness::start().await;
    let ws = h.get(&ws_id(), ML).await.body;
    assert_eq!(ws["properties"]["storageAccount"], storage_id());

    let st = h.get(&storage_id(), STORAGE).await;
    assert_eq!(st.status, StatusCode::OK, "{:?}", st.body);
    assert_eq!(st.body["type"], "Microsoft.Storage/storageAccounts");
    assert_eq!(st.body["properties"]["publicNetworkAccess"], "Enabled");
    assert_eq!(
        st.body["properties"]["networkAcls"]["defaultAction"],
        "Allow"
    );
    assert_eq!(
        st.body["properties"]["privateEndpointConnections"],
        json!([])
    );

    let kv = h.get(&vault_id(), VAULT).await.body;
    assert_eq!(kv["properties"]["publicNetworkAccess"], "Enabled");
    assert_eq!(kv["properties"]["networkAcls"]["defaultAction"], "Allow");

    let cr = h.get(&registry_id(), ACR).await.body;
    assert_eq!(cr["sku"]["name"], "Premium");
    assert_eq!(cr["properties"]["publicNetworkAccess"], "Enabled");
    assert_eq!(cr["properties"]["networkRuleSet"]["defaultAction"], "Allow");

    let ai = h.get(&appi_id(), APPI).await.body;
    assert_eq!(
        ai["properties"]["publicNetworkAccessForIngestion"],
        "Enabled"
    );
    assert_eq!(ai["properties"]["publicNetworkAccessForQuery"], "Enabled");

    // Each provider publishes its own api-versions.
    let r = h.get(&storage_id(), ML).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "NoRegisteredProviderFound")
    );
    // A type mismatch is a 404, not another type's resource.
    let wrong = rg_ml("Microsoft.KeyVault/vaults", "stmlwprod");
    assert_eq!(h.get(&wrong, VAULT).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn patch_sets_network_properties_and_refuses_bad_values() {
    let h = Harness::start().await;
    let body = json!({"properties": {"publicNetworkAccess": "Disabled", "networkAcls": {"defaultAction": "Deny", "bypass": "AzureServices"}}});
    for (id, api) in [(storage_id(), STORAGE), (vault_id(), VAULT)] {
        let r = h.patch(&id, api, &body).await;
        assert_eq!(r.status, StatusCode::OK, "{id}: {:?}", r.body);
        assert_eq!(r.body["properties"]["publicNetworkAccess"], "Disabled");
        assert_eq!(r.body["properties"]["networkAcls"]["defaultAction"], "Deny");
        let again = h.get(&id, api).await.body;
        assert_eq!(again["properties"]["publicNetworkAccess"], "Disabled");
    }
    let r = h
        .patch(&registry_id(), ACR, &json!({"properties": {"publicNetworkAccess": "Disabled", "networkRuleSet": {"defaultAction": "Deny"}}}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        r.body["properties"]["networkRuleSet"]["defaultAction"],
        "Deny"
    );

    let r = h
        .patch(
            &storage_id(),
            STORAGE,
            &json!({"properties": {"networkAcls": {"defaultAction": "Block"}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
    // A component's PATCH takes tags only; its PUT sets the two flags.
    let r = h
        .patch(
            &appi_id(),
            APPI,
            &json!({"properties": {"publicNetworkAccessForQuery": "Disabled"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
    let r = h
        .put(&appi_id(), APPI, &json!({"location": "westeurope", "kind": "web", "properties": {"Application_Type": "web", "publicNetworkAccessForIngestion": "Disabled", "publicNetworkAccessForQuery": "Enabled"}}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        r.body["properties"]["publicNetworkAccessForIngestion"],
        "Disabled"
    );
    // The journal records each change with the new value.
    let changes = h.emulator.admin().state_changes(&storage_id());
    let last = changes.last().unwrap();
    assert_eq!(last.public_network_access.as_deref(), Some("Disabled"));
    assert_eq!(last.isolation["networkAclsDefaultAction"], "Deny");
}

#[tokio::test]
async fn private_endpoints_to_storage_vault_and_registry() {
    let h = Harness::start().await;
    for (name, target, group, zone, fqdn) in [
        (
            "st-blob",
            storage_id(),
            "blob",
            "privatelink.blob.core.windows.net",
            "stmlwprod.blob.core.windows.net",
        ),
        (
            "st-file",
            storage_id(),
            "file",
            "privatelink.file.core.windows.net",
            "stmlwprod.file.core.windows.net",
        ),
        (
            "kv",
            vault_id(),
            "vault",
            "privatelink.vaultcore.azure.net",
            "kv-mlw-prod.vault.azure.net",
        ),
        (
            "cr",
            registry_id(),
            "registry",
            "privatelink.azurecr.io",
            "crmlwprod.azurecr.io",
        ),
    ] {
        let r = h.put(&pe_id(name), NETWORK, &pe_to(&target, group)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{name}: {:?}", r.body);
        assert_eq!(h.finish(&r).await.body["status"], "Succeeded");
        let pe = h.get(&pe_id(name), NETWORK).await.body;
        let fqdns: Vec<&str> = pe["properties"]["customDnsConfigs"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["fqdn"].as_str())
            .collect();
        assert!(fqdns.contains(&fqdn), "{name}: {fqdns:?}");
        // A zone group in the service's zone writes the record.
        let r = h
            .put(&zone_id(zone), DNS, &json!({"location": "global"}))
            .await;
        if r.status == StatusCode::ACCEPTED {
            h.finish(&r).await;
        }
        let group_body = json!({"properties": {"privateDnsZoneConfigs": [{"name": "z", "properties": {"privateDnsZoneId": zone_id(zone)}}]}});
        let r = h
            .put(
                &format!("{}/privateDnsZoneGroups/default", pe_id(name)),
                NETWORK,
                &group_body,
            )
            .await;
        assert!(r.status.is_success(), "{name}: {:?}", r.body);
        h.finish(&r).await;
        let record = fqdn.split('.').next().unwrap();
        let a = h.get(&format!("{}/A/{record}", zone_id(zone)), DNS).await;
        assert_eq!(
            a.status,
            StatusCode::OK,
            "{name}: record {record} in {zone}"
        );
    }
    // The targets list their connections, Approved, naming the private endpoint.
    let st = h.get(&storage_id(), STORAGE).await.body;
    let conns = st["properties"]["privateEndpointConnections"]
        .as_array()
        .unwrap();
    assert_eq!(conns.len(), 2);
    for c in conns {
        assert_eq!(
            c["type"],
            "Microsoft.Storage/storageAccounts/privateEndpointConnections"
        );
        assert_eq!(
            c["properties"]["privateLinkServiceConnectionState"]["status"],
            "Approved"
        );
    }
    let kv = h.get(&vault_id(), VAULT).await.body;
    assert_eq!(
        kv["properties"]["privateEndpointConnections"][0]["properties"]["privateEndpoint"]["id"],
        pe_id("kv")
    );
    let list = h
        .get(
            &format!("{}/privateEndpointConnections", registry_id()),
            ACR,
        )
        .await
        .body;
    assert_eq!(list["value"].as_array().unwrap().len(), 1);
    let plr = h
        .get(&format!("{}/privateLinkResources", registry_id()), ACR)
        .await
        .body;
    assert_eq!(plr["value"][0]["properties"]["groupId"], "registry");
    assert_eq!(
        plr["value"][0]["properties"]["requiredZoneNames"][0],
        "privatelink.azurecr.io"
    );

    // Deleting the private endpoint removes its connection.
    let r = h.delete(&pe_id("kv"), NETWORK).await;
    h.finish(&r).await;
    let kv = h.get(&vault_id(), VAULT).await.body;
    assert_eq!(kv["properties"]["privateEndpointConnections"], json!([]));

    // A group id the resource does not offer is refused; so is a private link to a component.
    let r = h
        .put(&pe_id("bad"), NETWORK, &pe_to(&vault_id(), "blob"))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "InvalidGroupIds")
    );
    let r = h
        .put(&pe_id("bad"), NETWORK, &pe_to(&appi_id(), "azuremonitor"))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "InvalidGroupIds")
    );
}

#[tokio::test]
async fn auto_approval_on_a_vault_needs_its_approval_permission() {
    let h = Harness::start().await;
    let approve = "Microsoft.KeyVault/vaults/privateEndpointConnectionsApproval/action";
    let seed = Seed::from_json(&format!(
        r#"{{"principals":[{{"tenantId":"{TENANT}","clientId":"0c0c0c0c-0000-4000-8000-00000000000c","scopes":["/subscriptions/{SUB}"],"notActions":["{approve}"]}}]}}"#
    ))
    .unwrap();
    h.emulator.admin().seed(&seed).unwrap();
    let token = h
        .emulator
        .issue_token("0c0c0c0c-0000-4000-8000-00000000000c");
    let path = format!("{}?api-version={NETWORK}", pe_id("kv"));
    let r = h
        .send_as(
            Some(&token),
            Method::PUT,
            &path,
            Some(&pe_to(&vault_id(), "vault")),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "LinkedAuthorizationFailed")
    );
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&vault_id())
    );
    // The same principal may still auto-approve on storage (the action is per resource type).
    let path = format!("{}?api-version={NETWORK}", pe_id("st"));
    let r = h
        .send_as(
            Some(&token),
            Method::PUT,
            &path,
            Some(&pe_to(&storage_id(), "blob")),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
}

#[tokio::test]
async fn a_basic_registry_has_no_private_link_and_stays_public() {
    let seed = Seed::from_yaml(&include_str!("../seeds/sandbox.yaml").replace(
        "containerRegistrySku: Premium",
        "containerRegistrySku: Basic",
    ))
    .unwrap();
    let h = Harness::with(EmulatorConfig::default().seed(seed)).await;
    assert_eq!(
        h.get(&registry_id(), ACR).await.body["sku"]["name"],
        "Basic"
    );
    let r = h
        .put(&pe_id("cr"), NETWORK, &pe_to(&registry_id(), "registry"))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "PrivateEndpointNotSupported"),
        "{:?}",
        r.body
    );
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Premium")
    );
    assert_eq!(
        h.get(&pe_id("cr"), NETWORK).await.status,
        StatusCode::NOT_FOUND
    );
    let r = h
        .patch(
            &registry_id(),
            ACR,
            &json!({"properties": {"publicNetworkAccess": "Disabled"}}),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (
            StatusCode::BAD_REQUEST,
            "DisablingPublicNetworkAccessNotSupported"
        )
    );
    assert_eq!(
        h.get(&registry_id(), ACR).await.body["properties"]["publicNetworkAccess"],
        "Enabled"
    );
}

#[tokio::test]
async fn portal_drift_flips_public_access_of_associated_resources() {
    let h = Harness::start().await;
    h.patch(
        &storage_id(),
        STORAGE,
        &json!({"properties": {"publicNetworkAccess": "Disabled"}}),
    )
    .await;
    h.emulator
        .admin()
        .set_public_network_access(&storage_id(), true)
        .unwrap();
    assert_eq!(
        h.get(&storage_id(), STORAGE).await.body["properties"]["publicNetworkAccess"],
        "Enabled"
    );
    let last = h
        .emulator
        .admin()
        .state_changes(&storage_id())
        .pop()
        .unwrap();
    assert_eq!(
        (last.change.as_str(), last.actor.as_str()),
        ("drift", "portal")
    );
}

// ---- Azure Monitor Private Link Scopes (privateLinkScopes_API.json 2021-07-01-preview) ----

const AMPLS_API: &str = "2021-07-01-preview";

fn ampls_id() -> String {
    format!(
        "/subscriptions/{SUB}/resourceGroups/rg-net/providers/Microsoft.Insights/privateLinkScopes/ampls-hub"
    )
}

/// The sandbox seeds the hub's scope (access modes Open/Open) with an Approved private
/// endpoint connection from vnet-hub (group id azuremonitor), as the hub team set it up.
#[tokio::test]
async fn the_hubs_scope_is_seeded_with_an_approved_connection() {
    let h = Harness::start().await;
    let r = h.get(&ampls_id(), AMPLS_API).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["type"], "Microsoft.Insights/privateLinkScopes");
    assert_eq!(
        r.body["properties"]["accessModeSettings"],
        json!({"ingestionAccessMode": "Open", "queryAccessMode": "Open", "exclusions": []})
    );
    let conns = r.body["properties"]["privateEndpointConnections"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(conns.len(), 1, "{conns:?}");
    assert_eq!(
        conns[0]["properties"]["privateLinkServiceConnectionState"]["status"],
        "Approved"
    );
    let pe = conns[0]["properties"]["privateEndpoint"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let pe_body = h.get(&pe, NETWORK).await.body;
    assert_eq!(pe_body["properties"]["subnet"]["id"], subnet_id());
    assert_eq!(
        pe_body["properties"]["privateLinkServiceConnections"][0]["properties"]["groupIds"],
        json!(["azuremonitor"])
    );
    // Its own api-versions: the components' version is refused for a scope.
    let r = h.get(&ampls_id(), APPI).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
    // A private endpoint to a scope needs group id azuremonitor.
    let r = h
        .put(
            &format!("/subscriptions/{SUB}/resourceGroups/rg-net/providers/Microsoft.Network/privateEndpoints/pe-bad"),
            NETWORK,
            &pe_to(&ampls_id(), "blob"),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
    assert_eq!(r.body["error"]["code"], "InvalidGroupIds");
}

/// Scoped resources: PUT (201, then 200) links an existing component, which then lists the
/// link; GET and the list show it; a missing linked resource, an unsupported type or no
/// linkedResourceId are refused with 400; DELETE answers 200 then 204, and the component no
/// longer lists it.
#[tokio::test]
async fn scoped_resources_link_existing_components() {
    let h = Harness::start().await;
    let scoped = format!("{}/scopedResources/aml-appi", ampls_id());
    let body = json!({"properties": {"linkedResourceId": appi_id()}});
    let r = h.put(&scoped, AMPLS_API, &body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["properties"]["provisioningState"], "Succeeded");
    assert_eq!(r.body["properties"]["linkedResourceId"], appi_id());
    assert_eq!(
        r.body["type"],
        "Microsoft.Insights/privateLinkScopes/scopedResources"
    );
    assert_eq!(
        h.put(&scoped, AMPLS_API, &body).await.status,
        StatusCode::OK
    );
    let got = h.get(&scoped, AMPLS_API).await;
    assert_eq!(got.status, StatusCode::OK);
    let list = h
        .get(&format!("{}/scopedResources", ampls_id()), AMPLS_API)
        .await
        .body;
    assert_eq!(list["value"].as_array().unwrap().len(), 1, "{list}");
    let ai = h.get(&appi_id(), APPI).await.body;
    assert_eq!(
        ai["properties"]["PrivateLinkScopedResources"][0]["ResourceId"],
        scoped
    );
    assert_eq!(
        ai["properties"]["PrivateLinkScopedResources"][0]["ScopeId"],
        ampls_id()
    );

    for (bad, code) in [
        (
            json!({"properties": {"linkedResourceId": rg_ml("Microsoft.Insights/components", "nope")}}),
            "LinkedResourceNotFound",
        ),
        (
            json!({"properties": {"linkedResourceId": storage_id()}}),
            "LinkedResourceNotSupported",
        ),
    ] {
        let r = h
            .put(
                &format!("{}/scopedResources/bad", ampls_id()),
                AMPLS_API,
                &bad,
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
        assert_eq!(r.body["error"]["code"], code, "{:?}", r.body);
    }
    let r = h
        .put(
            &format!("{}/scopedResources/bad", ampls_id()),
            AMPLS_API,
            &json!({"properties": {}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
    // A scope that does not exist: 404, nothing created.
    let r = h
        .put(
            &format!(
                "/subscriptions/{SUB}/resourceGroups/rg-net/providers/Microsoft.Insights/privateLinkScopes/nope/scopedResources/x"
            ),
            AMPLS_API,
            &body,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);

    assert_eq!(h.delete(&scoped, AMPLS_API).await.status, StatusCode::OK);
    assert_eq!(
        h.delete(&scoped, AMPLS_API).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        h.get(&scoped, AMPLS_API).await.status,
        StatusCode::NOT_FOUND
    );
    let ai = h.get(&appi_id(), APPI).await.body;
    assert_eq!(ai["properties"]["PrivateLinkScopedResources"], json!([]));
}
