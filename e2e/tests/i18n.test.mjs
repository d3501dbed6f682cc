// Chinese and English: a browser set to Chinese gets the zh-CN interface,
// the switch in the page changes every string at once and the choice is
// kept after a reload; both languages have every key of the catalogue.
// Screenshots in both languages at 1280x800 and 390x844 (the Chinese ones
// need Debian's fonts-noto-cjk, which run.sh installs). Run alone with:
// cd e2e && node --test tests/i18n.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, withPage, shotBoth } from '../lib/harness.mjs';
import { loginAsGuest, startPractice } from '../lib/play.mjs';

process.env.LORDGAME_DDZ_BOT_WAIT = '200ms';

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

// English words that must not be left on a Chinese page.
const ENGLISH = ['Leaderboard', 'Recent games', 'How to play', 'Practice', 'Classic', 'Log out', 'coins', 'rating', 'Games', 'Win rate', 'Today', 'This week'];
const CJK = /[\u4e00-\u9fff]/;

// missingKeys lists "i18n: no string" warnings the page logged.
function watchMissing(page) {
  const missing = [];
  page.on('console', (m) => {
    if (m.text().startsWith('i18n: no string')) missing.push(m.text());
  });
  return missing;
}

test('a Chinese browser gets zh-CN; the switch changes every string and is kept', { timeout: 240_000 }, async () => {
  await withPage(
    browser,
    'i18n',
    async ({ page, errors }) => {
      const missing = watchMissing(page);
      await page.goto(server.base + '/');
      await page.getByTestId('auth-screen').waitFor({ state: 'visible' });
      assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
      assert.equal(await page.getByTestId('guest-btn').textContent(), '游客试玩');
      await shotBoth(page, 'i18n-auth-zh');

      // Both languages have every key, and the Chinese ones are Chinese.
      const cat = await page.evaluate(async () => {
        const m = await import('/js/i18n.js');
        const out = {};
        const now = m.currentLang();
        for (const l of m.LANGS) {
          m.setLang(l);
          out[l] = Object.fromEntries(m.keys().map((k) => [k, m.t(k)]));
        }
        m.setLang(now);
        return out;
      });
      const keys = Object.keys(cat.en);
      assert.ok(keys.length > 250, `${keys.length} keys`);
      assert.deepEqual(Object.keys(cat['zh-CN']), keys);
      for (const k of keys) {
        assert.ok(cat.en[k] && cat['zh-CN'][k], `${k} has both languages`);
        if (/^(type|role|mode|lb|history|replay|stats|result)\./.test(k) && !/^\W*$/.test(cat.en[k])) assert.match(cat['zh-CN'][k], CJK, `${k} in Chinese: ${cat['zh-CN'][k]}`);
      }

      await page.getByTestId('guest-btn').click();
      await page.getByTestId('lobby-screen').waitFor({ state: 'visible' });
      await page.waitForFunction(() => document.querySelector('[data-testid=leaderboard]').dataset.state === 'ready');
      await page.getByTestId('stat-games').waitFor();
      const zhText = await page.getByTestId('lobby-screen').innerText();
      for (const w of ENGLISH) assert.ok(!new RegExp(`\\b${w}\\b`).test(zhText), `no "${w}" on the Chinese lobby`);
      assert.match(zhText, /排行榜/);
      assert.match(zhText, /最近对局/);
      await shotBoth(page, 'i18n-lobby-zh');

      // Switch to English: the same page in English, kept after a reload.
      await page.getByTestId('lang-en').click();
      assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
      const enText = await page.getByTestId('lobby-screen').innerText();
      assert.ok(!CJK.test(enText.replace(/[鼠牛虎兔龙蛇马羊猴鸡狗猪]/g, '').replace('中文', '')), `no Chinese left on the English lobby (but the avatars and the switch's 中文): ${enText}`);
      for (const w of ['Leaderboard', 'Recent games', 'Practice', 'Classic']) assert.ok(enText.includes(w), `English lobby shows ${w}`);
      await shotBoth(page, 'i18n-lobby-en');
      await page.reload();
      await page.getByTestId('lobby-screen').waitFor({ state: 'visible' });
      assert.equal(await page.getByTestId('mode-practice').locator('.mode-title').textContent(), 'Practice', 'English kept after a reload');

      // Back to Chinese, at the table: buttons, status and result in Chinese.
      await page.getByTestId('lang-zh').click();
      await startPractice(page);
      await page.locator('#actions [data-testid=btn-bid-0]').waitFor({ timeout: 60_000 }).catch(() => {});
      const tableText = await page.getByTestId('table-screen').innerText();
      assert.match(tableText, CJK);
      assert.ok(!/\b(Auto-play|Leave|Your turn|Pass|Hint)\b/.test(tableText), `no English on the Chinese table: ${tableText}`);
      await shotBoth(page, 'i18n-table-zh');
      // Auto-play to the end, unless the table got there first: a bot that
      // bids 3 at once leaves us no bid, and our timers then put the seat on
      // auto-play and may finish the hand while the wait above runs out.
      const auto = page.getByTestId('btn-auto');
      if ((await auto.isEnabled()) && (await auto.getAttribute('aria-pressed')) !== 'true') {
        await auto.click({ timeout: 5_000 }).catch(() => {}); // the hand may end meanwhile
      }
      await page.getByTestId('result-screen').waitFor({ state: 'visible', timeout: 120_000 });
      const resultText = await page.getByTestId('result-screen').innerText();
      assert.match(resultText, /(你赢了|你输了|对局取消)/);
      assert.match(resultText, /返回大厅/);
      await shotBoth(page, 'i18n-result-zh');
      await page.getByTestId('result-lobby').click();
      await page.getByTestId('lobby-screen').waitFor({ state: 'visible' });

      // The replay in Chinese, then in English at the switch.
      await page.getByTestId('replay-btn').first().click();
      await page.getByTestId('replay').waitFor({ state: 'visible' });
      await page.getByTestId('replay-next').click();
      await page.getByTestId('replay-next').click();
      assert.match(await page.getByTestId('replay-step').textContent(), /第 \d+ \/ \d+ 步/);
      await shotBoth(page, 'i18n-replay-zh');
      await page.getByTestId('replay-close').click();
      await page.getByTestId('lang-en').click();
      await page.getByTestId('replay-btn').first().click();
      // (The reopened replay may show the last step's words until it has loaded.)
      await page.getByTestId('replay-step').filter({ hasText: /Step \d+ of \d+/ }).waitFor();
      await page.getByTestId('replay-close').click();

      // The chat panel speaks the page's language too.
      await page.getByTestId('lang-zh').click();
      await page.getByTestId('chat-toggle').click();
      assert.equal((await page.getByTestId('chat-tab-people').textContent()).trim(), '好友');
      assert.equal((await page.getByTestId('chat-title').textContent()).trim(), '消息');
      await shotBoth(page, 'i18n-chat-zh');
      await page.getByTestId('chat-close').click();

      assert.deepEqual(missing, [], 'every string the page asked for is in the catalogue');
      assert.deepEqual(errors, [], 'no console errors');
    },
    undefined,
    { locale: 'zh-CN' },
  );
});

test('an English browser gets English', { timeout: 60_000 }, async () => {
  await withPage(browser, 'i18n-en', async ({ page, errors }) => {
    await loginAsGuest(page, server.base);
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
    assert.equal(await page.getByTestId('mode-classic').locator('.mode-title').textContent(), 'Classic');
    assert.equal(await page.getByTestId('lang-en').getAttribute('aria-pressed'), 'true');
    assert.deepEqual(errors, []);
  });
});
