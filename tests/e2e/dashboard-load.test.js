// The dashboard under load (docs/dashboard.md). An emulator fleet (the
// default scenario's multi-level gateway, 250 of them) behind the dev broker
// (ThingsPanel mode: envelope, status, root; its own WebSocket listener)
// pushes 5,000 telemetry messages/s for
// 30 s at a dashboard connected through query parameters, with sensor_101 of
// one gateway shown (its charts drawing). The page must stay responsive (no
// long task over 250 ms after the first second, tasks over 100 ms under 2% of
// the run, from PerformanceObserver('longtask')), keep up (the worker counts every
// message) and keep its memory bounded (JS heaps and array buffers of the
// page and of its platform worker, after a GC, level once the rings are full).
//
// TPGATE_LOAD_RATE, TPGATE_LOAD_SECONDS and TPGATE_LOAD_GATEWAYS change the
// load (defaults 5000, 30, 250); TPGATE_LOAD_SOURCE=gateways uses gateways
// driven by connectGateway instead of the emulator; TPGATE_LOAD_QOS the
// fleet's QoS (default 0); TPGATE_LOAD_MIN_RATIO the share of the rate the
// fleet must reach for the run to count (default 0.8).
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { assertNoPageProblems, launchChromium, startAll } from './helpers/chromium.js';
import { dashboardUrl, openDashboard, startDashboardServer } from './helpers/dashboard.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const RATE = Number(process.env.TPGATE_LOAD_RATE ?? 5000);
const SECONDS = Number(process.env.TPGATE_LOAD_SECONDS ?? 30);
const GATEWAYS = Number(process.env.TPGATE_LOAD_GATEWAYS ?? 250);
const MIN_RATIO = Number(process.env.TPGATE_LOAD_MIN_RATIO ?? 0.8);
const ROOT_PASSWORD = 'load-root';

let brokerProcess;
let fleet;
let server;
let browser;

function fleetProcess() {
  const child = fork(path.join(here, 'helpers', 'load-fleet.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = [];
  const errors = [];
  child.on('message', (m) => {
    if (m.type === 'error') errors.push(m.message);
    const i = waiting.findIndex((w) => w.type === m.type || m.type === 'error');
    if (i >= 0) {
      const [w] = waiting.splice(i, 1);
      if (m.type === 'error') w.reject(new Error(`load fleet: ${m.message}`));
      else w.resolve(m);
    }
  });
  child.once('exit', (code) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`the load fleet exited (${code}) ${errors.join('\n')}`));
  });
  const ask = (message, reply) =>
    new Promise((resolve, reject) => {
      waiting.push({ type: reply, resolve, reject });
      child.send(message);
    });
  return {
    child,
    start: (options) => ask({ type: 'start', ...options }, 'ready'),
    fleet: (options) => ask({ type: 'fleet', ...options }, 'fleet'),
    mark: () => ask({ type: 'mark' }, 'mark'),
    stopFleet: () => ask({ type: 'stop-fleet' }, 'stop-fleet'),
    exit: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', resolve);
        child.send({ type: 'exit' });
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}

before(async () => {
  brokerProcess = fleetProcess();
  fleet = fleetProcess();
  await startAll([
    startDashboardServer().then((s) => (server = s)),
    launchChromium().then((b) => (browser = b)),
  ]);
});

after(async () => {
  await Promise.allSettled([fleet?.exit(), browser?.close(), server?.stop()]);
  await brokerProcess?.exit();
});

/**
 * JS heap of the page and of its dedicated worker (after a forced GC), via
 * the Chrome DevTools Protocol: the worker is reached through auto-attach.
 */
