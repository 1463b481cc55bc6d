//! Property test: random sequences of spec edits, Azure answers (success, failed operations, 409
//! busy, 429, 5xx, 400) and drift made by a person, driven through the planner against a small
//! model of Azure. After every step:
//! - no body makes public what the spec says is private (endpoint access, deployment egress);
//! - no share of traffic is given or raised to a deployment that is not Succeeded, and traffic
//!   sums to 0 or 100;
//! - at most one write is in flight per endpoint tree.
//!
//! Once faults and edits stop, everything converges within a bounded number of reconciles.

mod fixtures;

use std::collections::BTreeMap;
use std::time::Duration;

use api::conditions::{ConditionType, find_condition};
use api::status::CommonStatus;
use api::{
    OnlineDeploymentSpec, OnlineDeploymentStatus, OnlineEndpointSpec, OnlineEndpointStatus,
    OperationStatus, PublicNetworkAccess,
};
use fixtures::{WS, deployment_spec, endpoint_spec, workspace};
use k8s_openapi::jiff::Timestamp;
use planner::{
    Action, DeploymentInput, DeploymentView, EndpointInput, EndpointView, Failure, FailureClass,
    KeysState, Observation, OperationOutcome, plan_deployment, plan_endpoint,
};
use proptest::prelude::*;
use serde_json::{Value, json};

const NAMES: [&str; 2] = ["blue", "green"];

/// A traffic map as a list of (deployment, percent).
type Split = &'static [(&'static str, i32)];
const EP: &str = "california-housing-service";

/// How Azure answers the next write.
#[derive(Clone, Copy, Debug)]
enum Answer {
    Ok,
    OkThenFail,
    Throttled,
    Busy,
    Unavailable,
    BadRequest,
}

#[derive(Clone, Debug)]
enum Step {
    /// Reconcile object `0` (the endpoint) or `1 + i` (deployment NAMES[i]).
    Reconcile(usize, Answer),
    /// Time passes; Azure's operations move on.
    Tick,
    TogglePublicAccess,
    /// Traffic split: 0 = none, 1 = all blue, 2 = 90/10, 3 = all green, 4 = blue + mirror to green.
    SetTraffic(u8),
    AddDeployment(usize),
    RemoveDeployment(usize),
    Scale(usize, i32),
    DriftPublicAccess,
    DriftTraffic,
    DriftCapacity(usize, i32),
}

fn answer() -> impl Strategy<Value = Answer> {
    prop_oneof![
        6 => Just(Answer::Ok),
        1 => Just(Answer::OkThenFail),
        1 => Just(Answer::Throttled),
        1 => Just(Answer::Busy),
        1 => Just(Answer::Unavailable),
        1 => Just(Answer::BadRequest),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        8 => (0usize..3, answer()).prop_map(|(o, a)| Step::Reconcile(o, a)),
        3 => Just(Step::Tick),
        1 => Just(Step::TogglePublicAccess),
        2 => (0u8..5).prop_map(Step::SetTraffic),
        2 => (0usize..2).prop_map(Step::AddDeployment),
        1 => (0usize..2).prop_map(Step::RemoveDeployment),
        1 => ((0usize..2), 1i32..4).prop_map(|(d, n)| Step::Scale(d, n)),
        1 => Just(Step::DriftPublicAccess),
        1 => Just(Step::DriftTraffic),
        1 => ((0usize..2), 1i32..4).prop_map(|(d, n)| Step::DriftCapacity(d, n)),
    ]
}

/// A Kubernetes object as the controller sees it.
#[derive(Clone, Debug)]
struct Object<Spec, Status> {
    spec: Spec,
    generation: i64,
    status: Status,
    deleting: bool,
}

/// An Azure operation in flight.
#[derive(Clone, Debug)]
struct Op {
    target: String,
    polls_left: u8,
    fail: bool,
    delete: bool,
}

/// The model of Azure: resources by Azure name ("" = the endpoint) and operations by URL.
#[derive(Default, Debug)]
struct Azure {
    endpoint: Option<Value>,
    deployments: BTreeMap<String, Value>,
    ops: BTreeMap<String, Op>,
    next_op: u32,
}

