//! Signing a socket in: the `auth` message (and `Authorization: Bearer` on the upgrade),
//! refreshing a token on a long-lived socket, the deadlines that close a socket whose
//! sign-in never came or whose token ran out, and the watch that closes revoked users'
//! sockets on this node.
//!
//! Verification is the `auth` module's; this one decides what a verified (or refused)
//! token means for the socket, and counts it (`parlor_auth_total`).

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio_util::sync::CancellationToken;

use super::session::{Conn, SignedIn};
use crate::auth::{Identity, TokenError};
use crate::error::{Chain, ErrorCode, ProtoError};
use crate::metrics::{self as m, AuthResult};
use crate::protocol::{validate_name, ServerMsg};
use crate::state::AppState;

/// How long a socket may stay unauthenticated when anonymous play is off.
pub(super) const AUTH_DEADLINE: Duration = Duration::from_secs(10);
/// How long before `exp` the socket is told to refresh.
const WARN_BEFORE: Duration = Duration::from_secs(60);
/// The leeway past `exp` before the socket is closed (the verifier's leeway too).
const LEEWAY: Duration = Duration::from_secs(30);
/// How often each node looks for new revocations.
const REVOCATION_POLL: Duration = Duration::from_millis(500);

/// Close code for a socket that never signed in.
pub(super) const CLOSE_UNAUTHENTICATED: u16 = 4001;
/// Close code for a socket whose token expired or was revoked.
pub(super) const CLOSE_TOKEN: u16 = 4003;

/// What the socket's sign-in clock says to do next, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Due {
    /// Close with 4001: no sign-in in time.
    Unauthenticated,
    /// Send `auth_expiring`.
    Warn,
    /// Close with 4003: the token ran out.
    Expired,
}

/// The next sign-in deadline of `conn`, if any.
pub(super) fn next_due(conn: &Conn) -> Option<(Instant, Due)> {
    match &conn.signed_in {
        None if conn.state.cfg.anonymous_allowed() => None,
        None => Some((conn.opened + AUTH_DEADLINE, Due::Unauthenticated)),
        Some(s) => match s.warn_at {
            Some(at) => Some((at, Due::Warn)),
            None => Some((s.ends_at, Due::Expired)),
        },
    }
}

/// Verify `token` for this socket: signature and claims, then revocation. Counts a
/// refusal; the caller counts a success (first sign-in or refresh).
pub(super) async fn verify(state: &AppState, token: &str) -> Result<Identity, ProtoError> {
    let Some(verifier) = &state.verifier else {
        m::auth_result(AuthResult::Invalid);
        return Err(ProtoError::new(
            ErrorCode::InvalidToken,
            "this server takes no tokens: it plays anonymously",
        ));
    };
    let identity = match verifier.verify(token).await {
        Ok(identity) => identity,
        Err(TokenError::Expired) => {
            m::auth_result(AuthResult::Expired);
            return Err(ErrorCode::TokenExpired.into());
        }
        Err(e @ TokenError::Invalid(_)) => {
            m::auth_result(AuthResult::Invalid);
            return Err(ProtoError::new(ErrorCode::InvalidToken, e.to_string()));
        }
    };
    if let Some(name) = &identity.name {
        if validate_name(name).is_err() {
            m::auth_result(AuthResult::Invalid);
            return Err(ProtoError::new(
                ErrorCode::InvalidToken,
                "invalid token: its name is not a valid display name",
            ));
        }
    }
    let revoked_at = state.store.revoked_at(&identity.user).await?;
    if let Some(at) = revoked_at.filter(|at| revokes(*at, identity.issued_at)) {
        let ttl = state.cfg.jwt_revocation_ttl_secs as i64 * 1000;
        if at + ttl > now_unix_ms() {
            m::auth_result(AuthResult::Revoked);
            return Err(ProtoError::new(
                ErrorCode::InvalidToken,
                "invalid token: revoked",
            ));
        }
    }
    Ok(identity)
}

/// Whether a revocation at `at_ms` refuses a token issued at `iat` (Unix s): issued at
/// or before it, or with no `iat` at all.
fn revokes(at_ms: i64, iat: Option<u64>) -> bool {
    iat.is_none_or(|iat| (iat as i64).saturating_mul(1000) <= at_ms)
}

