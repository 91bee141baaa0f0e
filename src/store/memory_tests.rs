//! The memory store's open index: quick play takes the oldest offered room, never the
//! caller's own, lists the caller's room when there is none, a room leaves the index
//! when it fills or its players all drop, and a write that keeps it offered keeps its
//! place in line.

use std::sync::Arc;
use std::time::Duration;

use super::MemoryStore;
use crate::game::GameKind;
use crate::hub::Hub;
use crate::model::Envelope;
use crate::model::{PlayerRec, RoomDoc, Status};
use crate::store::{offered, IndexChange, RoomStore};

fn waiting(code: &str) -> RoomDoc {
    let game = GameKind::Tictactoe;
    RoomDoc {
        code: code.to_string(),
        game,
        status: Status::Waiting,
        private: false,
        created_at: "2026-01-01T00:00:00Z".into(),
        updated_at: "2026-01-01T00:00:00Z".into(),
        version: 1,
        players: Arc::new(vec![PlayerRec {
            player_id: format!("p_{code}"),
            name: "host".into(),
            seat: 0,
            connected: true,
            session_hash: String::new(),
            epoch: 1,
        }]),
        spectators: 0,
        state: Arc::new(game.new_state(0)),
        first: 0,
        turn_secs: None,
        deadline: None,
        presence: Default::default(),
    }
}

async fn write(store: &MemoryStore, before: &RoomDoc, change: impl FnOnce(&mut RoomDoc)) {
    let mut after = before.clone();
    change(&mut after);
    after.version += 1;
    let index = IndexChange::between(before, &after);
    let applied = store
        .update(
            before.version,
            &std::sync::Arc::new(after),
            Envelope::default(),
            index,
        )
        .await;
    assert!(matches!(applied, Ok(crate::store::CasOutcome::Applied)));
}

#[tokio::test]
async fn claims_oldest_first_and_lists_its_own_when_none() {
    let store = MemoryStore::new(Duration::from_secs(60), Hub::new());
    for code in ["AAAAAA", "BBBBBB"] {
        assert!(store.create(&waiting(code)).await.unwrap_or(false));
    }
    let own = waiting("CCCCCC");
    assert!(store.create_unlisted(&own).await.unwrap_or(false));
    let game = GameKind::Tictactoe;
    let listed = store.open_rooms(Some(game), 10).await.unwrap_or_default();
    let codes: Vec<&str> = listed.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["AAAAAA", "BBBBBB"], "unlisted room shown");
    assert_eq!(
        store
            .claim_open(game, Some("CCCCCC"))
            .await
            .ok()
            .flatten()
            .as_deref(),
        Some("AAAAAA")
    );
    assert_eq!(
        store.claim_open(game, None).await.ok().flatten().as_deref(),
        Some("BBBBBB")
    );
    assert_eq!(
        store.claim_open(game, Some("CCCCCC")).await.ok(),
        Some(None)
    );
    // Listed now, but never handed back to the room that listed it.
    assert_eq!(
        store.claim_open(game, Some("CCCCCC")).await.ok(),
        Some(None)
    );
    assert_eq!(
        store.claim_open(game, None).await.ok().flatten().as_deref(),
        Some("CCCCCC")
    );
}

#[tokio::test]
async fn a_room_leaves_the_index_when_its_players_drop_and_comes_back() {
    let store = MemoryStore::new(Duration::from_secs(60), Hub::new());
    let room = waiting("DDDDDD");
    assert!(store.create(&room).await.unwrap_or(false));
    write(&store, &room, |d| d.players_mut()[0].connected = false).await;
    let game = GameKind::Tictactoe;
    assert!(store
        .open_rooms(Some(game), 10)
        .await
        .is_ok_and(|l| l.is_empty()));
    assert_eq!(store.claim_open(game, None).await.ok(), Some(None));
    let dropped = store.load("DDDDDD").await.ok().flatten().expect("stored");
    assert!(!offered(&dropped));
    write(&store, &dropped, |d| d.players_mut()[0].connected = true).await;
    assert_eq!(
        store.claim_open(game, None).await.ok().flatten().as_deref(),
        Some("DDDDDD")
    );
}

#[tokio::test]
async fn a_write_that_keeps_a_room_offered_keeps_its_place_in_line() {
    let store = MemoryStore::new(Duration::from_secs(60), Hub::new());
    let first = waiting("EEEEEE");
    for room in [&first, &waiting("FFFFFF")] {
        assert!(store.create(room).await.unwrap_or(false));
    }
    // A write that changes nothing about being offered (a rename, a spectator) must
    // neither move the room to the back of the line nor take it off.
    write(&store, &first, |d| {
        d.players_mut()[0].name = "renamed".into()
    })
    .await;
    let game = GameKind::Tictactoe;
    let listed = store.open_rooms(Some(game), 10).await.unwrap_or_default();
    let codes: Vec<&str> = listed.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["EEEEEE", "FFFFFF"]);
    assert_eq!(
        listed[0].players[0].name, "renamed",
        "the listing shows the new document"
    );
}
