// connectGateway() against a real mosquitto, with MQTT.js (code that is not
// ours) playing the ThingsPanel platform: it sends every downlink the gateway
// protocol has (command, attribute set, attribute get in both shapes, control),
// reads the gateway's responses and reports, and acks reports on the backend's
// `devices/...` ack family.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import mqtt from 'mqtt';
import { TpgateError } from 'tpgate';
import { connectGateway } from 'tpgate/gateway';
import { startMosquitto } from './helpers/mosquitto.js';

const TIMEOUT = { timeout: 30_000 };
const DN = 'gw-dn-1';

let broker;
let platform;
let gw;
const waiters = new Set();

/** Resolves with the first uplink (received from now on) whose topic matches, parsed as JSON. */
function nextUplink(match) {
  const test = typeof match === 'string' ? (t) => t === match : (t) => match.test(t);
  return new Promise((resolve) => {
    const waiter = { test, resolve };
    waiters.add(waiter);
  });
}

before(async () => {
  broker = await startMosquitto();
  platform = await mqtt.connectAsync(broker.tcpUrl, { clientId: 'platform', protocolVersion: 4 });
  platform.on('message', (topic, payload) => {
    const text = payload.toString('utf8');
    for (const waiter of waiters) {
      if (waiter.test(topic)) {
        waiters.delete(waiter);
        waiter.resolve({ topic, body: JSON.parse(text) });
      }
    }
  });
  await platform.subscribeAsync(['gateway/telemetry', 'gateway/attributes/#', 'gateway/event/+', 'gateway/command/response/+'], {
    qos: 1,
  });
  gw = await connectGateway(broker.tcpUrl, { deviceNumber: DN, clientId: 'gateway-1', username: 'voucher-1' });
});

after(async () => {
  await gw?.end();
  await platform?.endAsync();
  await broker?.stop();
});

/** A command for sensor_101 behind sub-gateway gateway_001, shaped as the backend shapes it. */
function commandFor(method, params) {
  return JSON.stringify({
    sub_gateway_data: { gateway_001: { sub_device_data: { sensor_101: { method, params } } } },
  });
}

