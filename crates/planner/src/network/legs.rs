//! The legs of a Workspace's network isolation, each compared with what Azure has: the
//! workspace's public access and managed network, and per private endpoint the endpoint itself,
//! its connection's approval, its private DNS zones, their VNet links and its DNS zone group
//! with its A records.
//!
//! Each leg holds, needs a write the controller can make ([`LegState::Fix`]), waits (on Azure,
//! on another leg, or on a person approving a connection) or is blocked (a retry will not help:
//! Stalled). The findings come in the order the controller fixes them: the workspace's public
//! access first — but, when private endpoints are declared, only once one of them is Approved
//! with its DNS (make before break, DESIGN §3.13: until then it waits) — then each private
//! endpoint (the workspace's, then with `associatedResources.mode: Enforce` those to the
//! storage account, key vault and registry) with its approval, its zones, links and zone group,
//! then each enforced associated resource's public access (turned off once all of its private
//! endpoints hold), and the managed network's provisioning last (the slowest, and inbound
//! isolation does not need it).

use api::conditions::Reason;
use api::workspace::IsolationMode;
use api::workspace::PrivateEndpointObservation;
use serde_json::{Map, Value, json};

use super::action::{NetworkAction, PROVISION_MANAGED_NETWORK};
use super::associated::{
    AssociatedKind, AssociatedTarget, allows_only_approved_outbound, not_premium,
    outbound_rule_problem,
};
use super::bodies::{
    approval_body, connection_of, link_body, link_to, owned_by, private_endpoint_body,
    public_access_off_patch, workspace_patch, zone_body, zone_group_body, zone_group_records,
};
use super::ids::{name_of, same_id};
use super::insights::{
    InsightsObservation, InsightsTarget, component_private_put, linked_resource, links,
    public_flags, scope_approved, scope_connection_statuses, scoped_resource_body, scoped_state,
};
use super::observed::{EndpointObservation, NetworkObservation};
use super::targets::{EndpointTarget, NetworkTargets};
use crate::body::observed_public_access;
use crate::observe::{Observation, ProvisioningState, provisioning_state, str_at};
use crate::outcome::{Drift, OperationKind};
use crate::workspace::observed_isolation_mode;

/// A write that makes a leg hold.
#[derive(Clone, Debug, PartialEq)]
pub struct Fix {
    /// The write.
    pub action: NetworkAction,
    /// Ready's reason while it runs (Creating, Updating).
    pub reason: Reason,
    /// What the write does, for humans ("create private endpoint mlw-prod-pe").
    pub what: String,
    /// The difference it corrects (the drift metric's `field` is the leg's kind).
    pub drift: Drift,
    /// The Event reason when this is not drift (`Creating`, `Updating`, `Approving`, ...).
    pub event: &'static str,
    /// The workspace's public access: fixed even while other writes are held back.
    pub urgent: bool,
}

/// How a leg stands.
#[derive(Clone, Debug, PartialEq)]
pub enum LegState {
    /// As the spec asks.
    Holds,
    /// Not as the spec asks; this write fixes it.
    Fix(Box<Fix>),
    /// Not yet: Azure is working, another leg comes first, or a person must approve.
    Waiting {
        /// Ready's reason.
        reason: Reason,
        /// Why, for humans.
        message: String,
    },
    /// Not as the spec asks and the controller cannot fix it (Stalled).
    Blocked {
        /// Stalled's reason.
        reason: Reason,
        /// Why, and what a person can do.
        message: String,
    },
}

/// One leg.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// What is missing, naming the leg (empty while it holds).
    pub problem: String,
    /// How it stands.
    pub state: LegState,
}

impl Finding {
    fn holds() -> Self {
        Self {
            problem: String::new(),
            state: LegState::Holds,
        }
    }
    fn waiting(problem: impl Into<String>, reason: Reason, message: impl Into<String>) -> Self {
        Self {
            problem: problem.into(),
            state: LegState::Waiting {
                reason,
                message: message.into(),
            },
        }
    }
    fn blocked(problem: impl Into<String>, reason: Reason, message: impl Into<String>) -> Self {
        Self {
            problem: problem.into(),
            state: LegState::Blocked {
                reason,
                message: message.into(),
            },
        }
    }
    fn fix(problem: impl Into<String>, fix: Fix) -> Self {
        Self {
            problem: problem.into(),
            state: LegState::Fix(Box::new(fix)),
        }
    }

    /// True while the leg is as the spec asks.
    pub fn holds_now(&self) -> bool {
        matches!(self.state, LegState::Holds)
    }
}

fn drift(field: &str, observed: impl Into<String>, desired: impl Into<String>) -> Drift {
    Drift {
        field: field.to_owned(),
        observed: observed.into(),
        desired: desired.into(),
    }
}

/// The legs and the per-endpoint readings for status.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// Every leg, in the order they are fixed.
    pub findings: Vec<Finding>,
    /// What status reports per private endpoint.
    pub endpoints: Vec<PrivateEndpointObservation>,
}

