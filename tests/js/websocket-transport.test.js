// MQTT over WebSocket as chapter 6 of both versions asks of a client. A raw
// `ws` peer plays the server and records what the client does: it offers the
// subprotocol "mqtt" [MQTT-6.0.0-3] and writes every packet in a binary frame
// [MQTT-6.0.0-1]; the peer splits its CONNACK over two frames and puts a
// SUBACK and a PUBLISH in one frame, which the client reads as the packets
// they are [MQTT-6.0.0-2].
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect } from 'tpgate';
import { WebSocketServer } from 'ws';

const TIMEOUT = { timeout: 15_000 };

/** A WebSocket peer that answers CONNECT and SUBSCRIBE with awkwardly framed replies. */
async function startPeer(version) {
  const seen = { offered: null, frames: [] };
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    handleProtocols: (protocols) => {
      seen.offered = [...protocols];
      return protocols.has('mqtt') ? 'mqtt' : false;
    },
  });
  await new Promise((resolve) => wss.once('listening', resolve));
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => {
      const bytes = Buffer.from(data);
      seen.frames.push({ isBinary, type: bytes[0] >> 4 });
      if (bytes[0] >> 4 === 1) {
        // CONNECT -> CONNACK (success, no session), cut after its first byte.
        const connack = version === 5 ? [0x20, 0x03, 0x00, 0x00, 0x00] : [0x20, 0x02, 0x00, 0x00];
        ws.send(Buffer.from(connack.slice(0, 1)));
        ws.send(Buffer.from(connack.slice(1)));
      } else if (bytes[0] === 0x82) {
        // SUBSCRIBE -> SUBACK (granted QoS 0) and a QoS 0 PUBLISH "t" "x", in one frame.
        const id = [bytes[2], bytes[3]];
        const suback = version === 5 ? [0x90, 0x04, ...id, 0x00, 0x00] : [0x90, 0x03, ...id, 0x00];
        const publish = version === 5 ? [0x30, 0x05, 0x00, 0x01, 0x74, 0x00, 0x78] : [0x30, 0x04, 0x00, 0x01, 0x74, 0x78];
        ws.send(Buffer.from([...suback, ...publish]));
      }
    });
  });
  return {
    url: `ws://127.0.0.1:${wss.address().port}/mqtt`,
    seen,
    close: () => {
      for (const ws of wss.clients) ws.terminate();
      return new Promise((resolve) => wss.close(resolve));
    },
  };
}

for (const version of [4, 5]) {
  const name = version === 5 ? 'MQTT 5' : 'MQTT 3.1.1';
  test(`${name}: offers the subprotocol mqtt, sends binary frames only, reads packets across frame boundaries`, TIMEOUT, async () => {
    const peer = await startPeer(version);
    try {
      const client = await connect(peer.url, { protocolVersion: version, reconnect: false });
      try {
        const message = new Promise((resolve) => {
          client.once('message', (topic, payload) => resolve([topic, new TextDecoder().decode(payload)]));
        });
        await client.subscribe('t', { qos: 0 });
        assert.deepEqual(await message, ['t', 'x']);
        await client.publish('t', 'y', { qos: 0 });
      } finally {
        await client.end();
      }
      assert.deepEqual(peer.seen.offered, ['mqtt']);
      // CONNECT, SUBSCRIBE, PUBLISH, DISCONNECT: every one in a binary frame.
      assert.deepEqual(peer.seen.frames.map((f) => f.type), [1, 8, 3, 14]);
      assert.ok(peer.seen.frames.every((f) => f.isBinary), 'a frame the client sent was not binary');
    } finally {
      await peer.close();
    }
  });
}

// [MQTT-6.0.0-1]: a receiver of a frame that is not binary closes the
// connection. The peer answers CONNECT, then sends a text frame that happens
// to hold a valid PUBLISH: it must not be read as one.
test('a text frame from the server closes the connection and is not read as a packet', TIMEOUT, async () => {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => 'mqtt' });
  await new Promise((resolve) => wss.once('listening', resolve));
  const closed = new Promise((resolve) => {
    wss.on('connection', (ws) => {
      ws.on('close', (code) => resolve(code));
      ws.on('message', (data) => {
        if (data[0] >> 4 === 1) {
          ws.send(Buffer.from([0x20, 0x03, 0x00, 0x00, 0x00]));  // CONNECT -> CONNACK
        } else {
          // Anything else (the client's PUBLISH) -> a text frame holding a PUBLISH.
          ws.send(Buffer.from([0x30, 0x05, 0x00, 0x01, 0x74, 0x00, 0x78]).toString('latin1'));
        }
      });
    });
  });
  try {
    const client = await connect(`ws://127.0.0.1:${wss.address().port}/mqtt`, { protocolVersion: 5, reconnect: false });
    const messages = [];
    client.on('message', (topic) => messages.push(topic));
    const error = new Promise((resolve) => client.once('offline', resolve));
    await client.publish('t', 'go', { qos: 0 });
    const err = await error;
    assert.match(err.message, /text frame/);
    assert.equal(await closed, 1003, 'the client closes with 1003 (unsupported data)');
    assert.deepEqual(messages, []);
    await client.end();
  } finally {
    for (const ws of wss.clients) ws.terminate();
    await new Promise((resolve) => wss.close(resolve));
  }
});
