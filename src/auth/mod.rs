//! Players' identity: verifying the tokens a studio's backend signs (JWT), before a
//! socket plays as a user. The room service and the store see only the verified user id.
//!
//! A [`Verifier`] holds every configured key — the HS256 secret and the PEM public key
//! (`keys.rs`), the keys of a JWKS URL (`jwks.rs`) — and accepts a token when one key
//! whose algorithm fits the token's header verifies it. What a token must claim, and the
//! short reason a refusal gives, live in `claims.rs`. All cryptography is jsonwebtoken's.
//!
//! This module only answers "who is this?"; it counts nothing: the socket layer knows
//! whether a verification was a first `auth`, a refresh or a refusal, and records that
//! (`metrics::auth_result`).

mod claims;
mod jwks;
mod keys;
mod verifier;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_jwks;

use std::path::PathBuf;

pub use verifier::Verifier;

/// Who a verified token speaks for.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    /// The player's account (`sub`), 1–128 characters.
    pub user: String,
    /// The display name the token gives (`name`), if any; not yet validated as a name.
    pub name: Option<String>,
    /// The only rooms this token may join (`rooms`), if it limits them.
    pub rooms: Option<Vec<String>>,
    /// When the token expires (`exp`), in Unix seconds.
    pub expires_at: u64,
    /// When the token was issued (`iat`), in Unix seconds, if it says.
    pub issued_at: Option<u64>,
}

/// Why a token is refused. The reason is short, fixed text that is safe to show the
/// client: it never repeats the token or a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Refused for the reason given (`"bad signature"`, `"wrong algorithm"`,
    /// `"unknown kid"`, `"malformed"`, `"wrong issuer"`, `"wrong audience"`,
    /// `"missing sub"`, `"bad sub"`, `"missing exp"`, `"not yet valid"`,
    /// `"keys unavailable"`).
    #[error("invalid token: {0}")]
    Invalid(&'static str),
    /// Past its `exp` by more than the leeway.
    #[error("token expired")]
    Expired,
}

/// A JWT setting that cannot work; the server refuses to start on it. The messages name
/// the flag, never the secret.
#[derive(Debug, thiserror::Error)]
pub enum AuthSetupError {
    /// The HS256 secret is too short to resist guessing.
    #[error("--jwt-hs256-secret has {0} bytes; it needs at least 32")]
    ShortSecret(usize),
    /// The PEM file cannot be read.
    #[error("cannot read --jwt-public-key {}", path.display())]
    ReadKey {
        /// The configured file.
        path: PathBuf,
        /// Why reading failed.
        #[source]
        source: std::io::Error,
    },
    /// The PEM file holds no public key Parlor can verify with.
    #[error("--jwt-public-key {}: {reason}", path.display())]
    BadKey {
        /// The configured file.
        path: PathBuf,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The JWKS URL is not an absolute http or https URL.
    #[error("--jwt-jwks-url must be an http or https URL")]
    BadJwksUrl,
    /// The HTTP client for the JWKS could not be built.
    #[error("cannot build the HTTP client for --jwt-jwks-url")]
    HttpClient(#[source] reqwest::Error),
}
