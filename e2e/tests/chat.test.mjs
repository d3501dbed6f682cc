// The chat panel with three players in their own browser contexts: world
// chat, a private conversation with its unread badge and read receipt, a
// group that a second player joins and a third is added to, a recall that
// turns into a tombstone for both, a friend request accepted, a block that
// hides the blocked player's messages, a reload that keeps the history, a
// dropped connection after which the missed messages show exactly once,
// history paging on scroll, the table's chat in the panel, a friend shown
// offline on leaving; a friend request and a block from a player's seat at
// a classic table; and the sync rules on chatsync.js against a fake
// server. Run alone with:
// cd e2e && node --test tests/chat.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, openPage, shot, shotBoth, DESKTOP, PHONE } from '../lib/harness.mjs';
import { loginAsGuest, startPractice, attr } from '../lib/play.mjs';

// Loose send rates for this file's server only, so that the test does not
// wait on the world's 1 message per 2 s.
process.env.LORDGAME_CHAT_RATE_WORLD = '30/1s';
process.env.LORDGAME_CHAT_RATE_PRIVATE = '100/1s';
process.env.LORDGAME_CHAT_RATE_GROUP = '100/1s';
// Long turn timers: two players who sit at a classic table without playing
// stay seated (in_game) for minutes instead of going to auto-play after two
// timeouts, which would end the hand within the test.
process.env.LORDGAME_DDZ_BID_TIMEOUT = '120s';
process.env.LORDGAME_DDZ_FOLLOW_TIMEOUT = '120s';
process.env.LORDGAME_DDZ_LEAD_TIMEOUT = '120s';

let server;
let browser;
const opened = [];

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  for (const p of opened) await p.context.close().catch(() => {});
  if (browser) await browser.close();
  if (server) await server.stop();
});

// player opens a fresh context, logs in as a guest (or, with register,
// signs a new account up through the form) and reads its id from the chat
// panel. locale is the browser's language (en-US unless given).
async function player(name, viewport, { register = false, locale } = {}) {
  const p = await openPage(browser, viewport, { locale });
  opened.push(p);
  p.name = name;
  if (register) await signUp(p.page, `e2e_${name}_${Date.now().toString(36)}`);
  else await loginAsGuest(p.page, server.base);
  await p.page.getByTestId('chat-toggle').waitFor({ state: 'visible' });
  await openPanel(p);
  const idEl = p.page.getByTestId('chat-my-id');
  await idEl.filter({ hasText: /^\d+$/ }).waitFor();
  p.id = (await idEl.textContent()).trim();
  // The world conversation is listed once the inbox is read.
  await conv(p, 'world').waitFor();
  return p;
}

// signUp registers a new account through the page's form.
async function signUp(page, username) {
  const password = 'correct horse battery';
  await page.goto(server.base + '/');
  await page.getByTestId('tab-register').click();
  await page.getByTestId('auth-username').fill(username);
  await page.getByTestId('auth-password').fill(password);
  await page.getByTestId('auth-password2').fill(password);
  await page.getByTestId('auth-submit').click();
  await page.getByTestId('lobby-screen').waitFor({ state: 'visible' });
}

const panel = (p) => p.page.getByTestId('chat-panel');
const conv = (p, kind, id) => p.page.locator(`[data-testid=chat-conv][data-kind=${kind}]${id ? `[data-conv-id="${id}"]` : ''}`);
const msgs = (p) => p.page.locator('[data-testid=chat-msgs] [data-testid=chat-msg]');
const msgWith = (p, text) => p.page.locator('[data-testid=chat-msgs] [data-testid=chat-msg]', { has: p.page.getByTestId('chat-body').filter({ hasText: text }) });

async function openPanel(p) {
  if (await panel(p).isHidden()) await p.page.getByTestId('chat-toggle').click();
  await panel(p).waitFor({ state: 'visible' });
}

async function closePanel(p) {
  if (await panel(p).isVisible()) await p.page.getByTestId('chat-close').click();
  await panel(p).waitFor({ state: 'hidden' });
}

async function toList(p) {
  await openPanel(p);
  if (await p.page.getByTestId('chat-back').isVisible()) await p.page.getByTestId('chat-back').click();
  if (!(await p.page.getByTestId('chat-convs').isVisible())) await p.page.getByTestId('chat-tab-chats').click();
  await p.page.getByTestId('chat-convs').waitFor({ state: 'visible' });
}

async function openConv(p, kind, id) {
  await toList(p);
  await conv(p, kind, id).first().click();
  await p.page.waitForFunction(
    ([k, i]) => {
      const el = document.querySelector('[data-testid=chat-panel]');
      return el.dataset.view === 'conv' && el.dataset.kind === k && (!i || el.dataset.conv === i) && document.querySelector('[data-testid=chat-start], [data-testid=chat-more]');
    },
    [kind, id || ''],
  );
}

// say sends a line in the open conversation and waits for the server's
// answer to show it.
async function say(p, text) {
  await p.page.getByTestId('chat-input').fill(text);
  await p.page.getByTestId('chat-input').press('Enter');
  await msgWith(p, text).and(p.page.locator('[data-mine=true]')).waitFor();
}

async function bodies(p) {
  return p.page.locator('[data-testid=chat-msgs] [data-testid=chat-body]').allTextContents();
}

