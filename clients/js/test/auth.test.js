// Players with accounts (protocol §3): the client authenticates every new socket with a
// token from getToken(), refreshes it on auth_expiring, and resumes a user's seat after
// a reconnect. Runs only against a server that has the JWT flags; skipped, saying why,
// until then.

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { test } from "node:test";

import { ParlorClient } from "../src/index.js";
import { connected, eventually, parlorFlags, startParlor } from "./helpers.js";

const SECRET = "a-test-secret-of-at-least-32-bytes!!";

const skip = parlorFlags().has("--jwt-hs256-secret")
  ? false
  : "the server does not implement accounts yet (protocol §3: `parlor --help` has no --jwt-hs256-secret)";
if (skip) console.log(`auth tests skipped: ${skip}`);

/** An HS256 JWT. @param {Record<string, unknown>} claims */
function jwt(claims) {
  const b64 = (/** @type {unknown} */ v) => Buffer.from(JSON.stringify(v)).toString("base64url");
  const body = `${b64({ alg: "HS256", typ: "JWT" })}.${b64(claims)}`;
  return `${body}.${createHmac("sha256", SECRET).update(body).digest("base64url")}`;
}

test("getToken authenticates each socket, refreshes on auth_expiring, and the user's seat is resumed", { skip }, async (t) => {
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

test("without a token, a server with anonymous play off refuses requests with unauthenticated", { skip }, async (t) => {
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
