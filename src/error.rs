//! Errors: the protocol's error codes, the store's failure kinds, and [`Chain`] to log an
//! error with its causes.
//!
//! [`ErrorCode`] variants *are* the contract's codes; anything internal is logged where it
//! happens and reaches the client as `internal`, with no details. A [`StoreError`] keeps
//! the error that caused it (fred's, serde's) as its source: the log gets the whole chain
//! once, where the failure is handled; the client gets only the code.

use std::error::Error;
use std::fmt;
use std::sync::Arc;

use serde::Serialize;

/// Every error code of the WebSocket protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Malformed JSON, or a missing or invalid field.
    BadRequest,
    /// `type` names no client message.
    UnknownType,
    /// `game` names no game this server plays.
    UnknownGame,
    /// No room has that code (or it expired).
    RoomNotFound,
    /// Every seat is taken.
    RoomFull,
    /// This connection is in a room already.
    AlreadyInRoom,
    /// This connection is in no room.
    NotInRoom,
    /// Spectators cannot act.
    NotAPlayer,
    /// The game is not in a state that allows this.
    GameNotActive,
    /// Another seat is to move.
    NotYourTurn,
    /// The game's rules forbid that move.
    IllegalMove,
    /// `expected_version` is not the room's version.
    StaleVersion,
    /// The session token is unknown or its room is gone.
    InvalidSession,
    /// Anonymous play is off and this socket has not sent a valid `auth` yet.
    Unauthenticated,
    /// The token was refused (bad signature, wrong algorithm or key, malformed, wrong
    /// issuer or audience, not yet valid, revoked), or does not allow what was asked.
    InvalidToken,
    /// The token's `exp` has passed.
    TokenExpired,
    /// Too many messages too fast.
    RateLimited,
    /// The store is down or over its timeout.
    StoreUnavailable,
    /// Something went wrong on our side; details are in the server log.
    Internal,
}

impl ErrorCode {
    /// The wire name of the code (also used as a bounded metric label).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::UnknownType => "unknown_type",
            ErrorCode::UnknownGame => "unknown_game",
            ErrorCode::RoomNotFound => "room_not_found",
            ErrorCode::RoomFull => "room_full",
            ErrorCode::AlreadyInRoom => "already_in_room",
            ErrorCode::NotInRoom => "not_in_room",
            ErrorCode::NotAPlayer => "not_a_player",
            ErrorCode::GameNotActive => "game_not_active",
            ErrorCode::NotYourTurn => "not_your_turn",
            ErrorCode::IllegalMove => "illegal_move",
            ErrorCode::StaleVersion => "stale_version",
            ErrorCode::InvalidSession => "invalid_session",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::TokenExpired => "token_expired",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::StoreUnavailable => "store_unavailable",
            ErrorCode::Internal => "internal",
        }
    }
}

/// A protocol error: a code and a short human message safe to show to the player, and,
/// when something failed underneath (the store), that failure as its
/// [`source`](Error::source), for the log only.
#[derive(Debug, Clone)]
pub struct ProtoError {
    /// The contract's error code.
    pub code: ErrorCode,
    /// A short message for humans; never contains internal details.
    pub message: String,
    /// What failed underneath, if anything; never sent to a client.
    cause: Option<Arc<dyn Error + Send + Sync + 'static>>,
}

impl ProtoError {
    /// An error with a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ProtoError {
            code,
            message: message.into(),
            cause: None,
        }
    }

    /// The same error, caused by `cause`.
    pub fn caused_by(mut self, cause: impl Error + Send + Sync + 'static) -> Self {
        self.cause = Some(Arc::new(cause));
        self
    }
}

impl fmt::Display for ProtoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.code, self.message)
    }
}

impl Error for ProtoError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.cause.as_deref().map(|e| e as &(dyn Error + 'static))
    }
}

/// Two errors are the same to a client when code and message are: the cause is not shown.
impl PartialEq for ProtoError {
    fn eq(&self, other: &Self) -> bool {
        self.code == other.code && self.message == other.message
    }
}

impl Eq for ProtoError {}

