// End-to-end tests of the admin console (/admin/) against the real server,
// in Debian's Chromium: each screen as an admin, a game client that hears
// the announcement and shows the maintenance banner, and a viewer who sees
// everything but cannot ban (the button is disabled and the API refuses).
// Screenshots go to e2e/artifacts/admin/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, launchBrowser, openPage, shot, ARTIFACTS } from '../lib/harness.mjs';
import { loginAsGuest, startPractice } from '../lib/play.mjs';

let server;
let browser;
const PASSWORD = 'correct horse battery';

async function register(username) {
  const r = await fetch(server.base + '/v1/auth/register', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password: PASSWORD }),
  });
  assert.equal(r.status, 201, `register ${username}`);
  return r.json();
}

function grant(username, role) {
  const g = spawnSync(server.bin, ['admin', 'grant', username, role, '-data', server.data], { encoding: 'utf8' });
  assert.equal(g.status, 0, `admin grant ${username} ${role}: ${g.stderr}`);
}

async function signIn(page, username) {
  await page.goto(server.base + '/admin/');
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('screen-dashboard').waitFor({ state: 'visible' });
}

// adminShot saves artifacts/admin/<name>.png.
const adminShot = (page, name) => shot(page, `admin/${name}`);

before(async () => {
  server = await startServer();
  fs.rmSync(path.join(ARTIFACTS, 'admin'), { recursive: true, force: true });
  fs.mkdirSync(path.join(ARTIFACTS, 'admin'), { recursive: true });
  browser = await launchBrowser();
  for (const u of ['boss', 'watcher', 'cheater']) await register(u);
  grant('boss', 'admin');
  grant('watcher', 'viewer');
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

async function withPages(name, fn) {
  const admin = await openPage(browser);
  const game = await openPage(browser);
  try {
    await fn(admin.page, game.page);
    assert.deepEqual(admin.errors, [], 'console errors on the admin page');
    assert.deepEqual(game.errors, [], 'console errors on the game page');
  } catch (err) {
    await adminShot(admin.page, `failure-${name}`).catch(() => {});
    await adminShot(game.page, `failure-${name}-game`).catch(() => {});
    throw err;
  } finally {
    await admin.context.close();
    await game.context.close();
  }
}

test('an admin uses every screen of the console', { timeout: 240_000 }, async () => {
  await withPages('admin', async (page, game) => {
    // A guest plays a practice table while the admin watches.
    await loginAsGuest(game, server.base);
    await startPractice(game);

    await signIn(page, 'boss');
    assert.match(await page.getByTestId('who').textContent(), /boss \(admin\)/);
    await page.getByTestId('d-online').filter({ hasText: /^[1-9]/ }).waitFor();
    await page.getByTestId('d-tables').filter({ hasText: /^[1-9]/ }).waitFor();
    assert.equal(await page.getByTestId('d-house').textContent(), '0');
    assert.equal(await page.getByTestId('d-nodes').locator('tr').count(), 1);
    await adminShot(page, 'dashboard');

    // Players: search, profile, coins through the ledger, ban and unban.
    await page.getByTestId('tab-players').click();
    await page.getByTestId('player-search').fill('cheater');
    await page.getByTestId('player-search-submit').click();
    await page.getByTestId('profile').waitFor({ state: 'visible' });
    const before = Number(await page.getByTestId('pf-balance').textContent());
    await page.getByTestId('coins-delta').fill('25');
    await page.getByTestId('coins-reason').fill('compensation for a lost hand');
    await page.getByTestId('coins').click();
    await page.getByTestId('pf-balance').filter({ hasText: String(before + 25) }).waitFor();
    await page.getByTestId('pf-ledger').locator('tr', { hasText: 'admin: compensation for a lost hand' }).waitFor();
    await page.getByTestId('ban-reason').fill('collusion');
    await page.getByTestId('ban-duration').selectOption('24h');
    await page.getByTestId('ban').click();
    await page.getByTestId('pf-status').filter({ hasText: /banned until .*collusion/ }).waitFor();
    const login = await fetch(server.base + '/v1/auth/login', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'cheater', password: PASSWORD }),
    });
    assert.equal(login.status, 403, 'a banned player cannot log in');
    await adminShot(page, 'players');
    await page.getByTestId('unban-reason').fill('appeal accepted');
    await page.getByTestId('unban').click();
    await page.getByTestId('pf-status').filter({ hasText: 'active' }).waitFor();

    // Announcements reach the game client; the banner shows there.
    await page.getByTestId('tab-notices').click();
    await page.getByTestId('announce-text').fill('Double coins this weekend!');
    await page.getByTestId('announce').click();
    await game.getByTestId('toast').filter({ hasText: 'Double coins this weekend!' }).waitFor();
    const inOneHour = (h) => {
      const d = new Date(Date.now() + h * 3600_000);
      d.setSeconds(0, 0);
      const p = (n) => String(n).padStart(2, '0');
      return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
    };
    await page.getByTestId('maintenance-text').fill('Server upgrade, about 10 minutes');
    await page.getByTestId('maintenance-starts').fill(inOneHour(1));
    await page.getByTestId('maintenance-ends').fill(inOneHour(2));
    await page.getByTestId('maintenance-set').click();
    await page.getByTestId('maintenance-current').filter({ hasText: 'Server upgrade' }).waitFor();
    await game.getByTestId('maintenance-banner').filter({ hasText: 'Server upgrade, about 10 minutes' }).waitFor();
    await adminShot(page, 'announcements');
    await adminShot(game, 'game-client-banner');
    // A client that opens later reads the banner from GET /v1/maintenance.
    await game.reload();
    await game.getByTestId('maintenance-banner').filter({ hasText: 'Server upgrade' }).waitFor();
    await page.getByTestId('maintenance-clear').click();
    await page.getByTestId('maintenance-current').filter({ hasText: 'none' }).waitFor();
    await game.getByTestId('maintenance-banner').waitFor({ state: 'hidden' });

    // Live tables: the guest's table, cancelled.
    await page.getByTestId('tab-tables').click();
    await page.getByTestId('table-row').first().waitFor();
    assert.match(await page.getByTestId('table-phase').first().textContent(), /bidding|playing/);
    await adminShot(page, 'tables');
    await page.getByTestId('table-cancel').first().click();
    await page.getByTestId('no-tables').waitFor();
    await game.getByTestId('lobby-screen').waitFor({ state: 'visible' });

    // Nodes: this one, drained.
    await page.getByTestId('tab-nodes').click();
    await page.getByTestId('node-row').first().waitFor();
    assert.equal(await page.getByTestId('node-state').first().textContent(), 'serving');
    await page.getByTestId('node-drain').first().click();
    await page.getByTestId('node-state').filter({ hasText: 'draining' }).waitFor();
    await adminShot(page, 'nodes');

    // The audit log lists every action above, newest first.
    await page.getByTestId('tab-audit').click();
    await page.getByTestId('audit-row').first().waitFor();
    const actions = await page.getByTestId('audit-row').evaluateAll((rows) => rows.map((r) => r.children[2].textContent));
    assert.deepEqual(actions, ['node.drain', 'table.cancel', 'maintenance.clear', 'maintenance.set', 'announce',
      'player.unban', 'player.ban', 'player.coins']);
    assert.match(await page.getByTestId('audit-row').nth(6).textContent(), /boss.*collusion.*"banned":false.*"banned":true/);
    await adminShot(page, 'audit');
  });
});

