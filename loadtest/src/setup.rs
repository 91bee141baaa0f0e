//! Ramp-up of play mode: seat two players in each room, a bounded number at a time.
//!
//! Player A of room i connects to `url[i % n]` and creates a private room; player B
//! connects to `url[(i+1) % n]` and joins it by code, so with several nodes every room
//! spans two of them and its events must cross the store.

use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::{self, StreamExt};
use serde::de::IgnoredAny;
use url::Url;

use crate::cli::GameChoice;
use crate::conn::{self, Read, Ws};
use crate::game::GameKind;
use crate::protocol::{self, Incoming};
use crate::stats::Stats;

/// The `req` of each setup request.
const SETUP_REQ: u64 = 1;

/// A player with a seat, ready to play.
pub struct Seated {
    /// Its socket.
    pub ws: Ws,
    /// Its `player_id` (what `state.by` carries for its own moves).
    pub player_id: String,
    /// Its seat.
    pub seat: u8,
    /// The raw `joined` frame, whose snapshot the player starts from.
    pub joined: String,
}

/// Both players of one room.
pub struct Room {
    /// What the room plays.
    pub game: GameKind,
    /// The creator (seat 0 in practice).
    pub a: Seated,
    /// The joiner.
    pub b: Seated,
}

/// What the ramp needs to know.
pub struct Plan<'a> {
    /// The nodes' URLs.
    pub urls: &'a [Url],
    /// The game choice.
    pub game: GameChoice,
    /// How many rooms.
    pub rooms: u32,
    /// Most room setups in flight (each does its two connects one after the other).
    pub concurrency: usize,
    /// Limit for one connect and for one reply.
    pub timeout: Duration,
}

/// Sets up every room, `plan.concurrency` at a time; failed rooms are counted in
/// `stats` and left out.
pub async fn ramp(plan: &Plan<'_>, stats: &Arc<Stats>) -> Vec<Room> {
    stream::iter(0..plan.rooms as usize)
        .map(|index| setup_room(plan, index, stats))
        .buffer_unordered(plan.concurrency)
        .filter_map(|room| async move { room })
        .collect()
        .await
}

async fn setup_room(plan: &Plan<'_>, index: usize, stats: &Stats) -> Option<Room> {
    let game = plan.game.for_room(index);
    let n = plan.urls.len();
    let create = protocol::create_room(SETUP_REQ, game.name(), &format!("lt-a{index}"));
    let (a, room) = seat(&plan.urls[index % n], create, plan.timeout, stats).await?;
    let join = protocol::join_room(SETUP_REQ, &room, &format!("lt-b{index}"));
    let Some((b, _)) = seat(&plan.urls[(index + 1) % n], join, plan.timeout, stats).await else {
        conn::close(a.ws).await;
        return None;
    };
    stats
        .rooms_ready
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Some(Room { game, a, b })
}

/// Connects, sends `request`, and waits for its `joined`. Returns the player and the
/// room code.
async fn seat(
    url: &Url,
    request: String,
    timeout: Duration,
    stats: &Stats,
) -> Option<(Seated, String)> {
    let mut ws = match conn::connect(url, timeout).await {
        Ok(ws) => ws,
        Err(class) => {
            stats.connect_failure(&class);
            return None;
        }
    };
    let reply = match conn::send(&mut ws, request).await {
        Ok(()) => tokio::time::timeout(timeout, await_joined(&mut ws, stats))
            .await
            .unwrap_or_else(|_| Err("timeout".into())),
        Err(how) => Err(how),
    };
    match reply {
        Ok(joined) => {
            let seated = Seated {
                ws,
                player_id: joined.player_id,
                seat: joined.seat,
                joined: joined.text,
            };
            Some((seated, joined.room))
        }
        Err(reason) => {
            stats.setup_failure(&reason);
            conn::close(ws).await;
            None
        }
    }
}

/// The parts of a `joined` reply setup needs.
struct Joined {
    room: String,
    player_id: String,
    seat: u8,
    text: String,
}

/// Reads frames until the reply to the setup request; `Err` names why there is none.
async fn await_joined(ws: &mut Ws, stats: &Stats) -> Result<Joined, String> {
    loop {
        let text = match conn::next_text(ws).await {
            Read::Text(text) => text,
            Read::Closed(how) => return Err(how),
        };
        let Ok(frame) = serde_json::from_str::<Incoming<IgnoredAny>>(&text) else {
            stats.bad_frame();
            continue;
        };
        if frame.req != Some(SETUP_REQ) {
            continue;
        }
        match frame.kind.as_ref() {
            "joined" => {
                let (Some(room), Some(you)) = (frame.room, frame.you) else {
                    stats.bad_frame();
                    return Err("bad_joined".into());
                };
                let Some(seat) = you.seat else {
                    return Err("no_seat".into());
                };
                let room = room.into_owned();
                return Ok(Joined {
                    room,
                    player_id: you.player_id,
                    seat,
                    text: text.as_str().to_owned(),
                });
            }
            "error" => {
                let code = frame.code.as_deref().unwrap_or("missing_code");
                stats.error(code);
                return Err(format!("error_{code}"));
            }
            _ => continue,
        }
    }
}
