//! The contract suite: each test states a behaviour of the real kube-apiserver and checks it.
//! Unset `KUBE_CONTRACT_KUBECONFIG` → a fresh emulator per test; set → the cluster it names.

#![allow(clippy::unwrap_used)]

mod harness;

mod admission;
mod crud;
mod discovery;
mod faults;
mod leases;
mod lifecycle;
mod list_watch;
mod patches;
mod runtime;
mod serviceaccounts;
mod watches;
