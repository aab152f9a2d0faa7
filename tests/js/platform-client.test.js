// connectPlatform() against a real mosquitto, with MQTT.js playing the
// gateway (code that is not ours on the other side).
// MQTT.js publishes telemetry, attribute reports, enveloped payloads and
// status, and answers commands; the platform client must route, ack and
// correlate them. Plain mosquitto adds no envelope, so the platform knows the
// sender of un-enveloped messages only through the defaultGateway option.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import mqtt from 'mqtt';
import { InvalidOptionError, TpgateError } from 'tpgate';
import { connectPlatform, loadTpgatePlatform, PlatformClient } from 'tpgate/platform';
import { Emitter } from '../../npm/src/emitter.js';
import { collectEvents } from './helpers/events.js';
import { startMosquitto } from './helpers/mosquitto.js';

const TIMEOUT = { timeout: 20_000 };
const DN = 'gw-1';

const SEED_TELEMETRY = {
  gateway_data: { temperature: 26.0, version: '2.0.0', switch: true },
  sub_device_data: { device_001: { temperature: 25.0, humidity: 70.0 } },
  sub_gateway_data: {
    gateway_001: {
      gateway_data: { temperature: 28.0, version: '1.5.0', switch: true },
      sub_device_data: { sensor_101: { temperature: 27.5, humidity: 55.0 } },
    },
  },
};

let broker;
before(async () => {
  broker = await startMosquitto();
});
after(async () => {
  await broker?.stop();
});

// Resolves with the first MQTT.js message whose topic passes `match`.
function nextMessage(client, match) {
  return new Promise((resolve) => {
    const listener = (topic, payload) => {
      if (!match(topic)) return;
      client.off('message', listener);
      resolve({ topic, payload: payload.toString() });
    };
    client.on('message', listener);
  });
}

// A platform client and an MQTT.js "gateway", both ended when the test ends.
async function setup(t, platformOptions = {}) {
  const pf = await connectPlatform(broker.tcpUrl, { defaultGateway: DN, ...platformOptions });
  t.after(() => pf.end());
  const gw = await mqtt.connectAsync(broker.tcpUrl, { clientId: `mqttjs-gw-${process.hrtime.bigint()}` });
  t.after(() => gw.endAsync());
  return { pf, gw };
}