/// Compares every leg with what Azure has.
pub fn evaluate(t: &NetworkTargets, workspace: &Value, obs: &NetworkObservation) -> Evaluation {
    let mut findings = Vec::new();
    let ws_name = name_of(&t.workspace_id).to_owned();
    let ws_busy = provisioning_state(workspace).is_some_and(|s| workspace_busy(&s));

    // The workspace's own flags, each in its own PATCH: the urgent public access fix never
    // rides with a managed network change Azure may refuse (a refused PATCH changes nothing).
    let observed_pna = observed_public_access(workspace).to_owned();
    let wanted_pna = t.public_network_access.as_str();
    let observed_mode = observed_isolation_mode(workspace).unwrap_or(IsolationMode::Disabled);
    let pna_differs = !observed_pna.eq_ignore_ascii_case(wanted_pna);
    let mode_blocked = t
        .managed_network
        .filter(|mode| *mode != observed_mode)
        .and_then(|mode| managed_network_refusal(&ws_name, observed_mode, mode));
    let patch_of = |field: &str, value: Value| {
        let mut properties = Map::new();
        properties.insert(field.to_owned(), value);
        NetworkAction::Patch {
            target: t.workspace_id.clone(),
            body: workspace_patch(properties),
        }
    };
    let flag_fix = |field: &str,
                    action: NetworkAction,
                    problem: String,
                    observed: &str,
                    desired: &str,
                    urgent| {
        if ws_busy {
            return Finding::waiting(
                problem,
                Reason::Updating,
                format!("workspace {ws_name} is being updated by Azure"),
            );
        }
        Finding::fix(
            problem.clone(),
            Fix {
                action,
                reason: Reason::Updating,
                what: format!("update workspace {ws_name}: {problem}"),
                drift: drift(field, observed, desired),
                event: "Updating",
                urgent,
            },
        )
    };
    // The private endpoints first: the workspace's public access waits for one of them.
    let mut endpoints = Vec::new();
    let mut endpoint_findings = Vec::new();
    let empty = EndpointObservation::default();
    for (i, target) in t.endpoints.iter().enumerate() {
        let o = obs.endpoints.get(i).unwrap_or(&empty);
        let service = if target.associated.is_some() {
            associated_body(&obs.associated, &target.service_id)
        } else {
            Some(workspace)
        };
        let (mut legs, reading) = endpoint_legs(t, target, workspace, service, o);
        endpoint_findings.append(&mut legs);
        endpoints.push(reading);
    }

    let closing = wanted_pna.eq_ignore_ascii_case("Disabled");
    let declared: Vec<(&EndpointTarget, &PrivateEndpointObservation)> = t
        .endpoints
        .iter()
        .zip(&endpoints)
        .filter(|(target, _)| target.associated.is_none())
        .collect();
    let private_path = declared.is_empty()
        || declared
            .iter()
            .any(|(target, reading)| private_path_holds(target, reading));
    findings.push(if pna_differs && closing && !private_path {
        // Make before break (DESIGN §3.13): the public path is closed only once a declared
        // private endpoint is Approved with its DNS; nothing is sent meanwhile (never Enabled).
        let names: Vec<&str> = declared.iter().map(|(t, _)| t.name.as_str()).collect();
        Finding::waiting(
            format!("publicNetworkAccess is {observed_pna} (spec: {wanted_pna})"),
            Reason::DependencyNotReady,
            format!(
                "public access of workspace {ws_name} stays {observed_pna} until private endpoint {} is Approved with private DNS (make before break)",
                names.join(" or ")
            ),
        )
    } else if pna_differs {
        flag_fix(
            "publicNetworkAccess",
            patch_of("publicNetworkAccess", json!(wanted_pna)),
            format!("publicNetworkAccess is {observed_pna} (spec: {wanted_pna})"),
            &observed_pna,
            wanted_pna,
            true,
        )
    } else {
        Finding::holds()
    });
    match (t.managed_network, mode_blocked) {
        (_, Some(message)) => findings.push(Finding::blocked(
            format!("managed network is {}", observed_mode.as_str()),
            Reason::ManagedNetworkCannotBeDisabled,
            message,
        )),
        (Some(mode), None) if mode != observed_mode => findings.push(flag_fix(
            "managedNetwork",
            patch_of("managedNetwork", json!({"isolationMode": mode.as_str()})),
            format!(
                "managed network is {} (spec: {})",
                observed_mode.as_str(),
                mode.as_str()
            ),
            observed_mode.as_str(),
            mode.as_str(),
            false,
        )),
        _ => findings.push(Finding::holds()),
    }

    // The compute Azure builds environment images on (a workspace property, PATCHed alone).
    findings.push(match &t.image_build_compute {
        Some(compute) => {
            let observed = str_at(workspace, "/properties/imageBuildCompute").unwrap_or("");
            if observed == compute.as_str() {
                Finding::holds()
            } else {
                let shown = if observed.is_empty() {
                    "not set"
                } else {
                    observed
                };
                flag_fix(
                    "imageBuildCompute",
                    patch_of("imageBuildCompute", json!(compute)),
                    format!("imageBuildCompute is {shown} (spec: {compute})"),
                    shown,
                    compute,
                    false,
                )
            }
        }
        None => Finding::holds(),
    });

    findings.append(&mut endpoint_findings);
    for resource in &t.associated {
        findings.push(associated_public_access_leg(
            t,
            workspace,
            resource,
            associated_body(&obs.associated, &resource.id),
            &endpoints,
        ));
    }

    // Application Insights: linked to the hub's Azure Monitor Private Link Scope, then closed.
    if let Some(insights) = &t.insights {
        findings.extend(insights_legs(
            insights,
            associated_body(&obs.associated, &insights.component_id),
            &obs.insights,
        ));
    }

    // Provisioning the managed network comes last: it is slow and inbound does not wait for it.
    findings.push(match t.managed_network {
        Some(mode) if mode != IsolationMode::Disabled && mode == observed_mode => {
            let active = str_at(workspace, "/properties/managedNetwork/status/status")
                .is_some_and(|s| s.eq_ignore_ascii_case("Active"));
            if active {
                Finding::holds()
            } else if ws_busy {
                Finding::waiting(
                    "managed network is not provisioned",
                    Reason::Updating,
                    format!("workspace {ws_name} is being updated by Azure"),
                )
            } else {
                Finding::fix(
                    "managed network is not provisioned",
                    Fix {
                        action: NetworkAction::Post {
                            target: t.workspace_id.clone(),
                            action: PROVISION_MANAGED_NETWORK,
                            body: json!({"includeSpark": false}),
                        },
                        reason: Reason::Updating,
                        what: format!(
                            "provision the managed network ({}) of workspace {ws_name}",
                            mode.as_str()
                        ),
                        drift: drift("managedNetworkStatus", "Inactive", "Active"),
                        event: "Provisioning",
                        urgent: false,
                    },
                )
            }
        }
        _ => Finding::holds(),
    });
    Evaluation {
        findings,
        endpoints,
    }
}

