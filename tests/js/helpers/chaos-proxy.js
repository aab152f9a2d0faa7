// A seeded chaos proxy in front of a real broker: it forwards each TCP
// connection byte for byte to the broker's TCP or WebSocket port (WebSocket is
// TCP underneath, so the same code serves both) and, while faults are on,
// breaks it the ways real networks do:
//
//   cut    each connection lives a random time, then both sides are
//          destroyed at once (neither sees a DISCONNECT or a close frame)
//   reset  a connection that chaos ends goes with an RST instead of a FIN
//          (socket.resetAndDestroy()), with probability p
//   delay  a chunk is held a random 1..maxMs ms (the ones behind it wait:
//          the order never changes)
//   split  a chunk is forwarded in 2-4 pieces at random byte offsets, one
//          event-loop turn apart, which splits MQTT packets and WebSocket
//          frames across reads
//   stall  half-open, as a dead NAT: nothing passes in either direction and
//          nothing is closed for a random while, then the connection is cut
//
// Every decision comes from one seed (mulberry32 streams derived from it per
// connection and per direction), so a run replays from its seed: connection n
// gets the same lifetime, and the k-th chunk of a direction of connection n
// the same delay/split/stall decision, whatever the other connections do.
// Bytes of one direction are never reordered or duplicated; a fault only
// drops what was in flight when its connection dies. A side that closes
// cleanly (FIN) has what it sent delivered before the close is passed on.
//
//   const proxy = await startChaosProxy(broker.tcpPort, {
//     seed: 42,
//     faults: {
//       cut: { everyMs: [500, 3000] },   // lifetime of each connection
//       reset: { p: 0.3 },               // RST instead of FIN when chaos ends one
//       delay: { p: 0.05, maxMs: 20 },   // per chunk
//       split: { p: 0.2 },               // per chunk
//       stall: { p: 0.001, ms: [200, 1500] },  // per chunk
//     },
//   });
//   connect(proxy.url('tcp')) ...  proxy.stats.cuts ...  proxy.setFaults(false) ...
//   await proxy.close();
//
// Faults left out (or with p 0) never happen. setFaults(false) lets
// everything through untouched (decisions are still drawn, so the streams
// stay aligned), setFaults(true) turns them on again, setFaults({...})
// replaces the fault options (and turns them on). proxy.cut({ reset }) ends
// every open connection now. proxy.stats counts connections, faults applied
// (cuts: lifetimes that ran out; resets: chaos ends by RST, after a cut or a
// stall) and bytes forwarded each way (bytesUp: client to broker). With
// { log: true } every applied fault is recorded in proxy.log as
// { conn, dir, chunk, fault: 'split' | 'delay' | 'stall' | 'cut' | 'stallEnd', ... },
// and each clean end (FIN) from a side as fault 'end' (for tests).
// proxy.seed is the seed in use (the one given, or a random one), to print so
// a failing run can be replayed.
//
// The decision streams alone, without sockets: chaosSchedule(seed, faults)
// (see below), for checking determinism.
import net from 'node:net';
import { listenLoopback } from './tcp-proxy.js';

const HOST = '127.0.0.1';
// Past this many bytes queued in one direction (delays, splits, a slow
// receiver), the sending socket is paused until the queue drains.
const HIGH_WATER = 1 << 20;

/** A seed as an unsigned 32-bit integer; a random one when none is given. */
export function chaosSeed(value) {
  if (value === undefined || value === null || value === '') return (Math.random() * 0x1_0000_0000) >>> 0;
  const n = typeof value === 'string' ? Number(value.trim()) : value;
  if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff) {
    throw new TypeError(`chaos seed must be an integer from 0 to 2^32-1 (got ${String(value)})`);
  }
  return n;
}

/** mulberry32: a small, fast 32-bit PRNG; returns floats in [0, 1). */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  };
}

