//! What operators and lists read and do: open rooms, snapshots, the listing, closing a
//! room and kicking a player.

use std::sync::Arc;

use super::leave::plan_departure;
use super::{results, Membership, Rooms};
use crate::error::{ErrorCode, ProtoError};
use crate::game::GameKind;
use crate::model::{Audience, Effect, Envelope};
use crate::model::{RoomDoc, RoomSummary};
use crate::protocol::{encode, ServerMsg, CLOSE_REASON_OPERATOR, KICK_REASON_OPERATOR};
use crate::store::outbox::CLOSED_BY_OPERATOR;
use crate::store::RoomPage;

impl Rooms {
    /// Public rooms with a free seat, of the games this server plays (a shared Redis
    /// may hold rooms of games another server registered).
    pub async fn open_rooms(
        &self,
        game: Option<GameKind>,
        limit: usize,
    ) -> Result<Vec<RoomSummary>, ProtoError> {
        let docs = self.store.open_rooms(game, limit).await?;
        Ok(docs
            .iter()
            .filter(|d| self.games.contains(d.game))
            .map(RoomDoc::summary)
            .collect())
    }

    /// One room as stored (operators read the store, never a cache).
    pub async fn snapshot(&self, code: &str) -> Result<Option<RoomDoc>, ProtoError> {
        Ok(self.store.load(code).await?)
    }

    /// A room as stored and the moves of its current (or last) game.
    pub async fn history(&self, code: &str) -> Result<Option<(RoomDoc, Vec<String>)>, ProtoError> {
        let Some(doc) = self.store.load(code).await? else {
            return Ok(None);
        };
        let moves = self.store.moves(code).await?;
        Ok(Some((doc, moves)))
    }

    /// The rooms where `user` holds a seat.
    pub async fn user_rooms(&self, user: &str) -> Result<Vec<RoomSummary>, ProtoError> {
        let docs = self.store.user_rooms(user).await?;
        Ok(docs.iter().map(RoomDoc::summary).collect())
    }

    /// A page of all rooms.
    pub async fn list(&self, cursor: Option<&str>, limit: usize) -> Result<RoomPage, ProtoError> {
        Ok(self.store.list_rooms(cursor, limit).await?)
    }

    /// Close a room for everyone (operator). `false` if there was no such room.
    pub async fn close(&self, code: &str) -> Result<bool, ProtoError> {
        // The event names the room's game: read it first (an operator's call, not a move).
        let event = match self.results {
            true => match self.store.load(code).await? {
                Some(doc) => Some(results::room_closed(
                    code,
                    doc.game,
                    &doc.created_at,
                    CLOSED_BY_OPERATOR,
                )),
                None => return Ok(false),
            },
            false => None,
        };
        let frame = encode(&ServerMsg::RoomClosed {
            room: code,
            reason: CLOSE_REASON_OPERATOR,
        });
        let env = Envelope {
            effect: Effect::Close,
            frames: vec![(Audience::All, frame)],
            ..Envelope::default()
        };
        Ok(self.store.delete(code, &env, event.as_ref()).await?)
    }

    /// Remove a player from a room (operator). `false` if no such player.
    pub async fn kick(&self, code: &str, player_id: &str) -> Result<bool, ProtoError> {
        let Some(doc) = self.snapshot(code).await? else {
            return Err(ErrorCode::RoomNotFound.into());
        };
        let Some(target) = Membership::seated(Arc::from(code), &doc, player_id) else {
            return Ok(false);
        };
        let result = self
            .mutate(code, |doc| {
                if doc.player(player_id).is_none() {
                    return Err(ErrorCode::NotInRoom.into());
                }
                Ok(plan_departure(
                    doc,
                    &target,
                    Some(KICK_REASON_OPERATOR),
                    &self.node,
                ))
            })
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if e.code == ErrorCode::NotInRoom => Ok(false),
            Err(e) => Err(e),
        }
    }
}