test('a viewer sees the console but cannot ban', { timeout: 120_000 }, async () => {
  await withPages('viewer', async (page) => {
    await signIn(page, 'watcher');
    assert.match(await page.getByTestId('who').textContent(), /watcher \(viewer\)/);
    await page.getByTestId('tab-players').click();
    await page.getByTestId('player-search').fill('cheater');
    await page.getByTestId('player-search-submit').click();
    await page.getByTestId('profile').waitFor({ state: 'visible' });
    assert.equal(await page.getByTestId('ban').isDisabled(), true, 'the ban button is disabled for a viewer');
    assert.equal(await page.getByTestId('coins').isDisabled(), true);
    assert.equal(await page.getByTestId('kick').isDisabled(), true);
    await adminShot(page, 'viewer-players');
    // The server refuses the viewer's ban whatever the page does (asked
    // from Node with the page's token: a 403 in the page logs a console error).
    const token = await page.evaluate(() => sessionStorage.getItem('lordgame-admin-token'));
    const id = await page.getByTestId('pf-id').textContent();
    const r = await fetch(`${server.base}/v1/admin/players/${id}/ban`, {
      method: 'POST', headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' },
      body: JSON.stringify({ reason: 'viewer tries', duration: '1h' }),
    });
    const status = [r.status, (await r.json()).message];
    assert.deepEqual(status, [403, 'operator role required']);
    assert.match(await page.getByTestId('pf-status').textContent(), /active/);
    await page.getByTestId('tab-audit').click();
    await page.getByTestId('audit-row').first().waitFor();
    await page.getByTestId('tab-nodes').click();
    assert.equal(await page.getByTestId('node-drain').first().isDisabled(), true);
  });
});
