//! The room indexes on Redis: the writes that go with a room write, the periodic sweep
//! that keeps them bounded, and the one-off move from layout 1.
//!
//! Every index entry is scored by the time it expires ([`IndexClock`]): a room pushes its
//! entries forward on a write at most once per refresh period (its script says when), so
//! a move stays one round trip. The sweep trims whatever is scored below now: every node
//! runs it once per period, one batch of commands when nothing expired, two when something
//! did (`rooms` is ordered by code for the admin listing, so its dead codes are read from
//! `expiry` first). No operator action and no listing is needed to keep the indexes small.

use fred::error::Error as FredError;
use fred::interfaces::{HashesInterface, KeysInterface, SortedSetsInterface};
use fred::prelude::Client;
use fred::types::SetOptions;
use futures_util::future::{join_all, BoxFuture};
use tokio::task::JoinHandle;

use super::conns::Conns;
use super::expiry::close_expired;
use super::failure::store_err;
use super::RedisStore;
use crate::error::{Chain, StoreError};
use crate::game::GameKind;
use crate::metrics as m;
use crate::store::keys::{Keys, SCHEMA_VERSION};
use crate::store::{now_ms, IndexChange, IndexClock};

/// Most dead codes one sweep removes from `rooms` (the rest go on the next sweep).
const SWEEP_BATCH: i64 = 1_000;
/// Codes read per page when moving layout-1 indexes over.
const MIGRATE_PAGE: i64 = 1_000;

impl RedisStore {
    /// The index writes that go with a room write, sent together: the open index of each
    /// of `games` follows `change`, and when `due` every entry of the room is pushed to a
    /// fresh score (`XX` on the open index: only a listed room stays listed).
    pub(super) async fn reindex(
        &self,
        code: &str,
        games: &[GameKind],
        change: IndexChange,
        due: bool,
    ) -> Result<(), StoreError> {
        let score = self.clock.score(now_ms());
        let client = self.conns.pick();
        let mut writes: Vec<BoxFuture<'_, Result<(), FredError>>> = Vec::new();
        if due {
            writes.push(Box::pin(client.zadd(
                self.keys.expiry(),
                None,
                None,
                false,
                false,
                (score, code),
            )));
        }
        for game in games {
            let key = self.keys.open(*game);
            match change {
                IndexChange::Open => writes.push(Box::pin(client.zadd(
                    key,
                    None,
                    None,
                    false,
                    false,
                    (score, code),
                ))),
                IndexChange::Close => writes.push(Box::pin(client.zrem(key, code))),
                IndexChange::Keep if due => writes.push(Box::pin(client.zadd(
                    key,
                    Some(SetOptions::XX),
                    None,
                    false,
                    false,
                    (score, code),
                ))),
                IndexChange::Keep => {}
            }
        }
        for r in join_all(writes).await {
            r.map_err(store_err)?;
        }
        Ok(())
    }

    /// Drop a room from every index (it was deleted or found gone).
    pub(super) async fn deindex(&self, code: &str) -> Result<(), StoreError> {
        let client = self.conns.pick();
        let meta = async {
            match self.results {
                true => client.hdel::<(), _, _>(self.keys.room_meta(), code).await,
                false => Ok(()),
            }
        };
        let (a, b, c, d) = tokio::join!(
            client.zrem::<(), _, _>(self.keys.all_rooms(), code),
            client.zrem::<(), _, _>(self.keys.expiry(), code),
            self.reindex(code, &GameKind::ALL, IndexChange::Close, false),
            meta,
        );
        a.map_err(store_err)?;
        b.map_err(store_err)?;
        d.map_err(store_err)?;
        c
    }
}

/// Sweep the indexes every refresh period until aborted.
/// With `results`, an expired room's `room.closed` is recorded as it leaves the indexes.
pub(super) fn sweep_indexes(
    conns: &Conns,
    keys: Keys,
    clock: IndexClock,
    results: bool,
) -> JoinHandle<()> {
    let conns = conns.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(clock.refresh());
        loop {
            tick.tick().await;
            if let Err(e) = sweep_once(&conns.pick(), &keys, results).await {
                let e = store_err(e);
                m::store_error(m::StoreOp::SweepIndexes, e.kind());
                tracing::debug!(error = %Chain(&e), "index sweep failed; next period retries");
            }
        }
    })
}

/// One sweep: trim the open indexes and `expiry` by score, and `rooms` by the dead codes
/// `expiry` held (with `results`, one by one, recording each room's `room.closed`).
/// Returns how many rooms left `rooms`.
pub async fn sweep_once(client: &Client, keys: &Keys, results: bool) -> Result<usize, FredError> {
    let now = now_ms() as f64;
    let open = GameKind::ALL
        .iter()
        .map(|g| client.zremrangebyscore::<(), _, _, _>(keys.open(*g), "-inf", now));
    let dead = client.zrangebyscore::<Vec<String>, _, _, _>(
        keys.expiry(),
        "-inf",
        now,
        false,
        Some((0, SWEEP_BATCH)),
    );
    let (trimmed, dead) = tokio::join!(join_all(open), dead);
    for r in trimmed {
        r?;
    }
    let dead = dead?;
    if dead.is_empty() {
        return Ok(0);
    }
    if results {
        return close_expired(client, keys, &dead).await;
    }
    let (a, b) = tokio::join!(
        client.zrem::<(), _, _>(keys.all_rooms(), dead.clone()),
        client.zrem::<(), _, _>(keys.expiry(), dead.clone()),
    );
    a?;
    b?;
    Ok(dead.len())
}

/// Move layout-1 indexes to layout 2 and bump the marker: every code of `rooms` gets an
/// `expiry` entry, every open entry an expiry score, both as if the room had just been
/// written (an upper bound: live rooms keep them fresh, dead ones are swept one TTL later).
/// Idempotent, so nodes starting together may all run it.
pub(super) async fn migrate_v1(
    conns: &Conns,
    keys: &Keys,
    clock: IndexClock,
) -> Result<(), FredError> {
    let client = conns.pick();
    let score = clock.score(now_ms());
    let mut start = 0;
    loop {
        let codes: Vec<String> = client
            .zrange(
                keys.all_rooms(),
                start,
                start + MIGRATE_PAGE - 1,
                None,
                false,
                None,
                false,
            )
            .await?;
        if codes.is_empty() {
            break;
        }
        start += codes.len() as i64;
        let entries: Vec<(f64, String)> = codes.into_iter().map(|c| (score, c)).collect();
        client
            .zadd::<(), _, _>(
                keys.expiry(),
                Some(SetOptions::NX),
                None,
                false,
                false,
                entries,
            )
            .await?;
    }
    for game in GameKind::ALL {
        let codes: Vec<String> = client
            .zrange(keys.open(game), 0, -1, None, false, None, false)
            .await?;
        if codes.is_empty() {
            continue;
        }
        let entries: Vec<(f64, String)> = codes.into_iter().map(|c| (score, c)).collect();
        client
            .zadd::<(), _, _>(keys.open(game), None, None, false, false, entries)
            .await?;
    }
    client
        .set::<(), _, _>(keys.schema(), SCHEMA_VERSION, None, None, false)
        .await?;
    tracing::info!("moved the room indexes to key layout {SCHEMA_VERSION}");
    Ok(())
}
