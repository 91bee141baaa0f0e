// A server restart on Redis loses nothing: the page is told to come back,
// reconnects to the new process on the same port, and resumes its seat.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  assertNoPageErrors, createRoom, joinByCode, launchBrowser, openPlayer, playCell, screenshot,
  sel, startParlor, startRedis, tictactoeOwners, waitStatus,
} from "./helpers.mjs";

test("server restart on Redis: pages reconnect and the game goes on", { timeout: 120000 }, async () => {
  const redis = await startRedis();
  let server = await startParlor({ redisUrl: redis.url });
  const browser = await launchBrowser();
  try {
    const alice = await openPlayer(browser, server.url, "alice");
    const bob = await openPlayer(browser, server.url, "bob");
    const code = await createRoom(alice, "tictactoe");
    await joinByCode(bob, code);
    await playCell(alice, 4, 0, [bob]);

    // SIGTERM: a graceful stop sends server_shutdown, then closes the sockets.
    await alice.evaluate(() => {
      window.parlor.conn.on("server_shutdown", (frame) => {
        window.shutdownFrame = frame;
      });
    });
    await server.stop();
    await alice.waitForSelector(`${sel("conn")}[data-state="reconnecting"]`);
    const frame = await alice.evaluate(() => window.shutdownFrame);
    assert.equal(typeof frame?.reconnect_after_ms, "number", "no server_shutdown frame before the socket closed");
    server = await startParlor({ redisUrl: redis.url, port: server.port });

    for (const page of [alice, bob]) {
      // Back-off up to 20 s between attempts while the new process starts.
      await page.waitForSelector(`${sel("conn")}[data-state="online"]`, { timeout: 45000 });
      await page.waitForSelector(`${sel("room")}:not([hidden])`);
    }
    await waitStatus(bob, "Your turn");
    assert.equal((await bob.textContent(sel("room-code"))).trim(), code);
    await playCell(bob, 0, 1, [alice]);
    await waitStatus(alice, "Your turn");
    assert.deepEqual(await tictactoeOwners(alice), ["1", "", "", "", "0", "", "", "", ""]);
    await screenshot(alice, "restart-resumed");
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