/// Why Azure refuses to move a workspace's managed network from `observed` to `wanted`, if it
/// does. Managed network isolation is one-way (Microsoft Learn, "Workspace Managed Virtual
/// Network Isolation", how-to-managed-network: "once a managed VNet workspace is configured to
/// allow internet outbound, the workspace cannot be reconfigured to disabled. Similarly, once
/// … allow only approved outbound, the workspace cannot be reconfigured to allow internet
/// outbound"): on → Disabled and AllowOnlyApprovedOutbound → AllowInternetOutbound are refused.
pub fn managed_network_refusal(
    ws_name: &str,
    observed: IsolationMode,
    wanted: IsolationMode,
) -> Option<String> {
    let field = "spec.network.managedNetwork.isolationMode";
    match (observed, wanted) {
        (IsolationMode::Disabled, _) => None,
        (from, IsolationMode::Disabled) => Some(format!(
            "the managed network of workspace {ws_name} is {}; Azure cannot turn a managed network off once it is on: set {field} to {} or remove it",
            from.as_str(),
            from.as_str()
        )),
        (IsolationMode::AllowOnlyApprovedOutbound, IsolationMode::AllowInternetOutbound) => {
            Some(format!(
                "the managed network of workspace {ws_name} is AllowOnlyApprovedOutbound; Azure cannot relax it to AllowInternetOutbound (managed network isolation is one-way): set {field} to AllowOnlyApprovedOutbound or remove it"
            ))
        }
        _ => None,
    }
}

/// True when a private endpoint's private path holds: its connection Approved and, when it
/// declares private DNS, its zone group holding records in every zone.
fn private_path_holds(target: &EndpointTarget, reading: &PrivateEndpointObservation) -> bool {
    let approved = reading
        .connection_state
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("Approved"));
    approved && (target.zone_group_id.is_none() || reading.dns_ready == Some(true))
}

/// The associated resource `id` as read this sync (matched by the id Azure returned).
fn associated_body<'a>(observed: &'a [Observation], id: &str) -> Option<&'a Value> {
    observed
        .iter()
        .filter_map(Observation::found)
        .find(|r| str_at(r, "/id").is_some_and(|rid| same_id(rid, id)))
}

