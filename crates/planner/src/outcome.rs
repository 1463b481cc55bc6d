//! What a plan says: the one action to take now, the status to write, when to look again, and
//! the Events to emit.

use std::time::Duration;

use serde_json::Value;

/// The single step the controller takes in this reconcile.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Nothing to do in Azure.
    None,
    /// PUT `body` to the object's ARM id (create or full update).
    Put {
        /// Create or Update.
        kind: OperationKind,
        /// The complete body.
        body: Value,
    },
    /// PATCH `body` to the object's ARM id (a deployment's `sku.capacity`, workspace flags).
    Patch {
        /// Scale or Update.
        kind: OperationKind,
        /// The partial body.
        body: Value,
    },
    /// DELETE the object's ARM resource.
    Delete,
    /// POST listKeys and write the keys Secret (endpoints with `keysSecret`), naming active the
    /// key `status.keyRotation.activeKey` says (primary when it says none).
    SyncKeys,
    /// POST regenerateKeys with this keyType (a step of a key rotation; never the key the
    /// Secret names active).
    RegenerateKey(crate::keys::KeySlot),
    /// POST token and write the token into the keys Secret (`authMode: AMLToken`).
    SyncToken,
    /// The Azure side is done (deleted or orphaned): remove the finalizer.
    RemoveFinalizer,
}

impl Action {
    /// True for actions that change Azure (counted against the one-write-per-tree rule).
    pub fn is_write(&self) -> bool {
        matches!(
            self,
            Self::Put { .. } | Self::Patch { .. } | Self::Delete | Self::RegenerateKey(_)
        )
    }
}

/// What an Azure write does, as recorded in `status.operation.kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OperationKind {
    /// First PUT.
    Create,
    /// PUT or PATCH of an existing resource.
    Update,
    /// PATCH of a deployment's instance count.
    Scale,
    /// DELETE.
    Delete,
}

impl OperationKind {
    /// The kind as written in status.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "Create",
            Self::Update => "Update",
            Self::Scale => "Scale",
            Self::Delete => "Delete",
        }
    }

    /// Parses the kind written in status.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "Create" => Some(Self::Create),
            "Update" => Some(Self::Update),
            "Scale" => Some(Self::Scale),
            "Delete" => Some(Self::Delete),
            _ => None,
        }
    }
}

/// A property whose Azure value differs from the spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Drift {
    /// The property, as the spec names it (`publicNetworkAccess`, `traffic`, `instanceCount`, ...).
    pub field: String,
    /// What Azure has.
    pub observed: String,
    /// What the spec asks for.
    pub desired: String,
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} is {} in Azure, spec says {}",
            self.field, self.observed, self.desired
        )
    }
}

/// Kubernetes Event type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    /// Normal.
    Normal,
    /// Warning.
    Warning,
}

/// An Event for the controller to publish on the object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventNote {
    /// Normal or Warning.
    pub type_: EventType,
    /// A CamelCase reason (`Creating`, `DriftCorrected`, `Deleting`, `Failed`, ...).
    pub reason: &'static str,
    /// What happened, for humans.
    pub note: String,
}

impl EventNote {
    /// A Normal event.
    pub fn normal(reason: &'static str, note: impl Into<String>) -> Self {
        Self {
            type_: EventType::Normal,
            reason,
            note: note.into(),
        }
    }
    /// A Warning event.
    pub fn warning(reason: &'static str, note: impl Into<String>) -> Self {
        Self {
            type_: EventType::Warning,
            reason,
            note: note.into(),
        }
    }
}

/// When to reconcile again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Requeue {
    /// After this long (an operation's Retry-After, a wait, a backoff).
    After(Duration),
    /// At the regular sync interval (the controller adds jitter).
    Sync,
    /// Right away: the action finished and the next step can be decided.
    Now,
}

/// A plan: the action, the status to write (with the action's effect still to be recorded by
/// the controller, see the `started`/`failed` functions of each kind), the requeue, the Events,
/// and the drift the action corrects.
///
/// `A` is the kind of action: [`Action`] on the object's own ARM resource (endpoints,
/// deployments), or a type that names its target (the Workspace's network legs act on other
/// resources, see [`crate::network::NetworkAction`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Plan<S, A = Action> {
    /// The one step to take now.
    pub action: A,
    /// The status as known before the action runs.
    pub status: S,
    /// When to look again.
    pub requeue: Requeue,
    /// Events to publish.
    pub events: Vec<EventNote>,
    /// Drift that `action` corrects (counted by the drift metric).
    pub drift: Vec<Drift>,
}
