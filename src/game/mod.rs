//! Game rules: which games a room can play, their wire-format state, and move validation.
//!
//! Each game implements the small [`Rules`] trait; [`GameKind`] dispatches to it, so the
//! checks every game shares (game over, then whose turn) live once, in `play`.
//! States serialise untagged: the two games' boards have different shapes (9 cells vs
//! 6 rows of 7), so a stored state can only ever deserialise back into its own game.

pub mod connect4;
pub mod tictactoe;

use serde_json::Value;

/// A seat index at the table (0 or 1).
pub type Seat = u8;

/// Which game a room plays. Serialises as "tictactoe" / "connect4".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GameKind {
    /// Noughts and crosses on a 3×3 board.
    Tictactoe,
    /// Four in a row on a 7-column × 6-row board.
    Connect4,
}

impl GameKind {
    /// Every game the server offers.
    pub const ALL: [GameKind; 2] = [GameKind::Tictactoe, GameKind::Connect4];

    /// The wire name ("tictactoe" | "connect4"), identical to the serde form.
    pub fn name(self) -> &'static str {
        match self {
            GameKind::Tictactoe => "tictactoe",
            GameKind::Connect4 => "connect4",
        }
    }

    /// Parses a wire name; only the exact lowercase names are accepted.
    pub fn parse(s: &str) -> Option<GameKind> {
        Self::ALL.into_iter().find(|k| k.name() == s)
    }

    /// Number of players the game needs before it can start.
    pub fn seats(self) -> u8 {
        match self {
            GameKind::Tictactoe => tictactoe::TicTacToe::SEATS,
            GameKind::Connect4 => connect4::Connect4::SEATS,
        }
    }

    /// A fresh game in which `first` moves first (rematches pass the other seat).
    pub fn new_state(self, first: Seat) -> GameState {
        match self {
            GameKind::Tictactoe => GameState::Tictactoe(tictactoe::TicTacToe::new_state(first)),
            GameKind::Connect4 => GameState::Connect4(connect4::Connect4::new_state(first)),
        }
    }

    /// Validate and apply `action` (raw client JSON) for `seat`.
    ///
    /// Checks, in order: the state belongs to this game, the game is not over, it is
    /// `seat`'s turn, then the action's shape and legality. On error `state` is untouched.
    pub fn apply(
        self,
        state: &mut GameState,
        seat: Seat,
        action: &Value,
    ) -> Result<Outcome, MoveError> {
        match (self, state) {
            (GameKind::Tictactoe, GameState::Tictactoe(s)) => {
                play::<tictactoe::TicTacToe>(s, seat, action)
            }
            (GameKind::Connect4, GameState::Connect4(s)) => {
                play::<connect4::Connect4>(s, seat, action)
            }
            _ => Err(MoveError::WrongGame),
        }
    }

    /// The action reduced to the one field this game reads (`{"cell":N}` /
    /// `{"column":N}`), or `None` if it does not parse. Events echo this, never the raw
    /// client JSON, so junk keys a client adds are neither published nor stored.
    pub fn normalize_action(self, action: &Value) -> Option<Value> {
        match self {
            GameKind::Tictactoe => {
                let a = <tictactoe::TicTacToe as Rules>::parse_action(action).ok()?;
                Some(serde_json::json!({ "cell": a.cell }))
            }
            GameKind::Connect4 => {
                let a = <connect4::Connect4 as Rules>::parse_action(action).ok()?;
                Some(serde_json::json!({ "column": a.column }))
            }
        }
    }
}

/// Game state as stored and sent on the wire (serialises untagged, as the bare game state).
///
/// Deserialisation tries tic-tac-toe first; its 9-cell flat board cannot match
/// connect4's 6×7 nested board (nor the reverse), so the variant is never confused.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum GameState {
    /// State of a tic-tac-toe game.
    Tictactoe(tictactoe::State),
    /// State of a connect4 game.
    Connect4(connect4::State),
}

impl GameState {
    /// The seat to move (after the game ends: the seat that made the last move).
    pub fn turn(&self) -> Seat {
        match self {
            GameState::Tictactoe(s) => tictactoe::TicTacToe::turn(s),
            GameState::Connect4(s) => connect4::Connect4::turn(s),
        }
    }

    /// Whether the game is still running, won, or drawn.
    pub fn outcome(&self) -> Outcome {
        match self {
            GameState::Tictactoe(s) => tictactoe::TicTacToe::outcome(s),
            GameState::Connect4(s) => connect4::Connect4::outcome(s),
        }
    }

    /// Which game this state belongs to.
    pub fn kind(&self) -> GameKind {
        match self {
            GameState::Tictactoe(_) => GameKind::Tictactoe,
            GameState::Connect4(_) => GameKind::Connect4,
        }
    }
}

