// Data scripts in the platform client (docs/thingspanel.md#data-scripts)
// against a real mosquitto, with MQTT.js as a gateway that speaks a custom
// format: upload scripts turn its payloads into the standard tree before the
// split, download scripts turn built downlinks into its format, responses are
// never scripted.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import mqtt from 'mqtt';
import { connectPlatform, ScriptError } from 'tpgate/platform';
import { collectEvents } from './helpers/events.js';
import { startMosquitto } from './helpers/mosquitto.js';

const TIMEOUT = { timeout: 20_000 };
const DN = 'gw-1';

// The gateway reports {"readings":[{"dev":"", "key":"temp", "raw":251}, ...]} (raw = value * 10).
const TELEMETRY_UP = `
local json = require("json")
function encodeInp(msg, topic)
  local data = json.decode(msg)
  local out = { gateway_data = {}, sub_device_data = {} }
  for _, r in ipairs(data.readings) do
    local body = out.gateway_data
    if r.dev ~= "" then
      out.sub_device_data[r.dev] = out.sub_device_data[r.dev] or {}
      body = out.sub_device_data[r.dev]
    end
    body[r.key] = r.raw / 10
  end
  return json.encode(out)
end`;

// Commands go out as "CMD <method> <device> <params as JSON>".
const COMMAND_DOWN = `
local json = require("json")
function encodeInp(msg, topic)
  local body = json.decode(msg)
  if body.gateway_data then
    return "CMD " .. body.gateway_data.method .. " - " .. json.encode(body.gateway_data.params)
  end
  for addr, cmd in pairs(body.sub_device_data) do
    if cmd.method == "Fail" then error("cannot encode " .. cmd.method) end
    return "CMD " .. cmd.method .. " " .. addr .. " " .. json.encode(cmd.params)
  end
end`;

// A configurations file (docs/configurations.md), as the dev broker reads it too.
const CONFIGURATIONS = {
  configurations: [{ id: 'custom-gw', scripts: { telemetry_up: { content: TELEMETRY_UP, enabled: true }, command_down: { content: COMMAND_DOWN } } }],
  devices: [{ device_id: 'f0e1d2c3-0000-4000-8000-000000000001', device_number: DN, username: DN, configuration: 'custom-gw' }],
};

let broker;
before(async () => {
  broker = await startMosquitto();
});
after(async () => {
  await broker?.stop();
});

async function setup(t, options = {}) {
  const pf = await connectPlatform(broker.tcpUrl, { defaultGateway: DN, configurations: CONFIGURATIONS, ...options });
  t.after(() => pf.end());
  const gw = await mqtt.connectAsync(broker.tcpUrl, { clientId: `custom-gw-${process.hrtime.bigint()}` });
  t.after(() => gw.endAsync());
  return { pf, gw };
}

test('an upload script turns a custom payload into the standard targets', TIMEOUT, async (t) => {
  const { pf, gw } = await setup(t);
  const events = collectEvents(pf, 'telemetry', 2);
  await gw.publishAsync('gateway/telemetry', JSON.stringify({
    readings: [{ dev: '', key: 'volt', raw: 2301 }, { dev: 'sensor_001', key: 'temp', raw: 251 }],
  }), { qos: 1 });
  const got = new Map((await events).map((e) => [e.target.name, e]));
  assert.deepEqual(got.get('gateway').values, { volt: 230.1 });
  assert.deepEqual(got.get('sensor_001').values, { temp: 25.1 });
  assert.equal(got.get('sensor_001').gateway, DN);
  assert.equal(pf.device(DN, ['sensor_001']).telemetry.temp.value, 25.1);
});

