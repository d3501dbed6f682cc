// House rules at the table (docs/rules.md §14): a human plays the classic
// mode with doubling, show-hand and the card counter turned on
// (-ddz-house-rules), against two bots. The doubling buttons, the
// show-hand button and the counter strip come from the server's snapshot
// and events; the counter always equals what the other two seats hold.
// Run alone with: cd e2e && node --test tests/houserules.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, withPage, shotBoth } from '../lib/harness.mjs';
import { loginAsGuest, attr, bid, waitMyTurnOrEnd, waitSeqAfter, playToEnd } from '../lib/play.mjs';

process.env.LORDGAME_DDZ_HOUSE_RULES = 'doubling,show_hand,card_counter';
process.env.LORDGAME_DDZ_BOT_WAIT = '1s';
process.env.LORDGAME_DDZ_BOT_DELAY = '150ms';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

// counterSum is the total of the counter strip's cells.
async function counterSum(page) {
  return page.locator('[data-testid=card-counter] [data-count]').evaluateAll((els) => els.reduce((n, e) => n + Number(e.dataset.count), 0));
}

// opponentsHold is the number of cards the two other seats hold.
async function opponentsHold(page) {
  return page.locator('[data-testid=opp-count]').evaluateAll((els) => els.reduce((n, e) => n + Number(e.textContent), 0));
}

// playHouseHand plays one hand: it bids as high as it can, doubles, shows
// the hand when it is the landlord, and plays the rest with hints. It
// returns what happened.
async function playHouseHand(page, name) {
  const seen = { doubled: false, shown: false, landlord: false };
  await page.getByTestId('card-counter').waitFor({ state: 'visible', timeout: 30_000 });
  assert.equal(await page.getByTestId('card-counter').locator('[data-count]').count(), 15, 'one cell per rank');
  // While bidding: the counter is the 54 cards minus the player's 17.
  if ((await attr(page, 'phase')) === 'bidding') {
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=hand-card]').length === 17);
    assert.equal(await counterSum(page), 37, 'the counter holds the 37 cards the player has not seen');
  }
  for (let n = 0; n < 10; n++) {
    const state = await waitMyTurnOrEnd(page);
    if (state === 'end') return seen;
    const seq = await attr(page, 'seq');
    if (state === 'bidding') {
      await bid(page);
    } else if (state === 'doubling') {
      await page.getByTestId('btn-double-1').waitFor({ state: 'visible' });
      assert.ok(await page.getByTestId('btn-double-0').isVisible(), 'both doubling choices are offered');
      await shotBoth(page, `${name}-doubling`);
      await page.getByTestId('btn-double-1').click();
      await page.getByTestId('my-double').waitFor({ state: 'visible' });
      seen.doubled = true;
    } else {
      break; // playing
    }
    await waitSeqAfter(page, seq);
  }
  seen.landlord = (await attr(page, 'landlord')) === (await attr(page, 'seat'));
  if (await page.getByTestId('result-screen').isVisible()) return seen;
  // After the auction the counter is exactly what the others hold.
  assert.equal(await counterSum(page), await opponentsHold(page), 'counter = the opponents\' cards');
  if (seen.landlord) {
    const show = page.getByTestId('btn-show');
    await show.waitFor({ state: 'visible', timeout: 10_000 });
    const before = Number(await page.getByTestId('multiplier').textContent());
    const seq = await attr(page, 'seq');
    await show.click();
    await waitSeqAfter(page, seq);
    await page.getByTestId('my-shown').waitFor({ state: 'visible' });
    assert.equal(Number(await page.getByTestId('multiplier').textContent()), before * 2, 'showing the hand doubles the multiplier');
    assert.equal(await page.getByTestId('btn-show').count(), 0, 'the hand is shown once');
    seen.shown = true;
    await shotBoth(page, `${name}-shown`);
  } else {
    assert.equal(await page.getByTestId('btn-show').count(), 0, 'a farmer gets no show-hand button');
  }
  await playToEnd(page, {
    onTurn: async (n) => {
      if (n === 2) {
        assert.equal(await counterSum(page), await opponentsHold(page), 'the counter follows the plays');
        await shotBoth(page, `${name}-counter`);
      }
    },
  });
  return seen;
}

for (const [lang, locale] of [['en', 'en-US'], ['zh', 'zh-CN']]) {
  test(`house rules at the table (${locale}): doubling, show-hand and the card counter`, { timeout: 600_000 }, async () => {
    await withPage(
      browser,
      `houserules-${lang}`,
      async ({ page, errors }) => {
        await loginAsGuest(page, server.base);
        await page.getByTestId('lobby-coins').filter({ hasText: /\d/ }).waitFor();
        let seen = null;
        let gameId = '';
        // The show-hand button needs the player to be the landlord: play
        // again (at most 4 hands) until the player wins an auction.
        for (let hand = 0; hand < 4; hand++) {
          if (hand === 0) await page.getByTestId('mode-classic').click();
          else await page.getByTestId('result-again').click();
          await page.getByTestId('table-screen').waitFor({ state: 'visible', timeout: 30_000 });
          await page.locator('[data-testid=hand-card]').first().waitFor({ state: 'visible', timeout: 30_000 });
          gameId = await attr(page, 'game-id');
          seen = await playHouseHand(page, `houserules-${lang}`);
          await page.getByTestId('result-screen').waitFor({ state: 'visible', timeout: 180_000 });
          if (seen.shown) break;
        }
        assert.ok(seen.doubled, 'the player doubled');
        assert.ok(seen.shown, 'the player showed the hand as landlord');
        const breakdown = await page.getByTestId('result-breakdown').textContent();
        assert.match(breakdown, lang === 'zh' ? /明牌/ : /Show-hand/, 'the result lists the show-hand ×2');
        assert.match(breakdown, lang === 'zh' ? /加倍/ : /Doubling/, 'the result lists the doubling choices');
        await shotBoth(page, `houserules-${lang}-result`);

        // The replay of the hand steps through the doubling choices and
        // the show, from the server's record.
        await page.getByTestId('result-lobby').click();
        const row = page.locator(`[data-testid=history-row][data-game-id="${gameId}"] [data-testid=replay-btn]`);
        await row.waitFor({ state: 'visible', timeout: 30_000 });
        await row.click();
        await page.getByTestId('replay').waitFor({ state: 'visible' });
        const kinds = [];
        for (let i = 0; i < 12; i++) {
          const kind = await page.getByTestId('replay').getAttribute('data-kind');
          kinds.push(kind);
          if (kind === 'show') break;
          const step = Number(await page.getByTestId('replay').getAttribute('data-step'));
          await page.getByTestId('replay-next').click();
          await page.waitForFunction((n) => document.querySelector('[data-testid=replay]').dataset.step === String(n), step + 1);
        }
        assert.equal(kinds.filter((k) => k === 'double').length, 3, `three doubling choices in the replay: ${kinds}`);
        assert.equal(kinds.at(-1), 'show', `the show is a replay step: ${kinds}`);
        await page.getByTestId('replay-shown').waitFor({ state: 'visible' });
        await shotBoth(page, `houserules-${lang}-replay`);
        await page.getByTestId('replay-close').click();
        assert.deepEqual(errors, [], 'no console errors');
      },
      undefined,
      { locale },
    );
  });
}
