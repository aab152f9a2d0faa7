// MQTT 5 properties cross the frame as a value (src/frame/frame.hpp, message and
// publishComplete records): what npm/src/packed.js reads must be exactly the object
// the raw codec's Decoder ('tpgate/codec') builds for the same packet, field by field.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { loadTpgateCodec } from '../../npm/src/codec-node.js';
import { loadTpgate } from '../../npm/src/index-node.js';
import { normalizeClientOptions } from '../../npm/src/options.js';
import { FLAG_SIDE, packedHeader, readRecords, receiveScratch, takeFrame, writeInput } from '../../npm/src/packed.js';

function connectedSession(mod) {
  const { session: options } = normalizeClientOptions({ protocolVersion: 5, clientId: 'frame-props', reconnect: false });
  const session = new mod.ClientSession(options);
  session.start(0);
  session.transportOpen(0);
  const connack = Uint8Array.from([0x20, 0x03, 0x00, 0x00, 0x00]);
  writeInput(mod, connack);
  receiveScratch(mod, session, connack.length, 0);
  takeFrame(mod, session);
  assert.equal(session.state(), 'connected');
  return session;
}

function received(mod, session, bytes) {
  const got = { messages: [], completions: [], events: [] };
  writeInput(mod, bytes);
  receiveScratch(mod, session, bytes.length, 0);
  const data = takeFrame(mod, session);
  const header = packedHeader(data);
  readRecords(data, header, (header.flags & FLAG_SIDE) !== 0 ? session.takeSide() : undefined, {
    message: (m) => got.messages.push(m),
    publishComplete: (token, qos, packetId, reasonCode, properties) => got.completions.push({ token, qos, packetId, reasonCode, properties }),
    event: (e) => got.events.push(e),
  });
  return got;
}

test('properties of a received PUBLISH read back as the Decoder builds them', async () => {
  const mod = await loadTpgate();
  const codec = await loadTpgateCodec();
  const properties = {
    payloadFormatIndicator: 1,
    messageExpiryInterval: 4294967295,
    contentType: 'application/json; charset=utf-8 é',
    responseTopic: 'replies/ünïcode',
    correlationData: Uint8Array.from([0, 1, 2, 255, 0x80, 34, 92]),
    subscriptionIdentifiers: [1, 268435455],
    userProperties: [['a', '1'], ['a', '2'], ['', ''], ['__proto__', 'x'], ['key "q"', 'v\\n']],
  };
  const encoded = codec.encodePacket({ type: 'publish', topic: 't/props', payload: 'x', qos: 1, packetId: 7, properties }, 5);
  assert.equal(encoded.ok, true, encoded.message);
  const decoder = new codec.Decoder({ version: 5 });
  const session = connectedSession(mod);
  try {
    const decoded = decoder.feed(encoded.bytes);
    assert.equal(decoded.packets.length, 1);
    const got = received(mod, session, encoded.bytes);
    assert.equal(got.messages.length, 1);
    const m = got.messages[0];
    assert.deepEqual(m.properties, decoded.packets[0].properties);
    assert.ok(m.properties.correlationData instanceof Uint8Array);
    assert.deepEqual([...m.properties.correlationData], [0, 1, 2, 255, 0x80, 34, 92]);
    assert.deepEqual(m.properties.userProperties, properties.userProperties);
    // The record after it is read from the right place: in one frame, the same
    // message again and then one without properties.
    const plain = codec.encodePacket({ type: 'publish', topic: 't/plain', payload: 'y', qos: 0 }, 5);
    const both = new Uint8Array([...encoded.bytes, ...plain.bytes]);
    const again = received(mod, session, both);
    assert.equal(again.messages.length, 2);
    assert.deepEqual(again.messages[0].properties, decoded.packets[0].properties);
    assert.equal(again.messages[1].topic, 't/plain');
    assert.equal(new TextDecoder().decode(again.messages[1].payload), 'y');
    assert.equal(Object.keys(again.messages[1].properties).length, 0);
  } finally {
    decoder.delete();
    session.delete();
  }
});

test('properties of a PUBACK read back with their publish completion', async () => {
  const mod = await loadTpgate();
  const codec = await loadTpgateCodec();
  const session = connectedSession(mod);
  try {
    const result = session.publish({ topic: 't/ack', payload: 'x', qos: 1, retain: false }, 0);
    assert.equal(result.ok, true, result.message);
    takeFrame(mod, session);
    const puback = codec.encodePacket(
      { type: 'puback', packetId: 1, reasonCode: 16, properties: { reasonString: 'no subscribers', userProperties: [['k', 'v']] } },
      5,
    );
    assert.equal(puback.ok, true, puback.message);
    const decoder = new codec.Decoder({ version: 5 });
    const decoded = decoder.feed(puback.bytes);
    decoder.delete();
    const got = received(mod, session, puback.bytes);
    assert.equal(got.completions.length, 1);
    assert.equal(got.completions[0].reasonCode, 16);
    assert.deepEqual(got.completions[0].properties, decoded.packets[0].properties);
    assert.equal(got.completions[0].properties.reasonString, 'no subscribers');
  } finally {
    session.delete();
  }
});
