//! The Redis backend: a fred pool for commands, a subscriber client for room events.
//!
//! Round trips per operation (each is one network exchange with Redis):
//! - `create`: 1 script, plus 1 for the index writes, sent together (the indexes live
//!   in other slots than the room, so they cannot join the script on a cluster).
//! - `load`: 1 (`HGET`).
//! - `update`: 1 script (compare-and-set + TTL + publish). Only when the room enters or
//!   leaves the open-room index (a seat fills or frees, the last player drops or comes
//!   back) or its index entries are due for a refresh (at most once per refresh period,
//!   see [`indexes`]) 1 more for the index writes, sent together.
//! - `claim_open` (quick play): 1 script on the open index.
//! - `delete`: 1 script, plus 1 to drop the code from the room index.
//! - `publish` (chat): 1 script (plus 1 when the index refresh is due).
//! - `open_rooms` / `list_rooms`: 1 index read, then 1 batch of `HGET`s sent together.
//! - `subscribe` / `unsubscribe`: 1 on the subscriber connection.
//!
//! Messages published while the subscriber connection is down (Redis restarted, a
//! failover) never arrive, and a relay that falls behind loses some too. So after the
//! subscriber reconnects and its subscriptions are restored, or when the relay lags, every
//! room with local members is read once (1 batch of `HGET`s): members of a room that moved
//! on meanwhile get a `resync` with the stored room, of a room that is gone `room_closed`.
//!
//! Behind Sentinel, fred asks the sentinels where the master is only when a connection
//! breaks. A demoted master that stays up (a manual `SENTINEL FAILOVER`, a healed
//! partition) keeps its connections until Sentinel reconfigures it, some 10 s later, and
//! every write it takes meanwhile is lost when it resyncs from the new master. So the store
//! also listens to each sentinel's `+switch-master` and moves such connections at once.
//!
//! The code is split by job: [`room_store`] implements the store interface, with the
//! room writes in [`writes`] (and [`local_write`] for a change this node delivers itself),
//! the listings in [`reads`], the turn-clock index in [`clock`] and node liveness in
//! [`liveness`]; [`codec`] turns documents and script replies to and from Redis values and
//! [`failure`] fred's errors into store failures; [`conns`] picks the pool connection for
//! each command, [`events`] relays room events and restores subscriptions after a
//! reconnect, [`sentinel`] follows a Sentinel failover, [`indexes`] keeps the room indexes
//! bounded.

mod clock;
mod codec;
mod conns;
mod eval;
mod events;
mod expiry;
mod failure;
pub mod indexes;
mod liveness;
mod local_write;
mod outbox;
mod outbox_scripts;
mod reads;
mod redis_clock;
mod room_store;
mod sentinel;
mod users;
mod writes;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fred::clients::{Pool, SentinelClient, SubscriberClient};
use fred::error::Error as FredError;
use fred::interfaces::{EventInterface, KeysInterface};
use fred::prelude::{ClientLike, Config as FredConfig, ReconnectPolicy};
use fred::types::{Builder, SetOptions};
use tokio::task::JoinHandle;

use self::conns::Conns;
use self::outbox::RedisOutbox;
use self::events::{relay_events, restore_subscriptions, resync_rooms};
use self::redis_clock::RedisClock;
use self::sentinel::{follow_switch_master, sentinel_clients};
use super::keys::{Keys, SCHEMA_V1, SCHEMA_VERSION};
use super::scripts::Scripts;
use super::IndexClock;
use crate::config::{mask_url, Config};
use crate::hub::Hub;

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
    /// Results webhooks asked of a Redis Cluster: an event is recorded in the script that
    /// writes its room, and on a cluster that script cannot reach the outbox's slot.
    #[error("results webhooks (--webhook-url) need a standalone or Sentinel Redis, not a cluster ({url})")]
    WebhooksOnCluster { url: String },
    /// Redis holds keys of a layout this version does not know.
    #[error("Redis at {url} holds Parlor key layout {found}, this server writes layout {SCHEMA_VERSION}")]
    Schema { url: String, found: String },
}

/// Rooms in Redis.
pub struct RedisStore {
    /// The command pool; [`Conns::pick`] chooses the connection for each command.
    conns: Conns,
    subscriber: SubscriberClient,
    keys: Keys,
    ttl_secs: i64,
    /// How index entries are scored and refreshed.
    clock: IndexClock,
    scripts: Scripts,
    reconnects: Arc<AtomicU64>,
    /// Connections to the sentinels, for `+switch-master` (Sentinel URLs only).
    sentinels: Vec<SentinelClient>,
    tasks: Vec<JoinHandle<()>>,
    /// Where changes this node delivers itself go (see [`Hub::begin_local`]).
    hub: Hub,
    /// Asks for every local room to be re-read (a local write's outcome got lost).
    resync: Arc<tokio::sync::Notify>,
    /// Redis's clock, for the deadline of a change this node delivers itself.
    redis_clock: RedisClock,
    /// How long after it is sent such a change may still be delivered here (half the op
    /// timeout: the reply must get back before the writer gives up).
    local_budget_ms: u64,
    /// Whether room closures are recorded for the game's backend (results webhooks on),
    /// so rooms keep what their `room.closed` needs after they expire.
    results: bool,
    /// The outbox's delivery side.
    outbox: Arc<RedisOutbox>,
}

