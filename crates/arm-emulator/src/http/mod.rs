//! The HTTP surface: one axum router for ARM routes, the Entra-ID-like token endpoint and the
//! `/_emulator` admin API, wrapped by the ARM pipeline (request ids, faults, authentication,
//! throttling, api-version, authorization, journal).

mod admin;
mod assets;
mod associated;
mod autoscale;
mod entra;
mod ml;
mod network;
mod operations;
mod pipeline;
mod private_dns;
mod private_link_scope;
mod resources;
mod respond;

use axum::Router;
use axum::middleware;
use axum::routing::{get, post};

pub(crate) use pipeline::ResetConnection;

use crate::state::SharedState;

const WS: &str = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{ws}";
const RG: &str = "/subscriptions/{sub}/resourceGroups/{rg}/providers";
const REG: &str = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/registries";
const NET: &str = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network";

/// The whole router.
pub(crate) fn router(state: SharedState) -> Router {
    let ep = format!("{WS}/onlineEndpoints/{{ep}}");
    let dep = format!("{ep}/deployments/{{dep}}");
    let pe = format!("{NET}/privateEndpoints/{{pe}}");
    let zone = format!("{NET}/privateDnsZones/{{zone}}");
    let arm = Router::new()
        .route("/subscriptions/{sub}", get(resources::get_subscription))
        .route(
            "/subscriptions/{sub}/resourceGroups/{rg}",
            get(resources::get_resource_group),
        )
        .route(
            WS,
            get(ml::get_workspace)
                .patch(ml::patch_workspace)
                .put(ml::put_workspace),
        )
        .route(
            &format!("{WS}/privateEndpointConnections"),
            get(ml::list_connections),
        )
        .route(
            &format!("{WS}/privateEndpointConnections/{{pec}}"),
            get(ml::get_connection)
                .put(ml::put_connection)
                .delete(ml::delete_connection),
        )
        .route(
            &format!("{WS}/privateLinkResources"),
            get(ml::list_private_link_resources),
        )
        .route(
            &format!("{WS}/provisionManagedNetwork"),
            post(ml::provision_managed_network),
        )
        .route(&format!("{WS}/onlineEndpoints"), get(ml::list_endpoints))
        .route(
            &ep,
            get(ml::get_endpoint)
                .put(ml::put_endpoint)
                .patch(ml::patch_endpoint)
                .delete(ml::delete_endpoint),
        )
        .route(&format!("{ep}/listKeys"), post(ml::list_keys))
        .route(&format!("{ep}/regenerateKeys"), post(ml::regenerate_keys))
        .route(&format!("{ep}/token"), post(ml::get_token))
        .route(&format!("{ep}/deployments"), get(ml::list_deployments))
        .route(
            &dep,
            get(ml::get_deployment)
                .put(ml::put_deployment)
                .patch(ml::patch_deployment)
                .delete(ml::delete_deployment),
        )
        .route(&format!("{dep}/getLogs"), post(ml::get_logs))
        .route(&format!("{REG}/{{reg}}/models/{{name}}/versions"), get(assets::list_reg_models))
        .route(&format!("{REG}/{{reg}}/models/{{name}}/versions/{{v}}"), get(assets::get_reg_model))
        .route(&format!("{REG}/{{reg}}/environments/{{name}}/versions"), get(assets::list_reg_environments))
        .route(&format!("{REG}/{{reg}}/environments/{{name}}/versions/{{v}}"), get(assets::get_reg_environment))
        .route(&format!("{REG}/{{reg}}/codes/{{name}}/versions"), get(assets::list_reg_codes))
        .route(&format!("{REG}/{{reg}}/codes/{{name}}/versions/{{v}}"), get(assets::get_reg_code))
        .route(&format!("{WS}/models/{{name}}/versions"), get(assets::list_ws_models))
        .route(&format!("{WS}/models/{{name}}/versions/{{v}}"), get(assets::get_ws_model))
        .route(&format!("{WS}/environments/{{name}}/versions"), get(assets::list_ws_environments))
        .route(&format!("{WS}/environments/{{name}}/versions/{{v}}"), get(assets::get_ws_environment))
        .route(&format!("{WS}/codes/{{name}}/versions"), get(assets::list_ws_codes))
        .route(&format!("{WS}/codes/{{name}}/versions/{{v}}"), get(assets::get_ws_code))
        .route(&format!("{dep}/skus"), get(ml::list_skus))
        .route(
            "/subscriptions/{sub}/providers/Microsoft.MachineLearningServices/locations/{loc}/{kind}/{op}",
            get(operations::poll_subscription_scoped),
        )
        .route(
            "/subscriptions/{sub}/providers/Microsoft.Network/locations/{loc}/{kind}/{op}",
            get(operations::poll_subscription_scoped),
        )
        .route("/subscriptions/{sub}/providers/Microsoft.Network/privateEndpoints", get(network::list_private_endpoints_in_subscription))
        .route("/subscriptions/{sub}/providers/Microsoft.Network/privateDnsZones", get(private_dns::list_zones_in_subscription))
        .route(
            "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces",
            get(ml::list_workspaces),
        )
        .route(
            &format!("{NET}/privateDnsOperationStatuses/{{op}}"),
            get(operations::poll_dns_status),
        )
        .route(
            &format!("{NET}/privateDnsOperationResults/{{op}}"),
            get(operations::poll_dns_result),
        )
        .route(
            &format!("{NET}/privateEndpoints"),
            get(network::list_private_endpoints),
        )
        .route(
            &pe,
            get(network::get_private_endpoint)
                .put(network::put_private_endpoint)
                .delete(network::delete_private_endpoint),
        )
        .route(
            &format!("{pe}/privateDnsZoneGroups"),
            get(network::list_zone_groups),
        )
        .route(
            &format!("{pe}/privateDnsZoneGroups/{{group}}"),
            get(network::get_zone_group)
                .put(network::put_zone_group)
                .delete(network::delete_zone_group),
        )
        .route(
            &format!("{NET}/virtualNetworks/{{vnet}}"),
            get(network::get_vnet),
        )
        .route(
            &format!("{NET}/virtualNetworks/{{vnet}}/subnets/{{subnet}}"),
            get(network::get_subnet),
        )
        .route(
            &format!("{NET}/privateDnsZones"),
            get(private_dns::list_zones),
        )
        .route(
            &zone,
            get(private_dns::get_zone)
                .put(private_dns::put_zone)
                .patch(private_dns::patch_zone)
                .delete(private_dns::delete_zone),
        )
        .route(
            &format!("{zone}/virtualNetworkLinks"),
            get(private_dns::list_links),
        )
        .route(
            &format!("{zone}/virtualNetworkLinks/{{link}}"),
            get(private_dns::get_link)
                .put(private_dns::put_link)
                .delete(private_dns::delete_link),
        )
        .route(&format!("{zone}/A"), get(private_dns::list_a_records))
        .route(&format!("{zone}/ALL"), get(private_dns::list_all_records))
        .route(
            &format!("{zone}/A/{{record}}"),
            get(private_dns::get_a_record)
                .put(private_dns::put_a_record)
                .delete(private_dns::delete_a_record),
        )
        .route(
            &format!("{RG}/Microsoft.Storage/storageAccounts/{{name}}"),
            get(associated::get_storage).patch(associated::patch_storage),
        )
        .route(
            &format!("{RG}/Microsoft.Storage/storageAccounts/{{name}}/privateLinkResources"),
            get(associated::storage_link_resources),
        )
        .route(
            &format!("{RG}/Microsoft.Storage/storageAccounts/{{name}}/privateEndpointConnections"),
            get(associated::storage_connections),
        )
        .route(
            &format!("{RG}/Microsoft.Storage/storageAccounts/{{name}}/privateEndpointConnections/{{pec}}"),
            get(associated::storage_connection),
        )
        .route(
            &format!("{RG}/Microsoft.KeyVault/vaults/{{name}}"),
            get(associated::get_vault).patch(associated::patch_vault),
        )
        .route(
            &format!("{RG}/Microsoft.KeyVault/vaults/{{name}}/privateLinkResources"),
            get(associated::vault_link_resources),
        )
        .route(
            &format!("{RG}/Microsoft.KeyVault/vaults/{{name}}/privateEndpointConnections"),
            get(associated::vault_connections),
        )
        .route(
            &format!("{RG}/Microsoft.KeyVault/vaults/{{name}}/privateEndpointConnections/{{pec}}"),
            get(associated::vault_connection),
        )
        .route(
            &format!("{RG}/Microsoft.ContainerRegistry/registries/{{name}}"),
            get(associated::get_registry).patch(associated::patch_registry),
        )
        .route(
            &format!("{RG}/Microsoft.ContainerRegistry/registries/{{name}}/privateLinkResources"),
            get(associated::registry_link_resources),
        )
        .route(
            &format!("{RG}/Microsoft.ContainerRegistry/registries/{{name}}/privateEndpointConnections"),
            get(associated::registry_connections),
        )
        .route(
            &format!("{RG}/Microsoft.ContainerRegistry/registries/{{name}}/privateEndpointConnections/{{pec}}"),
            get(associated::registry_connection),
        )
        .route(
            &format!("{RG}/Microsoft.Insights/components/{{name}}"),
            get(associated::get_component)
                .put(associated::put_component)
                .patch(associated::patch_component),
        )
        .route(
            &format!("{RG}/Microsoft.Insights/privateLinkScopes/{{scope}}"),
            get(private_link_scope::get_scope),
        )
        .route(
            &format!("{RG}/Microsoft.Insights/privateLinkScopes/{{scope}}/scopedResources"),
            get(private_link_scope::list_scoped),
        )
        .route(
            &format!("{RG}/Microsoft.Insights/privateLinkScopes/{{scope}}/scopedResources/{{name}}"),
            get(private_link_scope::get_scoped)
                .put(private_link_scope::put_scoped)
                .delete(private_link_scope::delete_scoped),
        )
        .route(
            &format!("{RG}/Microsoft.Insights/autoscalesettings"),
            get(autoscale::list_in_group),
        )
        .route(
            &format!("{RG}/Microsoft.Insights/autoscalesettings/{{name}}"),
            get(autoscale::get_setting)
                .put(autoscale::put_setting)
                .patch(autoscale::patch_setting)
                .delete(autoscale::delete_setting),
        )
        .route(
            "/subscriptions/{sub}/providers/Microsoft.Insights/autoscalesettings",
            get(autoscale::list_in_subscription),
        )
        .route("/{tenant}/oauth2/v2.0/token", post(entra::token_v2))
        .route("/{tenant}/oauth2/token", post(entra::token_v1))
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(entra::openid_configuration),
        )
        .route(
            "/{tenant}/.well-known/openid-configuration",
            get(entra::openid_configuration),
        )
        .route("/common/discovery/instance", get(entra::instance_discovery))
        .fallback(respond::not_found)
        .method_not_allowed_fallback(respond::method_not_allowed);
    arm.layer(middleware::from_fn_with_state(
        state.clone(),
        pipeline::arm_pipeline,
    ))
    .merge(admin::router())
    .with_state(state)
}