async function heapProbe(page) {
  const cdp = await page.context().newCDPSession(page);
  const workers = new Map(); // sessionId -> url
  const replies = new Map();
  let nextId = 1;
  cdp.on('Target.attachedToTarget', (e) => {
    if (e.targetInfo.type === 'worker') workers.set(e.sessionId, e.targetInfo.url);
  });
  cdp.on('Target.receivedMessageFromTarget', (e) => {
    const m = JSON.parse(e.message);
    replies.get(m.id)?.(m);
    replies.delete(m.id);
  });
  await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
  const inWorker = (sessionId, method, params = {}) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => reject(new Error(`worker ${method}: no answer`)), 10_000);
      replies.set(id, (m) => {
        clearTimeout(timer);
        if (m.error) reject(new Error(`worker ${method}: ${m.error.message}`));
        else resolve(m.result);
      });
      cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) }).catch(reject);
    });
  const total = (h) => h.usedSize + (h.embedderHeapUsedSize ?? 0) + (h.backingStorageSize ?? 0);
  return {
    /**
     * Bytes: the JS heap plus array buffer backing stores (the raw message
     * copies, the wasm memory). `gc` forces a collection first; on the page
     * that would itself be a long task, so the page is only collected at the end.
     */
    async sample({ gcPage = false } = {}) {
      if (gcPage) await cdp.send('HeapProfiler.collectGarbage');
      const pageHeap = await cdp.send('Runtime.getHeapUsage');
      let workerHeap = null;
      for (const sessionId of workers.keys()) {
        await inWorker(sessionId, 'HeapProfiler.collectGarbage');
        workerHeap = await inWorker(sessionId, 'Runtime.getHeapUsage');
      }
      return { page: total(pageHeap), worker: workerHeap === null ? null : total(workerHeap) };
    },
    workers: () => [...workers.values()],
  };
}

const MB = (n) => (n === null ? 'n/a' : `${(n / 1024 / 1024).toFixed(1)} MB`);