impl RedisStore {
    /// Connect (retrying until the configured deadline), check the key layout, and start
    /// relaying room events to `hub`.
    pub async fn connect(cfg: &Config, url: &str, hub: Hub) -> Result<Self, ConnectError> {
        let masked = mask_url(url);
        let mut fred_cfg = FredConfig::from_url(url).map_err(|e| ConnectError::BadUrl {
            url: masked.clone(),
            reason: e.details().to_string(),
        })?;
        if cfg.webhooks_on() && fred_cfg.server.is_clustered() {
            return Err(ConnectError::WebhooksOnCluster { url: masked });
        }
        // The first connection is retried by the reconnect policy (see `connect_until`).
        fred_cfg.fail_fast = false;
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
        let conns = Conns::new(
            builder
                .build_pool(cfg.redis_pool_size as usize)
                .map_err(bad)?,
        );
        let pool = conns.pool();
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
        connect_until(pool, &subscriber, deadline)
            .await
            .map_err(|reason| ConnectError::Unreachable {
                url: masked.clone(),
                deadline_ms: cfg.redis_connect_deadline_ms,
                reason,
            })?;

        let keys = Keys::new(&cfg.key_prefix);
        let clock = IndexClock::new(cfg.room_ttl());
        let found = check_schema(&conns, &keys)
            .await
            .map_err(|found| ConnectError::Schema {
                url: masked.clone(),
                found,
            })?;
        if found == SCHEMA_V1 {
            indexes::migrate_v1(&conns, &keys, clock)
                .await
                .map_err(|e| ConnectError::Unreachable {
                    url: masked.clone(),
                    deadline_ms: cfg.redis_connect_deadline_ms,
                    reason: format!("moving indexes to layout {SCHEMA_VERSION}: {}", e.details()),
                })?;
        }

        let reconnects = Arc::new(AtomicU64::new(0));
        let resync = Arc::new(tokio::sync::Notify::new());
        let mut tasks = vec![
            relay_events(&subscriber, keys.clone(), hub.clone(), resync.clone()),
            restore_subscriptions(&subscriber, resync.clone()),
            resync_rooms(&conns, keys.clone(), hub.clone(), resync.clone()),
            indexes::sweep_indexes(&conns, keys.clone(), clock, cfg.webhooks_on()),
        ];
        if let Some((service, _)) = sentinels.first() {
            let switched = Arc::new(std::sync::Mutex::new(String::new()));
            for (_, sentinel) in &sentinels {
                tasks.push(follow_switch_master(
                    sentinel,
                    service.clone(),
                    switched.clone(),
                    pool,
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
        let outbox = RedisOutbox::new(conns.clone(), keys.clone(), claim_timeout(cfg));
        Ok(RedisStore {
            outbox: Arc::new(outbox),
            conns,
            subscriber,
            keys,
            ttl_secs: cfg.room_ttl_secs as i64,
            clock,
            scripts: Scripts::new(),
            reconnects,
            sentinels: sentinels.into_iter().map(|(_, c)| c).collect(),
            tasks,
            hub,
            resync,
            redis_clock: RedisClock::new(),
            local_budget_ms: u64::try_from(timeout.as_millis() / 2).unwrap_or(u64::MAX),
            results: cfg.webhooks_on(),
        })
    }
}

/// How long a claimed outbox event may sit idle before another node takes it over: twice
/// the longest delivery attempt (so a live node's attempt is never taken from it), and
/// at least a second. With the default 5 s attempt, 10 s: a dead node's claims are taken
/// over well within a minute.
fn claim_timeout(cfg: &Config) -> Duration {
    Duration::from_millis(cfg.webhook_timeout_ms.saturating_mul(2).max(1_000))
}

/// Connect the pool and the subscriber, and wait until every one of their connections is
/// up or the deadline passes; fred retries by its reconnect policy meanwhile (`fail_fast`
/// is off). Not `init` in a retry loop: each failed `init` leaks a queued-command count
/// in fred 10.1 (`close_router_channel`), after which that client holds written commands
/// unflushed, so the first requests after start time out although the node looks ready.
async fn connect_until(
    pool: &Pool,
    subscriber: &SubscriberClient,
    deadline: Instant,
) -> Result<(), String> {
    let mut errors = subscriber.error_rx();
    let mut pool_errors: Vec<_> = pool.clients().iter().map(|c| c.error_rx()).collect();
    drop(pool.connect());
    drop(subscriber.connect());
    let mut reason = "not connected yet".to_string();
    let mut next_log = Instant::now() + Duration::from_millis(300);
    loop {
        let all_up = pool.clients().iter().all(|c| c.is_connected());
        if all_up && subscriber.is_connected() {
            return Ok(());
        }
        for rx in pool_errors.iter_mut().chain(std::iter::once(&mut errors)) {
            while let Ok((e, _)) = rx.try_recv() {
                reason = e.details().to_string();
            }
        }
        let now = Instant::now();
        if now >= deadline {
            let _ = pool.quit().await;
            let _ = subscriber.quit().await;
            return Err(reason);
        }
        if now >= next_log {
            tracing::warn!(%reason, "Redis not reachable yet");
            next_log = now + Duration::from_secs(1);
        }
        tokio::time::sleep(Duration::from_millis(50).min(deadline - now)).await;
    }
}

/// Write the layout marker if absent; refuse a layout we do not know. Returns the layout
/// found (layout 1 is moved over by the caller).
async fn check_schema(conns: &Conns, keys: &Keys) -> Result<String, String> {
    let client = conns.pick();
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
        Some(SCHEMA_VERSION) | None => Ok(SCHEMA_VERSION.to_string()),
        Some(SCHEMA_V1) => Ok(SCHEMA_V1.to_string()),
        Some(other) => Err(other.to_string()),
    }
}
