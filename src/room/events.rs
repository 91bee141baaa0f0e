//! Room events as the room service plans them, rendered to frames once the new version
//! is known.

use serde_json::Value;

use crate::hub::Audience;
use crate::model::RoomDoc;
use crate::protocol::{encode, PlayerInfo, ServerMsg};

/// One event a room change produces.
#[derive(Debug, Clone)]
pub enum Event {
    /// The game state (after an action, rematch or status change).
    State {
        /// The acting player, if any.
        by: Option<String>,
        /// The action applied, if any.
        action: Option<Value>,
    },
    /// A player or spectator arrived.
    PlayerJoined(PlayerInfo),
    /// A player or spectator left.
    PlayerLeft(String),
    /// A player's socket dropped or came back.
    PlayerConnection(String, bool),
    /// The targeted player was removed.
    Kicked(&'static str),
    /// The room is gone.
    RoomClosed(&'static str),
}

impl Event {
    /// Serialise against the room as it is after the change.
    pub fn render(&self, doc: &RoomDoc) -> String {
        let room = doc.code.as_str();
        let version = doc.version;
        let msg = match self {
            Event::State { by, action } => ServerMsg::State {
                room,
                version,
                status: doc.status.as_str(),
                state: &doc.state,
                by: by.as_deref(),
                action: action.as_ref(),
            },
            Event::PlayerJoined(player) => ServerMsg::PlayerJoined {
                room,
                version,
                player,
            },
            Event::PlayerLeft(player_id) => ServerMsg::PlayerLeft {
                room,
                version,
                player_id,
            },
            Event::PlayerConnection(player_id, connected) => ServerMsg::PlayerConnection {
                room,
                version,
                player_id,
                connected: *connected,
            },
            Event::Kicked(reason) => ServerMsg::Kicked { room, reason },
            Event::RoomClosed(reason) => ServerMsg::RoomClosed { room, reason },
        };
        encode(&msg)
    }
}

/// Frames of a change, in order, with their audience.
pub type Planned = Vec<(Audience, Event)>;
