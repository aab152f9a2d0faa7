// The dashboard's fleet views (docs/dashboard.md#overview) in Chromium against
// the dev broker in ThingsPanel mode and two emulators running the default
// scenario: gw-1..gw-9 and gw-10..gw-12 (the second is stopped half way, so
// its gateways go offline). Checked: the overview is the landing view and
// counts the fleet (offline included), the gateway table sorts (natural
// order: gw-2 before gw-10), filters by text and status and opens a gateway,
// the tree sorts the same way and expands/collapses all, the payload
// inspector decodes the broker's envelope, the connection form folds into the
// header, and a device map file loads into the profile. Then `tpgate demo
// --gateways 1000`: its link is short and names every gateway by its number.
//
// TPGATE_SCREENSHOTS=1 rewrites docs/screenshots/overview.png and inspector.png.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createEmulator, parseScenario } from 'tpgate/emulator';
import { generateDevices } from 'tpgate/broker';
import {
  SCREENSHOTS_DIR, WRITE_SCREENSHOTS, assertDashboardClean, dashboardUrl, ensureDashboardBuilt, openDashboard, sendCommand, treeItem,
  unlabelledControls, useDashboardRig,
} from './helpers/dashboard.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TIMEOUT = { timeout: 90_000 };
const ROOT_PASSWORD = 'overview-root';
const devices = generateDevices({ count: 12 });
const emulators = [];
let page;
const rig = useDashboardRig({
  thingspanel: devices,
  rootPassword: ROOT_PASSWORD,
  cleanUp: async () => {
    await Promise.allSettled(emulators.map((e) => e.stop()));
    await page?.close();
  },
});

/** The default scenario, `count` gateways from gw-`first`, every device reporting each second. */
async function fleet(first, count) {
  const scenario = await parseScenario();
  scenario.gateways.count = count;
  scenario.gateways.first_index = first;
  const every = (spec) => {
    spec.telemetry_interval_s = 1;
    for (const sub of Object.values(spec.sub_devices ?? {})) sub.telemetry_interval_s = 1;
    for (const sub of Object.values(spec.sub_gateways ?? {})) every(sub);
  };
  every(scenario.gateway);
  const emulator = await createEmulator(scenario, { url: rig.broker.tcpUrl });
  emulators.push(emulator);
  await emulator.start();
  await emulator.waitConnected(count, { timeout: 15_000 });
  return emulator;
}

const kpi = async (name) => Number(await page.getAttribute(`#kpi-${name}`, 'data-value'));
async function waitKpi(name, value, timeout = 20_000) {
  await page.waitForFunction(([n, v]) => document.getElementById(`kpi-${n}`)?.dataset.value === String(v), [name, value], { timeout })
    .catch(async () => assert.fail(`kpi ${name}: expected ${value}, the page shows ${await kpi(name)}`));
}
const shownGateways = () => page.$$eval('#gw-spacer .gw-row[data-gateway]', (rows) =>
  rows.sort((a, b) => Number(a.dataset.index) - Number(b.dataset.index)).map((r) => r.dataset.gateway));
const shownCount = async () => Number(await page.getAttribute('#gw-count', 'data-shown'));
async function waitShown(n) {
  await page.waitForFunction((x) => document.getElementById('gw-count')?.dataset.shown === String(x), n, { timeout: 10_000 });
  await page.waitForFunction((x) => document.querySelectorAll('#gw-spacer .gw-row[data-gateway]').length === x, Math.min(n, 12), { timeout: 10_000 });
}

test('the overview is the landing view and counts the fleet', TIMEOUT, async () => {
  page = await openDashboard(rig.browser, dashboardUrl(rig.server.origin, {
    url: rig.broker.wsUrl, username: 'root', password: ROOT_PASSWORD, version: 4,
    devices: devices.map((d) => `${d.device_id}=${d.device_number}`).join(','),
  }));
  await page.locator('#conn-state[data-state=connected]').waitFor({ timeout: 15_000 });
  assert.equal(await page.getAttribute('#tab-overview', 'aria-selected'), 'true');
  assert.equal(await page.isVisible('#panel-overview'), true);
  assert.equal(await page.isVisible('#panel-device'), false);
  await fleet(1, 9);
  await fleet(10, 3);
  await waitKpi('gateways', 12);
  await waitKpi('online', 12);
  // Each default gateway: sensor_001, sensor_002, gateway_001 and sensor_101 below it.
  await waitKpi('devices', 48);
  assert.equal(await kpi('offline'), 0);
  assert.equal(await page.isHidden('#fleet-unnamed'), true, 'every gateway is named by its device number');
  // Every attribute and event report on connect was acked by the dashboard's platform client.
  await waitKpi('awaiting', 0);
  // The rate chart gathers a point a second.
  await page.waitForFunction(() => Number(document.getElementById('rate-chart')?.dataset.points) >= 3, null, { timeout: 10_000 });
  assert.ok((await kpi('inRate')) > 0, 'messages per second in');
  await page.locator('#rate-chart canvas').first().waitFor();
  await waitShown(12);
  assert.equal(await page.textContent('#gw-count'), '12 gateways');
});

