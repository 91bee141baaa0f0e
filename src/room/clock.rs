//! The turn clock: a room created with `turn_secs` gives the seats that must act a
//! deadline; when it passes, the game's penalty is applied as an ordinary room change.
//!
//! How it holds across nodes and crashes:
//! - Every change recomputes the deadline ([`rearm`]); a new one is added to the store's
//!   deadline index *before* the compare-and-set that writes it, so a stored deadline
//!   always has its index entry, whichever node dies when.
//! - Every node polls the index ([`Rooms::run_clock`]) and, for each due entry, runs the
//!   penalty through the room's compare-and-set, only if the stored deadline is still
//!   that entry's. The first node to write wins; the others find a different deadline (or
//!   none) and do nothing, so the penalty lands exactly once.
//! - Entries are only added and removed, never moved, so a stale entry can only fire
//!   early (and do nothing), never late.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio_util::sync::CancellationToken;

use super::plan::{state_event, Plan};
use super::Rooms;
use crate::error::{ErrorCode, ProtoError};
use crate::model::Audience;
use crate::model::{RoomDoc, Status};

/// How often every node looks for due deadlines (a deadline fires at most this late,
/// plus the time the change takes).
const POLL: Duration = Duration::from_millis(250);
/// Most due entries handled per poll.
const DUE_BATCH: usize = 64;

/// Now, in Unix milliseconds.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Set `next.deadline` for the change from `base`: none without a clock, when the game
/// is not being played or nobody has to act; a fresh one when the game (re)started or
/// its state moved on (any applied move restarts the clock); otherwise the one it had.
/// `now` (Unix ms) is read only for a fresh deadline.
pub(super) fn rearm(base: &RoomDoc, next: &mut RoomDoc, now: impl FnOnce() -> u64) {
    let Some(secs) = next.turn_secs else {
        next.deadline = None;
        return;
    };
    if next.status != Status::Playing || next.game.to_act(&next.state).is_empty() {
        next.deadline = None;
        return;
    }
    let restart =
        base.status != Status::Playing || base.deadline.is_none() || base.state != next.state;
    next.deadline = if restart {
        Some(now().saturating_add(u64::from(secs) * 1000))
    } else {
        base.deadline
    };
}

impl Rooms {
    /// Poll the deadline index until `stop`.
    pub async fn run_clock(self, stop: CancellationToken) {
        let mut tick = tokio::time::interval(POLL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tick.tick() => {
                    self.fire_due().await;
                }
            }
        }
    }

    /// Drop a deadline index entry the room no longer has, off the request's path (if
    /// this fails, the entry fires later and finds nothing to do).
    pub(super) fn forget_deadline(&self, code: &str, at: u64) {
        let store = self.store.clone();
        let code = code.to_string();
        tokio::spawn(async move {
            if let Err(e) = store.disarm_deadline(&code, at).await {
                tracing::debug!(room = %code, error = %e, "stale deadline entry left to fire");
            }
        });
    }

    /// Handle every due deadline once; returns how many penalties this node applied.
    pub async fn fire_due(&self) -> usize {
        let due = match self.store.due_deadlines(now_ms(), DUE_BATCH).await {
            Ok(due) => due,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the deadline index");
                return 0;
            }
        };
        let mut fired = 0;
        for (code, at) in due {
            match self.fire(&code, at).await {
                Ok(true) => fired += 1,
                Ok(false) => {}
                Err(e) if e.code == ErrorCode::RoomNotFound => {}
                // Left in the index: the next poll (on any node) tries again.
                Err(e) => {
                    // The failure itself was logged where it happened, with its causes.
                    tracing::warn!(room = %code, error = %e, "turn clock not applied; retried at the next poll");
                    continue;
                }
            }
            if let Err(e) = self.store.disarm_deadline(&code, at).await {
                tracing::warn!(room = %code, error = %e, "could not remove a deadline entry");
            }
        }
        fired
    }

    /// Apply the penalty of deadline `at` if it is still the room's; `true` if this call
    /// applied it.
    async fn fire(&self, code: &str, at: u64) -> Result<bool, ProtoError> {
        let mut fired = false;
        // The stored room decides, not this node's cache: another node may have moved.
        self.mutate_from(code, false, |doc| {
            fired = false;
            if doc.status != Status::Playing || doc.deadline != Some(at) || now_ms() < at {
                return Ok(Plan::skip());
            }
            let outcome = doc
                .game
                .on_deadline(Arc::make_mut(&mut doc.state))
                .map_err(|e| ProtoError::from(ErrorCode::Internal).caused_by(e))?;
            if outcome.is_over() {
                doc.status = Status::Finished;
            }
            fired = true;
            Ok(Plan::update(vec![(Audience::All, state_event(None, None))]))
        })
        .await?;
        if fired {
            tracing::debug!(room = code, "turn clock fired");
        }
        Ok(fired)
    }
}
