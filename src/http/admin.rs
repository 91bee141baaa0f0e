//! `/api/v1`: operators query and manage rooms. Every route sits behind the bearer token
//! (see [`auth`](super::auth)); [`openapi`](super::openapi) documents these handlers and
//! [`params`](super::params) holds their parameters, checked exactly as documented.

use std::time::Instant;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiPath, ApiQuery};
use super::params::{self, ListQuery, PlayerPath, RoomPath};
use super::responses::{RoomErrors, StoreErrors, Unauthorized};
use crate::model::RoomDoc;
use crate::model::{PlayerInfo, RoomSnapshot, RoomSummary};
use crate::state::AppState;

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

/// One move of a game, as the client sent it.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct MoveRecord {
    /// The seat that moved.
    pub seat: u8,
    /// The action, as sent.
    #[schema(value_type = Object)]
    pub action: serde_json::Value,
    /// When it was applied (RFC 3339, milliseconds).
    pub at: String,
}

/// The moves of a room's current or last game.
#[derive(Debug, Serialize, ToSchema)]
pub struct History {
    /// Room code.
    pub room: String,
    /// The game's number in the room (1 for its first; 0 before any started).
    pub game_number: u64,
    /// `waiting`, `playing` or `finished`, as in the snapshot.
    #[schema(value_type = String)]
    pub status: &'static str,
    /// Every applied move, oldest first.
    pub moves: Vec<MoveRecord>,
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

/// List rooms, filtered and paged.
#[utoipa::path(get, path = "/api/v1/rooms", params(ListQuery),
    responses(
        (status = 200, description = "A page of rooms", body = RoomList),
        (status = 400, description = "A parameter is outside its schema", body = ErrorBody),
        StoreErrors))]
pub async fn list_rooms(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<RoomList>, ApiError> {
    let q = q.check()?;
    let mut cursor = q.cursor;
    let mut rooms = Vec::new();
    // Filters apply after paging by code, so keep reading pages until this one is full.
    loop {
        let page = state.rooms.list(cursor.as_deref(), q.limit).await?;
        rooms.extend(
            page.rooms
                .iter()
                .filter(|d| {
                    q.game.is_none_or(|g| d.game == g) && q.status.is_none_or(|s| d.status == s)
                })
                .map(|d| d.summary()),
        );
        cursor = page.next_cursor;
        if rooms.len() >= q.limit || cursor.is_none() {
            break;
        }
    }
    if rooms.len() > q.limit {
        rooms.truncate(q.limit);
        cursor = rooms.last().map(|r| r.code.clone());
    }
    Ok(Json(RoomList {
        rooms,
        next_cursor: cursor,
    }))
}

/// The stored room with this code, read from the store (never a cache).
async fn load_room(state: &AppState, code: &str) -> Result<RoomDoc, ApiError> {
    let code = params::room_code(code)?;
    state
        .rooms
        .snapshot(&code)
        .await?
        .ok_or(ApiError::RoomNotFound)
}

/// One room's snapshot.
#[utoipa::path(get, path = "/api/v1/rooms/{code}", params(RoomPath),
    responses(
        (status = 200, description = "The room", body = RoomSnapshot),
        RoomErrors))]
pub async fn get_room(
    State(state): State<AppState>,
    ApiPath(path): ApiPath<RoomPath>,
) -> Result<Json<RoomSnapshot>, ApiError> {
    let doc = load_room(&state, &path.code).await?;
    Ok(Json(doc.snapshot()))
}

/// The players of a room.
#[utoipa::path(get, path = "/api/v1/rooms/{code}/players", params(RoomPath),
    responses(
        (status = 200, description = "The room's players", body = PlayerList),
        RoomErrors))]
pub async fn get_players(
    State(state): State<AppState>,
    ApiPath(path): ApiPath<RoomPath>,
) -> Result<Json<PlayerList>, ApiError> {
    let doc = load_room(&state, &path.code).await?;
    Ok(Json(PlayerList {
        players: doc.player_infos(),
    }))
}

/// The moves of a room's current (or last) game.
#[utoipa::path(get, path = "/api/v1/rooms/{code}/history", params(RoomPath),
    responses(
        (status = 200, description = "The game's moves", body = History),
        RoomErrors))]
pub async fn get_history(
    State(state): State<AppState>,
    ApiPath(path): ApiPath<RoomPath>,
) -> Result<Json<History>, ApiError> {
    let code = params::room_code(&path.code)?;
    let (doc, moves) = state
        .rooms
        .history(&code)
        .await?
        .ok_or(ApiError::RoomNotFound)?;
    Ok(Json(History {
        room: doc.code.clone(),
        game_number: doc.game_number,
        status: doc.status.as_str(),
        // The log holds what the server wrote; an entry it cannot read is skipped.
        moves: moves
            .iter()
            .filter_map(|m| serde_json::from_str(m).ok())
            .collect(),
    }))
}

/// Close a room; its members get `room_closed`.
#[utoipa::path(delete, path = "/api/v1/rooms/{code}", params(RoomPath),
    responses(
        (status = 204, description = "Closed"),
        RoomErrors))]
pub async fn delete_room(
    State(state): State<AppState>,
    ApiPath(path): ApiPath<RoomPath>,
) -> Result<StatusCode, ApiError> {
    let code = params::room_code(&path.code)?;
    if state.rooms.close(&code).await? {
        tracing::info!(room = %code, "room closed by operator");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::RoomNotFound)
    }
}

/// Remove a player; they get `kicked`, the others `player_left`.
#[utoipa::path(delete, path = "/api/v1/rooms/{code}/players/{player_id}", params(PlayerPath),
    responses(
        (status = 204, description = "Kicked"),
        (status = 400, description = "The code or the player id is malformed", body = ErrorBody),
        (status = 404, description = "`room_not_found` or `player_not_found`", body = ErrorBody),
        StoreErrors))]
pub async fn kick_player(
    State(state): State<AppState>,
    ApiPath(path): ApiPath<PlayerPath>,
) -> Result<StatusCode, ApiError> {
    let code = params::room_code(&path.code)?;
    let player_id = params::player_id(&path.player_id)?;
    if state.rooms.kick(&code, player_id).await? {
        tracing::info!(room = %code, player = %player_id, "player kicked by operator");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::PlayerNotFound)
    }
}

/// This node's figures.
#[utoipa::path(get, path = "/api/v1/stats",
    responses(
        (status = 200, description = "This node's figures", body = Stats),
        Unauthorized))]
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
