// (e) A fleet of gateways in one process (README "Performance", fleet rows):
// N gateways x 10 sub-devices, each gateway publishing one telemetry message
// (its own values and its sub-devices', 3 keys each) per second at QoS 1,
// against mosquitto over TCP. Side by side:
//   tpgate  createEmulator(): one wasm fleet, one timer, one socket per gateway;
//   MQTT.js one mqtt.connect() client per gateway, a setInterval each, the
//           same payload shape built with JSON.stringify, the same QoS.
// Each side runs in its own child process (node --expose-gc) against its own
// fresh mosquitto. Measured per side:
//   RSS per gateway  (RSS at steady state - RSS before the fleet) / N, after GC;
//   CPU              process.cpuUsage() over the steady window, % of one core;
//   messages/s       telemetry counted by a separate MQTT.js subscriber (QoS 0)
//                    to gateway/telemetry, over the same window;
//   connect all      from creating the fleet to the last CONNACK.
// TCP, not WebSocket: mosquitto 2.0.11's WebSocket handshake costs about
// 200 ms of its single thread per connection here, which would measure the
// broker, not the clients.
//
//   node bench/fleet.mjs [--gateways 10000] [--sub-devices 10] [--steady 10] [--sides tpgate,mqttjs] [--profile DIR]
//   node --expose-gc bench/fleet.mjs --child tpgate|mqttjs --url mqtt://... --gateways N --sub-devices 10 --steady S [--profile DIR]
// --profile DIR writes a V8 CPU profile of each side's steady window to DIR/fleet-<side>.cpuprofile.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

import { startMosquitto } from '../tests/js/helpers/mosquitto.js';
import { progress, row, runAlone } from './lib.mjs';
import { fleetScenario, mqttjsFleet } from './fleet-sides.mjs';

const require = createRequire(import.meta.url);
const SELF = fileURLToPath(import.meta.url);
const WARMUP_S = 5; // after the last CONNACK, before the steady window (the SUBSCRIBE backlog drains)
const CONNECT_CONCURRENCY = 500;

function usage() {
  globalThis.gc?.();
  globalThis.gc?.();
  return process.memoryUsage();
}

const line = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// --- the child: one side ---------------------------------------------------------

