// The emulator's DEFAULT scenario (the seed's
// multi-level gateway) against a real mosquitto, with an MQTT.js client as the
// platform (helpers/platform-peer.js: no tpgate code on that side). Every
// exchange of the gateway protocol is checked on the wire: telemetry at the
// right level for every address, a command to a sub-gateway's sub-device, an
// attribute set and its effect, attribute get in both shapes, a control and
// its effect, events and their acks. Once through the library
// (createEmulator) and once through the CLI (`tpgate emulate` as a child).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { createEmulator, parseScenario } from '../../npm/src/emulator-node.js';
import { startMosquitto } from './helpers/mosquitto.js';
import { startPlatformPeer } from './helpers/platform-peer.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(here, '../../npm/bin/tpgate.js');

let broker;
let scenario; // the normalized default scenario

before(async () => {
  broker = await startMosquitto();
  scenario = await parseScenario();
});
after(() => broker?.stop());

/** Every device of a (sub-)gateway spec: [{path: [...wire keys], telemetry: spec}] */
function devicesOf(gw, prefix = []) {
  const out = [{ where: [...prefix, 'gateway_data'], spec: gw }];
  for (const [addr, dev] of Object.entries(gw.sub_devices ?? {})) out.push({ where: [...prefix, 'sub_device_data', addr], spec: dev });
  for (const [addr, sub] of Object.entries(gw.sub_gateways ?? {})) out.push(...devicesOf(sub, [...prefix, 'sub_gateway_data', addr]));
  return out;
}

const at = (object, where) => where.reduce((o, k) => (o === undefined || o === null ? undefined : o[k]), object);

// A telemetry key whose generator holds a controlled value (random_walk and
// counter go on from it, so their next value differs).
function holdingKey(spec) {
  for (const [key, gen] of Object.entries(spec.telemetry ?? {})) {
    const type = gen?.type ?? 'constant';
    if (type !== 'random_walk' && type !== 'counter') return key;
  }
  return null;
}

function distinctValueLike(value) {
  if (typeof value === 'number') return 4242.5;
  if (typeof value === 'boolean') return !value;
  return 'set-by-control';
}

test('the default scenario is the seed multi-level gateway: sensor_001, sensor_002, gateway_001 with sensor_101', () => {
  assert.ok(scenario.gateway.sub_devices.sensor_001, 'no sensor_001');
  assert.ok(scenario.gateway.sub_devices.sensor_002, 'no sensor_002');
  assert.ok(scenario.gateway.sub_gateways.gateway_001.sub_devices.sensor_101, 'no gateway_001/sensor_101');
});

