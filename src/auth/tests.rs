//! The verifier with configured keys (HS256 secret, PEM files): good tokens of every
//! algorithm pass, and every hostile or broken token is refused with its reason.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

use super::{AuthSetupError, Identity, TokenError, Verifier};
use crate::config::Config;

pub(super) const SECRET: &str = "unit-test-secret-unit-test-secret-0123";

pub(super) fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/jwt")
        .join(name)
}

fn fixture_bytes(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap()
}

pub(super) fn now() -> i64 {
    jsonwebtoken::get_current_timestamp() as i64
}

/// Claims of a token for `sub` that expires in `ttl` seconds.
pub(super) fn claims(sub: &str, ttl: i64) -> Value {
    json!({"sub": sub, "exp": now() + ttl, "iat": now()})
}

pub(super) fn sign(alg: Algorithm, kid: Option<&str>, claims: &Value, key: &EncodingKey) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_string);
    jsonwebtoken::encode(&header, claims, key).unwrap()
}

fn hs(claims: &Value) -> String {
    let key = EncodingKey::from_secret(SECRET.as_bytes()).unwrap();
    sign(Algorithm::HS256, None, claims, &key)
}

pub(super) fn rsa_key(name: &str) -> EncodingKey {
    EncodingKey::from_rsa_pem(&fixture_bytes(name)).unwrap()
}

fn rs(alg: Algorithm, claims: &Value) -> String {
    sign(alg, None, claims, &rsa_key("rsa_private.pem"))
}

fn es(claims: &Value) -> String {
    let key = EncodingKey::from_ec_pem(&fixture_bytes("ec_private.pem")).unwrap();
    sign(Algorithm::ES256, None, claims, &key)
}

fn ed(claims: &Value) -> String {
    let key = EncodingKey::from_ed_pem(&fixture_bytes("ed25519_private.pem")).unwrap();
    sign(Algorithm::EdDSA, None, claims, &key)
}

fn config(secret: bool, pem: Option<&str>) -> Config {
    let mut cfg = Config::defaults();
    cfg.jwt_hs256_secret = secret.then(|| SECRET.to_string());
    cfg.jwt_public_key = pem.map(fixture);
    cfg
}

fn verifier(cfg: &Config) -> Verifier {
    Verifier::from_config(cfg).unwrap().unwrap()
}

/// A verifier with the secret and the RSA public key.
fn both() -> Verifier {
    verifier(&config(true, Some("rsa_public.pem")))
}

fn invalid(reason: &'static str) -> Result<Identity, TokenError> {
    Err(TokenError::Invalid(reason))
}

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(v.to_string())
}

#[tokio::test]
async fn a_good_token_of_each_algorithm_is_accepted() {
    let c = json!({"sub": "u-1", "exp": now() + 60, "iat": now(), "name": "Ann", "rooms": ["ABCD"]});
    let want = Identity {
        user: "u-1".into(),
        name: Some("Ann".into()),
        rooms: Some(vec!["ABCD".into()]),
        expires_at: c["exp"].as_u64().unwrap(),
        issued_at: c["iat"].as_u64(),
    };
    let cases = [
        (config(true, None), hs(&c)),
        (config(false, Some("rsa_public.pem")), rs(Algorithm::RS256, &c)),
        (config(false, Some("rsa_public.pem")), rs(Algorithm::RS384, &c)),
        (config(false, Some("rsa_public.pem")), rs(Algorithm::RS512, &c)),
        (config(false, Some("ec_public.pem")), es(&c)),
        (config(false, Some("ed25519_public.pem")), ed(&c)),
    ];
    for (cfg, token) in cases {
        assert_eq!(verifier(&cfg).verify(&token).await, Ok(want.clone()));
    }
}

#[tokio::test]
async fn optional_claims_may_be_absent() {
    let c = json!({"sub": "u-2", "exp": now() + 60});
    let id = verifier(&config(true, None)).verify(&hs(&c)).await.unwrap();
    assert_eq!((id.name, id.rooms, id.issued_at), (None, None, None));
}

#[tokio::test]
async fn two_keys_at_once_each_verify_their_tokens() {
    let v = both();
    let c = claims("rotating", 60);
    assert_eq!(v.verify(&hs(&c)).await.unwrap().user, "rotating");
    assert_eq!(v.verify(&rs(Algorithm::RS256, &c)).await.unwrap().user, "rotating");
    // A kid means nothing to a configured key: it does not stop the secret verifying.
    let key = EncodingKey::from_secret(SECRET.as_bytes()).unwrap();
    let with_kid = sign(Algorithm::HS256, Some("whatever"), &c, &key);
    assert!(v.verify(&with_kid).await.is_ok());
}

