// The suit of a played card is the one the player picked; bottom cards keep
// their suits in the landlord's hand. Usage: LORDGAME_BIN=... node dev/suits.mjs
import { startServer, launchBrowser, openPage, shot } from '../lib/harness.mjs';
import { loginAsGuest, startPractice, waitMyTurnOrEnd, bid, waitSeqAfter, attr, clickCard } from '../lib/play.mjs';

const server = await startServer();
const browser = await launchBrowser();
try {
  const { page, errors } = await openPage(browser);
  await loginAsGuest(page, server.base);
  await startPractice(page);
  for (;;) {
    const st = await waitMyTurnOrEnd(page);
    if (st === 'playing') break;
    const before = await attr(page, 'seq');
    await bid(page);
    await waitSeqAfter(page, before);
  }
  const labels = await page.locator('[data-testid=hand-card]').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
  const bottom = await page.locator('[data-testid=bottom-cards] .card').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
  console.log('hand', labels.join(' '));
  console.log('bottom', bottom.join(' '), 'landlord?', await attr(page, 'landlord'), await attr(page, 'seat'));
  const leading = await page.getByTestId('btn-pass').isDisabled();
  if (leading) {
    // play the second copy of the first rank with two copies, as a single
    const ranks = await page.locator('[data-testid=hand-card]').evaluateAll((els) => els.map((e) => e.dataset.rank));
    const i = ranks.findIndex((r, k) => k > 0 && ranks[k - 1] === r);
    const label = labels[i];
    await clickCard(page.locator('[data-testid=hand-card]').nth(i));
    const seq = await attr(page, 'seq');
    await page.getByTestId('btn-play').click();
    await waitSeqAfter(page, seq);
    const played = await page.locator('[data-testid=played-me] .card').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
    const after = await page.locator('[data-testid=hand-card]').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
    console.log('picked', label, 'played', played.join(' '), 'still in hand:', after.includes(label));
    await shot(page, 'dev/suits');
  }
  console.log('errors', errors);
} catch (e) {
  console.log('FAILED', e.message.split('\n')[0]);
} finally {
  await browser.close();
  await server.stop();
}
