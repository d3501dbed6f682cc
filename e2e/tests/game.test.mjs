// End-to-end tests of the browser client against the real server, in
// Debian's Chromium. Run with e2e/run.sh (or: node --test tests/).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, withPage, shotBoth, shot, PHONE } from '../lib/harness.mjs';
import {
  loginAsGuest, startPractice, handRanks, attr, tapCard, waitMyTurnOrEnd, waitSeqAfter,
  bid, playWithHint, takeTurn, playToEnd,
} from '../lib/play.mjs';

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

const sorted = (xs) => [...xs].sort();

test('a guest plays a practice game against two bots to the end', { timeout: 300_000 }, async () => {
  await withPage(browser, 'guest-game', async ({ page, errors }) => {
    await loginAsGuest(page, server.base);
    await page.getByTestId('lobby-coins').filter({ hasText: /\d/ }).waitFor();
    assert.match(await page.getByTestId('lobby-name').textContent(), /\S/);
    await shotBoth(page, 'lobby');

    await startPractice(page);
    assert.equal((await handRanks(page)).length, 17, 'a farmer-size hand is dealt');
    assert.match(await page.getByTestId('opp-left').getByTestId('opp-name').textContent(), /\S/);
    assert.match(await page.getByTestId('opp-right').getByTestId('opp-name').textContent(), /\S/);

    // Dragging across the hand selects every card passed over; Escape clears.
    await page.waitForTimeout(800); // the deal animation settles
    const boxes = await page.locator('[data-testid=hand-card]').evaluateAll((els) => els.map((e) => {
      const r = e.getBoundingClientRect();
      return { x: r.left + 6, y: r.top + 40 };
    }));
    await page.mouse.move(boxes[2].x, boxes[2].y);
    await page.mouse.down();
    for (let i = 3; i <= 5; i++) await page.mouse.move(boxes[i].x, boxes[i].y, { steps: 4 });
    await page.mouse.up();
    assert.equal(await page.locator('[data-testid=hand-card].sel').count(), 4, 'drag selects four cards');
    await page.locator('body').press('Escape');
    assert.equal(await page.locator('[data-testid=hand-card].sel').count(), 0);

    // A quick chat phrase shows as a bubble at the player's seat.
    await page.getByTestId('btn-chat').click();
    await page.getByTestId('chat-phrase').first().click();
    await page.getByTestId('played-me').getByTestId('chat-bubble').waitFor({ state: 'visible' });

    let tableShot = false;
    const moves = await playToEnd(page, {
      onTurn: async (n, phase) => {
        // Mid-game: cards on the table from at least two seats.
        if (!tableShot && phase === 'playing' && (n >= 8 || (await page.locator('.played .cards').count()) >= 2)) {
          await shotBoth(page, 'table');
          tableShot = true;
        }
      },
    });
    assert.ok(moves > 0, 'the player made moves');
    assert.ok(tableShot, 'a mid-game table screenshot was taken');

    const result = page.getByTestId('result-screen');
    await result.waitFor({ state: 'visible' });
    assert.match(await page.getByTestId('result-title').textContent(), /You win|You lose/);
    const breakdown = await page.getByTestId('result-breakdown').textContent();
    for (const w of ['Bid', 'Bombs', 'Spring', 'Multiplier']) assert.ok(breakdown.includes(w), `breakdown shows ${w}: ${breakdown}`);
    await shotBoth(page, 'result');

    await page.getByTestId('result-lobby').click();
    await page.getByTestId('lobby-screen').waitFor({ state: 'visible' });
    assert.deepEqual(errors, [], 'no console errors');
  });
});

