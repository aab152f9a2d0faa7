// The dashboard's Scripts view (docs/dashboard.md#data-scripts) in Chromium
// against the dev broker in ThingsPanel mode and the emulator's default
// scenario (the seed gateway gw-1): edit a data script, run it in the worker
// on gw-1's last raw uplink or on pasted input, see its errors with their
// lines, enable it on the platform client and see what it changed.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createEmulator } from 'tpgate/emulator';
import { generateDevices, parseConfigurations } from 'tpgate/broker';
import {
  assertDashboardClean, dashboardUrl, openDashboard, runScript, selectDevice, sendCommand, setScriptSource, treeItem,
  unlabelledControls, useDashboardRig,
} from './helpers/dashboard.js';

const TIMEOUT = { timeout: 60_000 };
const ROOT_PASSWORD = 'dashboard-root';
const HOSTILE = '<img src=x onerror="window.__xss=1">';

const TEMPLATE = `local json = require("json")
function encodeInp(msg, topic)
  local data = json.decode(msg)
  -- change data here
  return json.encode(data)
end
`;

// Adds scripted = 1 to the gateway's own telemetry.
const RESHAPE = `local json = require("json")
function encodeInp(msg, topic)
  local data = json.decode(msg)
  data.gateway_data = data.gateway_data or {}
  data.gateway_data.scripted = 1
  return json.encode(data)
end
`;

// A syntax error on line 3.
const BROKEN = `local json = require("json")
function encodeInp(msg, topic)
  local x = = 1
  return msg
end
`;

// Fails at run time on line 4.
const FAILING = `local json = require("json")
function encodeInp(msg, topic)
  local t = nil
  return t.field
end
`;

const devices = generateDevices({ count: 1 });

/** Waits for the selected device's telemetry to show scripted = 1; a timeout says what it showed instead. */
async function waitForScriptedKey() {
  try {
    await page.locator('#telemetry tr[data-key=scripted] td', { hasText: /^1$/ }).first().waitFor({ timeout: 15_000 });
  } catch (err) {
    const keys = await page.locator('#telemetry tr').evaluateAll((rows) => rows.map((r) => r.dataset.key));
    err.message += `\ntelemetry keys: ${keys.join(', ')}\nnotices: ${await page.textContent('#notices')}\nscripts: ${await page.textContent('#scr-apply-status')}`;
    throw err;
  }
}

let page;
let emulator;
const rig = useDashboardRig({
  thingspanel: devices, rootPassword: ROOT_PASSWORD,
  cleanUp: async () => {
    await emulator?.stop().catch(() => {});
    await page?.close();
  },
});

// The tests share one page, in order.

test('the Scripts tab opens from the keyboard with the default template; gw-1 is offered as input', TIMEOUT, async () => {
  const url = dashboardUrl(rig.server.origin, {
    url: rig.broker.wsUrl, username: 'root', password: ROOT_PASSWORD, clientId: 'dashboard-scripts-e2e', version: 4,
    devices: devices.map((d) => `${d.device_id}=${d.device_number}`).join(','),
  });
  page = await openDashboard(rig.browser, url);
  await page.locator('#conn-state[data-state=connected]').waitFor({ timeout: 15_000 });
  emulator = await createEmulator(undefined, { url: rig.broker.tcpUrl, gateways: 1 });
  await emulator.start();
  await emulator.waitConnected(1, { timeout: 10_000 });
  // The whole tree, before anything is clicked in it.
  for (const name of ['gw-1', 'sensor_001', 'sensor_002', 'gateway_001', 'sensor_101']) await treeItem(page, name).waitFor({ timeout: 10_000 });

  await page.focus('#tab-device');
  await page.keyboard.press('End');
  assert.equal(await page.getAttribute('#tab-scripts', 'aria-selected'), 'true');
  assert.equal(await page.isVisible('#panel-scripts'), true);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'tab-scripts');
  assert.equal(await page.inputValue('#scr-config'), 'default');
  assert.equal(await page.inputValue('#scr-type'), 'telemetry_up');
  assert.equal(await page.inputValue('#scr-source'), TEMPLATE);
  assert.equal(await page.locator('#scr-lines span').count(), TEMPLATE.split('\n').length);
  assert.equal(await page.isChecked('#scr-enabled'), false);
  await page.locator('#scr-gateway option', { hasText: /^gw-1$/ }).waitFor({ state: 'attached', timeout: 10_000 });
  assert.deepEqual(await unlabelledControls(page), []);
  await assertDashboardClean(page);
});

