//! The verifier with a JWKS URL, served by a local HTTP server that counts its requests:
//! keys chosen by `kid`, a new key picked up with one refetch, refetches rate-limited and
//! never stampeding, and a key server that is down or misbehaving refusing tokens
//! instead of failing anything else.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use serde_json::{json, Value};

use super::tests::{claims, fixture, rsa_key, sign, SECRET};
use super::{Identity, TokenError, Verifier};
use crate::config::Config;

/// A JWKS document served on a free port, changeable while served.
struct Served {
    doc: Mutex<Value>,
    hits: AtomicUsize,
}

struct KeyServer {
    served: Arc<Served>,
    base: String,
}

impl KeyServer {
    async fn start(keys: Vec<Value>) -> KeyServer {
        let served = Arc::new(Served {
            doc: Mutex::new(json!({ "keys": keys })),
            hits: AtomicUsize::new(0),
        });
        let app = Router::new()
            .route("/jwks.json", get(document))
            .route("/big", get(|| async { "x".repeat(300 * 1024) }))
            .route("/broken", get(|| async { "{\"keys\": 5}" }))
            .with_state(served.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        KeyServer { served, base }
    }

    fn url(&self) -> String {
        format!("{}/jwks.json", self.base)
    }

    fn add(&self, key: Value) {
        let mut doc = self.served.doc.lock().unwrap();
        doc["keys"].as_array_mut().unwrap().push(key);
    }

    fn hits(&self) -> usize {
        self.served.hits.load(Ordering::SeqCst)
    }
}

async fn document(State(served): State<Arc<Served>>) -> Json<Value> {
    served.hits.fetch_add(1, Ordering::SeqCst);
    let doc = served.doc.lock().unwrap().clone();
    Json(doc)
}

fn pem(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap()
}

/// The public JWK of a fixture key, with `kid` and (when given) `alg`.
fn jwk(key: DecodingKey, kid: &str, alg: Option<Algorithm>) -> Value {
    let mut jwk = Jwk::from_decoding_key(&key, alg).unwrap();
    jwk.common.key_id = Some(kid.to_string());
    serde_json::to_value(jwk).unwrap()
}

fn rsa_jwk(public: &str, kid: &str) -> Value {
    jwk(DecodingKey::from_rsa_pem(&pem(public)).unwrap(), kid, None)
}

fn rs(private: &str, kid: &str, sub: &str) -> String {
    sign(Algorithm::RS256, Some(kid), &claims(sub, 60), &rsa_key(private))
}

fn verifier(url: String) -> Verifier {
    let mut cfg = Config::defaults();
    cfg.jwt_jwks_url = Some(url);
    Verifier::from_config(&cfg).unwrap().unwrap()
}

fn user(r: Result<Identity, TokenError>) -> String {
    r.unwrap().user
}

#[tokio::test]
async fn a_known_kid_verifies_and_the_keys_are_cached() {
    let server = KeyServer::start(vec![rsa_jwk("rsa_public.pem", "k1")]).await;
    let v = verifier(server.url());
    assert_eq!(user(v.verify(&rs("rsa_private.pem", "k1", "ann")).await), "ann");
    assert_eq!(user(v.verify(&rs("rsa_private.pem", "k1", "bob")).await), "bob");
    // No kid: every fitting key is tried.
    let no_kid = sign(Algorithm::RS256, None, &claims("cy", 60), &rsa_key("rsa_private.pem"));
    assert_eq!(user(v.verify(&no_kid).await), "cy");
    assert_eq!(server.hits(), 1, "one fetch serves every token");
}

#[tokio::test]
async fn a_new_kid_refetches_at_most_once_per_window() {
    let server = KeyServer::start(vec![rsa_jwk("rsa_public.pem", "k1")]).await;
    let v = verifier(server.url());
    assert!(v.verify(&rs("rsa_private.pem", "k1", "ann")).await.is_ok());
    assert_eq!(server.hits(), 1);

    // A key published after the first load is picked up by the next token naming it.
    server.add(rsa_jwk("rsa2_public.pem", "k2"));
    assert_eq!(user(v.verify(&rs("rsa2_private.pem", "k2", "bob")).await), "bob");
    assert_eq!(server.hits(), 2);

    // That refetch opened the window: another unknown kid is refused without a fetch,
    // even once the key is published.
    let k3 = rs("rsa2_private.pem", "k3", "cy");
    assert_eq!(v.verify(&k3).await, Err(TokenError::Invalid("unknown kid")));
    server.add(rsa_jwk("rsa2_public.pem", "k3"));
    assert_eq!(v.verify(&k3).await, Err(TokenError::Invalid("unknown kid")));
    assert_eq!(server.hits(), 2);
    // Known kids are not held up by the window.
    assert!(v.verify(&rs("rsa_private.pem", "k1", "ann")).await.is_ok());

    // Once the window has passed, the next unknown kid fetches again.
    v.end_refetch_window().await;
    assert_eq!(user(v.verify(&k3).await), "cy");
    assert_eq!(server.hits(), 3);
    let k4 = rs("rsa_private.pem", "k4", "dee");
    assert_eq!(v.verify(&k4).await, Err(TokenError::Invalid("unknown kid")));
    assert_eq!(server.hits(), 3);
}

#[tokio::test]
async fn concurrent_verifications_fetch_once() {
    let server = KeyServer::start(vec![rsa_jwk("rsa_public.pem", "k1")]).await;
    let v = verifier(server.url());
    let run = |kid: &'static str| {
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let v = v.clone();
                let token = rs("rsa_private.pem", kid, &format!("p{i}"));
                tokio::spawn(async move { v.verify(&token).await })
            })
            .collect();
        futures_util::future::join_all(tasks)
    };
    // The first load, wanted by sixteen tokens at once.
    for r in run("k1").await {
        assert!(r.unwrap().is_ok());
    }
    assert_eq!(server.hits(), 1);
    // Sixteen tokens with a kid nobody publishes.
    for r in run("nobody").await {
        assert_eq!(r.unwrap(), Err(TokenError::Invalid("unknown kid")));
    }
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn each_jwk_verifies_only_what_it_fits() {
    let ec = DecodingKey::from_ec_pem(&pem("ec_public.pem")).unwrap();
    let ed = DecodingKey::from_ed_pem(&pem("ed25519_public.pem")).unwrap();
    let secret = DecodingKey::from_secret(SECRET.as_bytes()).unwrap();
    let rsa = DecodingKey::from_rsa_pem(&pem("rsa_public.pem")).unwrap();
    let server = KeyServer::start(vec![
        jwk(rsa, "rsa", Some(Algorithm::RS256)),
        jwk(ec, "ec", None),
        jwk(ed, "ed", None),
        jwk(secret, "oct", None),
        // An Ed25519 key too short to be one: skipped, never used.
        json!({"kty": "OKP", "crv": "Ed25519", "kid": "short", "x": "AAAA"}),
        json!({"kty": "EC", "crv": "P-384", "kid": "p384", "x": "AAAA", "y": "AAAA"}),
    ])
    .await;
    let v = verifier(server.url());
    let c = claims("u", 60);
    let ec_key = EncodingKey::from_ec_pem(&pem("ec_private.pem")).unwrap();
    let ed_key = EncodingKey::from_ed_pem(&pem("ed25519_private.pem")).unwrap();
    let hs_key = EncodingKey::from_secret(SECRET.as_bytes()).unwrap();

    assert!(v.verify(&sign(Algorithm::ES256, Some("ec"), &c, &ec_key)).await.is_ok());
    assert!(v.verify(&sign(Algorithm::EdDSA, Some("ed"), &c, &ed_key)).await.is_ok());
    assert!(v.verify(&rs("rsa_private.pem", "rsa", "u")).await.is_ok());
    let refused = [
        // The JWK says RS256 only.
        (
            sign(Algorithm::RS384, Some("rsa"), &c, &rsa_key("rsa_private.pem")),
            "wrong algorithm",
        ),
        (sign(Algorithm::ES256, Some("rsa"), &c, &ec_key), "wrong algorithm"),
        // Only the configured secret verifies HS256, never a published one.
        (sign(Algorithm::HS256, Some("oct"), &c, &hs_key), "wrong algorithm"),
        (sign(Algorithm::EdDSA, Some("short"), &c, &ed_key), "unknown kid"),
        (sign(Algorithm::ES256, Some("p384"), &c, &ec_key), "unknown kid"),
        (rs("rsa2_private.pem", "rsa", "u"), "bad signature"),
    ];
    for (token, reason) in refused {
        v.end_refetch_window().await;
        assert_eq!(v.verify(&token).await, Err(TokenError::Invalid(reason)));
    }
}

