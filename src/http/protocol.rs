//! `/api/v1/protocol.json` and `/api/v1/asyncapi.json`: the WebSocket protocol described
//! for machines, as a JSON Schema document and an AsyncAPI document that uses it. Public
//! like the OpenAPI document: they describe the protocol and hold no data. Both depend
//! only on the games this server plays, so they are built once, with the router.

use axum::body::Bytes;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use crate::game::Games;
use crate::protocol::{asyncapi_document, schema_document};
use crate::state::AppState;

/// The two routes, relative to `/api/v1`, serving the documents of `games`.
pub fn routes(games: &Games) -> Router<AppState> {
    let schema = schema_document(games);
    // Relative to `asyncapi.json` itself, so the reference holds behind any prefix.
    let asyncapi = asyncapi_document(&schema, "protocol.json");
    let (schema, asyncapi) = (body(&schema), body(&asyncapi));
    Router::new()
        .route("/protocol.json", get(move || serve(schema.clone())))
        .route("/asyncapi.json", get(move || serve(asyncapi.clone())))
}

/// A document as a response body, shared by every response (a clone is a reference count).
fn body(doc: &serde_json::Value) -> Bytes {
    Bytes::from(doc.to_string())
}

async fn serve(body: Bytes) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], body)
}