impl Azure {
    fn state(resource: &Value) -> &str {
        resource
            .pointer("/properties/provisioningState")
            .and_then(Value::as_str)
            .unwrap_or("Succeeded")
    }
    fn succeeded(&self, deployment: &str) -> bool {
        self.deployments
            .get(deployment)
            .is_some_and(|d| Self::state(d) == "Succeeded")
    }
    fn busy(&self) -> bool {
        !self.ops.is_empty()
    }
    fn resource_mut(&mut self, target: &str) -> Option<&mut Value> {
        if target.is_empty() {
            self.endpoint.as_mut()
        } else {
            self.deployments.get_mut(target)
        }
    }
    fn start_op(&mut self, target: &str, fail: bool, delete: bool, state: &str) -> String {
        if let Some(r) = self.resource_mut(target) {
            r["properties"]["provisioningState"] = json!(state);
        }
        self.next_op += 1;
        let url = format!("https://azure.test/ops/{}", self.next_op);
        self.ops.insert(
            url.clone(),
            Op {
                target: target.into(),
                polls_left: 1,
                fail,
                delete,
            },
        );
        url
    }
    /// Time passes: operations with no polls left finish.
    fn tick(&mut self) {
        let done: Vec<String> = self
            .ops
            .iter()
            .filter(|(_, o)| o.polls_left == 0)
            .map(|(u, _)| u.clone())
            .collect();
        for url in done {
            let Some(op) = self.ops.get(&url).cloned() else {
                continue;
            };
            if op.delete && !op.fail {
                if op.target.is_empty() {
                    self.endpoint = None;
                    self.deployments.clear();
                } else {
                    self.deployments.remove(&op.target);
                }
            } else if let Some(r) = self.resource_mut(&op.target) {
                r["properties"]["provisioningState"] =
                    json!(if op.fail { "Failed" } else { "Succeeded" });
            }
            // The finished operation stays pollable.
            if let Some(o) = self.ops.get_mut(&url) {
                o.polls_left = u8::MAX;
            }
        }
        for op in self.ops.values_mut() {
            if op.polls_left != u8::MAX {
                op.polls_left = op.polls_left.saturating_sub(1);
            }
        }
    }
    fn poll(&mut self, url: &str) -> OperationOutcome {
        match self.ops.get(url) {
            Some(op) if op.polls_left == u8::MAX => {
                let fail = op.fail;
                self.ops.remove(url);
                if fail {
                    OperationOutcome::Failed(Failure::new(
                        FailureClass::Terminal,
                        "OutOfQuota",
                        "no quota",
                    ))
                } else {
                    OperationOutcome::Succeeded
                }
            }
            Some(_) => OperationOutcome::Pending {
                retry_after: Duration::from_secs(5),
            },
            None => OperationOutcome::Failed(Failure::new(
                FailureClass::Terminal,
                "NotFound",
                "unknown operation",
            )),
        }
    }
}

struct World {
    azure: Azure,
    endpoint: Object<OnlineEndpointSpec, OnlineEndpointStatus>,
    deployments: BTreeMap<String, Object<OnlineDeploymentSpec, OnlineDeploymentStatus>>,
    now: Timestamp,
    violations: Vec<String>,
    writes: usize,
}

fn failure_for(answer: Answer) -> Option<Failure> {
    match answer {
        Answer::Throttled => Some(Failure::new(
            FailureClass::Throttled {
                retry_after: Duration::from_secs(3),
            },
            "TooManyRequests",
            "throttled",
        )),
        Answer::Busy => Some(Failure::new(FailureClass::Conflict, "Conflict", "busy")),
        Answer::Unavailable => Some(Failure::new(
            FailureClass::Transient,
            "ServiceUnavailable",
            "try later",
        )),
        Answer::BadRequest => Some(Failure::new(
            FailureClass::Terminal,
            "BadArgument",
            "refused",
        )),
        Answer::Ok | Answer::OkThenFail => None,
    }
}

fn handle(url: String, kind: &str, resource_id: String) -> OperationStatus {
    OperationStatus {
        kind: kind.into(),
        url,
        polling: "AzureAsyncOperation".into(),
        resource_id,
        started_at: "2026-11-26T00:00:00Z".into(),
    }
}

fn endpoint_id() -> String {
    format!("{WS}/onlineEndpoints/{EP}")
}

impl World {
    fn new() -> Self {
        Self {
            azure: Azure::default(),
            endpoint: Object {
                spec: endpoint_spec(),
                generation: 1,
                status: OnlineEndpointStatus::default(),
                deleting: false,
            },
            deployments: BTreeMap::new(),
            now: Timestamp::from_second(1_800_000_000).unwrap_or(Timestamp::UNIX_EPOCH),
            violations: Vec::new(),
            writes: 0,
        }
    }

