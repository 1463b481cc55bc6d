//! What a Workspace's network spec asks for, as ARM ids: the private endpoints (in their subnet's
//! resource group), their DNS zone group, the private DNS zones (created in a resource group or
//! given by id) and the VNet links to create. The controller GETs these ids; the legs compare
//! what it found with this.
//!
//! Invariants: every id is built from validated spec values; two private endpoints never share a
//! name; zones are listed once per private endpoint.

use api::PublicNetworkAccess;
use api::WorkspaceSpec;
use api::workspace::IsolationMode;

use super::ids::{name_of, parent_of, resource_group_of, subscription_of};
use crate::validate::FieldError;

/// The tag that marks Azure resources this controller created, valued `Workspace/<ns>/<name>`.
/// Deletion removes only resources that carry it (nothing pre-existing is ever deleted).
pub const OWNER_TAG: &str = "aml-operator-owner";
/// The group id of an AML workspace's private link resource.
pub const GROUP_ID: &str = "amlworkspace";
/// The name of the DNS zone group the controller attaches to a private endpoint (the portal's).
pub const ZONE_GROUP_NAME: &str = "default";
/// The private DNS zones an AML workspace's private endpoint (`amlworkspace`) needs in one
/// Azure cloud: `[api, notebooks]`. The names differ per cloud (Microsoft Learn, "Azure Private
/// Endpoint private DNS zone values", AI + Machine Learning, for the commercial, Government and
/// China clouds); the controller passes its `--cloud`'s value (see [`WorkspaceZones::for_cloud`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorkspaceZones(pub [&'static str; 2]);

impl WorkspaceZones {
    /// Azure public cloud (`AzureCloud`).
    pub const AZURE_CLOUD: Self = Self([
        "privatelink.api.azureml.ms",
        "privatelink.notebooks.azure.net",
    ]);
    /// Azure Government (`AzureUSGovernment`).
    pub const AZURE_US_GOVERNMENT: Self = Self([
        "privatelink.api.ml.azure.us",
        "privatelink.notebooks.usgovcloudapi.net",
    ]);
    /// Azure operated by 21Vianet (`AzureChinaCloud`).
    pub const AZURE_CHINA_CLOUD: Self = Self([
        "privatelink.api.ml.azure.cn",
        "privatelink.notebooks.chinacloudapi.cn",
    ]);

    /// The zones of a cloud named as `az cloud list` names it (case-insensitive, with the
    /// aliases the controller's `--cloud` accepts); `None` for a name this version does not know.
    pub fn for_cloud(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "azurecloud" | "azurepubliccloud" | "public" => Some(Self::AZURE_CLOUD),
            "azureusgovernment" | "usgovernment" => Some(Self::AZURE_US_GOVERNMENT),
            "azurechinacloud" | "china" => Some(Self::AZURE_CHINA_CLOUD),
            _ => None,
        }
    }

    /// The zone names, api first.
    pub fn names(self) -> [&'static str; 2] {
        self.0
    }
}

impl WorkspaceZones {
    /// The private DNS zones of the associated resources in the same cloud (see
    /// [`AssociatedZones`]); a cloud this version does not know gets the public cloud's.
    pub fn associated(self) -> AssociatedZones {
        if self == Self::AZURE_US_GOVERNMENT {
            AssociatedZones::AZURE_US_GOVERNMENT
        } else if self == Self::AZURE_CHINA_CLOUD {
            AssociatedZones::AZURE_CHINA_CLOUD
        } else {
            AssociatedZones::AZURE_CLOUD
        }
    }
}

/// The private DNS zones of the associated resources' private endpoints in one Azure cloud,
/// per group id: storage `blob` and `file`, key vault `vault`, container registry `registry`
/// (Microsoft Learn, "Azure Private Endpoint private DNS zone values": Storage, Key Vault and
/// Container Registry rows of the commercial, Government and China tables).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AssociatedZones {
    /// `blob`.
    pub blob: &'static str,
    /// `file`.
    pub file: &'static str,
    /// `vault`.
    pub vault: &'static str,
    /// `registry`.
    pub registry: &'static str,
}

impl AssociatedZones {
    /// Azure public cloud.
    pub const AZURE_CLOUD: Self = Self {
        blob: "privatelink.blob.core.windows.net",
        file: "privatelink.file.core.windows.net",
        vault: "privatelink.vaultcore.azure.net",
        registry: "privatelink.azurecr.io",
    };
    /// Azure Government.
    pub const AZURE_US_GOVERNMENT: Self = Self {
        blob: "privatelink.blob.core.usgovcloudapi.net",
        file: "privatelink.file.core.usgovcloudapi.net",
        vault: "privatelink.vaultcore.usgovcloudapi.net",
        registry: "privatelink.azurecr.us",
    };
    /// Azure operated by 21Vianet.
    pub const AZURE_CHINA_CLOUD: Self = Self {
        blob: "privatelink.blob.core.chinacloudapi.cn",
        file: "privatelink.file.core.chinacloudapi.cn",
        vault: "privatelink.vaultcore.azure.cn",
        registry: "privatelink.azurecr.cn",
    };

