// One set of pub/sub tests for the tpgate client, run against every real
// broker and transport by the broker-*.test.js files: QoS 0/1/2 both ways,
// retained messages, wills, unsubscribe, session present and redelivery.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect } from 'tpgate';
import { startProxy } from './tcp-proxy.js';

const HOST = '127.0.0.1';
let topicCounter = 0;

/** A topic prefix no other test (or earlier run on the same broker) uses. */
export function uniqueTopic(label) {
  return `tpgate-test/${process.pid}/${label}/${++topicCounter}`;
}

export function urlFor(transport, port) {
  return transport === 'ws' ? `ws://${HOST}:${port}` : `mqtt://${HOST}:${port}`;
}

/** Every byte value, shifted by `seed`, so any text decoding on the way shows. */
export function binaryPayload(length, seed = 0) {
  return new Uint8Array(length).map((_, i) => (i * 7 + seed) & 0xff);
}

/**
 * Connects with test-friendly defaults (quick reconnects) and ends the
 * client when the test ends, whatever happened.
 */
export async function openClient(t, url, options = {}) {
  const client = await connect(url, {
    keepalive: 30,
    reconnect: { minDelay: 50, maxDelay: 250 },
    ...options,
  });
  t.after(() => client.end(true).catch(() => {}));
  return client;
}

/** Events of one kind from a client, kept in order for the test to await. */
export class Recorder {
  constructor(client, event = 'message') {
    this.items = [];
    this.waiters = [];
    this.event = event;
    client.on(event, (...args) => {
      const item = event === 'message' ? args[2] : args[0];
      const i = this.waiters.findIndex((w) => w.where(item));
      if (i >= 0) {
        const [waiter] = this.waiters.splice(i, 1);
        clearTimeout(waiter.timer);
        waiter.resolve(item);
      } else {
        this.items.push(item);
      }
    });
  }

