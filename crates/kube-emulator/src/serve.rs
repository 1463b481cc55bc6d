//! The HTTPS accept loop (plain HTTP uses `axum::serve`): TLS handshakes and HTTP/1.1
//! connections served by the same router, stopped by the shutdown token.

use std::sync::Arc;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt as _;

pub(crate) async fn serve_tls(
    listener: TcpListener,
    server: Arc<rustls::ServerConfig>,
    app: Router,
    stop: CancellationToken,
) {
    let acceptor = tokio_rustls::TlsAcceptor::from(server);
    let mut connections = JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        tokio::select! {
            _ = stop.cancelled() => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let acceptor = acceptor.clone();
                let app = app.clone();
                connections.spawn(async move {
                    if let Ok(tls) = acceptor.accept(stream).await {
                        let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                            let app = app.clone();
                            async move {
                                let (parts, body) = req.into_parts();
                                let req = axum::http::Request::from_parts(parts, axum::body::Body::new(body));
                                app.oneshot(req).await
                            }
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .keep_alive(true)
                            .serve_connection(TokioIo::new(tls), service)
                            .await;
                    }
                });
            }
        }
    }
    connections.shutdown().await;
}
