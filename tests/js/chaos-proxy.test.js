// The chaos proxy itself (helpers/chaos-proxy.js), in front of a real
// mosquitto: its decisions replay from the seed, split and delayed chunks
// arrive whole and in order (MQTT over TCP and over WebSocket), a stall keeps
// both sockets open with nothing passing either way, and cut and reset close
// both sides (the broker publishes the client's will: it saw the connection
// go without a DISCONNECT).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import mqttPacket from 'mqtt-packet';
import { connect } from 'tpgate';
import { chaosSchedule, chaosSeed, startChaosProxy } from './helpers/chaos-proxy.js';
import { startMosquitto } from './helpers/mosquitto.js';

let broker;
before(async () => {
  broker = await startMosquitto();
});
after(async () => {
  await broker?.stop();
});

let counter = 0;
const uniqueId = (label) => `chaos-proxy-${label}-${process.pid}-${++counter}`;

/**
 * A bare MQTT 3.1.1 client on a raw socket (mqtt-packet), so the test sees
 * exactly what the socket does: packets in order, 'end' (FIN) or an error
 * (RST), and when it closes.
 */
function rawClient(port) {
  const socket = net.connect({ host: '127.0.0.1', port });
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const packets = [];
  const waiters = [];
  const state = { ended: false, error: null, closed: false };
  parser.on('packet', (packet) => {
    const i = waiters.findIndex((w) => w.cmd === packet.cmd);
    if (i >= 0) waiters.splice(i, 1)[0].resolve(packet);
    else packets.push(packet);
  });
  socket.on('data', (chunk) => parser.parse(chunk));
  socket.on('end', () => (state.ended = true));
  socket.on('error', (err) => (state.error = err));
  const closed = new Promise((resolve) => socket.on('close', () => resolve((state.closed = true))));
  return {
    socket,
    state,
    closed,
    packets,
    send: (packet) => socket.write(mqttPacket.generate(packet, { protocolVersion: 4 })),
    /** The next packet of kind `cmd` (already received or still to come). */
    next(cmd, timeoutMs = 5000) {
      const i = packets.findIndex((p) => p.cmd === cmd);
      if (i >= 0) return Promise.resolve(packets.splice(i, 1)[0]);
      return new Promise((resolve, reject) => {
        const waiter = { cmd, resolve };
        waiters.push(waiter);
        setTimeout(() => {
          const at = waiters.indexOf(waiter);
          if (at < 0) return;
          waiters.splice(at, 1);
          reject(new Error(`no ${cmd} within ${timeoutMs} ms`));
        }, timeoutMs);
      });
    },
  };
}

const connectPacket = (clientId, will) => ({
  cmd: 'connect',
  protocolId: 'MQTT',
  protocolVersion: 4,
  clean: true,
  clientId,
  keepalive: 0, // the broker never times the connection out on its own
  ...(will ? { will: { topic: will, payload: Buffer.from('gone'), qos: 0, retain: false } } : {}),
});

/** A raw client through `proxy` with a will on `willTopic`, connected (CONNACK received). */
async function connectedRaw(proxy, willTopic) {
  const raw = rawClient(proxy.port);
  raw.send(connectPacket(uniqueId('raw'), willTopic));
  const connack = await raw.next('connack');
  assert.equal(connack.returnCode, 0);
  return raw;
}

/** A tpgate client straight to the broker, collecting what arrives on `filter`. */
async function watcher(t, filter) {
  const client = await connect(broker.tcpUrl, { clientId: uniqueId('watch'), protocolVersion: 4 });
  t.after(() => client.end(true).catch(() => {}));
  const messages = [];
  client.on('message', (topic, payload) => messages.push({ topic, payload: Buffer.from(payload).toString() }));
  await client.subscribe(filter, { qos: 1 });
  return { client, messages };
}

async function waitFor(condition, what, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await sleep(10);
  }
}

