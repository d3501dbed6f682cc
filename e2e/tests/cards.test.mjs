// The physical cards in the browser: three players at one classic table
// see the same 54 distinct cards, each in one place, with the suits the
// server dealt, also after a reload, and the game record holds exactly
// those cards. Run with e2e/run.sh.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, withPage, shot } from '../lib/harness.mjs';
import { loginAsGuest, attr, playToEnd } from '../lib/play.mjs';

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

const FACE = /^((10|[3-9JQKA2])[SHCD]|BJ|RJ)$/;

// watchCards records, in the page, every card it ever renders in the
// played stacks (by the seat that played it), in the bottom, and the
// first full hand it shows in each deal.
function watchCards() {
  window.__cards = { played: { 0: [], 1: [], 2: [] }, bottom: [], hands: {} };
  const seen = new Set();
  const scan = () => {
    const w = window.__cards;
    for (const box of document.querySelectorAll('#played-left, #played-right, #played-me')) {
      const seat = box.dataset.seat;
      for (const c of box.querySelectorAll('.card[data-card]')) {
        const k = `${seat}:${c.dataset.card}`;
        if (seat !== undefined && !seen.has(k)) {
          seen.add(k);
          w.played[seat].push(c.dataset.card);
        }
      }
    }
    const bottom = [...document.querySelectorAll('#bottom-cards .card[data-card]')].map((c) => c.dataset.card);
    if (bottom.length === 3) w.bottom = bottom;
    const scr = document.querySelector('[data-testid=table-screen]');
    const hand = [...document.querySelectorAll('#hand .card[data-card]')].map((c) => c.dataset.card);
    if (scr && hand.length >= 17 && !w.hands[scr.dataset.gameId]) w.hands[scr.dataset.gameId] = hand;
  };
  new MutationObserver(scan).observe(document, { childList: true, subtree: true, attributes: true });
}

const handCards = (page) => page.locator('[data-testid=hand-card]').evaluateAll((els) => els.map((e) => e.dataset.card));

test('three players at one table see the same physical cards, each card in one place', { timeout: 300_000 }, async () => {
  await withPage(browser, 'cards-a', async (a) => {
    await withPage(browser, 'cards-b', async (b) => {
      await withPage(browser, 'cards-c', async (c) => {
        const pages = [a.page, b.page, c.page];
        for (const p of pages) {
          await p.addInitScript(watchCards);
          await loginAsGuest(p, server.base);
        }
        await Promise.all(pages.map((p) => p.getByTestId('mode-classic').click()));
        for (const p of pages) {
          await p.getByTestId('table-screen').waitFor({ state: 'visible', timeout: 60_000 });
          await p.locator('[data-testid=hand-card]').first().waitFor();
        }
        const gid = await attr(a.page, 'game-id');
        for (const p of pages) assert.equal(await attr(p, 'game-id'), gid, 'one table');
        const seats = await Promise.all(pages.map((p) => attr(p, 'seat')));
        assert.deepEqual([...seats].sort(), ['0', '1', '2'], 'three human seats');

        // The deal: 17 real cards each, no card in two hands.
        const dealt = await Promise.all(pages.map(handCards));
        const all = new Set();
        for (const h of dealt) {
          assert.equal(h.length, 17);
          for (const f of h) {
            assert.match(f, FACE, `a physical card: ${f}`);
            assert.ok(!all.has(f), `${f} dealt twice`);
            all.add(f);
          }
        }
        await shot(a.page, 'cards-deal-1280x800');

        // A reload shows the same physical hand.
        const before = await handCards(b.page);
        await b.page.reload();
        await b.page.locator('[data-testid=hand-card]').first().waitFor({ timeout: 30_000 });
        await b.page.waitForFunction((n) => document.querySelectorAll('[data-testid=hand-card]').length === n, before.length, { timeout: 10_000 });
        assert.deepEqual(await handCards(b.page), before, 'the same cards, suits included, after a reload');

        await Promise.all(pages.map((p) => playToEnd(p)));
        for (const p of pages) await p.getByTestId('result-screen').waitFor({ state: 'visible' });
        await shot(a.page, 'cards-result-1280x800');

        const seen = await Promise.all(pages.map((p) => p.evaluate(() => window.__cards)));
        // The bottom: the same three cards in every view, none of them dealt to a hand.
        for (const w of seen) assert.deepEqual([...w.bottom].sort(), [...seen[0].bottom].sort(), 'the same bottom in every view');
        assert.equal(seen[0].bottom.length, 3);
        for (const f of seen[0].bottom) {
          assert.match(f, FACE);
          assert.ok(!all.has(f), `bottom card ${f} was also in a hand`);
          all.add(f);
        }
        assert.equal(all.size, 54, 'the deal and the bottom are the 54 cards');

        // Every play: the same physical cards in the three views.
        for (const s of ['0', '1', '2']) {
          const ref = [...seen[0].played[s]].sort();
          for (const w of seen) assert.deepEqual([...w.played[s]].sort(), ref, `seat ${s} played the same cards in every view`);
        }
        // What each seat played, plus what the result reveals it kept, is
        // what it was dealt (the landlord: with the bottom), card for card.
        const landlord = await attr(a.page, 'landlord');
        const places = new Map();
        for (let i = 0; i < 3; i++) {
          const s = seats[i];
          const kept = await pages[0].locator(`[data-testid=revealed-${s}] [data-card]`).evaluateAll((els) => els.map((e) => e.dataset.card));
          const had = [...seen[i].played[s], ...kept].sort();
          const dealtTo = [...dealt[i], ...(s === landlord ? seen[0].bottom : [])].sort();
          assert.deepEqual(had, dealtTo, `seat ${s}: played + kept = dealt`);
          for (const f of had) places.set(f, (places.get(f) || 0) + 1);
        }
        assert.equal(places.size, 54);
        for (const [f, n] of places) assert.equal(n, 1, `${f} in ${n} places`);

        // The game record (GET /v1/games/{id}, as each player may read it)
        // holds the same physical cards: the deal the players were shown,
        // the bottom, and every seat's plays.
        for (const [i, p] of pages.entries()) {
          const rec = await p.evaluate(async (id) => {
            const tok = JSON.parse(localStorage.getItem('lordgame.session')).access_token;
            const r = await fetch(`/v1/games/${id}`, { headers: { Authorization: `Bearer ${tok}` } });
            return { status: r.status, body: await r.json() };
          }, gid);
          assert.equal(rec.status, 200, `player ${i} reads the record`);
          const deal = rec.body.deals.find((d) => [...(d.hands[Number(seats[0])].faces || [])].sort().join() === [...dealt[0]].sort().join());
          assert.ok(deal, `player ${i}: a deal of the record is the hand player 0 was shown`);
          for (let j = 0; j < 3; j++) {
            assert.deepEqual([...deal.hands[Number(seats[j])].faces].sort(), [...dealt[j]].sort(), `record: seat ${seats[j]} dealt what its player saw`);
          }
          assert.deepEqual([...deal.bottom.faces].sort(), [...seen[0].bottom].sort(), 'record: the bottom the players saw');
          for (const s of ['0', '1', '2']) {
            const plays = rec.body.events.filter((e) => e.kind === 'play' && String(e.seat ?? 0) === s).flatMap((e) => e.faces || []);
            assert.deepEqual([...plays].sort(), [...seen[0].played[s]].sort(), `record: seat ${s} played the cards the players saw`);
          }
        }

        for (const x of [a, b, c]) assert.deepEqual(x.errors, [], 'no console errors');
      });
    });
  });
});
