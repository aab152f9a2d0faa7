// (d) Memory per connection: a child process per side (node --expose-gc)
// loads its library, makes one connection (so one-time costs such as
// compiling the wasm module are in the baseline, not in the per-connection
// figure), runs a GC and reads process.memoryUsage(); then opens CONNECTIONS
// more MQTT connections to mosquitto over TCP (the same transport for both),
// all connected at once, GCs again and reads again. Per connection =
// (after - before) / CONNECTIONS, for RSS and for JS heap + external memory
// (external holds Buffers, ArrayBuffers and the wasm memory).
//
//   node bench/memory.mjs [--connections 2000] [--rounds 2]
//   node --expose-gc bench/memory.mjs --child tpgate|mqttjs --port N --connections 2000
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

import { startMosquitto } from '../tests/js/helpers/mosquitto.js';
import { progress, row, runAlone } from './lib.mjs';

const require = createRequire(import.meta.url);
const SELF = fileURLToPath(import.meta.url);
const BATCH = 100;  // connections opened concurrently
const CHILD_TIMEOUT_MS = 180_000;

const sides = {
  async tpgate(url) {
    const { connect } = await import('../npm/src/index-node.js');
    let i = 0;
    return {
      open: () => connect(url, { protocolVersion: 4, clientId: `mem-t-${process.pid}-${i++}`, keepalive: 60, reconnect: false }),
      close: (c) => c.end(),
    };
  },
  async mqttjs(url) {
    const mqtt = require('mqtt');
    let i = 0;
    return {
      open: () =>
        new Promise((resolve, reject) => {
          const c = mqtt.connect(url, { protocolVersion: 4, clientId: `mem-m-${process.pid}-${i++}`, keepalive: 60, reconnectPeriod: 0 });
          c.once('connect', () => resolve(c));
          c.once('error', reject);
        }),
      close: (c) => c.endAsync(),
    };
  },
};

function usage() {
  globalThis.gc();
  globalThis.gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}

async function child(side, port, connections) {
  const lib = await sides[side](`mqtt://127.0.0.1:${port}`);
  const first = await lib.open();
  await new Promise((r) => setTimeout(r, 200));
  const before = usage();
  const clients = [];
  for (let i = 0; i < connections; i += BATCH) {
    const batch = await Promise.all(Array.from({ length: Math.min(BATCH, connections - i) }, () => lib.open()));
    clients.push(...batch);
  }
  await new Promise((r) => setTimeout(r, 500));
  const after = usage();
  for (let i = 0; i < clients.length; i += BATCH) await Promise.all(clients.slice(i, i + BATCH).map(lib.close));
  await lib.close(first);
  const per = (k) => (after[k] - before[k]) / connections;
  return {
    connections: clients.length,
    before,
    after,
    rssPerConn: per('rss'),
    heapPerConn: (after.heap + after.external - before.heap - before.external) / connections,
  };
}

function runChild(args) {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, ['--expose-gc', SELF, '--child', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => c.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    c.on('close', (code) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()));
      } catch {
        resolve({ error: `exit ${code}${code === null ? ' (killed after timeout)' : ''}: ${(err || out).trim().slice(-400)}` });
      }
    });
  });
}

export async function run({ connections = 2000, rounds = 2 } = {}) {
  // mosquitto's own limit is unlimited by default; say so anyway. The fd limit
  // of this process (inherited by mosquitto and the children) must fit them.
  const broker = await startMosquitto({ config: ['max_connections -1'] });
  const runs = { tpgate: [], mqttjs: [] };
  try {
    for (let r = 0; r < rounds; r++) {
      for (const side of ['tpgate', 'mqttjs']) {
        const res = await runChild([side, '--port', String(broker.tcpPort), '--connections', String(connections)]);
        progress(`memory: ${side} run ${r + 1}: ${res.error ?? `${res.connections} conns, RSS ${(res.rssPerConn / 1024).toFixed(1)} KiB/conn, heap+external ${(res.heapPerConn / 1024).toFixed(1)} KiB/conn`}`);
        runs[side].push(res);
      }
    }
  } finally {
    await broker.stop();
  }
  // Median of the runs (of two: the mean); the smaller-is-better measure is
  // noisy from GC timing, so neither side gets its luckiest run.
  const mid = (side, k) => {
    const xs = runs[side].filter((x) => !x.error).map((x) => x[k]).sort((a, b) => a - b);
    if (xs.length === 0) return NaN;
    const h = xs.length >> 1;
    return xs.length % 2 ? xs[h] : (xs[h - 1] + xs[h]) / 2;
  };
  const note = { runs, transport: 'TCP (mqtt://), MQTT 3.1.1, keepalive 60' };
  return [
    row({ part: 'memory', name: `RSS per connection, ${connections} conns`, unit: 'bytes/conn', ours: mid('tpgate', 'rssPerConn'), peer: mid('mqttjs', 'rssPerConn'), peerName: 'MQTT.js', goal: 0.6, better: 'lower', note }),
    row({ part: 'memory', name: `JS heap + external per connection, ${connections} conns`, unit: 'bytes/conn', ours: mid('tpgate', 'heapPerConn'), peer: mid('mqttjs', 'heapPerConn'), peerName: 'MQTT.js', goal: 0.6, better: 'lower' }),
  ];
}

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

if (process.argv[2] === '--child') {
  console.log(JSON.stringify(await child(process.argv[3], Number(arg('port')), Number(arg('connections', 2000)))));
  process.exit(0);
} else {
  await runAlone(import.meta, () => run({ connections: Number(arg('connections', 2000)), rounds: Number(arg('rounds', 2)) }));
}
