//! Playing: moves, rematches and chat, each a compare-and-set change of the room.

use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;

use super::events::Event;
use super::ids;
use super::plan::{state_event, Plan};
use super::{Membership, Role, Rooms};
use crate::error::{ErrorCode, ProtoError};
use crate::game::MoveError;
use crate::metrics as m;
use crate::model::{Audience, Envelope};
use crate::model::{SharedDoc, Status};
use crate::protocol::{encode, ServerMsg};

impl Rooms {
    /// Apply a move.
    pub async fn act(
        &self,
        m: &Membership,
        action: Value,
        expected_version: Option<u64>,
        started: Instant,
    ) -> Result<(), ProtoError> {
        let result = self.try_act(m, &action, expected_version).await;
        let label = match &result {
            Ok(_) => "ok",
            Err(e) => e.code.as_str(),
        };
        m::game_action(m.game, label);
        if result.is_ok() {
            m::action_duration(m.game, started.elapsed());
        }
        result.map(|_| ())
    }

    async fn try_act(
        &self,
        m: &Membership,
        action: &Value,
        expected_version: Option<u64>,
    ) -> Result<SharedDoc, ProtoError> {
        if m.role == Role::Spectator {
            return Err(ErrorCode::NotAPlayer.into());
        }
        self.mutate(&m.code, |doc| {
            if expected_version.is_some_and(|v| v != doc.version) {
                return Err(ProtoError::new(
                    ErrorCode::StaleVersion,
                    format!("the room is at version {}", doc.version),
                ));
            }
            if doc.status != Status::Playing {
                return Err(ErrorCode::GameNotActive.into());
            }
            let seat = doc
                .player(&m.player_id)
                .map(|p| p.seat)
                .ok_or(ErrorCode::NotInRoom)?;
            let (state, applied) = doc
                .game
                .play(&doc.state, seat, action)
                .map_err(move_error)?;
            doc.state = Arc::new(state);
            if applied.outcome.is_over() {
                doc.status = Status::Finished;
            }
            Ok(Plan::update(vec![(
                Audience::All,
                state_event(Some(m.player_id.clone()), applied.action),
            )])
            .with_move(seat, action.clone()))
        })
        .await
    }

    /// Ask for a new game after a finished one. It starts, the other seat moving first,
    /// once every seated player has asked; until then the others are told of the offer.
    pub async fn rematch(&self, m: &Membership) -> Result<(), ProtoError> {
        if m.role == Role::Spectator {
            return Err(ErrorCode::NotAPlayer.into());
        }
        self.mutate(&m.code, |doc| {
            if doc.status != Status::Finished {
                return Err(ProtoError::new(
                    ErrorCode::GameNotActive,
                    "a rematch can start only after the game has finished",
                ));
            }
            if doc.player(&m.player_id).is_none() {
                return Err(ErrorCode::NotInRoom.into());
            }
            if doc.free_seat().is_some() {
                return Err(ProtoError::new(
                    ErrorCode::GameNotActive,
                    "a rematch needs every seat taken",
                ));
            }
            if doc.rematch.iter().any(|id| **id == *m.player_id) {
                return Ok(Plan::skip());
            }
            doc.rematch.push(m.player_id.to_string());
            let asked = |id: &String| doc.rematch.contains(id);
            if !doc.players.iter().all(|p| asked(&p.player_id)) {
                // Everyone but the asker: the other seats, and the spectators.
                let offer = Event::RematchOffered(m.player_id.to_string());
                let others = doc.players.iter().filter(|p| *p.player_id != *m.player_id);
                let mut frames: Vec<_> = others
                    .map(|p| (Audience::Seat(p.seat), offer.clone()))
                    .collect();
                frames.push((Audience::Watchers, offer));
                return Ok(Plan::update(frames));
            }
            doc.rematch.clear();
            doc.first = (doc.first + 1) % doc.game.seats();
            doc.state = Arc::new(doc.game.new_state(doc.first));
            doc.status = Status::Playing;
            Ok(Plan::update(vec![(
                Audience::All,
                state_event(Some(m.player_id.clone()), None),
            )]))
        })
        .await
        .map(|_| ())
    }

    /// Say something to the room. Chat is not stored; it refreshes the room's TTL.
    pub async fn chat(&self, m: &Membership, text: &str) -> Result<(), ProtoError> {
        let frame = encode(&ServerMsg::Chat {
            room: &m.code,
            from: &m.player_id,
            name: &m.name,
            text,
            ts: &ids::now_millis(),
        });
        let env = Envelope::to_all(None, vec![frame]);
        if self.store.publish(&m.code, &env).await? {
            self.hub.touch(&m.code);
            Ok(())
        } else {
            Err(ErrorCode::RoomNotFound.into())
        }
    }
}

/// What a player is told of a refused move. A state the game cannot read is `internal`
/// for the client; the game layer logged why, and the error keeps it as its cause.
pub(super) fn move_error(e: MoveError) -> ProtoError {
    match e {
        MoveError::NotYourTurn(_) => ProtoError::new(ErrorCode::NotYourTurn, e.to_string()),
        MoveError::Illegal(msg) => ProtoError::new(ErrorCode::IllegalMove, msg),
        MoveError::GameOver => ProtoError::new(ErrorCode::GameNotActive, e.to_string()),
        MoveError::WrongGame => ProtoError::from(ErrorCode::Internal).caused_by(e),
    }
}
