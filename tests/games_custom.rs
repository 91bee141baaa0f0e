//! `examples/custom_game.rs` (Nim, a game defined outside the crate) played through the
//! WebSocket on a server built as a library with the builder.

mod common;

#[path = "../examples/custom_game.rs"]
#[allow(dead_code)]
mod custom_game;

use common::{test_config, Client};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nim_is_played_through_the_websocket() {
    let server = custom_game::server(test_config())
        .await
        .expect("server starts");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/ws", listener.local_addr().unwrap());
    let stop = CancellationToken::new();
    let signal = stop.clone();
    let running = tokio::spawn(server.run(listener, async move { signal.cancelled().await }));

    let mut a = Client::connect(&url).await;
    let mut b = Client::connect(&url).await;
    // Only what this server registered is offered.
    a.expect_error(
        json!({"type": "create_room", "game": "rps", "name": "ada"}),
        "unknown_game",
    )
    .await;
    let sa = a.create("nim", "ada").await;
    assert_eq!(sa.joined["snapshot"]["state"]["pile"], 15);
    let sb = b.join(&sa.room, "bob").await;
    assert_eq!(sb.joined["snapshot"]["status"], "playing");
    let listed = a
        .request(json!({"type": "list_rooms", "game": "nim"}))
        .await;
    assert_eq!(listed["type"], "rooms");

    b.expect_error(
        json!({"type": "action", "action": {"take": 1}}),
        "not_your_turn",
    )
    .await;
    a.expect_error(
        json!({"type": "action", "action": {"take": 4}}),
        "illegal_move",
    )
    .await;
    // 15 stones, 3 at a time: seat 0 takes the last ones.
    let mut last = Value::Null;
    for turn in 0..5 {
        let mover = if turn % 2 == 0 { &mut a } else { &mut b };
        mover.act(json!({"take": 3, "junk": true})).await;
        last = a.state_at(sb.version + 1 + turn).await;
        assert_eq!(last["action"], json!({"take": 3}));
    }
    assert_eq!(last["status"], "finished");
    assert_eq!(
        (&last["state"]["pile"], &last["state"]["winner"]),
        (&json!(0), &json!(0))
    );
    stop.cancel();
    let _ = running.await;
}