test('the gateway table sorts naturally, by any column, and filters by text and status', TIMEOUT, async () => {
  const natural = devices.map((d) => d.device_number);
  assert.deepEqual(natural.slice(0, 3), ['gw-1', 'gw-2', 'gw-3']);
  assert.deepEqual(await shownGateways(), natural, 'by name, gw-2 before gw-10');
  const header = (key) => page.locator(`#gw-head [role=columnheader]:has(button[data-sort=${key}])`);
  assert.equal(await header('name').getAttribute('aria-sort'), 'ascending');
  await page.click('#gw-head button[data-sort=name]');
  assert.equal(await header('name').getAttribute('aria-sort'), 'descending');
  await page.waitForFunction(() => document.querySelector('#gw-spacer .gw-row[data-index="0"]')?.dataset.gateway === 'gw-12');
  assert.deepEqual(await shownGateways(), natural.slice().reverse());
  // A numeric column starts highest first: sub-devices are 4 each (ties by name); msg/s must not increase down the table.
  await page.click('#gw-head button[data-sort=rate]');
  assert.equal(await header('rate').getAttribute('aria-sort'), 'descending');
  await page.waitForTimeout(600);
  const rates = await page.$$eval('#gw-spacer .gw-row[data-gateway]', (rows) =>
    rows.sort((a, b) => Number(a.dataset.index) - Number(b.dataset.index)).map((r) => Number(r.querySelector('.col-rate').textContent)));
  assert.equal(rates.length, 12);
  for (let i = 1; i < rates.length; i++) assert.ok(rates[i] <= rates[i - 1], `msg/s sorted high to low: ${rates}`);
  await page.click('#gw-head button[data-sort=name]');
  await page.waitForFunction(() => document.querySelector('#gw-spacer .gw-row[data-index="0"]')?.dataset.gateway === 'gw-1');

  await page.fill('#gw-filter', 'gw-1');
  await waitShown(4);
  assert.deepEqual(await shownGateways(), ['gw-1', 'gw-10', 'gw-11', 'gw-12']);
  assert.equal(await page.textContent('#gw-count'), '4 of 12 gateways');
  await page.fill('#gw-filter', 'no such gateway');
  await waitShown(0);
  assert.equal(await page.isVisible('#gw-empty'), true);
  await page.fill('#gw-filter', '');
  await waitShown(12);
});

test('stopped gateways are counted offline; the status filter shows them', TIMEOUT, async () => {
  await emulators[1].stop();
  await waitKpi('offline', 3);
  await waitKpi('online', 9);
  assert.equal(await kpi('gateways'), 12);
  await page.selectOption('#gw-status', 'offline');
  await waitShown(3);
  assert.deepEqual(await shownGateways(), ['gw-10', 'gw-11', 'gw-12']);
  for (const s of await page.$$eval('#gw-spacer .gw-row[data-gateway]', (rows) => rows.map((r) => r.dataset.status))) assert.equal(s, 'offline');
  await page.selectOption('#gw-status', 'all');
  await waitShown(12);
});

test('a row opens its gateway, by mouse and by keyboard; the last request shows in the table', TIMEOUT, async () => {
  await page.click('#gw-spacer .gw-row[data-gateway="gw-3"]');
  await page.locator('#dev-title', { hasText: /^gw-3$/ }).waitFor();
  assert.equal(await page.getAttribute('#tab-device', 'aria-selected'), 'true');
  assert.equal(await treeItem(page, 'gw-3').getAttribute('aria-selected'), 'true');
  const history = await sendCommand(page, 'Restart', '{"delay": 1}', 'success');
  assert.match(history, /success/);

  await page.click('#tab-overview');
  await page.focus('#gw-table');
  await page.keyboard.press('Home');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  // The grid names its active row (drawn on the next frame).
  await page.waitForFunction(() => {
    const id = document.getElementById('gw-table').getAttribute('aria-activedescendant');
    return id !== null && document.getElementById(id)?.dataset.gateway === 'gw-3';
  }, null, { timeout: 5000 });
  const rtt = page.locator('#gw-spacer .gw-row[data-gateway="gw-3"] .col-rtt');
  await rtt.and(page.locator('[data-result=success]')).waitFor({ timeout: 5000 });
  assert.match(await rtt.textContent(), /^\d+ ms · command: success$/);
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('Enter');
  await page.locator('#dev-title', { hasText: /^gw-2$/ }).waitFor();
  assert.equal(await kpi('failedRequests'), 0);
});

