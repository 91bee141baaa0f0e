// The admin console at /admin: a wrong token, the room list and its filters, a room's
// detail, kicking a player and deleting a room (each with confirmation), each seen on
// the players' own pages; and the console on a phone. The console only talks to the
// public REST API.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  assertNoPageErrors, createRoom, joinByCode, openPlayer, screenshot, sel, waitStatus, withStack,
} from "./helpers.mjs";

const TOKEN = "browser-admin-token-0123456789";

/** Rows of the room table, as their codes. */
function listedCodes(page) {
  return page.$$eval('[data-testid^="room-row-"]', (rows) => rows.map((r) => r.dataset.code));
}

async function waitListed(page, expected) {
  const want = [...expected].sort();
  await page.waitForFunction(
    (w) => JSON.stringify([...document.querySelectorAll('[data-testid^="room-row-"]')].map((r) => r.dataset.code).sort()) === JSON.stringify(w),
    want,
  );
}

test("admin console: token, list and filters, detail, kick, delete", { timeout: 120000 }, async () => {
  await withStack({ redis: true, serverArgs: ["--admin-token", TOKEN] }, async ({ browser, url }) => {
    const alice = await openPlayer(browser, url, "alice");
    const bob = await openPlayer(browser, url, "bob");
    const carol = await openPlayer(browser, url, "carol");
    const duel = await createRoom(alice, "tictactoe");
    await joinByCode(bob, duel);
    await waitStatus(alice, "Your turn");
    const solo = await createRoom(carol, "connect4");

    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const admin = await context.newPage();
    admin.setDefaultTimeout(10000);
    admin.errors = [];
    admin.on("pageerror", (err) => admin.errors.push(err.message));
    await admin.goto(`${url}/admin`);

    // A wrong token is refused in plain words, and nothing is stored.
    await admin.fill(sel("token-input"), "not-the-token");
    await admin.click(sel("login-submit"));
    await admin.waitForSelector(`${sel("login-error")}:not([hidden])`);
    assert.match(await admin.textContent(sel("login-error")), /Wrong token/);
    assert.equal(await admin.evaluate(() => sessionStorage.length), 0);
    assert.equal(await admin.isVisible(sel("console")), false);

    await admin.fill(sel("token-input"), TOKEN);
    await admin.click(sel("login-submit"));
    await admin.waitForSelector(`${sel("console")}:not([hidden])`);
    await admin.waitForFunction((s) => document.querySelector(s).textContent === "3", sel("stat-connections"));
    assert.equal(await admin.textContent(sel("stat-store")), "redis");
    await waitListed(admin, [duel, solo]);

    // The token lives in this tab's sessionStorage only: not in the URL, not a cookie.
    assert.equal(await admin.evaluate(() => sessionStorage.getItem("parlor.adminToken")), TOKEN);
    assert.ok(!admin.url().includes(TOKEN));
    assert.deepEqual(await context.cookies(), []);
    await admin.reload();
    await admin.waitForSelector(`${sel("console")}:not([hidden])`);

    // Filters go to the REST API's own parameters; the game list comes from its document.
    await admin.waitForSelector(`${sel("filter-game")} option[value="connect4"]`, { state: "attached" });
    await admin.selectOption(sel("filter-game"), "connect4");
    await waitListed(admin, [solo]);
    await admin.selectOption(sel("filter-game"), "");
    await admin.selectOption(sel("filter-status"), "playing");
    await waitListed(admin, [duel]);
    await admin.selectOption(sel("filter-status"), "");
    await admin.fill(sel("filter-limit"), "1");
    await admin.press(sel("filter-limit"), "Enter");
    await admin.waitForFunction(() => document.querySelectorAll('[data-testid^="room-row-"]').length === 1);
    const first = (await listedCodes(admin))[0];
    await admin.click(sel("page-next"));
    await admin.waitForFunction((f) => {
      const rows = [...document.querySelectorAll('[data-testid^="room-row-"]')];
      return rows.length === 1 && rows[0].dataset.code !== f;
    }, first);
    await admin.click(sel("page-first"));
    await admin.fill(sel("filter-limit"), "50");
    await admin.press(sel("filter-limit"), "Enter");
    await waitListed(admin, [duel, solo]);

    // The room's detail: players with seat and connection, status, version, state.
    await admin.click(sel(`room-row-${duel}`));
    await admin.waitForFunction((s) => document.querySelector(s).textContent === "playing", sel("detail-status"));
    assert.equal(await admin.textContent(sel("detail-code")), duel);
    assert.equal(await admin.textContent(sel("detail-game")), "tictactoe");
    assert.match(await admin.textContent(sel("detail-state")), /"board"/);
    const players = await admin.$$eval('[data-testid^="player-row-"]', (rows) =>
      rows.map((r) => [...r.querySelectorAll("td")].slice(0, 4).map((td) => td.textContent)));
    assert.deepEqual(players.map((p) => [p[0], p[1], p[3]]), [["0", "alice", "connected"], ["1", "bob", "connected"]]);
    const bobId = players[1][2];

    // Kick bob, after a confirmation (cancelling keeps him): his page says so; the
    // console drops him on its next refresh.
    await admin.click(sel(`kick-${bobId}`));
    await admin.waitForSelector(`${sel("confirm-kick")}[open]`);
    assert.equal(await admin.textContent(sel("kick-name")), "bob");
    assert.equal(await admin.textContent(sel("kick-code")), duel);
    await admin.click(sel("kick-cancel"));
    await admin.waitForSelector(`${sel("confirm-kick")}:not([open])`, { state: "attached" });
    await new Promise((r) => setTimeout(r, 2500)); // a whole refresh, and bob is still seated
    assert.ok(await admin.isVisible(sel(`player-row-${bobId}`)));
    assert.equal(await bob.isVisible(`${sel("room")}:not([hidden])`), true);
    await admin.click(sel(`kick-${bobId}`));
    await admin.click(sel("kick-yes"));
    await bob.waitForFunction((s) => document.querySelector(s).textContent.includes("You were removed from the room"), sel("error"));
    await bob.waitForSelector(`${sel("lobby")}:not([hidden])`);
    await admin.waitForSelector(sel(`player-row-${bobId}`), { state: "detached" });
    // Kicked mid-game, bob forfeits it.
    await waitStatus(alice, "bob left — you win");

    // Delete the room: cancelling keeps it; confirming closes it for alice.
    await admin.click(sel("delete-room"));
    await admin.click(sel("confirm-cancel"));
    assert.equal(await admin.isVisible(sel("detail")), true);
    await admin.click(sel("delete-room"));
    assert.equal(await admin.textContent(sel("confirm-code")), duel);
    await admin.click(sel("confirm-yes"));
    await alice.waitForFunction((s) => document.querySelector(s).textContent.includes("closed by an operator"), sel("error"));
    await alice.waitForSelector(`${sel("lobby")}:not([hidden])`);
    await waitListed(admin, [solo]);
    assert.equal(await admin.isVisible(sel("detail")), false);

    // Signing out forgets the token.
    await admin.click(sel("logout"));
    await admin.waitForSelector(`${sel("login")}:not([hidden])`);
    assert.equal(await admin.evaluate(() => sessionStorage.length), 0);

    await context.close();
    assertNoPageErrors(alice, bob, carol, admin);
  });
});

