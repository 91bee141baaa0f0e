//! Start-up, shutdown and restart: the process as operators run it.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{free_port, test_config, wait_healthy, Client, RedisServer, TestServer};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_parlor");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn game_survives_a_server_restart_on_the_same_redis() {
    let redis = RedisServer::start();
    let first = TestServer::start(redis.configure(test_config())).await;
    let mut a = first.client().await;
    let mut b = first.client().await;
    let sa = a.create("tictactoe", "alice").await;
    let sb = b.join(&sa.room, "bob").await;
    a.act(json!({"cell": 4})).await;
    b.next_state().await;
    b.act(json!({"cell": 0})).await;
    let last_seen = a
        .recv_until(|v| v["type"] == "state" && v["state"]["board"][0] == 1)
        .await;
    first.stop().await;
    assert_eq!(
        a.recv_type("server_shutdown").await["reconnect_after_ms"],
        1000
    );

    let second = TestServer::start(redis.configure(test_config())).await;
    let mut a2 = second.client().await;
    let mut b2 = second.client().await;
    let ra = a2.resume(sa.session.as_deref().expect("session")).await;
    let rb = b2.resume(sb.session.as_deref().expect("session")).await;
    assert_eq!(
        (ra.player_id.as_str(), ra.seat),
        (sa.player_id.as_str(), Some(0))
    );
    assert_eq!(
        (rb.player_id.as_str(), rb.seat),
        (sb.player_id.as_str(), Some(1))
    );
    assert_eq!(ra.joined["snapshot"]["state"], last_seen["state"]);
    assert!(rb.version >= last_seen["version"].as_u64().expect("version"));
    a2.act(json!({"cell": 8})).await;
    let next = b2.next_state().await;
    assert_eq!(next["state"]["board"][8], 0);
    assert_eq!(next["state"]["board"][4], 0);
    assert_eq!(next["state"]["board"][0], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_gives_store_unavailable_and_keeps_sockets() {
    let redis = RedisServer::start();
    let mut cfg = redis.configure(test_config());
    cfg.redis_timeout_ms = 500;
    let srv = TestServer::start(cfg).await;
    let mut a = srv.client().await;
    let mut b = srv.client().await;
    let sa = a.create("tictactoe", "alice").await;
    b.join(&sa.room, "bob").await;
    a.next_state().await;
    assert_eq!(
        crate::common::get(srv.url("/readyz"))
            .await
            .expect("readyz")
            .status(),
        200
    );

    redis.kill();
    let started = Instant::now();
    let err = a
        .request(json!({"type": "action", "action": {"cell": 4}}))
        .await;
    assert_eq!(err["code"], "store_unavailable", "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "fails fast, took {:?}",
        started.elapsed()
    );
    a.assert_alive().await;
    let ready = crate::common::get(srv.url("/readyz"))
        .await
        .expect("readyz");
    assert_eq!(ready.status(), 503);
    let body: serde_json::Value = ready.json().await.expect("json");
    assert!(body["reason"].is_string());
    assert_eq!(
        crate::common::get(srv.url("/healthz"))
            .await
            .expect("healthz")
            .status(),
        200
    );
}

#[test]
fn unreachable_redis_exits_nonzero_naming_the_masked_url() {
    let port = free_port();
    let url = format!("redis://:sekrit@127.0.0.1:{port}");
    let started = Instant::now();
    let out = Command::new(BIN)
        .args(["--listen", &format!("127.0.0.1:{}", free_port())])
        .args(["--redis-url", &url, "--redis-connect-deadline-ms", "1500"])
        .env("RUST_LOG", "warn")
        .output()
        .expect("run parlor");
    let took = started.elapsed();
    assert!(!out.status.success());
    assert!(took < Duration::from_secs(6), "gave up after {took:?}");
    assert!(
        took >= Duration::from_millis(1400),
        "retried until the deadline, took {took:?}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stderr.contains(&format!("redis://:***@127.0.0.1:{port}")),
        "stderr: {stderr}"
    );
    assert!(
        !stderr.contains("sekrit") && !stdout.contains("sekrit"),
        "password leaked"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_sends_server_shutdown_then_1001_and_exits_zero() {
    let port = free_port();
    let mut child = Command::new(BIN)
        .args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--admin-token",
            "t",
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn parlor");
    wait_healthy(port).await;
    let url = format!("ws://127.0.0.1:{port}/ws");
    let mut a = Client::connect(&url).await;
    let mut b = Client::connect(&url).await;
    let sa = a.create("connect4", "alice").await;
    b.join(&sa.room, "bob").await;
    a.act(json!({"column": 3})).await;
    b.next_state().await;

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    for c in [&mut a, &mut b] {
        let close = c.expect_close().await.expect("close frame");
        assert_eq!(u16::from(close.code), 1001);
        let notice = c.recv_type("server_shutdown").await;
        assert!(notice["reconnect_after_ms"].as_u64().is_some());
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "server did not exit");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(exit.success(), "exit status {exit:?}");
}

/// Sockets that connect together do not ping together: each one's first ping comes at a
/// random point of the second half of the interval (decision 41). Without that, every
/// socket of a reconnect wave pings in the same instant, every interval, for as long as
/// it lives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sockets_that_connect_together_ping_at_different_moments() {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;

    let mut cfg = test_config();
    cfg.ping_interval_secs = 2;
    let srv = TestServer::start(cfg).await;
    let mut sockets = Vec::new();
    for _ in 0..16 {
        let (ws, _) = tokio_tungstenite::connect_async(srv.ws_url())
            .await
            .expect("connect");
        sockets.push(ws);
    }
    let connected = Instant::now();
    let firsts = futures_util::future::join_all(sockets.into_iter().map(|mut ws| async move {
        loop {
            match tokio::time::timeout(Duration::from_secs(5), ws.next()).await {
                Ok(Some(Ok(Message::Ping(_)))) => return connected.elapsed(),
                Ok(Some(Ok(_))) => continue,
                other => panic!("no ping within 5 s: {other:?}"),
            }
        }
    }))
    .await;
    let first = *firsts.iter().min().expect("16 sockets");
    let last = *firsts.iter().max().expect("16 sockets");
    // Each socket pings between half the interval and the interval after it connected.
    assert!(
        first >= Duration::from_millis(800),
        "first ping after {first:?}"
    );
    assert!(
        last <= Duration::from_millis(2300),
        "last first ping after {last:?}"
    );
    // Spread over that second half, not in one instant (16 draws in one second all
    // falling within 0.2 s of each other: about one chance in a billion).
    assert!(
        last - first >= Duration::from_millis(200),
        "first pings within {:?} of each other: {firsts:?}",
        last - first
    );
}
