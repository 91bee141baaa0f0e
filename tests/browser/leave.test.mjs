// Error messages, a draw, leaving a room, and a dropped player's marker.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  assertNoPageErrors, createRoom, joinByCode, openPlayer, playCell, screenshot, sel,
  waitStatus, withStack,
} from "./helpers.mjs";

async function waitToast(page, text) {
  await page.waitForFunction(
    ([s, t]) => { const el = document.querySelector(s); return !el.hidden && el.textContent === t; },
    [sel("error"), text],
  );
}

test("errors, a draw, leaving, and a disconnected opponent", { timeout: 90000 }, async () => {
  await withStack({}, async ({ browser, url }) => {
    const alice = await openPlayer(browser, url, "");
    await alice.click(sel("create-room"));
    await waitToast(alice, "Enter your name first (1–24 characters)");
    await alice.fill(sel("name-input"), "alice");

    const bob = await openPlayer(browser, url, "bob");
    await bob.fill(sel("join-code"), "ab");
    await bob.click(sel("join-room"));
    await waitToast(bob, "Room codes are 6 letters or digits");
    await bob.fill(sel("join-code"), "ZZZZZZ");
    await bob.click(sel("join-room"));
    await waitToast(bob, "No room with that code"); // the server's room_not_found

    const code = await createRoom(alice, "tictactoe");
    await joinByCode(bob, code);
    for (const [page, seat, cell] of [[alice, 0, 0], [bob, 1, 1], [alice, 0, 2], [bob, 1, 4], [alice, 0, 3],
      [bob, 1, 5], [alice, 0, 7], [bob, 1, 6], [alice, 0, 8]]) {
      await playCell(page, cell, seat, [page === alice ? bob : alice]);
    }
    await waitStatus(alice, "It's a draw");
    await waitStatus(bob, "It's a draw");
    assert.equal(await alice.$$eval('[data-win="true"]', (c) => c.length), 0);
    await screenshot(alice, "draw");

    // bob leaves the finished game: he is back in the lobby; alice keeps the result on
    // screen with his seat free (no rematch without him).
    await bob.click(sel("leave"));
    await bob.waitForSelector(`${sel("lobby")}:not([hidden])`);
    await alice.waitForSelector(sel("player-empty"));
    await waitStatus(alice, "It's a draw");
    assert.equal(await alice.isVisible(sel("rematch")), false);

    // carol takes the free seat, then her browser goes away.
    const carol = await openPlayer(browser, url, "carol");
    await joinByCode(carol, code);
    await alice.waitForSelector(`${sel("player-1")}[data-connected="true"]`);
    // Who opens the new game is the server's choice; both pages must agree on it.
    await carol.waitForFunction((s) => document.querySelector(s).dataset.status === "playing", sel("status"));
    const carolTurn = (await carol.textContent(sel("status"))).trim();
    if (carolTurn === "Your turn") await waitStatus(alice, "Waiting for carol");
    else {
      assert.equal(carolTurn, "Waiting for alice");
      await playCell(alice, 4, 0, [carol]);
      await waitStatus(carol, "Your turn");
    }
    await carol.context().close();
    await alice.waitForSelector(`${sel("player-1")}[data-connected="false"]`);
    assert.match(await alice.textContent(sel("player-1")), /offline/);
    await waitStatus(alice, "Waiting for carol (disconnected)");
    await screenshot(alice, "opponent-offline");
    assertNoPageErrors(alice, bob);
  });
});
