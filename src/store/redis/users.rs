//! Accounts on Redis: the per-user index of rooms where a user holds a seat, and the
//! revocations every node watches.
//!
//! The per-user index is a hint, scored like the other indexes by when its entry expires:
//! an entry is added with the write that seats the user (sent beside the room's script,
//! so the write stays one round trip) and pushed forward with the room's other index
//! entries. Reads keep only rooms where the user still holds a seat, so an entry left by
//! a seat given up (or a write that lost its compare-and-set) costs a read, never a wrong
//! answer; trimming by score bounds the set.

use fred::interfaces::SortedSetsInterface;
use fred::prelude::Value;

use super::failure::store_err;
use super::RedisStore;
use crate::error::StoreError;
use crate::model::RoomDoc;
use crate::store::now_ms;

/// Most rooms one user's index lists.
const USER_ROOMS_MAX: i64 = 200;

impl RedisStore {
    /// Add room `code` to the index of each of `users`.
    pub(super) async fn index_users(&self, code: &str, users: &[String]) -> Result<(), StoreError> {
        let score = self.clock.score(now_ms());
        let client = self.conns.pick();
        let writes = users.iter().map(|u| {
            client.zadd::<(), _, _>(
                self.keys.user_rooms(u),
                None,
                None,
                false,
                false,
                (score, code),
            )
        });
        for r in futures_util::future::join_all(writes).await {
            r.map_err(store_err)?;
        }
        Ok(())
    }

    /// [`RoomStore::user_rooms`](crate::store::RoomStore::user_rooms).
    pub(super) async fn read_user_rooms(&self, user: &str) -> Result<Vec<RoomDoc>, StoreError> {
        let client = self.conns.pick();
        let key = self.keys.user_rooms(user);
        let now = now_ms() as f64;
        let (codes, trimmed) = tokio::join!(
            client.zrangebyscore::<Vec<String>, _, _, _>(
                &key,
                now,
                "+inf",
                false,
                Some((0, USER_ROOMS_MAX)),
            ),
            client.zremrangebyscore::<(), _, _, _>(&key, "-inf", now),
        );
        trimmed.map_err(store_err)?;
        let codes = codes.map_err(store_err)?;
        let docs = self.read_docs(&codes).await?;
        Ok(docs
            .into_iter()
            .flatten()
            .filter(|d| d.players.iter().any(|p| p.user.as_deref() == Some(user)))
            .collect())
    }

    /// [`RoomStore::revoke`](crate::store::RoomStore::revoke): record when, and forget
    /// revocations older than `ttl_ms` (they refuse nothing any more).
    pub(super) async fn write_revoke(
        &self,
        user: &str,
        at_ms: i64,
        ttl_ms: i64,
    ) -> Result<(), StoreError> {
        let client = self.conns.pick();
        let key = self.keys.revoked();
        let (a, b) = tokio::join!(
            client.zadd::<(), _, _>(&key, None, None, false, false, (at_ms as f64, user)),
            client.zremrangebyscore::<(), _, _, _>(&key, "-inf", (at_ms - ttl_ms) as f64),
        );
        a.map_err(store_err)?;
        b.map_err(store_err)
    }

    /// [`RoomStore::revoked_at`](crate::store::RoomStore::revoked_at).
    pub(super) async fn read_revoked_at(&self, user: &str) -> Result<Option<i64>, StoreError> {
        let score: Option<f64> = self
            .conns
            .pick()
            .zscore(self.keys.revoked(), user)
            .await
            .map_err(store_err)?;
        Ok(score.map(|s| s as i64))
    }

    /// [`RoomStore::revocations_since`](crate::store::RoomStore::revocations_since).
    pub(super) async fn read_revocations_since(
        &self,
        after_ms: i64,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let reply: Vec<Value> = self
            .conns
            .pick()
            .zrangebyscore(
                self.keys.revoked(),
                format!("({after_ms}"),
                "+inf",
                true,
                Some((0, 1_000)),
            )
            .await
            .map_err(store_err)?;
        let mut out = Vec::new();
        for pair in reply.chunks(2) {
            if let [user, score] = pair {
                let user = user.as_string();
                let score = score.as_f64().or_else(|| score.as_string()?.parse().ok());
                if let (Some(user), Some(score)) = (user, score) {
                    out.push((user, score as i64));
                }
            }
        }
        Ok(out)
    }
}
