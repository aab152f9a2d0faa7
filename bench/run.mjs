// `npm run bench`: every benchmark in one run, tpgate side by side with
// MQTT.js and mqtt-packet. Prints a table (tpgate, peer, ratio, goal, met?)
// and the same rows as JSON, on stdout and in build-bench/results.json.
// A missed goal is reported, never a failure; a part that cannot run (no
// mosquitto, no client yet) is reported with its error and the rest go on.
//
//   node bench/run.mjs [--only codec,gateway,scripts,size,throughput,store,memory,metrics,fleet] [--quick]
//     [--fleet-gateways 10000] [--fleet-steady 10]   shrink the fleet part (default 10,000; --quick: 1,000)
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { root, table } from './lib.mjs';

const quick = process.argv.includes('--quick');
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt > 0 ? process.argv[onlyAt + 1].split(',') : null;
const argAt = (name) => process.argv.indexOf(`--${name}`);
const numberArg = (name, fallback) => (argAt(name) > 0 ? Number(process.argv[argAt(name) + 1]) : fallback);
const fleetGateways = numberArg('fleet-gateways', quick ? 1000 : 10_000);
const fleetSteady = numberArg('fleet-steady', quick ? 5 : 10);

// Cheapest first, so a broken environment shows up early.
const PARTS = [
  ['size', () => import('./size.mjs').then((m) => m.run())],
  // MQTT 5, the client's default; `node bench/codec.mjs --version 4` for 3.1.1.
  ['codec', () => import('./codec.mjs').then((m) => m.run({ version: 5, ms: quick ? 200 : 700 }))],
  // The platform side (docs/thingspanel.md#roles) parsing and routing Multi-Level telemetry.
  ['gateway', () => import('./gateway.mjs').then((m) => m.run({ ms: quick ? 200 : 700 }))],
  // The same receive path with a Lua data script (docs/thingspanel.md#data-scripts).
  ['scripts', () => import('./scripts.mjs').then((m) => m.run({ ms: quick ? 200 : 700 }))],
  ['throughput', () => import('./throughput.mjs').then((m) => m.run(quick ? { n0: 2000, n1: 1000, rounds: 1 } : {}))],
  // QoS 1 publishes with a persistent session: memory, tpgate's fileStore, MQTT.js with mqtt-level-store.
  ['store', () => import('./store.mjs').then((m) => m.run(quick ? { messages: 2000, rounds: 1 } : {}))],
  ['memory', () => import('./memory.mjs').then((m) => m.run(quick ? { connections: 200, rounds: 1 } : {}))],
  // What --metrics-port costs a fleet scraped every second, against the same fleet without it.
  ['metrics', () => import('./metrics.mjs').then((m) => m.run({ gateways: fleetGateways, steady: fleetSteady, rounds: quick ? 1 : 2 }))],
  // A fleet of virtual gateways in one process against one of MQTT.js clients.
  ['fleet', () => import('./fleet.mjs').then((m) => m.run({ gateways: fleetGateways, steady: fleetSteady }))],
];

const started = Date.now();
const rows = [];
const failures = [];
for (const [name, part] of PARTS) {
  if (only && !only.includes(name)) continue;
  console.error(`==> bench: ${name}`);
  const t0 = Date.now();
  try {
    rows.push(...(await part()));
  } catch (err) {
    failures.push({ part: name, error: err.message });
    console.error(`  ${name}: could not run: ${err.message}`);
  }
  console.error(`  ${name}: ${((Date.now() - t0) / 1000).toFixed(1)}s`);
}

const result = {
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, platform: `${os.platform()} ${os.release()}` },
  rows,
  failures,
  seconds: (Date.now() - started) / 1000,
};
const out = path.join(root, 'build-bench', 'results.json');
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);

console.log(`\ntpgate benchmarks, ${result.date}, ${result.machine.cpus} cpus (${result.machine.model}), Node ${process.version}\n`);
console.log(table(rows));
for (const f of failures) console.log(`\n${f.part}: not measured: ${f.error}`);
for (const r of rows) for (const w of r.warnings ?? []) console.log(`\nWARNING, ${r.name}: ${w}`);
const missed = rows.filter((r) => r.met === false).length;
// Rows without a goal (met === null) only report their ratio.
const withGoal = rows.filter((r) => r.met !== null).length;
console.log(`\n${withGoal - missed} of ${withGoal} goals met; JSON in ${path.relative(root, out)}\n`);
console.log(JSON.stringify(result));
