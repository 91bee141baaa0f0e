//! The room service driven directly, over the memory store and the hub, with no socket:
//! per-viewer fan-out, the clock's deadline bookkeeping, and a deadline fired by two
//! services at once landing exactly once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use parlor::game::GameKind;
use parlor::hub::{outbox, Hub, Outbound, OutboxRx};
use parlor::model::Status;
use parlor::room::{ConnHandle, Joined, Rooms};
use parlor::store::memory::MemoryStore;
use serde_json::{json, Value};

const TTL: Duration = Duration::from_secs(60);

/// A fake connection: its handle and the queue the hub fills.
fn conn(id: u64) -> (ConnHandle, OutboxRx) {
    let (tx, rx) = outbox(64);
    (ConnHandle { id, tx, user: None }, rx)
}

/// Every frame queued so far, parsed.
fn drain(rx: &mut OutboxRx) -> Vec<Value> {
    let mut out = Vec::new();
    while let Some(Outbound::Event(event)) = rx.try_recv() {
        for f in event.frames.iter() {
            out.push(serde_json::from_str(f.as_str()).expect("frame is JSON"));
        }
    }
    out
}

fn service() -> (Rooms, Arc<MemoryStore>) {
    let hub = Hub::new();
    let store = Arc::new(MemoryStore::new(TTL, hub.clone()));
    (Rooms::new(store.clone(), hub, TTL), store)
}

async fn seated(rooms: &Rooms, game: GameKind, turn_secs: Option<u32>) -> [(Joined, OutboxRx); 2] {
    let (c0, rx0) = conn(1);
    let (c1, rx1) = conn(2);
    let j0 = rooms
        .create_with_clock(&c0, game, "ada".into(), false, turn_secs)
        .await
        .expect("create");
    let code = j0.membership.code.to_string();
    let j1 = rooms
        .join(&c1, &code, "bob".into(), false)
        .await
        .expect("join");
    [(j0, rx0), (j1, rx1)]
}

#[tokio::test]
async fn each_viewer_gets_its_own_rps_state() {
    let (rooms, _) = service();
    let [(j0, mut rx0), (j1, mut rx1)] = seated(&rooms, GameKind::Rps, None).await;
    let code = j0.membership.code.to_string();
    let (cw, mut rxw) = conn(3);
    rooms
        .join(&cw, &code, "sam".into(), true)
        .await
        .expect("spectate");
    for rx in [&mut rx0, &mut rx1, &mut rxw] {
        drain(rx);
    }
    let now = Instant::now();
    rooms
        .act(&j1.membership, json!({"choice": "rock"}), None, now)
        .await
        .expect("choice");
    let seen: Vec<Value> = [&mut rx0, &mut rx1, &mut rxw]
        .into_iter()
        .map(|rx| drain(rx).pop().expect("a state event"))
        .collect();
    assert_eq!(seen[1]["state"]["mine"], "rock");
    for other in [&seen[0], &seen[2]] {
        assert_eq!(other["state"]["mine"], Value::Null);
        assert_eq!(other["state"]["chosen"], json!([false, true]));
        assert!(!other.to_string().contains("rock"), "{other}");
    }
    // The store keeps the full state.
    let doc = rooms.snapshot(&code).await.unwrap().expect("room");
    assert_eq!(doc.state["pending"], json!([null, "rock"]));
    let err = rooms
        .act(&j1.membership, json!({"choice": "paper"}), None, now)
        .await
        .expect_err("second choice");
    assert_eq!(err.code.as_str(), "illegal_move");
}

#[tokio::test]
async fn moves_restart_the_clock_and_a_finished_game_has_none() {
    let (rooms, _) = service();
    let [(j0, _rx0), (j1, _rx1)] = seated(&rooms, GameKind::Tictactoe, Some(30)).await;
    let code = j0.membership.code.to_string();
    let doc = rooms.snapshot(&code).await.unwrap().expect("room");
    let first = doc.deadline.expect("the game started with a deadline");
    assert!(doc.state_for(None)["deadline"].is_string());
    for (i, cell) in [0, 3, 1, 4, 2].into_iter().enumerate() {
        let m = if i % 2 == 0 { &j0 } else { &j1 };
        tokio::time::sleep(Duration::from_millis(2)).await;
        rooms
            .act(&m.membership, json!({"cell": cell}), None, Instant::now())
            .await
            .expect("move");
        let doc = rooms.snapshot(&code).await.unwrap().expect("room");
        match doc.status {
            Status::Playing => assert!(doc.deadline.expect("deadline") > first),
            _ => assert_eq!(doc.deadline, None),
        }
    }
    let doc = rooms.snapshot(&code).await.unwrap().expect("room");
    assert_eq!(doc.status, Status::Finished);
    assert_eq!(doc.state_for(None)["deadline"], Value::Null);
}

/// Two services over one store stand for two nodes polling one deadline index.
#[tokio::test]
async fn a_due_deadline_fires_once_however_many_pollers_race() {
    let hub = Hub::new();
    let store = Arc::new(MemoryStore::new(TTL, hub.clone()));
    let node_a = Rooms::new(store.clone(), hub.clone(), TTL);
    let node_b = Rooms::new(store.clone(), Hub::new(), TTL);
    // A zero-second clock (below what clients may ask for) is due at once.
    let [(j0, mut rx0), _] = seated(&node_a, GameKind::Tictactoe, Some(0)).await;
    let code = j0.membership.code.to_string();
    drain(&mut rx0);
    let (a, b) = tokio::join!(node_a.fire_due(), node_b.fire_due());
    assert_eq!(a + b, 1, "exactly one poller applies the penalty");
    assert_eq!(node_a.fire_due().await + node_b.fire_due().await, 0);
    let doc = node_a.snapshot(&code).await.unwrap().expect("room");
    assert_eq!(doc.status, Status::Finished);
    assert_eq!(
        (&doc.state["timeout"], &doc.state["winner"]),
        (&json!(true), &json!(1))
    );
    let events = drain(&mut rx0);
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["state"]["timeout"], true);
}
