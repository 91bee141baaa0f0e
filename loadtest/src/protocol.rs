//! The slice of the Parlor wire protocol the tester speaks.
//!
//! Incoming frames are parsed into one small struct holding only the fields the tester
//! reads; strings borrow from the frame where they can, and every other field
//! (`message`, `action`, player lists…) is skipped by serde without being built.
//! Outgoing frames are short JSON strings written directly.

use std::borrow::Cow;

use serde::Deserialize;

/// Any server frame, reduced to what the tester reads. `B` is the game's board type;
/// use [`serde::de::IgnoredAny`] where the board does not matter.
#[derive(Debug, Deserialize)]
pub struct Incoming<'a, B> {
    /// The frame's `type`.
    #[serde(rename = "type", borrow)]
    pub kind: Cow<'a, str>,
    /// The request id echoed on direct replies.
    #[serde(default)]
    pub req: Option<u64>,
    /// `error`: the error code.
    #[serde(default, borrow)]
    pub code: Option<Cow<'a, str>>,
    /// `joined`: the room code.
    #[serde(default, borrow)]
    pub room: Option<Cow<'a, str>>,
    /// `state`: the room version after the change.
    #[serde(default)]
    pub version: Option<u64>,
    /// `state`: `waiting`, `playing` or `finished`.
    #[serde(default, borrow)]
    pub status: Option<Cow<'a, str>>,
    /// `state`: the game state.
    #[serde(default = "none")]
    pub state: Option<GameState<B>>,
    /// `state`: the player whose action caused the change, if any.
    #[serde(default, borrow)]
    pub by: Option<Cow<'a, str>>,
    /// `joined`: who the server seated.
    #[serde(default)]
    pub you: Option<You>,
    /// `joined`: the room as it is now.
    #[serde(default = "none")]
    pub snapshot: Option<Snapshot<B>>,
}

/// `none()` as a default that needs no `B: Default`.
fn none<T>() -> Option<T> {
    None
}

/// `joined.you`.
#[derive(Debug, Deserialize)]
pub struct You {
    /// This connection's player id (compared with `state.by`).
    pub player_id: String,
    /// The seat, `null` for spectators.
    #[serde(default)]
    pub seat: Option<u8>,
}

/// `joined.snapshot`, reduced.
#[derive(Debug, Deserialize)]
pub struct Snapshot<B> {
    /// The room version.
    #[serde(default)]
    pub version: u64,
    /// The room status.
    #[serde(default)]
    pub status: String,
    /// The game state, if the snapshot carries one.
    #[serde(default = "none")]
    pub state: Option<GameState<B>>,
}

/// `state.state`, reduced: the board and whose turn it is.
#[derive(Debug, Deserialize)]
pub struct GameState<B> {
    /// The board, in the game's own shape.
    #[serde(default = "none")]
    pub board: Option<B>,
    /// The seat to move.
    #[serde(default)]
    pub turn: Option<u8>,
}

/// A room's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Seats free, game not started.
    Waiting,
    /// A game is on.
    Playing,
    /// The game is over; `rematch` starts the next.
    Finished,
    /// A status this tester does not know.
    Other,
}

impl Status {
    /// Reads a wire status.
    pub fn parse(text: &str) -> Self {
        match text {
            "waiting" => Self::Waiting,
            "playing" => Self::Playing,
            "finished" => Self::Finished,
            _ => Self::Other,
        }
    }
}

/// `create_room`, private so that no `quick_join` from elsewhere lands in it.
pub fn create_room(req: u64, game: &str, name: &str) -> String {
    serde_json::json!({"type": "create_room", "req": req, "game": game, "name": name, "private": true})
        .to_string()
}

/// `join_room` as a player.
pub fn join_room(req: u64, room: &str, name: &str) -> String {
    serde_json::json!({"type": "join_room", "req": req, "room": room, "name": name}).to_string()
}

