// Leaving a game being played forfeits it: the page of the player who stayed (and a
// spectator's) says who left and who won, keeps the board, and offers no rematch until
// someone takes the free seat.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  assertNoPageErrors, createRoom, joinByCode, openPlayer, playCell, screenshot, sel,
  waitStatus, withStack,
} from "./helpers.mjs";

test("a player who leaves mid-game loses it: \"bob left — you win\"", { timeout: 90000 }, async () => {
  await withStack({}, async ({ browser, url }) => {
    const alice = await openPlayer(browser, url, "alice");
    const bob = await openPlayer(browser, url, "bob");
    const sam = await openPlayer(browser, url, "sam");
    const code = await createRoom(alice, "tictactoe");
    await joinByCode(bob, code);
    await joinByCode(sam, code, { spectate: true });
    await playCell(alice, 4, 0, [bob, sam]);

    await bob.click(sel("leave"));
    await bob.waitForSelector(`${sel("lobby")}:not([hidden])`);
    await waitStatus(alice, "bob left — you win");
    await waitStatus(sam, "bob left — alice wins");
    await alice.waitForSelector(sel("player-empty"));
    assert.equal(await alice.getAttribute(sel("cell-4"), "data-owner"), "0", "the board stays");
    assert.equal(await alice.isVisible(sel("rematch")), false, "no rematch with a seat free");
    await screenshot(alice, "forfeit");

    // carol takes the seat: a new game starts.
    const carol = await openPlayer(browser, url, "carol");
    await joinByCode(carol, code);
    await alice.waitForFunction((s) => document.querySelector(s).dataset.status === "playing", sel("status"));
    assert.equal(await alice.getAttribute(sel("cell-4"), "data-owner"), "");
    assertNoPageErrors(alice, sam, carol);
  });
});
