// QoS 1 and QoS 2 through a hostile network: a publisher and a subscriber,
// both with persistent sessions (clean: false, fixed client ids), each behind
// its own seeded chaos proxy (helpers/chaos-proxy.js) in front of a real
// mosquitto, which cuts, resets, stalls, delays and splits their connections
// while 100,000 messages (half QoS 1, half QoS 2, interleaved, each carrying
// its sequence number) go through. Four variants share the total: MQTT 5
// publisher over TCP with an MQTT 3.1.1 subscriber over WebSocket, the other
// way round, both MQTT 5 over WebSocket, both MQTT 3.1.1 over TCP. Afterwards every QoS 1 message has arrived at least once,
// every QoS 2 message exactly once, nothing is missing, and the clients' JS
// heap after a forced GC is within HEAP_BOUND of its figure after a warm-up.
//
// The fault decisions come from one seed, printed at the start and in every
// assertion message; a failing run is replayed (same fault schedule per
// connection and chunk; the timings of the machine still vary) with
//
//   CHAOS_SEED=<seed> node --test tests/js/chaos.test.js
//
// (CHAOS_VARIANT=<0-3> runs one variant alone, with the same proxy seeds),
// and a longer soak with e.g. CHAOS_MESSAGES=1000000 (default 100,000).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { connect } from 'tpgate';
import { chaosSeed, startChaosProxy } from './helpers/chaos-proxy.js';
import { startMosquitto } from './helpers/mosquitto.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

const SEED = chaosSeed(process.env.CHAOS_SEED);
const VARIANTS = [
  { name: 'publisher MQTT 5 over TCP, subscriber MQTT 3.1.1 over WebSocket', pub: [5, 'tcp'], sub: [4, 'ws'] },
  { name: 'publisher MQTT 3.1.1 over WebSocket, subscriber MQTT 5 over TCP', pub: [4, 'ws'], sub: [5, 'tcp'] },
  { name: 'publisher and subscriber MQTT 5 over WebSocket', pub: [5, 'ws'], sub: [5, 'ws'] },
  { name: 'publisher and subscriber MQTT 3.1.1 over TCP', pub: [4, 'tcp'], sub: [4, 'tcp'] },
];
const TOTAL = Number(process.env.CHAOS_MESSAGES ?? 100_000);
if (!Number.isInteger(TOTAL) || TOTAL <= 0 || TOTAL % (2 * VARIANTS.length) !== 0) {
  throw new TypeError(`CHAOS_MESSAGES must be a multiple of ${2 * VARIANTS.length} (got ${process.env.CHAOS_MESSAGES})`);
}
// Messages per QoS in each variant.
const PER_QOS = TOTAL / VARIANTS.length / 2;
// Publishes not yet acknowledged at any time: the publisher streams, it does
// not queue the whole run.
const WINDOW = 300;
// Messages (both QoS) of each variant before the heap is first measured.
const WARMUP = Math.min(10_000, PER_QOS);
const HEAP_BOUND = 8 * 1024 * 1024;
// A run that makes no progress (acknowledgements or deliveries) this long has hung.
const STALL_LIMIT_MS = 30_000;

// Per proxy (one per client): a connection lives 50 ms to 1 s; some chunks
// are held or split; now and then a connection goes silent (half-open) for
// up to 2.5 s, longer than the clients' keepalive (2 s) lets go unnoticed.
const FAULTS = {
  cut: { everyMs: [50, 1000] },
  reset: { p: 0.3 },
  delay: { p: 0.05, maxMs: 15 },
  split: { p: 0.2 },
  stall: { p: 0.002, ms: [200, 2500] },
};

const tag = `[CHAOS_SEED=${SEED}]`;
console.log(`# chaos.test.js: CHAOS_SEED=${SEED} CHAOS_MESSAGES=${TOTAL}`);

