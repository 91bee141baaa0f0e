//! Players' tokens: how each `auth` (or upgrade header) ended. The socket layer records
//! the result; the verifier itself counts nothing.

use metrics::counter;

/// How one token presented by a client ended: the `result` label of
/// `parlor_auth_total`. Every value is exported at zero from the start, from
/// [`ALL`](Self::ALL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthResult {
    /// A socket authenticated.
    Ok,
    /// An authenticated socket took a fresh token for the same user.
    Refreshed,
    /// Refused as `invalid_token` (signature, algorithm, claims, unknown key…).
    Invalid,
    /// Refused as `token_expired`.
    Expired,
    /// Refused because the user's tokens were revoked.
    Revoked,
    /// No token where one is needed: anonymous play is off and the socket has not
    /// authenticated.
    Missing,
}

impl AuthResult {
    /// Every result, in label order.
    pub const ALL: [AuthResult; 6] = [
        AuthResult::Ok,
        AuthResult::Refreshed,
        AuthResult::Invalid,
        AuthResult::Expired,
        AuthResult::Revoked,
        AuthResult::Missing,
    ];

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthResult::Ok => "ok",
            AuthResult::Refreshed => "refreshed",
            AuthResult::Invalid => "invalid",
            AuthResult::Expired => "expired",
            AuthResult::Revoked => "revoked",
            AuthResult::Missing => "missing",
        }
    }
}

/// Help texts of this area's series.
pub(super) fn describe() {
    metrics::describe_counter!(
        "parlor_auth_total",
        "Players' tokens by how they ended (ok, refreshed, invalid, expired, revoked, missing)"
    );
}

/// Every result at zero.
pub(super) fn zero_results() {
    for result in AuthResult::ALL {
        counter!("parlor_auth_total", "result" => result.as_str()).absolute(0);
    }
}

/// One token's result. Tokens arrive once per socket and hour or so: looked up per call.
pub fn auth_result(result: AuthResult) {
    counter!("parlor_auth_total", "result" => result.as_str()).increment(1);
}
