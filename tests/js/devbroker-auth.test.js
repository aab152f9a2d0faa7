// The dev broker's ThingsPanel mode (tpgate/broker) authenticates like the
// platform's broker (docs/thingspanel.md#authentication): a device's voucher
// (username, optional password) lets it in; a wrong password or an unknown
// username is refused with CONNACK 4 "bad user name or password" (MQTT 5:
// 0x86); root gets in with the configured password. Checked with tpgate and
// MQTT.js clients over TCP and WebSocket. aedes speaks MQTT 3.1.1 only, so the
// codes are 3.1.1 return codes (tpgate reports them as their MQTT 5 reason codes)
// and tpgate clients connect with protocolVersion 4 (their default is 5).
import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, test } from 'node:test';
import mqttPacket from 'mqtt-packet';
import { ConnectionRefusedError, connect, TpgateError } from 'tpgate';
import { connectGateway } from 'tpgate/gateway';
import { DEVICES, TRANSPORTS, mqttConnect, startThingsPanelBroker, uniqueId, useThingsPanelBroker } from './helpers/devbroker.js';

const TIMEOUT = { timeout: 20_000 };
const tp = useThingsPanelBroker();

/** Expects `connecting` to be refused; closes a connection made anyway. */
async function refused(connecting, close) {
  let client;
  try {
    client = await connecting;
  } catch (err) {
    return err;
  }
  await close(client);
  assert.fail('the broker accepted the connection');
}

/** tpgate: ERR_CONNECTION_REFUSED with the MQTT 5 form of the 3.1.1 return code. */
async function tpgateRefused(url, options, reasonCode) {
  const err = await refused(connect(url, { protocolVersion: 4, reconnect: false, ...options }), (c) => c.end(true));
  assert.equal(err.code, 'ERR_CONNECTION_REFUSED', err.message);
  assert.equal(err.reasonCode, reasonCode, `reasonCode 0x${err.reasonCode?.toString(16)}: ${err.message}`);
}

/** MQTT.js: the CONNACK return code in err.code. */
async function mqttjsRefused(url, options, returnCode) {
  const err = await refused(mqttConnect(url, options), (c) => c.endAsync(true));
  assert.equal(err.code, returnCode, err.message);
}

