//! The browser client, embedded in the binary at build time from `web/`.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "web/"]
struct Assets;

/// `GET /`: the client's page.
pub async fn index() -> Response {
    asset("index.html")
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
