// The world map at /world: guests in separate browser contexts enter the
// MMO world, walk (arrow keys on a desktop, taps on a phone) until they
// see each other, see each other move and talk in the world chat; a third
// player who leaves disappears for both; a dropped connection comes back
// as the same player; the world has zones whose border runs through the
// spawn area. Positions are read from the page's list of players
// in view, which holds what the server's pushes said. Run alone with:
// cd e2e && node --test tests/world.test.mjs
// The last test is the page in Chinese and English (node --test
// --test-name-pattern=Chinese tests/world.test.mjs).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, openPage, shot, DESKTOP, PHONE } from '../lib/harness.mjs';
import { loginAsGuest } from '../lib/play.mjs';

let server;
let browser;

before(async () => {
  // The world in four zones of five cell rows each: the border at Z 156.25
  // cuts the spawn area (Z 134–183) in two, so players start on both sides
  // of it, see each other across it and are handed over as they walk.
  process.env.LORDGAME_WORLD_ZONES = '1x4';
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

const worldState = (page) => page.getByTestId('world').getAttribute('data-state');

// enterWorld opens /world as a new guest and waits until the server has
// put the player in the world; it returns the player's id.
async function enterWorld(page) {
  await page.goto(server.base + '/world');
  await page.getByTestId('world-guest').click();
  await page.waitForFunction(() => {
    const w = document.querySelector('[data-testid=world]');
    return w.dataset.state === 'in' && Number(w.dataset.selfId) > 0 && document.querySelector('[data-testid=world-player][data-self]');
  });
  return Number(await page.getByTestId('world').getAttribute('data-self-id'));
}

// players reads the page's players in view: id → {x, z, self}.
async function players(page) {
  const list = await page.locator('[data-testid=world-player]').evaluateAll((els) =>
    els.map((e) => ({ id: Number(e.dataset.id), x: Number(e.dataset.x), z: Number(e.dataset.z), self: e.dataset.self === 'true' })),
  );
  return new Map(list.map((p) => [p.id, p]));
}

async function selfPos(page) {
  for (const p of (await players(page)).values()) if (p.self) return p;
  throw new Error('no self in the player list');
}

// waitPlayer waits until the page lists player id and fn(position) holds
// (fn runs in the page, with the position from the server's pushes).
async function waitPlayer(page, id, fn = 'true', timeout = 15_000) {
  await page.waitForFunction(
    ([pid, src]) => {
      const el = document.querySelector(`[data-testid=world-player][data-id="${pid}"]`);
      if (!el) return false;
      const p = { x: Number(el.dataset.x), z: Number(el.dataset.z) };
      return new Function('p', `return ${src};`)(p);
    },
    [id, fn],
    { timeout, polling: 50 },
  );
}

async function waitGone(page, id, timeout = 15_000) {
  await page.waitForFunction((pid) => !document.querySelector(`[data-testid=world-player][data-id="${pid}"]`), id, { timeout, polling: 50 });
}

// walkAxis holds an arrow key until the player's own position, as the
// server pushes it, is within 3 units of goal on that axis (or past it).
async function walkAxis(page, axis, goal) {
  const me = await selfPos(page);
  const d = goal - me[axis];
  if (Math.abs(d) <= 3) return;
  const key = axis === 'x' ? (d > 0 ? 'ArrowRight' : 'ArrowLeft') : d > 0 ? 'ArrowUp' : 'ArrowDown';
  await page.keyboard.down(key);
  try {
    await page.waitForFunction(
      ([ax, g, up]) => {
        const el = document.querySelector('[data-testid=world-player][data-self]');
        const v = el && Number(el.dataset[ax]);
        return el && (up ? v >= g - 3 : v <= g + 3);
      },
      [axis, goal, d > 0],
      { timeout: 20_000, polling: 30 },
    );
  } finally {
    await page.keyboard.up(key);
  }
}

// walkTo walks the page's player next to (x, z) with the arrow keys.
async function walkTo(page, x, z) {
  await walkAxis(page, 'x', x);
  await walkAxis(page, 'z', z);
}

// settle waits until the player asks for no more moves and the server's
// pushes have brought its own position to the last move it accepted.
async function settle(page) {
  await page.waitForFunction(
    () => {
      const w = document.querySelector('[data-testid=world]').dataset;
      const el = document.querySelector('[data-testid=world-player][data-self]');
      if (!el || w.moving !== 'false' || w.goalX === undefined) return false;
      return Math.abs(Number(el.dataset.x) - Number(w.goalX)) < 0.01 && Math.abs(Number(el.dataset.z) - Number(w.goalZ)) < 0.01;
    },
    null,
    { polling: 50 },
  );
  return selfPos(page);
}

async function failShot(pages, name) {
  let i = 0;
  for (const p of pages) {
    try {
      await shot(p.page, `failure-${name}-${++i}`);
    } catch {
      // the page may be gone
    }
  }
}

const noErrors = (p, what) => assert.deepEqual(p.errors, [], `no console errors (${what})`);

test('two players see each other move and chat; a third who leaves disappears for both', { timeout: 180_000 }, async () => {
  const a = await openPage(browser, DESKTOP);
  const b = await openPage(browser, PHONE); // a touch phone: taps
  const c = await openPage(browser, DESKTOP);
  try {
    const idA = await enterWorld(a.page);
    const idB = await enterWorld(b.page);
    assert.notEqual(idA, idB);
    const pa = await selfPos(a.page);
    const pb = await selfPos(b.page);
    const inSpawn = (p) => p.x >= 160 && p.x <= 209 && p.z >= 134 && p.z <= 183;
    assert.ok(inSpawn(pa) && inSpawn(pb), `both start in the spawn area: ${JSON.stringify([pa, pb])}`);

    // B walks to A with the arrow keys until each sees the other.
    await walkTo(b.page, pa.x, pa.z);
    await waitPlayer(a.page, idB);
    await waitPlayer(b.page, idA);

    // A moves right: B's page shows A's position change, as A's does.
    const a0 = await settle(a.page);
    await walkAxis(a.page, 'x', a0.x + 10);
    const a1 = await settle(a.page);
    assert.ok(a1.x > a0.x + 5, `A moved right: ${a0.x} → ${a1.x}`);
    await waitPlayer(b.page, idA, `Math.abs(p.x - ${a1.x}) < 0.01 && Math.abs(p.z - ${a1.z}) < 0.01`);

    // B taps left of itself on its canvas (the camera follows B): it walks
    // there, and A sees B go left.
    const b0 = await settle(b.page);
    const box = await b.page.getByTestId('world-canvas').boundingBox();
    // Not farther than A is sure to see (A is about 10 to the right, and
    // sees at least viewRadius cells either way).
    const left = await b.page.evaluate(() => {
      const m = window.lordworld.model.map;
      const reach = (m.viewRadius * (m.maxX - m.minX)) / m.cellsX - 12;
      return Math.max(5, Math.min(10, reach)) * window.lordworld.view.scale;
    });
    await b.page.getByTestId('world-canvas').tap({ position: { x: box.width / 2 - left, y: box.height / 2 } });
    await b.page.waitForFunction((x0) => Number(document.querySelector('[data-testid=world-player][data-self]').dataset.x) < x0 - 3, b0.x);
    const b1 = await settle(b.page);
    assert.ok(b1.x < b0.x - 3 && Math.abs(b1.z - b0.z) < 1, `B walked left: ${JSON.stringify([b0, b1])}`);
    await waitPlayer(a.page, idB, `Math.abs(p.x - ${b1.x}) < 0.01 && Math.abs(p.z - ${b1.z}) < 0.01`);

    // World chat, both ways.
    await a.page.getByTestId('world-chat-input').fill('hello from A');
    await a.page.getByTestId('world-chat-input').press('Enter');
    for (const p of [a, b]) await p.page.getByTestId('world-chat-line').filter({ hasText: 'hello from A' }).waitFor();
    assert.equal(await a.page.getByTestId('world-chat-input').inputValue(), '', 'the input is cleared once sent');
    await b.page.getByTestId('world-chat-input').fill('hi A, B here');
    await b.page.getByTestId('world-chat-send').tap();
    for (const p of [a, b]) await p.page.getByTestId('world-chat-line').filter({ hasText: 'hi A, B here' }).waitFor();
    const line = a.page.getByTestId('world-chat-line').filter({ hasText: 'hi A, B here' });
    assert.equal(Number(await line.getAttribute('data-from')), idB, 'the line says who sent it');
    await shot(a.page, 'world-1280x800');
    await shot(b.page, 'world-390x844');

    // A third player comes over: both see it; it leaves: both lose it.
    const idC = await enterWorld(c.page);
    const here = await selfPos(a.page);
    await walkTo(c.page, here.x, here.z);
    await waitPlayer(a.page, idC);
    await waitPlayer(b.page, idC);
    await c.page.getByTestId('world-leave').click();
    await c.page.waitForFunction(() => document.querySelector('[data-testid=world]').dataset.state === 'left');
    await c.page.getByTestId('world-gate').waitFor({ state: 'visible' });
    await waitGone(a.page, idC);
    await waitGone(b.page, idC);
    assert.equal(await c.page.locator('[data-testid=world-player]').count(), 0, 'the leaver knows no one');
    // A and B still see each other.
    assert.ok((await players(a.page)).has(idB) && (await players(b.page)).has(idA));

    // C comes back: a new player, seen again by A (C spawns in the spawn
    // area; A walks over if it is out of view).
    await c.page.getByTestId('world-enter').click();
    await c.page.waitForFunction(() => document.querySelector('[data-testid=world]').dataset.state === 'in');
    const idC2 = Number(await c.page.getByTestId('world').getAttribute('data-self-id'));
    assert.notEqual(idC2, idC, 'entering after leaving is a new player');
    const pc = await selfPos(c.page);
    await walkTo(c.page, here.x, here.z);
    await waitPlayer(a.page, idC2);
    assert.ok(pc, 'C is back');

    for (const [p, n] of [[a, 'A'], [b, 'B'], [c, 'C']]) noErrors(p, n);
  } catch (err) {
    await failShot([a, b, c], 'world');
    throw err;
  } finally {
    for (const p of [a, b, c]) await p.context.close();
  }
});

test('a dropped connection reconnects and enters again as the same player', { timeout: 120_000 }, async () => {
  const a = await openPage(browser, DESKTOP);
  const b = await openPage(browser, DESKTOP);
  try {
    const idA = await enterWorld(a.page);
    const idB = await enterWorld(b.page);
    const pa = await selfPos(a.page);
    await walkTo(b.page, pa.x, pa.z);
    await waitPlayer(a.page, idB);
    await waitPlayer(b.page, idA);
    const before = await settle(a.page);

    await a.context.setOffline(true);
    await a.page.evaluate(() => window.lordworld.conn.ws && window.lordworld.conn.ws.close());
    await a.page.getByTestId('conn-banner').waitFor({ state: 'visible' });
    assert.equal(await worldState(a.page), 'connecting');
    await a.context.setOffline(false);

    // Back in: the same id at the same place, B in view again, and B
    // never lost A (the server keeps a disconnected player for a grace
    // period).
    await a.page.waitForFunction(() => document.querySelector('[data-testid=world]').dataset.state === 'in', null, { timeout: 30_000 });
    await a.page.getByTestId('conn-banner').waitFor({ state: 'hidden' });
    assert.equal(Number(await a.page.getByTestId('world').getAttribute('data-self-id')), idA, 'the same player');
    const back = await selfPos(a.page);
    assert.ok(Math.abs(back.x - before.x) < 0.01 && Math.abs(back.z - before.z) < 0.01, `the same place: ${JSON.stringify([before, back])}`);
    assert.ok((await players(b.page)).has(idA), 'B still sees A');

    // The pushes flow again both ways: B moves and A sees it, A moves and
    // B sees it.
    const b0 = await settle(b.page);
    await walkAxis(b.page, 'x', b0.x + 8);
    const b1 = await settle(b.page);
    await waitPlayer(a.page, idB, `Math.abs(p.x - ${b1.x}) < 0.01 && Math.abs(p.z - ${b1.z}) < 0.01`);
    await walkAxis(a.page, 'x', back.x - 8);
    const moved = await settle(a.page);
    await waitPlayer(b.page, idA, `Math.abs(p.x - ${moved.x}) < 0.01`);

    // Failed reconnect attempts while offline are logged by the browser
    // itself; they are the expected ones, not client errors.
    assert.deepEqual(a.errors.filter((e) => !/WebSocket connection to .* failed/.test(e)), [], 'no console errors (A)');
    noErrors(b, 'B');
  } catch (err) {
    await failShot([a, b], 'world-reconnect');
    throw err;
  } finally {
    for (const p of [a, b]) await p.context.close();
  }
});

test('the same player in a second tab takes the player over; the first tab is told and can come back', { timeout: 120_000 }, async () => {
  const a = await openPage(browser, DESKTOP);
  try {
    const id = await enterWorld(a.page);
    const first = await settle(a.page);
    // A second tab of the same browser is the same guest.
    const tab = await a.context.newPage();
    tab.on('console', (m) => m.type() === 'error' && a.errors.push(`console error (second tab): ${m.text()}`));
    tab.on('pageerror', (e) => a.errors.push(`page error (second tab): ${e.message}`));
    await tab.goto(server.base + '/world');
    await tab.waitForFunction(() => document.querySelector('[data-testid=world]').dataset.state === 'in');
    assert.equal(Number(await tab.getByTestId('world').getAttribute('data-self-id')), id, 'the same player');
    const there = await selfPos(tab);
    assert.ok(Math.abs(there.x - first.x) < 0.01 && Math.abs(there.z - first.z) < 0.01, 'where it was');
    // The first tab was disconnected and says so instead of reconnecting.
    await a.page.waitForFunction(() => document.querySelector('[data-testid=world]').dataset.state === 'closed');
    await a.page.getByTestId('world-gate').filter({ hasText: 'somewhere else' }).waitFor();
    // Coming back in the first tab takes the player back from the second.
    await a.page.getByTestId('world-enter').click();
    await a.page.waitForFunction(() => document.querySelector('[data-testid=world]').dataset.state === 'in');
    assert.equal(Number(await a.page.getByTestId('world').getAttribute('data-self-id')), id);
    await tab.waitForFunction(() => document.querySelector('[data-testid=world]').dataset.state === 'closed');
    noErrors(a, 'both tabs');
  } catch (err) {
    await failShot([a], 'world-second-tab');
    throw err;
  } finally {
    await a.context.close();
  }
});

// ---------------------------------------------------------------- languages

// The interface's words on the page: the text shown (without the chat
// lines, which are what players wrote), the placeholders, labels and
// titles, the document's title and the player's own entry in the list of
// players in view.
function interfaceText(page) {
  return page.evaluate(() => {
    const parts = [document.title];
    const hidden = (el) => !el.checkVisibility();
    for (const el of document.body.querySelectorAll('*')) {
      if (hidden(el) || el.closest('[data-testid=world-chat-line]:not(.mine), [data-testid=world-chat-line] span, [data-testid=world-players], noscript')) continue;
      for (const n of el.childNodes) if (n.nodeType === Node.TEXT_NODE && n.textContent.trim()) parts.push(n.textContent.trim());
      for (const a of ['placeholder', 'aria-label', 'title']) if (el.getAttribute(a)) parts.push(el.getAttribute(a));
    }
    const self = document.querySelector('[data-testid=world-player][data-self]');
    if (self) parts.push(self.textContent);
    return parts.join('\n');
  });
}

// Latin words on a Chinese page: any run of letters but the brand, the
// key names in the help and the switch's EN.
const LATIN_OK = new Set(['LordGame', 'WASD', 'EN']);
const latinWords = (text) => (text.match(/[A-Za-z]{2,}/g) || []).filter((w) => !LATIN_OK.has(w));
const CJK = /[\u4e00-\u9fff]/;

// watchMissing collects the "i18n: no string" warnings of a page.
function watchMissing(page) {
  const missing = [];
  page.on('console', (m) => {
    if (m.text().startsWith('i18n: no string')) missing.push(m.text());
  });
  return missing;
}

// reachable checks that the control is inside the viewport and that a tap
// at its middle lands on it (nothing covers it).
async function reachable(page, testid) {
  const el = page.getByTestId(testid);
  await el.waitFor({ state: 'visible' });
  const box = await el.boundingBox();
  const vp = page.viewportSize();
  assert.ok(box && box.x >= 0 && box.y >= 0 && box.x + box.width <= vp.width && box.y + box.height <= vp.height, `${testid} inside ${vp.width}x${vp.height}: ${JSON.stringify(box)}`);
  assert.ok(box.height >= 32 && box.width >= 32, `${testid} is big enough to tap: ${box.width}x${box.height}`);
  const hit = await page.evaluate(
    ([id, x, y]) => {
      const want = document.querySelector(`[data-testid="${id}"]`);
      const got = document.elementFromPoint(x, y);
      return want === got || want.contains(got) ? '' : got ? got.outerHTML.slice(0, 120) : 'nothing';
    },
    [testid, box.x + box.width / 2, box.y + box.height / 2],
  );
  assert.equal(hit, '', `nothing covers ${testid}`);
}

test('the page in Chinese and English: every string from the catalogue, usable on a phone', { timeout: 180_000 }, async () => {
  const a = await openPage(browser, DESKTOP, { locale: 'zh-CN' });
  const b = await openPage(browser, PHONE, { locale: 'zh-CN' }); // a touch phone
  const missing = [a, b].map((p) => watchMissing(p.page));
  try {
    // The gate before logging in: Chinese, nothing in English.
    await b.page.goto(server.base + '/world');
    await b.page.getByTestId('world-guest').waitFor({ state: 'visible' });
    assert.equal(await b.page.evaluate(() => document.documentElement.lang), 'zh-CN');
    assert.equal((await b.page.getByTestId('world-guest').textContent()).trim(), '游客进入');
    assert.equal(await b.page.getByTestId('lang-zh').getAttribute('aria-pressed'), 'true');
    let zh = await interfaceText(b.page);
    assert.deepEqual(latinWords(zh), [], `no English on the Chinese gate:\n${zh}`);
    await shot(b.page, 'world-gate-zh-390x844');

    const idA = await enterWorld(a.page);
    await b.page.getByTestId('world-guest').tap();
    await b.page.waitForFunction(() => document.querySelector('[data-testid=world]').dataset.state === 'in');
    const idB = Number(await b.page.getByTestId('world').getAttribute('data-self-id'));
    const pa = await selfPos(a.page);
    await walkTo(b.page, pa.x, pa.z);
    await waitPlayer(a.page, idB);
    await waitPlayer(b.page, idA);

    // The phone: the controls are on the screen and not covered, the chat
    // input and Send take a tap and the line arrives.
    for (const id of ['world-leave', 'world-back', 'lang-zh', 'lang-en', 'world-chat-input', 'world-chat-send', 'world-canvas']) await reachable(b.page, id);
    await b.page.getByTestId('world-chat-input').tap();
    await b.page.getByTestId('world-chat-input').fill('你好,世界');
    await reachable(b.page, 'world-chat-send');
    await b.page.getByTestId('world-chat-send').tap();
    for (const p of [a, b]) await p.page.getByTestId('world-chat-line').filter({ hasText: '你好,世界' }).waitFor();
    await a.page.getByTestId('world-chat-input').fill('hello from A');
    await a.page.getByTestId('world-chat-input').press('Enter');
    for (const p of [a, b]) await p.page.getByTestId('world-chat-line').filter({ hasText: 'hello from A' }).waitFor();
    const chatBox = await b.page.getByTestId('world-chat-log').boundingBox();
    assert.ok(chatBox.height >= 40, `the phone's chat log has room: ${chatBox.height}`);

    // In Chinese: the status, the chat's title and hints, one's own name
    // in the chat, nothing in English.
    for (const p of [a, b]) {
      zh = await interfaceText(p.page);
      assert.deepEqual(latinWords(zh), [], `no English on the Chinese world page:\n${zh}`);
      assert.match(await p.page.getByTestId('world-status').textContent(), /视野内 \d+ 人/);
      const cut = await p.page.getByTestId('world-status').evaluate((el) => el.scrollWidth > el.clientWidth + 1);
      assert.equal(cut, false, 'the status line is not cut off');
      assert.match(await p.page.getByTestId('world-chat-title').textContent(), /世界频道/);
      assert.equal((await p.page.locator('[data-testid=world-chat-line].mine b').first().textContent()).trim(), '我');
      assert.equal((await p.page.getByTestId('world-leave').textContent()).trim(), '离开');
    }
    await shot(a.page, 'world-zh-1280x800');
    await shot(b.page, 'world-zh-390x844');

    // The server's rule in Chinese: lines in a row, each sent once the one
    // before is accepted, until the server refuses one for the rate (5 in
    // 5 s, "hello from A" included): the toast says why and the line stays
    // in the input.
    const input = a.page.getByTestId('world-chat-input');
    const RATE = '慢一点:5 秒内最多发 5 条消息。';
    let sent = 0;
    for (let i = 1; i <= 6; i++) {
      await input.fill(`第 ${i} 条`);
      await input.press('Enter');
      const refused = await a.page.waitForFunction(
        (rate) => {
          if ([...document.querySelectorAll('[data-testid=toast]')].some((el) => el.textContent === rate)) return 'refused';
          return document.querySelector('[data-testid=world-chat-input]').value === '' ? 'sent' : false;
        },
        RATE,
      );
      if ((await refused.jsonValue()) === 'refused') break;
      sent++;
    }
    assert.ok(sent < 6, `the server refused a line for the rate (${sent} sent)`);
    await a.page.getByTestId('toast').filter({ hasText: RATE }).waitFor();
    assert.equal(await input.inputValue(), `第 ${sent + 1} 条`, 'a refused line stays in the input');
    await input.fill('');

    // Switch to English on the phone: every string at once, kept after a
    // reload; the desktop stays Chinese (its own browser).
    await b.page.getByTestId('lang-en').tap();
    assert.equal(await b.page.evaluate(() => document.documentElement.lang), 'en');
    const en = await interfaceText(b.page);
    assert.ok(!CJK.test(en.replace(/中文/g, '').replace(/你好,世界/g, '')), `no Chinese on the English page (but the switch's 中文):\n${en}`);
    assert.match(await b.page.getByTestId('world-status').textContent(), /\d+ in view/);
    assert.equal((await b.page.getByTestId('world-chat-input').getAttribute('placeholder')), 'Say something to the world');
    assert.equal((await b.page.locator('[data-testid=world-chat-line].mine b').first().textContent()).trim(), 'you');
    assert.equal(await b.page.evaluate(() => document.title), 'LordGame · World');
    await a.page.getByTestId('lang-en').click();
    await shot(a.page, 'world-en-1280x800');
    await shot(b.page, 'world-en-390x844');
    await b.page.reload();
    await b.page.waitForFunction(() => document.querySelector('[data-testid=world]').dataset.state === 'in');
    assert.equal((await b.page.getByTestId('world-leave').textContent()).trim(), 'Leave', 'English kept after a reload');

    // Back to Chinese on the desktop; leave: the gate says so in Chinese,
    // and so does the refusal to talk outside the world.
    await a.page.getByTestId('lang-zh').click();
    await a.page.getByTestId('world-leave').click();
    await a.page.waitForFunction(() => document.querySelector('[data-testid=world]').dataset.state === 'left');
    assert.equal((await a.page.getByTestId('world-gate-text').textContent()).trim(), '你已离开世界。');
    assert.equal((await a.page.getByTestId('world-enter').textContent()).trim(), '进入世界');
    await a.page.getByTestId('world-chat-input').fill('还在吗');
    await a.page.getByTestId('world-chat-input').press('Enter');
    await a.page.getByTestId('toast').filter({ hasText: '进入世界后才能发言。' }).waitFor();
    zh = await interfaceText(a.page);
    assert.deepEqual(latinWords(zh), [], `no English on the Chinese gate after leaving:\n${zh}`);
    await a.page.getByTestId('lang-en').click();
    assert.equal((await a.page.getByTestId('world-gate-text').textContent()).trim(), 'You left the world.');

    // A kick in Chinese: back in, the same guest in a second tab takes the
    // player over; the first tab says why in Chinese, and in English after
    // the switch.
    await a.page.getByTestId('lang-zh').click();
    await a.page.getByTestId('world-enter').click();
    await a.page.waitForFunction(() => document.querySelector('[data-testid=world]').dataset.state === 'in');
    const tab = await a.context.newPage();
    tab.on('console', (m) => m.type() === 'error' && a.errors.push(`console error (second tab): ${m.text()}`));
    await tab.goto(server.base + '/world');
    await tab.waitForFunction(() => document.querySelector('[data-testid=world]').dataset.state === 'in');
    await a.page.waitForFunction(() => document.querySelector('[data-testid=world]').dataset.state === 'closed');
    assert.equal((await a.page.getByTestId('world-gate-text').textContent()).trim(), '你已在别处登录,此窗口的连接已断开。');
    assert.equal((await a.page.locator('#conn-retry').textContent()).trim(), '重新连接');
    zh = await interfaceText(a.page);
    assert.deepEqual(latinWords(zh), [], `no English on the Chinese page after the kick:\n${zh}`);
    await shot(a.page, 'world-kicked-zh-1280x800');
    await a.page.getByTestId('lang-en').click();
    assert.match(await a.page.getByTestId('world-gate-text').textContent(), /logged in somewhere else/);
    assert.equal((await a.page.locator('#conn-retry').textContent()).trim(), 'Reconnect');
    await tab.close();

    assert.deepEqual(missing.flat(), [], 'every string the pages asked for is in the catalogue');
    for (const [p, n] of [[a, 'A'], [b, 'B']]) noErrors(p, n);
  } catch (err) {
    await failShot([a, b], 'world-i18n');
    throw err;
  } finally {
    for (const p of [a, b]) await p.context.close();
  }
});

test('the lobby links to the world and back; players carry their display names', { timeout: 120_000 }, async () => {
  const a = await openPage(browser, DESKTOP);
  const b = await openPage(browser, DESKTOP);
  try {
    // A logs in in the lobby, takes a name, and follows the lobby's link.
    await loginAsGuest(a.page, server.base);
    await a.page.getByTestId('profile-edit').click();
    await a.page.getByTestId('name-input').fill('Walker Ann');
    await a.page.getByTestId('name-save').click();
    await a.page.getByTestId('lobby-name').filter({ hasText: 'Walker Ann' }).waitFor();
    const link = a.page.getByTestId('lobby-world');
    assert.ok(await link.isVisible(), 'the lobby shows the way to the world');
    await link.click();
    await a.page.waitForURL(/\/world$/);
    await a.page.waitForFunction(() => document.querySelector('[data-testid=world]').dataset.state === 'in');
    const idA = Number(await a.page.getByTestId('world').getAttribute('data-self-id'));
    assert.equal(await a.page.locator('[data-testid=world-player][data-self]').getAttribute('data-name'), 'Walker Ann', 'A entered under its name');

    // B, a guest, comes over: each sees the other under the server's name.
    const idB = await enterWorld(b.page);
    const nameB = await b.page.locator('[data-testid=world-player][data-self]').getAttribute('data-name');
    assert.match(nameB, /^Guest/, 'a guest enters under its guest name');
    const pa = await selfPos(a.page);
    await walkTo(b.page, pa.x, pa.z);
    await waitPlayer(b.page, idA);
    await waitPlayer(a.page, idB);
    assert.equal(await b.page.locator(`[data-testid=world-player][data-id="${idA}"]`).getAttribute('data-name'), 'Walker Ann');
    assert.equal(await a.page.locator(`[data-testid=world-player][data-id="${idB}"]`).getAttribute('data-name'), nameB);
    await a.page.getByTestId('world-chat-input').fill('hello, I am Ann');
    await a.page.getByTestId('world-chat-input').press('Enter');
    await b.page.getByTestId('world-chat-line').filter({ hasText: 'hello, I am Ann' }).filter({ hasText: 'Walker Ann' }).waitFor();

    // And back to the lobby.
    const back = a.page.getByTestId('world-back');
    assert.equal((await back.textContent()).trim(), 'Back to the lobby');
    await back.click();
    await a.page.getByTestId('lobby-screen').waitFor({ state: 'visible' });
    noErrors(a, 'A');
    noErrors(b, 'B');
  } catch (err) {
    await failShot([a, b], 'world-lobby');
    throw err;
  } finally {
    for (const p of [a, b]) await p.context.close();
  }
});
