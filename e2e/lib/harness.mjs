// Test harness: builds and starts the real LordGame server on a free port
// with a temporary data directory, drives Debian's Chromium through
// playwright-core, and collects console errors so a test can fail on them.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const E2E = path.resolve(import.meta.dirname, '..');
export const ROOT = path.resolve(E2E, '..');
export const ARTIFACTS = path.join(E2E, 'artifacts');

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

let pages = 0;

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

function goBinary() {
  for (const p of (process.env.PATH || '').split(path.delimiter)) {
    if (p && fs.existsSync(path.join(p, 'go'))) return path.join(p, 'go');
  }
  return '/usr/local/go/bin/go';
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// startServer builds ./cmd/lordgame (unless LORDGAME_BIN names a binary)
// and runs it until stop() is called.
export async function startServer() {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  // Screenshots of an earlier run are cleared by run.sh, once per run, so
  // that each test file keeps its own next to the others'.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lordgame-e2e-'));
  let bin = process.env.LORDGAME_BIN;
  if (!bin) {
    bin = path.join(tmp, 'lordgame');
    const b = spawnSync(goBinary(), ['build', '-o', bin, './cmd/lordgame'], {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, GOFLAGS: process.env.GOFLAGS || '-buildvcs=false' },
    });
    if (b.status !== 0) throw new Error(`go build ./cmd/lordgame failed (exit ${b.status})`);
  }
  const port = await freePort();
  const data = path.join(tmp, 'data');
  fs.mkdirSync(data);
  const log = fs.openSync(path.join(ARTIFACTS, 'server.log'), 'w');
  const base = `http://127.0.0.1:${port}`;
  let proc = null;
  let exited = true;

  // run starts the binary on the port and data folder and waits for /readyz.
  const run = async () => {
    exited = false;
    const p = spawn(bin, ['-http', `127.0.0.1:${port}`, '-tcp', 'off', '-data', data], {
      cwd: tmp,
      stdio: ['ignore', log, log],
    });
    p.on('exit', () => {
      if (proc === p) exited = true;
    });
    proc = p;
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (exited) throw new Error(`the server exited at start; see ${path.join(ARTIFACTS, 'server.log')}`);
      try {
        const r = await fetch(`${base}/readyz`);
        if (r.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        p.kill('SIGKILL');
        throw new Error('the server did not become ready within 60 s');
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const halt = async (signal) => {
    if (exited || !proc) return;
    const p = proc;
    const done = new Promise((r) => p.once('exit', r));
    p.kill(signal);
    const t = setTimeout(() => p.kill('SIGKILL'), 10_000);
    await done;
    clearTimeout(t);
    exited = true;
  };

  await run();
  return {
    base,
    // bin and data let a test run lordgame commands (admin grant) on the
    // server's database.
    bin,
    data,
    get proc() {
      return proc;
    },
    // crash kills the server with SIGKILL and starts it again on the same
    // port and data: a crash and restart in the middle of a game.
    async crash() {
      await halt('SIGKILL');
      await run();
    },
    async stop() {
      await halt('SIGTERM');
      fs.closeSync(log);
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

// openPage opens a fresh browser context (its own localStorage) and
// collects every console error and uncaught exception of its pages. The
// browser's language is en-US unless locale names another (the page
// takes its default language from it).
export async function openPage(browser, viewport = DESKTOP, { locale = 'en-US' } = {}) {
  // A phone-sized page is a touch phone: taps, not clicks.
  const phone = viewport.width < 600;
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1, hasTouch: phone, isMobile: phone, locale });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  if (process.env.E2E_TRACE) {
    // Every WebSocket frame but heartbeats, for debugging: artifacts/frames-*.log.
    const log = fs.createWriteStream(path.join(ARTIFACTS, `frames-${++pages}.log`));
    const t0 = Date.now();
    page.on('websocket', (ws) => {
      ws.on('framesent', (f) => log.write(`${Date.now() - t0} > ${f.payload}\n`));
      ws.on('framereceived', (f) => {
        if (!String(f.payload).includes('"heartbeat"')) log.write(`${Date.now() - t0} < ${f.payload}\n`);
      });
    });
    context.on('close', () => log.end());
  }
  page.setDefaultTimeout(20_000);
  return { context, page, errors };
}

// shot saves artifacts/<name>.png; name may name a folder ("screens/x").
export async function shot(page, name) {
  const file = path.join(ARTIFACTS, `${name}.png`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await page.screenshot({ path: file });
  return file;
}

// shotBoth takes the screenshot at the desktop and the phone width
// (<name>-1280x800, <name>-390x844), and leaves the page at the size it
// had. sizes picks other sizes; check(size) runs at each size before its
// screenshot (to scroll a panel into view, or to assert what shows).
export async function shotBoth(page, name, { sizes = [DESKTOP, PHONE], check } = {}) {
  const before = page.viewportSize();
  for (const size of sizes) {
    await page.setViewportSize(size);
    await page.waitForTimeout(250);
    if (check) await check(size);
    await shot(page, `${name}-${size.width}x${size.height}`);
  }
  await page.setViewportSize(before);
  await page.waitForTimeout(100);
}

// withPage runs fn with a fresh page; on failure it saves a screenshot as
// artifacts/failure-<name>.png before passing the error on.
export async function withPage(browser, name, fn, viewport = DESKTOP, opts = {}) {
  const p = await openPage(browser, viewport, opts);
  try {
    await fn(p);
  } catch (err) {
    try {
      await shot(p.page, `failure-${name}`);
    } catch {
      // the page may be gone
    }
    if (p.errors.length) err.message += `\nconsole errors on the page:\n  ${p.errors.join('\n  ')}`;
    throw err;
  } finally {
    await p.context.close();
  }
}
