//! Turning a [`Seed`] into resources: subscriptions, resource groups, workspaces, VNets with
//! subnets, and pre-existing private DNS zones. Seeding is additive and can run at any time.

use serde_json::json;

use super::{Ctx, Kind, Resource, World};
use crate::error::Error;
use crate::seed::{PrivateEndpointSeed, ResourceGroupSeed, Seed, WorkspaceSeed};

impl World {
    /// Add everything in `seed` (principals are handled by the auth module).
    ///
    /// # Errors
    /// [`Error::InvalidSeed`] for empty names or unknown enum values.
    pub fn apply_seed(&mut self, seed: &Seed) -> Result<(), Error> {
        let ctx = Ctx::admin("seed");
        for sub in &seed.subscriptions {
            if sub.id.trim().is_empty() {
                return Err(Error::InvalidSeed("a subscription has an empty id".into()));
            }
            let sub_id = format!("/subscriptions/{}", sub.id);
            if self.get(&sub_id).is_none() {
                self.insert(Resource {
                    id: sub_id.clone(),
                    kind: Kind::Subscription,
                    body: json!({
                        "id": sub_id,
                        "subscriptionId": sub.id,
                        "displayName": sub.display_name.clone().unwrap_or_else(|| sub.id.clone()),
                        "state": "Enabled",
                        "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01", "quotaId": "PayAsYouGo_2014-09-01", "spendingLimit": "Off"},
                        "authorizationSource": "RoleBased",
                    }),
                    op: None,
                    keys: None,
                });
            }
            for rg in &sub.resource_groups {
                self.seed_resource_group(&ctx, &sub.id, rg)?;
            }
        }
        for sub in &seed.subscriptions {
            for rg in &sub.resource_groups {
                for ws in rg
                    .workspaces
                    .iter()
                    .filter(|w| w.create_associated_resources)
                {
                    self.seed_workspace_associated(&ctx, &sub.id, rg, ws)?;
                }
            }
        }
        for sub in &seed.subscriptions {
            for rg in &sub.resource_groups {
                for scope in &rg.private_link_scopes {
                    self.seed_private_link_scope(
                        &ctx,
                        &sub.id,
                        &rg.name,
                        &scope.name,
                        &scope.ingestion_access_mode,
                        &scope.query_access_mode,
                    )
                    .map_err(Error::InvalidSeed)?;
                }
            }
        }
        for sub in &seed.subscriptions {
            for rg in &sub.resource_groups {
                for pe in &rg.private_endpoints {
                    self.seed_private_endpoint(&ctx, &sub.id, &rg.name, &rg.location, pe)?;
                }
            }
        }
        Ok(())
    }

    /// A seeded workspace's storage account, key vault, registry and Application Insights (in
    /// the workspace's region), public as a fresh workspace's are.
    fn seed_workspace_associated(
        &mut self,
        ctx: &Ctx,
        sub: &str,
        rg: &ResourceGroupSeed,
        ws: &WorkspaceSeed,
    ) -> Result<(), Error> {
        let ws_id = format!(
            "/subscriptions/{sub}/resourceGroups/{}/providers/Microsoft.MachineLearningServices/workspaces/{}",
            rg.name, ws.name
        );
        let Some(body) = self.get(&ws_id).map(|w| w.body.clone()) else {
            return Ok(());
        };
        let location = body["location"]
            .as_str()
            .unwrap_or(&rg.location)
            .to_string();
        for field in [
            "storageAccount",
            "keyVault",
            "containerRegistry",
            "applicationInsights",
        ] {
            if let Some(id) = body["properties"][field].as_str() {
                self.seed_associated(ctx, id, &location, &ws.container_registry_sku)
                    .map_err(|e| Error::InvalidSeed(format!("workspace {}: {e}", ws.name)))?;
            }
        }
        Ok(())
    }

    /// An existing private endpoint: created as a PUT with automatic approval would create it
    /// (by the seed, so no caller permission is checked), its operation finished at once.
    fn seed_private_endpoint(
        &mut self,
        ctx: &Ctx,
        sub: &str,
        rg: &str,
        location: &str,
        pe: &PrivateEndpointSeed,
    ) -> Result<(), Error> {
        let body = json!({
            "location": location,
            "properties": {
                "subnet": {"id": pe.subnet_id},
                "privateLinkServiceConnections": [{
                    "name": pe.name,
                    "properties": {
                        "privateLinkServiceId": pe.target,
                        "groupIds": [pe.group_id.as_deref().unwrap_or("amlworkspace")],
                    },
                }],
            },
        });
        self.put_private_endpoint(ctx, None, sub, rg, &pe.name, &body)
            .map_err(|e| {
                Error::InvalidSeed(format!(
                    "private endpoint '{}' in {rg}: {}",
                    pe.name,
                    e.body()
                ))
            })?;
        let id = Self::pe_id(sub, rg, &pe.name);
        if let Some(op) = self.get(&id).and_then(|r| r.op.clone()) {
            self.complete(&op);
        }
        Ok(())
    }

    fn seed_resource_group(
        &mut self,
        ctx: &Ctx,
        sub: &str,
        rg: &ResourceGroupSeed,
    ) -> Result<(), Error> {
        if rg.name.trim().is_empty() || rg.location.trim().is_empty() {
            return Err(Error::InvalidSeed(format!(
                "resource group '{}' in subscription {sub} needs a name and a location",
                rg.name
            )));
        }
        let rg_id = format!("/subscriptions/{sub}/resourceGroups/{}", rg.name);
        if self.get(&rg_id).is_none() {
            self.insert(Resource {
                id: rg_id.clone(),
                kind: Kind::ResourceGroup,
                body: json!({
                    "id": rg_id,
                    "name": rg.name,
                    "type": "Microsoft.Resources/resourceGroups",
                    "location": rg.location,
                    "properties": {"provisioningState": "Succeeded"},
                }),
                op: None,
                keys: None,
            });
        }
        for ws in &rg.workspaces {
            let body = self.seeded_workspace_body(ctx, &rg_id, &rg.location, ws)?;
            let id = body["id"].as_str().unwrap_or_default().to_string();
            self.insert(Resource {
                id: id.clone(),
                kind: Kind::Workspace,
                body,
                op: None,
                keys: None,
            });
            self.record(&id, "created", "seed", ctx.now);
        }
        for name in &rg.ml_registries {
            self.seed_ml_registry(ctx, &rg_id, &rg.location, name);
        }
        for vnet in &rg.virtual_networks {
            let location = vnet.location.clone().unwrap_or_else(|| rg.location.clone());
            let vnet_id = format!(
                "{rg_id}/providers/Microsoft.Network/virtualNetworks/{}",
                vnet.name
            );
            self.insert(Resource {
                id: vnet_id.clone(),
                kind: Kind::VirtualNetwork,
                body: json!({
                    "name": vnet.name,
                    "id": vnet_id,
                    "etag": super::render::etag(),
                    "type": "Microsoft.Network/virtualNetworks",
                    "location": location,
                    "properties": {
                        "provisioningState": "Succeeded",
                        "resourceGuid": uuid::Uuid::new_v4().to_string(),
                        "addressSpace": {"addressPrefixes": vnet.address_prefixes},
                        "subnets": [],
                        "virtualNetworkPeerings": [],
                        "enableDdosProtection": false,
                    },
                }),
                op: None,
                keys: None,
            });
            for subnet in &vnet.subnets {
                if subnet.address_prefix.parse::<ipnet_lite::Prefix>().is_err() {
                    return Err(Error::InvalidSeed(format!(
                        "subnet '{}' of {} has an invalid IPv4 prefix '{}'",
                        subnet.name, vnet.name, subnet.address_prefix
                    )));
                }
                let id = format!("{vnet_id}/subnets/{}", subnet.name);
                self.insert(Resource {
                    id: id.clone(),
                    kind: Kind::Subnet,
                    body: json!({
                        "name": subnet.name,
                        "id": id,
                        "etag": super::render::etag(),
                        "type": "Microsoft.Network/virtualNetworks/subnets",
                        "properties": {
                            "provisioningState": "Succeeded",
                            "addressPrefix": subnet.address_prefix,
                            "privateEndpointNetworkPolicies": "Disabled",
                            "privateLinkServiceNetworkPolicies": "Enabled",
                        },
                    }),
                    op: None,
                    keys: None,
                });
            }
        }
        for zone in &rg.private_dns_zones {
            let body =
                super::private_dns::zone_body(&rg_id, zone, &serde_json::Map::new(), "Succeeded");
            let id = body["id"].as_str().unwrap_or_default().to_string();
            self.insert(Resource {
                id,
                kind: Kind::PrivateDnsZone,
                body,
                op: None,
                keys: None,
            });
        }
        Ok(())
    }
}

