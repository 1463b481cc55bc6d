//! The emulator handle: start a server on 127.0.0.1, hand out its URL, kubeconfig, a kube-rs
//! client and the fault controls, and shut it down.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Value, json};
use tokio::task::JoinHandle;

use crate::config::KubeEmulatorConfig;
use crate::error::Error;
use crate::faults::Faults;
use crate::resources::GroupResource;
use crate::shared::Shared;
use crate::{controllers, http, kubeconfig, meta};

/// A running emulator. Dropping it without [`KubeEmulator::shutdown`] stops the server too,
/// less gracefully.
pub struct KubeEmulator {
    shared: Arc<Shared>,
    base_url: String,
    port: u16,
    kubeconfig_path: PathBuf,
    _kubeconfig_dir: Option<tempfile::TempDir>,
    server: Option<JoinHandle<()>>,
    background: Option<JoinHandle<()>>,
}

/// The namespaces a new cluster has.
const INITIAL_NAMESPACES: &[&str] = &["default", "kube-system", "kube-public", "kube-node-lease"];

impl KubeEmulator {
    /// Binds 127.0.0.1:`config.port`, writes the kubeconfig and starts serving.
    ///
    /// # Errors
    /// The port cannot be bound or the kubeconfig cannot be written.
    pub async fn start(config: KubeEmulatorConfig) -> Result<Self, Error> {
        let listener =
            tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], config.port)))
                .await
                .map_err(|source| Error::Bind {
                    port: config.port,
                    source,
                })?;
        let port = listener
            .local_addr()
            .map_err(|source| Error::Bind {
                port: config.port,
                source,
            })?
            .port();
        let certificates = if config.tls {
            Some(crate::tls::generate()?)
        } else {
            None
        };
        let scheme = if config.tls { "https" } else { "http" };
        let base_url = format!("{scheme}://127.0.0.1:{port}");
        let (kubeconfig_path, dir) = match &config.kubeconfig_path {
            Some(path) => (path.clone(), None),
            None => {
                let dir = tempfile::tempdir().map_err(Error::TempDir)?;
                (dir.path().join("kubeconfig"), Some(dir))
            }
        };
        std::fs::write(
            &kubeconfig_path,
            kubeconfig::render(
                &base_url,
                &config.token,
                certificates.as_ref().map(|c| c.ca_pem.as_str()),
            ),
        )
        .map_err(|source| Error::WriteKubeconfig {
            path: kubeconfig_path.clone(),
            source,
        })?;
        let shared = Arc::new(Shared::new(config, format!("127.0.0.1:{port}")));
        seed(&shared);
        let router = http::router(shared.clone());
        let token = shared.shutdown.clone();
        let server = match certificates {
            Some(certificates) => tokio::spawn(crate::serve::serve_tls(
                listener,
                certificates.server,
                router,
                token,
            )),
            None => tokio::spawn(async move {
                let result = axum::serve(listener, router)
                    .with_graceful_shutdown(async move { token.cancelled().await })
                    .await;
                if let Err(e) = result {
                    tracing::error!(error = %e, "kube-emulator server stopped");
                }
            }),
        };
        let background = tokio::spawn(controllers::run(shared.clone()));
        Ok(Self {
            shared,
            base_url,
            port,
            kubeconfig_path,
            _kubeconfig_dir: dir,
            server: Some(server),
            background: Some(background),
        })
    }

    /// `http://127.0.0.1:PORT`, or `https://...` with `tls: true`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The kubeconfig file (token auth, context namespace `default`).
    pub fn kubeconfig_path(&self) -> &Path {
        &self.kubeconfig_path
    }

    /// The bearer token the server demands.
    pub fn token(&self) -> &str {
        &self.shared.config.token
    }

    /// A kube-rs client configured from the emulator's kubeconfig.
    ///
    /// # Errors
    /// The kubeconfig cannot be read or the client cannot be built.
    pub async fn client(&self) -> Result<kube::Client, Error> {
        let kubeconfig = kube::config::Kubeconfig::read_from(&self.kubeconfig_path)
            .map_err(Error::Kubeconfig)?;
        let config = kube::Config::from_custom_kubeconfig(
            kubeconfig,
            &kube::config::KubeConfigOptions::default(),
        )
        .await
        .map_err(Error::Kubeconfig)?;
        kube::Client::try_from(config).map_err(Error::Client)
    }

    /// Every resource request so far, in RBAC terms (user agent, verb, group, resource).
    pub fn audit(&self) -> Vec<crate::AuditRecord> {
        self.shared.audit.records()
    }

    /// Scripted failures for this emulator.
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// Stores CRDs given as YAML (one or more documents), as `kubectl apply` of the files would,
    /// so the sandbox can start with the project's CRDs served.
    ///
    /// # Errors
    /// A document is not YAML or not a valid CRD.
    pub fn install_crds_yaml(&self, path: &Path, yaml: &str) -> Result<(), Error> {
        let load = |source: Box<dyn std::error::Error + Send + Sync>| Error::LoadCrd {
            path: path.to_owned(),
            source,
        };
        let docs: Vec<Value> = serde_saphyr::from_multiple(yaml).map_err(|e| load(Box::new(e)))?;
        let t = {
            let state = self.shared.lock();
            state
                .registry
                .get("apiextensions.k8s.io", "v1", "customresourcedefinitions")
        };
        let Some(t) = t else { return Ok(()) };
        let ctx = crate::http::internal_context();
        for doc in docs.into_iter().filter(|d| d.is_object()) {
            crate::http::create_or_replace(&self.shared, &t, doc, &ctx)
                .map_err(|e| load(e.message.into()))?;
        }
        Ok(())
    }

    /// Stores every `*.yaml` CRD in a directory (e.g. the project's `crds/`).
    ///
    /// # Errors
    /// A file cannot be read or holds an invalid CRD.
    pub fn install_crds_dir(&self, dir: &Path) -> Result<(), Error> {
        let entries = std::fs::read_dir(dir).map_err(|e| Error::LoadCrd {
            path: dir.to_owned(),
            source: Box::new(e),
        })?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
            .collect();
        files.sort();
        for file in files {
            let text = std::fs::read_to_string(&file).map_err(|e| Error::LoadCrd {
                path: file.clone(),
                source: Box::new(e),
            })?;
            self.install_crds_yaml(&file, &text)?;
        }
        Ok(())
    }

    /// How many objects the emulator holds of a (group, plural).
    pub fn object_count(&self, group: &str, plural: &str) -> usize {
        self.shared.lock().count(&GroupResource {
            group: group.to_owned(),
            resource: plural.to_owned(),
        })
    }

    /// Stops serving: open watches end, then the server and background loops stop.
    pub async fn shutdown(mut self) {
        self.shared.shutdown.cancel();
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        if let Some(background) = self.background.take() {
            let _ = background.await;
        }
    }
}

impl Drop for KubeEmulator {
    fn drop(&mut self) {
        self.shared.shutdown.cancel();
        if let Some(server) = self.server.take() {
            server.abort();
        }
        if let Some(background) = self.background.take() {
            background.abort();
        }
    }
}

/// The namespaces a fresh cluster has.
fn seed(shared: &Shared) {
    let mut state = shared.lock();
    let gr = GroupResource {
        group: String::new(),
        resource: "namespaces".to_owned(),
    };
    for name in INITIAL_NAMESPACES {
        let ns = json!({
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": name,
                "uid": meta::new_uid(),
                "creationTimestamp": meta::now(),
                "labels": {"kubernetes.io/metadata.name": name},
            },
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"},
        });
        state.put(&gr, (String::new(), (*name).to_owned()), ns);
    }
}
