//! A game with its types erased: the rules of any [`Game`] working on JSON state, so the
//! handle that holds it ([`GameKind`](super::GameKind)) is one type for every game.
//!
//! The state goes through serde on every call. A state that will not decode as the
//! game's own type (or a game state that will not encode) is a bug or a corrupt store,
//! never a player's doing. A move, a deadline or a forfeit on it is refused with
//! [`MoveError::WrongGame`], which a client only ever sees as a bare `internal`, so the
//! serde cause is logged here, where it is still at hand. The read-only calls (the
//! outcome, who is to act, a viewer's view) answer such a state with a harmless default
//! instead.

use std::any::TypeId;

use schemars::{Schema, SchemaGenerator};
use serde::Deserialize;
use serde_json::Value;

use super::{play, Game, MoveError, Outcome, Seat, Viewer};
use crate::error::Chain;

/// A game with its types erased: state and actions as JSON.
pub(super) trait DynGame: Send + Sync {
    fn id(&self) -> &'static str;
    fn seats(&self) -> Seat;
    fn game_type(&self) -> TypeId;
    fn initial_state(&self, first: Seat) -> Value;
    fn apply(
        &self,
        state: &Value,
        seat: Seat,
        action: &Value,
    ) -> Result<(Value, Applied), MoveError>;
    fn outcome(&self, state: &Value) -> Outcome;
    fn to_act(&self, state: &Value) -> Vec<Seat>;
    fn on_deadline(&self, state: &mut Value) -> Result<Outcome, MoveError>;
    fn on_leave(&self, state: &mut Value, seat: Seat) -> Result<Outcome, MoveError>;
    fn hides(&self) -> bool;
    #[cfg(any(test, feature = "internals"))]
    fn normalize(&self, action: &Value) -> Option<Value>;
    fn view(&self, state: &Value, viewer: Viewer) -> Value;
    fn schemas(&self, generator: &mut SchemaGenerator) -> [Option<Schema>; 2];
}

/// What an accepted action did, as
/// [`GameKind::apply_action`](super::GameKind::apply_action) reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// The game's outcome after it.
    pub outcome: Outcome,
    /// What the `state` event shows of the action (`None`: `"action":null`).
    pub action: Option<Value>,
}

/// A game's state that serde could not carry between JSON and the game's own type.
#[derive(Debug, thiserror::Error)]
enum StateError {
    /// The stored JSON is not a state of this game.
    #[error("stored state is not a {game} state")]
    Decode {
        game: &'static str,
        #[source]
        source: serde_json::Error,
    },
    /// The game's state does not serialise as JSON (a bug in the game's types).
    #[error("{game} state does not encode as JSON")]
    Encode {
        game: &'static str,
        #[source]
        source: serde_json::Error,
    },
}

/// The stored state as `game`'s own type.
fn decode<G: Game>(game: &G, state: &Value) -> Result<G::State, StateError> {
    G::State::deserialize(state).map_err(|source| StateError::Decode {
        game: game.id(),
        source,
    })
}

/// `game`'s state as stored.
fn encode<G: Game>(game: &G, state: &G::State) -> Result<Value, StateError> {
    serde_json::to_value(state).map_err(|source| StateError::Encode {
        game: game.id(),
        source,
    })
}

/// Refuses a call on an unusable state. The room layer answers the
/// [`MoveError::WrongGame`] with a bare `internal` and does not log it, so this is the
/// one place the cause is recorded.
fn wrong_game(err: StateError) -> MoveError {
    log_unusable(&err);
    MoveError::WrongGame
}

/// Logs `err` with the serde error under it.
fn log_unusable(err: &StateError) {
    tracing::error!(error = %Chain(err), "game state unusable");
}

impl<G: Game> DynGame for G {
    fn id(&self) -> &'static str {
        Game::id(self)
    }
    fn seats(&self) -> Seat {
        Game::seats(self)
    }
    fn game_type(&self) -> TypeId {
        TypeId::of::<G>()
    }
    fn initial_state(&self, first: Seat) -> Value {
        // Null refuses every later move as `WrongGame`: only here is the cause known.
        encode(self, &Game::initial_state(self, first)).unwrap_or_else(|e| {
            log_unusable(&e);
            Value::Null
        })
    }
    fn apply(
        &self,
        state: &Value,
        seat: Seat,
        action: &Value,
    ) -> Result<(Value, Applied), MoveError> {
        let mut s = decode(self, state).map_err(wrong_game)?;
        let (outcome, action) = play(self, &mut s, seat, action)?;
        let next = encode(self, &s).map_err(wrong_game)?;
        Ok((next, Applied { outcome, action }))
    }
    fn outcome(&self, state: &Value) -> Outcome {
        decode(self, state).map_or(Outcome::Ongoing, |s| Game::outcome(self, &s))
    }
    fn to_act(&self, state: &Value) -> Vec<Seat> {
        decode(self, state).map_or_else(|_| Vec::new(), |s| Game::to_act(self, &s))
    }
    fn on_deadline(&self, state: &mut Value) -> Result<Outcome, MoveError> {
        let mut s = decode(self, state).map_err(wrong_game)?;
        Game::on_deadline(self, &mut s);
        *state = encode(self, &s).map_err(wrong_game)?;
        Ok(Game::outcome(self, &s))
    }
    fn on_leave(&self, state: &mut Value, seat: Seat) -> Result<Outcome, MoveError> {
        let mut s = decode(self, state).map_err(wrong_game)?;
        let outcome = Game::on_leave(self, &mut s, seat);
        *state = encode(self, &s).map_err(wrong_game)?;
        Ok(outcome)
    }
    fn hides(&self) -> bool {
        Game::hides_information(self)
    }
    #[cfg(any(test, feature = "internals"))]
    fn normalize(&self, action: &Value) -> Option<Value> {
        let a = Game::parse_action(self, action).ok()?;
        Game::public_action(self, &a)
    }
    fn view(&self, state: &Value, viewer: Viewer) -> Value {
        // A state that does not parse shows nothing rather than everything.
        decode(self, state).map_or(Value::Null, |s| Game::view(self, &s, viewer))
    }
    fn schemas(&self, generator: &mut SchemaGenerator) -> [Option<Schema>; 2] {
        let state = Game::state_schema(self, generator);
        [state, Game::action_schema(self, generator)]
    }
}

#[cfg(test)]
mod tests {
    use super::super::tictactoe;
    use super::*;
    use serde_json::json;
    use std::error::Error;

    #[test]
    fn an_unusable_state_keeps_the_serde_error_as_its_source() {
        let err = decode(&tictactoe::TicTacToe, &json!({"turn": 0})).unwrap_err();
        let source = err
            .source()
            .and_then(|e| e.downcast_ref::<serde_json::Error>());
        let source = source.map(ToString::to_string).unwrap_or_default();
        assert_eq!(source, "missing field `board`");
        let text = Chain(&err).to_string();
        assert_eq!(
            text,
            "stored state is not a tictactoe state: missing field `board`"
        );
    }
}