test('an edited script runs on gw-1\'s last raw telemetry (unwrapped from the envelope) and shows its output', TIMEOUT, async () => {
  // gw-1's telemetry has arrived (the raw traffic view shows it).
  await page.click('#tab-traffic');
  await page.locator('#traffic td.topic', { hasText: /^gateway\/telemetry$/ }).first().waitFor({ timeout: 15_000 });
  await page.click('#tab-scripts');
  await setScriptSource(page, RESHAPE);
  await page.selectOption('#scr-input-kind', 'last');
  await page.selectOption('#scr-gateway', { label: 'gw-1' });
  const run = await runScript(page);
  assert.equal(run.state, 'success', run.status);
  const output = JSON.parse(await page.textContent('#scr-output'));
  assert.equal(output.gateway_data.scripted, 1);
  // The whole gateway payload, as the emulator sent it (the envelope is gone).
  assert.ok(output.sub_gateway_data.gateway_001.sub_device_data.sensor_101, JSON.stringify(output));
  assert.equal(output.device_id, undefined);
  assert.match(await page.textContent('#scr-json'), /"scripted": 1/);
  assert.equal(await page.isVisible('#scr-json'), true);
  assert.match(await page.textContent('#scr-input-used'), /^Input: gateway\/telemetry, \d+ bytes/);
  assert.equal(await page.isHidden('#scr-error'), true);
  await assertDashboardClean(page);
});

test('a syntax error shows its kind, line 3 and Lua\'s message, and marks line 3', TIMEOUT, async () => {
  await setScriptSource(page, BROKEN);
  await page.selectOption('#scr-input-kind', 'text');
  await page.fill('#scr-input', '{"gateway_data": {"t": 1}}');
  assert.equal(await page.isHidden('#scr-gateway'), true, 'pasted input hides the gateway picker');
  const run = await runScript(page);
  assert.equal(run.state, 'failure', run.status);
  assert.equal(await page.textContent('#scr-error-kind'), 'syntax');
  assert.equal(await page.textContent('#scr-error-line'), '3');
  assert.match(await page.textContent('#scr-error-message'), /:3:/);
  assert.match(run.status, /^syntax error · line 3: /);
  assert.equal(await page.getAttribute('#scr-editor', 'data-error-line'), '3');
  assert.deepEqual(await page.locator('#scr-lines span.err').allTextContents(), ['3']);
  assert.equal(await page.isVisible('#scr-error-band'), true);
  assert.equal(await page.textContent('#scr-output'), '');
  // Editing clears the mark.
  await page.press('#scr-source', 'End');
  await page.keyboard.type(' ');
  assert.equal(await page.getAttribute('#scr-editor', 'data-error-line'), null);
  await assertDashboardClean(page);
});

test('a runtime error shows its line', TIMEOUT, async () => {
  await setScriptSource(page, FAILING);
  await page.selectOption('#scr-input-kind', 'text');
  await page.fill('#scr-input', '{}');
  const run = await runScript(page);
  assert.equal(run.state, 'failure', run.status);
  assert.equal(await page.textContent('#scr-error-kind'), 'runtime');
  assert.equal(await page.textContent('#scr-error-line'), '4');
  assert.match(await page.textContent('#scr-error-message'), /:4:.*index/);
  assert.deepEqual(await page.locator('#scr-lines span.err').allTextContents(), ['4']);
  await assertDashboardClean(page);
});

test('pasted 0x input reaches the script as bytes', TIMEOUT, async () => {
  await setScriptSource(page, 'function encodeInp(msg, topic)\n  return tostring(#msg)\nend\n');
  await page.selectOption('#scr-input-kind', 'text');
  await page.fill('#scr-input', '0x01ff0010');
  let run = await runScript(page);
  assert.equal(run.state, 'success', run.status);
  assert.equal(await page.textContent('#scr-output'), '4');
  assert.match(await page.textContent('#scr-input-used'), /^Input: 4 bytes$/);
  // Other text is its UTF-8 bytes.
  await page.fill('#scr-input', 'héllo');
  run = await runScript(page);
  assert.equal(run.state, 'success', run.status);
  assert.equal(await page.textContent('#scr-output'), '6');
  await assertDashboardClean(page);
});

