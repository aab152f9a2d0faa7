// The dashboard (web/) in browser tests: builds web/dist when it is missing
// or older than its sources, serves it, and opens it in pages that record
// CSP violations, long tasks and everything that went wrong.
//
//   await ensureDashboardBuilt();
//   const server = await startStaticServer({ '/': DASHBOARD_DIST });
//   const page = await openDashboard(browser, `${server.origin}/?url=...`);
//   ... await page.evaluate(() => window.__cspViolations) ...
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';
import { startBroker } from 'tpgate/broker';
import { assertNoPageProblems, launchChromium, openPage, startAll } from './chromium.js';
import { startStaticServer } from './static-server.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const WEB_DIR = path.join(root, 'web');
export const DASHBOARD_DIST = path.join(WEB_DIR, 'dist');
export const SCREENSHOTS_DIR = path.join(root, 'docs', 'screenshots');
/** docs/screenshots/*.png are rewritten only when this is set, so test runs leave the tree clean. */
export const WRITE_SCREENSHOTS = process.env.TPGATE_SCREENSHOTS === '1';

function newestMtime(target) {
  if (!existsSync(target)) return 0;
  const info = statSync(target);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(target)) newest = Math.max(newest, newestMtime(path.join(target, entry)));
  return newest;
}

function run(argv) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${argv.join(' ')} exited ${code}:\n${out}`))));
  });
}

/**
 * `npm test` builds web/dist in its build:web stage; a test run on its own
 * (node --test tests/e2e/dashboard.test.js) builds it here when it is missing
 * or older than web/ or the package's src/ and dist/. Test files run in
 * parallel, so a lock folder keeps two builds apart.
 */
export async function ensureDashboardBuilt() {
  const lock = path.join(WEB_DIR, '.build-lock');
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Another process builds: wait; a lock older than two minutes is stale.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 120_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        /* gone meanwhile */
      }
      if (Date.now() > deadline) throw new Error(`the dashboard build lock ${lock} was held for two minutes`);
      await sleep(200);
    }
  }
  try {
    const built = existsSync(path.join(DASHBOARD_DIST, 'index.html')) ? statSync(path.join(DASHBOARD_DIST, 'index.html')).mtimeMs : 0;
    const sources = Math.max(
      newestMtime(path.join(WEB_DIR, 'src')),
      newestMtime(path.join(WEB_DIR, 'index.html')),
      newestMtime(path.join(WEB_DIR, 'vite.config.ts')),
      newestMtime(path.join(root, 'npm', 'src')),
      newestMtime(path.join(root, 'npm', 'dist')),
    );
    if (built >= sources) return;
    await run([path.join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', WEB_DIR, '--logLevel', 'warn']);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Builds web/dist when needed (ensureDashboardBuilt) and serves it at the root of a static server. */
export async function startDashboardServer() {
  await ensureDashboardBuilt();
  return startStaticServer({ '/': DASHBOARD_DIST });
}

// Runs in the page before its own scripts.
function instrument() {
  window.__cspViolations = [];
  document.addEventListener('securitypolicyviolation', (e) => {
    window.__cspViolations.push({ directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample, source: e.sourceFile, line: e.lineNumber });
  });
  window.__longTasks = [];
  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.__longTasks.push({ start: entry.startTime, duration: entry.duration });
    }).observe({ type: 'longtask', buffered: true });
  } catch {
    window.__longTasks = null;
  }
}

/** Opens the dashboard at `url` in a new page (see openPage) that records CSP violations and long tasks. */
export async function openDashboard(browser, url, { viewport = { width: 1440, height: 900 } } = {}) {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  await context.addInitScript(instrument);
  const page = await openPage(context, url);
  page.once('close', () => context.close().catch(() => {}));
  return page;
}

/** The dashboard URL that connects at once: query parameters url, username, password, clientId, version, gateway, devices. */
export function dashboardUrl(origin, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  return `${origin}/?${q}`;
}

const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The device tree's item whose name is exactly `name`. */
export function treeItem(page, name) {
  return page.locator('#tree [role=treeitem]').filter({ has: page.locator('.name', { hasText: new RegExp(`^${escapeRegExp(name)}$`) }) });
}

/** Clicks `name` in the device tree and waits for its device panel. */
export async function selectDevice(page, name) {
  await treeItem(page, name).click();
  await page.locator('#dev-title', { hasText: new RegExp(`^${escapeRegExp(name)}$`) }).waitFor();
}

/**
 * Sends `method` with `params` (the form's JSON text) from the command form
 * and resolves with the newest command history entry's text once that entry
 * shows `state` ('success', 'failure').
 */
export async function sendCommand(page, method, params, state) {
  await page.fill('#cmd-method', method);
  await page.fill('#cmd-params', params);
  await page.click('#cmd-send');
  const entry = page.locator('#cmd-history li').first();
  await entry.and(page.locator(`[data-state=${state}]`)).waitFor({ timeout: 10_000 });
  return entry.textContent();
}

/** The form controls with no label, aria-label or text: their ids (or markup). */
export function unlabelledControls(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('input, select, textarea, button')]
      .filter((el) => !el.labels?.length && !el.getAttribute('aria-label') && !el.textContent.trim())
      .map((el) => el.id || el.outerHTML));
}

/** No Content-Security-Policy violation and no page problem so far. */
export async function assertDashboardClean(page) {
  assert.deepEqual(await page.evaluate(() => window.__cspViolations), [], 'no Content-Security-Policy violation');
  assertNoPageProblems(page);
}

/** Replaces the Scripts view's editor text (as typing would: the panel sees an input event). */
export async function setScriptSource(page, source) {
  await page.fill('#scr-source', source);
}

/**
 * Clicks Run in the Scripts view and resolves, once the run is over, with its
 * state ('success', 'failure', 'invalid') and the status line.
 */
export async function runScript(page) {
  await page.click('#scr-run');
  const status = page.locator('#scr-run-status:is([data-state=success], [data-state=failure], [data-state=invalid])');
  await status.waitFor({ timeout: 15_000 });
  return { state: await status.getAttribute('data-state'), status: await status.textContent() };
}

/**
 * The rig of a dashboard test file: a dev broker in ThingsPanel mode with
 * `thingspanel` (a devices array or a configurations file's content) and the platform user root, the dashboard's server and Chromium,
 * started before the file's tests and closed after them (after `cleanUp`, which
 * closes what the tests opened: their page, emulator, ...).
 *
 *   const rig = useDashboardRig({ thingspanel: devices, rootPassword, cleanUp: () => emulator?.stop() });
 *   ... rig.broker.wsUrl, rig.server.origin, rig.browser ...
 */
export function useDashboardRig({ thingspanel, rootPassword, cleanUp = async () => {} }) {
  const rig = { broker: null, server: null, browser: null };
  before(async () => {
    await startAll([
      startBroker({ tcpPort: 0, wsPort: 0, thingspanel, rootPassword, log: false }).then((b) => (rig.broker = b)),
      startDashboardServer().then((s) => (rig.server = s)),
      launchChromium().then((b) => (rig.browser = b)),
    ]);
  });
  after(async () => {
    await Promise.resolve().then(cleanUp).catch(() => {});
    await Promise.allSettled([rig.browser?.close(), rig.server?.stop()]);
    await rig.broker?.close();
  });
  return rig;
}
