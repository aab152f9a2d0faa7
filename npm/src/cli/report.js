// `tpgate report shard-*.json [--html FILE] [--json FILE]`: merges the
// --metrics-json files of `tpgate emulate` shards (one per process, pod or
// machine of one fleet run) into one summary: counters summed, latency
// percentiles from the merged histograms (not averaged), the per-second series
// aligned on wall-clock time. Optionally a self-contained HTML page with the
// charts and the merged document as JSON. Exit 0: merged; 1: an output file
// could not be written; 2: a bad command line or bad input files.
import { readFileSync } from 'node:fs';
import { readFile, realpath, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseCommandLine, parseFlags, UsageError } from './args.js';
import { byEdges, bytes, histogramPercentile, rate } from './emulate-report.js';

export { histogramPercentile };

export const HELP = `Usage: tpgate report SHARD.json... [--html FILE] [--json FILE]

Merges the --metrics-json files of \`tpgate emulate --shard k/n\` runs (one file
per shard process, e.g. one per pod of a Kubernetes Indexed Job) into one
summary of the whole fleet on stdout: counters summed, PUBACK / report ack /
request service latency percentiles from the merged histograms, connected
gateways as the per-second sum across shards. A single unsharded run's file
works too. Shards missing from the fleet are named on stderr (a warning).

Options:
  --html FILE   also write a self-contained HTML page (summary table and
                per-second charts; no network needed) to attach to a ticket
  --json FILE   also write the merged document (totals, percentiles, merged
                histograms, merged per-second series) as JSON
  -h, --help    this help

Exit 0: merged; 1: an output file could not be written; 2: a bad command line
or a bad input file (unreadable, not format 2 of --metrics-json, another
scenario's shard, overlapping shards, a file given twice, or --html/--json
into a folder that does not exist).

Examples:
  tpgate report shard-*.json
  tpgate report shard-*.json --html report.html --json report.json
`;

