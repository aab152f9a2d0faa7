// The dashboard against what a ThingsPanel deployment adds, in Chromium with
// the dev broker and an emulated gateway:
// - "Report acks on" (docs/thingspanel.md#ack-family-by-version): the platform
//   client in its worker acks attribute reports on the family picked, here the
//   current backend's devices/...; an MQTT.js client as root watches both;
// - devices registered over the device API that never connected are listed as
//   not yet active (docs/thingspanel.md#self-registration), and leave the list
//   once they connect.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqtt from 'mqtt';
import { generateDevices } from 'tpgate/broker';
import { createEmulator } from 'tpgate/emulator';
import { assertDashboardClean, dashboardUrl, openDashboard, unlabelledControls, useDashboardRig } from './helpers/dashboard.js';

const TIMEOUT = { timeout: 60_000 };
const ROOT_PASSWORD = 'dashboard-acks-root';
const devices = generateDevices({ count: 1 });
const SECRET = 'dashboard-template-secret';
const THINGSPANEL = { configurations: [{ id: 'gw', template_secret: SECRET, auto_register: true }], devices };

let page;
let emulator;
let watcher;
const rig = useDashboardRig({
  thingspanel: THINGSPANEL, rootPassword: ROOT_PASSWORD,
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
    api: rig.broker.urls.api,
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

test('registered devices that never connected are listed as not yet active, until they connect', TIMEOUT, async () => {
  const register = async (deviceNumber) => {
    const res = await fetch(`${rig.broker.urls.api}/api/v1/device/auth`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ template_secret: SECRET, device_number: deviceNumber }),
    });
    const body = await res.json();
    assert.equal(body.code, 200, JSON.stringify(body));
    return { deviceId: body.data.device_id, voucher: JSON.parse(body.data.voucher) };
  };
  const hostile = '<img src=x onerror="window.__pendingXss=1">';
  const fresh = await register('gw-registered');
  await register(hostile);
  const item = (deviceId) => page.locator(`#pending-list li[data-device-id="${deviceId}"]`);
  await item(fresh.deviceId).waitFor({ timeout: 15_000 });
  assert.equal(await page.isVisible('#pending-card'), true);
  assert.match(await item(fresh.deviceId).textContent(), /gw-registered.*not yet active/);
  assert.ok((await page.textContent('#pending-list')).includes(hostile), 'the markup shows as text');
  assert.equal(await page.evaluate(() => window.__pendingXss), undefined);
  assert.equal(await page.locator('#pending-list img').count(), 0);
  // gw-1 came from the file, not the API: never listed.
  assert.equal(await item(devices[0].device_id).count(), 0);

  // It connects with its voucher: it leaves the list.
  const client = await mqtt.connectAsync(rig.broker.tcpUrl, {
    clientId: 'gw-registered', username: fresh.voucher.username, password: fresh.voucher.password, protocolVersion: 4,
  });
  try {
    await item(fresh.deviceId).waitFor({ state: 'detached', timeout: 15_000 });
  } finally {
    await client.endAsync();
  }
  assert.deepEqual(await unlabelledControls(page), []);
  await assertDashboardClean(page);
});
