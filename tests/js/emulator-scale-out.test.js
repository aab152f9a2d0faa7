// A fleet past one process, the way a Kubernetes Indexed Job runs it: four
// `tpgate emulate --shard auto` processes (JOB_COMPLETION_INDEX 0..3,
// JOB_COMPLETIONS 4) against a real mosquitto, each serving --metrics-port,
// scraped by a real Prometheus (Debian's package) started here on loopback.
// Prometheus's HTTP API must answer the fleet size and the telemetry rate;
// mosquitto's own log must show every device number once; `tpgate report`
// then merges the four --metrics-json files.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { freePort, startMosquitto } from './helpers/mosquitto.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(here, '../../npm/bin/tpgate.js');
const PROMETHEUS = existsSync('/usr/bin/prometheus') ? '/usr/bin/prometheus' : 'prometheus';

const SHARDS = 4;
const FLEET = 400; // default scenario: one telemetry message per gateway per second

let broker;
let dir;
const children = new Set();
before(async () => {
  broker = await startMosquitto();
  dir = await mkdtemp(path.join(os.tmpdir(), 'tpgate-scale-out-'));
});
after(async () => {
  for (const child of children) child.kill('SIGKILL');
  await broker?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function start(program, args, env = process.env) {
  const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  children.add(child);
  const run = { child, stdout: '', stderr: '' };
  child.stdout.on('data', (d) => (run.stdout += d));
  child.stderr.on('data', (d) => (run.stderr += d));
  run.exited = new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  return run;
}

async function until(what, check, timeout = 30_000, interval = 100) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** A PromQL instant query through Prometheus's HTTP API: the result vector. */
async function query(base, promql) {
  const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = await res.json();
  assert.equal(body.status, 'success', `${promql}: ${JSON.stringify(body)}`);
  return body.data.result;
}

const scalar = (result) => (result.length === 1 ? Number(result[0].value[1]) : null);

test('four --shard auto processes scraped by Prometheus: fleet size, telemetry rate, every device once; tpgate report merges them', { timeout: 240_000 }, async (t) => {
  // 1. The pods: the same command line, JOB_COMPLETION_INDEX set per pod.
  const shards = [];
  for (let i = 0; i < SHARDS; i++) {
    const env = { ...process.env, JOB_COMPLETION_INDEX: String(i), JOB_COMPLETIONS: String(SHARDS) };
    const file = path.join(dir, `shard-${i}.json`);
    const run = start(process.execPath, [CLI, 'emulate', '--url', broker.tcpUrl, '--gateways', String(FLEET), '--shard', 'auto',
      '--metrics-port', '0', '--metrics-json', file, '--duration', '180'], env);
    shards.push({ run, file });
  }
  for (const [i, { run }] of shards.entries()) {
    const url = await until(`shard ${i}'s metrics URL`, () => /metrics at (http:\/\/\S+)/.exec(run.stderr)?.[1], 30_000);
    shards[i].target = new URL(url).host;
    // The start line names the shard and its device numbers.
    await until(`shard ${i}'s start line`, () => run.stderr.includes(`gateways (gw-${i * 100 + 1} .. gw-${i * 100 + 100}), shard ${i + 1}/${SHARDS} ->`), 30_000);
  }

  // 2. A real Prometheus scraping the four every second.
  const promPort = await freePort();
  const config = path.join(dir, 'prometheus.yml');
  await writeFile(config, [
    'global:',
    '  scrape_interval: 1s',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    '  - job_name: tpgate-emulate',
    '    static_configs:',
    `      - targets: [${shards.map((s) => `'${s.target}'`).join(', ')}]`,
    '',
  ].join('\n'));
  const prometheus = start(PROMETHEUS, [`--config.file=${config}`, `--storage.tsdb.path=${path.join(dir, 'tsdb')}`,
    `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn']);
  t.after(() => prometheus.child.kill('SIGKILL'));
  const base = `http://127.0.0.1:${promPort}`;
  await until('Prometheus ready', async () => {
    try {
      return (await fetch(`${base}/-/ready`)).ok;
    } catch {
      return false;
    }
  }, 30_000, 200).catch((err) => {
    throw new Error(`${err.message}\n${prometheus.stderr}`);
  });

  // 3. The fleet size, summed over the shards.
  const connected = await until('sum(tpgate_gateways{state="connected"}) == fleet', async () => {
    const v = scalar(await query(base, 'sum(tpgate_gateways{state="connected"})'));
    return v === FLEET ? v : null;
  }, 90_000, 500);
  assert.equal(connected, FLEET);
  const up = await query(base, 'up{job="tpgate-emulate"}');
  assert.equal(up.length, SHARDS);
  assert.ok(up.every((r) => r.value[1] === '1'), 'every target up');
  const byShard = await query(base, 'sum by (shard) (tpgate_gateways{state="connected"})');
  assert.deepEqual(byShard.map((r) => r.metric.shard).sort(), ['1/4', '2/4', '3/4', '4/4']);
  assert.ok(byShard.every((r) => Number(r.value[1]) === FLEET / SHARDS), JSON.stringify(byShard));
  // Never a label per gateway: a handful of series per metric, whatever the fleet size.
  const series = await query(base, 'count({__name__=~"tpgate_.*"})');
  assert.ok(scalar(series) < 150 * SHARDS, `series: ${scalar(series)}`);

  // 4. The telemetry rate: one message per gateway per second in the default scenario.
  // rate() over 10 s needs 10 s of scrapes after every gateway is up.
  await new Promise((r) => setTimeout(r, 12_000));
  const rate = scalar(await query(base, 'sum(rate(tpgate_messages_published_total{kind="telemetry"}[10s]))'));
  t.diagnostic(`Prometheus: sum(tpgate_gateways{state="connected"}) = ${connected}; sum(rate(telemetry[10s])) = ${rate.toFixed(1)}/s (scenario: ${FLEET}/s)`);
  assert.ok(rate > FLEET * 0.8 && rate < FLEET * 1.2, `telemetry rate ${rate}/s, expected about ${FLEET}/s`);
  const acked = scalar(await query(base, 'sum(tpgate_messages_acked_total)'));
  assert.ok(acked > 0);
  const p99 = scalar(await query(base, 'histogram_quantile(0.99, sum by (le) (rate(tpgate_publish_ack_seconds_bucket[10s])))'));
  assert.ok(Number.isFinite(p99) && p99 >= 0 && p99 < 5, `PUBACK p99 ${p99} s`);
  const errors = await query(base, 'sum by (kind) (tpgate_errors_total)');
  assert.deepEqual(errors.map((r) => r.metric.kind).sort(), ['protocol', 'refused', 'report_ack_timeout', 'request', 'script', 'transport']);

  // The Grafana dashboard of deploy/: every panel's query runs, and finds series.
  const dashboard = JSON.parse(await readFile(path.resolve(here, '../../deploy/grafana-dashboard.json'), 'utf8'));
  const exprs = dashboard.panels.flatMap((p) => p.targets.map((target) => ({ title: p.title, expr: target.expr })));
  assert.ok(exprs.length >= 10);
  for (const { title, expr } of exprs) {
    const promql = expr.replaceAll('$__rate_interval', '10s').replaceAll('$shard', '.*').replaceAll('$job', '.*');
    const result = await query(base, promql);
    assert.ok(result.length > 0, `dashboard panel "${title}": ${promql} found nothing`);
  }

  // 5. The pods end (SIGTERM, as Kubernetes stops them): clean exit, a summary naming the shard.
  for (const { run } of shards) run.child.kill('SIGTERM');
  for (const [i, { run }] of shards.entries()) {
    const { code } = await run.exited;
    assert.equal(code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`summary of "[^"]+", shard ${i + 1}/${SHARDS} \\(gateways ${i * 100}\\.\\.${i * 100 + 99} of ${FLEET}\\)`));
  }

  // 6. Every device number once, as the broker saw it: mosquitto's log names each client.
  const ids = [...broker.log().matchAll(/New client connected from \S+ as (\S+) /g)].map((m) => m[1]);
  const expected = Array.from({ length: FLEET }, (_, k) => `gw-${k + 1}`);
  assert.equal(ids.length, FLEET, 'one connection per gateway');
  assert.deepEqual([...new Set(ids)].sort(), expected.sort());

  // 7. The four files: ranges that tile the fleet, one scenario digest.
  const docs = await Promise.all(shards.map(async ({ file }) => JSON.parse(await readFile(file, 'utf8'))));
  const ranges = docs.map((d) => [d.shard.first, d.shard.first + d.shard.gateways]).sort((a, b) => a[0] - b[0]);
  assert.deepEqual(ranges, [[0, 100], [100, 200], [200, 300], [300, 400]]);
  assert.equal(new Set(docs.map((d) => d.scenario_digest)).size, 1);
  assert.ok(docs.every((d) => d.format === 2 && d.fleet_gateways === FLEET));

  // 8. tpgate report: totals are the sums; percentiles come from the merged histograms.
  const merged = path.join(dir, 'merged.json');
  const html = path.join(dir, 'report.html');
  const report = start(process.execPath, [CLI, 'report', ...shards.map((s) => s.file), '--json', merged, '--html', html]);
  const { code } = await report.exited;
  assert.equal(code, 0, report.stderr);
  t.diagnostic(report.stdout);
  const m = JSON.parse(await readFile(merged, 'utf8'));
  for (const key of ['published', 'publish_acked', 'published_telemetry', 'published_attributes', 'published_events', 'received', 'errors', 'reconnects']) {
    assert.equal(m.totals[key], docs.reduce((sum, d) => sum + d.final[key], 0), key);
  }
  const buckets = new Map();
  for (const d of docs) {
    for (const [low, high, n] of d.histograms.ack_ms) buckets.set(`${low},${high}`, [low, high, (buckets.get(`${low},${high}`)?.[2] ?? 0) + n]);
  }
  const all = [...buckets.values()].sort((a, b) => a[0] - b[0]);
  const total = all.reduce((s, b) => s + b[2], 0);
  const percentile = (p) => {
    const rank = Math.max(1, Math.ceil(p * total));
    let seen = 0;
    for (const [low, high, n] of all) {
      seen += n;
      if (seen >= rank) return high - low === 1 ? low : Math.round((low + high) / 2);
    }
    return null;
  };
  assert.ok(total > 0 && total <= docs.reduce((s, d) => s + d.final.publish_acked, 0), 'acks measured: at most the acked');
  assert.equal(m.latency_ms.ack.count, total);
  assert.equal(m.latency_ms.ack.p50, percentile(0.5));
  assert.equal(m.latency_ms.ack.p99, percentile(0.99));
  assert.ok(existsSync(html));
});