test('default scenario against mosquitto, MQTT.js as the platform: every exchange', { timeout: 120_000 }, async (t) => {
  const peer = await startPlatformPeer(broker.tcpUrl);
  t.after(() => peer.close());
  const emu = await createEmulator(undefined, { url: broker.tcpUrl });
  t.after(() => emu.stop());
  const dn = emu.gateway(0).device_number;
  peer.gateway = dn;
  await emu.start();
  await emu.waitConnected(1, { timeout: 10_000 });

  // 1. Telemetry carries every address at the right level, each with its keys.
  const telemetry = await peer.next((m) => m.topic === 'gateway/telemetry', { what: 'telemetry', timeout: 20_000, past: true });
  const body = telemetry.json;
  assert.equal(typeof body?.gateway_data, 'object', `telemetry without gateway_data: ${telemetry.text}`);
  for (const { where, spec } of devicesOf(scenario.gateway)) {
    const values = at(body, where);
    const keys = Object.keys(spec.telemetry ?? {}).sort();
    if (keys.length === 0) continue;
    assert.deepEqual(Object.keys(values ?? {}).sort(), keys, `${where.join('.')} in ${telemetry.text}`);
  }
  assert.ok(body.sub_device_data?.sensor_001, `no sub_device_data.sensor_001 in ${telemetry.text}`);
  assert.ok(body.sub_device_data?.sensor_002, `no sub_device_data.sensor_002 in ${telemetry.text}`);
  assert.ok(body.sub_gateway_data?.gateway_001?.gateway_data, `no sub_gateway_data.gateway_001.gateway_data in ${telemetry.text}`);
  assert.ok(body.sub_gateway_data?.gateway_001?.sub_device_data?.sensor_101, `no ...gateway_001.sub_device_data.sensor_101 in ${telemetry.text}`);

  // 2. A command to sensor_101 in the backend's one-target shape, answered on
  //    gateway/command/response/{the same message_id} with result 0.
  const sensor101 = scenario.gateway.sub_gateways.gateway_001.sub_devices.sensor_101;
  const method = Object.keys(sensor101.commands ?? {}).find((m) => m !== '*') ?? 'Calibrate';
  const command = await peer.command(dn, {
    sub_gateway_data: { gateway_001: { sub_device_data: { sensor_101: { method, params: { offset: 0.5 } } } } },
  });
  assert.equal(command.response?.result, 0, `command ${method} failed: ${command.text}`);
  assert.equal(command.response.method, method, command.text);

  // 3. Attribute set: answered, then reflected in the attribute report that follows.
  const reportAfterSet = peer.next((m) => /^gateway\/attributes\/[^/]+$/.test(m.topic) && m.json?.gateway_data?.ip === '10.9.8.7', {
    what: 'an attribute report with the new ip',
  });
  const set = await peer.attributeSet(dn, { gateway_data: { ip: '10.9.8.7' } });
  assert.equal(set.response?.result, 0, `attribute set failed: ${set.text}`);
  const report = await reportAfterSet;
  assert.equal(report.json.gateway_data.ip, '10.9.8.7');

  // 4. Attribute get, backend shape {"keys": [...]}: an attribute report of those keys of the gateway.
  const getKeys = peer.next((m) => /^gateway\/attributes\/[^/]+$/.test(m.topic) && m.json?.gateway_data?.ip !== undefined, { what: 'the report answering {keys}' });
  await peer.send(`gateway/attributes/get/${dn}`, { keys: ['ip'] });
  const keysReport = await getKeys;
  assert.deepEqual(keysReport.json.gateway_data, { ip: '10.9.8.7' }, keysReport.text);

  //    and the spec's shape, with a sub-device target as well.
  const sensor001Attrs = Object.keys(scenario.gateway.sub_devices.sensor_001.attributes ?? {});
  const gatewayAttrs = Object.keys(scenario.gateway.attributes ?? {});
  assert.ok(gatewayAttrs.length > 0, 'the default gateway has no attributes to get');
  const specGet = { gateway_data: [gatewayAttrs[0]] };
  if (sensor001Attrs.length > 0) specGet.sub_device_data = { sensor_001: [sensor001Attrs[0]] };
  const getSpec = peer.next(
    (m) => /^gateway\/attributes\/[^/]+$/.test(m.topic) && m.json?.gateway_data?.[gatewayAttrs[0]] !== undefined && m !== keysReport,
    { what: 'the report answering the spec-shaped get' },
  );
  await peer.send(`gateway/attributes/get/${dn}`, specGet);
  const specReport = await getSpec;
  assert.deepEqual(Object.keys(specReport.json.gateway_data), [gatewayAttrs[0]], specReport.text);
  if (sensor001Attrs.length > 0) {
    assert.deepEqual(Object.keys(specReport.json.sub_device_data?.sensor_001 ?? {}), [sensor001Attrs[0]], specReport.text);
  }

  // 5. Control on sensor_001: the next telemetry reports the controlled value.
  const sensor001 = scenario.gateway.sub_devices.sensor_001;
  const key = holdingKey(sensor001);
  assert.ok(key, 'sensor_001 has no telemetry key that holds a controlled value');
  const value = distinctValueLike(body.sub_device_data.sensor_001[key]);
  await peer.send(`gateway/telemetry/control/${dn}`, { sub_device_data: { sensor_001: { [key]: value } } });
  const controlled = await peer.next((m) => m.topic === 'gateway/telemetry' && m.json?.sub_device_data?.sensor_001?.[key] === value, {
    what: `telemetry with sensor_001.${key} = ${JSON.stringify(value)}`,
    timeout: 20_000,
  });
  assert.equal(controlled.json.sub_device_data.sensor_001[key], value);

  // 6. Events: reported on gateway/event/{mid}, acked by the peer (backend topics), the acks counted.
  const event = await peer.next((m) => /^gateway\/event\/[^/]+$/.test(m.topic), { what: 'an event', timeout: 60_000, past: true });
  const eventTarget = Object.values(event.json ?? {})[0];
  assert.ok(eventTarget && typeof eventTarget === 'object', `event without a target: ${event.text}`);
  await new Promise((r) => setTimeout(r, 500)); // the ack's round trip
  const stats = emu.stats();
  assert.ok(stats.events_sent >= 1, `events_sent ${stats.events_sent}`);
  assert.ok(peer.acksSent.events >= 1 && peer.acksSent.attributes >= 1, JSON.stringify(peer.acksSent));
  assert.ok(stats.reports_acked >= peer.acksSent.events + peer.acksSent.attributes - 1, `reports_acked ${stats.reports_acked}, acks sent ${JSON.stringify(peer.acksSent)}`);
  assert.ok(stats.commands >= 1 && stats.attribute_sets >= 1 && stats.attribute_gets >= 2 && stats.controls >= 1, JSON.stringify(stats));
  assert.equal(stats.errors, 0, JSON.stringify(stats));

  const final = await emu.stop();
  assert.equal(final.forced_closes, 0, 'every gateway closed cleanly');
});

