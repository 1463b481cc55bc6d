//! The resource types the emulator serves: the fixed built-ins and one per served version of each
//! established CRD. A type is addressed by (group, version, plural); objects are stored per
//! (group, plural), so every served version of a CRD shares one set of objects.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::admission::CrdSchema;

/// What a resource is, beyond the generic REST rules, so the few kind-specific behaviours
/// (Secret `stringData`, Namespace phase, CRD registration) have one switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Behaviour {
    Namespace,
    Secret,
    ConfigMap,
    /// core/v1 ServiceAccount, with the `token` subresource (TokenRequest).
    ServiceAccount,
    CoreEvent,
    Event,
    Lease,
    Crd,
    Custom,
}

/// One printer column of a CRD version.
#[derive(Debug, Clone)]
pub(crate) struct PrinterColumn {
    pub name: String,
    pub type_: String,
    pub format: String,
    pub description: String,
    pub priority: i64,
    pub json_path: String,
}

/// A served (group, version, plural).
#[derive(Debug, Clone)]
pub(crate) struct ResourceType {
    pub group: String,
    pub version: String,
    pub plural: String,
    pub singular: String,
    pub kind: String,
    pub namespaced: bool,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
    pub status_subresource: bool,
    pub behaviour: Behaviour,
    /// For custom resources: the version's schema (admission) and printer columns.
    pub schema: Option<Arc<CrdSchema>>,
    pub printer_columns: Vec<PrinterColumn>,
    /// The version objects are stored in (what apiVersion they carry at rest).
    pub storage_version: String,
}

/// The (group, plural) objects are stored under.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct GroupResource {
    pub group: String,
    pub resource: String,
}

impl std::fmt::Display for GroupResource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.group.is_empty() {
            f.write_str(&self.resource)
        } else {
            write!(f, "{}.{}", self.resource, self.group)
        }
    }
}

impl ResourceType {
    /// Where objects are stored: events.k8s.io Events share the core Events.
    pub fn gr(&self) -> GroupResource {
        if self.behaviour == Behaviour::Event {
            return GroupResource {
                group: String::new(),
                resource: "events".to_owned(),
            };
        }
        GroupResource {
            group: self.group.clone(),
            resource: self.plural.clone(),
        }
    }

    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// Whether `metadata.generation` is maintained (custom resources and CRDs; not the core kinds).
    pub fn has_generation(&self) -> bool {
        matches!(self.behaviour, Behaviour::Custom | Behaviour::Crd)
    }

    /// Whether a PUT without `metadata.resourceVersion` is refused (custom resources and CRDs).
    pub fn requires_resource_version_on_update(&self) -> bool {
        matches!(self.behaviour, Behaviour::Custom | Behaviour::Crd)
    }

    /// Whether a PUT of a missing object creates it (Leases and Events, like the real registries).
    pub fn create_on_update(&self) -> bool {
        matches!(
            self.behaviour,
            Behaviour::Lease | Behaviour::CoreEvent | Behaviour::Event
        )
    }

    pub fn verbs(&self) -> Vec<&'static str> {
        let mut verbs = vec![
            "create", "delete", "get", "list", "patch", "update", "watch",
        ];
        if self.behaviour != Behaviour::Namespace {
            verbs.insert(1, "deletecollection");
        }
        verbs
    }

    fn builtin(
        group: &str,
        version: &str,
        plural: &str,
        kind: &str,
        namespaced: bool,
        short_names: &[&str],
        behaviour: Behaviour,
    ) -> Self {
        Self {
            group: group.to_owned(),
            version: version.to_owned(),
            plural: plural.to_owned(),
            singular: kind.to_ascii_lowercase(),
            kind: kind.to_owned(),
            namespaced,
            short_names: short_names.iter().map(|s| (*s).to_owned()).collect(),
            categories: Vec::new(),
            status_subresource: matches!(behaviour, Behaviour::Namespace | Behaviour::Crd),
            behaviour,
            schema: None,
            printer_columns: Vec::new(),
            storage_version: version.to_owned(),
        }
    }
}

