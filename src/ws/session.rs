//! A connection's state as the message handlers see it, and how they answer. Apart
//! from the connection loop (`conn`) so that the loop and the handlers it calls do not
//! import each other.

use axum::extract::ws::{Message, WebSocket};
use futures_util::stream::SplitSink;
use futures_util::SinkExt;

use crate::error::ProtoError;
use crate::guard::JoinGate;
use crate::metrics as m;
use crate::protocol::{encode, ServerMsg};
use crate::room::{ConnHandle, Membership, Rooms};
use crate::state::AppState;

/// A connection's mutable state, passed to the message handlers.
pub(super) struct Conn {
    pub state: AppState,
    pub handle: ConnHandle,
    pub membership: Option<Membership>,
    /// Highest room version this socket has shown; older events are dropped.
    pub seen_version: u64,
    /// Failed-join limits of this connection and its address.
    pub gate: JoinGate,
    pub(super) sink: SplitSink<WebSocket, Message>,
}

impl Conn {
    /// Send one frame now.
    pub async fn send(&mut self, msg: &ServerMsg<'_>) -> bool {
        m::ws_message("out", msg.kind());
        self.sink
            .send(Message::Text(encode(msg).into()))
            .await
            .is_ok()
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
