//! Rendering: the JSON a GET answers, composed from a stored resource and, for some types, its
//! children (a workspace's privateEndpointConnections, a VNet's subnets, a zone's counters).

use jiff::Timestamp;
use serde_json::{Value, json};

use super::{Kind, World};

/// `systemData` as ARM sets it on create.
pub(crate) fn system_data(actor: &str, now: Timestamp) -> Value {
    json!({
        "createdAt": now.to_string(),
        "createdBy": actor,
        "createdByType": "Application",
        "lastModifiedAt": now.to_string(),
        "lastModifiedBy": actor,
        "lastModifiedByType": "Application",
    })
}

/// Refresh `systemData.lastModified*` on update.
pub(crate) fn touch(body: &mut Value, actor: &str, now: Timestamp) {
    if let Some(sd) = body.get_mut("systemData").and_then(Value::as_object_mut) {
        sd.insert("lastModifiedAt".into(), Value::String(now.to_string()));
        sd.insert("lastModifiedBy".into(), Value::String(actor.to_string()));
        sd.insert("lastModifiedByType".into(), Value::from("Application"));
    }
}

/// A fresh weak etag as Network and Private DNS send them.
pub(crate) fn etag() -> String {
    format!("W/\"{}\"", uuid::Uuid::new_v4())
}

impl World {
    /// The JSON a GET of `id` answers, if it exists.
    pub fn render_by_id(&self, id: &str) -> Option<Value> {
        let r = self.get(id)?;
        let mut body = r.body.clone();
        match r.kind {
            Kind::Workspace => {
                let connections: Vec<Value> = self
                    .children(&r.id, "privateEndpointConnections")
                    .iter()
                    .map(|c| c.body.clone())
                    .collect();
                if let Some(props) = body.get_mut("properties").and_then(Value::as_object_mut) {
                    props.insert("privateLinkCount".into(), Value::from(connections.len()));
                    props.insert(
                        "privateEndpointConnections".into(),
                        Value::Array(connections),
                    );
                }
            }
            Kind::VirtualNetwork => {
                let subnets: Vec<Value> = self
                    .children(&r.id, "subnets")
                    .iter()
                    .map(|s| self.render_subnet(&s.id).unwrap_or(Value::Null))
                    .collect();
                if let Some(props) = body.get_mut("properties").and_then(Value::as_object_mut) {
                    props.insert("subnets".into(), Value::Array(subnets));
                }
            }
            Kind::StorageAccount | Kind::KeyVault | Kind::ContainerRegistry => {
                let connections = self.associated_connections(&r.id);
                if let Some(props) = body.get_mut("properties").and_then(Value::as_object_mut) {
                    props.insert(
                        "privateEndpointConnections".into(),
                        Value::Array(connections),
                    );
                }
            }
            Kind::AppInsights => {
                // components_API.json 2020-02-02: the read-only PrivateLinkScopedResources
                // (private_link_scope.rs says what of its shape was not verified).
                let links = self.scoped_links_of(&r.id);
                if let Some(props) = body.get_mut("properties").and_then(Value::as_object_mut) {
                    props.insert("PrivateLinkScopedResources".into(), Value::Array(links));
                }
            }
            Kind::PrivateLinkScope => {
                let connections: Vec<Value> = self
                    .children(&r.id, "privateEndpointConnections")
                    .iter()
                    .map(|c| c.body.clone())
                    .collect();
                if let Some(props) = body.get_mut("properties").and_then(Value::as_object_mut) {
                    props.insert(
                        "privateEndpointConnections".into(),
                        Value::Array(connections),
                    );
                }
            }
            Kind::Subnet => return self.render_subnet(&r.id),
            Kind::PrivateDnsZone => {
                let links = self.children(&r.id, "virtualNetworkLinks");
                let with_registration = links
                    .iter()
                    .filter(|l| {
                        l.body
                            .pointer("/properties/registrationEnabled")
                            .and_then(Value::as_bool)
                            .unwrap_or(false)
                    })
                    .count();
                let records = self.children(&r.id, "A").len() + 1; // + the SOA record
                if let Some(props) = body.get_mut("properties").and_then(Value::as_object_mut) {
                    props.insert("numberOfRecordSets".into(), Value::from(records));
                    props.insert(
                        "numberOfVirtualNetworkLinks".into(),
                        Value::from(links.len()),
                    );
                    props.insert(
                        "numberOfVirtualNetworkLinksWithRegistration".into(),
                        Value::from(with_registration),
                    );
                }
            }
            _ => {}
        }
        Some(body)
    }

    fn render_subnet(&self, id: &str) -> Option<Value> {
        let r = self.get(id)?;
        let mut body = r.body.clone();
        // A subnet lists the NICs of the private endpoints placed in it.
        let pes: Vec<Value> = self
            .store
            .values()
            .filter(|p| p.kind == Kind::PrivateEndpoint)
            .filter(|p| {
                p.body
                    .pointer("/properties/subnet/id")
                    .and_then(Value::as_str)
                    .is_some_and(|s| s.eq_ignore_ascii_case(&r.id))
            })
            .map(|p| json!({"id": p.id}))
            .collect();
        if let Some(props) = body.get_mut("properties").and_then(Value::as_object_mut) {
            props.insert("privateEndpoints".into(), Value::Array(pes));
        }
        Some(body)
    }

    /// Rendered children of `parent_id` of one type, in name order.
    pub fn list(&self, parent_id: &str, child_type: &str) -> Vec<Value> {
        self.children(parent_id, child_type)
            .iter()
            .filter_map(|r| self.render_by_id(&r.id))
            .collect()
    }

    /// Every resource of a kind below a scope (e.g. all private endpoints of a resource group).
    pub fn list_kind_under(&self, scope: &str, kind: Kind) -> Vec<Value> {
        let prefix = format!("{}/", crate::wire::path::key(scope));
        self.store
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter(|(_, r)| r.kind == kind)
            .filter_map(|(_, r)| self.render_by_id(&r.id))
            .collect()
    }

    /// The current JSON of any resource (admin reads).
    pub fn resource_json(&self, id: &str) -> Option<Value> {
        self.render_by_id(id)
    }

    /// Every resource of a kind in a subscription (404 when the subscription is unknown).
    pub fn list_in_subscription(
        &self,
        sub: &str,
        kind: Kind,
    ) -> Result<Vec<Value>, crate::wire::ArmError> {
        let id = format!("/subscriptions/{sub}");
        if self.get(&id).is_none() {
            return Err(crate::wire::ArmError::new(
                axum::http::StatusCode::NOT_FOUND,
                "SubscriptionNotFound",
                format!("The subscription '{sub}' could not be found."),
            ));
        }
        Ok(self.list_kind_under(&id, kind))
    }

    /// The workspaces of a resource group.
    pub fn list_workspaces(
        &self,
        sub: &str,
        rg: &str,
    ) -> Result<Vec<Value>, crate::wire::ArmError> {
        self.require_resource_group(sub, rg)?;
        Ok(self.list_kind_under(
            &format!("/subscriptions/{sub}/resourceGroups/{rg}"),
            Kind::Workspace,
        ))
    }
}