    fn tree_busy(&self, except: &str) -> Option<String> {
        if except != EP && self.endpoint.status.operation.is_some() {
            return Some(format!("endpoint {EP}"));
        }
        self.deployments
            .iter()
            .find(|(name, d)| name.as_str() != except && d.status.operation.is_some())
            .map(|(name, _)| format!("deployment {name}"))
    }

    fn check_write(&mut self, what: &str) {
        if self.azure.busy() {
            self.violations.push(format!(
                "{what}: a second write while an operation is in flight in the tree"
            ));
        }
    }

    fn check_endpoint_body(&mut self, body: &Value) {
        let pna = body
            .pointer("/properties/publicNetworkAccess")
            .and_then(Value::as_str)
            .unwrap_or("(none)");
        if self.endpoint.spec.public_network_access == PublicNetworkAccess::Disabled
            && pna != "Disabled"
        {
            self.violations.push(format!(
                "endpoint body with publicNetworkAccess {pna} while the spec says Disabled"
            ));
        }
        let traffic = body
            .pointer("/properties/traffic")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let sum: i64 = traffic.values().filter_map(Value::as_i64).sum();
        if sum != 0 && sum != 100 {
            self.violations.push(format!("traffic sums to {sum}"));
        }
        // A share may be given or raised only to a Succeeded deployment; re-sending the share
        // Azure already routes (e.g. to a deployment whose update failed) changes nothing.
        let current = self
            .azure
            .endpoint
            .as_ref()
            .and_then(|e| e.pointer("/properties/traffic"))
            .cloned()
            .unwrap_or(json!({}));
        for (name, pct) in &traffic {
            let now = pct.as_i64().unwrap_or(0);
            let before = current.get(name).and_then(Value::as_i64).unwrap_or(0);
            if now > before && !self.azure.succeeded(name) {
                self.violations.push(format!(
                    "traffic raised to {now}% for {name} which is not Succeeded"
                ));
            }
        }
    }

    /// One reconcile of the endpoint, as the controller runs it.
    fn reconcile_endpoint(&mut self, answer: Answer) {
        let operation = match self.endpoint.status.operation.clone() {
            Some(op) => self.azure.poll(&op.url),
            None => OperationOutcome::None,
        };
        let observed = match (&operation, &self.azure.endpoint) {
            (OperationOutcome::Pending { .. }, _) => Observation::Skipped,
            (_, Some(r)) => Observation::Found(r.clone()),
            (_, None) => Observation::Missing,
        };
        let views: Vec<DeploymentView> = self
            .deployments
            .iter()
            .map(|(name, d)| DeploymentView {
                name: name.clone(),
                azure_name: name.clone(),
                succeeded: d.status.provisioning_state.as_deref() == Some("Succeeded"),
                deleting: d.deleting,
                stalled: false,
            })
            .collect();
        let ws = workspace();
        let busy = self.tree_busy(EP);
        let plan = plan_endpoint(&EndpointInput {
            name: EP,
            generation: Some(self.endpoint.generation),
            spec: &self.endpoint.spec,
            status: &self.endpoint.status,
            deleting: self.endpoint.deleting,
            workspace: Ok(&ws),
            observed: &observed,
            operation: &operation,
            deployments: &views,
            tree_busy: busy.as_deref(),
            keys: KeysState::NotWanted,
            keys_refresh: planner::KEYS_REFRESH,
            rotate_keys_request: None,
            lifecycle: &planner::Lifecycle::from_annotations("OnlineEndpoint", "ns", EP, |_| None),
            namespace: "ns",
            azure_deployments: None,
            now: self.now,
        });
        let mut status = plan.status;
        let generation = Some(self.endpoint.generation);
        match plan.action {
            Action::Put { kind, body } => {
                self.check_write("endpoint PUT");
                self.check_endpoint_body(&body);
                self.writes += 1;
                match failure_for(answer) {
                    Some(f) => {
                        planner::progress::failed(&mut status, generation, &f, false, self.now);
                    }
                    None => {
                        // Azure's own validation: traffic must name existing, Succeeded deployments.
                        let traffic = body
                            .pointer("/properties/traffic")
                            .and_then(Value::as_object)
                            .cloned()
                            .unwrap_or_default();
                        if traffic
                            .keys()
                            .any(|k| !self.azure.deployments.contains_key(k))
                        {
                            self.violations.push("Azure would refuse: traffic names a deployment that does not exist".into());
                        }
                        let mut stored = body.clone();
                        stored["id"] = json!(endpoint_id());
                        stored["properties"]["scoringUri"] = json!("https://score");
                        self.azure.endpoint = Some(stored);
                        let url = self.azure.start_op(
                            "",
                            matches!(answer, Answer::OkThenFail),
                            false,
                            if kind == planner::OperationKind::Create {
                                "Creating"
                            } else {
                                "Updating"
                            },
                        );
                        planner::progress::started(
                            &mut status,
                            generation,
                            handle(url, kind.as_str(), endpoint_id()),
                            self.now,
                        );
                    }
                }
            }
            Action::Delete => self
                .violations
                .push("the endpoint is never deleted in this model".into()),
            Action::Patch { .. } => self.violations.push("endpoints are not patched".into()),
            Action::None
            | Action::SyncKeys
            | Action::SyncToken
            | Action::RegenerateKey(_)
            | Action::RemoveFinalizer => {}
        }
        self.endpoint.status = status;
    }

