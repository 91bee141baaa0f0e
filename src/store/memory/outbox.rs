//! The outbox of the memory store: a queue in this process. It lives and dies with the
//! process: events not delivered when it stops are lost (the memory store keeps nothing
//! across a restart, rooms included).
//!
//! A `std` mutex guards the queues: every operation is a few moves between them and
//! nothing awaits while it is held. One process means one delivering node, so a claim is
//! never taken over by another consumer; a clean shutdown still hands claims back.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use crate::error::StoreError;
use crate::store::{now_ms, Move};
use crate::store::outbox::{Claimed, DeadLetter, Outbox, OutboxEvent, OutboxStats};

/// Events recorded by this process's room writes, waiting for delivery.
#[derive(Default)]
pub struct MemoryOutbox {
    queues: Mutex<Queues>,
}

#[derive(Default)]
struct Queues {
    /// Events to try now, oldest first.
    ready: VecDeque<Claimed>,
    /// Events waiting for their next attempt, by (due ms, sequence).
    delayed: BTreeMap<(i64, u64), Claimed>,
    /// Claimed events by id, with their consumer.
    in_flight: HashMap<String, (String, Claimed)>,
    /// Dead letters by (when buried, sequence).
    dead: BTreeMap<(i64, u64), DeadLetter>,
    /// Tie-breaker for the ordered maps.
    seq: u64,
}

impl Queues {
    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Take the event of this claim out of flight, unless it was reported already.
    fn settle(&mut self, event: &Claimed) -> Option<Claimed> {
        self.in_flight.remove(&event.id).map(|(_, c)| c)
    }

    fn dead_key(&self, id: &str) -> Option<(i64, u64)> {
        self.dead.iter().find(|(_, d)| d.id == id).map(|(k, _)| *k)
    }
}

impl MemoryOutbox {
    fn queues(&self) -> MutexGuard<'_, Queues> {
        self.queues.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Record an event, with the moves of its game when it carries them. Called under the
    /// store's lock, with the write that causes it.
    pub fn push(&self, event: &OutboxEvent, moves: &[Move]) {
        self.queues().ready.push_back(Claimed {
            id: event.id.clone(),
            kind: event.kind.to_string(),
            body: if event.with_moves {
                event.body(&moves.iter().map(Move::to_json).collect::<Vec<_>>())
            } else {
                event.body(&[])
            },
            attempts: 0,
            created_ms: event.created_ms,
            receipt: event.id.clone(),
        });
    }
}

#[async_trait]
impl Outbox for MemoryOutbox {
    #[cfg(any(test, feature = "internals"))]
    async fn enqueue(&self, event: &OutboxEvent) -> Result<(), StoreError> {
        self.push(event, &[]);
        Ok(())
    }

