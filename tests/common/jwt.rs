//! Players' tokens for tests: a shared HS256 secret, the test-only key pairs of
//! `tests/fixtures/jwt/` (RSA, EC P-256, Ed25519), signing helpers, and a JWKS server on a
//! free port whose keys a test can change and whose requests it can count.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde_json::{json, Value};
use tokio::task::JoinHandle;

/// The HS256 secret test servers are configured with (`--jwt-hs256-secret`).
pub const HS_SECRET: &str = "parlor-integration-tests-hs256-secret";

/// A file of `tests/fixtures/jwt/` (e.g. `rsa_public.pem` for `--jwt-public-key`).
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/jwt")
        .join(name)
}

fn fixture_bytes(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).expect("fixture key")
}

/// The public key file of the first RSA key (the one [`rs256`] signs with).
pub fn rsa_public_pem() -> PathBuf {
    fixture("rsa_public.pem")
}

/// The public key file of the EC P-256 key (the one [`es256`] signs with).
pub fn ec_public_pem() -> PathBuf {
    fixture("ec_public.pem")
}

/// The public key file of the Ed25519 key (the one [`eddsa`] signs with).
pub fn ed25519_public_pem() -> PathBuf {
    fixture("ed25519_public.pem")
}

/// Now, in Unix seconds.
pub fn now() -> i64 {
    jsonwebtoken::get_current_timestamp() as i64
}

/// Claims for `sub`: `exp` `ttl_secs` from now (negative: already expired), `iat` now.
pub fn claims(sub: &str, ttl_secs: i64) -> Value {
    json!({"sub": sub, "exp": now() + ttl_secs, "iat": now()})
}

/// `claims` signed with `key` as `alg`, with `kid` in the header when given.
pub fn sign(alg: Algorithm, kid: Option<&str>, claims: &Value, key: &EncodingKey) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_string);
    jsonwebtoken::encode(&header, claims, key).expect("sign")
}

/// `claims` signed with [`HS_SECRET`].
pub fn hs256(claims: Value) -> String {
    let key = EncodingKey::from_secret(HS_SECRET.as_bytes()).expect("secret");
    sign(Algorithm::HS256, None, &claims, &key)
}

/// `claims` signed RS256 with the first RSA key.
pub fn rs256(claims: Value, kid: Option<&str>) -> String {
    let key = EncodingKey::from_rsa_pem(&fixture_bytes("rsa_private.pem")).expect("rsa key");
    sign(Algorithm::RS256, kid, &claims, &key)
}

/// `claims` signed RS256 with the second RSA key (a rotation's new key).
pub fn rs256_second(claims: Value, kid: Option<&str>) -> String {
    let key = EncodingKey::from_rsa_pem(&fixture_bytes("rsa2_private.pem")).expect("rsa key");
    sign(Algorithm::RS256, kid, &claims, &key)
}

/// `claims` signed ES256 with the EC P-256 key.
pub fn es256(claims: Value, kid: Option<&str>) -> String {
    let key = EncodingKey::from_ec_pem(&fixture_bytes("ec_private.pem")).expect("ec key");
    sign(Algorithm::ES256, kid, &claims, &key)
}

/// `claims` signed EdDSA with the Ed25519 key.
pub fn eddsa(claims: Value, kid: Option<&str>) -> String {
    let key = EncodingKey::from_ed_pem(&fixture_bytes("ed25519_private.pem")).expect("ed key");
    sign(Algorithm::EdDSA, kid, &claims, &key)
}

fn public_jwk(key: DecodingKey, kid: &str) -> Value {
    let mut jwk = Jwk::from_decoding_key(&key, None).expect("jwk");
    jwk.common.key_id = Some(kid.to_string());
    serde_json::to_value(jwk).expect("jwk json")
}

/// The first RSA key's public JWK, as `kid` (verifies [`rs256`]).
pub fn rsa_jwk(kid: &str) -> Value {
    let key = DecodingKey::from_rsa_pem(&fixture_bytes("rsa_public.pem")).expect("rsa key");
    public_jwk(key, kid)
}

/// The second RSA key's public JWK, as `kid` (verifies [`rs256_second`]).
pub fn rsa_second_jwk(kid: &str) -> Value {
    let key = DecodingKey::from_rsa_pem(&fixture_bytes("rsa2_public.pem")).expect("rsa key");
    public_jwk(key, kid)
}

/// The EC P-256 key's public JWK, as `kid` (verifies [`es256`]).
pub fn ec_jwk(kid: &str) -> Value {
    let key = DecodingKey::from_ec_pem(&fixture_bytes("ec_public.pem")).expect("ec key");
    public_jwk(key, kid)
}

/// The Ed25519 key's public JWK, as `kid` (verifies [`eddsa`]).
pub fn ed25519_jwk(kid: &str) -> Value {
    let key = DecodingKey::from_ed_pem(&fixture_bytes("ed25519_public.pem")).expect("ed key");
    public_jwk(key, kid)
}

/// What the server shares with its handler.
struct Served {
    doc: Mutex<Value>,
    requests: AtomicUsize,
}

/// A JWKS document served over HTTP on `127.0.0.1` and a free port. Its keys can change
/// while it runs; it counts the requests for it. Dropping it stops it.
pub struct JwksServer {
    served: Arc<Served>,
    base: String,
    task: JoinHandle<()>,
}

impl JwksServer {
    /// Serves `{"keys": keys}` at [`url`](Self::url).
    pub async fn start(keys: Vec<Value>) -> JwksServer {
        let served = Arc::new(Served {
            doc: Mutex::new(json!({ "keys": keys })),
            requests: AtomicUsize::new(0),
        });
        let app = Router::new()
            .route("/.well-known/jwks.json", get(document))
            .with_state(served.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the JWKS server");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        JwksServer { served, base, task }
    }

    /// The document's URL, for `--jwt-jwks-url`.
    pub fn url(&self) -> String {
        format!("{}/.well-known/jwks.json", self.base)
    }

    /// Publishes one more key.
    pub fn add_key(&self, key: Value) {
        let mut doc = self.served.doc.lock().expect("jwks lock");
        if let Some(keys) = doc["keys"].as_array_mut() {
            keys.push(key);
        }
    }

    /// Replaces every key (a withdrawn key disappears).
    pub fn set_keys(&self, keys: Vec<Value>) {
        *self.served.doc.lock().expect("jwks lock") = json!({ "keys": keys });
    }

    /// How many times the document was requested.
    pub fn requests(&self) -> usize {
        self.served.requests.load(Ordering::SeqCst)
    }
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn document(State(served): State<Arc<Served>>) -> Json<Value> {
    served.requests.fetch_add(1, Ordering::SeqCst);
    let doc = served.doc.lock().expect("jwks lock").clone();
    Json(doc)
}