for (const transport of TRANSPORTS) {
  describe(`authentication over ${transport}`, () => {
    test('tpgate: the right voucher is accepted, with and without a password', TIMEOUT, async () => {
      for (const i of [0, 1]) {
        const clientId = uniqueId(`tp-ok-${i}`);
        const gw = await connectGateway(tp.url(transport), { deviceNumber: DEVICES[i].device_number, clientId, protocolVersion: 4, ...tp.voucher(i) });
        try {
          assert.equal(gw.client.connected, true);
          await tp.waitLog(new RegExp(`connect accepted: client '${clientId}' over ${transport} as device ${DEVICES[i].device_number}`));
        } finally {
          await gw.end();
        }
      }
    });

    test('MQTT.js: the right voucher is accepted, with and without a password', TIMEOUT, async () => {
      for (const i of [0, 1]) {
        const client = await mqttConnect(tp.url(transport), tp.voucher(i));
        assert.equal(client.connected, true);
        await client.endAsync();
      }
    });

    test('a wrong password is refused: CONNACK 4 (0x86)', TIMEOUT, async () => {
      const clientId = uniqueId('tp-badpw');
      await tpgateRefused(tp.url(transport), { clientId, username: DEVICES[0].username, password: 'wrong' }, 0x86);
      await tp.waitLog(new RegExp(`connect refused: client '${clientId}' .*wrong password for device gw-1 \\(CONNACK 4\\)`));
      await mqttjsRefused(tp.url(transport), { username: DEVICES[0].username, password: 'wrong' }, 4);
      // The voucher matches as a whole: a password for a device that has none fails too.
      await mqttjsRefused(tp.url(transport), { username: DEVICES[1].username, password: 'extra' }, 4);
      // And a device with a password cannot leave it out.
      await mqttjsRefused(tp.url(transport), { username: DEVICES[0].username }, 4);
    });

    test('an unknown username is refused: CONNACK 4 (0x86)', TIMEOUT, async () => {
      const clientId = uniqueId('tp-nouser');
      await tpgateRefused(tp.url(transport), { clientId, username: 'nobody', password: 'x' }, 0x86);
      await tp.waitLog(new RegExp(`connect refused: client '${clientId}' username 'nobody'.*no device has the voucher username 'nobody'`));
      await mqttjsRefused(tp.url(transport), { username: 'nobody' }, 4);
      await mqttjsRefused(tp.url(transport), {}, 4);
    });

    test('root: the configured password is accepted, a wrong one refused', TIMEOUT, async () => {
      const root = await connect(tp.url(transport), { clientId: uniqueId('tp-root'), protocolVersion: 4, ...tp.root(), reconnect: false });
      await root.end();
      const rootJs = await mqttConnect(tp.url(transport), tp.root());
      await rootJs.endAsync();
      await tpgateRefused(tp.url(transport), { clientId: uniqueId('tp-root-bad'), username: 'root', password: 'nope' }, 0x86);
      await mqttjsRefused(tp.url(transport), { username: 'root', password: 'nope' }, 4);
    });

    test('keep-alive above 300 s is refused: CONNACK 5 (0x87)', TIMEOUT, async () => {
      // tpgate refuses such options itself (thingspanel-auth.test.js), so MQTT.js sends them.
      const clientId = uniqueId('ka');
      await mqttjsRefused(tp.url(transport), { clientId, keepalive: 301, ...tp.voucher(1) }, 5);
      await tp.waitLog(new RegExp(`connect refused: client '${clientId}'.*keep-alive 301 s; ThingsPanel allows 1 to 300 s`));
      const ok = await mqttConnect(tp.url(transport), { keepalive: 300, ...tp.voucher(1) });
      await ok.endAsync();
    });
  });
}

describe('authentication: the other rules of docs/thingspanel.md#authentication', () => {
  test('an empty client id is refused: CONNACK 2 identifier rejected', TIMEOUT, async () => {
    // Neither client library sends an empty id, so the CONNECT is written by hand.
    const socket = net.connect(tp.broker.tcpPort, '127.0.0.1');
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    const connack = new Promise((resolve) => parser.on('packet', resolve));
    socket.on('data', (chunk) => parser.parse(chunk));
    socket.write(mqttPacket.generate({
      cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: '', keepalive: 60, username: DEVICES[1].username,
    }));
    const packet = await connack;
    socket.destroy();
    assert.equal(packet.cmd, 'connack');
    assert.equal(packet.returnCode, 2);
    await tp.waitLog(/connect refused: a client with an empty id .*identifier rejected/);
  });

  test('without a root password configured, root is not authorized: CONNACK 5 (0x87)', TIMEOUT, async () => {
    const noRoot = await startThingsPanelBroker({ rootPassword: undefined });
    try {
      await tpgateRefused(noRoot.url('tcp'), { clientId: uniqueId('root'), username: 'root', password: 'x' }, 0x87);
      await noRoot.waitLog(/"root" is disabled; start the broker with --root-password/);
      await mqttjsRefused(noRoot.url('ws'), { username: 'plugin', password: 'x' }, 5);
    } finally {
      await noRoot.close();
    }
  });

  test('MQTT 5 is refused (aedes speaks 3.1.1 only: CONNACK 1 "unacceptable protocol version")', TIMEOUT, async () => {
    const clientId = uniqueId('v5');
    await assert.rejects(
      connect(tp.url('tcp'), { clientId, protocolVersion: 5, reconnect: false, connectTimeout: 5000, ...tp.voucher(1) }),
      (err) =>
        err instanceof ConnectionRefusedError &&
        err.reasonCode === 0x84 &&
        /does not speak MQTT 5: connect with protocolVersion: 4/.test(err.message),
    );
    await tp.waitLog(/unacceptable protocol version/);
  });
});
