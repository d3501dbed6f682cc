// On a phone (390x844, touch) a 20-card hand is readable and every card can
// be tapped where it shows: two rows when one row would leave strips under
// 32 px; toasts at the table stay clear of the hand.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, openPage, shot, PHONE } from '../lib/harness.mjs';
import { loginAsGuest, startPractice, attr, bid, waitMyTurnOrEnd, waitSeqAfter, assertHeaderFits } from '../lib/play.mjs';

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

test('phone 390x844: a 20-card hand is readable and every card is tapped where it shows', { timeout: 300_000 }, async () => {
  const { context, page, errors } = await openPage(browser, PHONE);
  try {
    await loginAsGuest(page, server.base);
    // Play practice hands until the player is the landlord (20 cards).
    let landlord = false;
    for (let hand = 0; hand < 6 && !landlord; hand++) {
      await startPractice(page);
      for (;;) {
        const st = await waitMyTurnOrEnd(page);
        if (st === 'end') break;
        if (st === 'playing') {
          landlord = (await attr(page, 'landlord')) === (await attr(page, 'seat'));
          break;
        }
        const seq = await attr(page, 'seq');
        await bid(page);
        await waitSeqAfter(page, seq);
      }
      if (!landlord) {
        // Let auto-play finish this hand, then back to the lobby.
        const auto = page.getByTestId('btn-auto');
        if (await auto.isVisible()) await auto.tap();
        await page.getByTestId('result-screen').waitFor({ state: 'visible', timeout: 180_000 });
        await page.getByTestId('result-lobby').tap();
        await page.getByTestId('lobby-screen').waitFor({ state: 'visible' });
      }
    }
    assert.ok(landlord, 'the player became the landlord');
    const cards = page.locator('[data-testid=hand-card]');
    assert.equal(await cards.count(), 20, 'a 20-card hand');
    await page.waitForTimeout(600); // the bottom cards' highlight settles
    await shot(page, 'cards-hand20-390x844');

    await assertHeaderFits(page, 'phone, landlord');

    // The visible part of each card: its box minus what the next card in
    // its row and the row in front cover.
    const spots = await page.evaluate(() => {
      const out = [];
      const rows = [...document.querySelectorAll('#hand .hand-row')];
      rows.forEach((row, ri) => {
        const cs = [...row.querySelectorAll('.card')];
        const front = rows[ri + 1] ? rows[ri + 1].getBoundingClientRect() : null;
        cs.forEach((c, i) => {
          const r = c.getBoundingClientRect();
          const right = cs[i + 1] ? cs[i + 1].getBoundingClientRect().left : r.right;
          const bottom = front ? Math.min(r.bottom, front.top) : r.bottom;
          out.push({ card: c.dataset.card, x: (r.left + right) / 2, y: (r.top + bottom) / 2, w: right - r.left, h: bottom - r.top, right: r.right, left: r.left });
        });
      });
      return { out, vw: window.innerWidth, toasts: document.getElementById('toasts').getBoundingClientRect(), hand: document.getElementById('hand').getBoundingClientRect() };
    });
    assert.equal(spots.out.length, 20);
    for (const s of spots.out) {
      assert.ok(s.w >= 32, `card ${s.card} shows ${s.w.toFixed(1)} px to tap (>= 32)`);
      assert.ok(s.h >= 32, `card ${s.card} shows ${s.h.toFixed(1)} px high (>= 32)`);
      assert.ok(s.left >= 0 && s.right <= spots.vw, `card ${s.card} is on the screen`);
    }
    for (const s of spots.out) {
      await page.touchscreen.tap(s.x, s.y);
      const sel = await page.locator('[data-testid=hand-card].sel').evaluateAll((els) => els.map((e) => e.dataset.card));
      assert.deepEqual(sel, [s.card], `tapping ${s.card} selects it, and only it`);
      await page.touchscreen.tap(s.x, s.y - 16); // the selected card rose 16 px: tap it again to put it back
      assert.equal(await page.locator('[data-testid=hand-card].sel').count(), 0, `tapping ${s.card} again clears it`);
    }
    await page.touchscreen.tap(spots.out[0].x, spots.out[0].y);
    await shot(page, 'cards-hand20-selected-390x844');

    // Where a toast shows at the table: not over the hand.
    const handBox = await page.locator('#hand').boundingBox();
    const toastBox = await page.evaluate(() => {
      const t = document.createElement('div');
      t.className = 'toast';
      t.textContent = 'probe';
      document.getElementById('toasts').append(t);
      const r = document.getElementById('toasts').getBoundingClientRect();
      t.remove();
      return { top: r.top, bottom: r.bottom };
    });
    assert.ok(toastBox.bottom <= handBox.y || toastBox.top >= handBox.y + handBox.height, `toasts (${toastBox.top}-${toastBox.bottom}) do not cover the hand (${handBox.y}-${handBox.y + handBox.height})`);
    assert.deepEqual(errors, [], 'no console errors');
  } catch (err) {
    await shot(page, 'failure-cards-phone').catch(() => {});
    throw err;
  } finally {
    await context.close();
  }
});
