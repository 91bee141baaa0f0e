//! The browser client, embedded in the binary at build time from `web/`, and the
//! JavaScript client library it runs on (`clients/js/src/`, served under
//! `/lib/parlor-client/`; the page's import map names it `@parlor/client`).
//!
//! JavaScript goes out minified (see [`strip_js`]): the library's JSDoc types are for
//! `tsc`, and the page should not load them.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

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

/// `@parlor/client`, the one implementation of the protocol in JavaScript.
#[derive(RustEmbed)]
#[folder = "clients/js/src/"]
#[prefix = "lib/parlor-client/"]
struct Library;

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

/// `GET /{file}`: other client files (the console's under `admin/`, the library's
/// under `lib/parlor-client/`).
pub async fn file(Path(path): Path<String>) -> Response {
    asset(&path)
}

fn asset(path: &str) -> Response {
    let Some(file) = Assets::get(path).or_else(|| Library::get(path)) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let mime = file.metadata.mimetype().to_string();
    let body = match minified().get(path) {
        Some(js) => Cow::Borrowed(js.as_bytes()),
        None => file.data,
    };
    (
        [
            (header::CONTENT_TYPE, mime),
            (header::CACHE_CONTROL, "no-cache".to_string()),
        ],
        body,
    )
        .into_response()
}

/// Every embedded script, minified once, on first use (not once per request: the page
/// loads seventeen of them).
fn minified() -> &'static HashMap<String, String> {
    static MINIFIED: OnceLock<HashMap<String, String>> = OnceLock::new();
    MINIFIED.get_or_init(|| {
        let files = Assets::iter().map(|n| (Assets::get(&n), n));
        let files = files.chain(Library::iter().map(|n| (Library::get(&n), n)));
        files
            .filter(|(_, name)| name.ends_with(".js"))
            .filter_map(|(file, name)| {
                let file = file?;
                let js = strip_js(std::str::from_utf8(&file.data).ok()?)?;
                Some((name.into_owned(), js))
            })
            .collect()
    })
}

/// JavaScript as the page loads it: minified (the `minifier` crate), so the library's
/// JSDoc types, written for `tsc`, and every comment stay out of what a browser
/// downloads. `None` when the minifier cannot read the source; it is then served as it
/// is. The browser tests run the page on the minified scripts.
fn strip_js(src: &str) -> Option<String> {
    minifier::js::minify(src).ok().map(|m| m.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_go_and_strings_stay() {
        let src = "// head\nconst a  =  \"x // y\"; /** doc */\nfunction f(x) {\n    return x / 2;\n}\n";
        let out = strip_js(src).unwrap_or_default();
        assert!(!out.contains("head") && !out.contains("doc"), "{out}");
        assert!(out.contains("\"x // y\"") && out.contains("function f(x)"), "{out}");
        assert!(out.len() < src.len());
    }

    #[test]
    fn every_served_script_minifies_and_shrinks() {
        let names = Assets::iter().chain(Library::iter());
        let scripts: Vec<_> = names.filter(|n| n.ends_with(".js")).collect();
        assert!(scripts.iter().any(|n| n.starts_with("lib/parlor-client/")));
        for name in scripts {
            let file = Assets::get(&name).or_else(|| Library::get(&name));
            let data = file.map(|f| f.data.into_owned()).unwrap_or_default();
            let src = String::from_utf8(data).unwrap_or_default();
            let out = strip_js(&src).unwrap_or_default();
            assert!(!out.is_empty() && out.len() < src.len(), "{name}");
        }
    }
}
