// MQTT 5 properties end to end through a real mosquitto (aedes 1.x has no
// MQTT 5): user properties, message expiry, response topic and correlation
// data, content type and payload format indicator, over WebSocket and TCP;
// topic aliases both ways, seen on the wire through a decoding TCP proxy.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Recorder,
  binaryPayload,
  openClient,
  uniqueTopic,
  urlFor,
} from './helpers/broker-suite.js';
import { startMosquitto } from './helpers/mosquitto.js';
import { startProxy } from './helpers/tcp-proxy.js';

const v5 = { protocolVersion: 5 };
const bytes = (u8) => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
const text = (u8) => Buffer.from(u8).toString();

// The outbound alias test needs a small server Topic Alias Maximum to show the
// client keeps under it; mosquitto's default is 10.
const SERVER_ALIAS_MAX = 2;

let broker;
before(async () => {
  broker = await startMosquitto({ listenerConfig: [`max_topic_alias ${SERVER_ALIAS_MAX}`] });
});
after(async () => {
  await broker?.stop();
});

for (const transport of ['ws', 'tcp']) {
  const url = () => urlFor(transport, transport === 'ws' ? broker.wsPort : broker.tcpPort);

  describe(`mosquitto over ${transport === 'ws' ? 'WebSocket' : 'TCP'}, MQTT 5 properties`, () => {
    test('user properties arrive in order, repeated names kept, both ways', async (t) => {
      const topic = uniqueTopic('user-props');
      const a = await openClient(t, url(), v5);
      const b = await openClient(t, url(), v5);
      const aInbox = new Recorder(a);
      const bInbox = new Recorder(b);
      await a.subscribe(`${topic}/to-a`, { qos: 1 });
      await b.subscribe(`${topic}/to-b`, { qos: 1 });

      const there = [['z', '1'], ['a', '2'], ['z', '3'], ['ünïcode', 'välue'], ['empty', '']];
      await a.publish(`${topic}/to-b`, 'ping', { qos: 1, properties: { userProperties: there } });
      const atB = await bInbox.next();
      assert.deepEqual(atB.properties.userProperties, there);

      const back = [['reply', 'yes'], ['reply', 'again']];
      await b.publish(`${topic}/to-a`, 'pong', { qos: 2, properties: { userProperties: back } });
      const atA = await aInbox.next();
      assert.deepEqual(atA.properties.userProperties, back);
    });

    test('user properties in the MQTT.js object shape: string or string[] per name', async (t) => {
      const topic = uniqueTopic('user-props-object');
      const pub = await openClient(t, url(), v5);
      const sub = await openClient(t, url(), v5);
      const inbox = new Recorder(sub);
      await sub.subscribe(topic, { qos: 1, properties: { userProperties: { via: 'subscribe' } } });
      await pub.publish(topic, 'x', { qos: 1, properties: { userProperties: { k: 'v', tags: ['a', 'b'] } } });
      const m = await inbox.next();
      // Received properties always come as [name, value] pairs, in order.
      assert.deepEqual(m.properties.userProperties, [['k', 'v'], ['tags', 'a'], ['tags', 'b']]);
    });

    test('message expiry: the remaining interval is forwarded', async (t) => {
      const topic = uniqueTopic('expiry');
      const pub = await openClient(t, url(), v5);
      const sub = await openClient(t, url(), v5);
      const inbox = new Recorder(sub);
      await sub.subscribe(topic, { qos: 1 });
      await pub.publish(topic, 'soon stale', { qos: 1, properties: { messageExpiryInterval: 120 } });
      const live = await inbox.next();
      // [MQTT-3.3.2-6] the server sends what is left of the interval.
      const left = live.properties.messageExpiryInterval;
      assert.ok(Number.isInteger(left) && left > 0 && left <= 120, `remaining expiry ${left}`);
    });

    test('response topic and correlation data round trip (request/response)', async (t) => {
      const topic = uniqueTopic('rpc');
      const requester = await openClient(t, url(), v5);
      const responder = await openClient(t, url(), v5);
      const replies = new Recorder(requester);
      await requester.subscribe(`${topic}/replies/requester`, { qos: 1 });
      await responder.subscribe(`${topic}/requests`, { qos: 1 });
      responder.on('message', (_topic, payload, packet) => {
        responder
          .publish(packet.properties.responseTopic, `re: ${text(payload)}`, {
            qos: 1,
            properties: { correlationData: packet.properties.correlationData },
          })
          .catch(() => {});
      });

      const correlationData = binaryPayload(16, 77);
      await requester.publish(`${topic}/requests`, 'question', {
        qos: 1,
        properties: { responseTopic: `${topic}/replies/requester`, correlationData },
      });
      const reply = await replies.next();
      assert.equal(reply.topic, `${topic}/replies/requester`);
      assert.equal(text(reply.payload), 're: question');
      assert.ok(reply.properties.correlationData instanceof Uint8Array, 'correlation data comes back as bytes');
      assert.deepEqual(bytes(reply.properties.correlationData), bytes(correlationData));
    });

    test('content type and payload format indicator are forwarded', async (t) => {
      const topic = uniqueTopic('content');
      const pub = await openClient(t, url(), v5);
      const sub = await openClient(t, url(), v5);
      const inbox = new Recorder(sub);
      await sub.subscribe(topic, { qos: 2 });
      await pub.publish(topic, '{"t":21.5}', {
        qos: 2,
        properties: { contentType: 'application/json; charset=utf-8', payloadFormatIndicator: 1 },
      });
      const m = await inbox.next();
      assert.equal(m.properties.contentType, 'application/json; charset=utf-8');
      assert.equal(m.properties.payloadFormatIndicator, 1);
      assert.equal(text(m.payload), '{"t":21.5}');

      await pub.publish(topic, binaryPayload(8), { qos: 1 });
      const plain = await inbox.next();
      assert.equal(plain.properties.contentType, undefined);
      assert.ok(!plain.properties.payloadFormatIndicator, 'no indicator when none was sent');
    });
  });
}

