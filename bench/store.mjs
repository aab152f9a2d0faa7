// (store) QoS 1 publish throughput with a persistent session, the session
// state in memory or in a file-backed store, against a real mosquitto on
// loopback TCP. Reported, no goal.
//
// Variants, side by side in the same run (each run its own child process, the
// variants alternate round by round, the best of the rounds counts):
//   tpgate            connect(url, { clientId, clean: false })                     memory session (the default)
//   tpgate-file       connect(url, { clientId, clean: false, store: fileStore(dir) })
//   tpgate-file-sync  ... store: fileStore(dir, { sync: 'always' })  (fdatasync before each write to the socket)
//   mqttjs            MQTT.js, its default memory stores
//   mqttjs-level      MQTT.js with mqtt-level-store (LevelDB through leveldown) as incomingStore/outgoingStore
// A variant whose library is missing (fileStore not exported yet, no sync
// option, mqtt-level-store not installed) is reported as such and skipped.
//
// One run: N publishes of a ~100-byte payload at QoS 1 on one topic (nobody
// subscribes: the broker acknowledges and drops), at most `window` unacknowledged
// at a time (the same for every variant), timed from the first publish to the
// last PUBACK. mosquitto runs with max_inflight_messages 0, so a v5 client is
// not held to a Receive Maximum of 20 (mosquitto's default) below the window.
//
//   node bench/store.mjs [--messages 20000] [--window 1000] [--rounds 3] [--version 4]
//   node bench/store.mjs --child VARIANT --url mqtt://... --n 20000 --window 1000 --version 4 --dir DIR
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { startMosquitto } from '../tests/js/helpers/mosquitto.js';
import { fmt, progress, row, runAlone, runChild as runChildJson } from './lib.mjs';

const require = createRequire(import.meta.url);
const SELF = fileURLToPath(import.meta.url);
const CHILD_TIMEOUT_MS = 120_000;
const STALL_MS = 60_000;

/** ~100 bytes of telemetry JSON. */
export const PAYLOAD = '{"ts":1764800000000,"temperature":26.5,"humidity":61.2,"voltage":3.31,"switch":true,"seq":123456}';

export const VARIANTS = [
  ['tpgate', 'tpgate, memory session'],
  ['tpgate-file', 'tpgate, fileStore(dir)'],
  ['tpgate-file-sync', "tpgate, fileStore(dir, { sync: 'always' })"],
  ['mqttjs', 'MQTT.js, memory store'],
  ['mqttjs-level', 'MQTT.js, mqtt-level-store'],
];
const LABEL = Object.fromEntries(VARIANTS);

// --- the publishing loop, shared by every variant ------------------------------------

/**
 * Publishes n messages through `publishOne(done)` (done(err) on PUBACK), at
 * most `window` outstanding; resolves with the elapsed ms from the first
 * publish to the last PUBACK.
 */
function windowed(n, window, publishOne) {
  return new Promise((resolve, reject) => {
    let issued = 0;
    let acked = 0;
    let failed = false;
    let pumping = false;
    const t0 = performance.now();
    const stall = setInterval(() => {
      if (performance.now() - t0 > STALL_MS) {
        clearInterval(stall);
        reject(new Error(`stalled: ${acked}/${n} acknowledged, ${issued} issued after ${STALL_MS / 1000} s`));
      }
    }, 500);
    const done = (err) => {
      if (failed) return;
      if (err) {
        failed = true;
        clearInterval(stall);
        reject(err);
        return;
      }
      if (++acked === n) {
        clearInterval(stall);
        resolve(performance.now() - t0);
      } else pump();
    };
    // A completion that arrives synchronously inside publishOne must not recurse.
    const pump = () => {
      if (pumping) return;
      pumping = true;
      while (issued < n && issued - acked < window && !failed) {
        issued++;
        publishOne(done);
      }
      pumping = false;
    };
    pump();
  });
}

// --- the variants (run in a child) ------------------------------------------------------

/** Returns { unavailable } when this build has no fileStore (or not the option asked). */
async function tpgateStore(variant, dir) {
  if (variant === 'tpgate') return {};
  const mod = await import('tpgate');
  if (typeof mod.fileStore !== 'function') return { unavailable: 'tpgate fileStore: not available in this build' };
  if (variant === 'tpgate-file') return { store: mod.fileStore(dir) };
  try {
    return { store: mod.fileStore(dir, { sync: 'always' }) };
  } catch (err) {
    return { unavailable: `tpgate fileStore(dir, { sync: 'always' }): not available in this build (${err.message})` };
  }
}

