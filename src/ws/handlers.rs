//! What each client message does: one small function per message type, all answering
//! through [`Conn`]. A handler returns `false` only when the socket is gone.

use std::error::Error;
use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;

use super::account;
use super::session::Conn;
use crate::error::{ErrorCode, ProtoError};
use crate::metrics as m;
use crate::protocol::{
    normalize_code, parse_client_message, validate_chat, validate_name, validate_turn_secs,
    ClientMsg, ServerMsg, You,
};
use crate::room::{Joined, Membership};

/// Most rooms a `list_rooms` reply carries.
const LIST_LIMIT: usize = 50;

/// Handle one text frame, which arrived at `started`.
pub(super) async fn handle(
    conn: &mut Conn,
    text: &str,
    span: &tracing::Span,
    started: Instant,
) -> bool {
    let incoming = parse_client_message(text);
    let req = incoming.req;
    let msg = match incoming.msg {
        Ok(msg) => msg,
        Err(err) => {
            m::ws_message("in", "invalid");
            return conn.send_error(req, &err).await;
        }
    };
    m::ws_message("in", msg.kind());
    let before = conn.membership.as_ref().map(|m| m.player_id.clone());
    let result = dispatch(conn, req, msg, started).await;
    // Recorded only when the membership changed: recording formats the fields into the
    // span again, which per move cost more than the move's own logic.
    if let Some(membership) = &conn.membership {
        if before.is_none_or(|p| !Arc::ptr_eq(&p, &membership.player_id)) {
            span.record("room", &*membership.code);
            span.record("player", &*membership.player_id);
        }
    }
    match result {
        Ok(sent) => sent,
        Err(err) => {
            // An `internal` caused by a store failure was logged, with its cause, by the
            // store's instrumentation, and one from a game's unusable state by the game
            // layer; only one raised without a cause is news here.
            if err.code == ErrorCode::Internal && err.source().is_none() {
                tracing::error!(message = %err.message, "internal error handling a message");
            }
            conn.send_error(req, &err).await
        }
    }
}

/// Route a message; `Ok(false)` means the socket is gone.
async fn dispatch(
    conn: &mut Conn,
    req: Option<u64>,
    msg: ClientMsg,
    started: Instant,
) -> Result<bool, ProtoError> {
    if conn.signed_in.is_none()
        && !matches!(msg, ClientMsg::Auth { .. } | ClientMsg::Ping {})
        && !conn.state.cfg.anonymous_allowed()
    {
        m::auth_result(m::AuthResult::Missing);
        return Err(ErrorCode::Unauthenticated.into());
    }
    match msg {
        ClientMsg::Auth { token } => account::handle_auth(conn, req, &token).await,
        ClientMsg::CreateRoom {
            game,
            name,
            private,
            turn_secs,
        } => {
            only_its_rooms(conn)?;
            let (game, name) = (conn.rooms().game(&game)?, display_name(conn, &name)?);
            let turn_secs = validate_turn_secs(turn_secs)?;
            not_in_room(conn)?;
            let joined = conn
                .rooms()
                .create_with_clock(&conn.handle, game, name, private, turn_secs)
                .await?;
            Ok(send_joined(conn, req, joined).await)
        }
        ClientMsg::JoinRoom {
            room,
            name,
            spectate,
        } => {
            let name = display_name(conn, &name)?;
            not_in_room(conn)?;
            // Only code guesses go through the gate: a bad name is refused above, free.
            conn.gate.admit()?;
            let result = match normalize_code(&room) {
                Ok(code) => match may_join(conn, &code) {
                    Ok(()) => conn.rooms().join(&conn.handle, &code, name, spectate).await,
                    Err(e) => Err(e),
                },
                Err(e) => Err(e),
            };
            let joined = conn.gate.outcome(result)?;
            Ok(send_joined(conn, req, joined).await)
        }
        ClientMsg::QuickJoin { game, name } => {
            only_its_rooms(conn)?;
            let (game, name) = (conn.rooms().game(&game)?, display_name(conn, &name)?);
            not_in_room(conn)?;
            let joined = conn.rooms().quick_join(&conn.handle, game, name).await?;
            Ok(send_joined(conn, req, joined).await)
        }
        ClientMsg::Resume { session } => {
            not_in_room(conn)?;
            conn.gate.admit()?;
            let result = conn.rooms().resume(&conn.handle, &session).await;
            let joined = conn.gate.outcome(result)?;
            Ok(send_joined(conn, req, joined).await)
        }
        ClientMsg::LeaveRoom {} => {
            let membership = member(conn)?.clone();
            conn.rooms().leave(&conn.handle, &membership).await?;
            conn.membership = None;
            conn.seen_version = 0;
            Ok(conn
                .send(&ServerMsg::Left {
                    req,
                    room: &membership.code,
                })
                .await)
        }
        ClientMsg::Action {
            action,
            expected_version,
        } => {
            let membership = member(conn)?.clone();
            act(conn, &membership, action, expected_version, started).await
        }
        ClientMsg::Rematch {} => {
            let membership = member(conn)?.clone();
            conn.rooms().rematch(&membership).await?;
            Ok(true)
        }
        ClientMsg::Chat { text } => {
            let text = validate_chat(&text)?;
            let membership = member(conn)?.clone();
            conn.rooms().chat(&membership, &text).await?;
            Ok(true)
        }
        ClientMsg::ListRooms { game } => {
            let game = match game.as_deref() {
                Some(id) => Some(conn.rooms().game(id)?),
                None => None,
            };
            let rooms = conn.rooms().open_rooms(game, LIST_LIMIT).await?;
            Ok(conn.send(&ServerMsg::Rooms { req, rooms: &rooms }).await)
        }
        ClientMsg::Ping {} => Ok(conn.send(&ServerMsg::Pong { req }).await),
    }
}

