// What the tests run against: real `parlor` processes (the binary named by PARLOR_BIN)
// and a real `redis-server`, each on a free port, with logs and data in a temp dir.
// Everything started here is killed when the test file's process exits.

import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

import { ParlorClient } from "../src/index.js";

export const ADMIN_TOKEN = "test-admin-token";

/** @type {Set<import("node:child_process").ChildProcess>} */
const children = new Set();
const scratch = mkdtempSync(path.join(tmpdir(), "parlor-client-test-"));
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL");
  rmSync(scratch, { recursive: true, force: true });
});

/** The parlor binary; a missing one fails loudly, never skips. */
export function parlorBin() {
  const bin = process.env.PARLOR_BIN;
  if (!bin) throw new Error("PARLOR_BIN is not set: point it at a built parlor binary");
  const probe = spawnSync(bin, ["--help"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) throw new Error(`PARLOR_BIN=${bin} does not run: ${probe.error || probe.stderr}`);
  return bin;
}

/** The flags the parlor binary knows (from --help), to tell which features it has. */
export function parlorFlags() {
  const out = spawnSync(parlorBin(), ["--help"], { encoding: "utf8" }).stdout;
  return new Set(out.match(/--[a-z0-9-]+/g) || []);
}

/** A TCP port nobody listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = /** @type {net.AddressInfo} */ (srv.address());
      srv.close(() => resolve(port));
    });
  });
}

/** @param {number} ms */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Poll `check` until it returns something truthy; fail with `what` after `timeoutMs`.
 * @template T
 * @param {string} what
 * @param {() => T | Promise<T>} check
 * @param {number} [timeoutMs]
 * @returns {Promise<T>}
 */
export async function eventually(what, check, timeoutMs = 10_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await sleep(25);
  }
}

/**
 * A running parlor node.
 * @param {{redisUrl?: string, nodeId?: string, port?: number, args?: string[]}} [opts]
 */