const FLAGS = {
  html: { type: 'string' },
  json: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

const FORMAT = 2;

/** Bad input files: main() prints each message and exits 2. */
class InputError extends Error {}

function version() {
  try {
    return JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
  } catch {
    return 'this version';
  }
}

function usage(problem) {
  return `${problem ? `tpgate report: ${problem}\n\n` : ''}${HELP}`;
}

function parse(argv) {
  const { values, positionals } = parseFlags(argv, FLAGS, { allowPositionals: true, suggest: true });
  if (values.help) return { help: true };
  if (positionals.length === 0) {
    throw new UsageError('no files given: name the --metrics-json files of the shards, e.g. tpgate report shard-*.json');
  }
  for (const flag of ['html', 'json']) {
    if (values[flag] !== undefined && values[flag].trim() === '') throw new UsageError(`--${flag} needs a file name`);
  }
  if (values.html !== undefined && values.json !== undefined && path.resolve(values.html) === path.resolve(values.json)) {
    throw new UsageError(`--html and --json name the same file (${values.html}): give two files`);
  }
  return { files: positionals, html: values.html, json: values.json };
}

// ---------------------------------------------------------------------------
// Histograms: [[low, high, count], ...], buckets [low, high) in ms sorted by low.

/**
 * Sums histograms: equal [low, high) buckets add their counts; buckets of
 * other edges are kept as they are. Sorted by low (then high); empty ones dropped.
 * @param {Array<Array<[number, number, number]>>} list
 * @returns {Array<[number, number, number]>}
 */
export function mergeHistograms(list) {
  const sums = new Map();
  for (const buckets of list) {
    for (const [low, high, count] of buckets ?? []) {
      const key = `${low},${high}`;
      const b = sums.get(key);
      if (b) b[2] += count;
      else sums.set(key, [low, high, count]);
    }
  }
  return [...sums.values()].filter((b) => b[2] > 0).sort(byEdges);
}



/** count, p50, p90, p99 and the highest non-empty bucket of a histogram. */
export function latencyFigures(buckets) {
  let count = 0;
  for (const b of buckets) count += b[2];
  const last = buckets.length ? buckets[buckets.length - 1] : null;
  return {
    count,
    p50: histogramPercentile(buckets, 0.5),
    p90: histogramPercentile(buckets, 0.9),
    p99: histogramPercentile(buckets, 0.99),
    max_bucket: last ? [last[0], last[1]] : null,
  };
}

// ---------------------------------------------------------------------------
// Reading and checking the shard files.

const isObject = (x) => x !== null && typeof x === 'object' && !Array.isArray(x);
const isCount = (x) => Number.isSafeInteger(x) && x >= 0;

function reason(err) {
  if (err.code === 'ENOENT') return 'no such file';
  if (err.code === 'EISDIR') return 'a folder, not a file';
  if (err.code === 'EACCES') return 'permission denied';
  return err.message;
}

/**
 * Checks a parsed --metrics-json document; returns the problem (text) or null.
 * Only what the merge relies on is checked.
 */
function problemOf(doc) {
  const bad = (where, what, got) => `${where} must be ${what} (got ${JSON.stringify(got) ?? 'nothing'})`;
  if (typeof doc.name !== 'string') return bad('$.name', 'a string', doc.name);
  if (typeof doc.scenario_digest !== 'string' || doc.scenario_digest === '') return bad('$.scenario_digest', 'a string', doc.scenario_digest);
  if (!Number.isSafeInteger(doc.fleet_gateways) || doc.fleet_gateways < 1) return bad('$.fleet_gateways', 'an integer from 1', doc.fleet_gateways);
  const s = doc.shard;
  if (!isObject(s)) return bad('$.shard', 'an object {index, count, first, gateways}', s);
  if (!Number.isSafeInteger(s.count) || s.count < 1) return bad('$.shard.count', 'an integer from 1', s.count);
  if (!Number.isSafeInteger(s.index) || s.index < 1 || s.index > s.count) return bad('$.shard.index', `an integer from 1 to ${s.count}`, s.index);
  if (!isCount(s.first)) return bad('$.shard.first', 'an integer from 0', s.first);
  if (!isCount(s.gateways) || s.first + s.gateways > doc.fleet_gateways) {
    return bad('$.shard.gateways', `an integer from 0 to ${doc.fleet_gateways - s.first} ($.fleet_gateways - $.shard.first)`, s.gateways);
  }
  if (typeof doc.started_at !== 'string' || !Number.isFinite(Date.parse(doc.started_at))) return bad('$.started_at', 'an ISO date and time', doc.started_at);
  if (typeof doc.duration_s !== 'number' || !(doc.duration_s >= 0)) return bad('$.duration_s', 'a number of seconds from 0', doc.duration_s);
  if (!isObject(doc.final)) return bad('$.final', 'an object of counters', doc.final);
  if (!isObject(doc.errors)) return bad('$.errors', 'an object of counts by kind', doc.errors);
  for (const [kind, n] of Object.entries(doc.errors)) if (!isCount(n)) return bad(`$.errors.${kind}`, 'an integer from 0', n);
  if (!isObject(doc.histograms)) return bad('$.histograms', 'an object of histograms', doc.histograms);
  for (const [key, buckets] of Object.entries(doc.histograms)) {
    if (!Array.isArray(buckets)) return bad(`$.histograms.${key}`, 'an array of [low, high, count]', buckets);
    for (let i = 0; i < buckets.length; i++) {
      const b = buckets[i];
      const ok = Array.isArray(b) && b.length === 3 && Number.isFinite(b[0]) && Number.isFinite(b[1]) && b[0] >= 0 && b[1] > b[0] && isCount(b[2]);
      if (!ok) return bad(`$.histograms.${key}[${i}]`, '[low, high, count] with 0 <= low < high', b);
    }
  }
  if (!Array.isArray(doc.series)) return bad('$.series', 'an array', doc.series);
  for (let i = 0; i < doc.series.length; i++) {
    const p = doc.series[i];
    if (!isObject(p) || typeof p.t !== 'number' || !Number.isFinite(p.t)) return bad(`$.series[${i}].t`, 'a number of seconds', p?.t);
  }
  return null;
}

/** Reads and checks one file; throws InputError. */
export async function loadShardFile(file) {
  let text;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read ${file}: ${reason(err)}`);
  }
  let doc;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${file} is not JSON (${err.message}): give the files \`tpgate emulate --metrics-json FILE\` wrote`);
  }
  if (!isObject(doc) || doc.tool !== 'tpgate emulate') {
    throw new InputError(`${file} is not a \`tpgate emulate --metrics-json\` file (it has no "tool": "tpgate emulate")`);
  }
  if (doc.format === undefined || (typeof doc.format === 'number' && doc.format < FORMAT)) {
    throw new InputError(
      `${file} was made by an older tpgate (--metrics-json format ${doc.format ?? 1}, without the shard, histograms and scenario_digest that a merge needs): ` +
        `rerun \`tpgate emulate ... --metrics-json FILE\` with this tpgate (${version()}), which writes format ${FORMAT}`,
    );
  }
  if (doc.format !== FORMAT) {
    throw new InputError(`${file} is --metrics-json format ${JSON.stringify(doc.format)}, which this tpgate (${version()}) does not know: merge it with the tpgate that wrote it`);
  }
  const problem = problemOf(doc);
  if (problem) throw new InputError(`${file}: ${problem}: the file is damaged, or not written by \`tpgate emulate --metrics-json\``);
  return { file, doc };
}

