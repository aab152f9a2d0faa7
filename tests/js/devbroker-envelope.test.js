// The dev broker's envelope (docs/thingspanel.md#broker-envelope): every device
// publish reaches subscribers as {"device_id":"<id>","values":"<base64>"},
// the base64 being of the exact bytes sent: binary, non-UTF-8, empty and
// large payloads round-trip byte for byte. tpgate and MQTT.js publishers and
// subscribers, over TCP and WebSocket.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { connect } from 'tpgate';
import { DEVICES, TRANSPORTS, collector, envelopeOf, mqttConnect, uniqueId, useThingsPanelBroker } from './helpers/devbroker.js';

const TIMEOUT = { timeout: 30_000 };
const tp = useThingsPanelBroker();

const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const PAYLOADS = [
  ['JSON telemetry', Buffer.from(JSON.stringify({ gateway_data: { temperature: 25.5, label: 'température ✓' } }))],
  ['every byte value 0..255', allBytes],
  ['invalid UTF-8 (lone continuation and truncated sequences)', Buffer.from([0x80, 0xc3, 0x28, 0xe2, 0x82, 0xff, 0xfe, 0x00])],
  ['empty', Buffer.alloc(0)],
  ['256 KiB of pseudo-random bytes', Buffer.from(Array.from({ length: 256 * 1024 }, (_, i) => (i * 2654435761) >>> 24))],
];

function checkEnvelope(message, device, original, what) {
  assert.equal(message.topic, 'gateway/telemetry', what);
  // Byte-exact: the same text gmqtt writes (json.Marshal of {device_id, values []byte}).
  assert.ok(message.payload.equals(Buffer.from(envelopeOf(device.device_id, original))), `${what}: envelope text`);
  const envelope = JSON.parse(message.payload.toString('utf8'));
  assert.deepEqual(Object.keys(envelope), ['device_id', 'values'], what);
  assert.equal(envelope.device_id, device.device_id, what);
  assert.ok(Buffer.from(envelope.values, 'base64').equals(original), `${what}: values decodes to the bytes sent`);
}

for (const transport of TRANSPORTS) {
  describe(`envelope over ${transport}`, () => {
    test('tpgate device -> MQTT.js root: every payload round-trips byte for byte', TIMEOUT, async () => {
      const root = await mqttConnect(tp.url(transport === 'tcp' ? 'ws' : 'tcp'), tp.root());
      const gw = await connect(tp.url(transport), { clientId: uniqueId('env-tp'), protocolVersion: 4, reconnect: false, ...tp.voucher(0) });
      try {
        await root.subscribeAsync('gateway/telemetry', { qos: 1 });
        const inbox = collector(root);
        for (const [, payload] of PAYLOADS) await gw.publish('gateway/telemetry', payload, { qos: 1 });
        const got = await inbox.next(PAYLOADS.length, 15_000);
        for (const [i, [what, payload]] of PAYLOADS.entries()) checkEnvelope(got[i], DEVICES[0], payload, what);
      } finally {
        await gw.end();
        await root.endAsync();
      }
    });

    test('MQTT.js device -> tpgate root: every payload round-trips byte for byte', TIMEOUT, async () => {
      const root = await connect(tp.url(transport), { clientId: uniqueId('env-root'), protocolVersion: 4, reconnect: false, ...tp.root() });
      const gw = await mqttConnect(tp.url(transport), tp.voucher(1));
      try {
        await root.subscribe('gateway/telemetry', { qos: 1 });
        const inbox = collector(root);
        for (const [, payload] of PAYLOADS) await gw.publishAsync('gateway/telemetry', payload, { qos: 1 });
        const got = await inbox.next(PAYLOADS.length, 15_000);
        for (const [i, [what, payload]] of PAYLOADS.entries()) checkEnvelope(got[i], DEVICES[1], payload, what);
      } finally {
        await gw.endAsync();
        await root.end();
      }
    });

    test('QoS 0 and retained device publishes are enveloped too', TIMEOUT, async () => {
      const gw = await mqttConnect(tp.url(transport), tp.voucher(0));
      const topic = `gateway/attributes/${uniqueId('mid')}`;
      try {
        await gw.publishAsync(topic, 'retained-bytes', { qos: 1, retain: true });
        const root = await mqttConnect(tp.url(transport), tp.root());
        try {
          const inbox = collector(root);
          await root.subscribeAsync(topic, { qos: 1 }); // gets the retained message
          await gw.publishAsync(topic, Buffer.from([0xde, 0xad]), { qos: 0 });
          const got = await inbox.next(2);
          assert.equal(got[0].payload.toString(), envelopeOf(DEVICES[0].device_id, Buffer.from('retained-bytes')));
          assert.equal(got[1].payload.toString(), envelopeOf(DEVICES[0].device_id, Buffer.from([0xde, 0xad])));
        } finally {
          await root.endAsync();
        }
      } finally {
        await gw.endAsync();
      }
    });
  });
}
