// (a) Publisher to subscriber throughput through one mosquitto WebSocket
// listener: a publisher client and a subscriber client of the same library in
// one process send N copies of the seed's multi-level telemetry JSON; the
// result is messages received per second, from the first publish to the last
// message received.
//
// Each run is its own child process (a fresh heap and JIT for every side), the
// sides alternate (tpgate, MQTT.js, tpgate, MQTT.js, ...) and the best run of
// each counts. mosquitto runs with max_queued_messages 0 (no limit): its
// default of 1000 drops QoS 1 messages queued for a slow subscriber, which
// would turn a throughput test into a loss test.
//
//   node bench/throughput.mjs [--n0 20000] [--n1 10000] [--rounds 2] [--version 4]
//   node bench/throughput.mjs --child tpgate|mqttjs --url ws://... --qos 0 --n 20000 --version 4 [--pace 500]
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

import { startMosquitto } from '../tests/js/helpers/mosquitto.js';
import { TELEMETRY, progress, row, runAlone, runChild as runChildJson } from './lib.mjs';

const require = createRequire(import.meta.url);
const SELF = fileURLToPath(import.meta.url);
const CHILD_TIMEOUT_MS = 60_000;

// --- the two sides ---------------------------------------------------------------
// Each returns { elapsedMs, received }. Both publish without waiting for
// acknowledgements (the library queues and pipelines) and wait for every
// publish to complete; both receive through their 'message' event. Two
// patterns, which flatter different libraries: all N issued in one turn of the
// event loop (pace 0), or `pace` per turn (the loop runs, and the socket is
// written and read, between batches), as an application producing data does.

async function issue(n, pace, publishOne) {
  for (let i = 0; i < n; i++) {
    publishOne();
    if (pace > 0 && (i + 1) % pace === 0) await new Promise((resolve) => setImmediate(resolve));
  }
}

async function sideTpgate({ url, qos, n, version, topic, pace }) {
  const { connect } = await import('../npm/src/index-node.js');
  const opts = { protocolVersion: version, reconnect: false, keepalive: 60, maxQueued: n + 100 };
  const sub = await connect(url, { ...opts, clientId: `bench-sub-${process.pid}` });
  const pub = await connect(url, { ...opts, clientId: `bench-pub-${process.pid}` });
  await sub.subscribe(topic, { qos });
  let received = 0;
  let bytes = 0;
  let t0 = 0;
  let t1 = 0;
  const done = new Promise((resolve) => {
    sub.on('message', (_topic, payload) => {
      bytes += payload.length;
      if (++received === n) resolve((t1 = performance.now()));
    });
  });
  t0 = performance.now();
  const sent = [];
  let completed = 0;
  watch(() => ({ received, completed, n, elapsedMs: t1 - t0 }));
  await issue(n, pace, () => sent.push(pub.publish(topic, TELEMETRY, { qos }).then(() => completed++)));
  await Promise.all(sent);
  await done;
  await pub.end();
  await sub.end();
  return { elapsedMs: t1 - t0, received, bytes };
}

async function sideMqttjs({ url, qos, n, version, topic, pace }) {
  const mqtt = require('mqtt');
  const open = (clientId) =>
    new Promise((resolve, reject) => {
      const c = mqtt.connect(url, { protocolVersion: version, reconnectPeriod: 0, keepalive: 60, clientId, clean: true });
      c.once('connect', () => resolve(c));
      c.once('error', reject);
    });
  const sub = await open(`bench-sub-${process.pid}`);
  const pub = await open(`bench-pub-${process.pid}`);
  await new Promise((resolve, reject) => sub.subscribe(topic, { qos }, (err) => (err ? reject(err) : resolve())));
  let received = 0;
  let bytes = 0;
  let t1 = 0;
  const done = new Promise((resolve) => {
    sub.on('message', (_topic, payload) => {
      bytes += payload.length;
      if (++received === n) resolve((t1 = performance.now()));
    });
  });
  const t0 = performance.now();
  const sent = [];
  let completed = 0;
  watch(() => ({ received, completed, n, elapsedMs: t1 - t0 }));
  await issue(n, pace, () => {
    sent.push(new Promise((resolve, reject) => pub.publish(topic, TELEMETRY, { qos }, (err) => (err ? reject(err) : resolve(++completed)))));
  });
  await Promise.all(sent);
  await done;
  await pub.endAsync();
  await sub.endAsync();
  return { elapsedMs: t1 - t0, received, bytes };
}

