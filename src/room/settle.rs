//! Writes whose outcome is unknown. A compare-and-set that timed out (or whose connection
//! broke after it was sent) may have applied, may never apply, or may still apply when a
//! slow Redis gets to it. Reporting it as failed would leave what it added (a seat
//! `connected:true`, held by nobody) in the room; retrying it blindly would apply it
//! twice (a spectator counted down twice).
//!
//! So [`Rooms::mutate`](super::Rooms::mutate) remembers every attempt it is unsure of and
//! re-reads the room: if the room is exactly what one of them wrote, that one applied and
//! the operation is done; otherwise the rules run again on the room as read, and the
//! retry is a compare-and-set on that version, which a late-applying earlier attempt
//! (written against an older version) can then no longer win, or which fails if it did.
//! One such retry only, so the wait stays bounded; when it is unsure too (or the re-read
//! fails), the caller gets `store_unavailable` and undoes what it may have added
//! ([`Rooms::undo_seat`]); a move may still apply late, as the next `state` shows.

use std::sync::Arc;
use std::time::Duration;

use super::leave::plan_release;
use super::plan::{Plan, Write};
use super::{Membership, Rooms};
use crate::error::{ErrorCode, ProtoError, StoreError};
use crate::model::RoomDoc;
use crate::store::CasOutcome;

/// Writes of unknown outcome one operation makes before it gives up: the retry that
/// follows the first is the only one, so a slow Redis still fails an operation within
/// about two op timeouts.
const MAX_UNSURE: usize = 2;

/// How many times an undo re-checks the room, and the longest pause between checks: a
/// write held by a paused or slow Redis applies when it resumes, so look for a while.
const UNDO_CHECKS: u32 = 10;
const UNDO_MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Whether a failed write may nonetheless have applied.
pub(super) fn ambiguous(e: &StoreError) -> bool {
    matches!(e, StoreError::Timeout | StoreError::Connection(_))
}

/// The attempts of one operation whose outcome is unknown.
#[derive(Default)]
pub(super) struct Unsure {
    docs: Vec<RoomDoc>,
    delete: bool,
    count: usize,
    /// Set when a re-read shows one of them applied: the room as it wrote it.
    pub applied: Option<RoomDoc>,
}

impl Unsure {
    pub fn add(&mut self, next: &RoomDoc, write: Write) {
        self.count += 1;
        match write {
            Write::Delete => self.delete = true,
            _ => self.docs.push(next.clone()),
        }
    }

    /// Whether the operation has used up its retries after unknown outcomes.
    pub fn exhausted(&self) -> bool {
        self.count >= MAX_UNSURE
    }

    /// Read a write's outcome in the light of the unsure attempts: a conflict against a
    /// room one of them wrote, or a missing room after an unsure delete, is our own
    /// write having applied.
    pub fn recognise(&mut self, outcome: CasOutcome) -> CasOutcome {
        match outcome {
            CasOutcome::Conflict(fresh) => match self.docs.iter().find(|d| **d == *fresh) {
                Some(doc) => {
                    self.applied = Some(doc.clone());
                    CasOutcome::Applied
                }
                None => CasOutcome::Conflict(fresh),
            },
            CasOutcome::Missing if self.delete => CasOutcome::Applied,
            other => other,
        }
    }
}

impl Rooms {
    /// Re-read a room after a write of unknown outcome, as a compare-and-set reply.
    pub(super) async fn settle(&self, code: &str) -> Result<CasOutcome, StoreError> {
        Ok(match self.store.load(code).await? {
            Some(doc) => CasOutcome::Conflict(Box::new(doc)),
            None => CasOutcome::Missing,
        })
    }

    /// A seat was being taken (create, join) when the store failed with an unknown
    /// outcome: make sure it is not left behind, held by nobody. In the background, check
    /// the room for a while; if the seat is there, give it up as a leave would; if the
    /// room is there without it, bump the room's version so the lost write (a
    /// compare-and-set against an older version) can never apply.
    pub(super) fn undo_seat(&self, code: &str, player_id: &str) {
        let (rooms, code, player_id) = (self.clone(), code.to_string(), player_id.to_string());
        tokio::spawn(async move {
            let mut backoff = Duration::from_millis(100);
            for _ in 0..UNDO_CHECKS {
                let result = rooms
                    .mutate_fresh(&code, |doc| Ok(plan_undo(doc, &player_id)))
                    .await;
                match result {
                    Ok(_) => {
                        tracing::info!(room = %code, "seat of a failed join released");
                        return;
                    }
                    Err(e) if e.code == ErrorCode::RoomNotFound => {}
                    Err(e) => log_retry(&code, &e),
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(UNDO_MAX_BACKOFF);
            }
        });
    }
}

/// Give up `player_id`'s seat if the room has it; otherwise change nothing but the
/// version, which fences off a write still in flight against an older one.
fn plan_undo(doc: &mut RoomDoc, player_id: &str) -> Plan {
    let Some(m) = Membership::seated(Arc::from(doc.code.as_str()), doc, player_id) else {
        return Plan::update(Vec::new());
    };
    let node = doc
        .presence
        .seats
        .get(player_id)
        .cloned()
        .unwrap_or_default();
    plan_release(doc, &m, &node)
}

fn log_retry(code: &str, e: &ProtoError) {
    tracing::warn!(
        room = code,
        code = e.code.as_str(),
        "releasing the seat of a failed join; will retry"
    );
}
