//! The soak's verdict on the webhooks the receiver got, against the truth: each room as
//! the store finally holds it (REST snapshot and history) and what the players saw.
//!
//! A room's games are numbered from 1 and a new one starts only after the last finished
//! (a rematch; nobody leaves in the soak), so a room whose current game is `n` finished
//! exactly games `1..n`, and game `n` too if its status says so. Those, and only those,
//! must have been reported, each under one `webhook-id` (a retry repeats the id and the
//! body; a second id for one game would be a second event).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use super::receiver::Delivery;

/// One room as the store holds it at the end.
pub struct Truth {
    pub code: String,
    /// The current (or last) game's number and status, from `/history`.
    pub game_number: u64,
    pub status: String,
    /// That game's moves, from `/history`.
    pub moves: Vec<Value>,
    /// The REST snapshot.
    pub snapshot: Value,
}

/// The figures of a soak's deliveries.
#[derive(Debug, Default)]
pub struct Tally {
    pub requests: usize,
    pub events: usize,
    pub duplicates: usize,
    pub games: usize,
}

/// Every violation found in `deliveries` against the rooms' `truth` and the final boards
/// each room's players saw (`seen`: room → `[board, winner]` strings).
pub fn check(
    deliveries: &[Delivery],
    truth: &[Truth],
    seen: &BTreeMap<String, BTreeSet<String>>,
) -> (Vec<String>, Tally) {
    let mut bad = Vec::new();
    let mut by_id: BTreeMap<&str, &Value> = BTreeMap::new();
    let mut duplicates = 0;
    for d in deliveries {
        if d.body.is_null() {
            bad.push(format!("a request whose body is not JSON (id {})", d.id));
            continue;
        }
        match by_id.get(d.id.as_str()) {
            Some(first) if *first != &d.body => bad.push(format!(
                "id {} delivered with two bodies: {} and {}",
                d.id, first, d.body
            )),
            Some(_) => duplicates += 1,
            None => {
                by_id.insert(&d.id, &d.body);
            }
        }
    }
    // (room, game_number) → the ids it was reported under.
    let mut games: BTreeMap<(String, u64), BTreeSet<&str>> = BTreeMap::new();
    for (id, body) in &by_id {
        if body["type"] != "game.finished" {
            bad.push(format!("unexpected event (nobody left a room): {body}"));
            continue;
        }
        let data = &body["data"];
        let room = data["room"].as_str().unwrap_or_default().to_string();
        let number = data["game_number"].as_u64().unwrap_or(0);
        bad.extend(
            game_problems(data)
                .into_iter()
                .map(|p| format!("{id}: {p}")),
        );
        games.entry((room, number)).or_default().insert(id);
    }
    for ((room, number), ids) in &games {
        if ids.len() != 1 {
            bad.push(format!(
                "room {room} game {number} reported under ids {ids:?}"
            ));
        }
    }
    let rooms: BTreeSet<&str> = truth.iter().map(|t| t.code.as_str()).collect();
    for (room, _) in games.keys() {
        if !rooms.contains(room.as_str()) {
            bad.push(format!("a game reported for an unknown room {room}"));
        }
    }
    for t in truth {
        bad.extend(room_problems(t, &by_id, seen.get(&t.code)));
    }
    let tally = Tally {
        requests: deliveries.len(),
        events: by_id.len(),
        duplicates,
        games: games.len(),
    };
    (bad, tally)
}

