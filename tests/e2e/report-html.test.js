// The page of `tpgate report --html` in Chromium, opened from the file as a
// user opens a ticket attachment (file://, no server):
//   - from the --metrics-json files of two real `tpgate emulate --shard k/2`
//     runs against mosquitto (when that emulator writes format 2; else from
//     generated shards), and from four generated shards with a hostile
//     scenario name;
//   - no page error, no console error, no request but the file itself, no
//     Content-Security-Policy violation (and the policy is in force: an image
//     from the network is refused);
//   - the five charts' canvases are drawn (coloured pixels, not only axes);
//   - the summary table shows the merged totals; the charts are focusable,
//     labelled and read out with the arrow keys; the dark scheme redraws.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { startMosquitto } from '../js/helpers/mosquitto.js';
import { assertNoPageProblems, launchChromium, startAll } from './helpers/chromium.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(here, '../../npm/bin/tpgate.js');
const HOSTILE = 'fleet </script><img src=x onerror="window.__xss=1"> & co';

let dir;
let browser;
let broker;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tpgate-report-html-'));
  await startAll([launchChromium().then((b) => (browser = b)), startMosquitto().then((b) => (broker = b))]);
});

after(async () => {
  await Promise.allSettled([browser?.close(), broker?.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

function run(args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

// --- generated shards -------------------------------------------------------

function bucketOf(ms) {
  if (ms < 16) return [Math.floor(ms), Math.floor(ms) + 1];
  let base = 16;
  while (ms >= base * 2) base *= 2;
  const sub = Math.floor((ms / base - 1) * 8);
  return [base * (1 + sub / 8), base * (1 + (sub + 1) / 8)];
}

function histogram(samples) {
  const m = new Map();
  for (const ms of samples) {
    const [low, high] = bucketOf(ms);
    m.set(low, [low, high, (m.get(low)?.[2] ?? 0) + 1]);
  }
  return [...m.values()].sort((a, b) => a[0] - b[0]);
}

/** Shard k of 4 of a 400-gateway fleet, 30 s, deterministic. */
function generatedShard(k) {
  const gateways = 100;
  const start = Date.UTC(2025, 5, 1, 8, 0, 0, 250 * k);
  const series = [];
  for (let t = 1; t <= 30; t++) {
    series.push({
      t: t + 0.002,
      connected: Math.min(gateways, t * 20 * k),
      messages_per_s: 200 + 10 * k + (t % 5),
      published_per_s: 180 + 10 * k + (t % 5),
      received_per_s: 20,
      ack_p50_ms: 2 + k,
      ack_p99_ms: 20 + 5 * k + (t % 7),
      report_ack_p50_ms: 4,
      report_ack_p99_ms: 12,
      commands: t * k,
      errors: Math.floor(t / 10) * k,
      reconnects: t > 20 ? k : 0,
    });
  }
  const ack = [];
  for (let i = 0; i < 2000; i++) ack.push(((i * 7919) % 1000) / (10 * k) + k);
  return {
    tool: 'tpgate emulate',
    format: 2,
    name: HOSTILE,
    url: 'mqtt://broker.example:1883',
    started_at: new Date(start).toISOString(),
    duration_s: 30.4,
    connect_all_s: 5,
    peak_connected: gateways,
    connected_at_stop: gateways,
    scenario_digest: `sha256:${'5e'.repeat(32)}`,
    fleet_gateways: 400,
    shard: { index: k, count: 4, first: (k - 1) * gateways, gateways },
    ack_latency_ms: { p50: 3, p99: 30 },
    report_ack_latency_ms: { p50: 4, p99: 12 },
    histograms: { ack_ms: histogram(ack), report_ack_ms: histogram([3, 4, 4, 5, 12]), request_service_ms: [] },
    errors: { protocol: k, refused: 0, report_ack_timeouts: 0, request_failures: 0, script: 0, transport: 2 * k },
    final: {
      gateways, connected: gateways, published: 5000 * k, publish_acked: 4900 * k, received: 600, commands: 30 * k, attribute_sets: 2, attribute_gets: 1,
      controls: 0, events_sent: 10, reports_acked: 15, failures_injected: 0, errors: k, reconnects: k, dropped: 0, bytes_out: 1e6 * k, bytes_in: 5e4,
      queued: 0, forced_closes: 0, transport_errors: 2 * k, ack_p50_ms: 3, ack_p99_ms: 30, uptime_s: 30.4, window_s: 1, messages_per_s: 200,
    },
    series,
  };
}

// --- the page ---------------------------------------------------------------

/** Opens the page from its file; page.problems collects what went wrong in it. */
async function openReport(file, t) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  t.after(() => page.close());
  const problems = [];
  const consoleLines = [];
  const requests = [];
  page.on('pageerror', (err) => problems.push(`uncaught in page: ${err.stack || err.message}`));
  page.on('console', (msg) => {
    consoleLines.push(`[${msg.type()}] ${msg.text()}`);
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
  });
  page.on('request', (req) => requests.push(req.url()));
  page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()}: ${req.failure()?.errorText}`));
  page.problems = problems;
  page.consoleLines = consoleLines;
  page.requests = requests;
  // Content-Security-Policy violations, as the document reports them.
  await page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const url = pathToFileURL(file).href;
  const response = await page.goto(url);
  assert.ok(response?.ok(), `${url} loads`);
  await page.waitForFunction(() => document.querySelectorAll('figure .plot canvas').length === 5, null, { timeout: 10_000 });
  return page;
}

/** Per chart: its id, its canvas' non-transparent and coloured (saturated) pixels. */
function canvasPixels(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('figure')].map((fig) => {
      const canvas = fig.querySelector('canvas');
      const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
      let opaque = 0;
      let coloured = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3] === 0) continue;
        opaque++;
        const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
        if (Math.max(r, g, b) - Math.min(r, g, b) > 60) coloured++;
      }
      return { id: fig.id, opaque, coloured, size: `${canvas.width}x${canvas.height}` };
    }),
  );
}

async function summaryCell(page, label) {
  return page.evaluate((l) => [...document.querySelectorAll('table.summary tr')].find((tr) => tr.querySelector('th').textContent === l)?.querySelector('td').textContent, label);
}

/** The checks every page passes. */
async function checkPage(page, { title, published, gateways }) {
  assert.equal(await page.title(), title);
  const csp = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content');
  assert.match(csp, /default-src 'none'/);

  // Charts: five canvases, each drawn with its series' colours.
  const pixels = await canvasPixels(page);
  assert.deepEqual(pixels.map((p) => p.id), ['chart-connected', 'chart-messages', 'chart-ack', 'chart-errors', 'chart-histogram']);
  for (const p of pixels) {
    assert.ok(p.opaque > 1000, `${p.id}: the canvas is drawn (${JSON.stringify(p)})`);
    assert.ok(p.coloured > 20, `${p.id}: its series are drawn (${JSON.stringify(p)})`);
  }

  // The summary table.
  assert.match(await summaryCell(page, 'published'), new RegExp(`^${published} \\(`));
  assert.match(await summaryCell(page, 'gateways'), new RegExp(`^${gateways} of ${gateways};`));
  assert.match(await summaryCell(page, 'PUBACK latency'), /^p50 \d+ ms, p90 \d+ ms, p99 \d+ ms, max in \[/);

  // Focusable, labelled charts; the arrow keys read the values out.
  const figures = await page.evaluate(() =>
    [...document.querySelectorAll('figure')].map((f) => ({ tab: f.tabIndex, label: document.getElementById(f.getAttribute('aria-labelledby'))?.textContent ?? '' })),
  );
  for (const f of figures) {
    assert.equal(f.tab, 0);
    assert.ok(f.label.length > 5, `labelled: ${JSON.stringify(f)}`);
  }
  await page.focus('#chart-connected');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  assert.match(await page.textContent('#chart-connected .readout'), /^t \d+ s: connected \(sum of the shards\) \d+$/);
  await page.focus('#chart-histogram');
  await page.keyboard.press('End');
  assert.match(await page.textContent('#chart-histogram .readout'), /^\[\d+, \d+\) ms: \d+ acks$/);

  // The dark scheme redraws the charts.
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForFunction(() => document.querySelectorAll('figure .plot canvas').length === 5);
  for (const p of await canvasPixels(page)) assert.ok(p.coloured > 20, `${p.id} in the dark scheme: ${JSON.stringify(p)}`);

  assertNoPageProblems(page);
  assert.deepEqual(await page.evaluate(() => window.__violations), [], 'no Content-Security-Policy violation');
  assert.deepEqual(page.requests, [page.url()], 'the page asked for nothing but itself');

  // The policy is in force: an image from the network is refused.
  await page.evaluate(() => {
    const img = document.createElement('img');
    img.src = 'http://127.0.0.1:9/probe.png';
    document.body.append(img);
  });
  await page.waitForFunction(() => window.__violations.length > 0, null, { timeout: 5000 });
  assert.match((await page.evaluate(() => window.__violations))[0], /^img-src http:\/\/127\.0\.0\.1:9\/probe\.png/);
}

test('the page of two real emulator shards (or generated ones where the emulator writes no format 2)', { timeout: 90_000 }, async (t) => {
  const files = [1, 2].map((k) => path.join(dir, `real-${k}.json`));
  const runs = await Promise.all(
    [1, 2].map((k) => run(['emulate', '--url', broker.tcpUrl, '--gateways', '20', '--shard', `${k}/2`, '--duration', '4', '--metrics-json', files[k - 1], '--quiet'])),
  );
  for (const r of runs) assert.equal(r.code, 0, `emulate: ${r.stderr}`);
  let docs = await Promise.all(files.map(async (f) => JSON.parse(await readFile(f, 'utf8'))));
  if (docs.some((d) => d.format !== 2)) {
    t.diagnostic(`the emulator wrote --metrics-json format ${docs[0].format ?? 1}: generated shards instead`);
    docs = [generatedShard(1), generatedShard(2)].map((d) => ({ ...d, fleet_gateways: 200 }));
    for (const [i, d] of docs.entries()) await writeFile(files[i], JSON.stringify(d));
  }
  const html = path.join(dir, 'real.html');
  const r = await run(['report', ...files, '--html', html]);
  assert.equal(r.code, 0, r.stderr);
  const published = docs.reduce((n, d) => n + d.final.published, 0);
  assert.match(r.stdout, new RegExp(`published +${published} \\(`));
  const page = await openReport(html, t);
  await checkPage(page, { title: `tpgate report: ${docs[0].name} (2 shards)`, published, gateways: docs[0].fleet_gateways });
});

test('the page of four generated shards: totals, the per-second sums, a hostile scenario name stays text', { timeout: 60_000 }, async (t) => {
  const files = [];
  for (let k = 1; k <= 4; k++) {
    const file = path.join(dir, `gen-${k}.json`);
    await writeFile(file, JSON.stringify(generatedShard(k)));
    files.push(file);
  }
  const html = path.join(dir, 'gen.html');
  const json = path.join(dir, 'gen-merged.json');
  const r = spawnSync(process.execPath, [CLI, 'report', ...files, '--html', html, '--json', json], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const merged = JSON.parse(await readFile(json, 'utf8'));
  assert.equal(merged.totals.published, 50000);
  const page = await openReport(html, t);
  assert.equal(await page.textContent('h1'), `tpgate report: ${HOSTILE} (4 shards)`);
  assert.equal(await page.evaluate(() => window.__xss), undefined, 'the name is not markup');
  // The inlined document is the --json one.
  assert.deepEqual(await page.evaluate(() => JSON.parse(document.getElementById('report-data').textContent)), merged);
  assert.equal(await summaryCell(page, 'errors'), '30: protocol 10, refused by the broker 0, report acks that never came 0, requests not served 0, data scripts 0, transport 20');
  const shardRows = await page.evaluate(() => [...document.querySelectorAll('table.shards tbody tr')].map((tr) => tr.textContent));
  assert.deepEqual(shardRows, [1, 2, 3, 4].map((k) => `${k}/4gateways ${(k - 1) * 100}..${k * 100 - 1}${files[k - 1]}`));
  await checkPage(page, { title: `tpgate report: ${HOSTILE} (4 shards)`, published: 50000, gateways: 400 });
});
