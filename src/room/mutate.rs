//! The one way a room changes: [`Rooms::mutate`] runs an operation's rules on the current
//! document and writes the result by compare-and-set, retrying on conflict and settling
//! writes whose outcome is unknown (see `settle`).

use std::sync::Arc;

use serde_json::Value;

use super::plan::{Plan, Write};
use super::settle::{self, Unsure};
use super::{clock, ids, results, Rooms};
use crate::error::{ErrorCode, ProtoError, StoreError};
use crate::game::Seat;
use crate::model::{Envelope, RoomDoc, SharedDoc, Status};
use crate::store::outbox::CLOSED_EMPTY;
use crate::store::{CasOutcome, Extras, IndexChange, Move, MoveLog, OutboxEvent};

/// How often a change is retried against fresh state before giving up.
const MAX_ATTEMPTS: usize = 16;

impl Rooms {
    /// Read a room, preferring the hub's cache (on either store: it saves a Redis round
    /// trip on one and a copy of the whole document on the other).
    pub(super) async fn current(
        &self,
        code: &str,
        use_cache: bool,
    ) -> Result<SharedDoc, ProtoError> {
        if use_cache && self.use_cache {
            if let Some(doc) = self.hub.cached(code) {
                return Ok(doc);
            }
        }
        match self.store.load(code).await? {
            Some(doc) => {
                let doc = Arc::new(doc);
                self.hub.remember(doc.clone());
                Ok(doc)
            }
            None => Err(ErrorCode::RoomNotFound.into()),
        }
    }

    /// Apply `rules` to the room under compare-and-set and publish the planned events.
    /// `rules` may run more than once (after a conflict) and must not keep state between
    /// runs. Returns the room as written.
    pub(crate) async fn mutate(
        &self,
        code: &str,
        rules: impl FnMut(&mut RoomDoc) -> Result<Plan, ProtoError>,
    ) -> Result<SharedDoc, ProtoError> {
        self.mutate_from(code, true, rules).await
    }

    /// [`mutate`](Self::mutate) starting from the stored room, never the cache: for
    /// changes whose rules may decide to do nothing, which a stale cache would hide.
    pub(crate) async fn mutate_fresh(
        &self,
        code: &str,
        rules: impl FnMut(&mut RoomDoc) -> Result<Plan, ProtoError>,
    ) -> Result<SharedDoc, ProtoError> {
        self.mutate_from(code, false, rules).await
    }

