// The dev broker in plain mode (tpgate/broker without a devices list): a
// standard MQTT 3.1.1 broker over TCP and WebSocket that anyone may use, with
// no envelope, ACL or status topics.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connect } from 'tpgate';
import { startBroker } from 'tpgate/broker';
import { collector, mqttConnect, settle, uniqueId } from './helpers/devbroker.js';

const TIMEOUT = { timeout: 20_000 };
let broker;
const lines = [];

before(async () => {
  broker = await startBroker({ tcpPort: 0, wsPort: 0, log: (l) => lines.push(l) });
});
after(async () => {
  await broker?.close();
});

test('tpgate over WebSocket and MQTT.js over TCP exchange payloads unchanged, any credentials', TIMEOUT, async () => {
  assert.equal(broker.mode, 'plain');
  const sub = await mqttConnect(broker.urls.tcp, { username: 'whoever', password: 'whatever' });
  const pub = await connect(broker.urls.ws, { clientId: uniqueId('plain'), protocolVersion: 4, reconnect: false });
  try {
    await sub.subscribeAsync(['gateway/#', 'devices/status/#'], { qos: 1 });
    const inbox = collector(sub);
    const bytes = Buffer.from([0, 1, 0xfe, 0xff]);
    await pub.publish('gateway/telemetry', bytes, { qos: 1 });
    await pub.publish('gateway/command/gw-1/1', 'downlinks too', { qos: 1 });
    const got = await inbox.next(2);
    assert.ok(got[0].payload.equals(bytes));
    assert.equal(got[1].payload.toString(), 'downlinks too');
    await settle();
    assert.equal(inbox.got.length, 2, 'no status topics in plain mode');
    assert.ok(lines.some((l) => /connect: client 'plain-.*' over ws/.test(l)));
  } finally {
    await pub.end();
    await sub.endAsync();
  }
});
