// Chat reaches the other player and a spectator.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  assertNoPageErrors, createRoom, joinByCode, openPlayer, screenshot, sel, waitStatus, withStack,
} from "./helpers.mjs";

function chatTexts(page) {
  return page.$$eval('[data-testid="chat-msg"]', (items) => items.map((li) => li.querySelector("b").textContent + ": " + li.lastChild.textContent.trim()));
}

async function say(page, text) {
  await page.fill(sel("chat-input"), text);
  await page.click(sel("chat-send"));
}

async function waitChat(page, line) {
  await page.waitForFunction(
    (want) => [...document.querySelectorAll('[data-testid="chat-msg"]')].some((li) => `${li.querySelector("b").textContent}: ${li.lastChild.textContent.trim()}` === want),
    line,
  );
}

test("chat between players and a spectator", { timeout: 90000 }, async () => {
  await withStack({}, async ({ browser, url }) => {
    const alice = await openPlayer(browser, url, "alice");
    const bob = await openPlayer(browser, url, "bob");
    const code = await createRoom(alice, "tictactoe");
    await joinByCode(bob, code);

    await say(alice, "hello bob");
    await waitChat(bob, "alice: hello bob");
    await say(bob, "hi alice <b>not bold</b>");
    await waitChat(alice, "bob: hi alice <b>not bold</b>");
    assert.equal(await alice.inputValue(sel("chat-input")), "");

    const carol = await openPlayer(browser, url, "carol");
    await joinByCode(carol, code, { spectate: true });
    await waitStatus(carol, "alice's turn");
    await say(carol, "good luck both");
    await waitChat(alice, "carol: good luck both");
    await waitChat(bob, "carol: good luck both");

    assert.deepEqual(await chatTexts(alice), ["alice: hello bob", "bob: hi alice <b>not bold</b>", "carol: good luck both"]);
    await screenshot(bob, "chat");
    assertNoPageErrors(alice, bob, carol);
  });
});