#[tokio::test]
async fn alg_none_is_refused() {
    let header = json!({"alg": "none", "typ": "JWT"});
    let token = format!("{}.{}.", b64(&header), b64(&claims("mallory", 60)));
    assert_eq!(both().verify(&token).await, invalid("wrong algorithm"));
    let header = json!({"alg": "None"});
    let token = format!("{}.{}.", b64(&header), b64(&claims("mallory", 60)));
    assert_eq!(both().verify(&token).await, invalid("wrong algorithm"));
}

#[tokio::test]
async fn an_hs256_token_keyed_with_the_public_key_is_refused() {
    let pem = fixture_bytes("rsa_public.pem");
    let forged = sign(
        Algorithm::HS256,
        None,
        &claims("mallory", 60),
        &EncodingKey::from_secret(&pem).unwrap(),
    );
    let rsa_only = verifier(&config(false, Some("rsa_public.pem")));
    assert_eq!(rsa_only.verify(&forged).await, invalid("wrong algorithm"));
    // With a secret configured too, only the secret may check HS256, and it disagrees.
    assert_eq!(both().verify(&forged).await, invalid("bad signature"));
}

#[tokio::test]
async fn an_algorithm_no_configured_key_does_is_refused() {
    let c = claims("u", 60);
    let rsa_only = verifier(&config(false, Some("rsa_public.pem")));
    assert_eq!(rsa_only.verify(&es(&c)).await, invalid("wrong algorithm"));
    assert_eq!(rsa_only.verify(&ed(&c)).await, invalid("wrong algorithm"));
    let ec_only = verifier(&config(false, Some("ec_public.pem")));
    assert_eq!(ec_only.verify(&rs(Algorithm::RS256, &c)).await, invalid("wrong algorithm"));
}

#[tokio::test]
async fn a_token_signed_by_another_key_or_tampered_with_is_refused() {
    let v = both();
    let other = sign(Algorithm::RS256, None, &claims("u", 60), &rsa_key("rsa2_private.pem"));
    assert_eq!(v.verify(&other).await, invalid("bad signature"));

    let good = hs(&claims("alice", 60));
    let parts: Vec<&str> = good.split('.').collect();
    let tampered = format!("{}.{}.{}", parts[0], b64(&claims("admin", 60)), parts[2]);
    assert_eq!(v.verify(&tampered).await, invalid("bad signature"));
    let good = rs(Algorithm::RS256, &claims("alice", 60));
    let parts: Vec<&str> = good.split('.').collect();
    let tampered = format!("{}.{}.{}", parts[0], b64(&claims("admin", 60)), parts[2]);
    assert_eq!(v.verify(&tampered).await, invalid("bad signature"));
}

#[tokio::test]
async fn exp_and_nbf_have_thirty_seconds_of_leeway() {
    let v = both();
    let t = now();
    let expired = json!({"sub": "u", "exp": t - 120});
    assert_eq!(v.verify(&hs(&expired)).await, Err(TokenError::Expired));
    assert_eq!(v.verify(&rs(Algorithm::RS256, &expired)).await, Err(TokenError::Expired));
    let just_expired = json!({"sub": "u", "exp": t - 10});
    assert!(v.verify(&hs(&just_expired)).await.is_ok());

    let early = json!({"sub": "u", "exp": t + 600, "nbf": t + 120});
    assert_eq!(v.verify(&hs(&early)).await, invalid("not yet valid"));
    let nearly = json!({"sub": "u", "exp": t + 600, "nbf": t + 10});
    assert!(v.verify(&hs(&nearly)).await.is_ok());
}

#[tokio::test]
async fn issuer_and_audience_are_checked_when_configured() {
    let mut cfg = config(true, None);
    cfg.jwt_issuer = Some("studio".into());
    cfg.jwt_audience = Some("parlor".into());
    let v = verifier(&cfg);
    let t = now() + 60;
    let ok = json!({"sub": "u", "exp": t, "iss": "studio", "aud": "parlor"});
    assert!(v.verify(&hs(&ok)).await.is_ok());
    let ok_list = json!({"sub": "u", "exp": t, "iss": "studio", "aud": ["x", "parlor"]});
    assert!(v.verify(&hs(&ok_list)).await.is_ok());
    for (c, reason) in [
        (json!({"sub": "u", "exp": t, "iss": "other", "aud": "parlor"}), "wrong issuer"),
        (json!({"sub": "u", "exp": t, "aud": "parlor"}), "wrong issuer"),
        (json!({"sub": "u", "exp": t, "iss": "studio", "aud": "other"}), "wrong audience"),
        (json!({"sub": "u", "exp": t, "iss": "studio"}), "wrong audience"),
    ] {
        assert_eq!(v.verify(&hs(&c)).await, invalid(reason), "{c}");
    }
    // Unconfigured, neither is looked at.
    let other = json!({"sub": "u", "exp": t, "iss": "other", "aud": "other"});
    assert!(verifier(&config(true, None)).verify(&hs(&other)).await.is_ok());
}