test('world, private, groups, recall, block, reload and reconnect in the chat panel', { timeout: 240_000 }, async () => {
  const a = await player('a');
  const b = await player('b');
  const c = await player('c');
  assert.notEqual(a.id, b.id);
  try {
    // ---- world: one line seen by everyone
    await openConv(a, 'world');
    await openConv(b, 'world');
    await openConv(c, 'world');
    await say(a, 'hello world from a');
    await msgWith(b, 'hello world from a').waitFor();
    await msgWith(c, 'hello world from a').waitFor();
    const seen = await msgWith(b, 'hello world from a').getAttribute('data-sender');
    assert.equal(seen, a.id, 'the sender is the server\'s');

    // ---- private: an unread badge, then the read receipt
    await closePanel(b);
    await toList(a);
    await a.page.getByTestId('chat-dm-id').fill(b.id);
    await a.page.getByTestId('chat-dm-go').click();
    await a.page.waitForFunction(() => document.querySelector('[data-testid=chat-panel]').dataset.kind === 'private');
    await say(a, 'psst b, a private word');
    const mine = msgWith(a, 'psst b, a private word');
    assert.equal(await mine.getByTestId('chat-receipt').getAttribute('data-read'), 'false', 'not read yet');
    const total = b.page.getByTestId('chat-total');
    await b.page.waitForFunction(() => document.querySelector('[data-testid=chat-total]').dataset.count === '1');
    assert.ok(await total.isVisible(), 'the total unread badge shows');
    await openPanel(b);
    await toList(b);
    const item = b.page.locator(`[data-testid=chat-conv][data-kind=private]`);
    await item.filter({ has: b.page.locator('[data-testid=chat-unread]:visible', { hasText: '1' }) }).waitFor();
    await shotBoth(b.page, 'chat-unread');
    await item.first().click();
    await msgWith(b, 'psst b, a private word').waitFor();
    // Read on screen: the badge goes, the sender is told.
    await b.page.waitForFunction(() => document.querySelector('[data-testid=chat-total]').dataset.count === '0');
    await total.waitFor({ state: 'hidden' });
    await mine.locator('[data-testid=chat-receipt][data-read=true]', { hasText: 'Read' }).waitFor();

    // ---- recall: a tombstone for both
    await say(a, 'oops, wrong window');
    await msgWith(b, 'oops, wrong window').waitFor();
    const seq = await msgWith(a, 'oops, wrong window').getAttribute('data-seq');
    await msgWith(a, 'oops, wrong window').getByTestId('chat-recall').click();
    for (const p of [a, b]) {
      await p.page.locator(`[data-testid=chat-msgs] [data-testid=chat-msg][data-seq="${seq}"][data-tombstone=true]`).getByTestId('chat-tombstone').waitFor();
      assert.ok(!(await bodies(p)).some((t) => t.includes('oops')), `${p.name}: the recalled text is gone`);
    }
    await shotBoth(a.page, 'chat-private');

    // ---- a group: created, joined by id, a line seen, read counts
    await toList(a);
    await a.page.getByTestId('chat-group-name').fill('Friday table');
    await a.page.getByTestId('chat-group-create').click();
    const gidEl = a.page.getByTestId('chat-group-id');
    await gidEl.waitFor();
    const gid = await gidEl.getAttribute('data-group-id');
    assert.match(gid, /^\d+$/);
    await toList(b);
    await b.page.getByTestId('chat-join-id').fill(gid);
    await b.page.getByTestId('chat-join-go').click();
    await b.page.waitForFunction((g) => document.querySelector('[data-testid=chat-panel]').dataset.conv === g, gid);
    await say(b, 'hi group, b here');
    await msgWith(a, 'hi group, b here').waitFor();
    await say(a, 'welcome to the group');
    await msgWith(b, 'welcome to the group').waitFor();
    // b has it on screen, so it is read: a sees the count from the server.
    await msgWith(a, 'welcome to the group').locator('[data-testid=chat-read-count][data-count="1"]').waitFor({ timeout: 15_000 });
    await a.page.getByTestId('chat-members-btn').click();
    await a.page.locator(`[data-testid=chat-member][data-user-id="${b.id}"]`).waitFor();
    assert.equal(await a.page.getByTestId('chat-member').count(), 2);
    // The owner adds c, whose list shows the group from the server.
    await a.page.getByTestId('chat-invite-id').fill(c.id);
    await a.page.getByTestId('chat-invite-go').click();
    await a.page.locator(`[data-testid=chat-member][data-user-id="${c.id}"]`).waitFor();
    await toList(c);
    await conv(c, 'group', gid).waitFor();
    await openConv(a, 'group', gid);
    await shotBoth(a.page, 'chat-group');

    // ---- friends: b asks from a's name in the group, a accepts
    await msgWith(b, 'welcome to the group').getByTestId('chat-sender').click();
    await b.page.getByTestId('chat-menu-friend').click();
    await b.page.getByTestId('toast').filter({ hasText: 'Friend request sent' }).waitFor();
    await a.page.getByTestId('toast').filter({ hasText: 'wants to be your friend' }).waitFor();
    await openPanel(a);
    await a.page.getByTestId('chat-back').click();
    await a.page.getByTestId('chat-tab-people').click();
    await a.page.locator(`[data-testid=chat-friend][data-user-id="${b.id}"][data-state=pending_in]`).getByTestId('chat-friend-accept').click();
    await a.page.locator(`[data-testid=chat-friend][data-user-id="${b.id}"][data-state=accepted] [data-testid=chat-online][data-online=true]`).waitFor();
    await toList(b);
    await b.page.getByTestId('chat-tab-people').click();
    await b.page.locator(`[data-testid=chat-friend][data-user-id="${a.id}"][data-state=accepted] [data-testid=chat-online][data-online=true]`).waitFor();
    await shotBoth(b.page, 'chat-people');

    // ---- block: c's lines are hidden from a, not from b
    await openConv(a, 'world');
    await openConv(b, 'world');
    await openConv(c, 'world');
    await say(c, 'c says hi before the block');
    await msgWith(a, 'c says hi before the block').waitFor();
    await msgWith(a, 'c says hi before the block').getByTestId('chat-sender').click();
    await a.page.getByTestId('chat-menu-block').click();
    await msgWith(a, 'c says hi before the block').waitFor({ state: 'detached' });
    await say(c, 'c again, after the block');
    await msgWith(b, 'c again, after the block').waitFor();
    await say(b, 'b after c');
    await msgWith(a, 'b after c').waitFor();
    assert.ok(!(await bodies(a)).some((t) => t.startsWith('c ')), 'a sees nothing of c');

    // ---- reload: the history comes back from the server
    await a.page.reload();
    await a.page.getByTestId('lobby-screen').waitFor({ state: 'visible' });
    await openConv(a, 'world');
    await msgWith(a, 'hello world from a').waitFor();
    await msgWith(a, 'b after c').waitFor();
    assert.ok(!(await bodies(a)).some((t) => t.startsWith('c ')), 'still nothing of c after the reload');
    await openConv(a, 'private');
    await msgWith(a, 'psst b, a private word').locator('[data-testid=chat-receipt][data-read=true]').waitFor();
    await a.page.locator(`[data-testid=chat-msgs] [data-testid=chat-msg][data-seq="${seq}"][data-tombstone=true]`).waitFor();
    assert.ok(!(await bodies(a)).some((t) => t.includes('oops')), 'the tombstone stays a tombstone');
    await openConv(a, 'group', gid);
    await msgWith(a, 'hi group, b here').waitFor();
    await msgWith(a, 'welcome to the group').waitFor();

    // ---- reconnect: b misses lines while offline and gets each once
    await openConv(b, 'world');
    await b.context.setOffline(true);
    await b.page.evaluate(() => window.lordgame.conn.ws && window.lordgame.conn.ws.close());
    await b.page.getByTestId('conn-banner').waitFor({ state: 'visible' });
    await openConv(a, 'world');
    const missed = ['missed one', 'missed two', 'missed three'];
    for (const t of missed) await say(a, t);
    await b.context.setOffline(false);
    await b.page.getByTestId('conn-banner').waitFor({ state: 'hidden', timeout: 30_000 });
    for (const t of missed) await msgWith(b, t).waitFor();
    await say(a, 'after the reconnect');
    await msgWith(b, 'after the reconnect').waitFor();
    const got = await bodies(b);
    for (const t of [...missed, 'after the reconnect', 'hello world from a']) assert.equal(got.filter((x) => x === t).length, 1, `"${t}" shows once`);
    const seqs = await msgs(b).evaluateAll((els) => els.map((e) => Number(e.dataset.seq)));
    assert.equal(new Set(seqs).size, seqs.length, 'no seq twice');
    assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y), 'in seq order');

    for (const p of [a, c]) assert.deepEqual(p.errors, [], `${p.name}: no console errors`);
    // b's failed reconnect attempts while offline are the browser's own log.
    assert.deepEqual(b.errors.filter((e) => !/WebSocket connection to .* failed/.test(e)), [], 'b: no console errors');

    // b leaves: its friend a is told by a presence push (after the grace).
    await toList(a);
    await a.page.getByTestId('chat-tab-people').click();
    const friendB = a.page.locator(`[data-testid=chat-friend][data-user-id="${b.id}"][data-state=accepted]`);
    await friendB.locator('[data-testid=chat-online][data-online=true]').waitFor();
    // b sits down at a practice table: a sees b "in a game" (the server's
    // in_game status, pushed), not merely online.
    await b.page.getByTestId('lobby-screen').waitFor({ state: 'visible' });
    await b.page.getByTestId('mode-practice').click();
    await b.page.getByTestId('table-screen').waitFor({ state: 'visible', timeout: 30_000 });
    await friendB.locator('[data-testid=chat-online][data-status=in_game]').waitFor({ timeout: 15_000 });
    await friendB.getByTestId('chat-in-game').waitFor();
    await b.context.close();
    await friendB.locator('[data-testid=chat-online][data-online=false]').waitFor({ timeout: 15_000 });
  } catch (err) {
    for (const p of [a, b, c]) await shot(p.page, `failure-chat-${p.name}`).catch(() => {});
    throw err;
  }
});

