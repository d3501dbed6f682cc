// Physical cards in the browser: three players at one table see the same
// 54 cards (rank and suit, from the server) in every view, each card in
// exactly one place, also after a reload; and on a phone a 20-card hand can
// be tapped card by card.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, openPage, shot, PHONE } from '../lib/harness.mjs';
import { loginAsGuest, startPractice, attr, bid, takeTurn, waitMyTurnOrEnd, waitSeqAfter } from '../lib/play.mjs';

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

const RANKS = ['3', '4', '5', '6', '7', '8', '9', '10', 'J', 'Q', 'K', 'A', '2'];
const DECK = new Set([...RANKS.flatMap((r) => ['S', 'H', 'C', 'D'].map((s) => r + s)), 'BJ', 'RJ']);

// view reads what one page shows: its seat, its hand, the bottom cards and
// the cards on the table in front of each seat, all by data-card.
async function view(page) {
  return page.evaluate(() => {
    const faces = (sel) => [...document.querySelectorAll(sel)].map((e) => e.dataset.card);
    const scr = document.querySelector('[data-testid=table-screen]');
    const played = {};
    for (const el of document.querySelectorAll('#played-left, #played-right, #played-me')) {
      played[el.dataset.seat] = [...el.querySelectorAll('[data-testid=played-cards] [data-card]')].map((e) => e.dataset.card);
    }
    return {
      seat: Number(scr.dataset.seat),
      seq: Number(scr.dataset.seq),
      phase: scr.dataset.phase,
      landlord: Number(scr.dataset.landlord),
      hand: faces('[data-testid=hand-card]'),
      bottom: faces('[data-testid=bottom-card]'),
      played,
      counts: [...document.querySelectorAll('[data-testid=opp-count]')].map((e) => Number(e.textContent)),
    };
  });
}

const sorted = (xs) => [...xs].sort();

// waitSeq waits until every page has seen at least seq.
async function waitSeq(pages, seq) {
  for (const p of pages) {
    await p.waitForFunction(
      (s) => {
        const t = document.querySelector('[data-testid=table-screen]');
        const r = document.querySelector('[data-testid=result-screen]');
        return (r && !r.hidden) || (t && Number(t.dataset.seq) >= s);
      },
      seq,
      { timeout: 30_000, polling: 100 },
    );
  }
}

