//! `/api/v1`: operators query and manage rooms. Every route sits behind the bearer token
//! (see [`auth`](super::auth)); the OpenAPI document is generated from these handlers.

use std::time::Instant;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::error::{ApiError, ErrorBody};
use crate::model::{RoomDoc, Status};
use crate::protocol::{normalize_code, PlayerInfo, RoomSnapshot, RoomSummary};
use crate::state::AppState;

/// Largest page the listing returns.
const MAX_LIMIT: usize = 200;

/// Filters and paging of the room listing.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only rooms of this game.
    pub game: Option<String>,
    /// Only rooms in this status (`waiting`, `playing`, `finished`).
    pub status: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<usize>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A page of rooms.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoomList {
    /// Rooms on this page.
    pub rooms: Vec<RoomSummary>,
    /// Cursor of the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

/// The players of a room.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlayerList {
    /// Seated players.
    pub players: Vec<PlayerInfo>,
}

/// This node's figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct Stats {
    /// Node id.
    pub node_id: String,
    /// `redis` or `memory`.
    pub store: String,
    /// Open WebSocket connections on this node.
    pub connections: usize,
    /// Rooms with members on this node.
    pub rooms_local: usize,
    /// Seconds since start.
    pub uptime_s: u64,
    /// Server version.
    pub version: String,
}

/// The OpenAPI document of `/api/v1`.
#[derive(OpenApi)]
#[openapi(
    info(title = "Parlor admin API", description = "Query and manage Parlor rooms."),
    paths(list_rooms, get_room, get_players, delete_room, kick_player, stats, openapi_json),
    components(schemas(RoomList, RoomSnapshot, RoomSummary, PlayerInfo, PlayerList, Stats, ErrorBody)),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// List rooms, filtered and paged.
#[utoipa::path(get, path = "/api/v1/rooms", params(ListQuery),
    responses((status = 200, body = RoomList), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn list_rooms(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<Json<RoomList>, ApiError> {
    let game = q
        .game
        .as_deref()
        .map(|g| {
            state
                .rooms
                .games()
                .get(g)
                .ok_or_else(|| ApiError::BadRequest(format!("unknown game {g:?}")))
        })
        .transpose()?;
    let status = q
        .status
        .as_deref()
        .map(|s| {
            Status::parse(s).ok_or_else(|| ApiError::BadRequest(format!("unknown status {s:?}")))
        })
        .transpose()?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit must be 1 to {MAX_LIMIT}"
        )));
    }
    let mut cursor = q.cursor.clone();
    let mut rooms = Vec::new();
    // Filters apply after paging by code, so keep reading pages until this one is full.
    loop {
        let page = state.rooms.list(cursor.as_deref(), limit).await?;
        rooms.extend(
            page.rooms
                .iter()
                .filter(|d| {
                    game.is_none_or(|g| d.game == g) && status.is_none_or(|s| d.status == s)
                })
                .map(|d| d.summary()),
        );
        cursor = page.next_cursor;
        if rooms.len() >= limit || cursor.is_none() {
            break;
        }
    }
    if rooms.len() > limit {
        rooms.truncate(limit);
        cursor = rooms.last().map(|r| r.code.clone());
    }
    Ok(Json(RoomList {
        rooms,
        next_cursor: cursor,
    }))
}

/// A room code from a path, normalised.
fn parse_code(code: &str) -> Result<String, ApiError> {
    normalize_code(code).map_err(|e| ApiError::BadRequest(e.message))
}

/// The stored room with this code, read from the store (never a cache).
async fn load_room(state: &AppState, code: &str) -> Result<RoomDoc, ApiError> {
    let code = parse_code(code)?;
    state
        .rooms
        .snapshot(&code)
        .await?
        .ok_or(ApiError::RoomNotFound)
}

/// One room's snapshot.
#[utoipa::path(get, path = "/api/v1/rooms/{code}", params(("code" = String, Path, description = "Room code")),
    responses((status = 200, body = RoomSnapshot), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn get_room(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<RoomSnapshot>, ApiError> {
    let doc = load_room(&state, &code).await?;
    Ok(Json(doc.snapshot()))
}

/// The players of a room.
#[utoipa::path(get, path = "/api/v1/rooms/{code}/players", params(("code" = String, Path, description = "Room code")),
    responses((status = 200, body = PlayerList), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn get_players(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<PlayerList>, ApiError> {
    let doc = load_room(&state, &code).await?;
    Ok(Json(PlayerList {
        players: doc.player_infos(),
    }))
}

/// Close a room; its members get `room_closed`.
#[utoipa::path(delete, path = "/api/v1/rooms/{code}", params(("code" = String, Path, description = "Room code")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 503, body = ErrorBody)))]
pub async fn delete_room(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<StatusCode, ApiError> {
    let code = parse_code(&code)?;
    if state.rooms.close(&code).await? {
        tracing::info!(room = %code, "room closed by operator");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::RoomNotFound)
    }
}

/// Remove a player; they get `kicked`, the others `player_left`.
#[utoipa::path(delete, path = "/api/v1/rooms/{code}/players/{player_id}",
    params(("code" = String, Path, description = "Room code"), ("player_id" = String, Path, description = "Player id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 503, body = ErrorBody)))]
pub async fn kick_player(
    State(state): State<AppState>,
    Path((code, player_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let code = parse_code(&code)?;
    if state.rooms.kick(&code, &player_id).await? {
        tracing::info!(room = %code, player = %player_id, "player kicked by operator");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::PlayerNotFound)
    }
}

/// This node's figures.
#[utoipa::path(get, path = "/api/v1/stats",
    responses((status = 200, body = Stats), (status = 401, body = ErrorBody)))]
pub async fn stats(State(state): State<AppState>) -> Json<Stats> {
    Json(Stats {
        node_id: state.node_id.to_string(),
        store: state.store.backend().to_string(),
        connections: state.connections(),
        rooms_local: state.rooms.local_room_count(),
        uptime_s: Instant::now().duration_since(state.started).as_secs(),
        version: env!("CARGO_PKG_VERSION").to_string(),
    })
}

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json",
    responses((status = 200, description = "The OpenAPI document"), (status = 401, body = ErrorBody)))]
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
