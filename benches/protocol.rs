//! Micro-benchmarks of the CPU work on the hot path of one action, without any I/O:
//! parsing client frames, encoding server frames, the pub/sub envelope, the game rules,
//! the room document's JSON round trip (what the store reads and writes), the hub's
//! fan-out of one event to a room's sockets, a write to the memory store, and the
//! per-message metric updates.
//!
//! Quick run (about a minute):
//!
//! ```sh
//! cargo bench --features internals --bench protocol -- --warm-up-time 1 --measurement-time 2
//! ```
//!
//! Run one group with a filter, e.g. `cargo bench --features internals --bench protocol -- rules/`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use serde_json::{json, Value};

use parlor::game::{GameKind, GameState, Outcome};
use parlor::hub::{Hub, Member};
use parlor::model::{Audience, Effect, Envelope};
use parlor::model::{PlayerRec, RoomDoc, Status};
use parlor::protocol::{encode, parse_client_message, ServerMsg};

const ACTION_FRAME: &str =
    r#"{"type":"action","req":42,"action":{"column":3},"expected_version":17}"#;
const CHAT_FRAME: &str =
    r#"{"type":"chat","req":7,"text":"good game, one more? the rematch button is right there"}"#;
const CREATE_FRAME: &str =
    r#"{"type":"create_room","req":1,"game":"connect4","name":"alice","private":true}"#;

/// Connect-four column moves for a mid-game position (14 pieces, nobody has won).
const C4_OPENING: [u64; 14] = [3, 3, 2, 4, 4, 2, 5, 1, 1, 6, 0, 6, 6, 0];
/// Tic-tac-toe cells for a mid-game position (4 pieces, seat 0 to move, nobody has won).
const TTT_OPENING: [u64; 4] = [4, 0, 2, 6];

/// A tiny deterministic generator (xorshift64*), so every run plays the same games.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
    }
}

/// The action JSON for `index` in `game` (a cell or a column).
fn action(game: GameKind, index: u64) -> Value {
    if game == GameKind::Tictactoe {
        json!({ "cell": index })
    } else {
        json!({ "column": index })
    }
}

/// Plays `moves` from a fresh game where seat 0 starts.
fn position(game: GameKind, moves: &[u64]) -> GameState {
    let mut state = game.new_state(0);
    for &m in moves {
        let seat = game.to_act(&state)[0];
        let outcome = game
            .apply(&mut state, seat, &action(game, m))
            .expect("the opening is legal");
        assert_eq!(
            outcome,
            Outcome::Ongoing,
            "the opening must not end the game"
        );
    }
    state
}

/// Plays one whole game of random legal moves; returns how many moves it took.
fn random_game(game: GameKind, rng: &mut Rng) -> usize {
    let width: u64 = if game == GameKind::Tictactoe { 9 } else { 7 };
    let actions: Vec<Value> = (0..width).map(|i| action(game, i)).collect();
    let mut state = game.new_state(0);
    let mut moves = 0;
    loop {
        let seat = game.to_act(&state)[0];
        // Rejection sampling: a full cell or column is refused and another is drawn.
        match game.apply(&mut state, seat, &actions[rng.below(actions.len())]) {
            Ok(Outcome::Ongoing) => moves += 1,
            Ok(_) => return moves + 1,
            Err(_) => {}
        }
    }
}

fn player(index: u8, name: &str) -> PlayerRec {
    PlayerRec {
        player_id: format!(
            "p_{:016x}",
            0x9e37_79b9_7f4a_7c15_u64.wrapping_mul(index as u64 + 1)
        ),
        name: name.into(),
        seat: index,
        connected: true,
        session_hash: "5f2b1c8e0a9d4e7f6b3a2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f".into(),
        epoch: 3,
        user: None,
    }
}

/// A connect-four room in the middle of a game, as the store holds it.
fn room_doc() -> RoomDoc {
    RoomDoc {
        code: "4LP3VF".into(),
        game: GameKind::Connect4,
        status: Status::Playing,
        private: true,
        created_at: "2026-11-25T18:56:45Z".into(),
        updated_at: "2026-11-25T18:58:02Z".into(),
        version: 17,
        players: vec![player(0, "alice"), player(1, "bob")].into(),
        spectators: 1,
        state: position(GameKind::Connect4, &C4_OPENING).into(),
        first: 0,
        turn_secs: None,
        deadline: None,
        presence: Default::default(),
        rematch: Vec::new(),
        game_number: 0,
        game_started_at: None,
    }
}

