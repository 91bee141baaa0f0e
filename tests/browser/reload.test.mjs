// Reloading the page (or losing the socket) mid-game keeps the seat and the board.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  assertNoPageErrors, createRoom, joinByCode, openPlayer, playCell, screenshot, sel,
  tictactoeOwners, waitStatus, withStack,
} from "./helpers.mjs";

test("reload mid-game: same seat, board intact, game continues", { timeout: 90000 }, async () => {
  await withStack({}, async ({ browser, url }) => {
    const alice = await openPlayer(browser, url, "alice");
    const bob = await openPlayer(browser, url, "bob");
    const code = await createRoom(alice, "tictactoe");
    await joinByCode(bob, code);
    await waitStatus(alice, "Your turn");

    // alice plays the centre with the keyboard: cursor from cell 0, right, down, Enter.
    await alice.focus(sel("cell-0"));
    await alice.keyboard.press("ArrowRight");
    await alice.keyboard.press("ArrowDown");
    assert.equal(await alice.evaluate(() => document.activeElement.dataset.testid), "cell-4");
    await alice.keyboard.press("Enter");
    await bob.waitForSelector(`${sel("cell-4")}[data-owner="0"]`);
    await playCell(bob, 0, 1, [alice]);

    await alice.reload();
    await alice.waitForSelector(`${sel("room")}:not([hidden])`);
    await alice.waitForSelector(`${sel("conn")}[data-state="online"]`);
    await waitStatus(alice, "Your turn");
    assert.equal((await alice.textContent(sel("room-code"))).trim(), code);
    assert.equal(await alice.getAttribute(sel("player-0"), "data-you"), "true");
    assert.deepEqual(await tictactoeOwners(alice), ["1", "", "", "", "0", "", "", "", ""]);
    await bob.waitForSelector(`${sel("player-0")}[data-connected="true"]`);

    await playCell(alice, 8, 0, [bob]);
    await waitStatus(bob, "Your turn");

    // A dropped socket (no reload) heals itself too.
    await bob.evaluate(() => window.parlor.conn.drop());
    await bob.waitForSelector(`${sel("conn")}[data-state="online"]`);
    await waitStatus(bob, "Your turn");
    await playCell(bob, 2, 1, [alice]);
    assert.deepEqual(await tictactoeOwners(alice), ["1", "", "1", "", "0", "", "", "", "0"]);
    await waitStatus(alice, "Your turn");
    await screenshot(alice, "reload-continued");
    assertNoPageErrors(alice, bob);
  });
});
