//! The HTTP surface: health and metrics, the admin API (one router, behind the token),
//! the WebSocket endpoint and the embedded browser client.

pub mod admin;
mod auth;
pub mod error;
mod health;
mod web;

use axum::http::{HeaderValue, Method};
use axum::middleware;
use axum::routing::{delete, get};
use axum::Router;
use tower_http::cors::CorsLayer;
use tower_http::trace::TraceLayer;

use crate::state::AppState;
use crate::ws;

/// The whole application router.
pub fn router(state: AppState) -> Router {
    let admin = Router::new()
        .route("/rooms", get(admin::list_rooms))
        .route(
            "/rooms/{code}",
            get(admin::get_room).delete(admin::delete_room),
        )
        .route("/rooms/{code}/players", get(admin::get_players))
        .route(
            "/rooms/{code}/players/{player_id}",
            delete(admin::kick_player),
        )
        .route("/stats", get(admin::stats))
        .route("/openapi.json", get(admin::openapi_json))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_token,
        ));
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
        .route("/games.json", get(web::games))
        .route("/{*file}", get(web::file))
        .merge(admin)
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
                // The path only: query strings may carry cursors or other client input.
                tracing::info_span!("http", method = %req.method(), path = %req.uri().path())
            }),
        )
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
            .allow_methods([Method::GET, Method::DELETE])
            .allow_headers([
                axum::http::header::AUTHORIZATION,
                axum::http::header::CONTENT_TYPE,
            ]),
    )
}