test('a registered user reloads mid-hand and gets the same table back', { timeout: 300_000 }, async () => {
  await withPage(browser, 'reload', async ({ page, errors }) => {
    const username = `e2e_${Date.now().toString(36)}`;
    const password = 'correct horse battery';
    await page.goto(server.base + '/');
    await page.getByTestId('tab-register').click();
    await page.getByTestId('auth-username').fill(username);
    await page.getByTestId('auth-password').fill(password);
    await page.getByTestId('auth-password2').fill(password);
    await page.getByTestId('auth-submit').click();
    await page.getByTestId('lobby-screen').waitFor({ state: 'visible' });

    // Log out and in again with the password.
    await page.getByTestId('logout-btn').click();
    await page.getByTestId('auth-screen').waitFor({ state: 'visible' });
    await page.getByTestId('auth-username').fill(username);
    await page.getByTestId('auth-password').fill('wrong password!');
    await page.getByTestId('auth-submit').click();
    await page.getByTestId('auth-error').waitFor({ state: 'visible' });
    assert.match(await page.getByTestId('auth-error').textContent(), /\S/);
    // The browser itself logs the expected 401 of the wrong password as a
    // failed resource load; that line, and only that, is not a client error.
    const expected = errors.filter((e) => /Failed to load resource: .*status of 401/.test(e));
    assert.ok(expected.length <= 1);
    errors.splice(0, errors.length, ...errors.filter((e) => !expected.includes(e)));
    await page.getByTestId('auth-password').fill(password);
    await page.getByTestId('auth-submit').click();
    await page.getByTestId('lobby-screen').waitFor({ state: 'visible' });
    await page.getByTestId('lobby-name').filter({ hasText: username }).waitFor();

    // A new display name shows in the lobby.
    await page.getByTestId('profile-edit').click();
    await page.getByTestId('name-input').fill('Ace Player');
    await page.getByTestId('name-save').click();
    await page.getByTestId('lobby-name').filter({ hasText: 'Ace Player' }).waitFor();
    await page.getByTestId('profile-dialog').waitFor({ state: 'hidden' });

    await startPractice(page);
    // Play into the hand: bid, then a move or two.
    for (let n = 0; n < 3; n++) {
      const st = await waitMyTurnOrEnd(page);
      if (st === 'end') break;
      await takeTurn(page);
    }
    await page.waitForTimeout(300);
    const before = {
      hand: sorted(await handRanks(page)),
      seat: await attr(page, 'seat'),
      game: await attr(page, 'game-id'),
      landlord: await attr(page, 'landlord'),
      left: await page.getByTestId('opp-left').getByTestId('opp-name').textContent(),
      right: await page.getByTestId('opp-right').getByTestId('opp-name').textContent(),
    };
    assert.ok(before.hand.length > 0);

    // Make the stored access token look about to expire: the client must
    // refresh it (rotating the refresh token) before it reconnects.
    const oldRefresh = await page.evaluate(() => {
      const s = JSON.parse(localStorage.getItem('lordgame.session'));
      s.expires_at = Date.now() + 5_000;
      localStorage.setItem('lordgame.session', JSON.stringify(s));
      return s.refresh_token;
    });
    await page.reload();
    await page.getByTestId('table-screen').waitFor({ state: 'visible', timeout: 30_000 });
    const newRefresh = await page.evaluate(() => JSON.parse(localStorage.getItem('lordgame.session')).refresh_token);
    assert.notEqual(newRefresh, oldRefresh, 'the token was refreshed before it expired');
    await page.locator('[data-testid=hand-card]').first().waitFor();
    const after = {
      hand: sorted(await handRanks(page)),
      seat: await attr(page, 'seat'),
      game: await attr(page, 'game-id'),
      landlord: await attr(page, 'landlord'),
      left: await page.getByTestId('opp-left').getByTestId('opp-name').textContent(),
      right: await page.getByTestId('opp-right').getByTestId('opp-name').textContent(),
    };
    // Bots may have moved meanwhile, but the player's hand only changes on
    // the player's own moves.
    assert.deepEqual(after, before, 'the table comes back with the same hand');

    // And the game goes on from there.
    const st = await waitMyTurnOrEnd(page);
    if (st !== 'end') await takeTurn(page);
    assert.deepEqual(errors, [], 'no console errors');
  });
});

test('an illegal play shows the server reason and the game goes on (phone, touch)', { timeout: 300_000 }, async () => {
  await withPage(browser, 'illegal-play', async ({ page, errors }) => {
    // The server's own words for the rejected play, read off the socket.
    const serverErrors = [];
    page.on('websocket', (ws) => {
      ws.on('framereceived', (f) => {
        try {
          const m = JSON.parse(String(f.payload));
          if (m.kind === 'response' && m.route === 'ddz.play' && m.error) serverErrors.push(m.error);
        } catch {
          // not JSON
        }
      });
    });
    await loginAsGuest(page, server.base);
    await startPractice(page);
    for (;;) {
      const st = await waitMyTurnOrEnd(page);
      assert.notEqual(st, 'end', 'the hand ended before the player could play');
      if (st === 'playing') break;
      const before = await attr(page, 'seq');
      await bid(page);
      await waitSeqAfter(page, before);
    }
    const hand = await handRanks(page);
    const seq = await attr(page, 'seq');
    // Two cards of different ranks (not the rocket) are never a legal play.
    const cards = page.locator('[data-testid=hand-card]');
    const ranks = [...new Set(hand.filter((r) => r !== 'BJ' && r !== 'RJ'))];
    assert.ok(ranks.length >= 2);
    const a = hand.lastIndexOf(ranks[ranks.length - 1]);
    const b = hand.lastIndexOf(ranks[ranks.length - 2]);
    await tapCard(cards.nth(a));
    await tapCard(cards.nth(b));
    assert.equal(await page.locator('[data-testid=hand-card].sel').count(), 2);
    await page.getByTestId('btn-play').tap();

    const err = page.getByTestId('table-error');
    await err.waitFor({ state: 'visible' });
    assert.equal(serverErrors.length, 1, 'the server rejected the play');
    assert.equal(await err.getAttribute('data-rule'), serverErrors[0].rule);
    if (serverErrors[0].message) assert.equal((await err.textContent()).trim().toLowerCase(), serverErrors[0].message.trim().toLowerCase());
    assert.match(serverErrors[0].rule, /invalid_combination|does_not_beat/);
    await shot(page, 'illegal-play-390x844');

    // Nothing changed: same hand, same turn, the table still works.
    assert.deepEqual(await handRanks(page), hand);
    assert.equal(await attr(page, 'seq'), seq);
    assert.equal(await attr(page, 'my-turn'), 'true');
    await page.locator('body').press('Escape');
    const what = await playWithHint(page);
    assert.ok(what === 'play' || what === 'pass', `a legal move was made (${what})`);
    await waitSeqAfter(page, seq);
    if (what === 'play') assert.ok((await handRanks(page)).length < hand.length, 'the legal play left the hand');
    assert.deepEqual(errors, [], 'no console errors');
  }, PHONE);
});

