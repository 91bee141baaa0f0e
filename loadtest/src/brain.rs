//! One player's view of its room, as a plain state machine with no I/O.
//!
//! The player task feeds it frames and timer wake-ups and sends what it answers. It
//! keeps the newest `state` it has seen (by version), at most one action in flight,
//! and measures each action from its send to the `state` whose `by` is this player.
//! Through a [`MoveClock`] shared with its opponent it also measures when the *other*
//! player heard of each move, which exposes delays on the fan-out path alone (the
//! mover's own reply can be fast while the opponent's copy waits).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::SeedableRng;

use crate::game::Board;
use crate::protocol::{self, Incoming, Status};
use crate::stats::{Stats, Window};

/// An action or rematch with no answer after this long is given up on (and counted).
const WATCHDOG: Duration = Duration::from_secs(10);
/// Pause after `rate_limited` before trying again.
const RATE_LIMITED_BACKOFF: Duration = Duration::from_millis(250);
/// Pause after any other error to an action: the state that explains it is usually
/// already on its way.
const ERROR_BACKOFF: Duration = Duration::from_millis(50);

/// What the player task should do after a frame or a timer.
#[derive(Debug, PartialEq, Eq)]
pub enum Reaction {
    /// Nothing.
    Nothing,
    /// Send this frame.
    Send(String),
    /// The room is gone (`room_closed`, `kicked`); stop, counted as this reason.
    Leave(&'static str),
}

/// The send time of a room's action in flight, shared by the room's two players so the
/// one who did not send it can time its arrival. Turns alternate, so one slot suffices.
pub struct MoveClock {
    base: Instant,
    /// Nanoseconds after `base`, plus one; 0 means "nothing to time".
    sent: AtomicU64,
}

impl MoveClock {
    /// An empty clock.
    pub fn new() -> Self {
        Self {
            base: Instant::now(),
            sent: AtomicU64::new(0),
        }
    }

    /// Notes that the mover sent an action at `at`.
    fn stamp(&self, at: Instant) {
        let nanos = u64::try_from(at.saturating_duration_since(self.base).as_nanos())
            .unwrap_or(u64::MAX - 1);
        self.sent.store(nanos + 1, Relaxed);
    }

    /// The send time of the action the opponent just heard of, once.
    fn take(&self) -> Option<Instant> {
        match self.sent.swap(0, Relaxed) {
            0 => None,
            stamp => Some(self.base + Duration::from_nanos(stamp - 1)),
        }
    }
}

/// The action in flight.
struct Pending {
    req: u64,
    sent_at: Instant,
}

/// A player's state machine; `B` is its game's board.
pub struct Brain<B> {
    player_id: String,
    seat: u8,
    /// Seat 0 counts finished games, so each is counted once per room, and asks for the
    /// rematch as soon as a game ends; the other seat accepts when the offer reaches it,
    /// as a player answering the web client's offer does (a new game starts only once
    /// every seat has asked). Two asks sent at the same instant would race for the same
    /// version and cost one of them a retried write.
    host: bool,
    version: u64,
    status: Status,
    board: Option<B>,
    turn: Option<u8>,
    pending: Option<Pending>,
    rematch_req: Option<u64>,
    /// Back-off or watchdog: while set, the player does not move; see [`Self::on_deadline`].
    deadline: Option<Instant>,
    last_req: u64,
    rng: SmallRng,
    clock: Arc<MoveClock>,
}

impl<B: Board> Brain<B> {
    /// Starts from the snapshot in the raw `joined` frame (if it parses).
    pub fn new(player_id: String, seat: u8, joined: &str, clock: Arc<MoveClock>) -> Self {
        let mut brain = Self {
            player_id,
            seat,
            host: seat == 0,
            version: 0,
            status: Status::Waiting,
            board: None,
            turn: None,
            pending: None,
            rematch_req: None,
            deadline: None,
            last_req: 1,
            rng: SmallRng::from_rng(&mut rand::rng()),
            clock,
        };
        if let Ok(Incoming::<B> {
            snapshot: Some(snapshot),
            ..
        }) = serde_json::from_str(joined)
        {
            brain.version = snapshot.version;
            brain.status = Status::parse(&snapshot.status);
            if let Some(state) = snapshot.state {
                brain.board = state.board;
                brain.turn = state.turn;
            }
        }
        brain
    }

    /// Whether it is this player's move and nothing holds it back.
    pub fn wants_move(&self) -> bool {
        self.status == Status::Playing
            && self.turn == Some(self.seat)
            && self.pending.is_none()
            && self.deadline.is_none()
    }

    /// When [`Self::on_deadline`] is due.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Picks a random legal move and returns the `action` frame; `now` is its send time.
    pub fn make_move(&mut self, now: Instant) -> Option<String> {
        let Some(action) = self
            .board
            .as_ref()
            .and_then(|b| b.random_action(&mut self.rng))
        else {
            // "Playing, your turn" with a full or missing board: wait for the next state
            // rather than spin.
            self.deadline = Some(now + WATCHDOG);
            return None;
        };
        let req = self.next_req();
        self.pending = Some(Pending { req, sent_at: now });
        self.deadline = Some(now + WATCHDOG);
        self.clock.stamp(now);
        Some(protocol::action(req, &action))
    }

