// The screenshot matrix: every screen a player meets, in zh-CN and in
// English (the browser's language, as the client picks it), at 1280x800
// and 390x844, saved as artifacts/screens/<screen>-<lang>-<W>x<H>.png.
// Each screenshot is checked first: the page is in that language (the
// html lang attribute, and a catalogue string of the screen on the
// screen in that language, not the other's), it shows what it claims,
// and no console error or missing string has occurred. A guest plays
// classic hands against quick bots (the table, the result with the
// opponents' cards revealed, and, at 390x844, the 20-card hand of the
// landlord), then the lobby's leaderboard, profile, history, replay and
// chat panel. Run alone with: cd e2e && node --test tests/screens.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, openPage, withPage, shotBoth, PHONE, DESKTOP } from '../lib/harness.mjs';
import { startClassic, attr, takeTurn, waitMyTurnOrEnd, autoPlayToResult, assertHeaderFits } from '../lib/play.mjs';

// Quick bots and auto-play for this file's server only.
process.env.LORDGAME_DDZ_BOT_WAIT = '200ms';
process.env.LORDGAME_DDZ_BOT_DELAY = '30ms';
process.env.LORDGAME_DDZ_AUTOPLAY_DELAY = '30ms';

const LANGS = [
  { lang: 'zh-CN', locale: 'zh-CN', other: 'en' },
  { lang: 'en', locale: 'en-US', other: 'zh-CN' },
];
const CJK = /[\u4e00-\u9fff]/;

let server;
let browser;
let CAT; // the catalogue: CAT[lang][key]

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  // Both languages of the catalogue, read in a page of its own.
  const { context, page } = await openPage(browser);
  try {
    await page.goto(server.base + '/');
    CAT = await page.evaluate(async () => {
      const m = await import('/js/i18n.js');
      const out = {};
      for (const l of m.LANGS) {
        m.setLang(l);
        out[l] = Object.fromEntries(m.keys().map((k) => [k, m.t(k)]));
      }
      return out;
    });
  } finally {
    await context.close();
  }
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

// keyOf is the catalogue key of an English string (the chat panel's words
// are looked up by their English).
const keyOf = (en) => Object.keys(CAT.en).find((k) => CAT.en[k] === en);

// capture takes one screen's screenshots (both sizes, or sizes) after
// checking, at each size: the page's language, the catalogue string key
// on screen inside the screen's element (testid) and not the other
// language's, what check() asserts, and no console error so far.
async function capture(s, screen, { testid, key, top, sizes, check }) {
  const { page, lang, other } = s;
  await shotBoth(page, `screens/${screen}-${lang}`, {
    sizes,
    check: async (size) => {
      const at = `${screen} ${lang} ${size.width}x${size.height}`;
      const el = page.getByTestId(testid);
      // Bring the screen's part up (a lobby panel far down on a phone).
      if (top) await page.getByTestId(top).evaluate((e) => e.scrollIntoView({ block: 'start' }));
      await el.waitFor({ state: 'visible' });
      assert.equal(await page.evaluate(() => document.documentElement.lang), lang, `${at}: <html lang>`);
      const want = CAT[lang][key];
      const not = CAT[other][key];
      assert.ok(want && not, `${key} is in the catalogue`);
      const word = el.getByText(want).filter({ visible: true }).first();
      await word.waitFor({ state: 'visible' });
      const box = await word.boundingBox();
      assert.ok(box && box.y >= 0 && box.y + box.height <= size.height && box.x >= 0 && box.x + box.width <= size.width, `${at}: "${want}" (${key}) is on the screen: ${JSON.stringify(box)}`);
      const text = await el.innerText();
      if (not !== want) assert.ok(!text.includes(not), `${at}: no "${not}" (${key} in ${other})`);
      if (lang === 'zh-CN') {
        assert.match(text, CJK, `${at}: Chinese text`);
        // A bot is 机器人 N, not the server's "Bot N", everywhere (the
        // history list too: its entries say which seats were bots).
        assert.doesNotMatch(text, /\bBot \d/, `${at}: bots named in Chinese`);
      }
      if (check) await check(size, at);
      assert.deepEqual(s.errors, [], `${at}: no console errors`);
      assert.deepEqual(s.missing, [], `${at}: every string the page asked for is in the catalogue`);
    },
  });
  for (const size of sizes || [DESKTOP, PHONE]) s.files.push(`screens/${screen}-${lang}-${size.width}x${size.height}.png`);
}

