//! Serde models of every body the operator reads or writes, with Microsoft's member names and
//! enum spellings. Unknown members are kept in each type's `extra` map and unknown enum values
//! in `Other`, so a read-modify-write PUT never erases what someone else set.

mod common;
mod network;
mod online_deployment;
mod online_endpoint;
mod operation_status;
mod private_dns;
mod wire_enum;
mod workspace;

pub use common::*;
pub use network::*;
pub use online_deployment::*;
pub use online_endpoint::*;
pub use operation_status::*;
pub use private_dns::*;
pub use workspace::*;

#[cfg(test)]
mod tests;
