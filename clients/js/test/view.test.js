// The room view and the back-off, frame by frame, without a server.

import assert from "node:assert/strict";
import { test } from "node:test";

import { applyEvent, backoffDelay, fromJoined, isMyTurn, shutdownDelay } from "../src/index.js";

const board = () => [null, null, null, null, null, null, null, null, null];

function joinedAt(version) {
  return {
    type: "joined",
    room: "K7QXHM",
    you: { player_id: "p_a", name: "alice", seat: 0, role: "player" },
    session: "K7QXHMsecret",
    snapshot: {
      code: "K7QXHM",
      game: "tictactoe",
      status: "playing",
      private: false,
      created_at: "2026-11-25T16:00:00Z",
      updated_at: "2026-11-25T16:00:05Z",
      version,
      players: [
        { player_id: "p_a", name: "alice", seat: 0, role: "player", connected: true },
        { player_id: "p_b", name: "bob", seat: 1, role: "player", connected: true },
      ],
      spectators: 0,
      state: { board: board(), turn: 0, winner: null, draw: false, line: null },
    },
  };
}

function stateAt(version, cells, turn) {
  const b = board();
  for (const [i, seat] of cells) b[i] = seat;
  return { type: "state", room: "K7QXHM", version, status: "playing", state: { board: b, turn, winner: null, draw: false, line: null }, by: "p_a", action: null };
}

test("events apply in version order and an older state is dropped", () => {
  const view = fromJoined(joinedAt(2));
  assert.equal(applyEvent(view, stateAt(3, [[4, 0]], 1)), "state");
  assert.equal(view.version, 3);
  assert.equal(isMyTurn(view), false);
  // The same change's other events share its version: still applied.
  assert.equal(applyEvent(view, { type: "player_connection", room: "K7QXHM", version: 3, player_id: "p_b", connected: false }), "players");
  assert.equal(view.snapshot.players[1].connected, false);
  // Older: dropped, nothing changes.
  assert.equal(applyEvent(view, stateAt(2, [], 0)), null);
  assert.equal(view.snapshot.state.board[4], 0);
  assert.equal(view.version, 3);
});

test("another room's event and a frame that is no room event are ignored", () => {
  const view = fromJoined(joinedAt(2));
  assert.equal(applyEvent(view, { ...stateAt(5, [[0, 0]], 1), room: "ZZZZZZ" }), null);
  assert.equal(applyEvent(view, { type: "pong" }), null);
  assert.equal(view.version, 2);
  // Codes are case-insensitive.
  assert.equal(applyEvent(view, { ...stateAt(3, [[0, 0]], 1), room: "k7qxhm" }), "state");
});

test("a resync replaces the whole view unless it is older", () => {
  const view = fromJoined(joinedAt(2));
  const snap = structuredClone(joinedAt(7).snapshot);
  snap.players = [snap.players[0]];
  snap.status = "waiting";
  assert.equal(applyEvent(view, { type: "resync", room: "K7QXHM", snapshot: snap }), "resync");
  assert.equal(view.version, 7);
  assert.equal(view.snapshot.players.length, 1);
  assert.equal(view.snapshot.status, "waiting");
  const older = structuredClone(joinedAt(6).snapshot);
  assert.equal(applyEvent(view, { type: "resync", room: "K7QXHM", snapshot: older }), null);
  assert.equal(view.version, 7);
});

test("chat lines and rematch offers are kept", () => {
  const view = fromJoined(joinedAt(2));
  applyEvent(view, { type: "chat", room: "K7QXHM", from: "p_b", name: "bob", text: "hi", ts: "2026-11-25T16:00:06.000Z" });
  assert.deepEqual(view.chat.map((l) => l.text), ["hi"]);
  assert.equal(applyEvent(view, { type: "rematch_offered", room: "K7QXHM", player_id: "p_b" }), "rematch");
  assert.deepEqual(view.rematchOffers, ["p_b"]);
  applyEvent(view, stateAt(3, [], 1));
  assert.deepEqual(view.rematchOffers, []);
});

test("back-off: full jitter under a ceiling that doubles from 0.5 s to 20 s", () => {
  assert.equal(backoffDelay(0, { random: () => 0.999999 }), 499);
  assert.equal(backoffDelay(1, { random: () => 0.999999 }), 999);
  assert.equal(backoffDelay(10, { random: () => 0.999999 }), 19_999);
  assert.equal(backoffDelay(100, { random: () => 0.999999 }), 19_999);
  assert.equal(backoffDelay(5, { random: () => 0 }), 0);
  for (let i = 0; i < 1000; i++) {
    const d = backoffDelay(3);
    assert.ok(d >= 0 && d < 4000, `${d}`);
  }
  // After a server_shutdown: never before the server's delay.
  assert.equal(shutdownDelay(1500, { random: () => 0 }), 1500);
  assert.ok(shutdownDelay(1500, { random: () => 0.999 }) < 2000);
});
