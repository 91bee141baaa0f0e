//! The turn-clock deadline index in Redis: one sorted set of `CODE:ms` members scored by
//! the deadline. Every node polls it with one `ZRANGEBYSCORE` per tick; with no clock due
//! that is the whole cost. Members are only added and removed (never re-scored), so two
//! writers can never move a room's entry later than its stored deadline.

use fred::interfaces::SortedSetsInterface;

use super::failure::store_err;
use super::RedisStore;
use crate::error::StoreError;
use crate::store::keys::Keys;

impl RedisStore {
    pub(super) async fn zadd_deadline(&self, code: &str, at: u64) -> Result<(), StoreError> {
        let member = Keys::deadline_member(code, at);
        self.conns
            .pick()
            .zadd::<(), _, _>(
                self.keys.deadlines(),
                None,
                None,
                false,
                false,
                (at as f64, member),
            )
            .await
            .map_err(store_err)
    }

    pub(super) async fn due(
        &self,
        now: u64,
        limit: usize,
    ) -> Result<Vec<(String, u64)>, StoreError> {
        let now = i64::try_from(now).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let members: Vec<String> = self
            .conns
            .pick()
            .zrangebyscore(self.keys.deadlines(), "-inf", now, false, Some((0, limit)))
            .await
            .map_err(store_err)?;
        Ok(members
            .iter()
            .filter_map(|m| Keys::parse_deadline_member(m))
            .collect())
    }

    pub(super) async fn zrem_deadline(&self, code: &str, at: u64) -> Result<(), StoreError> {
        self.conns
            .pick()
            .zrem::<(), _, _>(self.keys.deadlines(), Keys::deadline_member(code, at))
            .await
            .map_err(store_err)
    }
}
