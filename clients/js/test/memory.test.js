// The client against a real Parlor node with the memory store: a whole game, refused
// moves, the view's version rule, resync, and reconnecting after a clean shutdown.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { ParlorClient, ParlorError } from "../src/index.js";
import { connected, eventually, startParlor, TapSocket, viewWhere } from "./helpers.js";

const here = path.dirname(fileURLToPath(import.meta.url));

/** Two clients in one tictactoe room, alice in seat 0 (she moves first). */
async function pair(t, node, opts = {}) {
  const alice = await connected(t, { url: node.url, ...opts });
  const bob = await connected(t, { url: node.url });
  const created = await alice.createRoom({ game: "tictactoe", name: "alice" });
  const joined = await bob.joinRoom({ room: created.room, name: "bob" });
  await viewWhere(alice, "alice sees the game start", (v) => v.snapshot.status === "playing");
  assert.equal(joined.snapshot.status, "playing");
  return { alice, bob, room: created.room };
}

describe("memory store", () => {
  /** @type {Awaited<ReturnType<typeof startParlor>>} */
  let node;
  before(async () => {
    node = await startParlor();
  });
  after(() => node.kill("SIGKILL"));

  test("a full game: moves answered by their state events, both views agree, rematch", async (t) => {
    const { alice, bob, room } = await pair(t, node);
    assert.equal(alice.room.you.seat, 0);
    assert.equal(bob.room.you.seat, 1);
    /** @type {string[]} */
    const seen = [];
    bob.on("state", (ev) => seen.push(`${ev.version}:${ev.action?.cell}`));

    let version = alice.room.version;
    for (const [who, cell] of [[alice, 0], [bob, 3], [alice, 1], [bob, 4], [alice, 2]]) {
      // The opponent's last move may still be on its way to this player.
      await viewWhere(who, "the last move arrived", (v) => v.version === version);
      const ev = await who.action({ cell }, { expectedVersion: who.room.version });
      assert.equal(ev.type, "state");
      assert.equal(ev.by, who.room.you.player_id);
      assert.deepEqual(ev.action, { cell });
      // The view is current by the time the move's promise resolves.
      assert.equal(who.room.version, ev.version);
      version = ev.version;
    }
    const end = await viewWhere(bob, "bob sees the end", (v) => v.snapshot.status === "finished");
    assert.equal(end.snapshot.state.winner, 0);
    assert.deepEqual(end.snapshot.state.line, [0, 1, 2]);
    assert.deepEqual(alice.room.snapshot, bob.room.snapshot);
    // Bob saw every move once, in order (his own included).
    const v0 = alice.room.version - 5;
    assert.deepEqual(seen, [0, 3, 1, 4, 2].map((c, i) => `${v0 + i + 1}:${c}`));

    // A rematch: a fresh game starts (v1.2: once both asked; before it, at the first ask).
    await alice.rematch();
    const me = alice.room.you.player_id;
    await viewWhere(bob, "bob sees the offer or the new game", (v) => v.snapshot.status === "playing" || v.rematchOffers.includes(me));
    if (bob.room.snapshot.status === "finished") await bob.rematch();
    for (const c of [alice, bob]) {
      const v = await viewWhere(c, "a fresh game", (x) => x.snapshot.status === "playing");
      assert.deepEqual(v.snapshot.state.board, Array(9).fill(null));
    }
    const chat = await bob.chat("good game");
    assert.equal(chat.text, "good game");
    await viewWhere(alice, "alice has the chat line", (v) => v.chat.some((l) => l.text === "good game"));

    const left = await bob.leaveRoom();
    assert.equal(left.room, room);
    assert.equal(bob.room, null);
    await viewWhere(alice, "bob's seat is free", (v) => v.snapshot.players.length === 1);
  });

  test("a refused move rejects with the server's error code and changes nothing", async (t) => {
    const { alice, bob } = await pair(t, node);
    const before = structuredClone(alice.room);
    /** @type {any[]} */
    const unsolicited = [];
    alice.on("error", (e) => unsolicited.push(e));

    await assert.rejects(bob.action({ cell: 0 }), (err) => {
      assert.ok(err instanceof ParlorError);
      assert.equal(err.code, "not_your_turn");
      assert.equal(typeof err.req, "number");
      assert.equal(err.frame.req, err.req);
      return true;
    });
    await assert.rejects(alice.action({ cell: 9 }), { code: "illegal_move" });
    await assert.rejects(alice.action({ cell: 4 }, { expectedVersion: before.version - 1 }), { code: "stale_version" });
    await assert.rejects(alice.request({ type: "join_room", room: "ZZZZZZ", name: "x" }), { code: "already_in_room" });
    assert.deepEqual(alice.room, before);
    // Every error found its request: nothing was left over as an unsolicited error.
    assert.deepEqual(unsolicited, []);
    // The connection is still usable.
    const ev = await alice.action({ cell: 4 }, { expectedVersion: before.version });
    assert.equal(ev.version, before.version + 1);
  });

  test("a stale state is dropped: a real frame from earlier, fed again through the socket", async (t) => {
    const { alice, bob } = await pair(t, node, { WebSocket: TapSocket });
    const tap = TapSocket.latest();
    const first = await alice.action({ cell: 0 });
    await bob.action({ cell: 8 });
    await viewWhere(alice, "alice has bob's move", (v) => v.snapshot.state.board[8] === 1);
    const held = structuredClone(alice.room);

    /** @type {any[]} */
    const states = [];
    /** @type {any[]} */
    const dropped = [];
    alice.on("state", (ev) => states.push(ev));
    alice.on("dropped", (ev) => dropped.push(ev));
    tap.inject(first); // version first.version < the view's
    assert.equal(dropped.length, 1);
    assert.equal(dropped[0].version, first.version);
    assert.deepEqual(states, []);
    assert.deepEqual(alice.room, held);
  });

  test("a resync replaces the view (fed through the socket: one node cannot lose events)", async (t) => {
    // The memory store runs on one node, which never loses track of a room's events, so
    // it never sends `resync`. Here alice's socket holds back bob's move, as a node that
    // fell behind would, and the resync is built from the room as the server holds it
    // (the admin REST snapshot: tictactoe hides nothing, so it is what a player sees).
    const { alice, bob, room } = await pair(t, node, { WebSocket: TapSocket });
    const tap = TapSocket.latest();
    await alice.action({ cell: 0 });
    tap.swallow = (msg) => msg.type === "state";
    const missed = await bob.action({ cell: 4 });
    await eventually("alice's socket got bob's move", () => tap.swallowed.length === 1);
    assert.equal(alice.room.snapshot.state.board[4], null, "alice's view is behind");

    const snapshot = await node.admin(`/api/v1/rooms/${room}`);
    assert.equal(snapshot.version, missed.version);
    /** @type {any[]} */
    const changes = [];
    alice.on("room", (c) => changes.push(c.change));
    const older = { ...structuredClone(snapshot), version: snapshot.version - 2 };
    tap.inject({ type: "resync", room, snapshot: older });
    assert.deepEqual(changes, [], "an older resync is dropped");
    tap.inject({ type: "resync", room, snapshot });
    assert.deepEqual(changes, ["resync"]);
    assert.equal(alice.room.version, missed.version);
    assert.deepEqual(alice.room.snapshot, snapshot);
    assert.equal(alice.room.snapshot.state.board[4], 1);

    // The game goes on from the resynced view.
    tap.swallow = () => false;
    const next = await alice.action({ cell: 1 }, { expectedVersion: alice.room.version });
    assert.equal(next.version, missed.version + 1);
  });

  test("examples/bot.mjs: two bots play a game to the end", async () => {
    const run = (/** @type {string} */ name) =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [path.join(here, "..", "examples", "bot.mjs"), name], {
          env: { ...process.env, PARLOR_URL: node.url },
          stdio: ["ignore", "pipe", "pipe"],
        });
        let out = "";
        child.stdout.on("data", (d) => (out += d));
        child.stderr.on("data", (d) => (out += d));
        const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
        child.on("exit", (code) => {
          clearTimeout(timer);
          if (code === 0) resolve(out);
          else reject(new Error(`bot ${name} exited with ${code}:\n${out}`));
        });
      });
    const outs = /** @type {string[]} */ (await Promise.all([run("botty"), run("robo")]));
    const results = outs.map((o) => o.match(/: (won|lost|draw)$/m)?.[1]);
    assert.ok(
      (results.includes("won") && results.includes("lost")) || results.every((r) => r === "draw"),
      outs.join("\n"),
    );
    const rooms = outs.map((o) => o.match(/room (\w+)/)?.[1]);
    assert.equal(rooms[0], rooms[1], "they played each other");
  });
});

