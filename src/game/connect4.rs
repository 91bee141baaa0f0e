//! Connect four: two seats take turns dropping pieces into one of 7 columns of a 6-row
//! board; a piece falls to the lowest free cell (the highest empty row index, row 0 is
//! the top). Four in a row horizontally, vertically or diagonally wins.
//!
//! Wire state: `{"board":[6 rows × 7 × null|0|1],"turn":0,"winner":null,"draw":false,
//! "line":null}`; `line` holds 4 winning cells as `[[row,col],...]` once someone has won.
//! Action: `{"column": 0..6}`.

use super::turns::{BoardGame, TurnState};
use super::{MoveError, Seat};

/// Board height.
const ROWS: usize = 6;
/// Board width.
const COLS: usize = 7;
/// Pieces in a row needed to win.
const WIN: usize = 4;

/// The four line directions as (row step, column step); each is also scanned backwards.
const DIRS: [(isize, isize); 4] = [(0, 1), (1, 0), (1, 1), (1, -1)];

/// `board[row][col]`, row 0 on top: `None` if empty, else the owning seat.
pub type Board = [[Option<Seat>; COLS]; ROWS];

/// Four winning cells as `[row, col]`, always including the last piece played.
pub type Line = [[u8; 2]; WIN];

/// Connect-four state, exactly as sent on the wire.
pub type State = TurnState<Board, Line>;

/// The connect-four game, to register on a server. Its [`Game`](super::Game) impl is the
/// turn-taking both built-in board games share; an action is `{"column": 0..6}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connect4;

impl BoardGame for Connect4 {
    type Board = Board;
    /// (row, column) of the piece that just fell.
    type Spot = (usize, usize);
    type Line = Line;

    const ID: &'static str = "connect4";
    const KEY: &'static str = "column";
    const PLACES: usize = COLS;

    fn empty() -> Board {
        [[None; COLS]; ROWS]
    }

    fn place(board: &mut Board, seat: Seat, col: usize) -> Result<(usize, usize), MoveError> {
        // Checked here too so a hand-built action cannot index out of bounds.
        if col >= COLS {
            return Err(MoveError::Illegal(format!("column {col} is out of range")));
        }
        let row = (0..ROWS)
            .rev()
            .find(|&r| board[r][col].is_none())
            .ok_or_else(|| MoveError::Illegal(format!("column {col} is full")))?;
        board[row][col] = Some(seat);
        Ok((row, col))
    }

    fn winning_line(board: &Board, seat: Seat, (row, col): (usize, usize)) -> Option<Line> {
        // Board coordinates are < 7, so these casts (and the `as u8` below) are lossless.
        let (row, col, win) = (row as isize, col as isize, WIN as isize);
        // The seat's pieces beyond the new one in one direction; more than 3 never matters.
        let run = |dr: isize, dc: isize| {
            (1..win)
                .take_while(|&i| holds(board, seat, row + dr * i, col + dc * i))
                .count() as isize
        };
        DIRS.into_iter().find_map(|(dr, dc)| {
            let back = run(-dr, -dc);
            (back + 1 + run(dr, dc) >= win).then(|| {
                // Starting at most 3 back keeps the window inside the run and on the new
                // piece, even when the run is longer than four.
                let cell =
                    |i: isize| [(row + dr * (i - back)) as u8, (col + dc * (i - back)) as u8];
                [cell(0), cell(1), cell(2), cell(3)]
            })
        })
    }

    fn is_full(board: &Board) -> bool {
        // Pieces stack from the bottom, so a full top row means a full board.
        board[0].iter().all(Option::is_some)
    }
}

/// True if (`r`, `c`) is on the board and holds `seat`'s piece.
fn holds(board: &Board, seat: Seat, r: isize, c: isize) -> bool {
    let row = usize::try_from(r).ok().and_then(|r| board.get(r));
    row.and_then(|cells| usize::try_from(c).ok().and_then(|c| cells.get(c))) == Some(&Some(seat))
}

#[cfg(test)]
mod tests {
    use super::super::turns::tests::{self as board, turn};
    use super::super::{Game, GameKind, GameState, MoveError, Outcome};
    use super::*;
    use serde_json::{json, Value};

    const G: GameKind = GameKind::Connect4;
    const DRAW: &str = "200000011111122222333333644444455555566666";

    /// Builds a state from rows (top first) joined by '/': '.' empty, 'X' seat 0, 'O' seat 1.
    fn grid(rows: &str, turn: Seat) -> GameState {
        let mut s = Connect4.initial_state(turn);
        for (row, text) in s.board.iter_mut().zip(rows.split('/')) {
            for (slot, ch) in row.iter_mut().zip(text.chars()) {
                *slot = "XO".find(ch).map(|i| i as Seat);
            }
        }
        serde_json::to_value(s).unwrap()
    }

