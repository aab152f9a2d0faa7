// A tpgate gateway (connectGateway) and a tpgate
// platform (connectPlatform) talk to each other through a real mosquitto and
// complete every exchange of the ThingsPanel gateway protocol: telemetry
// (single-layer, multi-level, historical), attribute and event reports with
// their acks, control, attribute set, attribute get in both shapes, and
// commands answered with success and with failure. Each exchange runs for four
// targets: the gateway itself, a direct sub-device, a sub-gateway, and a
// sub-device three sub-gateways down (gw_a -> gw_b -> gw_c -> sensor_x).
//
// Mosquitto adds no envelope, so the platform attributes every uplink to its
// defaultGateway, which is the gateway's deviceNumber.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { TpgateError } from 'tpgate';
import { connectGateway } from 'tpgate/gateway';
import { connectPlatform } from 'tpgate/platform';
import { collectEvents } from './helpers/events.js';
import { startMosquitto } from './helpers/mosquitto.js';

const TIMEOUT = { timeout: 10_000 };
const DN = 'gw-1';

// The four target levels. `report(data)` puts data at the target in the
// gateway client's friendly report shape, `wire(data)` in the protocol's shape
// (what the platform sees), `target` is how the platform addresses it and
// `info` is how both sides describe it in events and handler calls.
const LEVELS = [
  {
    level: 'the gateway itself',
    target: [],
    info: { path: [], subGateways: [], name: 'gateway' },
    report: (data) => ({ gateway: data }),
    wire: (data) => ({ gateway_data: data }),
  },
  {
    level: 'a sub-device',
    target: ['sensor_1'],
    info: { path: ['sensor_1'], subGateways: [], subDevice: 'sensor_1', name: 'sensor_1' },
    report: (data) => ({ subDevices: { sensor_1: data } }),
    wire: (data) => ({ sub_device_data: { sensor_1: data } }),
  },
  {
    level: 'a sub-gateway',
    target: { subGateways: ['gw_a'] },
    info: { path: ['gw_a'], subGateways: ['gw_a'], name: 'gw_a' },
    report: (data) => ({ subGateways: { gw_a: { gateway: data } } }),
    wire: (data) => ({ sub_gateway_data: { gw_a: { gateway_data: data } } }),
  },
  {
    level: 'a sub-device three sub-gateways down',
    target: ['gw_a', 'gw_b', 'gw_c', 'sensor_x'],
    info: {
      path: ['gw_a', 'gw_b', 'gw_c', 'sensor_x'],
      subGateways: ['gw_a', 'gw_b', 'gw_c'],
      subDevice: 'sensor_x',
      name: 'gw_a/gw_b/gw_c/sensor_x',
    },
    report: (data) => ({
      subGateways: { gw_a: { subGateways: { gw_b: { subGateways: { gw_c: { subDevices: { sensor_x: data } } } } } } },
    }),
    wire: (data) => ({
      sub_gateway_data: {
        gw_a: { sub_gateway_data: { gw_b: { sub_gateway_data: { gw_c: { sub_device_data: { sensor_x: data } } } } } },
      },
    }),
  },
];

let broker;
let gw;
let pf;
// Errors either client emits: none is expected in any exchange.
const gatewayErrors = [];
const platformErrors = [];
let seq = 0;

before(async () => {
  broker = await startMosquitto();
  gw = await connectGateway(broker.tcpUrl, { deviceNumber: DN, clientId: 'tpgate-gateway', ackTimeout: 5_000 });
  gw.on('error', (err) => gatewayErrors.push(err));
  pf = await connectPlatform(broker.tcpUrl, { clientId: 'tpgate-platform', defaultGateway: DN, requestTimeout: 5_000 });
  pf.on('error', (err) => platformErrors.push(err));
});

after(async () => {
  await gw?.end();
  await pf?.end();
  await broker?.stop();
});

afterEach(() => {
  gw.onCommand(null).onAttributeSet(null).onAttributeGet(null).onControl(null);
  const errors = [...gatewayErrors.splice(0), ...platformErrors.splice(0)];
  assert.deepEqual(errors.map((e) => `${e.code}: ${e.message}`), [], 'no client emitted an error');
});

