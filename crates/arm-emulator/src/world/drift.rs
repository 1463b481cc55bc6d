//! "Portal drift": changes a person makes outside the controller — public access switched on,
//! a private endpoint or DNS zone group deleted, a VNet link removed, traffic or capacity set
//! by hand, a pending connection approved. Each applies immediately (no operation), bypasses the
//! service's validation, and is journalled with actor `portal`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Ctx, Kind, World};
use crate::error::Error;
use crate::wire::path;

/// One drift action (also the JSON body of `POST /_emulator/drift`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "camelCase")]
pub enum Drift {
    /// Set `publicNetworkAccess` of an online endpoint, a workspace, a storage account, key
    /// vault or registry (both `publicNetworkAccessFor*` of an Application Insights component).
    #[serde(rename_all = "camelCase")]
    SetPublicNetworkAccess {
        /// Endpoint or workspace id.
        resource_id: String,
        /// `Enabled` or `Disabled`.
        value: String,
    },
    /// Delete a Network private endpoint (its workspace connection and A records go too).
    #[serde(rename_all = "camelCase")]
    DeletePrivateEndpoint {
        /// Private endpoint id.
        resource_id: String,
    },
    /// Remove a private DNS zone group (by its id, or every group of a private endpoint id).
    #[serde(rename_all = "camelCase")]
    RemoveDnsZoneGroup {
        /// Zone group id or private endpoint id.
        resource_id: String,
    },
    /// Remove a private DNS zone's virtual network link.
    #[serde(rename_all = "camelCase")]
    RemoveVirtualNetworkLink {
        /// Link id.
        resource_id: String,
    },
    /// Set an endpoint's traffic (and optionally mirror traffic) as-is.
    #[serde(rename_all = "camelCase")]
    SetTraffic {
        /// Endpoint id.
        resource_id: String,
        /// Deployment name → percent.
        traffic: Map<String, Value>,
        /// Deployment name → percent; `None` leaves it unchanged.
        #[serde(default)]
        mirror_traffic: Option<Map<String, Value>>,
    },
    /// Set (or with `value: null`, delete) one tag of a resource, as a person does in the portal.
    #[serde(rename_all = "camelCase")]
    SetTag {
        /// Resource id.
        resource_id: String,
        /// Tag name.
        key: String,
        /// Tag value; `None` deletes the tag (any case of its name).
        #[serde(default)]
        value: Option<String>,
    },
    /// Set a deployment's instance count (`sku.capacity`).
    #[serde(rename_all = "camelCase")]
    SetDeploymentCapacity {
        /// Deployment id.
        resource_id: String,
        /// Instance count.
        capacity: u32,
    },
    /// Approve/reject/disconnect a workspace's private endpoint connection, named by the
    /// connection's id or by the Network private endpoint's id.
    #[serde(rename_all = "camelCase")]
    SetConnectionStatus {
        /// Connection id or private endpoint id.
        resource_id: String,
        /// `Approved`, `Rejected`, `Pending` or `Disconnected`.
        status: String,
        /// Optional description.
        #[serde(default)]
        description: Option<String>,
    },
    /// Set a workspace's managed network isolation mode.
    #[serde(rename_all = "camelCase")]
    SetManagedNetworkIsolation {
        /// Workspace id.
        resource_id: String,
        /// `Disabled`, `AllowInternetOutbound` or `AllowOnlyApprovedOutbound`.
        isolation_mode: String,
    },
    /// A person provisions a workspace's managed network (`az ml workspace provision-network`,
    /// or a first compute): the network and its outbound rules become `Active` at once.
    #[serde(rename_all = "camelCase")]
    ProvisionManagedNetwork {
        /// Workspace id.
        resource_id: String,
        /// `--include-spark`.
        #[serde(default)]
        include_spark: bool,
    },
}

fn missing(id: &str) -> Error {
    Error::Admin(format!("resource {id} does not exist"))
}

