//! An audit trail of API requests, as a real apiserver's audit log records them: who (the
//! `User-Agent`), the Kubernetes verb, and the resource. Tests read it to learn which permissions a
//! client actually exercised, e.g. to hold a chart's RBAC to what the controller uses.

use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// One request, in RBAC terms.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
    /// The client's `User-Agent`.
    pub user_agent: String,
    /// get, list, watch, create, update, patch, delete or deletecollection.
    pub verb: String,
    /// The API group (`""` for core).
    pub api_group: String,
    /// The resource (plural), with `/subresource` when one was addressed (`onlineendpoints/status`).
    pub resource: String,
    /// The namespace, for namespaced requests.
    pub namespace: Option<String>,
    /// The object's name, when one was addressed.
    pub name: Option<String>,
}

/// The request's record, or `None` for non-resource paths (discovery, health).
pub(crate) fn attributes(
    method: &str,
    path: &str,
    watch: bool,
    user_agent: &str,
) -> Option<AuditRecord> {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let (group, rest) = match segs.as_slice() {
        ["api", _version, rest @ ..] => (String::new(), rest),
        ["apis", group, _version, rest @ ..] => ((*group).to_owned(), rest),
        _ => return None,
    };
    let (namespace, rest) = match rest {
        ["namespaces", ns, tail @ ..] if !tail.is_empty() => (Some((*ns).to_owned()), tail),
        other => (None, other),
    };
    let (resource, name, sub) = match rest {
        [resource] => ((*resource).to_owned(), None, None),
        [resource, name] => ((*resource).to_owned(), Some((*name).to_owned()), None),
        [resource, name, sub, ..] => ((*resource).to_owned(), Some((*name).to_owned()), Some(*sub)),
        [] => return None,
    };
    let verb = match (method, name.is_some()) {
        ("GET", _) if watch => "watch",
        ("GET", true) => "get",
        ("GET", false) => "list",
        ("POST", _) => "create",
        ("PUT", _) => "update",
        ("PATCH", _) => "patch",
        ("DELETE", true) => "delete",
        ("DELETE", false) => "deletecollection",
        _ => return None,
    };
    let resource = match sub {
        Some(sub) => format!("{resource}/{sub}"),
        None => resource,
    };
    Some(AuditRecord {
        user_agent: user_agent.to_owned(),
        verb: verb.to_owned(),
        api_group: group,
        resource,
        namespace,
        name,
    })
}

/// The audit trail.
#[derive(Debug, Default)]
pub(crate) struct AuditLog {
    records: Mutex<Vec<AuditRecord>>,
}

impl AuditLog {
    pub fn record(&self, record: AuditRecord) {
        if let Ok(mut records) = self.records.lock() {
            records.push(record);
        }
    }

    pub fn records(&self) -> Vec<AuditRecord> {
        self.records.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::attributes;

    #[test]
    fn rbac_attributes_of_paths() {
        let a = |m, p, w| {
            attributes(m, p, w, "ua")
                .map(|r| (r.verb, r.api_group, r.resource, r.namespace, r.name))
        };
        assert_eq!(
            a(
                "GET",
                "/apis/aml-operator.io/v1alpha1/namespaces/ml/onlineendpoints",
                true
            ),
            Some((
                "watch".into(),
                "aml-operator.io".into(),
                "onlineendpoints".into(),
                Some("ml".into()),
                None
            ))
        );
        assert_eq!(
            a(
                "PATCH",
                "/apis/aml-operator.io/v1alpha1/namespaces/ml/onlineendpoints/ep/status",
                false
            ),
            Some((
                "patch".into(),
                "aml-operator.io".into(),
                "onlineendpoints/status".into(),
                Some("ml".into()),
                Some("ep".into())
            ))
        );
        assert_eq!(
            a("GET", "/api/v1/namespaces/ml/secrets/keys", false),
            Some((
                "get".into(),
                String::new(),
                "secrets".into(),
                Some("ml".into()),
                Some("keys".into())
            ))
        );
        assert_eq!(
            a("POST", "/api/v1/namespaces", false).map(|x| x.2),
            Some("namespaces".into())
        );
        assert_eq!(
            a("GET", "/api/v1/namespaces/ml", false).map(|x| (x.0, x.2)),
            Some(("get".into(), "namespaces".into()))
        );
        assert_eq!(
            a(
                "DELETE",
                "/apis/coordination.k8s.io/v1/namespaces/ml/leases",
                false
            )
            .map(|x| x.0),
            Some("deletecollection".into())
        );
        assert_eq!(a("GET", "/apis", false), None);
        assert_eq!(a("GET", "/healthz", false), None);
    }
}
