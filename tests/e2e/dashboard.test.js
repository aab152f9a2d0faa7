// The dashboard (web/dist, built by Vite; docs/dashboard.md) in
// Chromium against the dev broker in ThingsPanel mode (voucher auth, ACL,
// the {"device_id","values"} envelope, devices/status) and tpgate's emulator
// running the default scenario (the seed multi-level gateway gw-1: the
// gateway, sensor_001, sensor_002, gateway_001 with sensor_101). A second
// emulated gateway, gw-hostile, carries what the default scenario does not:
// a sub-device whose address is markup and a command that always fails.
//
// The dashboard connects as the platform user root through query parameters,
// with the device_id -> device_number map of the broker's devices.
//
// TPGATE_SCREENSHOTS=1 rewrites docs/screenshots/*.png (the README's).
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createEmulator } from 'tpgate/emulator';
import { deviceIdFor, generateDevices, startBroker } from 'tpgate/broker';
import { launchChromium, startAll } from './helpers/chromium.js';
import {
  DASHBOARD_DIST, SCREENSHOTS_DIR, WRITE_SCREENSHOTS, assertDashboardClean, dashboardUrl, openDashboard, selectDevice,
  sendCommand, startDashboardServer, treeItem, unlabelledControls,
} from './helpers/dashboard.js';

const TIMEOUT = { timeout: 60_000 };
const ROOT_PASSWORD = 'dashboard-root';
const HOSTILE = '<img src=x onerror="window.__xss=1">';
const SEED = ['gw-1', 'sensor_001', 'sensor_002', 'gateway_001', 'sensor_101'];

// gw-hostile: one sub-device with a markup address, and Explode, which fails.
const HOSTILE_SCENARIO = {
  name: 'hostile',
  broker: { protocol_version: 4 },
  gateways: { count: 1, device_number: 'gw-hostile', client_id: '{device_number}', username: '{device_number}' },
  gateway: {
    telemetry_interval_s: 1,
    telemetry: { temperature: { type: 'sine', min: 20, max: 30, period_s: 20, decimals: 1 } },
    sub_devices: {
      [HOSTILE]: {
        commands: { Explode: { failure_rate: 1, errcode: 'DEVICE_BUSY', message: 'device is busy' }, '*': {} },
        telemetry: { [HOSTILE]: { type: 'constant', value: HOSTILE } },
        attributes: { [HOSTILE]: HOSTILE },
        events: [{ method: HOSTILE, params: { [HOSTILE]: HOSTILE }, first_s: 1, every_s: 2 }],
      },
    },
  },
};

const devices = [
  ...generateDevices({ count: 1 }),
  { device_id: deviceIdFor('gw-hostile'), device_number: 'gw-hostile', type: 'gateway', username: 'gw-hostile' },
];

let broker;
let server;
let browser;
let page;
const emulators = [];

before(async () => {
  await startAll([
    startBroker({ tcpPort: 0, wsPort: 0, thingspanel: devices, rootPassword: ROOT_PASSWORD, log: false }).then((b) => (broker = b)),
    startDashboardServer().then((s) => (server = s)),
    launchChromium().then((b) => (browser = b)),
  ]);
});

after(async () => {
  await Promise.allSettled(emulators.map((e) => e.stop()));
  await Promise.allSettled([page?.close(), browser?.close(), server?.stop()]);
  await broker?.close();
});

async function screenshot(name) {
  if (WRITE_SCREENSHOTS) await page.screenshot({ path: path.join(SCREENSHOTS_DIR, `${name}.png`), fullPage: true });
}

// The tests below share one page, in order, as an operator would use it.

