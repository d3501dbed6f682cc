// Helpers that play the game through the page, the way a person would:
// buttons and cards only, no shortcuts into the client's state.

import assert from 'node:assert/strict';

export const table = (page) => page.locator('[data-testid=table-screen]');

export async function loginAsGuest(page, base) {
  await page.goto(base + '/');
  await page.getByTestId('guest-btn').click();
  await page.getByTestId('lobby-screen').waitFor({ state: 'visible' });
}

export async function startPractice(page) {
  await page.getByTestId('mode-practice').click();
  await page.getByTestId('table-screen').waitFor({ state: 'visible', timeout: 30_000 });
  await page.locator('[data-testid=hand-card]').first().waitFor({ state: 'visible' });
}

// startClassic queues for a classic table and waits for the cards (bots
// fill the empty seats after the server's bot wait).
export async function startClassic(page) {
  await page.getByTestId('mode-classic').click();
  await page.getByTestId('table-screen').waitFor({ state: 'visible', timeout: 60_000 });
  await page.locator('[data-testid=hand-card]').first().waitFor({ state: 'visible' });
}

export async function handRanks(page) {
  return page.locator('[data-testid=hand-card]').evaluateAll((els) => els.map((e) => e.dataset.rank));
}

export async function attr(page, name) {
  return table(page).getAttribute(`data-${name}`);
}

// clickCard clicks the visible strip of a hand card (cards overlap).
export async function clickCard(card) {
  await card.click({ position: { x: 6, y: 40 } });
}

// tapCard taps the visible strip of a hand card on a touch screen.
export async function tapCard(card) {
  await card.tap({ position: { x: 5, y: 30 } });
}

const resultVisible = (page) => page.getByTestId('result-screen').isVisible();

// autoPlayToResult switches auto-play (托管) on, unless it is on or the
// hand is over, and waits for the result screen.
export async function autoPlayToResult(page, timeout = 120_000) {
  const auto = page.getByTestId('btn-auto');
  if (!(await resultVisible(page)) && (await auto.isEnabled()) && (await auto.getAttribute('aria-pressed')) !== 'true') {
    await auto.click({ timeout: 5_000 }).catch(() => {}); // the hand may end meanwhile
  }
  await page.getByTestId('result-screen').waitFor({ state: 'visible', timeout });
}

// waitMyTurnOrEnd waits until the player must act or the hand is over.
export async function waitMyTurnOrEnd(page, timeout = 90_000) {
  await page.waitForFunction(
    () => {
      const t = document.querySelector('[data-testid=table-screen]');
      const r = document.querySelector('[data-testid=result-screen]');
      if (r && !r.hidden) return true;
      return t && t.dataset.myTurn === 'true' && document.querySelector('#actions [data-testid^=btn-]:not([disabled])');
    },
    null,
    { timeout, polling: 100 },
  );
  return (await resultVisible(page)) ? 'end' : await attr(page, 'phase');
}

// waitSeqAfter waits until the table has moved past seq (or the hand ended).
export async function waitSeqAfter(page, seq, timeout = 30_000) {
  await page.waitForFunction(
    (s) => {
      const t = document.querySelector('[data-testid=table-screen]');
      const r = document.querySelector('[data-testid=result-screen]');
      return (r && !r.hidden) || (t && Number(t.dataset.seq) > s);
    },
    Number(seq),
    { timeout, polling: 100 },
  );
}

// bid takes the highest bid still open (the hand is played out faster
// when the player is landlord), or passes.
export async function bid(page) {
  for (const v of [3, 2, 1, 0]) {
    const b = page.getByTestId(`btn-bid-${v}`);
    if ((await b.count()) && (await b.isEnabled())) {
      await b.click();
      return v;
    }
  }
  throw new Error('no bid button');
}

// playWithHint asks the server for a hint and plays it, or passes when
// nothing beats the current play.
export async function playWithHint(page) {
  await page.getByTestId('btn-hint').click();
  const play = page.getByTestId('btn-play');
  await page.waitForFunction(
    () => {
      const p = document.querySelector('[data-testid=btn-play]');
      const e = document.querySelector('[data-testid=table-error]');
      return !p || !p.disabled || (e && !e.hidden);
    },
    null,
    { timeout: 10_000, polling: 50 },
  );
  if ((await play.count()) && (await play.isEnabled())) {
    await play.click();
    return 'play';
  }
  const pass = page.getByTestId('btn-pass');
  if ((await pass.count()) && (await pass.isEnabled())) {
    await pass.click();
    return 'pass';
  }
  return 'none';
}

