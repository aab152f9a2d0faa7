// The dev broker under a fleet's load (docs/broker.md "Load"): 1,000 emulated
// gateways (createEmulator, TCP, QoS 1) publishing ~5,000 telemetry messages/s
// for ~10 s into ThingsPanel mode, with root subscribers to gateway/# over TCP
// and over WebSocket (which stalls for 3 s, like a busy dashboard). aedes's
// message queue used to overflow the stack under such load ("RangeError:
// Maximum call stack size exceeded" in qlobber / mqemitter) and to crawl once
// it was long (npm/src/broker/mq.js). Asserted: no error on any
// side, and correctness, never speed (a slow machine only publishes less):
// every message reaches both subscribers enveloped, each gateway's counter
// arrives in order without gap or duplicate, and the count lies between what
// the broker acknowledged and what the fleet sent.
// Plus the two halves of the fix on their own: a frozen subscriber does not
// stop delivery to others (no queue limit), and a queue that is full anyway
// drains without recursion (the guard listener).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Aedes } from 'aedes';
import { generateDevices } from 'tpgate/broker';
import { createEmulator } from '../../npm/src/emulator-node.js';
import { guardMessageQueue } from '../../npm/src/broker/mq.js';
import { collector, mqttConnect, settle, startThingsPanelBroker } from './helpers/devbroker.js';

const GATEWAYS = 1000;
const INTERVAL_S = 0.2; // 1,000 gateways x 5/s = 5,000 messages/s offered
const RUN_MS = 10_000;
const TIMEOUT = { timeout: 90_000 };

const devices = generateDevices({ count: GATEWAYS });
const numberOf = new Map(devices.map((d) => [d.device_id, d.device_number]));

/** A root subscriber to gateway/# that checks every message as it comes. */
async function rootSubscriber(tp, transport) {
  const client = await mqttConnect(tp.url(transport), { ...tp.root(), clientId: `load-root-${transport}-${process.pid}` });
  const sub = {
    transport,
    client,
    count: 0,
    problems: [],
    lastSeq: new Map(), // device_number -> last counter value
    closed: false,
  };
  const problem = (text) => {
    if (sub.problems.length < 10) sub.problems.push(text);
  };
  client.on('close', () => { sub.closed = true; });
  client.on('error', (err) => problem(`client error: ${err.message}`));
  client.on('message', (topic, payload) => {
    sub.count++;
    if (topic !== 'gateway/telemetry') return problem(`unexpected topic ${topic}`);
    let envelope;
    try {
      envelope = JSON.parse(payload.toString('utf8'));
    } catch {
      return problem(`not an envelope: ${payload.toString('utf8').slice(0, 80)}`);
    }
    const dn = numberOf.get(envelope.device_id);
    if (Object.keys(envelope).join() !== 'device_id,values' || dn === undefined) {
      return problem(`bad envelope ${payload.toString('utf8').slice(0, 120)}`);
    }
    const seq = JSON.parse(Buffer.from(envelope.values, 'base64').toString('utf8'))?.gateway_data?.seq;
    const expected = (sub.lastSeq.get(dn) ?? -1) + 1;
    if (seq !== expected) problem(`${dn}: counter ${seq} after ${expected - 1} (a gap, a duplicate or a reordering)`);
    sub.lastSeq.set(dn, seq);
  });
  await client.subscribeAsync('gateway/#', { qos: 1 });
  return sub;
}

