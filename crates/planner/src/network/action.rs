//! The one Azure step a Workspace reconcile takes. Unlike [`crate::Action`], which always acts
//! on the object's own ARM resource, each step names its target: the workspace, a private
//! endpoint, a DNS zone, a VNet link, a zone group or a private endpoint connection.

use serde_json::Value;

use crate::outcome::OperationKind;

/// The POST action that provisions a workspace's managed network.
pub const PROVISION_MANAGED_NETWORK: &str = "provisionManagedNetwork";

/// A Workspace's next step.
#[derive(Clone, Debug, PartialEq)]
pub enum NetworkAction {
    /// Nothing to do in Azure.
    None,
    /// PUT `body` to `target` (create, or a full update such as a connection approval).
    Put {
        /// ARM id written to.
        target: String,
        /// Create or Update.
        kind: OperationKind,
        /// The complete body.
        body: Value,
    },
    /// PATCH `body` to `target` (the workspace's flags).
    Patch {
        /// ARM id written to.
        target: String,
        /// The partial body.
        body: Value,
    },
    /// POST the action `<target>/<action>` (`provisionManagedNetwork`).
    Post {
        /// ARM id of the resource the action belongs to.
        target: String,
        /// The action's name.
        action: &'static str,
        /// The body.
        body: Value,
    },
    /// DELETE `target`.
    Delete {
        /// ARM id deleted.
        target: String,
    },
    /// Everything this Workspace created is gone (or is to be kept): remove the finalizer.
    RemoveFinalizer,
}

impl NetworkAction {
    /// The ARM id the step acts on.
    pub fn target(&self) -> Option<&str> {
        match self {
            Self::Put { target, .. }
            | Self::Patch { target, .. }
            | Self::Post { target, .. }
            | Self::Delete { target } => Some(target),
            Self::None | Self::RemoveFinalizer => None,
        }
    }

    /// True for steps that change Azure (one in flight per Workspace).
    pub fn is_write(&self) -> bool {
        self.target().is_some()
    }

    /// The operation kind recorded in `status.operation.kind`.
    pub fn operation_kind(&self) -> &str {
        match self {
            Self::Put { kind, .. } => kind.as_str(),
            Self::Patch { .. } => OperationKind::Update.as_str(),
            Self::Post { action, .. } => action,
            Self::Delete { .. } => OperationKind::Delete.as_str(),
            Self::None | Self::RemoveFinalizer => "",
        }
    }
}
