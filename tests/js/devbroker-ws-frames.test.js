// The dev broker's WebSocket listener sends what it writes in one turn as one
// frame (npm/src/broker/ws-stream.js): a PUBLISH to a subscriber arrives whole
// in one frame, not cut into the pieces aedes writes it in; and a subscriber
// that stops reading holds the broker's writes back instead of losing them.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import mqttPacket from 'mqtt-packet';
import { startBroker } from 'tpgate/broker';
import WebSocket from 'ws';
import { mqttConnect, uniqueId } from './helpers/devbroker.js';

const TIMEOUT = { timeout: 30_000 };
let broker;

before(async () => {
  broker = await startBroker({ tcpPort: 0, wsPort: 0, log: false });
});
after(async () => {
  await broker?.close();
});

/** A raw MQTT-over-WebSocket subscriber that keeps every frame as received. */
async function rawSubscriber(topic) {
  const ws = new WebSocket(broker.urls.ws, 'mqtt');
  const frames = [];
  ws.on('message', (data) => frames.push(Buffer.from(data)));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const gen = (packet) => mqttPacket.generate(packet);
  ws.send(gen({ cmd: 'connect', protocolVersion: 4, clientId: uniqueId('raw'), clean: true, keepalive: 60 }));
  ws.send(gen({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 0 }] }));
  // CONNACK, then SUBACK.
  const until = Date.now() + 5000;
  while (!frames.some((f) => f[0] === 0x90) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  assert.ok(frames.some((f) => f[0] === 0x90), 'SUBACK received');
  frames.length = 0;
  return { ws, frames };
}

test('every PUBLISH reaches a WebSocket subscriber as one whole frame', TIMEOUT, async () => {
  const topic = `frames/${uniqueId('t')}`;
  const { ws, frames } = await rawSubscriber(topic);
  const pub = await mqttConnect(broker.urls.tcp);
  try {
    const payloads = Array.from({ length: 50 }, (_, i) => JSON.stringify({ i, pad: 'x'.repeat(i * 37) }));
    for (const p of payloads) await pub.publishAsync(topic, p, { qos: 0 });
    const until = Date.now() + 5000;
    const decoded = [];
    while (decoded.length < payloads.length && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 20));
      decoded.length = 0;
      for (const frame of frames) {
        // Each frame must parse as whole packets, with nothing left over.
        const parser = mqttPacket.parser({ protocolVersion: 4 });
        const packets = [];
        parser.on('packet', (packet) => packets.push(packet));
        const left = parser.parse(frame);
        assert.equal(left, 0, `a frame ends on a packet boundary (${frame.length} bytes)`);
        assert.ok(packets.length >= 1, 'a frame holds at least one whole packet');
        for (const packet of packets) decoded.push(packet.payload.toString());
      }
    }
    assert.deepEqual(decoded, payloads);
    // One frame per message at most (several may share one when they leave in one turn).
    assert.ok(frames.length <= payloads.length, `${frames.length} frames for ${payloads.length} messages`);
  } finally {
    ws.terminate();
    await pub.endAsync();
  }
});

test('a WebSocket subscriber that stops reading loses nothing once it reads again', TIMEOUT, async () => {
  const topic = `frames/${uniqueId('slow')}`;
  const { ws, frames } = await rawSubscriber(topic);
  const pub = await mqttConnect(broker.urls.tcp);
  try {
    ws.pause(); // stops reading the socket: the broker's writes back up
    const big = 'y'.repeat(16 * 1024);
    const count = 200; // 3.2 MB, well past the stream's high-water mark
    for (let i = 0; i < count; i++) pub.publish(topic, `${i}:${big}`, { qos: 0 });
    await new Promise((r) => setTimeout(r, 500));
    ws.resume();
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    const seen = [];
    parser.on('packet', (packet) => seen.push(Number(packet.payload.toString().split(':')[0])));
    let fed = 0;
    const until = Date.now() + 15_000;
    while (seen.length < count && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
      for (; fed < frames.length; fed++) parser.parse(frames[fed]);
    }
    assert.deepEqual(seen, Array.from({ length: count }, (_, i) => i), 'every message, in order');
  } finally {
    ws.terminate();
    await pub.endAsync();
  }
});