    /// The zone of a group id (`None` for one the controller does not enforce).
    pub fn for_group(self, group_id: &str) -> Option<&'static str> {
        match group_id {
            "blob" => Some(self.blob),
            "file" => Some(self.file),
            "vault" => Some(self.vault),
            "registry" => Some(self.registry),
            _ => None,
        }
    }
}

impl Default for WorkspaceZones {
    fn default() -> Self {
        Self::AZURE_CLOUD
    }
}

/// The owner tag value of a Workspace object.
pub fn owner_value(namespace: &str, name: &str) -> String {
    crate::lifecycle::owner_value("Workspace", namespace, name)
}

/// The network a Workspace spec asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkTargets {
    /// ARM id of the AML workspace.
    pub workspace_id: String,
    /// The owner tag value put on everything created.
    pub owner: String,
    /// `network.publicNetworkAccess`.
    pub public_network_access: PublicNetworkAccess,
    /// `network.managedNetwork.isolationMode`; `None`: left as it is.
    pub managed_network: Option<IsolationMode>,
    /// The cloud's private DNS zone names for the workspace.
    pub zones: WorkspaceZones,
    /// One per `network.privateEndpoints` entry, in spec order; then, with
    /// `associatedResources.mode: Enforce`, one per associated resource and group id (see
    /// [`super::associated::enforce_targets`]).
    pub endpoints: Vec<EndpointTarget>,
    /// The associated resources whose public access is enforced (`mode: Enforce`): storage,
    /// key vault and registry, as the workspace names them; empty otherwise.
    pub associated: Vec<super::associated::AssociatedTarget>,
    /// `network.associatedResources.imageBuildCompute`: the workspace's `imageBuildCompute` to
    /// set; `None`: left as it is.
    pub image_build_compute: Option<String>,
    /// With `mode: Enforce` and `applicationInsights.privateLinkScopeId`: the Application
    /// Insights component to link to the hub's Azure Monitor Private Link Scope and close (see
    /// [`super::insights`]); `None` otherwise.
    pub insights: Option<super::insights::InsightsTarget>,
}

/// One private endpoint and its DNS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointTarget {
    /// The name from the spec (also the Network resource's name).
    pub name: String,
    /// ARM id of the Network private endpoint (in the subnet's subscription and resource group).
    pub id: String,
    /// The subnet.
    pub subnet_id: String,
    /// The subnet's virtual network (the endpoint is created in its region).
    pub vnet_id: String,
    /// The private link service it connects to: the AML workspace, or an associated resource.
    pub service_id: String,
    /// The group id of its connection (`amlworkspace`, `blob`, `file`, `vault`, `registry`).
    pub group_id: String,
    /// The associated resource kind it serves; `None` for a workspace private endpoint.
    pub associated: Option<super::associated::AssociatedKind>,
    /// Approve a Pending connection.
    pub approve: bool,
    /// ARM id of the DNS zone group; `None` without `privateDnsZones`.
    pub zone_group_id: Option<String>,
    /// The zones of the zone group.
    pub zones: Vec<ZoneTarget>,
}

/// A private DNS zone a private endpoint's records go into.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneTarget {
    /// ARM id of the zone.
    pub id: String,
    /// The zone's name, e.g. `privatelink.api.azureml.ms`.
    pub name: String,
    /// The controller creates the zone when it is missing (`resourceGroup`); an existing zone
    /// given by id (`zoneIds`) must exist.
    pub create: bool,
    /// The VNet the zone must be linked to, and the name of the link the controller creates
    /// when no link to that VNet exists.
    pub link: Option<LinkTarget>,
}

/// A VNet link of a zone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkTarget {
    /// The linked VNet.
    pub vnet_id: String,
    /// ARM id of the link the controller would create.
    pub id: String,
}

impl ZoneTarget {
    /// The name of a zone group config for this zone (dots are not allowed there).
    pub fn config_name(&self) -> String {
        self.name.replace('.', "-")
    }
}

fn bad(field: String, message: impl Into<String>) -> FieldError {
    FieldError {
        field,
        message: message.into(),
    }
}

/// The link name the controller gives a zone's link to `vnet_id`.
pub(super) fn link_name(vnet_id: &str) -> String {
    format!("{}-link", name_of(vnet_id))
}