test("after a clean shutdown (SIGTERM) the client waits reconnect_after_ms, then reconnects and resumes", async (t) => {
  const after = 1500;
  const args = ["--reconnect-after-ms", String(after), "--shutdown-grace-ms", "500"];
  const first = await startParlor({ args });
  t.after(() => first.kill("SIGKILL"));
  const client = await connected(t, { url: first.url });
  const { room } = await client.createRoom({ game: "tictactoe", name: "alice" });

  /** @type {any[]} */
  const log = [];
  const t0 = Date.now();
  for (const type of /** @type {const} */ (["server_shutdown", "close", "reconnecting", "open", "resume_failed", "ready"])) {
    client.on(type, (ev) => log.push({ type, at: Date.now() - t0, ev }));
  }
  await first.kill("SIGTERM");
  const plan = await eventually("a reconnect is planned", () => log.find((e) => e.type === "reconnecting"));
  const shutdown = log.find((e) => e.type === "server_shutdown");
  assert.ok(shutdown, `server_shutdown received: ${JSON.stringify(log)}`);
  assert.equal(shutdown.ev.reconnect_after_ms, after);
  assert.equal(log.find((e) => e.type === "close")?.ev.code, 1001);
  assert.equal(plan.ev.afterShutdown, true);
  assert.ok(plan.ev.delayMs >= after && plan.ev.delayMs < after + 500, `delay ${plan.ev.delayMs}`);

  // The node comes back on the same port (memory store: its rooms are gone).
  const second = await startParlor({ port: first.port, args });
  t.after(() => second.kill("SIGKILL"));
  await eventually("the client is back", () => client.ready, 15_000);
  const opened = log.find((e) => e.type === "open");
  assert.ok(opened.at >= shutdown.at + after, `reconnected ${opened.at - shutdown.at} ms after server_shutdown`);
  // It tried to resume the seat; the restarted memory store does not know the room.
  const failed = log.find((e) => e.type === "resume_failed");
  assert.equal(failed?.ev.error.code, "invalid_session");
  assert.equal(failed.ev.room.room, room);
  assert.equal(client.room, null);
  // And the client works on the new node.
  const again = await client.createRoom({ game: "tictactoe", name: "alice" });
  assert.equal(client.room?.room, again.room);
});

test("requests reject with local codes: offline before connect, closed after close", async () => {
  const client = new ParlorClient({ url: "ws://127.0.0.1:9/ws" });
  await assert.rejects(client.ping(), { code: "offline" });
  const attempt = client.connect();
  client.close();
  await assert.rejects(attempt, { code: "closed" });
  await assert.rejects(client.ping(), { code: "closed" });
});
