//! The Redis backend: a fred pool for commands, a subscriber client for room events.
//!
//! Round trips per operation (each is one network exchange with Redis):
//! - `create`: 1 script, plus 1 for the two index writes, sent together (the indexes live
//!   in other slots than the room, so they cannot join the script on a cluster).
//! - `load`: 1 (`HGET`).
//! - `update`: 1 script (compare-and-set + TTL + publish). Only when the room enters or
//!   leaves the open-room index (a seat fills or frees) 1 more for that index.
//! - `delete`: 1 script, plus 1 to drop the code from the room index.
//! - `publish` (chat): 1 script.
//! - `open_rooms` / `list_rooms`: 1 index read, then 1 batch of `HGET`s sent together.
//! - `subscribe` / `unsubscribe`: 1 on the subscriber connection.
//!
//! Messages published while the subscriber connection is down (Redis restarted, a
//! failover) never arrive. So after it reconnects and its subscriptions are restored,
//! every room with local members is read once (1 batch of `HGET`s) and members of a room
//! that moved on meanwhile get a `state` event at the stored version.
//!
//! Behind Sentinel, fred asks the sentinels where the master is only when a connection
//! breaks. A demoted master that stays up (a manual `SENTINEL FAILOVER`, a healed
//! partition) keeps its connections until Sentinel reconfigures it, some 10 s later, and
//! every write it takes meanwhile is lost when it resyncs from the new master. So the store
//! also listens to each sentinel's `+switch-master` and moves such connections at once.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use fred::clients::{Pool, SentinelClient, SubscriberClient};
use fred::error::{Error as FredError, ErrorKind};
use fred::interfaces::{
    EventInterface, HashesInterface, KeysInterface, PubsubInterface, SortedSetsInterface,
};
use fred::prelude::{ClientLike, Config as FredConfig, ReconnectPolicy, Value};
use fred::types::config::{SentinelConfig, ServerConfig};
use fred::types::{Builder, SetOptions};
use futures_util::future::join_all;
use tokio::task::JoinHandle;

use super::keys::{Keys, SCHEMA_VERSION};
use super::scripts::Scripts;
use super::{CasOutcome, IndexChange, PoolStats, RoomPage, RoomStore};
use crate::config::{mask_url, Config};
use crate::error::StoreError;
use crate::game::GameKind;
use crate::hub::{Audience, Envelope, Hub};
use crate::metrics as m;
use crate::protocol::{encode, ServerMsg};
use crate::room::model::RoomDoc;

/// Room events the subscriber buffers before a slow reader starts losing them.
const SUBSCRIBER_EVENT_BUFFER: usize = 8 * 1024;

/// Why the Redis store could not start.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The URL is not one fred understands.
    #[error("invalid Redis URL {url}: {reason}")]
    BadUrl { url: String, reason: String },
    /// Nothing answered before the deadline.
    #[error("could not connect to Redis at {url} within {deadline_ms} ms: {reason}")]
    Unreachable {
        url: String,
        deadline_ms: u64,
        reason: String,
    },
    /// Redis holds keys of a layout this version does not know.
    #[error("Redis at {url} holds Parlor key layout {found}, this server writes layout {SCHEMA_VERSION}")]
    Schema { url: String, found: String },
}

/// Rooms in Redis.
pub struct RedisStore {
    pool: Pool,
    subscriber: SubscriberClient,
    keys: Keys,
    ttl_secs: i64,
    scripts: Scripts,
    reconnects: Arc<AtomicU64>,
    /// Connections to the sentinels, for `+switch-master` (Sentinel URLs only).
    sentinels: Vec<SentinelClient>,
    tasks: Vec<JoinHandle<()>>,
}

