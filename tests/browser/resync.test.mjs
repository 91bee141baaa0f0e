// A node that lost room events (its Redis subscription was cut while the room moved on)
// re-reads the room and sends `resync`: the page replaces its whole view with the
// snapshot, so the board, the turn and the players match the stored room again.

import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { applyEvent, fromJoined } from "../../clients/js/src/index.js";
import {
  assertNoPageErrors, createRoom, joinByCode, launchBrowser, openPlayer, playCell,
  sel, startParlor, startRedis, tictactoeOwners, waitStatus,
} from "./helpers.mjs";

/** One Redis command over a fresh connection; resolves with the raw reply text. */
function redisCommand(port, args) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, "127.0.0.1");
    let data = "";
    sock.setTimeout(5000, () => {
      sock.destroy();
      reject(new Error(`redis ${args[0]} timed out`));
    });
    sock.on("connect", () => {
      let req = `*${args.length}\r\n`;
      for (const a of args) req += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
      sock.write(req);
    });
    sock.on("data", (d) => {
      data += d;
      if (complete(data)) {
        sock.end();
        resolve(data);
      }
    });
    sock.on("error", reject);
  });
}

/** Whether `data` holds one whole simple, integer, error or bulk-string reply. */
function complete(data) {
  const eol = data.indexOf("\r\n");
  if (eol < 0) return false;
  if (data[0] !== "$") return true;
  const n = Number(data.slice(1, eol));
  return n < 0 || Buffer.byteLength(data) >= eol + 2 + n + 2;
}

function bulk(reply) {
  const eol = reply.indexOf("\r\n");
  return reply.slice(eol + 2, reply.length - 2);
}

test("model: resync replaces the view, never with an older one", () => {
  const cur = fromJoined({
    room: "K7QXHM",
    you: { player_id: "p_a", name: "alice", seat: 0, role: "player" },
    snapshot: { code: "K7QXHM", status: "waiting", version: 5, players: [], spectators: 0, state: {} },
  });
  const newer = { code: "K7QXHM", status: "playing", version: 9, players: [{ player_id: "p_b", seat: 1 }], spectators: 2, state: { turn: 1 } };
  assert.equal(applyEvent(cur, { type: "resync", room: "K7QXHM", snapshot: newer }), "resync");
  assert.deepEqual(cur.snapshot, newer);
  assert.equal(cur.version, 9);
  const older = { ...newer, version: 7, status: "finished" };
  assert.equal(applyEvent(cur, { type: "resync", room: "K7QXHM", snapshot: older }), null);
  assert.equal(cur.snapshot.status, "playing");
});

test("a page shows the stored room after the node resyncs", { timeout: 120000 }, async () => {
  const redis = await startRedis();
  const redisPort = Number(new URL(redis.url).port);
  const server = await startParlor({ redisUrl: redis.url });
  const browser = await launchBrowser();
  try {
    const alice = await openPlayer(browser, server.url, "alice");
    const bob = await openPlayer(browser, server.url, "bob");
    const code = await createRoom(alice, "tictactoe");
    await joinByCode(bob, code);
    await playCell(alice, 4, 0, [bob]);
    await waitStatus(bob, "Your turn");

    // Bob's move at the next version, stored by a write whose event nobody received.
    const key = `parlor:room:{${code}}`;
    const doc = JSON.parse(bulk(await redisCommand(redisPort, ["HGET", key, "doc"])));
    doc.version += 1;
    doc.state.board[0] = 1;
    doc.state.turn = 0;
    await redisCommand(redisPort, ["HSET", key, "v", String(doc.version), "doc", JSON.stringify(doc)]);
    const killed = await redisCommand(redisPort, ["CLIENT", "KILL", "TYPE", "pubsub"]);
    assert.equal(killed.trim(), ":1", "one subscriber connection");

    for (const page of [alice, bob]) {
      await page.waitForSelector(`${sel("cell-0")}[data-owner="1"]`);
    }
    await waitStatus(alice, "Your turn");
    assert.deepEqual(await tictactoeOwners(bob), ["1", "", "", "", "0", "", "", "", ""]);
    // The game goes on from the resynced view.
    await playCell(alice, 8, 0, [bob]);
    await waitStatus(bob, "Your turn");
    assertNoPageErrors(alice, bob);
  } catch (err) {
    err.message += `\n${server.logs()}\n${redis.logs()}`;
    throw err;
  } finally {
    await browser.close().catch(() => {});
    await server.stop();
    await redis.stop();
  }
});
