//! [`Verifier`]: every configured key, and the one path a token takes through them.

use std::sync::Arc;

use jsonwebtoken::Algorithm;

use super::claims::{self, Failure, RawClaims, Rules};
use super::jwks::{Jwks, Lookup};
use super::keys::{self, VerifyKey};
use super::{AuthSetupError, Identity, TokenError};
use crate::config::Config;

/// The longest token looked at, in bytes: far above any real JWT, and a cap on the
/// work a client can ask for before any signature is checked.
const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// Verifies players' tokens against the configured keys. Cheap to clone: the keys and
/// the JWKS cache are shared.
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

struct Inner {
    /// The HS256 secret and the PEM key, as configured.
    keys: Vec<VerifyKey>,
    jwks: Option<Jwks>,
    rules: Rules,
}

impl std::fmt::Debug for Verifier {
    /// Says which kinds of key are set, never a key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("static_keys", &self.inner.keys.len())
            .field("jwks", &self.inner.jwks.is_some())
            .finish()
    }
}

impl Verifier {
    /// The verifier for `cfg`'s keys, or `None` when none is configured. Reads the PEM
    /// file now; the JWKS is fetched on the first token that needs it, so a key server
    /// that is down at start delays nothing (its tokens are refused until it answers).
    pub fn from_config(cfg: &Config) -> Result<Option<Verifier>, AuthSetupError> {
        if !cfg.jwt_configured() {
            return Ok(None);
        }
        let mut static_keys = Vec::new();
        if let Some(secret) = &cfg.jwt_hs256_secret {
            static_keys.push(keys::hs256(secret)?);
        }
        if let Some(path) = &cfg.jwt_public_key {
            static_keys.push(keys::pem_file(path)?);
        }
        let jwks = cfg.jwt_jwks_url.as_deref().map(Jwks::new).transpose()?;
        let rules = Rules::new(cfg.jwt_issuer.as_deref(), cfg.jwt_audience.as_deref());
        Ok(Some(Verifier {
            inner: Arc::new(Inner {
                keys: static_keys,
                jwks,
                rules,
            }),
        }))
    }

    /// The same verifier, fetching the JWKS for an unknown `kid` at most once per
    /// `every` instead of once per 30 s: for tests, which cannot wait that long. Takes
    /// effect only on a verifier not yet cloned.
    #[cfg(feature = "internals")]
    pub fn with_refetch_interval(mut self, every: std::time::Duration) -> Verifier {
        if let Some(jwks) = Arc::get_mut(&mut self.inner).and_then(|i| i.jwks.as_mut()) {
            jwks.refetch_every = every;
        }
        self
    }

    /// Lets the next JWKS fetch start now, as if the refetch interval had passed.
    #[cfg(test)]
    pub(crate) async fn end_refetch_window(&self) {
        if let Some(jwks) = &self.inner.jwks {
            jwks.end_refetch_window().await;
        }
    }

    /// Who `token` speaks for, if a configured key whose algorithm fits its header
    /// verifies it and its claims hold: `exp` (required) and `nbf` with 30 s of leeway,
    /// `iss` / `aud` when configured, `sub` of 1–128 characters, and `name`, `rooms`,
    /// `iat` of the right types when present.
    pub async fn verify(&self, token: &str) -> Result<Identity, TokenError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(TokenError::Invalid("malformed"));
        }
        let header = claims::header(token)?;
        let alg = header.alg;
        let validation = self.inner.rules.for_alg(alg);
        let mut any_fit = false;
        for key in self.inner.keys.iter().filter(|k| k.fits(alg)) {
            any_fit = true;
            if let Some(answer) = attempt(token, key, &validation) {
                return answer;
            }
        }
        let Some(jwks) = self.inner.jwks.as_ref().filter(|_| jwks_may_sign(alg)) else {
            return Err(refusal(any_fit));
        };
        match jwks.keys_for(header.kid.as_deref(), alg).await {
            Lookup::Found(found) => {
                for key in &found {
                    if let Some(answer) = attempt(token, key, &validation) {
                        return answer;
                    }
                }
                Err(TokenError::Invalid("bad signature"))
            }
            Lookup::WrongAlgorithm => Err(TokenError::Invalid("wrong algorithm")),
            Lookup::UnknownKid => Err(TokenError::Invalid("unknown kid")),
            Lookup::Unavailable => Err(TokenError::Invalid("keys unavailable")),
        }
    }
}

/// The verdict of one key on `token`: `None` when it did not verify the signature (so
/// another key may), else the answer.
fn attempt(
    token: &str,
    key: &VerifyKey,
    validation: &jsonwebtoken::Validation,
) -> Option<Result<Identity, TokenError>> {
    match jsonwebtoken::decode::<RawClaims>(token, &key.key, validation) {
        Ok(data) => Some(claims::identity(data.claims)),
        Err(e) => match claims::failure(e.kind()) {
            Failure::Signature => None,
            Failure::Refused(err) => Some(Err(err)),
        },
    }
}

/// Whether a JWKS key may verify `alg`: the asymmetric algorithms only.
fn jwks_may_sign(alg: Algorithm) -> bool {
    !matches!(
        alg,
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512
    )
}

/// Why a token no configured key verified is refused: some key fitted its algorithm
/// but not its signature, or none fitted at all.
fn refusal(any_fit: bool) -> TokenError {
    if any_fit {
        TokenError::Invalid("bad signature")
    } else {
        TokenError::Invalid("wrong algorithm")
    }
}
