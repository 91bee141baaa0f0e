//! A verification key and the algorithms it may verify, and the keys configured
//! directly: the HS256 shared secret and the PEM public key file.
//!
//! A key carries its algorithms so that a token's `alg` can never pick how a key is used:
//! the secret verifies HS256 only, an RSA key RS256/384/512 only, and so on. That is what
//! refuses an HS256 token "signed" with the public key's PEM text as the secret.

use std::path::Path;

use jsonwebtoken::crypto::CryptoProvider;
use jsonwebtoken::{Algorithm, DecodingKey};

use super::AuthSetupError;

/// The shortest HS256 secret accepted, in bytes: HS256's own output size.
pub(super) const MIN_SECRET_BYTES: usize = 32;

/// What an RSA key may verify.
pub(super) const RSA_ALGS: &[Algorithm] = &[Algorithm::RS256, Algorithm::RS384, Algorithm::RS512];

/// Length of an uncompressed P-256 point (`04 || x || y`).
const P256_POINT_BYTES: usize = 65;

/// Length of an Ed25519 public key.
const ED25519_KEY_BYTES: usize = 32;

/// A key and the algorithms a token verified by it may name.
#[derive(Clone)]
pub(super) struct VerifyKey {
    pub(super) key: DecodingKey,
    pub(super) algs: Vec<Algorithm>,
}

impl VerifyKey {
    /// Whether a token with header `alg` may be verified by this key.
    pub(super) fn fits(&self, alg: Algorithm) -> bool {
        self.algs.contains(&alg)
    }
}

/// The HS256 secret as a key.
pub(super) fn hs256(secret: &str) -> Result<VerifyKey, AuthSetupError> {
    let short = AuthSetupError::ShortSecret(secret.len());
    if secret.len() < MIN_SECRET_BYTES {
        return Err(short);
    }
    let key = DecodingKey::from_secret(secret.as_bytes()).map_err(|_| short)?;
    Ok(VerifyKey {
        key,
        algs: vec![Algorithm::HS256],
    })
}

/// The public key in the PEM file at `path`.
pub(super) fn pem_file(path: &Path) -> Result<VerifyKey, AuthSetupError> {
    let bytes = std::fs::read(path).map_err(|source| AuthSetupError::ReadKey {
        path: path.to_path_buf(),
        source,
    })?;
    pem(&bytes).map_err(|reason| AuthSetupError::BadKey {
        path: path.to_path_buf(),
        reason,
    })
}

/// A PEM public key: RSA, EC P-256 or Ed25519, each checked to parse now rather than
/// on the first token.
fn pem(bytes: &[u8]) -> Result<VerifyKey, &'static str> {
    // jsonwebtoken would take a private key's bytes as if they were a public key, and
    // then verify nothing; say what is wrong instead.
    if String::from_utf8_lossy(bytes).contains("PRIVATE KEY-----") {
        return Err("a private key; give the public key");
    }
    if let Ok(key) = DecodingKey::from_rsa_pem(bytes) {
        return rsa(&key).ok_or("an RSA key that does not parse");
    }
    if let Ok(key) = DecodingKey::from_ec_pem(bytes) {
        let p256 = key.try_get_as_bytes().is_ok_and(|b| b.len() == P256_POINT_BYTES);
        if !p256 {
            return Err("an EC key on a curve other than P-256");
        }
        return checked(key, Algorithm::ES256).ok_or("an EC key that does not parse");
    }
    if let Ok(key) = DecodingKey::from_ed_pem(bytes) {
        return ed25519(key).ok_or("an Ed25519 key that does not parse");
    }
    Err("not a PEM public key of a supported type (RSA, EC P-256, Ed25519)")
}

/// An RSA key from its DER form, rebuilt from its modulus and exponent: parsing them
/// here is the check, since jsonwebtoken parses RSA keys only when verifying.
fn rsa(der: &DecodingKey) -> Option<VerifyKey> {
    let provider = CryptoProvider::try_get_default()?;
    let bytes = der.try_get_as_bytes().ok()?;
    let (n, e) = (provider.key_utils.rsa_pub_components_from_public_key)(bytes).ok()?;
    Some(VerifyKey {
        key: DecodingKey::from_rsa_raw_components(&n, &e),
        algs: RSA_ALGS.to_vec(),
    })
}

/// An Ed25519 key, after its length check: jsonwebtoken slices the first 32 bytes
/// without looking, so a shorter key would panic on the first token.
pub(super) fn ed25519(key: DecodingKey) -> Option<VerifyKey> {
    let len = key.try_get_as_bytes().ok()?.len();
    if len != ED25519_KEY_BYTES {
        return None;
    }
    checked(key, Algorithm::EdDSA)
}

/// The key for `alg`, if jsonwebtoken can build a verifier from it (EC and Ed keys are
/// parsed there; a throwaway verification of nothing triggers it).
pub(super) fn checked(key: DecodingKey, alg: Algorithm) -> Option<VerifyKey> {
    jsonwebtoken::crypto::verify("", b"", &key, alg).ok()?;
    Some(VerifyKey {
        key,
        algs: vec![alg],
    })
}
