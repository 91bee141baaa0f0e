//! The two games' boards as the wire carries them, and a random legal move for each.
//!
//! The server is authoritative; the tester only needs the free cells (tic-tac-toe) or
//! the columns whose top row is free (connect four) to pick a move that should be legal.

use rand::seq::IteratorRandom;
use rand::Rng;
use serde::de::DeserializeOwned;
use serde::Deserialize;

/// Which game a room plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GameKind {
    /// `tictactoe`: 9 cells, action `{"cell":0..8}`.
    Tictactoe,
    /// `connect4`: 6 rows × 7 columns, row 0 on top, action `{"column":0..6}`.
    Connect4,
}

impl GameKind {
    /// The game's name in `create_room`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Tictactoe => "tictactoe",
            Self::Connect4 => "connect4",
        }
    }
}

/// A board as found in `state.board`, able to pick a random legal move.
pub trait Board: DeserializeOwned + Send + 'static {
    /// A uniformly random legal move, as the JSON of the `action` object, or `None`
    /// when the board is full.
    fn random_action<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<String>;
}

/// A tic-tac-toe board: 9 cells, each `null` or a seat.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct TicTacToeBoard(Vec<Option<u8>>);

impl Board for TicTacToeBoard {
    fn random_action<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<String> {
        let free = self.0.iter().enumerate().filter(|(_, cell)| cell.is_none());
        free.choose(rng)
            .map(|(cell, _)| format!(r#"{{"cell":{cell}}}"#))
    }
}

/// A connect-four board: rows of cells, row 0 on top.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct ConnectFourBoard(Vec<Vec<Option<u8>>>);

impl Board for ConnectFourBoard {
    fn random_action<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<String> {
        let top = self.0.first()?;
        let open = top.iter().enumerate().filter(|(_, cell)| cell.is_none());
        open.choose(rng)
            .map(|(column, _)| format!(r#"{{"column":{column}}}"#))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::SeedableRng;

    #[test]
    fn tictactoe_picks_only_free_cells() {
        let board: TicTacToeBoard = serde_json::from_str("[0,1,0,1,null,0,1,0,1]").unwrap();
        let mut rng = SmallRng::seed_from_u64(7);
        for _ in 0..20 {
            assert_eq!(
                board.random_action(&mut rng).as_deref(),
                Some(r#"{"cell":4}"#)
            );
        }
        let full: TicTacToeBoard = serde_json::from_str("[0,1,0,1,0,0,1,0,1]").unwrap();
        assert_eq!(full.random_action(&mut rng), None);
    }

    #[test]
    fn connect4_picks_only_open_columns() {
        let mut rows = vec![vec![Some(0u8); 7]; 6];
        rows[0][5] = None;
        let board: ConnectFourBoard =
            serde_json::from_str(&serde_json::to_string(&rows).unwrap()).unwrap();
        let mut rng = SmallRng::seed_from_u64(7);
        assert_eq!(
            board.random_action(&mut rng).as_deref(),
            Some(r#"{"column":5}"#)
        );
        let empty: ConnectFourBoard = serde_json::from_str("[]").unwrap();
        assert_eq!(empty.random_action(&mut rng), None);
    }
}
