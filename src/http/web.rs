//! The browser client, embedded in the binary at build time from `web/`.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use rust_embed::RustEmbed;
use serde_json::{json, Value};

use crate::state::AppState;

#[derive(RustEmbed)]
#[folder = "web/"]
struct Assets;

/// `GET /`: the client's page.
pub async fn index() -> Response {
    asset("index.html")
}

/// `GET /games.json`: the games this server plays, in registration order (the client's
/// game picker).
pub async fn games(State(state): State<AppState>) -> Json<Value> {
    let games: Vec<Value> = state
        .rooms
        .games()
        .all()
        .iter()
        .map(|g| json!({"id": g.name(), "seats": g.seats()}))
        .collect();
    Json(json!({ "games": games }))
}

/// `GET /admin`: the admin console (`web/admin/`), which talks to `/api/v1` only.
pub async fn admin() -> Response {
    asset("admin/index.html")
}

/// `GET /{file}`: other client files (and the console's, under `admin/`).
pub async fn file(Path(path): Path<String>) -> Response {
    asset(&path)
}

fn asset(path: &str) -> Response {
    match Assets::get(path) {
        Some(file) => {
            let mime = file.metadata.mimetype().to_string();
            (
                [
                    (header::CONTENT_TYPE, mime),
                    (header::CACHE_CONTROL, "no-cache".to_string()),
                ],
                file.data,
            )
                .into_response()
        }
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}
