//! One WebSocket connection: a loop that `select!`s over its outbound queue (room events,
//! and the signal to drop: overflow or shutdown), the socket and the keep-alive timer.
//! Client messages are handled inline, one at a time, so replies keep the order of
//! requests.
//!
//! Every write to the socket is bounded by the write timeout: a peer that stops reading
//! (a frozen tab, a zero TCP window) would otherwise hold this task inside a write for
//! ever, so its seat would never be marked offline and shutdown would wait on it. Such a
//! socket is dropped without a close handshake and counted as a `slow_consumer`.

use std::future::Future;
use std::pin::Pin;
use std::net::IpAddr;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::extract::ws::{close_code, CloseFrame, Message, Utf8Bytes};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::Sleep;
use tracing::Instrument;

use super::account::{self, Due};
use super::handlers;
use super::ratelimit::{RateLimiter, Verdict};
use super::session::{within, Conn, Socket};
use crate::auth::Identity;
use crate::error::{ErrorCode, ProtoError};
use crate::guard::JoinGate;
use crate::guard::PerIpSlot;
use crate::hub::{outbox, Outbound, OutboxRx, RoomEvent};
use crate::metrics as m;
use crate::protocol::{frame_kind, ServerMsg};
use crate::room::ConnHandle;
use crate::state::AppState;

/// Outbound events queued per connection before it counts as too slow.
const OUTBOUND_QUEUE: usize = 256;
/// Longest wait for the peer's close frame after ours.
const CLOSE_DRAIN: Duration = Duration::from_secs(2);