test('query parameters connect the dashboard as the platform; the tree shows the default scenario', TIMEOUT, async () => {
  const url = dashboardUrl(server.origin, {
    url: broker.wsUrl, username: 'root', password: ROOT_PASSWORD, clientId: 'dashboard-e2e', version: 4,
    devices: devices.map((d) => `${d.device_id}=${d.device_number}`).join(','),
  });
  page = await openDashboard(browser, url);
  await page.locator('#conn-state[data-state=connected]').waitFor({ timeout: 15_000 });
  assert.equal(await page.inputValue('#conn-url'), broker.wsUrl);
  assert.equal(await page.inputValue('#conn-username'), 'root');
  assert.equal(await page.inputValue('#conn-client-id'), 'dashboard-e2e');
  assert.equal(await page.inputValue('#conn-version'), '4');
  assert.match(await page.textContent('#conn-state'), /^connected: ws:.* \(MQTT 3\.1\.1\)$/);

  // The gateways start after the dashboard is connected: their attribute
  // reports on connect, status and first events are seen too.
  for (const [scenario, gateways] of [[undefined, 1], [HOSTILE_SCENARIO, 1]]) {
    const emulator = await createEmulator(scenario, { url: broker.tcpUrl, gateways });
    emulators.push(emulator);
    await emulator.start();
    await emulator.waitConnected(gateways, { timeout: 10_000 });
  }
  for (const name of SEED) await treeItem(page, name).waitFor({ timeout: 10_000 });
  const level = async (name) => Number(await treeItem(page, name).getAttribute('aria-level'));
  assert.deepEqual(await Promise.all(SEED.map(level)), [1, 2, 2, 2, 3]);
  // The broker's devices/status/{device_id} says gw-1 is online; its devices were heard from just now.
  for (const name of SEED) assert.equal(await treeItem(page, name).getAttribute('data-status'), 'online', `${name} is online`);
  await selectDevice(page, 'gw-1');
  assert.equal(await page.textContent('#dev-meta dd:nth-of-type(2)'), `gw-1 (device_id ${devices[0].device_id})`);
  await page.locator('#events li', { hasText: 'SystemStarted' }).first().waitFor({ timeout: 10_000 });
  await page.locator('#attributes tr[data-key=mac] td', { hasText: '00:11:22:33:44:55' }).waitFor();
  await page.locator('#telemetry tr[data-key=temperature]').waitFor();
  await page.waitForTimeout(WRITE_SCREENSHOTS ? 10_000 : 0); // charts and events gather for the screenshot
  await screenshot('dashboard-gateway');
  // The worker carries the gateway module inside its JS ('tpgate/gateway'
  // embeds it): no .wasm file is fetched, the worker's script is.
  assert.deepEqual(server.requests.filter((r) => r.path.endsWith('.wasm')), []);
  const worker = server.requests.filter((r) => /^\/assets\/worker-[\w-]+\.js$/.test(r.path)).map((r) => r.status);
  assert.deepEqual(worker, [200]);
  await assertDashboardClean(page);
});

test('a command to sensor_101 shows success with a round-trip time', TIMEOUT, async () => {
  await selectDevice(page, 'sensor_101');
  const text = await sendCommand(page, 'Restart', '{"mode": "safe"}', 'success');
  assert.match(text, /^Restart → sensor_101: success · result 0 · .* · (\d+\.\d) ms$/);
  // The scenario answers Restart on sensor_101 after 20 ms.
  assert.ok(Number(/(\d+\.\d) ms$/.exec(text)[1]) >= 20, text);
  assert.match(await page.textContent('#cmd-status'), /^Restart: success .* ms$/);
  await assertDashboardClean(page);
});

test('an attribute set shows its status and the new value', TIMEOUT, async () => {
  await selectDevice(page, 'sensor_101');
  await page.fill('#attr-set-values', '{"report_interval": 42}');
  await page.click('#attr-set-send');
  await page.locator('#attr-status[data-state=success]').waitFor({ timeout: 10_000 });
  assert.match(await page.textContent('#attr-status'), /^set \{"report_interval":42\}: success · result 0 · .* · \d+\.\d ms$/);
  // The emulator reports a changed attribute at once.
  await page.locator('#attributes tr[data-key=report_interval] td', { hasText: /^42$/ }).waitFor({ timeout: 10_000 });
  await page.fill('#attr-get-keys', 'version, report_interval');
  await page.click('#attr-get-send');
  await page.locator('#attr-status[data-state=success]', { hasText: 'get version, report_interval' }).waitFor({ timeout: 10_000 });
  await page.fill('#control-values', '{"temperature": 99.5}');
  await page.click('#control-send');
  await page.locator('#control-status[data-state=success]').waitFor({ timeout: 10_000 });
  // A control sets the telemetry it carries: the next reports have it.
  await page.locator('#telemetry tr[data-key=temperature] td', { hasText: /^(99\.5|99|100|100\.\d|98\.\d|99\.\d)$/ }).first().waitFor({ timeout: 10_000 });
  await page.waitForTimeout(WRITE_SCREENSHOTS ? 6000 : 0); // the charts gather points for the screenshot
  await screenshot('dashboard-device');
  await assertDashboardClean(page);
});