    async fn claim(&self, consumer: &str, max: usize) -> Result<Vec<Claimed>, StoreError> {
        let now = now_ms();
        let mut q = self.queues();
        while let Some(entry) = q.delayed.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let event = entry.remove();
            q.ready.push_back(event);
        }
        let mut claimed = Vec::new();
        while claimed.len() < max {
            let Some(event) = q.ready.pop_front() else {
                break;
            };
            q.in_flight
                .insert(event.id.clone(), (consumer.to_string(), event.clone()));
            claimed.push(event);
        }
        Ok(claimed)
    }

    async fn delivered(&self, events: &[Claimed]) -> Result<(), StoreError> {
        let mut q = self.queues();
        for event in events {
            q.settle(event);
        }
        Ok(())
    }

    async fn retry_at(
        &self,
        event: &Claimed,
        due_ms: i64,
        _error: &str,
    ) -> Result<(), StoreError> {
        let mut q = self.queues();
        if let Some(mut parked) = q.settle(event) {
            parked.attempts = parked.attempts.saturating_add(1);
            let seq = q.next_seq();
            q.delayed.insert((due_ms, seq), parked);
        }
        Ok(())
    }

    async fn bury(&self, event: &Claimed, error: &str) -> Result<(), StoreError> {
        let now = now_ms();
        let mut q = self.queues();
        if let Some(dead) = q.settle(event) {
            let seq = q.next_seq();
            q.dead.insert(
                (now, seq),
                DeadLetter {
                    id: dead.id,
                    kind: dead.kind,
                    attempts: dead.attempts.saturating_add(1),
                    last_error: error.to_string(),
                    last_attempt_ms: now,
                    body: dead.body,
                    created_ms: dead.created_ms,
                },
            );
        }
        Ok(())
    }

    async fn hand_back(&self, consumer: &str) -> Result<(), StoreError> {
        let mut q = self.queues();
        let mine: Vec<String> = q
            .in_flight
            .iter()
            .filter(|(_, (c, _))| c == consumer)
            .map(|(id, _)| id.clone())
            .collect();
        for id in mine {
            if let Some((_, event)) = q.in_flight.remove(&id) {
                q.ready.push_front(event);
            }
        }
        Ok(())
    }

    async fn stats(&self) -> Result<OutboxStats, StoreError> {
        let q = self.queues();
        let pending = q.ready.len() + q.delayed.len() + q.in_flight.len();
        let oldest = q
            .ready
            .iter()
            .chain(q.delayed.values())
            .chain(q.in_flight.values().map(|(_, c)| c))
            .map(|c| c.created_ms)
            .min();
        Ok(OutboxStats {
            pending: pending as u64,
            dead: q.dead.len() as u64,
            oldest_pending_ms: oldest,
        })
    }

    async fn dead_letters(&self, limit: usize) -> Result<Vec<DeadLetter>, StoreError> {
        Ok(self.queues().dead.values().take(limit).cloned().collect())
    }

    async fn revive(&self, id: &str) -> Result<bool, StoreError> {
        let now = now_ms();
        let mut q = self.queues();
        let Some(key) = q.dead_key(id) else {
            return Ok(false);
        };
        if let Some(dead) = q.dead.remove(&key) {
            q.ready.push_back(Claimed {
                receipt: dead.id.clone(),
                id: dead.id,
                kind: dead.kind,
                body: dead.body,
                attempts: 0,
                created_ms: now,
            });
        }
        Ok(true)
    }

    async fn discard(&self, id: &str) -> Result<bool, StoreError> {
        let mut q = self.queues();
        let Some(key) = q.dead_key(id) else {
            return Ok(false);
        };
        Ok(q.dead.remove(&key).is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: &str) -> OutboxEvent {
        OutboxEvent {
            id: id.into(),
            kind: "room.closed",
            head: "{\"a\":[".into(),
            tail: "]}".into(),
            with_moves: true,
            created_ms: 5,
        }
    }

    #[tokio::test]
    async fn an_event_goes_from_claim_to_retry_to_dead_and_back() {
        let o = MemoryOutbox::default();
        let moved = |seat, cell| Move {
            seat,
            action: serde_json::json!({ "cell": cell }),
            at_ms: 0,
        };
        o.push(&event("e1"), &[moved(0, 4), moved(1, 0)]);
        let got = o.claim("n", 8).await.unwrap();
        assert_eq!(got.len(), 1);
        let at = "1970-01-01T00:00:00.000Z";
        assert_eq!(
            got[0].body,
            format!(
                r#"{{"a":[{{"seat":0,"action":{{"cell":4}},"at":"{at}"}},{{"seat":1,"action":{{"cell":0}},"at":"{at}"}}]}}"#
            )
        );
        assert!(o.claim("n", 8).await.unwrap().is_empty(), "in flight");
        o.retry_at(&got[0], 0, "HTTP 500").await.unwrap();
        let again = o.claim("n", 8).await.unwrap();
        assert_eq!(again[0].attempts, 1);
        o.bury(&again[0], "HTTP 410").await.unwrap();
        let s = o.stats().await.unwrap();
        assert_eq!((s.pending, s.dead), (0, 1));
        let dead = o.dead_letters(10).await.unwrap();
        assert_eq!((dead[0].attempts, dead[0].last_error.as_str()), (2, "HTTP 410"));
        assert!(o.revive("e1").await.unwrap());
        assert!(!o.revive("e1").await.unwrap());
        let revived = o.claim("n", 8).await.unwrap();
        assert_eq!(revived[0].attempts, 0);
    }

    #[tokio::test]
    async fn a_hand_back_makes_claims_available_again() {
        let o = MemoryOutbox::default();
        o.enqueue(&event("e1")).await.unwrap();
        assert_eq!(o.claim("a", 8).await.unwrap().len(), 1);
        o.hand_back("a").await.unwrap();
        assert_eq!(o.claim("b", 8).await.unwrap()[0].id, "e1");
        assert_eq!(o.stats().await.unwrap().oldest_pending_ms, Some(5));
    }
}
