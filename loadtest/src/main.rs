//! `parlor-loadtest`: load tester for the Parlor game-room server.
//!
//! It speaks only the public WebSocket protocol (the wire contract, `protocol.md`), so it builds
//! without the `parlor` library. Two modes:
//!
//! - **play** (default): `--rooms N` rooms of two players play real games, closed loop
//!   (each player moves as soon as it is its turn) or open loop (`--rate R`: a global
//!   scheduler hands out R move tokens per second). Each move is timed from its send to
//!   the `state` event that reports it; the report gives actions/s and latency
//!   quantiles, errors by code, connect failures and unexpected closes.
//! - **idle** (`--idle N`): N connections that ping once and then sit, to measure the
//!   server's memory per idle connection.
//!
//! Every run is bounded in count and time and stops by itself; only loopback URLs are
//! accepted unless `--allow-remote` is given. At the end each player sends `leave_room`
//! before closing, so the server can delete the rooms.
//!
//! ```text
//! # 50 rooms, closed loop, one node (start it with --rate-limit-per-sec 0, or the
//! # per-connection limit caps each player at about 20 messages/s)
//! parlor-loadtest --url ws://127.0.0.1:8765/ws --rooms 50 --duration 10s
//! # two nodes sharing one Redis; every room spans both; fixed offered load
//! parlor-loadtest --url ws://127.0.0.1:8765/ws --url ws://127.0.0.1:8766/ws \
//!     --rooms 200 --game mixed --rate 2000 --duration 30s --json
//! # memory per idle connection: read the server's RSS while this holds
//! parlor-loadtest --url ws://127.0.0.1:8765/ws --idle 5000 --duration 30s
//! ```
//!
//! Modules: [`cli`] flags · [`conn`] one socket · [`protocol`] wire frames · [`game`]
//! boards and random moves · [`setup`] ramp-up · [`brain`] a player's state machine ·
//! [`player`] a player's task · [`pacer`] open-loop tokens · [`stats`] counters ·
//! [`timeline`] latency per second · [`progress`] the live line · [`report`] the final
//! report · [`play`] and [`idle`] the two modes.

mod brain;
mod cli;
mod conn;
mod game;
mod idle;
mod pacer;
mod play;
mod player;
mod progress;
mod protocol;
mod report;
mod setup;
mod stats;
mod timeline;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::Args;
use crate::report::{IdleReport, PlayReport};

fn main() -> ExitCode {
    let args = Args::parse();
    if let Err(message) = args.validate() {
        eprintln!("parlor-loadtest: {message}");
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("parlor-loadtest: cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let anything_ran = runtime.block_on(async {
        match args.idle {
            Some(count) => {
                let report = idle::run(&args, count).await;
                report::print(&report, args.json, IdleReport::text);
                report.connected > 0
            }
            None => {
                let report = play::run(&args).await;
                report::print(&report, args.json, PlayReport::text);
                report.rooms > 0
            }
        }
    });
    // Sockets still closing are dropped with the runtime; the server sees them go.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    if anything_ran {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Resolves on Ctrl-C; never, if the handler cannot be installed.
async fn interrupted() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}