// Resolves with the first `count` platform events of `name` that pass `keep`.
const collect = (name, count, keep) => collectEvents(pf, name, count, keep);

// A handler that records its calls and answers with `answer(call)`;
// `called` resolves with the first call.
function recorder(answer) {
  const calls = [];
  let first;
  const called = new Promise((resolve) => {
    first = resolve;
  });
  const handler = (call) => {
    calls.push(call);
    first(call);
    return answer(call);
  };
  return { calls, called, handler };
}

function assertAck(ack) {
  assert.equal(typeof ack.messageId, 'string');
  assert.notEqual(ack.messageId, '');
  assert.equal(typeof ack.rttMs, 'number');
  assert.ok(ack.rttMs >= 0, `rttMs ${ack.rttMs}`);
  assert.equal(ack.family, 'gateway');
}

function assertRtt(rttMs) {
  assert.equal(typeof rttMs, 'number');
  assert.ok(rttMs >= 0, `rttMs ${rttMs}`);
}

describe('a tpgate gateway and a tpgate platform over mosquitto', () => {
  test('multi-level telemetry: one report reaches the platform as one event per target', TIMEOUT, async () => {
    const mark = ++seq;
    const data = LEVELS.map((l, i) => ({ mark, temperature: 20 + i, on: i % 2 === 0 }));
    const report = {
      gateway: data[0],
      subDevices: { sensor_1: data[1] },
      subGateways: {
        gw_a: {
          gateway: data[2],
          subGateways: { gw_b: { subGateways: { gw_c: { subDevices: { sensor_x: data[3] } } } } },
        },
      },
    };
    const events = collect('telemetry', 4, (e) => e.values.mark === mark);
    await gw.reportTelemetry(report);
    const byName = new Map((await events).map((e) => [e.target.name, e]));
    for (const [i, l] of LEVELS.entries()) {
      const e = byName.get(l.info.name);
      assert.ok(e, `no telemetry event for ${l.info.name}`);
      assert.equal(e.gateway, DN);
      assert.deepEqual(e.target, l.info);
      assert.deepEqual(e.values, data[i]);
      assert.equal(typeof e.ts, 'number');
      assert.equal(pf.device(DN, l.target).telemetry.temperature.value, 20 + i);
    }
  });

  for (const l of LEVELS) {
    describe(`target: ${l.level}`, () => {
      test('real-time telemetry', TIMEOUT, async () => {
        const mark = ++seq;
        const values = { mark, temperature: 21.5, humidity: 40, label: `t-${mark}` };
        const events = collect('telemetry', 1, (e) => e.values.mark === mark);
        await gw.reportTelemetry(l.report(values));
        const [e] = await events;
        assert.equal(e.gateway, DN);
        assert.deepEqual(e.target, l.info);
        assert.deepEqual(e.values, values);
        assert.equal(typeof e.ts, 'number');
        const view = pf.device(DN, l.target);
        assert.equal(view.telemetry.label.value, `t-${mark}`);
        assert.equal(view.telemetry.temperature.value, 21.5);
      });

      test('historical telemetry: ts in seconds becomes ms', TIMEOUT, async () => {
        const mark = ++seq;
        const records = [
          { ts: 1609459200, values: { mark, temperature: 25.0 } },
          { ts: 1609462800, values: { mark, temperature: 26.0 } },
        ];
        const events = collect('telemetry', 2, (e) => e.values.mark === mark);
        await gw.reportTelemetry(l.report(records));
        const got = (await events).sort((a, b) => a.ts - b.ts);
        assert.deepEqual(got.map((e) => e.ts), [1609459200000, 1609462800000]);
        assert.deepEqual(got.map((e) => e.values), records.map((r) => r.values));
        for (const e of got) {
          assert.equal(e.gateway, DN);
          assert.deepEqual(e.target, l.info);
        }
      });

      test('attribute report: the platform acks it and reportAttributes resolves', TIMEOUT, async () => {
        const mark = ++seq;
        const values = { mark, ip: '10.0.0.7', version: '2.0.0' };
        const events = collect('attributes', 1, (e) => e.values.mark === mark);
        const ack = await gw.reportAttributes(l.report(values));
        assertAck(ack);
        const [e] = await events;
        assert.equal(e.gateway, DN);
        assert.deepEqual(e.target, l.info);
        assert.deepEqual(e.values, values);
        assert.equal(e.messageId, ack.messageId);
        assert.equal(pf.device(DN, l.target).attributes.ip.value, '10.0.0.7');
      });

      test('real-time event: the platform acks it and reportEvent resolves', TIMEOUT, async () => {
        const mark = ++seq;
        const params = { mark, level: 'high', sensor: 'temperature' };
        const events = collect('event', 1, (e) => e.params?.mark === mark);
        const ack = await gw.reportEvent(l.report({ method: 'AlarmTriggered', params }));
        assertAck(ack);
        const [e] = await events;
        assert.equal(e.gateway, DN);
        assert.deepEqual(e.target, l.info);
        assert.equal(e.method, 'AlarmTriggered');
        assert.deepEqual(e.params, params);
        assert.equal(e.messageId, ack.messageId);
        assert.equal(typeof e.ts, 'number');
        const recent = pf.device(DN, l.target).events;
        assert.ok(recent.some((r) => r.method === 'AlarmTriggered' && r.params.mark === mark));
      });

      test('historical events (ts in s and in ms) are acked and keep their time in ms', TIMEOUT, async () => {
        const mark = ++seq;
        const records = [
          { ts: 1609459200, method: 'SystemStarted', params: { mark, mode: 'normal' } },
          { ts: 1609462800000, method: 'SystemStopped', params: { mark, mode: 'off' } },
        ];
        const events = collect('event', 2, (e) => e.params?.mark === mark);
        const ack = await gw.reportEvent(l.report(records));
        assertAck(ack);
        const got = (await events).sort((a, b) => a.ts - b.ts);
        assert.deepEqual(
          got.map((e) => [e.ts, e.method, e.params]),
          [
            [1609459200000, 'SystemStarted', records[0].params],
            [1609462800000, 'SystemStopped', records[1].params],
          ],
        );
        for (const e of got) {
          assert.deepEqual(e.target, l.info);
          assert.equal(e.messageId, ack.messageId);
        }
      });

      test('control reaches the control handler', TIMEOUT, async () => {
        const mark = ++seq;
        const { calls, called, handler } = recorder(() => undefined);
        gw.onControl(handler);
        await pf.sendControl(DN, l.target, { mark, switch: false, brightness: 80 });
        const call = await called;
        assert.deepEqual(call, { target: l.info, values: { mark, switch: false, brightness: 80 } });
        assert.equal(calls.length, 1);
      });

      test('attribute set answered with success, then with a failure', TIMEOUT, async () => {
        const ok = recorder(() => ({ applied: true }));
        gw.onAttributeSet(ok.handler);
        const set = await pf.sendAttributeSet(DN, l.target, { interval: 30, mode: 'eco' });
        assert.equal(set.result, 0);
        assert.equal(set.response.result, 0);
        assert.equal(set.response.message, 'success');
        assert.equal(typeof set.response.ts, 'number');
        assertRtt(set.rttMs);
        assert.equal(ok.calls.length, 1);
        assert.deepEqual(ok.calls[0].target, l.info);
        assert.deepEqual(ok.calls[0].values, { interval: 30, mode: 'eco' });
        assert.equal(typeof ok.calls[0].messageId, 'string');

        gw.onAttributeSet(() => {
          throw Object.assign(new Error('interval out of range'), { code: 'INVALID_PARAM' });
        });
        await assert.rejects(pf.sendAttributeSet(DN, l.target, { interval: -1 }), (err) => {
          assert.ok(err instanceof TpgateError);
          assert.equal(err.code, 'ERR_REQUEST_FAILED');
          assert.equal(err.errcode, 'INVALID_PARAM');
          assert.equal(err.response.result, 1);
          assert.match(err.response.message, /interval out of range/);
          assertRtt(err.rttMs);
          return true;
        });
      });

      test('attribute get (spec shape) is answered by an attribute report', TIMEOUT, async () => {
        const mark = `v-${++seq}`;
        const { calls, handler } = recorder(({ keys }) => Object.fromEntries(keys.map((k) => [k, `${k}-${mark}`])));
        gw.onAttributeGet(handler);
        const got = await pf.sendAttributeGet(DN, l.target, ['ip', 'version']);
        assert.equal(got.result, 0);
        assertRtt(got.rttMs);
        assert.deepEqual(got.report, l.wire({ ip: `ip-${mark}`, version: `version-${mark}` }));
        assert.equal(calls.length, 1);
        assert.deepEqual(calls[0], { target: l.info, keys: ['ip', 'version'] });
        assert.equal(pf.device(DN, l.target).attributes.version.value, `version-${mark}`);
      });

      if (l.target.length === 0) {
        test('attribute get (backend keys shape) is answered by an attribute report', TIMEOUT, async () => {
          const mark = `k-${++seq}`;
          const { calls, handler } = recorder(({ keys }) => Object.fromEntries(keys.map((k) => [k, `${k}-${mark}`])));
          gw.onAttributeGet(handler);
          const got = await pf.sendAttributeGet(DN, l.target, ['mac'], { shape: 'keys' });
          assert.equal(got.result, 0);
          assertRtt(got.rttMs);
          assert.deepEqual(got.report, { gateway_data: { mac: `mac-${mark}` } });
          assert.deepEqual(calls, [{ target: l.info, keys: ['mac'] }]);
        });
      } else {
        // The backend's {"keys":[...]} body carries no target: it can only ask the gateway itself.
        test('attribute get (backend keys shape) is refused for a target below the gateway', TIMEOUT, async () => {
          const { calls, handler } = recorder(() => ({}));
          gw.onAttributeGet(handler);
          await assert.rejects(pf.sendAttributeGet(DN, l.target, ['mac'], { shape: 'keys' }), (err) => {
            assert.ok(err instanceof TpgateError);
            assert.match(err.message, /top-level gateway/);
            return true;
          });
          assert.equal(calls.length, 0);
        });
      }

      test('command answered with success', TIMEOUT, async () => {
        const { calls, handler } = recorder(async () => ({ rebooted: true }));
        gw.onCommand(handler);
        const got = await pf.sendCommand(DN, l.target, 'Reboot', { delay: 3 });
        assert.equal(got.result, 0);
        assert.equal(got.response.result, 0);
        assert.equal(got.response.message, 'success');
        assert.equal(got.response.method, 'Reboot');
        assert.equal(typeof got.response.ts, 'number');
        assertRtt(got.rttMs);
        assert.equal(calls.length, 1);
        assert.deepEqual(calls[0].target, l.info);
        assert.equal(calls[0].method, 'Reboot');
        assert.deepEqual(calls[0].params, { delay: 3 });
        assert.equal(typeof calls[0].messageId, 'string');
      });

      test('command answered with a failure', TIMEOUT, async () => {
        const { calls, handler } = recorder(async () => {
          throw Object.assign(new Error('offset out of range'), { code: 'INVALID_PARAM' });
        });
        gw.onCommand(handler);
        await assert.rejects(pf.sendCommand(DN, l.target, 'Calibrate', { offset: 99 }), (err) => {
          assert.ok(err instanceof TpgateError);
          assert.equal(err.code, 'ERR_REQUEST_FAILED');
          assert.equal(err.errcode, 'INVALID_PARAM');
          assert.equal(err.response.result, 1);
          assert.equal(err.response.errcode, 'INVALID_PARAM');
          assert.equal(err.response.method, 'Calibrate');
          assert.match(err.response.message, /offset out of range/);
          assertRtt(err.rttMs);
          return true;
        });
        assert.equal(calls.length, 1);
        assert.deepEqual(calls[0].target, l.info);
        assert.deepEqual(calls[0].params, { offset: 99 });

        // No handler at all: the gateway answers NOT_SUPPORTED.
        gw.onCommand(null);
        await assert.rejects(pf.sendCommand(DN, l.target, 'Reboot'), (err) => {
          assert.equal(err.code, 'ERR_REQUEST_FAILED');
          assert.equal(err.errcode, 'NOT_SUPPORTED');
          return true;
        });
      });
    });
  }
});
