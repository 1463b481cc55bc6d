//! Asset references as teams write them, and labels pinned in status.
//!
//! A deployment's `model`, `environment` and `codeConfiguration.code` take, as `az ml` does:
//!
//! - `azureml:<name>:<version>`: a version in the endpoint's workspace, sent to Azure as its ARM
//!   id `<workspace id>/<models|environments|codes>/<name>/versions/<version>`;
//! - `azureml://registries/<registry>/<models|environments|codes>/<name>/versions/<version>`: a
//!   version shared in an Azure ML registry, sent to Azure **as written**. That is what azure-ai-ml
//!   does: `OperationOrchestrator.get_asset_arm_id` returns an asset for which
//!   `is_registry_id_for_resource` holds unchanged (Azure/azure-sdk-for-python,
//!   `sdk/ml/azure-ai-ml/azure/ai/ml/operations/_operation_orchestrator.py`; the pattern
//!   `REGISTRY_VERSION_PATTERN = "^azureml://registries/([^/]+)/([^/]+)/([^/]+)/versions/([^/]+)"`
//!   is in `azure/ai/ml/constants/_common.py`), and the Learn page "Share models, components,
//!   and environments across workspaces with registries" deploys
//!   `azureml://registries/<registry>/models/<name>/versions/<v>` that way. The registry's
//!   subscription and resource group are not part of the URI, so no ARM id can be made of it;
//! - `azureml:<name>@latest` and `azureml://registries/<registry>/<collection>/<name>/labels/latest`:
//!   the newest version, resolved by the controller with an ARM list of the asset's versions
//!   (`ModelVersions_List` / `RegistryModelVersions_List` and the environment and code
//!   equivalents in mfe.json 2025-12-01, which take `$orderBy` and `$top`), asking for
//!   `$orderBy=createdtime desc&$top=1` as azure-ai-ml's `_get_latest` does ("Latest is defined
//!   as the most recently created, not the most recently updated"). `latest` is the only label
//!   azure-ai-ml resolves (its `_managed_label_resolver` has no other) and code takes none
//!   (`_resolve_name_version_from_name_label` skips code), so other labels and a labelled code
//!   are refused naming the field;
//! - a full ARM id of a version.
//!
//! A resolved label is **pinned** in `status.resolvedAssets` and used until the reference in the
//! spec changes, the `aml-operator.io/resolve-assets` annotation takes a new value, or, with
//! `spec.assets.track: Latest`, on every sync. A version published later never redeploys a
//! deployment that did not ask for it.
//!
//! Not verified: the service's exact `$orderBy` grammar (the spec says only "Ordering of list";
//! the value is the one azure-ai-ml sends), and what a list of the versions of an asset that does
//! not exist answers (an empty list is handled as "no version", a 404 likewise).

use api::OnlineDeploymentSpec;
use api::assets::{AssetTracking, ResolvedAsset, ResolvedAssets};

use crate::outcome::EventNote;
use crate::validate::FieldError;

/// The label `az ml` resolves.
pub const LATEST: &str = "latest";

/// Which spec field a reference is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AssetField {
    /// `spec.model`
    Model,
    /// `spec.environment`
    Environment,
    /// `spec.codeConfiguration.code`
    Code,
}

impl AssetField {
    /// All three, in order.
    pub const ALL: [Self; 3] = [Self::Model, Self::Environment, Self::Code];

    /// The field's path in the spec.
    pub fn path(self) -> &'static str {
        match self {
            Self::Model => "spec.model",
            Self::Environment => "spec.environment",
            Self::Code => "spec.codeConfiguration.code",
        }
    }

    /// The asset collection's segment (`models`, `environments`, `codes`).
    pub fn collection(self) -> &'static str {
        match self {
            Self::Model => "models",
            Self::Environment => "environments",
            Self::Code => "codes",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Self::Model => "model",
            Self::Environment => "environment",
            Self::Code => "code",
        }
    }

    /// The reference the spec gives for this field.
    pub fn reference(self, spec: &OnlineDeploymentSpec) -> Option<&str> {
        match self {
            Self::Model => Some(spec.model.as_str()),
            Self::Environment => Some(spec.environment.as_str()),
            Self::Code => spec.code_configuration.as_ref().map(|c| c.code.as_str()),
        }
    }

    fn pin(self, resolved: &ResolvedAssets) -> Option<&ResolvedAsset> {
        match self {
            Self::Model => resolved.model.as_ref(),
            Self::Environment => resolved.environment.as_ref(),
            Self::Code => resolved.code.as_ref(),
        }
    }

    fn pin_mut(self, resolved: &mut ResolvedAssets) -> &mut Option<ResolvedAsset> {
        match self {
            Self::Model => &mut resolved.model,
            Self::Environment => &mut resolved.environment,
            Self::Code => &mut resolved.code,
        }
    }
}

