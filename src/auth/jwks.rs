//! The keys of a JWKS URL: fetched when first needed, cached, and fetched again when a
//! token names a `kid` the cache lacks (or the cache has grown old) — one fetch at a
//! time, and after the first load at most one per refetch interval (30 s), so a stream
//! of tokens with made-up `kid`s cannot turn Parlor into a flood against the key server.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;

use super::keys::{self, VerifyKey, RSA_ALGS};
use super::AuthSetupError;
use crate::error::Chain;

/// How often, at most, the document is fetched (the contract's 30 s).
pub(super) const REFETCH_EVERY: Duration = Duration::from_secs(30);

/// Keys older than this are fetched again on the next token, so a key the studio
/// withdrew stops verifying without a restart. Until that fetch succeeds the old keys
/// keep working.
const MAX_AGE: Duration = Duration::from_secs(600);

/// How long one fetch may take, connecting and reading included.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// The largest document read; a real JWKS is a few kilobytes.
const MAX_BODY_BYTES: usize = 256 * 1024;

/// What the cache says about a token's key.
pub(super) enum Lookup {
    /// The keys that may verify it (by `kid`, or every fitting key if it names none).
    Found(Vec<VerifyKey>),
    /// Its `kid` is known, but the key does not do the token's algorithm.
    WrongAlgorithm,
    /// No key has its `kid`.
    UnknownKid,
    /// The document could not be fetched.
    Unavailable,
}

/// One key of the document.
struct Entry {
    kid: Option<String>,
    key: VerifyKey,
}

/// The keys as last fetched.
#[derive(Default)]
struct Cached {
    entries: Vec<Entry>,
    /// When they were fetched; `None` before the first successful fetch.
    fetched_at: Option<Instant>,
    /// Counts successful fetches, so a task that waited for another's fetch sees it.
    generation: u64,
}

/// The JWKS URL, its cached keys, and the fetch guard.
pub(super) struct Jwks {
    url: reqwest::Url,
    client: reqwest::Client,
    cache: RwLock<Arc<Cached>>,
    /// Held while fetching (one fetch at a time); holds when the last refetch or failed
    /// fetch started, which opens the window no other fetch may start in.
    last_fetch: tokio::sync::Mutex<Option<Instant>>,
    pub(super) refetch_every: Duration,
}

