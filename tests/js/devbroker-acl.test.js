// The dev broker's ThingsPanel ACLs (docs/thingspanel.md#topics,
// docs/thingspanel.md#one-filter-per-subscribe, docs/thingspanel.md#online-status): a device may publish only
// the gateway uplink topics and subscribe only to its own downlink filters; a refused publish is acknowledged
// and dropped (the connection stays, as with ThingsPanel's gmqtt), a refused filter gets SUBACK 0x80; only
// the first filter of a SUBSCRIBE is checked. root is not checked. tpgate and MQTT.js clients, over TCP and
// WebSocket.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { connect } from 'tpgate';
import { DEVICES, TRANSPORTS, collector, mqttConnect, settle, uniqueId, useThingsPanelBroker } from './helpers/devbroker.js';

const TIMEOUT = { timeout: 20_000 };
const [GW1, GW2] = DEVICES;
// root, subscribed to everything, sees every publish that got through.
const tp = useThingsPanelBroker({ observer: { filter: '#', keep: (topic) => !topic.startsWith('devices/status/') } });

/** The messages root saw on `topic` from `from` on. */
const seenOn = (topic, from) => tp.seen.got.slice(from).filter((m) => m.topic === topic);

for (const transport of TRANSPORTS) {
  describe(`ACL over ${transport}`, () => {
    test('MQTT.js device: every uplink topic is allowed and reaches root', TIMEOUT, async () => {
      const gw = await mqttConnect(tp.url(transport), tp.voucher(0));
      try {
        const mark = tp.seen.got.length;
        const topics = ['gateway/telemetry', 'gateway/attributes/1001', 'gateway/event/1002',
          'gateway/command/response/1003', 'gateway/attributes/set/response/1004'];
        for (const topic of topics) await gw.publishAsync(topic, '{}', { qos: 1 });
        const got = await tp.seen.next(mark + topics.length);
        assert.deepEqual(got.slice(mark).map((m) => m.topic), topics);
      } finally {
        await gw.endAsync();
      }
    });

    test('tpgate device: a publish to a downlink topic or devices/status is acked, dropped and logged', TIMEOUT, async () => {
      const gw = await connect(tp.url(transport), { clientId: uniqueId('acl-pub'), protocolVersion: 4, reconnect: false, ...tp.voucher(0) });
      try {
        const mark = tp.seen.got.length;
        const denied = [`gateway/command/${GW1.device_number}/77`, `devices/status/${GW1.device_id}`, 'gateway/telemetry/extra', 'anything/else'];
        for (const topic of denied) await gw.publish(topic, 'x', { qos: 1 }); // resolves: PUBACK
        await gw.publish('gateway/telemetry', 'after', { qos: 1 });
        await tp.seen.next(mark + 1);
        await settle();
        for (const topic of denied) assert.deepEqual(seenOn(topic, mark), [], `${topic} must not reach root`);
        assert.equal(gw.connected, true, 'the connection stays after a refused publish');
        await tp.waitLog(new RegExp(`publish denied: client '${gw.clientId}' \\(device gw-1\\) to 'gateway/command/gw-1/77'`));
        await tp.waitLog(/publish denied: .* to 'devices\/status\/[^']+': devices\/status\/\{device_id\} is published by the broker only/);
      } finally {
        await gw.end();
      }
    });

    test('tpgate device: its own downlink filters are granted and carry root\'s publishes unchanged', TIMEOUT, async () => {
      const gw = await connect(tp.url(transport), { clientId: uniqueId('acl-sub'), protocolVersion: 4, reconnect: false, ...tp.voucher(0) });
      try {
        const dn = GW1.device_number;
        const filters = [`gateway/telemetry/control/${dn}`, `gateway/attributes/set/${dn}/+`, `gateway/attributes/get/${dn}`,
          `gateway/command/${dn}/+`, `gateway/attributes/response/${dn}/+`, `gateway/event/response/${dn}/+`,
          `devices/attributes/response/${dn}/+`, `devices/event/response/${dn}/+`];
        for (const filter of filters) {
          const [granted] = await gw.subscribe(filter, { qos: 1 });
          assert.equal(granted.qos, 1, `${filter} granted`);
        }
        const inbox = collector(gw);
        const payload = JSON.stringify({ gateway_data: { method: 'Restart', params: {} } });
        await tp.observer.publishAsync(`gateway/command/${dn}/555`, payload, { qos: 1 });
        const [m] = await inbox.next(1);
        assert.equal(m.topic, `gateway/command/${dn}/555`);
        assert.equal(m.payload.toString(), payload, 'root publishes pass without an envelope');
      } finally {
        await gw.end();
      }
    });

    test('tpgate device: another device\'s filters, wildcards and uplinks are refused (SUBACK 0x80)', TIMEOUT, async () => {
      const gw = await connect(tp.url(transport), { clientId: uniqueId('acl-other'), protocolVersion: 4, reconnect: false, ...tp.voucher(0) });
      try {
        for (const filter of [`gateway/command/${GW2.device_number}/+`, 'gateway/command/+/+', 'gateway/#', '#', 'gateway/telemetry',
          `devices/status/${GW1.device_id}`, `gateway/command/${GW1.device_number}/#`]) {
          await assert.rejects(gw.subscribe(filter), (err) => {
            assert.equal(err.code, 'ERR_SUBSCRIBE_FAILED', `${filter}: ${err.message}`);
            assert.equal(err.granted[0].qos, 0x80);
            return true;
          });
        }
        await tp.waitLog(new RegExp(`subscribe denied: client '${gw.clientId}' \\(device gw-1\\) to 'gateway/command/gw-2/\\+'`));
      } finally {
        await gw.end();
      }
    });

    test('MQTT.js device: only the first filter of a SUBSCRIBE is checked (docs/thingspanel.md#one-filter-per-subscribe)', TIMEOUT, async () => {
      const gw = await mqttConnect(tp.url(transport), tp.voucher(0));
      try {
        const own = `gateway/command/${GW1.device_number}/+`;
        const other = `gateway/command/${GW2.device_number}/+`;
        // First filter allowed: the whole SUBSCRIBE is granted, another device's filter too.
        const granted = await gw.subscribeAsync([own, other], { qos: 1 });
        assert.deepEqual(granted.map((g) => [g.topic, g.qos]), [[own, 1], [other, 1]]);
        await tp.waitLog(/SUBSCRIBE with 2 filters from client '.*' \(device gw-1\): only the first, 'gateway\/command\/gw-1\/\+', is checked.*all 2 are granted/);
        const inbox = collector(gw);
        await tp.observer.publishAsync(`gateway/command/${GW2.device_number}/9`, 'for gw-2', { qos: 1 });
        const [m] = await inbox.next(1);
        assert.equal(m.topic, `gateway/command/${GW2.device_number}/9`, 'the unchecked filter really delivers');

        // First filter refused: every filter of the SUBSCRIBE is refused, its own too.
        const own2 = `gateway/attributes/set/${GW1.device_number}/+`;
        // MQTT.js rejects a SUBACK with a failure and carries the packet on the error.
        await assert.rejects(gw.subscribeAsync([`gateway/attributes/set/${GW2.device_number}/+`, own2], { qos: 1 }), (err) => {
          assert.deepEqual(err.packet?.granted, [128, 128], err.message);
          return true;
        });
        await tp.waitLog(/SUBSCRIBE with 2 filters .*only the first, 'gateway\/attributes\/set\/gw-2\/\+', is checked.*all 2 are refused/);
        const before = inbox.got.length;
        await tp.observer.publishAsync(`gateway/attributes/set/${GW1.device_number}/3`, 'x', { qos: 1 });
        await settle();
        assert.equal(inbox.got.length, before, 'the refused own filter delivers nothing');
      } finally {
        await gw.endAsync();
      }
    });
  });
}