impl RedisStore {
    /// Connect (retrying until the configured deadline), check the key layout, and start
    /// relaying room events to `hub`.
    pub async fn connect(cfg: &Config, url: &str, hub: Hub) -> Result<Self, ConnectError> {
        let masked = mask_url(url);
        let fred_cfg = FredConfig::from_url(url).map_err(|e| ConnectError::BadUrl {
            url: masked.clone(),
            reason: e.details().to_string(),
        })?;
        let sentinels = sentinel_clients(&fred_cfg);
        let timeout = cfg.redis_timeout();
        let mut builder = Builder::from_config(fred_cfg);
        builder
            .with_performance_config(|p| {
                p.default_command_timeout = timeout;
            })
            .with_connection_config(|c| {
                c.connection_timeout = timeout;
                c.internal_command_timeout = timeout;
                c.max_command_attempts = 1;
            })
            .set_policy(ReconnectPolicy::new_exponential(0, 50, 2_000, 2));
        let bad = |e: FredError| ConnectError::BadUrl {
            url: masked.clone(),
            reason: e.details().to_string(),
        };
        let pool = builder
            .build_pool(cfg.redis_pool_size as usize)
            .map_err(bad)?;
        // Room events reach us through the subscriber's broadcast channel; a reader that
        // falls behind by more than its capacity loses events, so give that one client
        // room for bursts (~0.4 s at 20 000 events/s). Only the subscriber: fred
        // preallocates every broadcast channel of a client at this size.
        builder.with_performance_config(|p| {
            p.default_command_timeout = timeout;
            p.broadcast_channel_capacity = SUBSCRIBER_EVENT_BUFFER;
        });
        let subscriber = builder.build_subscriber_client().map_err(bad)?;

        let deadline = Instant::now() + Duration::from_millis(cfg.redis_connect_deadline_ms);
        connect_until(&pool, &subscriber, deadline, timeout)
            .await
            .map_err(|reason| ConnectError::Unreachable {
                url: masked.clone(),
                deadline_ms: cfg.redis_connect_deadline_ms,
                reason,
            })?;

        let keys = Keys::new(&cfg.key_prefix);
        check_schema(&pool, &keys)
            .await
            .map_err(|found| ConnectError::Schema {
                url: masked.clone(),
                found,
            })?;

        let reconnects = Arc::new(AtomicU64::new(0));
        let mut tasks = vec![
            relay_events(&subscriber, keys.clone(), hub.clone()),
            restore_subscriptions(&subscriber, &pool, keys.clone(), hub),
        ];
        if let Some((service, _)) = sentinels.first() {
            let switched = Arc::new(std::sync::Mutex::new(String::new()));
            for (_, sentinel) in &sentinels {
                tasks.push(follow_switch_master(
                    sentinel,
                    service.clone(),
                    switched.clone(),
                    &pool,
                    &subscriber,
                ));
            }
        }
        let counted = pool.clients().iter().map(|c| c.reconnect_rx());
        for mut rx in counted.chain(std::iter::once(subscriber.reconnect_rx())) {
            let reconnects = reconnects.clone();
            tasks.push(tokio::spawn(async move {
                while rx.recv().await.is_ok() {
                    reconnects.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!("reconnected to Redis");
                }
            }));
        }
        Ok(RedisStore {
            pool,
            subscriber,
            keys,
            ttl_secs: cfg.room_ttl_secs as i64,
            scripts: Scripts::new(),
            reconnects,
            sentinels: sentinels.into_iter().map(|(_, c)| c).collect(),
            tasks,
        })
    }

    async fn get_docs(&self, codes: &[String]) -> Result<Vec<Option<RoomDoc>>, StoreError> {
        // The rooms live in different slots, so these are separate commands, sent at once.
        let reads = codes.iter().map(|c| self.load(c));
        join_all(reads).await.into_iter().collect()
    }

    async fn index_open(&self, doc: &RoomDoc, change: IndexChange) -> Result<(), StoreError> {
        let key = self.keys.open(doc.game);
        let client = self.pool.next();
        match change {
            IndexChange::Keep => Ok(()),
            IndexChange::Open => {
                let score = created_ms(doc);
                client
                    .zadd::<(), _, _>(key, None, None, false, false, (score, doc.code.as_str()))
                    .await
                    .map_err(store_err)
            }
            IndexChange::Close => client
                .zrem::<(), _, _>(key, doc.code.as_str())
                .await
                .map_err(store_err),
        }
    }
}

async fn connect_until(
    pool: &Pool,
    subscriber: &SubscriberClient,
    deadline: Instant,
    attempt_timeout: Duration,
) -> Result<(), String> {
    let mut backoff = Duration::from_millis(100);
    loop {
        let attempt = async {
            pool.init().await?;
            subscriber.init().await?;
            Ok::<_, FredError>(())
        };
        let left = deadline.saturating_duration_since(Instant::now());
        let reason = match tokio::time::timeout(attempt_timeout.min(left), attempt).await {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(e)) => e.details().to_string(),
            Err(_) => "connection attempt timed out".to_string(),
        };
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            let _ = pool.quit().await;
            let _ = subscriber.quit().await;
            return Err(reason);
        }
        tracing::warn!(%reason, retry_in_ms = backoff.as_millis() as u64, "Redis not reachable yet");
        tokio::time::sleep(backoff.min(left)).await;
        backoff = (backoff * 2).min(Duration::from_secs(2));
    }
}

