//! Taking a held seat back: with its session token ([`Rooms::resume`]), or as the user
//! who holds it, joining the room again from another socket (`reclaim`).

use std::sync::Arc;

use super::events::Event;
use super::ids;
use super::member::{joined, ConnHandle, Joined};
use super::plan::{Plan, Write};
use super::Rooms;
use crate::error::{ErrorCode, ProtoError};
use crate::model::{Audience, Effect, RoomDoc};
use crate::protocol::{KICK_REASON_REPLACED, KICK_REASON_RESUMED};

impl Rooms {
    /// Reclaim a seat with a session token. A seat that belongs to a user is resumed
    /// only by a socket signed in as that user.
    pub async fn resume(&self, conn: &ConnHandle, token: &str) -> Result<Joined, ProtoError> {
        let invalid = || ProtoError::from(ErrorCode::InvalidSession);
        let code = ids::session_room(token).ok_or_else(invalid)?;
        let hash = ids::session_hash(token);
        let doc = self.current(&code, false).await.map_err(|e| match e.code {
            ErrorCode::RoomNotFound => invalid(),
            _ => e,
        })?;
        let player = doc
            .players
            .iter()
            .find(|p| p.session_hash == hash)
            .ok_or_else(invalid)?;
        if player.user.is_some() && player.user.as_deref() != conn.user.as_deref() {
            return Err(invalid());
        }
        self.take_back(conn, &doc, &player.player_id, token.to_string(), KICK_REASON_RESUMED)
            .await
    }

    /// Give the user of `conn` back the seat `player_id` they hold in room `code`, with a
    /// new session token (the old one belonged to the socket that is now told `kicked`
    /// `replaced`).
    pub(super) async fn reclaim(
        &self,
        conn: &ConnHandle,
        doc: &RoomDoc,
        player_id: &str,
    ) -> Result<Joined, ProtoError> {
        let token = ids::session_token(&doc.code);
        self.take_back(conn, doc, player_id, token, KICK_REASON_REPLACED)
            .await
    }

    /// Move seat `player_id` of room `doc` to `conn`: the socket that held it (if any) is
    /// told `kicked` with `reason` and detached; `token` is the seat's session from now on.
    async fn take_back(
        &self,
        conn: &ConnHandle,
        doc: &RoomDoc,
        player_id: &str,
        token: String,
        reason: &'static str,
    ) -> Result<Joined, ProtoError> {
        let invalid = || ProtoError::from(ErrorCode::InvalidSession);
        let player = doc.player(player_id).ok_or_else(invalid)?;
        let code: Arc<str> = Arc::from(doc.code.as_str());
        let key = self
            .attach(&code, conn, player_id, player.epoch + 1, Some(player.seat))
            .await?;
        let hash = ids::session_hash(&token);
        let result = self
            .mutate(&code, |doc| {
                let p = doc.player_mut(player_id).ok_or_else(invalid)?;
                p.epoch += 1;
                p.connected = true;
                p.session_hash = hash.clone();
                let epoch = p.epoch;
                self.hub.set_epoch(&code, conn.id, epoch);
                let node = self.node.to_string();
                doc.presence_mut().seats.insert(player_id.to_string(), node);
                Ok(Plan {
                    frames: vec![
                        (Audience::Target, Event::Kicked(reason)),
                        (
                            Audience::Others,
                            Event::PlayerConnection(player_id.to_string(), true),
                        ),
                    ],
                    effect: Effect::Detach {
                        player_id: player_id.to_string(),
                        keep_epoch: Some(epoch),
                    },
                    write: Write::Update,
                    moved: None,
                })
            })
            .await;
        match result {
            Ok(doc) => {
                let j = joined(key, &doc, player_id, Some(token));
                self.confirm(conn, &j);
                Ok(j)
            }
            Err(e) => {
                self.hub.detach(&code, conn.id);
                Err(match e.code {
                    ErrorCode::RoomNotFound => invalid(),
                    _ => e,
                })
            }
        }
    }
}