fn parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse_client_message");
    for (name, frame) in [
        ("action", ACTION_FRAME),
        ("chat", CHAT_FRAME),
        ("create_room", CREATE_FRAME),
    ] {
        let parsed = parse_client_message(frame);
        assert!(parsed.msg.is_ok(), "{name}: {:?}", parsed.msg);
        group.throughput(Throughput::Bytes(frame.len() as u64));
        group.bench_function(name, |b| b.iter(|| parse_client_message(black_box(frame))));
    }
    group.finish();
}

fn encode_frames(c: &mut Criterion) {
    let doc = room_doc();
    let action = json!({ "column": 3 });
    let by = doc.players[0].player_id.clone();
    let mut group = c.benchmark_group("encode");
    group.bench_function("state_connect4", |b| {
        b.iter(|| {
            encode(black_box(&ServerMsg::State {
                room: &doc.code,
                version: doc.version,
                status: doc.status.as_str(),
                state: &doc.state,
                by: Some(&by),
                action: Some(&action),
            }))
        })
    });
    let snapshot = doc.snapshot();
    let you = parlor::protocol::You {
        player_id: by.clone(),
        name: "alice".into(),
        seat: Some(0),
        role: "player",
    };
    group.bench_function("joined_connect4", |b| {
        b.iter(|| {
            encode(black_box(&ServerMsg::Joined {
                req: Some(1),
                room: &doc.code,
                you: &you,
                session: Some("4LP3VFRNTGsyll1F7lln12Zj-jJomUxQqbFBv7"),
                snapshot: &snapshot,
            }))
        })
    });
    group.finish();
}

fn envelope(c: &mut Criterion) {
    let doc = room_doc();
    let action = json!({ "column": 3 });
    let state_frame = encode(&ServerMsg::State {
        room: &doc.code,
        version: doc.version,
        status: doc.status.as_str(),
        state: &doc.state,
        by: Some(&doc.players[0].player_id),
        action: Some(&action),
    });
    let env = Envelope {
        version: Some(doc.version),
        effect: Effect::None,
        doc: Some(serde_json::to_string(&doc).expect("the document serialises")),
        frames: vec![(Audience::All, state_frame)],
        local_only: false,
    };
    let wire = env.encode();
    assert_eq!(Envelope::decode(&wire).as_ref(), Some(&env));
    let mut group = c.benchmark_group("envelope");
    group.throughput(Throughput::Bytes(wire.len() as u64));
    group.bench_function("encode", |b| b.iter(|| black_box(&env).encode()));
    group.bench_function("encode_parts", |b| {
        b.iter(|| black_box(&env).encode_parts())
    });
    group.bench_function("decode", |b| b.iter(|| Envelope::decode(black_box(&wire))));
    group.finish();
}

fn rules(c: &mut Criterion) {
    let mut group = c.benchmark_group("rules");
    for (game, opening, next) in [
        (GameKind::Tictactoe, &TTT_OPENING[..], 8u64),
        (GameKind::Connect4, &C4_OPENING[..], 5u64),
    ] {
        let state = position(game, opening);
        let seat = game.to_act(&state)[0];
        let mv = action(game, next);
        // The benchmarked move must be legal and must not end the game.
        let mut check = state.clone();
        assert_eq!(game.apply(&mut check, seat, &mv), Ok(Outcome::Ongoing));
        group.bench_function(format!("{}_apply_midgame", game.name()), |b| {
            b.iter_batched_ref(
                || state.clone(),
                |s| game.apply(s, seat, black_box(&mv)),
                BatchSize::SmallInput,
            )
        });
        group.bench_function(format!("{}_random_game", game.name()), |b| {
            let mut rng = Rng(0x853c_49e6_748f_ea9b);
            b.iter(|| random_game(black_box(game), &mut rng))
        });
    }
    group.finish();
}

