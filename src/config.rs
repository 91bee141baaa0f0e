//! Runtime configuration: one clap struct, every flag with an environment fallback.
//!
//! The flag names and defaults are part of the operations contract (deployments and tests
//! use them), so add settings freely but never rename these.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Parser, ValueEnum};

/// Which room store backs this node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StoreKind {
    /// Redis (standalone, cluster or sentinel), shared by every node.
    Redis,
    /// The embedded in-memory store: one node, nothing survives a restart.
    Memory,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

/// Parlor's settings. Flags win over environment variables.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "parlor",
    version,
    about = "Parlor: multiplayer game rooms over WebSocket, kept in Redis"
)]
#[non_exhaustive]
pub struct Config {
    /// Address to serve HTTP and WebSocket on.
    #[arg(long, env = "PARLOR_LISTEN", default_value = "127.0.0.1:8765")]
    pub listen: SocketAddr,

    /// Redis URL: redis://, rediss://, redis-cluster://host:port?node=host:port,
    /// or redis-sentinel://host:port?sentinelServiceName=NAME. Unset: in-memory store.
    #[arg(long, env = "PARLOR_REDIS_URL")]
    pub redis_url: Option<String>,

    /// Room store: `redis` (default when a Redis URL is set) or `memory` (default otherwise).
    #[arg(long, env = "PARLOR_STORE", value_enum)]
    pub store: Option<StoreKind>,

    /// Number of Redis connections in the command pool.
    #[arg(long, env = "PARLOR_REDIS_POOL_SIZE", default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub redis_pool_size: u32,

    /// Timeout for every Redis operation, in milliseconds.
    #[arg(long, env = "PARLOR_REDIS_TIMEOUT_MS", default_value_t = 2000, value_parser = clap::value_parser!(u64).range(1..=600_000))]
    pub redis_timeout_ms: u64,

    /// Room changes in progress on this node before the next one waits for a place (at
    /// most half the Redis timeout; then it fails with `store_unavailable`, untried).
    #[arg(long, env = "PARLOR_MAX_WRITES_IN_FLIGHT", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=65_536))]
    pub max_writes_in_flight: u32,

