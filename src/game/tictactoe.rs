//! Tic-tac-toe: two seats take turns claiming cells 0..8 (row-major) of a 3×3 board;
//! three in a row, column or diagonal wins, a full board without that is a draw.
//!
//! Wire state: `{"board":[9 × null|0|1],"turn":0,"winner":null,"draw":false,"line":null}`,
//! where `line` holds the three winning cell indices once someone has won.
//! Action: `{"cell": 0..8}`.

use super::turns::{BoardGame, TurnState};
use super::{MoveError, Seat};

/// Number of cells on the board.
const CELLS: usize = 9;

/// Every winning line; a move can only complete lines through its own cell.
const LINES: [[u8; 3]; 8] = [
    [0, 1, 2],
    [3, 4, 5],
    [6, 7, 8],
    [0, 3, 6],
    [1, 4, 7],
    [2, 5, 8],
    [0, 4, 8],
    [2, 4, 6],
];

/// Cells 0..8 in row-major order: `None` if empty, else the owning seat.
pub type Board = [Option<Seat>; CELLS];

/// Tic-tac-toe state, exactly as sent on the wire; `line` holds the three cells of the
/// winning line once there is one.
pub type State = TurnState<Board, [u8; 3]>;

/// The tic-tac-toe game, to register on a server. Its [`Game`](super::Game) impl is the
/// turn-taking both built-in board games share; an action is `{"cell": 0..8}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicTacToe;

impl BoardGame for TicTacToe {
    type Board = Board;
    type Spot = usize;
    type Line = [u8; 3];

    const ID: &'static str = "tictactoe";
    const KEY: &'static str = "cell";
    const PLACES: usize = CELLS;

    fn empty() -> Board {
        [None; CELLS]
    }

    fn place(board: &mut Board, seat: Seat, cell: usize) -> Result<usize, MoveError> {
        // `get_mut` keeps a hand-built out-of-range action from panicking.
        let slot = board
            .get_mut(cell)
            .ok_or_else(|| MoveError::Illegal(format!("cell {cell} is out of range")))?;
        if slot.is_some() {
            return Err(MoveError::Illegal(format!("cell {cell} is taken")));
        }
        *slot = Some(seat);
        Ok(cell)
    }

    fn winning_line(board: &Board, seat: Seat, cell: usize) -> Option<[u8; 3]> {
        let cell = u8::try_from(cell).unwrap_or(u8::MAX);
        LINES
            .into_iter()
            .find(|l| l.contains(&cell) && l.iter().all(|&i| board[usize::from(i)] == Some(seat)))
    }

    fn is_full(board: &Board) -> bool {
        board.iter().all(Option::is_some)
    }
}

#[cfg(test)]
mod tests {
    use super::super::turns::tests::{self as board, turn};
    use super::super::{Game, GameKind, GameState, MoveError, Outcome};
    use super::*;
    use serde_json::{json, Value};

    const G: GameKind = GameKind::Tictactoe;
    /// Ends as X O X / X O O / O X X.
    const DRAW: [usize; 9] = [0, 1, 2, 4, 3, 5, 7, 6, 8];

    fn inner(s: &GameState) -> State {
        serde_json::from_value(s.clone()).unwrap()
    }

    fn mv(s: &mut GameState, seat: Seat, cell: impl Into<Value>) -> Result<Outcome, MoveError> {
        G.apply(s, seat, &json!({ "cell": cell.into() }))
    }

    /// Plays `cells` alternately from `first`, expecting every move to be accepted.
    fn play(first: Seat, cells: &[usize]) -> (GameState, Outcome) {
        board::play::<TicTacToe>(first, cells.iter().copied())
    }

    fn illegal<T>(msg: &str) -> Result<T, MoveError> {
        Err(MoveError::Illegal(msg.to_string()))
    }

    #[test]
    fn every_line_wins_for_both_seats_from_any_position() {
        for line in LINES {
            for seat in [0, 1] {
                for completing in line {
                    let mut t = TicTacToe.initial_state(seat);
                    for i in line.iter().filter(|&&i| i != completing) {
                        t.board[usize::from(*i)] = Some(seat);
                    }
                    let mut s = serde_json::to_value(t).unwrap();
                    let r = mv(&mut s, seat, completing);
                    assert_eq!(r, Ok(Outcome::Won(seat)), "{line:?} via {completing}");
                    let t = inner(&s);
                    let got = (t.winner, t.line, t.draw, t.turn);
                    assert_eq!(got, (Some(seat), Some(line), false, seat));
                    assert_eq!(G.outcome(&s), Outcome::Won(seat));
                }
            }
        }
    }

    #[test]
    fn played_games_win_rows_columns_and_diagonals() {
        // X: 0 1 2 row; O elsewhere.
        let (s, o) = play(0, &[0, 3, 1, 4, 2]);
        assert_eq!((o, inner(&s).line), (Outcome::Won(0), Some([0, 1, 2])));
        // O wins the middle column when X opens.
        let (s, o) = play(0, &[0, 1, 2, 4, 8, 7]);
        assert_eq!((o, inner(&s).line), (Outcome::Won(1), Some([1, 4, 7])));
        let (s, o) = play(1, &[0, 1, 4, 2, 8]);
        assert_eq!((o, inner(&s).line), (Outcome::Won(1), Some([0, 4, 8])));
        let (s, o) = play(0, &[2, 0, 4, 1, 6]);
        assert_eq!((o, inner(&s).line), (Outcome::Won(0), Some([2, 4, 6])));
    }