/// A parsed asset reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AssetRef {
    /// A full ARM id, sent as is.
    ArmId(String),
    /// `azureml:<name>:<version>`.
    Workspace {
        /// Asset name.
        name: String,
        /// Version.
        version: String,
    },
    /// `azureml:<name>@latest`.
    WorkspaceLatest {
        /// Asset name.
        name: String,
    },
    /// `azureml://registries/<registry>/<collection>/<name>/versions/<version>`.
    Registry {
        /// Registry name.
        registry: String,
        /// Asset name.
        name: String,
        /// Version.
        version: String,
    },
    /// `azureml://registries/<registry>/<collection>/<name>/labels/latest`.
    RegistryLatest {
        /// Registry name.
        registry: String,
        /// Asset name.
        name: String,
    },
}

impl AssetRef {
    /// True for a label the controller resolves.
    pub fn is_label(&self) -> bool {
        matches!(
            self,
            Self::WorkspaceLatest { .. } | Self::RegistryLatest { .. }
        )
    }
}

/// Azure ML asset names: a letter or digit first, then letters, digits, `-`, `_`, `.`; at most
/// 255 (the container name pattern of mfe.json is `^[a-zA-Z0-9][a-zA-Z0-9\-_]{0,254}$`; `az ml`
/// also accepts dots in model names).
fn check_name(what: &str, name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 255
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{what} {name:?} must start with a letter or digit and hold only letters, digits, '-', '_' and '.' (at most 255)"
        ))
    }
}

fn check_version(version: &str) -> Result<(), String> {
    let ok = !version.is_empty()
        && version.len() <= 64
        && version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "version {version:?} must hold only letters, digits, '-', '_' and '.' (at most 64)"
        ))
    }
}

/// Registry names: mfe.json's `RegistryNameParameter`, `^[a-zA-Z0-9][a-zA-Z0-9\-_]{2,32}$`.
fn check_registry(name: &str) -> Result<(), String> {
    let ok = (3..=33).contains(&name.len())
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "registry name {name:?} must be 3-33 letters, digits, '-' or '_', starting with a letter or digit"
        ))
    }
}

fn label(field: AssetField, label: &str, written: &str) -> Result<(), String> {
    if field == AssetField::Code {
        return Err(format!(
            "{written:?}: a code asset takes no label (az ml resolves labels for models and environments only); name a version"
        ));
    }
    if label != LATEST {
        return Err(format!(
            "{written:?}: the label {label:?} is not supported; only {LATEST:?} is (as az ml)"
        ));
    }
    Ok(())
}

const FORMS: &str = "azureml:<name>:<version>, azureml:<name>@latest, azureml://registries/<registry>/<collection>/<name>/versions/<version> (or /labels/latest), or an ARM id";

/// Parses the reference in `field`.
///
/// # Errors
/// A [`FieldError`] naming the field and what is wrong.
pub fn parse(field: AssetField, reference: &str) -> Result<AssetRef, FieldError> {
    parse_inner(field, reference).map_err(|m| FieldError {
        field: field.path().to_owned(),
        message: m,
    })
}

fn parse_inner(field: AssetField, s: &str) -> Result<AssetRef, String> {
    if s.starts_with("/subscriptions/") {
        return Ok(AssetRef::ArmId(s.to_owned()));
    }
    if let Some(rest) = s.strip_prefix("azureml://") {
        let parts: Vec<&str> = rest.split('/').collect();
        if parts.first() != Some(&"registries") {
            return Err(format!(
                "{s:?}: only registry URIs (azureml://registries/...) name assets; must be {FORMS}"
            ));
        }
        let [_, registry, collection, name, kind, value] = parts.as_slice() else {
            return Err(format!("{s:?} must be {FORMS}"));
        };
        check_registry(registry)?;
        if !collection.eq_ignore_ascii_case(field.collection()) {
            return Err(format!(
                "{s:?} names {collection}, not {}: this field takes a {}",
                field.collection(),
                field.noun()
            ));
        }
        check_name(field.noun(), name)?;
        return match *kind {
            "versions" => {
                check_version(value)?;
                Ok(AssetRef::Registry {
                    registry: (*registry).to_owned(),
                    name: (*name).to_owned(),
                    version: (*value).to_owned(),
                })
            }
            "labels" => {
                label(field, value, s)?;
                Ok(AssetRef::RegistryLatest {
                    registry: (*registry).to_owned(),
                    name: (*name).to_owned(),
                })
            }
            _ => Err(format!("{s:?} must be {FORMS}")),
        };
    }
    let Some(rest) = s.strip_prefix("azureml:") else {
        return Err(format!("{s:?} must be {FORMS}"));
    };
    if let Some((name, l)) = rest.split_once('@') {
        check_name(field.noun(), name)?;
        label(field, l, s)?;
        return Ok(AssetRef::WorkspaceLatest {
            name: name.to_owned(),
        });
    }
    match rest.split_once(':') {
        Some((name, version)) if !version.contains(':') => {
            check_name(field.noun(), name)?;
            check_version(version)?;
            Ok(AssetRef::Workspace {
                name: name.to_owned(),
                version: version.to_owned(),
            })
        }
        _ => Err(format!("{s:?} must be {FORMS}")),
    }
}

