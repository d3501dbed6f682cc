// The physical cards in the browser: three players at one classic table.
// At every moment of the hand (every event the table renders, by its
// seq), in each of the three views, each of the 54 cards is in exactly
// one place: the player's own hand, the cards each seat has played, or the
// bottom while nobody has taken it; the three views agree with each other
// at the same seq, and with the game record (GET /v1/games/{id}) replayed
// up to that seq. Also after a reload, and at the end, where the result
// reveals what each seat kept. Run alone with:
// cd e2e && node --test tests/cards.test.mjs

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
const SEATS = [0, 1, 2];

// watchMoments runs in the page (an init script, again after a reload): a
// MutationObserver reads, after every change of the page, the cards the
// table shows at the seq it has rendered (data-seq), and hands each new
// state to window.__lgMoment (a binding to the test). What it reads is
// what the page renders: the own hand, every seat's plays this deal
// (data-played), the cards now in each seat's played stack, the bottom
// once face up, the opponents' card counts.
function watchMoments() {
  const load = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
  let n = 0;
  let last = '';
  const faces = (root, sel) => (root ? [...root.querySelectorAll(sel)].map((c) => c.dataset.card) : []);
  const scan = () => {
    const scr = document.querySelector('[data-testid=table-screen]');
    if (!scr || scr.hidden || !scr.dataset.gameId || !scr.dataset.seq) return;
    const played = {};
    const stacks = {};
    for (const box of document.querySelectorAll('#played-left, #played-right, #played-me')) {
      played[box.dataset.seat] = box.dataset.played ? box.dataset.played.split(',') : [];
      stacks[box.dataset.seat] = faces(box, '.stack .card[data-card]');
    }
    const counts = {};
    for (const el of document.querySelectorAll('#seat-left, #seat-right')) {
      const c = el.querySelector('[data-testid=opp-count]');
      if (c) counts[el.dataset.seat] = Number(c.textContent);
    }
    const state = {
      game: scr.dataset.gameId,
      deal: Number(scr.dataset.deal),
      seq: Number(scr.dataset.seq),
      phase: scr.dataset.phase,
      seat: Number(scr.dataset.seat),
      landlord: Number(scr.dataset.landlord),
      hand: faces(document, '#hand .card[data-card]'),
      played,
      stacks,
      bottom: faces(document, '#bottom-cards .card[data-card]'),
      counts,
    };
    const key = JSON.stringify(state);
    if (key === last) return;
    last = key;
    window.__lgMoment({ ...state, load, n: n++ });
  };
  new MutationObserver(scan).observe(document, { childList: true, subtree: true, attributes: true, characterData: true });
}

const handCards = (page) => page.locator('[data-testid=hand-card]').evaluateAll((els) => els.map((e) => e.dataset.card));
const sorted = (a) => [...a].sort();
// cardState is what must not change while the seq stays the same.
const cardState = (m) => JSON.stringify({ hand: sorted(m.hand), played: m.played, bottom: sorted(m.bottom), counts: m.counts, landlord: m.landlord });

// recordAt replays the game record up to seq: each seat's cards in hand,
// what each has played (in order), the landlord and the bottom, of the
// deal that seq belongs to.
function recordAt(rec, seq) {
  const deals = rec.deals.map((d) => ({ seq: Number(d.seq || 0), hands: d.hands.map((h) => h.faces || []), bottom: d.bottom.faces || [] }));
  const di = deals.findLastIndex((d) => d.seq <= seq);
  assert.ok(di >= 0, `a deal of the record at or before seq ${seq}`);
  const deal = deals[di];
  const hands = deal.hands.map((h) => [...h]);
  const played = [[], [], []];
  let landlord = -1;
  for (const e of rec.events) {
    const s = Number(e.seq || 0);
    if (s <= deal.seq || s > seq) continue;
    const seat = Number(e.seat || 0);
    if (e.kind === 'landlord') {
      landlord = seat;
      hands[seat].push(...deal.bottom);
    } else if (e.kind === 'play' && (e.faces || []).length) {
      played[seat].push(...e.faces);
      hands[seat] = hands[seat].filter((c) => !e.faces.includes(c));
    }
  }
  return { deal: di + 1, hands, played, landlord, bottom: deal.bottom };
}

