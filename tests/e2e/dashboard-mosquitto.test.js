// The dashboard (web/, docs/dashboard.md) in Chromium against mosquitto's WebSocket
// listener, with the seed topology published by a gateway driven from Node
// (connectGateway). mosquitto adds no ThingsPanel envelope, so the dashboard
// is told the one gateway's device_number (?gateway=gw-1). The same checks
// against the dev broker and the emulator are in dashboard.test.js.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startMosquitto } from '../js/helpers/mosquitto.js';
import { launchChromium, startAll } from './helpers/chromium.js';
import {
  assertDashboardClean, dashboardUrl, openDashboard, selectDevice, sendCommand, startDashboardServer, treeItem,
  unlabelledControls,
} from './helpers/dashboard.js';
import { FAILING, startSeedGateway } from './helpers/seed-gateway.js';

const TIMEOUT = { timeout: 60_000 };
const DN = 'gw-1';
const HOSTILE = '<img src=x onerror="window.__xss=1">';
const SEED = ['gw-1', 'sensor_001', 'sensor_002', 'gateway_001', 'sensor_101'];

let broker;
let server;
let browser;
let gateway;

before(async () => {
  await startAll([
    startMosquitto().then((b) => (broker = b)),
    startDashboardServer().then((s) => (server = s)),
    launchChromium().then((b) => (browser = b)),
  ]);
  gateway = await startSeedGateway(broker.tcpUrl, { deviceNumber: DN, intervalMs: 250, extraSubDevices: [HOSTILE] });
});

after(async () => {
  await Promise.allSettled([gateway?.stop(), browser?.close(), server?.stop()]);
  await broker?.stop();
});

async function openConnected(t, extra = {}) {
  const url = dashboardUrl(server.origin, { url: broker.wsUrl, clientId: `dash-${process.pid}-${Math.random().toString(16).slice(2, 8)}`, version: 5, gateway: DN, ...extra });
  const page = await openDashboard(browser, url);
  t.after(() => page.close());
  await page.locator('#conn-state[data-state=connected]').waitFor({ timeout: 15_000 });
  return page;
}


test('query parameters prefill the form and connect; the tree shows the seed topology', TIMEOUT, async (t) => {
  const page = await openConnected(t, { username: 'operator', clientId: 'dash-query' });
  assert.equal(await page.inputValue('#conn-url'), broker.wsUrl);
  assert.equal(await page.inputValue('#conn-username'), 'operator');
  assert.equal(await page.inputValue('#conn-client-id'), 'dash-query');
  assert.equal(await page.inputValue('#conn-version'), '5');
  assert.equal(await page.inputValue('#conn-gateway'), DN);
  for (const name of SEED) await treeItem(page, name).waitFor({ timeout: 10_000 });
  // Levels: the gateway, its sub-devices and sub-gateway, sensor_101 below gateway_001.
  const level = async (name) => Number(await treeItem(page, name).getAttribute('aria-level'));
  assert.deepEqual(await Promise.all(SEED.map(level)), [1, 2, 2, 2, 3]);
  for (const name of SEED) assert.equal(await treeItem(page, name).getAttribute('data-status'), 'online', `${name} is online`);
  await assertDashboardClean(page);
});

test('a command to sensor_101 shows success with a round-trip time', TIMEOUT, async (t) => {
  const page = await openConnected(t);
  await selectDevice(page, 'sensor_101');
  const text = await sendCommand(page, 'Calibrate', '{"offset": 0.5}', 'success');
  assert.match(text, /^Calibrate → sensor_101: success · result 0 · success · \d+\.\d ms$/);
  assert.match(await page.textContent('#cmd-status'), /Calibrate: success .* ms$/);
  const seen = gateway.commands.filter((c) => c.method === 'Calibrate');
  assert.deepEqual(seen.at(-1), { target: 'gateway_001/sensor_101', method: 'Calibrate', params: { offset: 0.5 } });
  await assertDashboardClean(page);
});