#[tokio::test]
async fn sub_and_exp_are_required_and_sub_is_bounded() {
    let v = both();
    let t = now() + 60;
    for (c, reason) in [
        (json!({"exp": t}), "missing sub"),
        (json!({"sub": 42, "exp": t}), "missing sub"),
        (json!({"sub": "", "exp": t}), "bad sub"),
        (json!({"sub": "x".repeat(129), "exp": t}), "bad sub"),
        (json!({"sub": "u"}), "missing exp"),
        (json!({"sub": "u", "exp": "soon"}), "missing exp"),
    ] {
        assert_eq!(v.verify(&hs(&c)).await, invalid(reason), "{c}");
    }
    // 128 characters, however many bytes.
    let long = json!({"sub": "é".repeat(128), "exp": t});
    assert_eq!(v.verify(&hs(&long)).await.unwrap().user.chars().count(), 128);
}

#[tokio::test]
async fn optional_claims_of_the_wrong_type_are_refused() {
    let v = both();
    let t = now() + 60;
    for c in [
        json!({"sub": "u", "exp": t, "name": 7}),
        json!({"sub": "u", "exp": t, "rooms": "ABCD"}),
        json!({"sub": "u", "exp": t, "rooms": ["ABCD", 1]}),
        json!({"sub": "u", "exp": t, "iat": "yesterday"}),
        json!(["not", "an", "object"]),
    ] {
        assert_eq!(v.verify(&hs(&c)).await, invalid("malformed"), "{c}");
    }
}

#[tokio::test]
async fn garbage_is_malformed() {
    let v = both();
    let huge = "a".repeat(20_000);
    for token in ["", "abc", "a.b.c", "a.b", "....", huge.as_str()] {
        assert_eq!(v.verify(token).await, invalid("malformed"), "{token:.20}");
    }
    let header = b64(&json!({"alg": "HS256"}));
    let token = format!("{header}.{}.!!!", b64(&claims("u", 60)));
    assert_eq!(v.verify(&token).await, invalid("malformed"));
}

#[test]
fn no_key_means_no_verifier() {
    assert!(Verifier::from_config(&Config::defaults()).unwrap().is_none());
}

#[test]
fn a_short_secret_is_refused_without_showing_it() {
    let mut cfg = Config::defaults();
    cfg.jwt_hs256_secret = Some("too-short-to-be-safe".into());
    let err = Verifier::from_config(&cfg).unwrap_err();
    assert!(matches!(err, AuthSetupError::ShortSecret(20)), "{err:?}");
    assert!(!err.to_string().contains("too-short"));
}

#[test]
fn unusable_key_files_are_refused() {
    let dir = std::env::temp_dir().join(format!("parlor-auth-keys-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let garbage = dir.join("garbage.pem");
    std::fs::write(&garbage, "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n").unwrap();
    let mut cfg = Config::defaults();
    cfg.jwt_public_key = Some(garbage);
    let garbage_err = Verifier::from_config(&cfg).unwrap_err();
    cfg.jwt_public_key = Some(dir.join("absent.pem"));
    let absent_err = Verifier::from_config(&cfg).unwrap_err();
    cfg.jwt_public_key = Some(fixture("rsa_private.pem"));
    let private_err = Verifier::from_config(&cfg).unwrap_err();
    std::fs::remove_dir_all(&dir).unwrap();

    assert!(matches!(garbage_err, AuthSetupError::BadKey { .. }), "{garbage_err:?}");
    assert!(matches!(absent_err, AuthSetupError::ReadKey { .. }), "{absent_err:?}");
    assert!(
        matches!(private_err, AuthSetupError::BadKey { reason, .. } if reason.contains("private")),
        "{private_err:?}"
    );
}

#[test]
fn a_jwks_url_must_be_http_or_https() {
    let mut cfg = Config::defaults();
    for url in ["ftp://keys.example/jwks.json", "not a url", "file:///etc/passwd"] {
        cfg.jwt_jwks_url = Some(url.into());
        let err = Verifier::from_config(&cfg).unwrap_err();
        assert!(matches!(err, AuthSetupError::BadJwksUrl), "{url}: {err:?}");
    }
    cfg.jwt_jwks_url = Some("https://keys.example/.well-known/jwks.json".into());
    assert!(Verifier::from_config(&cfg).unwrap().is_some());
}