test('the spec ack topics (gateway/event/response/...) are acks as well', { timeout: 90_000 }, async (t) => {
  const peer = await startPlatformPeer(broker.tcpUrl, { ackTopics: 'gateway' });
  t.after(() => peer.close());
  const emu = await createEmulator(undefined, { url: broker.wsUrl, seed: 7 });
  t.after(() => emu.stop());
  peer.gateway = emu.gateway(0).device_number;
  await emu.start();
  // Attributes are reported on every connect; over WebSocket this time.
  await peer.next((m) => /^gateway\/attributes\/[^/]+$/.test(m.topic), { what: 'the attribute report on connect', past: true });
  await new Promise((r) => setTimeout(r, 500));
  const stats = emu.stats();
  assert.ok(peer.acksSent.attributes >= 1);
  assert.ok(stats.reports_acked >= 1, `reports_acked ${stats.reports_acked} after ${peer.acksSent.attributes} spec-topic acks`);
});

test('tpgate emulate (the CLI) with the default scenario: telemetry, a command answered, summary, exit 0', { timeout: 60_000 }, async (t) => {
  const peer = await startPlatformPeer(broker.tcpUrl);
  t.after(() => peer.close());
  const child = spawn(process.execPath, [CLI, 'emulate', '--url', broker.tcpUrl, '--duration', '6'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  t.after(() => child.kill('SIGKILL'));

  const telemetry = await peer.next((m) => m.topic === 'gateway/telemetry', { what: 'telemetry from the CLI', timeout: 15_000 });
  assert.ok(telemetry.json?.sub_gateway_data?.gateway_001?.sub_device_data?.sensor_101, telemetry.text);
  // "tpgate emulate: 1 gateways (gw-1) -> mqtt://..."
  const dn = /gateways \(([^ )]+)/.exec(stderr)?.[1];
  assert.ok(dn, `no device_number in the CLI's start line:\n${stderr}`);
  const answer = await peer.command(dn, { gateway_data: { method: 'Restart', params: { mode: 'safe' } } });
  assert.equal(answer.response?.result, 0, answer.text);

  const { code } = await exited;
  assert.equal(code, 0, `exit ${code}\n${stderr}`);
  assert.match(stdout, /summary/);
  assert.match(stdout, /commands 1\b/, stdout);
  assert.match(stdout, /1 of 1 connected gateways closed cleanly/, stdout);
});

test("options.events: 'event' reports the connect and each command served, with its outcome", { timeout: 30_000 }, async (t) => {
  const peer = await startPlatformPeer(broker.tcpUrl);
  t.after(() => peer.close());
  const emu = await createEmulator(undefined, { url: broker.tcpUrl, events: true, seed: 9 });
  t.after(() => emu.stop());
  const events = [];
  emu.on('event', (e) => events.push(e));
  const dn = emu.gateway(0).device_number;
  peer.gateway = dn;
  await emu.start();
  await emu.waitConnected(1, { timeout: 10_000 });
  await peer.next((m) => /^gateway\/attributes\/[^/]+$/.test(m.topic), { what: 'the attribute report (subscribed by then)', past: true });
  const answer = await peer.command(dn, { sub_device_data: { sensor_001: { method: 'Calibrate', params: {} } } });
  assert.equal(answer.response?.result, 0, answer.text);
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(events.some((e) => e.type === 'connected' && e.gateway === 0), JSON.stringify(events));
  const served = events.find((e) => e.type === 'command');
  assert.ok(served, `no command event in ${JSON.stringify(events)}`);
  assert.equal(served.method, 'Calibrate');
  assert.equal(served.ok, true);
});
