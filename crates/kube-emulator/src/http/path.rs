//! Resource paths: `<plural>[/<name>[/<sub>]]` and `namespaces/<ns>/<plural>[/<name>[/<sub>]]`,
//! where core `namespaces/<name>[/status|/finalize]` is the Namespace itself.

use std::sync::Arc;

use crate::resources::{Registry, ResourceType};

/// What a request addresses.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub t: Arc<ResourceType>,
    /// The namespace in the path (None: cluster-scoped, or a list across namespaces).
    pub namespace: Option<String>,
    pub name: Option<String>,
    /// `status`, or another subresource.
    pub sub: Option<String>,
}

impl Target {
    pub fn is_status(&self) -> bool {
        self.sub.as_deref() == Some("status")
    }

    /// The storage key's namespace part.
    pub fn key_namespace(&self) -> String {
        if self.t.namespaced {
            self.namespace.clone().unwrap_or_default()
        } else {
            String::new()
        }
    }
}

pub(crate) fn resolve(
    registry: &Registry,
    group: &str,
    version: &str,
    rest: &[&str],
) -> Option<Target> {
    let namespaced_path = rest.first() == Some(&"namespaces")
        && rest.len() >= 3
        && !(group.is_empty() && rest.len() == 3 && matches!(rest[2], "status" | "finalize"));
    let (namespace, rest) = if namespaced_path {
        (Some(rest[1].to_owned()), &rest[2..])
    } else {
        (None, rest)
    };
    let (plural, name, sub) = match rest {
        [plural] => (*plural, None, None),
        [plural, name] => (*plural, Some((*name).to_owned()), None),
        [plural, name, sub] => (*plural, Some((*name).to_owned()), Some((*sub).to_owned())),
        _ => return None,
    };
    let t = registry.get(group, version, plural)?;
    if namespace.is_some() && !t.namespaced {
        return None;
    }
    if let Some(sub) = &sub {
        let known = match sub.as_str() {
            "status" => t.status_subresource,
            "finalize" => t.behaviour == crate::resources::Behaviour::Namespace,
            "token" => t.behaviour == crate::resources::Behaviour::ServiceAccount,
            _ => false,
        };
        if !known {
            return None;
        }
    }
    Some(Target {
        t,
        namespace,
        name,
        sub,
    })
}
