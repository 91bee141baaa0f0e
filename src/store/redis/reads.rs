//! The room reads on Redis that go through an index: the open rooms (quick play's
//! listing) and the admin listing. Each is one index read, then one batch of `HGET`s sent
//! together; entries whose room is gone or no longer open are dropped on the way.

use fred::interfaces::SortedSetsInterface;
use futures_util::future::join_all;

use super::failure::store_err;
use super::RedisStore;
use crate::error::StoreError;
use crate::game::GameKind;
use crate::model::RoomDoc;
use crate::store::{now_ms, offered, IndexChange, RoomPage, RoomStore};

impl RedisStore {
    /// [`RoomStore::open_rooms`].
    pub(super) async fn read_open(
        &self,
        game: Option<GameKind>,
        limit: usize,
    ) -> Result<Vec<RoomDoc>, StoreError> {
        let games: Vec<GameKind> = game.map_or_else(GameKind::all, |g| vec![g]);
        let client = self.conns.pick();
        let now = now_ms() as f64;
        let reads = games.iter().map(|g| {
            client.zrangebyscore::<Vec<String>, _, _, _>(
                self.keys.open(*g),
                now,
                "+inf",
                false,
                Some((0, limit as i64)),
            )
        });
        let mut codes = Vec::new();
        for r in join_all(reads).await {
            codes.extend(r.map_err(store_err)?);
        }
        let docs = self.read_docs(&codes).await?;
        let mut open = Vec::new();
        for (code, doc) in codes.iter().zip(docs) {
            match doc {
                Some(doc) if offered(&doc) => open.push(doc),
                // Stale entry (the room filled or emptied while the index write was lost).
                Some(doc) => {
                    self.reindex(code, &[doc.game], IndexChange::Close, false)
                        .await?
                }
                None => self.deindex(code).await?,
            }
        }
        open.sort_by(|a, b| a.created_at.cmp(&b.created_at));
        open.truncate(limit);
        Ok(open)
    }

    /// [`RoomStore::list_rooms`].
    pub(super) async fn read_page(
        &self,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<RoomPage, StoreError> {
        let client = self.conns.pick();
        let min = cursor.map_or_else(|| "-".to_string(), |c| format!("({c}"));
        let codes: Vec<String> = client
            .zrangebylex(
                self.keys.all_rooms(),
                min.as_str(),
                "+",
                Some((0, limit as i64)),
            )
            .await
            .map_err(store_err)?;
        let docs = self.read_docs(&codes).await?;
        let next_cursor = (codes.len() == limit)
            .then(|| codes.last().cloned())
            .flatten();
        let mut rooms = Vec::with_capacity(docs.len());
        let mut gone = Vec::new();
        for (code, doc) in codes.into_iter().zip(docs) {
            match doc {
                Some(doc) => rooms.push(doc),
                None => gone.push(code),
            }
        }
        for code in gone {
            self.deindex(&code).await?;
        }
        Ok(RoomPage { rooms, next_cursor })
    }

    pub(super) async fn read_docs(&self, codes: &[String]) -> Result<Vec<Option<RoomDoc>>, StoreError> {
        // The rooms live in different slots, so these are separate commands, sent at once.
        let reads = codes.iter().map(|c| self.load(c));
        join_all(reads).await.into_iter().collect()
    }
}