/// A minimal IPv4 prefix parser (`a.b.c.d/n`), enough for subnet address allocation.
pub(crate) mod ipnet_lite {
    use std::net::Ipv4Addr;
    use std::str::FromStr;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) struct Prefix {
        pub base: u32,
        pub len: u8,
    }

    impl FromStr for Prefix {
        type Err = String;
        fn from_str(s: &str) -> Result<Self, Self::Err> {
            let (addr, len) = s.split_once('/').ok_or_else(|| format!("no '/' in {s}"))?;
            let addr: Ipv4Addr = addr.parse().map_err(|e| format!("{e}"))?;
            let len: u8 = len.parse().map_err(|e| format!("{e}"))?;
            if len > 30 {
                return Err(format!("prefix /{len} too small for endpoints"));
            }
            let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
            Ok(Self {
                base: u32::from(addr) & mask,
                len,
            })
        }
    }

    impl Prefix {
        /// Number of addresses usable by endpoints (Azure reserves the first 4 and the last).
        pub fn usable(self) -> u32 {
            (1u32 << (32 - u32::from(self.len))).saturating_sub(5)
        }

        /// The `n`-th usable address (0-based): Azure hands out .4, .5, ...
        pub fn nth(self, n: u32) -> Option<Ipv4Addr> {
            (n < self.usable()).then(|| Ipv4Addr::from(self.base + 4 + n))
        }
    }
}

/// Used by network.rs to allocate a private IP in a subnet.
pub(crate) fn allocate_ip(world: &mut World, subnet_key: &str, prefix: &str) -> Option<String> {
    let prefix: ipnet_lite::Prefix = prefix.parse().ok()?;
    let n = world.next_ip.entry(subnet_key.to_string()).or_insert(0);
    let ip = prefix.nth(*n)?;
    *n += 1;
    Some(ip.to_string())
}
