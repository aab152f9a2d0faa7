// The dashboard under load (docs/dashboard.md#load). Two runs, each with the
// dev broker (ThingsPanel mode: envelope, status, root; its own WebSocket
// listener, which the dashboard connects to) in a process of its own and the
// emulator's default scenario (the seed multi-level gateway) in others:
//
//  - device view: 250 gateways push 5,000 telemetry messages/s for 30 s at a
//    dashboard showing sensor_101 of one gateway (its charts drawing);
//  - overview: 2,000 gateways at one message a second each for 20 s, the
//    overview open and its gateway table scrolled to a new place every
//    second (`npm run load:dashboard`: 10,000 gateways for 60 s, the
//    emulator sharded over two processes).
//
// Each run: the page must stay responsive (PerformanceObserver('longtask')),
// keep up (the worker counts every message; in the overview, the counts
// equal the fleet's and the messages counted are within a second's worth of
// those published) and keep its memory bounded (JS heaps and array buffers
// of page and worker, after a GC, level once the rings are full).
//
// TPGATE_LOAD_VIEW=device|overview runs one of them, with TPGATE_LOAD_RATE,
// TPGATE_LOAD_SECONDS, TPGATE_LOAD_GATEWAYS and TPGATE_LOAD_SHARDS (emulator
// processes) instead of its defaults; TPGATE_LOAD_SOURCE=gateways uses
// gateways driven by connectGateway instead of the emulator; TPGATE_LOAD_QOS
// the fleet's QoS (default 0); TPGATE_LOAD_MIN_RATIO the share of the rate the
// fleet must reach for the run to count (default 0.8).
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { assertNoPageProblems, launchChromium, startAll } from './helpers/chromium.js';
import { DASHBOARD_DIST, dashboardUrl, ensureDashboardBuilt, openDashboard } from './helpers/dashboard.js';
import { startStaticServer } from './helpers/static-server.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const env = (name) => (process.env[name] === undefined ? undefined : Number(process.env[name]));
const ONLY = process.env.TPGATE_LOAD_VIEW;
const RUNS = [
  { view: 'device', gateways: 250, rate: 5000, seconds: 30, shards: 1 },
  { view: 'overview', gateways: 2000, rate: 2000, seconds: 20, shards: 1 },
]
  .filter((r) => ONLY === undefined || r.view === ONLY)
  .map((r) => ({
    ...r,
    gateways: env('TPGATE_LOAD_GATEWAYS') ?? r.gateways,
    rate: env('TPGATE_LOAD_RATE') ?? r.rate,
    seconds: env('TPGATE_LOAD_SECONDS') ?? r.seconds,
    shards: env('TPGATE_LOAD_SHARDS') ?? r.shards,
  }));
if (ONLY !== undefined && RUNS.length === 0) throw new Error(`TPGATE_LOAD_VIEW must be device or overview, got '${ONLY}'`);
const MIN_RATIO = Number(process.env.TPGATE_LOAD_MIN_RATIO ?? 0.8);
const ROOT_PASSWORD = 'load-root';

let brokerProcess;
let server;
let browser;
let mapDir;

// The broker and the fleet stand for machines of their own: on this one they
// run at a lower priority (nice 5) than the browser, so that the page's long
// tasks measure the page rather than a scheduler with three busy processes
// on two cores. They still get every cycle the browser leaves.
const BACKGROUND_NICE = 5;

function fleetProcess() {
  const child = fork(path.join(here, 'helpers', 'load-fleet.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    os.setPriority(child.pid, Math.min(19, os.getPriority(process.pid) + BACKGROUND_NICE));
  } catch {
    /* not permitted here: the run measures with the scheduler as it is */
  }
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
  // The fleet's device map is a file next to the page (as tpgate demo serves it).
  mapDir = await mkdtemp(path.join(os.tmpdir(), 'tpgate-load-'));
  await startAll([
    ensureDashboardBuilt().then(() => startStaticServer({ '/fleet/': mapDir, '/': DASHBOARD_DIST })).then((s) => (server = s)),
    launchChromium().then((b) => (browser = b)),
  ]);
});

