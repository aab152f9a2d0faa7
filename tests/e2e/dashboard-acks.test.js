// The dashboard's "Report acks on" choice (docs/thingspanel.md#ack-family-by-version):
// the platform client in its worker acks a gateway's attribute reports on the
// family picked, here the current backend's devices/... family, in Chromium
// against the dev broker and an emulated gateway. An MQTT.js client as root
// watches both families.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqtt from 'mqtt';
import { generateDevices } from 'tpgate/broker';
import { createEmulator } from 'tpgate/emulator';
import { assertDashboardClean, dashboardUrl, openDashboard, unlabelledControls, useDashboardRig } from './helpers/dashboard.js';

const TIMEOUT = { timeout: 60_000 };
const ROOT_PASSWORD = 'dashboard-acks-root';
const devices = generateDevices({ count: 1 });

let page;
let emulator;
let watcher;
const rig = useDashboardRig({
  devices, rootPassword: ROOT_PASSWORD,
  cleanUp: async () => {
    await emulator?.stop().catch(() => {});
    await watcher?.endAsync().catch(() => {});
    await page?.close();
  },
});

test('acks=backend: attribute reports are acked on devices/attributes/response/{dn}/{mid} only', TIMEOUT, async () => {
  watcher = await mqtt.connectAsync(rig.broker.tcpUrl, { clientId: 'acks-watcher', username: 'root', password: ROOT_PASSWORD, protocolVersion: 4 });
  const acks = [];
  watcher.on('message', (topic) => acks.push(topic));
  await watcher.subscribeAsync('devices/attributes/response/#', { qos: 1 });
  await watcher.subscribeAsync('gateway/attributes/response/#', { qos: 1 });

  const url = dashboardUrl(rig.server.origin, {
    url: rig.broker.wsUrl, username: 'root', password: ROOT_PASSWORD, clientId: 'dashboard-acks-e2e', version: 4, acks: 'backend',
    devices: devices.map((d) => `${d.device_id}=${d.device_number}`).join(','),
  });
  page = await openDashboard(rig.browser, url);
  await page.locator('#conn-state[data-state=connected]').waitFor({ timeout: 15_000 });
  assert.equal(await page.inputValue('#conn-acks'), 'backend');

  emulator = await createEmulator(undefined, { url: rig.broker.tcpUrl, gateways: 1 });
  await emulator.start();
  await emulator.waitConnected(1, { timeout: 10_000 });
  // The gateway reports its attributes on connect; the dashboard acks them.
  const until = Date.now() + 15_000;
  while (!acks.some((t) => t.startsWith('devices/attributes/response/gw-1/')) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  assert.ok(acks.some((t) => t.startsWith('devices/attributes/response/gw-1/')), `acks seen: ${acks.join(', ') || 'none'}`);
  assert.deepEqual(acks.filter((t) => t.startsWith('gateway/')), [], 'no ack on the spec family');
  assert.deepEqual(await unlabelledControls(page), []);
  await assertDashboardClean(page);
});