test('a failing command shows its errcode; invalid params are refused before sending', TIMEOUT, async (t) => {
  const page = await openConnected(t);
  await selectDevice(page, 'sensor_001');
  const before = gateway.commands.length;
  await page.fill('#cmd-method', 'Calibrate');
  await page.fill('#cmd-params', '{"offset": 0.5,}');
  await page.click('#cmd-send');
  await page.locator('#cmd-status[data-state=invalid]').waitFor();
  assert.match(await page.textContent('#cmd-status'), /^Params is not valid JSON: /);
  assert.equal(await page.getAttribute('#cmd-params', 'aria-invalid'), 'true');
  assert.equal(await page.locator('#cmd-history li').count(), 0, 'nothing was sent');

  const [method, [errcode, message]] = Object.entries(FAILING)[0];
  const text = await sendCommand(page, method, '{}', 'failure');
  assert.match(text, new RegExp(`failure · errcode ${errcode} · (sensor_001: )?${message} · \\d+\\.\\d ms$`));
  assert.equal(gateway.commands.length, before + 1, 'exactly the valid command reached the gateway');
  await assertDashboardClean(page);
});

test('an attribute set shows its status and the new value; an attribute get answers', TIMEOUT, async (t) => {
  const page = await openConnected(t);
  await selectDevice(page, 'sensor_101');
  const value = 10 + Math.floor(Math.random() * 1000);
  await page.fill('#attr-set-values', JSON.stringify({ report_interval: value }));
  await page.click('#attr-set-send');
  await page.locator('#attr-status[data-state=success]').waitFor({ timeout: 10_000 });
  assert.match(await page.textContent('#attr-status'), /^set \{"report_interval":\d+\}: success · result 0 · success · \d+\.\d ms$/);
  await page.locator('#attributes tr[data-key=report_interval] td', { hasText: String(value) }).first().waitFor({ timeout: 10_000 });
  assert.equal(gateway.attributes['gateway_001/sensor_101'].report_interval, value);

  await page.fill('#attr-get-keys', 'version');
  await page.click('#attr-get-send');
  await page.locator('#attr-status[data-state=success]', { hasText: 'get version' }).waitFor({ timeout: 10_000 });
  await assertDashboardClean(page);
});

test('a hostile sub-device address renders as text and runs nothing', TIMEOUT, async (t) => {
  const page = await openConnected(t);
  const row = treeItem(page, HOSTILE);
  await row.waitFor({ timeout: 10_000 });
  assert.equal(await row.locator('.name').textContent(), HOSTILE);
  await row.click();
  await page.locator('#dev-title').waitFor();
  assert.equal(await page.textContent('#dev-title'), HOSTILE);
  // Let its telemetry, attributes and the traffic view draw too.
  await page.click('#tab-traffic');
  await page.locator('#traffic tr').first().waitFor();
  await page.click('#tab-device');
  await page.waitForTimeout(500);
  const found = await page.evaluate(() => ({ xss: window.__xss, imgs: document.querySelectorAll('img').length }));
  assert.deepEqual(found, { xss: undefined, imgs: 0 });
  assert.ok(!server.requests.some((r) => r.path === '/x'), 'the browser never fetched the hostile <img> source');
  await assertDashboardClean(page);
});

test('the tree is keyboard navigable', TIMEOUT, async (t) => {
  const page = await openConnected(t);
  for (const name of SEED) await treeItem(page, name).waitFor({ timeout: 10_000 });
  await page.focus('#tree');
  await page.keyboard.press('Home');
  await page.keyboard.press('Enter');
  await page.locator('#dev-title', { hasText: DN }).waitFor();
  await page.keyboard.press('End');
  await page.keyboard.press('Enter');
  await page.locator('#dev-title', { hasText: 'sensor_101' }).waitFor();
  await page.keyboard.press('ArrowLeft'); // to the parent
  await page.keyboard.press('Enter');
  await page.locator('#dev-title', { hasText: 'gateway_001' }).waitFor();
  await page.keyboard.press('ArrowLeft'); // closes gateway_001 (drawn on the next frame)
  await treeItem(page, 'gateway_001').and(page.locator('[aria-expanded=false]')).waitFor();
  await treeItem(page, 'sensor_101').waitFor({ state: 'detached' });
  await page.keyboard.press('ArrowRight'); // opens it again
  await treeItem(page, 'sensor_101').waitFor();
  const active = await page.getAttribute('#tree', 'aria-activedescendant');
  assert.equal(await page.locator(`#${active} .name`).textContent(), 'gateway_001');
  // Every form control has a label.
  assert.deepEqual(await unlabelledControls(page), []);
  await assertDashboardClean(page);
});

