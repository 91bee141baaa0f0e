//! Opening a room and seating its creator.

use std::sync::Arc;

use super::join::seat_player;
use super::member::{joined, ConnHandle, Joined};
use super::{ids, settle, Rooms};
use crate::error::{ErrorCode, ProtoError};
use crate::game::GameKind;
use crate::model::{RoomDoc, Status};

/// How many times `create` draws a new code when the one drawn is taken.
const CODE_ATTEMPTS: usize = 8;

impl Rooms {
    /// Open a room and seat the creator (with no turn clock).
    #[cfg(feature = "internals")]
    pub async fn create(
        &self,
        conn: &ConnHandle,
        game: GameKind,
        name: String,
        private: bool,
    ) -> Result<Joined, ProtoError> {
        self.create_with_clock(conn, game, name, private, None)
            .await
    }

    /// Open a room, with a turn clock of `turn_secs` seconds per move if given (the
    /// caller has checked the range), and seat the creator.
    pub async fn create_with_clock(
        &self,
        conn: &ConnHandle,
        game: GameKind,
        name: String,
        private: bool,
        turn_secs: Option<u32>,
    ) -> Result<Joined, ProtoError> {
        self.open_room(conn, game, name, private, turn_secs, true)
            .await
    }

    /// Open a room and seat the creator; `listed`: put it on the open index at once.
    pub(super) async fn open_room(
        &self,
        conn: &ConnHandle,
        game: GameKind,
        name: String,
        private: bool,
        turn_secs: Option<u32>,
        listed: bool,
    ) -> Result<Joined, ProtoError> {
        if !self.games.contains(game) {
            return Err(ErrorCode::UnknownGame.into());
        }
        let player_id = ids::player_id();
        for _ in 0..CODE_ATTEMPTS {
            let code = ids::room_code();
            let token = ids::session_token(&code);
            let now = ids::now_secs();
            let mut doc = RoomDoc {
                code: code.clone(),
                game,
                status: Status::Waiting,
                private,
                created_at: now.clone(),
                updated_at: now,
                version: 1,
                players: Default::default(),
                spectators: 0,
                state: Arc::new(game.new_state(0)),
                first: 0,
                turn_secs,
                deadline: None,
                presence: Default::default(),
                rematch: Vec::new(),
                game_number: 0,
                game_started_at: None,
            };
            let user = conn.user.as_deref();
            seat_player(&mut doc, &player_id, &name, &token, &self.node, user)?;
            let key = self.attach(&code, conn, &player_id, 1, Some(0)).await?;
            let created = if listed {
                self.store.create(&doc).await
            } else {
                self.store.create_unlisted(&doc).await
            };
            match created {
                Ok(true) => {
                    let doc = Arc::new(doc);
                    self.hub.remember(doc.clone());
                    let j = joined(key, &doc, &player_id, Some(token));
                    self.confirm(conn, &j);
                    return Ok(j);
                }
                Ok(false) => self.hub.detach(&code, conn.id),
                Err(e) => {
                    self.hub.detach(&code, conn.id);
                    if settle::ambiguous(&e) {
                        self.undo_seat(&code, &player_id);
                    }
                    return Err(e.into());
                }
            }
        }
        Err(ProtoError::new(
            ErrorCode::Internal,
            "could not allocate a room code",
        ))
    }
}
