//! Errors of starting and driving an emulator (request errors are [`crate::status`] values).

use std::path::PathBuf;

/// Why an emulator could not start or hand out a client.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("failed to bind 127.0.0.1:{port}")]
    Bind {
        port: u16,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to create a temporary directory for the kubeconfig")]
    TempDir(#[source] std::io::Error),
    #[error("failed to write the kubeconfig to {path}")]
    WriteKubeconfig {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to read the emulator's kubeconfig")]
    Kubeconfig(#[source] kube::config::KubeconfigError),
    #[error("failed to build a kube client for the emulator")]
    Client(#[source] kube::Error),
    #[error("failed to generate the emulator's certificates")]
    Certificate(#[source] rcgen::Error),
    #[error("failed to configure TLS")]
    Tls(#[source] rustls::Error),
    #[error("failed to load CRD manifest {path}")]
    LoadCrd {
        path: PathBuf,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}
