//! Server → client frames: replies, events, and the room snapshot they carry.
//!
//! Frames are serialised once with [`encode`]; events are shared as bytes by every
//! recipient (see `hub`).

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::error::ErrorCode;
use crate::game::{GameState, Seat};
use crate::model::{PlayerInfo, RoomSnapshot, RoomSummary};

/// `room_closed.reason` when an operator deleted the room.
pub const CLOSE_REASON_OPERATOR: &str = "closed_by_operator";
/// `room_closed.reason` when the room expired after its TTL without activity.
pub const CLOSE_REASON_EXPIRED: &str = "expired";
/// `room_closed.reason` when the last member left.
pub const CLOSE_REASON_EMPTY: &str = "empty";
/// `room_closed.reason` when a node that lost track of the room's events found it gone
/// (deleted or expired meanwhile).
pub const CLOSE_REASON_GONE: &str = "gone";
/// `kicked.reason` when an operator removed the player.
pub const KICK_REASON_OPERATOR: &str = "kicked_by_operator";
/// `kicked.reason` when the same session was resumed on another connection.
pub const KICK_REASON_RESUMED: &str = "resumed_elsewhere";
/// `kicked.reason` when the seat's user joined the room again from another socket.
pub const KICK_REASON_REPLACED: &str = "replaced";

/// The `you` part of `joined`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct You {
    /// Your id in this room.
    pub player_id: String,
    /// Your display name.
    pub name: String,
    /// Your seat, `null` for spectators.
    pub seat: Option<Seat>,
    /// `player` or `spectator`.
    #[schemars(extend("enum" = ["player", "spectator"]))]
    pub role: &'static str,
}

/// Every frame the server sends. Its JSON Schema (`protocol.json`) is derived from this
/// very type, so every field here is `required` there unless it is skipped when empty.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMsg<'a> {
    /// Reply to create/join/quick_join/resume.
    Joined {
        /// The request's `req`, when it had one.
        #[serde(skip_serializing_if = "Option::is_none")]
        #[schemars(with = "u64")]
        req: Option<u64>,
        /// The room's code.
        room: &'a str,
        /// Who the server seated.
        you: &'a You,
        /// The token that `resume` reclaims the seat with; `null` for spectators.
        session: Option<&'a str>,
        /// The room as this member may see it.
        snapshot: &'a RoomSnapshot,
    },
    /// Reply to leave_room.
    Left {
        /// The request's `req`, when it had one.
        #[serde(skip_serializing_if = "Option::is_none")]
        #[schemars(with = "u64")]
        req: Option<u64>,
        /// The room left.
        room: &'a str,
    },
    /// Reply to list_rooms.
    Rooms {
        /// The request's `req`, when it had one.
        #[serde(skip_serializing_if = "Option::is_none")]
        #[schemars(with = "u64")]
        req: Option<u64>,
        /// Public rooms with a free seat.
        rooms: &'a [RoomSummary],
    },
    /// Reply to ping.
    Pong {
        /// The request's `req`, when it had one.
        #[serde(skip_serializing_if = "Option::is_none")]
        #[schemars(with = "u64")]
        req: Option<u64>,
    },
    /// Reply to auth: the socket plays as this user until the token expires.
    Authed {
        /// The request's `req`, when it had one.
        #[serde(skip_serializing_if = "Option::is_none")]
        #[schemars(with = "u64")]
        req: Option<u64>,
        /// The token's `sub`.
        user: &'a str,
        /// The token's `name`, when it has one.
        name: Option<&'a str>,
        /// When the token expires (RFC 3339).
        expires_at: &'a str,
    },
    /// The token expires soon: send `auth` with a fresh one for the same user.
    AuthExpiring {
        /// When the token expires (RFC 3339).
        expires_at: &'a str,
    },
    /// A refused request.
    Error {
        /// The refused request's `req`, when it had one and it could be read.
        #[serde(skip_serializing_if = "Option::is_none")]
        #[schemars(with = "u64")]
        req: Option<u64>,
        /// Why, as one of the contract's codes.
        code: ErrorCode,
        /// A short explanation for people.
        message: &'a str,
    },
    /// The room's game state after an action, rematch or status change.
    State {
        /// The room's code.
        room: &'a str,
        /// The room's version after the change.
        version: u64,
        /// `waiting`, `playing` or `finished`.
        #[schemars(with = "crate::model::Status")]
        status: &'static str,
        /// The game state as this member may see it.
        #[schemars(schema_with = "crate::game::state_ref")]
        state: &'a GameState,
        /// The player whose action or rematch caused the change, if any.
        by: Option<&'a str>,
        /// The action as the game shows it; `null` where it would reveal something.
        #[schemars(schema_with = "crate::game::action_or_null")]
        action: Option<&'a Value>,
    },
    /// Someone took a seat or started watching.
    PlayerJoined {
        /// The room's code.
        room: &'a str,
        /// The room's version after the change.
        version: u64,
        /// Who joined.
        player: &'a PlayerInfo,
    },
    /// Someone left (or was kicked).
    PlayerLeft {
        /// The room's code.
        room: &'a str,
        /// The room's version after the change.
        version: u64,
        /// Who left.
        player_id: &'a str,
    },
    /// A player's socket dropped or came back.
    PlayerConnection {
        /// The room's code.
        room: &'a str,
        /// The room's version after the change.
        version: u64,
        /// Whose socket.
        player_id: &'a str,
        /// Whether it is connected now.
        connected: bool,
    },
    /// That player asked for a rematch of the finished game; it starts once every
    /// seated player has.
    RematchOffered {
        /// The room's code.
        room: &'a str,
        /// Who asked.
        player_id: &'a str,
    },
    /// A chat line.
    Chat {
        /// The room's code.
        room: &'a str,
        /// The speaker's player id.
        from: &'a str,
        /// The speaker's display name.
        name: &'a str,
        /// What was said.
        text: &'a str,
        /// When it was said (RFC 3339, in milliseconds).
        #[schemars(extend("format" = "date-time"))]
        ts: &'a str,
    },
    /// The room is gone.
    RoomClosed {
        /// The room's code.
        room: &'a str,
        /// Why it closed.
        #[schemars(extend("enum" = [
            CLOSE_REASON_OPERATOR, CLOSE_REASON_EXPIRED, CLOSE_REASON_EMPTY, CLOSE_REASON_GONE
        ]))]
        reason: &'a str,
    },
    /// The node lost track of some of the room's events and re-read it: the client
    /// replaces its whole view with this snapshot.
    Resync {
        /// The room's code.
        room: &'a str,
        /// The room as this member may see it.
        snapshot: &'a RoomSnapshot,
    },
    /// You were removed from the room.
    Kicked {
        /// The room's code.
        room: &'a str,
        /// Why.
        #[schemars(extend("enum" = [KICK_REASON_OPERATOR, KICK_REASON_RESUMED, KICK_REASON_REPLACED]))]
        reason: &'a str,
    },
    /// This node is stopping; reconnect after the delay.
    ServerShutdown {
        /// How long to wait before reconnecting, in milliseconds.
        reconnect_after_ms: u64,
    },
}