describe('connectGateway with MQTT.js as the platform', () => {
  test('subscribes one filter per SUBSCRIBE, both ack families', TIMEOUT, () => {
    assert.ok(gw.subscriptions.includes(`gateway/command/${DN}/+`), gw.subscriptions.join(', '));
    assert.ok(gw.subscriptions.includes(`devices/attributes/response/${DN}/+`));
    assert.ok(gw.subscriptions.includes(`gateway/attributes/response/${DN}/+`));
  });

  test('a command for a sub-device of a sub-gateway: handler result -> result 0', TIMEOUT, async () => {
    const calls = [];
    gw.onCommand(async (call) => {
      calls.push(call);
      return { rebooted: true };
    });
    const response = nextUplink('gateway/command/response/1000001');
    await platform.publishAsync(`gateway/command/${DN}/1000001`, commandFor('Reboot', { delay: 3 }), { qos: 1 });
    const { body } = await response;
    assert.equal(body.result, 0);
    assert.equal(body.message, 'success');
    assert.equal(body.method, 'Reboot');
    assert.equal(typeof body.ts, 'number');
    assert.equal(calls.length, 1);
    assert.deepEqual(calls[0], {
      target: {
        path: ['gateway_001', 'sensor_101'],
        subGateways: ['gateway_001'],
        subDevice: 'sensor_101',
        name: 'gateway_001/sensor_101',
      },
      method: 'Reboot',
      params: { delay: 3 },
      messageId: '1000001',
    });
  });

  test('a command whose handler throws -> result 1 with its errcode and message', TIMEOUT, async () => {
    gw.onCommand(async () => {
      throw Object.assign(new Error('device busy'), { code: 'DEVICE_BUSY' });
    });
    const response = nextUplink('gateway/command/response/1000002');
    await platform.publishAsync(`gateway/command/${DN}/1000002`, commandFor('Reboot', {}), { qos: 1 });
    const { body } = await response;
    assert.equal(body.result, 1);
    assert.equal(body.errcode, 'DEVICE_BUSY');
    assert.match(body.message, /device busy/);
    assert.equal(body.method, 'Reboot');

    gw.onCommand(() => {
      throw new Error('no errcode here');
    });
    const second = nextUplink('gateway/command/response/1000003');
    await platform.publishAsync(`gateway/command/${DN}/1000003`, commandFor('Reboot', {}), { qos: 1 });
    assert.equal((await second).body.errcode, 'INTERNAL_ERROR');
  });

  test('no handler -> failure NOT_SUPPORTED', TIMEOUT, async () => {
    gw.onCommand(null);
    const response = nextUplink('gateway/command/response/1000004');
    await platform.publishAsync(`gateway/command/${DN}/1000004`, commandFor('Reboot', {}), { qos: 1 });
    const { body } = await response;
    assert.equal(body.result, 1);
    assert.equal(body.errcode, 'NOT_SUPPORTED');
  });

  test('attribute set -> response on gateway/attributes/set/response/{mid}', TIMEOUT, async () => {
    const calls = [];
    gw.onAttributeSet(({ target, values, messageId }) => {
      calls.push({ target: target.path, values, messageId });
    });
    const response = nextUplink('gateway/attributes/set/response/2000001');
    await platform.publishAsync(
      `gateway/attributes/set/${DN}/2000001`,
      JSON.stringify({ sub_device_data: { sensor_7: { interval: 30 } } }),
      { qos: 1 },
    );
    const { body } = await response;
    assert.equal(body.result, 0);
    assert.equal(body.method, undefined);
    assert.deepEqual(calls, [{ target: ['sensor_7'], values: { interval: 30 }, messageId: '2000001' }]);
  });

  test('attribute get, spec shape -> an attribute report with the asked keys', TIMEOUT, async () => {
    const asked = [];
    gw.onAttributeGet(({ target, keys }) => {
      asked.push({ target: target.name, keys });
      return target.subDevice === undefined ? { ip: '10.0.0.2' } : { temperature: 21.5 };
    });
    const report = nextUplink(/^gateway\/attributes\/[^/]+$/);
    await platform.publishAsync(
      `gateway/attributes/get/${DN}`,
      JSON.stringify({ gateway_data: ['ip'], sub_device_data: { sensor_001: ['temperature'] } }),
      { qos: 1 },
    );
    const { body } = await report;
    assert.deepEqual(body, { gateway_data: { ip: '10.0.0.2' }, sub_device_data: { sensor_001: { temperature: 21.5 } } });
    assert.deepEqual(asked, [
      { target: 'gateway', keys: ['ip'] },
      { target: 'sensor_001', keys: ['temperature'] },
    ]);
  });

  test('attribute get, backend shape {"keys": [...]} -> the gateway\'s own attributes', TIMEOUT, async () => {
    const asked = [];
    gw.onAttributeGet(({ target, keys }) => {
      asked.push({ target: target.path, keys });
      return { ip: '10.0.0.2', version: '1.2' };
    });
    const report = nextUplink(/^gateway\/attributes\/[^/]+$/);
    await platform.publishAsync(`gateway/attributes/get/${DN}`, JSON.stringify({ keys: ['ip', 'version'] }), { qos: 1 });
    const { body } = await report;
    assert.deepEqual(body, { gateway_data: { ip: '10.0.0.2', version: '1.2' } });
    assert.deepEqual(asked, [{ target: [], keys: ['ip', 'version'] }]);
  });

  test('control reaches the handler with its target and values', TIMEOUT, async () => {
    const got = new Promise((resolve) => gw.onControl(resolve));
    await platform.publishAsync(
      `gateway/telemetry/control/${DN}`,
      JSON.stringify({ sub_gateway_data: { gateway_001: { gateway_data: { switch: 1 } } } }),
      { qos: 1 },
    );
    const { target, values } = await got;
    assert.deepEqual(target.path, ['gateway_001']);
    assert.equal(target.subDevice, undefined);
    assert.deepEqual(values, { switch: 1 });
  });

  test('telemetry arrives as the multi-level JSON reported', TIMEOUT, async () => {
    const arrived = nextUplink('gateway/telemetry');
    await gw.reportTelemetry({
      gateway: { temperature: 25.5 },
      subDevices: { sensor_1: { humidity: 40 } },
      subGateways: {
        gateway_001: {
          gateway: { uptime: 7 },
          subGateways: { gateway_002: { subDevices: { sensor_9: { co2: 410 } } } },
        },
      },
    });
    assert.deepEqual((await arrived).body, {
      gateway_data: { temperature: 25.5 },
      sub_device_data: { sensor_1: { humidity: 40 } },
      sub_gateway_data: {
        gateway_001: {
          gateway_data: { uptime: 7 },
          sub_gateway_data: { gateway_002: { sub_device_data: { sensor_9: { co2: 410 } } } },
        },
      },
    });

    const seedShaped = { gateway_data: { temperature: 26 }, sub_device_data: { sensor_2: { humidity: 41 } } };
    const second = nextUplink('gateway/telemetry');
    await gw.reportTelemetry(seedShaped);
    assert.deepEqual((await second).body, seedShaped);
  });

  test('reportAttributes resolves when the platform acks on devices/attributes/response', TIMEOUT, async () => {
    const arrived = nextUplink(/^gateway\/attributes\/[^/]+$/);
    const acked = gw.reportAttributes({ gateway: { ip: '10.0.0.9' } });
    const { topic, body } = await arrived;
    assert.deepEqual(body, { gateway_data: { ip: '10.0.0.9' } });
    const mid = topic.split('/')[2];
    await platform.publishAsync(
      `devices/attributes/response/${DN}/${mid}`,
      JSON.stringify({ result: 0, message: 'success', ts: Math.floor(Date.now() / 1000) }),
      { qos: 1 },
    );
    const result = await acked;
    assert.equal(result.messageId, mid);
    assert.equal(result.family, 'devices');
  });

  test('a refused report rejects with the platform\'s errcode', TIMEOUT, async () => {
    const arrived = nextUplink(/^gateway\/event\/[^/]+$/);
    // Settled now: the refusal may arrive before the ack's own PUBACK does.
    const acked = gw.reportEvent({ gateway: { method: 'Alarm', params: { level: 2 } } }).then(
      () => assert.fail('the refused report resolved'),
      (err) => err,
    );
    const { topic, body } = await arrived;
    assert.deepEqual(body, { gateway_data: { method: 'Alarm', params: { level: 2 } } });
    const mid = topic.split('/')[2];
    await platform.publishAsync(
      `devices/event/response/${DN}/${mid}`,
      JSON.stringify({ result: 1, errcode: '000', message: 'rejected', ts: 1 }),
      { qos: 1 },
    );
    const err = await acked;
    assert.ok(err instanceof TpgateError, String(err));
    assert.equal(err.code, 'ERR_REPORT_REFUSED');
    assert.equal(err.errcode, '000');
    assert.match(err.message, new RegExp(mid));
  });

  test('an event report that is never acked rejects with ERR_TIMEOUT', TIMEOUT, async () => {
    const short = await connectGateway(broker.tcpUrl, { deviceNumber: 'gw-dn-2', clientId: 'gateway-2', ackTimeout: 200 });
    try {
      const arrived = nextUplink(/^gateway\/event\/[^/]+$/);
      const acked = short.reportEvent({ gateway_data: { method: 'DoorOpen' } });
      acked.catch(() => {}); // checked below; it may time out before the uplink is seen
      const { topic } = await arrived;
      await assert.rejects(acked, (err) => {
        assert.ok(err instanceof TpgateError);
        assert.equal(err.code, 'ERR_TIMEOUT');
        assert.match(err.message, new RegExp(topic.split('/')[2]));
        return true;
      });
    } finally {
      await short.end();
    }
  });

  test('bad options and bad reports are refused with errors that name them', TIMEOUT, async () => {
    await assert.rejects(connectGateway(broker.tcpUrl, {}), (err) => err.code === 'ERR_INVALID_OPTION' && /deviceNumber/.test(err.message));
    await assert.rejects(
      connectGateway(broker.tcpUrl, { deviceNumber: 'a/b' }),
      (err) => err.code === 'ERR_INVALID_OPTION' && err.option === 'deviceNumber' && /'\/'/.test(err.message),
    );
    await assert.rejects(
      connectGateway(broker.tcpUrl, { deviceNumber: 'dn', ackTimeout: -1 }),
      (err) => err.code === 'ERR_INVALID_OPTION' && /ackTimeout/.test(err.message),
    );
    await assert.rejects(gw.reportTelemetry({ sub_device_data: { sensor_1: 5 } }), (err) => {
      assert.ok(err instanceof TpgateError);
      assert.match(err.message, /sub_device_data/);
      return true;
    });
  });
});