describe('root is not checked', () => {
  test('root may publish and subscribe anywhere, devices/status included', TIMEOUT, async () => {
    const other = await mqttConnect(tp.url('ws'), tp.root());
    try {
      const [g] = await other.subscribeAsync(['devices/status/#', 'gateway/#'], { qos: 1 });
      assert.equal(g.qos, 1);
      const inbox = collector(other);
      await tp.observer.publishAsync('devices/status/made-up', '1', { qos: 1 });
      const [m] = await inbox.next(1);
      assert.deepEqual([m.topic, m.payload.toString()], ['devices/status/made-up', '1']);
    } finally {
      await other.endAsync();
    }
  });
});

// The dev broker keeps its own copy of the ThingsPanel topic table (it runs
// without the wasm); the core's table is the reference, and the two must not drift.
test('the ACL topic table is the core topic table', async () => {
  const { loadTpgateGateway } = await import('tpgate/gateway');
  const { loadTpgatePlatform } = await import('tpgate/platform');
  const { UPLINK_TOPICS, DOWNLINK_FILTERS } = await import('tpgate/broker');
  const gateway = new (await loadTpgateGateway({})).GatewayRole({ deviceNumber: 'gw-acl' });
  const platform = new (await loadTpgatePlatform({})).PlatformRole({});
  try {
    const downlink = gateway.subscriptions();
    assert.equal(downlink.ok, true);
    assert.deepEqual(downlink.filters, DOWNLINK_FILTERS.map((f) => f.replace('{dn}', 'gw-acl')));
    const uplink = platform.subscriptions();
    assert.equal(uplink.ok, true);
    // The platform also hears the broker's own devices/status/+, which no device may publish.
    assert.deepEqual(uplink.filters.filter((f) => !f.startsWith('devices/status/')), [...UPLINK_TOPICS]);
  } finally {
    gateway.delete();
    platform.delete();
  }
});
