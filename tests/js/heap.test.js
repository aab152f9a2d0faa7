// No leak: 10,000 connect/end cycles against a real mosquitto leave the wasm
// heap where it was after the first 100. Every client owns one ClientSession
// in the shared module; end() must free it and whatever it allocated.
//
// heapStats() (bindings/diagnostics_bindings.cpp) reads dlmalloc's counters:
// `inUse` is the bytes in live malloc'ed blocks, which is what a leaked
// session (a few KiB each) makes grow.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ClientClosedError, connect, loadTpgate } from 'tpgate';
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

/** Sockets and timers the event loop still holds, by kind. */
function liveResources() {
  const counts = {};
  for (const kind of process.getActiveResourcesInfo()) {
    if (kind === 'TCPSocketWrap' || kind === 'Timeout') counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}

/**
 * One batch: `count` clients connect at once (alternately MQTT 5 and 3.1.1,
 * over `url`), each subscribes and publishes QoS 1, and half of them leave a
 * publish pending when they end (it must reject, and its state must be freed
 * too); every fourth ends with force. Returns heapStats() taken while all of
 * them were connected, when `measure` is set.
 */
async function batch(first, count, url, measure) {
  const clients = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      connect(url, { clientId: `heap-${process.pid}-${first + i}`, protocolVersion: (first + i) % 2 ? 4 : 5, reconnect: false }),
    ),
  );
  await Promise.all(
    clients.map(async (c, i) => {
      const topic = `tpgate/heap/${c.clientId}`;
      await c.subscribe(topic, { qos: 1 });
      await c.publish(topic, `cycle ${first + i}`, { qos: 1 });
    }),
  );
  const during = measure ? tpgate.heapStats() : null;
  const abandoned = clients
    .filter((_, i) => i % 2)
    .map((c) => c.publish(`tpgate/heap/${c.clientId}/late`, 'x', { qos: 1 }).then(() => null, (err) => err));
  await Promise.all(clients.map((c, i) => c.end(i % 4 === 3)));
  for (const c of clients) assert.equal(c.connected, false);
  // A publish still waiting for its PUBACK when the client ended rejects; it never hangs.
  for (const err of await Promise.all(abandoned)) {
    assert.ok(err instanceof ClientClosedError, `pending publish: expected ClientClosedError, got ${err}`);
  }
  return during;
}

test(`${CYCLES} connect/end cycles leave the wasm heap within ${BOUND / 1024} KiB of where it was after ${WARMUP}`, { timeout: 120_000 }, async (t) => {
  // Mostly TCP (quicker to set up); every fifth batch over WebSocket.
  const urlFor = (n) => ((n / BATCH) % 5 === 4 ? `${broker.wsUrl}/mqtt` : `mqtt://127.0.0.1:${broker.tcpPort}`);
  const initial = tpgate.heapStats();
  const initialResources = liveResources();

  let done = 0;
  let peakDuring = 0;
  while (done < WARMUP) {
    await batch(done, BATCH, urlFor(done), false);
    done += BATCH;
  }
  const baseline = tpgate.heapStats();

  while (done < CYCLES) {
    const during = await batch(done, BATCH, urlFor(done), done === WARMUP);
    if (during) peakDuring = during.inUse;
    done += BATCH;
  }
  const final = tpgate.heapStats();
  const finalResources = liveResources();

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
  // And on the JS side no socket or timer outlived its client.
  assert.deepEqual(finalResources, initialResources);
});
