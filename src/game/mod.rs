//! Games: the trait a game implements, the types it uses, and the built-in games.
//!
//! A game is a type implementing [`Game`]: its id, seat count, initial state, how an
//! action is parsed, checked and applied for a seat, the outcome, what each viewer may
//! see ([`Game::view`]), who must act by the turn clock's deadline
//! ([`Game::to_act`], [`Game::on_deadline`]) and who wins when a seat leaves mid-game
//! ([`Game::on_leave`]), and optionally the JSON Schemas of its
//! state and action for the server's protocol document ([`Game::state_schema`],
//! [`Game::action_schema`]). A server plays the built-in games
//! ([`tictactoe`], [`connect4`], [`rps`]) and those registered with
//! [`ServerBuilder::game`](crate::ServerBuilder::game).
//!
//! Inside the crate, the room service never sees a game's types: it holds a `GameKind`, a
//! cheap handle that works on the state as JSON (the form the store keeps), so games of
//! every type live side by side in one store.

pub mod connect4;
mod erased;
mod kind;
mod outcome;
mod registry;
pub mod rps;
mod schema;
pub mod tictactoe;
mod turns;

use schemars::{Schema, SchemaGenerator};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

pub use outcome::Outcome;
use outcome::{default_forfeit, is_false, outcome_of};
pub use registry::RegisterError;
pub use turns::TurnState;

// How the rest of the crate holds games: behind a handle working on JSON state, in the
// set a server plays. Not part of the public API; the `internals` feature shows them to
// the crate's own tests, benches and fuzz targets.
#[cfg(feature = "internals")]
#[doc(hidden)]
pub use erased::Applied;
#[cfg(not(feature = "internals"))]
pub(crate) use kind::GameKind;
#[cfg(feature = "internals")]
#[doc(hidden)]
pub use kind::GameKind;
#[cfg(feature = "internals")]
#[doc(hidden)]
pub use registry::Games;
#[cfg(not(feature = "internals"))]
pub(crate) use registry::Games;
// Where game states and actions stand in the protocol's schema document, for the wire
// types (`model`, `protocol`) that carry them.
#[cfg(feature = "internals")]
#[doc(hidden)]
pub use schema::{action_or_null, state_ref, ACTION, STATE};
#[cfg(not(feature = "internals"))]
pub(crate) use schema::{action_or_null, state_ref, ACTION, STATE};

/// A seat index at the table (0 for the first seat).
pub type Seat = u8;

/// A game's full state as stored: the JSON of the game's own [`Game::State`].
#[cfg(feature = "internals")]
#[doc(hidden)]
pub type GameState = Value;
/// A game's full state as stored: the JSON of the game's own [`Game::State`].
#[cfg(not(feature = "internals"))]
pub(crate) type GameState = Value;

/// Who is looking at a game's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    /// The player in this seat.
    Seat(Seat),
    /// Someone watching without a seat.
    Spectator,
}

