// Shared helpers for the browser tests: a real Parlor server on a free
// loopback port, an optional private redis-server, and headless Chromium.

import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, "..", "..");
// Tests write only to a temp dir: screenshots go to PARLOR_SCREENSHOT_DIR when set,
// else to a fresh directory under the system temp dir (one per test file).
export const screenshotDir =
  process.env.PARLOR_SCREENSHOT_DIR || fs.mkdtempSync(path.join(os.tmpdir(), "parlor-screens-"));

const CHROMIUM = process.env.CHROMIUM_BIN || "/usr/bin/chromium";
const START_TIMEOUT_MS = 30000;

/** A free TCP port on 127.0.0.1: bind port 0, read it, close. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Spawn a process that keeps its last output lines for error messages. */
function spawnLogged(cmd, args, label) {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
  const lines = [];
  const keep = (chunk) => {
    for (const line of chunk.toString().split("\n")) {
      if (line.trim()) lines.push(line);
    }
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  child.exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  child.logs = () => `--- last output of ${label} ---\n${lines.slice(-40).join("\n")}`;
  if (process.env.PARLOR_TEST_LOGS) {
    child.stdout.pipe(process.stderr);
    child.stderr.pipe(process.stderr);
  }
  return child;
}

async function stopProcess(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await child.exited;
  clearTimeout(timer);
}

/** Poll `check` until it returns true; fail early if `child` exits. */
async function waitUntil(check, child, what) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${what} exited before it was ready (${child.exitCode ?? child.signalCode})\n${child.logs()}`);
    }
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} was not ready within ${START_TIMEOUT_MS} ms\n${child.logs()}`);
}

/**
 * Start `PARLOR_BIN` (default target/debug/parlor) on a free port.
 * Returns {url, stop(), logs()}.
 */
export async function startParlor({ redisUrl, port: fixedPort, args: extraArgs = [] } = {}) {
  const bin = path.resolve(repoRoot, process.env.PARLOR_BIN || "target/debug/parlor");
  if (!fs.existsSync(bin)) {
    throw new Error(`Parlor binary not found at ${bin}: run \`cargo build --bin parlor\` or set PARLOR_BIN`);
  }
  const port = fixedPort || (await freePort());
  const args = ["--listen", `127.0.0.1:${port}`, "--rate-limit-per-sec", "0"];
  if (redisUrl) args.push("--redis-url", redisUrl);
  args.push(...extraArgs);
  const child = spawnLogged(bin, args, "parlor");
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(async () => (await fetch(`${url}/healthz`)).status === 200, child, "parlor");
  return { url, port, stop: () => stopProcess(child), logs: child.logs };
}

/** Send PING to a Redis port and expect +PONG. */
function redisPing(port) {
  return new Promise((resolve) => {
    const sock = net.connect(port, "127.0.0.1");
    let data = "";
    sock.setTimeout(1000, () => {
      sock.destroy();
      resolve(false);
    });
    sock.on("connect", () => sock.write("PING\r\n"));
    sock.on("data", (d) => {
      data += d;
      if (data.includes("\r\n")) {
        sock.end();
        resolve(data.startsWith("+PONG"));
      }
    });
    sock.on("error", () => resolve(false));
  });
}

/** Start a private, non-persistent redis-server on a free port (never 6379). */
export async function startRedis() {
  const which = spawnSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" });
  const bin = which.stdout.trim();
  if (which.status !== 0 || !bin) {
    throw new Error("redis-server is not installed (apt-get install -y redis-server); the Redis-backed test needs it");
  }
  const port = await freePort();
  const child = spawnLogged(bin, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], "redis-server");
  await waitUntil(() => redisPing(port), child, "redis-server");
  return { url: `redis://127.0.0.1:${port}`, stop: () => stopProcess(child), logs: child.logs };
}

/** Headless Chromium from the system package. */
export async function launchBrowser() {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: apt-get install -y chromium (tests/browser/run.sh does this)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-quic",
      "--no-first-run",
    ],
  });
}

/**
 * A player in their own browser context (own storage), with the lobby open
 * and their name typed in. Page errors fail loudly through `errors`.
 */
export async function openPlayer(browser, baseUrl, name, { viewport = { width: 1000, height: 760 }, path: urlPath = "/" } = {}) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  page.errors = [];
  page.on("pageerror", (err) => page.errors.push(err.message));
  await page.goto(baseUrl + urlPath);
  await page.waitForSelector('[data-testid="conn"][data-state="online"]');
  if (name) await page.fill('[data-testid="name-input"]', name);
  return page;
}

export const sel = (id) => `[data-testid="${id}"]`;

/** Create a room from the lobby and return its code. */
export async function createRoom(page, game = "tictactoe", { private: priv = false } = {}) {
  await page.selectOption(sel("game-select"), game);
  if (priv) await page.check(sel("private-checkbox"));
  await page.click(sel("create-room"));
  await page.waitForSelector(`${sel("room")}:not([hidden])`);
  return (await page.textContent(sel("room-code"))).trim();
}

/** Join a room by typing its code into the join form. */
export async function joinByCode(page, code, { spectate = false } = {}) {
  await page.fill(sel("join-code"), code);
  await page.click(sel(spectate ? "spectate-room" : "join-room"));
  await page.waitForSelector(`${sel("room")}:not([hidden])`);
}

/** Wait until the status line reads `text`. */
export async function waitStatus(page, text) {
  await page.waitForFunction(
    ([s, t]) => document.querySelector(s)?.textContent.trim() === t,
    [sel("status"), text],
  );
}

/** Play a tic-tac-toe cell on `page` and wait until every page shows it. */
export async function playCell(page, cell, seat, watchers) {
  await page.click(sel(`cell-${cell}`));
  for (const p of [page, ...watchers]) {
    await p.waitForSelector(`${sel(`cell-${cell}`)}[data-owner="${seat}"]`);
  }
}

/** Drop a Connect Four disc and wait until every page shows it at `row`. */
export async function dropDisc(page, column, row, seat, watchers) {
  await page.click(sel(`col-${column}`));
  for (const p of [page, ...watchers]) {
    await p.waitForSelector(`${sel(`slot-${row}-${column}`)}[data-owner="${seat}"]`);
  }
}

/** The owners of the nine tic-tac-toe cells as strings ("" when empty). */
export function tictactoeOwners(page) {
  return page.$$eval('[data-testid^="cell-"]', (cells) => cells.map((c) => c.dataset.owner));
}

export async function screenshot(page, name) {
  fs.mkdirSync(screenshotDir, { recursive: true });
  const file = path.join(screenshotDir, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/**
 * Run `fn` with a fresh server (and Redis if asked) and a browser, always
 * cleaning up; on failure the server's last log lines are attached.
 */
export async function withStack({ redis = false, serverArgs = [] } = {}, fn) {
  const started = [];
  let browser;
  try {
    const store = redis ? await startRedis() : null;
    if (store) started.push(store);
    const server = await startParlor({ redisUrl: store?.url, args: serverArgs });
    started.push(server);
    browser = await launchBrowser();
    await fn({ browser, url: server.url, server });
  } catch (err) {
    const logs = started.map((s) => s.logs()).join("\n");
    if (err && typeof err === "object" && logs) err.message += `\n${logs}`;
    throw err;
  } finally {
    if (browser) await browser.close().catch(() => {});
    for (const s of started.reverse()) await s.stop();
  }
}

/** Fail if any page threw an uncaught error. */
export function assertNoPageErrors(...pages) {
  const errors = pages.flatMap((p) => p.errors || []);
  if (errors.length) throw new Error(`page errors:\n${errors.join("\n")}`);
}