test('history pages backwards on scroll, on a phone', { timeout: 120_000 }, async () => {
  const a = await player('pa');
  const b = await player('pb', PHONE);
  try {
    await toList(a);
    await a.page.getByTestId('chat-dm-id').fill(b.id);
    await a.page.getByTestId('chat-dm-go').click();
    await a.page.waitForFunction(() => document.querySelector('[data-testid=chat-panel]').dataset.kind === 'private');
    const total = 45; // more than one page (30)
    // Paced under chat.send's route limit (10/s, burst 20, -route-limits):
    // a faster sender is answered rate_limited, as it should be.
    for (let i = 1; i <= total; i++) {
      await say(a, `line ${i}`);
      await a.page.waitForTimeout(110);
    }

    await b.page.reload();
    await b.page.getByTestId('lobby-screen').waitFor({ state: 'visible' });
    await b.page.waitForFunction((n) => document.querySelector('[data-testid=chat-total]').dataset.count === String(n), total);
    await openConv(b, 'private');
    await msgWith(b, `line ${total}`).waitFor();
    // Only the newest page at first; the start is not reached.
    assert.ok((await msgs(b).count()) < total, 'one page first');
    await b.page.getByTestId('chat-more').waitFor();
    await shot(b.page, 'chat-phone-390x844');
    // Scrolling up brings the older pages until the start.
    for (let i = 0; i < 10 && !(await b.page.getByTestId('chat-start').count()); i++) {
      const before = await msgs(b).count();
      await b.page.getByTestId('chat-msgs').evaluate((el) => el.scrollTo(0, 0));
      await b.page.waitForFunction((n) => document.querySelectorAll('[data-testid=chat-msgs] [data-testid=chat-msg]').length > n || document.querySelector('[data-testid=chat-start]'), before);
    }
    await b.page.getByTestId('chat-start').waitFor();
    const got = await bodies(b);
    assert.deepEqual(got, Array.from({ length: total }, (_, i) => `line ${i + 1}`), 'every line once, in order');
    // The panel fits the phone's width.
    const box = await panel(b).boundingBox();
    assert.ok(box.width <= PHONE.width + 1, `panel ${box.width} px wide`);
    await b.page.waitForFunction(() => document.querySelector('[data-testid=chat-total]').dataset.count === '0');
    for (const p of [a, b]) assert.deepEqual(p.errors, [], `${p.name}: no console errors`);
  } catch (err) {
    for (const p of [a, b]) await shot(p.page, `failure-chat-${p.name}`).catch(() => {});
    throw err;
  }
});

