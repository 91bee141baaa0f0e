// Playing signed in (protocol §3): a page opened with `?token=<JWT>` signs in with an
// `auth` message (the token never goes in the WebSocket URL and leaves the address bar),
// shows the account, plays under it (the REST view of the room names the user), and
// stays signed in across a reload. A refused token says so and stops; without a token an
// anonymous server plays as before, with `user: null`.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { assertNoPageErrors, createRoom, openPlayer, sel, withStack } from "./helpers.mjs";

const SECRET = "a-browser-test-secret-of-32-bytes-or-more";
const ADMIN = "browser-test-admin-token";

/** An HS256 JWT signed with SECRET. */
function jwt(claims) {
  const b64 = (v) => Buffer.from(JSON.stringify(v)).toString("base64url");
  const body = `${b64({ alg: "HS256", typ: "JWT" })}.${b64(claims)}`;
  return `${body}.${createHmac("sha256", SECRET).update(body).digest("base64url")}`;
}

/** The REST snapshot of a room, as an operator (or a studio's backend) reads it. */
async function roomOverRest(url, code) {
  const res = await fetch(`${url}/api/v1/rooms/${code}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  assert.equal(res.status, 200);
  return res.json();
}

/** A page in its own context at `address`, its WebSocket URLs collected in `page.sockets`. */
async function openPage(browser, address) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  page.errors = [];
  page.on("pageerror", (err) => page.errors.push(err.message));
  page.sockets = socketUrls(page);
  await page.goto(address);
  return page;
}

/** Every WebSocket URL `page` opens. */
function socketUrls(page) {
  const urls = [];
  page.on("websocket", (ws) => urls.push(ws.url()));
  return urls;
}

test("?token= signs the page in: the account is shown, the token stays out of URLs, the room's player has the user", { timeout: 60000 }, async () => {
  const serverArgs = ["--jwt-hs256-secret", SECRET, "--admin-token", ADMIN];
  await withStack({ serverArgs }, async ({ browser, url }) => {
    const now = Math.floor(Date.now() / 1000);
    const token = jwt({ sub: "acct-alice-42", name: "Alice", iat: now, exp: now + 3600 });
    const page = await openPage(browser, `${url}/?token=${token}`);
    await page.waitForSelector(`${sel("conn")}[data-state="online"]`);
    await page.waitForSelector(`${sel("user")}:not([hidden])`);
    assert.equal((await page.textContent(sel("user"))).trim(), "Signed in as Alice");
    assert.equal(await page.getAttribute(sel("user"), "data-user"), "acct-alice-42");
    assert.ok(!page.url().includes("token"), `the token is still in the address bar: ${page.url()}`);
    // The token's name is the player's name.
    assert.equal(await page.inputValue(sel("name-input")), "Alice");

    const code = await createRoom(page);
    const snapshot = await roomOverRest(url, code);
    assert.deepEqual(
      snapshot.players.map((p) => [p.name, p.user]),
      [["Alice", "acct-alice-42"]],
    );

    // A reload keeps the tab signed in and in its seat.
    await page.reload();
    await page.waitForSelector(`${sel("user")}:not([hidden])`);
    await page.waitForSelector(`${sel("room")}:not([hidden])`);
    await page.waitForSelector(`${sel("conn")}[data-state="online"]`);
    assert.equal((await page.textContent(sel("room-code"))).trim(), code);
    assert.equal((await roomOverRest(url, code)).players.length, 1);

    assert.ok(page.sockets.length >= 2, `sockets: ${page.sockets}`);
    for (const ws of page.sockets) assert.ok(!ws.includes("token") && !ws.includes(token), `a WebSocket URL carries the token: ${ws}`);

    // Without a token, this server (anonymous play off) asks for a sign-in.
    const guest = await openPlayer(browser, url, "guest");
    await guest.click(sel("create-room"));
    await guest.waitForFunction(
      (s) => document.querySelector(s)?.textContent.includes("sign in"),
      sel("error"),
    );
    assert.ok(await guest.isHidden(sel("room")));
    assertNoPageErrors(page, guest);
  });
});

test("an expired token is reported and the page stops trying", { timeout: 60000 }, async () => {
  await withStack({ serverArgs: ["--jwt-hs256-secret", SECRET] }, async ({ browser, url }) => {
    const then = Math.floor(Date.now() / 1000) - 7200;
    const token = jwt({ sub: "acct-bob", iat: then, exp: then + 3600 });
    const page = await openPage(browser, `${url}/?token=${token}`);
    await page.waitForSelector(`${sel("user")}[data-state="refused"]:not([hidden])`);
    assert.match(await page.textContent(sel("user")), /expired/);
    await page.waitForSelector(`${sel("conn")}[data-state="closed"]`);
    // A reload no longer carries the refused token.
    assert.equal(await page.evaluate(() => sessionStorage.getItem("parlor.token")), null);
    assertNoPageErrors(page);
  });
});

test("without a token an anonymous server plays as before: no account shown, user null", { timeout: 60000 }, async () => {
  await withStack({ serverArgs: ["--admin-token", ADMIN] }, async ({ browser, url }) => {
    const page = await openPlayer(browser, url, "carol");
    const code = await createRoom(page);
    assert.ok(await page.isHidden(sel("user")));
    assert.equal(await page.getAttribute(sel("name-input"), "readonly"), null);
    const snapshot = await roomOverRest(url, code);
    assert.deepEqual(
      snapshot.players.map((p) => [p.name, p.user]),
      [["carol", null]],
    );
    assertNoPageErrors(page);
  });
});