/// Result of a game so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Moves are still possible.
    Ongoing,
    /// The given seat completed a line.
    Won(Seat),
    /// The board filled up without a winner.
    Draw,
}

impl Outcome {
    /// True once the game has been won or drawn.
    pub fn is_over(self) -> bool {
        !matches!(self, Outcome::Ongoing)
    }
}

/// Why a move was refused. The `Display` text is meant for the player.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoveError {
    /// Someone else (the contained seat) is to move.
    #[error("it is seat {0}'s turn")]
    NotYourTurn(Seat),
    /// The action is malformed or breaks the rules, e.g. "cell 4 is taken".
    #[error("{0}")]
    Illegal(String),
    /// The game has already been won or drawn.
    #[error("the game is over")]
    GameOver,
    /// The state passed to [`GameKind::apply`] is of another game.
    #[error("state does not belong to this game")]
    WrongGame,
}

/// The per-game part of the rules. Shared checks are done by the caller, not here.
pub trait Rules {
    /// Wire-format state of one game.
    type State;
    /// A parsed, shape-checked client action.
    type Action;
    /// Number of seats at the table.
    const SEATS: u8;

    /// A fresh game where `first` moves first.
    fn new_state(first: Seat) -> Self::State;
    /// The seat to move.
    fn turn(s: &Self::State) -> Seat;
    /// Result so far, read from the state.
    fn outcome(s: &Self::State) -> Outcome;
    /// Parses raw client JSON; never panics, errors are `MoveError::Illegal`.
    fn parse_action(action: &Value) -> Result<Self::Action, MoveError>;
    /// Applies a parsed action for `seat`. Callers have checked the game is ongoing and
    /// that it is `seat`'s turn. Must leave the state unchanged on error.
    fn apply(s: &mut Self::State, seat: Seat, a: Self::Action) -> Result<Outcome, MoveError>;
}

/// Runs the checks common to every game, in the contract's order, then the game's own move.
fn play<R: Rules>(s: &mut R::State, seat: Seat, action: &Value) -> Result<Outcome, MoveError> {
    if R::outcome(s).is_over() {
        return Err(MoveError::GameOver);
    }
    let turn = R::turn(s);
    if seat != turn {
        return Err(MoveError::NotYourTurn(turn));
    }
    let a = R::parse_action(action)?;
    R::apply(s, seat, a)
}

/// Reads `action[key]` as an index below `len`, with a short message for each way it can
/// be wrong. Unknown extra keys are ignored.
fn index_field(action: &Value, key: &str, len: usize) -> Result<usize, MoveError> {
    let obj = action.as_object().ok_or_else(|| {
        MoveError::Illegal(format!("action must be an object like {{\"{key}\": 0}}"))
    })?;
    let v = obj
        .get(key)
        .ok_or_else(|| MoveError::Illegal(format!("action is missing \"{key}\"")))?;
    // as_u64 rejects negatives, floats (even 3.0), strings, bools and null alike.
    v.as_u64()
        .and_then(|n| usize::try_from(n).ok())
        .filter(|&n| n < len)
        .ok_or_else(|| {
            MoveError::Illegal(format!(
                "{key} must be an integer from 0 to {}",
                len.saturating_sub(1)
            ))
        })
}

/// Reads the outcome from the `winner` / `draw` fields every game's state carries.
fn outcome_of(winner: Option<Seat>, draw: bool) -> Outcome {
    match (winner, draw) {
        (Some(seat), _) => Outcome::Won(seat),
        (None, true) => Outcome::Draw,
        (None, false) => Outcome::Ongoing,
    }
}