export async function startParlor(opts = {}) {
  const port = opts.port ?? (await freePort());
  const name = opts.nodeId ?? `parlor-${port}`;
  const log = path.join(scratch, `${name}-${Date.now()}.log`);
  const fd = openSync(log, "a");
  const args = ["--listen", `127.0.0.1:${port}`, "--admin-token", ADMIN_TOKEN, "--rate-limit-per-sec", "0"];
  if (opts.redisUrl) args.push("--redis-url", opts.redisUrl);
  else args.push("--store", "memory");
  if (opts.nodeId) args.push("--node-id", opts.nodeId);
  args.push(...(opts.args || []));
  const proc = spawn(parlorBin(), args, {
    stdio: ["ignore", fd, fd],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG || "warn" },
  });
  children.add(proc);
  const exited = new Promise((resolve) => {
    proc.on("exit", (code, signal) => {
      children.delete(proc);
      resolve({ code, signal });
    });
  });
  const node = {
    port,
    proc,
    log,
    /** The WebSocket URL. */
    url: `ws://127.0.0.1:${port}/ws`,
    http: `http://127.0.0.1:${port}`,
    /** @type {Promise<{code: number | null, signal: string | null}>} */
    exited,
    /** @param {NodeJS.Signals} signal */
    kill(signal) {
      proc.kill(signal);
      return exited;
    },
    logText: () => readFileSync(log, "utf8"),
    /** GET an admin endpoint; the parsed body. @param {string} p */
    async admin(p) {
      const res = await fetch(`${node.http}${p}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      if (!res.ok) throw new Error(`GET ${p}: ${res.status}`);
      return res.json();
    },
  };
  let early = false;
  exited.then(() => (early = true));
  await eventually(`parlor on port ${port} healthy`, async () => {
    if (early) throw new Error(`parlor exited at start:\n${node.logText()}`);
    try {
      return (await fetch(`${node.http}/healthz`)).ok;
    } catch {
      return false;
    }
  }, 20_000);
  return node;
}

/** A throwaway redis-server: no persistence, data dir in the temp dir. */
export async function startRedis() {
  const port = await freePort();
  const dir = mkdtempSync(path.join(scratch, "redis-"));
  const proc = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir],
    { stdio: "ignore" },
  );
  children.add(proc);
  const exited = new Promise((resolve) => proc.on("exit", () => (children.delete(proc), resolve(undefined))));
  proc.on("error", (err) => {
    throw new Error(`cannot start redis-server (is it installed?): ${err.message}`);
  });
  const admin = await eventually(`redis on port ${port}`, async () => {
    try {
      const conn = await Resp.open(port);
      return (await conn.cmd("PING")) === "PONG" ? conn : (conn.close(), null);
    } catch {
      return null;
    }
  });
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    /** One connection kept open, so commands get through even when new ones are refused. */
    admin,
    async stop() {
      admin.close();
      proc.kill("SIGKILL");
      await exited;
    },
  };
}

/** A minimal RESP client: enough for CLIENT LIST / CLIENT KILL / CONFIG SET. */
export class Resp {
  /** @param {net.Socket} sock */
  constructor(sock) {
    this.sock = sock;
    this.buf = "";
    /** @type {((v: any) => void)[]} */
    this.waiting = [];
    sock.setEncoding("utf8");
    sock.on("data", (d) => {
      this.buf += d;
      this.drain();
    });
  }

  /** @param {number} port @returns {Promise<Resp>} */
  static open(port) {
    return new Promise((resolve, reject) => {
      const sock = net.connect(port, "127.0.0.1", () => resolve(new Resp(sock)));
      sock.once("error", reject);
    });
  }

  /** @param {...string} args @returns {Promise<any>} */
  cmd(...args) {
    const wire = `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`;
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.sock.write(wire);
    });
  }

  close() {
    this.sock.destroy();
  }

  drain() {
    while (this.waiting.length) {
      const parsed = parse(this.buf, 0);
      if (!parsed) return;
      this.buf = this.buf.slice(parsed.end);
      /** @type {(v: any) => void} */ (this.waiting.shift())(parsed.value);
    }
  }
}

/**
 * One RESP value at `at`, or null when more bytes are needed. Byte counts are taken as
 * character counts: the replies read here are ASCII.
 * @param {string} s @param {number} at
 * @returns {{value: any, end: number} | null}
 */
function parse(s, at) {
  const eol = s.indexOf("\r\n", at);
  if (eol < 0) return null;
  const kind = s[at];
  const line = s.slice(at + 1, eol);
  if (kind === "+" || kind === ":") return { value: line, end: eol + 2 };
  if (kind === "-") return { value: new Error(line), end: eol + 2 };
  if (kind === "$") {
    const n = Number(line);
    if (n < 0) return { value: null, end: eol + 2 };
    if (s.length < eol + 2 + n + 2) return null;
    return { value: s.slice(eol + 2, eol + 2 + n), end: eol + 2 + n + 2 };
  }
  if (kind === "*") {
    const items = [];
    let end = eol + 2;
    for (let i = 0; i < Number(line); i++) {
      const item = parse(s, end);
      if (!item) return null;
      items.push(item.value);
      end = item.end;
    }
    return { value: items, end };
  }
  throw new Error(`unexpected RESP reply: ${s.slice(at, at + 40)}`);
}

/**
 * A WebSocket that lets a test push a frame into the client as if the server had sent
 * it, or hold back frames the server did send (as a node that lost them would).
 */
export class TapSocket extends WebSocket {
  /** @type {TapSocket[]} */
  static all = [];
  /** @param {string | URL} url */
  constructor(url) {
    super(url);
    /** Frames for which this returns true never reach the client. */
    this.swallow = (/** @type {any} */ _msg) => false;
    /** @type {any[]} */
    this.swallowed = [];
    TapSocket.all.push(this);
  }

  /**
   * @param {string} type
   * @param {any} listener
   * @param {any} [opts]
   */
  addEventListener(type, listener, opts) {
    if (type !== "message") return super.addEventListener(type, listener, opts);
    super.addEventListener(
      "message",
      (/** @type {MessageEvent} */ ev) => {
        const msg = JSON.parse(ev.data);
        if (this.swallow(msg)) this.swallowed.push(msg);
        else listener(ev);
      },
      opts,
    );
  }

  /** Deliver `msg` to the client as a frame from the server. @param {any} msg */
  inject(msg) {
    this.dispatchEvent(new MessageEvent("message", { data: JSON.stringify(msg) }));
  }

  static latest() {
    return TapSocket.all[TapSocket.all.length - 1];
  }
}

/**
 * A connected client; closed when the test ends.
 * @param {import("node:test").TestContext} t
 * @param {import("../index.js").ParlorClientOptions} opts
 */
export async function connected(t, opts) {
  const client = new ParlorClient({ requestTimeoutMs: 5_000, ...opts });
  t.after(() => client.close());
  await client.connect({ timeoutMs: 10_000 });
  return client;
}

/**
 * Wait until `client`'s view satisfies `check`.
 * @param {any} client @param {string} what @param {(view: any) => boolean} check
 */
export function viewWhere(client, what, check, timeoutMs = 10_000) {
  return eventually(what, () => client.room && check(client.room) && client.room, timeoutMs);
}
