//! Node liveness in Redis (see `room::liveness` for what it is for): a sorted set of node
//! ids scored by when each one's heartbeat lapses, by the Redis clock, and per node the
//! rooms it last reported. Each beat is 2 commands sent together; looking for dead nodes
//! is 1 script, plus 1 read per dead node.

use std::sync::Arc;
use std::time::Duration;

use fred::interfaces::{KeysInterface, SortedSetsInterface};
use fred::types::Expiration;

use super::eval::eval;
use super::failure::store_err;
use super::RedisStore;
use crate::error::StoreError;

impl RedisStore {
    pub(super) async fn beat(
        &self,
        node: &str,
        ttl: Duration,
        rooms: &[Arc<str>],
    ) -> Result<bool, StoreError> {
        let client = self.conns.pick();
        let ttl_ms = ttl.as_millis().to_string();
        let registered = eval::<i64, _, _>(&self.scripts.heartbeat, &client, || {
            (
                vec![self.keys.nodes()],
                vec![node.to_string(), ttl_ms.clone()],
            )
        });
        let codes: Vec<&str> = rooms.iter().map(|c| &**c).collect();
        // Kept as long as a room: a dead node's list is read after its heartbeat lapsed.
        let expire = Some(Expiration::EX(self.ttl_secs.max(1)));
        let listed = client.set::<(), _, _>(
            self.keys.node_rooms(node),
            codes.join(","),
            expire,
            None,
            false,
        );
        let (registered, listed) = tokio::join!(registered, listed);
        listed.map_err(store_err)?;
        Ok(registered.map_err(store_err)? == 0)
    }

    pub(super) async fn lapsed(&self) -> Result<Vec<(String, Vec<String>)>, StoreError> {
        let client = self.conns.pick();
        let dead: Vec<String> = eval(&self.scripts.dead_nodes, &client, || {
            (vec![self.keys.nodes()], Vec::<String>::new())
        })
        .await
        .map_err(store_err)?;
        let mut out = Vec::with_capacity(dead.len());
        for node in dead {
            let rooms: Option<String> = client
                .get(self.keys.node_rooms(&node))
                .await
                .map_err(store_err)?;
            let rooms = rooms
                .unwrap_or_default()
                .split(',')
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect();
            out.push((node, rooms));
        }
        Ok(out)
    }

    pub(super) async fn forget(&self, node: &str) -> Result<(), StoreError> {
        let client = self.conns.pick();
        let _: () = client
            .zrem(self.keys.nodes(), node)
            .await
            .map_err(store_err)?;
        let _: () = client
            .del(self.keys.node_rooms(node))
            .await
            .map_err(store_err)?;
        Ok(())
    }
}
