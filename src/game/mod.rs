//! Games: the public trait a game implements, and the built-in games.
//!
//! A game is a type implementing [`Game`]: its id, seat count, initial state, how an
//! action is parsed, checked and applied for a seat, the outcome, what each viewer may
//! see ([`Game::view`]) and who must act by the turn clock's deadline
//! ([`Game::to_act`], [`Game::on_deadline`]). A server plays the games registered on it
//! (see [`Games`]); the built-in ones ([`tictactoe`], [`connect4`], [`rps`]) are
//! registered by the binary through the same API a studio uses.
//!
//! The room service never sees a game's types: it holds a [`GameKind`], a cheap handle
//! that works on the state as JSON (the form the store keeps), so games of every type
//! live side by side in one store.

pub mod connect4;
mod kind;
pub mod rps;
#[cfg(test)]
mod tests;
pub mod tictactoe;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

pub use kind::{Applied, GameKind, Games, RegisterError};

/// A seat index at the table (0 for the first seat).
pub type Seat = u8;

/// A game's full state as stored: the JSON of the game's own [`Game::State`].
pub type GameState = Value;

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
}

/// Result of a game so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Moves are still possible.
    Ongoing,
    /// The given seat won.
    Won(Seat),
    /// Nobody won.
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
    /// The stored state does not belong to this game.
    #[error("state does not belong to this game")]
    WrongGame,
}

/// Runs a move in the contract's order: game over, then [`Game::may_act`], then the
/// action's shape, then the game's own rules. Returns the outcome and the public action.
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

/// The per-game part of the two built-in turn-based games; [`turn_based`] adapts it.
pub(crate) trait Rules {
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

/// Implements [`Game`] for a turn-based built-in from its [`Rules`]: one seat acts at a
/// time, and when its deadline passes the other seat wins (`"timeout":true`).
macro_rules! turn_based {
    ($ty:ty, $id:literal, $key:literal, $field:ident) => {
        impl $crate::game::Game for $ty {
            type State = State;
            type Action = Action;

            fn id(&self) -> &'static str {
                $id
            }

            fn seats(&self) -> Seat {
                <Self as Rules>::SEATS
            }

            fn initial_state(&self, first: Seat) -> State {
                <Self as Rules>::new_state(first)
            }

            fn may_act(&self, s: &State, seat: Seat) -> Result<(), MoveError> {
                match <Self as Rules>::turn(s) {
                    turn if turn == seat => Ok(()),
                    turn => Err(MoveError::NotYourTurn(turn)),
                }
            }

            fn parse_action(&self, action: &Value) -> Result<Action, MoveError> {
                <Self as Rules>::parse_action(action)
            }

            fn apply(&self, s: &mut State, seat: Seat, a: &Action) -> Result<(), MoveError> {
                <Self as Rules>::apply(s, seat, *a).map(|_| ())
            }

            fn outcome(&self, s: &State) -> Outcome {
                <Self as Rules>::outcome(s)
            }

            fn public_action(&self, a: &Action) -> Option<Value> {
                Some(serde_json::json!({ $key: a.$field }))
            }

            fn to_act(&self, s: &State) -> Vec<Seat> {
                match <Self as Rules>::outcome(s) {
                    Outcome::Ongoing => vec![<Self as Rules>::turn(s)],
                    _ => Vec::new(),
                }
            }

            fn on_deadline(&self, s: &mut State) {
                if !<Self as Rules>::outcome(s).is_over() {
                    s.winner = Some(other(<Self as Rules>::turn(s)));
                    s.timeout = true;
                }
            }
        }
    };
}
pub(crate) use turn_based;

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

/// Reads the outcome from the `winner` / `draw` fields every built-in state carries.
fn outcome_of(winner: Option<Seat>, draw: bool) -> Outcome {
    match (winner, draw) {
        (Some(seat), _) => Outcome::Won(seat),
        (None, true) => Outcome::Draw,
        (None, false) => Outcome::Ongoing,
    }
}

/// Flips between the two seats; every built-in game has exactly two.
fn other(seat: Seat) -> Seat {
    1 - (seat & 1)
}

/// `skip_serializing_if` for flags that appear only when set (`"timeout":true`).
fn is_false(b: &bool) -> bool {
    !*b
}
