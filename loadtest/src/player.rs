//! One player's task: its socket, its [`Brain`], the stop signal and, in open loop,
//! the pacer's tokens.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{watch, Semaphore};

use crate::brain::{Brain, MoveClock, Reaction};
use crate::conn::{self, Read};
use crate::game::Board;
use crate::protocol;
use crate::setup::Seated;
use crate::stats::{Stats, Window};

/// The `req` of the final `leave_room` (the setup's; its reply is not awaited).
const LEAVE_REQ: u64 = 1;

/// What every player task shares.
pub struct Shared {
    /// The counters.
    pub stats: Arc<Stats>,
    /// The measured part of the run.
    pub window: Window,
    /// Open loop: one permit per action allowed. Closed loop: `None`.
    pub pacer: Option<Arc<Semaphore>>,
}

/// Plays until `stop` turns true (or its sender goes), then closes the socket. A
/// connection that ends before that is counted as an unexpected close. `clock` is
/// shared with the other player of the room.
pub async fn run<B: Board>(
    seated: Seated,
    clock: Arc<MoveClock>,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    let Seated {
        mut ws,
        player_id,
        seat,
        joined,
    } = seated;
    let mut brain = Brain::<B>::new(player_id, seat, &joined, clock);
    drop(joined);
    let stats = &shared.stats;
    let open_loop = shared.pacer.is_some();
    let ended: Option<String> = loop {
        if *stop.borrow() {
            break None;
        }
        if brain.wants_move() && !open_loop {
            if let Some(frame) = brain.make_move(Instant::now()) {
                if let Err(how) = send_action(&mut ws, frame, stats).await {
                    break Some(how);
                }
            }
            continue;
        }
        let deadline = brain.deadline();
        // Biased, the stop first: once the run ends, no frame is read and no move is made
        // (a frame then may be the answer to a move that crossed the opponent's leave).
        let reaction = tokio::select! {
            biased;
            _ = stop.changed() => break None,
            read = conn::next_text(&mut ws) => match read {
                Read::Text(text) => brain.on_text(&text, Instant::now(), &shared.window, stats),
                Read::Closed(how) => break Some(how),
            },
            () = token(shared.pacer.as_deref()), if open_loop && brain.wants_move() => {
                match brain.make_move(Instant::now()) {
                    Some(frame) => match send_action(&mut ws, frame, stats).await {
                        Ok(()) => Reaction::Nothing,
                        Err(how) => break Some(how),
                    },
                    None => Reaction::Nothing,
                }
            }
            () = sleep_until(deadline), if deadline.is_some() => brain.on_deadline(Instant::now(), stats),
        };
        match reaction {
            Reaction::Nothing => {}
            Reaction::Send(frame) => {
                if let Err(how) = conn::send(&mut ws, frame).await {
                    break Some(how);
                }
            }
            Reaction::Leave(why) => break Some(why.to_owned()),
        }
    };
    match ended {
        Some(how) => stats.unexpected_close(&how),
        // Leave rather than just close: a dropped socket keeps its seat until the room
        // expires, and a load test should not leave thousands of rooms behind.
        None => {
            let _ = conn::send(&mut ws, protocol::leave_room(LEAVE_REQ)).await;
        }
    }
    conn::close(ws).await;
}

async fn send_action(ws: &mut conn::Ws, frame: String, stats: &Stats) -> Result<(), String> {
    stats
        .sent
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    conn::send(ws, frame).await
}

/// Waits for one pacer token. A closed pacer (the run is ending) never yields one.
async fn token(pacer: Option<&Semaphore>) {
    match pacer {
        Some(pacer) => match pacer.acquire().await {
            Ok(permit) => permit.forget(),
            Err(_) => std::future::pending().await,
        },
        None => std::future::pending().await,
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}
