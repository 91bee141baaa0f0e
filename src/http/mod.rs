//! The HTTP surface: health and metrics, the admin API (rooms, and the results webhook's
//! outbox in [`webhooks`]; one router, behind the token,
//! with its public OpenAPI document and docs page), the public documents of the WebSocket
//! protocol, the WebSocket endpoint, the embedded browser client and admin console. Every
//! request gets an id and is measured ([`observe`]).

pub mod admin;
mod auth;
mod docs;
pub mod error;
mod extract;
mod health;
mod observe;
pub mod openapi;
pub mod params;
mod protocol;
mod responses;
pub mod users;
mod web;
pub mod webhooks;

use axum::http::{HeaderValue, Method};
use axum::middleware;
use axum::routing::{any, delete, get, post};
use axum::Router;
use tower_http::cors::CorsLayer;
use tower_http::trace::TraceLayer;

use self::error::ApiError;
use crate::state::AppState;
use crate::ws;

/// The whole application router.
pub fn router(state: AppState) -> Router {
    crate::metrics::http_init(state.cfg.max_connections);
    let admin = Router::new()
        .route("/rooms", get(admin::list_rooms))
        .route(
            "/rooms/{code}",
            get(admin::get_room).delete(admin::delete_room),
        )
        .route("/rooms/{code}/players", get(admin::get_players))
        .route("/rooms/{code}/history", get(admin::get_history))
        .route(
            "/rooms/{code}/players/{player_id}",
            delete(admin::kick_player),
        )
        .route("/stats", get(admin::stats))
        .route("/users/{sub}/rooms", get(users::user_rooms))
        .route("/users/{sub}/revoke", post(users::revoke))
        .route("/webhooks", get(webhooks::webhook_stats))
        .route("/webhooks/dead", get(webhooks::dead_letters))
        .route("/webhooks/dead/{id}", delete(webhooks::delete_dead))
        .route("/webhooks/dead/{id}/retry", post(webhooks::retry_dead))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_token,
        ))
        // Added after the token layer, so public: they describe the API, hold no data.
        .route("/openapi.json", get(openapi::openapi_json))
        .route("/docs", get(docs::index))
        .route("/docs/{file}", get(docs::asset))
        .merge(protocol::routes(state.rooms.games()))
        // Every rejection under /api/v1 is JSON, axum's own included.
        // An explicit catch-all: it outranks the web client's `/{*file}` under /api/v1.
        .route("/", any(|| async { ApiError::NoRoute }))
        .route("/{*rest}", any(|| async { ApiError::NoRoute }))
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed });
    let mut admin = Router::new().nest("/api/v1", admin);
    if let Some(cors) = cors(&state.cfg.cors_origins) {
        admin = admin.layer(cors);
    }
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/ws", get(ws::upgrade))
        .route("/", get(web::index))
        .route("/admin", get(web::admin))
        .route("/games.json", get(web::games))
        .route("/admin/", get(web::admin))
        .route("/{*file}", get(web::file))
        .merge(admin)
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
                // The path only: query strings may carry cursors or other client input.
                // The request id was set (or checked) by `observe`, the outer layer.
                let id = req
                    .headers()
                    .get(&observe::REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                tracing::info_span!("http", method = %req.method(), path = %req.uri().path(), request_id = %id)
            }),
        )
        .layer(middleware::from_fn(observe::observe))
        .with_state(state)
}

/// CORS for the admin API, only when origins are configured (off by default).
fn cors(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allowed: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    Some(
        CorsLayer::new()
            .allow_origin(allowed)
            .allow_methods([Method::GET, Method::POST, Method::DELETE])
            .allow_headers([
                axum::http::header::AUTHORIZATION,
                axum::http::header::CONTENT_TYPE,
            ]),
    )
}
