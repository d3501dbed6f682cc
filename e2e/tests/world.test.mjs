// The world map at /world: guests in separate browser contexts enter the
// MMO world, walk (arrow keys on a desktop, taps on a phone) until they
// see each other, see each other move and talk in the world chat; a third
// player who leaves disappears for both; a dropped connection comes back
// as the same player. Positions are read from the page's list of players
// in view, which holds what the server's pushes said. Run alone with:
// cd e2e && node --test tests/world.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, openPage, shot, DESKTOP, PHONE } from '../lib/harness.mjs';
import { loginAsGuest } from '../lib/play.mjs';

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
    await b.page.getByTestId('world-canvas').tap({ position: { x: box.width / 2 - 60, y: box.height / 2 } });
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