test('hostile script input and output render as text and run nothing', TIMEOUT, async () => {
  await setScriptSource(page, 'function encodeInp(msg, topic)\n  return msg .. \'<img src=x onerror="window.__xss=2">\'\nend\n');
  await page.selectOption('#scr-input-kind', 'text');
  await page.fill('#scr-input', HOSTILE);
  const run = await runScript(page);
  assert.equal(run.state, 'success', run.status);
  assert.equal(await page.textContent('#scr-output'), `${HOSTILE}<img src=x onerror="window.__xss=2">`);
  assert.equal(await page.textContent('#scr-input-preview'), HOSTILE);
  assert.equal(await page.isHidden('#scr-json-wrap'), true, 'not JSON');
  const found = await page.evaluate(() => ({ xss: window.__xss, imgs: document.querySelectorAll('img').length }));
  assert.deepEqual(found, { xss: undefined, imgs: 0 });
  assert.ok(!rig.server.requests.some((r) => r.path === '/x'), 'the browser never fetched the hostile <img> source');
  await assertDashboardClean(page);
});

test('a script that does not compile cannot be enabled; the error names its line', TIMEOUT, async () => {
  await setScriptSource(page, BROKEN);
  // The box unchecks itself once the worker says the script does not compile.
  await page.click('#scr-enabled');
  await page.locator('#scr-apply-status[data-state=failure]').waitFor({ timeout: 10_000 });
  assert.match(await page.textContent('#scr-apply-status'), /^Not enabled: syntax error · line 3: /);
  assert.equal(await page.isChecked('#scr-enabled'), false);
  assert.equal(await page.getAttribute('#scr-editor', 'data-error-line'), '3');
  assert.match(await page.locator('#scr-type option[value=telemetry_up]').textContent(), /disabled$/);
  await assertDashboardClean(page);
});

test('an enabled upload script reshapes gw-1\'s telemetry, and again after a reconnect', TIMEOUT, async () => {
  await page.click('#scr-devices-all');
  assert.match(await page.inputValue('#scr-devices'), /^gw-1$/m);
  await setScriptSource(page, RESHAPE);
  await page.check('#scr-enabled');
  await page.locator('#scr-apply-status[data-state=success]').waitFor({ timeout: 10_000 });
  assert.match(await page.textContent('#scr-apply-status'), /^Applied: 1 script enabled, running on the platform client\.$/);
  assert.match(await page.locator('#scr-type option[value=telemetry_up]').textContent(), /enabled$/);
  await selectDevice(page, 'gw-1');
  await waitForScriptedKey();

  // A new connection (a new platform client) gets the enabled scripts too.
  // Connected, the form is folded into the header: unfold it first.
  await page.click('#conn-summary');
  await page.click('#conn-disconnect');
  await page.locator('#conn-state[data-state=closed]').waitFor({ timeout: 10_000 });
  const before = Number(await page.getAttribute('#stats', 'data-received'));
  await page.click('#conn-connect');
  await page.locator('#conn-state[data-state=connected]').waitFor({ timeout: 15_000 });
  // The new connection's model has replaced the old one (its count starts again) before a device is picked.
  await page.waitForFunction((n) => Number(document.getElementById('stats').dataset.received) < n, before, { timeout: 15_000 });
  await selectDevice(page, 'gw-1');
  await waitForScriptedKey();
  await assertDashboardClean(page);
});

test('an enabled upload script failing at run time shows in the notices with gateway, script type and line', TIMEOUT, async () => {
  await page.click('#tab-scripts');
  await setScriptSource(page, FAILING);
  assert.match(await page.textContent('#scr-apply-status'), /^Edited: Apply/);
  await page.click('#scr-apply');
  await page.locator('#scr-apply-status[data-state=success]').waitFor({ timeout: 10_000 });
  const notice = page.locator('#notices li', { hasText: /^ERR_SCRIPT: gateway gw-1: telemetry_up script of configuration default failed \(runtime line 4\): / });
  await notice.first().waitFor({ timeout: 15_000 });
  // Disabled, the telemetry flows unchanged again.
  await page.uncheck('#scr-enabled');
  await page.locator('#scr-apply-status[data-state=success]', { hasText: /^Applied: 0 scripts enabled/ }).waitFor({ timeout: 10_000 });
  assert.match(await page.locator('#scr-type option[value=telemetry_up]').textContent(), /disabled$/);
  await assertDashboardClean(page);
});

