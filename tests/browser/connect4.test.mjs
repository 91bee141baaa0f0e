// Connect Four to a win on a Redis-backed server.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  assertNoPageErrors, createRoom, dropDisc, joinByCode, openPlayer, screenshot, sel,
  waitStatus, withStack,
} from "./helpers.mjs";

test("connect4 on Redis: vertical win with the line highlighted", { timeout: 90000 }, async () => {
  await withStack({ redis: true }, async ({ browser, url }) => {
    const alice = await openPlayer(browser, url, "alice");
    const bob = await openPlayer(browser, url, "bob");

    const code = await createRoom(alice, "connect4");
    await joinByCode(bob, code);
    await waitStatus(alice, "Your turn");
    await waitStatus(bob, "Waiting for alice");

    // alice stacks column 3; bob stacks column 4 beside her.
    await dropDisc(alice, 3, 5, 0, [bob]);
    await dropDisc(bob, 4, 5, 1, [alice]);
    await dropDisc(alice, 3, 4, 0, [bob]);
    await dropDisc(bob, 4, 4, 1, [alice]);
    await dropDisc(alice, 3, 3, 0, [bob]);
    await dropDisc(bob, 4, 3, 1, [alice]);
    await dropDisc(alice, 3, 2, 0, [bob]);

    await waitStatus(alice, "You won!");
    await waitStatus(bob, "alice won");
    for (const page of [alice, bob]) {
      const win = await page.$$eval('[data-testid^="slot-"][data-win="true"]', (s) => s.map((x) => x.dataset.testid).sort());
      assert.deepEqual(win, ["slot-2-3", "slot-3-3", "slot-4-3", "slot-5-3"]);
      const discs = await page.$$eval('[data-testid^="slot-"]', (s) => s.filter((x) => x.dataset.owner !== "").length);
      assert.equal(discs, 7);
    }
    await screenshot(bob, "connect4-win");
    assertNoPageErrors(alice, bob);
  });
});