test('a dropped connection shows reconnecting, backs off, and restores the table', { timeout: 300_000 }, async () => {
  await withPage(browser, 'reconnect', async ({ page, context, errors }) => {
    await loginAsGuest(page, server.base);
    await startPractice(page);
    const st = await waitMyTurnOrEnd(page);
    if (st !== 'end') await takeTurn(page);
    const hand = sorted(await handRanks(page));
    const game = await attr(page, 'game-id');

    // The network goes away and the socket with it.
    await context.setOffline(true);
    await page.evaluate(() => window.lordgame.conn.ws && window.lordgame.conn.ws.close());
    const banner = page.getByTestId('conn-banner');
    await banner.waitFor({ state: 'visible' });
    assert.match(await banner.textContent(), /Reconnecting/);
    await page.waitForFunction(() => /attempt [2-9]/.test(document.getElementById('conn-text').textContent), null, { timeout: 15_000 });
    await shotBoth(page, 'reconnecting');

    await context.setOffline(false);
    await banner.waitFor({ state: 'hidden', timeout: 30_000 });
    await page.getByTestId('table-screen').waitFor({ state: 'visible' });
    assert.equal(await attr(page, 'game-id'), game);
    await page.waitForFunction(() => document.querySelector('[data-testid=table-screen]').dataset.auto !== 'true', null, { timeout: 10_000 });
    const after = sorted(await handRanks(page));
    // The hand is the same unless the seat played on auto-play meanwhile.
    assert.ok(after.length <= hand.length && after.every((c) => hand.includes(c)), 'the table is restored');

    // Failed reconnect attempts while offline are logged by the browser
    // itself; they are the expected ones, not client errors.
    const rest = errors.filter((e) => !/WebSocket connection to .* failed/.test(e));
    assert.deepEqual(rest, [], 'no console errors');
  });
});

test('classic: queue with elapsed time and cancel, bots fill the table, auto-play finishes the hand', { timeout: 300_000 }, async () => {
  await withPage(browser, 'classic', async ({ page, errors }) => {
    await loginAsGuest(page, server.base);
    await page.getByTestId('lobby-coins').filter({ hasText: /\d/ }).waitFor();
    const coinsBefore = Number((await page.getByTestId('lobby-coins').textContent()).replace(/\D/g, ''));

    await page.getByTestId('mode-classic').click();
    const queue = page.getByTestId('queue-status');
    await queue.waitFor({ state: 'visible' });
    await page.getByTestId('queue-elapsed').filter({ hasText: /0:0[2-9]/ }).waitFor({ timeout: 8_000 });
    await page.getByTestId('queue-cancel').click();
    await queue.waitFor({ state: 'hidden' });
    assert.ok(await page.getByTestId('mode-classic').isEnabled());

    // Queue again and wait for the bots to fill the table.
    await page.getByTestId('mode-classic').click();
    await queue.waitFor({ state: 'visible' });
    await page.getByTestId('queue-elapsed').filter({ hasText: /0:0[1-9]/ }).waitFor({ timeout: 8_000 });
    await shotBoth(page, 'queue');
    await page.getByTestId('table-screen').waitFor({ state: 'visible', timeout: 60_000 });
    await page.locator('[data-testid=hand-card]').first().waitFor();

    // Auto-play (托管) plays the rest of the hand.
    await page.getByTestId('btn-auto').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=table-screen]').dataset.auto === 'true');
    await page.getByTestId('result-screen').waitFor({ state: 'visible', timeout: 240_000 });
    const delta = await page.getByTestId('result-coins').textContent();
    assert.match(delta, /coins/);
    await shot(page, 'result-classic-1280x800');
    const won = Number((delta.match(/[+-]?\d+/) || ['0'])[0]);

    await page.getByTestId('result-lobby').click();
    await page.getByTestId('lobby-screen').waitFor({ state: 'visible' });
    await page.waitForFunction((want) => Number(document.querySelector('[data-testid=lobby-coins]').textContent.replace(/\D/g, '')) === want, coinsBefore + won, { timeout: 10_000 });
    assert.deepEqual(errors, [], 'no console errors');
  });
});

