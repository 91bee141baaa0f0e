// The lobby as a keyboard and phone user meets it: Enter on "Create room" leaves focus in
// the room (not on the page's body), an error toast never covers the field it is about
// on a 390 × 844 screen, and the player list shows marks only in games that have them.

import { test } from "node:test";
import assert from "node:assert/strict";
import { assertNoPageErrors, joinByCode, openPlayer, screenshot, sel, waitStatus, withStack } from "./helpers.mjs";

const PHONE = { width: 390, height: 844 };

/** Whether two boxes (from locator.boundingBox) share any area. */
function overlap(a, b) {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

async function toastClearOf(page, text, field) {
  await page.waitForFunction(
    ([s, t]) => !document.querySelector(s).hidden && document.querySelector(s).textContent.includes(t),
    [sel("error"), text],
  );
  const toast = await page.locator(sel("error")).boundingBox();
  const box = await page.locator(sel(field)).boundingBox();
  assert.ok(!overlap(toast, box), `the "${text}" toast ${JSON.stringify(toast)} covers ${field} ${JSON.stringify(box)}`);
}

test("Enter on Create room leaves keyboard focus in the room; marks only where they mean something", { timeout: 60000 }, async () => {
  await withStack({}, async ({ browser, url }) => {
    const alice = await openPlayer(browser, url, "alice");
    await alice.focus(sel("create-room"));
    await alice.keyboard.press("Enter");
    await alice.waitForSelector(`${sel("room")}:not([hidden])`);
    await alice.waitForFunction(() => document.activeElement?.closest('[data-testid="room"]'));
    assert.notEqual(await alice.evaluate(() => document.activeElement.tagName), "BODY");

    // Tic-tac-toe's X and O belong in its player list.
    const bob = await openPlayer(browser, url, "bob");
    await joinByCode(bob, (await alice.textContent(sel("room-code"))).trim());
    await waitStatus(alice, "Your turn");
    const marks = await alice.$$eval(`${sel("players")} .mark`, (els) => els.map((e) => e.textContent));
    assert.deepEqual(marks, ["X", "O"]);
    assertNoPageErrors(alice, bob);
  });
});

test("on a phone the error toast leaves the field it is about visible", { timeout: 60000 }, async () => {
  await withStack({}, async ({ browser, url }) => {
    const page = await openPlayer(browser, url, "", { viewport: PHONE });
    await page.click(sel("create-room"));
    await toastClearOf(page, "Enter your name first", "name-input");
    await screenshot(page, "phone-toast");

    await page.fill(sel("name-input"), "alice");
    await page.fill(sel("join-code"), "AB");
    await page.click(sel("join-room"));
    await toastClearOf(page, "Room codes are 6 letters", "join-code");

    await page.fill(sel("join-code"), "ZZZZZZ");
    await page.click(sel("join-room"));
    await toastClearOf(page, "No room with that code", "join-code");

    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the phone screen`);
    assertNoPageErrors(page);
  });
});