const shardName = (s) => `${s.doc.shard.index}/${s.doc.shard.count}`;
const range = (first, end) => (end - first === 1 ? `gateway ${first}` : end > first ? `gateways ${first}..${end - 1}` : 'no gateways');
const shardRange = (s) => range(s.doc.shard.first, s.doc.shard.first + s.doc.shard.gateways);

/** The first and past-the-end gateway index of shard k of n (the emulator's split). */
export function shardBounds(total, k, n) {
  return [Math.floor(((k - 1) * total) / n), Math.floor((k * total) / n)];
}

/** Problems between files (different scenarios, overlapping shards): messages. */
function crossProblems(shards) {
  const problems = [];
  const [ref] = shards;
  for (const s of shards.slice(1)) {
    if (s.doc.scenario_digest !== ref.doc.scenario_digest || s.doc.fleet_gateways !== ref.doc.fleet_gateways) {
      const what = (x) => `scenario "${x.doc.name}", ${x.doc.scenario_digest}, ${x.doc.fleet_gateways} gateways`;
      problems.push(
        `${ref.file} (${what(ref)}) and ${s.file} (${what(s)}) are shards of different fleet runs ` +
          `(their scenario_digest or fleet_gateways differ): merge only the shards of one run (same scenario, --gateways and --seed)`,
      );
    }
  }
  if (problems.length) return problems;
  const byFirst = [...shards].sort((a, b) => a.doc.shard.first - b.doc.shard.first || a.doc.shard.gateways - b.doc.shard.gateways);
  const order = new Map(shards.map((s, i) => [s, i]));
  for (let i = 0; i < byFirst.length; i++) {
    const aEnd = byFirst[i].doc.shard.first + byFirst[i].doc.shard.gateways;
    for (let j = i + 1; j < byFirst.length && byFirst[j].doc.shard.first < aEnd; j++) {
      if (byFirst[j].doc.shard.gateways === 0 || byFirst[i].doc.shard.gateways === 0) continue;
      // Named in the order of the command line.
      const [a, b] = order.get(byFirst[i]) < order.get(byFirst[j]) ? [byFirst[i], byFirst[j]] : [byFirst[j], byFirst[i]];
      const same = shardName(a) === shardName(b);
      problems.push(
        `${a.file} (shard ${shardName(a)}, ${shardRange(a)}) and ${b.file} (shard ${shardName(b)}, ${shardRange(b)}) overlap: ` +
          (same ? 'the same shard twice (a rerun?): keep one of the two files' : 'their gateways would be counted twice: give each gateway\'s shard once'),
      );
    }
  }
  return problems;
}

/** The gateways no shard covers: {gateways, missing: [[first, end]], missingShards: ['3/4'] | null}. */
export function coverage(shards) {
  const total = shards[0].doc.fleet_gateways;
  const spans = shards.map((s) => [s.doc.shard.first, s.doc.shard.first + s.doc.shard.gateways]).sort((a, b) => a[0] - b[0]);
  const missing = [];
  let at = 0;
  let covered = 0;
  for (const [first, end] of spans) {
    if (first > at) missing.push([at, first]);
    covered += end - first;
    at = Math.max(at, end);
  }
  if (at < total) missing.push([at, total]);
  let missingShards = null;
  const counts = new Set(shards.map((s) => s.doc.shard.count));
  if (missing.length && counts.size === 1) {
    const [n] = counts;
    const have = new Set(shards.map((s) => s.doc.shard.index));
    missingShards = [];
    for (let k = 1; k <= n; k++) if (!have.has(k)) missingShards.push(`${k}/${n}`);
  }
  return { gateways: covered, missing, missingShards };
}

