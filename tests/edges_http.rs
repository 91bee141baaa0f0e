//! Slow and greedy HTTP peers: half-sent requests and idle kept-alive connections are
//! closed after the header timeout, one address cannot hold more WebSockets than
//! `--max-connections-per-ip` (429, counted as `per_ip`), a slow admin request is cut off
//! at its deadline, and joining a room that does not exist costs no subscription.

mod common;

use std::time::Duration;

use common::node::metric_sum;
use common::{eventually, test_config, Backend, RedisServer, TestServer, WAIT};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Read until the server closes the connection; panics if it stays open past [`WAIT`].
async fn expect_closed(tcp: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(WAIT, tcp.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return got,
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => panic!("connection still open after {WAIT:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_requests_and_idle_keep_alives_are_closed() {
    let mut cfg = test_config();
    cfg.http_header_timeout_ms = 300;
    let srv = TestServer::with_backend(Backend::Memory, cfg).await;
    let mut half_sent = Vec::new();
    for _ in 0..50 {
        let mut tcp = TcpStream::connect(srv.addr).await.expect("connect");
        tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n")
            .await
            .expect("write");
        half_sent.push(tcp);
    }
    for tcp in &mut half_sent {
        expect_closed(tcp).await;
    }
    // A complete request is answered; then the kept-alive connection may not idle for ever.
    let mut idle = TcpStream::connect(srv.addr).await.expect("connect");
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    let answer = expect_closed(&mut idle).await;
    assert!(answer.starts_with(b"HTTP/1.1 200"), "{answer:?}");
    // The node still serves.
    let ok = crate::common::get(srv.url("/healthz"))
        .await
        .expect("healthz");
    assert_eq!(ok.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_cannot_take_every_connection() {
    let mut cfg = test_config();
    cfg.max_connections_per_ip = 2;
    let srv = TestServer::with_backend(Backend::Memory, cfg).await;
    let mut first = srv.client().await;
    let _second = srv.client().await;
    let refused = tokio_tungstenite::connect_async(srv.ws_url()).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            assert_eq!(resp.status(), 429)
        }
        other => panic!("expected 429, got {other:?}"),
    }
    let text = crate::common::get(srv.url("/metrics"))
        .await
        .expect("scrape")
        .text()
        .await
        .expect("body");
    assert!(metric_sum(&text, "parlor_ws_rejected_total", &["reason=\"per_ip\""]) >= 1.0);
    first.assert_alive().await;
    // A slot is given back when its connection ends.
    drop(first);
    eventually("a freed slot is usable again", || async {
        tokio_tungstenite::connect_async(srv.ws_url()).await.is_ok()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_admin_request_is_cut_off_at_its_deadline() {
    let redis = RedisServer::start();
    let mut cfg = redis.configure(test_config());
    cfg.redis_timeout_ms = 8_000;
    cfg.admin_timeout_ms = 300;
    let srv = TestServer::start(cfg).await;
    redis.cmd(&["CLIENT", "PAUSE", "3000", "ALL"]);
    let resp = crate::common::http()
        .get(srv.url("/api/v1/rooms"))
        .bearer_auth(&srv.token)
        .timeout(Duration::from_millis(2_500))
        .send()
        .await
        .expect("answered before Redis came back");
    assert_eq!(resp.status(), 503);
    let body: serde_json::Value = resp.json().await.expect("JSON error");
    assert_eq!(body["error"]["code"], "store_unavailable");
    redis.cmd(&["CLIENT", "UNPAUSE"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joining_a_room_that_does_not_exist_costs_no_subscription() {
    let srv = TestServer::with_backend(Backend::Redis, test_config()).await;
    let redis = srv.redis.clone().expect("redis");
    let mut c = srv.client().await;
    let before = redis.command_calls("ssubscribe");
    c.expect_error(
        json!({"type": "join_room", "room": "ZZZZZZ", "name": "eve"}),
        "room_not_found",
    )
    .await;
    assert_eq!(redis.command_calls("ssubscribe"), before);
    // A room that exists is still joined (and subscribed to) as before.
    let mut host = srv.client().await;
    let room = host.create("tictactoe", "ann").await.room;
    c.join(&room, "bob").await;
    assert!(redis.command_calls("ssubscribe") > before);
}
