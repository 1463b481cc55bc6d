//! Starting and stopping an emulator: bind 127.0.0.1, generate TLS material, seed the world,
//! and serve each connection with hyper (HTTP/1.1) in front of the axum router.
//!
//! The hyper layer canonicalises the fixed words of the path before routing (ARM matches them
//! case-insensitively) and turns a `ResetConnection` marker into a dropped connection.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;

use crate::admin::Admin;
use crate::auth::{Auth, Principal};
use crate::config::EmulatorConfig;
use crate::error::Error;
use crate::faults::FaultSet;
use crate::http::{ResetConnection, router};
use crate::journal::{Journal, JournalEntry};
use crate::state::{AppState, SharedState};
use crate::throttle::Throttle;
use crate::wire::path::canonicalize;
use crate::world::World;

/// A running emulator. Dropping it stops the listener; [`Emulator::shutdown`] also waits.
#[derive(Debug)]
pub struct Emulator {
    state: SharedState,
    addr: SocketAddr,
    ca_pem: Option<String>,
    ca_path: Option<PathBuf>,
    temp_dir: Option<PathBuf>,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

/// The error hyper sees when a fault asks for a connection reset.
#[derive(Debug)]
struct InjectedReset;

impl std::fmt::Display for InjectedReset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection reset injected by a fault rule")
    }
}

impl std::error::Error for InjectedReset {}

impl Emulator {
    /// Start an emulator on 127.0.0.1.
    ///
    /// # Errors
    /// When the port cannot be bound, TLS material cannot be generated or written, the seed is
    /// invalid or the journal file cannot be created.
    pub async fn start(config: EmulatorConfig) -> Result<Self, Error> {
        let listener = TcpListener::bind(("127.0.0.1", config.port))
            .await
            .map_err(|source| Error::Bind {
                port: config.port,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| Error::Bind {
            port: config.port,
            source,
        })?;
        let (tls, temp_dir) = if config.tls {
            let (dir, temp) = match &config.tls_dir {
                Some(d) => (d.clone(), None),
                None => {
                    let d =
                        std::env::temp_dir().join(format!("arm-emulator-{}", uuid::Uuid::new_v4()));
                    (d.clone(), Some(d))
                }
            };
            (Some(crate::tls::generate(&dir)?), temp)
        } else {
            (None, None)
        };
        let scheme = if tls.is_some() { "https" } else { "http" };
        let base_url = format!("{scheme}://127.0.0.1:{}", addr.port());
        let journal = Arc::new(Journal::new(config.journal_path.as_deref())?);
        let config = Arc::new(config);
        let mut world = World::new(config.clone(), journal.clone());
        world.apply_seed(&config.seed)?;
        let auth = Auth::default();
        for p in &config.seed.principals {
            auth.add_principal(Principal::from_seed(p));
        }
        let state = Arc::new(AppState {
            config: config.clone(),
            world: Mutex::new(world),
            journal,
            throttle: Throttle::new(config.throttle),
            faults: FaultSet::new(config.faults.clone()),
            auth,
            base_url: base_url.clone(),
        });
        let app = router(state.clone());
        let (shutdown, shutdown_rx) = watch::channel(false);
        let acceptor = tls
            .as_ref()
            .map(|t| tokio_rustls::TlsAcceptor::from(t.server_config.clone()));
        let task = tokio::spawn(accept_loop(listener, acceptor, app, shutdown_rx));
        tracing::info!(%base_url, "arm-emulator started");
        Ok(Self {
            state,
            addr,
            ca_pem: tls.as_ref().map(|t| t.ca_pem.clone()),
            ca_path: tls.map(|t| t.ca_path),
            temp_dir,
            shutdown,
            task: Some(task),
        })
    }

    /// The ARM endpoint, e.g. `https://127.0.0.1:PORT`.
    pub fn base_url(&self) -> &str {
        &self.state.base_url
    }

    /// The Entra-ID-like authority host for azure_identity (same server as ARM).
    pub fn authority_host(&self) -> &str {
        &self.state.base_url
    }

    /// The socket address served.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Path of the CA PEM (with TLS).
    pub fn ca_pem_path(&self) -> Option<&Path> {
        self.ca_path.as_deref()
    }

    /// The CA PEM (with TLS).
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// A valid bearer token for a seeded principal (see [`Admin::issue_token`]).
    pub fn issue_token(&self, client_id: &str) -> String {
        self.admin().issue_token(client_id)
    }

    /// Every journal entry so far.
    pub fn journal(&self) -> Vec<JournalEntry> {
        self.admin().journal()
    }

    /// The admin controls.
    pub fn admin(&self) -> Admin {
        Admin {
            state: self.state.clone(),
        }
    }

    /// Stop accepting, close every connection and wait for the server task.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        if let Some(dir) = self.temp_dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            task.abort();
        }
        if let Some(dir) = self.temp_dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    app: Router,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        tokio::select! {
            _ = shutdown.changed() => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let app = app.clone();
                match &acceptor {
                    Some(acceptor) => {
                        let acceptor = acceptor.clone();
                        connections.spawn(async move {
                            if let Ok(tls) = acceptor.accept(stream).await {
                                serve_connection(tls, app).await;
                            }
                        });
                    }
                    None => {
                        connections.spawn(serve_connection(stream, app));
                    }
                }
            }
        }
    }
    connections.shutdown().await;
}

async fn serve_connection<I>(io: I, app: Router)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let app = app.clone();
        async move {
            let (mut parts, body) = req.into_parts();
            let canonical = canonicalize(parts.uri.path());
            if canonical != parts.uri.path() {
                let rebuilt = match parts.uri.query() {
                    Some(q) => format!("{canonical}?{q}"),
                    None => canonical,
                };
                if let Ok(uri) = rebuilt.parse() {
                    parts.uri = uri;
                }
            }
            let req = axum::http::Request::from_parts(parts, axum::body::Body::new(body));
            let response = match app.oneshot(req).await {
                Ok(r) => r,
                Err(never) => match never {},
            };
            if response.extensions().get::<ResetConnection>().is_some() {
                return Err(InjectedReset);
            }
            Ok(response)
        }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(io), service)
        .await;
}