/// The public access leg of an enforced associated resource (storage, key vault, registry):
/// holds when Azure reports `Disabled`; turned off with a PATCH only once every private
/// endpoint the controller makes for it is Approved with DNS records (make before break); a
/// registry that is not Premium is named and left alone (no private endpoint is possible, and
/// Azure refuses to turn a Basic or Standard registry's public access off).
///
/// In a managed network that allows only approved outbound the private path is Azure's
/// outbound rule to the resource (no user-VNet private endpoint is made): public access is
/// turned off only once those rules are `Active`, and a rule that is not is named.
fn associated_public_access_leg(
    t: &NetworkTargets,
    workspace: &Value,
    resource: &AssociatedTarget,
    body: Option<&Value>,
    readings: &[PrivateEndpointObservation],
) -> Finding {
    let label = format!("{} {}", resource.kind.label(), name_of(&resource.id));
    let Some(body) = body else {
        return Finding::waiting(
            format!("{label} not read"),
            Reason::Progressing,
            format!("reading {label}"),
        );
    };
    let observed = str_at(body, "/properties/publicNetworkAccess").unwrap_or("Enabled");
    if resource.kind == AssociatedKind::ContainerRegistry
        && let Some(sku) = not_premium(&Observation::Found(body.clone()))
    {
        return Finding::blocked(
            format!(
                "{label}: SKU {sku}: a private endpoint needs the Premium SKU (the controller does not change SKUs); public network access {observed}"
            ),
            Reason::NotIsolated,
            format!(
                "{label} is SKU {sku}: Azure offers private endpoints only on Premium registries, so the controller makes none and leaves its public network access {observed} (it never changes a SKU): upgrade it (az acr update --name {} --sku Premium) or set spec.network.associatedResources.mode to Observe",
                name_of(&resource.id)
            ),
        );
    }
    let managed = allows_only_approved_outbound(workspace).then_some(workspace);
    let outbound = managed.and_then(|ws| outbound_rule_problem(ws, &resource.id));
    if observed.eq_ignore_ascii_case("Disabled") {
        return match outbound {
            Some(problem) => Finding::waiting(
                format!("{label}: {problem}"),
                Reason::DependencyNotReady,
                format!("waiting for Azure's managed network outbound rule to {label}: {problem}"),
            ),
            None => Finding::holds(),
        };
    }
    let problem = format!("{label}: public network access {observed}");
    if managed.is_some() {
        if let Some(rule) = outbound {
            return Finding::waiting(
                format!("{problem}, {rule}"),
                Reason::DependencyNotReady,
                format!(
                    "public network access of {label} stays {observed} until the managed network's outbound rule to it is Active (make before break): {rule}"
                ),
            );
        }
        return Finding::fix(
            problem,
            Fix {
                action: NetworkAction::Patch {
                    target: resource.id.clone(),
                    body: public_access_off_patch(),
                },
                reason: Reason::Updating,
                what: format!(
                    "turn public network access of {label} off (the managed network's outbound rule to it is Active)"
                ),
                drift: drift("associatedPublicNetworkAccess", observed, "Disabled"),
                event: "Updating",
                urgent: false,
            },
        );
    }
    let mine: Vec<(&EndpointTarget, &PrivateEndpointObservation)> = t
        .endpoints
        .iter()
        .zip(readings)
        .filter(|(e, _)| same_id(&e.service_id, &resource.id))
        .collect();
    let waiting_for: Vec<&str> = mine
        .iter()
        .filter(|(e, r)| !private_path_holds(e, r))
        .map(|(e, _)| e.name.as_str())
        .collect();
    if mine.is_empty() || !waiting_for.is_empty() {
        return Finding::waiting(
            problem,
            Reason::DependencyNotReady,
            format!(
                "public network access of {label} stays {observed} until private endpoint {} is Approved with private DNS (make before break)",
                waiting_for.join(" and ")
            ),
        );
    }
    Finding::fix(
        problem,
        Fix {
            action: NetworkAction::Patch {
                target: resource.id.clone(),
                body: public_access_off_patch(),
            },
            reason: Reason::Updating,
            what: format!(
                "turn public network access of {label} off (its private endpoints are Approved with private DNS)"
            ),
            drift: drift("associatedPublicNetworkAccess", observed, "Disabled"),
            event: "Updating",
            urgent: false,
        },
    )
}