async function sideTpgate({ variant, url, n, window, version, topic, dir }) {
  const { connect } = await import('tpgate');
  const { store, unavailable } = await tpgateStore(variant, dir);
  if (unavailable) return { unavailable };
  const client = await connect(url, {
    clientId: `bench-store-${variant}-${process.pid}`,
    clean: false,
    protocolVersion: version,
    reconnect: false,
    keepalive: 60,
    maxQueued: window + 100,
    ...(store ? { store } : {}),
  });
  const elapsedMs = await windowed(n, window, (done) => {
    client.publish(topic, PAYLOAD, { qos: 1 }).then(() => done(), done);
  });
  await client.end();
  return { elapsedMs };
}

function levelStores(dir) {
  let levelStore;
  try {
    levelStore = require('mqtt-level-store');
  } catch (err) {
    return { unavailable: `MQTT.js file store: mqtt-level-store not installed (${err.code ?? err.message})` };
  }
  try {
    const manager = levelStore(dir);
    return { manager, incomingStore: manager.incoming, outgoingStore: manager.outgoing };
  } catch (err) {
    // leveldown without a prebuilt binary for this platform, and no compiler.
    return { unavailable: `MQTT.js file store: mqtt-level-store does not load here: ${err.message}` };
  }
}

async function sideMqttjs({ variant, url, n, window, version, topic, dir }) {
  const mqtt = require('mqtt');
  let stores = {};
  if (variant === 'mqttjs-level') {
    stores = levelStores(dir);
    if (stores.unavailable) return { unavailable: stores.unavailable };
  }
  const client = await new Promise((resolve, reject) => {
    const c = mqtt.connect(url, {
      clientId: `bench-store-${variant}-${process.pid}`,
      clean: false,
      protocolVersion: version,
      reconnectPeriod: 0,
      keepalive: 60,
      ...(stores.incomingStore ? { incomingStore: stores.incomingStore, outgoingStore: stores.outgoingStore } : {}),
    });
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
  const elapsedMs = await windowed(n, window, (done) => {
    client.publish(topic, PAYLOAD, { qos: 1 }, (err) => done(err ?? undefined));
  });
  // end() closes the stores too (MQTT.js calls their close()).
  await client.endAsync();
  return { elapsedMs };
}

function side(variant) {
  return variant.startsWith('tpgate') ? sideTpgate : sideMqttjs;
}

// --- parent: mosquitto, child processes, rows ---------------------------------------------

function runChild(args) {
  return runChildJson(SELF, args, CHILD_TIMEOUT_MS);
}

function sizeOnDisk(dir) {
  let bytes = 0;
  let files = 0;
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        bytes += statSync(p).size;
        files++;
      }
    }
  };
  try {
    walk(dir);
  } catch {
    return null;
  }
  return { bytes, files };
}

