//! Players with accounts, end to end against real `redis-server` processes: signing a
//! socket in (the `auth` message and `Authorization: Bearer` on the upgrade), refused
//! tokens, the deadline for anonymous sockets when anonymous play is off, one seat per
//! user per room across nodes, resume of a user's seat, the `rooms` claim, refresh, and
//! revocation reaching every node.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{node_config, test_config, Client, RedisServer, TestServer};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use parlor::Config;
use serde_json::{json, Value};

const SECRET: &str = "a-test-secret-that-is-long-enough-0123456789";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

/// A token for `sub` valid for `ttl` seconds, with `extra` claims merged in.
fn token(sub: &str, ttl: i64, extra: Value) -> String {
    let mut claims = json!({"sub": sub, "exp": now() as i64 + ttl, "iat": now()});
    if let (Some(c), Value::Object(more)) = (claims.as_object_mut(), extra) {
        c.extend(more);
    }
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(SECRET.as_bytes()).expect("key"),
    )
    .expect("sign")
}

fn accounts(mut cfg: Config) -> Config {
    cfg.jwt_hs256_secret = Some(SECRET.into());
    cfg.rate_limit_per_sec = 0;
    cfg
}

async fn server(redis: &RedisServer) -> TestServer {
    TestServer::start(redis.configure(accounts(test_config()))).await
}

async fn signed_in(s: &TestServer, sub: &str) -> Client {
    let mut c = s.client().await;
    let authed = c
        .request(json!({"type": "auth", "token": token(sub, 3600, json!({}))}))
        .await;
    assert_eq!(authed["type"], "authed", "{authed}");
    c
}

