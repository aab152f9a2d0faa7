// (metrics) What `tpgate emulate --metrics-port` costs a fleet: the same
// `tpgate emulate` command against a real mosquitto, once without metrics and
// once with them scraped every second (a tight scrape interval; Prometheus's
// default is 60 s), side by side in the same run, alternating round by round.
//
//   CPU         the emulate process's user + system time over the steady
//               window (from /proc/PID/stat), % of one core
//   scrape      wall time of one GET /metrics, as the scraper sees it
//               (median and max over the window), and the body's size, next
//               to a 404 from the same server (the wait for the fleet's event
//               loop, without the metrics' own work)
//
// The latency histograms are views of the fleet's own run histograms (a
// fixed number of buckets), so a scrape costs the same after an hour as after
// a second; the counters are read from the last once-a-second stats sample.
//
//   node bench/metrics.mjs [--gateways 10000] [--steady 10] [--rounds 2]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { startMosquitto } from '../tests/js/helpers/mosquitto.js';
import { progress, root, row } from './lib.mjs';

const CLI = path.join(root, 'npm/bin/tpgate.js');
const TICKS = 100; // USER_HZ: /proc/PID/stat counts CPU time in 1/100 s

function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS; // utime, stime
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function runOnce({ url, gateways, steady, metrics }) {
  const args = [CLI, 'emulate', '--url', url, '--gateways', String(gateways), '--duration', String(steady + 120)];
  if (metrics) args.push('--metrics-port', '0');
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.resume();
  const exited = new Promise((resolve) => child.on('exit', resolve));
  try {
    // All connected: the status line says so (every 5 s when not a terminal).
    const deadline = Date.now() + 120_000;
    while (!new RegExp(`connected ${gateways}/${gateways} `).test(stderr)) {
      if (Date.now() > deadline) throw new Error(`not all connected in 120 s:\n${stderr.slice(-500)}`);
      await sleep(200);
    }
    const metricsUrl = metrics ? /metrics at (\S+)/.exec(stderr)?.[1] : null;
    const scrapes = [];
    const waits = [];
    let bytes = 0;
    const t0 = performance.now();
    const cpu0 = cpuSeconds(child.pid);
    while (performance.now() - t0 < steady * 1000) {
      const tick = performance.now();
      if (metricsUrl) {
        const res = await fetch(metricsUrl);
        const body = await res.text();
        scrapes.push(performance.now() - tick);
        bytes = body.length;
        // The same server's 404: the wait for the fleet's event loop, without the metrics.
        const t404 = performance.now();
        await (await fetch(new URL('/none', metricsUrl))).text();
        waits.push(performance.now() - t404);
      }
      await sleep(Math.max(0, 1000 - (performance.now() - tick)));
    }
    const cpu = ((cpuSeconds(child.pid) - cpu0) / ((performance.now() - t0) / 1000)) * 100;
    scrapes.sort((a, b) => a - b);
    waits.sort((a, b) => a - b);
    return { cpu, scrapeMedianMs: scrapes[scrapes.length >> 1] ?? null, scrapeMaxMs: scrapes.at(-1) ?? null, waitMedianMs: waits[waits.length >> 1] ?? null, bytes };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

export async function run({ gateways = 10_000, steady = 10, rounds = 2 } = {}) {
  const broker = await startMosquitto({ listenerConfig: ['max_connections -1'] });
  try {
    const best = { plain: null, metrics: null };
    for (let r = 0; r < rounds; r++) {
      for (const side of r % 2 === 0 ? ['plain', 'metrics'] : ['metrics', 'plain']) {
        const result = await runOnce({ url: broker.tcpUrl, gateways, steady, metrics: side === 'metrics' });
        progress(`metrics: round ${r + 1} ${side}: CPU ${result.cpu.toFixed(1)}%${side === 'metrics' ? `, scrape median ${result.scrapeMedianMs.toFixed(1)} ms, max ${result.scrapeMaxMs.toFixed(1)} ms, ${result.bytes} B; a 404 of the same server ${result.waitMedianMs.toFixed(1)} ms` : ''}`);
        if (best[side] === null || result.cpu < best[side].cpu) best[side] = result;
      }
    }
    const what = `${gateways} gateways, scraped every 1 s`;
    return [
      row({ part: 'metrics', name: `CPU, % of one core, ${what}`, unit: '%', ours: best.metrics.cpu, peer: best.plain.cpu, peerName: 'same fleet, no --metrics-port', better: 'lower' }),
      row({ part: 'metrics', name: `GET /metrics, median wall time, ${what}`, unit: 'ms', ours: best.metrics.scrapeMedianMs, peer: best.metrics.waitMedianMs, peerName: 'a 404 of the same server', better: 'lower', note: `max ${best.metrics.scrapeMaxMs.toFixed(1)} ms, ${best.metrics.bytes} bytes` }),
    ];
  } finally {
    await broker.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name, fallback) => (process.argv.includes(`--${name}`) ? Number(process.argv[process.argv.indexOf(`--${name}`) + 1]) : fallback);
  const rows = await run({ gateways: arg('gateways', 10_000), steady: arg('steady', 10), rounds: arg('rounds', 2) });
  for (const r of rows) console.log(`${r.name}: ${r.ours.toFixed(2)} ${r.unit}${Number.isFinite(r.peer) ? ` vs ${r.peer.toFixed(2)} ${r.unit} (${r.peerName}): ${r.ratio.toFixed(2)}x` : ''}${r.note ? ` (${r.note})` : ''}`);
}