describe('seed', () => {
  test('the seed is reported: given, as a string, or random when none', async (t) => {
    const given = await startChaosProxy(broker.tcpPort, { seed: 42 });
    t.after(() => given.close());
    assert.equal(given.seed, 42);
    const fromEnv = await startChaosProxy(broker.tcpPort, { seed: '0x2a' });
    t.after(() => fromEnv.close());
    assert.equal(fromEnv.seed, 42);
    const random = await startChaosProxy(broker.tcpPort);
    t.after(() => random.close());
    assert.ok(Number.isInteger(random.seed) && random.seed >= 0 && random.seed <= 0xffff_ffff, String(random.seed));
    assert.equal(chaosSeed(undefined) === chaosSeed(undefined), false, 'two random seeds differ');
    assert.throws(() => chaosSeed('abc'), /chaos seed must be an integer/);
    assert.throws(() => chaosSeed(-1), /chaos seed must be an integer/);
  });
});

describe('decisions', () => {
  const FAULTS = {
    cut: { everyMs: [100, 5000] },
    reset: { p: 0.5 },
    delay: { p: 0.3, maxMs: 20 },
    split: { p: 0.3 },
    stall: { p: 0.05, ms: [100, 900] },
  };
  // What a run decides for `connections` connections given the same input:
  // the same chunk lengths in each direction.
  const decide = (seed, connections, order = (i) => i) => {
    const schedule = chaosSchedule(seed, FAULTS);
    const out = [];
    for (let k = 0; k < connections; k++) {
      const i = order(k, connections);
      const c = schedule.connection(i);
      const lengths = Array.from({ length: 200 }, (_, j) => 1 + ((j * 7919 + i * 31) % 1500));
      out[i] = {
        lifeMs: c.lifeMs,
        resets: Array.from({ length: 5 }, () => c.reset()),
        up: lengths.map((n) => c.up.next(n)),
        down: lengths.map((n) => c.down.next(n)),
      };
    }
    return out;
  };

  test('the same seed gives the same fault schedule; another seed another one', () => {
    const a = decide(1234, 8);
    assert.deepEqual(decide(1234, 8), a);
    assert.notDeepEqual(decide(1235, 8), a);
    // The schedule does hit: every fault shows up in 8 x 2 x 200 chunks.
    const chunks = a.flatMap((c) => [...c.up, ...c.down]);
    assert.ok(chunks.some((d) => d.delayMs > 0) && chunks.some((d) => d.splitAt.length > 0));
    assert.ok(chunks.some((d) => d.stallMs > 0) && a.some((c) => c.resets.includes(true)));
    for (const d of chunks) {
      if (d.delayMs > 0) assert.ok(d.delayMs >= 1 && d.delayMs <= 20);
      if (d.stallMs > 0) assert.ok(d.stallMs >= 100 && d.stallMs <= 900);
    }
    for (const c of a) assert.ok(c.lifeMs >= 100 && c.lifeMs <= 5000);
  });

  test('a connection decides the same whatever the other connections do (order of use)', () => {
    assert.deepEqual(decide(99, 6, (k, n) => n - 1 - k), decide(99, 6));
  });

  test('split offsets cut a chunk strictly inside it, in increasing order', () => {
    const schedule = chaosSchedule(7, { split: { p: 1 } });
    const c = schedule.connection(0);
    for (let n = 1; n < 3000; n += 13) {
      const { splitAt, delayMs, stallMs } = c.up.next(n);
      assert.equal(delayMs, 0);
      assert.equal(stallMs, 0);
      if (n === 1) assert.deepEqual(splitAt, []);
      else assert.ok(splitAt.length >= 1 && splitAt.length <= 3, `${n}: ${splitAt}`);
      splitAt.forEach((at, i) => assert.ok(at > 0 && at < n && (i === 0 || at > splitAt[i - 1]), `${n}: ${splitAt}`));
    }
  });

  test('no faults configured: nothing happens', () => {
    const c = chaosSchedule(5, {}).connection(0);
    assert.equal(c.lifeMs, Infinity);
    assert.equal(c.reset(), false);
    for (let i = 0; i < 100; i++) assert.deepEqual(c.down.next(100 + i), { delayMs: 0, splitAt: [], stallMs: 0 });
  });

  test('the proxy applies the schedule: the same traffic through the same seed gives the same faults', async () => {
    // One packet at a time, each answered before the next: every packet is
    // one chunk for the proxy, so both runs give it the same input.
    const run = async (seed) => {
      const proxy = await startChaosProxy(broker.tcpPort, {
        seed,
        faults: { split: { p: 0.4 }, delay: { p: 0.3, maxMs: 5 } },
        log: true,
      });
      const raw = rawClient(proxy.port);
      raw.send(connectPacket(uniqueId('replay')));
      await raw.next('connack');
      for (let i = 1; i <= 40; i++) {
        raw.send({ cmd: 'publish', topic: `chaos-proxy/replay/${process.pid}`, payload: Buffer.alloc(i * 37, i), qos: 1, messageId: i });
        assert.equal((await raw.next('puback')).messageId, i);
      }
      await proxy.close();
      return { log: proxy.log.filter((e) => e.fault !== 'end'), stats: proxy.stats };
    };
    const first = await run(2024);
    const second = await run(2024);
    assert.ok(first.log.some((e) => e.fault === 'split' && e.dir === 'up'), 'client->broker chunks were split');
    assert.ok(first.log.some((e) => e.fault === 'split' && e.dir === 'down'), 'broker->client chunks were split');
    assert.ok(first.log.some((e) => e.fault === 'delay'), 'chunks were delayed');
    assert.deepEqual(second.log, first.log);
    assert.deepEqual(second.stats, first.stats);
    const other = await run(2025);
    assert.notDeepEqual(other.log, first.log);
  });
});

