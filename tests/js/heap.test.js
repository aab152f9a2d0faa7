// No leak: 10,000 connect/end cycles against a real mosquitto leave the wasm
// heap where it was after the first 100. Every client owns one ClientSession
// in the shared module; end() must free it and whatever it allocated.
//
// heapStats() (bindings/diagnostics_bindings.cpp) reads dlmalloc's counters:
// `inUse` is the bytes in live malloc'ed blocks, which is what a leaked
// session (a few KiB each) makes grow.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connect, loadTpgate } from 'tpgate';
import { startMosquitto } from './helpers/mosquitto.js';

const CYCLES = 10_000;
const WARMUP = 100;
const BATCH = 50;
// What "no leak" allows: allocator bookkeeping and size-class caches that
// settle after the warm-up. One leaked session per 1,000 cycles would already
// exceed it.
const BOUND = 64 * 1024;

let broker;
let tpgate;
before(async () => {
  broker = await startMosquitto();
  // The same cached module the clients run on (one per realm).
  tpgate = await loadTpgate();
});
after(async () => {
  await broker?.stop();
});

/** Connects `count` clients at once, optionally measures, then ends them all. */
async function batch(first, count, url, measure) {
  const clients = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      connect(url, { clientId: `heap-${process.pid}-${first + i}`, protocolVersion: (first + i) % 2 ? 4 : 5, reconnect: false }),
    ),
  );
  const during = measure ? tpgate.heapStats() : null;
  await Promise.all(clients.map((c) => c.end()));
  for (const c of clients) assert.equal(c.connected, false);
  return during;
}

test(`${CYCLES} connect/end cycles leave the wasm heap within ${BOUND / 1024} KiB of where it was after ${WARMUP}`, { timeout: 120_000 }, async (t) => {
  const url = `mqtt://127.0.0.1:${broker.tcpPort}`;
  const initial = tpgate.heapStats();

  let done = 0;
  let peakDuring = 0;
  while (done < WARMUP) {
    await batch(done, BATCH, url, false);
    done += BATCH;
  }
  const baseline = tpgate.heapStats();

  while (done < CYCLES) {
    const during = await batch(done, BATCH, url, done === WARMUP);
    if (during) peakDuring = during.inUse;
    done += BATCH;
  }
  const final = tpgate.heapStats();

  t.diagnostic(`heap in use: initial ${initial.inUse} B, after ${WARMUP} cycles ${baseline.inUse} B, ` +
    `with ${BATCH} clients connected ${peakDuring} B, after ${CYCLES} cycles ${final.inUse} B ` +
    `(${final.inUse - baseline.inUse >= 0 ? '+' : ''}${final.inUse - baseline.inUse} B)`);
  t.diagnostic(`wasm memory: ${baseline.heapSize} B after ${WARMUP} cycles, ${final.heapSize} B after ${CYCLES}`);

  // The measurement sees sessions at all: 50 live clients use more than none.
  assert.ok(peakDuring > baseline.inUse, `heapStats() did not see ${BATCH} live clients (${peakDuring} B)`);
  assert.ok(
    final.inUse - baseline.inUse < BOUND,
    `wasm heap in use grew by ${final.inUse - baseline.inUse} B over ${CYCLES - WARMUP} cycles (bound ${BOUND} B)`,
  );
  // With every client ended, what the clients held is back with the
  // allocator: in use is no higher than after the warm-up plus the bound.
  assert.ok(final.inUse - initial.inUse < BOUND, `in use ${final.inUse} B vs ${initial.inUse} B before any client`);
});
