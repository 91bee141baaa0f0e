//! [`GameKind`]: a game behind a handle that works on JSON state, so the room service
//! and the store hold games of every type alike. The game itself sits behind it with its
//! types erased (`erased`); that is where a state serde cannot carry is dealt with.

use std::any::TypeId;
use std::fmt;
use std::hash::{Hash, Hasher};

use schemars::{Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::erased::{Applied, DynGame};
use super::{connect4, registry, rps, tictactoe};
use super::{Game, GameState, MoveError, Outcome, Seat, Viewer};

/// A handle on one game, as the room service and the store hold it: the game's rules
/// working on JSON state ([`GameState`]) whatever the game's own types are. Cheap to
/// copy; compares and serialises as the game's id. [`Games::register`](super::Games::register)
/// returns the handle of a game it adds.
#[derive(Clone, Copy)]
pub struct GameKind(&'static dyn DynGame);

#[allow(non_upper_case_globals)] // named like the enum variants they replace
impl GameKind {
    /// Tic-tac-toe.
    pub const Tictactoe: GameKind = GameKind(&tictactoe::TicTacToe);
    /// Connect four.
    pub const Connect4: GameKind = GameKind(&connect4::Connect4);
    /// Rock-paper-scissors, best of three, hidden simultaneous choices.
    pub const Rps: GameKind = GameKind(&rps::Rps);
    /// The built-in games.
    pub const ALL: [GameKind; 3] = [GameKind::Tictactoe, GameKind::Connect4, GameKind::Rps];

    /// The wire id.
    pub fn name(self) -> &'static str {
        self.0.id()
    }

    /// The game with this id, among every game known to this process.
    pub fn parse(s: &str) -> Option<GameKind> {
        let builtin = Self::ALL.into_iter().find(|k| k.name() == s);
        builtin.or_else(|| registry::find(s))
    }

    /// Every game known to this process: the built-ins, then registered ones.
    pub fn all() -> Vec<GameKind> {
        let registered = registry::registered();
        Self::ALL.into_iter().chain(registered).collect()
    }

    /// A handle on `game` for the process-wide table; called once per registered id.
    pub(super) fn leak<G: Game>(game: G) -> GameKind {
        GameKind(Box::leak(Box::new(game)))
    }

    /// The Rust type of the game behind the handle, telling two games with one id apart.
    pub(super) fn game_type(self) -> TypeId {
        self.0.game_type()
    }

    /// Seats at the table.
    pub fn seats(self) -> Seat {
        self.0.seats()
    }

    /// A fresh game in which `first` moves first.
    pub fn new_state(self, first: Seat) -> GameState {
        self.0.initial_state(first)
    }

    #[cfg(any(test, feature = "internals"))]
    /// Validate and apply `action` (raw client JSON) for `seat`. On error `state` is
    /// untouched.
    pub fn apply(
        self,
        state: &mut GameState,
        seat: Seat,
        action: &Value,
    ) -> Result<Outcome, MoveError> {
        self.apply_action(state, seat, action).map(|a| a.outcome)
    }

    #[cfg(any(test, feature = "internals"))]
    /// Like [`GameKind::apply`], also returning the action as events may show it.
    pub fn apply_action(
        self,
        state: &mut GameState,
        seat: Seat,
        action: &Value,
    ) -> Result<Applied, MoveError> {
        let (next, applied) = self.0.apply(state, seat, action)?;
        *state = next;
        Ok(applied)
    }

    /// Like [`GameKind::apply_action`], leaving `state` as it is and returning the state
    /// after the action.
    pub fn play(
        self,
        state: &GameState,
        seat: Seat,
        action: &Value,
    ) -> Result<(GameState, Applied), MoveError> {
        self.0.apply(state, seat, action)
    }

    /// The outcome of a stored state.
    pub fn outcome(self, state: &GameState) -> Outcome {
        self.0.outcome(state)
    }

    /// Seats whose move the turn clock waits for.
    pub fn to_act(self, state: &GameState) -> Vec<Seat> {
        self.0.to_act(state)
    }

    /// Apply the game's penalty for a passed deadline.
    pub fn on_deadline(self, state: &mut GameState) -> Result<Outcome, MoveError> {
        self.0.on_deadline(state)
    }

    #[cfg(any(test, feature = "internals"))]
    /// The action reduced to what the game reads and shows (`{"cell":N}`), or `None` if
    /// it does not parse or the game keeps it hidden. Events echo this, never the raw
    /// client JSON, so junk keys a client adds are neither published nor stored.
    pub fn normalize_action(self, action: &Value) -> Option<Value> {
        self.0.normalize(action)
    }

    /// End the game because the player in `seat` left it; the result the room records.
    pub fn on_leave(self, state: &mut GameState, seat: Seat) -> Result<Outcome, MoveError> {
        self.0.on_leave(state, seat)
    }

    /// Whether the state must be rendered per viewer.
    pub fn hides_information(self) -> bool {
        self.0.hides()
    }

    /// The state as `viewer` may see it (the full state for games that hide nothing).
    pub fn view(self, state: &GameState, viewer: Viewer) -> GameState {
        if self.0.hides() {
            self.0.view(state, viewer)
        } else {
            state.clone()
        }
    }

    /// The JSON Schemas of the game's state as players see it and of its action, as the
    /// game gives them ([`Game::state_schema`](super::Game::state_schema),
    /// [`Game::action_schema`](super::Game::action_schema)); `None` where it gives none.
    pub fn schemas(self, generator: &mut SchemaGenerator) -> [Option<Schema>; 2] {
        self.0.schemas(generator)
    }
}

impl PartialEq for GameKind {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
    }
}

impl Eq for GameKind {}

impl Hash for GameKind {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name().hash(state);
    }
}

impl fmt::Debug for GameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GameKind({})", self.name())
    }
}

impl Serialize for GameKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for GameKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let id = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        GameKind::parse(&id).ok_or_else(|| serde::de::Error::custom(format!("unknown game {id:?}")))
    }
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
            assert_eq!((back, k.seats()), (k, 2));
        }
        for bad in ["TicTacToe", "Connect4", "connect-4", " tictactoe", ""] {
            assert_eq!(GameKind::parse(bad), None, "{bad:?}");
            assert!(serde_json::from_value::<GameKind>(json!(bad)).is_err());
        }
    }

    #[test]
    fn new_state_sets_first_mover_and_is_ongoing() {
        for k in [GameKind::Tictactoe, GameKind::Connect4] {
            for first in [0, 1] {
                let s = k.new_state(first);
                assert_eq!(
                    (k.to_act(&s), k.outcome(&s)),
                    (vec![first], Outcome::Ongoing)
                );
            }
        }
        let s = GameKind::Rps.new_state(1);
        assert_eq!(GameKind::Rps.to_act(&s), vec![0, 1]);
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
    fn normalized_actions_keep_only_the_move() {
        let junk = json!({"cell": 4, "junk": "x".repeat(10_000), "column": 1});
        assert_eq!(T.normalize_action(&junk), Some(json!({"cell": 4})));
        let c4 = GameKind::Connect4;
        assert_eq!(c4.normalize_action(&junk), Some(json!({"column": 1})));
        assert_eq!(c4.normalize_action(&json!({"column": 7})), None);
        assert_eq!(T.normalize_action(&json!("junk")), None);
        // rps never shows a choice in an event.
        let choice = json!({"choice": "rock"});
        assert_eq!(GameKind::Rps.normalize_action(&choice), None);
    }
}