describe('split and delay deliver every byte, in order', () => {
  for (const kind of ['tcp', 'ws']) {
    test(`MQTT over ${kind === 'ws' ? 'WebSocket' : 'TCP'}: every chunk split, many delayed`, async (t) => {
      const proxy = await startChaosProxy(kind === 'ws' ? broker.wsPort : broker.tcpPort, {
        seed: 77,
        faults: { split: { p: 1 }, delay: { p: 0.3, maxMs: 5 } },
        log: true,
      });
      t.after(() => proxy.close());
      const client = await connect(proxy.url(kind), { clientId: uniqueId(kind), protocolVersion: 5, reconnect: false });
      t.after(() => client.end(true).catch(() => {}));
      let offline = 0;
      client.on('offline', () => offline++);
      const topic = `chaos-proxy/split/${kind}/${process.pid}`;
      const received = [];
      client.on('message', (_topic, payload) => received.push(Buffer.from(payload)));
      await client.subscribe(topic, { qos: 1 });

      // Payloads of every size class (one byte to 70 KiB: MQTT remaining
      // lengths of 1 to 3 bytes, WebSocket 7-, 16- and 64-bit lengths).
      const sizes = [0, 1, 2, 125, 126, 127, 128, 200, 16_383, 16_384, 65_535, 65_536, 70_000];
      for (let i = 0; i < 150; i++) sizes.push(1 + ((i * 7919) % 5000));
      const sent = sizes.map((n) => randomBytes(n));
      await Promise.all(sent.map((payload) => client.publish(topic, payload, { qos: 1 })));
      await waitFor(() => received.length >= sent.length, `${sent.length} messages back`);
      assert.equal(received.length, sent.length, 'nothing duplicated');
      received.forEach((payload, i) => assert.ok(payload.equals(sent[i]), `message ${i} (${sent[i].length} bytes) intact and in order`));
      assert.equal(offline, 0, 'the connection held');
      const splits = (dir) => proxy.log.filter((e) => e.fault === 'split' && e.dir === dir).length;
      assert.ok(splits('up') > 0 && splits('down') > 0, `splits both ways (${splits('up')} up, ${splits('down')} down)`);
      assert.ok(proxy.stats.delays > 0);
      assert.equal(proxy.stats.cuts + proxy.stats.stalls + proxy.stats.resets, 0);
      const total = sent.reduce((n, p) => n + p.length, 0);
      assert.ok(proxy.stats.bytesUp > total && proxy.stats.bytesDown > total, JSON.stringify(proxy.stats));
    });
  }
});