/// The legs of Application Insights behind the hub's Azure Monitor Private Link Scope (see
/// [`super::insights`]): the scoped resource linking the component (created when missing;
/// one that links another resource is never rewritten), the scope's Approved private endpoint
/// connection (the hub's: waited for, never made), and the component's public ingestion and
/// query access, turned off with one PUT only once both hold (make before break; never
/// `Enabled`).
fn insights_legs(
    target: &InsightsTarget,
    component: Option<&Value>,
    o: &InsightsObservation,
) -> Vec<Finding> {
    let appi = name_of(&target.component_id);
    let label = format!("Application Insights {appi}");
    let scope_name = name_of(&target.scope_id);
    let scoped_name = name_of(&target.scoped_resource_id);
    let mut out = Vec::new();

    // (a) the scoped resource linking the component.
    let linked = match &o.scoped_resource {
        Observation::Skipped => {
            out.push(Finding::waiting(
                format!("{label}: scoped resource {scoped_name} not read"),
                Reason::Progressing,
                format!("reading scoped resource {scoped_name} of Azure Monitor Private Link Scope {scope_name}"),
            ));
            false
        }
        // Created only in a scope that exists (its absence is the scope's leg below).
        Observation::Missing if o.scope.found().is_none() => false,
        Observation::Missing => {
            out.push(Finding::fix(
                format!("{label}: not linked to Azure Monitor Private Link Scope {scope_name}"),
                Fix {
                    action: NetworkAction::Put {
                        target: target.scoped_resource_id.clone(),
                        kind: OperationKind::Create,
                        body: scoped_resource_body(&target.component_id),
                    },
                    reason: Reason::Creating,
                    what: format!(
                        "link {label} to Azure Monitor Private Link Scope {scope_name} (scoped resource {scoped_name})"
                    ),
                    drift: drift("privateLinkScopedResource", "missing", "Succeeded"),
                    event: "Creating",
                    urgent: false,
                },
            ));
            false
        }
        Observation::Found(scoped) if !links(scoped, &target.component_id) => {
            let other = linked_resource(scoped)
                .map_or("nothing", name_of)
                .to_owned();
            out.push(Finding::blocked(
                format!("{label}: scoped resource {scoped_name} links {other}"),
                Reason::NotIsolated,
                format!(
                    "scoped resource {scoped_name} of Azure Monitor Private Link Scope {scope_name} links {other}, not {label}; the controller never rewrites or deletes a scoped resource that links another resource: remove or rename it in the scope"
                ),
            ));
            false
        }
        Observation::Found(scoped) => match scoped_state(scoped) {
            ProvisioningState::Succeeded => true,
            state if state.is_terminal() => {
                out.push(Finding::blocked(
                    format!("{label}: scoped resource {scoped_name} is {}", state.as_str()),
                    Reason::OperationFailed,
                    format!(
                        "scoped resource {scoped_name} of Azure Monitor Private Link Scope {scope_name} is {} in Azure; delete it to have it created again",
                        state.as_str()
                    ),
                ));
                false
            }
            state => {
                out.push(Finding::waiting(
                    format!("{label}: scoped resource {scoped_name} is {}", state.as_str()),
                    Reason::Creating,
                    format!(
                        "Azure reports scoped resource {scoped_name} of Azure Monitor Private Link Scope {scope_name} {}",
                        state.as_str()
                    ),
                ));
                false
            }
        },
    };

    // (b) the hub's private endpoint to the scope, Approved.
    let approved = match &o.scope {
        Observation::Skipped => {
            out.push(Finding::waiting(
                format!("{label}: Azure Monitor Private Link Scope {scope_name} not read"),
                Reason::Progressing,
                format!("reading Azure Monitor Private Link Scope {scope_name}"),
            ));
            false
        }
        Observation::Missing => {
            out.push(Finding::blocked(
                format!("{label}: Azure Monitor Private Link Scope {scope_name} not found"),
                Reason::DependencyNotReady,
                format!(
                    "Azure Monitor Private Link Scope {} (spec.network.associatedResources.applicationInsights.privateLinkScopeId) does not exist or cannot be read; the controller never creates one (it belongs to the hub's network team): create it on the hub with its private endpoint, or fix the id",
                    target.scope_id
                ),
            ));
            false
        }
        Observation::Found(scope) if scope_approved(scope) => true,
        Observation::Found(scope) => {
            let statuses = scope_connection_statuses(scope);
            let problem = if statuses.is_empty() {
                format!(
                    "{label}: Azure Monitor Private Link Scope {scope_name} has no private endpoint"
                )
            } else {
                format!(
                    "{label}: Azure Monitor Private Link Scope {scope_name} has no Approved private endpoint connection ({})",
                    statuses.join(", ")
                )
            };
            if statuses.iter().any(|s| s.eq_ignore_ascii_case("Pending")) {
                out.push(Finding::waiting(
                    problem,
                    Reason::ApprovalPending,
                    format!(
                        "the private endpoint connection of Azure Monitor Private Link Scope {scope_name} waits for approval by the scope's owner (the hub team)"
                    ),
                ));
            } else {
                out.push(Finding::blocked(
                    problem,
                    Reason::NotIsolated,
                    format!(
                        "Azure Monitor Private Link Scope {scope_name} has no Approved private endpoint connection; the hub team connects it to the hub VNet (the controller never creates an Azure Monitor private endpoint: one per VNet and DNS)"
                    ),
                ));
            }
            false
        }
    };

    // (c) public ingestion and query off, only once (a) and (b) hold.
    let Some(component) = component else {
        out.push(Finding::waiting(
            format!("{label} not read"),
            Reason::Progressing,
            format!("reading {label}"),
        ));
        return out;
    };
    let open = public_flags(component);
    if open.is_empty() {
        out.push(Finding::holds());
        return out;
    }
    let shown: Vec<String> = open
        .iter()
        .map(|(field, v)| {
            let what = if *field == "publicNetworkAccessForIngestion" {
                "ingestion"
            } else {
                "query"
            };
            format!("public network access for {what} {v}")
        })
        .collect();
    let problem = format!("{label}: {}", shown.join(", "));
    if !(linked && approved) {
        out.push(Finding::waiting(
            problem,
            Reason::DependencyNotReady,
            format!(
                "public ingestion and query of {label} stay open until it is linked to Azure Monitor Private Link Scope {scope_name} (scoped resource {scoped_name} Succeeded) and the scope has an Approved private endpoint connection (make before break)"
            ),
        ));
        return out;
    }
    let observed = open
        .first()
        .map_or_else(|| "Enabled".to_owned(), |(_, v)| v.clone());
    out.push(Finding::fix(
        problem,
        Fix {
            action: NetworkAction::Put {
                target: str_at(component, "/id")
                    .unwrap_or(&target.component_id)
                    .to_owned(),
                kind: OperationKind::Update,
                body: component_private_put(component),
            },
            reason: Reason::Updating,
            what: format!(
                "turn public ingestion and query of {label} off (linked to Azure Monitor Private Link Scope {scope_name}, which has an Approved private endpoint connection)"
            ),
            drift: drift("associatedPublicNetworkAccess", observed, "Disabled"),
            event: "Updating",
            urgent: false,
        },
    ));
    out
}

/// True while an operation runs on the AML workspace itself. `Unknown` is one of the values the
/// workspace's `provisioningState` takes (Microsoft.MachineLearningServices `workspaceRP.json`,
/// 2025-12-01, `ProvisioningState`: Unknown, Updating, Creating, Deleting, Succeeded, Failed,
/// Canceled) and names no operation in progress: it is settled for the network legs, which are
/// enforced on it (waiting on it would wait forever).
pub fn workspace_busy(state: &ProvisioningState) -> bool {
    match state {
        ProvisioningState::Other(value) if value.eq_ignore_ascii_case("Unknown") => false,
        other => !other.is_terminal(),
    }
}

fn not_terminal(state: &ProvisioningState) -> bool {
    !state.is_terminal()
}

