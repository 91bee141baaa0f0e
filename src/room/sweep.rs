//! The periodic sweep: members of rooms that expired are told so, and subscriptions of
//! rooms with no local member left are dropped.

use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::Rooms;
use crate::model::{Audience, Effect, Envelope};
use crate::protocol::{encode, ServerMsg, CLOSE_REASON_EXPIRED};

impl Rooms {
    /// Tell local members of rooms that expired (no activity for the TTL) that they are
    /// gone. Each node does this for its own sockets; the store expires the data itself.
    pub async fn sweep_expired(&self) {
        let Some(before) = Instant::now().checked_sub(self.ttl) else {
            return;
        };
        for code in self.hub.idle_rooms(before) {
            if let Ok(None) = self.store.load(&code).await {
                let frame = encode(&ServerMsg::RoomClosed {
                    room: &code,
                    reason: CLOSE_REASON_EXPIRED,
                });
                let env = Envelope {
                    effect: Effect::Close,
                    frames: vec![(Audience::All, frame)],
                    ..Envelope::default()
                };
                self.hub.deliver(&code, env);
            }
        }
    }

    /// Run both sweeps periodically until `stop`.
    pub async fn run_sweeper(self, stop: CancellationToken) {
        let period = (self.ttl / 4).clamp(Duration::from_millis(200), Duration::from_secs(5));
        let mut tick = tokio::time::interval(period);
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tick.tick() => {
                    self.sweep_expired().await;
                    self.sweep_subscriptions().await;
                }
            }
        }
    }
}
