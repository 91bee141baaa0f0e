//! Registering games: [`Games`], the set one server plays, and the process-wide table
//! that makes every registered id readable.
//!
//! A stored room names its game by id, so reading a room back needs the id → game map
//! without a server at hand: every game registered by any server in this process goes
//! into one append-only table (the built-ins are always known, without it). Which games
//! a *server* offers is its own [`Games`]; the table only makes ids readable.

use std::any::TypeId;
use std::sync::RwLock;

use super::{Game, GameKind};

/// Games registered in this process beyond the built-ins (append-only; each entry is
/// leaked once, so a handle is a plain reference).
static TABLE: RwLock<Vec<GameKind>> = RwLock::new(Vec::new());

/// The registered game with this id, if any (built-ins are not in the table).
pub(super) fn find(id: &str) -> Option<GameKind> {
    let table = TABLE.read().unwrap_or_else(|e| e.into_inner());
    table.iter().copied().find(|k| k.name() == id)
}

/// Every game registered in this process, in registration order.
pub(super) fn registered() -> Vec<GameKind> {
    TABLE.read().unwrap_or_else(|e| e.into_inner()).clone()
}

/// Why a game could not be registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegisterError {
    /// The id is not 1–32 of `a-z 0-9 _ -`.
    #[error("game id {0:?} must be 1-32 characters of a-z, 0-9, '_' or '-'")]
    BadId(String),
    /// Another game type already uses this id.
    #[error("game id {0:?} is taken by another game")]
    Taken(String),
    /// A game needs at least one seat (and at most 16).
    #[error("game {0:?} must have 1 to 16 seats")]
    Seats(String),
}

/// The handle for `game`, adding it to the table unless a game of the same type has
/// this id already.
fn intern<G: Game>(game: G) -> Result<GameKind, RegisterError> {
    let id = game.id();
    let valid = (1..=32).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if !valid {
        return Err(RegisterError::BadId(id.to_string()));
    }
    if !(1..=16).contains(&game.seats()) {
        return Err(RegisterError::Seats(id.to_string()));
    }
    let mut table = TABLE.write().unwrap_or_else(|e| e.into_inner());
    let known = GameKind::ALL.into_iter().chain(table.iter().copied());
    if let Some(k) = known.into_iter().find(|k| k.name() == id) {
        return match k.game_type() == TypeId::of::<G>() {
            true => Ok(k),
            false => Err(RegisterError::Taken(id.to_string())),
        };
    }
    let kind = GameKind::leak(game);
    table.push(kind);
    Ok(kind)
}

/// The games one server plays, in registration order (the order the picker shows).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Games {
    kinds: Vec<GameKind>,
}

impl Games {
    /// No games yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The built-in games: tictactoe, connect4 and rps.
    pub fn builtin() -> Self {
        Games {
            kinds: GameKind::ALL.to_vec(),
        }
    }

    /// Add a game. Registering the same type twice is harmless; another type with a
    /// taken id is refused.
    pub fn register<G: Game>(&mut self, game: G) -> Result<GameKind, RegisterError> {
        let kind = intern(game)?;
        if !self.kinds.contains(&kind) {
            self.kinds.push(kind);
        }
        Ok(kind)
    }

    /// The registered game with this id.
    pub fn get(&self, id: &str) -> Option<GameKind> {
        self.kinds.iter().copied().find(|k| k.name() == id)
    }

    /// Whether `kind` is registered here.
    pub fn contains(&self, kind: GameKind) -> bool {
        self.kinds.contains(&kind)
    }

    /// Every registered game.
    pub fn all(&self) -> &[GameKind] {
        &self.kinds
    }
}

#[cfg(test)]
mod tests {
    use super::super::{tictactoe, MoveError, Outcome, Seat};
    use super::*;
    use serde_json::{json, Value};

    /// A one-seat game for the registry tests.
    struct Solo(&'static str);

    impl Game for Solo {
        type State = u32;
        type Action = ();
        fn id(&self) -> &'static str {
            self.0
        }
        fn seats(&self) -> Seat {
            1
        }
        fn initial_state(&self, _first: Seat) -> u32 {
            0
        }
        fn parse_action(&self, _action: &Value) -> Result<(), MoveError> {
            Ok(())
        }
        fn apply(&self, s: &mut u32, _seat: Seat, _a: &()) -> Result<(), MoveError> {
            *s += 1;
            Ok(())
        }
        fn outcome(&self, s: &u32) -> Outcome {
            if *s >= 3 {
                Outcome::Won(0)
            } else {
                Outcome::Ongoing
            }
        }
        fn public_action(&self, _a: &()) -> Option<Value> {
            None
        }
        fn to_act(&self, _s: &u32) -> Vec<Seat> {
            vec![0]
        }
        fn on_deadline(&self, s: &mut u32) {
            *s = 3;
        }
    }

    #[test]
    fn registration_is_per_server_and_ids_are_checked() {
        let mut games = Games::new();
        let solo = games.register(Solo("solo-test")).unwrap();
        assert_eq!(games.register(Solo("solo-test")), Ok(solo));
        assert_eq!(games.all(), &[solo]);
        assert_eq!(GameKind::parse("solo-test"), Some(solo));
        assert!(Games::builtin().get("solo-test").is_none());
        assert_eq!(
            games.register(tictactoe::TicTacToe),
            Ok(GameKind::Tictactoe)
        );
        for bad in ["", "Solo", "a b", &"x".repeat(33)] {
            let id: &'static str = Box::leak(bad.to_string().into_boxed_str());
            assert_eq!(
                Games::new().register(Solo(id)),
                Err(RegisterError::BadId(bad.to_string()))
            );
        }
        let mut s = solo.new_state(0);
        for _ in 0..3 {
            solo.apply(&mut s, 0, &json!({})).unwrap();
        }
        assert_eq!(solo.apply(&mut s, 0, &json!({})), Err(MoveError::GameOver));
    }
}
