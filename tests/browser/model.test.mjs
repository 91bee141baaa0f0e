// Unit tests of the client's room view (@parlor/client's, as the page uses it), its
// status line and win-line logic (no browser).

import { test } from "node:test";
import assert from "node:assert/strict";
import { applyEvent, fromJoined } from "../../clients/js/src/index.js";
import { rematchText, statusText } from "../../web/model.js";
import { connect4Drop, connect4Line, tictactoeLine } from "../../web/boards.js";

function joined(overrides = {}) {
  return {
    type: "joined",
    room: "K7QXHM",
    you: { player_id: "p_a", name: "alice", seat: 0, role: "player" },
    session: "s1",
    snapshot: {
      code: "K7QXHM", game: "tictactoe", status: "playing", version: 5, spectators: 0,
      players: [
        { player_id: "p_a", name: "alice", seat: 0, role: "player", connected: true },
        { player_id: "p_b", name: "bob", seat: 1, role: "player", connected: true },
      ],
      state: { board: Array(9).fill(null), turn: 0, winner: null, draw: false, line: null },
    },
    ...overrides,
  };
}

test("events older than the held version are dropped; equal versions apply", () => {
  const cur = fromJoined(joined());
  const board = Array(9).fill(null);
  board[4] = 0;
  assert.equal(applyEvent(cur, { type: "state", room: "K7QXHM", version: 6, status: "playing", state: { board, turn: 1 } }), "state");
  assert.equal(cur.version, 6);
  assert.equal(statusText(cur), "Waiting for bob");
  assert.equal(applyEvent(cur, { type: "state", room: "K7QXHM", version: 4, status: "playing", state: { board: Array(9).fill(null), turn: 0 } }), null);
  assert.equal(cur.snapshot.state.board[4], 0);
  assert.equal(applyEvent(cur, { type: "player_connection", room: "K7QXHM", version: 6, player_id: "p_b", connected: false }), "players");
  assert.equal(statusText(cur), "Waiting for bob (disconnected)");
  assert.equal(applyEvent(cur, { type: "chat", room: "K7QXHM", from: "p_b", name: "bob", text: "hi", ts: "2026-11-25T16:00:05.123Z" }), "chat");
  assert.equal(cur.chat.length, 1);
  assert.equal(applyEvent(cur, { type: "state", room: "OTHER1", version: 9, status: "finished", state: {} }), null);
});

test("players join, leave (forfeiting the game) and reconnect", () => {
  const cur = fromJoined(joined());
  // bob leaves mid-game: the result comes first, then his departure.
  applyEvent(cur, { type: "state", room: "K7QXHM", version: 6, status: "finished", state: { board: Array(9).fill(null), turn: 0, winner: 0, draw: false, line: null, forfeit: true } });
  applyEvent(cur, { type: "player_left", room: "K7QXHM", version: 6, player_id: "p_b" });
  assert.equal(cur.snapshot.players.length, 1);
  assert.equal(statusText(cur, { 0: "alice", 1: "bob" }), "bob left — you win");
  assert.equal(statusText(cur), "Your opponent left — you win");
  cur.you = { player_id: "x", name: "sam", seat: null, role: "spectator" };
  assert.equal(statusText(cur, { 1: "bob" }), "bob left — alice wins");
  cur.you = { player_id: "p_a", name: "alice", seat: 0, role: "player" };
  applyEvent(cur, { type: "player_joined", room: "K7QXHM", version: 7, player: { player_id: "p_c", name: "carol", seat: 1, role: "player", connected: true } });
  applyEvent(cur, { type: "player_joined", room: "K7QXHM", version: 8, player: { player_id: "p_s", name: "sam", seat: null, role: "spectator", connected: true } });
  assert.deepEqual(cur.snapshot.players.map((p) => p.name), ["alice", "carol"]);
  assert.equal(cur.snapshot.spectators, 1);
});

test("finished games: win, loss, draw, spectator view", () => {
  const cur = fromJoined(joined());
  applyEvent(cur, { type: "state", room: "K7QXHM", version: 9, status: "finished", state: { board: [0, 0, 0, 1, 1, null, null, null, null], turn: 1, winner: 0, draw: false, line: null } });
  assert.equal(statusText(cur), "You won!");
  assert.deepEqual(tictactoeLine(cur.snapshot.state), [0, 1, 2]);
  cur.you = { player_id: "p_b", name: "bob", seat: 1, role: "player" };
  assert.equal(statusText(cur), "alice won");
  cur.snapshot.state = { board: Array(9).fill(0), turn: 0, winner: null, draw: true };
  assert.equal(statusText(cur), "It's a draw");
  // Ended by the turn clock.
  cur.snapshot.state = { board: Array(9).fill(null), turn: 1, winner: 0, draw: false, timeout: true };
  assert.equal(statusText(cur), "You lost on time");
  cur.you = { player_id: "p_a", name: "alice", seat: 0, role: "player" };
  assert.equal(statusText(cur), "You won on time");
  cur.you = { player_id: "p_b", name: "bob", seat: 1, role: "player" };
  cur.snapshot.status = "playing";
  cur.snapshot.state = { board: Array(9).fill(null), turn: 1 };
  cur.you = { player_id: "x", name: "sam", seat: null, role: "spectator" };
  assert.equal(statusText(cur), "bob's turn");
});

test("rematch offers: who asked, and who is still to accept", () => {
  const cur = fromJoined(joined());
  applyEvent(cur, { type: "state", room: "K7QXHM", version: 9, status: "finished", state: { board: Array(9).fill(null), turn: 1, winner: 0, draw: false, line: null } });
  assert.equal(rematchText(cur, false), "");
  assert.equal(rematchText(cur, true), "Waiting for bob to accept the rematch");
  assert.equal(applyEvent(cur, { type: "rematch_offered", room: "K7QXHM", player_id: "p_b" }), "rematch");
  assert.equal(rematchText(cur, false), "bob wants a rematch");
  assert.equal(rematchText(cur, true), "");
  applyEvent(cur, { type: "state", room: "K7QXHM", version: 11, status: "playing", state: { board: Array(9).fill(null), turn: 1 } });
  assert.equal(rematchText(cur, false), "");
});

test("connect4 line: from the server, or found on the board", () => {
  const board = Array.from({ length: 6 }, () => Array(7).fill(null));
  board[5][0] = 1; board[4][1] = 1; board[3][2] = 1; board[2][3] = 1;
  assert.deepEqual(connect4Line({ board, winner: 1 }), [[2, 3], [3, 2], [4, 1], [5, 0]]);
  assert.deepEqual(connect4Line({ board, winner: 1, line: [[5, 0], [4, 1], [3, 2], [2, 3]] }), [[5, 0], [4, 1], [3, 2], [2, 3]]);
  assert.deepEqual(connect4Line({ board, winner: null }), []);
  assert.equal(connect4Drop(board, 0), 4);
  const full = Array.from({ length: 6 }, () => Array(7).fill(0));
  assert.equal(connect4Drop(full, 3), -1);
});