    /// How long to keep retrying the first Redis connection at start before giving up, in ms.
    #[arg(
        long,
        env = "PARLOR_REDIS_CONNECT_DEADLINE_MS",
        default_value_t = 10_000,
        value_parser = clap::value_parser!(u64).range(0..=3_600_000)
    )]
    pub redis_connect_deadline_ms: u64,

    /// Prefix of every Redis key and channel Parlor uses.
    #[arg(long, env = "PARLOR_KEY_PREFIX", default_value = "parlor:")]
    pub key_prefix: String,

    /// Seconds without activity after which a room expires.
    #[arg(long, env = "PARLOR_ROOM_TTL_SECS", default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..=MAX_ROOM_TTL_SECS))]
    pub room_ttl_secs: u64,

    /// Bearer token for /api/v1. Unset: a random one is generated and logged once at start.
    #[arg(long, env = "PARLOR_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,

    /// This node's id, shown in /api/v1/stats and as the `node` label of metrics. Unset: random.
    #[arg(long, env = "PARLOR_NODE_ID")]
    pub node_id: Option<String>,

    /// Log format: `text` or `json`. The level comes from RUST_LOG (default `info`).
    #[arg(long, env = "PARLOR_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Largest WebSocket message accepted, in bytes; larger ones close the socket with 1009.
    #[arg(long, env = "PARLOR_MAX_MESSAGE_BYTES", default_value_t = 16 * 1024, value_parser = usize_range(256, 16 * 1024 * 1024))]
    pub max_message_bytes: usize,

    /// Most WebSocket connections this node holds at once; more are refused with 503.
    #[arg(long, env = "PARLOR_MAX_CONNECTIONS", default_value_t = 10_000, value_parser = usize_range(1, 1_000_000))]
    pub max_connections: usize,

    /// Messages per second one connection may send (token bucket refill); 0 turns limiting off.
    #[arg(long, env = "PARLOR_RATE_LIMIT_PER_SEC", default_value_t = 20, value_parser = clap::value_parser!(u32).range(0..=100_000))]
    pub rate_limit_per_sec: u32,

    /// Burst size of the per-connection rate limit.
    #[arg(long, env = "PARLOR_RATE_LIMIT_BURST", default_value_t = 40, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub rate_limit_burst: u32,

    /// Allowed WebSocket `Origin` values (comma separated). Empty: same host as the request only.
    /// `*` allows any origin.
    #[arg(long, env = "PARLOR_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,

    /// Origins allowed to call the REST API from a browser (CORS). Empty: CORS off.
    #[arg(long, env = "PARLOR_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,

    /// Seconds between server pings on each WebSocket.
    #[arg(long, env = "PARLOR_PING_INTERVAL_SECS", default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=3_600))]
    pub ping_interval_secs: u64,

    /// Seconds of silence after which a peer is dropped.
    #[arg(long, env = "PARLOR_IDLE_TIMEOUT_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub idle_timeout_secs: u64,

    /// How long shutdown waits for in-flight work before closing anyway, in ms.
    #[arg(long, env = "PARLOR_SHUTDOWN_GRACE_MS", default_value_t = 5_000, value_parser = clap::value_parser!(u64).range(0..=600_000))]
    pub shutdown_grace_ms: u64,

    /// `reconnect_after_ms` sent to clients in `server_shutdown`.
    #[arg(long, env = "PARLOR_RECONNECT_AFTER_MS", default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(0..=3_600_000))]
    pub reconnect_after_ms: u64,

    /// Keep the latest document of rooms with local members, so a change needs no read
    /// first (one Redis round trip per action). `false` reads before every write; only
    /// useful to measure what the cache saves.
    #[arg(long, env = "PARLOR_ROOM_CACHE", default_value_t = true, action = clap::ArgAction::Set)]
    pub room_cache: bool,

    /// Failed joins (unknown or malformed room code, invalid session) one connection may
    /// make before its join and resume attempts are refused for the cool-down; at twice
    /// this many failures and refusals it is closed with 1008. 0 turns this limit off.
    #[arg(long, env = "PARLOR_JOIN_FAILURES_PER_CONN", default_value_t = 10, value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub join_failures_per_conn: u32,

    /// Seconds a connection's join and resume attempts are refused once it reached
    /// `--join-failures-per-conn`.
    #[arg(long, env = "PARLOR_JOIN_COOLDOWN_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(0..=86_400))]
    pub join_cooldown_secs: u64,

    /// Failed joins per minute one client address (IPv6: one /64) regains, shared by all
    /// its connections on this node. 0 turns the per-address limit off.
    #[arg(long, env = "PARLOR_JOIN_FAILURES_PER_MINUTE", default_value_t = 30, value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub join_failures_per_minute: u32,

    /// Failed joins one client address may make in a burst before it is refused.
    #[arg(long, env = "PARLOR_JOIN_FAILURE_BURST", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub join_failure_burst: u32,

    /// Most client addresses the failed-join limiter remembers; the least recently seen
    /// are forgotten first.
    #[arg(long, env = "PARLOR_JOIN_GUARD_MAX_IPS", default_value_t = 100_000, value_parser = usize_range(1, 10_000_000))]
    pub join_guard_max_ips: usize,

    /// Take the client address from this request header (its last entry, e.g.
    /// `X-Forwarded-For` or `X-Real-IP`) instead of the TCP peer. Set it only behind a
    /// proxy that writes the header; otherwise clients can pick their own address.
    #[arg(long, env = "PARLOR_CLIENT_IP_HEADER")]
    pub client_ip_header: Option<String>,

    /// Longest one write to a WebSocket may stall (an event, a ping, the close frame), in
    /// ms. A peer that stops reading is dropped after this, its seat held as for any
    /// dropped socket.
    #[arg(long, env = "PARLOR_WS_WRITE_TIMEOUT_MS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub ws_write_timeout_ms: u64,

    /// How long a node's liveness heartbeat lives in Redis, in ms. When a node stops
    /// renewing it (killed, frozen), another node marks its players offline and drops its
    /// spectators within this time plus a quarter of it.
    #[arg(long, env = "PARLOR_NODE_LIVENESS_MS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(200..))]
    pub node_liveness_ms: u64,
    /// Most WebSocket connections one client address may hold on this node; more are
    /// refused with 429 before the upgrade. 0 (the default) turns the cap off: players
    /// behind one NAT or carrier-grade NAT share an address. Set it when clients come from
    /// many addresses (or from behind a proxy that writes `--client-ip-header`).
    #[arg(long, env = "PARLOR_MAX_CONNECTIONS_PER_IP", default_value_t = 0, value_parser = usize_range(0, 1_000_000))]
    pub max_connections_per_ip: usize,

    /// How long a client may take to send a request's headers, in ms; also how long a
    /// kept-alive HTTP connection may sit idle before the next request. Slower peers are
    /// disconnected.
    #[arg(long, env = "PARLOR_HTTP_HEADER_TIMEOUT_MS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(100..=600_000))]
    pub http_header_timeout_ms: u64,

    /// Longest an admin API request may take, in ms; a slower one is answered with 503.
    #[arg(long, env = "PARLOR_ADMIN_TIMEOUT_MS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(100..=600_000))]
    pub admin_timeout_ms: u64,

    /// HS256 shared secret (at least 32 bytes) that verifies players' tokens.
    #[arg(long, env = "PARLOR_JWT_HS256_SECRET", hide_env_values = true)]
    pub jwt_hs256_secret: Option<String>,

    /// PEM file with a public key that verifies players' tokens: RSA (RS256/384/512),
    /// EC P-256 (ES256) or Ed25519 (EdDSA).
    #[arg(long, env = "PARLOR_JWT_PUBLIC_KEY")]
    pub jwt_public_key: Option<std::path::PathBuf>,

    /// JWKS URL (http or https) whose keys verify players' tokens, chosen by `kid`.
    #[arg(long, env = "PARLOR_JWT_JWKS_URL")]
    pub jwt_jwks_url: Option<String>,

    /// Required `iss` of players' tokens. Unset: not checked.
    #[arg(long, env = "PARLOR_JWT_ISSUER")]
    pub jwt_issuer: Option<String>,

    /// Required `aud` of players' tokens. Unset: not checked.
    #[arg(long, env = "PARLOR_JWT_AUDIENCE")]
    pub jwt_audience: Option<String>,

    /// Whether sockets may play without a token. Unset: `true` when no JWT key is
    /// configured, `false` when one is.
    #[arg(long, env = "PARLOR_ALLOW_ANONYMOUS", action = clap::ArgAction::Set)]
    pub allow_anonymous: Option<bool>,

    /// Seconds a revocation keeps refusing a user's tokens issued before it.
    #[arg(long, env = "PARLOR_JWT_REVOCATION_TTL_SECS", default_value_t = 86_400, value_parser = clap::value_parser!(u64).range(1..=MAX_ROOM_TTL_SECS))]
    pub jwt_revocation_ttl_secs: u64,

    /// URL that game results and room closures are POSTed to. Unset: no webhooks.
    #[arg(long, env = "PARLOR_WEBHOOK_URL")]
    pub webhook_url: Option<String>,

    /// Standard Webhooks signing secret (`whsec_` and base64).
    #[arg(long, env = "PARLOR_WEBHOOK_SECRET", hide_env_values = true)]
    pub webhook_secret: Option<String>,

    /// Longest one webhook delivery attempt may take, in ms.
    #[arg(long, env = "PARLOR_WEBHOOK_TIMEOUT_MS", default_value_t = 5_000, value_parser = clap::value_parser!(u64).range(1..=600_000))]
    pub webhook_timeout_ms: u64,

    /// Attempts per webhook event before it goes to the dead letters.
    #[arg(long, env = "PARLOR_WEBHOOK_MAX_ATTEMPTS", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1_000))]
    pub webhook_max_attempts: u32,

    /// Multiplies the webhook retry back-off (1 = as documented); for tests, which need
    /// the schedule's spacing without waiting minutes. Hidden from help.
    #[arg(long, env = "PARLOR_WEBHOOK_BACKOFF_SCALE", default_value_t = 1.0, hide = true)]
    pub webhook_backoff_scale: f64,
}