// ---------------------------------------------------------------------------
// Merging.

// Per-second fields of a shard's series: rates and levels (summed over the
// shards running in that second), cumulative counters (summed, a stopped
// shard keeping its last value) and window percentiles (not summable).
const LEVELS = ['connected', 'messages_per_s', 'published_per_s', 'received_per_s'];
const CUMULATIVE = ['commands', 'errors', 'reconnects'];
const WINDOW_LATENCIES = [
  ['ack_p50_ms', 'median'],
  ['ack_p99_ms', 'max'],
  ['report_ack_p50_ms', 'median'],
  ['report_ack_p99_ms', 'max'],
];

function median(xs) {
  if (xs.length === 0) return null;
  const sorted = [...xs].sort((a, b) => a - b);
  const h = sorted.length >> 1;
  return sorted.length % 2 ? sorted[h] : (sorted[h - 1] + sorted[h]) / 2;
}

/** A counter of `final` that adds up across shards (not a latency, window or rate). */
const summable = (key, value) => typeof value === 'number' && Number.isFinite(value) && !/_ms$|_per_s$/.test(key) && key !== 'window_s' && key !== 'uptime_s';

/**
 * The per-second series of all shards on one clock: second s of shard i is
 * floor((started_at_i + t) / 1 s). Levels and rates add up over the shards
 * running in that second (a shard with no sample in one second of its run
 * counts with its previous one); cumulative counters add up with a finished
 * shard's last value; window p50s take the median and p99s the maximum of the
 * shards that sampled that second. t: seconds since the start of the second
 * in which the earliest shard started (series_origin).
 */
export function mergeSeries(shards) {
  const tracks = shards.map(({ doc }) => {
    const start = Date.parse(doc.started_at);
    const bySecond = new Map();
    for (const p of [...doc.series].sort((a, b) => a.t - b.t)) bySecond.set(Math.floor((start + p.t * 1000) / 1000), p);
    const seconds = [...bySecond.keys()].sort((a, b) => a - b);
    return { bySecond, seconds, first: seconds[0], last: seconds[seconds.length - 1], current: null };
  });
  const all = new Set();
  for (const tr of tracks) {
    if (tr.seconds.length === 0) continue;
    for (let s = tr.first; s <= tr.last; s++) all.add(s);
  }
  const seconds = [...all].sort((a, b) => a - b);
  if (seconds.length === 0) return { origin: null, points: [] };
  // t counts whole seconds from the second in which the first shard started.
  const origin = Math.min(seconds[0], ...shards.map(({ doc }) => Math.floor(Date.parse(doc.started_at) / 1000)));
  const points = [];
  let previous = null;
  for (const s of seconds) {
    const point = { t: s - origin, shards: 0 };
    for (const k of LEVELS) point[k] = 0;
    for (const k of CUMULATIVE) point[k] = 0;
    const windows = Object.fromEntries(WINDOW_LATENCIES.map(([k]) => [k, []]));
    for (const tr of tracks) {
      if (tr.seconds.length === 0 || s < tr.first) continue;
      const own = tr.bySecond.get(s);
      if (own) tr.current = own;
      const p = tr.current;
      for (const k of CUMULATIVE) point[k] += num(p[k]);
      if (s > tr.last) continue;
      point.shards += own ? 1 : 0;
      for (const k of LEVELS) point[k] += num(p[k]);
      if (own) for (const [k] of WINDOW_LATENCIES) if (typeof own[k] === 'number' && Number.isFinite(own[k])) windows[k].push(own[k]);
    }
    for (const [k, how] of WINDOW_LATENCIES) point[k] = windows[k].length === 0 ? null : how === 'max' ? Math.max(...windows[k]) : median(windows[k]);
    const dt = previous ? point.t - previous.t : 1;
    point.errors_per_s = Math.max(0, point.errors - (previous?.errors ?? 0)) / dt;
    point.reconnects_per_s = Math.max(0, point.reconnects - (previous?.reconnects ?? 0)) / dt;
    points.push(point);
    previous = point;
  }
  return { origin: new Date(origin * 1000).toISOString(), points };
}

const num = (x) => (typeof x === 'number' && Number.isFinite(x) ? x : 0);