test(`${RATE} messages/s for ${SECONDS} s: responsive (long tasks rare and short), memory bounded`, { timeout: (SECONDS + 120) * 1000 }, async (t) => {
  const ready = await brokerProcess.start({ gateways: GATEWAYS, rootPassword: ROOT_PASSWORD });
  const devices = ready.devices.map((d) => `${d.device_id}=${d.device_number}`).join(',');
  const page = await openDashboard(browser, dashboardUrl(server.origin, {
    url: ready.wsUrl, username: 'root', password: ROOT_PASSWORD, clientId: 'dashboard-load', version: 4, devices,
  }));
  t.after(() => page.close());
  await page.locator('#conn-state[data-state=connected]').waitFor({ timeout: 15_000 });
  const probe = await heapProbe(page);
  const fleetInfo = await fleet.fleet({ tcpUrl: ready.tcpUrl, devices: ready.devices, rate: RATE, source: process.env.TPGATE_LOAD_SOURCE });
  // sensor_101 of one gateway is shown, with its charts, the whole run (the heaviest view).
  // A fleet this size starts with its gateways closed: the filter finds the device.
  await page.fill('#tree-filter', 'sensor_101');
  await page.locator('#tree [role=treeitem]', { hasText: 'sensor_101' }).first().click({ timeout: 15_000 });
  await page.locator('#charts figure').first().waitFor({ timeout: 10_000 });
  const base = await probe.sample({ gcPage: true });

  const t0 = await page.evaluate(() => performance.now());
  const first = await fleet.mark();
  const samples = [];
  for (let s = 5; s <= SECONDS; s += 5) {
    await page.waitForTimeout(Math.max(0, t0 + s * 1000 - (await page.evaluate(() => performance.now()))));
    const heap = await probe.sample();
    const received = Number(await page.getAttribute('#stats', 'data-received'));
    const rate = Number(await page.getAttribute('#stats', 'data-rate'));
    samples.push({ s, ...heap, received, rate });
  }
  const last = await fleet.mark();
  const longTasks = await page.evaluate(() => window.__longTasks);
  const stopped = await fleet.stopFleet();
  // Let the worker drain what is in flight: it must count every uplink (and the status words).
  const doneAt = Date.now();
  const expected = stopped.published + GATEWAYS;
  await page.waitForFunction((n) => Number(document.getElementById('stats').dataset.received) >= n, expected, { timeout: 30_000 }).catch(() => {});
  const drainMs = Date.now() - doneAt;
  const received = Number(await page.getAttribute('#stats', 'data-received'));
  const late = longTasks.filter((l) => l.start > t0 + 1000);
  const early = longTasks.filter((l) => l.start <= t0 + 1000);
  const end = await probe.sample({ gcPage: true });
  const sent = last.published - first.published;
  const seconds = (last.at - first.at) / 1000;
  const rateSeen = samples.map((x) => x.rate);

  const report = [
    `load: ${sent} messages in ${seconds.toFixed(1)} s (${(sent / seconds).toFixed(0)}/s) from ${fleetInfo.source}`,
    `the dashboard counted ${received} of ${expected} uplinks and status words (${drainMs} ms to drain after the fleet stopped); its msg/s every 5 s: ${rateSeen.join(', ')}`,
    `long tasks (over 50 ms) after the first second: ${late.length}${late.length ? ` at ${late.map((l) => `+${((l.start - t0) / 1000).toFixed(1)} s: ${l.duration.toFixed(0)} ms`).join(', ')}` : ''}; before: ${early.length}`,
    `  before the load (after GC): page heap ${MB(base.page)}, worker heap ${MB(base.worker)}`,
    ...samples.map((x) => `  t=${String(x.s).padStart(2)} s: page heap ${MB(x.page)} (no GC), worker heap ${MB(x.worker)} (after GC), received ${x.received}, ${x.rate} msg/s`),
    `  end (after GC): page heap ${MB(end.page)}, worker heap ${MB(end.worker)}`,
  ].join('\n');
  t.diagnostic(report);

  assert.equal(last.errors, 0, 'no transport error in the fleet');
  // The fleet shares the machine with the broker and the browser: on a busy
  // 2-core machine it may fall a little short of the rate asked
  // (TPGATE_LOAD_MIN_RATIO, default 0.8, says how short is still a test).
  assert.ok(sent / seconds >= RATE * MIN_RATIO, `the fleet pushed only ${(sent / seconds).toFixed(0)} messages/s of the ${RATE} asked: the machine is too busy for this load`);
  assert.ok(received >= expected * 0.99, `the dashboard kept up: ${received} of ${expected}`);
  // Responsive: no task past 250 ms after the first second, and tasks past
  // 100 ms rare (under 2% of the run in all). On a busy 2-core machine (the
  // broker, the fleet, the browser and other test stages on it) the scheduler
  // alone stretches a task past 100 ms now and then; a page that renders per
  // message, or rebuilds the tree on every update, fails both.
  assert.deepEqual(late.filter((l) => l.duration > 250), [], 'no long task over 250 ms after the first second');
  const slow = late.filter((l) => l.duration > 100);
  const slowMs = slow.reduce((sum, l) => sum + l.duration, 0);
  assert.ok(slowMs < SECONDS * 1000 * 0.02, `long tasks over 100 ms took ${slowMs.toFixed(0)} ms of ${SECONDS} s: ${JSON.stringify(slow)}`);
  // Bounded: the rings fill within seconds; from then on the heaps stay level.
  const settled = samples.find((x) => x.s >= 10) ?? samples[0];
  assert.ok(end.page < base.page + 16 * 2 ** 20, `page heap grew from ${MB(base.page)} to ${MB(end.page)}`);
  if (end.worker !== null) {
    assert.ok(end.worker < settled.worker * 1.25 + 4 * 2 ** 20, `worker heap grew from ${MB(settled.worker)} (10 s) to ${MB(end.worker)}`);
    assert.ok(end.worker < 200 * 2 ** 20, `worker heap ${MB(end.worker)}`);
  }
  assert.ok(probe.workers().length === 1, `the platform worker was seen by the heap probe: ${probe.workers().join(', ')}`);
  assert.deepEqual(await page.evaluate(() => window.__cspViolations), []);
  assertNoPageProblems(page);
});
