// The client against a real aedes (in this process, on free loopback ports),
// over WebSocket and TCP: see helpers/broker-suite.js. aedes 1.x speaks MQTT
// 3.1.1 only, so MQTT 5 runs against mosquitto.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connect, TpgateError } from 'tpgate';
import { startAedes } from './helpers/aedes.js';
import { defineBrokerSuite } from './helpers/broker-suite.js';

defineBrokerSuite({
  name: 'aedes',
  start: () => startAedes(),
  transports: ['ws', 'tcp'],
  versions: [4],
});

let broker;
before(async () => {
  broker = await startAedes();
});
after(async () => {
  await broker?.stop();
});

test('aedes refuses an MQTT 5 CONNECT: connect() rejects with a typed error', async () => {
  await assert.rejects(connect(broker.tcpUrl, { protocolVersion: 5, reconnect: false, connectTimeout: 5000 }), (err) => {
    assert.ok(err instanceof TpgateError, `a TpgateError, got ${err}`);
    return true;
  });
});
