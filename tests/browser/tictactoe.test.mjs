// Two independent players play tic-tac-toe to a win, then a rematch both agree to.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  assertNoPageErrors, createRoom, joinByCode, openPlayer, playCell, screenshot, sel,
  tictactoeOwners, waitStatus, withStack,
} from "./helpers.mjs";

test("tic-tac-toe: create, join by code, win, rematch by agreement", { timeout: 90000 }, async () => {
  await withStack({}, async ({ browser, url }) => {
    const alice = await openPlayer(browser, url, "alice");
    const bob = await openPlayer(browser, url, "bob");

    const code = await createRoom(alice, "tictactoe");
    assert.match(code, /^[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]{6}$/);
    await waitStatus(alice, "Waiting for an opponent to join");

    await joinByCode(bob, code.toLowerCase());
    assert.equal((await bob.textContent(sel("room-code"))).trim(), code);
    await waitStatus(alice, "Your turn");
    await waitStatus(bob, "Waiting for alice");

    // alice (X, seat 0) takes the top row; bob answers in the middle row.
    await playCell(alice, 0, 0, [bob]);
    await waitStatus(bob, "Your turn");

    // Client-side refusals: out of turn, and a taken cell.
    await alice.click(sel("cell-5"), { force: true });
    await alice.waitForFunction((s) => document.querySelector(s).textContent === "It's not your turn", sel("hint"));
    await bob.click(sel("cell-0"), { force: true });
    await bob.waitForFunction((s) => document.querySelector(s).textContent === "That square is taken", sel("hint"));
    assert.equal(await bob.getAttribute(sel("cell-0"), "data-owner"), "0");

    await playCell(bob, 3, 1, [alice]);
    await playCell(alice, 1, 0, [bob]);
    await playCell(bob, 4, 1, [alice]);
    await playCell(alice, 2, 0, [bob]);

    await waitStatus(alice, "You won!");
    await waitStatus(bob, "alice won");
    for (const page of [alice, bob]) {
      const wins = await page.$$eval('[data-testid^="cell-"]', (cells) => cells.map((c) => c.dataset.win === "true"));
      assert.deepEqual(wins, [true, true, true, false, false, false, false, false, false]);
      assert.deepEqual(await tictactoeOwners(page), ["0", "0", "0", "1", "1", "", "", "", ""]);
      assert.equal(await page.isVisible(sel("rematch")), true);
    }
    await screenshot(alice, "tictactoe-win");

    // alice asks for a rematch: bob is offered it, the finished game stays until he
    // accepts; then a fresh board, and bob (seat 1) moves first this time.
    await alice.click(sel("rematch"));
    await alice.waitForFunction((s) => document.querySelector(s).textContent === "Waiting for bob to accept the rematch", sel("rematch-offer"));
    assert.equal(await alice.isVisible(sel("rematch")), false);
    await bob.waitForFunction((s) => document.querySelector(s).textContent === "alice wants a rematch", sel("rematch-offer"));
    assert.equal((await bob.textContent(sel("rematch"))).trim(), "Accept rematch");
    await waitStatus(bob, "alice won");
    await screenshot(bob, "tictactoe-rematch-offer");
    await bob.click(sel("rematch"));
    for (const page of [alice, bob]) {
      await page.waitForFunction(() =>
        [...document.querySelectorAll('[data-testid^="cell-"]')].every((c) => c.dataset.owner === "" && c.dataset.win === "false"));
      assert.equal(await page.isVisible(sel("rematch")), false);
      assert.equal(await page.isVisible(sel("rematch-offer")), false);
    }
    await waitStatus(bob, "Your turn");
    await waitStatus(alice, "Waiting for bob");
    await playCell(bob, 4, 1, [alice]);
    await waitStatus(alice, "Your turn");
    await screenshot(bob, "tictactoe-rematch");

    assertNoPageErrors(alice, bob);
  });
});