impl ServerMsg<'_> {
    /// The frame's `type`, as a bounded metric label.
    pub fn kind(&self) -> &'static str {
        match self {
            ServerMsg::Joined { .. } => "joined",
            ServerMsg::Left { .. } => "left",
            ServerMsg::Rooms { .. } => "rooms",
            ServerMsg::Pong { .. } => "pong",
            ServerMsg::Authed { .. } => "authed",
            ServerMsg::AuthExpiring { .. } => "auth_expiring",
            ServerMsg::Error { .. } => "error",
            ServerMsg::State { .. } => "state",
            ServerMsg::PlayerJoined { .. } => "player_joined",
            ServerMsg::PlayerLeft { .. } => "player_left",
            ServerMsg::PlayerConnection { .. } => "player_connection",
            ServerMsg::RematchOffered { .. } => "rematch_offered",
            ServerMsg::Chat { .. } => "chat",
            ServerMsg::RoomClosed { .. } => "room_closed",
            ServerMsg::Resync { .. } => "resync",
            ServerMsg::Kicked { .. } => "kicked",
            ServerMsg::ServerShutdown { .. } => "server_shutdown",
        }
    }
}

/// Serialise a frame. Our own types always serialise; the fallback only guards the
/// impossible case so no client ever sees a panic.
pub fn encode(msg: &ServerMsg<'_>) -> String {
    serde_json::to_string(msg).unwrap_or_else(|e| {
        tracing::error!(error = %e, "failed to encode a server frame");
        r#"{"type":"error","code":"internal","message":"internal error"}"#.to_string()
    })
}

/// The `type` of an already-encoded server frame, as a bounded metric label. Our frames
/// always start with their tag, so this reads a prefix instead of parsing.
pub fn frame_kind(frame: &str) -> &'static str {
    const KINDS: [&str; 15] = [
        "joined",
        "left",
        "rooms",
        "pong",
        "error",
        "state",
        "player_joined",
        "player_left",
        "player_connection",
        "chat",
        "rematch_offered",
        "room_closed",
        "kicked",
        "server_shutdown",
        "resync",
    ];
    let name = frame
        .strip_prefix(r#"{"type":""#)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default();
    KINDS.into_iter().find(|k| *k == name).unwrap_or("other")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_match_the_contract() {
        let e = encode(&ServerMsg::Error {
            req: Some(7),
            code: ErrorCode::NotYourTurn,
            message: "it is seat 1's turn",
        });
        assert_eq!(
            e,
            r#"{"type":"error","req":7,"code":"not_your_turn","message":"it is seat 1's turn"}"#
        );
        assert_eq!(encode(&ServerMsg::Pong { req: None }), r#"{"type":"pong"}"#);
        let s = encode(&ServerMsg::ServerShutdown {
            reconnect_after_ms: 500,
        });
        assert_eq!(s, r#"{"type":"server_shutdown","reconnect_after_ms":500}"#);
        assert_eq!(frame_kind(&s), "server_shutdown");
        assert_eq!(frame_kind("{}"), "other");
        let offer = encode(&ServerMsg::RematchOffered {
            room: "K7QXHM",
            player_id: "p_1",
        });
        let shape = r#"{"type":"rematch_offered","room":"K7QXHM","player_id":"p_1"}"#;
        assert_eq!((offer.as_str(), frame_kind(&offer)), (shape, "rematch_offered"));
    }
}
