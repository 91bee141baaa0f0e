// The client's side of exchanges a real server shows only slowly (§3's auth_expiring comes
// a minute before a token's end) or only by chance (answers out of order, a reply after
// its timeout), against a scripted stand-in for the socket. The real-server tests are in
// memory.test.js, redis.test.js and auth.test.js.

import assert from "node:assert/strict";
import { test } from "node:test";

import { ParlorClient } from "../src/index.js";
import { eventually } from "./helpers.js";

/** A socket whose server is a function of each message the client sends. */
class ScriptedSocket {
  /** @type {ScriptedSocket[]} */
  static all = [];
  /** @type {(msg: any, sock: ScriptedSocket) => void} */
  static server = () => {};
  /** @param {string} url */
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    /** @type {any[]} */
    this.sent = [];
    /** @type {Record<string, Function[]>} */
    this.listeners = {};
    ScriptedSocket.all.push(this);
    setTimeout(() => {
      this.readyState = 1;
      this.fire("open", {});
    }, 0);
  }
  /** @param {string} type @param {Function} fn */
  addEventListener(type, fn) {
    (this.listeners[type] ||= []).push(fn);
  }
  /** @param {string} type @param {any} ev */
  fire(type, ev) {
    for (const fn of this.listeners[type] || []) fn(ev);
  }
  /** @param {string} data */
  send(data) {
    const msg = JSON.parse(data);
    this.sent.push(msg);
    ScriptedSocket.server(msg, this);
  }
  close(code = 1000, reason = "") {
    if (this.readyState === 3) return;
    this.readyState = 3;
    setTimeout(() => this.fire("close", { code, reason }), 0);
  }
  /** The server sends `msg`. @param {any} msg */
  push(msg) {
    this.fire("message", { data: JSON.stringify(msg) });
  }
}

const joined = (/** @type {number | undefined} */ req) => ({
  type: "joined",
  req,
  room: "K7QXHM",
  you: { player_id: "p_a", name: "alice", seat: 0, role: "player" },
  session: "K7QXHMsession",
  snapshot: { code: "K7QXHM", game: "tictactoe", status: "waiting", private: false, created_at: "", updated_at: "", version: 1, players: [], spectators: 0, state: {} },
});

function client(/** @type {any} */ opts = {}) {
  ScriptedSocket.all = [];
  return new ParlorClient({ url: "ws://scripted/ws", WebSocket: /** @type {any} */ (ScriptedSocket), requestTimeoutMs: 500, ...opts });
}

test("auth comes first on every socket, then resume; auth_expiring fetches a fresh token", async (t) => {
  let tokens = 0;
  const c = client({ getToken: async () => `token-${++tokens}`, room: { ...joined(undefined), ...fromJoinedLike() } });
  t.after(() => c.close());
  ScriptedSocket.server = (msg, sock) => {
    if (msg.type === "auth") sock.push({ type: "authed", req: msg.req, user: "alice-account", name: "alice", expires_at: `2030-01-01T00:00:0${tokens}Z` });
    if (msg.type === "resume") sock.push(joined(msg.req));
  };
  await c.connect();
  const first = ScriptedSocket.all[0];
  assert.deepEqual(first.sent.map((m) => m.type), ["auth", "resume"]);
  assert.equal(first.sent[0].token, "token-1");
  assert.equal(c.user?.expiresAt, "2030-01-01T00:00:01Z");

  const refreshed = c.once("authed");
  first.push({ type: "auth_expiring", expires_at: "2030-01-01T00:00:01Z" });
  assert.equal((await refreshed).expires_at, "2030-01-01T00:00:02Z");
  assert.equal(first.sent[2].token, "token-2");

  c.drop();
  await eventually("a new socket is ready", () => c.ready && ScriptedSocket.all.length === 2);
  assert.deepEqual(ScriptedSocket.all[1].sent.map((m) => m.type), ["auth", "resume"]);
  assert.equal(ScriptedSocket.all[1].sent[0].token, "token-3");
});