fn canonical(value: &str, allowed: &[&'static str]) -> Result<&'static str, Error> {
    allowed
        .iter()
        .copied()
        .find(|a| a.eq_ignore_ascii_case(value))
        .ok_or_else(|| Error::Admin(format!("'{value}' is not one of {allowed:?}")))
}

impl World {
    /// Apply a drift action now.
    ///
    /// # Errors
    /// [`Error::Admin`] when the resource does not exist or the value is not valid.
    pub fn apply_drift(&mut self, drift: &Drift) -> Result<(), Error> {
        let ctx = Ctx::admin("portal");
        match drift {
            Drift::SetPublicNetworkAccess { resource_id, value } => {
                let value = canonical(value, &["Enabled", "Disabled"])?;
                if self
                    .drift_associated_public_access(resource_id, value)
                    .is_some()
                {
                    let id = self
                        .get(resource_id)
                        .map(|r| r.id.clone())
                        .unwrap_or_default();
                    self.record(&id, "drift", "portal", ctx.now);
                    return Ok(());
                }
                let r = self
                    .get_mut(resource_id)
                    .ok_or_else(|| missing(resource_id))?;
                if !matches!(r.kind, Kind::OnlineEndpoint | Kind::Workspace) {
                    return Err(Error::Admin(format!(
                        "{resource_id} has no publicNetworkAccess"
                    )));
                }
                r.body["properties"]["publicNetworkAccess"] = Value::from(value);
                let id = r.id.clone();
                self.record(&id, "drift", "portal", ctx.now);
            }
            Drift::DeletePrivateEndpoint { resource_id } => {
                let r = self
                    .get(resource_id)
                    .filter(|r| r.kind == Kind::PrivateEndpoint)
                    .ok_or_else(|| missing(resource_id))?;
                let id = r.id.clone();
                self.delete_now(&id, ctx.now, "portal");
            }
            Drift::RemoveDnsZoneGroup { resource_id } => {
                let r = self.get(resource_id).ok_or_else(|| missing(resource_id))?;
                let groups: Vec<String> = match r.kind {
                    Kind::DnsZoneGroup => vec![r.id.clone()],
                    Kind::PrivateEndpoint => self
                        .children(&r.id, "privateDnsZoneGroups")
                        .iter()
                        .map(|g| g.id.clone())
                        .collect(),
                    _ => {
                        return Err(Error::Admin(format!(
                            "{resource_id} is neither a zone group nor a private endpoint"
                        )));
                    }
                };
                for g in groups {
                    self.delete_now(&g, ctx.now, "portal");
                }
            }
            Drift::RemoveVirtualNetworkLink { resource_id } => {
                let r = self
                    .get(resource_id)
                    .filter(|r| r.kind == Kind::VirtualNetworkLink)
                    .ok_or_else(|| missing(resource_id))?;
                let id = r.id.clone();
                let zone = path::parent(&id);
                self.delete_now(&id, ctx.now, "portal");
                if let Some(zone) = zone {
                    self.record(&zone, "drift", "portal", ctx.now);
                }
            }
            Drift::SetTraffic {
                resource_id,
                traffic,
                mirror_traffic,
            } => {
                let r = self
                    .get_mut(resource_id)
                    .filter(|r| r.kind == Kind::OnlineEndpoint)
                    .ok_or_else(|| missing(resource_id))?;
                r.body["properties"]["traffic"] = Value::Object(traffic.clone());
                if let Some(m) = mirror_traffic {
                    r.body["properties"]["mirrorTraffic"] = Value::Object(m.clone());
                }
                let id = r.id.clone();
                self.record(&id, "drift", "portal", ctx.now);
            }
            Drift::SetDeploymentCapacity {
                resource_id,
                capacity,
            } => {
                if self
                    .get(resource_id)
                    .is_none_or(|r| r.kind != Kind::OnlineDeployment)
                {
                    return Err(missing(resource_id));
                }
                self.set_capacity(resource_id, *capacity, &ctx.actor, "drift")?;
            }
            Drift::SetTag {
                resource_id,
                key,
                value,
            } => {
                let r = self
                    .get_mut(resource_id)
                    .ok_or_else(|| missing(resource_id))?;
                if !r.body.get("tags").is_some_and(Value::is_object) {
                    r.body["tags"] = Value::Object(Map::new());
                }
                if let Some(tags) = r.body.get_mut("tags").and_then(Value::as_object_mut) {
                    tags.retain(|k, _| !k.eq_ignore_ascii_case(key));
                    if let Some(v) = value {
                        tags.insert(key.clone(), Value::from(v.clone()));
                    }
                }
                let id = r.id.clone();
                self.record(&id, "drift", "portal", ctx.now);
            }
            Drift::SetConnectionStatus {
                resource_id,
                status,
                description,
            } => {
                let status =
                    canonical(status, &["Approved", "Rejected", "Pending", "Disconnected"])?;
                let r = self.get(resource_id).ok_or_else(|| missing(resource_id))?;
                let connections: Vec<String> = match r.kind {
                    Kind::WorkspaceConnection => vec![r.id.clone()],
                    Kind::PrivateEndpoint => self
                        .store
                        .values()
                        .filter(|c| c.kind == Kind::WorkspaceConnection)
                        .filter(|c| {
                            c.body
                                .pointer("/properties/privateEndpoint/id")
                                .and_then(Value::as_str)
                                .is_some_and(|p| p.eq_ignore_ascii_case(&r.id))
                        })
                        .map(|c| c.id.clone())
                        .collect(),
                    _ => {
                        return Err(Error::Admin(format!(
                            "{resource_id} is neither a connection nor a private endpoint"
                        )));
                    }
                };
                if connections.is_empty() {
                    return Err(Error::Admin(format!(
                        "{resource_id} has no workspace connection"
                    )));
                }
                let description = description
                    .clone()
                    .unwrap_or_else(|| format!("{status} by the workspace owner"));
                for c in connections {
                    self.set_connection_state(&c, status, &description, "portal", ctx.now);
                }
            }
            Drift::SetManagedNetworkIsolation {
                resource_id,
                isolation_mode,
            } => {
                let mode = canonical(
                    isolation_mode,
                    &[
                        "Disabled",
                        "AllowInternetOutbound",
                        "AllowOnlyApprovedOutbound",
                    ],
                )?;
                let r = self
                    .get_mut(resource_id)
                    .filter(|r| r.kind == Kind::Workspace)
                    .ok_or_else(|| missing(resource_id))?;
                r.body["properties"]["managedNetwork"]["isolationMode"] = Value::from(mode);
                let id = r.id.clone();
                // Azure's required outbound rules follow the mode (managed_network.rs).
                let mut body = r.body.clone();
                self.add_required_outbound_rules(&mut body, None);
                if let Some(r) = self.get_mut(&id) {
                    r.body = body;
                }
                self.record(&id, "drift", "portal", ctx.now);
            }
            Drift::ProvisionManagedNetwork {
                resource_id,
                include_spark,
            } => {
                let id = self
                    .get(resource_id)
                    .filter(|r| r.kind == Kind::Workspace)
                    .filter(|r| {
                        r.body
                            .pointer("/properties/managedNetwork/isolationMode")
                            .and_then(Value::as_str)
                            .is_some_and(|m| m != "Disabled")
                    })
                    .map(|r| r.id.clone())
                    .ok_or_else(|| {
                        Error::Admin(format!(
                            "{resource_id} is not a workspace with a managed network"
                        ))
                    })?;
                self.activate_managed_network(&id, *include_spark);
                self.record(&id, "drift", "portal", ctx.now);
            }
        }
        Ok(())
    }
}
