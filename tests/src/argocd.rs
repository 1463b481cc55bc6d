//! Runs our Argo CD health checks (`deploy/argocd/aml-operator.io/<Kind>/health.lua`) the way
//! Argo CD does, in an embedded Lua 5.1, so tests can ask "what would Argo CD show for this
//! object?".
//!
//! Fidelity to Argo CD (its `util/lua` VM and gitops-engine's health entry point):
//! - the object is handed to the script as the global `obj`, converted value by value from JSON
//!   (JSON `null` becomes `nil`, so a null field reads as absent; numbers are Lua numbers);
//! - only the libraries Argo CD opens for scripts from `argocd-cm` are open: base, table and
//!   package (`os` in Argo is a reduced "safe" copy; none of our scripts use it). `string`,
//!   `math`, `io` and `debug` are absent, so a script that would fail in Argo fails here;
//! - the script's returned table is read as `{status, message}`; a status outside Argo's set
//!   reads as `Unknown` with Argo's message "Lua returned an invalid health status";
//! - [`health`] first applies gitops-engine's own rule that an object being deleted is
//!   `Progressing` / "Pending deletion", before any script runs.
//!
//! Instead of Argo's one-second wall-clock timeout the VM gets an instruction budget, so a
//! runaway script fails the same way on every machine.

use std::cell::Cell;

use mlua::{HookTriggers, Lua, LuaOptions, StdLib, VmState};
use serde_json::Value;

/// The kinds we ship a health check for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `Workspace.aml-operator.io`
    Workspace,
    /// `OnlineEndpoint.aml-operator.io`
    OnlineEndpoint,
    /// `OnlineDeployment.aml-operator.io`
    OnlineDeployment,
}

impl Kind {
    /// Every kind, in dependency order.
    pub const ALL: [Kind; 3] = [
        Kind::Workspace,
        Kind::OnlineEndpoint,
        Kind::OnlineDeployment,
    ];

    /// The kind's name as in `kind:`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Workspace => "Workspace",
            Self::OnlineEndpoint => "OnlineEndpoint",
            Self::OnlineDeployment => "OnlineDeployment",
        }
    }

    /// The kind named by an object's `apiVersion` and `kind`, if it is one of ours.
    pub fn of(obj: &Value) -> Option<Kind> {
        let api_version = obj.get("apiVersion")?.as_str()?;
        if !api_version.starts_with("aml-operator.io/") {
            return None;
        }
        Self::ALL
            .into_iter()
            .find(|k| obj.get("kind").and_then(Value::as_str) == Some(k.as_str()))
    }

    /// The directory of the kind's health check under `deploy/argocd/`, in Argo CD's
    /// resource-customization layout.
    pub fn customization_dir(self) -> String {
        format!("aml-operator.io/{}", self.as_str())
    }

    /// The health script shipped for the kind (compiled in, so a test runs what is committed).
    pub fn health_script(self) -> &'static str {
        match self {
            Self::Workspace => {
                include_str!("../../deploy/argocd/aml-operator.io/Workspace/health.lua")
            }
            Self::OnlineEndpoint => {
                include_str!("../../deploy/argocd/aml-operator.io/OnlineEndpoint/health.lua")
            }
            Self::OnlineDeployment => {
                include_str!("../../deploy/argocd/aml-operator.io/OnlineDeployment/health.lua")
            }
        }
    }
}

/// Argo CD's health codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HealthStatusCode {
    /// Healthy
    Healthy,
    /// Progressing
    Progressing,
    /// Degraded
    Degraded,
    /// Suspended
    Suspended,
    /// Missing
    Missing,
    /// Unknown
    Unknown,
}

impl HealthStatusCode {
    /// Parses Argo's spelling; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "Healthy" => Self::Healthy,
            "Progressing" => Self::Progressing,
            "Degraded" => Self::Degraded,
            "Suspended" => Self::Suspended,
            "Missing" => Self::Missing,
            "Unknown" => Self::Unknown,
            _ => return None,
        })
    }

    /// Argo's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Healthy => "Healthy",
            Self::Progressing => "Progressing",
            Self::Degraded => "Degraded",
            Self::Suspended => "Suspended",
            Self::Missing => "Missing",
            Self::Unknown => "Unknown",
        }
    }
}

impl std::fmt::Display for HealthStatusCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What Argo CD shows for a resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HealthStatus {
    /// The health code.
    pub status: HealthStatusCode,
    /// The message (empty when the script sets none).
    pub message: String,
}