/// What is wrong with room `t`'s reported games, as a whole.
fn room_problems(
    t: &Truth,
    by_id: &BTreeMap<&str, &Value>,
    seen: Option<&BTreeSet<String>>,
) -> Vec<String> {
    let mut bad = Vec::new();
    let code = t.code.as_str();
    let events: BTreeMap<u64, &Value> = by_id
        .values()
        .filter(|b| b["type"] == "game.finished" && b["data"]["room"] == code)
        .map(|b| (b["data"]["game_number"].as_u64().unwrap_or(0), &b["data"]))
        .collect();
    let last = match t.status.as_str() {
        "finished" => t.game_number,
        _ => t.game_number.saturating_sub(1),
    };
    let expected: BTreeSet<u64> = (1..=last).collect();
    let reported: BTreeSet<u64> = events.keys().copied().collect();
    if reported != expected {
        let missing: Vec<_> = expected.difference(&reported).collect();
        let extra: Vec<_> = reported.difference(&expected).collect();
        bad.push(format!(
            "room {code} (game {}, {}): missing games {missing:?}, extra {extra:?}",
            t.game_number, t.status
        ));
    }
    if t.status == "finished" {
        if let Some(data) = events.get(&t.game_number) {
            let logged: Vec<Value> = t
                .moves
                .iter()
                .map(|m| json!([m["seat"], m["action"]]))
                .collect();
            let sent: Vec<Value> = moves(data)
                .iter()
                .map(|m| json!([m["seat"], m["action"]]))
                .collect();
            if logged != sent {
                bad.push(format!("room {code}: history {logged:?}, event {sent:?}"));
            }
            if data["state"]["board"] != t.snapshot["state"]["board"] {
                bad.push(format!(
                    "room {code}: the last game's board differs from the room's"
                ));
            }
        }
    }
    // Every game a player saw finish was reported, with that final board.
    let boards: BTreeSet<String> = events
        .values()
        .map(|d| json!([d["state"]["board"], d["state"]["winner"]]).to_string())
        .collect();
    for board in seen.into_iter().flatten() {
        if !boards.contains(board) {
            bad.push(format!(
                "room {code}: a player saw {board} finish; no event has it"
            ));
        }
    }
    bad
}

fn moves(data: &Value) -> &[Value] {
    data["moves"].as_array().map_or(&[], Vec::as_slice)
}

/// What is wrong with one `game.finished` body on its own: its moves, replayed from an
/// empty board with the game's first mover, must be legal, end the game with the last
/// one, and give the board, winner and results it reports.
fn game_problems(data: &Value) -> Vec<String> {
    let mut bad = Vec::new();
    let number = data["game_number"].as_u64().unwrap_or(0);
    if number == 0 || data["game"] != "tictactoe" {
        bad.push(format!("bad game or game_number: {data}"));
        return bad;
    }
    // Seat 0 opens game 1; the seats take turns to open from one game to the next.
    let mut turn = (number - 1) % 2;
    let mut board = [None::<u64>; 9];
    let mut over = false;
    for m in moves(data) {
        let cell = m["action"]["cell"].as_u64().unwrap_or(99) as usize;
        if over || m["seat"] != turn || cell > 8 || board[cell].is_some() {
            bad.push(format!("move {m} is not legal here (game {number})"));
            return bad;
        }
        board[cell] = Some(turn);
        over = winner(&board).is_some() || board.iter().all(Option::is_some);
        turn = 1 - turn;
    }
    let won = winner(&board);
    let state = &data["state"];
    let as_json: Vec<Value> = board.iter().map(|c| json!(c)).collect();
    if !over || state["board"] != json!(as_json) {
        bad.push(format!("moves do not replay to the final state: {data}"));
    }
    let draw = won.is_none();
    if data["winner"] != json!(won) || data["draw"] != draw || state["winner"] != json!(won) {
        bad.push(format!("winner or draw misreported: {data}"));
    }
    if data["timeout"] != false || data["forfeit"] != false {
        bad.push(format!("no timeout or forfeit happens in the soak: {data}"));
    }
    let results: BTreeMap<u64, &str> = data["players"]
        .as_array()
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .map(|p| {
            (
                p["seat"].as_u64().unwrap_or(9),
                p["result"].as_str().unwrap_or(""),
            )
        })
        .collect();
    let want: BTreeMap<u64, &str> = (0..2)
        .map(|s| {
            let r = match won {
                None => "draw",
                Some(w) if w == s => "win",
                Some(_) => "loss",
            };
            (s, r)
        })
        .collect();
    if results != want {
        bad.push(format!("player results {results:?}, expected {want:?}"));
    }
    bad
}

fn winner(b: &[Option<u64>; 9]) -> Option<u64> {
    const LINES: [[usize; 3]; 8] = [
        [0, 1, 2],
        [3, 4, 5],
        [6, 7, 8],
        [0, 3, 6],
        [1, 4, 7],
        [2, 5, 8],
        [0, 4, 8],
        [2, 4, 6],
    ];
    LINES
        .iter()
        .find(|l| b[l[0]].is_some() && b[l[0]] == b[l[1]] && b[l[1]] == b[l[2]])
        .and_then(|l| b[l[0]])
}