    #[test]
    fn full_board_without_line_is_a_draw() {
        let (s, o) = play(0, &DRAW);
        assert_eq!((o, G.outcome(&s)), (Outcome::Draw, Outcome::Draw));
        let t = inner(&s);
        assert_eq!((t.draw, t.winner, t.line), (true, None, None));
    }

    #[test]
    fn win_on_the_last_cell_is_a_win_not_a_draw() {
        let (s, o) = play(0, &[2, 1, 7, 3, 0, 5, 4, 6, 8]);
        assert_eq!(o, Outcome::Won(0));
        let t = inner(&s);
        assert_eq!((t.draw, t.line), (false, Some([0, 4, 8])));
    }

    /// Malformed actions are refused by the shared turn rules (see `turns`).
    #[test]
    fn illegal_moves_are_rejected_and_change_nothing() {
        let (mut s, _) = play(0, &[4]);
        let before = s.clone();
        assert_eq!(mv(&mut s, 1, 4), illegal("cell 4 is taken"));
        assert_eq!(s, before);
        // Extra keys are ignored.
        let extra = json!({"cell": 0, "x": 1});
        assert_eq!(G.apply(&mut s, 1, &extra), Ok(Outcome::Ongoing));
    }

    #[test]
    fn out_of_range_action_built_in_code_does_not_panic() {
        let mut t = TicTacToe.initial_state(0);
        let r = TicTacToe.apply(&mut t, 0, &99);
        assert_eq!(r, illegal("cell 99 is out of range"));
    }

    #[test]
    fn turns_alternate_and_are_enforced() {
        let mut s = G.new_state(0);
        assert_eq!(mv(&mut s, 1, 0), Err(MoveError::NotYourTurn(0)));
        assert_eq!(mv(&mut s, 0, 0), Ok(Outcome::Ongoing));
        assert_eq!(turn(&s), 1);
        assert_eq!(mv(&mut s, 0, 1), Err(MoveError::NotYourTurn(1)));
        assert_eq!(mv(&mut s, 1, 1), Ok(Outcome::Ongoing));
        assert_eq!(turn(&s), 0);
    }

    #[test]
    fn rematch_with_seat_1_first() {
        let mut s = G.new_state(1);
        assert_eq!(turn(&s), 1);
        assert_eq!(mv(&mut s, 0, 4), Err(MoveError::NotYourTurn(1)));
        assert_eq!(mv(&mut s, 1, 4), Ok(Outcome::Ongoing));
        assert_eq!(inner(&s).board[4], Some(1));
        assert_eq!(turn(&s), 0);
    }

    #[test]
    fn moves_after_game_over_are_rejected() {
        for (mut s, _) in [play(0, &[0, 3, 1, 4, 2]), play(0, &DRAW)] {
            let before = s.clone();
            for seat in [0, 1] {
                assert_eq!(mv(&mut s, seat, 5), Err(MoveError::GameOver));
                assert_eq!(
                    G.apply(&mut s, seat, &json!("junk")),
                    Err(MoveError::GameOver)
                );
            }
            assert_eq!(s, before);
        }
    }

    #[test]
    fn json_shape_matches_the_wire_contract() {
        assert_eq!(
            serde_json::to_value(G.new_state(0)).unwrap(),
            json!({"board":[null,null,null,null,null,null,null,null,null],
                   "turn":0,"winner":null,"draw":false,"line":null})
        );
        let (s, _) = play(1, &[4, 0]);
        assert_eq!(
            serde_json::to_value(&s).unwrap(),
            json!({"board":[0,null,null,null,1,null,null,null,null],
                   "turn":1,"winner":null,"draw":false,"line":null})
        );
        let (s, _) = play(0, &[0, 1, 4, 2, 8]);
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#"{"board":[0,1,1,null,0,null,null,null,0],"draw":false,"line":[0,4,8],"turn":0,"winner":0}"#
        );
    }

    #[test]
    fn serde_round_trip_stays_tictactoe() {
        for (s, _) in [play(0, &[]), play(1, &[4, 0, 8]), play(0, &[0, 1, 4, 2, 8])] {
            let text = serde_json::to_string(&s).unwrap();
            let back: GameState = serde_json::from_str(&text).unwrap();
            assert_eq!(back, s);
        }
        // A 10-cell board is not silently truncated.
        let bad = json!({"board":[null,null,null,null,null,null,null,null,null,null],
                         "turn":0,"winner":null,"draw":false,"line":null});
        assert!(serde_json::from_value::<State>(bad).is_err());
    }

    /// Independent full-board scan to cross-check the local win test.
    fn any_line(b: &[Option<Seat>; CELLS], seat: Seat) -> bool {
        let mine = |i: &u8| b[usize::from(*i)] == Some(seat);
        LINES.iter().any(|l| l.iter().all(mine))
    }

    #[test]
    fn pseudo_random_games_agree_with_full_scan() {
        // Random cells, including out-of-range ones, which must just be refused.
        board::random_games::<TicTacToe>(2000, 0x9E37_79B9_7F4A_7C15, 11, |s, seat, _| {
            let t = inner(s);
            (
                any_line(&t.board, seat),
                t.board.iter().all(Option::is_some),
            )
        });
    }
}