/// Flips between the two seats; every game here has exactly two.
fn other(seat: Seat) -> Seat {
    1 - (seat & 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const T: GameKind = GameKind::Tictactoe;

    #[test]
    fn kind_names_parse_and_serde_agree() {
        for k in GameKind::ALL {
            assert_eq!(GameKind::parse(k.name()), Some(k));
            assert_eq!(serde_json::to_value(k).unwrap(), json!(k.name()));
            let back: GameKind = serde_json::from_value(json!(k.name())).unwrap();
            assert_eq!((back, k.seats(), k.new_state(0).kind()), (k, 2, k));
        }
        for bad in ["TicTacToe", "Connect4", "connect-4", " tictactoe", ""] {
            assert_eq!(GameKind::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn new_state_sets_first_mover_and_is_ongoing() {
        for k in GameKind::ALL {
            for first in [0, 1] {
                let s = k.new_state(first);
                assert_eq!((s.turn(), s.outcome()), (first, Outcome::Ongoing));
            }
        }
        assert!(!Outcome::Ongoing.is_over());
        assert!(Outcome::Won(1).is_over() && Outcome::Draw.is_over());
    }

    #[test]
    fn wrong_game_is_rejected_before_anything_else() {
        let mut s = GameKind::Connect4.new_state(0);
        let before = s.clone();
        assert_eq!(
            T.apply(&mut s, 0, &json!({"cell": 0})),
            Err(MoveError::WrongGame)
        );
        assert_eq!(s, before);
        let mut t = T.new_state(0);
        let r = GameKind::Connect4.apply(&mut t, 1, &json!(null));
        assert_eq!(r, Err(MoveError::WrongGame));
    }

    #[test]
    fn check_order_game_over_then_turn_then_action() {
        // Not-your-turn beats a malformed action; a seat off the table is just not to move.
        let mut s = T.new_state(0);
        assert_eq!(
            T.apply(&mut s, 1, &json!("junk")),
            Err(MoveError::NotYourTurn(0))
        );
        assert_eq!(
            T.apply(&mut s, 7, &json!({"cell": 0})),
            Err(MoveError::NotYourTurn(0))
        );
        // Game over beats both.
        let stored = json!({"board": [0, 0, 0, 1, 1, null, null, null, null], "turn": 0,
                            "winner": 0, "draw": false, "line": [0, 1, 2]});
        let mut s: GameState = serde_json::from_value(stored).unwrap();
        assert_eq!(T.apply(&mut s, 1, &json!("junk")), Err(MoveError::GameOver));
    }

    #[test]
    fn error_messages() {
        let msgs = [
            (MoveError::NotYourTurn(1), "it is seat 1's turn"),
            (MoveError::GameOver, "the game is over"),
            (MoveError::WrongGame, "state does not belong to this game"),
            (
                MoveError::Illegal("cell 4 is taken".into()),
                "cell 4 is taken",
            ),
        ];
        for (e, m) in msgs {
            assert_eq!(e.to_string(), m);
        }
    }

    #[test]
    fn index_field_covers_every_bad_shape() {
        let msg = |v: Value| match index_field(&v, "cell", 9) {
            Err(MoveError::Illegal(m)) => m,
            other => panic!("expected Illegal, got {other:?}"),
        };
        assert_eq!(
            msg(json!([4])),
            "action must be an object like {\"cell\": 0}"
        );
        assert_eq!(msg(json!({})), "action is missing \"cell\"");
        #[rustfmt::skip]
        let bad = [json!(9), json!(-1), json!(4.0), json!("4"), json!(null), json!(true),
                   json!(u64::MAX), json!(1e300), json!([4]), json!({"n": 4})];
        for v in bad {
            assert_eq!(
                msg(json!({ "cell": v })),
                "cell must be an integer from 0 to 8"
            );
        }
        assert_eq!(
            index_field(&json!({"cell": 8, "junk": [1]}), "cell", 9),
            Ok(8)
        );
    }

    #[test]
    fn normalized_actions_keep_only_the_move() {
        let junk = json!({"cell": 4, "junk": "x".repeat(10_000), "column": 1});
        assert_eq!(T.normalize_action(&junk), Some(json!({"cell": 4})));
        let c4 = GameKind::Connect4;
        assert_eq!(c4.normalize_action(&junk), Some(json!({"column": 1})));
        assert_eq!(c4.normalize_action(&json!({"column": 7})), None);
        assert_eq!(T.normalize_action(&json!("junk")), None);
    }

    #[test]
    fn untagged_states_never_cross_over() {
        for k in GameKind::ALL {
            let v = serde_json::to_value(k.new_state(1)).unwrap();
            let back: GameState = serde_json::from_value(v.clone()).unwrap();
            assert_eq!((back.kind(), back), (k, k.new_state(1)));
            // Each game's JSON is rejected outright by the other game's type.
            let other_fits = match k {
                GameKind::Tictactoe => serde_json::from_value::<connect4::State>(v).is_ok(),
                GameKind::Connect4 => serde_json::from_value::<tictactoe::State>(v).is_ok(),
            };
            assert!(!other_fits, "{k:?}");
        }
        // Neither board shape fits, so garbage is an error rather than a wrong game.
        let ten = vec![Value::Null; 10];
        #[rustfmt::skip]
        let bad = [json!({"board": [], "turn": 0, "winner": null, "draw": false, "line": null}),
                   json!({"board": ten, "turn": 0, "winner": null, "draw": false, "line": null}),
                   json!({"turn": 0})];
        for v in bad {
            assert!(serde_json::from_value::<GameState>(v).is_err());
        }
    }
}