after(async () => {
  await Promise.allSettled([browser?.close(), server?.stop()]);
  await brokerProcess?.exit();
  if (mapDir) await rm(mapDir, { recursive: true, force: true });
});

/** `shards` fleet processes, each with its slice of the devices and of the rate; they answer as one. */
async function startFleets(shards, ready, rate) {
  const fleets = Array.from({ length: shards }, () => fleetProcess());
  const per = Math.ceil(ready.devices.length / shards);
  const infos = await Promise.all(fleets.map((f, i) => {
    const devices = ready.devices.slice(i * per, (i + 1) * per);
    return f.fleet({ tcpUrl: ready.tcpUrl, devices, rate: (rate * devices.length) / ready.devices.length, source: process.env.TPGATE_LOAD_SOURCE });
  }));
  const sum = (list, key) => list.reduce((n, x) => n + x[key], 0);
  return {
    source: shards === 1 ? infos[0].source : `${shards} processes: ${infos.map((x) => x.source).join('; ')}`,
    mark: async () => {
      const marks = await Promise.all(fleets.map((f) => f.mark()));
      return { published: sum(marks, 'published'), errors: sum(marks, 'errors'), at: Date.now() };
    },
    stop: async () => {
      const stops = await Promise.all(fleets.map((f) => f.stopFleet()));
      return { published: sum(stops, 'published'), errors: sum(stops, 'errors') };
    },
    exit: () => Promise.allSettled(fleets.map((f) => f.exit())),
  };
}

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
    async sample({ gcPage = false, gcWorker = true } = {}) {
      if (gcPage) await cdp.send('HeapProfiler.collectGarbage');
      const pageHeap = await cdp.send('Runtime.getHeapUsage');
      let workerHeap = null;
      for (const sessionId of workers.keys()) {
        if (gcWorker) await inWorker(sessionId, 'HeapProfiler.collectGarbage');
        workerHeap = await inWorker(sessionId, 'Runtime.getHeapUsage');
      }
      return { page: total(pageHeap), worker: workerHeap === null ? null : total(workerHeap) };
    },
    workers: () => [...workers.values()],
  };
}

const MB = (n) => (n === null ? 'n/a' : `${(n / 1024 / 1024).toFixed(1)} MB`);

for (const run of RUNS) {
  const { view, gateways: GATEWAYS, rate: RATE, seconds: SECONDS, shards: SHARDS } = run;
  const title = view === 'device'
    ? `device view: ${RATE} messages/s from ${GATEWAYS} gateways for ${SECONDS} s: responsive (long tasks rare and short), memory bounded`
    : `overview: ${GATEWAYS} gateways at ${RATE / GATEWAYS} message/s each for ${SECONDS} s, the table scrolled: responsive, counts right, memory bounded`;
  test(title, { timeout: (SECONDS + 300) * 1000 }, (t) => loadRun(t, run));
}

