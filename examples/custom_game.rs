//! A studio's own game on a Parlor server built as a library: Nim.
//!
//! A pile of 15 stones; the two seats take turns removing 1, 2 or 3; whoever takes the
//! last stone wins. With a turn clock, the seat that stalls loses.
//!
//! Run it: `cargo run --example custom_game` (listens on 127.0.0.1:8765, memory store; set
//! `PARLOR_LISTEN` / `PARLOR_REDIS_URL` as for the `parlor` binary), then open
//! <http://127.0.0.1:8765/> and pick "nim", or send
//! `{"type":"create_room","game":"nim","name":"ada"}` over `/ws`.

use parlor::game::tictactoe::TicTacToe;
use parlor::game::{Game, MoveError, Outcome, Seat};
use parlor::{Config, Server, StartError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Stones on the pile at the start.
const PILE: u32 = 15;
/// Most stones one move may take.
const MAX_TAKE: u32 = 3;

/// Nim's state: everything is public, so every viewer sees all of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NimState {
    /// Stones left.
    pub pile: u32,
    /// Seat to move.
    pub turn: Seat,
    /// Winner, once the pile is empty (or a clock ran out).
    pub winner: Option<Seat>,
    /// True if the game ended on the clock.
    #[serde(default)]
    pub timeout: bool,
}

/// The game: a unit struct, since the rules need no configuration.
pub struct Nim;

impl Game for Nim {
    type State = NimState;
    /// How many stones to take.
    type Action = u32;

    fn id(&self) -> &'static str {
        "nim"
    }

    fn seats(&self) -> Seat {
        2
    }

    fn initial_state(&self, first: Seat) -> NimState {
        NimState {
            pile: PILE,
            turn: first,
            winner: None,
            timeout: false,
        }
    }

    fn may_act(&self, s: &NimState, seat: Seat) -> Result<(), MoveError> {
        if seat == s.turn {
            Ok(())
        } else {
            Err(MoveError::NotYourTurn(s.turn))
        }
    }

    fn parse_action(&self, action: &Value) -> Result<u32, MoveError> {
        action
            .get("take")
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| (1..=MAX_TAKE).contains(n))
            .ok_or_else(|| MoveError::Illegal("action must be {\"take\": 1..3}".into()))
    }

    fn apply(&self, s: &mut NimState, seat: Seat, take: &u32) -> Result<(), MoveError> {
        if *take > s.pile {
            return Err(MoveError::Illegal(format!("only {} left", s.pile)));
        }
        s.pile -= take;
        if s.pile == 0 {
            s.winner = Some(seat);
        } else {
            s.turn = 1 - seat;
        }
        Ok(())
    }

    fn outcome(&self, s: &NimState) -> Outcome {
        s.winner.map_or(Outcome::Ongoing, Outcome::Won)
    }

    fn public_action(&self, take: &u32) -> Option<Value> {
        Some(json!({ "take": take }))
    }

    fn to_act(&self, s: &NimState) -> Vec<Seat> {
        match s.winner {
            None => vec![s.turn],
            Some(_) => Vec::new(),
        }
    }

    fn on_deadline(&self, s: &mut NimState) {
        s.winner = Some(1 - s.turn);
        s.timeout = true;
    }
}

/// A server playing Nim beside tic-tac-toe (and none of the other built-in games).
pub async fn server(cfg: Config) -> Result<Server, StartError> {
    Server::builder(cfg)
        .without_builtin_games()
        .game(Nim)
        .game(TicTacToe)
        .build()
        .await
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut cfg = Config::defaults();
    if let Ok(listen) = std::env::var("PARLOR_LISTEN") {
        cfg.listen = listen.parse()?;
    }
    cfg.redis_url = std::env::var("PARLOR_REDIS_URL").ok();
    let listener = tokio::net::TcpListener::bind(cfg.listen).await?;
    println!("nim and tictactoe on http://{}/", listener.local_addr()?);
    let stop = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    server(cfg).await?.run(listener, stop).await?;
    Ok(())
}
