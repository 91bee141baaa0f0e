//! The turn-taking the two built-in board games share: one seat places a piece, then the
//! other; a piece that completes a line wins, a full board without one is a draw, and a
//! seat whose turn clock runs out, or who leaves mid-game, loses to the other.
//!
//! A board game implements [`BoardGame`] (its board, where a piece lands, which line it
//! completes) and gets its [`Game`] impl from here, so whose turn it is, the action's
//! shape, how the result is recorded, the deadline's penalty and the forfeit are written
//! once.

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{is_false, outcome_of, Game, MoveError, Outcome, Seat};

/// The state of the built-in board games ([`tictactoe::State`](super::tictactoe::State),
/// [`connect4::State`](super::connect4::State)), exactly as sent on the wire:
/// `{"board":…,"turn":0,"winner":null,"draw":false,"line":null}`, plus `"timeout":true`
/// once a turn clock has ended the game, or `"forfeit":true` once a seat left it. `B` is the board and `L` the winning line, each
/// written the way its game says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TurnState<B, L> {
    /// The pieces placed so far: `null` (`None`) for an empty cell, else the owning seat.
    pub board: B,
    /// Seat to move; left on the last mover once the game is over.
    pub turn: Seat,
    /// Winning seat, once there is one.
    pub winner: Option<Seat>,
    /// True if the board filled up without a winner.
    pub draw: bool,
    /// The cells of the winning line, once there is one.
    pub line: Option<L>,
    /// True if the game ended because the mover's turn clock ran out.
    #[serde(default, skip_serializing_if = "is_false")]
    pub timeout: bool,
    /// True if the game ended because a player left it (the other seat won).
    #[serde(default, skip_serializing_if = "is_false")]
    pub forfeit: bool,
}

/// What sets one two-seat board game apart from another; its [`Game`] impl follows.
///
/// An action is `{KEY: n}` with `n` below [`BoardGame::PLACES`]; the parsed action is
/// that `n`, the place the move names (a cell, a column). The trait is `pub` only because
/// the built-ins' public [`Game::State`] names its types; its module is private, so no
/// one outside this crate can name or implement it.
pub trait BoardGame: Send + Sync + 'static {
    /// The board as stored (the state's `board`).
    type Board: Serialize + DeserializeOwned + Send + JsonSchema;
    /// Where a placed piece landed, as [`BoardGame::winning_line`] reads it.
    type Spot;
    /// The winning cells as stored (the state's `line`).
    type Line: Serialize + DeserializeOwned + Send + JsonSchema;

    /// The wire id (`"tictactoe"`).
    const ID: &'static str;
    /// The action's one field, naming where to play (`"cell"`).
    const KEY: &'static str;
    /// How many places an action may name.
    const PLACES: usize;

    /// A board with no pieces on it.
    fn empty() -> Self::Board;

    /// Puts `seat`'s piece at place `at` and says where it landed, or why it cannot go
    /// there ([`MoveError::Illegal`], the board left as it was). `at` may be out of range
    /// when the action was built in code rather than parsed.
    fn place(board: &mut Self::Board, seat: Seat, at: usize) -> Result<Self::Spot, MoveError>;

    /// The line that the piece just placed at `spot` completes for `seat`, if any. Only
    /// lines through it need looking at: any other would have ended the game already.
    fn winning_line(board: &Self::Board, seat: Seat, spot: Self::Spot) -> Option<Self::Line>;

    /// True once no piece can be placed.
    fn is_full(board: &Self::Board) -> bool;
}

impl<B: BoardGame> Game for B {
    type State = TurnState<B::Board, B::Line>;
    type Action = usize;

    fn id(&self) -> &'static str {
        B::ID
    }

    fn seats(&self) -> Seat {
        2
    }

    fn initial_state(&self, first: Seat) -> Self::State {
        TurnState {
            board: B::empty(),
            turn: first,
            winner: None,
            draw: false,
            line: None,
            timeout: false,
            forfeit: false,
        }
    }

    fn may_act(&self, s: &Self::State, seat: Seat) -> Result<(), MoveError> {
        match s.turn {
            turn if turn == seat => Ok(()),
            turn => Err(MoveError::NotYourTurn(turn)),
        }
    }

    fn parse_action(&self, action: &Value) -> Result<usize, MoveError> {
        index_field(action, B::KEY, B::PLACES)
    }

    fn apply(&self, s: &mut Self::State, seat: Seat, at: &usize) -> Result<(), MoveError> {
        let spot = B::place(&mut s.board, seat, *at)?;
        if let Some(line) = B::winning_line(&s.board, seat, spot) {
            s.winner = Some(seat);
            s.line = Some(line);
        } else if B::is_full(&s.board) {
            s.draw = true;
        } else {
            s.turn = other(seat);
        }
        Ok(())
    }

    fn outcome(&self, s: &Self::State) -> Outcome {
        outcome_of(s.winner, s.draw)
    }

    fn public_action(&self, at: &usize) -> Option<Value> {
        Some(json!({ B::KEY: at }))
    }

    fn to_act(&self, s: &Self::State) -> Vec<Seat> {
        match self.outcome(s) {
            Outcome::Ongoing => vec![s.turn],
            _ => Vec::new(),
        }
    }

    fn on_deadline(&self, s: &mut Self::State) {
        if !self.outcome(s).is_over() {
            s.winner = Some(other(s.turn));
            s.timeout = true;
        }
    }

    fn on_leave(&self, s: &mut Self::State, seat: Seat) -> Outcome {
        if !self.outcome(s).is_over() {
            s.winner = Some(other(seat));
            s.forfeit = true;
        }
        self.outcome(s)
    }

    fn state_schema(&self, generator: &mut SchemaGenerator) -> Option<Schema> {
        let mut schema = Self::State::json_schema(generator);
        let about = format!(
            "A {} game: the board, the seat to move, and the result once there is one.",
            B::ID
        );
        schema.insert("description".into(), about.into());
        Some(schema)
    }

    fn action_schema(&self, _: &mut SchemaGenerator) -> Option<Schema> {
        let place = json!({"type": "integer", "minimum": 0, "maximum": B::PLACES - 1});
        Some(json_schema!({
            "description": format!("Where to play: {} 0 to {}.", B::KEY, B::PLACES - 1),
            "type": "object",
            "properties": { B::KEY: place },
            "required": [B::KEY],
        }))
    }
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