test('a failing command shows its errcode; invalid params are refused before sending', TIMEOUT, async () => {
  await selectDevice(page, HOSTILE);
  await page.fill('#cmd-method', 'Explode');
  await page.fill('#cmd-params', '{"now": tru}');
  await page.click('#cmd-send');
  await page.locator('#cmd-status[data-state=invalid]').waitFor();
  assert.match(await page.textContent('#cmd-status'), /^Params is not valid JSON: /);
  assert.equal(await page.locator('#cmd-history li').count(), 0, 'nothing was sent');
  const text = await sendCommand(page, 'Explode', '{"now": true}', 'failure');
  assert.match(text, /: failure · errcode DEVICE_BUSY · .*device is busy.* · \d+\.\d ms$/);
  await assertDashboardClean(page);
});

test('a hostile sub-device address (and its keys, values, events) renders as text and runs nothing', TIMEOUT, async () => {
  await selectDevice(page, HOSTILE);
  assert.equal(await treeItem(page, HOSTILE).locator('.name').textContent(), HOSTILE);
  assert.equal(await page.textContent('#dev-title'), HOSTILE);
  await page.locator('#events li', { hasText: HOSTILE }).first().waitFor({ timeout: 10_000 });
  await page.locator('#telemetry th', { hasText: HOSTILE }).waitFor();
  await page.locator('#attributes td', { hasText: HOSTILE }).first().waitFor({ timeout: 10_000 });
  await screenshot('dashboard-hostile');
  await page.click('#tab-traffic');
  await page.locator('#traffic td.payload').first().waitFor();
  await page.click('#tab-device');
  const found = await page.evaluate(() => ({ xss: window.__xss, imgs: document.querySelectorAll('img').length }));
  assert.deepEqual(found, { xss: undefined, imgs: 0 });
  assert.ok(!server.requests.some((r) => r.path === '/x'), 'the browser never fetched the hostile <img> source');
  await assertDashboardClean(page);
});

test('the tree and the tabs are keyboard navigable; every control is labelled', TIMEOUT, async () => {
  await page.focus('#tree');
  await page.keyboard.press('Home');
  await page.keyboard.press('Enter');
  await page.locator('#dev-title', { hasText: /^gw-1$/ }).waitFor();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await page.locator('#dev-title', { hasText: /^sensor_001$/ }).waitFor();
  // Down past sensor_002 to gateway_001; Left closes it, Right opens it, Right again enters it.
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowLeft');
  // The tree draws on the next animation frame.
  await treeItem(page, 'gateway_001').and(page.locator('[aria-expanded=false]')).waitFor();
  await treeItem(page, 'sensor_101').waitFor({ state: 'detached' });
  await page.keyboard.press('ArrowRight');
  await treeItem(page, 'sensor_101').waitFor();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Enter');
  await page.locator('#dev-title', { hasText: /^sensor_101$/ }).waitFor();
  await page.focus('#tab-device');
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.getAttribute('#tab-traffic', 'aria-selected'), 'true');
  assert.equal(await page.isVisible('#panel-traffic'), true);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'tab-traffic');
  await page.keyboard.press('ArrowLeft');
  assert.equal(await page.isVisible('#panel-device'), true);
  assert.deepEqual(await unlabelledControls(page), []);
  await assertDashboardClean(page);
});