test("admin console on a phone: the room table scrolls in its card, the counts say what they count", { timeout: 60000 }, async () => {
  await withStack({ serverArgs: ["--admin-token", TOKEN] }, async ({ browser, url }) => {
    const alice = await openPlayer(browser, url, "alice");
    const bob = await openPlayer(browser, url, "bob");
    const code = await createRoom(alice, "tictactoe");
    await joinByCode(bob, code);

    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
    const admin = await context.newPage();
    admin.setDefaultTimeout(10000);
    admin.errors = [];
    admin.on("pageerror", (err) => admin.errors.push(err.message));
    await admin.goto(`${url}/admin`);
    await admin.fill(sel("token-input"), TOKEN);
    await admin.click(sel("login-submit"));
    await waitListed(admin, [code]);
    await admin.click(sel(`room-row-${code}`));
    await admin.waitForSelector('[data-testid^="player-row-"]');

    // The page itself never scrolls sideways; the wide table scrolls inside its card.
    const page = await admin.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
    assert.ok(page[0] <= page[1], `the page is ${page[0]} px wide in ${page[1]}`);
    const box = await admin.$eval(sel("rooms-scroll"), (el) => [el.scrollWidth, el.clientWidth]);
    assert.ok(box[1] < 390 && box[0] > box[1], `the room table does not scroll in its card: ${box}`);
    await screenshot(admin, "admin-phone");

    // "Rooms with members here" beside "all rooms": two counts, each saying what it counts.
    assert.match(await admin.textContent(sel("stat-rooms_local-label")), /on this node|to this node/);
    assert.match(await admin.textContent("#rooms-title"), /^All rooms/);
    assert.equal(await admin.textContent(sel("stat-rooms_local")), "1");
    assertNoPageErrors(admin, alice, bob);
  });
});
