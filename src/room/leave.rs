//! Leaving a room, and a socket dropping while seated; [`plan_departure`] is the rule for
//! a member leaving, which a kick and the clean-up of a failed join share.

use std::sync::Arc;

use super::events::Event;
use super::liveness::uncount_spectator;
use super::member::{ConnHandle, Membership, Role};
use super::plan::{state_event, Plan, Write};
use super::Rooms;
use crate::error::{ErrorCode, ProtoError};
use crate::model::{Audience, Effect, RoomDoc, Status};
use crate::protocol::CLOSE_REASON_EMPTY;

impl Rooms {
    /// Give up the seat (or stop watching).
    pub async fn leave(&self, conn: &ConnHandle, m: &Membership) -> Result<(), ProtoError> {
        let result = self
            .mutate(&m.code, |doc| Ok(plan_departure(doc, m, None, &self.node)))
            .await;
        self.hub.detach(&m.code, conn.id);
        match result {
            Ok(_) => Ok(()),
            // The room is gone already: leaving succeeded.
            Err(e) if e.code == ErrorCode::RoomNotFound => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The socket dropped: hold the seat but show the player offline.
    pub async fn disconnect(&self, conn_id: u64, m: &Membership) {
        self.hub.detach(&m.code, conn_id);
        let result = self
            .mutate(&m.code, |doc| {
                if m.role == Role::Spectator {
                    return Ok(plan_departure(doc, m, None, &self.node));
                }
                match doc.player_mut(&m.player_id) {
                    // Only the socket that holds the seat now may mark it offline.
                    Some(p) if p.epoch == m.epoch && p.connected => {
                        p.connected = false;
                        Ok(Plan::update(vec![(
                            Audience::All,
                            Event::PlayerConnection(m.player_id.to_string(), false),
                        )]))
                    }
                    _ => Ok(Plan::skip()),
                }
            })
            .await;
        if let Err(e) = result {
            if e.code != ErrorCode::RoomNotFound {
                tracing::warn!(code = e.code.as_str(), "could not record a disconnect");
            }
        }
    }
}

/// The change for a member leaving (or being kicked, with `kick_reason`); `node` is the
/// node holding its socket.
pub(super) fn plan_departure(
    doc: &mut RoomDoc,
    m: &Membership,
    kick_reason: Option<&'static str>,
    node: &str,
) -> Plan {
    let left = Event::PlayerLeft(m.player_id.to_string());
    if m.role == Role::Spectator {
        uncount_spectator(doc, node);
        return Plan::update(vec![(Audience::All, left)]);
    }
    let before = doc.players.len();
    doc.players_mut().retain(|p| *p.player_id != *m.player_id);
    if doc.players.len() == before {
        return Plan::skip();
    }
    doc.presence_mut().seats.remove(&*m.player_id);
    let mut frames = Vec::new();
    let mut effect = Effect::None;
    if let Some(reason) = kick_reason {
        frames.push((Audience::Target, Event::Kicked(reason)));
        effect = Effect::Detach {
            player_id: m.player_id.to_string(),
            keep_epoch: None,
        };
    }
    frames.push((Audience::Others, left));
    if doc.players.is_empty() && doc.spectators == 0 {
        frames.push((Audience::Others, Event::RoomClosed(CLOSE_REASON_EMPTY)));
        return Plan {
            frames,
            effect: Effect::Close,
            write: Write::Delete,
        };
    }
    if doc.status != Status::Waiting {
        // A game cannot go on with an empty seat: back to waiting with a fresh board.
        doc.status = Status::Waiting;
        doc.state = Arc::new(doc.game.new_state(doc.first));
        frames.push((Audience::Others, state_event(None, None)));
    }
    Plan {
        frames,
        effect,
        write: Write::Update,
    }
}