    /// Handles one text frame from the server.
    pub fn on_text(
        &mut self,
        text: &str,
        now: Instant,
        window: &Window,
        stats: &Stats,
    ) -> Reaction {
        let Ok(frame) = serde_json::from_str::<Incoming<B>>(text) else {
            stats.bad_frame();
            return Reaction::Nothing;
        };
        match frame.kind.as_ref() {
            "state" => self.on_state(frame, now, window, stats),
            "rematch_offered" => self.on_offer(now),
            "error" => self.on_error(&frame, now, stats),
            "room_closed" => Reaction::Leave("room_closed"),
            "kicked" => Reaction::Leave("kicked"),
            _ => Reaction::Nothing,
        }
    }

    /// The deadline passed: give up on an unanswered request, or retry after a back-off.
    pub fn on_deadline(&mut self, now: Instant, stats: &Stats) -> Reaction {
        self.deadline = None;
        if self.pending.take().is_some() || self.rematch_req.take().is_some() {
            stats
                .unanswered
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        if self.status == Status::Finished {
            return Reaction::Send(self.rematch(now));
        }
        Reaction::Nothing
    }

    fn on_state(
        &mut self,
        frame: Incoming<'_, B>,
        now: Instant,
        window: &Window,
        stats: &Stats,
    ) -> Reaction {
        let Some(version) = frame.version else {
            stats.bad_frame();
            return Reaction::Nothing;
        };
        if version <= self.version {
            return Reaction::Nothing;
        }
        self.version = version;
        let previous = self.status;
        self.status = frame.status.as_deref().map_or(Status::Other, Status::parse);
        (self.board, self.turn) = match frame.state {
            Some(state) => (state.board, state.turn),
            None => (None, None),
        };
        let mine = frame.by.as_deref() == Some(self.player_id.as_str());
        if frame.by.is_some() && !mine {
            if let Some(sent_at) = self.clock.take() {
                stats.opponent_saw(window, sent_at, now);
            }
        }
        if let Some(pending) = &self.pending {
            if mine {
                stats.action_applied(window, pending.sent_at, now);
                self.pending = None;
                self.deadline = None;
            } else if self.status != Status::Playing {
                // The game ended or reset under the action (e.g. the other player left).
                self.pending = None;
                self.deadline = None;
            }
        }
        // Out of a finished game (the rematch started, or the room changed under it):
        // neither the rematch's watchdog nor the guest's wait for the offer holds it back.
        if self.status != Status::Finished
            && (self.rematch_req.take().is_some() || previous == Status::Finished)
        {
            self.deadline = None;
        }
        if self.status == Status::Finished && previous != Status::Finished {
            if self.host && window.contains(now) {
                stats
                    .games_finished
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            if self.host {
                return Reaction::Send(self.rematch(now));
            }
            // The guest waits for the host's offer; should it never come, the watchdog
            // asks anyway (see `on_deadline`).
            self.deadline = Some(now + WATCHDOG);
        }
        Reaction::Nothing
    }

    /// The other seat asked for a rematch: accept it, unless already asked.
    fn on_offer(&mut self, now: Instant) -> Reaction {
        if self.status == Status::Finished && self.rematch_req.is_none() {
            return Reaction::Send(self.rematch(now));
        }
        Reaction::Nothing
    }

    fn on_error(&mut self, frame: &Incoming<'_, B>, now: Instant, stats: &Stats) -> Reaction {
        let code = frame.code.as_deref().unwrap_or("missing_code");
        stats.error(code);
        let backoff = if code == "rate_limited" {
            RATE_LIMITED_BACKOFF
        } else {
            ERROR_BACKOFF
        };
        // An error without `req` is taken as the answer to the one request in flight
        // (there is never more than one): the contract says errors echo `req`, but a
        // server that forgets must not leave the player waiting for the watchdog.
        let answers = |sent: u64| frame.req.is_none_or(|req| req == sent);
        if self.pending.as_ref().is_some_and(|p| answers(p.req)) {
            self.pending = None;
            self.deadline = Some(now + backoff);
        } else if self.rematch_req.is_some_and(answers) {
            // on_deadline sends it again if the game is still finished by then.
            self.rematch_req = None;
            self.deadline = Some(now + backoff);
        }
        Reaction::Nothing
    }

    fn rematch(&mut self, now: Instant) -> String {
        let req = self.next_req();
        self.rematch_req = Some(req);
        self.deadline = Some(now + WATCHDOG);
        protocol::rematch(req)
    }

    fn next_req(&mut self) -> u64 {
        self.last_req += 1;
        self.last_req
    }
}

#[cfg(test)]
#[path = "brain_tests.rs"]
mod tests;
