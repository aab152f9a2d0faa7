// Interop with MQTT.js, the incumbent client, through a real mosquitto:
// payloads of 0 B, 1 B, 64 KiB and 1 MiB (random bytes) go tpgate -> MQTT.js
// and MQTT.js -> tpgate at QoS 1, on MQTT 3.1.1 and 5, and arrive
// byte-identical and in order. MQTT.js uses mosquitto's TCP listener; tpgate
// uses the WebSocket listener, the TCP listener, and a WebSocket-to-TCP bridge
// in front of the TCP listener.
//
// Why the bridge: mosquitto 2.0 writes large messages to WebSocket clients a
// few KiB per pass of its event loop (eclipse-mosquitto/mosquitto#1390), about
// 40 KiB/s here, so 1 MiB through its WebSocket listener takes half a minute.
// Through the WebSocket listener tpgate therefore receives up to 64 KiB; the
// 1 MiB case reaches tpgate's WebSocket transport through the bridge, which
// carries the same MQTT-over-WebSocket frames (binary, subprotocol 'mqtt') to
// the same broker.
//
// mosquitto 2.0's message_size_limit defaults to 0 (no limit below the
// protocol's 256 MiB), so 1 MiB passes without extra configuration.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import mqtt from 'mqtt';
import { connect } from 'tpgate';
import { WebSocketServer } from 'ws';
import { startMosquitto } from './helpers/mosquitto.js';

const SIZES = [0, 1, 64 * 1024, 1024 * 1024];
const TIMEOUT = { timeout: 30_000 };

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

let broker;
let bridge;
before(async () => {
  broker = await startMosquitto();
  bridge = await startBridge(broker.tcpPort);
});
after(async () => {
  await bridge?.close();
  await broker?.stop();
});

/** A WebSocket server that carries each connection's bytes to and from mosquitto's TCP listener. */
async function startBridge(tcpPort) {
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false),
  });
  await new Promise((resolve) => wss.once('listening', resolve));
  const pairs = new Set();
  wss.on('connection', (ws) => {
    const tcp = net.connect({ host: '127.0.0.1', port: tcpPort });
    const pair = { ws, tcp };
    pairs.add(pair);
    ws.on('message', (data) => tcp.write(data));
    tcp.on('data', (data) => ws.send(data));
    const close = () => {
      pairs.delete(pair);
      ws.close();
      tcp.destroy();
    };
    ws.on('close', close);
    tcp.on('close', close);
    tcp.on('error', close);
  });
  return {
    url: `ws://127.0.0.1:${wss.address().port}/mqtt`,
    close: () => {
      for (const { ws, tcp } of pairs) {
        ws.terminate();
        tcp.destroy();
      }
      return new Promise((resolve) => wss.close(resolve));
    },
  };
}

/** Resolves with the first `count` messages on `topic`, in arrival order. */
function collect(on, off, topic, count) {
  return new Promise((resolve) => {
    const got = [];
    const listener = (t, payload, packet) => {
      if (t !== topic) return;
      got.push({ payload, qos: packet.qos });
      if (got.length === count) {
        off(listener);
        resolve(got);
      }
    };
    on(listener);
  });
}

function assertSameBytes(received, sent) {
  assert.equal(received.length, sent.length, 'message count');
  for (let i = 0; i < sent.length; i++) {
    const r = received[i].payload;
    const bytes = Buffer.from(r.buffer, r.byteOffset, r.byteLength);
    assert.equal(bytes.length, sent[i].length, `message ${i}: length`);
    assert.equal(Buffer.compare(bytes, sent[i]), 0, `message ${i} (${sent[i].length} B): bytes differ`);
    assert.equal(sha256(bytes), sha256(sent[i]));
    assert.equal(received[i].qos, 1, `message ${i}: QoS`);
  }
}

const kib = (n) => (n >= 1024 * 1024 ? `${n / 1024 / 1024} MiB` : n >= 1024 ? `${n / 1024} KiB` : `${n} B`);

// tpgate's way to the broker, and the payload sizes it receives that way.
const ROUTES = [
  { name: "mosquitto's WebSocket listener", url: () => `${broker.wsUrl}/mqtt`, receives: SIZES.slice(0, 3) },
  { name: "mosquitto's TCP listener", url: () => `mqtt://127.0.0.1:${broker.tcpPort}`, receives: SIZES },
  { name: 'a WebSocket bridge to the TCP listener', url: () => bridge.url, receives: SIZES },
];

for (const version of [4, 5]) {
  for (const route of ROUTES) {
    describe(`MQTT ${version === 5 ? '5' : '3.1.1'}, tpgate through ${route.name}`, () => {
      let tp;
      let js;
      const id = `${version}-${ROUTES.indexOf(route)}-${process.pid}`;
      before(async () => {
        tp = await connect(route.url(), { protocolVersion: version, clientId: `tpgate-${id}`, reconnect: false });
        js = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.tcpPort}`, {
          protocolVersion: version,
          clientId: `mqttjs-${id}`,
          reconnectPeriod: 0,
        });
      });
      after(async () => {
        await tp?.end();
        await js?.endAsync();
      });

      test(`tpgate -> MQTT.js: ${SIZES.map(kib).join(', ')} arrive byte-identical`, TIMEOUT, async () => {
        const topic = `tpgate/interop/to-mqttjs/${id}`;
        const sent = SIZES.map((n) => randomBytes(n));
        await js.subscribeAsync(topic, { qos: 1 });
        const received = collect((l) => js.on('message', l), (l) => js.off('message', l), topic, sent.length);
        for (const payload of sent) {
          // A Uint8Array view, not a Buffer: what a browser user would pass.
          const view = new Uint8Array(payload.buffer, payload.byteOffset, payload.length);
          const result = await tp.publish(topic, view, { qos: 1 });
          assert.equal(result.qos, 1);
          assert.ok(result.packetId > 0);
          assert.ok(result.reasonCode < 0x80, `PUBACK reason ${result.reasonCode}`);
        }
        assertSameBytes(await received, sent);
      });

      test(`MQTT.js -> tpgate: ${route.receives.map(kib).join(', ')} arrive byte-identical`, TIMEOUT, async () => {
        const topic = `tpgate/interop/from-mqttjs/${id}`;
        const sent = route.receives.map((n) => randomBytes(n));
        const granted = await tp.subscribe(topic, { qos: 1 });
        assert.deepEqual(granted, [{ topic, qos: 1 }]);
        const received = collect((l) => tp.on('message', l), (l) => tp.off('message', l), topic, sent.length);
        for (const payload of sent) await js.publishAsync(topic, payload, { qos: 1 });
        const got = await received;
        for (const m of got) assert.ok(m.payload instanceof Uint8Array);
        assertSameBytes(got, sent);
      });
    });
  }
}