test('a failing upload script drops the message with an error naming gateway, type and line', TIMEOUT, async (t) => {
  const { pf, gw } = await setup(t);
  const errors = collectEvents(pf, 'error', 1);
  let telemetry = 0;
  pf.on('telemetry', () => { telemetry++; });
  await gw.publishAsync('gateway/telemetry', '{"no_readings":true}', { qos: 1 });
  const [err] = await errors;
  assert.ok(err instanceof ScriptError, String(err));
  assert.equal(err.code, 'ERR_SCRIPT');
  assert.equal(err.gateway, DN);
  assert.equal(err.scriptType, 'telemetry_up');
  assert.equal(err.configuration, 'custom-gw');
  assert.equal(err.kind, 'runtime');
  assert.equal(err.line, 6);
  assert.match(err.message, /gw-1/);
  assert.match(err.message, /telemetry_up/);
  assert.match(err.luaMessage, /custom-gw\.telemetry_up:6:/);
  // The client goes on: the next good message is used.
  const next = collectEvents(pf, 'telemetry', 1);
  await gw.publishAsync('gateway/telemetry', JSON.stringify({ readings: [{ dev: '', key: 'volt', raw: 10 }] }), { qos: 1 });
  assert.deepEqual((await next)[0].values, { volt: 1 });
  assert.equal(telemetry, 1);
});

test('a download script encodes the command; the plain response completes it', TIMEOUT, async (t) => {
  const { pf, gw } = await setup(t);
  await gw.subscribeAsync(`gateway/command/${DN}/+`, { qos: 1 });
  const received = new Promise((resolve) => gw.once('message', (topic, payload) => resolve({ topic, payload: payload.toString() })));
  const answered = pf.sendCommand(DN, ['valve_7'], 'Open', { percent: 40 });
  const { topic, payload } = await received;
  assert.equal(payload, 'CMD Open valve_7 {"percent":40}');
  const mid = topic.split('/').pop();
  await gw.publishAsync(`gateway/command/response/${mid}`, JSON.stringify({ result: 0, message: 'success', ts: 1, method: 'Open' }), { qos: 1 });
  const result = await answered;
  assert.equal(result.result, 0);
});

test('a failing download script rejects the request and sends nothing', TIMEOUT, async (t) => {
  const { pf, gw } = await setup(t);
  await gw.subscribeAsync(`gateway/command/${DN}/+`, { qos: 1 });
  const first = new Promise((resolve) => gw.once('message', (topic, payload) => resolve(payload.toString())));
  await assert.rejects(pf.sendCommand(DN, ['valve_7'], 'Fail', {}), (err) => {
    assert.ok(err instanceof ScriptError, String(err));
    assert.equal(err.scriptType, 'command_down');
    assert.equal(err.configuration, 'custom-gw');
    assert.equal(err.line, 9);
    assert.match(err.message, /cannot encode Fail/);
    return true;
  });
  // The first command the gateway sees is the next one: the failed one was never published.
  const ok = pf.sendCommand(DN, ['valve_7'], 'Open', {});
  assert.equal(await first, 'CMD Open valve_7 {}');
  ok.catch(() => {});
});

test('setScript: a script that does not compile is refused with its line; null removes', TIMEOUT, async (t) => {
  const { pf, gw } = await setup(t);
  assert.throws(() => pf.setScript('custom-gw', 'command_down', 'function encodeInp(m)\n  return 1 +\nend'), (err) => {
    assert.ok(err instanceof ScriptError);
    assert.equal(err.kind, 'syntax');
    assert.equal(err.line, 3);
    return true;
  });
  assert.throws(() => pf.setScript('custom-gw', 'sideways', 'x'), /unknown script type/);
  pf.setScript('custom-gw', 'telemetry_up', null);
  const events = collectEvents(pf, 'telemetry', 1);
  await gw.publishAsync('gateway/telemetry', JSON.stringify({ gateway_data: { plain: 1 } }), { qos: 1 });
  assert.deepEqual((await events)[0].values, { plain: 1 });
});

test('a bad configurations option is refused before connecting', TIMEOUT, async () => {
  await assert.rejects(connectPlatform(broker.tcpUrl, { configurations: { configurations: {} } }), /configurations must be an array/);
  await assert.rejects(connectPlatform(broker.tcpUrl, {
    configurations: { configurations: [{ id: 'c', scripts: { telemetry_up: { content: 'function encodeInp(' } } }] },
  }), ScriptError);
  await assert.rejects(connectPlatform(broker.tcpUrl, {
    configurations: { configurations: [{ id: 'c', scripts: { telemetry_up: { file: 'up.lua' } } }] },
  }), /loadConfigurationsFile/);
});
