//! Builders of planner inputs shared by the rule tables: an endpoint or deployment reconcile
//! that owns its inputs, seed-like by default.
#![allow(dead_code)]

use api::{OnlineDeploymentSpec, OnlineDeploymentStatus, OnlineEndpointSpec, OnlineEndpointStatus};
use planner::{
    DeploymentInput, DeploymentView, EndpointInput, EndpointView, KeysState, Observation,
    OperationOutcome, Plan, WorkspaceView, plan_deployment, plan_endpoint,
};
use serde_json::Value;

use crate::fixtures::*;

/// An endpoint reconcile, owning its inputs.
pub struct Ep {
    pub spec: OnlineEndpointSpec,
    pub status: OnlineEndpointStatus,
    pub generation: i64,
    pub deleting: bool,
    pub workspace: Result<WorkspaceView, String>,
    pub observed: Observation,
    pub operation: OperationOutcome,
    pub deployments: Vec<DeploymentView>,
    pub tree_busy: Option<String>,
    pub keys: KeysState,
    pub rotate_keys_request: Option<String>,
    pub lifecycle: planner::Lifecycle,
    pub azure_deployments: Option<Vec<Value>>,
}

impl Ep {
    pub fn new(spec: OnlineEndpointSpec) -> Self {
        Self {
            spec,
            status: OnlineEndpointStatus::default(),
            generation: 1,
            deleting: false,
            workspace: Ok(workspace()),
            observed: Observation::Missing,
            operation: OperationOutcome::None,
            deployments: Vec::new(),
            tree_busy: None,
            keys: KeysState::NotWanted,
            rotate_keys_request: None,
            lifecycle: endpoint_lifecycle(),
            azure_deployments: None,
        }
    }
    pub fn azure(mut self, resource: Value) -> Self {
        self.observed = Observation::Found(resource);
        self
    }
    pub fn deleting(mut self) -> Self {
        self.deleting = true;
        self.lifecycle.deleting_since = Some(now());
        self
    }
    pub fn status(mut self, status: OnlineEndpointStatus) -> Self {
        self.status = status;
        self
    }
    pub fn deployments(mut self, deployments: Vec<DeploymentView>) -> Self {
        self.deployments = deployments;
        self
    }
    pub fn plan(&self) -> Plan<OnlineEndpointStatus> {
        plan_endpoint(&EndpointInput {
            name: "california-housing-service",
            generation: Some(self.generation),
            spec: &self.spec,
            status: &self.status,
            deleting: self.deleting,
            workspace: self.workspace.as_ref().map_err(Clone::clone),
            observed: &self.observed,
            operation: &self.operation,
            deployments: &self.deployments,
            tree_busy: self.tree_busy.as_deref(),
            keys: self.keys,
            keys_refresh: planner::KEYS_REFRESH,
            rotate_keys_request: self.rotate_keys_request.as_deref(),
            lifecycle: &self.lifecycle,
            namespace: NAMESPACE,
            azure_deployments: self.azure_deployments.as_deref(),
            now: now(),
        })
    }
}

/// A deployment reconcile, owning its inputs.
pub struct Dep {
    pub spec: OnlineDeploymentSpec,
    pub status: OnlineDeploymentStatus,
    pub generation: i64,
    pub deleting: bool,
    pub endpoint: Result<EndpointView, String>,
    pub workspace: Result<WorkspaceView, String>,
    pub observed: Observation,
    pub operation: OperationOutcome,
    pub tree_busy: Option<String>,
    pub lifecycle: planner::Lifecycle,
    pub azure_traffic: Option<i32>,
}

impl Dep {
    pub fn new(spec: OnlineDeploymentSpec) -> Self {
        Self {
            spec,
            status: OnlineDeploymentStatus::default(),
            generation: 1,
            deleting: false,
            endpoint: Ok(endpoint_view(true, &[])),
            workspace: Ok(workspace()),
            observed: Observation::Missing,
            operation: OperationOutcome::None,
            tree_busy: None,
            lifecycle: deployment_lifecycle(),
            azure_traffic: None,
        }
    }
    pub fn azure(mut self, resource: Value) -> Self {
        self.observed = Observation::Found(resource);
        self
    }
    pub fn deleting(mut self) -> Self {
        self.deleting = true;
        self.lifecycle.deleting_since = Some(now());
        self
    }
    pub fn plan(&self) -> Plan<OnlineDeploymentStatus> {
        plan_deployment(&DeploymentInput {
            name: "dep",
            generation: Some(self.generation),
            spec: &self.spec,
            status: &self.status,
            deleting: self.deleting,
            endpoint: self.endpoint.as_ref().map_err(Clone::clone),
            workspace: self.workspace.as_ref().map_err(Clone::clone),
            observed: &self.observed,
            operation: &self.operation,
            tree_busy: self.tree_busy.as_deref(),
            lifecycle: &self.lifecycle,
            azure_traffic: self.azure_traffic,
            now: now(),
        })
    }
}