async fn act(
    conn: &mut Conn,
    membership: &Membership,
    action: Value,
    expected_version: Option<u64>,
    started: Instant,
) -> Result<bool, ProtoError> {
    conn.rooms()
        .act(membership, action, expected_version, started)
        .await?;
    Ok(true)
}

async fn send_joined(conn: &mut Conn, req: Option<u64>, joined: Joined) -> bool {
    let Joined {
        membership,
        session,
        snapshot,
    } = joined;
    let you = You {
        player_id: membership.player_id.to_string(),
        name: membership.name.clone(),
        seat: membership.seat,
        role: membership.role.as_str(),
    };
    conn.seen_version = snapshot.summary.version;
    let room = membership.code.clone();
    conn.membership = Some(membership);
    conn.send(&ServerMsg::Joined {
        req,
        room: &room,
        you: &you,
        session: session.as_deref(),
        snapshot: &snapshot,
    })
    .await
}

/// The name to play under: the token's, when the socket signed in with one that has a
/// name, else the one the client sent.
fn display_name(conn: &Conn, sent: &str) -> Result<String, ProtoError> {
    let from_token = conn
        .signed_in
        .as_ref()
        .and_then(|s| s.identity.name.as_deref());
    validate_name(from_token.unwrap_or(sent))
}

/// Refuse `create_room` and `quick_join` to a token that names the rooms it may join: its
/// backend does the matchmaking.
fn only_its_rooms(conn: &Conn) -> Result<(), ProtoError> {
    match conn.signed_in.as_ref().and_then(|s| s.identity.rooms.as_ref()) {
        Some(_) => Err(ProtoError::new(
            ErrorCode::InvalidToken,
            "this token may only join the rooms it names",
        )),
        None => Ok(()),
    }
}

/// Refuse a room the socket's token does not name, when it names rooms.
fn may_join(conn: &Conn, code: &str) -> Result<(), ProtoError> {
    let rooms = conn.signed_in.as_ref().and_then(|s| s.identity.rooms.as_ref());
    match rooms {
        Some(rooms) if !rooms.iter().any(|r| r.eq_ignore_ascii_case(code)) => Err(ProtoError::new(
            ErrorCode::InvalidToken,
            "this token may not join that room",
        )),
        _ => Ok(()),
    }
}

fn not_in_room(conn: &Conn) -> Result<(), ProtoError> {
    match conn.membership {
        Some(_) => Err(ErrorCode::AlreadyInRoom.into()),
        None => Ok(()),
    }
}

fn member(conn: &Conn) -> Result<&Membership, ProtoError> {
    conn.membership
        .as_ref()
        .ok_or_else(|| ErrorCode::NotInRoom.into())
}