let broker;
before(async () => {
  broker = await startMosquitto({
    config: [
      // Nothing may be dropped for a subscriber that is offline or behind.
      'max_queued_messages 0',
      // Above WINDOW. mosquitto (2.0.11) limits the QoS 1/2 messages a client
      // has in flight towards it to this number too; an MQTT 3.1.1 client,
      // which has no Receive Maximum to learn it from, that goes over gets a
      // PUBACK (reason 0x97 Quota exceeded, which 3.1.1 cannot carry, so a
      // plain success on the wire) and is disconnected: the message is gone
      // while its publisher was told it was delivered. Seen with 100 here
      // (seed 12345: 68 QoS 1 messages missing, the 3.1.1 publisher
      // reconnecting ~400 times without any fault), a broker fault no client
      // can absorb.
      'max_inflight_messages 400',
    ],
  });
});
after(async () => {
  await broker?.stop();
});

const heapUsed = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};
const mib = (n) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

// CHAOS_VARIANT=1 runs only that variant (with the same seeds as in a full run).
const ONLY = process.env.CHAOS_VARIANT === undefined ? null : Number(process.env.CHAOS_VARIANT);

VARIANTS.forEach((variant, v) => {
  test(`chaos ${tag}: ${PER_QOS} QoS 1 at least once + ${PER_QOS} QoS 2 exactly once, ${variant.name}`, { skip: ONLY !== null && ONLY !== v }, async (t) => {
    try {
      await runVariant(t, variant, v);
    } catch (err) {
      // mosquitto's log (connections, disconnections and their reasons) for the post-mortem.
      const file = path.join(os.tmpdir(), `tpgate-chaos-${SEED}-${v}-mosquitto.log`);
      await writeFile(file, broker.log()).catch(() => {});
      err.message += ` (mosquitto log: ${file})`;
      throw err;
    }
  });
});

