// Interop with MQTT.js, the incumbent client, through a real mosquitto:
// payloads of 0 B, 1 B, 64 KiB and 1 MiB (random bytes) go tpgate -> MQTT.js
// and MQTT.js -> tpgate at QoS 1, on MQTT 3.1.1 and 5, and arrive
// byte-identical and in order. tpgate connects over WebSocket and over TCP;
// MQTT.js over the other transport, so both of mosquitto's listeners carry
// each direction.
//
// mosquitto 2.0's message_size_limit defaults to 0 (no limit below the
// protocol's 256 MiB), so 1 MiB passes without extra configuration.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import mqtt from 'mqtt';
import { connect } from 'tpgate';
import { startMosquitto } from './helpers/mosquitto.js';

const SIZES = [0, 1, 64 * 1024, 1024 * 1024];
const TIMEOUT = { timeout: 30_000 };

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

let broker;
before(async () => {
  broker = await startMosquitto();
});
after(async () => {
  await broker?.stop();
});

/** Resolves with the first `count` messages on `topic`, in arrival order. */
function collect(on, off, topic, count) {
  return new Promise((resolve) => {
    const got = [];
    const listener = (t, payload, packet) => {
      if (t !== topic) return;
      got.push({ payload: Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength), qos: packet.qos });
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
    assert.equal(r.length, sent[i].length, `message ${i}: length`);
    assert.equal(Buffer.compare(r, sent[i]), 0, `message ${i} (${sent[i].length} B): bytes differ`);
    assert.equal(sha256(r), sha256(sent[i]));
    assert.equal(received[i].qos, 1, `message ${i}: QoS`);
  }
}

for (const version of [4, 5]) {
  for (const tpgateTransport of ['ws', 'tcp']) {
    const label = `MQTT ${version === 5 ? '5' : '3.1.1'}, tpgate over ${tpgateTransport}`;
    describe(label, () => {
      let tp;
      let js;
      const id = `${version}-${tpgateTransport}-${process.pid}`;
      before(async () => {
        const tcpUrl = `mqtt://127.0.0.1:${broker.tcpPort}`;
        const wsUrl = `${broker.wsUrl}/mqtt`;
        tp = await connect(tpgateTransport === 'ws' ? wsUrl : tcpUrl, {
          protocolVersion: version,
          clientId: `tpgate-${id}`,
          reconnect: false,
        });
        js = await mqtt.connectAsync(tpgateTransport === 'ws' ? tcpUrl : wsUrl, {
          protocolVersion: version,
          clientId: `mqttjs-${id}`,
          reconnectPeriod: 0,
        });
      });
      after(async () => {
        await tp?.end();
        await js?.endAsync();
      });

      test('tpgate -> MQTT.js: 0 B, 1 B, 64 KiB, 1 MiB arrive byte-identical', TIMEOUT, async () => {
        const topic = `tpgate/interop/to-mqttjs/${id}`;
        const sent = SIZES.map((n) => randomBytes(n));
        await js.subscribeAsync(topic, { qos: 1 });
        const received = collect((l) => js.on('message', l), (l) => js.off('message', l), topic, sent.length);
        for (const payload of sent) {
          // A Uint8Array view, not a Buffer: what a browser user would pass.
          const result = await tp.publish(topic, new Uint8Array(payload.buffer, payload.byteOffset, payload.length), {
            qos: 1,
          });
          assert.equal(result.qos, 1);
          assert.ok(result.packetId > 0);
          assert.ok(result.reasonCode < 0x80, `PUBACK reason ${result.reasonCode}`);
        }
        assertSameBytes(await received, sent);
      });

      test('MQTT.js -> tpgate: 0 B, 1 B, 64 KiB, 1 MiB arrive byte-identical', TIMEOUT, async () => {
        const topic = `tpgate/interop/from-mqttjs/${id}`;
        const sent = SIZES.map((n) => randomBytes(n));
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
