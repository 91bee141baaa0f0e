//! The WebSocket endpoint: admission (origin, connection cap) and the upgrade. One
//! connection's life is in [`conn`]; what each client message does is in [`handlers`].

mod conn;
mod handlers;
pub mod ratelimit;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::config::Config;
use crate::metrics as m;
use crate::state::AppState;

/// Smallest frame size read whole before refusing it (see [`upgrade`]).
const MAX_FRAME_FLOOR: usize = 256 * 1024;

/// `GET /ws`.
pub async fn upgrade(
    State(state): State<AppState>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if state.shutdown.is_cancelled() {
        m::ws_rejected("shutting_down");
        return (StatusCode::SERVICE_UNAVAILABLE, "server is shutting down").into_response();
    }
    if !origin_allowed(&state.cfg, &headers) {
        m::ws_rejected("origin");
        return (StatusCode::FORBIDDEN, "origin not allowed").into_response();
    }
    let Ok(permit) = state.conn_slots.clone().try_acquire_owned() else {
        m::ws_rejected("max_connections");
        return (StatusCode::SERVICE_UNAVAILABLE, "too many connections").into_response();
    };
    let max = state.cfg.max_message_bytes;
    let tracker = state.tracker.clone();
    ws.max_message_size(max)
        // Frames up to this size are read whole before the message limit refuses them, so
        // the socket has no unread bytes when we close with 1009 (unread bytes would make
        // the kernel answer with a reset, which browsers report as 1006).
        .max_frame_size(max.saturating_mul(4).max(MAX_FRAME_FLOOR))
        // Small buffers keep idle connections cheap; they grow on demand.
        .read_buffer_size(4 * 1024)
        .write_buffer_size(8 * 1024)
        .max_write_buffer_size(1024 * 1024)
        .on_failed_upgrade(|e| tracing::debug!(error = %e, "websocket upgrade failed"))
        .on_upgrade(move |socket| tracker.track_future(conn::run(socket, state, permit)))
}

/// Cross-site WebSocket hijacking guard. Clients that send no `Origin` (non-browsers) are
/// let in; a browser's `Origin` must be on the allow-list, or, with no list configured,
/// name the same host the request was sent to.
fn origin_allowed(cfg: &Config, headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    if !cfg.allowed_origins.is_empty() {
        return cfg
            .allowed_origins
            .iter()
            .any(|o| o == "*" || o.trim_end_matches('/').eq_ignore_ascii_case(origin));
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin_host = origin.split("://").nth(1);
    matches!((host, origin_host), (Some(h), Some(o)) if h.eq_ignore_ascii_case(o))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(origin: Option<&'static str>, host: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static(host));
        if let Some(o) = origin {
            h.insert(header::ORIGIN, HeaderValue::from_static(o));
        }
        h
    }

    #[test]
    fn same_host_by_default() {
        let cfg = Config::defaults();
        assert!(origin_allowed(&cfg, &headers(None, "a:1")));
        assert!(origin_allowed(&cfg, &headers(Some("http://a:1"), "a:1")));
        assert!(!origin_allowed(
            &cfg,
            &headers(Some("http://evil.example"), "a:1")
        ));
    }

    #[test]
    fn allow_list() {
        let mut cfg = Config::defaults();
        cfg.allowed_origins = vec!["https://game.example".into()];
        assert!(origin_allowed(
            &cfg,
            &headers(Some("https://game.example"), "x")
        ));
        assert!(!origin_allowed(
            &cfg,
            &headers(Some("https://x.example"), "x")
        ));
        cfg.allowed_origins = vec!["*".into()];
        assert!(origin_allowed(
            &cfg,
            &headers(Some("https://x.example"), "x")
        ));
    }
}