test('the table chat is a conversation of the panel, with its quick phrases', { timeout: 120_000 }, async () => {
  const a = await player('ta');
  try {
    await closePanel(a);
    await startPractice(a.page);
    // A quick phrase from the table's menu: a bubble at the seat, and a
    // line of the table conversation.
    await a.page.getByTestId('btn-chat').click();
    const phrase = (await a.page.getByTestId('chat-phrase').first().textContent()).trim();
    await a.page.getByTestId('chat-phrase').first().click();
    await a.page.getByTestId('played-me').getByTestId('chat-bubble').waitFor({ state: 'visible' });
    await a.page.getByTestId('chat-toggle').click();
    await openConv(a, 'table');
    await msgWith(a, phrase).waitFor();
    // Typed in the panel: the bubble at the seat and the line.
    await a.page.getByTestId('chat-input').fill('typed in the panel');
    await a.page.getByTestId('chat-input').press('Enter');
    await a.page.getByTestId('played-me').getByTestId('chat-bubble').filter({ hasText: 'typed in the panel' }).waitFor();
    await msgWith(a, 'typed in the panel').waitFor();
    await a.page.getByTestId('chat-panel-phrase').nth(1).click();
    const second = (await a.page.getByTestId('chat-panel-phrase').nth(1).textContent()).trim();
    await msgWith(a, second).waitFor();
    await shotBoth(a.page, 'chat-table');
    // After a reload at the table the lines come back from the server.
    await a.page.reload();
    await a.page.getByTestId('table-screen').waitFor({ state: 'visible', timeout: 30_000 });
    await openConv(a, 'table');
    await msgWith(a, 'typed in the panel').waitFor();
    assert.equal((await bodies(a)).filter((t) => t === 'typed in the panel').length, 1);
    assert.deepEqual(a.errors, [], 'no console errors');
  } catch (err) {
    await shot(a.page, 'failure-chat-ta').catch(() => {});
    throw err;
  }
});

