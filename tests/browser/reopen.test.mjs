// A player who closes the tab mid-game and opens the room's link again (or types its
// code) gets their held seat back: the seat's session is kept in localStorage by room
// code, and a new tab resumes it instead of joining ("That room is full").

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  assertNoPageErrors, createRoom, joinByCode, openPlayer, playCell, sel, tictactoeOwners,
  waitStatus, withStack,
} from "./helpers.mjs";

/** A new tab in `context` (same localStorage, fresh sessionStorage) at `path`. */
async function newTab(context, url) {
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  page.errors = [];
  page.on("pageerror", (err) => page.errors.push(err.message));
  await page.goto(url);
  return page;
}

test("a closed tab's seat comes back through the room's link or its code", { timeout: 90000 }, async () => {
  await withStack({}, async ({ browser, url }) => {
    const alice = await openPlayer(browser, url, "alice");
    const bob = await openPlayer(browser, url, "bob");
    const code = await createRoom(alice, "tictactoe");
    await joinByCode(bob, code);
    await playCell(alice, 4, 0, [bob]);
    const context = bob.context();
    const errors = [];

    // Closed, then the link opened in a new tab: bob's seat, the board, his turn.
    await bob.close();
    await alice.waitForSelector(`${sel("player-1")}[data-connected="false"]`);
    let tab = await newTab(context, `${url}/?room=${code}`);
    await tab.waitForSelector(`${sel("room")}:not([hidden])`);
    await tab.waitForSelector(`${sel("conn")}[data-state="online"]`);
    await waitStatus(tab, "Your turn");
    assert.equal(await tab.getAttribute(sel("player-1"), "data-you"), "true");
    assert.equal(await tab.isVisible(sel("error")), false, "a toast on resume");
    await alice.waitForSelector(`${sel("player-1")}[data-connected="true"]`);
    await playCell(tab, 0, 1, [alice]);
    errors.push(...tab.errors);

    // Closed again, and the code typed into a fresh lobby: the seat again, not a join.
    await tab.close();
    await alice.waitForSelector(`${sel("player-1")}[data-connected="false"]`);
    tab = await newTab(context, url);
    await tab.waitForSelector(`${sel("conn")}[data-state="online"]`);
    await tab.fill(sel("name-input"), "bob");
    await tab.fill(sel("join-code"), code);
    await tab.click(sel("join-room"));
    await tab.waitForSelector(`${sel("room")}:not([hidden])`);
    assert.equal(await tab.getAttribute(sel("player-1"), "data-you"), "true");
    await playCell(alice, 8, 0, [tab]);
    assert.deepEqual(await tictactoeOwners(tab), ["1", "", "", "", "0", "", "", "", "0"]);

    // Leaving gives the seat up: the link then opens the lobby with the code filled in.
    await tab.click(sel("leave"));
    await tab.waitForSelector(`${sel("lobby")}:not([hidden])`);
    assert.equal(await tab.evaluate((c) => localStorage.getItem(`parlor.seat.${c}`), code), null);
    await tab.close();
    tab = await newTab(context, `${url}/?room=${code}`);
    await tab.waitForSelector(`${sel("lobby")}:not([hidden])`);
    assert.equal(await tab.inputValue(sel("join-code")), code);
    errors.push(...tab.errors);
    assert.deepEqual(errors, []);
    assertNoPageErrors(alice);
  });
});
