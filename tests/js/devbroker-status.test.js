// The dev broker's online status (docs/thingspanel.md#online-status): the broker
// publishes devices/status/{device_id} `1` when a device has connected and `0`
// when it goes away, whether it sent DISCONNECT or its connection was lost
// (a TCP proxy cut, a destroyed socket). Refused clients and root get none.
// tpgate and MQTT.js devices, over TCP and WebSocket.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { connectGateway } from 'tpgate/gateway';
import { DEVICES, TRANSPORTS, mqttConnect, settle, uniqueId, useThingsPanelBroker } from './helpers/devbroker.js';
import { startProxy } from './helpers/tcp-proxy.js';

const TIMEOUT = { timeout: 20_000 };
// root sees every status message.
const tp = useThingsPanelBroker({ observer: { filter: 'devices/status/+', keep: (topic) => topic.startsWith('devices/status/') } });

/** `wait()` resolves with the next `count` status messages from now on, as [topic, payload]. */
function nextStatus(count) {
  const mark = tp.seen.got.length;
  return {
    wait: async () => (await tp.seen.next(mark + count)).slice(mark).map((m) => [m.topic, m.payload.toString()]),
  };
}

for (const transport of TRANSPORTS) {
  describe(`status over ${transport}`, () => {
    test('MQTT.js device: 1 on connect, 0 on a clean DISCONNECT', TIMEOUT, async () => {
      const seen = nextStatus(2);
      const gw = await mqttConnect(tp.url(transport), tp.voucher(0));
      await gw.endAsync();
      assert.deepEqual(await seen.wait(), [[`devices/status/${DEVICES[0].device_id}`, '1'], [`devices/status/${DEVICES[0].device_id}`, '0']]);
    });

    test('MQTT.js device: 0 when its socket is destroyed (no DISCONNECT)', TIMEOUT, async () => {
      const online = nextStatus(1);
      const gw = await mqttConnect(tp.url(transport), tp.voucher(1));
      assert.deepEqual(await online.wait(), [[`devices/status/${DEVICES[1].device_id}`, '1']]);
      const offline = nextStatus(1);
      gw.stream.destroy();
      assert.deepEqual(await offline.wait(), [[`devices/status/${DEVICES[1].device_id}`, '0']]);
      gw.end(true);
      await tp.waitLog(/devices\/status\/.*0: device gw-2 went away/);
    });

    test('tpgate gateway: 1 on connect, 0 when the connection is cut by a proxy', TIMEOUT, async () => {
      const proxy = await startProxy(transport === 'tcp' ? tp.broker.tcpPort : tp.broker.wsPort);
      const url = transport === 'tcp' ? proxy.tcpUrl : `${proxy.wsUrl}${tp.broker.wsPath}`;
      let gw;
      try {
        const online = nextStatus(1);
        gw = await connectGateway(url, {
          deviceNumber: DEVICES[0].device_number, clientId: uniqueId('status-tp'), protocolVersion: 4, reconnect: false, ...tp.voucher(0),
        });
        assert.deepEqual(await online.wait(), [[`devices/status/${DEVICES[0].device_id}`, '1']]);
        const offline = nextStatus(1);
        proxy.cut();
        assert.deepEqual(await offline.wait(), [[`devices/status/${DEVICES[0].device_id}`, '0']]);
      } finally {
        await gw?.end(true);
        await proxy.close();
      }
    });
  });
}

describe('status: who gets none', () => {
  test('refused clients and root publish no status', TIMEOUT, async () => {
    const mark = tp.seen.got.length;
    await assert.rejects(mqttConnect(tp.url('tcp'), { username: DEVICES[0].username, password: 'wrong' }));
    const other = await mqttConnect(tp.url('ws'), tp.root());
    await other.endAsync();
    await settle();
    assert.deepEqual(tp.seen.got.slice(mark), []);
  });
});
