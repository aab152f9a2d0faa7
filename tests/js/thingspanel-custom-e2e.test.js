// A gateway that does not speak the standard format, end to end through the
// dev broker in ThingsPanel mode, as a ThingsPanel user meets one
// (docs/data-scripts.md, docs/configurations.md, docs/scenario.md):
//   1. the emulated gateway registers itself over HTTP (POST /api/v1/device/auth
//      with its configuration's template_secret) and connects with its voucher;
//   2. it publishes on custom topics in a custom format (gateway-side scripts);
//      the broker maps them to the standard topics (topic mapping, enveloped);
//   3. the platform client runs the configuration's upload scripts and gets the
//      same telemetry, attribute and event views as from a standard gateway with
//      the same data, which publishes next to it;
//   4. a command and an attribute set go down through the download scripts and
//      the broker's forwarding to the custom downlink topics, and are answered.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { loadConfigurationsFile, startBroker } from 'tpgate/broker';
import { createEmulator } from 'tpgate/emulator';
import { connectPlatform } from 'tpgate/platform';

const ROOT_PASSWORD = 'e2e-root';
const SECRET = 'custom-template-secret';
const CUSTOM = 'cgw-1';
const STANDARD = 'std-1';
const TIMEOUT = { timeout: 60_000 };

// --- the platform's side: the configuration's scripts (custom -> standard up, standard -> custom down)

// "R|<dev>|<key>|<raw>;..." with raw = value * 10; dev "-" is the gateway itself.
const PLATFORM_TELEMETRY_UP = `
function encodeInp(msg, topic)
  local json = require("json")
  -- An empty table encodes as [] (as on the platform): sub_device_data only when there is one.
  local out = { gateway_data = {} }
  for dev, key, raw in string.gmatch(msg, "R|([^|]+)|([^|]+)|([^;]+);") do
    local body = out.gateway_data
    if dev ~= "-" then
      out.sub_device_data = out.sub_device_data or {}
      out.sub_device_data[dev] = out.sub_device_data[dev] or {}
      body = out.sub_device_data[dev]
    end
    body[key] = tonumber(raw) / 10
  end
  return json.encode(out)
end`;
// "ATTR <standard JSON>" and "EVT <standard JSON>"
const stripPrefix = (prefix) => `
function encodeInp(msg, topic)
  local body = string.match(msg, "^${prefix} (.*)$")
  if body == nil then error("not a ${prefix} frame: " .. msg) end
  return body
end`;
// Commands go down as "CMD <method> <target> <params JSON>", attribute sets as "SET <target> <values JSON>".
const PLATFORM_COMMAND_DOWN = `
local json = require("json")
function encodeInp(msg, topic)
  local body = json.decode(msg)
  if body.gateway_data then return "CMD " .. body.gateway_data.method .. " - " .. json.encode(body.gateway_data.params) end
  for addr, cmd in pairs(body.sub_device_data) do return "CMD " .. cmd.method .. " " .. addr .. " " .. json.encode(cmd.params) end
end`;
const PLATFORM_ATTRIBUTES_DOWN = `
local json = require("json")
function encodeInp(msg, topic)
  local body = json.decode(msg)
  if body.gateway_data then return "SET - " .. json.encode(body.gateway_data) end
  for addr, values in pairs(body.sub_device_data) do return "SET " .. addr .. " " .. json.encode(values) end
end`;

// --- the gateway's side: the inverse, in the emulator's scenario

const GATEWAY_TELEMETRY_UP = `
local json = require("json")
local function keys(t) local k = {} for name in pairs(t) do k[#k + 1] = name end table.sort(k) return k end
function encodeInp(msg, topic)
  local data = json.decode(msg)
  local parts = {}
  local function add(dev, body)
    for _, key in ipairs(keys(body)) do parts[#parts + 1] = "R|" .. dev .. "|" .. key .. "|" .. tostring(body[key] * 10) .. ";" end
  end
  add("-", data.gateway_data or {})
  for _, dev in ipairs(keys(data.sub_device_data or {})) do add(dev, data.sub_device_data[dev]) end
  return table.concat(parts)
end`;
const addPrefix = (prefix) => `function encodeInp(msg, topic) return "${prefix} " .. msg end`;
const GATEWAY_COMMAND_DOWN = `
local json = require("json")
function encodeInp(msg, topic)
  local method, target, params = string.match(msg, "^CMD (%S+) (%S+) (.*)$")
  if method == nil then error("not a command: " .. msg) end
  local call = { method = method, params = json.decode(params) }
  if target == "-" then return json.encode({ gateway_data = call }) end
  return json.encode({ sub_device_data = { [target] = call } })
end`;
const GATEWAY_ATTRIBUTES_DOWN = `
local json = require("json")
function encodeInp(msg, topic)
  local target, values = string.match(msg, "^SET (%S+) (.*)$")
  if target == "-" then return json.encode({ gateway_data = json.decode(values) }) end
  return json.encode({ sub_device_data = { [target] = json.decode(values) } })
end`;

