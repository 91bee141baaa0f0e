//! A connection's state as the message handlers see it, and how they answer. Apart
//! from the connection loop (`conn`) so that the loop and the handlers it calls do not
//! import each other.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::{Message, WebSocket};
use futures_util::{FutureExt, SinkExt};

use crate::auth::Identity;
use crate::error::ProtoError;
use crate::guard::JoinGate;
use crate::metrics as m;
use crate::protocol::{encode, ServerMsg};
use crate::room::{ConnHandle, Membership, Rooms};
use crate::state::AppState;

/// An upgraded socket, boxed before any future is made: a `WebSocket` is several hundred
/// bytes, and every async layer it passed through as an argument kept room for it in its
/// state (about 2 KiB of each idle connection's task). Not split into halves: the loop
/// reads and writes it in turn, never at once, and the halves' shared lock cost two
/// atomic swaps on every read, write and flush.
pub(super) type Socket = Box<WebSocket>;

/// A connection's mutable state, passed to the message handlers.
pub(super) struct Conn {
    pub state: AppState,
    pub handle: ConnHandle,
    pub membership: Option<Membership>,
    /// Highest room version this socket has shown; older events are dropped.
    pub seen_version: u64,
    /// Failed-join limits of this connection and its address.
    pub gate: JoinGate,
    /// Who the socket signed in as, when it did.
    pub signed_in: Option<SignedIn>,
    /// When the socket opened (the sign-in deadline counts from here).
    pub opened: std::time::Instant,
    pub(super) socket: Socket,
    /// Bound on one write to the socket.
    pub(super) write_timeout: Duration,
}

impl Conn {
    /// Send one frame now.
    pub async fn send(&mut self, msg: &ServerMsg<'_>) -> bool {
        m::ws_message("out", msg.kind());
        let frame = Message::Text(encode(msg).into());
        within(self.write_timeout, self.socket.send(frame)).await
    }

    /// Send an error reply.
    pub async fn send_error(&mut self, req: Option<u64>, err: &ProtoError) -> bool {
        self.send(&ServerMsg::Error {
            req,
            code: err.code,
            message: &err.message,
        })
        .await
    }

    pub fn rooms(&self) -> &Rooms {
        &self.state.rooms
    }
}

/// Run one socket write, bounded by `limit`. `false` when the socket is broken or the
/// write stalled past the limit (a peer that stopped reading: counted as a slow
/// consumer); either way the caller drops the connection.
pub(super) async fn within(
    limit: Duration,
    write: impl Future<Output = Result<(), axum::Error>>,
) -> bool {
    let mut write = std::pin::pin!(write);
    // Most writes finish on their first poll (the kernel takes the bytes): then no timer
    // is set up, and no clock read (several per move, about 1 % of the node's CPU).
    if let Some(result) = (&mut write).now_or_never() {
        return result.is_ok();
    }
    match tokio::time::timeout(limit, write).await {
        Ok(result) => result.is_ok(),
        Err(_) => {
            m::ws_rejected(m::RejectReason::SlowConsumer);
            tracing::info!(
                timeout_ms = limit.as_millis() as u64,
                "dropping a connection that stopped reading"
            );
            false
        }
    }
}

/// A socket's sign-in: who, and when its token needs refreshing and runs out.
#[derive(Debug)]
pub(super) struct SignedIn {
    pub identity: Identity,
    /// When to send `auth_expiring` (`None` once sent for this token).
    pub warn_at: Option<Instant>,
    /// When the token, leeway included, runs out.
    pub ends_at: Instant,
    /// Set when the user is revoked (the socket's queue is killed with it).
    pub revoked: Arc<std::sync::atomic::AtomicBool>,
}