/// `action`, with `action_json` from [`crate::game::Board::random_action`].
pub fn action(req: u64, action_json: &str) -> String {
    format!(r#"{{"type":"action","req":{req},"action":{action_json}}}"#)
}

/// `rematch`.
pub fn rematch(req: u64) -> String {
    format!(r#"{{"type":"rematch","req":{req}}}"#)
}

/// `leave_room`, so the server can delete the room rather than hold the seat.
pub fn leave_room(req: u64) -> String {
    format!(r#"{{"type":"leave_room","req":{req}}}"#)
}

/// `ping`.
pub fn ping(req: u64) -> String {
    format!(r#"{{"type":"ping","req":{req}}}"#)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::game::TicTacToeBoard;
    use serde::de::IgnoredAny;

    #[test]
    fn parses_state_event() {
        let text = r#"{"type":"state","room":"K7QXHM","version":4,"status":"playing",
            "state":{"board":[0,null,null,null,null,null,null,null,null],"turn":1,"winner":null,"draw":false,"line":null},
            "by":"p_1","action":{"cell":0}}"#;
        let frame: Incoming<TicTacToeBoard> = serde_json::from_str(text).unwrap();
        assert_eq!(frame.kind, "state");
        assert_eq!(frame.version, Some(4));
        assert_eq!(frame.by.as_deref(), Some("p_1"));
        let state = frame.state.unwrap();
        assert_eq!(state.turn, Some(1));
        assert!(state.board.is_some());
    }

    #[test]
    fn parses_joined_and_error() {
        let text = r#"{"type":"joined","req":1,"room":"K7QXHM","you":{"player_id":"p_2","name":"b","seat":1,"role":"player"},
            "session":"s","snapshot":{"code":"K7QXHM","version":2,"status":"playing","players":[],"state":{"board":[],"turn":0}}}"#;
        let frame: Incoming<IgnoredAny> = serde_json::from_str(text).unwrap();
        assert_eq!(frame.req, Some(1));
        assert_eq!(frame.room.as_deref(), Some("K7QXHM"));
        let you = frame.you.unwrap();
        assert_eq!((you.player_id.as_str(), you.seat), ("p_2", Some(1)));
        assert_eq!(frame.snapshot.unwrap().status, "playing");

        let text =
            r#"{"type":"error","req":7,"code":"not_your_turn","message":"it is seat 1's turn"}"#;
        let frame: Incoming<IgnoredAny> = serde_json::from_str(text).unwrap();
        assert_eq!(frame.code.as_deref(), Some("not_your_turn"));
    }

    /// A checker for the definition `name` of the server's protocol schema.
    fn checker(doc: &serde_json::Value, name: &str) -> jsonschema::Validator {
        let root = serde_json::json!({"$ref": format!("#/$defs/{name}"), "$defs": doc["$defs"]});
        jsonschema::validator_for(&root).unwrap()
    }

    /// What the tester sends and reads is what the server's schema says, derived from the
    /// server's own frame types: the frames it writes are client messages, the moves it
    /// picks on the server's fresh boards are the games' actions, and the fields it reads
    /// are always in the frames that carry them.
    #[test]
    fn frames_match_the_servers_schema() {
        use crate::game::{Board, ConnectFourBoard};
        use parlor::game::{GameKind, Games};
        use rand::rngs::SmallRng;
        use rand::SeedableRng;

        let doc = parlor::protocol::schema_document(&Games::builtin());
        let client = checker(&doc, "ClientMessage");
        for text in [
            create_room(1, "tictactoe", "a\"b"),
            join_room(2, "K7QXHM", "b"),
            action(3, r#"{"cell":4}"#),
            leave_room(6),
            rematch(4),
            ping(5),
        ] {
            let value: serde_json::Value = serde_json::from_str(&text).unwrap();
            let errors: Vec<String> = client.iter_errors(&value).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{text}: {errors:?}");
        }

        let mut rng = SmallRng::seed_from_u64(3);
        let fresh = |kind: GameKind| kind.new_state(0)["board"].clone();
        let tictactoe: TicTacToeBoard = serde_json::from_value(fresh(GameKind::Tictactoe)).unwrap();
        let connect4: ConnectFourBoard = serde_json::from_value(fresh(GameKind::Connect4)).unwrap();
        for (game, pick) in [
            ("TictactoeAction", tictactoe.random_action(&mut rng)),
            ("Connect4Action", connect4.random_action(&mut rng)),
        ] {
            let pick: serde_json::Value = serde_json::from_str(&pick.unwrap()).unwrap();
            assert!(checker(&doc, game).is_valid(&pick), "{game}: {pick}");
        }

        let defs = &doc["$defs"];
        let read = [
            ("ServerJoined", "room"),
            ("ServerJoined", "you"),
            ("ServerJoined", "snapshot"),
            ("ServerState", "version"),
            ("ServerState", "status"),
            ("ServerState", "state"),
            ("ServerState", "by"),
            ("ServerError", "code"),
            ("You", "player_id"),
            ("You", "seat"),
            ("RoomSnapshot", "version"),
            ("RoomSnapshot", "status"),
            ("TictactoeState", "board"),
            ("TictactoeState", "turn"),
            ("Connect4State", "board"),
            ("Connect4State", "turn"),
        ];
        for (def, field) in read {
            let required = defs[def]["required"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            assert!(
                required.contains(&field.into()),
                "{def}.{field} in {}",
                defs[def]
            );
        }
        let error = &defs["ServerError"]["properties"];
        assert!(error["req"].is_object(), "an error may echo req");
    }
}
