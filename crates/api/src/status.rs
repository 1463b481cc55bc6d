//! The parts every kind's status shares, behind one trait, so the planner computes conditions,
//! the in-flight operation and the last error the same way for all three kinds.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

use crate::common::{ArmErrorStatus, OperationStatus};
use crate::{OnlineDeploymentStatus, OnlineEndpointStatus, WorkspaceStatus};

/// Access to the fields every status has.
pub trait CommonStatus: Default + Clone + PartialEq {
    /// `status.conditions`.
    fn conditions(&self) -> &[Condition];
    /// `status.conditions`, to change.
    fn conditions_mut(&mut self) -> &mut Vec<Condition>;
    /// `status.observedGeneration`.
    fn observed_generation(&self) -> Option<i64>;
    /// Sets `status.observedGeneration`.
    fn set_observed_generation(&mut self, generation: Option<i64>);
    /// `status.operation`: the Azure operation in flight.
    fn operation(&self) -> Option<&OperationStatus>;
    /// Sets or clears `status.operation`.
    fn set_operation(&mut self, operation: Option<OperationStatus>);
    /// `status.lastError`.
    fn last_error(&self) -> Option<&ArmErrorStatus>;
    /// Sets or clears `status.lastError`.
    fn set_last_error(&mut self, error: Option<ArmErrorStatus>);
    /// `status.azureResourceId`.
    fn azure_resource_id(&self) -> Option<&str>;
    /// `status.azureBusySince`: since when every write was answered 409.
    fn azure_busy_since(&self) -> Option<&Time>;
    /// Sets or clears `status.azureBusySince`.
    fn set_azure_busy_since(&mut self, since: Option<Time>);
}

macro_rules! impl_common_status {
    ($($ty:ty),*) => {$(
        impl CommonStatus for $ty {
            fn conditions(&self) -> &[Condition] {
                &self.conditions
            }
            fn conditions_mut(&mut self) -> &mut Vec<Condition> {
                &mut self.conditions
            }
            fn observed_generation(&self) -> Option<i64> {
                self.observed_generation
            }
            fn set_observed_generation(&mut self, generation: Option<i64>) {
                self.observed_generation = generation;
            }
            fn operation(&self) -> Option<&OperationStatus> {
                self.operation.as_ref()
            }
            fn set_operation(&mut self, operation: Option<OperationStatus>) {
                self.operation = operation;
            }
            fn last_error(&self) -> Option<&ArmErrorStatus> {
                self.last_error.as_ref()
            }
            fn set_last_error(&mut self, error: Option<ArmErrorStatus>) {
                self.last_error = error;
            }
            fn azure_resource_id(&self) -> Option<&str> {
                self.azure_resource_id.as_deref()
            }
            fn azure_busy_since(&self) -> Option<&Time> {
                self.azure_busy_since.as_ref()
            }
            fn set_azure_busy_since(&mut self, since: Option<Time>) {
                self.azure_busy_since = since;
            }
        }
    )*};
}

impl_common_status!(
    WorkspaceStatus,
    OnlineEndpointStatus,
    OnlineDeploymentStatus
);