    fn inner(s: &GameState) -> State {
        serde_json::from_value(s.clone()).unwrap()
    }

    fn mv(s: &mut GameState, seat: Seat, column: impl Into<Value>) -> Result<Outcome, MoveError> {
        G.apply(s, seat, &json!({ "column": column.into() }))
    }

    /// Plays the column digits in `cols` alternately from `first`; all must be accepted.
    fn play(first: Seat, cols: &str) -> (GameState, Outcome) {
        let cols = cols.chars().filter_map(|c| c.to_digit(10));
        board::play::<Connect4>(first, cols.map(|c| c as usize))
    }

    /// (board, seat to drop, column, expected line): every direction, at the edges.
    #[rustfmt::skip]
    const WINS: [(&str, Seat, u8, [[u8; 2]; 4]); 11] = [
        // Horizontal: left edge, right edge, top row, filling a gap mid-run.
        ("././././.OOO.../.XXX...", 0, 0, [[5, 0], [5, 1], [5, 2], [5, 3]]),
        ("././././....XXX/OOOXOOO", 0, 3, [[4, 3], [4, 4], [4, 5], [4, 6]]),
        ("...XXX./OOOXOOO/XXXOXXO/OOOXOOX/XXXOXXO/OOOXOOX", 0, 6, [[0, 3], [0, 4], [0, 5], [0, 6]]),
        ("././././X..XX../OO.OOX.", 1, 2, [[5, 0], [5, 1], [5, 2], [5, 3]]),
        // More than four: the reported window holds the new piece.
        ("././././OOO.OOO/XXX.XXX", 0, 3, [[5, 0], [5, 1], [5, 2], [5, 3]]),
        ("././././X.XX.../O.OOOXX", 1, 1, [[5, 0], [5, 1], [5, 2], [5, 3]]),
        // Vertical reaching the top edge.
        ("./......X/......X/......X/......O/......O", 0, 6, [[0, 6], [1, 6], [2, 6], [3, 6]]),
        // Down-right: left+bottom edge, then top+right edge.
        ("./././XO...../OXO..../XOXO...", 1, 0, [[2, 0], [3, 1], [4, 2], [5, 3]]),
        ("./...XO../...OXO./...XOXO/...OXOX/...XOXX", 1, 3, [[0, 3], [1, 4], [2, 5], [3, 6]]),
        // Up-right: bottom+right edge, then top+left edge with the new piece inside.
        ("././......X/.....XO/....XOO/....OOX", 0, 3, [[2, 6], [3, 5], [4, 4], [5, 3]]),
        ("...X.../...O.../.XOX.../XOXO.../OXOX.../XOXO...", 0, 2, [[0, 3], [1, 2], [2, 1], [3, 0]]),
    ];

    #[test]
    fn wins_in_every_direction_including_edges() {
        for (rows, seat, col, line) in WINS {
            let mut s = grid(rows, seat);
            let r = mv(&mut s, seat, col);
            assert_eq!(r, Ok(Outcome::Won(seat)), "{rows} col {col}");
            let c = inner(&s);
            let got = (c.winner, c.line, c.draw, c.turn);
            assert_eq!(got, (Some(seat), Some(line), false, seat), "{rows}");
        }
    }

    #[test]
    fn played_games_win_vertically_and_diagonally() {
        let (s, o) = play(0, "0101010");
        assert_eq!(o, Outcome::Won(0));
        assert_eq!(inner(&s).line, Some([[2, 0], [3, 0], [4, 0], [5, 0]]));
        let (s, o) = play(1, "0112232336");
        assert_eq!((o, inner(&s).winner), (Outcome::Ongoing, None));
        let (s, o) = play(1, "01122323363");
        assert_eq!(o, Outcome::Won(1));
        assert_eq!(inner(&s).line, Some([[2, 3], [3, 2], [4, 1], [5, 0]]));
    }

    #[test]
    fn full_board_without_line_is_a_draw() {
        let (s, o) = play(0, DRAW);
        assert_eq!((o, G.outcome(&s)), (Outcome::Draw, Outcome::Draw));
        let c = inner(&s);
        assert_eq!((c.draw, c.winner, c.line), (true, None, None));
        assert!(c.board.iter().flatten().all(Option::is_some));
    }

    /// Malformed actions are refused by the shared turn rules (see `turns`).
    #[test]
    fn illegal_moves_are_rejected_and_change_nothing() {
        let (mut s, _) = play(0, "333333");
        let before = s.clone();
        let r = mv(&mut s, 0, 3);
        assert_eq!(r, Err(MoveError::Illegal("column 3 is full".into())));
        assert_eq!(s, before);
        let r = Connect4.apply(&mut Connect4.initial_state(0), 0, &99);
        let err = MoveError::Illegal("column 99 is out of range".into());
        assert_eq!(r, Err(err));
    }