// Expiry is the broker's clock, not the transport's: once, over TCP.
test('message expiry: an expired retained message is not delivered', async (t) => {
  const topic = uniqueTopic('expired');
  const pub = await openClient(t, broker.tcpUrl, v5);
  await pub.publish(`${topic}/gone`, 'expired', { qos: 1, retain: true, properties: { messageExpiryInterval: 1 } });
  await pub.publish(`${topic}/kept`, 'kept', { qos: 1, retain: true });
  // mosquitto counts expiry in whole seconds: past 2 s the message has expired.
  await sleep(2100);
  const late = await openClient(t, broker.tcpUrl, v5);
  const inbox = new Recorder(late);
  await late.subscribe(`${topic}/+`, { qos: 1 });
  await late.publish(`${topic}/marker`, 'marker', { qos: 1 });
  const got = [];
  for (;;) {
    const m = await inbox.shift();
    got.push(text(m.payload));
    if (text(m.payload) === 'marker') break;
  }
  assert.deepEqual(got, ['kept', 'marker'], 'the retained message without expiry only, then the marker');
});

describe('topic aliases (MQTT 5, mosquitto over TCP through a decoding proxy)', () => {
  test(`outbound: repeated topics go out as aliases, within the server's maximum (${SERVER_ALIAS_MAX})`, async (t) => {
    const sent = [];
    const proxy = await startProxy(broker.tcpPort, {
      mqtt: { onClientPacket: (p) => p.cmd === 'publish' && sent.push(p) },
    });
    t.after(() => proxy.close());
    const topic = uniqueTopic('alias-out');
    const sub = await openClient(t, broker.tcpUrl, v5);
    const inbox = new Recorder(sub);
    await sub.subscribe(`${topic}/#`, { qos: 1 });
    const pub = await openClient(t, proxy.tcpUrl, v5);

    // More topics than the server allows aliases for; each topic is repeated
    // right away (an alias must pay off whatever the client's replacement
    // policy), then all come round again (aliases get reassigned).
    const topics = [0, 1, 2, 3].map((i) => `${topic}/t${i}`);
    const sequence = [...topics.flatMap((name) => [name, name, name]), ...topics, ...topics];
    const expected = [];
    for (const [i, name] of sequence.entries()) {
      const payload = `${name} #${i}`;
      await pub.publish(name, payload, { qos: 1 });
      expected.push({ topic: name, payload });
    }
    // The broker resolved every alias: each message arrives under its full name.
    for (const want of expected) {
      const m = await inbox.shift();
      assert.deepEqual({ topic: m.topic, payload: text(m.payload) }, want);
    }

    assert.equal(sent.length, expected.length);
    const aliases = sent.map((p) => p.properties?.topicAlias).filter((a) => a !== undefined);
    assert.ok(aliases.length > 0, 'the client used topic aliases');
    for (const alias of aliases) {
      assert.ok(alias >= 1 && alias <= SERVER_ALIAS_MAX, `alias ${alias} within 1..${SERVER_ALIAS_MAX}`);
    }
    const shortened = sent.filter((p) => p.topic === '' && p.properties?.topicAlias);
    assert.ok(shortened.length > 0, 'some PUBLISH went out with an empty topic and an alias');
    // Whatever the client's choice of which topics to alias, the wire must be
    // consistent: replay the aliases as the server does and get the same topics.
    const table = new Map();
    const resolved = sent.map((p) => {
      const alias = p.properties?.topicAlias;
      if (p.topic !== '') {
        if (alias) table.set(alias, p.topic);
        return p.topic;
      }
      return table.get(alias);
    });
    assert.deepEqual(resolved, expected.map((e) => e.topic));
  });

  test('outbound: topicAliases: false sends full topics only', async (t) => {
    const sent = [];
    const proxy = await startProxy(broker.tcpPort, {
      mqtt: { onClientPacket: (p) => p.cmd === 'publish' && sent.push(p) },
    });
    t.after(() => proxy.close());
    const topic = uniqueTopic('alias-off');
    const pub = await openClient(t, proxy.tcpUrl, { ...v5, topicAliases: false });
    for (let i = 0; i < 4; i++) await pub.publish(topic, `n${i}`, { qos: 1 });
    assert.equal(sent.length, 4);
    for (const p of sent) {
      assert.equal(p.topic, topic);
      assert.equal(p.properties?.topicAlias, undefined);
    }
  });

  // mosquitto 2.0 never sends topic aliases to clients (checked: with a client
  // Topic Alias Maximum of 10 its PUBLISH packets carry full topics), so the
  // proxy rewrites the broker's real PUBLISH packets the way a server that
  // does use aliases would: first use of a topic sets alias n, later ones send
  // an empty topic and alias n, within the maximum the client announced.
  test('inbound: aliases set by the server are resolved, and replaced when reassigned', async (t) => {
    const clientMaximums = [];
    const proxy = await startProxy(broker.tcpPort, {
      mqtt: {
        toClient(packet, connection) {
          if (packet.cmd !== 'publish') return packet;
          const max = connection.connect?.properties?.topicAliasMaximum ?? 0;
          if (!connection.aliases) {
            clientMaximums.push(max);
            connection.aliases = new Map();  // topic -> alias
            connection.nextAlias = 0;
          }
          if (max === 0) return packet;
          const known = connection.aliases.get(packet.topic);
          if (known) {
            return { ...packet, topic: '', properties: { ...packet.properties, topicAlias: known } };
          }
          // Round robin over the client's aliases: with more topics than
          // aliases, an alias is reassigned to a new topic.
          const alias = (connection.nextAlias++ % max) + 1;
          for (const [name, a] of connection.aliases) if (a === alias) connection.aliases.delete(name);
          connection.aliases.set(packet.topic, alias);
          return { ...packet, properties: { ...packet.properties, topicAlias: alias } };
        },
      },
    });
    t.after(() => proxy.close());
    const topic = uniqueTopic('alias-in');
    const sub = await openClient(t, proxy.tcpUrl, { ...v5, properties: { topicAliasMaximum: 2 } });
    const inbox = new Recorder(sub);
    await sub.subscribe(`${topic}/#`, { qos: 1 });
    const pub = await openClient(t, broker.tcpUrl, { ...v5, topicAliases: false });

    const order = ['a', 'a', 'b', 'a', 'b', 'c', 'c', 'a', 'b', 'b'].map((s) => `${topic}/${s}`);
    for (const [i, name] of order.entries()) await pub.publish(name, `m${i}`, { qos: 1 });
    for (const [i, name] of order.entries()) {
      const m = await inbox.shift();
      assert.deepEqual({ topic: m.topic, payload: text(m.payload) }, { topic: name, payload: `m${i}` });
    }
    assert.deepEqual(clientMaximums, [2], 'the client announced its Topic Alias Maximum');
  });
});