async function loadRun(t, { view, gateways: GATEWAYS, rate: RATE, seconds: SECONDS, shards: SHARDS }) {
  const ready = await brokerProcess.start({ gateways: GATEWAYS, rootPassword: ROOT_PASSWORD });
  const mapFile = `devices-${GATEWAYS}.json`;
  await writeFile(path.join(mapDir, mapFile), JSON.stringify(Object.fromEntries(ready.devices.map((d) => [d.device_id, d.device_number]))));
  // The fleet connects first: on this 2-core machine the dev broker cannot
  // take 10,000 connects while it also fans 10,000 messages/s out to a browser.
  const fleet = await startFleets(SHARDS, ready, RATE);
  t.after(() => fleet.exit());
  const page = await openDashboard(browser, dashboardUrl(server.origin, {
    url: ready.wsUrl, username: 'root', password: ROOT_PASSWORD, clientId: `dashboard-load-${view}`, version: 4, map: `fleet/${mapFile}`,
  }));
  t.after(() => page.close());
  await page.locator('#conn-state[data-state=connected]').waitFor({ timeout: 30_000 });
  const probe = await heapProbe(page);
  const kpi = async (name) => Number(await page.getAttribute(`#kpi-${name}`, 'data-value'));
  if (view === 'device') {
    // sensor_101 of one gateway is shown, with its charts, the whole run (the heaviest view).
    // A fleet this size starts with its gateways closed: the filter finds the device.
    await page.fill('#tree-filter', 'sensor_101');
    await page.locator('#tree [role=treeitem]', { hasText: 'sensor_101' }).first().click({ timeout: 15_000 });
    await page.locator('#charts figure').first().waitFor({ timeout: 10_000 });
  } else {
    // Every gateway has reported (telemetry once a second) before the clock starts.
    await page.waitForFunction((n) => document.getElementById('kpi-gateways')?.dataset.value === String(n), GATEWAYS, { timeout: 60_000 });
  }
  const base = await probe.sample({ gcPage: true });

  const t0 = await page.evaluate(() => performance.now());
  const first = await fleet.mark();
  const receivedBefore = Number(await page.getAttribute('#stats', 'data-received'));
  const samples = [];
  const probeWindows = [];
  const countsWrong = [];
  const scrolls = [];
  for (let s = 1; s <= SECONDS; s++) {
    await page.waitForTimeout(Math.max(0, t0 + s * 1000 - (await page.evaluate(() => performance.now()))));
    if (view === 'overview') {
      // Scroll the table somewhere new; the rows there must be drawn within a second.
      const index = Math.floor(((s * 7919) % GATEWAYS) / 1) % Math.max(1, GATEWAYS - 40);
      const asked = Date.now();
      await page.evaluate((top) => (document.getElementById('gw-scroll').scrollTop = top), index * 28);
      const drawn = await page.waitForFunction((i) => document.querySelector(`#gw-spacer .gw-row[data-index="${i}"][data-gateway]`) !== null, index, { timeout: 5000 })
        .then(() => Date.now() - asked, () => null);
      scrolls.push(drawn);
      // The counts, against the fleet's: every gateway, all online.
      const shown = { gateways: await kpi('gateways'), online: await kpi('online'), offline: await kpi('offline') };
      if (s > 3 && (shown.gateways !== GATEWAYS || shown.online !== GATEWAYS || shown.offline !== 0)) countsWrong.push({ s, ...shown });
    }
    if (s % 5 !== 0) continue;
    const mark = await fleet.mark();
    // A forced GC of the worker (a full collection of 100 MB) stalls the page
    // too: the overview run forces one only at 10 s and at the end, and leaves
    // the long tasks of those moments out of its 100 ms rule (it lists them).
    const gcWorker = view === 'device' || s === 10;
    const from = await page.evaluate(() => performance.now());
    const heap = await probe.sample({ gcWorker });
    if (gcWorker) probeWindows.push([from, (await page.evaluate(() => performance.now())) + 50]);
    const received = Number(await page.getAttribute('#stats', 'data-received'));
    const rate = Number(await page.getAttribute('#stats', 'data-rate'));
    samples.push({ s, ...heap, gcWorker, received, rate, published: mark.published });
  }
  const last = await fleet.mark();
  const longTasks = await page.evaluate(() => window.__longTasks);
  const stopped = await fleet.stop();
  // Let the worker drain what is in flight: it must count every uplink published since t=0.
  const doneAt = Date.now();
  const expected = stopped.published - first.published;
  await page.waitForFunction((n) => Number(document.getElementById('stats').dataset.received) >= n, receivedBefore + expected, { timeout: 30_000 }).catch(() => {});
  const drainMs = Date.now() - doneAt;
  const received = Number(await page.getAttribute('#stats', 'data-received')) - receivedBefore;
  const late = longTasks.filter((l) => l.start > t0 + 1000);
  const early = longTasks.filter((l) => l.start <= t0 + 1000);
  const end = await probe.sample({ gcPage: true });
  const sent = last.published - first.published;
  const seconds = (last.at - first.at) / 1000;
  const rateSeen = samples.map((x) => x.rate);
  const drawnMs = scrolls.filter((x) => x !== null).sort((a, b) => a - b);

  const report = [
    `load (${view}): ${sent} messages in ${seconds.toFixed(1)} s (${(sent / seconds).toFixed(0)}/s) from ${fleet.source}`,
    `the dashboard counted ${received} of the ${expected} uplinks published from t=0 (${drainMs} ms to drain after the fleet stopped); its msg/s every 5 s: ${rateSeen.join(', ')}`,
    `long tasks (over 50 ms) after the first second: ${late.length}${late.length ? ` at ${late.map((l) => `+${((l.start - t0) / 1000).toFixed(1)} s: ${l.duration.toFixed(0)} ms`).join(', ')}` : ''}; before: ${early.length}; the probe forced worker GCs at ${probeWindows.map(([a]) => `+${((a - t0) / 1000).toFixed(1)} s`).join(', ') || 'none'}`,
    ...(view === 'overview'
      ? [`table scrolled ${scrolls.length} times: rows drawn in ${drawnMs.length ? `${drawnMs[0]}..${drawnMs[drawnMs.length - 1]} ms (median ${drawnMs[drawnMs.length >> 1]} ms)` : 'never'}${scrolls.includes(null) ? `, ${scrolls.filter((x) => x === null).length} not within 5 s` : ''}; counts off the fleet's at ${countsWrong.length} of ${Math.max(0, SECONDS - 3)} checks`]
      : []),
    `  before the load (after GC): page heap ${MB(base.page)}, worker heap ${MB(base.worker)}`,
    ...samples.map((x) => `  t=${String(x.s).padStart(2)} s: page heap ${MB(x.page)} (no GC), worker heap ${MB(x.worker)} (${x.gcWorker ? 'after GC' : 'no GC'}), received ${x.received - receivedBefore} (the fleet published ${x.published - first.published}) since t=0, ${x.rate} msg/s`),
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
  if (view === 'overview') {
    // The overview: no task over 100 ms once the first seconds are over (but for the probe's forced GC).
    const probing = (l) => probeWindows.some(([a, b]) => l.start < b && l.start + l.duration > a);
    const settledTasks = late.filter((l) => l.start > t0 + 5000 && l.duration > 100 && !probing(l));
    assert.deepEqual(settledTasks, [], 'no long task over 100 ms after the first 5 seconds');
  }
  const slow = late.filter((l) => l.duration > 100);
  const slowMs = slow.reduce((sum, l) => sum + l.duration, 0);
  assert.ok(slowMs < SECONDS * 1000 * 0.02, `long tasks over 100 ms took ${slowMs.toFixed(0)} ms of ${SECONDS} s: ${JSON.stringify(slow)}`);
  if (view === 'overview') {
    assert.deepEqual(countsWrong, [], 'the overview counts every gateway, all online');
    assert.deepEqual(scrolls.filter((x) => x === null), [], 'every scroll drew its rows');
    // Within a second: what the page counted trails what the fleet published by less than a second's worth.
    for (const x of samples) {
      const behind = x.published - first.published - (x.received - receivedBefore);
      assert.ok(behind <= RATE * 1.0 + 200, `at t=${x.s} s the dashboard was ${behind} messages (${(behind / RATE).toFixed(1)} s) behind the fleet`);
    }
  }
  // Bounded: the rings fill within seconds; from then on the heaps stay level.
  const settled = samples.find((x) => x.s >= 10 && x.gcWorker) ?? samples[0];
  assert.ok(end.page < base.page + 16 * 2 ** 20, `page heap grew from ${MB(base.page)} to ${MB(end.page)}`);
  if (end.worker !== null) {
    // The raw ring and the trees are full by 10 s; the charts' point rings
    // fill at the fleet's pace (one point a second per key: minutes), within
    // their shared budget of 2,000,000 points (32 MB; web/src/worker.ts LIMITS,
    // tests/js/dashboard-units.test.js): that much more may come after 10 s.
    const POINT_BUDGET = 2_000_000 * 16;
    assert.ok(end.worker < settled.worker * 1.25 + 4 * 2 ** 20 + POINT_BUDGET, `worker heap grew from ${MB(settled.worker)} (10 s) to ${MB(end.worker)}`);
    assert.ok(end.worker < 200 * 2 ** 20, `worker heap ${MB(end.worker)}`);
  }
  assert.ok(probe.workers().length === 1, `the platform worker was seen by the heap probe: ${probe.workers().join(', ')}`);
  assert.deepEqual(await page.evaluate(() => window.__cspViolations), []);
  assertNoPageProblems(page);
}
