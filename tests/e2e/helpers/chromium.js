// Headless Chromium for browser tests: Debian's /usr/bin/chromium driven by
// playwright-core (which cannot download its own browsers here), and pages
// that record everything that went wrong in them.
//
//   const browser = await launchChromium();
//   const page = await openPage(browser, url);
//   ... page.evaluate(...) ...
//   assertNoPageProblems(page);
//   await browser.close();
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.TPGATE_CHROMIUM || '/usr/bin/chromium';

// Without the background-networking flags Chromium keeps dialling Google's
// hosts, which a closed network refuses; --no-sandbox because CI runs as root.
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export async function launchChromium() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `browser tests need Chromium at ${CHROMIUM}, which does not exist: ` +
        'install it with `apt-get install -y chromium`, or set TPGATE_CHROMIUM to a Chromium binary',
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}

/**
 * Opens `url` in a new page. `page.problems` collects uncaught page errors,
 * console errors and failed requests; `page.consoleLines` every console line.
 */
export async function openPage(browser, url) {
  const page = await browser.newPage();
  const problems = [];
  const consoleLines = [];
  page.on('pageerror', (err) => problems.push(`uncaught in page: ${err.stack || err.message}`));
  page.on('console', (msg) => {
    const line = `[${msg.type()}] ${msg.text()}`;
    consoleLines.push(line);
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
  });
  page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()}: ${req.failure()?.errorText}`));
  page.on('crash', () => problems.push('the page crashed'));
  page.problems = problems;
  page.consoleLines = consoleLines;
  const response = await page.goto(url);
  if (!response?.ok()) throw new Error(`cannot load ${url}: HTTP ${response?.status()}`);
  return page;
}

/**
 * Awaits a page-side promise; when it fails (or the page threw meanwhile), the
 * error carries the page's console, which says how far the page got.
 */
export async function inPage(page, promise) {
  try {
    return await promise;
  } catch (err) {
    err.message += `\n--- page console ---\n${page.consoleLines.join('\n')}\n--- page problems ---\n${page.problems.join('\n')}`;
    throw err;
  }
}

/** Fails with the page's console when the page reported any problem (see openPage). */
export function assertNoPageProblems(page) {
  assert.deepEqual(page.problems, [], `the page reported problems:\n${page.consoleLines.join('\n')}`);
}

/**
 * Awaits the set-up steps of a before() hook in parallel; each step keeps
 * what it started as soon as it started (`.then((b) => (broker = b))`), so
 * after() can stop it when another step failed. Throws the first failure.
 */
export async function startAll(steps) {
  const started = await Promise.allSettled(steps);
  const failed = started.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}
