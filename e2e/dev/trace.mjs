// Plays practice games with the hint, logging every WebSocket frame, to
// debug stalls. Usage: LORDGAME_BIN=... node dev/trace.mjs [games]
import fs from 'node:fs';
import { startServer, launchBrowser, openPage, ARTIFACTS } from '../lib/harness.mjs';
import { loginAsGuest, startPractice, playToEnd } from '../lib/play.mjs';

const server = await startServer();
const browser = await launchBrowser();
const log = fs.createWriteStream(`${ARTIFACTS}/trace.log`);
const t0 = Date.now();
try {
  const { page } = await openPage(browser);
  page.on('websocket', (ws) => {
    ws.on('framesent', (f) => log.write(`${Date.now() - t0} > ${String(f.payload).slice(0, 400)}\n`));
    ws.on('framereceived', (f) => { const p = String(f.payload); if (!p.includes('"heartbeat"')) log.write(`${Date.now() - t0} < ${p.slice(0, 600)}\n`); });
  });
  await loginAsGuest(page, server.base);
  const n = Number(process.argv[2] || 3);
  for (let g = 0; g < n; g++) {
    if (g > 0) {
      await page.getByTestId('result-lobby').click();
    }
    await startPractice(page);
    const moves = await playToEnd(page);
    console.log('game', g, 'moves', moves, 'at', Date.now() - t0);
  }
} catch (e) {
  console.log('FAILED at', Date.now() - t0, e.message.split('\n')[0]);
} finally {
  log.end();
  await browser.close();
  await server.stop();
}