/// Every served resource type, keyed by (group, version, plural).
#[derive(Debug, Clone, Default)]
pub(crate) struct Registry {
    types: BTreeMap<(String, String, String), Arc<ResourceType>>,
}

impl Registry {
    pub fn with_builtins() -> Self {
        let mut registry = Self::default();
        for t in [
            ResourceType::builtin(
                "",
                "v1",
                "namespaces",
                "Namespace",
                false,
                &["ns"],
                Behaviour::Namespace,
            ),
            ResourceType::builtin("", "v1", "secrets", "Secret", true, &[], Behaviour::Secret),
            ResourceType::builtin(
                "",
                "v1",
                "serviceaccounts",
                "ServiceAccount",
                true,
                &["sa"],
                Behaviour::ServiceAccount,
            ),
            ResourceType::builtin(
                "",
                "v1",
                "configmaps",
                "ConfigMap",
                true,
                &["cm"],
                Behaviour::ConfigMap,
            ),
            ResourceType::builtin(
                "",
                "v1",
                "events",
                "Event",
                true,
                &["ev"],
                Behaviour::CoreEvent,
            ),
            ResourceType::builtin(
                "events.k8s.io",
                "v1",
                "events",
                "Event",
                true,
                &["ev"],
                Behaviour::Event,
            ),
            ResourceType::builtin(
                "coordination.k8s.io",
                "v1",
                "leases",
                "Lease",
                true,
                &[],
                Behaviour::Lease,
            ),
            ResourceType {
                categories: vec!["api-extensions".to_owned()],
                ..ResourceType::builtin(
                    "apiextensions.k8s.io",
                    "v1",
                    "customresourcedefinitions",
                    "CustomResourceDefinition",
                    false,
                    &["crd", "crds"],
                    Behaviour::Crd,
                )
            },
        ] {
            registry.insert(t);
        }
        registry
    }

    pub fn insert(&mut self, t: ResourceType) {
        self.types.insert(
            (t.group.clone(), t.version.clone(), t.plural.clone()),
            Arc::new(t),
        );
    }

    /// Drops every version of a custom (group, plural).
    pub fn remove_custom(&mut self, group: &str, plural: &str) {
        self.types.retain(|(g, _, p), t| {
            !(g == group && p == plural && t.behaviour == Behaviour::Custom)
        });
    }

    pub fn get(&self, group: &str, version: &str, plural: &str) -> Option<Arc<ResourceType>> {
        self.types
            .get(&(group.to_owned(), version.to_owned(), plural.to_owned()))
            .cloned()
    }

    /// Any served version of a (group, plural): what owner lookups and garbage collection use.
    pub fn any_version(&self, gr: &GroupResource) -> Option<Arc<ResourceType>> {
        self.types
            .iter()
            .find(|((g, _, p), _)| *g == gr.group && *p == gr.resource)
            .map(|(_, t)| t.clone())
    }

    /// Group names in discovery order: the built-in groups first, then custom ones by name.
    pub fn groups(&self) -> Vec<String> {
        let mut groups: Vec<String> = Vec::new();
        for t in self.types.values() {
            if !t.group.is_empty() && !groups.contains(&t.group) {
                groups.push(t.group.clone());
            }
        }
        let builtin = [
            "apiextensions.k8s.io",
            "coordination.k8s.io",
            "events.k8s.io",
        ];
        groups.sort_by_key(|g| (!builtin.contains(&g.as_str()), g.clone()));
        groups
    }

    /// Versions served for a group, the preferred (storage) one first.
    pub fn versions(&self, group: &str) -> Vec<String> {
        let mut versions: Vec<(bool, String)> = Vec::new();
        for t in self.types.values().filter(|t| t.group == group) {
            if !versions.iter().any(|(_, v)| *v == t.version) {
                versions.push((t.version != t.storage_version, t.version.clone()));
            }
        }
        versions.sort();
        versions.into_iter().map(|(_, v)| v).collect()
    }

    pub fn in_group_version<'a>(
        &'a self,
        group: &'a str,
        version: &'a str,
    ) -> impl Iterator<Item = &'a Arc<ResourceType>> + 'a {
        self.types
            .values()
            .filter(move |t| t.group == group && t.version == version)
    }
}