/// The rules of one game.
///
/// Rules must be deterministic: the same state and action give the same result on every
/// node, so no clocks, no randomness and no process-local data in `apply` or
/// `on_deadline` (a room's change may be computed again after a conflict, on any node).
/// A game that hides information says so in [`Game::hides_information`] and filters it
/// out in [`Game::view`]; the full state is only ever sent to operators.
///
/// A server checks every move in the same order (see [`play`]): a finished game refuses
/// it ([`MoveError::GameOver`]), then [`Game::may_act`], [`Game::parse_action`] and
/// [`Game::apply`] each may.
///
/// # Example
///
/// Two seats take turns adding 1 or 2 to a count; whoever brings it to 10 wins, and a
/// seat that lets its turn clock run out loses:
///
/// ```
/// use parlor::game::{Game, Games, MoveError, Outcome, Seat};
/// use serde::{Deserialize, Serialize};
/// use serde_json::{json, Value};
///
/// struct Ten;
///
/// #[derive(Serialize, Deserialize)]
/// struct Count {
///     total: u8,
///     turn: Seat,
///     winner: Option<Seat>,
/// }
///
/// impl Game for Ten {
///     type State = Count;
///     type Action = u8; // how much to add
///
///     fn id(&self) -> &'static str {
///         "ten"
///     }
///     fn seats(&self) -> Seat {
///         2
///     }
///     fn initial_state(&self, first: Seat) -> Count {
///         Count { total: 0, turn: first, winner: None }
///     }
///     fn may_act(&self, s: &Count, seat: Seat) -> Result<(), MoveError> {
///         match s.turn == seat {
///             true => Ok(()),
///             false => Err(MoveError::NotYourTurn(s.turn)),
///         }
///     }
///     fn parse_action(&self, action: &Value) -> Result<u8, MoveError> {
///         match action.get("add").and_then(Value::as_u64) {
///             Some(1) => Ok(1),
///             Some(2) => Ok(2),
///             _ => Err(MoveError::Illegal("action must be {\"add\": 1 or 2}".into())),
///         }
///     }
///     fn apply(&self, s: &mut Count, seat: Seat, add: &u8) -> Result<(), MoveError> {
///         s.total += add;
///         match s.total >= 10 {
///             true => s.winner = Some(seat),
///             false => s.turn = 1 - seat,
///         }
///         Ok(())
///     }
///     fn outcome(&self, s: &Count) -> Outcome {
///         s.winner.map_or(Outcome::Ongoing, Outcome::Won)
///     }
///     fn public_action(&self, add: &u8) -> Option<Value> {
///         Some(json!({ "add": add }))
///     }
///     fn to_act(&self, s: &Count) -> Vec<Seat> {
///         match s.winner {
///             None => vec![s.turn],
///             Some(_) => Vec::new(),
///         }
///     }
///     fn on_deadline(&self, s: &mut Count) {
///         s.winner = Some(1 - s.turn);
///     }
/// }
///
/// // A server plays it once registered (`ServerBuilder::game` does this).
/// let ten = Games::new().register(Ten)?;
/// let mut state = ten.new_state(0);
/// assert_eq!(ten.apply(&mut state, 0, &json!({"add": 2})), Ok(Outcome::Ongoing));
/// assert_eq!(ten.apply(&mut state, 0, &json!({"add": 2})), Err(MoveError::NotYourTurn(1)));
/// assert!(matches!(ten.apply(&mut state, 1, &json!({"add": 3})), Err(MoveError::Illegal(_))));
/// # Ok::<(), parlor::game::RegisterError>(())
/// ```
pub trait Game: Send + Sync + 'static {
    /// The state as stored (the REST snapshot shows this, in full).
    type State: Serialize + DeserializeOwned + Send;
    /// A parsed, shape-checked client action.
    type Action;

    /// The wire id (`"tictactoe"`): lowercase letters, digits, `_` or `-`.
    fn id(&self) -> &'static str;

    /// Seats at the table; the game starts when all are taken.
    fn seats(&self) -> Seat;

    /// A fresh game; `first` alternates between rematches (seat 0 first, then 1, …).
    fn initial_state(&self, first: Seat) -> Self::State;

    /// Whether `seat` may act now at all (turn order); checked before the action is
    /// parsed. The game is known not to be over.
    fn may_act(&self, state: &Self::State, seat: Seat) -> Result<(), MoveError> {
        let _ = (state, seat);
        Ok(())
    }

    /// Parse raw client JSON. Never panics; a bad shape is [`MoveError::Illegal`].
    fn parse_action(&self, action: &Value) -> Result<Self::Action, MoveError>;

    /// Apply a parsed action for `seat`. Leaves the state unchanged on error.
    fn apply(
        &self,
        state: &mut Self::State,
        seat: Seat,
        action: &Self::Action,
    ) -> Result<(), MoveError>;

    /// Won, drawn or still going.
    fn outcome(&self, state: &Self::State) -> Outcome;

    /// The action as the `state` event shows it to everyone, or `None` where it would
    /// reveal something (rps). Only the fields the game reads: never the raw client JSON.
    fn public_action(&self, action: &Self::Action) -> Option<Value>;

    /// Seats that must act now (the turn clock's deadline applies to them). Empty when
    /// the game is over.
    fn to_act(&self, state: &Self::State) -> Vec<Seat>;

    /// The deadline passed with `to_act` still owing a move: apply the game's penalty.
    fn on_deadline(&self, state: &mut Self::State);

    /// The player in `seat` left (or was kicked) while the game was on: end the game and
    /// return its result, which the room records as `finished`. The default, for two
    /// seats, has the other seat win: it sets the state's `winner` field, and a
    /// `forfeit` flag where the state takes one (see the built-ins' `"forfeit":true`).
    /// [`Outcome::Ongoing`] (the default for more seats) puts the room back to waiting
    /// with a fresh game instead.
    fn on_leave(&self, state: &mut Self::State, seat: Seat) -> Outcome {
        default_forfeit(state, self.seats(), seat)
    }

    /// True if some viewers may not see the whole state; only then is the state
    /// rendered per viewer.
    fn hides_information(&self) -> bool {
        false
    }

    /// The state as `viewer` may see it. Must not reveal anything the viewer may not
    /// know; called only when [`Game::hides_information`] is true.
    fn view(&self, state: &Self::State, viewer: Viewer) -> Value {
        let _ = viewer;
        serde_json::to_value(state).unwrap_or(Value::Null)
    }

    /// The JSON Schema of the state as players see it: [`Game::State`], or what
    /// [`Game::view`] returns where the game hides information. The server's protocol
    /// document (`/api/v1/protocol.json`) shows it; `None`, the default, shows any JSON.
    /// Named subschemas go to the document's definitions through `generator`, e.g.
    /// `Some(generator.subschema_for::<MyState>())` for a type deriving
    /// `schemars::JsonSchema` (schemars 1).
    fn state_schema(&self, generator: &mut SchemaGenerator) -> Option<Schema> {
        let _ = generator;
        None
    }

    /// The JSON Schema of an action, as [`Game::parse_action`] reads it and
    /// [`Game::public_action`] shows it; `None`, the default, shows any JSON.
    fn action_schema(&self, generator: &mut SchemaGenerator) -> Option<Schema> {
        let _ = generator;
        None
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
    /// The stored state does not belong to this game.
    #[error("state does not belong to this game")]
    WrongGame,
}

