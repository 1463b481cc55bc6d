//! Integration-test support for aml-operator: oracles that judge what the controller writes.
//!
//! - [`kstatus`]: a port of kstatus' status computation (Flux `wait`/`healthChecks`, kpt);
//! - [`argocd`]: our shipped Argo CD health checks run in an embedded Lua 5.1 as Argo CD runs them;
//! - [`argocd_cases`]: the `health_test.yaml` cases shipped beside each health check;
//! - [`gitops`]: both readings of one object, and whether they agree;
//! - [`e2e`]: the real binary against both emulators, with the invariants every run must keep.
//!
//! End-to-end tests (the real binary against both emulators) live in `tests/tests/`.

pub mod argocd;
pub mod argocd_cases;
pub mod e2e;
pub mod gitops;
pub mod kstatus;