/// Why the loop ended, and how to close.
enum Exit {
    /// The peer closed or vanished; nothing to send.
    Gone,
    /// Close with this code and reason.
    Close(u16, &'static str),
    /// Server shutdown: `server_shutdown`, then 1001.
    Shutdown,
}

/// What a connection holds until it ends: its place under `--max-connections` and
/// under `--max-connections-per-ip`.
pub(super) struct Slots {
    pub _permit: OwnedSemaphorePermit,
    pub _per_ip: Option<PerIpSlot>,
}

/// The future that serves one upgraded socket until it closes. A plain function, not an
/// `async fn`: each async layer keeps its own room for the arguments it moves on, and an
/// idle connection is mostly this future.
pub(super) fn run(
    socket: Socket,
    state: AppState,
    slots: Slots,
    ip: Option<IpAddr>,
    identity: Option<Identity>,
) -> impl Future<Output = ()> {
    let id = state.next_conn.fetch_add(1, Ordering::Relaxed);
    let span = tracing::info_span!(
        "ws",
        conn = id,
        room = tracing::field::Empty,
        player = tracing::field::Empty
    );
    serve_connection(socket, state, slots, ip, identity, id, span.clone()).instrument(span)
}

async fn serve_connection(
    socket: Socket,
    state: AppState,
    slots: Slots,
    ip: Option<IpAddr>,
    identity: Option<Identity>,
    id: u64,
    span: tracing::Span,
) {
    m::ws_connections(1.0);
    // The queue also carries the signal to drop: the hub gives it when the queue
    // overflows, shutdown through `kills`. Registered before shutdown is checked, so a
    // connection that arrives as shutdown begins is not missed.
    let (tx, rx) = outbox(OUTBOUND_QUEUE);
    state.kills.insert(id, tx.clone());
    if state.shutdown.is_cancelled() {
        tx.kill();
    }
    let mut conn = Conn {
        handle: ConnHandle { id, tx, user: None },
        membership: None,
        seen_version: 0,
        gate: JoinGate::new(&state.cfg, state.join_guard.clone(), ip),
        signed_in: None,
        opened: Instant::now(),
        socket,
        write_timeout: state.cfg.ws_write_timeout(),
        state,
    };
    if let Some(identity) = identity {
        account::sign_in_at_upgrade(&mut conn, identity);
    }
    let exit = serve(&mut conn, rx, &span).await;
    conn.state.kills.remove(id);
    finish(&mut conn, exit).await;
    account::sign_out(&mut conn);
    if let Some(membership) = conn.membership.take() {
        // The seat is held; others see the player go offline.
        let rooms = conn.state.rooms.clone();
        conn.state
            .tracker
            .spawn(async move { rooms.disconnect(id, &membership).await });
    }
    m::ws_connections(-1.0);
    drop(slots);
}

async fn serve(conn: &mut Conn, mut rx: OutboxRx, span: &tracing::Span) -> Exit {
    let cfg = conn.state.cfg.clone();
    let shutdown = conn.state.shutdown.clone();
    let mut limiter = RateLimiter::new(cfg.rate_limit_per_sec, cfg.rate_limit_burst);
    let idle_limit = Duration::from_secs(cfg.idle_timeout_secs);
    let mut ping = ping_timer(Duration::from_secs(cfg.ping_interval_secs));
    let mut last_heard = Instant::now();
    // The sign-in clock (see `account`): one timer, reset only when its deadline moves.
    let mut sign_in: Option<(Instant, Due)> = None;
    let mut sign_in_timer: Option<Pin<Box<Sleep>>> = None;
    loop {
        let due = account::next_due(conn);
        if due != sign_in {
            sign_in = due;
            if let Some((at, _)) = due {
                match sign_in_timer.as_mut() {
                    Some(timer) => timer.as_mut().reset(at.into()),
                    None => sign_in_timer = Some(Box::pin(tokio::time::sleep_until(at.into()))),
                }
            }
        }
        tokio::select! {
            biased;
            out = rx.recv() => {
                let Some(out) = out else {
                    // Told to drop (the queue never closes while `conn` holds a sender).
                    if shutdown.is_cancelled() {
                        return Exit::Shutdown;
                    }
                    if account::was_revoked(conn) {
                        m::auth_result(m::AuthResult::Revoked);
                        return Exit::Close(account::CLOSE_TOKEN, "revoked");
                    }
                    // Its outbound queue overflowed: it is not reading, so a close frame
                    // would only stall too. Drop it.
                    m::ws_rejected(m::RejectReason::SlowConsumer);
                    tracing::info!("dropping a connection whose outbound queue overflowed");
                    return Exit::Gone;
                };
                if !deliver_queued(conn, &mut rx, out).await {
                    return Exit::Gone;
                }
            }
            frame = conn.socket.next() => {
                // One clock read per frame, for idleness, the rate limit and the
                // action's latency.
                last_heard = Instant::now();
                match frame {
                    Some(Ok(Message::Text(text))) => {
                        // The loop looks at the queue before it waits again, so the
                        // events this frame causes for this socket need not wake it.
                        rx.hold();
                        match limiter.check_at(last_heard) {
                            Verdict::Allow => {
                                // Boxed: the handler's state is the largest part of this
                                // loop's future, and an idle socket would carry it for nothing.
                                let handled = handlers::handle(conn, text.as_str(), span, last_heard);
                                if !Box::pin(handled).await {
                                    return Exit::Gone;
                                }
                                if conn.gate.should_close() {
                                    m::ws_rejected(m::RejectReason::JoinFlood);
                                    // The address helps an operator block a guesser upstream.
                                    tracing::info!(
                                        ip = ?conn.gate.ip(),
                                        "closing a connection that keeps failing to join"
                                    );
                                    return Exit::Close(
                                        close_code::POLICY,
                                        "too many failed joins",
                                    );
                                }
                            }
                            Verdict::Limited => {
                                m::ws_rejected(m::RejectReason::RateLimited);
                                let err = ProtoError::from(ErrorCode::RateLimited);
                                // The refused message's `req` is echoed like any reply.
                                let req = crate::protocol::parse_client_message(text.as_str()).req;
                                if !conn.send_error(req, &err).await {
                                    return Exit::Gone;
                                }
                            }
                            Verdict::Flood => {
                                m::ws_rejected(m::RejectReason::Flood);
                                return Exit::Close(close_code::POLICY, "message flood");
                            }
                        }
                    }
                    Some(Ok(Message::Binary(_))) => {
                        m::ws_rejected(m::RejectReason::Binary);
                        return Exit::Close(close_code::UNSUPPORTED, "binary frames are not supported");
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                    Some(Ok(Message::Close(_))) | None => return Exit::Gone,
                    Some(Err(e)) => return read_error(e),
                }
            }
            _ = wait(&mut sign_in_timer), if sign_in.is_some() => {
                match sign_in.map(|(_, due)| due) {
                    Some(Due::Unauthenticated) => {
                        m::auth_result(m::AuthResult::Missing);
                        return Exit::Close(account::CLOSE_UNAUTHENTICATED, "authentication required");
                    }
                    Some(Due::Warn) if !account::warn(conn).await => return Exit::Gone,
                    Some(Due::Warn) => {}
                    Some(Due::Expired) => {
                        m::auth_result(m::AuthResult::Expired);
                        return Exit::Close(account::CLOSE_TOKEN, "token expired");
                    }
                    None => {}
                }
            }
            _ = ping.tick() => {
                if last_heard.elapsed() >= idle_limit {
                    m::ws_rejected(m::RejectReason::Idle);
                    return Exit::Close(close_code::AWAY, "no traffic for too long");
                }
                let ping = conn.socket.send(Message::Ping(Default::default()));
                if !within(conn.write_timeout, ping).await {
                    return Exit::Gone;
                }
            }
        }
    }
}

/// Pings every `period`, the first one at a random point of the second half of the first
/// period. Sockets that connected together (a load balancer's burst, every client of a
/// restarted node reconnecting at once) would otherwise ping together for as long as they
/// live: at 10 000 sockets a wave of 10 000 pings and pongs every period, enough to put a
/// busy node behind by tens of milliseconds each time (decision 41).
fn ping_timer(period: Duration) -> tokio::time::Interval {
    use rand::RngExt;
    let first = period.mul_f64(rand::rng().random_range(0.5..=1.0));
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + first, period);
    // A node that fell behind pings late rather than in a burst to catch up.
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ping
}

/// Wait for the timer, if there is one (the branch is disabled when there is not).
async fn wait(timer: &mut Option<Pin<Box<Sleep>>>) {
    match timer {
        Some(timer) => timer.as_mut().await,
        None => std::future::pending().await,
    }
}

/// Map a read error to a close: an oversized message gets 1009, anything else is a
/// broken connection.
fn read_error(e: axum::Error) -> Exit {
    use tokio_tungstenite::tungstenite::Error as WsError;
    let inner = e.into_inner();
    match inner.downcast_ref::<WsError>() {
        Some(WsError::Capacity(_)) => {
            m::ws_rejected(m::RejectReason::TooLarge);
            Exit::Close(close_code::SIZE, "message too large")
        }
        _ => Exit::Gone,
    }
}

/// Most queued events written before one flush.
const WRITE_BATCH: usize = 32;

/// Write `first` and whatever else is already queued (up to [`WRITE_BATCH`]), then flush
/// once: several events waiting go out in one socket write.
async fn deliver_queued(conn: &mut Conn, rx: &mut OutboxRx, first: Outbound) -> bool {
    if !deliver(conn, first).await {
        return false;
    }
    for _ in 1..WRITE_BATCH {
        let Some(out) = rx.try_recv() else { break };
        if !deliver(conn, out).await {
            return false;
        }
    }
    within(conn.write_timeout, conn.socket.flush()).await
}

/// Queue a room event on this socket unless it is stale or for a room it has left; the
/// caller flushes.
async fn deliver(conn: &mut Conn, out: Outbound) -> bool {
    let Outbound::Event(event) = out;
    let RoomEvent {
        ref room,
        version,
        ref frames,
        detach,
    } = *event;
    let Some(membership) = &conn.membership else {
        return true;
    };
    if *membership.code != **room {
        return true;
    }
    let fresh = version.is_none_or(|v| v > conn.seen_version);
    if fresh {
        if let Some(v) = version {
            conn.seen_version = v;
        }
    }
    for frame in frames.iter() {
        let kind = frame_kind(frame.as_str());
        if !should_send(fresh, detach, kind) {
            continue;
        }
        m::ws_message("out", kind);
        let feed = conn.socket.feed(Message::Text(frame.clone()));
        if !within(conn.write_timeout, feed).await {
            return false;
        }
    }
    if detach {
        // Kicked, superseded or the room closed: this socket is no longer a member.
        conn.membership = None;
        conn.seen_version = 0;
    }
    true
}

/// Whether a frame of `kind` goes out. Versioned events not newer than what the socket
/// showed are dropped; but the frame that ends a membership (`room_closed`, `kicked`) is
/// always sent: detaching silently would leave a client that believes it is in a room
/// while every request answers `not_in_room`.
fn should_send(fresh: bool, detach: bool, kind: &str) -> bool {
    fresh || (detach && matches!(kind, "room_closed" | "kicked"))
}

async fn finish(conn: &mut Conn, exit: Exit) {
    let close = match exit {
        Exit::Gone => return,
        Exit::Close(code, reason) => (code, reason),
        Exit::Shutdown => {
            let after = conn.state.cfg.reconnect_after_ms;
            let told = conn
                .send(&ServerMsg::ServerShutdown {
                    reconnect_after_ms: after,
                })
                .await;
            if !told {
                return;
            }
            (close_code::AWAY, "server shutting down")
        }
    };
    let frame = CloseFrame {
        code: close.0,
        reason: Utf8Bytes::from_static(close.1),
    };
    if !within(
        conn.write_timeout,
        conn.socket.send(Message::Close(Some(frame))),
    )
    .await
    {
        return;
    }
    // Finish the closing handshake: read (and drop) what the peer still sends until its
    // close frame. Hanging up with unread bytes makes the kernel answer with a reset,
    // which can destroy our close frame before the peer reads it — a flooding or
    // oversending client would then see 1006 instead of the code that says why.
    let drain = async {
        while let Some(Ok(msg)) = conn.socket.next().await {
            if matches!(msg, Message::Close(_)) {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(CLOSE_DRAIN, drain).await;
    let _ = tokio::time::timeout(conn.write_timeout, conn.socket.close()).await;
}

#[cfg(test)]
mod tests {
    use super::should_send;

    #[test]
    fn detaching_frames_survive_the_version_filter() {
        assert!(should_send(true, false, "state"));
        assert!(!should_send(false, false, "state"));
        assert!(!should_send(false, true, "player_left"));
        assert!(should_send(false, true, "room_closed"));
        assert!(should_send(false, true, "kicked"));
        assert!(!should_send(false, false, "room_closed"));
    }
}