/// The legs of one private endpoint.
fn endpoint_legs(
    t: &NetworkTargets,
    target: &EndpointTarget,
    workspace: &Value,
    service: Option<&Value>,
    o: &EndpointObservation,
) -> (Vec<Finding>, PrivateEndpointObservation) {
    let name = &target.name;
    let mut out = Vec::new();
    let mut reading = PrivateEndpointObservation {
        name: name.clone(),
        resource_id: Some(target.id.clone()),
        ..Default::default()
    };
    let mut pe_ready = false;

    match &o.private_endpoint {
        Observation::Skipped => out.push(Finding::waiting(
            format!("private endpoint {name} not read"),
            Reason::Progressing,
            format!("reading private endpoint {name}"),
        )),
        Observation::Missing => {
            let location = match &o.vnet {
                Observation::Found(v) => str_at(v, "/location").map(str::to_owned),
                _ => None,
            }
            .or_else(|| str_at(workspace, "/location").map(str::to_owned));
            let problem = format!("private endpoint {name} is missing");
            out.push(match (&o.vnet, location) {
                (Observation::Missing, _) => Finding::blocked(
                    problem,
                    Reason::DependencyNotReady,
                    format!(
                        "virtual network {} of private endpoint {name} does not exist",
                        target.vnet_id
                    ),
                ),
                (_, Some(location)) => Finding::fix(
                    problem,
                    Fix {
                        action: NetworkAction::Put {
                            target: target.id.clone(),
                            kind: OperationKind::Create,
                            body: private_endpoint_body(t, target, &location),
                        },
                        reason: Reason::Creating,
                        what: format!(
                            "create private endpoint {name} in subnet {}",
                            name_of(&target.subnet_id)
                        ),
                        drift: drift("privateEndpoint", "missing", "present"),
                        event: "Creating",
                        urgent: false,
                    },
                ),
                (_, None) => Finding::waiting(
                    problem,
                    Reason::Progressing,
                    "waiting to learn the region of the private endpoint's virtual network",
                ),
            });
        }
        Observation::Found(pe) => {
            let state = provisioning_state(pe).unwrap_or(ProvisioningState::Succeeded);
            reading.provisioning_state = Some(state.as_str().to_owned());
            let subnet = str_at(pe, "/properties/subnet/id").unwrap_or_default();
            if !same_id(subnet, &target.subnet_id) {
                out.push(Finding::blocked(
                    format!("private endpoint {name} is in another subnet"),
                    Reason::InvalidSpec,
                    format!(
                        "private endpoint {name} exists in subnet {subnet}, the spec says {}; Azure cannot move a private endpoint: delete it or fix the spec",
                        target.subnet_id
                    ),
                ));
            } else if not_terminal(&state) {
                out.push(Finding::waiting(
                    format!("private endpoint {name} is {}", state.as_str()),
                    Reason::Creating,
                    format!("Azure reports private endpoint {name} {}", state.as_str()),
                ));
            } else if state != ProvisioningState::Succeeded {
                let problem = format!("private endpoint {name} is {}", state.as_str());
                // Only what this Workspace created is rewritten; another's stays as it is.
                out.push(if owned_by(pe, &t.owner) {
                    let location = str_at(pe, "/location")
                        .or_else(|| str_at(workspace, "/location"))
                        .unwrap_or_default();
                    Finding::fix(
                        problem,
                        Fix {
                            action: NetworkAction::Put {
                                target: target.id.clone(),
                                kind: OperationKind::Update,
                                body: private_endpoint_body(t, target, location),
                            },
                            reason: Reason::Updating,
                            what: format!("provision private endpoint {name} again"),
                            drift: drift("privateEndpoint", state.as_str(), "Succeeded"),
                            event: "Updating",
                            urgent: false,
                        },
                    )
                } else {
                    Finding::blocked(
                        problem,
                        Reason::OperationFailed,
                        format!(
                            "private endpoint {name} is {} in Azure; delete it in Azure to have it created again",
                            state.as_str()
                        ),
                    )
                });
            } else {
                pe_ready = true;
                out.push(Finding::holds());
            }
            out.push(match service {
                Some(service) => connection_leg(t, target, service, pe, &mut reading),
                None => Finding::waiting(
                    format!("connection of private endpoint {name} not read"),
                    Reason::Progressing,
                    format!(
                        "reading {}, the private link service of private endpoint {name}",
                        name_of(&target.service_id)
                    ),
                ),
            });
        }
    }

    // Private DNS: zones, their links to the VNet, then the zone group with its records.
    let mut zones_ready = true;
    for (j, zone) in target.zones.iter().enumerate() {
        let zo = o.zones.get(j).cloned().unwrap_or_default();
        match &zo.zone {
            Observation::Missing if zone.create => {
                zones_ready = false;
                out.push(Finding::fix(
                    format!("private DNS zone {} is missing", zone.name),
                    Fix {
                        action: NetworkAction::Put {
                            target: zone.id.clone(),
                            kind: OperationKind::Create,
                            body: zone_body(t),
                        },
                        reason: Reason::Creating,
                        what: format!("create private DNS zone {}", zone.name),
                        drift: drift("privateDnsZone", "missing", "present"),
                        event: "Creating",
                        urgent: false,
                    },
                ));
            }
            Observation::Missing => {
                zones_ready = false;
                out.push(Finding::blocked(
                    format!("private DNS zone {} is missing", zone.name),
                    Reason::DependencyNotReady,
                    format!(
                        "private DNS zone {} (spec.network.privateEndpoints[{name}].privateDnsZones.zoneIds) does not exist",
                        zone.id
                    ),
                ));
            }
            Observation::Skipped => {
                zones_ready = false;
                out.push(Finding::waiting(
                    format!("private DNS zone {} not read", zone.name),
                    Reason::Progressing,
                    format!("reading private DNS zone {}", zone.name),
                ));
            }
            Observation::Found(z) => {
                let state = provisioning_state(z).unwrap_or(ProvisioningState::Succeeded);
                let failed = matches!(
                    state,
                    ProvisioningState::Failed | ProvisioningState::Canceled
                );
                if failed && owned_by(z, &t.owner) {
                    zones_ready = false;
                    out.push(Finding::fix(
                        format!("private DNS zone {} is {}", zone.name, state.as_str()),
                        Fix {
                            action: NetworkAction::Put {
                                target: zone.id.clone(),
                                kind: OperationKind::Update,
                                body: zone_body(t),
                            },
                            reason: Reason::Updating,
                            what: format!("provision private DNS zone {} again", zone.name),
                            drift: drift("privateDnsZone", state.as_str(), "Succeeded"),
                            event: "Updating",
                            urgent: false,
                        },
                    ));
                } else if failed {
                    zones_ready = false;
                    out.push(Finding::blocked(
                        format!("private DNS zone {} is {}", zone.name, state.as_str()),
                        Reason::OperationFailed,
                        format!(
                            "private DNS zone {} is {} in Azure",
                            zone.id,
                            state.as_str()
                        ),
                    ));
                } else if not_terminal(&state) {
                    zones_ready = false;
                    out.push(Finding::waiting(
                        format!("private DNS zone {} is {}", zone.name, state.as_str()),
                        Reason::Creating,
                        format!(
                            "Azure reports private DNS zone {} {}",
                            zone.name,
                            state.as_str()
                        ),
                    ));
                } else {
                    out.push(Finding::holds());
                }
                if let Some(link) = &zone.link {
                    let links = zo.links.as_deref().unwrap_or_default();
                    let vnet = name_of(&link.vnet_id);
                    out.push(match link_to(links, &link.vnet_id) {
                        None if zo.links.is_none() => Finding::waiting(
                            format!("VNet link of {} not read", zone.name),
                            Reason::Progressing,
                            format!("reading the VNet links of {}", zone.name),
                        ),
                        None => Finding::fix(
                            format!("VNet link of {} to {vnet} is missing", zone.name),
                            Fix {
                                action: NetworkAction::Put {
                                    target: link.id.clone(),
                                    kind: OperationKind::Create,
                                    body: link_body(t, link),
                                },
                                reason: Reason::Creating,
                                what: format!("link private DNS zone {} to VNet {vnet}", zone.name),
                                drift: drift("virtualNetworkLink", "missing", "Completed"),
                                event: "Creating",
                                urgent: false,
                            },
                        ),
                        Some(l) => {
                            let link_state =
                                str_at(l, "/properties/virtualNetworkLinkState").unwrap_or("Completed");
                            let prov =
                                provisioning_state(l).unwrap_or(ProvisioningState::Succeeded);
                            let failed = matches!(prov, ProvisioningState::Failed | ProvisioningState::Canceled);
                            if failed && owned_by(l, &t.owner) {
                                Finding::fix(
                                    format!("VNet link of {} to {vnet} is {}", zone.name, prov.as_str()),
                                    Fix {
                                        action: NetworkAction::Put {
                                            target: str_at(l, "/id").unwrap_or(&link.id).to_owned(),
                                            kind: OperationKind::Update,
                                            body: link_body(t, link),
                                        },
                                        reason: Reason::Updating,
                                        what: format!(
                                            "provision the VNet link of {} to {vnet} again",
                                            zone.name
                                        ),
                                        drift: drift("virtualNetworkLink", prov.as_str(), "Completed"),
                                        event: "Updating",
                                        urgent: false,
                                    },
                                )
                            } else if failed {
                                Finding::blocked(
                                    format!("VNet link of {} to {vnet} is {}", zone.name, prov.as_str()),
                                    Reason::OperationFailed,
                                    format!(
                                        "the VNet link of {} to {vnet} is {} in Azure; delete it to have it created again",
                                        zone.name,
                                        prov.as_str()
                                    ),
                                )
                            } else if link_state.eq_ignore_ascii_case("Completed") && prov.is_terminal() {
                                Finding::holds()
                            } else {
                                Finding::waiting(
                                    format!("VNet link of {} to {vnet} is {link_state}", zone.name),
                                    Reason::Creating,
                                    format!(
                                        "Azure reports the VNet link of {} to {vnet} {link_state}",
                                        zone.name
                                    ),
                                )
                            }
                        }
                    });
                }
            }
        }
    }

    if let Some(group_id) = &target.zone_group_id {
        let problem_missing = format!("DNS zone group of {name} is missing");
        let finding = if !pe_ready || !zones_ready {
            reading.dns_ready = Some(false);
            Finding::waiting(
                problem_missing,
                Reason::DependencyNotReady,
                format!(
                    "the DNS zone group of {name} waits for the private endpoint and its zones"
                ),
            )
        } else {
            match &o.zone_group {
                Observation::Skipped => Finding::waiting(
                    format!("DNS zone group of {name} not read"),
                    Reason::Progressing,
                    format!("reading the DNS zone group of {name}"),
                ),
                Observation::Missing => {
                    reading.dns_ready = Some(false);
                    Finding::fix(
                        problem_missing,
                        Fix {
                            action: NetworkAction::Put {
                                target: group_id.clone(),
                                kind: OperationKind::Create,
                                body: zone_group_body(&target.zones),
                            },
                            reason: Reason::Creating,
                            what: format!("attach a DNS zone group to private endpoint {name}"),
                            drift: drift("dnsZoneGroup", "missing", "present"),
                            event: "Creating",
                            urgent: false,
                        },
                    )
                }
                Observation::Found(group) => {
                    let records = zone_group_records(group);
                    let state = provisioning_state(group).unwrap_or(ProvisioningState::Succeeded);
                    let same_zones = records.len() == target.zones.len()
                        && target
                            .zones
                            .iter()
                            .all(|z| records.iter().any(|(id, _)| same_id(id, &z.id)));
                    let empty: Vec<&str> = target
                        .zones
                        .iter()
                        .filter(|z| records.iter().all(|(id, n)| !same_id(id, &z.id) || *n == 0))
                        .map(|z| z.name.as_str())
                        .collect();
                    reading.dns_ready = Some(state.is_terminal() && same_zones && empty.is_empty());
                    if not_terminal(&state) {
                        Finding::waiting(
                            format!("DNS zone group of {name} is {}", state.as_str()),
                            Reason::Creating,
                            format!(
                                "Azure reports the DNS zone group of {name} {}",
                                state.as_str()
                            ),
                        )
                    } else if !same_zones || state != ProvisioningState::Succeeded {
                        Finding::fix(
                            format!("DNS zone group of {name} does not name the declared zones"),
                            Fix {
                                action: NetworkAction::Put {
                                    target: group_id.clone(),
                                    kind: OperationKind::Update,
                                    body: zone_group_body(&target.zones),
                                },
                                reason: Reason::Updating,
                                what: format!(
                                    "update the DNS zone group of private endpoint {name}"
                                ),
                                drift: drift("dnsZoneGroup", "other zones", "declared zones"),
                                event: "Updating",
                                urgent: false,
                            },
                        )
                    } else if !empty.is_empty() {
                        Finding::blocked(
                            format!("no A records for {name} in {}", empty.join(", ")),
                            Reason::NotIsolated,
                            format!(
                                "the DNS zone group of {name} wrote no A records into {}: does the zone name match the workspace's FQDNs ({})?",
                                empty.join(", "),
                                t.zones.names().join(", ")
                            ),
                        )
                    } else {
                        Finding::holds()
                    }
                }
            }
        };
        out.push(finding);
    }
    (out, reading)
}

