//! The contract's small print: an `action` that is not an object is `bad_request`, names
//! refuse invisible and direction-changing characters, chat drops bidi controls but keeps
//! emoji, and every failure counter is exported at zero from the start.

mod common;

use common::{test_config, Backend, TestServer};
use serde_json::json;

async fn scrape(srv: &TestServer) -> String {
    crate::common::get(srv.url("/metrics"))
        .await
        .expect("scrape")
        .text()
        .await
        .expect("metrics body")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_that_is_not_an_object_is_a_bad_request() {
    let srv = TestServer::with_backend(Backend::Memory, test_config()).await;
    let mut a = srv.client().await;
    let mut b = srv.client().await;
    let room = a.create("tictactoe", "ann").await.room;
    b.join(&room, "bob").await;
    for action in [json!(null), json!("4"), json!([4]), json!(4)] {
        a.expect_error(json!({"type": "action", "action": action}), "bad_request")
            .await;
    }
    a.expect_error(json!({"type": "action"}), "bad_request")
        .await;
    // A well-formed move the rules refuse is still an illegal move.
    a.expect_error(
        json!({"type": "action", "action": {"cell": 9}}),
        "illegal_move",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_look_like_what_they_are_and_chat_keeps_emoji() {
    let srv = TestServer::with_backend(Backend::Memory, test_config()).await;
    let mut a = srv.client().await;
    for name in ["evil\u{202E}gnp.exe", "\u{2066}ann\u{2069}", "a\u{200B}nn"] {
        a.expect_error(
            json!({"type": "create_room", "game": "tictactoe", "name": name}),
            "bad_request",
        )
        .await;
        a.expect_error(
            json!({"type": "quick_join", "game": "tictactoe", "name": name}),
            "bad_request",
        )
        .await;
    }
    let family = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}";
    let room = a.create("tictactoe", family).await.room;
    let mut b = srv.client().await;
    let joined = b.join(&room, "bob").await;
    assert_eq!(joined.joined["snapshot"]["players"][0]["name"], family);
    a.send(json!({"type": "chat", "text": format!("gg \u{202E}{family}\u{2069}")}))
        .await;
    let chat = b.recv_type("chat").await;
    assert_eq!(chat["text"], format!("gg {family}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_failure_series_is_exported_at_zero() {
    let srv = TestServer::with_backend(Backend::Memory, test_config()).await;
    let text = scrape(&srv).await;
    let reasons = [
        "origin",
        "max_connections",
        "per_ip",
        "rate_limited",
        "flood",
        "binary",
        "too_large",
        "idle",
        "shutting_down",
        "join_limited",
        "join_flood",
        "slow_consumer",
    ];
    for reason in reasons {
        let series = format!("reason=\"{reason}\"");
        assert!(
            text.lines()
                .any(|l| l.starts_with("parlor_ws_rejected_total{") && l.contains(&series)),
            "parlor_ws_rejected_total{{{series}}} missing"
        );
    }
    let ops = [
        "create_room",
        "load_room",
        "update_room",
        "delete_room",
        "publish",
        "open_rooms",
        "list_rooms",
        "subscribe",
        "unsubscribe",
        "ping",
    ];
    for op in ops {
        for kind in ["timeout", "connection", "conflict", "other"] {
            let (op_l, kind_l) = (format!("op=\"{op}\""), format!("kind=\"{kind}\""));
            assert!(
                text.lines()
                    .any(|l| l.starts_with("parlor_store_op_errors_total{")
                        && l.contains(&op_l)
                        && l.contains(&kind_l)),
                "parlor_store_op_errors_total{{{op_l},{kind_l}}} missing"
            );
        }
    }
}