/// The registry's ARM id: `spec.assets.registries[<name>]`, else in the workspace's
/// subscription and resource group.
fn registry_id(spec: &OnlineDeploymentSpec, workspace_id: &str, registry: &str) -> String {
    if let Some(id) = spec.assets.as_ref().and_then(|a| {
        a.registries
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(registry))
            .map(|(_, v)| v.clone())
    }) {
        return id;
    }
    let scope = workspace_id
        .split_once("/providers/")
        .map_or(workspace_id, |(scope, _)| scope);
    format!("{scope}/providers/Microsoft.MachineLearningServices/registries/{registry}")
}

/// One list of versions the controller makes to resolve a label.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lookup {
    /// The field.
    pub field: AssetField,
    /// The reference as the spec has it.
    pub reference: String,
    /// ARM id of the asset (container) whose `versions` are listed.
    pub asset_id: String,
    /// The registry name, for a registry asset (its version id is a registry URI).
    pub registry: Option<String>,
    /// The asset's name.
    pub name: String,
}

impl Lookup {
    /// The query of the list: newest created first, one item (as azure-ai-ml's `_get_latest`).
    pub const QUERY: [(&'static str, &'static str); 2] =
        [("$orderBy", "createdtime desc"), ("$top", "1")];

    /// The id sent to Azure for `version`.
    pub fn version_id(&self, field: AssetField, version: &str) -> String {
        match &self.registry {
            Some(registry) => format!(
                "azureml://registries/{registry}/{}/{}/versions/{version}",
                field.collection(),
                self.name
            ),
            None => format!("{}/versions/{version}", self.asset_id),
        }
    }
}

/// The lists the controller must make this sync: one per label that is not pinned for the
/// reference the spec has now, or every label with `track: Latest`, or every label once per new
/// value of the `aml-operator.io/resolve-assets` annotation (`request`). References that do not
/// parse make no lookup (validation names them).
pub fn lookups(
    spec: &OnlineDeploymentSpec,
    resolved: Option<&ResolvedAssets>,
    workspace_id: &str,
    request: Option<&str>,
) -> Vec<Lookup> {
    let track = spec.assets.as_ref().map(|a| a.track).unwrap_or_default();
    let new_request =
        request.is_some_and(|r| resolved.and_then(|s| s.request.as_deref()) != Some(r));
    let mut out = Vec::new();
    for field in AssetField::ALL {
        let Some(reference) = field.reference(spec) else {
            continue;
        };
        let Ok(parsed) = parse(field, reference) else {
            continue;
        };
        let (asset_id, registry, name) = match parsed {
            AssetRef::WorkspaceLatest { name } => (
                format!("{workspace_id}/{}/{name}", field.collection()),
                None,
                name,
            ),
            AssetRef::RegistryLatest { registry, name } => (
                format!(
                    "{}/{}/{name}",
                    registry_id(spec, workspace_id, &registry),
                    field.collection()
                ),
                Some(registry),
                name,
            ),
            _ => continue,
        };
        let pinned = resolved
            .and_then(|r| field.pin(r))
            .is_some_and(|p| p.reference == reference && p.id.is_some());
        if pinned && track == AssetTracking::Pinned && !new_request {
            continue;
        }
        out.push(Lookup {
            field,
            reference: reference.to_owned(),
            asset_id,
            registry,
            name,
        });
    }
    out
}

/// What a list of versions answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LookupAnswer {
    /// The newest version's name.
    Found(String),
    /// No version (an empty list, or the asset or registry does not exist), with why.
    Missing(String),
}

/// The versions listed (`(name, systemData.createdAt)` of each item of the page): the most
/// recently created, as azure-ai-ml defines latest. Azure's order is trusted when the items
/// carry no creation time; RFC 3339 times of one format compare as text.
pub fn newest(items: &[(String, Option<String>)]) -> Option<String> {
    let mut best: Option<&(String, Option<String>)> = None;
    for item in items {
        best = match best {
            None => Some(item),
            Some(b) if item.1.is_some() && item.1 > b.1 => Some(item),
            Some(b) => Some(b),
        };
    }
    best.map(|(name, _)| name.clone())
}