    /// One reconcile of a deployment, as the controller runs it.
    fn reconcile_deployment(&mut self, name: &str, answer: Answer) {
        let Some(object) = self.deployments.get(name).cloned() else {
            return;
        };
        let mut endpoint_view = EndpointView {
            azure_name: EP.into(),
            arm_id: self.endpoint.status.azure_resource_id.clone(),
            succeeded: self.endpoint.status.provisioning_state.as_deref() == Some("Succeeded"),
            deleting: false,
            deleting_in_azure: false,
            traffic: self.endpoint.status.traffic.clone(),
            mirror_traffic: self.endpoint.status.mirror_traffic.clone(),
        };
        // Before deleting, the controller reads the endpoint's traffic fresh from Azure.
        if object.deleting
            && let Some(e) = &self.azure.endpoint
        {
            endpoint_view.traffic = planner::body::observed_traffic(e, "traffic");
            endpoint_view.mirror_traffic = planner::body::observed_traffic(e, "mirrorTraffic");
        }
        let operation = match object.status.operation.clone() {
            Some(op) => self.azure.poll(&op.url),
            None => OperationOutcome::None,
        };
        let observed = match (&operation, self.azure.deployments.get(name)) {
            (OperationOutcome::Pending { .. }, _) => Observation::Skipped,
            (_, Some(r)) => Observation::Found(r.clone()),
            (_, None) => Observation::Missing,
        };
        let ws = workspace();
        let busy = self.tree_busy(name);
        let plan = plan_deployment(&DeploymentInput {
            name,
            generation: Some(object.generation),
            spec: &object.spec,
            status: &object.status,
            deleting: object.deleting,
            endpoint: Ok(&endpoint_view),
            workspace: Ok(&ws),
            observed: &observed,
            operation: &operation,
            tree_busy: busy.as_deref(),
            lifecycle: &planner::Lifecycle::from_annotations(
                "OnlineDeployment",
                "ns",
                name,
                |_| None,
            ),
            azure_traffic: None,
            now: self.now,
        });
        let mut status = plan.status;
        let generation = Some(object.generation);
        let id = format!("{}/deployments/{name}", endpoint_id());
        let write = |world: &mut World,
                     kind: &str,
                     body: Option<Value>,
                     delete: bool,
                     status: &mut OnlineDeploymentStatus| {
            world.check_write(&format!("deployment {name} {kind}"));
            world.writes += 1;
            if let Some(f) = failure_for(answer) {
                planner::progress::failed(status, generation, &f, false, world.now);
                return;
            }
            // Azure answers 409 while the endpoint is Creating or Updating; the planner goes further
            // and creates or updates deployments only under a Succeeded endpoint.
            let endpoint_state = world
                .azure
                .endpoint
                .as_ref()
                .map(|e| Azure::state(e).to_owned());
            let busy = matches!(endpoint_state.as_deref(), Some("Creating" | "Updating"));
            if busy || (!delete && endpoint_state.as_deref() != Some("Succeeded")) {
                world.violations.push(format!(
                    "deployment {name} {kind} while its endpoint is {endpoint_state:?}"
                ));
            }
            if delete {
                let share = world
                    .azure
                    .endpoint
                    .as_ref()
                    .and_then(|e| e.pointer(&format!("/properties/traffic/{name}")))
                    .and_then(Value::as_i64)
                    .unwrap_or(0);
                if share > 0 {
                    world.violations.push(format!(
                        "deleting deployment {name} which still has {share}% traffic"
                    ));
                }
            }
            if let Some(body) = body {
                let mut stored = world
                    .azure
                    .deployments
                    .get(name)
                    .cloned()
                    .unwrap_or_else(|| json!({"id": id}));
                if kind == "Scale" {
                    stored["sku"]["capacity"] = body["sku"]["capacity"].clone();
                } else {
                    if body
                        .pointer("/properties/egressPublicNetworkAccess")
                        .and_then(Value::as_str)
                        != Some("Disabled")
                    {
                        world
                            .violations
                            .push(format!("deployment {name} body without egress locked down"));
                    }
                    stored = body;
                    stored["id"] = json!(id);
                }
                world.azure.deployments.insert(name.to_owned(), stored);
            }
            let state = match kind {
                "Create" => "Creating",
                "Delete" => "Deleting",
                "Scale" => "Scaling",
                _ => "Updating",
            };
            let url = world.azure.start_op(
                name,
                matches!(answer, Answer::OkThenFail) && !delete,
                delete,
                state,
            );
            planner::progress::started(
                status,
                generation,
                handle(url, kind, id.clone()),
                world.now,
            );
        };
        let mut remove = false;
        match plan.action {
            Action::Put { kind, body } => {
                write(self, kind.as_str(), Some(body), false, &mut status)
            }
            Action::Patch { kind, body } => {
                write(self, kind.as_str(), Some(body), false, &mut status)
            }
            Action::Delete => write(self, "Delete", None, true, &mut status),
            Action::RemoveFinalizer => remove = true,
            Action::None | Action::SyncKeys | Action::SyncToken | Action::RegenerateKey(_) => {}
        }
        if remove {
            self.deployments.remove(name);
        } else if let Some(d) = self.deployments.get_mut(name) {
            d.status = status;
        }
    }