// playHands plays classic hands against the bots until the table has
// been shown mid-hand, the result with an opponent's cards revealed, and
// the landlord's 20-card hand at 390x844: bids the highest it may, makes
// a move or two with the server's hint, then auto-play finishes the hand.
async function playHands(s) {
  const { page } = s;
  const got = { table: false, hand20: false, result: false };
  for (let hand = 0; hand < 12 && !(got.table && got.hand20 && got.result); hand++) {
    await startClassic(page);
    for (;;) {
      const st = await waitMyTurnOrEnd(page);
      if (st === 'end') break;
      if (st === 'bidding') {
        await takeTurn(page);
        continue;
      }
      if (st !== 'playing' || (await attr(page, 'auto')) === 'true') break;
      const landlord = (await attr(page, 'landlord')) === (await attr(page, 'seat'));
      const cards = await page.getByTestId('hand-card').count();
      if (!got.hand20 && landlord && cards === 20) {
        await page.waitForTimeout(600); // the bottom cards' highlight settles
        await page.locator('#fx').waitFor({ state: 'hidden' }); // "You are the landlord" fades
        await capture(s, 'hand20', {
          testid: 'table-screen',
          key: 'table.hint',
          sizes: [PHONE],
          check: async (size, at) => {
            const spots = await page.getByTestId('hand-card').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().toJSON()));
            assert.equal(spots.length, 20, `${at}: 20 cards`);
            for (const r of spots) assert.ok(r.left >= 0 && r.right <= size.width && r.top >= 0 && r.bottom <= size.height, `${at}: every card on the screen`);
          },
        });
        got.hand20 = true;
      }
      const onTable = await page.locator('#played-left .stack .card, #played-right .stack .card, #played-me .stack .card').count();
      if (!got.table && onTable > 0) {
        await page.locator('#fx').waitFor({ state: 'hidden' }); // a bomb's flash fades
        await capture(s, 'table', {
          testid: 'table-screen',
          key: 'table.hint',
          check: async (size, at) => {
            assert.ok((await page.getByTestId('hand-card').count()) > 0, `${at}: the hand`);
            await page.getByTestId('bid-history').waitFor({ state: 'visible' });
            assert.ok((await page.getByTestId('bid-item').count()) >= 1, `${at}: the bid history`);
            assert.equal(await page.getByTestId('bid-history').getAttribute('title'), CAT[s.lang]['bids.title']);
            assert.ok(await page.locator('.played .stack .card').first().isVisible(), `${at}: cards played on the table`);
            await assertHeaderFits(page, at);
          },
        });
        got.table = true;
      }
      if (got.table && (got.hand20 || !landlord)) break;
      await takeTurn(page);
    }
    await autoPlayToResult(page);
    const me = Number(await attr(page, 'seat'));
    const revealed = async () => {
      let n = 0;
      for (const o of [0, 1, 2].filter((x) => x !== me)) n += Number((await page.getByTestId(`revealed-${o}`).getAttribute('data-count')) || 0);
      return n;
    };
    if (!got.result && (await page.getByTestId('result-title').textContent()) !== CAT[s.lang]['result.cancelled'] && (await revealed()) > 0) {
      await capture(s, 'result', {
        testid: 'result-screen',
        key: 'result.lobby',
        check: async (size, at) => {
          assert.ok((await revealed()) > 0, `${at}: an opponent's cards revealed`);
          assert.ok(await page.locator('.result-hands .revealed .mini-card').first().isVisible(), `${at}: the revealed cards show`);
        },
      });
      got.result = true;
    }
    await page.getByTestId('result-lobby').click();
    await page.getByTestId('lobby-screen').waitFor({ state: 'visible' });
  }
  assert.deepEqual(got, { table: true, hand20: true, result: true }, 'the table, the 20-card hand and the result were shown');
}

