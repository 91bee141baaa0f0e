//! Reclaiming a seat with a session token.

use super::events::Event;
use super::ids;
use super::member::{joined, ConnHandle, Joined};
use super::plan::{Plan, Write};
use super::Rooms;
use crate::error::{ErrorCode, ProtoError};
use crate::model::{Audience, Effect};
use crate::protocol::KICK_REASON_RESUMED;

impl Rooms {
    /// Reclaim a seat with a session token.
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
        let player_id = player.player_id.clone();
        let key = self
            .attach(&code, conn, &player_id, player.epoch + 1, Some(player.seat))
            .await?;
        let result = self
            .mutate(&code, |doc| {
                let p = doc.player_mut(&player_id).ok_or_else(invalid)?;
                p.epoch += 1;
                p.connected = true;
                let epoch = p.epoch;
                self.hub.set_epoch(&code, conn.id, epoch);
                let node = self.node.to_string();
                doc.presence_mut().seats.insert(player_id.clone(), node);
                Ok(Plan {
                    frames: vec![
                        (Audience::Target, Event::Kicked(KICK_REASON_RESUMED)),
                        (
                            Audience::Others,
                            Event::PlayerConnection(player_id.clone(), true),
                        ),
                    ],
                    effect: Effect::Detach {
                        player_id: player_id.clone(),
                        keep_epoch: Some(epoch),
                    },
                    write: Write::Update,
                    moved: None,
                })
            })
            .await;
        match result {
            Ok(doc) => {
                let j = joined(key, &doc, &player_id, Some(token.to_string()));
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