    #[test]
    fn pieces_fall_and_turns_alternate() {
        let mut s = G.new_state(0);
        assert_eq!(mv(&mut s, 1, 0), Err(MoveError::NotYourTurn(0)));
        assert_eq!(mv(&mut s, 0, 4), Ok(Outcome::Ongoing));
        assert_eq!(mv(&mut s, 0, 4), Err(MoveError::NotYourTurn(1)));
        let extra = json!({"column": 4, "extra": true});
        assert_eq!(G.apply(&mut s, 1, &extra), Ok(Outcome::Ongoing));
        let b = inner(&s).board;
        assert_eq!((b[5][4], b[4][4], b[3][4]), (Some(0), Some(1), None));
        assert_eq!(turn(&s), 0);
    }

    #[test]
    fn rematch_with_seat_1_first() {
        let mut s = G.new_state(1);
        assert_eq!(mv(&mut s, 0, 0), Err(MoveError::NotYourTurn(1)));
        assert_eq!(mv(&mut s, 1, 0), Ok(Outcome::Ongoing));
        assert_eq!((inner(&s).board[5][0], turn(&s)), (Some(1), 0));
    }

    #[test]
    fn moves_after_game_over_are_rejected() {
        for (mut s, _) in [play(0, "0101010"), play(0, DRAW)] {
            let before = s.clone();
            for seat in [0, 1] {
                assert_eq!(mv(&mut s, seat, 5), Err(MoveError::GameOver));
                assert_eq!(G.apply(&mut s, seat, &json!({})), Err(MoveError::GameOver));
            }
            assert_eq!(s, before);
        }
    }

    /// The wire form of a game still in progress.
    fn ongoing(board: Value, turn: Seat) -> Value {
        json!({"board": board, "turn": turn, "winner": null, "draw": false, "line": null})
    }

    #[test]
    fn json_shape_matches_the_wire_contract() {
        let row = json!([null, null, null, null, null, null, null]);
        let fresh = ongoing(json!([row, row, row, row, row, row]), 1);
        assert_eq!(serde_json::to_value(G.new_state(1)).unwrap(), fresh);
        let x = json!([null, null, null, 0, null, null, null]);
        let o = json!([null, null, null, 1, null, null, null]);
        let two = ongoing(json!([row, row, row, row, o, x]), 0);
        assert_eq!(serde_json::to_value(play(0, "33").0).unwrap(), two);
        let v = serde_json::to_value(play(0, "0101010").0).unwrap();
        assert_eq!((&v["winner"], &v["draw"]), (&json!(0), &json!(false)));
        assert_eq!(v["line"], json!([[2, 0], [3, 0], [4, 0], [5, 0]]));
        assert_eq!(v["board"][5], json!([0, 1, null, null, null, null, null]));
    }

    #[test]
    fn serde_round_trip_stays_connect4() {
        for moves in ["", "3344", "0101010", DRAW] {
            let text = serde_json::to_string(&play(1, moves).0).unwrap();
            let back: GameState = serde_json::from_str(&text).unwrap();
            assert_eq!(back, play(1, moves).0);
        }
        // A board with a missing row is an error, never a tic-tac-toe state.
        let row = json!([null, null, null, null, null, null, null]);
        let bad = ongoing(json!([row, row, row, row, row]), 0);
        assert!(serde_json::from_value::<State>(bad).is_err());
    }

    /// Independent full-board scan to cross-check the local win test.
    fn any_four(b: &Board, seat: Seat) -> bool {
        let cells = (0..ROWS as isize).flat_map(|r| (0..COLS as isize).map(move |c| (r, c)));
        cells.into_iter().any(|(r, c)| {
            DIRS.iter()
                .any(|&(dr, dc)| (0..4).all(|i| holds(b, seat, r + dr * i, c + dc * i)))
        })
    }

    #[test]
    fn pseudo_random_games_agree_with_full_scan() {
        // Column 7 is out of range and must just be refused.
        board::random_games::<Connect4>(3000, 0x2545_F491_4F6C_DD1D, 8, |s, seat, col| {
            let c = inner(s);
            if let Some(line) = c.line {
                // Four of the winner's cells, one straight step apart, with the new piece.
                let p = line.map(|[r, k]| (isize::from(r), isize::from(k)));
                let d = (p[1].0 - p[0].0, p[1].1 - p[0].1);
                assert!(DIRS.contains(&d));
                assert!((0..4).all(|i| p[i as usize] == (p[0].0 + d.0 * i, p[0].1 + d.1 * i)));
                assert!(p.iter().all(|&(r, k)| holds(&c.board, seat, r, k)));
                let top = c.board.iter().position(|r| r[col as usize].is_some());
                assert!(p.contains(&(top.unwrap() as isize, col as isize)));
            }
            let full = c.board.iter().flatten().all(Option::is_some);
            (any_four(&c.board, seat), full)
        });
    }
}