// checkMoment checks one view at one moment on its own: each card in one
// place, and the counts add up to what each seat was dealt.
function checkMoment(m, where) {
  const dealt = (s) => (s === m.landlord ? 20 : 17);
  const all = [];
  for (const s of SEATS) all.push(...m.played[s]);
  for (const f of [...m.hand, ...all, ...m.bottom]) assert.match(f, FACE, `${where}: a physical card: ${f}`);
  assert.equal(new Set(m.hand).size, m.hand.length, `${where}: no card twice in the hand ${m.hand}`);
  assert.equal(new Set(all).size, all.length, `${where}: no card played twice ${all}`);
  for (const f of m.hand) assert.ok(!all.includes(f), `${where}: ${f} is both in the hand and played`);
  assert.equal(m.hand.length + m.played[m.seat].length, dealt(m.seat), `${where}: hand ${m.hand.length} + played ${m.played[m.seat].length} = dealt`);
  for (const o of SEATS.filter((s) => s !== m.seat)) {
    assert.equal(m.counts[o] + m.played[o].length, dealt(o), `${where}: seat ${o} holds ${m.counts[o]} + played ${m.played[o].length} = dealt`);
  }
  for (const s of SEATS) for (const f of m.stacks[s]) assert.ok(m.played[s].includes(f), `${where}: ${f} on seat ${s}'s stack is among its plays`);
  if (m.landlord < 0) {
    assert.equal(m.bottom.length, 0, `${where}: the bottom is face down while bidding`);
  } else {
    assert.equal(m.bottom.length, 3, `${where}: the bottom is shown once the landlord is known`);
    for (const f of m.bottom) {
      if (m.seat === m.landlord) assert.ok(m.hand.includes(f) || m.played[m.seat].includes(f), `${where}: bottom card ${f} went to the landlord (me)`);
      else assert.ok(!m.hand.includes(f), `${where}: bottom card ${f} is not in a farmer's hand`);
    }
  }
}

