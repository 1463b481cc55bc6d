//! Errors of the emulator's own lifecycle (start-up, seeding, TLS, shutdown).
//!
//! Errors that the emulated ARM answers on the wire are not here: they are `wire::ArmError`
//! values, rendered as ARM error bodies.

use std::path::PathBuf;

/// Why the emulator could not start, load a seed or write its files.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Binding the loopback listener failed (port in use, permissions).
    #[error("failed to bind 127.0.0.1:{port}")]
    Bind {
        /// The port that was asked for (0 = any).
        port: u16,
        /// The socket error.
        #[source]
        source: std::io::Error,
    },
    /// Generating the CA or the server certificate failed.
    #[error("failed to generate the emulator's TLS certificates")]
    CertificateGeneration(#[source] rcgen::Error),
    /// Building the rustls server configuration failed.
    #[error("failed to configure TLS")]
    TlsConfig(#[source] rustls::Error),
    /// Writing a file (CA PEM, journal) failed.
    #[error("failed to write {path}")]
    WriteFile {
        /// The file that could not be written.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Reading a seed file failed.
    #[error("failed to read seed file {path}")]
    ReadSeed {
        /// The seed file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A seed document is not valid YAML for the seed schema.
    #[error("failed to parse seed YAML")]
    ParseSeedYaml(#[source] serde_saphyr::Error),
    /// A seed document is not valid JSON for the seed schema.
    #[error("failed to parse seed JSON")]
    ParseSeedJson(#[source] serde_json::Error),
    /// A seed document parsed but describes something the emulator cannot hold.
    #[error("invalid seed: {0}")]
    InvalidSeed(String),
    /// An admin call named a resource or a state that does not exist.
    #[error("failed to apply admin action: {0}")]
    Admin(String),
}