/// The approval leg of a private endpoint that exists.
fn connection_leg(
    t: &NetworkTargets,
    target: &EndpointTarget,
    service: &Value,
    pe: &Value,
    reading: &mut PrivateEndpointObservation,
) -> Finding {
    let name = &target.name;
    let ws_name = name_of(&target.service_id);
    let Some(conn) = connection_of(service, pe, &target.id, &target.service_id) else {
        return Finding::blocked(
            format!("private endpoint {name} does not connect to workspace {ws_name}"),
            Reason::InvalidSpec,
            format!(
                "private endpoint {name} exists but has no connection to workspace {ws_name}; delete it or choose another name"
            ),
        );
    };
    reading.connection_state = Some(conn.status.clone());
    let label = if conn.name.is_empty() {
        format!("of private endpoint {name}")
    } else {
        format!("{} of private endpoint {name}", conn.name)
    };
    match conn.status.to_ascii_lowercase().as_str() {
        "approved" => Finding::holds(),
        "pending" => match (&conn.id, target.approve) {
            // Associated resources: the controller does not approve their connections itself
            // (with approve: true Azure auto-approves at creation); an owner approves a
            // manual request.
            (id, _) if target.associated.is_some() => Finding::waiting(
                format!("connection {label} is Pending approval"),
                Reason::ApprovalPending,
                format!(
                    "connection {label} waits for approval by an owner of {ws_name}: az network private-endpoint-connection approve --id {}; or set approve: true on spec.network.privateEndpoints[0] (with {}/privateEndpointConnectionsApproval/action) to have new ones auto-approved",
                    id.as_deref().unwrap_or(&target.id),
                    target.associated.map_or("", |k| k.arm_type())
                ),
            ),
            (Some(id), true) => Finding::fix(
                format!("connection {label} is Pending approval"),
                Fix {
                    action: NetworkAction::Put {
                        target: id.clone(),
                        kind: OperationKind::Update,
                        body: approval_body(t, &target.id),
                    },
                    reason: Reason::Updating,
                    what: format!("approve connection {label} (approve: true)"),
                    drift: drift("privateEndpointConnection", "Pending", "Approved"),
                    event: "Approving",
                    urgent: false,
                },
            ),
            (id, _) => Finding::waiting(
                format!("connection {label} is Pending approval"),
                Reason::ApprovalPending,
                format!(
                    "connection {label} waits for approval by an owner of workspace {ws_name} (permission Microsoft.MachineLearningServices/workspaces/privateEndpointConnections/write): az network private-endpoint-connection approve --id {}; or set approve: true on this private endpoint to let the controller approve it with that permission",
                    id.as_deref().unwrap_or(&target.id)
                ),
            ),
        },
        _ => Finding::blocked(
            format!("connection {label} is {}", conn.status),
            Reason::ConnectionRejected,
            format!(
                "connection {label} is {}{}: the private endpoint cannot reach the workspace; delete private endpoint {name} in Azure to request a new connection, or remove it from the spec",
                conn.status,
                if conn.description.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", conn.description)
                }
            ),
        ),
    }
}