/// Write the layout marker if absent; refuse a layout we do not know.
async fn check_schema(pool: &Pool, keys: &Keys) -> Result<(), String> {
    let client = pool.next();
    let _: Option<String> = client
        .set(
            keys.schema(),
            SCHEMA_VERSION,
            None,
            Some(SetOptions::NX),
            false,
        )
        .await
        .map_err(|e| e.details().to_string())?;
    let found: Option<String> = client
        .get(keys.schema())
        .await
        .map_err(|e| e.details().to_string())?;
    match found.as_deref() {
        Some(SCHEMA_VERSION) | None => Ok(()),
        Some(other) => Err(other.to_string()),
    }
}

fn relay_events(subscriber: &SubscriberClient, keys: Keys, hub: Hub) -> JoinHandle<()> {
    let mut rx = subscriber.message_rx();
    tokio::spawn(async move {
        loop {
            match rx.recv().await {
                Ok(msg) => {
                    m::pubsub_message("in");
                    let Some(code) = keys.code_of_channel(&msg.channel) else {
                        continue;
                    };
                    let Some(text) = msg.value.as_str() else {
                        continue;
                    };
                    match Envelope::decode(&text) {
                        Some(env) => hub.deliver(code, env),
                        None => tracing::warn!("ignored an undecodable room event"),
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    tracing::error!(missed = n, "room event relay fell behind; events lost");
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    })
}

/// After each reconnect of the subscriber: restore its subscriptions, retrying until they
/// are back, then catch local members up on what was published while it was away.
///
/// Not fred's `manage_subscriptions`: its `resubscribe_all` (fred 10.1) first sends
/// `SUBSCRIBE` and `PSUBSCRIBE` even when there is nothing to restore, with no arguments;
/// Redis refuses them and the sharded channels Parlor uses were never restored. It also
/// gives up after one failure.
fn restore_subscriptions(
    subscriber: &SubscriberClient,
    pool: &Pool,
    keys: Keys,
    hub: Hub,
) -> JoinHandle<()> {
    let subscriber = subscriber.clone();
    let pool = pool.clone();
    let mut reconnected = subscriber.reconnect_rx();
    tokio::spawn(async move {
        while reconnected.recv().await.is_ok() {
            let mut backoff = Duration::from_millis(50);
            loop {
                let restored = match resubscribe(&subscriber).await {
                    Ok(()) => catch_up(&pool, &keys, &hub).await,
                    Err(e) => Err(e),
                };
                match restored {
                    Ok(()) => break,
                    Err(e) => {
                        let (error, retry_in_ms) = (e.details(), backoff.as_millis() as u64);
                        tracing::warn!(error, retry_in_ms, "room subscriptions not restored yet");
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(2));
                    }
                }
            }
        }
    })
}

/// Sentinel's channel announcing a failover: `<service> <old ip> <old port> <new ip> <new port>`.
const SWITCH_MASTER: &str = "+switch-master";

/// One client per configured sentinel (with the service name), for a Sentinel URL.
fn sentinel_clients(cfg: &FredConfig) -> Vec<(String, SentinelClient)> {
    let ServerConfig::Sentinel {
        hosts,
        service_name,
        ..
    } = &cfg.server
    else {
        return Vec::new();
    };
    hosts
        .iter()
        .map(|host| {
            let config = SentinelConfig {
                host: host.host.to_string(),
                port: host.port,
                username: cfg.username.clone(),
                password: cfg.password.clone(),
                tls: cfg.tls.clone(),
            };
            let policy = ReconnectPolicy::new_exponential(0, 100, 2_000, 2);
            let client = SentinelClient::new(config, None, None, Some(policy));
            (service_name.clone(), client)
        })
        .collect()
}

/// Listen to one sentinel's `+switch-master` (subscribing again after each reconnect) and,
/// the first time a new master of `service` is announced, move the connections still on
/// the old master (see [`reconnect_all`]). `switched` is shared by the sentinels'
/// listeners: each announcement is acted on once.
fn follow_switch_master(
    sentinel: &SentinelClient,
    service: String,
    switched: Arc<std::sync::Mutex<String>>,
    pool: &Pool,
    subscriber: &SubscriberClient,
) -> JoinHandle<()> {
    use tokio::sync::broadcast::error::RecvError;
    let sentinel = sentinel.clone();
    let pool = pool.clone();
    let subscriber = subscriber.clone();
    let mut messages = sentinel.message_rx();
    let mut reconnected = sentinel.reconnect_rx();
    // The connection task runs (and reconnects) until `close` quits the client.
    drop(sentinel.connect());
    tokio::spawn(async move {
        loop {
            let subscribed = async {
                sentinel.wait_for_connect().await?;
                sentinel.subscribe(SWITCH_MASTER).await
            };
            if subscribed.await.is_err() {
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
            loop {
                tokio::select! {
                    msg = messages.recv() => match msg {
                        Ok(msg) if &*msg.channel == SWITCH_MASTER => {
                            let text = msg.value.as_string().unwrap_or_default();
                            if let Some(master) = new_master(&text, &service, &switched) {
                                reconnect_all(&master, &pool, &subscriber).await;
                            }
                        }
                        Ok(_) | Err(RecvError::Lagged(_)) => {}
                        Err(RecvError::Closed) => return,
                    },
                    event = reconnected.recv() => match event {
                        Ok(_) | Err(RecvError::Lagged(_)) => break,
                        Err(RecvError::Closed) => return,
                    },
                }
            }
        }
    })
}

/// The new master's address from a `+switch-master` message about `service`, unless
/// another sentinel's message about the same switch was acted on already.
fn new_master(
    text: &str,
    service: &str,
    switched: &std::sync::Mutex<String>,
) -> Option<(String, u16)> {
    let words: Vec<&str> = text.split(' ').collect();
    let [name, _, _, host, port] = words.as_slice() else {
        return None;
    };
    let port: u16 = port.parse().ok()?;
    if *name != service {
        return None;
    }
    let mut last = switched.lock().unwrap_or_else(|e| e.into_inner());
    if *last == format!("{host}:{port}") {
        return None;
    }
    *last = format!("{host}:{port}");
    Some((host.to_string(), port))
}

/// Send every client still connected to another server than the new master back to the
/// sentinels: the pool's first, so no write goes to the old master once events come from
/// the new one. A client without a connection (the old master crashed) is asking the
/// sentinels already and is left alone, as is one that reached the new master.
async fn reconnect_all(master: &(String, u16), pool: &Pool, subscriber: &SubscriberClient) {
    tracing::warn!(master = %format!("{}:{}", master.0, master.1), "Sentinel switched the master");
    join_all(pool.clients().iter().map(|c| leave_old_master(c, master))).await;
    leave_old_master(subscriber, master).await;
}

async fn leave_old_master<C: ClientLike>(client: &C, master: &(String, u16)) {
    let on_master = |s: &fred::types::config::Server| *s.host == *master.0 && s.port == master.1;
    if !client.is_connected() || client.active_connections().iter().any(on_master) {
        return;
    }
    if let Err(e) = client.force_reconnection().await {
        tracing::warn!(error = %e.details(), "could not leave the old master after a failover");
    }
}

/// Subscribe again to every sharded channel the subscriber tracks (the rooms' channels:
/// one room per slot, so one channel per command, as a cluster requires).
async fn resubscribe(subscriber: &SubscriberClient) -> Result<(), FredError> {
    for channel in subscriber.tracked_shard_channels() {
        subscriber.ssubscribe(channel).await?;
    }
    Ok(())
}

/// Deliver a `state` event at the stored version to the members of every local room.
/// Sockets drop anything not newer than what they have shown, so only those that missed
/// something see it. (The node's cache is no guide: a write of this node refreshes it even
/// when the write's own event was lost.) A room that is gone is left to the next
/// operation (`room_not_found`) or the expiry sweep.
async fn catch_up(pool: &Pool, keys: &Keys, hub: &Hub) -> Result<(), FredError> {
    let codes = hub.local_rooms();
    let client = pool.next();
    let reads = codes
        .iter()
        .map(|code| client.hget::<Option<String>, _, _>(keys.room(code), "doc"));
    let docs = join_all(reads).await;
    for (code, text) in codes.iter().zip(docs) {
        let Some(text) = text? else {
            continue;
        };
        let Ok(doc) = parse_doc(&text) else {
            continue;
        };
        let frame = encode(&ServerMsg::State {
            room: &doc.code,
            version: doc.version,
            status: doc.status.as_str(),
            state: &doc.state,
            by: None,
            action: None,
        });
        tracing::debug!(room = %doc.code, version = doc.version, "caught up after resubscribing");
        let env = Envelope {
            version: Some(doc.version),
            doc: Some(text),
            frames: vec![(Audience::All, frame)],
            ..Envelope::default()
        };
        hub.deliver(code, env);
    }
    Ok(())
}

fn created_ms(doc: &RoomDoc) -> f64 {
    chrono::DateTime::parse_from_rfc3339(&doc.created_at)
        .map(|t| t.timestamp_millis() as f64)
        .unwrap_or(0.0)
}

/// What fred says, with [`ErrorKind::Unknown`], when a command finds no connection to
/// write to (Redis down, or between a failover and the reconnect that follows it).
const NO_CONNECTION: &[&str] = &[
    "Failed to route command.",
    "Too many failed write attempts.",
    "Missing expected connection.",
    "Client is not initialized.",
    "Failed to send command to router.",
];

fn store_err(e: FredError) -> StoreError {
    match e.kind() {
        ErrorKind::Timeout => StoreError::Timeout,
        ErrorKind::IO
        | ErrorKind::Canceled
        | ErrorKind::Cluster
        | ErrorKind::Sentinel
        | ErrorKind::Routing
        | ErrorKind::Backpressure
        | ErrorKind::Tls => StoreError::Connection(e.details().to_string()),
        ErrorKind::Unknown if NO_CONNECTION.contains(&e.details()) => {
            StoreError::Connection(e.details().to_string())
        }
        _ => StoreError::Other(format!("{:?}: {}", e.kind(), e.details())),
    }
}

fn parse_doc(text: &str) -> Result<RoomDoc, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Other(format!("bad room document: {e}")))
}

fn encode_doc(doc: &RoomDoc) -> Result<String, StoreError> {
    serde_json::to_string(doc).map_err(|e| StoreError::Other(format!("cannot encode room: {e}")))
}

#[async_trait]
impl RoomStore for RedisStore {
    fn backend(&self) -> &'static str {
        "redis"
    }

    fn is_remote(&self) -> bool {
        true
    }

    async fn create(&self, doc: &RoomDoc) -> Result<bool, StoreError> {
        let json = encode_doc(doc)?;
        let client = self.pool.next();
        let created: i64 = self
            .scripts
            .create
            .evalsha_with_reload(
                client,
                vec![self.keys.room(&doc.code)],
                vec![doc.version.to_string(), json, self.ttl_secs.to_string()],
            )
            .await
            .map_err(store_err)?;
        if created == 0 {
            return Ok(false);
        }
        let all = client.zadd::<(), _, _>(
            self.keys.all_rooms(),
            None,
            None,
            false,
            false,
            (0.0, doc.code.as_str()),
        );
        let open = self.index_open(
            doc,
            if doc.is_open() {
                IndexChange::Open
            } else {
                IndexChange::Keep
            },
        );
        let (a, b) = tokio::join!(all, open);
        a.map_err(store_err)?;
        b?;
        Ok(true)
    }

    async fn load(&self, code: &str) -> Result<Option<RoomDoc>, StoreError> {
        let doc: Option<String> = self
            .pool
            .next()
            .hget(self.keys.room(code), "doc")
            .await
            .map_err(store_err)?;
        doc.as_deref().map(parse_doc).transpose()
    }

    async fn update(
        &self,
        expected: u64,
        doc: &RoomDoc,
        env: &Envelope,
        index: IndexChange,
    ) -> Result<CasOutcome, StoreError> {
        let json = encode_doc(doc)?;
        let (head, tail) = env.encode_parts();
        let reply: Vec<Value> = self
            .scripts
            .update
            .evalsha_with_reload(
                self.pool.next(),
                vec![self.keys.room(&doc.code), self.keys.channel(&doc.code)],
                vec![
                    expected.to_string(),
                    doc.version.to_string(),
                    json,
                    self.ttl_secs.to_string(),
                    head,
                    tail,
                ],
            )
            .await
            .map_err(store_err)?;
        match reply.first().and_then(Value::as_i64) {
            Some(2) => {
                m::pubsub_message("out");
                self.index_open(doc, index).await?;
                Ok(CasOutcome::Applied)
            }
            Some(1) => {
                let text = reply.get(1).and_then(Value::as_str).unwrap_or_default();
                Ok(CasOutcome::Conflict(Box::new(parse_doc(&text)?)))
            }
            Some(0) => Ok(CasOutcome::Missing),
            _ => Err(StoreError::Other(
                "unexpected reply from update script".into(),
            )),
        }
    }

    async fn delete(&self, code: &str, env: &Envelope) -> Result<bool, StoreError> {
        let client = self.pool.next();
        let deleted: i64 = self
            .scripts
            .delete
            .evalsha_with_reload(
                client,
                vec![self.keys.room(code), self.keys.channel(code)],
                vec![env.encode()],
            )
            .await
            .map_err(store_err)?;
        let _: () = client
            .zrem(self.keys.all_rooms(), code)
            .await
            .map_err(store_err)?;
        if deleted == 1 {
            m::pubsub_message("out");
        }
        Ok(deleted == 1)
    }

    async fn publish(&self, code: &str, env: &Envelope) -> Result<bool, StoreError> {
        let done: i64 = self
            .scripts
            .publish
            .evalsha_with_reload(
                self.pool.next(),
                vec![self.keys.room(code), self.keys.channel(code)],
                vec![self.ttl_secs.to_string(), env.encode()],
            )
            .await
            .map_err(store_err)?;
        if done == 1 {
            m::pubsub_message("out");
        }
        Ok(done == 1)
    }

    async fn open_rooms(
        &self,
        game: Option<GameKind>,
        limit: usize,
    ) -> Result<Vec<RoomDoc>, StoreError> {
        let games: Vec<GameKind> = game.map_or_else(|| GameKind::ALL.to_vec(), |g| vec![g]);
        let client = self.pool.next();
        let reads = games.iter().map(|g| {
            client.zrange::<Vec<String>, _, _, _>(
                self.keys.open(*g),
                0,
                limit as i64 - 1,
                None,
                false,
                None,
                false,
            )
        });
        let mut codes = Vec::new();
        for r in join_all(reads).await {
            codes.extend(r.map_err(store_err)?);
        }
        let docs = self.get_docs(&codes).await?;
        let mut open = Vec::new();
        for (code, doc) in codes.iter().zip(docs) {
            match doc {
                Some(doc) if doc.is_open() => open.push(doc),
                // Stale entry (room expired or filled while the index write was lost).
                Some(doc) => self.index_open(&doc, IndexChange::Close).await?,
                None => {
                    for g in &games {
                        let _: () = client
                            .zrem(self.keys.open(*g), code.as_str())
                            .await
                            .map_err(store_err)?;
                    }
                }
            }
        }
        open.sort_by(|a, b| a.created_at.cmp(&b.created_at));
        open.truncate(limit);
        Ok(open)
    }

    async fn list_rooms(&self, cursor: Option<&str>, limit: usize) -> Result<RoomPage, StoreError> {
        let client = self.pool.next();
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
        let docs = self.get_docs(&codes).await?;
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
        if !gone.is_empty() {
            let _: () = client
                .zrem(self.keys.all_rooms(), gone)
                .await
                .map_err(store_err)?;
        }
        Ok(RoomPage { rooms, next_cursor })
    }

    async fn subscribe(&self, code: &str) -> Result<(), StoreError> {
        self.subscriber
            .ssubscribe(self.keys.channel(code))
            .await
            .map_err(store_err)
    }

    async fn unsubscribe(&self, code: &str) -> Result<(), StoreError> {
        self.subscriber
            .sunsubscribe(self.keys.channel(code))
            .await
            .map_err(store_err)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let _: String = self.pool.next().ping(None).await.map_err(store_err)?;
        // Without the subscriber this node writes but cannot deliver room events.
        if !self.subscriber.is_connected() {
            return Err(StoreError::Connection(
                "room event subscriber not connected".into(),
            ));
        }
        Ok(())
    }

    fn pool_stats(&self) -> Option<PoolStats> {
        let clients = self.pool.clients();
        Some(PoolStats {
            size: clients.len(),
            connected: clients.iter().filter(|c| c.is_connected()).count(),
            in_flight: 0,
        })
    }

    fn reconnects(&self) -> u64 {
        self.reconnects.load(Ordering::Relaxed)
    }

    async fn close(&self) {
        for sentinel in &self.sentinels {
            let _ = sentinel.quit().await;
        }
        let _ = self.subscriber.quit().await;
        let _ = self.pool.quit().await;
        for t in &self.tasks {
            t.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_connection_is_store_unavailable_not_internal() {
        for msg in NO_CONNECTION {
            let e = FredError::new(ErrorKind::Unknown, *msg);
            assert!(matches!(store_err(e), StoreError::Connection(_)), "{msg}");
        }
        let e = FredError::new(ErrorKind::Routing, "Max attempts reached.");
        assert!(matches!(store_err(e), StoreError::Connection(_)));
        let e = FredError::new(ErrorKind::Unknown, "Expected array of redis values.");
        assert!(matches!(store_err(e), StoreError::Other(_)));
    }
}
