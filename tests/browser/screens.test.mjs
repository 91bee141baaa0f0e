// The lobby with a listed room, quick play, the share link, and a game in
// progress on a phone-sized screen. `scripts/screenshot` runs this test with
// PARLOR_REFRESH_README_SCREENSHOT=1 to copy that last one to docs/screenshots/game.png;
// a plain test run writes only to its temp dir.

import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import {
  assertNoPageErrors, createRoom, dropDisc, openPlayer, repoRoot, screenshot, sel,
  waitStatus, withStack,
} from "./helpers.mjs";

const PHONE = { width: 375, height: 740 };

test("lobby lists open rooms; quick play and a phone-sized game", { timeout: 90000 }, async () => {
  await withStack({}, async ({ browser, url }) => {
    const alice = await openPlayer(browser, url, "alice");
    const code = await createRoom(alice, "connect4");

    // A private room is never listed.
    const dave = await openPlayer(browser, url, "dave");
    const hidden = await createRoom(dave, "tictactoe", { private: true });

    const visitor = await openPlayer(browser, url, "");
    await visitor.waitForSelector(sel(`room-item-${code}`));
    assert.equal(await visitor.isVisible(sel(`room-item-${hidden}`)), false);
    assert.match(await visitor.textContent(sel(`room-item-${code}`)), /Connect Four/);
    await screenshot(visitor, "lobby");

    // The share link opens the lobby with the join form filled in.
    const linked = await openPlayer(browser, url, "erin", { path: `/?room=${code}` });
    assert.equal(await linked.inputValue(sel("join-code")), code);

    // bob on a phone uses quick play and lands in alice's waiting room.
    const bob = await openPlayer(browser, url, "bob", { viewport: PHONE });
    await bob.selectOption(sel("game-select"), "connect4");
    await bob.click(sel("quick-play"));
    await bob.waitForSelector(`${sel("room")}:not([hidden])`);
    assert.equal((await bob.textContent(sel("room-code"))).trim(), code);
    await waitStatus(bob, "Waiting for alice");

    await dropDisc(alice, 3, 5, 0, [bob]);
    await dropDisc(bob, 2, 5, 1, [alice]);
    await dropDisc(alice, 3, 4, 0, [bob]);
    await dropDisc(bob, 4, 5, 1, [alice]);
    await dropDisc(alice, 2, 4, 0, [bob]);
    await waitStatus(bob, "Your turn");
    await bob.fill(sel("chat-input"), "nice opening");
    await bob.click(sel("chat-send"));
    await alice.waitForSelector(sel("chat-msg"));

    const overflow = await bob.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the phone screen`);
    await bob.evaluate(() => {
      document.activeElement.blur();
      window.scrollTo(0, 0);
    });
    const shot = await screenshot(bob, "game-phone");
    if (process.env.PARLOR_REFRESH_README_SCREENSHOT === "1") {
      const docs = path.join(repoRoot, "docs", "screenshots");
      fs.mkdirSync(docs, { recursive: true });
      fs.copyFileSync(shot, path.join(docs, "game.png"));
    }

    assertNoPageErrors(alice, dave, visitor, linked, bob);
  });
});