// takeTurn makes one move for the player: a bid or a play.
export async function takeTurn(page) {
  const takeOver = page.getByTestId('btn-auto-off');
  if (await takeOver.isVisible()) {
    await takeOver.click();
    await page.locator('#actions [data-testid=btn-hint], #actions [data-testid=btn-bid-0]').first().waitFor({ timeout: 10_000 });
  }
  const seq = await attr(page, 'seq');
  const phase = await attr(page, 'phase');
  let what;
  if (phase === 'bidding') what = `bid ${await bid(page)}`;
  else what = await playWithHint(page);
  await waitSeqAfter(page, seq);
  return what;
}

// playToEnd plays the player's turns until the result screen shows.
// onTurn is called before each move with the number of moves so far.
export async function playToEnd(page, { onTurn, maxMoves = 80 } = {}) {
  for (let n = 0; n < maxMoves; n++) {
    const state = await waitMyTurnOrEnd(page);
    if (state === 'end') return n;
    if (onTurn) await onTurn(n, state);
    if (await resultVisible(page)) return n;
    await takeTurn(page);
  }
  throw new Error(`the hand did not end after ${maxMoves} moves`);
}

// assertHeaderFits checks the table's header as shown now: every control
// (chat, auto-play, leave) is on the screen and clear of the chips beside
// it, the bid history is shown and not cut off, and it is clear of the
// opponents' seats. at names the moment in messages.
export async function assertHeaderFits(page, at) {
  const head = await page.evaluate(() => {
    const box = (e) => { const r = e.getBoundingClientRect(); return { id: e.id || e.className, l: r.left, r: r.right, t: r.top, b: r.bottom }; };
    const shown = (e) => e.offsetParent !== null && !e.hidden;
    return {
      vw: window.innerWidth,
      buttons: [...document.querySelectorAll('.table-top .table-menu button')].filter(shown).map(box),
      chips: [...document.querySelectorAll('.table-top .table-info .chip')].filter(shown).map(box),
      history: (() => { const h = document.getElementById('bid-history'); return { shown: shown(h), scroll: h.scrollWidth, client: h.clientWidth, text: h.textContent, ...box(h) }; })(),
      bidItems: document.querySelectorAll('#bid-history [data-testid=bid-item]').length,
      seats: [...document.querySelectorAll('.seat-left .avatar, .seat-right .avatar, .seat-left .name, .seat-right .name')].filter(shown).map(box),
    };
  });
  assert.ok(head.buttons.length >= 3, `${at}: header controls: ${JSON.stringify(head.buttons)}`);
  assert.ok(head.history.shown && head.history.text.length > 0, 'the bid history is shown through the hand');
  assert.ok(head.history.scroll <= head.history.client + 1, `${at}: the bid history is not cut off (${head.history.scroll} > ${head.history.client}): ${head.history.text}`);
  assert.ok(head.bidItems >= 1, `${at}: the auction in the bid history: ${head.history.text}`);
  for (const s of head.seats) {
    const h = head.history;
    assert.ok(!(h.l < s.r && s.l < h.r && h.t < s.b && s.t < h.b), `${at}: the bid history (${h.t.toFixed(0)}..${h.b.toFixed(0)}) is clear of the seat ${s.id} (${s.t.toFixed(0)}..${s.b.toFixed(0)})`);
  }
  for (const b of head.buttons) {
    assert.ok(b.l >= 0 && b.r <= head.vw, `${at}: header control ${b.id} is on the screen (${b.l.toFixed(0)}..${b.r.toFixed(0)} of ${head.vw})`);
    for (const c of head.chips) {
      const overlap = b.l < c.r && c.l < b.r && b.t < c.b && c.t < b.b;
      assert.ok(!overlap, `${at}: header control ${b.id} is clear of the chip ${c.id}`);
    }
  }
}
