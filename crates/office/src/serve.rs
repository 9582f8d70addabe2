//! Serving the API with limits (issue 11, #10). `axum::serve` has no header timeout and no
//! connection cap: a client that sent half a header block held its connection for as long as it
//! liked, and enough of them would hold every socket. Here each connection is HTTP/1.1 with a
//! header read timeout, at most `max_connections` are open (one more is closed at once), and
//! every request is answered within `request_timeout` (the export of a retrieval included).
//! The policy's `[office]` section sets the three.
//!
//! With a certificate and key (`mimamori serve --tls-cert --tls-key`, issue 13) each connection
//! is TLS (rustls), its handshake held to the same header timeout: the session cookie is
//! `Secure`, and anywhere but loopback the office must be reached over TLS. A ward may as well
//! put its own reverse proxy in front; this is for the ward that has none.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use mimamori_policy::Office;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use crate::error::ApiError;
use crate::throttle::{client_of, Peer};

/// How long open connections get to finish once shutdown begins.
const DRAIN: Duration = Duration::from_secs(10);

/// TLS for `serve`, from PEM files: the certificate chain (leaf first) and its private key.
pub fn tls_acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, TlsError> {
    let read = |path: &Path| TlsError::Read(path.display().to_string());
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(|_| read(cert))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| read(cert))?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate(cert.display().to_string()));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|_| read(key))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {0} as PEM (TLS の証明書・鍵を読めません)")]
    Read(String),
    #[error("{0} holds no certificate (証明書がありません)")]
    NoCertificate(String),
    #[error("the certificate and key do not make a TLS server: {0}")]
    Config(String),
}

/// Serves `router` on `listener` until `shutdown` completes, then lets open connections finish
/// (for at most [`DRAIN`]).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: &Office,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    serve_with(listener, router, limits, None, shutdown).await
}

/// [`serve`], over TLS when `tls` is given.
pub async fn serve_with(
    listener: TcpListener,
    router: Router,
    limits: &Office,
    tls: Option<TlsAcceptor>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let request_timeout = limits.request_timeout;
    let router = router.layer(axum::middleware::from_fn(move |req, next| {
        deadline(request_timeout, req, next)
    }));
    let slots = Arc::new(Semaphore::new(limits.max_connections as usize));
    let trusted: Arc<[std::net::IpAddr]> = limits.trusted_proxies.clone().into();
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Answers are small: send them at once rather than waiting to fill a packet.
        let _ = stream.set_nodelay(true);
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::warn!(%peer, "connection refused: max_connections reached");
            drop(stream);
            continue;
        };
        // The client's address goes with each request: sign-ins and the inquiry form are
        // throttled by it (#9, issue 14); behind one of the ward's own proxies it is the one the
        // proxy forwarded. The router is shared, not layered again per connection (that cost a
        // millisecond each).
        let ip = peer.ip();
        let proxies = trusted.clone();
        let service = TowerToHyperService::new(router.clone().map_request(
            move |mut req: axum::http::Request<hyper::body::Incoming>| {
                let forwarded = req
                    .headers()
                    .get("x-forwarded-for")
                    .and_then(|v| v.to_str().ok());
                let client = client_of(ip, forwarded, &proxies);
                req.extensions_mut().insert(Peer(client));
                req
            },
        ));
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout);
        let watcher = graceful.watcher();
        let (tls, handshake) = (tls.clone(), limits.header_timeout);
        tokio::spawn(async move {
            let served = match tls {
                None => {
                    let conn = http.serve_connection(TokioIo::new(stream), service);
                    watcher.watch(conn).await
                }
                // The handshake has the header timeout too: a silent client is dropped.
                Some(acceptor) => {
                    match tokio::time::timeout(handshake, acceptor.accept(stream)).await {
                        Ok(Ok(stream)) => {
                            let conn = http.serve_connection(TokioIo::new(stream), service);
                            watcher.watch(conn).await
                        }
                        Ok(Err(e)) => {
                            tracing::debug!(%peer, error = %e, "TLS handshake failed");
                            Ok(())
                        }
                        Err(_) => {
                            tracing::debug!(%peer, "TLS handshake timed out");
                            Ok(())
                        }
                    }
                }
            };
            if let Err(e) = served {
                tracing::debug!(%peer, error = %e, "connection closed");
            }
            drop(slot);
        });
    }
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(DRAIN) => tracing::warn!("connections still open after the drain"),
    }
    Ok(())
}

/// A request is answered within `limit`, or refused.
async fn deadline(limit: Duration, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            format!(
                "the request took longer than the {} s the server allows",
                limit.as_secs()
            ),
            format!("リクエストが許容時間（{}秒）を超えました", limit.as_secs()),
        )
        .into_response(),
    }
}