/** The variant table (what run.mjs's tpgate/peer table cannot show: MQTT.js's file store against its memory store). */
export function variantTable(results) {
  const base = results.mqttjs?.best;
  const head = ['variant', 'best msg/s', 'best ms', 'all rounds msg/s', 'vs MQTT.js memory', 'store on disk after the run'];
  const lines = VARIANTS.filter(([v]) => results[v]).map(([v, label]) => {
    const r = results[v];
    if (r.unavailable) return [label, '-', '-', '-', '-', r.unavailable];
    return [
      label,
      r.best > 0 ? fmt.n(r.best) : 'failed',
      r.best > 0 ? ((r.n * 1000) / r.best).toFixed(0) : '-',
      r.rates.map((x) => (x > 0 ? fmt.n(x) : 'failed')).join(', '),
      base > 0 && r.best > 0 ? `${(r.best / base).toFixed(2)}x` : '-',
      r.disk ? `${fmt.bytes(r.disk.bytes)} in ${r.disk.files} files` : v.includes('file') || v.includes('level') ? '?' : '(memory)',
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmtLine = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [fmtLine(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(fmtLine)].join('\n');
}

export async function run({ messages = 20_000, window = 1000, rounds = 3, version = 4, print = console.error } = {}) {
  const broker = await startMosquitto({ config: ['max_inflight_messages 0'] });
  const results = Object.fromEntries(VARIANTS.map(([v]) => [v, { n: messages, rates: [], best: 0, errors: [] }]));
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'tpgate-bench-store-'));
  try {
    for (let r = 0; r < rounds; r++) {
      for (const [variant] of VARIANTS) {
        const res = results[variant];
        if (res.unavailable) continue;
        const dir = path.join(tmp, `${variant}-${r}`);
        // An empty folder of its own for each file-backed run.
        if (variant !== 'tpgate' && variant !== 'mqttjs') mkdirSync(dir, { recursive: true });
        const topic = `bench/store/${variant}/${r}`;
        const out = await runChild([variant, '--url', broker.tcpUrl, '--n', messages, '--window', window, '--version', version, '--topic', topic, '--dir', dir].map(String));
        if (out.unavailable) {
          res.unavailable = out.unavailable;
          progress(`store: ${out.unavailable}`);
          continue;
        }
        const rate = out.error ? 0 : (messages * 1000) / out.elapsedMs;
        res.rates.push(rate);
        if (out.error) res.errors.push(out.error);
        if (rate > res.best) res.best = rate;
        // The store's files after the client ended (its last round's).
        if (variant !== 'tpgate' && variant !== 'mqttjs') res.disk = sizeOnDisk(dir);
        progress(`store: round ${r + 1}/${rounds} ${variant}: ${out.error ?? `${messages} in ${out.elapsedMs.toFixed(0)} ms = ${rate.toFixed(0)} msg/s`}${res.disk ? `, store ${fmt.bytes(res.disk.bytes)}` : ''}`);
      }
    }
  } finally {
    await broker.stop();
    rmSync(tmp, { recursive: true, force: true });
  }

  const v = version === 4 ? '3.1.1' : '5';
  const what = `QoS 1 publish, clean: false, ${messages} x ${PAYLOAD.length} B, window ${window}, TCP, v${v}`;
  const note = {
    results,
    broker: 'mosquitto 2.0 TCP loopback, max_inflight_messages 0, no subscriber',
    mqttjsFileStore: 'mqtt-level-store (LevelDB via leveldown, msgpack values) as incomingStore/outgoingStore',
  };
  const rows = [];
  const peer = results.mqttjs;
  const add = (variant, peerVariant, peerName) => {
    const ours = results[variant];
    const theirs = results[peerVariant];
    if (ours.unavailable || theirs.unavailable) return;
    // The full per-variant results once, on the first row.
    const r = row({ part: 'store', name: `${what}: ${LABEL[variant]} vs ${peerName}`, unit: 'msg/s', ours: ours.best, peer: theirs.best, peerName, note: rows.length ? { variants: [variant, peerVariant] } : note });
    const errors = [...ours.errors.map((e) => `${variant}: ${e}`), ...theirs.errors.map((e) => `${peerVariant}: ${e}`)];
    if (errors.length) r.warnings = errors;
    rows.push(r);
  };
  add('tpgate', 'mqttjs', 'MQTT.js memory');
  add('tpgate-file', 'mqttjs', 'MQTT.js memory');
  add('tpgate-file-sync', 'mqttjs', 'MQTT.js memory');
  add('tpgate-file', 'mqttjs-level', 'MQTT.js mqtt-level-store');
  // What is missing shows in run.mjs's output as a warning on the first row.
  const missing = [...new Set(VARIANTS.map(([x]) => results[x].unavailable).filter(Boolean))];
  if (rows.length && missing.length) rows[0].warnings = [...(rows[0].warnings ?? []), ...missing];
  if (!rows.length && peer.unavailable) throw new Error(peer.unavailable);

  print(`\nstore: ${what}, best of ${rounds}\n${variantTable(results)}`);
  for (const m of missing) print(m);
  for (const [x, res] of Object.entries(results)) for (const e of res.errors) print(`store: ${x}: ${e}`);
  print('');
  return rows;
}

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

if (process.argv[2] === '--child') {
  const variant = process.argv[3];
  try {
    const res = await side(variant)({
      variant,
      url: arg('url'),
      n: Number(arg('n', 1000)),
      window: Number(arg('window', 1000)),
      version: Number(arg('version', 4)),
      topic: arg('topic', 'bench/store'),
      dir: arg('dir'),
    });
    console.log(JSON.stringify(res));
  } catch (err) {
    console.log(JSON.stringify({ error: `${err.code ? `${err.code}: ` : ''}${err.message}` }));
  }
  process.exit(0);
} else {
  await runAlone(import.meta, () =>
    run({
      messages: Number(arg('messages', 20_000)),
      window: Number(arg('window', 1000)),
      rounds: Number(arg('rounds', 3)),
      version: Number(arg('version', 4)),
      print: console.log,
    }),
  );
}
