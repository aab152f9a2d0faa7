// A virtual gateway with a custom format (docs/scenario.md "Custom format")
// against a real aedes broker, with an MQTT.js client as the platform: its
// telemetry arrives on the custom topic in the shape its Lua script gives, a
// command in the custom shape on the custom command topic is answered on the
// standard response topic, and a command its script refuses is counted as a
// script error while the gateway goes on.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { connectAsync } from 'mqtt';

import { inlineScriptFiles } from '../../npm/src/cli/emulate.js';
import { createEmulator } from '../../npm/src/emulator-node.js';
import { startAedes } from './helpers/aedes.js';

const TELEMETRY_UP = `
local json = require("json")
function encodeInp(msg, topic)
  local d = json.decode(msg)
  return "T;" .. tostring(d.gateway_data.temperature)
end
`;

// "Restart:safe" -> {"gateway_data":{"method":"Restart","params":{"mode":"safe"}}}
const COMMAND_DOWN = `
local json = require("json")
function encodeInp(msg, topic)
  local method, mode = string.match(msg, "^(%a+):(%a+)$")
  if method == nil then error("not a command: " .. msg) end
  return json.encode({ gateway_data = { method = method, params = { mode = mode } } })
end
`;

const SCENARIO = {
  gateways: { count: 1, device_number: 'cf-{i}' },
  gateway: {
    telemetry_interval_s: 1,
    telemetry: { temperature: { type: 'counter', start: 20 } },
    commands: { Restart: {} },
    format: {
      uplink: { telemetry: 'things/{device_number}/up' },
      downlink: { command: 'things/{device_number}/cmd/{message_id}' },
      scripts: { telemetry_up: { source: TELEMETRY_UP }, command_down: { source: COMMAND_DOWN } },
    },
  },
};

let broker;
before(async () => {
  broker = await startAedes();
});
after(() => broker?.stop());

/** An MQTT.js client recording every message; next(predicate) waits for one. */
async function platform(url) {
  const client = await connectAsync(url, { clientId: `custom-format-peer-${process.pid}`, reconnectPeriod: 0 });
  const seen = [];
  const waiting = [];
  client.on('message', (topic, payload) => {
    const m = { topic, text: payload.toString() };
    seen.push(m);
    for (const w of [...waiting]) {
      if (w.predicate(m)) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  await client.subscribeAsync(['things/#', 'gateway/#'], { qos: 1 });
  return {
    client,
    seen,
    next(predicate, what) {
      const found = seen.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const w = { predicate, resolve };
        waiting.push(w);
        setTimeout(() => {
          if (!waiting.includes(w)) return;
          waiting.splice(waiting.indexOf(w), 1);
          reject(new Error(`no ${what} within 15 s; seen: ${seen.map((m) => m.topic).join(', ')}`));
        }, 15_000).unref();
      });
    },
  };
}

test('uplinks on the custom topic in the custom shape; a custom command is answered on the standard response topic', async () => {
  const peer = await platform(broker.tcpUrl);
  const emu = await createEmulator(SCENARIO, { url: broker.tcpUrl, events: true });
  const events = [];
  emu.on('event', (e) => events.push(e));
  try {
    await emu.start();
    const up = await peer.next((m) => m.topic === 'things/cf-1/up', 'telemetry on things/cf-1/up');
    assert.match(up.text, /^T;\d+$/);
    assert.ok(!peer.seen.some((m) => m.topic === 'gateway/telemetry'), 'no standard telemetry');

    await peer.client.publishAsync('things/cf-1/cmd/4711', 'Restart:safe', { qos: 1 });
    const response = await peer.next((m) => m.topic === 'gateway/command/response/4711', 'the command response');
    const body = JSON.parse(response.text);
    assert.equal(body.result, 0);
    assert.equal(body.method, 'Restart');

    // The standard command topic is not listened to any more.
    await peer.client.publishAsync('gateway/command/cf-1/4712', JSON.stringify({ gateway_data: { method: 'Restart', params: {} } }), { qos: 1 });
    // A command the script refuses: counted, logged, no response; the gateway goes on.
    await peer.client.publishAsync('things/cf-1/cmd/4713', 'nonsense', { qos: 1 });
    await peer.client.publishAsync('things/cf-1/cmd/4714', 'Restart:fast', { qos: 1 });
    await peer.next((m) => m.topic === 'gateway/command/response/4714', 'the response after the refused command');
    assert.ok(!peer.seen.some((m) => m.topic === 'gateway/command/response/4712'), 'no answer on the standard topic');
    assert.ok(!peer.seen.some((m) => m.topic === 'gateway/command/response/4713'), 'no answer to the refused command');
    const s = emu.stats();
    assert.equal(s.script_errors, 1);
    assert.equal(s.commands, 2);
    const failure = events.find((e) => e.kind === 'script');
    assert.ok(failure, JSON.stringify(events));
    assert.equal(failure.script, 'command_down');
    assert.match(failure.message, /not a command: nonsense/);
  } finally {
    await emu.stop();
    await peer.client.endAsync();
  }
});

test('a script that does not compile is a scenario error naming its path and line', async () => {
  const bad = structuredClone(SCENARIO);
  bad.gateway.format.scripts.telemetry_up.source = 'function encodeInp(msg, topic)\n  return msg ..\nend\n';
  await assert.rejects(createEmulator(bad, { url: broker.tcpUrl }), (err) => {
    assert.equal(err.code, 'ERR_INVALID_SCENARIO');
    assert.equal(err.path, '$.gateway.format.scripts.telemetry_up.source');
    assert.match(err.message, /does not compile \(line 3\)/);
    return true;
  });
});

test('tpgate emulate reads script files relative to the scenario', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tpgate-format-'));
  try {
    await writeFile(path.join(dir, 'up.lua'), TELEMETRY_UP);
    const scenario = structuredClone(SCENARIO);
    scenario.gateway.format.scripts.telemetry_up = { file: 'up.lua' };
    const text = await inlineScriptFiles(JSON.stringify(scenario), dir);
    assert.equal(JSON.parse(text).gateway.format.scripts.telemetry_up.source, TELEMETRY_UP);
    scenario.gateway.format.scripts.telemetry_up = { file: 'missing.lua' };
    await assert.rejects(inlineScriptFiles(JSON.stringify(scenario), dir), /scripts\.telemetry_up\.file: cannot read .*missing\.lua: no such file/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