    fn apply(&mut self, step: &Step) {
        match *step {
            Step::Reconcile(0, a) => self.reconcile_endpoint(a),
            Step::Reconcile(i, a) => self.reconcile_deployment(NAMES[(i - 1) % 2], a),
            Step::Tick => {
                self.azure.tick();
                self.now += Duration::from_secs(10);
            }
            Step::TogglePublicAccess => {
                let spec = &mut self.endpoint.spec;
                spec.public_network_access = match spec.public_network_access {
                    PublicNetworkAccess::Enabled => PublicNetworkAccess::Disabled,
                    PublicNetworkAccess::Disabled => PublicNetworkAccess::Enabled,
                };
                self.endpoint.generation += 1;
            }
            Step::SetTraffic(split) => {
                let (traffic, mirror): (Split, Split) = match split {
                    0 => (&[], &[]),
                    1 => (&[("blue", 100)], &[]),
                    2 => (&[("blue", 90), ("green", 10)], &[]),
                    3 => (&[("green", 100)], &[]),
                    _ => (&[("blue", 100), ("green", 0)], &[("green", 10)]),
                };
                self.endpoint.spec.traffic =
                    traffic.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect();
                self.endpoint.spec.mirror_traffic =
                    mirror.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect();
                self.endpoint.generation += 1;
            }
            Step::AddDeployment(i) => {
                let name = NAMES[i];
                self.deployments
                    .entry(name.into())
                    .or_insert_with(|| Object {
                        spec: deployment_spec(name),
                        generation: 1,
                        status: OnlineDeploymentStatus::default(),
                        deleting: false,
                    });
            }
            Step::RemoveDeployment(i) => {
                if let Some(d) = self.deployments.get_mut(NAMES[i]) {
                    d.deleting = true;
                }
            }
            Step::Scale(i, n) => {
                if let Some(d) = self.deployments.get_mut(NAMES[i])
                    && !d.deleting
                {
                    d.spec.instance_count = n;
                    d.generation += 1;
                }
            }
            Step::DriftPublicAccess => {
                if let Some(e) = self.azure.endpoint.as_mut() {
                    e["properties"]["publicNetworkAccess"] = json!("Enabled");
                }
            }
            Step::DriftTraffic => {
                // Azure lets a person route traffic only to a Succeeded deployment.
                let first = self
                    .azure
                    .deployments
                    .iter()
                    .find(|(_, d)| Azure::state(d) == "Succeeded")
                    .map(|(n, _)| n.clone());
                if let (Some(e), Some(name)) = (self.azure.endpoint.as_mut(), first) {
                    e["properties"]["traffic"] = json!({ name: 100 });
                }
            }
            Step::DriftCapacity(i, n) => {
                if let Some(d) = self.azure.deployments.get_mut(NAMES[i]) {
                    d["sku"]["capacity"] = json!(n);
                }
            }
        }
    }

