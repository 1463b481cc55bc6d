//! Builders for the headers of long-running-operation answers (`Azure-AsyncOperation`,
//! `Location`, `Retry-After`, `x-ms-async-operation-timeout`) and for the polling URLs each
//! provider uses.

/// Where a provider's operation status and result URLs live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OperationUrlStyle {
    /// `/subscriptions/{s}/providers/Microsoft.MachineLearningServices/locations/{l}/mfeOperationsStatus/{id}`.
    MachineLearningEndpoints,
    /// `/subscriptions/{s}/providers/Microsoft.MachineLearningServices/locations/{l}/workspaceOperationsStatus/{id}`.
    MachineLearningWorkspaces,
    /// `/subscriptions/{s}/providers/Microsoft.Network/locations/{l}/operations/{id}`.
    Network,
    /// `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Network/privateDnsOperationStatuses/{id}`.
    PrivateDns,
}

impl OperationUrlStyle {
    /// Path of the status (`Azure-AsyncOperation`) URL.
    pub fn status_path(self, sub: &str, rg: &str, location: &str, op: &str) -> String {
        match self {
            Self::MachineLearningEndpoints => format!(
                "/subscriptions/{sub}/providers/Microsoft.MachineLearningServices/locations/{location}/mfeOperationsStatus/{op}"
            ),
            Self::MachineLearningWorkspaces => format!(
                "/subscriptions/{sub}/providers/Microsoft.MachineLearningServices/locations/{location}/workspaceOperationsStatus/{op}"
            ),
            Self::Network => format!(
                "/subscriptions/{sub}/providers/Microsoft.Network/locations/{location}/operations/{op}"
            ),
            Self::PrivateDns => format!(
                "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/privateDnsOperationStatuses/{op}"
            ),
        }
    }

    /// Path of the result (`Location`) URL.
    pub fn result_path(self, sub: &str, rg: &str, location: &str, op: &str) -> String {
        match self {
            Self::MachineLearningEndpoints => format!(
                "/subscriptions/{sub}/providers/Microsoft.MachineLearningServices/locations/{location}/mfeOperationResults/{op}"
            ),
            Self::MachineLearningWorkspaces => format!(
                "/subscriptions/{sub}/providers/Microsoft.MachineLearningServices/locations/{location}/workspaceOperationResults/{op}"
            ),
            Self::Network => format!(
                "/subscriptions/{sub}/providers/Microsoft.Network/locations/{location}/operationResults/{op}"
            ),
            Self::PrivateDns => format!(
                "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/privateDnsOperationResults/{op}"
            ),
        }
    }
}