/**
 * The merged document of checked shards ({file, doc} each, same fleet run,
 * not overlapping): what --json writes and the page shows.
 */
export function mergeShards(shards) {
  const sorted = [...shards].sort((a, b) => a.doc.shard.first - b.doc.shard.first || a.doc.shard.index - b.doc.shard.index);
  const [ref] = sorted;
  const starts = sorted.map((s) => Date.parse(s.doc.started_at));
  const ends = sorted.map((s, i) => starts[i] + s.doc.duration_s * 1000);
  const startMs = Math.min(...starts);
  const endMs = Math.max(...ends);
  const durationS = (endMs - startMs) / 1000;

  const totals = {};
  for (const { doc } of sorted) for (const [k, v] of Object.entries(doc.final)) if (summable(k, v)) totals[k] = (totals[k] ?? 0) + v;
  const errors = {};
  for (const { doc } of sorted) for (const [k, v] of Object.entries(doc.errors)) errors[k] = (errors[k] ?? 0) + v;

  const keys = [];
  for (const { doc } of sorted) for (const k of Object.keys(doc.histograms)) if (!keys.includes(k)) keys.push(k);
  const histograms = {};
  const latency = {};
  for (const k of keys) {
    histograms[k] = mergeHistograms(sorted.map((s) => s.doc.histograms[k] ?? []));
    latency[k.replace(/_ms$/, '')] = latencyFigures(histograms[k]);
  }

  const series = mergeSeries(sorted);
  let peak = null;
  for (const p of series.points) if (peak === null || p.connected > peak) peak = p.connected;
  const allConnected = sorted.every((s) => typeof s.doc.connect_all_s === 'number')
    ? Math.max(...sorted.map((s, i) => starts[i] + s.doc.connect_all_s * 1000)) / 1000 - startMs / 1000
    : null;
  const cover = coverage(sorted);
  const d = durationS > 0 ? durationS : 1;
  return {
    tool: 'tpgate report',
    format: 1,
    name: ref.doc.name,
    scenario_digest: ref.doc.scenario_digest,
    fleet_gateways: ref.doc.fleet_gateways,
    urls: [...new Set(sorted.map((s) => s.doc.url).filter((u) => typeof u === 'string'))],
    shards: sorted.map((s) => ({
      file: s.file,
      index: s.doc.shard.index,
      count: s.doc.shard.count,
      first: s.doc.shard.first,
      gateways: s.doc.shard.gateways,
      started_at: s.doc.started_at,
      duration_s: s.doc.duration_s,
      peak_connected: s.doc.peak_connected ?? null,
      url: s.doc.url ?? null,
    })),
    coverage: { gateways: cover.gateways, missing: cover.missing, missing_shards: cover.missingShards },
    started_at: new Date(startMs).toISOString(),
    ended_at: new Date(endMs).toISOString(),
    duration_s: Number(durationS.toFixed(3)),
    connect_all_s: allConnected === null ? null : Number(allConnected.toFixed(3)),
    peak_connected: peak,
    connected_at_stop: sorted.reduce((n, s) => n + num(s.doc.connected_at_stop), 0),
    published_per_s: (totals.published ?? 0) / d,
    received_per_s: (totals.received ?? 0) / d,
    totals,
    errors,
    latency_ms: latency,
    histograms,
    series_origin: series.origin,
    series: series.points,
  };
}

// ---------------------------------------------------------------------------
// The summary (stdout and the page's table).

const LATENCY_ROWS = [
  ['ack', 'PUBACK latency', 'PUBACKs'],
  ['report_ack', 'report acks', 'acks'],
  ['request_service', 'request service', 'requests'],
];

function latencyText(l) {
  if (!l || l.count === 0) return 'none recorded';
  return `p50 ${l.p50} ms, p90 ${l.p90} ms, p99 ${l.p99} ms, max in [${l.max_bucket[0]}, ${l.max_bucket[1]}) ms`;
}

// The error kinds of --metrics-json as the emulator's summary words them.
const ERROR_NAMES = {
  protocol: 'protocol',
  refused: 'refused by the broker',
  report_ack_timeouts: 'report acks that never came',
  request_failures: 'requests not served',
  script: 'data scripts',
  transport: 'transport',
};

export const NO_PLATFORM_HINT =
  'no platform acked any attribute/event report: is a ThingsPanel platform (or `tpgate broker --thingspanel`) attached to this broker?';

