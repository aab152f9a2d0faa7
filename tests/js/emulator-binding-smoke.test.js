// The emulator module (npm/dist/tpgate-emulator.{mjs,wasm}) loads in Node the way the
// package loads the other two, and its Embind contract answers: parseScenario,
// defaultScenario, createFleet, and a Fleet whose first output asks to open a transport
// and, once open, writes a CONNECT. The JS API on top (createEmulator) has its own tests.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import createEmulatorModule from '../../npm/dist/tpgate-emulator.mjs';
import { createModuleLoader } from '../../npm/src/module.js';
import { copyFrame, readFrame, reserveScratch } from '../../npm/src/packed.js';
import { createInstantiate } from '../../npm/src/wasm-node.js';

const load = createModuleLoader(
  createEmulatorModule,
  createInstantiate('tpgate-emulator.wasm'),
);
const emu = await load();

// Records of a fleet's frame, through the one reader (npm/src/packed.js).
function readOutput(fleet) {
  const records = [];
  const deadline = readFrame(copyFrame(emu, fleet.takeFrame()), {
    gatewayOutput: (gateway, flags, data, start, length) => records.push({ gateway, flags, bytes: data.slice(start, start + length) }),
    jsonEvent: () => assert.fail('no events asked for'),
  });
  return { deadline, records };
}

test('parseScenario: the default scenario normalizes; errors name path and shape', () => {
  const text = emu.defaultScenario();
  const ok = emu.parseScenario(text);
  assert.equal(ok.ok, true, ok.message);
  const normalized = JSON.parse(ok.normalized);
  assert.ok(normalized.gateway.sub_gateways.gateway_001.sub_devices.sensor_101);
  const bad = emu.parseScenario('{"broker":{"keepalive_s":600}}');
  assert.equal(bad.ok, false);
  assert.equal(bad.path, '$.broker.keepalive_s');
  assert.match(bad.expected, /integer from 1 to 300/);
  assert.match(bad.message, /^\$\.broker\.keepalive_s: expected an integer from 1 to 300, got 600$/);
  const invalid = emu.parseScenario('{"name": }');
  assert.equal(invalid.ok, false);
  assert.match(invalid.message, /line 1, column/);
});

test('createFleet: shards, identities, a CONNECT after transportOpen', () => {
  const made = emu.createFleet(emu.defaultScenario(), JSON.stringify({ count: 10, shard_index: 2, shard_count: 3 }));
  assert.equal(made.ok, true, made.message);
  const fleet = made.fleet;
  try {
    assert.equal(fleet.size(), 3); // [floor(10/3), floor(20/3)) = [3, 6)
    assert.deepEqual(fleet.gatewayInfo(0), {
      index: 3, device_number: 'gw-4', client_id: 'gw-4', username: 'gw-4', password: null,
    });
    fleet.start(1000);
    const first = readOutput(fleet);
    assert.deepEqual(first.records.map((r) => [r.gateway, r.flags]), [[0, 1], [1, 1], [2, 1]]);
    assert.ok(first.deadline >= 1000);
    fleet.transportOpen(1, 1001);
    const second = readOutput(fleet);
    assert.equal(second.records.length, 1);
    assert.equal(second.records[0].gateway, 1);
    assert.equal(second.records[0].bytes[0], 0x10, 'CONNECT');
    // CONNACK (3.1.1, accepted) through the scratch area, as npm/src/packed.js writes input.
    const connack = new Uint8Array([0x20, 0x02, 0x00, 0x00]);
    const ptr = reserveScratch(emu, connack.length);
    emu.HEAPU8.set(connack, ptr);
    fleet.receiveScratch(1, connack.length, 1002);
    const third = readOutput(fleet);
    assert.ok(third.records.some((r) => r.bytes[0] === 0x82), 'SUBSCRIBE after CONNACK');
    const stats = JSON.parse(fleet.stats(1003));
    assert.equal(stats.gateways, 3);
    assert.equal(stats.connected, 1);
    fleet.stop(1004);
    const last = readOutput(fleet);
    assert.ok(last.records.every((r) => (r.flags & 4) !== 0 || r.bytes.length > 0));
    assert.ok(last.records.some((r) => r.gateway === 1 && r.bytes[0] === 0xe0), 'DISCONNECT');
    assert.equal(fleet.takeEvents(), '[]');
  } finally {
    fleet.delete();
  }
  const badOptions = emu.createFleet('{}', JSON.stringify({ shard_index: 3, shard_count: 2 }));
  assert.equal(badOptions.ok, false);
  assert.equal(badOptions.path, 'options.shard_index');
});