// --profile DIR: a V8 CPU profile of the steady window only, in DIR/fleet-<side>.cpuprofile.
async function startProfile(dir) {
  if (!dir) return null;
  const { Session } = await import('node:inspector');
  const session = new Session();
  session.connect();
  const post = (method, params) => new Promise((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 200 });
  await post('Profiler.start');
  return async (side) => {
    const { profile } = await post('Profiler.stop');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${dir}/fleet-${side}.cpuprofile`, JSON.stringify(profile));
    session.disconnect();
  };
}

async function child(side, { url, gateways, subDevices, steady, profile }) {
  let fleet;
  if (side === 'tpgate') {
    const { createEmulator, loadTpgateEmulator } = await import('../npm/src/emulator-node.js');
    await loadTpgateEmulator(); // the module compiled and instantiated: part of the baseline
    const before = usage();
    const t0 = performance.now();
    const emu = await createEmulator(fleetScenario(gateways, subDevices), { url, connectConcurrency: CONNECT_CONCURRENCY });
    let transportErrors = 0;
    emu.on('error', () => transportErrors++);
    await emu.start();
    await emu.waitConnected(gateways, { timeout: 300_000, interval: 100 });
    fleet = {
      before,
      connectMs: performance.now() - t0,
      stop: () => emu.stop(),
      extra: () => {
        const s = emu.stats();
        return { published: s.published, errors: s.errors, transport_errors: s.transport_errors, reconnects: s.reconnects, dropped: s.dropped };
      },
    };
  } else {
    const mqtt = require('mqtt');
    const before = usage();
    const t0 = performance.now();
    const f = await mqttjsFleet(mqtt, url, gateways, subDevices, CONNECT_CONCURRENCY);
    fleet = { before, connectMs: performance.now() - t0, stop: f.stop, extra: f.extra };
  }
  line({ phase: 'connected', connectMs: fleet.connectMs });
  await sleep(WARMUP_S * 1000);
  const stopProfile = await startProfile(profile);
  const cpu0 = process.cpuUsage();
  const w0 = performance.now();
  line({ phase: 'steady-start', at: Date.now() });
  await sleep(steady * 1000);
  const cpu1 = process.cpuUsage(cpu0);
  const wall = performance.now() - w0;
  line({ phase: 'steady-end', at: Date.now() });
  await stopProfile?.(side);
  const after = usage();
  const extra = fleet.extra();
  const stopT0 = performance.now();
  await fleet.stop();
  return {
    side,
    gateways,
    connectMs: fleet.connectMs,
    rssPerGateway: (after.rss - fleet.before.rss) / gateways,
    heapPerGateway: (after.heapUsed + after.external - fleet.before.heapUsed - fleet.before.external) / gateways,
    rssMiB: after.rss / 1048576,
    cpuPercent: ((cpu1.user + cpu1.system) / 1000 / wall) * 100,
    // The kernel's share (socket syscalls, loopback TCP) next to the process's own.
    cpuUserPercent: (cpu1.user / 1000 / wall) * 100,
    cpuSystemPercent: (cpu1.system / 1000 / wall) * 100,
    stopMs: performance.now() - stopT0,
    ...extra,
  };
}

// --- the parent -------------------------------------------------------------------

/** Counts telemetry messages per arrival time (ms), from its own MQTT.js client. */
async function telemetryCounter(url) {
  const mqtt = require('mqtt');
  const client = await mqtt.connectAsync(url, { clientId: `fleet-counter-${process.pid}`, reconnectPeriod: 0 });
  const arrivals = [];
  client.on('message', () => arrivals.push(Date.now()));
  await client.subscribeAsync('gateway/telemetry', { qos: 0 });
  return {
    between: (t0, t1) => arrivals.filter((t) => t >= t0 && t < t1).length,
    close: () => client.endAsync(),
  };
}

function runSide(side, args) {
  return new Promise((resolve) => {
    const argv = ['--expose-gc', '--max-old-space-size=4096', SELF, '--child', side, ...args];
    const c = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    const phases = {};
    let result = null;
    let err = '';
    let buffered = '';
    c.stdout.on('data', (d) => {
      buffered += d;
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const text = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        try {
          const o = JSON.parse(text);
          if (o.phase) {
            phases[o.phase] = o;
            progress(`fleet: ${side}: ${o.phase}${o.connectMs ? ` after ${(o.connectMs / 1000).toFixed(1)} s` : ''}`);
          } else result = o;
        } catch {
          err += `${text}\n`;
        }
      }
    });
    c.stderr.on('data', (d) => (err = (err + d).slice(-4000)));
    const timer = setTimeout(() => c.kill('SIGKILL'), 15 * 60_000);
    c.on('close', (code) => {
      clearTimeout(timer);
      resolve(result ? { ...result, phases } : { error: `exit ${code}: ${err.trim().slice(-600)}` });
    });
  });
}

async function measure(side, { gateways, subDevices, steady, profile }) {
  // A fresh broker per side; QoS 1 queues unlimited (max_queued_messages 0)
  // and no connection limit.
  const broker = await startMosquitto({ config: ['max_connections -1', 'max_queued_messages 0'], timeoutMs: 20_000 });
  try {
    const counter = await telemetryCounter(broker.tcpUrl);
    const res = await runSide(side, ['--url', broker.tcpUrl, '--gateways', String(gateways), '--sub-devices', String(subDevices), '--steady', String(steady), ...(profile ? ['--profile', profile] : [])]);
    await counter.close();
    if (res.error) return res;
    const t0 = res.phases['steady-start'].at;
    const t1 = res.phases['steady-end'].at;
    res.messagesPerSecond = (counter.between(t0, t1) * 1000) / (t1 - t0);
    // Second by second over the window: a fleet that falls behind shows here.
    res.perSecond = [];
    for (let t = t0; t + 1000 <= t1; t += 1000) res.perSecond.push(counter.between(t, t + 1000));
    return res;
  } finally {
    await broker.stop();
  }
}

export async function run({ gateways = 10_000, subDevices = 10, steady = 10, sides = ['tpgate', 'mqttjs'], profile = '' } = {}) {
  const results = {};
  for (const side of sides) {
    progress(`fleet: ${side}: ${gateways} gateways x ${subDevices} sub-devices`);
    const r = await measure(side, { gateways, subDevices, steady, profile });
    results[side] = r;
    progress(
      `fleet: ${side}: ${r.error ?? `RSS ${(r.rssPerGateway / 1024).toFixed(1)} KiB/gateway, CPU ${r.cpuPercent.toFixed(0)}% (kernel ${r.cpuSystemPercent.toFixed(0)}%), ${r.messagesPerSecond.toFixed(0)} msg/s, connect all ${(r.connectMs / 1000).toFixed(1)} s`}`,
    );
  }
  const t = results.tpgate ?? {};
  const m = results.mqttjs ?? {};
  const warnings = [...(t.error ? [`tpgate side: ${t.error}`] : []), ...(m.error ? [`MQTT.js side: ${m.error}`] : [])];
  const note = { gateways, subDevices, steadySeconds: steady, transport: 'TCP (mqtt://), MQTT 3.1.1, QoS 1, keepalive 60', results };
  const name = (what) => `${what}, ${gateways} gateways x ${subDevices} sub-devices, 1 msg/gw/s`;
  const rows = [
    // The goal (README "Performance"): 10,000 gateways sustained in one process at <= 0.5x MQTT.js's memory
    // per gateway.
    row({ part: 'fleet', name: name('RSS per gateway'), unit: 'bytes/conn', ours: t.rssPerGateway, peer: m.rssPerGateway, peerName: 'MQTT.js', goal: 0.5, better: 'lower', note }),
    row({ part: 'fleet', name: name('telemetry at the broker'), unit: 'msg/s', ours: t.messagesPerSecond, peer: m.messagesPerSecond, peerName: 'MQTT.js', better: 'higher' }),
    row({ part: 'fleet', name: name('CPU, % of one core'), unit: '%', ours: t.cpuPercent, peer: m.cpuPercent, peerName: 'MQTT.js', better: 'lower' }),
    row({ part: 'fleet', name: name('time to connect all'), unit: 's', ours: t.connectMs / 1000, peer: m.connectMs / 1000, peerName: 'MQTT.js', better: 'lower' }),
  ];
  // "Sustained": the broker sees (nearly) one message per gateway per second.
  for (const [side, r] of Object.entries(results)) {
    if (!r.error && r.messagesPerSecond < gateways * 0.95) warnings.push(`${side}: ${r.messagesPerSecond.toFixed(0)} msg/s of the ${gateways} wanted: not sustained`);
  }
  if (warnings.length) rows[0].warnings = warnings;
  return rows;
}

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

if (process.argv[2] === '--child') {
  const res = await child(process.argv[3], {
    url: arg('url'),
    gateways: Number(arg('gateways', 10_000)),
    subDevices: Number(arg('sub-devices', 10)),
    steady: Number(arg('steady', 10)),
    profile: arg('profile', ''),
  });
  line(res);
  process.exit(0);
} else {
  await runAlone(import.meta, () =>
    run({
      gateways: Number(arg('gateways', 10_000)),
      subDevices: Number(arg('sub-devices', 10)),
      steady: Number(arg('steady', 10)),
      sides: arg('sides', 'tpgate,mqttjs').split(','),
      profile: arg('profile', ''),
    }),
  );
}