#[tokio::test]
async fn a_signed_in_socket_plays_as_its_user_and_others_must_sign_in_first() {
    let redis = RedisServer::start();
    let s = server(&redis).await;
    let mut c = s.client().await;
    // Anonymous play is off once a key is configured: only auth and ping pass.
    c.expect_error(
        json!({"type": "create_room", "game": "tictactoe", "name": "x"}),
        "unauthenticated",
    )
    .await;
    c.assert_alive().await;
    let authed = c
        .request(json!({"type": "auth", "token": token("u-1", 600, json!({"name": "Alice"}))}))
        .await;
    assert_eq!(authed["type"], "authed");
    assert_eq!(authed["user"], "u-1");
    assert_eq!(authed["name"], "Alice");
    assert!(authed["expires_at"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z')));
    let seat = c.create("tictactoe", "ignored").await;
    let me = &seat.joined["snapshot"]["players"][0];
    assert_eq!(me["user"], "u-1");
    assert_eq!(
        me["name"], "Alice",
        "the token's name replaces the one sent"
    );
    let (status, body) = s.admin_get("/api/v1/users/u-1/rooms").await;
    assert_eq!(status, 200);
    assert_eq!(body["rooms"][0]["code"], seat.room.as_str());
    let (_, none) = s.admin_get("/api/v1/users/nobody/rooms").await;
    assert_eq!(none["rooms"], json!([]));
}

#[tokio::test]
async fn hostile_tokens_are_refused_and_the_socket_stays_usable() {
    let redis = RedisServer::start();
    let s = server(&redis).await;
    let mut c = s.client().await;
    let good = token("u-2", 600, json!({}));
    let mut parts: Vec<String> = good.split('.').map(String::from).collect();
    // alg: none, unsigned.
    let none_header = base64_url(br#"{"alg":"none","typ":"JWT"}"#);
    let none = format!("{none_header}.{}.", parts[1]);
    c.expect_error(json!({"type": "auth", "token": none}), "invalid_token")
        .await;
    // A tampered payload under the original signature.
    parts[1] = base64_url(format!(r#"{{"sub":"admin","exp":{}}}"#, now() + 600).as_bytes());
    c.expect_error(
        json!({"type": "auth", "token": parts.join(".")}),
        "invalid_token",
    )
    .await;
    // Signed with another secret.
    let other = encode(
        &Header::new(Algorithm::HS256),
        &json!({"sub": "u-2", "exp": now() + 600}),
        &EncodingKey::from_secret(b"another-secret-another-secret-another").expect("key"),
    )
    .expect("sign");
    c.expect_error(json!({"type": "auth", "token": other}), "invalid_token")
        .await;
    // Expired beyond the leeway.
    c.expect_error(
        json!({"type": "auth", "token": token("u-2", -120, json!({}))}),
        "token_expired",
    )
    .await;
    c.expect_error(
        json!({"type": "auth", "token": "not a jwt"}),
        "invalid_token",
    )
    .await;
    c.assert_alive().await;
    // And a good one still works on the same socket.
    let authed = c.request(json!({"type": "auth", "token": good})).await;
    assert_eq!(authed["type"], "authed");
}

#[tokio::test]
async fn bearer_on_the_upgrade_signs_in_and_a_bad_one_is_a_401() {
    let redis = RedisServer::start();
    let s = server(&redis).await;
    let refused = Client::connect_with_bearer(&s.ws_url(), "garbage").await;
    assert_eq!(refused.err(), Some(401));
    let mut c = Client::connect_with_bearer(&s.ws_url(), &token("u-3", 600, json!({})))
        .await
        .expect("upgrade");
    let seat = c.create("connect4", "bea").await;
    assert_eq!(seat.joined["snapshot"]["players"][0]["user"], "u-3");
}

#[tokio::test]
async fn a_socket_that_never_signs_in_is_closed_with_4001() {
    let redis = RedisServer::start();
    let s = server(&redis).await;
    let mut c = s.client().await;
    // The deadline is 10 s; the close is awaited from just before it.
    tokio::time::sleep(Duration::from_secs(8)).await;
    let frame = c.expect_close().await.expect("a close frame");
    assert_eq!(u16::from(frame.code), 4001);
}

#[tokio::test]
async fn a_user_holds_one_seat_per_room_on_any_node() {
    let redis = RedisServer::start();
    let na = TestServer::start(accounts(node_config(&redis.url(), "node-a"))).await;
    let nb = TestServer::start(accounts(node_config(&redis.url(), "node-b"))).await;
    let mut phone = signed_in(&na, "alice").await;
    let seat = phone.create("tictactoe", "alice").await;
    let mut bob = signed_in(&nb, "bob").await;
    bob.join(&seat.room, "bob").await;
    phone.recv_type("player_joined").await;
    // Alice again, from a laptop on the other node: the same seat back.
    let mut laptop = signed_in(&nb, "alice").await;
    let again = laptop.join(&seat.room, "alice").await;
    assert_eq!(again.player_id, seat.player_id);
    assert_eq!(again.seat, Some(0));
    assert_eq!(
        again.joined["snapshot"]["players"].as_array().map(Vec::len),
        Some(2)
    );
    let kicked = phone.recv_type("kicked").await;
    assert_eq!(kicked["reason"], "replaced");
    // The old session no longer resumes; the new one does, for Alice only.
    let old = seat.session.clone().expect("a session");
    let mut thief = signed_in(&na, "mallory").await;
    let session = again.session.clone().expect("a session");
    thief
        .expect_error(
            json!({"type": "resume", "session": session}),
            "invalid_session",
        )
        .await;
    let mut anon_cfg = accounts(node_config(&redis.url(), "node-c"));
    anon_cfg.allow_anonymous = Some(true);
    let nc = TestServer::start(anon_cfg).await;
    let mut anon = nc.client().await;
    anon.expect_error(
        json!({"type": "resume", "session": session}),
        "invalid_session",
    )
    .await;
    let mut back = signed_in(&na, "alice").await;
    back.expect_error(json!({"type": "resume", "session": old}), "invalid_session")
        .await;
    let resumed = back.resume(&session).await;
    assert_eq!(resumed.player_id, seat.player_id);
}

#[tokio::test]
async fn quick_play_returns_a_user_to_their_waiting_room_and_never_pairs_them_with_themselves() {
    let redis = RedisServer::start();
    let s = server(&redis).await;
    let mut first = signed_in(&s, "carol").await;
    let mine = first
        .request(json!({"type": "quick_join", "game": "rps", "name": "carol"}))
        .await;
    assert_eq!(mine["type"], "joined", "{mine}");
    let room = mine["room"].as_str().expect("a room").to_string();
    let mut second = signed_in(&s, "carol").await;
    let again = second
        .request(json!({"type": "quick_join", "game": "rps", "name": "carol"}))
        .await;
    assert_eq!(again["room"], room.as_str());
    assert_eq!(again["you"]["player_id"], mine["you"]["player_id"]);
    assert_eq!(
        again["snapshot"]["status"], "waiting",
        "not seated against herself"
    );
    assert_eq!(first.recv_type("kicked").await["reason"], "replaced");
    // Somebody else does pair with her.
    let mut dave = signed_in(&s, "dave").await;
    let paired = dave
        .request(json!({"type": "quick_join", "game": "rps", "name": "dave"}))
        .await;
    assert_eq!(paired["room"], room.as_str());
    assert_eq!(paired["snapshot"]["status"], "playing");
}

#[tokio::test]
async fn a_token_with_rooms_joins_only_those_rooms() {
    let redis = RedisServer::start();
    let s = server(&redis).await;
    let mut host = signed_in(&s, "host").await;
    let seat = host.create("tictactoe", "host").await;
    let mut c = s.client().await;
    let limited = token("eve", 600, json!({"rooms": [seat.room.to_lowercase()]}));
    let authed = c.request(json!({"type": "auth", "token": limited})).await;
    assert_eq!(authed["type"], "authed");
    c.expect_error(
        json!({"type": "create_room", "game": "tictactoe", "name": "eve"}),
        "invalid_token",
    )
    .await;
    c.expect_error(
        json!({"type": "quick_join", "game": "tictactoe", "name": "eve"}),
        "invalid_token",
    )
    .await;
    c.expect_error(
        json!({"type": "join_room", "room": "ZZZZZZ", "name": "eve"}),
        "invalid_token",
    )
    .await;
    let joined = c.join(&seat.room, "eve").await;
    assert_eq!(joined.seat, Some(1));
}

#[tokio::test]
async fn a_long_lived_socket_is_told_to_refresh_and_refreshes_only_as_its_user() {
    let redis = RedisServer::start();
    let s = server(&redis).await;
    let mut c = s.client().await;
    // 62 s left: the warning comes about 2 s from now.
    let authed = c
        .request(json!({"type": "auth", "token": token("fay", 62, json!({}))}))
        .await;
    assert_eq!(authed["type"], "authed");
    let warned = c.recv_type("auth_expiring").await;
    assert_eq!(warned["expires_at"], authed["expires_at"]);
    c.expect_error(
        json!({"type": "auth", "token": token("someone-else", 600, json!({}))}),
        "invalid_token",
    )
    .await;
    let fresh = c
        .request(json!({"type": "auth", "token": token("fay", 600, json!({}))}))
        .await;
    assert_eq!(fresh["type"], "authed");
    assert_eq!(fresh["user"], "fay");
    assert_ne!(fresh["expires_at"], authed["expires_at"]);
    let metrics = crate::common::get(s.url("/metrics"))
        .await
        .expect("metrics");
    let text = metrics.text().await.expect("body");
    assert!(
        text.lines().any(|l| l.starts_with("parlor_auth_total")
            && l.contains("result=\"refreshed\"")
            && !l.ends_with(" 0")),
        "a refresh is counted"
    );
}

#[tokio::test]
async fn revoking_a_user_closes_their_sockets_on_every_node_and_refuses_older_tokens() {
    let redis = RedisServer::start();
    let na = TestServer::start(accounts(node_config(&redis.url(), "node-a"))).await;
    let nb = TestServer::start(accounts(node_config(&redis.url(), "node-b"))).await;
    let old = token("gus", 3600, json!({}));
    let mut on_a = na.client().await;
    on_a.request(json!({"type": "auth", "token": old})).await;
    let mut on_b = nb.client().await;
    on_b.request(json!({"type": "auth", "token": old})).await;
    let mut other = signed_in(&nb, "hal").await;
    let status = crate::common::http()
        .post(na.url("/api/v1/users/gus/revoke"))
        .bearer_auth("test-token")
        .send()
        .await
        .expect("revoke")
        .status();
    assert_eq!(status, 204);
    for c in [&mut on_a, &mut on_b] {
        let frame = c.expect_close().await.expect("a close frame");
        assert_eq!(u16::from(frame.code), 4003);
        assert_eq!(frame.reason.as_str(), "revoked");
    }
    other.assert_alive().await;
    let mut again = nb.client().await;
    again
        .expect_error(json!({"type": "auth", "token": old}), "invalid_token")
        .await;
    // A token issued after the revocation works (iat has a one-second grain).
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let authed = again
        .request(json!({"type": "auth", "token": token("gus", 600, json!({}))}))
        .await;
    assert_eq!(authed["type"], "authed");
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Keys from a JWKS URL and from a PEM file, on the socket: a token whose `kid` the
/// served document has is accepted, a key published after start is picked up, an unknown
/// `kid` and the HS256 token "signed" with the public key are refused.
#[tokio::test]
async fn public_keys_from_a_jwks_url_and_a_pem_file_sign_players_in() {
    use common::jwt;
    let redis = RedisServer::start();
    let jwks = jwt::JwksServer::start(vec![jwt::rsa_jwk("k1")]).await;
    let mut cfg = redis.configure(test_config());
    cfg.jwt_jwks_url = Some(jwks.url());
    cfg.jwt_public_key = Some(jwt::ec_public_pem());
    let s = TestServer::start(cfg).await;
    let mut c = s.client().await;
    let authed = c
        .request(json!({"type": "auth", "token": jwt::rs256(jwt::claims("kim", 600), Some("k1"))}))
        .await;
    assert_eq!(authed["type"], "authed", "{authed}");
    assert_eq!(authed["user"], "kim");
    let from_pem = c
        .request(json!({"type": "auth", "token": jwt::es256(jwt::claims("kim", 600), None)}))
        .await;
    assert_eq!(
        from_pem["type"], "authed",
        "the PEM key verifies too: {from_pem}"
    );
    // A key added to the document after start: the unknown `kid` fetches it again.
    jwks.add_key(jwt::rsa_second_jwk("k2"));
    let mut d = s.client().await;
    let rotated = d
        .request(json!({"type": "auth", "token": jwt::rs256_second(jwt::claims("lee", 600), Some("k2"))}))
        .await;
    assert_eq!(rotated["type"], "authed", "{rotated}");
    d.expect_error(
        json!({"type": "auth", "token": jwt::rs256(jwt::claims("lee", 600), Some("nope"))}),
        "invalid_token",
    )
    .await;
    // HS256 with the public key's PEM as the secret: the algorithm does not fit the key.
    let pem = std::fs::read(jwt::rsa_public_pem()).expect("pem");
    let confused = encode(
        &Header::new(Algorithm::HS256),
        &jwt::claims("lee", 600),
        &EncodingKey::from_secret(&pem).expect("key"),
    )
    .expect("sign");
    d.expect_error(json!({"type": "auth", "token": confused}), "invalid_token")
        .await;
}