/** Whether report ack timeouts dominate the errors while no report was acked. */
function noPlatform(doc) {
  const all = Object.values(doc.errors).reduce((a, b) => a + b, 0);
  const timeouts = doc.errors.report_ack_timeouts ?? 0;
  return timeouts > 0 && timeouts * 2 >= all && (doc.totals.reports_acked ?? 0) === 0;
}

/** The missing part of the fleet as one sentence, or null when complete. */
export function coverageWarning(doc) {
  const { missing, missing_shards: shards, gateways } = doc.coverage;
  if (missing.length === 0) return null;
  const which = shards?.length ? `shard${shards.length > 1 ? 's' : ''} ${shards.join(', ')} (${missing.map(([a, b]) => range(a, b)).join(', ')})` : missing.map(([a, b]) => range(a, b)).join(', ');
  return `the files cover ${gateways} of the fleet's ${doc.fleet_gateways} gateways: missing ${which}; the totals are of the given shards only`;
}

/**
 * The summary as [label, text] rows: the lines on stdout and the page's table.
 * The shards are listed by shardRows().
 */
export function summaryRows(doc) {
  const t = doc.totals;
  const n = (k) => t[k] ?? 0;
  const d = doc.duration_s > 0 ? doc.duration_s : 1;
  const errorTotal = Object.values(doc.errors).reduce((a, b) => a + b, 0);
  const stop = doc.connected_at_stop;
  const rows = [
    ['broker', doc.urls.join(', ') || '-'],
    ['duration', `${doc.duration_s.toFixed(1)} s, from ${doc.started_at} to ${doc.ended_at} (earliest start to latest end)`],
    [
      'gateways',
      `${n('gateways')} of ${doc.fleet_gateways}; connected at peak ${doc.peak_connected ?? '-'} (per-second sum across shards)` +
        (doc.connect_all_s !== null ? `; every shard all connected by ${doc.connect_all_s.toFixed(1)} s` : ''),
    ],
    [
      'published',
      `${n('published')} (${rate(n('published') / d)}/s): telemetry ${n('published_telemetry')}, attributes ${n('published_attributes')}, ` +
        `events ${n('published_events')}, responses ${n('published_responses')}; acked ${n('publish_acked')}, still queued at the end ${n('queued')}`,
    ],
    ['received', `${n('received')} (${rate(n('received') / d)}/s)`],
    ['served', `commands ${n('commands')}, attribute sets ${n('attribute_sets')}, attribute gets ${n('attribute_gets')}, controls ${n('controls')}`],
    ['events', `${n('events_sent')} sent; attribute/event reports acked ${n('reports_acked')}`],
    ...LATENCY_ROWS.filter(([k]) => doc.latency_ms[k] !== undefined || k === 'ack').map(([k, label, what]) => {
      const l = doc.latency_ms[k];
      return [label, `${latencyText(l)}${l?.count ? ` (${l.count} ${what}, merged histogram)` : ''}`];
    }),
    [
      'errors',
      `${errorTotal}${Object.keys(doc.errors).length ? `: ${Object.entries(doc.errors).map(([k, v]) => `${ERROR_NAMES[k] ?? k.replace(/_/g, ' ')} ${v}`).join(', ')}` : ''}`,
    ],
  ];
  if (noPlatform(doc)) rows.push(['hint', NO_PLATFORM_HINT]);
  rows.push(
    [
      'requests failed',
      `commands ${n('commands_failed')}, attribute sets ${n('attribute_sets_failed')}, attribute gets ${n('attribute_gets_failed')}, ` +
        `controls ${n('controls_failed')} (injected ${n('failures_injected')})`,
    ],
    ['reconnects', `${n('reconnects')}; dropped ${n('dropped')} (offline buffers full)`],
  );
  rows.push(['bytes', `out ${bytes(n('bytes_out'))}, in ${bytes(n('bytes_in'))}`]);
  if ('forced_closes' in t) rows.push(['shutdown', `${Math.max(0, stop - n('forced_closes'))} of ${stop} connected gateways closed cleanly, ${n('forced_closes')} forced`]);
  return rows;
}

/** One row per shard: k/n, its gateways, the file. */
export function shardRows(doc) {
  return doc.shards.map((s) => [`${s.index}/${s.count}`, range(s.first, s.first + s.gateways), s.file]);
}