test('three players at one table see the same physical cards, each card in one place at every moment', { timeout: 300_000 }, async (t) => {
  await withPage(browser, 'cards-a', async (a) => {
    await withPage(browser, 'cards-b', async (b) => {
      await withPage(browser, 'cards-c', async (c) => {
        const pages = [a.page, b.page, c.page];
        const moments = [[], [], []];
        for (const [i, p] of pages.entries()) {
          await p.exposeFunction('__lgMoment', (m) => moments[i].push(m));
          await p.addInitScript(watchMoments);
          await loginAsGuest(p, server.base);
        }
        await Promise.all(pages.map((p) => p.getByTestId('mode-classic').click()));
        for (const p of pages) {
          await p.getByTestId('table-screen').waitFor({ state: 'visible', timeout: 60_000 });
          await p.locator('[data-testid=hand-card]').first().waitFor();
        }
        const gid = await attr(a.page, 'game-id');
        for (const p of pages) assert.equal(await attr(p, 'game-id'), gid, 'one table');
        const seats = (await Promise.all(pages.map((p) => attr(p, 'seat')))).map(Number);
        assert.deepEqual([...seats].sort(), SEATS, 'three human seats');

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
        // The observer's last calls reach the test: each view has recorded the end.
        const t0 = Date.now();
        while (moments.some((ms) => !ms.some((m) => m.phase === 'over'))) {
          assert.ok(Date.now() - t0 < 10_000, 'every view recorded the end of the hand');
          await new Promise((r) => setTimeout(r, 50));
        }

        // The game record, as each player may read it: the same for all three.
        const records = [];
        for (const [i, p] of pages.entries()) {
          const rec = await p.evaluate(async (id) => {
            const tok = JSON.parse(localStorage.getItem('lordgame.session')).access_token;
            const r = await fetch(`/v1/games/${id}`, { headers: { Authorization: `Bearer ${tok}` } });
            return { status: r.status, body: await r.json() };
          }, gid);
          assert.equal(rec.status, 200, `player ${i} reads the record`);
          records.push(rec.body);
        }
        for (const r of records) assert.deepEqual(r.events, records[0].events, 'one record for the three players');
        const rec = records[0];
        const plays = rec.events.filter((e) => e.kind === 'play' && (e.faces || []).length);
        assert.ok(plays.length > 0, 'cards were played');

        // Every moment of every view on its own, and against the record
        // replayed to the moment's seq.
        const bySeq = [new Map(), new Map(), new Map()]; // per view: seq -> card state
        let checked = 0;
        for (const i of [0, 1, 2]) {
          const byLoad = new Map();
          for (const m of moments[i]) {
            if (m.game !== gid) continue;
            const where = `view ${i} (seat ${m.seat}) at seq ${m.seq}`;
            assert.equal(m.seat, seats[i], `${where}: the seat`);
            checkMoment(m, where);
            const r = recordAt(rec, m.seq);
            assert.equal(m.deal, r.deal, `${where}: deal ${r.deal} of the record`);
            assert.equal(m.landlord, r.landlord, `${where}: the record's landlord`);
            assert.deepEqual(sorted(m.hand), sorted(r.hands[m.seat]), `${where}: the hand is the record's`);
            for (const s of SEATS) assert.deepEqual(m.played[s], r.played[s], `${where}: seat ${s}'s plays are the record's, in order`);
            for (const o of SEATS.filter((s) => s !== m.seat)) assert.equal(m.counts[o], r.hands[o].length, `${where}: seat ${o}'s count is the record's`);
            if (m.landlord >= 0) assert.deepEqual(sorted(m.bottom), sorted(r.bottom), `${where}: the record's bottom`);
            // The same seq shows the same cards (also across a reload).
            const st = cardState(m);
            if (bySeq[i].has(m.seq)) assert.equal(st, bySeq[i].get(m.seq).state, `${where}: the same cards at the same seq`);
            else bySeq[i].set(m.seq, { state: st, m });
            // Within one page load the plays only grow, each shown on its
            // seat's stack when it was made.
            const prev = byLoad.get(m.load);
            if (prev && prev.deal === m.deal) {
              for (const s of SEATS) assert.deepEqual(m.played[s].slice(0, prev.played[s].length), prev.played[s], `${where}: seat ${s}'s earlier plays stay`);
              for (const s of SEATS) {
                const fresh = m.played[s].slice(prev.played[s].length);
                for (const f of fresh) assert.ok(m.stacks[s].includes(f), `${where}: ${f}, just played by seat ${s}, shows on its stack`);
              }
            }
            byLoad.set(m.load, m);
            checked++;
          }
        }

        // The three views at the same seq: the same plays, and the three
        // hands, the plays and the bottom (from the record while nobody has
        // it) are the 54 distinct cards.
        const common = [...bySeq[0].keys()].filter((s) => bySeq[1].has(s) && bySeq[2].has(s)).sort((x, y) => x - y);
        for (const seq of common) {
          const ms = [0, 1, 2].map((i) => bySeq[i].get(seq).m);
          const where = `seq ${seq}`;
          for (const s of SEATS) for (const m of ms) assert.deepEqual(m.played[s], ms[0].played[s], `${where}: seat ${s} played the same cards in every view`);
          for (const m of ms) assert.equal(m.landlord, ms[0].landlord, `${where}: one landlord`);
          for (const m of ms) assert.deepEqual(sorted(m.bottom), sorted(ms[0].bottom), `${where}: the same bottom in every view`);
          for (const m of ms) for (const o of SEATS.filter((s) => s !== m.seat)) assert.equal(m.counts[o], ms[seats.indexOf(o)].hand.length, `${where}: seat ${o}'s count is its player's hand`);
          const places = [...ms.flatMap((m) => m.hand), ...SEATS.flatMap((s) => ms[0].played[s])];
          if (ms[0].landlord < 0) places.push(...recordAt(rec, seq).bottom);
          assert.equal(places.length, 54, `${where}: 54 cards in hands, plays and bottom`);
          assert.equal(new Set(places).size, 54, `${where}: the 54 distinct cards`);
        }
        // Every event is a moment: a page load renders each seq of the
        // record from its first to its last; the pages that were not
        // reloaded render every seq from before the first bid to the end.
        const recSeqs = rec.events.map((e) => Number(e.seq));
        const firstBid = Number(rec.events.find((e) => e.kind === 'bid').seq);
        for (const i of [0, 1, 2]) {
          const loads = new Map();
          for (const m of moments[i]) loads.set(m.load, [...(loads.get(m.load) || []), m.seq]);
          for (const seqs of loads.values()) {
            const want = recSeqs.filter((s) => s >= seqs[0] && s <= seqs.at(-1));
            assert.deepEqual([...new Set(seqs)].sort((x, y) => x - y), want, `view ${i}: every seq rendered, one after the other`);
          }
          assert.equal(loads.size, i === 1 ? 2 : 1, `view ${i}: ${loads.size} page loads`);
          const seen = moments[i].map((m) => m.seq);
          assert.equal(seen.at(-1), recSeqs.at(-1), `view ${i}: the end rendered`);
          if (loads.size === 1) assert.ok(seen[0] < firstBid, `view ${i}: rendered from before the first bid (seq ${seen[0]})`);
        }
        // Not vacuous: every play of the record was checked in the three views.
        const commonSet = new Set(common);
        for (const e of plays) assert.ok(commonSet.has(Number(e.seq)), `play at seq ${e.seq} checked in the three views`);
        assert.ok(common.length > plays.length, `${common.length} seqs checked in all three views, more than the ${plays.length} plays`);
        assert.ok(checked > 3 * plays.length, `${checked} moments checked`);
        t.diagnostic(`${checked} view moments checked (${moments.map((m) => m.length).join(' + ')} recorded), ${common.length} seqs in all three views, ${plays.length} plays, ${rec.events.length} events`);

        // The bottom: the same three cards in every view, none of them dealt to a hand.
        const end = [0, 1, 2].map((i) => moments[i].at(-1));
        assert.equal(end[0].bottom.length, 3);
        for (const f of end[0].bottom) {
          assert.ok(!all.has(f), `bottom card ${f} was also in a hand`);
          all.add(f);
        }
        assert.equal(all.size, 54, 'the deal and the bottom are the 54 cards');

        // What each seat played, plus what the result reveals it kept, is
        // what it was dealt (the landlord: with the bottom), card for card.
        const landlord = Number(await attr(a.page, 'landlord'));
        const places = new Map();
        for (let i = 0; i < 3; i++) {
          const s = seats[i];
          const kept = await pages[0].locator(`[data-testid=revealed-${s}] [data-card]`).evaluateAll((els) => els.map((e) => e.dataset.card));
          const had = sorted([...end[0].played[s], ...kept]);
          assert.deepEqual(had, sorted([...dealt[i], ...(s === landlord ? end[0].bottom : [])]), `seat ${s}: played + kept = dealt`);
          for (const f of had) places.set(f, (places.get(f) || 0) + 1);
        }
        assert.equal(places.size, 54);
        for (const [f, n] of places) assert.equal(n, 1, `${f} in ${n} places`);

        // The record's deal is what the players were shown.
        const deal = rec.deals.at(-1);
        for (let j = 0; j < 3; j++) assert.deepEqual(sorted(deal.hands[seats[j]].faces), sorted(dealt[j]), `record: seat ${seats[j]} dealt what its player saw`);
        assert.deepEqual(sorted(deal.bottom.faces), sorted(end[0].bottom), 'record: the bottom the players saw');

        for (const x of [a, b, c]) assert.deepEqual(x.errors, [], 'no console errors');
      });
    });
  });
});