test('three players: every card is one physical card, the same in every view and after a reload', { timeout: 300_000 }, async () => {
  const ps = [];
  try {
    for (let i = 0; i < 3; i++) ps.push(await openPage(browser));
    const pages = ps.map((p) => p.page);
    for (const p of pages) await loginAsGuest(p, server.base);
    for (const p of pages) await p.getByTestId('mode-classic').click();
    for (const p of pages) {
      await p.getByTestId('table-screen').waitFor({ state: 'visible', timeout: 60_000 });
      await p.locator('[data-testid=hand-card]').first().waitFor();
    }
    const game = await attr(pages[0], 'game-id');
    for (const p of pages) assert.equal(await attr(p, 'game-id'), game, 'one table for the three');
    const bySeat = new Map();
    for (const p of pages) bySeat.set(Number(await attr(p, 'seat')), p);
    assert.equal(bySeat.size, 3, 'three seats');

    // gone: every card that has left a hand (played), with the seat that played it.
    const gone = new Map();
    let reloaded = false;
    let checks = 0;
    for (let move = 0; move < 200; move++) {
      // Wait for a settled state: every page at the same seq.
      const seqs = await Promise.all(pages.map((p) => attr(p, 'seq')));
      const top = Math.max(...seqs.map(Number));
      await waitSeq(pages, top);
      if (await pages[0].getByTestId('result-screen').isVisible()) break;
      const vs = await Promise.all(pages.map(view));
      if (vs.some((v) => v.seq !== top)) continue; // something moved meanwhile
      checks++;

      // Each card in exactly one place: the three hands and what was played
      // are disjoint, real cards, and with the bottom (once shown) all 54.
      const all = [];
      for (const v of vs) all.push(...v.hand);
      all.push(...gone.keys());
      for (const c of all) assert.ok(DECK.has(c), `a real card: ${c}`);
      assert.equal(new Set(all).size, all.length, `no card in two places: ${sorted(all)}`);
      if (vs[0].landlord >= 0 && vs[0].phase !== 'bidding') {
        assert.equal(all.length, 54, 'the hands and the played cards are the 54 cards');
        for (const v of vs) assert.deepEqual(sorted(v.bottom), sorted(vs[0].bottom), 'the same bottom cards in every view');
        assert.equal(vs[0].bottom.length, 3);
        const landlordHand = vs.find((v) => v.seat === vs[0].landlord).hand;
        const landlordPlayed = [...gone].filter(([, s]) => s === vs[0].landlord).map(([c]) => c);
        for (const c of vs[0].bottom) assert.ok(landlordHand.includes(c) || landlordPlayed.includes(c), `the landlord holds or played bottom card ${c}`);
      } else {
        assert.equal(all.length, 51, 'three hands of 17 while bidding');
        for (const v of vs) assert.equal(v.bottom.length, 0, 'the bottom is hidden while bidding');
      }
      // The cards in front of a seat are the same physical cards in every
      // view, and that seat played them.
      for (const s of ['0', '1', '2']) {
        for (const v of vs) assert.deepEqual(sorted(v.played[s] || []), sorted(vs[0].played[s] || []), `seat ${s}'s play is the same in every view`);
        for (const c of vs[0].played[s] || []) assert.equal(gone.get(c), Number(s), `${c} was played by seat ${s}`);
      }

      // Mid-hand, one player reloads: the same physical hand and bottom come back.
      if (!reloaded && vs[0].phase === 'playing' && gone.size >= 4) {
        const p = pages[1];
        const before = vs[1];
        await p.reload();
        await p.getByTestId('table-screen').waitFor({ state: 'visible', timeout: 30_000 });
        await p.locator('[data-testid=hand-card]').first().waitFor();
        await waitSeq([p], before.seq);
        // The reconnect itself is an event (seq moves on, no card does);
        // nobody plays meanwhile: the test makes every move.
        const after = await view(p);
        assert.deepEqual(after.hand, before.hand, 'the same physical hand, in the same order, after a reload');
        assert.deepEqual(sorted(after.bottom), sorted(before.bottom), 'the same bottom cards after a reload');
        for (const s of ['0', '1', '2']) assert.deepEqual(sorted(after.played[s] || []), sorted(before.played[s] || []), 'the same cards on the table after a reload');
        reloaded = true;
        continue;
      }

      // The seat to act moves; the cards that left its hand are recorded.
      let mover = null;
      for (const p of pages) if ((await attr(p, 'my-turn')) === 'true') mover = p;
      if (!mover) {
        await pages[0].waitForTimeout(200);
        continue;
      }
      const seat = Number(await attr(mover, 'seat'));
      const handBefore = (await view(mover)).hand;
      const seq = Number(await attr(mover, 'seq'));
      await takeTurn(mover);
      await waitSeq(pages, seq + 1);
      if (await mover.getByTestId('result-screen').isVisible()) {
        for (const c of handBefore) if (!(await view(mover)).hand.includes(c)) gone.set(c, seat);
        break;
      }
      const handAfter = (await view(mover)).hand;
      for (const c of handBefore) if (!handAfter.includes(c)) gone.set(c, seat);
    }
    assert.ok(checks >= 5, `the views were compared at ${checks} moments`);
    assert.ok(gone.size > 0, 'cards were played');
    console.log(`# cards: ${checks} moments compared, ${gone.size} cards played`);
    assert.ok(reloaded, 'a player reloaded mid-hand');
    for (const { errors } of ps) assert.deepEqual(errors, [], 'no console errors');
  } finally {
    for (const p of ps) await p.context.close();
  }
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
