// Layout check without a game server: serves web/static, feeds the client
// a fixture snapshot and takes screenshots. Usage: node dev/fixture-shots.mjs
import { chromium } from 'playwright-core';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../../web/static');
const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };
const srv = http.createServer((req, res) => {
  let p = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  if (p === '/') p = '/index.html';
  const f = path.join(root, p);
  if (!f.startsWith(root) || !fs.existsSync(f)) { res.writeHead(404); res.end(); return; }
  res.writeHead(200, { 'Content-Type': types[path.extname(f)] || 'application/octet-stream' });
  fs.createReadStream(f).pipe(res);
});
await new Promise((r) => srv.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${srv.address().port}`;
const out = path.resolve(import.meta.dirname, '../artifacts/dev');
fs.mkdirSync(out, { recursive: true });

const snap = {
  game_id: '123', mode: 'practice', seat: 0, phase: 'playing', deal: 1, turn: 0, leading: false,
  time_left_ms: 17000, hand: ['3', '3', '4', '5', '6', '7', '8', '9', '9', '10', 'J', 'Q', 'K', 'A', '2', '2', 'BJ'],
  landlord: 1, bottom: ['5', 'K', 'RJ'], highest_bid: 2, multiplier: 4, base_stake: 1,
  current: { cards: ['8', '8', '8', '4'], type: 'trio_single' }, current_seat: 2,
  seats: [
    { seat: 0, user_id: '5', name: 'Guest 4821', cards: 17, online: true },
    { seat: 1, user_id: '0', name: 'Bot Lucky', bot: true, cards: 15, online: true, autoplay: false },
    { seat: 2, user_id: '0', name: 'Bot Brave', bot: true, cards: 13, online: true },
  ],
  round: [
    { kind: 'play', seat: 1, cards: ['6', '6', '6', '3'], type: 'trio_single' },
    { kind: 'play', seat: 2, cards: ['8', '8', '8', '4'], type: 'trio_single' },
  ],
  phrases: ['Hello!', 'Nice play!', 'Hurry up!'],
};
const bidding = { ...snap, phase: 'bidding', landlord: -1, bottom: [], current: null, current_seat: -1, round: [], highest_bid: 1, multiplier: 0,
  log: [{ kind: 'deal', seat: 1, value: 1 }, { kind: 'bid', seat: 1, value: 1 }, { kind: 'bid', seat: 2 }],
  seats: snap.seats.map((s) => ({ ...s, cards: 17 })) };
const result = { game_id: '124', landlord: 1, landlord_won: false, winner: 0, base_stake: 1, bid_value: 2, bombs: 1, spring: false, multiplier: 4, scores: ['4', '-8', '4'], coins: [], rating: [] };

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] });
const sizes = process.env.SIZES ? process.env.SIZES.split(',').map((s) => { const [w, h] = s.split('x').map(Number); return [w, h, s]; }) : [[1280, 800, 'desktop'], [390, 844, 'phone']];
for (const [w, h, tag] of sizes) {
  const page = await browser.newPage({ viewport: { width: w, height: h }, deviceScaleFactor: 1 });
  page.on('console', (m) => { if (m.type() === 'error') console.log(tag, 'console error:', m.text()); });
  page.on('pageerror', (e) => console.log(tag, 'page error:', e.message));
  await page.goto(base + '/');
  await page.waitForSelector('[data-testid=auth-screen]:not([hidden])');
  await page.screenshot({ path: `${out}/auth-${tag}.png` });
  await page.evaluate(() => { const a = window.lordgame; a.show('lobby'); a.account = { username: 'guest_4821', display_name: 'Guest 4821', guest: true, balance: 1000, rating: 1500, stats: { games: 12, wins: 7, landlord_games: 4, farmer_games: 8, best_multiplier: 8 } }; a.renderAccount(); a.queue = { mode: 'classic', since: Date.now() - 7000, position: 2, eta: 3000, state: 'queued' }; a.renderQueue(); });
  await page.screenshot({ path: `${out}/lobby-${tag}.png` });
  await page.click('[data-testid=profile-edit]');
  await page.waitForTimeout(350);
  await page.screenshot({ path: `${out}/profile-${tag}.png` });
  await page.click('[data-testid=profile-close]');
  await page.evaluate((s) => window.lordgame.onSnapshot(s), bidding);
  await page.waitForTimeout(600);
  await page.screenshot({ path: `${out}/bidding-${tag}.png` });
  await page.evaluate((s) => window.lordgame.onSnapshot({ ...s, game_id: '124' }), snap);
  await page.waitForTimeout(600);
  await page.locator('[data-testid=hand-card][data-rank="9"]').first().click({ position: { x: 6, y: 40 } });
  await page.evaluate(() => window.lordgame.showTableError({ message: 'those cards do not beat the current play', rule: 'does_not_beat' }));
  await page.evaluate(() => window.lordgame.onChat({ seat: 1, phrase: 2 }));
  await page.screenshot({ path: `${out}/table-${tag}.png` });
  await page.evaluate(() => window.lordgame.conn.setState('reconnecting', { attempt: 3, delay: 2000 }));
  await page.screenshot({ path: `${out}/banner-${tag}.png` });
  await page.evaluate(() => window.lordgame.conn.setState('idle'));
  await page.click('[data-testid=btn-chat]');
  await page.screenshot({ path: `${out}/chat-${tag}.png` });
  await page.click('[data-testid=btn-chat]');
  await page.evaluate((s) => window.lordgame.onSnapshot({ ...s, game_id: '125', current: { cards: ['3', '4', '5', '6', '7', '8', '9', '10', 'J', 'Q', 'K', 'A'], type: 'straight' }, current_seat: 1,
    round: [
      { kind: 'play', seat: 2, cards: ['8', '8', '8', '9', '9', '9', '10', '10', '10', '3', '4', '5'], type: 'airplane_single' },
      { kind: 'play', seat: 0, cards: ['5', '5', '6', '6', '7', '7', '8', '8'], type: 'pair_chain' },
      { kind: 'play', seat: 1, cards: ['3', '4', '5', '6', '7', '8', '9', '10', 'J', 'Q', 'K', 'A'], type: 'straight' },
    ] }), snap);
  await page.waitForTimeout(600);
  await page.screenshot({ path: `${out}/long-${tag}.png` });
  await page.evaluate(() => window.lordgame.fx('BOMB!', '×8'));
  await page.waitForTimeout(450);
  await page.screenshot({ path: `${out}/bomb-${tag}.png` });
  await page.evaluate(() => window.lordgame.fx('Guest 4821 is the landlord', 'bid 3', true));
  await page.waitForTimeout(450);
  await page.screenshot({ path: `${out}/landlord-${tag}.png` });
  await page.evaluate((s) => window.lordgame.onSnapshot({ ...s, game_id: '124' }), snap);
  await page.evaluate((r) => window.lordgame.onResult(r), result);
  await page.waitForTimeout(400);
  await page.screenshot({ path: `${out}/result-${tag}.png` });
  await page.close();
}
await browser.close();
srv.close();
console.log('shots in', out);
