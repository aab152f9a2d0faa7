// `tpgate report` (node npm/bin/tpgate.js report ...) on --metrics-json files
// of emulator shards generated here, latency samples bucketed the way the
// emulator buckets them:
//   - the totals are the sums of the shards' counters and errors;
//   - p50/p90/p99 are those of all the raw samples together (not an average
//     of the shards' percentiles: the fixture makes the two differ);
//   - connected at peak is the per-second sum on wall-clock time;
//   - missing shards are a warning on stderr; the no-platform hint;
//   - every bad input exits 2 with a message naming the file(s).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { histogramPercentile, mergeHistograms, mergeSeries, shardBounds } from '../../npm/src/cli/report.js';
import { mulberry32 } from './helpers/chaos-proxy.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(here, '../../npm/bin/tpgate.js');

let dir;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tpgate-report-cli-'));
});
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function report(args, cwd = dir) {
  const r = spawnSync(process.execPath, [CLI, 'report', ...args], { cwd, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// --- fixtures ---------------------------------------------------------------

/** A seeded PRNG in [0, 1). */
const prng = mulberry32;

/** The emulator's bucket of a latency: [low, high) in ms. */
function bucketOf(ms) {
  if (ms < 16) {
    const low = Math.floor(Math.max(0, ms));
    return [low, low + 1];
  }
  let base = 16;
  while (ms >= base * 2) base *= 2;
  const sub = Math.floor((ms / base - 1) * 8);
  return [base * (1 + sub / 8), base * (1 + (sub + 1) / 8)];
}

function histogramOf(samples) {
  const counts = new Map();
  for (const ms of samples) {
    const [low, high] = bucketOf(ms);
    const key = `${low},${high}`;
    counts.set(key, [low, high, (counts.get(key)?.[2] ?? 0) + 1]);
  }
  return [...counts.values()].sort((a, b) => a[0] - b[0]);
}

/** The percentile over raw samples: the rank-th smallest sample's bucket, by the emulator's value rule. */
function directPercentile(samples, p) {
  const buckets = samples.map(bucketOf).sort((a, b) => a[0] - b[0]);
  const [low, high] = buckets[Math.max(1, Math.ceil(p * samples.length)) - 1];
  return high - low === 1 ? low : Math.round((low + high) / 2);
}

const DIGEST = `sha256:${'ab12'.repeat(16)}`;

const FINAL_KEYS = [
  'gateways', 'connected', 'published', 'publish_acked', 'received', 'commands', 'attribute_sets', 'attribute_gets', 'controls',
  'events_sent', 'reports_acked', 'failures_injected', 'errors', 'reconnects', 'dropped', 'bytes_out', 'bytes_in', 'queued',
  'forced_closes', 'transport_errors', 'published_telemetry', 'published_attributes', 'published_events', 'published_responses', 'commands_failed', 'attribute_sets_failed',
  'attribute_gets_failed', 'controls_failed',
];

/**
 * One shard's --metrics-json document. `samples`: raw latencies per
 * histogram; `series`: [{t, connected, ...}] (defaults: 5 seconds, all connected).
 */
function shardDoc({ index, count, fleet, startedAt, rand, samples, series, final = {}, errors = {}, name = 'fleet test', digest = DIGEST, duration = 5.2 }) {
  const [first, end] = shardBounds(fleet, index, count);
  const gateways = end - first;
  const f = {};
  for (const k of FINAL_KEYS) f[k] = Math.floor(rand() * 1000);
  Object.assign(f, { gateways, connected: gateways }, final);
  // Fields that must not be summed.
  Object.assign(f, { ack_p50_ms: 3, ack_p99_ms: 40, window_s: 1, uptime_s: duration, messages_per_s: 900, published_per_s: 800, received_per_s: 100 });
  const histograms = {};
  for (const [k, list] of Object.entries(samples)) histograms[k] = histogramOf(list);
  const ser =
    series ??
    [1, 2, 3, 4, 5].map((t) => ({
      t: t + 0.001,
      connected: gateways,
      messages_per_s: 100,
      published_per_s: 90,
      received_per_s: 10,
      ack_p50_ms: 2,
      ack_p99_ms: 9,
      report_ack_p50_ms: null,
      report_ack_p99_ms: null,
      commands: t,
      errors: 0,
      reconnects: 0,
    }));
  return {
    tool: 'tpgate emulate',
    format: 2,
    name,
    url: 'mqtt://127.0.0.1:1883',
    started_at: startedAt,
    duration_s: duration,
    connect_all_s: 1.2,
    peak_connected: gateways,
    connected_at_stop: gateways,
    scenario_digest: digest,
    fleet_gateways: fleet,
    shard: { index, count, first, gateways },
    ack_latency_ms: { p50: 3, p99: 40 },
    report_ack_latency_ms: { p50: null, p99: null },
    histograms,
    errors: { protocol: 0, refused: 0, report_ack_timeouts: 0, request_failures: 0, script: 0, transport: 0, ...errors },
    final: f,
    series: ser,
  };
}

async function writeJson(name, doc) {
  const file = path.join(dir, name);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(doc, null, 2)}\n`);
  return file;
}

// Four shards of 10000 gateways: shard 1 is busy and fast (many samples of
// 1..6 ms), shards 2-4 slow and light. The average of the shards' p50s is far
// from the fleet's p50, which shard 1 dominates.
function fourShards() {
  const rand = prng(17);
  const docs = [];
  const all = { ack_ms: [], report_ack_ms: [], request_service_ms: [] };
  for (let k = 1; k <= 4; k++) {
    const n = k === 1 ? 6000 : 700;
    const ack = Array.from({ length: n }, () => (k === 1 ? 1 + rand() * 5 : 40 + rand() * 400 * k));
    const reportAck = Array.from({ length: 200 }, () => 5 + rand() * 60 * k);
    const service = Array.from({ length: 50 }, () => rand() * 30);
    all.ack_ms.push(...ack);
    all.report_ack_ms.push(...reportAck);
    all.request_service_ms.push(...service);
    docs.push(
      shardDoc({
        index: k,
        count: 4,
        fleet: 10000,
        startedAt: new Date(Date.UTC(2025, 0, 2, 10, 0, 0, 100 * k)).toISOString(),
        rand,
        samples: { ack_ms: ack, report_ack_ms: reportAck, request_service_ms: service },
        errors: { protocol: k, transport: 2 * k },
      }),
    );
  }
  return { docs, all };
}

// --- the merge math ---------------------------------------------------------

test('histogramPercentile: nearest rank, one-ms buckets as is, wider ones at their rounded midpoint', () => {
  assert.equal(histogramPercentile([], 0.5), null);
  const h = [[0, 1, 12], [1, 2, 40], [3, 4, 10], [16, 18, 3], [30, 32, 1]];
  // total 66: p50 -> rank 33 (in [1, 2)); p90 -> rank 60 (in [3, 4)); p99 -> rank 66 ([30, 32) -> 31).
  assert.equal(histogramPercentile(h, 0.5), 1);
  assert.equal(histogramPercentile(h, 0.9), 3);
  assert.equal(histogramPercentile(h, 0.95), 17);
  assert.equal(histogramPercentile(h, 0.99), 31);
  assert.equal(histogramPercentile(h, 0), 0, 'rank at least 1');
  assert.equal(histogramPercentile([[768, 832, 5]], 0.5), 800);
  assert.equal(histogramPercentile([[18, 20, 5]], 0.5), 19);
});

test('mergeHistograms: equal buckets add up, other edges are kept, sorted', () => {
  const merged = mergeHistograms([
    [[1, 2, 3], [16, 18, 1]],
    [[0, 1, 2], [1, 2, 4], [40, 48, 2]],
    [[16, 17, 5]],
  ]);
  assert.deepEqual(merged, [[0, 1, 2], [1, 2, 7], [16, 17, 5], [16, 18, 1], [40, 48, 2]]);
});

test('the fixtures bucket as the emulator does', () => {
  assert.deepEqual(bucketOf(0.4), [0, 1]);
  assert.deepEqual(bucketOf(15.99), [15, 16]);
  assert.deepEqual(bucketOf(16), [16, 18]);
  assert.deepEqual(bucketOf(31.9), [30, 32]);
  assert.deepEqual(bucketOf(32), [32, 36]);
  assert.deepEqual(bucketOf(1000), [960, 1024]);
});

test('4 shards: totals are the sums, percentiles those of all the samples, not averages', async () => {
  const { docs, all } = fourShards();
  const files = [];
  for (const [i, d] of docs.entries()) files.push(await writeJson(`four/shard-${i + 1}.json`, d));
  const out = path.join(dir, 'four', 'merged.json');
  const r = report([...files, '--json', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr.replace(/tpgate report: wrote .*\n/, ''), '', 'no warning: the fleet is complete');
  const merged = JSON.parse(await readFile(out, 'utf8'));

  // Totals: every counter of `final` summed; latencies, windows and rates not.
  for (const k of FINAL_KEYS) assert.equal(merged.totals[k], docs.reduce((n, d) => n + d.final[k], 0), k);
  for (const k of ['ack_p50_ms', 'ack_p99_ms', 'window_s', 'uptime_s', 'messages_per_s', 'published_per_s']) assert.ok(!(k in merged.totals), k);
  assert.deepEqual(merged.errors, { protocol: 10, refused: 0, report_ack_timeouts: 0, request_failures: 0, script: 0, transport: 20 });
  assert.equal(merged.totals.gateways, 10000);
  assert.deepEqual(merged.coverage, { gateways: 10000, missing: [], missing_shards: null });

  // Percentiles: over all the raw samples at once.
  const names = { ack_ms: 'ack', report_ack_ms: 'report_ack', request_service_ms: 'request_service' };
  for (const [key, name] of Object.entries(names)) {
    for (const p of [0.5, 0.9, 0.99]) {
      assert.equal(merged.latency_ms[name][`p${Math.round(p * 100)}`], directPercentile(all[key], p), `${name} p${p * 100}`);
    }
    assert.equal(merged.latency_ms[name].count, all[key].length);
    assert.deepEqual(merged.histograms[key], histogramOf(all[key]));
  }
  const p50 = directPercentile(all.ack_ms, 0.5);
  const p99 = directPercentile(all.ack_ms, 0.99);
  const averaged = (p) => Math.round(docs.reduce((n, d) => n + histogramPercentile(d.histograms.ack_ms, p), 0) / docs.length);
  assert.notEqual(averaged(0.5), p50, 'the fixture must tell the merge from an average');
  assert.notEqual(averaged(0.99), p99);

  // What is printed.
  const line = r.stdout.split('\n').find((l) => l.includes('PUBACK latency'));
  assert.ok(line, r.stdout);
  assert.match(line, new RegExp(`p50 ${p50} ms, p90 ${directPercentile(all.ack_ms, 0.9)} ms, p99 ${p99} ms`));
  assert.doesNotMatch(line, new RegExp(`p50 ${averaged(0.5)} ms`));
  assert.doesNotMatch(line, new RegExp(`p99 ${averaged(0.99)} ms`));
  const max = merged.histograms.ack_ms.at(-1);
  assert.match(line, new RegExp(`max in \\[${max[0]}, ${max[1]}\\) ms \\(${all.ack_ms.length} PUBACKs`));
  assert.match(r.stdout, /"fleet test", 4 shards, 10000 of 10000 gateways/);
  for (let k = 1; k <= 4; k++) assert.match(r.stdout, new RegExp(`${k}/4 +gateways ${(k - 1) * 2500}\\.\\.${k * 2500 - 1} +\\S*shard-${k}\\.json`));
  const published = docs.reduce((n, d) => n + d.final.published, 0);
  assert.match(r.stdout, new RegExp(`published +${published} \\(`));
  assert.match(r.stdout, /errors +30: protocol 10, refused by the broker 0, report acks that never came 0, requests not served 0, data scripts 0, transport 20\n/);
  const sum = (k) => docs.reduce((n, d) => n + d.final[k], 0);
  assert.match(r.stdout, new RegExp(`requests failed +commands ${sum('commands_failed')}, attribute sets ${sum('attribute_sets_failed')}, attribute gets ${sum('attribute_gets_failed')}, controls ${sum('controls_failed')} \\(injected ${sum('failures_injected')}\\)`));
  assert.doesNotMatch(r.stdout, /no platform acked/);
  // Duration: earliest start (10:00:00.100) to the latest end (10:00:00.400 + 5.2 s).
  assert.equal(merged.duration_s, 5.5);
  assert.match(r.stdout, /duration +5\.5 s, from 2025-01-02T10:00:00\.100Z to 2025-01-02T10:00:05\.600Z/);
});

test('connected at peak: the per-second sum on wall-clock time, not the sum of the shards\' peaks', async () => {
  const rand = prng(5);
  const point = (t, connected) => ({ t, connected, messages_per_s: 10, published_per_s: 10, received_per_s: 0, ack_p50_ms: 1, ack_p99_ms: 2, commands: 0, errors: 0, reconnects: 0 });
  // Shard 1 (10:00:00.2): 1000 connected in its seconds 1-2, then 100. Shard 2
  // starts 2.7 s later (10:00:02.9): 1000 from its first second, which is 10:00:03.
  const a = shardDoc({ index: 1, count: 2, fleet: 2000, rand, samples: { ack_ms: [1, 2, 3] }, startedAt: '2025-01-02T10:00:00.200Z',
    series: [point(1, 1000), point(2, 1000), point(3, 100), point(4, 100), point(5, 100), point(6, 100)] });
  const b = shardDoc({ index: 2, count: 2, fleet: 2000, rand, samples: { ack_ms: [1, 2, 3] }, startedAt: '2025-01-02T10:00:02.900Z',
    series: [1, 2, 3, 4, 5, 6].map((t) => point(t, 1000)) });
  const fa = await writeJson('peak/a.json', a);
  const fb = await writeJson('peak/b.json', b);
  const out = path.join(dir, 'peak', 'merged.json');
  const r = report([fa, fb, '--json', out]);
  assert.equal(r.code, 0, r.stderr);
  const merged = JSON.parse(await readFile(out, 'utf8'));
  assert.equal(merged.peak_connected, 1100);
  assert.match(r.stdout, /connected at peak 1100 \(per-second sum across shards\)/);
  assert.deepEqual(merged.series.map((p) => p.connected), [1000, 1000, 1100, 1100, 1100, 1100, 1000, 1000]);
  assert.deepEqual(merged.series.map((p) => p.t), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.equal(merged.series_origin, '2025-01-02T10:00:00.000Z');
});

test('the merged series: median of the p50s, max of the p99s, cumulative counters kept after a shard ends', () => {
  const p = (t, p50, p99, errors, extra = {}) => ({ t, connected: 10, messages_per_s: 5, published_per_s: 4, received_per_s: 1, ack_p50_ms: p50, ack_p99_ms: p99, commands: 0, errors, reconnects: 0, ...extra });
  const shard = (startedAt, series) => ({ doc: { started_at: startedAt, series } });
  const { origin, points } = mergeSeries([
    shard('2025-01-02T10:00:00.000Z', [p(1, 1, 10, 0), p(2, 1, 10, 2), p(3, 1, 10, 4)]),
    shard('2025-01-02T10:00:00.500Z', [p(1, 5, 90, 0), p(2, 5, 90, 3)]), // seconds 1 and 2, ends with 3 errors
    shard('2025-01-02T10:00:00.900Z', [p(0.5, 9, 20, 0), p(1.05, null, null, 0)]), // seconds 1 and 1: the later sample counts
  ]);
  assert.equal(origin, '2025-01-02T10:00:00.000Z');
  assert.deepEqual(points.map((x) => x.t), [1, 2, 3]);
  assert.deepEqual(points.map((x) => x.ack_p50_ms), [3, 3, 1], 'median of the p50s sampled in that second (1 and 5 -> 3)');
  assert.deepEqual(points.map((x) => x.ack_p99_ms), [90, 90, 10]);
  assert.deepEqual(points.map((x) => x.connected), [30, 20, 10]);
  assert.deepEqual(points.map((x) => x.errors), [0, 5, 7], 'a finished shard keeps its last cumulative count');
  assert.deepEqual(points.map((x) => x.errors_per_s), [0, 5, 2]);
  assert.deepEqual(points.map((x) => x.shards), [3, 2, 1]);
});

test('missing shards: a warning on stderr naming them, the summary of the rest, exit 0', async () => {
  const { docs } = fourShards();
  const f1 = await writeJson('partial/shard-1.json', docs[0]);
  const f3 = await writeJson('partial/shard-3.json', docs[2]);
  const r = report([f1, f3]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: the files cover 5000 of the fleet's 10000 gateways: missing shards 2\/4, 4\/4 \(gateways 2500\.\.4999, gateways 7500\.\.9999\)/);
  assert.match(r.stdout, /2 shards, 5000 of 10000 gateways/);
});

test('report ack timeouts with no report acked: the hint about the platform', async () => {
  const rand = prng(9);
  const doc = shardDoc({ index: 1, count: 1, fleet: 20, rand, startedAt: '2025-01-02T10:00:00.000Z', samples: { ack_ms: [1, 2], report_ack_ms: [] },
    final: { reports_acked: 0 }, errors: { report_ack_timeouts: 40, protocol: 1 } });
  const file = await writeJson('hint/run.json', doc);
  const r = report([file]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /hint +no platform acked any attribute\/event report: is a ThingsPanel platform \(or `tpgate broker --thingspanel`\) attached to this broker\?/);
  assert.match(r.stdout, /report acks +none recorded/);
  const acked = await writeJson('hint/acked.json', { ...doc, final: { ...doc.final, reports_acked: 3 } });
  assert.doesNotMatch(report([acked]).stdout, /no platform acked/);
});

// --- bad input --------------------------------------------------------------

test('bad inputs exit 2 with a message naming the file(s)', async (t) => {
  const rand = prng(3);
  const base = { rand, startedAt: '2025-01-02T10:00:00.000Z', samples: { ack_ms: [1, 2, 3] } };
  const good = await writeJson('bad/good-1of4.json', shardDoc({ ...base, index: 1, count: 4, fleet: 8000 }));
  const cases = [
    ['no files', [], /no files given/],
    ['unreadable', ['bad/nope.json'], /cannot read bad\/nope\.json: no such file/],
    ['a folder', ['bad'], /cannot read bad: a folder, not a file/],
  ];
  await writeFile(path.join(dir, 'bad/not-json.json'), '{"tool": "tpgate emulate", ');
  cases.push(['not JSON', ['bad/not-json.json'], /bad\/not-json\.json is not JSON/]);
  await writeJson('bad/other.json', { hello: 'world' });
  cases.push(['not a metrics file', ['bad/other.json'], /bad\/other\.json is not a `tpgate emulate --metrics-json` file/]);
  const old = shardDoc({ ...base, index: 1, count: 1, fleet: 10 });
  for (const k of ['format', 'shard', 'histograms', 'errors', 'scenario_digest', 'fleet_gateways']) delete old[k];
  await writeJson('bad/format1.json', old);
  cases.push(['format 1', ['bad/format1.json'], /bad\/format1\.json was made by an older tpgate \(--metrics-json format 1.*\): rerun `tpgate emulate \.\.\. --metrics-json FILE` with this tpgate/]);
  await writeJson('bad/damaged.json', { ...shardDoc({ ...base, index: 1, count: 4, fleet: 8000 }), shard: { index: 5, count: 4, first: 0, gateways: 10 } });
  cases.push(['damaged', ['bad/damaged.json'], /bad\/damaged\.json: \$\.shard\.index must be an integer from 1 to 4 \(got 5\)/]);
  await writeJson('bad/other-scenario.json', shardDoc({ ...base, index: 2, count: 4, fleet: 8000, name: 'another fleet', digest: `sha256:${'cd34'.repeat(16)}` }));
  cases.push([
    'different scenarios',
    ['bad/good-1of4.json', 'bad/other-scenario.json'],
    /bad\/good-1of4\.json \(scenario "fleet test", sha256:(ab12)+, 8000 gateways\) and bad\/other-scenario\.json \(scenario "another fleet", sha256:(cd34)+, 8000 gateways\) are shards of different fleet runs/,
  ]);
  await writeJson('bad/other-size.json', shardDoc({ ...base, index: 2, count: 4, fleet: 9000 }));
  cases.push(['different fleet size', ['bad/good-1of4.json', 'bad/other-size.json'], /bad\/other-size\.json \(scenario "fleet test", .*, 9000 gateways\) are shards of different fleet runs/]);
  await writeJson('bad/2of4.json', shardDoc({ ...base, index: 2, count: 4, fleet: 8000 }));
  await writeJson('bad/3of8.json', shardDoc({ ...base, index: 3, count: 8, fleet: 8000 }));
  cases.push([
    'overlapping shards',
    ['bad/2of4.json', 'bad/3of8.json'],
    /bad\/2of4\.json \(shard 2\/4, gateways 2000\.\.3999\) and bad\/3of8\.json \(shard 3\/8, gateways 2000\.\.2999\) overlap/,
  ]);
  await writeJson('bad/2of4-rerun.json', shardDoc({ ...base, index: 2, count: 4, fleet: 8000 }));
  cases.push(['the same shard twice', ['bad/2of4.json', 'bad/2of4-rerun.json'], /bad\/2of4\.json \(shard 2\/4, gateways 2000\.\.3999\) and bad\/2of4-rerun\.json \(shard 2\/4, gateways 2000\.\.3999\) overlap: the same shard twice/]);
  cases.push(['the same file twice', ['bad/good-1of4.json', 'bad/2of4.json', 'bad/good-1of4.json'], /bad\/good-1of4\.json is given twice/]);
  cases.push(['the same file by two names', ['bad/good-1of4.json', './bad/../bad/good-1of4.json'], /bad\/good-1of4\.json and \.\/bad\/\.\.\/bad\/good-1of4\.json are the same file/]);
  cases.push(['--html into a missing folder', ['bad/good-1of4.json', '--html', 'no-such-dir/report.html'], /--html no-such-dir\/report\.html: the folder no-such-dir does not exist: create it first/]);
  cases.push(['--json into a missing folder', ['bad/good-1of4.json', '--json', 'no-such-dir/report.json'], /--json no-such-dir\/report\.json: the folder no-such-dir does not exist/]);
  cases.push(['--json onto an input file', ['bad/good-1of4.json', 'bad/2of4.json', '--json', 'bad/2of4.json'], /--json bad\/2of4\.json is one of the input files \(bad\/2of4\.json\): write the merged document to another file/]);
  cases.push(['an unknown flag', ['bad/good-1of4.json', '--htm', 'x.html'], /unknown flag --htm; did you mean --html\?/]);
  assert.ok(good);
  for (const [name, args, message] of cases) {
    await t.test(name, () => {
      const r = report(args);
      assert.equal(r.code, 2, `${name}: exit code\n${r.stderr}`);
      assert.match(r.stderr, message);
      assert.match(r.stderr, /^tpgate report: /);
      assert.equal(r.stdout, '', 'nothing on stdout');
    });
  }
});

test('each bad file is named, all of them at once', async () => {
  const r = report(['bad/nope.json', 'bad/other.json', 'bad/format1.json']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /bad\/nope\.json/);
  assert.match(r.stderr, /bad\/other\.json/);
  assert.match(r.stderr, /bad\/format1\.json/);
});

test('--help, and the command in tpgate --help', () => {
  const r = report(['--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^Usage: tpgate report SHARD\.json\.\.\. \[--html FILE\] \[--json FILE\]/);
  for (const flag of ['--html', '--json', '-h, --help']) assert.ok(r.stdout.includes(flag), flag);
  const top = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' });
  assert.match(top.stdout, /report +merge the --metrics-json files of emulator shards into one summary \(and an HTML page\)/);
});
