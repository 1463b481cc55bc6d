//! Start-up settings of an emulator.

use std::path::PathBuf;
use std::time::Duration;

/// How to start a [`crate::KubeEmulator`].
#[derive(Debug, Clone)]
pub struct KubeEmulatorConfig {
    /// TCP port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Where to write the kubeconfig; `None` writes it into a temporary directory that lives as
    /// long as the emulator.
    pub kubeconfig_path: Option<PathBuf>,
    /// The bearer token the kubeconfig carries and the server demands.
    pub token: String,
    /// Serve HTTPS with a generated CA (in the kubeconfig) instead of plain HTTP. Over HTTPS
    /// kubectl sends the token, so requests without it are refused as on a real cluster.
    pub tls: bool,
    /// How many past write events a watch can resume from; older resourceVersions get 410 Gone
    /// (what etcd compaction does on a real cluster).
    pub watch_history: usize,
    /// How often a watch that asked for bookmarks receives one (a real apiserver: about a minute).
    pub bookmark_interval: Duration,
    /// The longest a watch lasts when the client sets no `timeoutSeconds`.
    pub max_watch_timeout: Duration,
}

impl Default for KubeEmulatorConfig {
    fn default() -> Self {
        Self {
            port: 0,
            kubeconfig_path: None,
            token: "kube-emulator-token".to_owned(),
            tls: false,
            watch_history: 10_000,
            bookmark_interval: Duration::from_secs(5),
            max_watch_timeout: Duration::from_secs(1800),
        }
    }
}
