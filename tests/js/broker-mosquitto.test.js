// The client against a real mosquitto (started on free loopback ports), over
// its WebSocket and TCP listeners, MQTT 3.1.1 and 5: see helpers/broker-suite.js.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ConnectionRefusedError, connect } from 'tpgate';
import { defineBrokerSuite, openClient, urlFor } from './helpers/broker-suite.js';
import { startMosquitto } from './helpers/mosquitto.js';

defineBrokerSuite({
  name: 'mosquitto',
  start: () => startMosquitto(),
  transports: ['ws', 'tcp'],
  versions: [4, 5],
});

// The harness's password file (mosquitto_passwd), through the client's
// username/password, on both listeners and both versions.
describe('mosquitto with a password file', () => {
  let secured;
  before(async () => {
    secured = await startMosquitto({ passwords: { sensor: 's3cret', other: 'pw' } });
  });
  after(async () => {
    await secured?.stop();
  });

  for (const transport of ['ws', 'tcp']) {
    for (const protocolVersion of [4, 5]) {
      test(`${transport}, MQTT ${protocolVersion === 4 ? '3.1.1' : '5'}: the right password connects, a wrong one is refused`, async (t) => {
        const url = urlFor(transport, transport === 'ws' ? secured.wsPort : secured.tcpPort);
        const ok = await openClient(t, url, { protocolVersion, username: 'sensor', password: 's3cret' });
        await ok.publish('auth/check', 'in', { qos: 1 });
        await assert.rejects(
          connect(url, { protocolVersion, username: 'sensor', password: 'wrong', reconnect: false }),
          (err) => {
            assert.ok(err instanceof ConnectionRefusedError, `ConnectionRefusedError, got ${err?.name}: ${err?.message}`);
            assert.equal(err.code, 'ERR_CONNECTION_REFUSED');
            // mosquitto answers a wrong password with "not authorized": 3.1.1
            // return code 5, which the client reports as MQTT 5's 0x87, and 0x87 on MQTT 5.
            assert.equal(err.reasonCode, 0x87);
            return true;
          },
        );
      });
    }
  }
});
