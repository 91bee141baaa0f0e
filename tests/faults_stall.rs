//! Faults that stall or race one member while the others play on: a peer that stops
//! reading, and races between leaving, joining and resuming. Every test runs against real `redis-server` processes.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::client::next_json;
use common::node::{metric_sum, NodeProcess};
use common::{test_config, Client, RedisServer, TestServer};
use futures_util::SinkExt;
use parlor::game::GameKind;
use parlor::hub::Hub;
use parlor::room::{ConnHandle, Rooms};
use parlor::store::redis::RedisStore;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

/// A peer that joins, then never reads again, behind a small receive buffer: once the
/// kernel buffers and its outbound queue are full, the server drops it within the write
/// timeout; the other player is told it went offline, its own chat keeps flowing, the
/// connection gauge goes down and the drop is counted as `slow_consumer`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_stops_reading_is_dropped_and_the_room_goes_on() {
    let redis = RedisServer::start();
    let node = NodeProcess::spawn(&redis.url(), &["--ws-write-timeout-ms", "1000"]).await;
    let mut alice = node.client().await;
    let room = alice.create("tictactoe", "alice").await.room;

    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    let addr = format!("127.0.0.1:{}", node.port).parse().expect("address");
    let tcp = socket.connect(addr).await.expect("tcp connect");
    let (mut bob, _) = tokio_tungstenite::client_async(node.ws_url(), tcp)
        .await
        .expect("websocket upgrade");
    let join = json!({"type": "join_room", "room": room, "name": "bob"});
    bob.send(Message::Text(join.to_string().into()))
        .await
        .expect("send join");
    let joined = next_json(&mut bob).await;
    assert_eq!(joined["type"], "joined", "{joined}");
    let bob_id = joined["you"]["player_id"].clone();
    assert_eq!(gauge(&node, "parlor_ws_connections").await, 2.0);
    assert_eq!(
        metric(&node, "parlor_ws_rejected_total", "slow_consumer").await,
        0.0,
        "exported at zero from the start"
    );

    // Alice floods chat while reading everything she is sent; Bob reads nothing more.
    let (mut sink, mut stream) = alice.into_parts();
    let stop = Arc::new(AtomicBool::new(false));
    let flooding = stop.clone();
    let flood = tokio::spawn(async move {
        let text = "x".repeat(400);
        let mut sent = 0u64;
        while !flooding.load(Ordering::Relaxed) && sent < 200_000 {
            let msg = json!({"type": "chat", "text": text});
            if sink
                .send(Message::Text(msg.to_string().into()))
                .await
                .is_err()
            {
                break;
            }
            sent += 1;
        }
        sink
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut chats = 0u64;
    loop {
        assert!(Instant::now() < deadline, "bob was never dropped");
        let frame = next_json(&mut stream).await;
        match frame["type"].as_str() {
            Some("chat") => chats += 1,
            Some("player_connection") => {
                assert_eq!(frame["player_id"], bob_id, "{frame}");
                assert_eq!(frame["connected"], false, "{frame}");
                break;
            }
            Some("error") => panic!("alice's chat was refused: {frame}"),
            _ => {}
        }
    }
    stop.store(true, Ordering::Relaxed);
    let mut sink = flood.await.expect("flood task");
    assert!(chats > 0, "alice's chat kept arriving while bob stalled");

    // Alice's own chat still arrives after the drop.
    let msg = json!({"type": "chat", "text": "still here"});
    sink.send(Message::Text(msg.to_string().into()))
        .await
        .expect("send");
    loop {
        let frame = next_json(&mut stream).await;
        if frame["type"] == "chat" && frame["text"] == "still here" {
            break;
        }
    }
    assert_eq!(gauge(&node, "parlor_ws_connections").await, 1.0);
    assert!(metric(&node, "parlor_ws_rejected_total", "slow_consumer").await >= 1.0);
    drop(bob);
}

async fn gauge(node: &NodeProcess, name: &str) -> f64 {
    metric_sum(&node.metrics().await, name, &[])
}

async fn metric(node: &NodeProcess, name: &str, reason: &str) -> f64 {
    let label = format!("reason=\"{reason}\"");
    metric_sum(&node.metrics().await, name, &[&label])
}

/// A node that has not yet seen a join (its cached room still shows its own player alone)
/// handles that player's leave. Deleting on that stale document would wipe the room the
/// other player just joined; the delete is a compare-and-set instead, so it re-runs on the
/// fresh room: the joiner keeps the room, is told who left, and can still use it.
///
/// The stale node is the room service over its own Redis connection whose subscription
/// feeds a hub nobody reads, so its cache never hears of the join: deterministic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leave_on_a_stale_node_does_not_delete_a_room_someone_joined() {
    let redis = RedisServer::start();
    let cfg = redis.configure(test_config());
    let node_y = TestServer::start(cfg.clone()).await;
    let deaf = Hub::new();
    let store = RedisStore::connect(&cfg, &redis.url(), deaf)
        .await
        .expect("stale node connects");
    let node_x = Rooms::new(Arc::new(store), Hub::new(), cfg.room_ttl());
    let (tx, _rx) = parlor::hub::outbox(16);
    let alice = ConnHandle {
        id: 1,
        tx,
        user: None,
    };
    let joined = node_x
        .create(&alice, GameKind::Tictactoe, "alice".into(), false)
        .await
        .expect("create on the stale node");
    let room = joined.membership.code.to_string();

    let mut bob = node_y.client().await;
    let sb = bob.join(&room, "bob").await;
    assert_eq!(sb.version, 2);
    node_x
        .leave(&alice, &joined.membership)
        .await
        .expect("alice leaves");

    let left = bob.recv_type("player_left").await;
    assert_eq!(left["version"], 3, "{left}");
    assert_eq!(left["player_id"], joined.membership.player_id.as_ref());
    bob.send(json!({"type": "chat", "text": "still mine"}))
        .await;
    let chat = bob
        .recv_until(|v| v["type"] == "chat" || v["type"] == "error")
        .await;
    assert_eq!(chat["type"], "chat", "bob is still in the room: {chat}");
    let (status, body) = node_y.admin_get(&format!("/api/v1/rooms/{room}")).await;
    assert_eq!(status, 200, "the room survived: {body}");
    assert_eq!(body["players"][0]["player_id"], sb.player_id.as_str());
}