/// Longest room TTL accepted: 30 days. Larger values would overflow time arithmetic.
pub const MAX_ROOM_TTL_SECS: u64 = 30 * 24 * 3600;

/// A clap parser for a `usize` within `min..=max`.
fn usize_range(min: u64, max: u64) -> clap::builder::RangedU64ValueParser<usize> {
    clap::builder::RangedU64ValueParser::<usize>::new().range(min..=max)
}

impl Default for Config {
    fn default() -> Self {
        Config::defaults()
    }
}

impl Config {
    /// The documented defaults, ignoring the environment (for tests and embedding).
    pub fn defaults() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8765)),
            redis_url: None,
            store: None,
            redis_pool_size: 4,
            redis_timeout_ms: 2000,
            max_writes_in_flight: 64,
            redis_connect_deadline_ms: 10_000,
            key_prefix: "parlor:".into(),
            room_ttl_secs: 3600,
            admin_token: None,
            node_id: None,
            log_format: LogFormat::Text,
            max_message_bytes: 16 * 1024,
            max_connections: 10_000,
            rate_limit_per_sec: 20,
            rate_limit_burst: 40,
            allowed_origins: Vec::new(),
            cors_origins: Vec::new(),
            ping_interval_secs: 20,
            idle_timeout_secs: 60,
            shutdown_grace_ms: 5_000,
            reconnect_after_ms: 1_000,
            room_cache: true,
            join_failures_per_conn: 10,
            join_cooldown_secs: 30,
            join_failures_per_minute: 30,
            join_failure_burst: 30,
            join_guard_max_ips: 100_000,
            client_ip_header: None,
            ws_write_timeout_ms: 10_000,
            node_liveness_ms: 10_000,
            max_connections_per_ip: 0,
            http_header_timeout_ms: 10_000,
            admin_timeout_ms: 10_000,
            jwt_hs256_secret: None,
            jwt_public_key: None,
            jwt_jwks_url: None,
            jwt_issuer: None,
            jwt_audience: None,
            allow_anonymous: None,
            jwt_revocation_ttl_secs: 86_400,
            webhook_url: None,
            webhook_secret: None,
            webhook_timeout_ms: 5_000,
            webhook_max_attempts: 10,
            webhook_backoff_scale: 1.0,
        }
    }

    /// The store this configuration selects.
    pub fn store_kind(&self) -> StoreKind {
        self.store.unwrap_or(if self.redis_url.is_some() {
            StoreKind::Redis
        } else {
            StoreKind::Memory
        })
    }

    /// Per-operation store timeout.
    pub fn redis_timeout(&self) -> Duration {
        Duration::from_millis(self.redis_timeout_ms)
    }

    /// Bound on one WebSocket write.
    pub fn ws_write_timeout(&self) -> Duration {
        Duration::from_millis(self.ws_write_timeout_ms)
    }

    /// The header read (and keep-alive idle) timeout of HTTP connections.
    pub fn http_header_timeout(&self) -> Duration {
        Duration::from_millis(self.http_header_timeout_ms)
    }

    /// The admin API request timeout.
    pub fn admin_timeout(&self) -> Duration {
        Duration::from_millis(self.admin_timeout_ms)
    }

    /// Room time-to-live.
    pub fn room_ttl(&self) -> Duration {
        Duration::from_secs(self.room_ttl_secs)
    }

    /// Whether any key to verify players' tokens is configured.
    pub fn jwt_configured(&self) -> bool {
        self.jwt_hs256_secret.is_some()
            || self.jwt_public_key.is_some()
            || self.jwt_jwks_url.is_some()
    }

    /// Whether sockets may play without a token: as configured, else only when no JWT
    /// key is.
    pub fn anonymous_allowed(&self) -> bool {
        self.allow_anonymous.unwrap_or(!self.jwt_configured())
    }

    /// Whether results are sent to a webhook.
    pub fn webhooks_on(&self) -> bool {
        self.webhook_url.is_some()
    }
}