    pub(crate) async fn mutate_from(
        &self,
        code: &str,
        use_cache: bool,
        mut rules: impl FnMut(&mut RoomDoc) -> Result<Plan, ProtoError>,
    ) -> Result<SharedDoc, ProtoError> {
        // Held to the end, settling included: a change whose outcome is in doubt is
        // still work in progress.
        let _place = self.gate.enter().await?;
        let mut base = self.current(code, use_cache).await?;
        let mut cached = use_cache && self.use_cache;
        // Writes whose outcome is unknown (timed out): any of them may have applied.
        let mut unsure = Unsure::default();
        for _ in 0..MAX_ATTEMPTS {
            let mut next = (*base).clone();
            let mut plan = match rules(&mut next) {
                Ok(plan) => plan,
                // The cache may trail the store (another node wrote); a refusal must be
                // judged against the real state.
                Err(_) if cached => {
                    cached = false;
                    base = self.current(code, false).await?;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let write = plan.write;
            if write == Write::Skip {
                return Ok(base);
            }
            next.version = base.version + 1;
            // One clock read per change: the room's stamp and its move's.
            let now = chrono::Utc::now();
            next.updated_at = ids::secs_of(now);
            clock::rearm(&base, &mut next, clock::now_ms);
            let (moves, event) = self.record(&base, &mut next, plan.moved.take(), write, now);
            let mut frames = Vec::with_capacity(plan.frames.len());
            for (aud, ev) in &plan.frames {
                ev.render_into(*aud, &next, &mut frames);
            }
            let env = Envelope {
                version: Some(next.version),
                effect: plan.effect,
                doc: None,
                frames,
                // Nobody elsewhere to tell, before or after: the store may deliver it here.
                local_only: base.members_only_on(&self.node) && next.members_only_on(&self.node),
            };
            // A deadline is indexed before it is stored, so no crash can leave a stored
            // deadline that no node will find.
            if write != Write::Delete {
                if let Some(at) = next.deadline.filter(|_| next.deadline != base.deadline) {
                    self.store.arm_deadline(code, at).await?;
                }
            }
            // A delete is a compare-and-set like any write: decided on a document that
            // has moved on (someone joined meanwhile), it must re-run on the fresh one.
            // Shared from here on: the store keeps it (memory) and so does the hub's cache.
            let next = Arc::new(next);
            let result = if write == Write::Delete {
                self.store
                    .delete_at(code, base.version, &env, event.as_ref())
                    .await
            } else {
                // Users seated by this change: the room joins their per-user index.
                let users = next
                    .players
                    .iter()
                    .filter_map(|p| p.user.as_ref())
                    .filter(|u| !base.players.iter().any(|b| b.user.as_ref() == Some(*u)))
                    .cloned()
                    .collect();
                let extras = Extras {
                    index: IndexChange::between(&base, &next),
                    moves,
                    event,
                    users,
                };
                self.store.update(base.version, &next, env, extras).await
            };
            let outcome = match result {
                Ok(outcome) => unsure.recognise(outcome),
                Err(e) if settle::ambiguous(&e) => {
                    tracing::warn!(room = code, error = %e, "write outcome unknown; re-reading the room");
                    unsure.add(&next, write);
                    let outcome = unsure.recognise(self.settle(code).await?);
                    if unsure.exhausted() && !matches!(outcome, CasOutcome::Applied) {
                        return Err(e.into());
                    }
                    outcome
                }
                Err(e) => return Err(e.into()),
            };
            match outcome {
                CasOutcome::Applied if unsure.applied.is_some() => {
                    let doc = unsure.applied.take().map_or(next, Arc::new);
                    self.hub.remember(doc.clone());
                    return Ok(doc);
                }
                CasOutcome::Applied => {
                    if let Some(old) = base.deadline.filter(|d| Some(*d) != next.deadline) {
                        self.forget_deadline(code, old);
                    }
                    let doc = next;
                    if write == Write::Update {
                        self.hub.remember(doc.clone());
                    }
                    return Ok(doc);
                }
                CasOutcome::Conflict(fresh) => {
                    cached = false;
                    base = Arc::from(fresh);
                    self.hub.remember(base.clone());
                }
                CasOutcome::Missing => return Err(ErrorCode::RoomNotFound.into()),
            }
        }
        Err(StoreError::Conflict.into())
    }

    /// What a change from `base` to `next` records beside the room: a new game is
    /// numbered and its move log restarted, a move is logged, and with results on, a game
    /// that ends or a room that empties is told to the game's backend.
    fn record(
        &self,
        base: &RoomDoc,
        next: &mut RoomDoc,
        moved: Option<(Seat, Value)>,
        write: Write,
        now: chrono::DateTime<chrono::Utc>,
    ) -> (MoveLog, Option<OutboxEvent>) {
        let mut moves = MoveLog::Keep;
        if next.status == Status::Playing && base.status != Status::Playing {
            next.game_number = base.game_number + 1;
            next.game_started_at = Some(next.updated_at.clone());
            moves = MoveLog::Restart;
        } else if let Some((seat, action)) = moved {
            moves = MoveLog::Append(Move {
                seat,
                action,
                at_ms: now.timestamp_millis(),
            });
        }
        if !self.results {
            return (moves, None);
        }
        let event = if write == Write::Delete {
            Some(results::room_closed(
                &next.code,
                next.game,
                &next.created_at,
                CLOSED_EMPTY,
            ))
        } else if base.status == Status::Playing && next.status == Status::Finished {
            Some(results::game_finished(base, next))
        } else {
            None
        };
        (moves, event)
    }
}
