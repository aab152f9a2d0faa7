// A fleet kept away from its broker: every gateway's uplinks wait in its offline
// buffer (docs/scenario.md offline_buffer). The buffers of one fleet share a byte
// budget (src/emulator/fleet.hpp FleetOptions::offline_budget_bytes, 512 MiB), so
// they cannot outgrow the module's heap (2 GB, wasm32). Before the budget only
// the count bounded them (1000 uplinks a gateway): 10,000 gateways of the default
// scenario that could not connect to an overloaded broker for a few minutes took
// the heap to 2 GB, and the next allocation aborted the module ("Aborted()" from
// the fleet's tick). Here 300 gateways with 8 KB telemetry do the same in 1,000
// simulated seconds: the full buffers would hold 2.6 GB.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import createEmulatorModule from '../../npm/dist/tpgate-emulator.mjs';
import { createModuleLoader } from '../../npm/src/module.js';
import { createInstantiate } from '../../npm/src/wasm-node.js';

const load = createModuleLoader(createEmulatorModule, createInstantiate('tpgate-emulator.wasm'));
const emu = await load();

const GATEWAYS = 300;
const BUDGET = 512 * 1024 * 1024;

test('offline buffers of a fleet stay within its byte budget: the module does not run out of heap', () => {
  const scenario = {
    broker: { qos: 0 },
    gateways: { count: GATEWAYS, device_number: 'gw-{i}' },
    gateway: { telemetry: { blob: 'x'.repeat(8000), n: { type: 'counter' } }, telemetry_interval_s: 1 },
  };
  const made = emu.createFleet(JSON.stringify(scenario), '{}');
  assert.equal(made.ok, true, made.message);
  const fleet = made.fleet;
  try {
    let now = 1_000_000;
    fleet.start(now);
    fleet.takeFrame(); // open requests, never answered: no gateway gets a transport
    for (let s = 0; s < 1000; s++) {
      now += 1000;
      fleet.tick(now);
      fleet.takeFrame();
    }
    const stats = JSON.parse(fleet.stats(now));
    assert.equal(stats.connected, 0);
    assert.ok(stats.queued_bytes <= BUDGET, `queued_bytes ${stats.queued_bytes}`);
    assert.ok(stats.queued_bytes > BUDGET / 2, `queued_bytes ${stats.queued_bytes}`);
    // Past its share (BUDGET / GATEWAYS) a gateway drops new uplinks and counts them.
    assert.ok(stats.dropped > 0);
    assert.equal(stats.published, stats.queued - 8 * GATEWAYS); // the SUBSCRIBEs wait there too
    assert.ok(emu.HEAPU8.length < 1024 * 1024 * 1024, `heap ${emu.HEAPU8.length}`);
  } finally {
    fleet.delete();
  }
});

test('offline_budget_bytes in the fleet options sets the budget', () => {
  const scenario = { broker: { qos: 0 }, gateways: { count: 10, device_number: 'gw-{i}' }, gateway: { telemetry: { t: 1 }, telemetry_interval_s: 1 } };
  const made = emu.createFleet(JSON.stringify(scenario), JSON.stringify({ offline_budget_bytes: 10 * 16384 }));
  assert.equal(made.ok, true, made.message);
  const fleet = made.fleet;
  try {
    let now = 1_000_000;
    fleet.start(now);
    fleet.takeFrame();
    for (let s = 0; s < 200; s++) fleet.tick((now += 1000));
    const stats = JSON.parse(fleet.stats(now));
    assert.ok(stats.queued_bytes <= 10 * 16384, `queued_bytes ${stats.queued_bytes}`);
    assert.ok(stats.dropped > 0);
  } finally {
    fleet.delete();
  }
  const bad = emu.createFleet(JSON.stringify(scenario), JSON.stringify({ offline_budget_bytes: -1 }));
  assert.equal(bad.ok, false);
  assert.equal(bad.path, 'options.offline_budget_bytes');
});