test('two players at one classic table see each other, chat, and both reach the result', { timeout: 300_000 }, async () => {
  await withPage(browser, 'two-a', async (a) => {
    await withPage(browser, 'two-b', async (b) => {
      await loginAsGuest(a.page, server.base);
      await loginAsGuest(b.page, server.base);
      const nameA = (await a.page.getByTestId('lobby-name').textContent()).trim();
      const nameB = (await b.page.getByTestId('lobby-name').textContent()).trim();
      await a.page.getByTestId('mode-classic').click();
      await b.page.getByTestId('mode-classic').click();
      for (const p of [a.page, b.page]) {
        await p.getByTestId('table-screen').waitFor({ state: 'visible', timeout: 60_000 });
        await p.locator('[data-testid=hand-card]').first().waitFor();
      }
      assert.equal(await attr(a.page, 'game-id'), await attr(b.page, 'game-id'), 'one table');
      const seen = async (p) => [await p.getByTestId('opp-left').getByTestId('opp-name').textContent(), await p.getByTestId('opp-right').getByTestId('opp-name').textContent()];
      assert.ok((await seen(a.page)).includes(nameB), 'A sees B');
      assert.ok((await seen(b.page)).includes(nameA), 'B sees A');

      // A says something; B sees it at A's seat.
      await a.page.getByTestId('btn-chat').click();
      await a.page.getByTestId('chat-text').fill('good luck!');
      await a.page.getByTestId('chat-text').press('Enter');
      await b.page.getByTestId('chat-bubble').filter({ hasText: 'good luck!' }).waitFor();

      await Promise.all([playToEnd(a.page), playToEnd(b.page)]);
      for (const p of [a.page, b.page]) {
        await p.getByTestId('result-screen').waitFor({ state: 'visible' });
        assert.match(await p.getByTestId('result-coins').textContent(), /coins/);
      }
      await shot(b.page, 'result-two-players-1280x800');
      assert.deepEqual(a.errors, [], 'no console errors (A)');
      assert.deepEqual(b.errors, [], 'no console errors (B)');
    });
  });
});

test('the server crashes mid-hand: the client reconnects by itself and the game goes on or is cancelled', { timeout: 300_000 }, async () => {
  await withPage(browser, 'crash', async ({ page, errors }) => {
    await loginAsGuest(page, server.base);
    await startPractice(page);
    const st = await waitMyTurnOrEnd(page);
    if (st !== 'end') await takeTurn(page);
    const game = await attr(page, 'game-id');
    const hand = sorted(await handRanks(page));

    await server.crash(); // kill -9, then start again on the same port and data
    // The client notices, reconnects with backoff (its resume token is no
    // good on the new process) and asks for its table.
    await page.waitForFunction(() => document.body.dataset.conn === 'open' && document.getElementById('conn-banner').hidden, null, { timeout: 60_000 });
    await page.waitForFunction(
      (g) => {
        const t = document.querySelector('[data-testid=table-screen]');
        const l = document.querySelector('[data-testid=lobby-screen]');
        return (!t.hidden && t.dataset.gameId === g && t.dataset.phase !== 'paused') || !l.hidden;
      },
      game,
      { timeout: 60_000 },
    );
    if (await page.getByTestId('table-screen').isVisible()) {
      // Resumed from the game's log: same hand (unless auto-play moved
      // while the player was away), and it can be played on.
      const after = sorted(await handRanks(page));
      assert.ok(after.length > 0 && after.every((c) => hand.includes(c)), `same hand after the restart: ${after} vs ${hand}`);
      const st2 = await waitMyTurnOrEnd(page);
      if (st2 !== 'end') await takeTurn(page);
    } else {
      // Cancelled: the lobby says so.
      await page.getByTestId('toast').filter({ hasText: /cancelled/i }).waitFor();
    }
    // Failed connection attempts while the server was down are logged by
    // the browser itself.
    const rest = errors.filter((e) => !/WebSocket connection to .* failed|Failed to load resource/.test(e));
    assert.deepEqual(rest, [], 'no console errors');
  });
});
