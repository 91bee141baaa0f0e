//! Play mode: seat the rooms, let every player play through warm-up and the measured
//! time, stop them all, and build the report.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::brain::MoveClock;
use crate::cli::Args;
use crate::game::{ConnectFourBoard, GameKind, TicTacToeBoard};
use crate::player::{self, Shared};
use crate::progress::{self, Progress};
use crate::report::PlayReport;
use crate::setup::{self, Plan, Seated};
use crate::stats::{Stats, Window};

/// How long players get to close their sockets once told to stop.
const WIND_DOWN: Duration = Duration::from_secs(5);

/// Runs the rooms and returns the report.
pub async fn run(args: &Args) -> PlayReport {
    let stats = Arc::new(Stats::new());
    let mut progress = Progress::new(args.json);
    progress.show(ramp_line(Arc::clone(&stats), args.rooms));
    let plan = Plan {
        urls: &args.urls,
        game: args.game,
        rooms: args.rooms,
        concurrency: args.ramp_concurrency as usize,
        timeout: args.connect_timeout,
    };
    let ramp_start = Instant::now();
    let rooms = tokio::select! {
        rooms = setup::ramp(&plan, &stats) => rooms,
        () = crate::interrupted() => Vec::new(),
    };
    let ramp = ramp_start.elapsed();

    let start = Instant::now();
    let window = Window {
        start: start + args.warmup,
        end: start + args.warmup + args.duration,
    };
    let (stop_tx, stop_rx) = watch::channel(false);
    let pacer = args
        .rate
        .map(|rate| crate::pacer::start(rate, stop_rx.clone()));
    let shared = Arc::new(Shared {
        stats: Arc::clone(&stats),
        window,
        pacer,
    });
    let mut players = JoinSet::new();
    let room_count = rooms.len();
    for room in rooms {
        let clock = Arc::new(MoveClock::new());
        spawn_player(&mut players, room.game, room.a, &clock, &shared, &stop_rx);
        spawn_player(&mut players, room.game, room.b, &clock, &shared, &stop_rx);
    }
    progress.show(play_line(Arc::clone(&stats), window));
    let ended = if room_count == 0 {
        start
    } else {
        tokio::select! {
            () = tokio::time::sleep_until(window.end.into()) => window.end,
            () = crate::interrupted() => Instant::now(),
        }
    };
    stats.stop();
    let _ = stop_tx.send(true);
    let _ = tokio::time::timeout(WIND_DOWN, async {
        while players.join_next().await.is_some() {}
    })
    .await;
    players.abort_all();
    progress.finish();
    build_report(
        args,
        &stats,
        room_count,
        ramp,
        ended.saturating_duration_since(window.start),
    )
}

fn spawn_player(
    players: &mut JoinSet<()>,
    game: GameKind,
    seated: Seated,
    clock: &Arc<MoveClock>,
    shared: &Arc<Shared>,
    stop: &watch::Receiver<bool>,
) {
    let (clock, shared, stop) = (Arc::clone(clock), Arc::clone(shared), stop.clone());
    match game {
        GameKind::Tictactoe => {
            players.spawn(player::run::<TicTacToeBoard>(seated, clock, shared, stop))
        }
        GameKind::Connect4 => {
            players.spawn(player::run::<ConnectFourBoard>(seated, clock, shared, stop))
        }
    };
}

fn ramp_line(stats: Arc<Stats>, rooms: u32) -> impl FnMut(f64) -> String + Send + 'static {
    move |_| {
        format!(
            "ramp-up: {}/{rooms} rooms · {} connect failures",
            stats.rooms_ready.load(Relaxed),
            stats.connect_failure_count()
        )
    }
}

fn play_line(stats: Arc<Stats>, window: Window) -> impl FnMut(f64) -> String + Send + 'static {
    let mut previous = 0;
    move |elapsed| {
        let applied = stats.applied_all.load(Relaxed);
        let rate = (applied - previous) as f64 / elapsed.max(1e-3);
        previous = applied;
        let now = Instant::now();
        let phase = if now < window.start {
            "warm-up"
        } else if now < window.end {
            "measuring"
        } else {
            "closing connections"
        };
        format!(
            "{phase}: {rate:.0} actions/s · p99 {} ms · errors {} · closes {}",
            progress::ms(stats.latency_ms(0.99)),
            stats.error_frames.load(Relaxed),
            stats.unexpected_close_count()
        )
    }
}

fn build_report(
    args: &Args,
    stats: &Stats,
    rooms: usize,
    ramp: Duration,
    measured: Duration,
) -> PlayReport {
    let actions = stats.applied.load(Relaxed);
    let seconds = measured.as_secs_f64();
    PlayReport {
        mode: if args.rate.is_some() {
            "open"
        } else {
            "closed"
        },
        game: args.game.name(),
        nodes: args.urls.len(),
        rooms_requested: args.rooms,
        rooms: rooms as u64,
        players: 2 * rooms as u64,
        ramp_s: ramp.as_secs_f64(),
        warmup_s: args.warmup.as_secs_f64(),
        duration_s: seconds,
        actions,
        actions_per_sec: if seconds > 0.0 {
            actions as f64 / seconds
        } else {
            0.0
        },
        target_rate: args.rate,
        latency_ms: stats.latency_summary(),
        opponent_latency_ms: stats.opponent_latency_summary(),
        timeline: stats.timeline(),
        games_finished: stats.games_finished.load(Relaxed),
        errors: stats.errors(),
        errors_after_stop: stats.errors_after_stop(),
        connect_failures: stats.connect_failure_count(),
        connect_failure_reasons: stats.connect_failures(),
        setup_failures: stats.setup_failures(),
        unexpected_closes: stats.unexpected_close_count(),
        unexpected_close_reasons: stats.unexpected_closes(),
        unanswered: stats.unanswered.load(Relaxed),
        bad_frames: stats.bad_frames.load(Relaxed),
    }
}
