//! Parlor: a multiplayer game-room server, as a library with a thin binary.
//!
//! Browsers play over a WebSocket (`/ws`), operators manage rooms over REST (`/api/v1`),
//! and rooms live in a store: Redis, so any node can serve any room, or an embedded
//! in-memory store for a single node ([`Config::store`], [`StoreKind`]).
//!
//! The public API is what an embedder needs and nothing more:
//!
//! - [`Server`] and its [`ServerBuilder`]: build a server from a [`Config`] and the games
//!   it plays, then [`Server::run`] it on a listener until a shutdown future resolves.
//! - [`Config`]: every setting, as the `parlor` binary's flags and environment variables.
//! - [`game`]: the [`Game`] trait a studio implements for its own game, the types it uses,
//!   and the built-in games.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let server = parlor::Server::builder(parlor::Config::defaults()).build().await?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8765").await?;
//! server.run(listener, async { let _ = tokio::signal::ctrl_c().await; }).await?;
//! # Ok(()) }
//! ```
//!
//! Everything else is internal. Its layout (lowest layer first; docs/architecture.md
//! holds the order, and a test holds the code to it): `config`, `error`; `game`,
//! `metrics`; `model`, `auth`; `guard`, `hub`, `protocol`; `store`; `room`, `webhook`;
//! `state`; `ws`; `http`; `serve`; `server`. The `internals` feature (off by default) makes those modules
//! public, hidden from the docs and with no stability promise, for the crate's own
//! integration tests, benchmarks and fuzz targets.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

/// Declares modules that are private, or public (hidden from the docs) with the
/// `internals` feature.
macro_rules! internal {
    ($($name:ident),* $(,)?) => {
        $(
            #[cfg(feature = "internals")]
            #[doc(hidden)]
            pub mod $name;
            #[cfg(not(feature = "internals"))]
            mod $name;
        )*
    };
}

internal!(
    auth, config, error, guard, http, hub, metrics, model, protocol, room, serve, server, state,
    store, webhook, ws
);

pub mod game;

pub use config::{Config, LogFormat, StoreKind};
pub use game::Game;
pub use server::{Server, ServerBuilder, StartError};
