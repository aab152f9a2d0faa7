// The wasm build loads in Node and the codec ('tpgate/codec') round-trips through it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadTpgate } from 'tpgate';
import { loadTpgateCodec } from 'tpgate/codec';

const tpgate = await loadTpgateCodec();

const ascii = (s) => [...s].map((c) => c.charCodeAt(0));

test('each loader caches one module instance; the codec lives in its own module', async () => {
  assert.equal(await loadTpgateCodec(), tpgate);
  assert.equal(typeof tpgate.encodePacket, 'function');
  assert.equal(typeof tpgate.ClientSession, 'undefined');
  const client = await loadTpgate();
  assert.equal(await loadTpgate(), client);
  assert.equal(typeof client.ClientSession, 'function');
  // The MQTT-only module (connect()) carries no raw codec.
  assert.equal(typeof client.encodePacket, 'undefined');
  assert.equal(typeof client.Decoder, 'undefined');
});

for (const version of [4, 5]) {
  test(`PUBLISH v${version === 4 ? '3.1.1' : '5'}: exact bytes, then decoded back in two chunks`, () => {
    const payload = new Uint8Array([0x68, 0x00, 0xff, 0x69]);
    const packet = { type: 'publish', topic: 'a/b', qos: 1, packetId: 7, payload };
    if (version === 5) packet.properties = { messageExpiryInterval: 60, userProperties: [['k', 'v']] };

    const encoded = tpgate.encodePacket(packet, version);
    assert.equal(encoded.ok, true, encoded.message);
    assert.ok(encoded.bytes instanceof Uint8Array);
    const properties =
      version === 5
        ? [0x0c, 0x02, 0, 0, 0, 60, 0x26, 0, 1, ...ascii('k'), 0, 1, ...ascii('v')]  // Message Expiry, User Property
        : [];
    const body = [0x00, 0x03, ...ascii('a/b'), 0x00, 0x07, ...properties, ...payload];
    assert.deepEqual([...encoded.bytes], [0x32, body.length, ...body]);  // PUBLISH, QoS 1

    const decoder = new tpgate.Decoder({ version });
    try {
      assert.equal(decoder.optionsError(), null);
      const first = decoder.feed(encoded.bytes.subarray(0, 5));
      assert.deepEqual(first, { ok: true, packets: [] });
      assert.equal(decoder.buffered(), 5);
      const rest = decoder.feed(encoded.bytes.subarray(5));
      assert.equal(rest.ok, true, rest.message);
      assert.equal(rest.packets.length, 1);
      const [decoded] = rest.packets;
      assert.equal(decoded.type, 'publish');
      assert.equal(decoded.topic, 'a/b');
      assert.equal(decoded.qos, 1);
      assert.equal(decoded.packetId, 7);
      assert.equal(decoded.retain, false);
      assert.equal(decoded.dup, false);
      assert.deepEqual([...decoded.payload], [...payload]);
      assert.deepEqual(decoded.properties, packet.properties ?? {});
      assert.equal(decoder.buffered(), 0);
    } finally {
      decoder.delete();
    }
  });
}

test('encode errors come back as values with the MQTT reason code', () => {
  const wildcard = tpgate.encodePacket({ type: 'publish', topic: 'a/#', payload: 'x' }, 5);
  assert.equal(wildcard.ok, false);
  assert.equal(wildcard.code, 0x90);  // Topic Name Invalid [MQTT-3.3.2-2]
  assert.equal(typeof wildcard.reason, 'string');
  assert.match(wildcard.message, /./);

  const unknown = tpgate.encodePacket({ type: 'nope' }, 5);
  assert.equal(unknown.ok, false);
  assert.match(unknown.message, /unknown packet type 'nope'/);

  const badField = tpgate.encodePacket({ type: 'publish', topic: 'a', qos: 'one' }, 5);
  assert.equal(badField.ok, false);
  assert.match(badField.message, /publish\.qos/);

  const badVersion = tpgate.encodePacket({ type: 'pingreq' }, 3);
  assert.equal(badVersion.ok, false);
  assert.match(badVersion.message, /version/);
});

test('a malformed stream fails the decoder with Malformed Packet, and stays failed', () => {
  const decoder = new tpgate.Decoder({ version: 5 });
  try {
    const pingresp = [0xd0, 0x00];
    // A Remaining Length of five bytes is malformed (1.5.5).
    const bad = decoder.feed(new Uint8Array([...pingresp, 0x30, 0xff, 0xff, 0xff, 0xff, 0x7f]));
    assert.equal(bad.ok, false);
    assert.equal(bad.code, 0x81);
    assert.deepEqual(bad.packets.map((p) => p.type), ['pingresp']);
    assert.equal(decoder.feed(new Uint8Array(pingresp)).ok, false);
    decoder.reset();
    assert.deepEqual(decoder.feed(new Uint8Array(pingresp)).packets.map((p) => p.type), ['pingresp']);
  } finally {
    decoder.delete();
  }
});

test('invalid options are reported, not thrown', async () => {
  const client = await loadTpgate();
  const session = new client.ClientSession({ version: 6, clientId: 'x' });
  try {
    const error = session.optionsError();
    assert.equal(error.ok, false);
    assert.match(error.message, /version/);
    assert.equal(session.publish({ topic: 'a', payload: 'x' }, 0).ok, false);
  } finally {
    session.delete();
  }
  const decoder = new tpgate.Decoder({ role: 'broker' });
  try {
    assert.match(decoder.optionsError().message, /role/);
  } finally {
    decoder.delete();
  }
});

test('a session asks for a transport, then sends CONNECT', async () => {
  const client = await loadTpgate();
  const session = new client.ClientSession({ version: 5, clientId: 'smoke', keepAlive: 30 });
  try {
    assert.equal(session.optionsError(), null);
    assert.equal(session.state(), 'idle');
    session.start(1000);
    const first = session.takeOutput();
    assert.equal(first.openTransport, true);
    assert.equal(first.bytes.length, 0);
    session.transportOpen(1001);
    const second = session.takeOutput();
    assert.equal(second.bytes[0], 0x10);  // CONNECT
    assert.equal(session.state(), 'awaitingConnAck');
    assert.ok(second.deadline > 1001, 'a CONNACK timeout is scheduled');
  } finally {
    session.delete();
  }
});