/** Resolves when sub.count has stopped moving for `quietMs` (or after `maxMs`). */
async function quiescent(sub, { quietMs = 1500, maxMs = 30_000 } = {}) {
  const deadline = Date.now() + maxMs;
  let last = -1;
  let since = Date.now();
  while (Date.now() < deadline) {
    if (sub.count !== last) {
      last = sub.count;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return;
    await settle(100);
  }
}

describe('dev broker under a fleet', () => {
  let tp;
  before(async () => {
    tp = await startThingsPanelBroker({ thingspanel: devices });
  });
  after(async () => {
    await tp?.close();
  });

  test(`ThingsPanel mode: ${GATEWAYS} gateways over TCP at ~${GATEWAYS / INTERVAL_S} msg/s for ${RUN_MS / 1000} s, root on TCP and WS`, TIMEOUT, async (t) => {
    const crashes = [];
    const onCrash = (err) => crashes.push(err);
    process.on('uncaughtException', onCrash);
    const brokerErrors = [];
    const onError = (client, err) => brokerErrors.push(`${client?.id ?? '?'}: ${err?.message ?? err}`);
    tp.broker.aedes.on('clientError', onError);
    tp.broker.aedes.on('connectionError', onError);
    const subs = [await rootSubscriber(tp, 'tcp'), await rootSubscriber(tp, 'ws')];
    const emulatorErrors = [];
    let emu;
    try {
      emu = await createEmulator({
        seed: 7,
        broker: { qos: 1, keepalive_s: 60 },
        gateways: { count: GATEWAYS },
        gateway: {
          telemetry_interval_s: INTERVAL_S,
          telemetry: { seq: { type: 'counter' }, temperature: { type: 'uniform', min: 10, max: 30, decimals: 1 } },
        },
      }, { url: tp.url('tcp'), gateways: GATEWAYS });
      emu.on('error', (err) => emulatorErrors.push(err.message));
      // ~RUN_MS of load from the start: the fleet publishes while the rest
      // connects (on a loaded machine connecting takes longer; the test then
      // runs longer rather than failing).
      const started = Date.now();
      await emu.start();
      await emu.waitConnected(GATEWAYS, { timeout: 45_000 });
      const connectedMs = Date.now() - started;
      // A dashboard that stalls: the WS root stops reading for 3 s, so the
      // broker's writes to it back up while the fleet goes on publishing.
      const ws = subs[1].client.stream;
      ws.pause();
      await settle(3000);
      ws.resume();
      await settle(Math.max(2000, RUN_MS - (Date.now() - started)));
      const running = emu.stats();
      const final = await emu.stop();
      for (const sub of subs) await quiescent(sub, { maxMs: 30_000 });
      const seconds = (Date.now() - started) / 1000;
      const lines = subs.map((s) => `${s.transport} root received ${s.count}`);
      t.diagnostic(`all ${GATEWAYS} connected after ${connectedMs} ms; the fleet sent ${final.published} telemetry messages `
        + `(PUBACKed ${final.publish_acked}; ${running.published_per_s.toFixed(0)}/s at the end); ${lines.join(', ')}; `
        + `${seconds.toFixed(1)} s from start to the last delivery (information, not asserted)`);

      assert.deepEqual(crashes.map(String), [], 'uncaught exceptions');
      assert.deepEqual(brokerErrors, [], 'client errors in the broker');
      assert.deepEqual(emulatorErrors, [], 'transport errors in the fleet');
      assert.equal(final.errors, 0, 'protocol errors in the fleet');
      assert.equal(final.reconnects, 0, 'gateways reconnected');
      assert.equal(final.dropped, 0, 'uplinks dropped by the fleet');
      assert.ok(final.published >= GATEWAYS, `the fleet published only ${final.published} messages`);
      for (const sub of subs) {
        assert.deepEqual(sub.problems, [], `${sub.transport} root: messages that were not in order or not enveloped`);
        assert.equal(sub.closed, false, `${sub.transport} root was disconnected`);
        // Every PUBACKed message was published to subscribers, so it arrived; the
        // only ones that may be missing are those in flight when a gateway sent
        // DISCONNECT (aedes may close before it acks them), at most what was
        // sent and never acked.
        assert.ok(sub.count >= final.publish_acked, `${sub.transport} root: ${sub.count} received < ${final.publish_acked} acknowledged`);
        assert.ok(sub.count <= final.published, `${sub.transport} root: ${sub.count} received > ${final.published} sent`);
        assert.equal(sub.lastSeq.size, GATEWAYS, `${sub.transport} root heard from ${sub.lastSeq.size} of ${GATEWAYS} gateways`);
        const counted = [...sub.lastSeq.values()].reduce((n, last) => n + last + 1, 0);
        assert.equal(counted, sub.count, `${sub.transport} root: the counters account for every message`);
      }
    } finally {
      process.off('uncaughtException', onCrash);
      tp.broker.aedes.off('clientError', onError);
      tp.broker.aedes.off('connectionError', onError);
      if (emu && emu.status !== 'stopped') await emu.stop();
      for (const sub of subs) await sub.client.endAsync();
    }
  });

  test('a frozen delivery does not stop delivery to others (no limit on messages in flight)', TIMEOUT, async () => {
    // aedes's default limit of 100 in flight stops every delivery once 100 wait
    // on one stuck subscriber (aedes docs/Aedes.md "concurrency").
    const held = [];
    const stuck = (packet, done) => held.push(done);
    await new Promise((resolve) => tp.broker.aedes.subscribe('stuck/#', stuck, resolve));
    const root = await mqttConnect(tp.url('tcp'), tp.root());
    try {
      const inbox = collector(root, (topic) => topic === 'free/topic');
      await root.subscribeAsync('free/topic', { qos: 1 });
      for (let i = 0; i < 300; i++) await root.publishAsync(`stuck/${i}`, 'x', { qos: 1 });
      await root.publishAsync('free/topic', 'still flowing', { qos: 1 });
      const [got] = await inbox.next(1, 10_000);
      assert.equal(got.payload.toString(), 'still flowing');
      assert.equal(held.length, 300);
    } finally {
      for (const done of held.splice(0)) done();
      await new Promise((resolve) => tp.broker.aedes.unsubscribe('stuck/#', stuck, resolve));
      await root.endAsync();
    }
  });
});

test('a full aedes queue drains without recursion when guarded (mq.js guardMessageQueue)', TIMEOUT, async () => {
  // aedes's default queue (concurrency 100): hold every slot, queue 50,000
  // publishes nobody listens to (like $SYS/.../new/subscribes and
  // devices/status/... from a fleet), then free the slots. Unguarded, mqemitter
  // drains them by recursion and throws RangeError.
  const aedes = await Aedes.createBroker({ concurrency: 100 });
  try {
    await guardMessageQueue(aedes);
    const held = [];
    await new Promise((resolve) => aedes.subscribe('hold', (packet, done) => held.push(done), resolve));
    const publish = (topic, cb) => aedes.publish({ cmd: 'publish', topic, payload: Buffer.from('x'), qos: 0, retain: false, dup: false }, cb);
    for (let i = 0; i < 100; i++) publish('hold', () => {});
    await settle(50);
    assert.equal(held.length, 100);
    const N = 50_000;
    let finished = 0;
    const all = new Promise((resolve, reject) => {
      for (let i = 0; i < N; i++) {
        publish(`nobody/listens/${i % 1000}`, (err) => {
          if (err) reject(err);
          else if (++finished === N) resolve();
        });
      }
    });
    assert.equal(aedes.mq.length, N, 'the publishes wait in the queue');
    for (const done of held.splice(0)) done(); // would throw RangeError without the guard
    await all;
    assert.equal(finished, N);
  } finally {
    await new Promise((resolve) => aedes.close(resolve));
  }
});