test("auth_expiring with no fresher token from getToken sends nothing (no refresh loop)", async (t) => {
  let calls = 0;
  const c = client({ getToken: () => (calls++, "the-only-token") });
  t.after(() => c.close());
  ScriptedSocket.server = (msg, sock) => {
    if (msg.type === "auth") sock.push({ type: "authed", req: msg.req, user: "alice-account", name: null, expires_at: "2030-01-01T00:00:00Z" });
    if (msg.type === "ping") sock.push({ type: "pong", req: msg.req });
  };
  await c.connect();
  const sock = ScriptedSocket.all[0];
  sock.push({ type: "auth_expiring", expires_at: "2030-01-01T00:00:00Z" });
  await eventually("getToken asked again", () => calls === 2);
  await c.ping(); // anything the refresh sent went out before this
  assert.deepEqual(sock.sent.map((m) => m.type), ["auth", "ping"]);
});

test("a refused token is reported and the socket is replaced after a back-off", async (t) => {
  const c = client({ getToken: () => "bad", reconnect: { minDelayMs: 20, maxDelayMs: 40 } });
  t.after(() => c.close());
  ScriptedSocket.server = (msg, sock) => {
    if (msg.type === "auth") sock.push({ type: "error", req: msg.req, code: "invalid_token", message: "bad signature" });
  };
  const refused = c.once("auth_error");
  c.connect().catch(() => {});
  assert.equal((await refused).code, "invalid_token");
  await eventually("it tries again on a new socket", () => ScriptedSocket.all.length >= 2);
  assert.equal(c.ready, false);
});

test("replies are matched by req, whatever their order; a late reply is not taken for another", async (t) => {
  const c = client();
  t.after(() => c.close());
  /** @type {any[]} */
  const held = [];
  ScriptedSocket.server = (msg) => held.push(msg);
  await c.connect();
  const sock = ScriptedSocket.all[0];
  const a = c.listRooms("tictactoe");
  const b = c.listRooms("connect4");
  await eventually("both sent", () => held.length === 2);
  sock.push({ type: "rooms", req: held[1].req, rooms: [{ code: "BBBBBB" }] });
  sock.push({ type: "rooms", req: held[0].req, rooms: [{ code: "AAAAAA" }] });
  assert.equal((await a)[0].code, "AAAAAA");
  assert.equal((await b)[0].code, "BBBBBB");

  // No answer in time: `timeout`; the answer arriving later goes to the "pong" event.
  const late = c.ping();
  await assert.rejects(late, { code: "timeout" });
  const stray = c.once("pong");
  sock.push({ type: "pong", req: held[2].req });
  assert.equal((await stray).req, held[2].req);
});

test("a lost socket fails what waits with disconnected; whenOffline: reject fails at once", async (t) => {
  const c = client({ reconnect: { minDelayMs: 10_000, maxDelayMs: 10_000 } });
  t.after(() => c.close());
  ScriptedSocket.server = () => {};
  await c.connect();
  const waiting = c.ping();
  await eventually("the ping is out", () => ScriptedSocket.all[0].sent.length === 1);
  ScriptedSocket.all[0].close(1006);
  await assert.rejects(waiting, { code: "disconnected" });
  assert.equal(c.status, "reconnecting");

  const strict = client({ whenOffline: "reject", reconnect: { minDelayMs: 10_000 } });
  t.after(() => strict.close());
  await strict.connect();
  ScriptedSocket.all[0].close(1006);
  await eventually("reconnecting", () => strict.status === "reconnecting");
  await assert.rejects(strict.ping(), { code: "offline" });
});

/** The rest of a stored view, as a page would have kept it. */
function fromJoinedLike() {
  return { session: "K7QXHMsession", spectate: false, name: "alice", version: 1, chat: [], rematchOffers: [] };
}