/// The Redis URL with any password replaced by `***`, safe to log.
pub fn mask_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(parsed) => parsed.to_string(),
        Err(_) => "<unparseable url>".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_password() {
        assert_eq!(mask_url("redis://:hunter2@h:6379"), "redis://:***@h:6379");
        assert_eq!(mask_url("redis://u:pw@h:1/0"), "redis://u:***@h:1/0");
        assert_eq!(mask_url("redis://h:1"), "redis://h:1");
    }

    #[test]
    fn defaults_match_clap() {
        let parsed = Config::try_parse_from(["parlor"]).expect("defaults parse");
        let d = Config::defaults();
        assert_eq!(parsed.room_ttl_secs, d.room_ttl_secs);
        assert_eq!(parsed.max_connections_per_ip, d.max_connections_per_ip);
        assert_eq!(parsed.http_header_timeout_ms, d.http_header_timeout_ms);
        assert_eq!(parsed.admin_timeout_ms, d.admin_timeout_ms);
        assert_eq!(parsed.join_cooldown_secs, d.join_cooldown_secs);
        assert_eq!(parsed.jwt_revocation_ttl_secs, d.jwt_revocation_ttl_secs);
        assert_eq!(parsed.webhook_timeout_ms, d.webhook_timeout_ms);
        assert_eq!(parsed.webhook_max_attempts, d.webhook_max_attempts);
        assert_eq!(parsed.allow_anonymous, d.allow_anonymous);
    }

    #[test]
    fn anonymous_play_follows_the_keys_unless_set() {
        let mut c = Config::defaults();
        assert!(c.anonymous_allowed(), "no key: anonymous by default");
        c.jwt_hs256_secret = Some("x".repeat(32));
        assert!(!c.anonymous_allowed(), "a key turns anonymous play off");
        c.allow_anonymous = Some(true);
        assert!(c.anonymous_allowed());
        let parsed = Config::try_parse_from(["parlor", "--allow-anonymous", "false"]).unwrap();
        assert_eq!(parsed.allow_anonymous, Some(false));
    }

    #[test]
    fn numbers_are_bounded_with_a_clear_message() {
        let huge = u64::MAX.to_string();
        for flag in [
            "--room-ttl-secs",
            "--join-cooldown-secs",
            "--redis-timeout-ms",
            "--redis-connect-deadline-ms",
            "--max-message-bytes",
            "--max-connections",
            "--ping-interval-secs",
            "--idle-timeout-secs",
            "--shutdown-grace-ms",
            "--reconnect-after-ms",
            "--join-guard-max-ips",
            "--max-connections-per-ip",
            "--http-header-timeout-ms",
            "--admin-timeout-ms",
        ] {
            let err = Config::try_parse_from(["parlor", flag, &huge])
                .expect_err(flag)
                .to_string();
            assert!(
                err.contains(flag) && err.contains("not in"),
                "{flag}: {err}"
            );
        }
        let err = Config::try_parse_from(["parlor", "--room-ttl-secs", "2592001"])
            .expect_err("over 30 days")
            .to_string();
        assert!(err.contains("1..=2592000"), "{err}");
        assert!(Config::try_parse_from(["parlor", "--room-ttl-secs", "2592000"]).is_ok());
    }

    #[test]
    fn store_follows_url() {
        let mut c = Config::defaults();
        assert_eq!(c.store_kind(), StoreKind::Memory);
        c.redis_url = Some("redis://x".into());
        assert_eq!(c.store_kind(), StoreKind::Redis);
        c.store = Some(StoreKind::Memory);
        assert_eq!(c.store_kind(), StoreKind::Memory);
    }
}