/// Runs a move in the contract's order: game over, then [`Game::may_act`], then the
/// action's shape, then the game's own rules. Returns the outcome and the public action.
/// A server plays every move through this; a studio can call it to test its rules on
/// its own state type.
pub fn play<G: Game>(
    game: &G,
    state: &mut G::State,
    seat: Seat,
    action: &Value,
) -> Result<(Outcome, Option<Value>), MoveError> {
    if game.outcome(state).is_over() {
        return Err(MoveError::GameOver);
    }
    game.may_act(state, seat)?;
    let a = game.parse_action(action)?;
    game.apply(state, seat, &a)?;
    Ok((game.outcome(state), game.public_action(&a)))
}

#[cfg(test)]
mod tests {
    use super::turns::tests::play;
    use super::*;
    use serde_json::json;

    const T: GameKind = GameKind::Tictactoe;
    const C4: GameKind = GameKind::Connect4;

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
        let mut s = json!({"board": [0, 0, 0, 1, 1, null, null, null, null], "turn": 0,
                           "winner": 0, "draw": false, "line": [0, 1, 2]});
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
    fn malformed_actions_are_refused_and_change_nothing() {
        // Each game one move in, so a refusal that changed anything would show.
        #[rustfmt::skip]
        let games = [
            (T, play::<tictactoe::TicTacToe>(0, [4]).0, 1, "cell", 8, json!({"column": 3}),
             [json!(9), json!(-1), json!("3"), json!(3.5), json!(null), json!({})],
             [json!([3]), json!("3"), json!(null)]),
            (C4, play::<connect4::Connect4>(0, [3; 6]).0, 0, "column", 6, json!({"cell": 2}),
             [json!(7), json!(-1), json!("2"), json!(2.0), json!([2]), json!(null)],
             [json!(2), json!([2]), json!(null)]),
        ];
        for (kind, mut s, seat, key, max, wrong_key, out_of_range, not_objects) in games {
            let before = s.clone();
            let range = format!("{key} must be an integer from 0 to {max}");
            let missing = format!("action is missing \"{key}\"");
            let shape = format!("action must be an object like {{\"{key}\": 0}}");
            let ranges = out_of_range.map(|v| (json!({ key: v }), range.clone()));
            let missing = [(wrong_key, missing.clone()), (json!({}), missing)];
            let shapes = not_objects.map(|action| (action, shape.clone()));
            for (action, msg) in ranges.into_iter().chain(missing).chain(shapes) {
                let r = kind.apply(&mut s, seat, &action);
                assert_eq!(r, Err(MoveError::Illegal(msg)), "{action}");
                assert_eq!(s, before);
            }
        }
    }
}