/// Two `resume`s of one session at the same moment, round after round: each time exactly
/// one of the two sockets ends up holding the seat; the other is refused or kicked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_resumes_at_once_leave_exactly_one_socket_seated() {
    let redis = RedisServer::start();
    let srv = TestServer::start(redis.configure(test_config())).await;
    let mut a = srv.client().await;
    let sa = a.create("tictactoe", "alice").await;
    let mut b = srv.client().await;
    b.join(&sa.room, "bob").await;
    let session = sa.session.expect("session");
    drop(a);
    for round in 0..8 {
        let mut c1 = srv.client().await;
        let mut c2 = srv.client().await;
        let resume = json!({"type": "resume", "session": session, "req": 1});
        tokio::join!(c1.send(resume.clone()), c2.send(resume));
        let (r1, r2) = tokio::join!(
            c1.recv_until(|v| v["req"] == 1),
            c2.recv_until(|v| v["req"] == 1)
        );
        assert!(
            r1["type"] == "joined" || r2["type"] == "joined",
            "round {round}: one resume succeeds: {r1} {r2}"
        );
        let mut seated = 2;
        for _ in 0..100 {
            seated = in_room(&mut c1).await as u8 + in_room(&mut c2).await as u8;
            if seated < 2 {
                break;
            }
        }
        assert_eq!(seated, 1, "round {round}: {r1} {r2}");
    }
}

/// Whether the socket is in a room: a move out of turn is refused as such, not as
/// `not_in_room`.
async fn in_room(c: &mut Client) -> bool {
    let reply = c
        .request(json!({"type": "action", "action": {"cell": 99}}))
        .await;
    reply["code"] != "not_in_room"
}
