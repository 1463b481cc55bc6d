//! Identity: the principals that may obtain tokens, the tokens issued to them, and the check of
//! a request's bearer token and scope.
//!
//! Invariant: a token is valid only if this emulator issued it, it has not expired, and its
//! principal still exists. Authorization is by ARM scope prefix (segment-wise, any case).

pub(crate) mod federation;
pub(crate) mod tokens;

pub(crate) use tokens::{Auth, Principal};