impl From<ErrorCode> for ProtoError {
    fn from(code: ErrorCode) -> Self {
        let message = match code {
            ErrorCode::BadRequest => "bad request",
            ErrorCode::UnknownType => "unknown message type",
            ErrorCode::UnknownGame => "unknown game",
            ErrorCode::RoomNotFound => "no room with that code",
            ErrorCode::RoomFull => "every seat in that room is taken",
            ErrorCode::AlreadyInRoom => "you are in a room already; leave it first",
            ErrorCode::NotInRoom => "you are not in a room",
            ErrorCode::NotAPlayer => "spectators cannot do that",
            ErrorCode::GameNotActive => "the game is not in progress",
            ErrorCode::NotYourTurn => "it is not your turn",
            ErrorCode::IllegalMove => "illegal move",
            ErrorCode::StaleVersion => "the room has moved on; refresh and try again",
            ErrorCode::InvalidSession => "that session is not valid",
            ErrorCode::Unauthenticated => "sign in first: send auth with a token",
            ErrorCode::InvalidToken => "that token is not valid",
            ErrorCode::TokenExpired => "that token has expired",
            ErrorCode::RateLimited => "too many messages; slow down",
            ErrorCode::StoreUnavailable => "the room store is unavailable; try again shortly",
            ErrorCode::Internal => "internal error",
        };
        ProtoError::new(code, message)
    }
}

/// Why a store operation failed, as the backend said it: a driver error, a decoding error,
/// or a message of the store's own. It is logged (with [`Chain`]) and never sent to a
/// client.
pub type Cause = Box<dyn Error + Send + Sync + 'static>;

/// How a store operation failed; also the `kind` label of `parlor_store_op_errors_total`.
///
/// A variant's text names only the kind; what went wrong is its [`source`](Error::source),
/// so log it with [`Chain`] to show the whole story.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The operation did not finish within the configured timeout.
    #[error("store operation timed out")]
    Timeout,
    /// No connection to the store.
    #[error("store connection failed")]
    Connection(#[source] Cause),
    /// Compare-and-set kept losing to other writers.
    #[error("too many conflicting writers")]
    Conflict,
    /// Anything else (bad data, script errors, …).
    #[error("store error")]
    Other(#[source] Cause),
}

impl StoreError {
    /// Every value of [`kind`](Self::kind).
    pub const KINDS: [&'static str; 4] = ["timeout", "connection", "conflict", "other"];

    /// The bounded metric label for this failure.
    pub fn kind(&self) -> &'static str {
        match self {
            StoreError::Timeout => "timeout",
            StoreError::Connection(_) => "connection",
            StoreError::Conflict => "conflict",
            StoreError::Other(_) => "other",
        }
    }
}

/// What a client is told of a store failure: a code and a fixed message, with the failure
/// kept as the cause for the log.
impl From<StoreError> for ProtoError {
    fn from(err: StoreError) -> Self {
        let told = match &err {
            StoreError::Timeout | StoreError::Connection(_) => ErrorCode::StoreUnavailable.into(),
            StoreError::Conflict => ProtoError::new(
                ErrorCode::StoreUnavailable,
                "the room is too busy right now; try again",
            ),
            StoreError::Other(_) => ProtoError::from(ErrorCode::Internal),
        };
        told.caused_by(err)
    }
}

/// An error followed by each of its causes, `: `-separated, for a log line:
/// `error = %Chain(&e)` shows `store connection failed: IO Error: …` where `%e` would show
/// only `store connection failed`.
pub struct Chain<'a>(pub &'a (dyn Error + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut cause = self.0.source();
        while let Some(e) = cause {
            write!(f, ": {e}")?;
            cause = e.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused() -> Cause {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        Box::new(io)
    }

    #[test]
    fn chain_shows_every_cause() {
        let e = StoreError::Connection(refused());
        assert_eq!(e.to_string(), "store connection failed");
        assert_eq!(Chain(&e).to_string(), "store connection failed: refused");
        assert_eq!(
            Chain(&StoreError::Timeout).to_string(),
            "store operation timed out"
        );
    }

    #[test]
    fn the_client_sees_the_kind_never_the_cause() {
        let cases = [
            (StoreError::Timeout, ErrorCode::StoreUnavailable, "timeout"),
            (
                StoreError::Connection(refused()),
                ErrorCode::StoreUnavailable,
                "connection",
            ),
            (
                StoreError::Conflict,
                ErrorCode::StoreUnavailable,
                "conflict",
            ),
            (StoreError::Other(refused()), ErrorCode::Internal, "other"),
        ];
        for (e, code, kind) in cases {
            assert_eq!(e.kind(), kind);
            let proto = ProtoError::from(e);
            assert_eq!(proto.code, code);
            assert!(!proto.message.contains("refused"), "{}", proto.message);
        }
    }
}
