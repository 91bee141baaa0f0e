// The API docs page at /api/v1/docs renders the OpenAPI document with nothing but the
// server itself: every request to any other origin is blocked and recorded, and the
// test fails if there was one.

import { test } from "node:test";
import assert from "node:assert/strict";
import { withStack } from "./helpers.mjs";

test("API docs page: operations listed, no request leaves the server", { timeout: 60000 }, async () => {
  await withStack({}, async ({ browser, url }) => {
    const origin = new URL(url).origin;
    const context = await browser.newContext();
    const outside = [];
    await context.route("**/*", (route) => {
      const target = route.request().url();
      if (new URL(target).origin === origin) return route.continue();
      outside.push(target);
      return route.abort("blockedbyclient");
    });
    const page = await context.newPage();
    page.setDefaultTimeout(15000);
    const problems = [];
    page.on("pageerror", (err) => problems.push(err.message));
    page.on("console", (msg) => { if (msg.type() === "error") problems.push(msg.text()); });

    const resp = await page.goto(`${url}/api/v1/docs`);
    assert.equal(resp.status(), 200, "no token needed");
    await page.waitForSelector(".opblock");
    const ops = await page.$$eval(".opblock", (blocks) => blocks.map((b) =>
      `${b.querySelector(".opblock-summary-method")?.textContent} ${b.querySelector(".opblock-summary-path")?.getAttribute("data-path")}`));
    for (const op of [
      "GET /api/v1/rooms",
      "GET /api/v1/rooms/{code}",
      "DELETE /api/v1/rooms/{code}",
      "GET /api/v1/rooms/{code}/players",
      "DELETE /api/v1/rooms/{code}/players/{player_id}",
      "GET /api/v1/stats",
      "GET /api/v1/openapi.json",
    ]) {
      assert.ok(ops.includes(op), `${op} listed; got ${ops.join(", ")}`);
    }
    assert.match(await page.textContent(".info .title"), /Parlor admin API/);

    // Open one operation: its parameters show the document's enums and bounds.
    await page.click('.opblock-summary-path[data-path="/api/v1/rooms"]');
    await page.waitForSelector(".parameters");
    const params = await page.textContent(".parameters");
    assert.match(params, /waiting/);
    assert.match(params, /maximum: 200/);

    await page.waitForLoadState("networkidle");
    assert.deepEqual(outside, [], "requests to other origins");
    assert.deepEqual(problems, [], "page errors or console errors (CSP violations included)");
    await context.close();
  });
});