describe('stall', () => {
  test('half-open: both sockets stay open, nothing passes either way, then both are cut', async (t) => {
    const proxy = await startChaosProxy(broker.tcpPort, { seed: 5, log: true });
    t.after(() => proxy.close());
    const willTopic = `chaos-proxy/stall/will/${process.pid}`;
    const dataTopic = `chaos-proxy/stall/data/${process.pid}`;
    const watch = await watcher(t, willTopic);
    const raw = await connectedRaw(proxy, willTopic);
    raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: dataTopic, qos: 0 }] });
    await raw.next('suback');

    const STALL_MS = 1500;
    proxy.setFaults({ stall: { p: 1, ms: [STALL_MS, STALL_MS] } });
    const stalledAt = Date.now();
    const bytesUp = proxy.stats.bytesUp;
    const bytesDown = proxy.stats.bytesDown;
    raw.send({ cmd: 'pingreq' }); // client -> broker: held
    await waitFor(() => proxy.stats.stalls === 1, 'the stall');
    await watch.client.publish(dataTopic, 'during the stall', { qos: 0 }); // broker -> client: held
    await sleep(STALL_MS - 500);
    assert.equal(proxy.stats.bytesUp, bytesUp, 'nothing forwarded to the broker');
    assert.equal(proxy.stats.bytesDown, bytesDown, 'nothing forwarded to the client');
    assert.deepEqual(raw.packets, [], 'no PINGRESP, no PUBLISH');
    assert.deepEqual(raw.state, { ended: false, error: null, closed: false }, 'the client side is still open');
    assert.deepEqual(watch.messages, [], 'no will: the broker side is still open');
    assert.equal(proxy.open(), 1);

    // Then the connection is cut on both sides.
    await raw.closed;
    assert.ok(Date.now() - stalledAt >= STALL_MS - 50, `closed after ${Date.now() - stalledAt} ms`);
    await waitFor(() => watch.messages.length === 1, 'the will (the broker saw the connection go)');
    assert.deepEqual(watch.messages, [{ topic: willTopic, payload: 'gone' }]);
    assert.deepEqual(raw.packets, [], 'nothing held was delivered');
    assert.equal(proxy.open(), 0);
    assert.deepEqual(proxy.log.filter((e) => e.fault !== 'end').map((e) => e.fault), ['stall', 'stallEnd']);
  });
});

describe('cut and reset close both sides', () => {
  for (const reset of [false, true]) {
    test(reset ? 'reset: RST to the client, the broker sees the connection lost' : 'cut: FIN to the client, the broker sees the connection lost', async (t) => {
      const LIFE_MS = 400;
      const proxy = await startChaosProxy(broker.tcpPort, {
        seed: 11,
        faults: { cut: { everyMs: [LIFE_MS, LIFE_MS] }, reset: { p: reset ? 1 : 0 } },
      });
      t.after(() => proxy.close());
      const willTopic = `chaos-proxy/${reset ? 'reset' : 'cut'}/will/${process.pid}`;
      const watch = await watcher(t, willTopic);
      const openedAt = Date.now();
      const raw = await connectedRaw(proxy, willTopic);
      assert.equal(proxy.open(), 1);
      await raw.closed;
      assert.ok(Date.now() - openedAt >= LIFE_MS - 50, `cut after ${Date.now() - openedAt} ms`);
      if (reset) {
        assert.equal(raw.state.error?.code, 'ECONNRESET', 'the client got an RST');
      } else {
        assert.equal(raw.state.error, null, 'no RST');
        assert.equal(raw.state.ended, true, 'the client got a FIN');
      }
      await waitFor(() => watch.messages.length === 1, 'the will (the broker saw the connection go)');
      assert.equal(proxy.open(), 0);
      assert.deepEqual(
        { connections: proxy.stats.connections, cuts: proxy.stats.cuts, resets: proxy.stats.resets },
        { connections: 1, cuts: 1, resets: reset ? 1 : 0 },
      );
    });
  }

  test('faults off: the cut timer does nothing; cut() ends every connection at once', async (t) => {
    const proxy = await startChaosProxy(broker.tcpPort, { seed: 3, faults: { cut: { everyMs: [100, 100] } } });
    t.after(() => proxy.close());
    proxy.setFaults(false);
    const willTopic = `chaos-proxy/manual/will/${process.pid}`;
    const watch = await watcher(t, willTopic);
    const raw = await connectedRaw(proxy, willTopic);
    await sleep(300);
    assert.equal(raw.state.closed, false);
    assert.equal(proxy.stats.cuts, 0);
    proxy.cut({ reset: true });
    await raw.closed;
    assert.equal(raw.state.error?.code, 'ECONNRESET');
    await waitFor(() => watch.messages.length === 1, 'the will');
  });
});
