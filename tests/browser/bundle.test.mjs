// The page runs on @parlor/client (served from the binary under /lib/parlor-client/)
// and loads no more JavaScript than it did with its own protocol code, give or take a
// fifth; it works without errors at both sizes the tests use.

import { test } from "node:test";
import assert from "node:assert/strict";
import { assertNoPageErrors, launchBrowser, sel, startParlor } from "./helpers.mjs";

// Bytes of JavaScript the page loaded before it used @parlor/client: app.js and the
// eight modules it imported (its own net.js and model.js among them), as the server then
// sent them (the files as they were, comments included, uncompressed). The server now
// minifies every script (src/http/web.rs); those same nine files minified would be
// 32440 bytes, so like for like the page's code grew by nearly half, most of it the
// library's reconnect, request and view code (docs/decisions.md, 52).
const BASELINE_JS_BYTES = 47406;

/** Load the page at `viewport` and sum the bodies of the scripts it fetched. */
async function pageScripts(browser, url, viewport) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.errors = [];
  page.on("pageerror", (err) => page.errors.push(err.message));
  const bodies = [];
  page.on("response", (res) => {
    if (res.request().resourceType() === "script") {
      bodies.push(res.body().then((b) => [new URL(res.url()).pathname, b.length]));
    }
  });
  await page.goto(url);
  await page.waitForSelector(`${sel("conn")}[data-state="online"]`);
  await page.waitForSelector(`${sel("lobby")}:not([hidden])`);
  const scripts = new Map(await Promise.all(bodies));
  return { page, scripts, total: [...scripts.values()].reduce((a, b) => a + b, 0) };
}

test("the page's JavaScript: @parlor/client, within 1.2× of before, no errors", { timeout: 60000 }, async () => {
  const server = await startParlor();
  const browser = await launchBrowser();
  try {
    const wide = await pageScripts(browser, server.url, { width: 1000, height: 760 });
    const phone = await pageScripts(browser, server.url, { width: 390, height: 844 });
    const files = [...wide.scripts.keys()];
    console.log(`page JS: ${wide.total} bytes in ${files.length} files (baseline ${BASELINE_JS_BYTES})`);
    assert.ok(files.includes("/lib/parlor-client/client.js"), `no @parlor/client in ${files}`);
    assert.ok(!files.includes("/net.js"), "the page's own protocol code is gone");
    assert.ok(
      wide.total <= 1.2 * BASELINE_JS_BYTES,
      `the page loads ${wide.total} bytes of JavaScript, more than 1.2 × ${BASELINE_JS_BYTES}: ${JSON.stringify([...wide.scripts])}`,
    );
    assert.equal(phone.total, wide.total);
    assertNoPageErrors(wide.page, phone.page);
  } catch (err) {
    err.message += `\n${server.logs()}`;
    throw err;
  } finally {
    await browser.close().catch(() => {});
    await server.stop();
  }
});
