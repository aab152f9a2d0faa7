// createEmulator() inside a module Web Worker in Chromium: the package's
// browser entry served as plain files, the default scenario, mosquitto's
// WebSocket listener. An MQTT.js platform peer in Node (no tpgate code) sees
// the worker's telemetry with every level of the tree and gets a command answered.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { startMosquitto } from '../js/helpers/mosquitto.js';
import { startPlatformPeer } from '../js/helpers/platform-peer.js';
import { assertNoPageProblems, inPage, launchChromium, openPage, startAll } from './helpers/chromium.js';
import { startPackageServer } from './helpers/static-server.js';

let broker;
let server;
let browser;

before(async () => {
  await startAll([
    startMosquitto().then((b) => (broker = b)),
    startPackageServer().then((s) => (server = s)),
    launchChromium().then((b) => (browser = b)),
  ]);
});

after(async () => {
  await Promise.allSettled([browser?.close(), server?.stop(), broker?.stop()]);
});

test('createEmulator in a Web Worker: telemetry reaches an MQTT.js subscriber, a command is answered, stop is clean', { timeout: 60_000 }, async (t) => {
  const peer = await startPlatformPeer(broker.tcpUrl);
  t.after(() => peer.close());
  const page = await openPage(browser, `${server.origin}/e2e/emulator-worker.html`);
  t.after(() => page.close());
  await page.waitForFunction(() => window.ready === true);

  const started = await inPage(page, page.evaluate((url) => window.startWorker(url), broker.wsUrl));
  assert.equal(started.inWorker, true, 'the emulator must run in a WorkerGlobalScope');
  assert.equal(started.hasWindow, false);
  const dn = started.deviceNumber;
  peer.gateway = dn;

  const telemetry = await peer.next((m) => m.topic === 'gateway/telemetry', { what: 'telemetry from the worker', past: true });
  assert.ok(telemetry.json?.gateway_data, telemetry.text);
  assert.ok(telemetry.json.sub_device_data?.sensor_001 && telemetry.json.sub_device_data?.sensor_002, telemetry.text);
  assert.ok(telemetry.json.sub_gateway_data?.gateway_001?.sub_device_data?.sensor_101, telemetry.text);

  const answer = await peer.command(dn, { sub_device_data: { sensor_001: { method: 'Calibrate', params: { offset: 0.5 } } } });
  assert.equal(answer.response?.result, 0, answer.text);
  assert.equal(answer.response.method, 'Calibrate');

  const stats = await inPage(page, page.evaluate(() => window.workerCall('stats')));
  assert.equal(stats.connected, 1);
  assert.ok(stats.commands >= 1 && stats.published >= 1, JSON.stringify(stats));

  const final = await inPage(page, page.evaluate(() => window.workerCall('stop')));
  assert.equal(final.forced_closes, 0, 'the worker gateway closed cleanly');
  const clean = [...broker.log().matchAll(/Client (\S+) disconnected\./g)].map((m) => m[1]);
  assert.ok(clean.includes(dn), `mosquitto did not log a clean disconnect of ${dn}:\n${broker.log()}`);
  assertNoPageProblems(page);
});