const SIDES = { tpgate: sideTpgate, mqttjs: sideMqttjs };

// A run that stalls reports how far it got instead of hanging the benchmark:
// messages lost, or publish promises that never settle. When every message
// arrived the rate stands (it ends at the last message received) and the
// unsettled promises are reported as a warning: a client bug, not a slowdown.
const STALL_MS = 30_000;
const SETTLE_MS = 5_000;
function watch(state) {
  const started = performance.now();
  setInterval(() => {
    const { received, completed, n, elapsedMs } = state();
    const t = performance.now();
    const what = `${received}/${n} received, ${completed}/${n} publish promises settled`;
    if (received === n && t - started - elapsedMs > SETTLE_MS) {
      console.log(JSON.stringify({ elapsedMs, received, warning: `${what} ${SETTLE_MS / 1000} s after the last message` }));
      process.exit(0);
    }
    if (t - started > STALL_MS) {
      console.log(JSON.stringify({ error: `stalled: ${what} after ${STALL_MS / 1000} s` }));
      process.exit(0);
    }
  }, 250).unref();
}

// --- parent: mosquitto, child processes, rows -------------------------------------

function runChild(args) {
  return runChildJson(SELF, args, CHILD_TIMEOUT_MS);
}

export const PACE = 500; // publishes per event-loop turn, the paced pattern

export async function run({ n0 = 20_000, n1 = 10_000, rounds = 2, version = 4 } = {}) {
  const broker = await startMosquitto({ config: ['max_queued_messages 0'] });
  const rows = [];
  try {
    for (const [qos, n, pace] of [[0, n0, 0], [0, n0, PACE], [1, n1, 0], [1, n1, PACE]]) {
      const runs = { tpgate: [], mqttjs: [] };
      const pattern = pace === 0 ? 'all at once' : `${pace} per turn`;
      for (let r = 0; r < rounds; r++) {
        for (const side of ['tpgate', 'mqttjs']) {
          const topic = `bench/${side}/${r}/${pace}/telemetry`;
          const res = await runChild([side, '--url', broker.wsUrl, '--qos', qos, '--n', n, '--version', version, '--topic', topic, '--pace', pace].map(String));
          const rate = res.error ? 0 : (res.received * 1000) / res.elapsedMs;
          progress(`throughput: QoS ${qos} ${pattern} ${side} run ${r + 1}: ${res.error ?? `${res.received}/${n} in ${res.elapsedMs.toFixed(0)} ms = ${rate.toFixed(0)} msg/s`}${res.warning ? ` (WARNING: ${res.warning})` : ''}`);
          runs[side].push({ ...res, rate });
        }
      }
      const best = (side) => Math.max(...runs[side].map((x) => x.rate));
      const errors = [...runs.tpgate, ...runs.mqttjs].filter((x) => x.error).map((x) => x.error);
      const warnings = Object.entries(runs).flatMap(([side, xs]) => xs.filter((x) => x.warning).map((x) => `${side}, QoS ${qos}: ${x.warning}`));
      rows.push(row({
        part: 'throughput',
        name: `pub->sub QoS ${qos}, ${n} x ${TELEMETRY.length} B JSON, ${pattern}, WS, v${version === 4 ? '3.1.1' : '5'}`,
        unit: 'msg/s',
        ours: best('tpgate'),
        peer: best('mqttjs'),
        peerName: 'MQTT.js',
        goal: 2,
        note: { runs, ...(errors.length ? { errors } : {}), broker: 'mosquitto 2.0 websockets, max_queued_messages 0' },
      }));
      if (errors.length || warnings.length) rows.at(-1).warnings = [...errors, ...warnings];
    }
  } finally {
    await broker.stop();
  }
  return rows;
}

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

if (process.argv[2] === '--child') {
  const side = process.argv[3];
  const res = await SIDES[side]({
    url: arg('url'),
    qos: Number(arg('qos', 0)),
    n: Number(arg('n', 1000)),
    version: Number(arg('version', 4)),
    topic: arg('topic', 'bench/telemetry'),
    pace: Number(arg('pace', 0)),
  });
  console.log(JSON.stringify(res));
  process.exit(0);
} else {
  await runAlone(import.meta, () =>
    run({ n0: Number(arg('n0', 20_000)), n1: Number(arg('n1', 10_000)), rounds: Number(arg('rounds', 2)), version: Number(arg('version', 4)) }),
  );
}
