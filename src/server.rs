//! Building and running a Parlor server: the store chosen by configuration, the room
//! service, the router, and the shutdown sequence.

use std::future::Future;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::middleware;
use rand::RngExt;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::auth::{AuthSetupError, Verifier};
use crate::config::{Config, StoreKind};
use crate::game::{Game, Games, RegisterError};
use crate::guard::{JoinGuard, PerIpSlots};
use crate::hub::{Hub, Kills};
use crate::room::gate::Gate;
use crate::room::Rooms;
use crate::state::AppState;
use crate::store::memory::MemoryStore;
use crate::store::redis::{ConnectError, RedisStore};
use crate::store::{Instrumented, RoomStore};
use crate::webhook::{self, WebhookError, Worker};
use crate::{http, metrics, serve, ws};

/// Why a server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// `--store redis` without a URL.
    #[error("--store redis needs --redis-url (or PARLOR_REDIS_URL)")]
    MissingRedisUrl,
    /// Redis was not reachable or not usable.
    #[error(transparent)]
    Redis(#[from] ConnectError),
    /// A game could not be registered.
    #[error(transparent)]
    Game(#[from] RegisterError),
    /// Webhooks are asked for with settings that cannot work.
    #[error(transparent)]
    Webhook(#[from] WebhookError),
    /// No game was registered.
    #[error("no game registered; add at least one with ServerBuilder::game")]
    NoGames,
    /// A JWT setting cannot work (a short secret, an unreadable key, a bad JWKS URL).
    #[error(transparent)]
    Auth(#[from] AuthSetupError),
}

/// Configures a [`Server`]: its settings and the games it plays.
///
/// A builder starts with the built-in games (tictactoe, connect4, rps), like every other
/// way of making a server; [`game`](Self::game) adds one of yours, and
/// [`without_builtin_games`](Self::without_builtin_games) starts from none.
///
/// ```no_run
/// # async fn run() -> Result<(), parlor::StartError> {
/// use parlor::game::tictactoe::TicTacToe;
/// let cfg = parlor::Config::defaults();
/// // Only tictactoe: drop the built-ins, then add back the one wanted.
/// let server = parlor::Server::builder(cfg)
///     .without_builtin_games()
///     .game(TicTacToe)
///     .build()
///     .await?;
/// # let _ = server; Ok(()) }
/// ```
pub struct ServerBuilder {
    cfg: Config,
    games: Games,
    refused: Option<RegisterError>,
}

impl ServerBuilder {
    /// Play none of the built-in games: only those added with [`game`](Self::game).
    pub fn without_builtin_games(mut self) -> Self {
        self.games = Games::new();
        self
    }

    /// Play `game` (in registration order, which the game picker shows).
    pub fn game<G: Game>(mut self, game: G) -> Self {
        if let Err(e) = self.games.register(game) {
            self.refused.get_or_insert(e);
        }
        self
    }

    /// Connect the store and assemble the application.
    pub async fn build(self) -> Result<Server, StartError> {
        if let Some(e) = self.refused {
            return Err(e.into());
        }
        if self.games.all().is_empty() {
            return Err(StartError::NoGames);
        }
        Server::assemble(self.cfg, self.games).await
    }
}

/// A configured server, connected to its store, not yet serving.
pub struct Server {
    state: AppState,
    sweeper_stop: CancellationToken,
    /// The results webhook's delivery loop, when webhooks are on.
    webhooks: Option<Worker>,
}

impl Server {
    /// A builder for a server with settings `cfg`, playing the built-in games.
    pub fn builder(cfg: Config) -> ServerBuilder {
        ServerBuilder {
            cfg,
            games: Games::builtin(),
            refused: None,
        }
    }

    /// Connect the store and assemble a server playing the built-in games
    /// (`Server::builder(cfg).build()`).
    pub async fn build(cfg: Config) -> Result<Server, StartError> {
        Self::builder(cfg).build().await
    }

    async fn assemble(cfg: Config, games: Games) -> Result<Server, StartError> {
        let node_id: Arc<str> = Arc::from(cfg.node_id.clone().unwrap_or_else(random_node_id));
        let admin_token: Arc<str> = match &cfg.admin_token {
            Some(t) if !t.is_empty() => Arc::from(t.as_str()),
            _ => {
                let token = hex::encode(rand::rng().random::<[u8; 24]>());
                // The one time a secret is logged: an operator needs it to use the API.
                tracing::warn!(admin_token = %token, "no admin token configured; generated one for this run");
                Arc::from(token)
            }
        };
        // Outbound HTTPS (the JWKS document, the results webhook) uses rustls with the ring
        // provider; installed once per process (a second install is refused, harmlessly).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let verifier = Verifier::from_config(&cfg)?.map(Arc::new);
        let metrics = metrics::install(&node_id);
        // Outbound HTTPS (the webhook, JWKS) uses rustls with ring; once per process, a
        // second install is refused and harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let hub = Hub::new();
        let backend: Arc<dyn RoomStore> = match cfg.store_kind() {
            StoreKind::Memory => {
                let store = MemoryStore::new(cfg.room_ttl(), hub.clone());
                if cfg.webhooks_on() {
                    store.record_expiries();
                }
                Arc::new(store)
            }
            StoreKind::Redis => {
                let url = cfg
                    .redis_url
                    .as_deref()
                    .ok_or(StartError::MissingRedisUrl)?;
                Arc::new(RedisStore::connect(&cfg, url, hub.clone()).await?)
            }
        };
        let store: Arc<dyn RoomStore> = Arc::new(Instrumented::new(backend, cfg.redis_timeout()));
        let webhooks = webhook::start(&cfg, store.outbox(), &node_id)?;
        let mut rooms = Rooms::new(store.clone(), hub, cfg.room_ttl())
            .with_games(games)
            .with_node(node_id.clone())
            .with_gate(write_gate(&cfg));
        if !cfg.room_cache {
            rooms = rooms.without_cache();
        }
        if cfg.webhooks_on() {
            rooms = rooms.with_results();
        }
        tracing::info!(node = %node_id, store = store.backend(), "parlor ready");
        let state = AppState {
            join_guard: Arc::new(JoinGuard::new(&cfg)),
            per_ip: Arc::new(PerIpSlots::new(cfg.max_connections_per_ip)),
            conn_slots: Arc::new(Semaphore::new(cfg.max_connections)),
            cfg: Arc::new(cfg),
            rooms,
            store,
            metrics,
            admin_token,
            node_id,
            started: Instant::now(),
            shutdown: CancellationToken::new(),
            kills: Arc::new(Kills::new()),
            tracker: TaskTracker::new(),
            next_conn: Arc::new(AtomicU64::new(1)),
            verifier,
            accounts: Arc::default(),
        };
        Ok(Server {
            state,
            sweeper_stop: CancellationToken::new(),
            webhooks,
        })
    }

    /// Serve on `listener` until `shutdown` resolves, then shut down cleanly: stop
    /// accepting, tell clients (`server_shutdown`, close 1001), let in-flight work finish
    /// (bounded by the grace period), release the store.
    pub async fn run(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let state = self.state.clone();
        let sweeper = tokio::spawn(state.rooms.clone().run_sweeper(self.sweeper_stop.clone()));
        let clock = tokio::spawn(state.rooms.clone().run_clock(self.sweeper_stop.clone()));
        let liveness = Duration::from_millis(state.cfg.node_liveness_ms);
        let heartbeat = tokio::spawn(
            state
                .rooms
                .clone()
                .run_liveness(liveness, self.sweeper_stop.clone()),
        );
        let revocations = state
            .verifier
            .is_some()
            .then(|| tokio::spawn(ws::watch_revocations(state.clone(), self.sweeper_stop.clone())));
        // Stops claiming when shutdown begins; its attempts in flight finish meanwhile.
        let webhooks = self.webhooks.map(|w| w.spawn(state.shutdown.clone()));
        let app = http::router(state.clone());
        let token = state.shutdown.clone();
        tokio::spawn(async move {
            shutdown.await;
            token.cancel();
        });
        // However shutdown starts, every connection hears of it through its own signal.
        let (token, kills) = (state.shutdown.clone(), state.kills.clone());
        tokio::spawn(async move {
            token.cancelled().await;
            kills.fire_all();
        });
        if let Ok(addr) = listener.local_addr() {
            tracing::info!(%addr, "listening");
        }
        let grace = Duration::from_millis(state.cfg.shutdown_grace_ms);
        let app = app.layer(middleware::from_fn_with_state(
            state.cfg.admin_timeout(),
            serve::admin_deadline,
        ));
        serve::serve(
            listener,
            app,
            state.cfg.http_header_timeout(),
            state.shutdown.clone(),
            grace,
        )
        .await;
        state.shutdown.cancel();
        state.tracker.close();
        if tokio::time::timeout(grace, state.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!("shutdown grace period over; closing with work still in flight");
        }
        self.sweeper_stop.cancel();
        let _ = sweeper.await;
        let _ = clock.await;
        let _ = heartbeat.await;
        if let Some(task) = revocations {
            let _ = task.await;
        }
        if let Some(webhooks) = webhooks {
            let _ = webhooks.await;
        }
        state.store.close().await;
        tracing::info!("parlor stopped");
        Ok(())
    }
}

fn random_node_id() -> String {
    format!("node-{}", hex::encode(rand::rng().random::<[u8; 3]>()))
}

/// The room-change gate: half the store timeout to wait for a place, so a change that
/// waited and then timed out in the store still answers within one and a half timeouts.
fn write_gate(cfg: &Config) -> Gate {
    Gate::new(cfg.max_writes_in_flight as usize, cfg.redis_timeout() / 2)
}
