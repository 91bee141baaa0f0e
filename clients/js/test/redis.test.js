// The client against two real Parlor nodes sharing a real Redis: the node serving a
// socket is killed (-9) and the game carries on through the other one, and a node that
// lost a room's events sends `resync`, which the view applies.

import assert from "node:assert/strict";
import { test } from "node:test";

import { connected, eventually, startParlor, startRedis, viewWhere } from "./helpers.js";

/**
 * Play `cells` in turn, alternating from `first`, each move checked against the
 * mover's view being current (the other's move may still be on its way).
 * @param {any[]} players @param {number[]} cells
 */
async function play(players, cells) {
  let last;
  for (const [i, cell] of cells.entries()) {
    const who = players[i % 2];
    const version = players[(i + 1) % 2].room.version;
    await viewWhere(who, "the previous move arrived", (v) => v.version >= version);
    last = await who.action({ cell }, { expectedVersion: who.room.version });
  }
  return last;
}

test("kill -9 of the node serving the socket: the client resumes on the other node and the game goes on", async (t) => {
  const redis = await startRedis();
  t.after(() => redis.stop());
  const n1 = await startParlor({ redisUrl: redis.url, nodeId: "n1" });
  const n2 = await startParlor({ redisUrl: redis.url, nodeId: "n2" });
  t.after(() => n1.kill("SIGKILL"));
  t.after(() => n2.kill("SIGKILL"));

  // Alice knows both nodes and starts on the first; Bob stays on the second.
  const alice = await connected(t, { url: [n1.url, n2.url] });
  const bob = await connected(t, { url: n2.url });
  assert.equal(alice.url, n1.url);
  const created = await alice.createRoom({ game: "tictactoe", name: "alice" });
  await bob.joinRoom({ room: created.room, name: "bob" });
  await viewWhere(alice, "the game starts", (v) => v.snapshot.status === "playing");
  const third = await play([alice, bob], [0, 3]);
  await viewWhere(alice, "alice has bob's move", (v) => v.version === third.version);
  const before = structuredClone(alice.room);

  /** @type {any[]} */
  const log = [];
  for (const type of /** @type {const} */ (["close", "reconnecting", "resumed", "ready"])) {
    alice.on(type, (ev) => log.push({ type, ev }));
  }
  await n1.kill("SIGKILL");
  const resumed = await eventually("alice resumed", () => log.find((e) => e.type === "resumed"), 20_000);
  assert.equal(alice.url, n2.url, "the reconnect went to the other node");
  assert.equal(log[0].type, "close");
  assert.equal(log.find((e) => e.type === "reconnecting").ev.url, n2.url);
  assert.equal(resumed.ev.you.player_id, before.you.player_id);
  assert.equal(resumed.ev.you.seat, 0);
  assert.equal(alice.room.session, before.session);
  assert.deepEqual(alice.room.snapshot.state.board, before.snapshot.state.board);
  await eventually("alice is ready", () => alice.ready);

  // The game carries on to its end.
  const end = await play([alice, bob], [1, 4, 2]);
  assert.equal(end.status, "finished");
  for (const c of [alice, bob]) {
    const v = await viewWhere(c, "the end", (x) => x.snapshot.status === "finished");
    assert.equal(v.snapshot.state.winner, 0);
  }
  assert.deepEqual(alice.room.snapshot.state, bob.room.snapshot.state);
});

test("a node whose subscription was cut sends resync; the view takes it and the game goes on", async (t) => {
  const redis = await startRedis();
  t.after(() => redis.stop());
  const n1 = await startParlor({ redisUrl: redis.url, nodeId: "n1" });
  t.after(() => n1.kill("SIGKILL"));
  const alice = await connected(t, { url: n1.url });
  const created = await alice.createRoom({ game: "tictactoe", name: "alice" });
  // Node 1's subscriber is the only pub/sub client so far (node 2 is not started yet).
  const subscribers = await eventually("node 1 subscribed", async () => {
    const list = await redis.admin.cmd("CLIENT", "LIST", "TYPE", "pubsub");
    return list.split("\n").filter((/** @type {string} */ l) => l.trim()).length === 1 && list;
  });
  const n1Sub = /** @type {string} */ (subscribers).match(/\bid=(\d+)/)[1];

  const n2 = await startParlor({ redisUrl: redis.url, nodeId: "n2" });
  t.after(() => n2.kill("SIGKILL"));
  const bob = await connected(t, { url: n2.url });
  await bob.joinRoom({ room: created.room, name: "bob" });
  await play([alice, bob], [0]);

  /** @type {any[]} */
  const resyncs = [];
  alice.on("resync", (ev) => resyncs.push(ev));
  // Cut node 1's subscriber and keep it away (no new Redis connections) while Bob
  // moves through node 2: node 1 never hears of that move.
  assert.equal(await redis.admin.cmd("CONFIG", "SET", "maxclients", "1"), "OK");
  assert.equal(await redis.admin.cmd("CLIENT", "KILL", "ID", n1Sub), "1");
  const missed = await bob.action({ cell: 4 }, { expectedVersion: bob.room.version });
  assert.equal(alice.room.snapshot.state.board[4], null, "alice's node has not relayed bob's move");
  assert.deepEqual(resyncs, []);

  // Node 1's subscriber comes back, re-reads the room and catches alice up.
  assert.equal(await redis.admin.cmd("CONFIG", "SET", "maxclients", "10000"), "OK");
  const resync = await eventually("alice got a resync", () => resyncs[0], 30_000);
  assert.equal(resync.room, created.room);
  assert.ok(resync.snapshot.version >= missed.version);
  assert.equal(alice.room.version, resync.snapshot.version);
  assert.equal(alice.room.snapshot.state.board[4], 1);
  assert.equal(alice.room.snapshot.state.turn, 0);

  // The game goes on from the resynced view.
  const end = await play([alice, bob], [1, 5, 2]);
  assert.equal(end.status, "finished");
  await viewWhere(bob, "bob sees alice win", (v) => v.snapshot.state.winner === 0);
});
