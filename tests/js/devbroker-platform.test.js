// A tpgate PlatformClient connected to the dev broker
// as root tells two gateways apart although both publish on the same topics
// (gateway/telemetry, gateway/attributes/{mid}, ...): the broker's envelope
// names the sender's device_id (docs/thingspanel.md#broker-envelope), and the
// platform's deviceNumbers map (the backend's device table) turns it into the
// device_number its acks and downlinks are addressed to. One gateway over TCP,
// the other and the platform over WebSocket.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connectGateway } from 'tpgate/gateway';
import { connectPlatform } from 'tpgate/platform';
import { DEVICES, startThingsPanelBroker, uniqueId } from './helpers/devbroker.js';
import { collectEvents } from './helpers/events.js';

const TIMEOUT = { timeout: 20_000 };
const [GW1, GW2] = DEVICES;
let tp;
let pf;
const gateways = [];
const errors = [];

before(async () => {
  tp = await startThingsPanelBroker();
  pf = await connectPlatform(tp.url('ws'), {
    clientId: uniqueId('platform'), protocolVersion: 4, ...tp.root(), requestTimeout: 5000,
    deviceNumbers: Object.fromEntries(DEVICES.map((d) => [d.device_id, d.device_number])),
  });
  pf.on('error', (err) => errors.push(err));
  for (const [i, transport] of [[0, 'tcp'], [1, 'ws']]) {
    const gw = await connectGateway(tp.url(transport), {
      deviceNumber: DEVICES[i].device_number, clientId: uniqueId(`pf-gw-${i}`), protocolVersion: 4, ackTimeout: 5000, ...tp.voucher(i),
    });
    gw.on('error', (err) => errors.push(err));
    gateways.push(gw);
  }
});
after(async () => {
  for (const gw of gateways) await gw.end();
  await pf?.end();
  await tp?.close();
  assert.deepEqual(errors.map((e) => `${e.code}: ${e.message}`), [], 'no client emitted an error');
});

/** The first `count` platform events of `name` that pass `keep`. */
const collect = (name, count, keep) => collectEvents(pf, name, count, keep);

describe('connectPlatform as root on the ThingsPanel-mode dev broker', () => {
  test('telemetry on the same topic from two gateways is told apart by device_id', TIMEOUT, async () => {
    const mark = uniqueId('mark');
    const events = collect('telemetry', 2, (e) => e.values?.mark === mark);
    await gateways[0].reportTelemetry({ gateway: { mark, temperature: 21 }, subDevices: { sensor_1: { mark: 'other' } } });
    await gateways[1].reportTelemetry({ gateway: { mark, temperature: 22 } });
    const byGateway = new Map((await events).map((e) => [e.gateway, e]));
    assert.deepEqual([...byGateway.keys()].sort(), [GW1.device_id, GW2.device_id].sort());
    assert.equal(byGateway.get(GW1.device_id).values.temperature, 21);
    assert.equal(byGateway.get(GW2.device_id).values.temperature, 22);
    assert.equal(pf.device(GW1.device_id, []).telemetry.temperature.value, 21);
    assert.equal(pf.device(GW2.device_id, []).telemetry.temperature.value, 22);
  });

  test('attribute reports of both gateways are acked to the right device_number', TIMEOUT, async () => {
    const events = collect('attributes', 2, (e) => e.values?.ip !== undefined);
    const [ack1, ack2] = await Promise.all([
      gateways[0].reportAttributes({ gateway: { ip: '10.0.0.1' } }),
      gateways[1].reportAttributes({ gateway: { ip: '10.0.0.2' } }),
    ]);
    assert.ok(ack1.messageId && ack2.messageId);
    const byGateway = new Map((await events).map((e) => [e.gateway, e.values.ip]));
    assert.equal(byGateway.get(GW1.device_id), '10.0.0.1');
    assert.equal(byGateway.get(GW2.device_id), '10.0.0.2');
  });

  test('a command to each gateway reaches that gateway only and its answer comes back', TIMEOUT, async () => {
    const calls = [[], []];
    gateways.forEach((gw, i) => gw.onCommand(({ method, params }) => {
      calls[i].push(method);
      return { answeredBy: DEVICES[i].device_number, ...params };
    }));
    try {
      const r1 = await pf.sendCommand(GW1.device_number, [], 'Ping', { n: 1 });
      const r2 = await pf.sendCommand(GW2.device_number, [], 'Reboot', { n: 2 });
      assert.equal(r1.result, 0);
      assert.equal(r2.result, 0);
      assert.deepEqual(calls, [['Ping'], ['Reboot']]);
    } finally {
      for (const gw of gateways) gw.onCommand(null);
    }
  });

  test('status events name each gateway\'s device_id', TIMEOUT, async () => {
    const events = collect('status', 2, (e) => e.deviceId === GW2.device_id);
    const extra = await connectGateway(tp.url('tcp'), {
      deviceNumber: GW2.device_number, clientId: uniqueId('pf-extra'), protocolVersion: 4, reconnect: false, ...tp.voucher(1),
    });
    await extra.end();
    assert.deepEqual((await events).map((e) => e.online), [true, false]);
    assert.equal(pf.online(GW1.device_id), true);
  });
});