/// Flips between the two seats.
fn other(seat: Seat) -> Seat {
    1 - (seat & 1)
}

#[cfg(test)]
pub(super) mod tests {
    //! Also the helpers the board games' own tests play their games with.

    use super::super::{GameKind, GameState};
    use super::*;

    const T: GameKind = GameKind::Tictactoe;

    /// The seat to move in a stored board-game state.
    pub(in crate::game) fn turn(s: &GameState) -> Seat {
        serde_json::from_value(s["turn"].clone()).unwrap()
    }

    /// Plays `places` on `B` alternately from `first`, one `{KEY: n}` action each, all of
    /// which must be accepted. Returns the state and the last move's outcome.
    pub(in crate::game) fn play<B: BoardGame>(
        first: Seat,
        places: impl IntoIterator<Item = usize>,
    ) -> (GameState, Outcome) {
        let kind = GameKind::parse(B::ID).unwrap();
        let mut s = kind.new_state(first);
        let mut last = Outcome::Ongoing;
        for at in places {
            let seat = turn(&s);
            last = kind.apply(&mut s, seat, &json!({ B::KEY: at })).unwrap();
        }
        (s, last)
    }

    /// Plays `games` pseudo-random games of `B` from `seed`, each move a place below
    /// `choices` (those off the board must just be refused). After each accepted move,
    /// `scan(state, mover, place)` says whether the mover has a line and whether the board
    /// is full, found without the game's own win test, and may check more; the move's
    /// outcome must agree.
    pub(in crate::game) fn random_games<B: BoardGame>(
        games: u32,
        seed: u64,
        choices: u64,
        mut scan: impl FnMut(&GameState, Seat, u64) -> (bool, bool),
    ) {
        let kind = GameKind::parse(B::ID).unwrap();
        let mut rng = seed;
        for game in 0..games {
            let mut s = kind.new_state(u8::from(game % 2 == 1));
            loop {
                rng = rng.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                let at = (rng >> 33) % choices;
                let seat = turn(&s);
                let Ok(o) = kind.apply(&mut s, seat, &json!({ B::KEY: at })) else {
                    continue;
                };
                let expect = match scan(&s, seat, at) {
                    (true, _) => Outcome::Won(seat),
                    (false, true) => Outcome::Draw,
                    (false, false) => Outcome::Ongoing,
                };
                assert_eq!(o, expect);
                if o.is_over() {
                    break;
                }
            }
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
    fn a_deadline_ends_a_turn_based_game_for_the_other_seat() {
        let mut s = T.new_state(1);
        assert_eq!(T.on_deadline(&mut s), Ok(Outcome::Won(0)));
        assert_eq!((&s["timeout"], &s["winner"]), (&json!(true), &json!(0)));
        assert!(T.to_act(&s).is_empty());
        // A fresh state says nothing about a clock.
        assert!(T.new_state(0).get("timeout").is_none());
    }

    #[test]
    fn a_seat_that_leaves_forfeits_to_the_other() {
        let mut s = T.new_state(0);
        T.apply(&mut s, 0, &json!({"cell": 4})).unwrap();
        assert_eq!(T.on_leave(&mut s, 1), Ok(Outcome::Won(0)));
        assert_eq!((&s["forfeit"], &s["winner"]), (&json!(true), &json!(0)));
        assert!(s.get("timeout").is_none() && T.to_act(&s).is_empty());
        // A game already over keeps its result.
        let mut won = json!({"board": [0, 0, 0, 1, 1, null, null, null, null], "turn": 0,
                             "winner": 0, "draw": false, "line": [0, 1, 2]});
        assert_eq!(T.on_leave(&mut won, 0), Ok(Outcome::Won(0)));
        assert!(won.get("forfeit").is_none());
        assert!(T.new_state(0).get("forfeit").is_none());
    }
}
