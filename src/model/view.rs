//! The wire views of a room: the snapshot, the summary and a player, as clients and
//! operators see them. They live beside the stored document they are views of.

use schemars::JsonSchema;
use serde::Serialize;
use utoipa::ToSchema;

use crate::game::{GameKind, GameState, Seat};

/// A player as shown to clients and operators (never includes the session).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, JsonSchema)]
pub struct PlayerInfo {
    /// Stable id of the player in this room.
    pub player_id: String,
    /// Display name.
    pub name: String,
    /// Seat index; `null` for spectators.
    pub seat: Option<Seat>,
    /// `player` or `spectator`.
    #[schemars(extend("enum" = ["player", "spectator"]))]
    pub role: &'static str,
    /// Whether the player's socket is currently connected.
    pub connected: bool,
    /// The account of a member who signed in with a token (its `sub`); `null` when
    /// anonymous.
    pub user: Option<String>,
}

/// A room as seen by clients and by the REST API: the summary plus the game state.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, JsonSchema)]
pub struct RoomSnapshot {
    /// Everything but the game state.
    #[serde(flatten)]
    pub summary: RoomSummary,
    /// Game state (shape depends on the game).
    #[schema(value_type = Object)]
    #[schemars(schema_with = "crate::game::state_ref")]
    pub state: GameState,
}

/// A room in a list: the snapshot without the game state.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, JsonSchema)]
pub struct RoomSummary {
    /// Six-character room code.
    pub code: String,
    /// Which game the room plays.
    #[schema(value_type = String, example = "tictactoe")]
    #[schemars(with = "String", example = &"tictactoe")]
    pub game: GameKind,
    /// `waiting`, `playing` or `finished`.
    #[schemars(with = "super::Status")]
    pub status: &'static str,
    /// Private rooms are not listed to players.
    pub private: bool,
    /// RFC 3339 creation time.
    #[schemars(extend("format" = "date-time"))]
    pub created_at: String,
    /// RFC 3339 time of the last change.
    #[schemars(extend("format" = "date-time"))]
    pub updated_at: String,
    /// Room version; increases with every change.
    pub version: u64,
    /// Seated players.
    pub players: Vec<PlayerInfo>,
    /// Number of spectators.
    pub spectators: u32,
}
