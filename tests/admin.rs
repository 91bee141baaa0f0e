//! The REST admin API on both backends: auth, snapshots, listing, close, kick, stats,
//! OpenAPI, and expiry of idle rooms.

mod common;

use common::{eventually, test_config, Backend, TestServer};
use serde_json::{json, Value};

async fn get_with(srv: &TestServer, path: &str, auth: Option<&str>) -> u16 {
    let mut req = crate::common::http().get(srv.url(path));
    if let Some(token) = auth {
        req = req.header("Authorization", token);
    }
    req.send().await.expect("request").status().as_u16()
}

async fn auth_required(backend: Backend) {
    let srv = TestServer::with_backend(backend, test_config()).await;
    let mut a = srv.client().await;
    let seat = a.create("tictactoe", "alice").await;
    let path = format!("/api/v1/rooms/{}", seat.room);
    assert_eq!(get_with(&srv, &path, None).await, 401);
    assert_eq!(get_with(&srv, &path, Some("Bearer wrong-token")).await, 401);
    assert_eq!(get_with(&srv, &path, Some("test-token")).await, 401);
    assert_eq!(get_with(&srv, &path, Some("Bearer test-token")).await, 200);
    let resp = crate::common::get(srv.url(&path)).await.expect("request");
    let body: Value = resp.json().await.expect("json error body");
    assert_eq!(body["error"]["code"], "unauthorized");

    let (status, snap) = srv.admin_get(&path).await;
    assert_eq!(status, 200);
    assert_eq!(snap["code"], seat.room.as_str());
    assert_eq!(snap["game"], "tictactoe");
    assert_eq!(snap["status"], "waiting");
    assert_eq!(snap["private"], false);
    assert_eq!(snap["version"], 1);
    assert_eq!(snap["players"][0]["name"], "alice");
    assert_eq!(snap["players"][0]["role"], "player");
    assert_eq!(snap["players"][0]["connected"], true);
    assert!(
        snap["players"][0].get("session_hash").is_none(),
        "no secrets in snapshots"
    );
    assert_eq!(snap["spectators"], 0);
    assert_eq!(snap["state"]["board"].as_array().map(Vec::len), Some(9));
    assert!(snap["created_at"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z')));

    let (status, players) = srv.admin_get(&format!("{path}/players")).await;
    assert_eq!(status, 200);
    assert_eq!(players["players"][0]["player_id"], seat.player_id.as_str());

    let (status, err) = srv.admin_get("/api/v1/rooms/ZZZZZZ").await;
    assert_eq!(status, 404);
    assert_eq!(err["error"]["code"], "room_not_found");
    let (status, err) = srv.admin_get("/api/v1/rooms/bad!").await;
    assert_eq!(status, 400);
    assert_eq!(err["error"]["code"], "bad_request");
    for open in ["/healthz", "/readyz", "/metrics"] {
        assert_eq!(
            get_with(&srv, open, None).await,
            200,
            "{open} needs no token"
        );
    }
}

async fn listing_and_paging(backend: Backend) {
    let srv = TestServer::with_backend(backend, test_config()).await;
    let mut clients = Vec::new();
    let mut codes = Vec::new();
    for i in 0..5 {
        let mut c = srv.client().await;
        let game = if i % 2 == 0 { "tictactoe" } else { "connect4" };
        codes.push(c.create(game, &format!("p{i}")).await.room);
        clients.push(c);
    }
    codes.sort();
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/rooms?limit=2&cursor={c}"),
            None => "/api/v1/rooms?limit=2".to_string(),
        };
        let (status, page) = srv.admin_get(&path).await;
        assert_eq!(status, 200);
        let rooms = page["rooms"].as_array().expect("rooms");
        assert!(rooms.len() <= 2);
        seen.extend(
            rooms
                .iter()
                .map(|r| r["code"].as_str().expect("code").to_string()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, codes, "every room once, in code order");
    let (_, c4) = srv.admin_get("/api/v1/rooms?game=connect4").await;
    assert_eq!(c4["rooms"].as_array().map(Vec::len), Some(2));
    let (_, playing) = srv.admin_get("/api/v1/rooms?status=playing").await;
    assert_eq!(playing["rooms"], json!([]));
    let (status, _) = srv.admin_get("/api/v1/rooms?status=bogus").await;
    assert_eq!(status, 400);
    let (status, _) = srv.admin_get("/api/v1/rooms?limit=0").await;
    assert_eq!(status, 400);
}

async fn close_and_kick(backend: Backend) {
    let srv = TestServer::with_backend(backend, test_config()).await;
    let mut a = srv.client().await;
    let mut b = srv.client().await;
    let sa = a.create("tictactoe", "alice").await;
    let sb = b.join(&sa.room, "bob").await;
    a.recv_type("state").await;

    let kick = format!("/api/v1/rooms/{}/players/{}", sa.room, sb.player_id);
    assert_eq!(srv.admin_delete(&kick).await, 204);
    let kicked = b.recv_type("kicked").await;
    assert_eq!(kicked["room"], sa.room.as_str());
    assert_eq!(
        a.recv_type("player_left").await["player_id"],
        sb.player_id.as_str()
    );
    // The kicked player is out of the room but still connected.
    b.expect_error(json!({"type": "chat", "text": "hey"}), "not_in_room")
        .await;
    assert_eq!(srv.admin_delete(&kick).await, 404);
    b.expect_error(
        json!({"type": "resume", "session": sb.session.clone().expect("session")}),
        "invalid_session",
    )
    .await;

    let room = format!("/api/v1/rooms/{}", sa.room);
    assert_eq!(srv.admin_delete(&room).await, 204);
    let closed = a.recv_type("room_closed").await;
    assert_eq!(closed["reason"], "closed_by_operator");
    a.expect_error(json!({"type": "chat", "text": "hey"}), "not_in_room")
        .await;
    assert_eq!(srv.admin_get(&room).await.0, 404);
    assert_eq!(srv.admin_delete(&room).await, 404);
}

async fn stats_and_openapi(backend: Backend) {
    let mut cfg = test_config();
    cfg.node_id = Some("node-a".into());
    let srv = TestServer::with_backend(backend, cfg).await;
    let mut a = srv.client().await;
    a.create("connect4", "alice").await;
    let (status, stats) = srv.admin_get("/api/v1/stats").await;
    assert_eq!(status, 200);
    assert_eq!(stats["node_id"], "node-a");
    assert_eq!(
        stats["store"],
        if backend == Backend::Redis {
            "redis"
        } else {
            "memory"
        }
    );
    assert_eq!(stats["connections"], 1);
    assert_eq!(stats["rooms_local"], 1);
    assert!(stats["uptime_s"].is_u64());
    assert!(stats["version"].is_string());

    let (status, doc) = srv.admin_get("/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    let paths = doc["paths"].as_object().expect("paths");
    for p in [
        "/api/v1/rooms",
        "/api/v1/rooms/{code}",
        "/api/v1/rooms/{code}/players",
        "/api/v1/rooms/{code}/players/{player_id}",
        "/api/v1/stats",
        "/api/v1/openapi.json",
    ] {
        assert!(paths.contains_key(p), "openapi.json lacks {p}");
    }
    assert!(doc["paths"]["/api/v1/rooms/{code}"]["delete"].is_object());
    assert!(doc["components"]["schemas"]["RoomSnapshot"].is_object());
}

async fn idle_rooms_expire(backend: Backend) {
    let mut cfg = test_config();
    cfg.room_ttl_secs = 1;
    let srv = TestServer::with_backend(backend, cfg).await;
    let mut a = srv.client().await;
    let seat = a.create("tictactoe", "alice").await;
    let path = format!("/api/v1/rooms/{}", seat.room);
    assert_eq!(srv.admin_get(&path).await.0, 200);
    if let Some(redis) = &srv.redis {
        let ttl: i64 = redis
            .cmd(&["TTL", &format!("parlor:room:{{{}}}", seat.room)])
            .parse()
            .expect("ttl");
        assert!(
            (0..=1).contains(&ttl),
            "room key carries the TTL, got {ttl}"
        );
    }
    // The member is told, and the room is gone from REST (and from Redis).
    let closed = a.recv_type("room_closed").await;
    assert_eq!(closed["reason"], "expired");
    eventually("room gone from REST", || async {
        srv.admin_get(&path).await.0 == 404
    })
    .await;
    if let Some(redis) = &srv.redis {
        assert_eq!(
            redis.cmd(&["EXISTS", &format!("parlor:room:{{{}}}", seat.room)]),
            "0"
        );
    }
    let (_, list) = srv.admin_get("/api/v1/rooms").await;
    assert_eq!(list["rooms"], json!([]));
    a.assert_alive().await;
}

both_backends!(
    auth_required,
    listing_and_paging,
    close_and_kick,
    stats_and_openapi,
    idle_rooms_expire
);
