//! Room events as the room service plans them, rendered to frames once the new version
//! is known: a `state` event once for everyone, or once per viewer for games that hide
//! something.

use std::sync::Arc;

use serde_json::Value;

use crate::game::Viewer;
use crate::hub::{LostSeat, ResyncFrames};
use crate::model::{Audience, PlayerInfo, RoomDoc};
use crate::protocol::{
    encode, ServerMsg, CLOSE_REASON_GONE, KICK_REASON_OPERATOR, KICK_REASON_RESUMED,
};

/// One event a room change produces.
#[derive(Debug, Clone)]
pub enum Event {
    /// The game state (after an action, rematch or status change).
    State {
        /// The acting player, if any (shared with the mover's membership).
        by: Option<Arc<str>>,
        /// The action applied, if any.
        action: Option<Value>,
    },
    /// A player or spectator arrived.
    PlayerJoined(PlayerInfo),
    /// A player or spectator left.
    PlayerLeft(String),
    /// A player's socket dropped or came back.
    PlayerConnection(String, bool),
    /// A player asked for a rematch that others have not asked for yet.
    RematchOffered(String),
    /// The targeted player was removed.
    Kicked(&'static str),
    /// The room is gone.
    RoomClosed(&'static str),
}

impl Event {
    /// Serialise against the room as it is after the change, into frames for `audience`:
    /// one frame, or for a `state` of a game that hides something, one per seat and one
    /// for spectators (each narrowing `audience` to its viewers).
    pub fn render_into(
        &self,
        audience: Audience,
        doc: &RoomDoc,
        out: &mut Vec<(Audience, String)>,
    ) {
        match self {
            Event::State { .. } if doc.game.hides_information() => {
                for seat in 0..doc.game.seats() {
                    let frame = self.render_for(doc, Some(Viewer::Seat(seat)));
                    out.push((Audience::Seat(seat), frame));
                }
                out.push((
                    Audience::Watchers,
                    self.render_for(doc, Some(Viewer::Spectator)),
                ));
                // A targeted member is being detached and is sent no state at all.
                debug_assert!(audience != Audience::Target);
            }
            _ => out.push((audience, self.render_for(doc, None))),
        }
    }

    /// Serialise for one viewer (`None`: a game that shows everyone everything).
    fn render_for(&self, doc: &RoomDoc, viewer: Option<Viewer>) -> String {
        let room = doc.code.as_str();
        let version = doc.version;
        let state;
        let msg = match self {
            Event::State { by, action } => {
                state = doc.state_for(viewer);
                ServerMsg::State {
                    room,
                    version,
                    status: doc.status.as_str(),
                    state: &state,
                    by: by.as_deref(),
                    action: action.as_ref(),
                }
            }
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
            Event::RematchOffered(player_id) => ServerMsg::RematchOffered { room, player_id },
            Event::Kicked(reason) => ServerMsg::Kicked { room, reason },
            Event::RoomClosed(reason) => ServerMsg::RoomClosed { room, reason },
        };
        encode(&msg)
    }
}

/// Frames of a change, in order, with their audience.
pub type Planned = Vec<(Audience, Event)>;

/// The wire frames of a hub resync (installed on the hub by [`Rooms::new`](super::Rooms::new)).
pub(crate) struct ResyncWire;

impl ResyncFrames for ResyncWire {
    fn resync(&self, doc: &RoomDoc, viewer: Viewer) -> String {
        let snapshot = doc.snapshot_for(viewer);
        encode(&ServerMsg::Resync {
            room: &doc.code,
            snapshot: &snapshot,
        })
    }

    fn gone(&self, code: &str) -> String {
        encode(&ServerMsg::RoomClosed {
            room: code,
            reason: CLOSE_REASON_GONE,
        })
    }

    fn lost_seat(&self, code: &str, why: LostSeat) -> String {
        let reason = match why {
            LostSeat::Removed => KICK_REASON_OPERATOR,
            LostSeat::Resumed => KICK_REASON_RESUMED,
        };
        encode(&ServerMsg::Kicked { room: code, reason })
    }
}
