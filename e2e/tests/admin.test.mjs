// End-to-end tests of the admin console (/admin/) against the real server,
// in Debian's Chromium: one test per screen (dashboard, players with kick,
// ban, coins and the games list, live tables, announcements and the
// maintenance banner, the audit log, nodes), each with its own accounts and
// game pages, and the roles: a viewer sees everything but cannot ban (the
// button is disabled and the API refuses), an operator cannot adjust coins
// or drain. What the console shows is compared with what the admin API
// answers. Nodes is last: a drained node stays draining until it restarts.
// Screenshots go to e2e/artifacts/admin/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, launchBrowser, openPage, shot, ARTIFACTS } from '../lib/harness.mjs';
import { loginAsGuest, startPractice } from '../lib/play.mjs';

// Every test makes its own accounts and guests, more than the 30 new
// accounts an address may make per window by default.
process.env.LORDGAME_AUTH_SIGNUPS_PER_IP ||= '1000';

let server;
let browser;
const PASSWORD = 'correct horse battery';

// register creates an account and returns the token-issuing answer
// ({user_id, access_token, …}).
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

// staff registers username with a console role: {id, token, name}. The
// server reads roles from the database on every request, so the access
// token of the registration is good for the admin API after the grant.
async function staff(username, role) {
  const acc = await register(username);
  grant(username, role);
  return { id: acc.user_id, token: acc.access_token, name: username };
}

async function signIn(page, username) {
  await page.goto(server.base + '/admin/');
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('screen-dashboard').waitFor({ state: 'visible' });
}

// login logs a registered player in on the game page (the lobby shows).
async function login(page, username) {
  await page.goto(server.base + '/');
  await page.getByTestId('auth-username').fill(username);
  await page.getByTestId('auth-password').fill(PASSWORD);
  await page.getByTestId('auth-submit').click();
  await page.getByTestId('lobby-screen').waitFor({ state: 'visible' });
}

async function postLogin(username) {
  return fetch(server.base + '/v1/auth/login', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password: PASSWORD }),
  });
}

// api calls the admin API with who's token: {status, body}.
async function api(who, method, p, body) {
  const opts = { method, headers: { Authorization: 'Bearer ' + who.token } };
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  const r = await fetch(server.base + p, opts);
  return { status: r.status, body: await r.json().catch(() => null) };
}

async function get(who, p) {
  const r = await api(who, 'GET', p);
  assert.equal(r.status, 200, `GET ${p}: ${JSON.stringify(r.body)}`);
  return r.body;
}

// audit is the audit log of target, newest first.
const audit = (who, target) => get(who, '/v1/admin/audit?limit=500' + (target ? '&target=' + encodeURIComponent(target) : '')).then((b) => b.entries);