/// Turns a Workspace spec into the ids to reconcile, with `cloud_zones` the private DNS zone names of
/// the controller's cloud (created for `privateDnsZones.resourceGroup`).
///
/// # Errors
/// A [`FieldError`] naming the field when an id cannot be taken apart or two private endpoints
/// share a name.
pub fn network_targets(
    owner: &str,
    spec: &WorkspaceSpec,
    cloud_zones: WorkspaceZones,
) -> Result<NetworkTargets, FieldError> {
    let mut endpoints: Vec<EndpointTarget> = Vec::new();
    for (i, pe) in spec.network.private_endpoints.iter().enumerate() {
        let field = |f: &str| format!("spec.network.privateEndpoints[{i}].{f}");
        if endpoints
            .iter()
            .any(|e| e.name.eq_ignore_ascii_case(&pe.name))
        {
            return Err(bad(
                field("name"),
                format!("{:?} is declared twice", pe.name),
            ));
        }
        let (Some(sub), Some(rg), Some(vnet_id)) = (
            subscription_of(&pe.subnet_id),
            resource_group_of(&pe.subnet_id),
            parent_of(&pe.subnet_id),
        ) else {
            return Err(bad(
                field("subnetId"),
                "must be /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>",
            ));
        };
        let id = format!(
            "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/privateEndpoints/{}",
            pe.name
        );
        let mut zones = Vec::new();
        let mut zone_group_id = None;
        if let Some(dns) = &pe.private_dns_zones {
            zone_group_id = Some(format!("{id}/privateDnsZoneGroups/{ZONE_GROUP_NAME}"));
            let link_vnet = dns.link_virtual_network_id.as_deref();
            let link = |zone_id: &str| {
                link_vnet.map(|v| LinkTarget {
                    vnet_id: v.to_owned(),
                    id: format!("{zone_id}/virtualNetworkLinks/{}", link_name(v)),
                })
            };
            match (&dns.resource_group, &dns.zone_ids) {
                (Some(zone_rg), None) => {
                    let Some(vnet) = link_vnet else {
                        return Err(bad(
                            field("privateDnsZones.linkVirtualNetworkId"),
                            "is required with resourceGroup",
                        ));
                    };
                    // The zones live with the network they serve: the linked VNet's subscription.
                    let Some(zone_sub) = subscription_of(vnet) else {
                        return Err(bad(
                            field("privateDnsZones.linkVirtualNetworkId"),
                            "must be a virtual network id",
                        ));
                    };
                    for zone in cloud_zones.names() {
                        let zone_id = format!(
                            "/subscriptions/{zone_sub}/resourceGroups/{zone_rg}/providers/Microsoft.Network/privateDnsZones/{zone}"
                        );
                        zones.push(ZoneTarget {
                            link: link(&zone_id),
                            id: zone_id,
                            name: zone.to_owned(),
                            create: true,
                        });
                    }
                }
                (None, Some(ids)) => {
                    for (j, zone_id) in ids.iter().enumerate() {
                        if subscription_of(zone_id).is_none()
                            || resource_group_of(zone_id).is_none()
                        {
                            return Err(bad(
                                field(&format!("privateDnsZones.zoneIds[{j}]")),
                                "must be a private DNS zone id",
                            ));
                        }
                        if zones
                            .iter()
                            .any(|z: &ZoneTarget| z.id.eq_ignore_ascii_case(zone_id))
                        {
                            continue;
                        }
                        zones.push(ZoneTarget {
                            link: link(zone_id),
                            id: zone_id.clone(),
                            name: name_of(zone_id).to_owned(),
                            create: false,
                        });
                    }
                }
                _ => {
                    return Err(bad(
                        field("privateDnsZones"),
                        "must set exactly one of resourceGroup or zoneIds",
                    ));
                }
            }
        }
        endpoints.push(EndpointTarget {
            name: pe.name.clone(),
            id,
            subnet_id: pe.subnet_id.clone(),
            vnet_id,
            service_id: spec.resource_id.clone(),
            group_id: GROUP_ID.to_owned(),
            associated: None,
            approve: pe.approve,
            zone_group_id,
            zones,
        });
    }
    Ok(NetworkTargets {
        workspace_id: spec.resource_id.clone(),
        owner: owner.to_owned(),
        public_network_access: spec.network.public_network_access,
        managed_network: spec
            .network
            .managed_network
            .as_ref()
            .map(|m| m.isolation_mode),
        zones: cloud_zones,
        endpoints,
        associated: Vec::new(),
        image_build_compute: spec
            .network
            .associated_resources
            .as_ref()
            .and_then(|a| a.image_build_compute.as_deref())
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned),
        insights: None,
    })
}
