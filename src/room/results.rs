//! The events a room's changes record for the game's backend: `game.finished` when a game
//! ends (a win, a draw, a turn-clock timeout or a forfeit) and `room.closed` when a room
//! goes. They are built here, from the room before and after the change, and recorded by
//! the store in the same atomic write as the change (see [`OutboxEvent`]).
//!
//! A `game.finished` body leaves a gap for the game's moves: the store keeps them beside
//! the room and fills them in as it records the event, so a move never rewrites the list.

use serde::Serialize;
use serde_json::Value;

use crate::game::{GameKind, Outcome, Seat};
use crate::model::RoomDoc;
use crate::store::outbox::{event_id, GAME_FINISHED};
use crate::store::{now_ms, OutboxEvent};


#[derive(Serialize)]
struct PlayerResult<'a> {
    seat: Seat,
    player_id: &'a str,
    user: Option<&'a str>,
    name: &'a str,
    result: &'static str,
}

/// Everything of `game.finished`'s `data` before the moves, in the contract's order.
#[derive(Serialize)]
struct FinishedHead<'a> {
    room: &'a str,
    game: &'a str,
    game_number: u64,
    started_at: Option<&'a str>,
    finished_at: &'a str,
    winner: Option<Seat>,
    draw: bool,
    timeout: bool,
    forfeit: bool,
    players: Vec<PlayerResult<'a>>,
}

/// The `game.finished` event of a change from `before` (a game being played) to `after`
/// (that game finished). The players are those seated during the game, so a player who
/// forfeited by leaving is listed, with a loss.
pub(super) fn game_finished(before: &RoomDoc, after: &RoomDoc) -> OutboxEvent {
    let now = now_ms();
    let finished_at = after.updated_at.as_str();
    let state = &*after.state;
    let flag = |name: &str| state.get(name).and_then(Value::as_bool).unwrap_or(false);
    let outcome = after.game.outcome(state);
    // A seat emptied by the change that ended the game: that player left, and forfeited.
    let forfeit_seat = before
        .players
        .iter()
        .find(|p| after.player(&p.player_id).is_none())
        .map(|p| p.seat);
    let winner = match outcome {
        Outcome::Won(seat) => Some(seat),
        // A game whose state cannot say who won a forfeit: the seats that stayed did, and
        // with two seats that is one seat.
        _ if forfeit_seat.is_some() && after.game.seats() == 2 => {
            forfeit_seat.map(|s| 1 - s.min(1))
        }
        _ => None,
    };
    let draw = winner.is_none() && matches!(outcome, Outcome::Draw);
    let players = before
        .players
        .iter()
        .map(|p| PlayerResult {
            seat: p.seat,
            player_id: &p.player_id,
            user: p.user.as_deref(),
            name: &p.name,
            result: match winner {
                Some(w) if w == p.seat => "win",
                Some(_) => "loss",
                None if draw => "draw",
                // Ended with no winner and no draw: nobody won.
                None => "loss",
            },
        })
        .collect();
    let head = FinishedHead {
        room: &after.code,
        game: after.game.name(),
        game_number: after.game_number,
        started_at: after.game_started_at.as_deref(),
        finished_at,
        winner,
        draw,
        timeout: flag("timeout"),
        forfeit: flag("forfeit") || forfeit_seat.is_some(),
        players,
    };
    let data = serde_json::to_string(&head).unwrap_or_else(|_| "{}".into());
    // `data` is an object: open it up to append the moves and the state. The state as
    // operators see it: everything, and the clock's `deadline` in a room with a clock.
    let data = data.strip_suffix('}').unwrap_or(&data);
    let state = after.state_for(None);
    let state = serde_json::to_string(&*state).unwrap_or_else(|_| "null".into());
    OutboxEvent {
        id: event_id(&after.code, &after.created_at, GAME_FINISHED, after.game_number),
        kind: GAME_FINISHED,
        head: format!(
            r#"{{"type":"{GAME_FINISHED}","timestamp":{},"data":{data},"moves":["#,
            json_str(finished_at)
        ),
        tail: format!("],\"state\":{state}}}}}"),
        with_moves: true,
        created_ms: now,
    }
}

/// The `room.closed` event of room `code`, closed for `reason`.
pub(super) fn room_closed(
    code: &str,
    game: GameKind,
    created_at: &str,
    reason: &str,
) -> OutboxEvent {
    OutboxEvent::room_closed(code, game.name(), created_at, reason, now_ms())
}

fn json_str(s: &str) -> String {
    Value::String(s.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Move;

    #[test]
    fn a_finished_body_is_json_with_its_moves_in_place() {
        let kind = GameKind::Tictactoe;
        let doc = RoomDoc {
            code: "ABCDEF".into(),
            game: kind,
            status: crate::model::Status::Finished,
            private: false,
            created_at: "2026-01-01T00:00:00Z".into(),
            updated_at: "2026-01-01T00:01:00Z".into(),
            version: 9,
            players: Default::default(),
            spectators: 0,
            state: std::sync::Arc::new(kind.new_state(0)),
            first: 0,
            turn_secs: None,
            deadline: None,
            presence: Default::default(),
            rematch: Vec::new(),
            game_number: 3,
            game_started_at: Some("2026-01-01T00:00:30Z".into()),
        };
        let event = game_finished(&doc, &doc);
        let moves = [
            Move {
                seat: 0,
                action: serde_json::json!({"cell": 4}),
                at_ms: 1_000,
            }
            .to_json(),
            Move {
                seat: 1,
                action: serde_json::json!({"cell": 0}),
                at_ms: 2_000,
            }
            .to_json(),
        ];
        let body: Value = serde_json::from_str(&event.body(&moves)).unwrap();
        assert_eq!(body["type"], GAME_FINISHED);
        assert_eq!(body["data"]["game_number"], 3);
        assert_eq!(body["data"]["moves"][1]["action"]["cell"], 0);
        assert_eq!(body["data"]["moves"][1]["at"], "1970-01-01T00:00:02.000Z");
        assert_eq!(body["data"]["state"]["board"].as_array().unwrap().len(), 9);
        let empty: Value = serde_json::from_str(&event.body(&[])).unwrap();
        assert_eq!(empty["data"]["moves"], serde_json::json!([]));
        assert_eq!(event.id, game_finished(&doc, &doc).id, "one id per game");
        let closed = room_closed("ABCDEF", kind, &doc.created_at, "empty");
        assert_eq!(closed.kind, crate::store::outbox::ROOM_CLOSED);
        assert_ne!(closed.id, event.id);
        let body: Value = serde_json::from_str(&closed.body(&[])).unwrap();
        assert_eq!(body["data"]["reason"], "empty");
    }
}