test('the tree sorts naturally, expands and collapses all, and keeps the selection while data arrives', TIMEOUT, async () => {
  const roots = () => page.$$eval('#tree [role=treeitem][aria-level="1"]', (rows) =>
    rows.sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top)).map((r) => r.querySelector('.name').textContent));
  await page.click('#tree-collapse');
  await page.waitForFunction(() => document.querySelectorAll('#tree [role=treeitem]:not([aria-level="1"])').length === 0);
  assert.deepEqual(await roots(), devices.map((d) => d.device_number));
  await page.click('#tree-expand');
  await treeItem(page, 'sensor_101').first().waitFor();
  assert.equal(await page.getAttribute('#tree [role=treeitem][aria-level="1"]', 'aria-expanded'), 'true');
  // gw-2 is selected (the previous test): still so after two seconds of reports.
  await page.waitForTimeout(2000);
  assert.equal(await treeItem(page, 'gw-2').getAttribute('aria-selected'), 'true');
  await page.locator('#dev-title', { hasText: /^gw-2$/ }).waitFor();
});

test('the payload inspector decodes the envelope of a raw message and of a device\'s last telemetry', TIMEOUT, async () => {
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.click('#tab-traffic');
  await page.fill('#traffic-filter', 'gateway/telemetry');
  await page.locator('#traffic tr[data-seq] td.topic', { hasText: /^gateway\/telemetry$/ }).first().waitFor({ timeout: 10_000 });
  await page.locator('#traffic tr[data-seq] button.link').first().click();
  await page.locator('#inspector[open] #insp-envelope').waitFor({ timeout: 5000 });
  assert.equal(await page.textContent('#insp-meta dd[data-field=topic]'), 'gateway/telemetry');
  assert.match(await page.textContent('#insp-meta dd[data-field=qos]'), /^[012]$/);
  assert.equal(await page.textContent('#insp-meta dd[data-field=retain]'), 'no');
  assert.match(await page.textContent('#insp-meta dd[data-field=size]'), /^\d+ bytes$/);
  const envelope = await page.$$eval('#insp-envelope dd', (dd) => dd.map((d) => d.textContent));
  const known = new Map(devices.map((d) => [d.device_id, d.device_number]));
  assert.equal(known.get(envelope[0]), envelope[1], `device_id ${envelope[0]} is ${envelope[1]}`);
  assert.equal(await page.textContent('#insp-kind'), 'JSON');
  await page.locator('#insp-json .json-key', { hasText: /^sub_device_data$/ }).first().waitFor();
  await page.click('#insp-copy button[data-copy=payload]');
  await page.locator('#insp-status[data-state=success]').waitFor();
  const copied = JSON.parse(await page.evaluate(() => navigator.clipboard.readText()));
  assert.ok(copied.sub_device_data?.sensor_001, `the decoded payload was copied: ${JSON.stringify(copied).slice(0, 200)}`);
  if (WRITE_SCREENSHOTS) await page.screenshot({ path: path.join(SCREENSHOTS_DIR, 'inspector.png') });
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => !document.getElementById('inspector').open);

  await page.click('#tab-device');
  await page.click('#telemetry-inspect');
  await page.locator('#inspector[open] #insp-envelope').waitFor({ timeout: 5000 });
  assert.equal(await page.textContent('#insp-title'), 'Last telemetry of gw-2');
  assert.equal(await page.textContent('#insp-meta dd[data-field=device]'), 'gw-2');
  await page.click('#insp-close');
  await page.click('#tab-traffic');
  await page.fill('#traffic-filter', '');
});

test('once connected, the form is folded into the header and unfolds on demand', TIMEOUT, async () => {
  assert.equal(await page.isHidden('#conn-panel'), true);
  const summary = await page.textContent('#conn-summary-text');
  assert.equal(summary, `${rig.broker.wsUrl} · root · MQTT 3.1.1`);
  assert.equal(await page.getAttribute('#conn-summary', 'aria-expanded'), 'false');
  await page.click('#conn-summary');
  assert.equal(await page.isVisible('#conn-url'), true);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'conn-url');
  assert.equal(await page.getAttribute('#conn-summary', 'aria-expanded'), 'true');
  await page.click('#conn-summary');
  assert.equal(await page.isHidden('#conn-panel'), true);
  // Every control has a label.
  assert.deepEqual(await unlabelledControls(page), []);
  await page.click('#tab-overview');
  await assertDashboardClean(page);
});