// eventually retries fn (which throws while its condition does not hold)
// until it passes or timeout ms are over.
async function eventually(fn, timeout = 15_000) {
  const end = Date.now() + timeout;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

// cells lists the text of each cell of the rows under the element testid.
const cells = (page, testid, row = 'tr') =>
  page.getByTestId(testid).locator(row).evaluateAll((rows) => rows.map((r) => [...r.children].map((c) => c.textContent)));

// when is how the console writes a time: the browser's toLocaleString.
const when = (page, t) => page.evaluate((v) => (v ? new Date(v).toLocaleString() : ''), t);

const json = (v) => (v === null || v === undefined ? '' : JSON.stringify(v));

const isProfile = (r) => /^\/v1\/admin\/players\/\d+$/.test(new URL(r.url()).pathname);

// profileShown waits until the page shows the profile answer resp (a
// promise of a GET /v1/admin/players/{id} response) and returns it.
async function profileShown(page, resp) {
  const body = await (await resp).json();
  await page.waitForFunction((b) => {
    const text = (id) => document.querySelector(`[data-testid=${id}]`).textContent;
    return text('pf-id') === b.player.user_id && text('pf-balance') === String(b.balance) && text('pf-online') === (b.online ? 'yes' : 'no');
  }, body);
  return body;
}

// openProfile opens the profile of the only player whose name starts with
// q and returns what GET /v1/admin/players/{id} answered the page.
async function openProfile(page, q) {
  await page.getByTestId('tab-players').click();
  await page.getByTestId('player-search').fill(q);
  const resp = page.waitForResponse(isProfile);
  await page.getByTestId('player-search-submit').click();
  const body = await profileShown(page, resp);
  assert.equal(await page.getByTestId('pf-name').textContent(), `${body.player.display_name} (${q})`);
  return body;
}

// coinsShown is the lobby's balance (digits only: it is grouped).
const coinsShown = (page) => page.getByTestId('lobby-coins').textContent().then((t) => t.replace(/\D/g, ''));

// tableOf waits for the running table where a player named name sits.
async function tableOf(who, name) {
  return eventually(async () => {
    const t = (await get(who, '/v1/admin/tables')).tables.find((x) => x.names.includes(name));
    assert.ok(t, `${name} sits at a table`);
    return t;
  });
}

// lobbyName is the name the lobby shows once the account is loaded (with
// the coins; before, a placeholder).
async function lobbyName(page) {
  await page.getByTestId('lobby-coins').filter({ hasText: /\d/ }).waitFor();
  return page.getByTestId('lobby-name').textContent();
}

// adminShot saves artifacts/admin/<name>.png.
const adminShot = (page, name) => shot(page, `admin/${name}`);

// forgive drops the console errors of page matching re, which the test
// caused on purpose (a refused request logs "Failed to load resource"),
// after checking there are at most max of them.
const pageErrors = new WeakMap();
function forgive(page, re, max = 1) {
  const errors = pageErrors.get(page);
  const hits = errors.filter((e) => re.test(e));
  assert.ok(hits.length <= max, `at most ${max} console errors like ${re}: ${hits.join('; ')}`);
  errors.splice(0, errors.length, ...errors.filter((e) => !hits.includes(e)));
}

before(async () => {
  server = await startServer();
  fs.rmSync(path.join(ARTIFACTS, 'admin'), { recursive: true, force: true });
  fs.mkdirSync(path.join(ARTIFACTS, 'admin'), { recursive: true });
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

// withPages runs fn with the admin console's page and `games` game pages,
// each in its own browser context, and fails on a console error of any.
async function withPages(name, fn, games = 1) {
  const admin = await openPage(browser);
  const clients = [];
  for (let i = 0; i < games; i++) clients.push(await openPage(browser));
  for (const p of [admin, ...clients]) pageErrors.set(p.page, p.errors);
  try {
    await fn(admin.page, ...clients.map((c) => c.page));
    assert.deepEqual(admin.errors, [], 'console errors on the admin page');
    clients.forEach((c, i) => assert.deepEqual(c.errors, [], `console errors on game page ${i + 1}`));
  } catch (err) {
    await adminShot(admin.page, `failure-${name}`).catch(() => {});
    for (const [i, c] of clients.entries()) await adminShot(c.page, `failure-${name}-game${i + 1}`).catch(() => {});
    throw err;
  } finally {
    await admin.context.close();
    for (const c of clients) await c.context.close();
  }
}

// dashboardView reloads the dashboard (a click on its tab) and returns the
// answer of GET /v1/admin/dashboard the page rendered and what it shows.
// The next automatic refresh is 5 s away, so the two belong together. The
// per-node rows are emptied first: the page fills every number in one go
// when the answer is in, the rows among them.
async function dashboardView(page) {
  await page.evaluate(() => { document.querySelector('[data-testid=d-nodes]').innerHTML = ''; });
  const resp = page.waitForResponse((r) => new URL(r.url()).pathname === '/v1/admin/dashboard');
  await page.getByTestId('tab-dashboard').click();
  const body = await (await resp).json();
  await page.getByTestId('d-nodes').locator('tr').first().waitFor();
  const shown = await page.evaluate(() => {
    const text = (id) => document.querySelector(`[data-testid=${id}]`).textContent;
    return {
      online: text('d-online'), tables: text('d-tables'), queued: text('d-queued'), house: text('d-house'), errors: text('d-errors'),
      nodes: [...document.querySelectorAll('[data-testid=d-nodes] tr')].map((r) => [...r.children].map((c) => c.textContent)),
      queues: [...document.querySelectorAll('[data-testid=d-queues] li')].map((l) => l.textContent),
    };
  });
  return { body, shown };
}

// assertShows checks that the dashboard shows exactly the numbers of body.
function assertShows({ body, shown }) {
  assert.equal(shown.online, String(body.online), 'online');
  assert.equal(shown.tables, String(body.tables), 'tables');
  assert.equal(shown.queued, String(Object.values(body.queues).reduce((a, b) => a + b, 0)), 'queued');
  assert.equal(shown.house, body.house_balance === null ? 'unavailable' : String(body.house_balance), 'house balance');
  assert.equal(shown.errors, body.nodes.reduce((a, n) => a + (n.errors_per_min || 0), 0).toFixed(1), 'errors per minute');
  assert.deepEqual(shown.nodes, body.nodes.map((n) => [n.id, n.roles.join(', '), String(n.sessions), String(n.tables), String(n.cpu),
    n.reachable ? n.errors_per_min.toFixed(1) : '?', n.draining ? 'draining' : 'serving']), 'per node');
  const queues = Object.entries(body.queues).map(([m, n]) => `${m}: ${n} waiting`);
  assert.deepEqual(shown.queues, queues.length ? queues : ['no matchmaker reachable'], 'queues');
}

test('dashboard: online per node, tables, queues, house balance and error rates are the API\'s', { timeout: 120_000 }, async () => {
  const boss = await staff('dash_boss', 'admin');
  await withPages('dashboard', async (page, seated, queued) => {
    const start = await get(boss, '/v1/admin/dashboard');
    await signIn(page, boss.name);
    assert.match(await page.getByTestId('who').textContent(), /dash_boss \(admin\)/);
    // A first sample of the error counters, then two guests connect (each
    // lobby asks ddz.state and is told it sits at no table: an error
    // response) and one sits at a practice table, the other queues.
    await dashboardView(page);
    await loginAsGuest(seated, server.base);
    await startPractice(seated);
    await loginAsGuest(queued, server.base);
    await queued.getByTestId('mode-classic').click();
    await queued.getByTestId('queue-status').waitFor({ state: 'visible' });

    // The nodes' heartbeats carry sessions and tables about once a second.
    const view = await eventually(async () => {
      const v = await dashboardView(page);
      assert.equal(v.body.online, start.online + 2, 'two more players online');
      assert.equal(v.body.tables, start.tables + 1, 'one more table');
      assert.equal(v.body.queues.classic, 1, 'one classic ticket');
      assertShows(v);
      return v;
    }, 8_000);
    const { body } = view;
    assert.equal(body.nodes.length, 1, 'an all-in-one server is one node');
    const [node] = body.nodes;
    assert.equal(node.reachable, true);
    assert.equal(node.sessions, body.online, 'online is the sum of the nodes\' sessions');
    assert.equal(node.tables, body.tables);
    assert.deepEqual([...node.roles].sort(), ['game', 'gateway', 'match']);
    assert.ok(node.errors_per_min > 0, `the lobbies' refused ddz.state count as errors: ${JSON.stringify(node.errors)}`);
    assert.ok(Object.values(node.errors).some((v) => v > 0), 'error counters by code');
    // The other admin APIs agree.
    const house = await get(boss, '/v1/admin/house');
    assert.equal(body.house_balance, house.balance, 'house balance is GET /v1/admin/house');
    const tables = await get(boss, '/v1/admin/tables');
    assert.equal(tables.tables.length, body.tables, 'tables is GET /v1/admin/tables');
    assert.ok(tables.tables.some((t) => t.mode === 'practice'), 'the guest\'s practice table');
    const nodes = await get(boss, '/v1/admin/nodes');
    assert.deepEqual(nodes.nodes.map((n) => [n.id, n.roles, n.draining]), body.nodes.map((n) => [n.id, n.roles, n.draining]));
    assert.equal(nodes.self, node.id);
    await adminShot(page, 'dashboard');

    // The queued guest gives up: the queue empties, the practice table stays.
    await queued.getByTestId('queue-cancel').click();
    await queued.getByTestId('queue-status').waitFor({ state: 'hidden' });
    const later = await eventually(async () => {
      const v = await dashboardView(page);
      assert.equal(v.body.queues.classic, 0);
      assertShows(v);
      return v;
    }, 8_000);
    assert.equal(later.shown.queued, '0');
    assert.equal(later.body.tables, start.tables + 1);
  }, 2);
});

test('players: search, pick a result, profile, wallet, ledger and the games list', { timeout: 120_000 }, async () => {
  const boss = await staff('pl_boss', 'admin');
  const alice = await register('pl_alice');
  const alicia = await register('pl_alicia');
  await withPages('players', async (page, game) => {
    // pl_alicia plays a practice hand: a running game in her list.
    await login(game, 'pl_alicia');
    await startPractice(game);
    await signIn(page, boss.name);
    await page.getByTestId('tab-players').click();
    await page.getByTestId('player-search').fill('pl_ali');
    await page.getByTestId('player-search-submit').click();
    await page.getByTestId('player-row').nth(1).waitFor();
    const found = (await get(boss, '/v1/admin/players?q=pl_ali')).players;
    assert.deepEqual(found.map((p) => p.username), ['pl_alice', 'pl_alicia']);
    assert.deepEqual(await cells(page, 'player-results'),
      found.map((p) => [p.user_id, p.username, p.display_name, p.roles.join(', '), 'active']));
    assert.equal(await page.getByTestId('profile').isHidden(), true, 'two results: no profile opened yet');

    // A click on pl_alicia's row opens her profile.
    let resp = page.waitForResponse(isProfile);
    await page.locator(`[data-testid=player-row][data-id="${alicia.user_id}"]`).click();
    await profileShown(page, resp);
    const p = await get(boss, `/v1/admin/players/${alicia.user_id}`);
    assert.equal(await page.getByTestId('pf-name').textContent(), 'pl_alicia (pl_alicia)');
    assert.equal(await page.getByTestId('pf-balance').textContent(), String(p.balance));
    assert.equal(p.balance, 1000, 'a new account\'s coins');
    assert.equal(p.online, true);
    assert.equal(await page.getByTestId('pf-online').textContent(), 'yes');
    assert.equal(await page.getByTestId('pf-status').textContent(), 'active');
    assert.equal(await page.getByTestId('pf-stats').textContent(), `${p.stats.rating} / ${p.stats.games} / ${p.stats.wins}`);
    // The wallet: the ledger, newest first, adds up to the balance.
    const ledger = await cells(page, 'pf-ledger');
    assert.ok(ledger.length >= 1, 'the opening credit');
    assert.deepEqual(ledger, await Promise.all(p.ledger.map(async (e) =>
      [await when(page, e.at), `${e.delta > 0 ? '+' : ''}${e.delta}`, String(e.balance_after), e.reason])));
    assert.equal(p.ledger.reduce((a, e) => a + e.delta, 0), p.balance, 'the balance is the sum of the ledger');
    // The games: the practice table she sits at, running.
    const mine = await tableOf(boss, 'pl_alicia');
    const games = await cells(page, 'pf-games');
    assert.equal(games.length, 1, 'one game');
    assert.deepEqual(games[0].slice(0, 4), [String(mine.game_id), 'practice', String(p.games[0].seat), 'running']);
    assert.equal(p.games[0].id, String(mine.game_id));
    assert.equal(games[0][4], await when(page, p.games[0].created_at));
    await adminShot(page, 'players');

    // The other result: offline, no games.
    resp = page.waitForResponse(isProfile);
    await page.locator(`[data-testid=player-row][data-id="${alice.user_id}"]`).click();
    await profileShown(page, resp);
    assert.equal(await page.getByTestId('pf-online').textContent(), 'no');
    assert.deepEqual(await cells(page, 'pf-games'), [['no games']]);
    // A search by user id finds exactly that player and opens the profile.
    await page.getByTestId('player-search').fill(alicia.user_id);
    resp = page.waitForResponse(isProfile);
    await page.getByTestId('player-search-submit').click();
    await profileShown(page, resp);
    assert.equal(await page.getByTestId('pf-id').textContent(), alicia.user_id);
    assert.equal(await page.getByTestId('player-row').count(), 1);
  });
});

test('players: kick disconnects the player\'s game page and is audited', { timeout: 120_000 }, async () => {
  const boss = await staff('kick_boss', 'admin');
  const target = await register('kick_me');
  await withPages('kick', async (page, game) => {
    await login(game, 'kick_me');
    await startPractice(game);
    await signIn(page, boss.name);
    await openProfile(page, 'kick_me');
    assert.equal(await page.getByTestId('pf-online').textContent(), 'yes');
    await page.getByTestId('kick-reason').fill('flooding the table chat');
    await page.getByTestId('kick').click();
    await page.getByTestId('message').filter({ hasText: 'player disconnected' }).waitFor();
    // The game page is told and stays disconnected: a kick is not retried.
    await game.getByTestId('conn-banner').filter({ hasText: 'You were disconnected by the server.' }).waitFor();
    assert.equal(await game.locator('#conn-banner .spinner').isVisible(), false, 'no reconnecting spinner after a kick');
    await game.waitForFunction(() => document.body.dataset.conn === 'closed');
    await game.waitForTimeout(2_000);
    assert.equal(await game.evaluate(() => document.body.dataset.conn), 'closed', 'no reconnect after a kick');
    // The console shows the profile again: offline, without a new search.
    await page.getByTestId('pf-online').filter({ hasText: /^no$/ }).waitFor({ timeout: 5_000 });
    await adminShot(game, 'game-client-kicked');
    const entries = await audit(boss, `player:${target.user_id}`);
    assert.equal(entries.length, 1);
    assert.deepEqual([entries[0].actor, entries[0].action, entries[0].reason, entries[0].before, entries[0].after],
      ['kick_boss', 'player.kick', 'flooding the table chat', { online: true }, { kicked: true }]);
    // Nothing is left to kick.
    await eventually(async () => assert.equal((await get(boss, `/v1/admin/players/${target.user_id}`)).online, false));
    await page.getByTestId('kick-reason').fill('once more');
    await page.getByTestId('kick').click();
    await page.getByTestId('message').filter({ hasText: 'player was not connected' }).waitFor();
    const again = await audit(boss, `player:${target.user_id}`);
    assert.deepEqual([again.length, again[0].before, again[0].after], [2, { online: false }, { kicked: false }]);
    await openProfile(page, 'kick_me');
    assert.equal(await page.getByTestId('pf-online').textContent(), 'no');
    await adminShot(page, 'players-kick');
    // A kick is not a ban: the player logs in again.
    assert.equal((await postLogin('kick_me')).status, 200);
  });
});

test('players: a ban with a reason and a duration refuses the login, unban lifts it', { timeout: 120_000 }, async () => {
  const boss = await staff('ban_boss', 'admin');
  const target = await register('ban_me');
  await withPages('ban', async (page, game) => {
    await login(game, 'ban_me');
    await signIn(page, boss.name);
    await openProfile(page, 'ban_me');
    assert.equal(await page.getByTestId('pf-status').textContent(), 'active');
    const t0 = Date.now();
    await page.getByTestId('ban-reason').fill('collusion');
    await page.getByTestId('ban-duration').selectOption('24h');
    await page.getByTestId('ban').click();
    await page.getByTestId('pf-status').filter({ hasText: /^banned until / }).waitFor();
    const { player } = await get(boss, `/v1/admin/players/${target.user_id}`);
    assert.equal(player.banned, true);
    assert.equal(player.ban_reason, 'collusion');
    const until = Date.parse(player.banned_until);
    assert.ok(until >= t0 + 24 * 3600_000 - 2000 && until <= Date.now() + 24 * 3600_000 + 1000, `banned for a day: ${player.banned_until}`);
    assert.equal(await page.getByTestId('pf-status').textContent(), `banned until ${await when(page, player.banned_until)}: collusion`);
    // The search results say so too.
    await page.locator(`[data-testid=player-row][data-id="${target.user_id}"]`).filter({ hasText: 'banned until' }).waitFor({ timeout: 5_000 });
    // The player's open game page is disconnected, and the login refused.
    await game.getByTestId('conn-banner').filter({ hasText: 'This account is banned.' }).waitFor();
    const refused = await postLogin('ban_me');
    assert.equal(refused.status, 403, 'a banned player cannot log in');
    assert.equal((await refused.json()).code, 'forbidden');
    await adminShot(page, 'players-banned');
    // Nobody bans themselves.
    const self = await api(boss, 'POST', `/v1/admin/players/${boss.id}/ban`, { reason: 'oops', duration: '1h' });
    assert.deepEqual([self.status, self.body.message], [409, 'user_id: you cannot ban yourself']);

    await page.getByTestId('unban-reason').fill('appeal accepted');
    await page.getByTestId('unban').click();
    await page.getByTestId('pf-status').filter({ hasText: /^active$/ }).waitFor();
    assert.equal((await get(boss, `/v1/admin/players/${target.user_id}`)).player.banned, false);
    assert.equal((await postLogin('ban_me')).status, 200, 'unbanned: the login works again');

    const [unban, ban] = await audit(boss, `player:${target.user_id}`);
    assert.deepEqual([ban.actor, ban.action, ban.reason, ban.before, ban.after],
      ['ban_boss', 'player.ban', 'collusion', { banned: false, ban_reason: '', banned_until: '' },
        { banned: true, ban_reason: 'collusion', banned_until: player.banned_until }]);
    assert.deepEqual([unban.actor, unban.action, unban.reason, unban.before, unban.after],
      ['ban_boss', 'player.unban', 'appeal accepted', ban.after, { banned: false, ban_reason: '', banned_until: '' }]);
  });
});

test('players: coins are adjusted through a ledger entry with a reason', { timeout: 120_000 }, async () => {
  const boss = await staff('coin_boss', 'admin');
  const target = await register('coin_me');
  await withPages('coins', async (page) => {
    await signIn(page, boss.name);
    await openProfile(page, 'coin_me');
    const start = (await get(boss, `/v1/admin/players/${target.user_id}`)).balance;
    assert.equal(await page.getByTestId('pf-balance').textContent(), String(start));
    const ledgerRows = await page.getByTestId('pf-ledger').locator('tr').count();

    const adjust = async (delta, reason) => {
      await page.getByTestId('coins-delta').fill(String(delta));
      await page.getByTestId('coins-reason').fill(reason);
      await page.getByTestId('coins').click();
    };
    await adjust(25, 'compensation for a lost hand');
    await page.getByTestId('message').filter({ hasText: `balance is now ${start + 25}` }).waitFor();
    await page.getByTestId('pf-balance').filter({ hasText: String(start + 25) }).waitFor();
    await adjust(-10, 'refund of a double credit');
    await page.getByTestId('pf-balance').filter({ hasText: String(start + 15) }).waitFor();
    const p = await get(boss, `/v1/admin/players/${target.user_id}`);
    assert.equal(p.balance, start + 15);
    assert.deepEqual((await cells(page, 'pf-ledger')).slice(0, 2).map((r) => r.slice(1)), [
      ['-10', String(start + 15), 'admin: refund of a double credit'],
      ['+25', String(start + 25), 'admin: compensation for a lost hand'],
    ]);
    assert.equal(await page.getByTestId('pf-ledger').locator('tr').count(), ledgerRows + 2);
    assert.deepEqual(p.ledger.slice(0, 2).map((e) => [e.delta, e.balance_after, e.reason]),
      [[-10, start + 15, 'admin: refund of a double credit'], [25, start + 25, 'admin: compensation for a lost hand']]);
    assert.equal(p.ledger.reduce((a, e) => a + e.delta, 0), p.balance, 'the balance is the sum of the ledger');
    // The player's own wallet says the same.
    const account = await api({ token: target.access_token }, 'GET', '/v1/account');
    assert.deepEqual([account.status, account.body.balance], [200, start + 15], 'GET /v1/account');

    // A debit below zero is refused, and nothing changes.
    await adjust(-(start + 1000), 'too much');
    await page.getByTestId('message').filter({ hasText: `delta: the balance is ${start + 15}: a debit cannot take it below zero` }).waitFor();
    forgive(page, /status of 409/);
    assert.equal((await get(boss, `/v1/admin/players/${target.user_id}`)).balance, start + 15);
    assert.equal(await page.getByTestId('pf-ledger').locator('tr').count(), ledgerRows + 2);
    await adminShot(page, 'players-coins');

    const [debit, credit] = await audit(boss, `player:${target.user_id}`);
    assert.deepEqual([credit.actor, credit.action, credit.reason, credit.before, credit.after],
      ['coin_boss', 'player.coins', 'compensation for a lost hand', { balance: start }, { balance: start + 25, delta: 25, ledger_id: p.ledger[1].id }]);
    assert.deepEqual([debit.action, debit.before, debit.after],
      ['player.coins', { balance: start + 25 }, { balance: start + 15, delta: -10, ledger_id: p.ledger[0].id }]);
  });
});

test('live tables: every running table\'s state, cancel with refund', { timeout: 180_000 }, async () => {
  const boss = await staff('tab_boss', 'admin');
  const player = await register('tab_me');
  await withPages('tables', async (page, practice, classic) => {
    // A guest at a practice table, and tab_me at a classic table (stakes)
    // that bots fill after their wait.
    await loginAsGuest(practice, server.base);
    const guest = await lobbyName(practice);
    await startPractice(practice);
    await login(classic, 'tab_me');
    const coins = (await get(boss, `/v1/admin/players/${player.user_id}`)).balance;
    await eventually(async () => assert.equal(await coinsShown(classic), String(coins)));
    await classic.getByTestId('mode-classic').click();
    await classic.getByTestId('table-screen').waitFor({ state: 'visible', timeout: 60_000 });
    const mine = await tableOf(boss, 'tab_me');
    const theirs = await tableOf(boss, guest);

    // The screen lists every running table as the API does (tables of
    // earlier tests' players play on with bots).
    await signIn(page, boss.name);
    const row = (t) => [t.id, t.node, t.mode, `${t.phase}${t.paused ? ' (paused)' : ''}`, t.names.join(', '), 'Cancel and refund'];
    const listed = async () => {
      const resp = page.waitForResponse((r) => new URL(r.url()).pathname === '/v1/admin/tables');
      await page.getByTestId('tables-refresh').click();
      const { tables } = await (await resp).json();
      await eventually(async () => assert.deepEqual(await cells(page, 'table-rows'), tables.map(row)), 5_000);
      return tables;
    };
    await page.getByTestId('tab-tables').click();
    await page.getByTestId('table-row').first().waitFor();
    const tables = await listed();
    assert.deepEqual([mine.mode, theirs.mode], ['classic', 'practice']);
    assert.ok(mine.names.includes('tab_me'), 'tab_me sits at the classic table');
    for (const t of [mine, theirs]) {
      assert.ok(tables.some((x) => x.id === t.id), `table ${t.id} is listed`);
      assert.match(t.phase, /^(bidding|playing)$/);
    }
    await adminShot(page, 'tables');

    // Cancel the classic table: tab_me is back in the lobby with the coins
    // of before, the practice table plays on.
    await page.getByTestId('table-row').filter({ hasText: 'tab_me' }).getByTestId('table-cancel').click();
    await page.getByTestId('message').filter({ hasText: 'table cancelled, stakes refunded' }).waitFor();
    await page.getByTestId('table-row').filter({ hasText: 'tab_me' }).waitFor({ state: 'detached' });
    const left = await listed();
    assert.ok(!left.some((t) => t.id === mine.id), 'the cancelled table is gone');
    assert.ok(left.some((t) => t.id === theirs.id), 'the practice table is still listed');
    await classic.getByTestId('lobby-screen').waitFor({ state: 'visible' });
    await eventually(async () => assert.equal(await coinsShown(classic), String(coins)));
    assert.equal(await practice.getByTestId('table-screen').isVisible(), true, 'the practice table plays on');
    const p = await get(boss, `/v1/admin/players/${player.user_id}`);
    assert.equal(p.balance, coins, 'the stake is back');
    assert.deepEqual([p.games[0].id, p.games[0].state], [String(mine.game_id), 'cancelled']);
    const [entry] = await audit(boss, `table:${mine.id}`);
    assert.deepEqual([entry.actor, entry.action, entry.reason], ['tab_boss', 'table.cancel', 'cancelled from the admin console']);
    assert.equal(entry.before.table.id, mine.id);
    assert.equal(entry.before.balances[player.user_id], coins);
    assert.deepEqual(entry.after, { state: 'cancelled', balances: entry.before.balances });
    // The profile's games list says so too.
    await openProfile(page, 'tab_me');
    assert.deepEqual((await cells(page, 'pf-games'))[0].slice(0, 4), [String(mine.game_id), 'classic', String(p.games[0].seat), 'cancelled']);
    assert.equal(await page.getByTestId('pf-balance').textContent(), String(coins));
  }, 2);
});

test('announcements reach every game page online', { timeout: 120_000 }, async () => {
  const boss = await staff('ann_boss', 'admin');
  await withPages('announce', async (page, lobby, seated) => {
    await loginAsGuest(lobby, server.base);
    await loginAsGuest(seated, server.base);
    await startPractice(seated);
    await signIn(page, boss.name);
    await page.getByTestId('tab-notices').click();
    await page.getByTestId('announce-text').fill('Double coins this weekend!');
    await page.getByTestId('announce').click();
    await page.getByTestId('message').filter({ hasText: 'announcement sent' }).waitFor();
    await lobby.getByTestId('toast').filter({ hasText: 'Double coins this weekend!' }).waitFor();
    await seated.getByTestId('toast').filter({ hasText: 'Double coins this weekend!' }).waitFor();
    await adminShot(seated, 'game-client-announcement');
    assert.equal(await page.getByTestId('announce-text').inputValue(), '', 'the form is cleared');
    const [entry] = await audit(boss, 'everyone');
    assert.deepEqual([entry.actor, entry.action, entry.target, entry.before, entry.after],
      ['ann_boss', 'announce', 'everyone', null, { text: 'Double coins this weekend!' }]);
  }, 2);
});

// inHours is the datetime-local value h hours from now (whole minutes).
const inHours = (h) => {
  const d = new Date(Date.now() + h * 3600_000);
  d.setSeconds(0, 0);
  const p = (n) => String(n).padStart(2, '0');
  return { value: `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`, iso: d.toISOString() };
};

test('maintenance banner: scheduled, shown on game pages and after a reload, cleared', { timeout: 120_000 }, async () => {
  const boss = await staff('mnt_boss', 'admin');
  await withPages('maintenance', async (page, game) => {
    await loginAsGuest(game, server.base);
    await signIn(page, boss.name);
    await page.getByTestId('tab-notices').click();
    await page.getByTestId('maintenance-current').filter({ hasText: 'none' }).waitFor();
    const starts = inHours(1);
    const ends = inHours(2);
    await page.getByTestId('maintenance-text').fill('Server upgrade, about 10 minutes');
    await page.getByTestId('maintenance-starts').fill(starts.value);
    await page.getByTestId('maintenance-ends').fill(ends.value);
    await page.getByTestId('maintenance-set').click();
    await page.getByTestId('maintenance-current').filter({ hasText: 'Server upgrade' }).waitFor();
    const { maintenance: m } = await get(boss, '/v1/admin/maintenance');
    assert.deepEqual([m.text, Date.parse(m.starts_at), Date.parse(m.ends_at), m.set_by],
      ['Server upgrade, about 10 minutes', Date.parse(starts.iso), Date.parse(ends.iso), 'mnt_boss']);
    assert.equal(await page.getByTestId('maintenance-current').textContent(),
      `${m.text} (${await when(page, m.starts_at)} – ${await when(page, m.ends_at)}, set by mnt_boss)`);
    // The connected game page shows it at once (admin.notice)…
    const banner = game.getByTestId('maintenance-banner');
    await banner.filter({ hasText: 'Server upgrade, about 10 minutes' }).waitFor();
    await adminShot(page, 'announcements');
    await adminShot(game, 'game-client-banner');
    // …and a page that opens later reads it from GET /v1/maintenance.
    const pub = await (await fetch(server.base + '/v1/maintenance')).json();
    assert.deepEqual(pub.maintenance, { text: m.text, starts_at: m.starts_at, ends_at: m.ends_at });
    await game.reload();
    await game.getByTestId('lobby-screen').waitFor({ state: 'visible' });
    await banner.filter({ hasText: 'Server upgrade, about 10 minutes' }).waitFor();

    await page.getByTestId('maintenance-clear').click();
    await page.getByTestId('maintenance-current').filter({ hasText: /^none$/ }).waitFor();
    await banner.waitFor({ state: 'hidden' });
    assert.deepEqual(await (await fetch(server.base + '/v1/maintenance')).json(), { maintenance: null });
    assert.equal((await get(boss, '/v1/admin/maintenance')).maintenance, null);
    const [clear, set] = await audit(boss, 'maintenance');
    assert.deepEqual([set.actor, set.action, set.before, set.after], ['mnt_boss', 'maintenance.set', null, m]);
    assert.deepEqual([clear.actor, clear.action, clear.before, clear.after], ['mnt_boss', 'maintenance.clear', m, null]);
  });
});

// Every way to change something, as the console would call it; expect
// maps each to the status a role gets.
const writes = (target, table, node) => [
  ['kick', 'POST', `/v1/admin/players/${target}/kick`, { reason: 'try' }],
  ['ban', 'POST', `/v1/admin/players/${target}/ban`, { reason: 'try', duration: '1h' }],
  ['unban', 'POST', `/v1/admin/players/${target}/unban`, { reason: 'try' }],
  ['coins', 'POST', `/v1/admin/players/${target}/coins`, { delta: 500, reason: 'try' }],
  ['cancel', 'POST', `/v1/admin/tables/${table}/cancel`, { reason: 'try' }],
  ['announce', 'POST', '/v1/admin/announce', { text: 'try' }],
  ['maintenance', 'PUT', '/v1/admin/maintenance', { text: 'try', starts_at: new Date().toISOString(), ends_at: new Date(Date.now() + 3600_000).toISOString() }],
  ['maintenance.clear', 'DELETE', '/v1/admin/maintenance', undefined],
  ['drain', 'POST', `/v1/admin/nodes/${encodeURIComponent(node)}/drain`, { reason: 'try' }],
];

test('a viewer sees every screen but cannot ban, kick, adjust coins, cancel, announce or drain', { timeout: 120_000 }, async () => {
  const viewer = await staff('watcher', 'viewer');
  const boss = await staff('view_boss', 'admin');
  const target = await register('view_target');
  await withPages('viewer', async (page, game) => {
    await loginAsGuest(game, server.base);
    const guest = await lobbyName(game);
    await startPractice(game);
    const table = await tableOf(viewer, guest);
    await signIn(page, 'watcher');
    assert.match(await page.getByTestId('who').textContent(), /watcher \(viewer\)/);
    const me = await get(viewer, '/v1/admin/me');
    assert.deepEqual([me.role, me.permissions], ['viewer', ['view']]);
    // Every screen shows the server's data.
    await eventually(async () => assertShows(await dashboardView(page)));

    await openProfile(page, 'view_target');
    assert.equal(await page.getByTestId('pf-balance').textContent(), '1000');
    for (const id of ['ban', 'ban-reason', 'ban-duration', 'unban', 'kick', 'coins', 'coins-delta']) {
      assert.equal(await page.getByTestId(id).isDisabled(), true, `${id} is disabled for a viewer`);
    }
    await adminShot(page, 'viewer-players');

    await page.getByTestId('tab-tables').click();
    const row = page.getByTestId('table-row').filter({ hasText: guest });
    await row.waitFor();
    assert.equal(await row.getByTestId('table-cancel').isDisabled(), true);
    await page.getByTestId('tab-notices').click();
    for (const id of ['announce', 'announce-text', 'maintenance-set', 'maintenance-clear']) {
      assert.equal(await page.getByTestId(id).isDisabled(), true, `${id} is disabled for a viewer`);
    }
    await page.getByTestId('tab-nodes').click();
    await page.getByTestId('node-row').first().waitFor();
    assert.equal(await page.getByTestId('node-drain').first().isDisabled(), true);
    const logged = (await audit(viewer)).length;
    await page.getByTestId('tab-audit').click();
    await page.getByTestId('screen-audit').waitFor({ state: 'visible' });
    await eventually(async () => assert.equal(await page.getByTestId('audit-row').count(), Math.min(50, logged)));

    // The server refuses whatever the page does (asked from Node with the
    // page's own token: a 403 in the page would log a console error).
    const token = await page.evaluate(() => sessionStorage.getItem('lordgame-admin-token'));
    const asPage = { token };
    const { self } = await get(viewer, '/v1/admin/nodes');
    for (const [what, method, p, body] of writes(target.user_id, table.id, self)) {
      const r = await api(asPage, method, p, body);
      const least = ['coins', 'drain'].includes(what) ? 'admin' : 'operator';
      assert.deepEqual([what, r.status, r.body], [what, 403, { code: 'forbidden', message: `${least} role required` }]);
    }
    // …and nothing changed.
    const p = await get(boss, `/v1/admin/players/${target.user_id}`);
    assert.deepEqual([p.player.banned, p.balance], [false, 1000]);
    assert.ok((await get(boss, '/v1/admin/tables')).tables.some((t) => t.id === table.id), 'the table still runs');
    assert.equal((await get(boss, '/v1/admin/maintenance')).maintenance, null);
    assert.equal((await get(boss, '/v1/admin/nodes')).nodes[0].draining, false);
    assert.equal((await audit(boss)).filter((e) => e.actor === 'watcher').length, 0, 'the viewer did nothing');

    await page.getByTestId('logout').click();
    await page.getByTestId('login').waitFor({ state: 'visible' });
    assert.equal(await page.evaluate(() => sessionStorage.getItem('lordgame-admin-token')), null);
  });
});

test('an operator may kick, ban and unban but not adjust coins or drain', { timeout: 120_000 }, async () => {
  const op = await staff('op_smith', 'operator');
  const boss = await staff('op_boss', 'admin');
  const target = await register('op_target');
  await withPages('operator', async (page) => {
    await signIn(page, op.name);
    assert.match(await page.getByTestId('who').textContent(), /op_smith \(operator\)/);
    const me = await get(op, '/v1/admin/me');
    assert.deepEqual(me.permissions, ['announce', 'maintenance', 'player.ban', 'player.kick', 'table.cancel', 'view']);
    await openProfile(page, 'op_target');
    for (const id of ['kick', 'ban', 'unban']) assert.equal(await page.getByTestId(id).isEnabled(), true, `${id} is enabled for an operator`);
    for (const id of ['coins', 'coins-delta', 'coins-reason']) assert.equal(await page.getByTestId(id).isDisabled(), true, `${id} is disabled for an operator`);
    await page.getByTestId('tab-notices').click();
    for (const id of ['announce', 'maintenance-set', 'maintenance-clear']) assert.equal(await page.getByTestId(id).isEnabled(), true);
    await page.getByTestId('tab-nodes').click();
    await page.getByTestId('node-row').first().waitFor();
    assert.equal(await page.getByTestId('node-drain').first().isDisabled(), true);

    await openProfile(page, 'op_target');
    await page.getByTestId('ban-reason').fill('abusive names');
    await page.getByTestId('ban-duration').selectOption('1h');
    await page.getByTestId('ban').click();
    await page.getByTestId('pf-status').filter({ hasText: /^banned until .*: abusive names$/ }).waitFor();
    await adminShot(page, 'operator-players');
    await page.getByTestId('unban-reason').fill('name changed');
    await page.getByTestId('unban').click();
    await page.getByTestId('pf-status').filter({ hasText: /^active$/ }).waitFor();
    assert.deepEqual((await audit(boss, `player:${target.user_id}`)).map((e) => [e.actor, e.action]),
      [['op_smith', 'player.unban'], ['op_smith', 'player.ban']]);

    const { self } = await get(op, '/v1/admin/nodes');
    for (const [what, method, p, body] of writes(target.user_id, 1, self).filter(([w]) => ['coins', 'drain'].includes(w))) {
      const r = await api(op, method, p, body);
      assert.deepEqual([what, r.status, r.body], [what, 403, { code: 'forbidden', message: 'admin role required' }]);
    }
    assert.equal((await get(boss, `/v1/admin/players/${target.user_id}`)).balance, 1000);
    assert.equal((await get(boss, '/v1/admin/nodes')).nodes[0].draining, false);
  });
});

test('a player without a console role cannot sign in to the console', { timeout: 60_000 }, async () => {
  const joe = await register('plain_joe');
  await withPages('player', async (page) => {
    await page.goto(server.base + '/admin/');
    await page.getByTestId('login-username').fill('plain_joe');
    await page.getByTestId('login-password').fill(PASSWORD);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('message').filter({ hasText: 'viewer role required' }).waitFor();
    forgive(page, /status of 403/);
    assert.equal(await page.getByTestId('login').isVisible(), true);
    assert.equal(await page.getByTestId('screen-dashboard').isHidden(), true);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('lordgame-admin-token')), null);
    const r = await api({ token: joe.access_token }, 'GET', '/v1/admin/dashboard');
    assert.deepEqual([r.status, r.body], [403, { code: 'forbidden', message: 'viewer role required' }]);
  }, 0);
});

test('audit log: every action with who, what, when, the target, the reason, before and after', { timeout: 180_000 }, async () => {
  const boss = await staff('aud_boss', 'admin');
  const op = await staff('aud_op', 'operator');
  const target = await register('aud_target');
  await withPages('audit', async (page, targetPage, guest) => {
    await login(targetPage, 'aud_target');
    await loginAsGuest(guest, server.base);
    const guestName = await lobbyName(guest);
    await startPractice(guest);
    const table = await tableOf(boss, guestName);
    const t0 = Date.now();
    // Each action once, through the API the console calls.
    // Times with a millisecond part that does not end in 0: the server
    // writes RFC 3339 without trailing zeros (.55Z), JavaScript with three
    // digits (.550Z), and the entries are compared as text below.
    const msAt = (ahead) => { const t = Date.now() + ahead; return new Date(t - (t % 1000) + 123).toISOString(); };
    const m = { text: 'Audit window', starts_at: msAt(3600_000), ends_at: msAt(7200_000) };
    const actions = [
      [op, 'POST', `/v1/admin/players/${target.user_id}/kick`, { reason: 'kick for the log' }],
      [op, 'POST', `/v1/admin/players/${target.user_id}/ban`, { reason: 'ban for the log', duration: '1h' }],
      [op, 'POST', `/v1/admin/players/${target.user_id}/unban`, { reason: 'unban for the log' }],
      [boss, 'POST', `/v1/admin/players/${target.user_id}/coins`, { delta: 7, reason: 'coins for the log' }],
      [op, 'POST', `/v1/admin/tables/${table.id}/cancel`, { reason: 'cancel for the log' }],
      [op, 'POST', '/v1/admin/announce', { text: 'Announcement for the log' }],
      [boss, 'PUT', '/v1/admin/maintenance', m],
      [boss, 'DELETE', '/v1/admin/maintenance', undefined],
    ];
    for (const [who, method, p, body] of actions) {
      const r = await api(who, method, p, body);
      assert.equal(r.status, 200, `${method} ${p}: ${JSON.stringify(r.body)}`);
    }
    await guest.getByTestId('lobby-screen').waitFor({ state: 'visible' });

    await signIn(page, boss.name);
    await page.getByTestId('tab-audit').click();
    await page.getByTestId('audit-row').first().waitFor();
    const entries = (await audit(boss)).slice(0, actions.length);
    const player = `player:${target.user_id}`;
    assert.deepEqual(entries.map((e) => [e.actor, e.action, e.target, e.reason]).reverse(), [
      ['aud_op', 'player.kick', player, 'kick for the log'],
      ['aud_op', 'player.ban', player, 'ban for the log'],
      ['aud_op', 'player.unban', player, 'unban for the log'],
      ['aud_boss', 'player.coins', player, 'coins for the log'],
      ['aud_op', 'table.cancel', `table:${table.id}`, 'cancel for the log'],
      ['aud_op', 'announce', 'everyone', ''],
      ['aud_boss', 'maintenance.set', 'maintenance', ''],
      ['aud_boss', 'maintenance.clear', 'maintenance', ''],
    ]);
    for (const e of entries) {
      const at = Date.parse(e.at);
      assert.ok(at >= t0 - 1000 && at <= Date.now() + 1000, `${e.action} at ${e.at}`);
    }
    const [clear, set, announce, cancel, coins, unban, ban, kick] = entries;
    assert.deepEqual([kick.before, kick.after], [{ online: true }, { kicked: true }]);
    assert.deepEqual([ban.before.banned, ban.after.banned, ban.after.ban_reason], [false, true, 'ban for the log']);
    assert.deepEqual([unban.before, unban.after.banned], [ban.after, false]);
    assert.deepEqual([coins.before, coins.after.balance, coins.after.delta], [{ balance: 1000 }, 1007, 7]);
    assert.deepEqual([cancel.before.table.id, cancel.after.state], [table.id, 'cancelled']);
    assert.deepEqual([announce.before, announce.after], [null, { text: 'Announcement for the log' }]);
    assert.deepEqual([set.before, set.after], [null, { ...m, set_by: 'aud_boss' }]);
    assert.deepEqual([clear.before, clear.after], [set.after, null]);

    // The screen shows each entry as the API has it: when, who, action,
    // target, reason, before, after, newest first.
    const shown = (await cells(page, 'audit-rows')).slice(0, actions.length);
    assert.deepEqual(shown, await Promise.all(entries.map(async (e) =>
      [await when(page, e.at), e.actor, e.action, e.target, e.reason, json(e.before), json(e.after)])));
    await adminShot(page, 'audit');

    // 50 rows a page: "Older entries" shows the rest, in order, once each.
    for (let i = 0; i < 50; i++) {
      const r = await api(boss, 'POST', `/v1/admin/players/${target.user_id}/coins`, { delta: 1, reason: `page filler ${i}` });
      assert.equal(r.status, 200);
    }
    const all = await audit(boss);
    await page.getByTestId('tab-audit').click();
    await eventually(async () => assert.equal(await page.getByTestId('audit-row').count(), 50));
    for (let n = 50; n < all.length; n += 50) {
      await page.getByTestId('audit-more').click();
      await eventually(async () => assert.equal(await page.getByTestId('audit-row').count(), Math.min(all.length, n + 50)));
    }
    assert.equal(await page.getByTestId('audit-more').isHidden(), all.length % 50 !== 0);
    const rows = await cells(page, 'audit-rows');
    assert.deepEqual(rows.map((r) => [r[1], r[2], r[3], r[4]]), all.map((e) => [e.actor, e.action, e.target, e.reason]));
  }, 2);
});

// Last: a drained node stays draining until it restarts.
test('nodes: the cluster\'s view, and drain (this node stays draining)', { timeout: 120_000 }, async () => {
  const boss = await staff('node_boss', 'admin');
  await withPages('nodes', async (page) => {
    await signIn(page, boss.name);
    await page.getByTestId('tab-nodes').click();
    await page.getByTestId('node-row').first().waitFor();
    const view = await get(boss, '/v1/admin/nodes');
    const cluster = await get(boss, '/v1/cluster/nodes');
    assert.equal(view.nodes.length, 1, 'an all-in-one server is one node');
    assert.deepEqual(cluster.nodes.map((n) => n.id), [view.self]);
    const [n] = view.nodes;
    const shown = await cells(page, 'node-rows');
    assert.equal(shown.length, 1);
    assert.deepEqual(shown[0].slice(0, 3), [`${n.id} (this one)`, n.roles.join(', '), n.version]);
    assert.deepEqual(shown[0].slice(6), ['serving', 'Drain']);
    assert.equal(await page.getByTestId('node-drain').isEnabled(), true);
    const gateways = async () => (await (await fetch(server.base + '/v1/gateways')).json()).gateways.map((g) => g.node);
    assert.deepEqual(await gateways(), [n.id], 'clients are sent to this node');

    await page.getByTestId('node-drain').click();
    await page.getByTestId('message').filter({ hasText: 'node draining' }).waitFor();
    await page.getByTestId('node-state').filter({ hasText: 'draining' }).waitFor();
    assert.equal(await page.getByTestId('node-drain').isDisabled(), true, 'a draining node cannot be drained again');
    assert.equal((await get(boss, '/v1/admin/nodes')).nodes[0].draining, true);
    assert.deepEqual(await gateways(), [], 'no client is sent to a draining node');
    await adminShot(page, 'nodes');
    // The dashboard shows it.
    await page.getByTestId('tab-dashboard').click();
    await page.getByTestId('d-nodes').locator('tr', { hasText: 'draining' }).waitFor();
    // The audit log has it.
    const [entry] = await audit(boss, `node:${n.id}`);
    assert.deepEqual([entry.actor, entry.action, entry.reason, entry.before, entry.after],
      ['node_boss', 'node.drain', 'drained from the admin console', { draining: false }, { draining: true }]);
    await page.getByTestId('tab-audit').click();
    await page.getByTestId('audit-row').first().filter({ hasText: 'node.drain' }).waitFor();
    const [row] = await cells(page, 'audit-rows');
    assert.deepEqual(row, [await when(page, entry.at), 'node_boss', 'node.drain', `node:${n.id}`, 'drained from the admin console',
      '{"draining":false}', '{"draining":true}']);
  }, 0);
});