  /** Takes the next recorded item matching `where` (already there or still to come). */
  next(where = () => true, timeoutMs = 5000) {
    const i = this.items.findIndex(where);
    if (i >= 0) return Promise.resolve(this.items.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const waiter = { where, resolve };
      waiter.timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        const seen = this.items.map((m) => m.topic ?? JSON.stringify(m)).join(', ') || 'nothing';
        reject(new Error(`no matching '${this.event}' within ${timeoutMs} ms (unclaimed: ${seen})`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Takes the next item, whatever it is: the order is what the test checks. */
  shift(timeoutMs) {
    return this.next(() => true, timeoutMs);
  }
}

const bytes = (u8) => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);

/**
 * @param {{
 *   name: string,                           e.g. 'mosquitto'
 *   start: () => Promise<{ wsPort: number, tcpPort: number, stop: () => Promise<void> }>,
 *   transports: ('ws' | 'tcp')[],
 *   versions: (4 | 5)[],
 * }} target
 */
export function defineBrokerSuite({ name, start, transports, versions }) {
  let broker;
  before(async () => {
    broker = await start();
  });
  after(async () => {
    await broker?.stop();
  });

  for (const transport of transports) {
    for (const version of versions) {
      const label = `${name} over ${transport === 'ws' ? 'WebSocket' : 'TCP'}, MQTT ${version === 4 ? '3.1.1' : '5'}`;
      const port = () => (transport === 'ws' ? broker.wsPort : broker.tcpPort);
      const url = () => urlFor(transport, port());
      const base = { protocolVersion: version };

      describe(label, () => {
        test('QoS n publish to a QoS m subscription arrives at min(n, m), bytes intact', async (t) => {
          const topic = uniqueTopic('qos');
          const sub = await openClient(t, url(), base);
          const pub = await openClient(t, url(), base);
          const inbox = new Recorder(sub);
          for (const m of [0, 1, 2]) {
            const granted = await sub.subscribe(`${topic}/sub${m}`, { qos: m });
            assert.deepEqual(granted, [{ topic: `${topic}/sub${m}`, qos: m }]);
          }
          for (const n of [0, 1, 2]) {
            for (const m of [0, 1, 2]) {
              const payload = binaryPayload(300, n * 3 + m);
              const result = await pub.publish(`${topic}/sub${m}`, payload, { qos: n });
              assert.equal(result.qos, n);
              if (n > 0) {
                assert.ok(result.packetId > 0, `QoS ${n} publish has a packet id`);
                assert.ok(result.reasonCode < 0x80, `reason code ${result.reasonCode}`);
              }
              const message = await inbox.next((msg) => msg.topic === `${topic}/sub${m}`);
              assert.equal(message.qos, Math.min(n, m), `published at ${n}, subscribed at ${m}`);
              assert.ok(message.payload instanceof Uint8Array);
              assert.deepEqual(bytes(message.payload), bytes(payload));
              assert.equal(message.retain, false);
            }
          }
          assert.deepEqual(inbox.items, [], 'nothing else arrived');
        });

        test('retained: a new subscriber gets it with retain set, an empty retained payload clears it', async (t) => {
          const topic = uniqueTopic('retain');
          const pub = await openClient(t, url(), base);
          const live = await openClient(t, url(), base);
          const liveInbox = new Recorder(live);
          await live.subscribe(topic, { qos: 1 });

          const payload = binaryPayload(64, 1);
          await pub.publish(topic, payload, { qos: 1, retain: true });
          // [MQTT-3.3.1-9] (3.1.1) / Retain As Published off (5): an established
          // subscription gets the message with RETAIN 0.
          const forwarded = await liveInbox.next();
          assert.equal(forwarded.retain, false);
          assert.deepEqual(bytes(forwarded.payload), bytes(payload));

          const late = await openClient(t, url(), base);
          const lateInbox = new Recorder(late);
          await late.subscribe(topic, { qos: 1 });
          const retained = await lateInbox.next();
          assert.equal(retained.topic, topic);
          assert.equal(retained.retain, true, 'a retained message sent on SUBSCRIBE has RETAIN 1');
          assert.equal(retained.qos, 1);
          assert.deepEqual(bytes(retained.payload), bytes(payload));

          // [MQTT-3.3.1-10] an empty retained payload removes the retained message.
          await pub.publish(topic, new Uint8Array(0), { qos: 1, retain: true });
          const cleared = await liveInbox.next();
          assert.equal(cleared.payload.length, 0);

          // A third subscriber must see no retained message: the first thing it
          // gets is a marker it publishes itself after its SUBACK (both brokers
          // send retained messages right after the SUBACK).
          const third = await openClient(t, url(), base);
          const thirdInbox = new Recorder(third);
          await third.subscribe(topic, { qos: 1 });
          await third.publish(topic, 'marker', { qos: 1 });
          const first = await thirdInbox.shift();
          assert.equal(Buffer.from(first.payload).toString(), 'marker', 'the cleared retained message was not delivered');
          assert.equal(first.retain, false);
        });

        test('will: delivered when the client ends without DISCONNECT (end(true))', async (t) => {
          const topic = uniqueTopic('will-forced');
          const observer = await openClient(t, url(), base);
          const inbox = new Recorder(observer);
          await observer.subscribe(topic, { qos: 1 });
          const willPayload = binaryPayload(40, 9);
          const doomed = await openClient(t, url(), { ...base, will: { topic, payload: willPayload, qos: 1 } });
          await doomed.end(true);
          const will = await inbox.next();
          assert.equal(will.topic, topic);
          assert.equal(will.qos, 1);
          assert.deepEqual(bytes(will.payload), bytes(willPayload));
        });

        test('will: delivered when the connection is lost (cut by a proxy)', async (t) => {
          const proxy = await startProxy(port());
          t.after(() => proxy.close());
          const topic = uniqueTopic('will-cut');
          const observer = await openClient(t, url(), base);
          const inbox = new Recorder(observer);
          await observer.subscribe(topic, { qos: 1 });
          const lost = await openClient(t, urlFor(transport, proxy.port), {
            ...base,
            reconnect: false,
            will: { topic, payload: 'gone', qos: 1 },
          });
          const offline = new Recorder(lost, 'offline');
          proxy.cut();
          const will = await inbox.next();
          assert.equal(Buffer.from(will.payload).toString(), 'gone');
          // The client noticed too, and does not come back (reconnect: false).
          await offline.next();
          assert.equal(lost.connected, false);
        });

        test('will: not delivered after a normal end()', async (t) => {
          const topic = uniqueTopic('will-normal');
          const observer = await openClient(t, url(), base);
          const inbox = new Recorder(observer);
          await observer.subscribe(topic, { qos: 1 });
          const clientId = `tpgate-will-${process.pid}-${topicCounter}`;
          const polite = await openClient(t, url(), { ...base, clientId, will: { topic, payload: 'will', qos: 1 } });
          await polite.end();
          // The same client id connects again and publishes a marker: had the
          // broker kept or fired the will, it would come before the marker.
          const again = await openClient(t, url(), { ...base, clientId });
          await again.publish(topic, 'marker', { qos: 1 });
          const first = await inbox.shift();
          assert.equal(Buffer.from(first.payload).toString(), 'marker', 'no will after a normal end()');
        });

        test('unsubscribe stops delivery', async (t) => {
          const topic = uniqueTopic('unsub');
          const sub = await openClient(t, url(), base);
          const pub = await openClient(t, url(), base);
          const inbox = new Recorder(sub);
          await sub.subscribe([`${topic}/a`, `${topic}/b`], { qos: 1 });
          await pub.publish(`${topic}/a`, 'a1', { qos: 1 });
          assert.equal((await inbox.shift()).topic, `${topic}/a`);

          await sub.unsubscribe(`${topic}/a`);
          await pub.publish(`${topic}/a`, 'a2', { qos: 1 });
          await pub.publish(`${topic}/b`, 'b1', { qos: 1 });
          const next = await inbox.shift();
          assert.equal(next.topic, `${topic}/b`, 'the message to the unsubscribed topic was not delivered');
          assert.deepEqual(inbox.items, []);
        });

        test('session present when connecting again after end(); QoS 1/2 queued meanwhile arrive', async (t) => {
          const topic = uniqueTopic('session-end');
          const clientId = `tpgate-session-end-${process.pid}-${topicCounter}`;
          const options = {
            ...base,
            clientId,
            clean: false,
            ...(version === 5 ? { sessionExpiryInterval: 300 } : {}),
          };
          const first = await openClient(t, url(), options);
          const firstConnack = await new Recorder(first, 'connect').next();
          assert.equal(firstConnack.sessionPresent, false, 'a new client id has no session');
          await first.subscribe(topic, { qos: 2 });
          await first.end();

          const pub = await openClient(t, url(), base);
          const sent = [];
          for (let i = 0; i < 6; i++) {
            const qos = i % 2 === 0 ? 1 : 2;
            await pub.publish(topic, `queued ${i}`, { qos });
            sent.push({ payload: `queued ${i}`, qos });
          }

          const second = await openClient(t, url(), options);
          const inbox = new Recorder(second);
          const connack = await new Recorder(second, 'connect').next();
          assert.equal(connack.sessionPresent, true, 'the broker kept the session');
          const got = [];
          while (got.length < sent.length) got.push(await inbox.shift());
          // Both brokers keep the order of one publisher's messages on a topic.
          assert.deepEqual(
            got.map((m) => ({ payload: Buffer.from(m.payload).toString(), qos: m.qos })),
            sent,
          );
        });

        test('session present after a lost connection; QoS 1/2 published meanwhile arrive', async (t) => {
          const proxy = await startProxy(port());
          t.after(() => proxy.close());
          const topic = uniqueTopic('session');
          const clientId = `tpgate-session-${process.pid}-${topicCounter}`;
          const sub = await openClient(t, urlFor(transport, proxy.port), {
            ...base,
            clientId,
            clean: false,
            ...(version === 5 ? { sessionExpiryInterval: 300 } : {}),
          });
          const connects = new Recorder(sub, 'connect');
          const offline = new Recorder(sub, 'offline');
          const inbox = new Recorder(sub);
          assert.equal((await connects.next()).sessionPresent, false, 'a new client id has no session');
          await sub.subscribe(topic, { qos: 2 });

          proxy.block(true);
          proxy.cut();
          await offline.next();
          assert.equal(sub.connected, false);

          const pub = await openClient(t, url(), base);
          const sent = [];
          for (let i = 0; i < 6; i++) {
            const qos = i < 3 ? 1 : 2;
            const payload = `offline ${i} qos ${qos}`;
            await pub.publish(topic, payload, { qos });
            sent.push({ payload, qos });
          }

          proxy.block(false);
          const connack = await connects.next(() => true, 10_000);
          assert.equal(connack.sessionPresent, true, 'the broker kept the session');
          assert.equal(connack.reasonCode, 0);

          const got = [];
          while (got.length < sent.length) got.push(await inbox.shift());
          const payloads = got.map((m) => Buffer.from(m.payload).toString());
          assert.deepEqual([...payloads].sort(), sent.map((s) => s.payload).sort(), 'each queued message once');
          for (const message of got) {
            const expected = sent.find((s) => s.payload === Buffer.from(message.payload).toString());
            assert.equal(message.qos, expected.qos);
          }
          // Still subscribed without subscribing again: the session carried it.
          await pub.publish(topic, 'after', { qos: 1 });
          assert.equal(Buffer.from((await inbox.shift()).payload).toString(), 'after');
        });
      });
    }
  }
}
