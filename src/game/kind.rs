//! [`GameKind`]: a game behind a handle that works on JSON state, and [`Games`], the set
//! a server plays.
//!
//! A stored room names its game by id, so reading a room back needs the id → game map
//! without a server at hand: every game registered by any server in this process goes
//! into one append-only process-wide table (the built-ins are always in it). Which games
//! a *server* offers is its own [`Games`]; the table only makes ids readable.

use std::any::TypeId;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::RwLock;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{connect4, play, rps, tictactoe, Game, GameState, MoveError, Outcome, Seat, Viewer};

/// A game with its types erased: state and actions as JSON.
trait DynGame: Send + Sync {
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
    fn hides(&self) -> bool;
    fn normalize(&self, action: &Value) -> Option<Value>;
    fn view(&self, state: &Value, viewer: Viewer) -> Value;
}

/// The result of an applied action.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// The game's outcome after it.
    pub outcome: Outcome,
    /// What the `state` event shows of the action (`None`: `"action":null`).
    pub action: Option<Value>,
}

fn typed<G: Game>(state: &Value) -> Result<G::State, MoveError> {
    G::State::deserialize(state).map_err(|_| MoveError::WrongGame)
}

fn to_json<S: Serialize>(state: &S) -> Result<Value, MoveError> {
    serde_json::to_value(state).map_err(|_| MoveError::WrongGame)
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
        to_json(&Game::initial_state(self, first)).unwrap_or(Value::Null)
    }
    fn apply(
        &self,
        state: &Value,
        seat: Seat,
        action: &Value,
    ) -> Result<(Value, Applied), MoveError> {
        let mut s = typed::<G>(state)?;
        let (outcome, action) = play(self, &mut s, seat, action)?;
        Ok((to_json(&s)?, Applied { outcome, action }))
    }
    fn outcome(&self, state: &Value) -> Outcome {
        typed::<G>(state).map_or(Outcome::Ongoing, |s| Game::outcome(self, &s))
    }
    fn to_act(&self, state: &Value) -> Vec<Seat> {
        typed::<G>(state).map_or_else(|_| Vec::new(), |s| Game::to_act(self, &s))
    }
    fn on_deadline(&self, state: &mut Value) -> Result<Outcome, MoveError> {
        let mut s = typed::<G>(state)?;
        Game::on_deadline(self, &mut s);
        *state = to_json(&s)?;
        Ok(Game::outcome(self, &s))
    }
    fn hides(&self) -> bool {
        Game::hides_information(self)
    }
    fn normalize(&self, action: &Value) -> Option<Value> {
        let a = Game::parse_action(self, action).ok()?;
        Game::public_action(self, &a)
    }
    fn view(&self, state: &Value, viewer: Viewer) -> Value {
        // A state that does not parse shows nothing rather than everything.
        typed::<G>(state).map_or(Value::Null, |s| Game::view(self, &s, viewer))
    }
}

/// A handle on one game. Cheap to copy; compares and serialises as the game's id.
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
        if let Some(k) = Self::ALL.into_iter().find(|k| k.name() == s) {
            return Some(k);
        }
        let table = TABLE.read().unwrap_or_else(|e| e.into_inner());
        table.iter().copied().find(|k| k.name() == s)
    }

    /// Every game known to this process: the built-ins, then registered ones.
    pub fn all() -> Vec<GameKind> {
        let table = TABLE.read().unwrap_or_else(|e| e.into_inner());
        Self::ALL.into_iter().chain(table.iter().copied()).collect()
    }

    /// Seats at the table.
    pub fn seats(self) -> Seat {
        self.0.seats()
    }

    /// A fresh game in which `first` moves first.
    pub fn new_state(self, first: Seat) -> GameState {
        self.0.initial_state(first)
    }

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

    /// The action reduced to what the game reads and shows (`{"cell":N}`), or `None` if
    /// it does not parse or the game keeps it hidden. Events echo this, never the raw
    /// client JSON, so junk keys a client adds are neither published nor stored.
    pub fn normalize_action(self, action: &Value) -> Option<Value> {
        self.0.normalize(action)
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

/// Games registered in this process beyond the built-ins (append-only; each entry is
/// leaked once, so a handle is a plain reference).
static TABLE: RwLock<Vec<GameKind>> = RwLock::new(Vec::new());

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
        return match k.0.game_type() == TypeId::of::<G>() {
            true => Ok(k),
            false => Err(RegisterError::Taken(id.to_string())),
        };
    }
    let kind = GameKind(Box::leak(Box::new(game)));
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
