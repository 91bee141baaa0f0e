//! Serving HTTP connections: the accept loop, hyper's HTTP/1.1 with a header read timeout,
//! upgrades for WebSockets, the admin request deadline, and a graceful close on shutdown.
//!
//! `axum::serve` gives hyper no timer, and without one hyper never times out a request
//! head: a peer that sends a request line and headers but never the blank line holds its
//! connection (and a file descriptor) for ever. Here hyper gets a timer and
//! `--http-header-timeout-ms`; hyper starts that clock whenever it waits for a request
//! head, so it also bounds how long a kept-alive connection may sit idle between requests.
//! An upgraded WebSocket leaves hyper and is kept alive by its own pings and idle timeout.

use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use crate::http::error::ApiError;

/// Pause after a failed `accept` (e.g. out of file descriptors) before trying again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Serve `app` on `listener` until `stop`, then let open connections finish their request
/// (at most `grace`). Each request carries the peer address as [`ConnectInfo`].
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    header_timeout: Duration,
    stop: CancellationToken,
    grace: Duration,
) {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    let conns = TaskTracker::new();
    loop {
        let (tcp, peer) = tokio::select! {
            _ = stop.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::debug!(error = %e, "accept failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
        };
        // Events are small frames pushed to players who may send nothing in between:
        // without TCP_NODELAY, Nagle's algorithm holds them for the peer's delayed ACK
        // (tens of milliseconds per event).
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
        let app = app.clone();
        let service = service_fn(move |mut req: hyper::Request<Incoming>| {
            // The peer address feeds the per-address limits (`ws::guard`, `ws::per_ip`).
            req.extensions_mut().insert(ConnectInfo(peer));
            app.clone().oneshot(req)
        });
        let conn = builder
            .serve_connection(TokioIo::new(tcp), service)
            .with_upgrades();
        let stop = stop.clone();
        conns.spawn(async move {
            let mut conn = std::pin::pin!(conn);
            let result = tokio::select! {
                r = conn.as_mut() => r,
                _ = stop.cancelled() => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = result {
                tracing::debug!(error = %e, %peer, "HTTP connection ended with an error");
            }
        });
    }
    drop(listener);
    conns.close();
    if tokio::time::timeout(grace, conns.wait()).await.is_err() {
        tracing::warn!("HTTP connections still open after the grace period");
    }
}

/// Middleware: an admin API request that takes longer than the deadline is answered with
/// 503 (`store_unavailable`: a slow store is what makes them slow) instead of holding the
/// operator's client and a connection.
pub(crate) async fn admin_deadline(
    State(deadline): State<Duration>,
    req: Request,
    next: Next,
) -> Response {
    if !req.uri().path().starts_with("/api/") {
        return next.run(req).await;
    }
    match tokio::time::timeout(deadline, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => {
            tracing::warn!("admin request over its deadline");
            ApiError::StoreUnavailable.into_response()
        }
    }
}