test('the raw traffic view filters, pauses and exports valid NDJSON', TIMEOUT, async () => {
  await page.click('#tab-traffic');
  await page.locator('#traffic tr').first().waitFor();
  // Pause: the view stops moving.
  await page.click('#traffic-pause');
  assert.equal(await page.getAttribute('#traffic-pause', 'aria-pressed'), 'true');
  const frozen = await page.textContent('#traffic');
  await page.waitForTimeout(1500);
  assert.equal(await page.textContent('#traffic'), frozen, 'a paused view does not change');
  await page.click('#traffic-pause');
  await screenshot('dashboard-traffic');

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#traffic-export')]);
  assert.match(download.suggestedFilename(), /^tpgate-traffic-.*\.ndjson$/);
  const text = await readFile(await download.path(), 'utf8');
  assert.ok(text.endsWith('\n'));
  const records = text.slice(0, -1).split('\n').map((line, i) => {
    try {
      return JSON.parse(line);
    } catch (err) {
      return assert.fail(`line ${i + 1} is not JSON: ${err.message}: ${line}`);
    }
  });
  assert.ok(records.length >= 10, `${records.length} records`);
  for (const r of records) {
    const keys = Object.keys(r).filter((k) => k !== 'deviceId').sort();
    assert.deepEqual(keys, ['device', 'direction', 'payload', 'topic', 'ts'], JSON.stringify(r));
    assert.equal(typeof r.ts, 'number');
    assert.ok(r.direction === 'in' || r.direction === 'out');
  }
  // Uplinks carry the broker's envelope; its device_id names the device (shown as its device_number).
  const gw1 = devices[0];
  const telemetry = records.find((r) => r.direction === 'in' && r.topic === 'gateway/telemetry' && r.deviceId === gw1.device_id);
  assert.ok(telemetry, 'gw-1 telemetry is in the export');
  assert.equal(telemetry.device, 'gw-1');
  const inner = JSON.parse(Buffer.from(JSON.parse(telemetry.payload).values, 'base64').toString('utf8'));
  assert.ok(inner.sub_gateway_data.gateway_001.sub_device_data.sensor_101, JSON.stringify(inner));
  const command = records.find((r) => r.direction === 'out' && r.topic.startsWith('gateway/command/gw-1/'));
  assert.ok(command, 'the command sent to sensor_101 is in the export');
  assert.equal(command.device, 'gw-1');
  assert.equal(JSON.parse(command.payload).sub_gateway_data.gateway_001.sub_device_data.sensor_101.method, 'Restart');
  assert.ok(records.some((r) => r.direction === 'in' && r.topic.startsWith('gateway/command/response/')));
  assert.ok(records.some((r) => r.topic === `devices/status/${gw1.device_id}` && r.payload === '1' && r.device === 'gw-1'));

  // The topic filter narrows the view and the export.
  await page.fill('#traffic-filter', 'gateway/command/#');
  await page.locator('#traffic td.topic').first().waitFor();
  await page.waitForTimeout(300);
  const shown = await page.locator('#traffic td.topic').allTextContents();
  assert.ok(shown.length > 0 && shown.every((tp) => tp.startsWith('gateway/command/')), shown.join(', '));
  const [filtered] = await Promise.all([page.waitForEvent('download'), page.click('#traffic-export')]);
  const topics = (await readFile(await filtered.path(), 'utf8')).trim().split('\n').map((l) => JSON.parse(l).topic);
  assert.ok(topics.length >= 2 && topics.every((tp) => tp.startsWith('gateway/command/')), topics.join(', '));
  await page.fill('#traffic-filter', '');
  await page.click('#tab-device');
  await assertDashboardClean(page);
});

test('MQTT 5 refused by the dev broker (aedes speaks 3.1.1): the dashboard says so and connects with 3.1.1', TIMEOUT, async (t) => {
  const other = await openDashboard(browser, dashboardUrl(server.origin, { url: broker.wsUrl, username: 'root', password: ROOT_PASSWORD, clientId: 'dashboard-v5', version: 5 }));
  t.after(() => other.close());
  await other.locator('#conn-state[data-state=connected]', { hasText: 'MQTT 3.1.1' }).waitFor({ timeout: 15_000 });
  // The notice comes in the worker's next batch, maybe after the state.
  await other.locator('#notices', { hasText: /MQTT 5 was refused .*connected with MQTT 3\.1\.1/ }).waitFor({ timeout: 10_000 });
  // Without the device map, gateways show as their envelope device_id.
  await other.locator('#tree [role=treeitem] .name', { hasText: devices[0].device_id }).waitFor({ timeout: 10_000 });
  assert.deepEqual(other.problems, []);
});

test('the built page carries its Content-Security-Policy; no bundle uses innerHTML, eval or new Function', async () => {
  const html = await readFile(path.join(DASHBOARD_DIST, 'index.html'), 'utf8');
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html);
  assert.ok(csp, 'index.html has a CSP meta tag');
  const policy = csp[1].replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, '&');
  assert.match(policy, /^default-src 'self';/);
  assert.match(policy, /script-src 'self' 'wasm-unsafe-eval'(;|$)/, 'no unsafe-inline or unsafe-eval for scripts');
  assert.doesNotMatch(policy, /unsafe-inline|'unsafe-eval'/);
  // The policy covers what comes after it: it must come before every script.
  assert.ok(html.indexOf('Content-Security-Policy') < html.indexOf('<script'), 'the CSP meta tag precedes the scripts');
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
  const assets = path.join(DASHBOARD_DIST, 'assets');
  for (const file of (await readdir(assets)).filter((f) => f.endsWith('.js'))) {
    const js = await readFile(path.join(assets, file), 'utf8');
    for (const banned of ['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'new Function', 'eval(']) {
      assert.ok(!js.includes(banned), `${file} uses ${banned}`);
    }
  }
});