// A well-mixed 32-bit seed for stream (conn, stream) of `seed`.
function subSeed(seed, conn, stream) {
  let h = (seed ^ Math.imul(conn + 1, 0x9e3779b1) ^ Math.imul(stream + 1, 0x85ebca77)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

const between = (r, [min, max]) => Math.floor(min + r * (max - min + 1));

/**
 * The fault decisions of a seed, without any sockets.
 *
 *   const schedule = chaosSchedule(seed, faults);
 *   const c = schedule.connection(0);   // the first accepted connection
 *   c.lifeMs        // when it is cut (Infinity without a cut fault)
 *   c.reset()       // the next chaos end of it: RST (true) or FIN (false)
 *   c.up.next(len)  // decision for its next client->broker chunk of len bytes
 *   c.down.next(len)
 *
 * A chunk decision is { delayMs, splitAt: [offsets], stallMs } (0 / [] / 0
 * when that fault does not hit). `faults` is read at each decision, so
 * schedule.faults may be replaced between them.
 */
export function chaosSchedule(seed, faults = {}) {
  const schedule = {
    seed,
    faults,
    connection(index) {
      const life = mulberry32(subSeed(seed, index, 0));
      const cut = schedule.faults.cut;
      const lifeDraw = life();
      return {
        lifeMs: cut?.everyMs ? between(lifeDraw, cut.everyMs) : Infinity,
        reset: () => life() < (schedule.faults.reset?.p ?? 0),
        up: chunkDecider(mulberry32(subSeed(seed, index, 1)), schedule),
        down: chunkDecider(mulberry32(subSeed(seed, index, 2)), schedule),
      };
    },
  };
  return schedule;
}

function chunkDecider(rng, schedule) {
  return {
    next(length) {
      const { stall, delay, split } = schedule.faults;
      // A fixed number of draws per chunk, whichever faults hit (split offsets aside).
      const stallHit = rng() < (stall?.p ?? 0);
      const stallDraw = rng();
      const delayHit = rng() < (delay?.p ?? 0);
      const delayDraw = rng();
      const splitHit = rng() < (split?.p ?? 0);
      const decision = { delayMs: 0, splitAt: [], stallMs: 0 };
      if (stallHit) decision.stallMs = between(stallDraw, stall.ms ?? [200, 1000]);
      if (delayHit) decision.delayMs = 1 + Math.floor(delayDraw * (delay.maxMs ?? 10));
      if (splitHit && length > 1) {
        const pieces = 1 + Math.floor(rng() * Math.min(3, length - 1));
        const offsets = new Set();
        for (let i = 0; i < pieces; i++) offsets.add(1 + Math.floor(rng() * (length - 1)));
        decision.splitAt = [...offsets].sort((a, b) => a - b);
      }
      return decision;
    },
  };
}

/**
 * @param {number} targetPort broker port on 127.0.0.1 (its TCP or its WebSocket listener)
 * @param {{ seed?: number | string, faults?: object, log?: boolean }} [options]
 * @returns {Promise<{
 *   port: number, seed: number, url: (kind?: 'tcp' | 'ws') => string,
 *   stats: { connections: number, cuts: number, stalls: number, resets: number,
 *            splits: number, delays: number, bytesUp: number, bytesDown: number },
 *   log: object[], open: () => number, setFaults: (on: boolean | object) => void,
 *   cut: (options?: { reset?: boolean }) => void, close: () => Promise<void> }>}
 */
export async function startChaosProxy(targetPort, { seed, faults = {}, log = false } = {}) {
  seed = chaosSeed(seed);
  const schedule = chaosSchedule(seed, faults);
  let enabled = true;
  const stats = { connections: 0, cuts: 0, stalls: 0, resets: 0, splits: 0, delays: 0, bytesUp: 0, bytesDown: 0 };
  const events = [];
  const conns = new Set();

  const server = net.createServer((client) => {
    const index = stats.connections++;
    const plan = schedule.connection(index);
    const upstream = net.connect({ host: HOST, port: targetPort });
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const conn = { index, client, upstream, dead: false, stalled: false, lifeTimer: null, stallTimer: null };
    conns.add(conn);
    const record = (event) => log && events.push({ conn: index, ...event });

    // Ends the connection on both sides: RST or plain destroy (FIN, or RST
    // from the kernel when unread data is left).
    conn.forget = () => {
      conn.dead = true;
      clearTimeout(conn.lifeTimer);
      clearTimeout(conn.stallTimer);
      conns.delete(conn);
    };
    conn.kill = (reset) => {
      if (conn.dead) return;
      conn.forget();
      for (const socket of [client, upstream]) {
        if (reset && typeof socket.resetAndDestroy === 'function') {
          try {
            socket.resetAndDestroy();
            continue;
          } catch {
            // not a TCP handle (yet): a plain destroy
          }
        }
        socket.destroy();
      }
    };
    // A fault ends it: counted, and RST or FIN as the seed says.
    conn.chaosEnd = (why) => {
      if (conn.dead) return;
      const reset = plan.reset();
      if (why === 'cut') stats.cuts++;
      if (reset) stats.resets++;
      record({ fault: why === 'cut' ? 'cut' : 'stallEnd', reset });
      conn.kill(reset);
    };
    conn.stall = (ms, dir, chunk) => {
      if (conn.stalled || conn.dead) return;
      conn.stalled = true;
      stats.stalls++;
      record({ dir, chunk, fault: 'stall', ms });
      clearTimeout(conn.lifeTimer);
      // Nothing is read any more (the kernel buffers fill, as behind a dead
      // NAT) and nothing is written; both sockets stay open.
      client.pause();
      upstream.pause();
      conn.stallTimer = setTimeout(() => conn.chaosEnd('stall'), ms);
    };

    if (Number.isFinite(plan.lifeMs)) {
      conn.lifeTimer = setTimeout(() => {
        if (enabled && !conn.stalled) conn.chaosEnd('cut');
      }, plan.lifeMs);
    }

    const up = new Direction(conn, client, upstream, plan.up, 'up');
    const down = new Direction(conn, upstream, client, plan.down, 'down');
    const context = { stats, record, enabled: () => enabled };
    up.context = context;
    down.context = context;

    // A socket error (ECONNRESET from a peer, a refused upstream) ends both
    // sides at once: what was in flight is lost, as with a real failure.
    client.on('error', () => conn.kill(false));
    upstream.on('error', () => conn.kill(false));
    // A side that closes after a clean end (FIN) has its bytes delivered and
    // the FIN passed on by its Direction; a close without one (destroyed,
    // reset) takes the other side with it at once.
    const closed = (from) => () => {
      if (!from.srcEnded) conn.kill(false);
      if (client.destroyed && upstream.destroyed) conn.forget();
    };
    client.on('close', closed(up));
    upstream.on('close', closed(down));
  });

  await listenLoopback(server);
  const { port } = server.address();

  const proxy = {
    port,
    seed,
    stats,
    log: events,
    url: (kind = 'tcp') => (kind === 'ws' ? `ws://${HOST}:${port}` : `mqtt://${HOST}:${port}`),
    /** Open connections. */
    open: () => conns.size,
    setFaults(on) {
      if (typeof on === 'object' && on !== null) {
        schedule.faults = on;
        enabled = true;
      } else {
        enabled = Boolean(on);
      }
    },
    /** Ends every open connection now (RST with reset: true). */
    cut({ reset = false } = {}) {
      for (const conn of [...conns]) conn.kill(reset);
    },
    async close() {
      proxy.cut();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}

// One direction of a connection: chunks from `src` go through a FIFO queue
// to `dst`, one at a time, each with its decision applied.
class Direction {
  constructor(conn, src, dst, decider, dir) {
    this.conn = conn;
    this.src = src;
    this.dst = dst;
    this.decider = decider;
    this.dir = dir;
    this.queue = [];
    this.queued = 0;
    this.busy = false;
    this.paused = false;
    this.srcEnded = false;
    this.chunks = 0;
    this.context = null;
    src.on('data', (chunk) => this.push(chunk));
    src.on('end', () => {
      this.srcEnded = true;
      this.context?.record({ dir: this.dir, chunk: this.chunks, fault: 'end' });
      if (!this.busy) this.pump();
    });
  }

  push(chunk) {
    if (this.conn.dead) return;
    this.queue.push(chunk);
    this.queued += chunk.length;
    if (this.queued > HIGH_WATER && !this.paused) {
      this.paused = true;
      this.src.pause();
    }
    if (!this.busy) this.pump();
  }

  // Forwards queued chunks in order, one at a time: plain ones at once (in a
  // loop), a delayed or split one asynchronously, after which pump() is
  // called again; with a full destination, again at its 'drain'.
  pump() {
    const conn = this.conn;
    for (;;) {
      if (conn.dead || conn.stalled) return;
      if (this.queue.length === 0) {
        this.busy = false;
        if (this.paused) {
          this.paused = false;
          this.src.resume();
        }
        // The sender closed cleanly: everything it sent is through, pass the FIN on.
        if (this.srcEnded && !this.dst.destroyed && !this.dst.writableEnded) this.dst.end();
        return;
      }
      this.busy = true;
      const chunk = this.queue.shift();
      this.queued -= chunk.length;
      const index = this.chunks++;
      // Drawn whether or not faults are on, so the streams stay aligned.
      const decision = this.decider.next(chunk.length);
      const { stats, record, enabled } = this.context;
      let splitAt = [];
      let delayMs = 0;
      if (enabled()) {
        if (decision.stallMs > 0) {
          // The chunk stays here; the connection is cut when the stall ends.
          conn.stall(decision.stallMs, this.dir, index);
          return;
        }
        ({ splitAt, delayMs } = decision);
        if (splitAt.length > 0) {
          stats.splits++;
          record({ dir: this.dir, chunk: index, fault: 'split', at: splitAt, length: chunk.length });
        }
        if (delayMs > 0) {
          stats.delays++;
          record({ dir: this.dir, chunk: index, fault: 'delay', ms: delayMs });
          setTimeout(() => this.forward(chunk, splitAt), delayMs);
          return;
        }
      }
      if (splitAt.length > 0) {
        this.forward(chunk, splitAt);
        return;
      }
      const result = this.write(chunk);
      if (result === 'full') this.dst.once('drain', () => this.pump());
      if (result !== 'ok') return;
    }
  }

  // Writes bytes to the destination: 'ok' (more can follow), 'full' (wait for
  // 'drain'), 'gone' (the connection is dead or stalled, or the destination closed).
  write(bytes) {
    const conn = this.conn;
    if (conn.dead || conn.stalled || this.dst.destroyed || this.dst.writableEnded) return 'gone';
    if (this.dir === 'up') this.context.stats.bytesUp += bytes.length;
    else this.context.stats.bytesDown += bytes.length;
    return this.dst.write(bytes) ? 'ok' : 'full';
  }

  // Writes the chunk in pieces (cut at `splitAt`), one event-loop turn apart,
  // then goes on with the queue once the destination can take more.
  forward(chunk, splitAt) {
    let piece = 0;
    let from = 0;
    const step = () => {
      const to = piece < splitAt.length ? splitAt[piece] : chunk.length;
      piece++;
      const result = this.write(chunk.subarray(from, to));
      from = to;
      if (result === 'gone') return;
      if (from < chunk.length) setImmediate(step);
      else if (result === 'ok') this.pump();
      else this.dst.once('drain', () => this.pump());
    };
    step();
  }
}