    /// Makes the spec reachable: traffic only to deployments that exist and are not leaving.
    fn settle_spec(&mut self) {
        let live: Vec<String> = self
            .deployments
            .iter()
            .filter(|(_, d)| !d.deleting)
            .map(|(n, _)| n.clone())
            .collect();
        let keep = |m: &BTreeMap<String, i32>| m.keys().all(|k| live.contains(k));
        if !keep(&self.endpoint.spec.traffic) || !keep(&self.endpoint.spec.mirror_traffic) {
            self.endpoint.spec.traffic = live
                .first()
                .map(|n| [(n.clone(), 100)].into())
                .unwrap_or_default();
            self.endpoint.spec.mirror_traffic.clear();
            self.endpoint.generation += 1;
        }
    }

    fn converged(&self) -> Result<(), String> {
        let ready = |s: &dyn Fn() -> Option<String>| s();
        let _ = ready;
        let ep_ready = find_condition(self.endpoint.status.conditions(), ConditionType::Ready)
            .is_some_and(|c| {
                c.status == "True" && c.observed_generation == Some(self.endpoint.generation)
            });
        if !ep_ready {
            return Err(format!(
                "endpoint not Ready: {:?}",
                find_condition(self.endpoint.status.conditions(), ConditionType::Ready)
            ));
        }
        let az = self
            .azure
            .endpoint
            .as_ref()
            .ok_or("endpoint missing in Azure")?;
        let pna = az
            .pointer("/properties/publicNetworkAccess")
            .and_then(Value::as_str);
        if pna != Some(self.endpoint.spec.public_network_access.as_str()) {
            return Err(format!("Azure publicNetworkAccess {pna:?}"));
        }
        for (name, d) in &self.deployments {
            if d.deleting {
                return Err(format!("deployment {name} still being deleted"));
            }
            let ok = find_condition(d.status.conditions(), ConditionType::Ready)
                .is_some_and(|c| c.status == "True" && c.observed_generation == Some(d.generation));
            if !ok {
                return Err(format!(
                    "deployment {name} not Ready: {:?}",
                    find_condition(d.status.conditions(), ConditionType::Ready)
                ));
            }
            let cap = self
                .azure
                .deployments
                .get(name)
                .and_then(|r| r.pointer("/sku/capacity"))
                .and_then(Value::as_i64);
            if cap != Some(i64::from(d.spec.instance_count)) {
                return Err(format!("deployment {name} capacity {cap:?}"));
            }
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn invariants_hold_and_everything_converges(steps in proptest::collection::vec(step(), 0..80)) {
        let mut world = World::new();
        world.apply(&Step::AddDeployment(0));
        for step in &steps {
            world.apply(step);
            prop_assert!(world.violations.is_empty(), "after {step:?}: {:?}", world.violations);
        }
        // Faults and edits stop; past any Stalled hold.
        world.settle_spec();
        world.now += planner::STALLED_RETRY + Duration::from_secs(1);
        let mut rounds = 0;
        // A round is one reconcile of each object and a minute of time: enough rounds to cover a
        // Stalled hold that started in this phase.
        while world.converged().is_err() && rounds < 60 {
            world.reconcile_endpoint(Answer::Ok);
            for name in NAMES {
                world.reconcile_deployment(name, Answer::Ok);
            }
            world.apply(&Step::Tick);
            world.now += Duration::from_secs(50);
            rounds += 1;
            prop_assert!(world.violations.is_empty(), "while converging: {:?}", world.violations);
        }
        prop_assert!(world.converged().is_ok(), "no convergence after {rounds} rounds: {:?}", world.converged());
    }
}

#[test]
fn a_resync_after_convergence_makes_no_write() {
    let mut world = World::new();
    world.apply(&Step::AddDeployment(0));
    world.apply(&Step::SetTraffic(1));
    for _ in 0..20 {
        world.reconcile_endpoint(Answer::Ok);
        world.reconcile_deployment("blue", Answer::Ok);
        world.apply(&Step::Tick);
    }
    assert_eq!(world.converged(), Ok(()));
    let writes = world.writes;
    for _ in 0..5 {
        world.reconcile_endpoint(Answer::Ok);
        world.reconcile_deployment("blue", Answer::Ok);
    }
    assert_eq!(world.writes, writes, "idle resyncs write nothing");
    assert!(world.violations.is_empty(), "{:?}", world.violations);
}