/// Why a health script could not be evaluated.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The Lua VM could not be set up.
    #[error("failed to set up the Lua VM")]
    Setup(#[source] mlua::Error),
    /// The object could not be handed to Lua.
    #[error("failed to convert the object to Lua")]
    Convert(#[source] mlua::Error),
    /// The script failed to load or raised an error (Argo shows the resource's health as
    /// unknown with this error).
    #[error("failed to run the health script")]
    Script(#[source] mlua::Error),
    /// The script returned something other than a table.
    #[error("failed to read the health script's result: expected a table, got {0}")]
    NotATable(&'static str),
    /// A field of the returned table is not a string.
    #[error("failed to read the health script's result: `{0}` is not a string")]
    FieldNotString(&'static str),
}

/// Instructions a script may run before it is stopped (ours run a few hundred).
const INSTRUCTION_BUDGET: u64 = 10_000_000;
const HOOK_EVERY: u32 = 1_000;

/// Argo CD's health verdict for one of our objects: gitops-engine's deletion rule, then the
/// kind's shipped script.
///
/// # Errors
/// See [`Error`].
pub fn health(kind: Kind, obj: &Value) -> Result<HealthStatus, Error> {
    let deleting = obj
        .get("metadata")
        .and_then(|m| m.get("deletionTimestamp"))
        .is_some_and(|ts| !ts.is_null());
    if deleting {
        return Ok(HealthStatus {
            status: HealthStatusCode::Progressing,
            message: "Pending deletion".to_owned(),
        });
    }
    run_health_script(kind.health_script(), obj)
}

/// Runs a health script on an object exactly as Argo CD's Lua VM does (without the deletion
/// rule that gitops-engine applies before it; see [`health`]).
///
/// # Errors
/// See [`Error`].
pub fn run_health_script(script: &str, obj: &Value) -> Result<HealthStatus, Error> {
    let lua = Lua::new_with(StdLib::TABLE | StdLib::PACKAGE, LuaOptions::default())
        .map_err(Error::Setup)?;
    let spent = Cell::new(0u64);
    lua.set_hook(
        HookTriggers::new().every_nth_instruction(HOOK_EVERY),
        move |_, _| {
            spent.set(spent.get() + u64::from(HOOK_EVERY));
            if spent.get() > INSTRUCTION_BUDGET {
                return Err(mlua::Error::runtime(
                    "health script exceeded its instruction budget",
                ));
            }
            Ok(VmState::Continue)
        },
    )
    .map_err(Error::Setup)?;

    let value = to_lua(&lua, obj).map_err(Error::Convert)?;
    lua.globals().set("obj", value).map_err(Error::Convert)?;
    let result: mlua::Value = lua
        .load(script)
        .set_name("health.lua")
        .eval()
        .map_err(Error::Script)?;
    let mlua::Value::Table(table) = result else {
        return Err(Error::NotATable(result.type_name()));
    };
    let status = string_field(&table, "status")?;
    let message = string_field(&table, "message")?;
    Ok(match HealthStatusCode::parse(&status) {
        Some(code) => HealthStatus {
            status: code,
            message,
        },
        None => HealthStatus {
            status: HealthStatusCode::Unknown,
            message: "Lua returned an invalid health status".to_owned(),
        },
    })
}

fn string_field(table: &mlua::Table, name: &'static str) -> Result<String, Error> {
    match table.raw_get::<mlua::Value>(name) {
        Ok(mlua::Value::Nil) => Ok(String::new()),
        Ok(mlua::Value::String(s)) => Ok(s.to_string_lossy()),
        _ => Err(Error::FieldNotString(name)),
    }
}

/// JSON → Lua as Argo's `decodeValue` does it.
fn to_lua(lua: &Lua, value: &Value) -> mlua::Result<mlua::Value> {
    Ok(match value {
        Value::Null => mlua::Value::Nil,
        Value::Bool(b) => mlua::Value::Boolean(*b),
        Value::Number(n) => mlua::Value::Number(n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => mlua::Value::String(lua.create_string(s)?),
        Value::Array(items) => {
            let table = lua.create_table_with_capacity(items.len(), 0)?;
            for item in items {
                table.raw_push(to_lua(lua, item)?)?;
            }
            mlua::Value::Table(table)
        }
        Value::Object(map) => {
            let table = lua.create_table_with_capacity(0, map.len())?;
            for (key, item) in map {
                table.raw_set(key.as_str(), to_lua(lua, item)?)?;
            }
            mlua::Value::Table(table)
        }
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
#[path = "argocd_tests.rs"]
mod tests;