// The client's own topic alias must never make a PUBLISH that fits the
// server's Maximum Packet Size too large: the first use of a topic would add
// a Topic Alias property (3 bytes).
describe('mosquitto with max_packet_size: a topic alias never makes a message too large', () => {
  const topic = 'alias-fit/exact';
  const payload = 'p'.repeat(40);
  // QoS 1 PUBLISH without alias: 1 + 1 (remaining length) + 2 + topic + 2 (id) + 1 (no properties) + payload.
  const exact = 7 + topic.length + payload.length;
  let small;
  before(async () => {
    small = await startMosquitto({ config: [`max_packet_size ${exact}`] });
  });
  after(async () => {
    await small?.stop();
  });

  test('a PUBLISH that fits exactly is sent, and the next ones too', async (t) => {
    const sub = await openClient(t, small.tcpUrl, v5);
    const inbox = new Recorder(sub);
    await sub.subscribe(topic, { qos: 1 });
    const pub = await openClient(t, small.tcpUrl, v5);
    for (let i = 0; i < 3; i++) {
      const result = await pub.publish(topic, payload, { qos: 1 });
      assert.equal(result.reasonCode, 0);
      const m = await inbox.next();
      assert.equal(text(m.payload), payload);
    }
    // One byte more does not fit: refused at the call, the connection stays up.
    await assert.rejects(pub.publish(topic, `${payload}!`, { qos: 1 }), { code: 'ERR_PACKET_TOO_LARGE' });
    assert.equal(pub.connected, true);
  });
});