/// Pins what the lookups answered in `status.resolvedAssets`: a new version replaces the pin
/// (Normal `AssetResolved` Event naming the old and new version), a missing asset keeps a
/// previous pin of the same reference and records why. Pins of fields that no longer hold a
/// label are dropped; the annotation value served is recorded.
pub fn pin(
    spec: &OnlineDeploymentSpec,
    resolved: Option<&ResolvedAssets>,
    answers: &[(Lookup, LookupAnswer)],
    request: Option<&str>,
    now: &str,
) -> (Option<ResolvedAssets>, Vec<EventNote>) {
    let mut out = resolved.cloned().unwrap_or_default();
    let mut events = Vec::new();
    for field in AssetField::ALL {
        let keep = field
            .reference(spec)
            .and_then(|r| parse(field, r).ok())
            .is_some_and(|p| p.is_label());
        if !keep {
            *field.pin_mut(&mut out) = None;
        }
    }
    for (lookup, answer) in answers {
        let slot = lookup.field.pin_mut(&mut out);
        let previous = slot
            .as_ref()
            .filter(|p| p.reference == lookup.reference)
            .cloned();
        match answer {
            LookupAnswer::Found(version) => {
                let id = lookup.version_id(lookup.field, version);
                let changed = previous.as_ref().and_then(|p| p.id.as_deref()) != Some(id.as_str());
                if changed {
                    let was = previous
                        .as_ref()
                        .and_then(|p| p.version.as_deref())
                        .map(|v| format!(" (was version {v})"))
                        .unwrap_or_default();
                    events.push(EventNote::normal(
                        "AssetResolved",
                        format!(
                            "{} {} resolved to version {version}{was}",
                            lookup.field.path(),
                            lookup.reference
                        ),
                    ));
                }
                *slot = Some(ResolvedAsset {
                    reference: lookup.reference.clone(),
                    id: Some(id),
                    version: Some(version.clone()),
                    resolved_at: if changed {
                        Some(now.to_owned())
                    } else {
                        previous.and_then(|p| p.resolved_at)
                    },
                    error: None,
                });
            }
            LookupAnswer::Missing(why) => {
                let why = crate::observe::bounded(why, 1024);
                *slot = Some(match previous {
                    Some(p) if p.id.is_some() => ResolvedAsset {
                        error: Some(why),
                        ..p
                    },
                    _ => ResolvedAsset {
                        reference: lookup.reference.clone(),
                        id: None,
                        version: None,
                        resolved_at: None,
                        error: Some(why),
                    },
                });
            }
        }
    }
    if let Some(r) = request {
        out.request = Some(crate::observe::bounded(r, 256));
    }
    let empty = out == ResolvedAssets::default();
    (if empty { None } else { Some(out) }, events)
}

/// The id sent to Azure for `field`: the workspace's ARM id of a shorthand version, a registry
/// URI as written, an ARM id as is, or the version a label is pinned to.
///
/// # Errors
/// A [`FieldError`] naming the field: a malformed reference, or a label with no pin for this
/// reference (not resolved yet, or the asset has no version).
pub fn resolve(
    field: AssetField,
    reference: &str,
    workspace_id: &str,
    resolved: Option<&ResolvedAssets>,
) -> Result<String, FieldError> {
    let err = |message: String| FieldError {
        field: field.path().to_owned(),
        message,
    };
    match parse(field, reference)? {
        AssetRef::ArmId(id) => Ok(id),
        AssetRef::Workspace { name, version } => Ok(format!(
            "{workspace_id}/{}/{name}/versions/{version}",
            field.collection()
        )),
        AssetRef::Registry {
            registry,
            name,
            version,
        } => Ok(format!(
            "azureml://registries/{registry}/{}/{name}/versions/{version}",
            field.collection()
        )),
        AssetRef::WorkspaceLatest { .. } | AssetRef::RegistryLatest { .. } => {
            let pin = resolved
                .and_then(|r| field.pin(r))
                .filter(|p| p.reference == reference);
            match (
                pin.and_then(|p| p.id.clone()),
                pin.and_then(|p| p.error.clone()),
            ) {
                (Some(id), _) => Ok(id),
                (None, Some(why)) => Err(err(format!("{reference} could not be resolved: {why}"))),
                (None, None) => Err(err(format!("{reference} is not resolved yet"))),
            }
        }
    }
}
