// A game that ends while the player is offline: the client shows its result
// from the game record when it comes back. Usage: LORDGAME_BIN=... node dev/missed-end.mjs
import { startServer, launchBrowser, openPage, shot } from '../lib/harness.mjs';
import { loginAsGuest, startPractice } from '../lib/play.mjs';

const server = await startServer();
const browser = await launchBrowser();
try {
  const { page, context, errors } = await openPage(browser);
  await loginAsGuest(page, server.base);
  await startPractice(page);
  await page.getByTestId('btn-auto').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=table-screen]').dataset.auto === 'true');
  await context.setOffline(true);
  await page.evaluate(() => window.lordgame.conn.ws && window.lordgame.conn.ws.close());
  await page.waitForTimeout(70_000);
  await context.setOffline(false);
  await page.getByTestId('result-screen').waitFor({ state: 'visible', timeout: 30_000 });
  await shot(page, 'dev/missed-end');
  console.log('result shown:', await page.getByTestId('result-title').textContent(), errors.filter((e) => !/WebSocket/.test(e)));
} catch (e) {
  console.log('FAILED', e.message.split('\n')[0]);
} finally {
  await browser.close();
  await server.stop();
}