describe('connectPlatform with MQTT.js as the gateway (mosquitto)', () => {
  test('returns a PlatformClient over a connected MQTT client', TIMEOUT, async (t) => {
    const { pf } = await setup(t);
    assert.ok(pf instanceof PlatformClient);
    assert.equal(pf.client.connected, true);
  });

  test('multi-level telemetry becomes one telemetry event per target', TIMEOUT, async (t) => {
    const { pf, gw } = await setup(t);
    const events = collectEvents(pf, 'telemetry', 4);
    await gw.publishAsync('gateway/telemetry', JSON.stringify(SEED_TELEMETRY), { qos: 1 });
    const got = await events;
    const byPath = new Map(got.map((e) => [e.target.name, e]));
    assert.deepEqual([...byPath.keys()].sort(), ['device_001', 'gateway', 'gateway_001', 'gateway_001/sensor_101'].sort());
    for (const e of got) {
      assert.equal(e.gateway, DN);
      assert.equal(typeof e.ts, 'number');
    }
    assert.deepEqual(byPath.get('gateway').values, SEED_TELEMETRY.gateway_data);
    assert.deepEqual(byPath.get('gateway').target, { path: [], subGateways: [], name: 'gateway' });
    assert.deepEqual(byPath.get('device_001').values, SEED_TELEMETRY.sub_device_data.device_001);
    assert.deepEqual(byPath.get('gateway_001').target, { path: ['gateway_001'], subGateways: ['gateway_001'], name: 'gateway_001' });
    assert.deepEqual(byPath.get('gateway_001').values, SEED_TELEMETRY.sub_gateway_data.gateway_001.gateway_data);
    const sensor = byPath.get('gateway_001/sensor_101');
    assert.deepEqual(sensor.target, {
      path: ['gateway_001', 'sensor_101'], subGateways: ['gateway_001'], subDevice: 'sensor_101', name: 'gateway_001/sensor_101',
    });
    assert.deepEqual(sensor.values, { temperature: 27.5, humidity: 55.0 });

    // The per-device view holds the latest values.
    const view = pf.device(DN, ['gateway_001', 'sensor_101']);
    assert.equal(view.telemetry.temperature.value, 27.5);
    assert.equal(view.telemetry.humidity.value, 55.0);
    assert.equal(pf.device(DN, { subGateways: ['gateway_001'] }).telemetry.version.value, '1.5.0');
    // An event's target passes back as a request/view target.
    assert.equal(pf.device(DN, byPath.get('gateway_001').target).telemetry.temperature.value, 28.0);
    assert.equal(pf.device(DN, sensor.target).telemetry.temperature.value, 27.5);
    assert.equal(pf.device('nobody', []), null);
  });

  test('an attribute report is acked on gateway/attributes/response/{dn}/{mid}', TIMEOUT, async (t) => {
    const { pf, gw } = await setup(t);
    await gw.subscribeAsync(`gateway/attributes/response/${DN}/+`, { qos: 1 });
    const ack = nextMessage(gw, (topic) => topic.startsWith('gateway/attributes/response/'));
    const event = collectEvents(pf, 'attributes', 1);
    await gw.publishAsync('gateway/attributes/1234567', JSON.stringify({ gateway_data: { ip: '10.0.0.7' } }), { qos: 1 });
    const [attributes] = await event;
    assert.equal(attributes.gateway, DN);
    assert.equal(attributes.messageId, '1234567');
    assert.deepEqual(attributes.values, { ip: '10.0.0.7' });
    const { topic, payload } = await ack;
    assert.equal(topic, `gateway/attributes/response/${DN}/1234567`);
    const body = JSON.parse(payload);
    assert.equal(body.result, 0);
    assert.equal(body.message, 'success');
    assert.equal(typeof body.ts, 'number');
  });

  test('an event report becomes an event and is acked', TIMEOUT, async (t) => {
    const { pf, gw } = await setup(t);
    await gw.subscribeAsync(`gateway/event/response/${DN}/+`, { qos: 1 });
    const ack = nextMessage(gw, (topic) => topic.startsWith('gateway/event/response/'));
    const event = collectEvents(pf, 'event', 1);
    const report = { sub_device_data: { device_001: { method: 'Alarm', params: { level: 3 } } } };
    await gw.publishAsync('gateway/event/2222222', JSON.stringify(report), { qos: 1 });
    const [got] = await event;
    assert.equal(got.gateway, DN);
    assert.equal(got.target.name, 'device_001');
    assert.equal(got.method, 'Alarm');
    assert.deepEqual(got.params, { level: 3 });
    assert.equal(got.messageId, '2222222');
    const { topic, payload } = await ack;
    assert.equal(topic, `gateway/event/response/${DN}/2222222`);
    assert.equal(JSON.parse(payload).result, 0);
    assert.equal(pf.device(DN, ['device_001']).events[0].method, 'Alarm');
  });

  test('an enveloped publish is unwrapped and names its gateway', TIMEOUT, async (t) => {
    const { pf, gw } = await setup(t);
    const event = collectEvents(pf, 'telemetry', 1);
    const inner = JSON.stringify({ gateway_data: { temperature: 21.5 } });
    const envelope = { device_id: 'gw-env', values: Buffer.from(inner).toString('base64') };
    await gw.publishAsync('gateway/telemetry', JSON.stringify(envelope), { qos: 1 });
    const [telemetry] = await event;
    assert.equal(telemetry.gateway, 'gw-env');
    assert.equal(telemetry.target.name, 'gateway');
    assert.deepEqual(telemetry.values, { temperature: 21.5 });
  });

  test('sendCommand resolves with the gateway\'s success response', TIMEOUT, async (t) => {
    const { pf, gw } = await setup(t);
    await gw.subscribeAsync(`gateway/command/${DN}/+`, { qos: 1 });
    const received = [];
    gw.on('message', (topic, payload) => {
      if (!topic.startsWith(`gateway/command/${DN}/`)) return;
      const mid = topic.split('/').pop();
      received.push({ topic, body: JSON.parse(payload.toString()) });
      const response = { result: 0, message: 'success', ts: Math.floor(Date.now() / 1000), method: 'Calibrate' };
      gw.publish(`gateway/command/response/${mid}`, JSON.stringify(response), { qos: 1 });
    });
    const { result, response, rttMs } = await pf.sendCommand(DN, ['gateway_001', 'sensor_101'], 'Calibrate', { offset: 0.5 });
    assert.equal(result, 0);
    assert.equal(response.method, 'Calibrate');
    assert.ok(rttMs >= 0);
    assert.equal(received.length, 1);
    assert.match(received[0].topic, new RegExp(`^gateway/command/${DN}/[^/]+$`));
    assert.deepEqual(received[0].body, {
      sub_gateway_data: { gateway_001: { sub_device_data: { sensor_101: { method: 'Calibrate', params: { offset: 0.5 } } } } },
    });
  });

  test('sendCommand rejects ERR_REQUEST_FAILED on a failure response', TIMEOUT, async (t) => {
    const { pf, gw } = await setup(t);
    await gw.subscribeAsync(`gateway/command/${DN}/+`, { qos: 1 });
    gw.on('message', (topic) => {
      if (!topic.startsWith(`gateway/command/${DN}/`)) return;
      const response = { result: 1, errcode: 'INVALID_PARAM', message: 'offset out of range', ts: Math.floor(Date.now() / 1000) };
      gw.publish(`gateway/command/response/${topic.split('/').pop()}`, JSON.stringify(response), { qos: 1 });
    });
    await assert.rejects(pf.sendCommand(DN, [], 'Calibrate', { offset: 99 }), (err) => {
      assert.ok(err instanceof TpgateError);
      assert.equal(err.code, 'ERR_REQUEST_FAILED');
      assert.equal(err.errcode, 'INVALID_PARAM');
      assert.equal(err.response.result, 1);
      assert.equal(err.response.message, 'offset out of range');
      assert.match(err.message, /offset out of range/);
      return true;
    });
  });

  test('a command nobody answers rejects ERR_TIMEOUT', TIMEOUT, async (t) => {
    const { pf } = await setup(t, { requestTimeout: 200 });
    await assert.rejects(pf.sendCommand(DN, ['sensor_001'], 'Reboot'), (err) => {
      assert.equal(err.code, 'ERR_TIMEOUT');
      assert.match(err.message, /timed out/);
      return true;
    });
  });

  test('sendAttributeSet and sendControl reach the gateway', TIMEOUT, async (t) => {
    const { pf, gw } = await setup(t);
    await gw.subscribeAsync(`gateway/attributes/set/${DN}/+`, { qos: 1 });
    await gw.subscribeAsync(`gateway/telemetry/control/${DN}`, { qos: 1 });
    gw.on('message', (topic) => {
      if (!topic.startsWith(`gateway/attributes/set/${DN}/`)) return;
      const response = { result: 0, message: 'success', ts: Math.floor(Date.now() / 1000) };
      gw.publish(`gateway/attributes/set/response/${topic.split('/').pop()}`, JSON.stringify(response), { qos: 1 });
    });
    const set = await pf.sendAttributeSet(DN, ['device_001'], { interval: 30 });
    assert.equal(set.result, 0);

    const control = nextMessage(gw, (topic) => topic === `gateway/telemetry/control/${DN}`);
    await pf.sendControl(DN, [], { switch: false });
    assert.deepEqual(JSON.parse((await control).payload), { gateway_data: { switch: false } });
  });

  test('sendAttributeGet resolves with the attribute report that answers it', TIMEOUT, async (t) => {
    const { pf, gw } = await setup(t);
    await gw.subscribeAsync(`gateway/attributes/get/${DN}`, { qos: 1 });
    const asked = [];
    gw.on('message', (topic, payload) => {
      if (topic !== `gateway/attributes/get/${DN}`) return;
      asked.push(JSON.parse(payload.toString()));
      const report = { gateway_data: { ip: '10.0.0.7', version: '2.0.0' } };
      gw.publish('gateway/attributes/7654321', JSON.stringify(report), { qos: 1 });
    });
    const got = await pf.sendAttributeGet(DN, [], ['ip']);
    assert.equal(got.result, 0);
    assert.ok(got.rttMs >= 0);
    assert.deepEqual(got.report, { gateway_data: { ip: '10.0.0.7', version: '2.0.0' } });
    assert.deepEqual(asked, [{ gateway_data: ['ip'] }]);
  });

  test('devices/status/{id} 1 and 0 become status events', TIMEOUT, async (t) => {
    const { pf, gw } = await setup(t);
    const events = collectEvents(pf, 'status', 2);
    await gw.publishAsync('devices/status/dev-9', '1', { qos: 1 });
    await gw.publishAsync('devices/status/dev-9', '0', { qos: 1 });
    assert.deepEqual(await events, [
      { deviceId: 'dev-9', online: true },
      { deviceId: 'dev-9', online: false },
    ]);
    assert.equal(pf.online('dev-9'), false);
    assert.equal(pf.online('never-seen'), null);
  });

  test('a malformed report is an error event; the client keeps working', TIMEOUT, async (t) => {
    const { pf, gw } = await setup(t);
    const errors = collectEvents(pf, 'error', 1);
    await gw.publishAsync('gateway/telemetry', 'not json', { qos: 1 });
    const [err] = await errors;
    assert.equal(err.code, 'ERR_BAD_MESSAGE');
    assert.equal(err.topic, 'gateway/telemetry');
    const next = collectEvents(pf, 'telemetry', 1);
    await gw.publishAsync('gateway/telemetry', JSON.stringify({ gateway_data: { ok: 1 } }), { qos: 1 });
    assert.deepEqual((await next)[0].values, { ok: 1 });
  });

  test('bad platform options reject with InvalidOptionError naming the option', TIMEOUT, async () => {
    await assert.rejects(connectPlatform(broker.tcpUrl, { ackTopics: 'nope' }), (err) => {
      assert.ok(err instanceof InvalidOptionError);
      assert.equal(err.option, 'ackTopics');
      return true;
    });
    await assert.rejects(connectPlatform(broker.tcpUrl, { shareGroup: 'a/b' }), (err) => {
      assert.ok(err instanceof InvalidOptionError);
      assert.equal(err.option, 'shareGroup');
      return true;
    });
    await assert.rejects(connectPlatform(broker.tcpUrl, { requestTimeout: 'soon' }), (err) => {
      assert.equal(err.option, 'requestTimeout');
      return true;
    });
  });
});

