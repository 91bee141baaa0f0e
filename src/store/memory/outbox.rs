//! The outbox of the memory store: a queue in this process. It lives and dies with the
//! process: events not delivered when it stops are lost (the memory store keeps nothing
//! across a restart, rooms included).

use std::collections::VecDeque;
use std::sync::Mutex;

use crate::store::outbox::{Claimed, OutboxEvent};

/// Events recorded by this process's room writes, waiting for delivery.
#[derive(Default)]
pub struct MemoryOutbox {
    queue: Mutex<VecDeque<Claimed>>,
}

impl MemoryOutbox {
    /// Record an event, with the moves of its game when it carries them. Called under the
    /// store's lock, with the write that causes it.
    pub fn push(&self, event: &OutboxEvent, moves: &[String]) {
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        queue.push_back(Claimed {
            id: event.id.clone(),
            kind: event.kind.to_string(),
            body: event.body(moves),
            attempts: 0,
            created_ms: event.created_ms,
            receipt: event.id.clone(),
        });
    }
}
