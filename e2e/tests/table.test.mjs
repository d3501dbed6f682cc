// At the table: a timer that runs out is said so, the bids stay visible
// through the hand, the opponents' cards are revealed at the end, and a
// player can leave mid-hand after being told what it costs. Run alone
// with: cd e2e && node --test tests/table.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, withPage, shotBoth, DESKTOP } from '../lib/harness.mjs';
import { loginAsGuest } from '../lib/play.mjs';

// Short timers and a short bot wait for this file's server only (the
// server reads LORDGAME_<FLAG> from its environment).
process.env.LORDGAME_DDZ_BID_TIMEOUT = '3s';
process.env.LORDGAME_DDZ_FOLLOW_TIMEOUT = '3s';
process.env.LORDGAME_DDZ_LEAD_TIMEOUT = '3s';
process.env.LORDGAME_DDZ_BOT_WAIT = '1s';

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

// What each language says (the catalogue, web/static/js/i18n.js).
const SAYS = {
  en: { timeout: 'Your time ran out', cancelled: /cancelled/i, auto: /Auto-play/, coins: /\d+ coins/ },
  'zh-CN': { timeout: '你超时了', cancelled: /对局取消/, auto: /托管/, coins: /\d+ 金币/ },
};

async function seatAtClassic(page) {
  await loginAsGuest(page, server.base);
  await page.getByTestId('lobby-coins').filter({ hasText: /\d/ }).waitFor();
  await page.getByTestId('mode-classic').click();
  await page.getByTestId('table-screen').waitFor({ state: 'visible', timeout: 30_000 });
  await page.locator('[data-testid=hand-card]').first().waitFor({ state: 'visible' });
}

for (const [lang, says] of Object.entries(SAYS)) {
  test(`${lang}: a timer that runs out is announced, bids stay shown, the cards are revealed at the end`, { timeout: 240_000 }, async () => {
    await withPage(browser, `table-timeout-${lang}`, async ({ page, errors }) => {
      await seatAtClassic(page);
      // A hand nobody bids for is dealt again, and after three such deals
      // it is cancelled: nobody is out and nothing is revealed. The player's
      // own timer passes and the bots may pass too, so a cancelled hand is
      // played again (at most three times).
      for (let attempt = 1; ; attempt++) {
        // Do nothing: the server acts for the seat when its timer runs out.
        await page.locator('.toast', { hasText: says.timeout }).waitFor({ state: 'visible', timeout: 60_000 });
        await page.getByTestId('bid-history').waitFor({ state: 'visible' });
        assert.ok((await page.getByTestId('bid-item').count()) >= 1, 'the bids are listed');
        if (attempt === 1) await shotBoth(page, `table-timeout-${lang}`);
        // Once the auction is over the bids stay on the table.
        await page.waitForFunction(() => document.querySelector('[data-testid=table-screen]').dataset.phase !== 'bidding', null, { timeout: 60_000 });
        const phase = await page.locator('[data-testid=table-screen]').getAttribute('data-phase');
        if (phase === 'playing') assert.ok((await page.getByTestId('bid-item').count()) >= 1, 'bids still shown while playing');

        // Auto-play finishes the hand; the result shows what everyone held.
        if (phase !== 'over' && (await page.locator('[data-testid=table-screen]').getAttribute('data-auto')) !== 'true') await page.getByTestId('btn-auto').click();
        await page.getByTestId('result-screen').waitFor({ state: 'visible', timeout: 180_000 });
        const title = await page.getByTestId('result-title').textContent();
        if (!says.cancelled.test(title)) break;
        assert.ok(attempt < 3, `three hands in a row cancelled (${title})`);
        await page.getByTestId('result-again').click();
        await page.locator('[data-testid=hand-card]').first().waitFor({ state: 'visible', timeout: 60_000 });
      }
      const counts = [];
      for (let s = 0; s < 3; s++) {
        const el = page.getByTestId(`revealed-${s}`);
        await el.waitFor({ state: 'attached' });
        counts.push(Number((await el.getAttribute('data-count')) || 0));
      }
      assert.equal(counts.filter((n) => n === 0).length, 1, `exactly the winner is out: ${counts}`);
      assert.ok(counts.some((n) => n > 0), 'the losers\' cards are shown');
      await shotBoth(page, `result-revealed-${lang}`);
      assert.deepEqual(errors, [], 'no console errors');
    }, DESKTOP, { locale: lang });
  });

  test(`${lang}: leaving mid-hand tells the cost, then the player is back in the lobby and free to play`, { timeout: 120_000 }, async () => {
    await withPage(browser, `table-leave-${lang}`, async ({ page, errors }) => {
      await seatAtClassic(page);
      const game = await page.locator('[data-testid=table-screen]').getAttribute('data-game-id');
      await page.getByTestId('btn-leave').click();
      await page.getByTestId('leave-dialog').waitFor({ state: 'visible' });
      const cost = await page.getByTestId('leave-cost').textContent();
      assert.match(cost, says.auto);
      assert.match(cost, says.coins);
      await shotBoth(page, `leave-dialog-${lang}`);
      // Stay first: nothing happens.
      await page.getByTestId('leave-stay').click();
      await page.getByTestId('leave-dialog').waitFor({ state: 'hidden' });
      assert.ok(await page.getByTestId('table-screen').isVisible());

      await page.getByTestId('btn-leave').click();
      await page.getByTestId('leave-go').click();
      await page.getByTestId('lobby-screen').waitFor({ state: 'visible' });
      // Free to play again at once.
      await page.getByTestId('mode-practice').click();
      await page.getByTestId('table-screen').waitFor({ state: 'visible', timeout: 30_000 });
      await page.waitForFunction((old) => {
        const id = document.querySelector('[data-testid=table-screen]').dataset.gameId;
        return id && id !== old;
      }, game);
      assert.deepEqual(errors, [], 'no console errors');
    }, DESKTOP, { locale: lang });
  });
}
