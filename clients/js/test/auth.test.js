// Players with accounts (protocol §3) against a real server: the client authenticates
// every new socket with a token from getToken(), refreshes it on auth_expiring, resumes a
// user's seat after a reconnect, loses a seat taken back from another device (`kicked`
// `replaced`), and signs in again with a fresh token after a revocation closed it (4003).

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { test } from "node:test";

import { ParlorClient } from "../src/index.js";
import { ADMIN_TOKEN, connected, eventually, startParlor } from "./helpers.js";

const SECRET = "a-test-secret-of-at-least-32-bytes!!";

/** An HS256 JWT. @param {Record<string, unknown>} claims */
function jwt(claims) {
  const b64 = (/** @type {unknown} */ v) => Buffer.from(JSON.stringify(v)).toString("base64url");
  const body = `${b64({ alg: "HS256", typ: "JWT" })}.${b64(claims)}`;
  return `${body}.${createHmac("sha256", SECRET).update(body).digest("base64url")}`;
}

test("getToken authenticates each socket, refreshes on auth_expiring, and the user's seat is resumed", async (t) => {
  const node = await startParlor({ args: ["--jwt-hs256-secret", SECRET] });
  t.after(() => node.kill("SIGKILL"));
  let issued = 0;
  const getToken = () => {
    issued += 1;
    const now = Math.floor(Date.now() / 1000);
    // 62 s to live: the server warns 60 s before `exp`, so about 2 s from now.
    return jwt({ sub: "alice-account", name: "alice", iat: now, exp: now + 62 });
  };
  const alice = await connected(t, { url: node.url, getToken });
  assert.equal(issued, 1);
  assert.equal(alice.user?.user, "alice-account");
  const first = alice.user.expiresAt;

  const joined = await alice.createRoom({ game: "tictactoe", name: "ignored: the token names her" });
  assert.equal(joined.you.name, "alice");
  assert.equal(joined.snapshot.players[0].user, "alice-account");

  const expiring = await alice.once("auth_expiring", { timeoutMs: 10_000 });
  assert.ok(expiring.expires_at);
  const refreshed = await alice.once("authed", { timeoutMs: 10_000 });
  assert.equal(refreshed.user, "alice-account");
  assert.equal(issued, 2);
  assert.ok(Date.parse(refreshed.expires_at) >= Date.parse(first));

  // A new socket authenticates again before it resumes the user's seat.
  alice.drop();
  const resumed = await alice.once("resumed", { timeoutMs: 10_000 });
  assert.equal(issued, 3);
  assert.equal(resumed.you.player_id, joined.you.player_id);
});

test("without a token, a server with anonymous play off refuses requests with unauthenticated", async (t) => {
  const node = await startParlor({ args: ["--jwt-hs256-secret", SECRET] });
  t.after(() => node.kill("SIGKILL"));
  const anon = await connected(t, { url: node.url });
  await assert.rejects(anon.createRoom({ game: "tictactoe", name: "x" }), { code: "unauthenticated" });
  // A refused token is reported and the client keeps trying with fresh ones.
  const bad = new ParlorClient({ url: node.url, getToken: () => "not.a.jwt" });
  t.after(() => bad.close());
  const refused = bad.once("auth_error", { timeoutMs: 10_000 });
  bad.connect().catch(() => {});
  assert.equal((await refused).code, "invalid_token");
  await eventually("still not ready", () => !bad.ready);
});

/** A token for `sub` issued now (a fresh one each call), an hour to live. @param {string} sub */
function tokenFor(sub) {
  const now = Math.floor(Date.now() / 1000);
  return jwt({ sub, iat: now, exp: now + 3600 });
}

test("the same user on a second device takes the seat back; the first is kicked with reason replaced", async (t) => {
  const node = await startParlor({ args: ["--jwt-hs256-secret", SECRET] });
  t.after(() => node.kill("SIGKILL"));
  const phone = await connected(t, { url: node.url, getToken: () => tokenFor("carol") });
  const joined = await phone.createRoom({ game: "tictactoe", name: "carol" });
  const kicked = phone.once("kicked", { timeoutMs: 10_000 });
  const changes = /** @type {string[]} */ ([]);
  phone.on("room", (c) => changes.push(c.change));

  const laptop = await connected(t, { url: node.url, getToken: () => tokenFor("carol") });
  const again = await laptop.joinRoom({ room: joined.room, name: "carol" });
  assert.equal(again.you.player_id, joined.you.player_id);
  assert.equal(again.you.seat, joined.you.seat);
  assert.equal((await kicked).reason, "replaced");
  assert.equal(phone.room, null);
  assert.deepEqual(changes, ["kicked"]);
  assert.equal(laptop.room?.snapshot.players.length, 1);
  assert.equal(laptop.room?.snapshot.players[0].user, "carol");
});

test("a revoked user's socket is closed with 4003; a token issued after the revocation signs in again", async (t) => {
  const node = await startParlor({ args: ["--jwt-hs256-secret", SECRET] });
  t.after(() => node.kill("SIGKILL"));
  const dave = await connected(t, {
    url: node.url,
    getToken: () => tokenFor("dave"),
    reconnect: { minDelayMs: 200, maxDelayMs: 1_000 },
  });
  const joined = await dave.createRoom({ game: "connect4", name: "dave" });
  const closed = dave.once("close", { timeoutMs: 10_000 });
  const res = await fetch(`${node.http}/api/v1/users/dave/revoke`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  assert.equal(res.status, 204);
  assert.equal((await closed).code, 4003);
  // Tokens issued in the revocation's second are refused too: the client keeps asking
  // getToken on new sockets until one is issued after it, then resumes the seat.
  const resumed = await dave.once("resumed", { timeoutMs: 15_000 });
  assert.equal(resumed.you.player_id, joined.you.player_id);
  assert.equal(dave.user?.user, "dave");
});