#[derive(Debug, thiserror::Error)]
enum FetchError {
    #[error("request failed")]
    Http(#[source] reqwest::Error),
    #[error("status {0}")]
    Status(u16),
    #[error("document over {MAX_BODY_BYTES} bytes")]
    TooLarge,
    #[error("not a JWKS document")]
    Json(#[source] serde_json::Error),
}

impl Jwks {
    /// A cache for the document at `url`; nothing is fetched yet.
    pub(super) fn new(url: &str) -> Result<Jwks, AuthSetupError> {
        let url = reqwest::Url::parse(url).map_err(|_| AuthSetupError::BadJwksUrl)?;
        if !matches!(url.scheme(), "http" | "https") || !url.has_host() {
            return Err(AuthSetupError::BadJwksUrl);
        }
        // reqwest is built without a TLS provider of its own; ring is the one fred
        // already links. Installing twice is harmless (the first one stays).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(AuthSetupError::HttpClient)?;
        Ok(Jwks {
            url,
            client,
            cache: RwLock::new(Arc::new(Cached::default())),
            last_fetch: tokio::sync::Mutex::new(None),
            refetch_every: REFETCH_EVERY,
        })
    }

    /// The keys for a token naming `kid` and `alg`, fetching the document first when
    /// the cache cannot answer and the refetch interval allows.
    pub(super) async fn keys_for(&self, kid: Option<&str>, alg: Algorithm) -> Lookup {
        let seen = self.current();
        let fresh = seen.fetched_at.is_some_and(|t| t.elapsed() < MAX_AGE);
        if fresh {
            match seen.lookup(kid, alg) {
                Lookup::UnknownKid => {}
                answer => return answer,
            }
        }
        let mut last = self.last_fetch.lock().await;
        let now = self.current();
        if now.generation != seen.generation {
            // Another task fetched while this one waited: its result is the answer.
            return now.lookup(kid, alg);
        }
        if last.is_some_and(|t| t.elapsed() < self.refetch_every) {
            return now.settled(kid, alg);
        }
        let started = Instant::now();
        let fetched = self.fetch().await;
        // The first load opens no window, so a key published just after it is still
        // picked up at once; every refetch, and every failure, does.
        if now.fetched_at.is_some() || fetched.is_err() {
            *last = Some(started);
        }
        match fetched {
            Ok(entries) => {
                let fetched = Arc::new(Cached {
                    entries,
                    fetched_at: Some(Instant::now()),
                    generation: now.generation + 1,
                });
                *self.cache.write().unwrap_or_else(|p| p.into_inner()) = fetched.clone();
                fetched.lookup(kid, alg)
            }
            Err(e) => {
                tracing::warn!(error = %Chain(&e), "fetching the JWKS failed");
                match now.settled(kid, alg) {
                    Lookup::UnknownKid => Lookup::Unavailable,
                    answer => answer,
                }
            }
        }
    }

    /// Lets the next fetch start now, as if the refetch interval had passed.
    #[cfg(test)]
    pub(super) async fn end_refetch_window(&self) {
        *self.last_fetch.lock().await = None;
    }

    fn current(&self) -> Arc<Cached> {
        self.cache.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// One GET of the document, bounded in time and size.
    async fn fetch(&self) -> Result<Vec<Entry>, FetchError> {
        let http = |e: reqwest::Error| FetchError::Http(e.without_url());
        let mut resp = self.client.get(self.url.clone()).send().await.map_err(http)?;
        if !resp.status().is_success() {
            return Err(FetchError::Status(resp.status().as_u16()));
        }
        if resp.content_length().is_some_and(|n| n > MAX_BODY_BYTES as u64) {
            return Err(FetchError::TooLarge);
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(http)? {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(FetchError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        parse(&body)
    }
}

impl Cached {
    /// The answer from these keys alone.
    fn lookup(&self, kid: Option<&str>, alg: Algorithm) -> Lookup {
        let named: Vec<&Entry> = self
            .entries
            .iter()
            .filter(|e| kid.is_none() || e.kid.as_deref() == kid)
            .collect();
        if named.is_empty() {
            return Lookup::UnknownKid;
        }
        let fitting: Vec<VerifyKey> = named
            .iter()
            .filter(|e| e.key.fits(alg))
            .map(|e| e.key.clone())
            .collect();
        if fitting.is_empty() {
            Lookup::WrongAlgorithm
        } else {
            Lookup::Found(fitting)
        }
    }

    /// The answer when no fetch may happen now: before any fetch succeeded, the keys
    /// are unavailable.
    fn settled(&self, kid: Option<&str>, alg: Algorithm) -> Lookup {
        if self.fetched_at.is_none() {
            return Lookup::Unavailable;
        }
        self.lookup(kid, alg)
    }
}

/// The usable keys of a document. Keys Parlor cannot use (encryption keys, shared
/// secrets, other curves, unknown types) are skipped one by one, so one odd key does not
/// take the others down with it.
fn parse(body: &[u8]) -> Result<Vec<Entry>, FetchError> {
    #[derive(Deserialize)]
    struct Document {
        keys: Vec<serde_json::Value>,
    }
    let doc: Document = serde_json::from_slice(body).map_err(FetchError::Json)?;
    let entries: Vec<Entry> = doc
        .keys
        .into_iter()
        .filter_map(|v| serde_json::from_value::<Jwk>(v).ok())
        .filter_map(|jwk| {
            let key = verify_key(&jwk)?;
            Some(Entry {
                kid: jwk.common.key_id,
                key,
            })
        })
        .collect();
    Ok(entries)
}

/// A JWK as a key, limited to the algorithms its type does and, when it names one, its
/// `alg`.
fn verify_key(jwk: &Jwk) -> Option<VerifyKey> {
    if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
        return None;
    }
    let by_type: &[Algorithm] = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => RSA_ALGS,
        AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => {
            &[Algorithm::ES256]
        }
        AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519 => {
            &[Algorithm::EdDSA]
        }
        // A shared secret has no place in a published document, and only the configured
        // HS256 secret verifies HS256.
        _ => return None,
    };
    let algs: Vec<Algorithm> = match jwk.common.key_algorithm {
        None => by_type.to_vec(),
        Some(named) => {
            let alg = algorithm(named)?;
            if !by_type.contains(&alg) {
                return None;
            }
            vec![alg]
        }
    };
    let key = DecodingKey::from_jwk(jwk).ok()?;
    // EC and Ed keys are checked as they arrive; jsonwebtoken checks RSA ones on use.
    let key = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => key,
        AlgorithmParameters::OctetKeyPair(_) => keys::ed25519(key)?.key,
        _ => keys::checked(key, Algorithm::ES256)?.key,
    };
    Some(VerifyKey { key, algs })
}

/// The signing algorithm a JWK's `alg` names, among those Parlor verifies.
fn algorithm(named: KeyAlgorithm) -> Option<Algorithm> {
    match named {
        KeyAlgorithm::RS256 => Some(Algorithm::RS256),
        KeyAlgorithm::RS384 => Some(Algorithm::RS384),
        KeyAlgorithm::RS512 => Some(Algorithm::RS512),
        KeyAlgorithm::ES256 => Some(Algorithm::ES256),
        KeyAlgorithm::EdDSA => Some(Algorithm::EdDSA),
        _ => None,
    }
}
