//! Leaving a room, and a socket dropping while seated; [`plan_departure`] is the rule for
//! a member leaving, which a kick and the clean-up of a failed join share.

use std::sync::Arc;

use super::events::Event;
use super::liveness::uncount_spectator;
use super::member::{ConnHandle, Membership, Role};
use super::plan::{state_event, Plan, Write};
use super::Rooms;
use crate::error::{ErrorCode, ProtoError};
use crate::game::Seat;
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
/// node holding its socket. A player who leaves a game being played forfeits it.
pub(super) fn plan_departure(
    doc: &mut RoomDoc,
    m: &Membership,
    kick_reason: Option<&'static str>,
    node: &str,
) -> Plan {
    depart(doc, m, kick_reason, node, true)
}

/// Like [`plan_departure`], but a game being played goes back to waiting with a fresh
/// board instead of being forfeited: for a seat that was never really taken (a join
/// whose write is being undone).
pub(super) fn plan_release(doc: &mut RoomDoc, m: &Membership, node: &str) -> Plan {
    depart(doc, m, None, node, false)
}

fn depart(
    doc: &mut RoomDoc,
    m: &Membership,
    kick_reason: Option<&'static str>,
    node: &str,
    forfeit: bool,
) -> Plan {
    let left = Event::PlayerLeft(m.player_id.to_string());
    if m.role == Role::Spectator {
        uncount_spectator(doc, node);
        return Plan::update(vec![(Audience::All, left)]);
    }
    let Some(seat) = doc.player(&m.player_id).map(|p| p.seat) else {
        return Plan::skip();
    };
    doc.players_mut().retain(|p| *p.player_id != *m.player_id);
    doc.presence_mut().seats.remove(&*m.player_id);
    // The seat changed: a rematch asked for with the old table no longer stands.
    doc.rematch.clear();
    let mut frames = Vec::new();
    let mut effect = Effect::None;
    if let Some(reason) = kick_reason {
        frames.push((Audience::Target, Event::Kicked(reason)));
        effect = Effect::Detach {
            player_id: m.player_id.to_string(),
            keep_epoch: None,
        };
    }
    if doc.players.is_empty() && doc.spectators == 0 {
        frames.push((Audience::Others, left));
        frames.push((Audience::Others, Event::RoomClosed(CLOSE_REASON_EMPTY)));
        return Plan {
            frames,
            effect: Effect::Close,
            write: Write::Delete,
            moved: None,
        };
    }
    if end_game(doc, seat, forfeit) {
        frames.push((Audience::Others, state_event(None, None)));
    }
    frames.push((Audience::Others, left));
    Plan {
        frames,
        effect,
        write: Write::Update,
        moved: None,
    }
}

/// What the departure of `seat` does to the game: a game being played is forfeited
/// (`finished`, the game says who won), or, when the game cannot say or `forfeit` is
/// off, goes back to waiting with a fresh board; a game already finished keeps its
/// result on screen. Returns whether the state changed.
fn end_game(doc: &mut RoomDoc, seat: Seat, forfeit: bool) -> bool {
    if doc.status != Status::Playing {
        return false;
    }
    if forfeit {
        let mut state = (*doc.state).clone();
        // An unreadable state (the game layer logged why) cannot be forfeited either.
        if let Ok(outcome) = doc.game.on_leave(&mut state, seat) {
            if outcome.is_over() {
                doc.state = Arc::new(state);
                doc.status = Status::Finished;
                return true;
            }
        }
    }
    // A game cannot go on with an empty seat: back to waiting with a fresh board.
    doc.status = Status::Waiting;
    doc.state = Arc::new(doc.game.new_state(doc.first));
    true
}