// The sync rules of docs/protocol-chat.md on chatsync.js itself, against a
// fake server that answers chat.history and chat.sync from a list: pushes
// out of order, repeated, after a gap, a sync in several batches and
// messages hidden from the client. Every seq is applied exactly once.
test('chat sync: no loss and no duplicate whatever order the pushes come in', async () => {
  const { ChatState } = await import('../../web/static/js/chatsync.js');
  const convId = '9';
  const stored = []; // what the fake server holds, seq = index + 1
  const hidden = new Set(); // seqs the server leaves out for this client
  const add = (text, kind = 'text', ref = 0) => {
    const m = { conversation_id: convId, seq: String(stored.length + 1), sender_id: '2', kind, text, ref_seq: String(ref), created_ms: '1' };
    stored.push(m);
    return m;
  };
  const calls = [];
  const conn = {
    state: 'open',
    async request(route, body) {
      calls.push(route);
      if (route === 'chat.history') {
        const before = Number(body.before_seq || 0) || Infinity;
        const page = stored.filter((m) => Number(m.seq) < before).slice(-body.limit);
        return { messages: page.filter((m) => !hidden.has(Number(m.seq))), next_before: page.length === body.limit && Number(page[0].seq) > 1 ? page[0].seq : '0' };
      }
      if (route === 'chat.sync') {
        return {
          batches: body.cursors.map((c) => {
            const after = stored.filter((m) => Number(m.seq) > Number(c.after_seq));
            const part = after.slice(0, body.limit);
            const more = after.length > part.length;
            const next = part.length ? Number(part[part.length - 1].seq) : Number(c.after_seq);
            return { conversation_id: c.conversation_id, messages: part.filter((m) => !hidden.has(Number(m.seq))), next_seq: String(more ? next : Math.max(next, stored.length)), has_more: more, last_seq: String(stored.length) };
          }),
        };
      }
      throw new Error(`unexpected ${route}`);
    },
  };
  const st = new ChatState(conn, () => '1', () => {});
  const cv = st.upsert({ id: convId, kind: 'group' });
  for (let i = 1; i <= 3; i++) add(`m${i}`);
  await st.load(cv);
  assert.equal(cv.held, 3);
  const settle = async () => {
    for (let i = 0; i < 50 && (cv.syncing || cv.aside.size); i++) await new Promise((r) => setTimeout(r, 20));
  };
  const texts = () => cv.sorted().map((m) => m.text);

  // In order, then repeated: applied once.
  st.onPush(add('m4'));
  st.onPush(stored[3]);
  assert.deepEqual(texts(), ['m1', 'm2', 'm3', 'm4']);
  // A gap: 5 and 6 were missed, 7 is pushed; sync fetches 5-7. Late
  // pushes of 6 and 7 are dropped.
  add('m5');
  add('m6');
  st.onPush(add('m7'));
  await settle();
  st.onPush(stored[5]);
  st.onPush(stored[6]);
  assert.deepEqual(texts(), ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7']);
  assert.equal(cv.held, 7);
  // 450 missed (some hidden, say from a blocked sender), then a reconnect:
  // several sync batches, the hidden ones skipped, nothing twice.
  for (let i = 8; i <= 457; i++) {
    add(`m${i}`);
    if (i % 50 === 0) hidden.add(i);
  }
  await st.sync([cv]);
  assert.equal(cv.held, 457);
  const want = Array.from({ length: 457 }, (_, i) => i + 1).filter((s) => !hidden.has(s)).map((s) => `m${s}`);
  assert.deepEqual(texts(), want);
  // A recall event turns its message into a tombstone, live or by sync.
  st.onPush(add('', 'recall', 5));
  assert.equal(cv.msgs.get(5).text, '');
  assert.ok(cv.msgs.get(5).recalled);
  add('', 'recall', 6);
  add('m460');
  await st.sync([cv]);
  assert.equal(cv.msgs.get(6).text, '');
  assert.equal(cv.held, 460);
  assert.equal(new Set(cv.sorted().map((m) => m.seq)).size, cv.msgs.size);
  assert.ok(calls.filter((r) => r === 'chat.sync').length >= 4, 'the big gap took several batches');
});

// rename changes the player's display name in the lobby's profile dialog.
async function rename(p, name) {
  await closePanel(p);
  await p.page.getByTestId('profile-edit').click();
  await p.page.getByTestId('name-input').fill(name);
  await p.page.getByTestId('name-save').click();
  await p.page.getByTestId('profile-dialog').waitFor({ state: 'hidden' });
  await p.page.getByTestId('lobby-name').filter({ hasText: name }).waitFor();
}

const member = (p, uid) => p.page.locator(`[data-testid=chat-members] [data-testid=chat-member][data-user-id="${uid}"]`);
const sender = (p, text) => msgWith(p, text).getByTestId('chat-sender');

// The server's display names on lines, members and private conversations
// (a rename shows on the next fetch, on old lines too), and the owner's
// moderation of a member between two contexts: mute for a time (the
// member's send is refused with the server's reason), unmute, make and
// remove admin, remove from the group (the member is told and loses it),
// disband. Buttons show only where the server allows them.
test('display names and group moderation in the chat panel', { timeout: 180_000 }, async () => {
  const a = await player('ma');
  const b = await player('mb');
  const warnings = [];
  for (const p of [a, b]) p.page.on('console', (m) => m.type() === 'warning' && m.text().startsWith('i18n:') && warnings.push(`${p.name}: ${m.text()}`));
  try {
    await rename(a, 'Ann Owner');
    await rename(b, 'Bob Member');

    // ---- a group: b joins; each sees the other by name
    await toList(a);
    await a.page.getByTestId('chat-group-name').fill('Mod squad');
    await a.page.getByTestId('chat-group-create').click();
    await a.page.getByTestId('chat-group-id').waitFor();
    const gid = await a.page.getByTestId('chat-group-id').getAttribute('data-group-id');
    await toList(b);
    await b.page.getByTestId('chat-join-id').fill(gid);
    await b.page.getByTestId('chat-join-go').click();
    await b.page.waitForFunction((g) => document.querySelector('[data-testid=chat-panel]').dataset.conv === g, gid);
    await say(b, 'hello from bob');
    await sender(a, 'hello from bob').filter({ hasText: 'Bob Member' }).waitFor();
    await say(a, 'hi bob, ann here');
    await sender(b, 'hi bob, ann here').filter({ hasText: 'Ann Owner' }).waitFor();
    // b joined: the system line names b as the server has it.
    await a.page.locator('[data-testid=chat-msgs] [data-kind=system]', { hasText: 'Bob Member joined' }).waitFor();

    // A member sees no moderation; the owner sees it for the member.
    await b.page.getByTestId('chat-members-btn').click();
    await member(b, a.id).waitFor();
    assert.equal(await b.page.locator('[data-testid=chat-members] [data-mod]').count(), 0, 'a member gets no moderation buttons');
    assert.equal(await b.page.getByTestId('chat-disband').count(), 0, 'a member cannot disband');
    assert.ok(await b.page.getByTestId('chat-leave').isVisible(), 'a member may leave');
    await b.page.getByTestId('chat-members-btn').click();
    await a.page.getByTestId('chat-members-btn').click();
    await member(a, b.id).getByTestId('chat-member-name').filter({ hasText: 'Bob Member' }).waitFor();
    assert.equal(await member(a, a.id).locator('[data-mod]').count(), 0, 'nothing to do to oneself');
    assert.equal(await a.page.getByTestId('chat-leave').count(), 0, 'the owner cannot leave');

    // ---- b renames: a's next fetch names b anew, on the old line too
    await rename(b, 'Bobby Two');
    await openConv(b, 'group', gid);
    await say(b, 'a line after the rename');
    await sender(a, 'a line after the rename').filter({ hasText: 'Bobby Two' }).waitFor();
    await sender(a, 'hello from bob').filter({ hasText: 'Bobby Two' }).waitFor();
    await member(a, b.id).getByTestId('chat-member-name').filter({ hasText: 'Bobby Two' }).waitFor();

    // ---- mute for a minute: b's line is refused with the server's reason
    await member(a, b.id).getByTestId('chat-mute-duration').selectOption('60');
    await member(a, b.id).getByTestId('chat-mute').click();
    await a.page.locator(`[data-testid=chat-members] [data-testid=chat-member][data-user-id="${b.id}"][data-muted=true]`).getByTestId('chat-muted').waitFor();
    const until = Number(await member(a, b.id).getByTestId('chat-muted').getAttribute('data-until'));
    await shotBoth(a.page, 'chat-members-moderation');
    assert.ok(until > Date.now() + 30_000 && until < Date.now() + 90_000, `muted for about a minute (until ${until})`);
    await b.page.locator('[data-testid=chat-msgs] [data-kind=system]', { hasText: 'Ann Owner muted You' }).waitFor();
    await b.page.getByTestId('chat-input').fill('can I still talk?');
    await b.page.getByTestId('chat-input').press('Enter');
    await b.page.getByTestId('chat-error').filter({ hasText: 'You are muted in this group.' }).waitFor();
    assert.equal(await msgWith(a, 'can I still talk?').count(), 0, 'nothing stored');
    await member(a, b.id).getByTestId('chat-unmute').click();
    await a.page.locator(`[data-testid=chat-members] [data-testid=chat-member][data-user-id="${b.id}"][data-muted=false]`).waitFor();
    await b.page.locator('[data-testid=chat-msgs] [data-kind=system]', { hasText: 'Ann Owner unmuted You' }).waitFor();
    await b.page.getByTestId('chat-input').fill('unmuted at last');
    await b.page.getByTestId('chat-input').press('Enter');
    await msgWith(a, 'unmuted at last').waitFor();

    // ---- admin and back
    await member(a, b.id).getByTestId('chat-promote').click();
    await a.page.locator(`[data-testid=chat-members] [data-testid=chat-member][data-user-id="${b.id}"][data-role=admin]`).getByTestId('chat-demote').waitFor();
    await b.page.getByTestId('chat-members-btn').click();
    await member(b, a.id).waitFor();
    // An admin may not act on the owner, who ranks higher.
    assert.equal(await member(b, a.id).locator('[data-mod]').count(), 0, 'an admin cannot touch the owner');
    await b.page.getByTestId('chat-invite-form').waitFor();
    await member(a, b.id).getByTestId('chat-demote').click();
    await a.page.locator(`[data-testid=chat-members] [data-testid=chat-member][data-user-id="${b.id}"][data-role=member]`).getByTestId('chat-promote').waitFor();
    // b's open list follows the change from the server.
    await b.page.getByTestId('chat-invite-form').waitFor({ state: 'detached' });

    // ---- a private conversation is titled with the peer's name
    await toList(b);
    await b.page.getByTestId('chat-dm-id').fill(a.id);
    await b.page.getByTestId('chat-dm-go').click();
    await b.page.getByTestId('chat-title').filter({ hasText: 'Ann Owner' }).waitFor();
    await openConv(b, 'group', gid);

    // ---- removed from the group: b is told and loses it
    await member(a, b.id).getByTestId('chat-kick').click();
    await member(a, b.id).waitFor({ state: 'detached' });
    await b.page.getByTestId('toast').filter({ hasText: 'You were removed from Mod squad.' }).waitFor();
    await toList(b);
    await conv(b, 'group', gid).waitFor({ state: 'detached' });
    await a.page.locator('[data-testid=chat-msgs] [data-kind=system]', { hasText: 'You removed Bobby Two' }).waitFor();
    await shotBoth(a.page, 'chat-moderation');

    // ---- disband, after a confirm
    await a.page.getByTestId('chat-disband').click();
    await a.page.getByTestId('chat-disband-cancel').click();
    await a.page.getByTestId('chat-disband').click();
    await a.page.getByTestId('chat-disband-confirm').click();
    await a.page.locator('[data-testid=chat-msgs] [data-kind=system]', { hasText: 'You disbanded the group' }).waitFor();
    assert.ok(await a.page.getByTestId('chat-input').isDisabled(), 'nothing can be sent to a disbanded group');
    await a.page.getByTestId('chat-disband').waitFor({ state: 'detached' });
    assert.equal(await a.page.locator('[data-testid=chat-members] [data-mod]').count(), 0, 'no moderation in a disbanded group');

    for (const p of [a, b]) assert.deepEqual(p.errors, [], `${p.name}: no console errors`);
    assert.deepEqual(warnings, [], 'every string is in the catalogue');
  } catch (err) {
    for (const p of [a, b]) await shot(p.page, `failure-chat-${p.name}`).catch(() => {});
    throw err;
  }
});

// seatMenuShots opens the menu of a player's seat at the desktop and at the
// phone size and takes the screenshot of each, closing it after.
async function seatMenuShots(p, seat, name) {
  const before = p.page.viewportSize();
  const menu = p.page.getByTestId('chat-user-menu');
  for (const [vp, size] of [[DESKTOP, '1280x800'], [PHONE, '390x844']]) {
    await p.page.setViewportSize(vp);
    await p.page.waitForTimeout(250);
    await seat().getByTestId('opp-name').click();
    await menu.waitFor({ state: 'visible' });
    const box = await menu.boundingBox();
    assert.ok(box.x >= 0 && box.y >= 0 && box.x + box.width <= vp.width && box.y + box.height <= vp.height, `the menu is on the screen at ${size}`);
    await shot(p.page, `${name}-${size}`);
    await p.page.getByTestId('me-name').click(); // a tap elsewhere closes it
    await menu.waitFor({ state: 'hidden' });
  }
  await p.page.setViewportSize(before);
  await p.page.waitForTimeout(100);
}

// A player's seat at the Dou Dizhu table opens the menu a name in the chat
// opens: two registered players (one browser in Chinese) share a classic
// table with a bot. A asks B from B's seat, B accepts in its panel, each
// lists the other as a friend "in a game" and the server's friend.list
// says in_game; then A blocks B from the seat: friend.list has B blocked
// and no longer a friend, A's world chat hides B's lines (old and new) and
// the server's history for A leaves them out, while B still sees A's. A
// bot's seat opens no menu.
test('add a friend and block from a player\'s seat at the table', { timeout: 240_000 }, async () => {
  const a = await player('sa', undefined, { register: true });
  const b = await player('sb', undefined, { register: true, locale: 'zh-CN' });
  const warnings = [];
  for (const p of [a, b]) p.page.on('console', (m) => m.type() === 'warning' && m.text().startsWith('i18n:') && warnings.push(`${p.name}: ${m.text()}`));
  // rpc asks the server through the page's own connection (a second
  // connection of the user would replace it).
  const rpc = (p, route, body = {}) => p.page.evaluate(([r, q]) => window.lordgame.conn.request(r, q), [route, body]);
  const menu = (p) => p.page.getByTestId('chat-user-menu');
  const opp = (p) => p.page.locator('[data-testid=opp-left], [data-testid=opp-right]');
  const seatOf = (p, name) => opp(p).filter({ has: p.page.getByTestId('opp-name').filter({ hasText: name }) });
  try {
    const nameA = (await a.page.getByTestId('lobby-name').textContent()).trim();
    const nameB = (await b.page.getByTestId('lobby-name').textContent()).trim();
    assert.notEqual(nameA, nameB);
    // A world line of B's before the table, which A sees until the block.
    await openConv(b, 'world');
    await say(b, 'b in the world before the table');
    await openConv(a, 'world');
    await msgWith(a, 'b in the world before the table').waitFor();
    const world = await panel(a).getAttribute('data-conv');

    // ---- one classic table: A, B and a bot (after the wait)
    for (const p of [a, b]) await closePanel(p);
    await Promise.all([a, b].map((p) => p.page.getByTestId('mode-classic').click()));
    for (const p of [a, b]) {
      await p.page.getByTestId('table-screen').waitFor({ state: 'visible', timeout: 60_000 });
      await p.page.locator('[data-testid=hand-card]').first().waitFor();
    }
    assert.equal(await attr(a.page, 'game-id'), await attr(b.page, 'game-id'), 'one table');
    await seatOf(a, nameB).waitFor();
    await seatOf(b, nameA).waitFor();

    // A bot's seat offers nothing.
    const botSeat = opp(a).filter({ hasNot: a.page.getByTestId('opp-name').filter({ hasText: nameB }) });
    await botSeat.getByTestId('opp-name').click();
    await a.page.waitForTimeout(300);
    assert.ok(await menu(a).isHidden(), 'no menu for a bot');

    // B's menu on A's seat is in B's language.
    await seatOf(b, nameA).getByTestId('opp-name').click();
    await menu(b).waitFor({ state: 'visible' });
    assert.equal(await menu(b).getAttribute('data-user-id'), a.id);
    assert.equal((await menu(b).getByTestId('chat-menu-message').textContent()).trim(), '发消息');
    assert.equal((await menu(b).getByTestId('chat-menu-friend').textContent()).trim(), '加好友');
    assert.equal((await menu(b).getByTestId('chat-menu-block').textContent()).trim(), '屏蔽');
    assert.ok((await menu(b).textContent()).includes(`玩家 ID ${a.id}`), 'the player id, in Chinese');
    await shot(b.page, 'chat-seat-menu-zh-1280x800');
    await b.page.keyboard.press('Escape'); // Escape closes it
    await menu(b).waitFor({ state: 'hidden' });

    // ---- A asks B from B's seat
    await seatMenuShots(a, () => seatOf(a, nameB), 'chat-seat-menu');
    await seatOf(a, nameB).getByTestId('opp-name').click();
    await menu(a).waitFor({ state: 'visible' });
    assert.equal(await menu(a).getAttribute('data-user-id'), b.id, 'the menu is about B');
    assert.ok((await menu(a).textContent()).includes(nameB), 'titled with B\'s name');
    await menu(a).getByTestId('chat-menu-friend').click();
    await menu(a).waitFor({ state: 'hidden' });
    await a.page.getByTestId('toast').filter({ hasText: 'Friend request sent.' }).waitFor();
    let fl = await rpc(a, 'friend.list');
    assert.equal((fl.friends || []).find((f) => f.user_id === b.id)?.state, 'pending_out', 'the server has the request');

    // ---- B accepts in its friends panel
    await b.page.getByTestId('toast').filter({ hasText: `${nameA} 想加你为好友。` }).waitFor();
    await toList(b);
    await b.page.getByTestId('chat-tab-people').click();
    await b.page.locator(`[data-testid=chat-friend][data-user-id="${a.id}"][data-state=pending_in]`).getByTestId('chat-friend-accept').click();
    const friendA = b.page.locator(`[data-testid=chat-friend][data-user-id="${a.id}"][data-state=accepted]`);
    await friendA.locator('[data-testid=chat-online][data-status=in_game]').waitFor();
    await friendA.getByTestId('chat-in-game').filter({ hasText: '游戏中' }).waitFor();

    // ---- A lists B as a friend in a game, as the server says
    await a.page.getByTestId('toast').filter({ hasText: `${nameB} accepted your friend request.` }).waitFor();
    await toList(a);
    await a.page.getByTestId('chat-tab-people').click();
    const friendB = a.page.locator(`[data-testid=chat-friend][data-user-id="${b.id}"][data-state=accepted]`);
    await friendB.locator('[data-testid=chat-online][data-status=in_game]').waitFor();
    await friendB.getByTestId('chat-in-game').filter({ hasText: 'in a game' }).waitFor();
    await shotBoth(a.page, 'chat-seat-friend');
    fl = await rpc(a, 'friend.list');
    const fb = (fl.friends || []).find((f) => f.user_id === b.id);
    assert.equal(fb?.state, 'accepted', 'friends on the server');
    assert.equal(fb?.status, 'in_game', 'the server says B is in a game');
    assert.deepEqual(fl.blocked || [], [], 'nobody blocked yet');
    const fa = ((await rpc(b, 'friend.list')).friends || []).find((f) => f.user_id === a.id);
    assert.equal(fa?.state, 'accepted');

    // ---- A blocks B from the seat
    await closePanel(a);
    await seatOf(a, nameB).getByTestId('opp-name').click();
    await menu(a).waitFor({ state: 'visible' });
    assert.equal(await menu(a).getByTestId('chat-menu-friend').count(), 0, 'a friend is not asked again');
    await menu(a).getByTestId('chat-menu-block').filter({ hasText: /^Block$/ }).click();
    await a.page.getByTestId('toast').filter({ hasText: `${nameB} is blocked` }).waitFor();
    fl = await rpc(a, 'friend.list');
    assert.deepEqual(fl.blocked, [b.id], 'the server has B blocked');
    assert.ok(!(fl.friends || []).some((f) => f.user_id === b.id), 'a block ends the friendship');
    await seatOf(a, nameB).getByTestId('opp-name').click();
    await menu(a).getByTestId('chat-menu-block').filter({ hasText: /^Unblock$/ }).waitFor();
    await a.page.getByTestId('me-name').click();
    await menu(a).waitFor({ state: 'hidden' });

    // ---- the world chat: B's lines hidden for A, old and new; A's reach B
    await openConv(a, 'world');
    await msgWith(a, 'b in the world before the table').waitFor({ state: 'detached' });
    await openConv(b, 'world');
    await say(b, 'b in the world after the block');
    await say(a, 'a in the world after the block');
    await msgWith(b, 'a in the world after the block').waitFor();
    assert.ok(!(await bodies(a)).some((t) => t.startsWith('b in the world')), 'A sees nothing of B');
    const histA = await rpc(a, 'chat.history', { conversation_id: world, limit: 100 });
    assert.ok((histA.messages || []).some((m) => m.sender_id === a.id), 'A\'s own line is in A\'s history');
    assert.ok(!(histA.messages || []).some((m) => m.sender_id === b.id), 'the server leaves B out of A\'s history');
    const histB = await rpc(b, 'chat.history', { conversation_id: world, limit: 100 });
    assert.equal((histB.messages || []).filter((m) => m.sender_id === b.id).length, 2, 'B\'s lines are stored');
    await toList(a);
    await a.page.getByTestId('chat-tab-people').click();
    await a.page.locator(`[data-testid=chat-blocked][data-user-id="${b.id}"]`).getByTestId('chat-unblock').waitFor();
    await shotBoth(a.page, 'chat-seat-blocked');
    for (const p of [a, b]) assert.deepEqual(p.errors, [], `${p.name}: no console errors`);
    assert.deepEqual(warnings, [], 'every string is in the catalogue');
  } catch (err) {
    for (const p of [a, b]) await shot(p.page, `failure-chat-${p.name}`).catch(() => {});
    throw err;
  }
});