#[tokio::test]
async fn a_key_server_that_is_down_refuses_its_tokens_only() {
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks.json", closed.local_addr().unwrap());
    drop(closed);
    let mut cfg = Config::defaults();
    cfg.jwt_jwks_url = Some(url);
    cfg.jwt_hs256_secret = Some(SECRET.into());
    let v = Verifier::from_config(&cfg).unwrap().unwrap();
    let token = rs("rsa_private.pem", "k1", "u");
    assert_eq!(v.verify(&token).await, Err(TokenError::Invalid("keys unavailable")));
    // Within the window the failure is not retried, and the answer stays the same.
    assert_eq!(v.verify(&token).await, Err(TokenError::Invalid("keys unavailable")));
    let hs = sign(
        Algorithm::HS256,
        None,
        &claims("u", 60),
        &EncodingKey::from_secret(SECRET.as_bytes()).unwrap(),
    );
    assert!(v.verify(&hs).await.is_ok(), "the secret works without the key server");
}

#[tokio::test]
async fn an_oversized_or_broken_document_is_refused() {
    let server = KeyServer::start(vec![rsa_jwk("rsa_public.pem", "k1")]).await;
    let token = rs("rsa_private.pem", "k1", "u");
    for path in ["/big", "/broken", "/missing"] {
        let v = verifier(format!("{}{path}", server.base));
        assert_eq!(
            v.verify(&token).await,
            Err(TokenError::Invalid("keys unavailable")),
            "{path}"
        );
    }
    assert_eq!(server.hits(), 0);
}
