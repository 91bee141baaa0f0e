//! What a token must claim, and the short reason each refusal gives.
//!
//! jsonwebtoken checks the signature and the standard claims (`exp`, `nbf`, `iss`, `aud`,
//! the presence of `sub`); this file sets those checks up, reads the claims Parlor uses
//! into an [`Identity`], and turns jsonwebtoken's errors into [`TokenError`]s.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Header, Validation};
use serde::Deserialize;
use serde_json::Value;

use super::{Identity, TokenError};

/// Clock skew forgiven on `exp` and `nbf`, in seconds.
pub(super) const LEEWAY_SECS: u64 = 30;

/// The longest `sub`, in characters.
const MAX_SUB_CHARS: usize = 128;

/// The claims Parlor reads, each kept loose so that a wrong type is refused with a
/// reason of ours rather than as an undecodable payload.
#[derive(Debug, Deserialize)]
pub(super) struct RawClaims {
    #[serde(default)]
    sub: Option<Value>,
    #[serde(default)]
    exp: Option<Value>,
    #[serde(default)]
    iat: Option<Value>,
    #[serde(default)]
    name: Option<Value>,
    #[serde(default)]
    rooms: Option<Value>,
}

/// The standard-claim checks every token gets, whatever key verifies it.
pub(super) struct Rules {
    base: Validation,
}

impl Rules {
    /// Checks for `exp` (required), `nbf`, `sub` (required), and `iss` / `aud` when
    /// configured (then also required).
    pub(super) fn new(issuer: Option<&str>, audience: Option<&str>) -> Rules {
        let mut base = Validation::new(Algorithm::HS256);
        base.leeway = LEEWAY_SECS;
        base.validate_exp = true;
        base.validate_nbf = true;
        let mut required = vec!["exp", "sub"];
        if let Some(iss) = issuer {
            base.set_issuer(&[iss]);
            required.push("iss");
        }
        match audience {
            Some(aud) => {
                base.set_audience(&[aud]);
                required.push("aud");
            }
            // Left on with no audience set, jsonwebtoken refuses every token that has one.
            None => base.validate_aud = false,
        }
        base.set_required_spec_claims(&required);
        Rules { base }
    }

    /// The checks for a token whose header names `alg` (jsonwebtoken wants exactly the
    /// algorithms the key in hand may verify).
    pub(super) fn for_alg(&self, alg: Algorithm) -> Validation {
        let mut v = self.base.clone();
        v.algorithms = vec![alg];
        v
    }
}

/// The token's header, or why it cannot be used: an algorithm jsonwebtoken does not
/// know (`none` among them) is "wrong algorithm", anything else "malformed".
pub(super) fn header(token: &str) -> Result<Header, TokenError> {
    jsonwebtoken::decode_header(token).map_err(|_| {
        if names_unknown_alg(token) {
            TokenError::Invalid("wrong algorithm")
        } else {
            TokenError::Invalid("malformed")
        }
    })
}

/// Whether the header is JSON with a string `alg` that is no algorithm jsonwebtoken
/// supports.
fn names_unknown_alg(token: &str) -> bool {
    #[derive(Deserialize)]
    struct AlgOnly {
        alg: String,
    }
    let Some(encoded) = token.split('.').next() else {
        return false;
    };
    URL_SAFE_NO_PAD
        .decode(encoded)
        .ok()
        .and_then(|json| serde_json::from_slice::<AlgOnly>(&json).ok())
        .is_some_and(|h| h.alg.parse::<Algorithm>().is_err())
}

/// What a failed `decode` means.
pub(super) enum Failure {
    /// This key did not verify the signature; another key may.
    Signature,
    /// The token is refused whatever the key: its shape or its claims are wrong (the
    /// claims are checked only after a signature verified).
    Refused(TokenError),
}

/// Sorts jsonwebtoken's error into a [`Failure`].
pub(super) fn failure(kind: &ErrorKind) -> Failure {
    let invalid = |reason| Failure::Refused(TokenError::Invalid(reason));
    match kind {
        ErrorKind::InvalidSignature
        | ErrorKind::InvalidKeyFormat
        | ErrorKind::InvalidRsaKey(_)
        | ErrorKind::InvalidEcdsaKey
        | ErrorKind::InvalidEddsaKey => Failure::Signature,
        ErrorKind::ExpiredSignature => Failure::Refused(TokenError::Expired),
        ErrorKind::ImmatureSignature => invalid("not yet valid"),
        ErrorKind::InvalidIssuer => invalid("wrong issuer"),
        ErrorKind::InvalidAudience => invalid("wrong audience"),
        ErrorKind::InvalidAlgorithm => invalid("wrong algorithm"),
        ErrorKind::MissingRequiredClaim(claim) => invalid(match claim.as_str() {
            "sub" => "missing sub",
            "exp" => "missing exp",
            "iss" => "wrong issuer",
            "aud" => "wrong audience",
            _ => "malformed",
        }),
        _ => invalid("malformed"),
    }
}

/// The identity in claims whose signature and standard claims passed.
pub(super) fn identity(claims: RawClaims) -> Result<Identity, TokenError> {
    let malformed = TokenError::Invalid("malformed");
    let Some(Value::String(user)) = claims.sub else {
        return Err(TokenError::Invalid("missing sub"));
    };
    if user.is_empty() || user.chars().count() > MAX_SUB_CHARS {
        return Err(TokenError::Invalid("bad sub"));
    }
    let expires_at = claims
        .exp
        .as_ref()
        .and_then(seconds)
        .ok_or(TokenError::Invalid("missing exp"))?;
    let issued_at = match &claims.iat {
        None | Some(Value::Null) => None,
        Some(v) => Some(seconds(v).ok_or(malformed.clone())?),
    };
    let name = match claims.name {
        None | Some(Value::Null) => None,
        Some(Value::String(name)) => Some(name),
        Some(_) => return Err(malformed),
    };
    let rooms = match claims.rooms {
        None | Some(Value::Null) => None,
        Some(v) => Some(serde_json::from_value::<Vec<String>>(v).map_err(|_| malformed)?),
    };
    Ok(Identity {
        user,
        name,
        rooms,
        expires_at,
        issued_at,
    })
}

/// A NumericDate as whole Unix seconds, rounded the way jsonwebtoken rounds it when it
/// checks `exp`.
fn seconds(v: &Value) -> Option<u64> {
    if let Some(s) = v.as_u64() {
        return Some(s);
    }
    let f = v.as_f64()?;
    (f.is_finite() && f >= 0.0 && f < u64::MAX as f64).then(|| f.round() as u64)
}