/// Handle `auth`: sign the socket in, or refresh its token (the same user only).
pub(super) async fn handle_auth(
    conn: &mut Conn,
    req: Option<u64>,
    token: &str,
) -> Result<bool, ProtoError> {
    let identity = verify(&conn.state, token).await?;
    if let Some(current) = &conn.signed_in {
        if current.identity.user != identity.user {
            m::auth_result(AuthResult::Invalid);
            return Err(ProtoError::new(
                ErrorCode::InvalidToken,
                "invalid token: a refresh must be for the user this socket signed in as",
            ));
        }
    }
    let (warn_at, ends_at) = deadlines(identity.expires_at);
    let expires_at = rfc3339(identity.expires_at);
    let refreshed = conn.signed_in.is_some();
    let revoked = match conn.signed_in.take() {
        Some(old) => old.revoked,
        None => {
            let user = identity.user.as_str();
            conn.handle.user = Some(Arc::from(user));
            conn.state
                .accounts
                .sign_in(user, conn.handle.id, conn.handle.tx.clone())
        }
    };
    m::auth_result(match refreshed {
        true => AuthResult::Refreshed,
        false => AuthResult::Ok,
    });
    let reply = ServerMsg::Authed {
        req,
        user: &identity.user,
        name: identity.name.as_deref(),
        expires_at: &expires_at,
    };
    let sent = conn.send(&reply).await;
    conn.signed_in = Some(SignedIn {
        identity,
        warn_at: Some(warn_at),
        ends_at,
        revoked,
    });
    Ok(sent)
}

/// Sign a socket in with the identity its upgrade request carried (`Authorization`).
pub(super) fn sign_in_at_upgrade(conn: &mut Conn, identity: Identity) {
    let (warn_at, ends_at) = deadlines(identity.expires_at);
    let user = identity.user.as_str();
    conn.handle.user = Some(Arc::from(user));
    let revoked = conn
        .state
        .accounts
        .sign_in(user, conn.handle.id, conn.handle.tx.clone());
    m::auth_result(AuthResult::Ok);
    conn.signed_in = Some(SignedIn {
        identity,
        warn_at: Some(warn_at),
        ends_at,
        revoked,
    });
}

/// Forget the socket's sign-in (it closed).
pub(super) fn sign_out(conn: &mut Conn) {
    if let Some(s) = conn.signed_in.take() {
        conn.state
            .accounts
            .sign_out(&s.identity.user, conn.handle.id);
    }
}

/// Whether the socket was closed because its user was revoked.
pub(super) fn was_revoked(conn: &Conn) -> bool {
    conn.signed_in
        .as_ref()
        .is_some_and(|s| s.revoked.load(std::sync::atomic::Ordering::Acquire))
}

/// Send `auth_expiring` for the current token; the clock then waits for its end.
pub(super) async fn warn(conn: &mut Conn) -> bool {
    let Some(s) = conn.signed_in.as_mut() else {
        return true;
    };
    s.warn_at = None;
    let expires_at = rfc3339(s.identity.expires_at);
    conn.send(&ServerMsg::AuthExpiring {
        expires_at: &expires_at,
    })
    .await
}

/// When to warn and when the token ends (with the leeway), as instants. A token with less
/// than a minute left is warned about at once.
fn deadlines(exp: u64) -> (Instant, Instant) {
    let now = Instant::now();
    let left_ms = (exp as i64).saturating_mul(1000) - now_unix_ms();
    let left = Duration::from_millis(left_ms.max(0) as u64);
    let ends_at = now + left + LEEWAY;
    let warn_at = now + left.saturating_sub(WARN_BEFORE);
    (warn_at, ends_at)
}

fn now_unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn rfc3339(unix_s: u64) -> String {
    chrono::DateTime::from_timestamp(i64::try_from(unix_s).unwrap_or(i64::MAX), 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Close this node's sockets of every user revoked on any node: poll the store's
/// revocations (so a revocation reaches every node, whichever took the REST call) until
/// `stop`.
pub async fn watch_revocations(state: AppState, stop: CancellationToken) {
    // Revocations before this node started closed nothing here: it had no sockets.
    let mut seen = now_unix_ms();
    let mut tick = tokio::time::interval(REVOCATION_POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = tick.tick() => {}
        }
        match state.store.revocations_since(seen).await {
            Ok(revoked) => {
                for (user, at) in revoked {
                    seen = seen.max(at);
                    let closed = state.accounts.revoke(&user);
                    if closed > 0 {
                        tracing::info!(sockets = closed, "closed the sockets of a revoked user");
                    }
                }
            }
            Err(e) => tracing::debug!(error = %Chain(&e), "could not read revocations; next poll retries"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_revocation_refuses_tokens_issued_up_to_it() {
        assert!(revokes(10_000, None), "no iat: refused");
        assert!(revokes(10_000, Some(10)), "issued the same second");
        assert!(revokes(10_000, Some(9)));
        assert!(!revokes(10_000, Some(11)), "issued after");
    }
}