const CONFIGURATIONS = {
  configurations: [{
    id: 'custom-gw',
    name: 'Custom gateway',
    template_secret: SECRET,
    auto_register: true,
    scripts: {
      telemetry_up: { content: PLATFORM_TELEMETRY_UP },
      attributes_up: { content: stripPrefix('ATTR') },
      event_up: { content: stripPrefix('EVT') },
      command_down: { content: PLATFORM_COMMAND_DOWN },
      attributes_down: { content: PLATFORM_ATTRIBUTES_DOWN },
    },
    topic_mappings: [
      { direction: 'up', source_topic: 'site/{device_number}/up', target_topic: 'gateway/telemetry' },
      { direction: 'up', source_topic: 'site/{device_number}/attr/{message_id}', target_topic: 'gateway/attributes/{message_id}' },
      { direction: 'up', source_topic: 'site/{device_number}/event/{message_id}', target_topic: 'gateway/event/{message_id}' },
      { direction: 'down', source_topic: 'site/{device_number}/cmd/{message_id}', target_topic: 'gateway/command/{device_number}/+' },
      { direction: 'down', source_topic: 'site/{device_number}/set/{message_id}', target_topic: 'gateway/attributes/set/{device_number}/+' },
    ],
  }],
  devices: [{ device_id: '0b5e1d2c-0000-4000-8000-00000000a001', device_number: STANDARD, username: STANDARD }],
};

// One device tree and its data, spoken by both gateways.
const GATEWAY_SPEC = {
  telemetry_interval_s: 1,
  telemetry: { temperature: 25.5, humidity: 61 },
  attributes: { firmware: '2.1.0', ip: '10.0.0.7' },
  events: [{ method: 'door_open', params: { door: 2 }, every_s: 1, first_s: 1 }],
  commands: { Restart: {} },
  sub_devices: { sensor_001: { telemetry: { temperature: 21.5 }, attributes: { model: 'TH-1' }, commands: { Calibrate: {} } } },
};

const scenario = (dn, extra = {}) => ({
  name: dn,
  broker: { protocol_version: 4, keepalive_s: 30 },
  gateways: { count: 1, device_number: dn, client_id: '{device_number}', username: '{device_number}' },
  gateway: { ...GATEWAY_SPEC, ...extra },
});

let dir;
let file;
let broker;
let platform;
const emulators = [];

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tpgate-custom-e2e-'));
  file = path.join(dir, 'tp.json');
  await writeFile(file, JSON.stringify(CONFIGURATIONS, null, 2));
  broker = await startBroker({ tcpPort: 0, wsPort: 0, apiPort: 0, thingspanel: file, rootPassword: ROOT_PASSWORD, log: false });
});

