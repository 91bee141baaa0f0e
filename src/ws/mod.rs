//! The WebSocket endpoint: admission (origin, connection cap, client address) and the
//! upgrade. One connection's life is in [`conn`]; what each client message does is in
//! [`handlers`], over the connection state in [`session`]. The limits on failed joins and
//! on connections per client address are in [`crate::guard`].

mod account;
mod conn;
mod handlers;
pub mod ratelimit;
mod session;

use std::net::{IpAddr, SocketAddr};

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;

pub use account::watch_revocations;
use crate::config::Config;
use crate::metrics as m;
use crate::state::AppState;

/// Smallest frame size read whole before refusing it (see [`upgrade`]).
const MAX_FRAME_FLOOR: usize = 256 * 1024;

/// `GET /ws`.
pub async fn upgrade(
    State(state): State<AppState>,
    // Absent when the router is served without connect info; the per-address limit is
    // then skipped rather than failing the upgrade.
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if state.shutdown.is_cancelled() {
        m::ws_rejected(m::RejectReason::ShuttingDown);
        return (StatusCode::SERVICE_UNAVAILABLE, "server is shutting down").into_response();
    }
    if !origin_allowed(&state.cfg, &headers) {
        m::ws_rejected(m::RejectReason::Origin);
        return (StatusCode::FORBIDDEN, "origin not allowed").into_response();
    }
    let Ok(permit) = state.conn_slots.clone().try_acquire_owned() else {
        m::ws_rejected(m::RejectReason::MaxConnections);
        return (StatusCode::SERVICE_UNAVAILABLE, "too many connections").into_response();
    };
    let ip = client_ip(
        &state.cfg,
        &headers,
        peer.map(|Extension(ConnectInfo(a))| a),
    );
    let Ok(ip_slot) = state.per_ip.acquire(ip) else {
        m::ws_rejected(m::RejectReason::PerIp);
        return (
            StatusCode::TOO_MANY_REQUESTS,
            "too many connections from your address",
        )
            .into_response();
    };
    // Non-browser clients may sign in on the upgrade itself; a bad token there is refused
    // before the socket exists.
    let identity = match bearer(&headers) {
        Some(token) => match account::verify(&state, token).await {
            Ok(identity) => Some(identity),
            Err(e) => return (StatusCode::UNAUTHORIZED, e.message).into_response(),
        },
        None => None,
    };
    let max = state.cfg.max_message_bytes;
    let tracker = state.tracker.clone();
    ws.max_message_size(max)
        // Frames up to this size are read whole before the message limit refuses them, so
        // the socket has no unread bytes when we close with 1009 (unread bytes would make
        // the kernel answer with a reset, which browsers report as 1006).
        .max_frame_size(max.saturating_mul(4).max(MAX_FRAME_FLOOR))
        // Small buffers keep idle connections cheap; they grow on demand. The read buffer is
        // allocated up front and zero-filled before every read, and a client frame is about
        // a hundred bytes, so 1 KiB holds several; a larger frame reserves its own length.
        .read_buffer_size(1024)
        .write_buffer_size(8 * 1024)
        .max_write_buffer_size(1024 * 1024)
        .on_failed_upgrade(|e| tracing::debug!(error = %e, "websocket upgrade failed"))
        .on_upgrade(move |socket| {
            let slots = conn::Slots {
                _permit: permit,
                _per_ip: ip_slot,
            };
            tracker.track_future(conn::run(Box::new(socket), state, slots, ip, identity))
        })
}

/// The token of an `Authorization: Bearer` header, if the request has one.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
        .filter(|t| !t.is_empty())
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

/// The client's address: the last entry of `--client-ip-header` when configured and
/// parseable (the entry the nearest proxy wrote), else the TCP peer.
fn client_ip(cfg: &Config, headers: &HeaderMap, peer: Option<SocketAddr>) -> Option<IpAddr> {
    let forwarded = cfg
        .client_ip_header
        .as_deref()
        .and_then(|name| headers.get_all(name).iter().next_back())
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .and_then(|last| parse_ip(last.trim()));
    forwarded.or(peer.map(|p| p.ip()))
}

/// An address as proxies write it: bare, or with a port (`1.2.3.4:5`, `[::1]:5`).
fn parse_ip(s: &str) -> Option<IpAddr> {
    s.parse::<IpAddr>()
        .ok()
        .or_else(|| s.parse::<SocketAddr>().ok().map(|a| a.ip()))
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

    #[test]
    fn client_ip_from_peer_or_header() {
        let peer: SocketAddr = "10.0.0.1:5555".parse().expect("literal");
        let mut h = headers(None, "a:1");
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("1.1.1.1, 2.2.2.2"),
        );
        let mut cfg = Config::defaults();
        assert_eq!(client_ip(&cfg, &h, Some(peer)), Some(peer.ip()));
        assert_eq!(client_ip(&cfg, &h, None), None);
        cfg.client_ip_header = Some("X-Forwarded-For".into());
        let last: IpAddr = "2.2.2.2".parse().expect("literal");
        assert_eq!(client_ip(&cfg, &h, Some(peer)), Some(last));
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("[2001:db8::1]:443"),
        );
        let v6: IpAddr = "2001:db8::1".parse().expect("literal");
        assert_eq!(client_ip(&cfg, &h, Some(peer)), Some(v6));
        h.insert("x-forwarded-for", HeaderValue::from_static("garbage"));
        assert_eq!(client_ip(&cfg, &h, Some(peer)), Some(peer.ip()));
    }
}