// lobbyScreens: the lobby and its panels, the replay and the chat panel.
async function lobbyScreens(s) {
  const { page } = s;
  const board = page.getByTestId('leaderboard');
  // The boards take each settled game from a queue: ask again until the
  // player's row is there.
  for (let i = 0; i < 20; i++) {
    if ((await board.getAttribute('data-state')) === 'ready' && (await page.locator('.lb-row.mine').count())) break;
    await page.waitForTimeout(300);
    await page.getByTestId('lb-period-day').click();
    await page.getByTestId('lb-period-week').click();
  }
  await page.locator('.lb-row.mine').waitFor();
  await page.getByTestId('history-row').first().waitFor();
  await page.getByTestId('stat-games').filter({ hasText: /^[1-9]/ }).waitFor();

  await capture(s, 'lobby', { testid: 'lobby-screen', key: 'mode.practice', top: 'lobby-screen' });
  await capture(s, 'leaderboard', {
    testid: 'leaderboard',
    key: 'lb.title',
    top: 'leaderboard',
    check: async (size, at) => assert.ok(await page.locator('.lb-row.mine').isVisible(), `${at}: the player's row`),
  });
  await capture(s, 'history', {
    testid: 'history',
    key: 'history.title',
    top: 'history',
    check: async (size, at) => assert.ok(await page.getByTestId('history-row').first().isVisible(), `${at}: a game listed`),
  });

  await page.evaluate(() => window.scrollTo(0, 0));
  await page.getByTestId('profile-edit').click();
  await capture(s, 'profile', {
    testid: 'profile-dialog',
    key: 'profile.title',
    check: async (size, at) => assert.ok(await page.getByTestId('avatar-grid').isVisible(), `${at}: the avatars`),
  });
  await page.getByTestId('profile-close').click();
  await page.getByTestId('profile-dialog').waitFor({ state: 'hidden' });

  // The replay of the last game, a few plays in.
  await page.getByTestId('replay-btn').first().click();
  const rp = page.getByTestId('replay');
  await rp.waitFor({ state: 'visible' });
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=replay]').dataset.steps) > 0);
  const steps = Number(await rp.getAttribute('data-steps'));
  for (let i = 1; i < steps && i < 8; i++) {
    await page.getByTestId('replay-next').click();
    await page.waitForFunction((n) => document.querySelector('[data-testid=replay]').dataset.step === String(n), i + 1);
  }
  await capture(s, 'replay', {
    testid: 'replay',
    key: 'replay.title',
    check: async (size, at) => {
      const step = CAT[s.lang]['replay.step'].replace('{n}', await rp.getAttribute('data-step')).replace('{of}', String(steps));
      assert.equal((await page.getByTestId('replay-step').textContent()).trim(), step, `${at}: the step in words`);
      assert.ok((await page.locator('#replay .replay-hand .card').count()) > 0, `${at}: the cards`);
    },
  });
  await page.getByTestId('replay-close').click();
  await rp.waitFor({ state: 'hidden' });

  // The chat panel: the world conversation with a line of the player's.
  await page.getByTestId('chat-toggle').click();
  await page.getByTestId('chat-panel').waitFor({ state: 'visible' });
  await page.locator('[data-testid=chat-conv][data-kind=world]').first().click();
  await page.waitForFunction(() => document.querySelector('[data-testid=chat-panel]').dataset.view === 'conv');
  const line = s.lang === 'zh-CN' ? '大家好，来一局吗？' : 'Hello everyone, a game?';
  await page.getByTestId('chat-input').fill(line);
  await page.getByTestId('chat-input').press('Enter');
  const mine = page.locator('[data-testid=chat-msgs] [data-testid=chat-msg][data-mine=true]', { hasText: line });
  await mine.waitFor();
  await capture(s, 'chat', {
    testid: 'chat-panel',
    key: keyOf('Send'),
    check: async (size, at) => {
      assert.equal((await page.getByTestId('chat-title').textContent()).trim(), CAT[s.lang][keyOf('World')], `${at}: the world conversation`);
      assert.ok(await mine.isVisible(), `${at}: the player's line`);
    },
  });
  await page.getByTestId('chat-close').click();
}

for (const { lang, locale, other } of LANGS) {
  test(`screens in ${lang} at 1280x800 and 390x844`, { timeout: 240_000 }, async () => {
    await withPage(
      browser,
      `screens-${lang}`,
      async (p) => {
        const s = { ...p, lang, other, files: [], missing: [] };
        p.page.on('console', (m) => {
          if (m.text().startsWith('i18n: no string')) s.missing.push(m.text());
        });
        await p.page.goto(server.base + '/');
        await p.page.getByTestId('auth-screen').waitFor({ state: 'visible' });
        await capture(s, 'auth', { testid: 'auth-screen', key: 'auth.guest' });
        await p.page.getByTestId('guest-btn').click();
        await p.page.getByTestId('lobby-screen').waitFor({ state: 'visible' });
        await playHands(s);
        await lobbyScreens(s);
        assert.equal(s.files.length, 19, `19 screenshots: ${s.files.join(' ')}`);
      },
      DESKTOP,
      { locale },
    );
  });
}