export function summaryText(doc) {
  const shards = shardRows(doc);
  const w = [0, 1].map((i) => Math.max(...shards.map((r) => r[i].length)));
  const lines = [
    `tpgate report: "${doc.name}", ${doc.shards.length} shard${doc.shards.length > 1 ? 's' : ''}, ${doc.coverage.gateways} of ${doc.fleet_gateways} gateways`,
    ...shards.map((r, i) => `  ${(i === 0 ? 'shards' : '').padEnd(16)} ${r[0].padEnd(w[0])}  ${r[1].padEnd(w[1])}  ${r[2]}`),
    ...summaryRows(doc).map(([label, text]) => `  ${label.padEnd(16)} ${text}`),
  ];
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------

/** The folder of an output file must exist: a UsageError otherwise. */
async function checkOutputFolder(flag, file) {
  const dir = path.dirname(path.resolve(file));
  let info = null;
  try {
    info = await stat(dir);
  } catch {}
  if (!info?.isDirectory()) throw new UsageError(`--${flag} ${file}: the folder ${path.dirname(file)} does not exist: create it first`);
}

async function identity(file) {
  try {
    return await realpath(file);
  } catch {
    return path.resolve(file);
  }
}

export async function main(argv) {
  const args = parseCommandLine(parse, argv, usage);
  if (args === null) return 2;
  if (args.help) {
    process.stdout.write(HELP);
    return 0;
  }
  // Ten messages at most: a glob over the wrong folder should not flood the terminal.
  const fail = (messages, code) => {
    for (const m of messages.slice(0, 10)) process.stderr.write(`tpgate report: ${m}\n`);
    if (messages.length > 10) process.stderr.write(`tpgate report: ... and ${messages.length - 10} more like these\n`);
    return code;
  };
  try {
    for (const flag of ['html', 'json']) if (args[flag] !== undefined) await checkOutputFolder(flag, args[flag]);
  } catch (err) {
    if (err instanceof UsageError) return fail([err.message], 2);
    throw err;
  }

  // The same file twice (by any name): each shard is counted once.
  const seen = new Map();
  const twice = [];
  for (const file of args.files) {
    const id = await identity(file);
    const other = seen.get(id);
    if (other !== undefined) twice.push(other === file ? `${file} is given twice: give each shard's file once` : `${other} and ${file} are the same file: give each shard's file once`);
    else seen.set(id, file);
  }
  if (twice.length) return fail(twice, 2);
  for (const flag of ['html', 'json']) {
    const input = args[flag] !== undefined ? seen.get(await identity(args[flag])) : undefined;
    if (input !== undefined) return fail([`--${flag} ${args[flag]} is one of the input files (${input}): write the ${flag === 'html' ? 'page' : 'merged document'} to another file`], 2);
  }

  const loaded = await Promise.allSettled(args.files.map((f) => loadShardFile(f)));
  const bad = loaded.filter((r) => r.status === 'rejected').map((r) => r.reason);
  for (const err of bad) if (!(err instanceof InputError)) throw err;
  if (bad.length) return fail(bad.map((e) => e.message), 2);
  const shards = loaded.map((r) => r.value);

  const problems = crossProblems(shards);
  if (problems.length) return fail(problems, 2);

  const doc = mergeShards(shards);
  const warning = coverageWarning(doc);
  if (warning) process.stderr.write(`tpgate report: warning: ${warning}\n`);
  process.stdout.write(summaryText(doc));

  const outputs = [];
  if (args.json !== undefined) outputs.push(['json', args.json, `${JSON.stringify(doc, null, 2)}\n`]);
  if (args.html !== undefined) {
    // Loaded only for --html: it reads uPlot's files.
    const { reportPage } = await import('./report-html.js');
    let page;
    try {
      page = reportPage(doc, { rows: summaryRows(doc), shards: shardRows(doc), warning });
    } catch (err) {
      if (err?.code !== 'ERR_REPORT_ASSETS') throw err;
      return fail([err.message], 1);
    }
    outputs.push(['html', args.html, page]);
  }
  for (const [flag, file, content] of outputs) {
    try {
      await writeFile(file, content);
    } catch (err) {
      return fail([`cannot write --${flag} ${file}: ${reason(err)}`], 1);
    }
    process.stderr.write(`tpgate report: wrote ${file}\n`);
  }
  return 0;
}