fn room_doc_serde(c: &mut Criterion) {
    let doc = room_doc();
    let text = serde_json::to_string(&doc).expect("the document serialises");
    let back: RoomDoc = serde_json::from_str(&text).expect("the document deserialises");
    assert_eq!(back, doc);
    let mut group = c.benchmark_group("room_doc");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("to_json", |b| {
        b.iter(|| serde_json::to_string(black_box(&doc)))
    });
    group.bench_function("from_json", |b| {
        b.iter(|| serde_json::from_str::<RoomDoc>(black_box(&text)))
    });
    group.bench_function("round_trip", |b| {
        b.iter(|| {
            let text = serde_json::to_string(black_box(&doc)).expect("serialises");
            serde_json::from_str::<RoomDoc>(&text).expect("deserialises")
        })
    });
    // The copy of the room every change starts from (then dropped with the old one).
    group.bench_function("copy", |b| b.iter(|| black_box(&doc).clone()));
    group.finish();
}

/// One state event delivered to the two players of a room (what every move costs the
/// hub), the queues drained as a socket would.
fn hub_fan_out(c: &mut Criterion) {
    let doc = room_doc();
    let frame = encode(&ServerMsg::State {
        room: &doc.code,
        version: doc.version,
        status: doc.status.as_str(),
        state: &doc.state,
        by: Some(&doc.players[0].player_id),
        action: Some(&json!({ "column": 3 })),
    });
    let hub = Hub::new();
    let mut queues = Vec::new();
    for (conn, p) in doc.players.iter().enumerate() {
        let (tx, rx) = parlor::hub::outbox(8);
        hub.attach(
            &doc.code,
            Member {
                conn: conn as u64,
                player_id: p.player_id.as_str().into(),
                epoch: p.epoch,
                seat: Some(p.seat),
                tx,
                confirmed: true,
            },
        );
        queues.push(rx);
    }
    let mut version = doc.version;
    let mut group = c.benchmark_group("hub");
    group.bench_function("deliver_state_to_2", |b| {
        b.iter(|| {
            version += 1;
            hub.deliver(
                &doc.code,
                Envelope::to_all(Some(version), vec![black_box(frame.clone())]),
            );
            for rx in &mut queues {
                black_box(rx.try_recv().expect("each player got the event"));
            }
        })
    });
    group.finish();
}

/// One move's write to the memory store (compare-and-set, expiry, open index, hand-off
/// to the hub), in a store holding 5000 rooms as the 10 000-player run does.
fn memory_store_update(c: &mut Criterion) {
    use parlor::store::memory::MemoryStore;
    use parlor::store::{CasOutcome, Extras, RoomStore};
    use std::sync::Arc;

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let store = rt.block_on(async {
        let store = MemoryStore::new(Duration::from_secs(3600), Hub::new());
        for n in 0..5000 {
            let mut doc = room_doc();
            doc.code = format!("R{n:05}");
            assert!(store.create(&doc).await.expect("create"));
        }
        store
    });
    let mut doc = room_doc();
    doc.code = "R02500".into();
    let mut current = Arc::new(doc);
    let mut group = c.benchmark_group("store");
    group.bench_function("memory_update_of_5000", |b| {
        b.iter(|| {
            let mut next = RoomDoc::clone(&current);
            next.version += 1;
            let next = Arc::new(next);
            let outcome = rt.block_on(store.update(
                current.version,
                &next,
                Envelope::default(),
                Extras::default(),
            ));
            assert!(matches!(outcome, Ok(CasOutcome::Applied)));
            current = next;
        })
    });
    group.finish();
}

/// The metric updates every message makes, with the recorder installed as in the server.
fn metric_updates(c: &mut Criterion) {
    let _handle = parlor::metrics::install("bench");
    let mut group = c.benchmark_group("metrics");
    group.bench_function("ws_message", |b| {
        b.iter(|| parlor::metrics::ws_message(black_box("out"), black_box("state")))
    });
    group.bench_function("per_action", |b| {
        // What one applied move records, over both players.
        b.iter(|| {
            parlor::metrics::ws_message("in", "action");
            parlor::metrics::store_op(
                parlor::metrics::StoreOp::UpdateRoom,
                "redis",
                Duration::from_micros(80),
            );
            parlor::metrics::pubsub_message("out");
            parlor::metrics::pubsub_message("in");
            parlor::metrics::game_action("tictactoe", "ok");
            parlor::metrics::action_duration("tictactoe", Duration::from_micros(120));
            parlor::metrics::ws_message("out", "state");
            parlor::metrics::ws_message("out", "state");
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    // No plots: rendering them takes longer than the quick run itself on a small machine.
    config = Criterion::default().without_plots();
    targets = parse, encode_frames, envelope, rules, room_doc_serde, hub_fan_out, memory_store_update, metric_updates
}
criterion_main!(benches);