after(async () => {
  await platform?.end(true);
  for (const e of emulators) await e.stop?.().catch(() => {});
  await broker?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Resolves when check() returns something truthy, polling; rejects with `what` after `ms`. */
async function eventually(check, what, ms = 20_000, describe = () => '') {
  const until = Date.now() + ms;
  for (;;) {
    const got = check();
    if (got) return got;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what} ${describe()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('a custom-format gateway registers, is mapped and scripted into the standard views, and answers downlinks', TIMEOUT, async () => {
  // The platform: root, the configurations file.
  const errors = [];
  platform = await connectPlatform(broker.urls.tcp, {
    protocolVersion: 4, clientId: 'e2e-platform', username: 'root', password: ROOT_PASSWORD,
    configurations: await loadConfigurationsFile(file),
  });
  platform.on('error', (err) => errors.push(err));

  // The standard gateway: same data, standard topics and format.
  const standard = await createEmulator(scenario(STANDARD), { url: broker.urls.tcp });
  emulators.push(standard);

  // The custom gateway registers itself, then connects with its voucher.
  const custom = await createEmulator(scenario(CUSTOM, {
    format: {
      uplink: { telemetry: 'site/{device_number}/up', attributes: 'site/{device_number}/attr/{message_id}', event: 'site/{device_number}/event/{message_id}' },
      downlink: { command: 'site/{device_number}/cmd/{message_id}', attribute_set: 'site/{device_number}/set/{message_id}' },
      scripts: {
        telemetry_up: { source: GATEWAY_TELEMETRY_UP },
        attributes_up: { source: addPrefix('ATTR') },
        event_up: { source: addPrefix('EVT') },
        command_down: { source: GATEWAY_COMMAND_DOWN },
        attributes_down: { source: GATEWAY_ATTRIBUTES_DOWN },
      },
    },
  }), {
    url: broker.urls.tcp,
    provision: { apiUrl: broker.urls.api, templateSecret: SECRET, vouchersFile: path.join(dir, 'vouchers.json') },
  });
  emulators.push(custom);
  assert.equal(custom.provisioned.registered, 1);
  const voucher = custom.provisioned.vouchers[CUSTOM];
  assert.match(voucher.device_id, /^[0-9a-f-]{36}$/);
  const written = JSON.parse(readFileSync(file, 'utf8')).devices.find((d) => d.device_number === CUSTOM);
  assert.equal(written.device_id, voucher.device_id, 'the broker keeps the registered device in its file');
  assert.equal(written.configuration, 'custom-gw');
  // The platform learns of the new device as the backend would from its database: from the file.
  platform.applyConfigurations(await loadConfigurationsFile(file));
  for (const e of emulators) await e.start();
  await Promise.all(emulators.map((e) => e.waitConnected()));

  // Views: the custom gateway's equal the standard one's, target by target.
  const STD_ID = CONFIGURATIONS.devices[0].device_id;
  const CUSTOM_ID = voucher.device_id;
  const complete = (id) => {
    const gw = platform.device(id, []);
    const dev = platform.device(id, ['sensor_001']);
    return gw && dev && gw.telemetry.temperature && dev.telemetry.temperature && gw.attributes.firmware
      && dev.attributes.model && gw.events.length > 0;
  };
  await eventually(() => complete(STD_ID) && complete(CUSTOM_ID), 'telemetry, attributes and events of both gateways', 20_000,
    () => JSON.stringify({ std: [platform.device(STD_ID, []), platform.device(STD_ID, ['sensor_001'])],
      custom: [platform.device(CUSTOM_ID, []), platform.device(CUSTOM_ID, ['sensor_001'])],
      errors: errors.map((e) => e.message), customStats: custom.stats() }));
  const values = (view) => Object.fromEntries(Object.entries(view).map(([k, v]) => [k, v.value]));
  for (const target of [[], ['sensor_001']]) {
    const s = platform.device(STD_ID, target);
    const c = platform.device(CUSTOM_ID, target);
    assert.deepEqual(values(c.telemetry), values(s.telemetry), `telemetry of ${target.join('/') || 'the gateway'}`);
    assert.deepEqual(values(c.attributes), values(s.attributes), `attributes of ${target.join('/') || 'the gateway'}`);
  }
  assert.deepEqual(values(platform.device(CUSTOM_ID, []).telemetry), { temperature: 25.5, humidity: 61 });
  const event = platform.device(CUSTOM_ID, []).events.at(-1);
  assert.deepEqual([event.method, event.params], ['door_open', { door: 2 }]);

  // Downlinks through the download scripts and the custom topics, answered.
  const command = await platform.sendCommand(CUSTOM, ['sensor_001'], 'Calibrate', { offset: 1 });
  assert.equal(command.result, 0);
  const set = await platform.sendAttributeSet(CUSTOM, [], { mode: 'eco' });
  assert.equal(set.result, 0);
  await eventually(() => platform.device(CUSTOM_ID, []).attributes.mode?.value === 'eco', 'the attribute report after the set');
  // The standard gateway is answered the plain way, by the same platform.
  assert.equal((await platform.sendCommand(STANDARD, [], 'Restart', {})).result, 0);

  assert.deepEqual(errors.filter((e) => e.code === 'ERR_SCRIPT').map((e) => e.message), []);
  const stats = custom.stats();
  assert.equal(stats.script_errors ?? 0, 0);
});
