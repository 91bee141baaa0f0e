// Rock-paper-scissors in two pages: a full match in which neither page ever holds
// the other's pending choice (in the DOM, the client's model or its storage), also
// after a reload.

import { test } from "node:test";
import assert from "node:assert/strict";
import { assertNoPageErrors, createRoom, joinByCode, openPlayer, screenshot, sel, waitStatus, withStack } from "./helpers.mjs";

/** Everything the page knows that could reveal a choice, as one string. */
function knownToPage(page) {
  return page.evaluate(() => JSON.stringify({
    model: window.parlor.room && window.parlor.room.snapshot.state,
    mine: document.querySelector('[data-testid="my-choice"]')?.textContent,
    picked: [...document.querySelectorAll(".hand.picked")].map((b) => b.dataset.hand),
    rounds: document.querySelector('[data-testid="rps-rounds"]')?.textContent,
    local: Object.values(localStorage),
    session: Object.values(sessionStorage),
  }));
}

async function assertNotKnown(page, hand) {
  const known = await knownToPage(page);
  assert.ok(!known.includes(hand), `the page knows the other's "${hand}": ${known}`);
}

async function choose(page, hand) {
  await page.click(sel(`choice-${hand}`));
  await page.waitForSelector(`${sel("my-choice")}[data-choice="${hand}"]`);
}

test("rps: a full match in two pages, pending choices hidden, also after reload", { timeout: 90000 }, async () => {
  await withStack({}, async ({ browser, url }) => {
    const alice = await openPlayer(browser, url, "alice");
    const bob = await openPlayer(browser, url, "bob");
    const code = await createRoom(alice, "rps");
    await joinByCode(bob, code);
    await waitStatus(alice, "Round 1: choose your hand");
    await waitStatus(bob, "Round 1: choose your hand");
    // The player list shows no X and O: they mean nothing in this game.
    for (const page of [alice, bob]) {
      const marks = await page.$$eval(`${sel("players")} .mark`, (els) => els.map((e) => e.textContent));
      assert.deepEqual(marks, [], "marks in the rps player list");
    }

    // alice chooses; bob only learns that she has.
    await choose(alice, "rock");
    await waitStatus(alice, "Round 1: waiting for bob to choose");
    await bob.waitForFunction((s) => document.querySelector(s).textContent === "Your opponent has chosen", sel("their-choice"));
    await assertNotKnown(bob, "rock");

    // A reload of either page: bob still does not know, alice still sees her own.
    await bob.reload();
    await bob.waitForSelector(`${sel("conn")}[data-state="online"]`);
    await waitStatus(bob, "Round 1: choose your hand");
    await bob.waitForFunction((s) => document.querySelector(s).textContent === "Your opponent has chosen", sel("their-choice"));
    await assertNotKnown(bob, "rock");
    await alice.reload();
    await alice.waitForSelector(`${sel("my-choice")}[data-choice="rock"]`);
    await screenshot(bob, "rps-hidden");

    // bob answers: the round resolves and both choices are public.
    await bob.click(sel("choice-paper"));
    for (const page of [alice, bob]) {
      await page.waitForFunction((s) => document.querySelector(s)?.textContent.startsWith("rock vs paper"), sel("rps-round-0"));
      await waitStatus(page, "Round 2: choose your hand");
    }
    // Round 2: bob first this time.
    await choose(bob, "scissors");
    await assertNotKnown(alice, "scissors");
    await alice.click(sel("choice-paper"));
    await waitStatus(bob, "You won!");
    await waitStatus(alice, "bob won");
    assert.equal((await bob.textContent(sel("rps-score"))).trim(), "You 2 – 0 them");
    assert.equal(await alice.isVisible(sel("rematch")), true);
    await screenshot(alice, "rps-finished");
    assertNoPageErrors(alice, bob);
  });
});

test("turn clock: the countdown shows and restarts after a move", { timeout: 90000 }, async () => {
  await withStack({}, async ({ browser, url }) => {
    const alice = await openPlayer(browser, url, "alice");
    const bob = await openPlayer(browser, url, "bob");
    await alice.selectOption(sel("turn-secs-select"), "15");
    const code = await createRoom(alice, "tictactoe");
    assert.equal(await alice.isVisible(sel("countdown")), false, "no countdown before the game starts");
    await joinByCode(bob, code);
    const seconds = (page) => page.$eval(sel("countdown"), (e) => Number(e.dataset.seconds));
    for (const page of [alice, bob]) {
      await page.waitForSelector(`${sel("countdown")}:not([hidden])`);
      assert.match(await page.textContent(sel("countdown")), /^\d+s left$/);
    }
    const first = await seconds(bob);
    assert.ok(first <= 15 && first > 0, `countdown ${first}`);
    await bob.waitForFunction(([s, n]) => Number(document.querySelector(s).dataset.seconds) < n, [sel("countdown"), first]);
    await alice.click(sel("cell-4"));
    await bob.waitForSelector(`${sel("cell-4")}[data-owner="0"]`);
    assert.ok((await seconds(bob)) >= 14, "a move restarts the clock");
    await screenshot(bob, "turn-clock");
    assertNoPageErrors(alice, bob);
  });
});