test('a device map file (CSV or JSON) fills the device numbers and is kept with the profile', TIMEOUT, async () => {
  const p = await openDashboard(rig.browser, rig.server.origin);
  try {
    await p.locator('#conn-url').waitFor();
    await p.evaluate(() => (document.querySelector('#conn-panel details.advanced').open = true));
    const csv = `device_number;device_id\n${devices.slice(0, 3).map((d) => `${d.device_number};${d.device_id}`).join('\n')}\n`;
    await p.setInputFiles('#conn-map-file', { name: 'fleet.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await p.locator('#conn-map-status', { hasText: /^3 device numbers from fleet\.csv/ }).waitFor();
    assert.equal(await p.inputValue('#conn-devices'), devices.slice(0, 3).map((d) => `${d.device_id}=${d.device_number}`).join('\n'));
    await p.fill('#profile-name', 'fleet');
    await p.click('#profile-save');
    await p.setInputFiles('#conn-map-file', { name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from('{"x": 1}') });
    await p.locator('#conn-error', { hasText: 'bad.json: the value of "x" must be a device_number' }).waitFor();
    const json = JSON.stringify({ data: { devices: devices.slice(3, 5) } });
    await p.setInputFiles('#conn-map-file', { name: 'api.json', mimeType: 'application/json', buffer: Buffer.from(json) });
    await p.locator('#conn-map-status', { hasText: /^2 device numbers from api\.json/ }).waitFor();
    await p.reload();
    await p.selectOption('#profile-select', 'fleet');
    assert.equal(await p.inputValue('#conn-devices'), devices.slice(0, 3).map((d) => `${d.device_id}=${d.device_number}`).join('\n'));
    await assertDashboardClean(p);
  } finally {
    await p.close();
  }
  // A map link that cannot be read: said, and the dashboard connects all the same (gateways by device_id).
  const q = await openDashboard(rig.browser, dashboardUrl(rig.server.origin, { url: rig.broker.wsUrl, username: 'root', password: ROOT_PASSWORD, version: 4, map: 'no-such-map.json' }));
  try {
    await q.locator('#conn-state[data-state=connected]').waitFor({ timeout: 15_000 });
    assert.match(await q.textContent('#conn-error'), /^Cannot read the device map http:\/\/127\.0\.0\.1:\d+\/no-such-map\.json: HTTP 404; gateways show by device_id\.$/);
    // The gateways still reporting (gw-1..gw-9) show by device_id, and the overview says why.
    await q.locator('#fleet-unnamed', { hasText: /gateways show their device_id: no device number is known for them/ }).waitFor({ timeout: 15_000 });
  } finally {
    await q.close();
  }
});

test('tpgate demo --gateways 1000: a link under 300 characters, every gateway named by its device number', { timeout: 240_000 }, async (t) => {
  await ensureDashboardBuilt();
  const child = spawn(process.execPath, ['npm/bin/tpgate.js', 'demo', '--gateways', '1000', '--tcp', '0', '--ws', '0', '--http', '0', '--status-every', '0'], {
    cwd: root, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  t.after(() => child.kill('SIGKILL'));
  const until = Date.now() + 120_000;
  while (!/dashboard +http/.test(output)) {
    if (Date.now() > until || child.exitCode !== null) assert.fail(`no dashboard link:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const link = /dashboard +(http:\/\/\S+)/.exec(output)[1];
  t.diagnostic(`the link (${link.length} characters): ${link}`);
  assert.ok(link.length < 300, `the link is ${link.length} characters`);
  const p = await openDashboard(rig.browser, link);
  try {
    await p.locator('#conn-state[data-state=connected]').waitFor({ timeout: 30_000 });
    await p.waitForFunction(() => document.getElementById('kpi-gateways')?.dataset.value === '1000', null, { timeout: 90_000 });
    assert.equal(await p.isHidden('#fleet-unnamed'), true, await p.textContent('#fleet-unnamed'));
    // Every row is a device number: filtering by the number pattern keeps all 1000.
    await p.fill('#gw-filter', 'gw-');
    await p.waitForFunction(() => document.getElementById('gw-count')?.dataset.shown === '1000', null, { timeout: 10_000 });
    const first = await p.$$eval('#gw-spacer .gw-row[data-gateway]', (rows) =>
      rows.sort((a, b) => Number(a.dataset.index) - Number(b.dataset.index)).slice(0, 3).map((r) => r.dataset.gateway));
    assert.deepEqual(first, ['gw-1', 'gw-2', 'gw-3']);
    await p.waitForTimeout(WRITE_SCREENSHOTS ? 15_000 : 0);
    if (WRITE_SCREENSHOTS) {
      await p.fill('#gw-filter', '');
      await p.click('#gw-head button[data-sort=rate]');
      await p.waitForTimeout(1500);
      await p.screenshot({ path: path.join(SCREENSHOTS_DIR, 'overview.png') });
    }
    await assertDashboardClean(p);
  } finally {
    await p.close();
  }
});