test('the traffic export downloads valid NDJSON', TIMEOUT, async (t) => {
  const page = await openConnected(t);
  await selectDevice(page, 'sensor_101');
  await page.fill('#cmd-method', 'Calibrate');
  await page.click('#cmd-send');
  await page.locator('#cmd-history li[data-state=success]').waitFor({ timeout: 10_000 });
  await page.click('#tab-traffic');
  await page.locator('#traffic tr').first().waitFor();
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#traffic-export')]);
  assert.match(download.suggestedFilename(), /^tpgate-traffic-.*\.ndjson$/);
  const text = await readFile(await download.path(), 'utf8');
  assert.ok(text.endsWith('\n'));
  const lines = text.slice(0, -1).split('\n');
  assert.ok(lines.length >= 3, `${lines.length} lines`);
  const records = lines.map((line, i) => {
    try {
      return JSON.parse(line);
    } catch (err) {
      assert.fail(`line ${i + 1} is not JSON: ${err.message}: ${line}`);
    }
  });
  for (const r of records) {
    assert.deepEqual(Object.keys(r).sort(), ['device', 'direction', 'payload', 'topic', 'ts'].sort(), JSON.stringify(r));
    assert.equal(typeof r.ts, 'number');
    assert.ok(r.direction === 'in' || r.direction === 'out');
  }
  assert.ok(records.some((r) => r.direction === 'in' && r.topic === 'gateway/telemetry' && r.device === DN && JSON.parse(r.payload).sub_gateway_data));
  const command = records.find((r) => r.direction === 'out' && r.topic.startsWith(`gateway/command/${DN}/`));
  assert.ok(command, 'the command sent is in the export');
  assert.equal(command.device, DN);
  // Downlinks wrap the body in the target's path (docs/thingspanel.md#one-target-per-downlink).
  assert.equal(JSON.parse(command.payload).sub_gateway_data.gateway_001.sub_device_data.sensor_101.method, 'Calibrate');
  assert.ok(records.some((r) => r.direction === 'in' && r.topic.startsWith('gateway/command/response/')));

  // A topic filter narrows the view and the export.
  await page.fill('#traffic-filter', 'gateway/command/#');
  await page.waitForTimeout(300);
  const [filtered] = await Promise.all([page.waitForEvent('download'), page.click('#traffic-export')]);
  const topics = (await readFile(await filtered.path(), 'utf8')).trim().split('\n').map((l) => JSON.parse(l).topic);
  assert.ok(topics.length >= 2 && topics.every((tp) => tp.startsWith('gateway/command/')), topics.join(', '));
  await assertDashboardClean(page);
});

test('connection profiles are kept in localStorage; the form connects', TIMEOUT, async (t) => {
  const page = await openDashboard(browser, `${server.origin}/`);
  t.after(() => page.close());
  assert.equal(await page.getAttribute('#conn-state', 'data-state'), 'idle', 'no query parameters: no connection');
  await page.fill('#conn-url', 'http://not-a-websocket');
  await page.click('#conn-connect');
  assert.match(await page.textContent('#conn-error'), /must start with ws:\/\/ or wss:\/\//);
  await page.fill('#conn-url', broker.wsUrl);
  await page.fill('#conn-username', 'operator');
  await page.fill('#conn-password', 'secret');
  await page.selectOption('#conn-version', '5');
  await page.click('#conn-panel details.advanced summary');
  await page.fill('#conn-gateway', DN);
  await page.fill('#profile-name', 'lab');
  await page.click('#profile-save');
  const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('tpgate.dashboard.profiles')));
  assert.deepEqual(stored.lab, { url: broker.wsUrl, username: 'operator', clientId: '', version: '5', acks: 'spec', gateway: DN, devices: '', api: '' }, 'the password is not kept unless asked');
  await page.click('#conn-connect');
  await page.locator('#conn-state[data-state=connected]').waitFor({ timeout: 15_000 });
  await treeItem(page, 'sensor_101').waitFor({ timeout: 10_000 });

  // A new page of the same origin offers the profile.
  const again = await page.context().newPage();
  t.after(() => again.close());
  await again.goto(`${server.origin}/`);
  await again.selectOption('#profile-select', 'lab');
  assert.equal(await again.inputValue('#conn-url'), broker.wsUrl);
  assert.equal(await again.inputValue('#conn-username'), 'operator');
  assert.equal(await again.inputValue('#conn-password'), '');
  assert.equal(await again.inputValue('#conn-gateway'), DN);
  await assertDashboardClean(page);
});
