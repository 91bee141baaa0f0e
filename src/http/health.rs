//! Liveness, readiness and the metrics scrape.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::metrics;
use crate::state::AppState;

/// `GET /healthz`: 200 while the process runs.
pub async fn healthz() -> &'static str {
    "ok"
}

/// `GET /readyz`: 200 when the store answers within its timeout, else 503 with the reason.
pub async fn readyz(State(state): State<AppState>) -> Response {
    if state.shutdown.is_cancelled() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "unavailable", "reason": "shutting down"})),
        )
            .into_response();
    }
    match state.store.ping().await {
        Ok(()) => Json(json!({"status": "ready", "store": state.store.backend()})).into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({
                "status": "unavailable",
                "store": state.store.backend(),
                "reason": match e.kind() {
                    "timeout" => "store did not answer within its timeout",
                    "connection" => "no connection to the store",
                    _ => "store error",
                },
            })),
        )
            .into_response(),
    }
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(State(state): State<AppState>) -> Response {
    let sample = state.store.pool_stats().map(|p| metrics::StoreSample {
        pool_size: p.size,
        pool_connected: p.connected,
        in_flight: p.in_flight,
        reconnects: state.store.reconnects(),
    });
    let body = metrics::render(&state.metrics, sample);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}