// The receive path without a broker: a fake MQTT client feeds messages to a
// PlatformClient built over the module as connectPlatform() builds it (the
// scratch area in, one frame out per message), so that every record kind of
// the frame (bindings/session_packed.hpp) is written by the C++ and read by
// npm/src/packed.js: publication, JSON event, telemetry (fast and full
// path), device and key, and the value tags.
class FakeClient extends Emitter {
  constructor() {
    super();
    this.published = [];
  }

  publish(topic, payload, options) {
    this.published.push({ topic, payload, options });
    return Promise.resolve();
  }

  end() {
    return Promise.resolve();
  }
}

describe('PlatformClient receive path (fake client)', () => {
  const EVENTS = ['telemetry', 'attributes', 'event', 'status', 'warning', 'error'];

  async function platformFor(t, roleOptions = {}) {
    const tpgate = await loadTpgatePlatform({});
    const fake = new FakeClient();
    const pf = new PlatformClient(fake, new tpgate.PlatformRole(roleOptions), tpgate);
    const seen = [];
    for (const name of EVENTS) {
      pf.on(name, (e) => seen.push(name === 'error' ? { name, code: e.code, message: e.message } : { name, e }));
    }
    t.after(() => pf.end(true));
    return { fake, pf, seen };
  }

  const b64 = (text) => Buffer.from(text).toString('base64');
  const HISTORICAL = { gateway_data: [{ ts: 1700000000, values: { t: 1 } }, { ts: 1700000001000, values: { t: 2 } }] };
  let deep = { gateway_data: { x: 1 } };
  for (let i = 6; i >= 1; i--) deep = { sub_gateway_data: { [`g${i}`]: deep } };
  const MESSAGES = [
    ['gateway/telemetry', JSON.stringify(SEED_TELEMETRY)],
    ['gateway/telemetry', JSON.stringify({ device_id: 'dev-9', values: b64(JSON.stringify(SEED_TELEMETRY)) })],
    ['gateway/telemetry', JSON.stringify(HISTORICAL)],
    ['gateway/telemetry', JSON.stringify(deep)],
    ['gateway/telemetry', '{"gateway_data":{"b":1,"a":"é \\"q\\" \\u0001","z":null,"m":-0,"n":1e3,"o":-0.0},"extra":1}'],
    ['gateway/telemetry', '{"gateway_data":{"t":1}'],
    ['gateway/telemetry', JSON.stringify({ device_id: 'dev-9', values: 'not base64!' })],
    ['gateway/attributes/0000001', JSON.stringify({ gateway_data: { ip: '10.0.0.1' }, sub_device_data: { s1: { v: '1.0' } } })],
    ['gateway/event/0000002', JSON.stringify({ sub_device_data: { s1: { method: 'Boot', params: { mode: 'normal' } } } })],
    ['devices/status/dev-9', '1'],
    ['devices/status/dev-9', 'maybe'],
    ['gateway/nothing', '{}'],
  ];

  test('every record kind of the frame reads back as the role wrote it', TIMEOUT, async (t) => {
    const fast = await platformFor(t, { defaultGateway: DN });
    for (const [topic, text] of MESSAGES) fast.fake.emit('message', topic, new TextEncoder().encode(text));
    // Telemetry of the seed, plain and enveloped: what JSON.parse and a walk give.
    const telemetry0 = fast.seen.filter((s) => s.name === 'telemetry').map((s) => s.e);
    const seedValues = [SEED_TELEMETRY.gateway_data, ...Object.values(SEED_TELEMETRY.sub_device_data),
      SEED_TELEMETRY.sub_gateway_data.gateway_001.gateway_data, SEED_TELEMETRY.sub_gateway_data.gateway_001.sub_device_data.sensor_101];
    assert.deepEqual(telemetry0.slice(0, 4).map((e) => e.values), seedValues);
    assert.deepEqual(telemetry0.slice(4, 8).map((e) => e.values), seedValues);
    assert.deepEqual(telemetry0.slice(0, 8).map((e) => e.gateway), [DN, DN, DN, DN, 'dev-9', 'dev-9', 'dev-9', 'dev-9']);
    for (const e of telemetry0) assert.equal(typeof e.ts, 'number');
    // The acks: publication records.
    assert.deepEqual(fast.fake.published.map((p) => [p.topic, JSON.parse(p.payload).result, p.options]), [
      [`gateway/attributes/response/${DN}/0000001`, 0, { qos: 1, retain: false }],
      [`gateway/event/response/${DN}/0000002`, 0, { qos: 1, retain: false }],
    ]);
    assert.deepEqual(fast.seen.filter((s) => s.name === 'status').map((s) => s.e), [{ deviceId: 'dev-9', online: true }]);
    const attributes = fast.seen.find((s) => s.name === 'attributes').e;
    assert.deepEqual([attributes.target.name, attributes.values, attributes.messageId], ['gateway', { ip: '10.0.0.1' }, '0000001']);
    const event = fast.seen.find((s) => s.name === 'event').e;
    assert.deepEqual([event.target.name, event.method, event.params], ['s1', 'Boot', { mode: 'normal' }]);
    // Spot checks of the shapes.
    const telemetry = telemetry0;
    assert.deepEqual(telemetry[0].target, { path: [], subGateways: [], name: 'gateway' });
    assert.deepEqual(telemetry[3].target, {
      path: ['gateway_001', 'sensor_101'], subGateways: ['gateway_001'], subDevice: 'sensor_101', name: 'gateway_001/sensor_101',
    });
    assert.equal(telemetry[4].gateway, 'dev-9');
    const historical = telemetry.filter((e) => e.gateway === DN && e.values.t !== undefined && e.target.name === 'gateway');
    assert.deepEqual(historical.map((e) => [e.values.t, e.ts]), [[1, 1700000000000], [2, 1700000001000]]);
    const odd = telemetry.find((e) => 'm' in e.values);
    // Keys sorted, numbers as JSON.parse of the full parser's text gives them (-0 an integer: 0).
    assert.deepEqual(Object.keys(odd.values), ['a', 'b', 'm', 'n', 'o', 'z']);
    assert.ok(Object.is(odd.values.m, 0));
    assert.ok(Object.is(odd.values.o, -0));
    assert.equal(odd.values.n, 1000);
    assert.equal(odd.values.a, 'é "q" \u0001');
    const names = fast.seen.map((s) => s.name);
    // The warning about the 6-deep message comes before its telemetry.
    const warnAt = fast.seen.findIndex((s) => s.name === 'warning' && /nesting/.test(s.e.message));
    assert.ok(warnAt >= 0 && fast.seen[warnAt + 1].name === 'telemetry' && fast.seen[warnAt + 1].e.target.name === 'g1/g2/g3/g4/g5/g6');
    assert.ok(names.includes('attributes') && names.includes('event') && names.includes('status'));
    assert.equal(fast.seen.filter((s) => s.name === 'error').length, 4);
    assert.equal(fast.fake.published.length, 2); // the attribute and event acks
  });

  test('values cross the frame as JSON.parse gives them', TIMEOUT, async (t) => {
    const { fake, seen } = await platformFor(t, { defaultGateway: DN });
    const send = (text) => fake.emit('message', 'gateway/telemetry', new TextEncoder().encode(text));
    const many = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i % 7 === 0 ? `v${i}` : i / 4]));
    const payloads = [
      // The fast path: flat objects of plain scalars.
      '{"gateway_data":{"__proto__":1,"constructor":"c","long":"a string longer than twenty-four bytes","温度":"é 𐍈","n":-0.0,"z":0,"big":123456789012345678,"t":true,"f":false,"x":null}}',
      // The full path: exponents, escapes, historical records.
      '{"gateway_data":{"e":1e300,"s":"q\\"\\u0001","tiny":5e-324,"-":-1.5e-7}}',
      '{"gateway_data":[{"ts":1700000000000,"values":{"__proto__":"p","m":true}}]}',
      // More keys than the key table holds: the rest are written in place.
      JSON.stringify({ gateway_data: many }),
      JSON.stringify({ sub_gateway_data: { g: { sub_device_data: { s: many } } } }),
    ];
    for (const text of payloads) send(text);
    const got = seen.filter((s) => s.name === 'telemetry').map((s) => s.e.values);
    const want = payloads.map((text) => {
      const m = JSON.parse(text);
      if (Array.isArray(m.gateway_data)) return m.gateway_data[0].values;
      return m.gateway_data ?? m.sub_gateway_data.g.sub_device_data.s;
    });
    assert.equal(got.length, want.length, JSON.stringify(seen.filter((s) => s.name !== 'telemetry')));
    for (let i = 0; i < want.length; i++) {
      assert.deepStrictEqual(got[i], want[i], `payload ${i}`);
      assert.deepStrictEqual(Object.keys(got[i]).sort(), Object.keys(want[i]).sort());
    }
    assert.ok(Object.hasOwn(got[0], '__proto__') && got[0].__proto__ === 1 && Object.getPrototypeOf(got[0]) === Object.prototype);
    assert.ok(Object.is(got[0].n, -0));
    // One frozen target object per device, shared by its events.
    const targets = seen.filter((s) => s.name === 'telemetry').map((s) => s.e.target);
    assert.equal(targets[0], targets[3]);
    assert.ok(Object.isFrozen(targets[0]) && Object.isFrozen(targets[0].path));
    assert.deepEqual(targets[4], { path: ['g', 's'], subGateways: ['g'], subDevice: 's', name: 'g/s' });
  });

  test('errors carry what they are about as fields', TIMEOUT, async (t) => {
    const { fake, pf, seen } = await platformFor(t, { defaultGateway: DN });
    fake.emit('message', 'gateway/telemetry', new TextEncoder().encode('{"gateway_data":{"ok":1,"o":{"x":1}}}'));
    const [bad] = seen.filter((s) => s.name === 'error');
    assert.equal(bad.code, 'ERR_BAD_MESSAGE');
    assert.equal(bad.message, 'gateway/telemetry: gateway_data.o: expected a number, string, boolean or null');
    const errors = [];
    pf.on('error', (err) => errors.push(err));
    fake.emit('message', 'gateway/telemetry', new TextEncoder().encode('{"sub_device_data":{"s":{"t":[1]}}}'));
    assert.equal(errors[0].path, 'sub_device_data.s.t');
    assert.equal(errors[0].topic, 'gateway/telemetry');
    // A bad argument names its option from the error's path, not its text.
    await assert.rejects(pf.sendCommand(DN, { subGateways: [''] }, 'Ping'), (err) => {
      assert.ok(err instanceof InvalidOptionError);
      assert.equal(err.option, 'target');
      return true;
    });
    await assert.rejects(pf.sendCommand(DN, { subDevice: 5 }, 'Ping'), (err) => err.option === 'target.subDevice');
    await assert.rejects(pf.sendAttributeGet(DN, ['s1'], ['k'], { shape: 'keys' }), (err) => err.option === 'target');
  });

  test('a request sent from a telemetry listener still times out', TIMEOUT, async (t) => {
    const fast = await platformFor(t, { defaultGateway: DN, requestTimeout: 50 });
    let sent = null;
    fast.pf.once('telemetry', () => {
      sent = fast.pf.sendCommand(DN, [], 'Ping', {});
    });
    fast.fake.emit('message', 'gateway/telemetry', new TextEncoder().encode(JSON.stringify(SEED_TELEMETRY)));
    assert.ok(sent, 'the listener ran');
    await assert.rejects(sent, (err) => err instanceof TpgateError && err.code === 'ERR_TIMEOUT');
  });
});
