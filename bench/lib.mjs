// Shared pieces of the benchmarks: timing loops, the seed payload, progress
// lines and the result rows every part returns.
//
// A result row: { part, name, unit, ours, peer, peerName, ratio, goal, met, better, note }
//   better: 'higher' (ops/s, messages/s) or 'lower' (bytes); ratio = ours / peer;
//   goal: the ratio aimed at (README "Performance"; >= for 'higher', <= for 'lower').
// Nothing here fails a run: a missed goal is reported, not thrown.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Progress goes to stderr so stdout stays the table and the JSON. */
export function progress(...args) {
  console.error('  ..', ...args);
}

/**
 * The seed's telemetry: the "Multi-Level Gateway" example of the published spec (docs/thingspanel.md#seed-examples),
 * as compact JSON with the numbers written as there (26.0, not 26).
 */
export const TELEMETRY =
  '{"gateway_data":{"temperature":26.0,"version":"2.0.0","switch":true},' +
  '"sub_device_data":{"device_001":{"temperature":25.0,"humidity":70.0}},' +
  '"sub_gateway_data":{"gateway_001":{"gateway_data":{"temperature":28.0,"version":"1.5.0","switch":true},' +
  '"sub_device_data":{"sensor_101":{"temperature":27.5,"humidity":55.0}}}}}';

export function row({ part, name, unit, ours, peer, peerName, goal, better = 'higher', note }) {
  const ratio = peer > 0 ? ours / peer : NaN;
  const met = goal === undefined ? null : better === 'higher' ? ratio >= goal : ratio <= goal;
  return { part, name, unit, ours, peer, peerName, ratio, goal, better, met, ...(note ? { note } : {}) };
}

/**
 * Calls `fn(n)` (which runs the operation n times) in growing batches until
 * `ms` have passed; returns operations per second. A short warm-up first lets
 * both JITs settle before counting.
 */
export function opsPerSecond(fn, { ms = 700, warmupMs = 200 } = {}) {
  const run = (budget) => {
    let ops = 0;
    let batch = 16;
    const t0 = process.hrtime.bigint();
    let elapsed = 0;
    while (elapsed < budget) {
      fn(batch);
      ops += batch;
      elapsed = Number(process.hrtime.bigint() - t0) / 1e6;
      if (elapsed < budget / 20) batch *= 2;
    }
    return (ops * 1000) / elapsed;
  };
  run(warmupMs);
  return run(ms);
}

/**
 * Runs each side `rounds` times, alternating (ours, peer, ours, peer, ...) so
 * neither profits from a warmer machine; returns the best of each.
 */
export async function alternate(rounds, ours, peer) {
  const a = [];
  const b = [];
  for (let i = 0; i < rounds; i++) {
    a.push(await ours(i));
    b.push(await peer(i));
  }
  return { ours: Math.max(...a), peer: Math.max(...b), oursAll: a, peerAll: b };
}

export const fmt = {
  n(x) {
    if (!Number.isFinite(x)) return String(x);
    if (Math.abs(x) >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
    if (Math.abs(x) >= 1e4) return `${(x / 1e3).toFixed(1)}k`;
    return x >= 100 ? x.toFixed(0) : x.toFixed(2);
  },
  bytes(x) {
    return x >= 10 * 1024 ? `${(x / 1024).toFixed(1)} KiB` : `${Math.round(x)} B`;
  },
};

function value(r, x) {
  return r.unit === 'bytes' || r.unit === 'bytes/conn' ? fmt.bytes(x) + (r.unit === 'bytes/conn' ? '/conn' : '') : `${fmt.n(x)} ${r.unit}`;
}

/** A plain-text table of rows, also valid Markdown. */
export function table(rows) {
  const head = ['part', 'measure', 'tpgate', 'peer', 'ratio', 'goal', 'met?'];
  const lines = rows.map((r) => [
    r.part,
    r.name,
    value(r, r.ours),
    `${value(r, r.peer)} (${r.peerName})`,
    `${r.ratio.toFixed(2)}x`,
    r.goal === undefined ? '-' : `${r.better === 'higher' ? '>=' : '<='} ${r.goal}x`,
    r.met === null ? '-' : r.met ? 'yes' : 'NO',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmtLine = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [fmtLine(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(fmtLine)].join('\n');
}

/** When a part file runs alone: print its table and JSON. */
export async function runAlone(meta, fn) {
  if (process.argv[1] !== fileURLToPath(meta.url)) return;
  const rows = await fn();
  console.log(table(rows));
  console.log(JSON.stringify(rows, null, 2));
}

/**
 * Runs each side's rate function `rounds` times, alternating sides, and
 * returns the best rate of each ({side: rate}); `label` prefixes the progress lines.
 * @param {Array<[string, () => number]>} sides
 */
export function bestRates(sides, rounds, label, unit = 'msg/s') {
  const best = Object.fromEntries(sides.map(([side]) => [side, 0]));
  for (let r = 0; r < rounds; r++) {
    for (const [side, fn] of sides) {
      const rate = fn();
      best[side] = Math.max(best[side], rate);
      progress(`${label}: round ${r + 1}/${rounds} ${side}: ${Math.round(rate)} ${unit}`);
    }
  }
  return best;
}

/**
 * Runs `script --child ...args` in a fresh Node process; resolves with the JSON
 * of its last stdout line, or {error} (exit code and the tail of its output;
 * killed after `timeoutMs`).
 */
export function runChild(script, args, timeoutMs) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, '--child', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop();
      try {
        resolve(JSON.parse(line));
      } catch {
        resolve({ error: `exit ${code}${code === null ? ' (killed after timeout)' : ''}: ${(err || out).trim().slice(-400)}` });
      }
    });
  });
}