async function runVariant(t, variant, v) {
  t.diagnostic(`CHAOS_SEED=${SEED} (replay: CHAOS_SEED=${SEED} node --test tests/js/chaos.test.js, this variant only: CHAOS_VARIANT=${v})`);
  const started = Date.now();
  const topic = `tpgate-test/${process.pid}/chaos/${v}`;
  const reconnect = { minDelay: 20, maxDelay: 200 };
  const portOf = (kind) => (kind === 'ws' ? broker.wsPort : broker.tcpPort);
  // One seed for the run; each proxy its own stream of it.
  const subProxy = await startChaosProxy(portOf(variant.sub[1]), { seed: (SEED + 2 * v) >>> 0, faults: FAULTS });
  const pubProxy = await startChaosProxy(portOf(variant.pub[1]), { seed: (SEED + 2 * v + 1) >>> 0, faults: FAULTS });
  t.after(() => Promise.all([subProxy.close(), pubProxy.close()]));
  const options = (version, role) => ({
    protocolVersion: version,
    clean: false,
    clientId: `tpgate-chaos-${role}-${v}-${process.pid}`,
    keepalive: 2,
    reconnect,
    ...(version === 5 ? { sessionExpiryInterval: 600 } : {}),
  });

  // Connected with the faults off: the first connection must succeed for
  // connect() to resolve (a refusal of the first one is final by design).
  subProxy.setFaults(false);
  pubProxy.setFaults(false);
  const sub = await connect(subProxy.url(variant.sub[1]), options(variant.sub[0], 'sub'));
  t.after(() => sub.end(true).catch(() => {}));
  await sub.subscribe(`${topic}/#`, { qos: 2 });
  const pub = await connect(pubProxy.url(variant.pub[1]), options(variant.pub[0], 'pub'));
  t.after(() => pub.end(true).catch(() => {}));
  const errors = [];
  const offline = {};
  const freshSessions = [];
  for (const [name, client] of [['sub', sub], ['pub', pub]]) {
    // Connection losses are 'offline'; anything else is worth seeing.
    client.on('error', (err) => errors.length < 20 && errors.push(`${name}: ${err.code} ${err.message}`));
    // Every reconnect resumes the session (clean: false, and the broker keeps it).
    // (The first 'connect' event, from connect(), may still come here: only
    // those after an 'offline' count.)
    let wasOffline = false;
    client.on('connect', (info) => {
      if (wasOffline && !info.sessionPresent && freshSessions.length < 20) {
        freshSessions.push(`${name} after ${Date.now() - started} ms`);
      }
    });
    client.on('offline', (err) => {
      wasOffline = true;
      const key = `${name}: ${err.code} ${String(err.message).slice(0, 80)}`;
      offline[key] = (offline[key] ?? 0) + 1;
    });
  }

  const received = { 1: new Uint8Array(PER_QOS), 2: new Uint8Array(PER_QOS) };
  const problems = [];
  let deliveries = 0;
  let onProgress = () => {};
  let markerSeen = false;
  sub.on('message', (name, payload, message) => {
    if (name === `${topic}/marker`) {
      markerSeen = true;
      onProgress();
      return;
    }
    const qos = name === `${topic}/q1` ? 1 : name === `${topic}/q2` ? 2 : 0;
    const seq = Number(Buffer.from(payload).toString());
    if (qos === 0 || !(seq >= 0 && seq < PER_QOS)) {
      if (problems.length < 20) problems.push(`unexpected ${name} '${Buffer.from(payload).toString()}'`);
      return;
    }
    if (message.qos !== qos && problems.length < 20) problems.push(`${name} #${seq} at QoS ${message.qos}`);
    if (received[qos][seq] < 255) received[qos][seq]++;
    deliveries++;
    onProgress();
  });

  subProxy.setFaults(true);
  pubProxy.setFaults(true);

  // The publisher: message i is QoS 1 #i>>1 or QoS 2 #i>>1, at most WINDOW unacknowledged.
  let next = 0;
  let inflight = 0;
  let acked = 0;
  const failed = [];
  let warmupHeap = null;
  let warmupAt = 0;
  const publishMore = () => {
    while (inflight < WINDOW && next < 2 * PER_QOS) {
      const seq = next >> 1;
      const qos = (next & 1) + 1;
      next++;
      inflight++;
      pub.publish(`${topic}/q${qos}`, String(seq), { qos }).then(
        () => {
          inflight--;
          acked++;
          onProgress();
          publishMore();
        },
        (err) => {
          inflight--;
          if (failed.length < 20) failed.push(`QoS ${qos} #${seq}: ${err.code} ${err.message}`);
          onProgress();
          publishMore();
        },
      );
    }
  };

  const status = () =>
    `${tag} after ${Date.now() - started} ms: ${acked}/${2 * PER_QOS} acknowledged, ${inflight} in flight, ` +
    `${deliveries} delivered; sub ${sub.connected ? 'connected' : 'offline'}, pub ${pub.connected ? 'connected' : 'offline'}; ` +
    `sub proxy ${JSON.stringify(subProxy.stats)}, pub proxy ${JSON.stringify(pubProxy.stats)}; ` +
    `offline: ${JSON.stringify(offline)}`;
  const missing = () =>
    [1, 2].map((q) => received[q].reduce((n, c) => n + (c === 0 ? 1 : 0), 0));

  // Resolves when done() holds; fails when nothing moves for STALL_LIMIT_MS.
  const until = (done, what) =>
    new Promise((resolve, reject) => {
      let last = -1;
      let lastChange = Date.now();
      const check = () => {
        if (done()) {
          clearInterval(watch);
          onProgress = () => {};
          resolve();
        }
      };
      const watch = setInterval(() => {
        const now = acked + failed.length + deliveries + (markerSeen ? 1 : 0);
        if (now !== last) {
          last = now;
          lastChange = Date.now();
        } else if (Date.now() - lastChange > STALL_LIMIT_MS) {
          clearInterval(watch);
          onProgress = () => {};
          const [m1, m2] = missing();
          reject(new Error(`hang: no progress for ${STALL_LIMIT_MS} ms waiting for ${what}; missing QoS 1: ${m1}, QoS 2: ${m2}; ${status()}`));
        }
      }, 500);
      onProgress = check;
      check();
    });

  publishMore();
  await until(() => acked + failed.length >= WARMUP && deliveries >= WARMUP, 'the warm-up');
  // Measured from a fresh task, outside the message callbacks.
  await new Promise((resolve) => setImmediate(resolve));
  warmupHeap = heapUsed();
  warmupAt = acked;
  // The wasm linear memory (the sessions' state) is outside the JS heap and
  // never shrinks: reported, not asserted.
  const wasmBytes = () => [sub, pub].map((c) => c._tpgate?.HEAPU8?.byteLength ?? 0).reduce((a, b) => Math.max(a, b));
  const warmupWasm = wasmBytes();
  t.diagnostic(`${tag} warm-up: ${warmupAt} acknowledged, heapUsed ${mib(warmupHeap)} after GC, wasm memory ${mib(warmupWasm)}`);

  await until(() => acked + failed.length === 2 * PER_QOS, 'every publish to settle');
  assert.deepEqual(failed, [], `${tag} publishes failed: ${status()}`);
  t.diagnostic(`${tag} all ${2 * PER_QOS} publishes acknowledged after ${Date.now() - started} ms`);

  const complete = () => missing().every((n) => n === 0);
  await until(complete, 'every message to arrive');
  // A QoS 2 duplicate would come right behind the last message: one round
  // trip of a QoS 2 marker through the same session first.
  await pub.publish(`${topic}/marker`, 'end', { qos: 2 });
  await until(() => markerSeen, 'the marker');
  const elapsed = Date.now() - started;

  subProxy.setFaults(false);
  pubProxy.setFaults(false);
  await new Promise((resolve) => setImmediate(resolve));
  const endHeap = heapUsed();
  const duplicates1 = received[1].reduce((sum, n) => sum + Math.max(0, n - 1), 0);
  const duplicates2 = [];
  received[2].forEach((n, seq) => n > 1 && duplicates2.length < 50 && duplicates2.push(seq));
  t.diagnostic(`${tag} done in ${elapsed} ms; ${status()}`);
  t.diagnostic(
    `${tag} QoS 1: ${duplicates1} duplicates (allowed); QoS 2: ${duplicates2.length} duplicates; ` +
      `heapUsed ${mib(warmupHeap)} after the warm-up, ${mib(endHeap)} at the end (bound +${mib(HEAP_BOUND)}); ` +
      `wasm memory ${mib(warmupWasm)} after the warm-up, ${mib(wasmBytes())} at the end`,
  );
  if (errors.length > 0) t.diagnostic(`${tag} client errors: ${errors.join('; ')}`);

  assert.deepEqual(problems, [], `${tag} unexpected deliveries`);
  assert.deepEqual(freshSessions, [], `${tag} reconnects that found no session`);
  assert.deepEqual(missing(), [0, 0], `${tag} messages missing (QoS 1, QoS 2)`);
  assert.deepEqual(duplicates2, [], `${tag} QoS 2 messages delivered more than once`);
  assert.ok(
    endHeap <= warmupHeap + HEAP_BOUND,
    `${tag} heapUsed grew from ${mib(warmupHeap)} after the warm-up to ${mib(endHeap)} at the end (bound +${mib(HEAP_BOUND)})`,
  );
  // A run of the default size lasts many connection lifetimes (a short one
  // from CHAOS_MESSAGES may not).
  if (PER_QOS >= 10_000) {
    assert.ok(subProxy.stats.cuts + pubProxy.stats.cuts > 0, `${tag} the proxies cut no connection: no chaos happened`);
  }
}