test('configurations export and import as a configurations file; they persist in the browser', TIMEOUT, async () => {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#scr-export')]);
  assert.equal(download.suggestedFilename(), 'configurations.json');
  const file = JSON.parse(await readFile(await download.path(), 'utf8'));
  // The gateway the tree knows is written with its device_id too.
  assert.deepEqual(file.devices, [{ device_id: devices[0].device_id, device_number: 'gw-1', configuration: 'default' }]);
  assert.equal(file.configurations.length, 1);
  assert.equal(file.configurations[0].id, 'default');
  // Scripts are {content, enabled}, as docs/configurations.md has them.
  assert.deepEqual(file.configurations[0].scripts.telemetry_up, { content: FAILING, enabled: false });
  // The package's own parser takes its configurations as they are.
  const parsed = parseConfigurations({ configurations: file.configurations, devices: [] }, { source: 'export' });
  assert.equal(parsed.configurations[0].scripts.telemetry_up.content, FAILING);

  const imported = path.join(tmpdir(), `tpgate-configurations-${process.pid}.json`);
  await writeFile(imported, JSON.stringify({
    configurations: [{
      id: 'imported',
      name: 'Imported gateway',
      scripts: { event_up: { content: TEMPLATE, enabled: false }, attributes_up: { content: 'function encodeInp(msg) return msg end' } },
    }],
    devices: [
      { device_id: 'f0a1', device_number: 'gw-9', username: 'gw-9', configuration: 'imported' },
      { device_id: 'abc', username: 'abc', configuration: 'imported' },
    ],
  }));
  await page.setInputFiles('#scr-import', imported);
  await page.locator('#scr-config-status[data-state=success]', { hasText: 'Imported 1 configuration' }).waitFor({ timeout: 10_000 });
  assert.equal(await page.inputValue('#scr-config'), 'imported');
  assert.equal(await page.inputValue('#scr-devices'), 'gw-9\nabc');
  // A script without "enabled" is enabled.
  assert.match(await page.locator('#scr-type option[value=attributes_up]').textContent(), /enabled$/);
  assert.match(await page.locator('#scr-type option[value=event_up]').textContent(), /disabled$/);
  await page.selectOption('#scr-type', 'event_up');
  assert.equal(await page.inputValue('#scr-source'), TEMPLATE);

  await page.reload();
  await page.click('#tab-scripts');
  assert.deepEqual(await page.locator('#scr-config option').allTextContents(), ['default', 'imported']);
  await page.selectOption('#scr-config', 'default');
  assert.equal(await page.inputValue('#scr-source'), FAILING);
  assert.equal(await page.inputValue('#scr-devices'), 'gw-1');
  await assertDashboardClean(page);
});

test('Tab indents in the editor; Escape then Tab leaves it', TIMEOUT, async () => {
  await page.click('#tab-scripts');
  await page.selectOption('#scr-type', 'command_down');
  await page.fill('#scr-source', '');
  await page.focus('#scr-source');
  await page.keyboard.press('Tab');
  await page.keyboard.type('x');
  assert.equal(await page.inputValue('#scr-source'), '  x');
  await page.keyboard.press('Escape');
  await page.keyboard.press('Tab');
  assert.notEqual(await page.evaluate(() => document.activeElement.id), 'scr-source');
  assert.deepEqual(await unlabelledControls(page), []);
  await assertDashboardClean(page);
});

test('an enabled download script that fails rejects the command it would encode, with its line', TIMEOUT, async () => {
  await page.click('#tab-scripts');
  await page.selectOption('#scr-config', 'default');
  await page.selectOption('#scr-type', 'command_down');
  await setScriptSource(page, 'function encodeInp(msg, topic)\n  local n = 1\n  error("commands are off")\nend\n');
  await page.check('#scr-enabled');
  await page.locator('#scr-apply-status[data-state=success]').waitFor({ timeout: 10_000 });
  await selectDevice(page, 'gw-1');
  const text = await sendCommand(page, 'Restart', '{}', 'failure');
  assert.match(text, /ERR_SCRIPT/);
  assert.match(text, /:3: commands are off/);
  await page.click('#tab-scripts');
  await page.uncheck('#scr-enabled');
  await page.locator('#scr-apply-status[data-state=success]', { hasText: /^Applied: 1 script enabled/ }).waitFor({ timeout: 10_000 });
  await assertDashboardClean(page);
});
