// (f) Data scripts on the platform side (docs/thingspanel.md#data-scripts): the
// receive path of connectPlatform() with a telemetry upload script, in
// messages/s, next to the same path without one. The script is ThingsPanel's
// default template (json.decode, then json.encode of the same data), so the
// figure is the cost of a script that touches every value.
//
//   scripted    a PlatformClient whose role runs the default template on the
//               seed's Multi-Level telemetry (bench/lib.mjs TELEMETRY, 314 B,
//               4 targets) before parsing it, exactly as on a live broker;
//   unscripted  the same client and payload, no script;
//   JS          what a JS host would do for the same script semantics:
//               JSON.parse + JSON.stringify + JSON.parse + walk (a JS engine
//               in place of Lua), for scale.
// Both rows check first that the scripted events equal the unscripted ones.
//
//   node bench/scripts.mjs [--ms 700]
import assert from 'node:assert/strict';

import { loadTpgatePlatform, PlatformClient } from '../npm/src/platform-node.js';
import { Emitter } from '../npm/src/emitter.js';
import { bestRates, opsPerSecond, progress, row, runAlone, TELEMETRY } from './lib.mjs';

const TOPIC = 'gateway/telemetry';
const DEVICE_ID = '5d2b4c2e-8a1f-4b7e-9c3d-0f1e2a3b4c5d';
const ENVELOPED = new TextEncoder().encode(JSON.stringify({ device_id: DEVICE_ID, values: Buffer.from(TELEMETRY).toString('base64') }));

/** ThingsPanel's default data script template, unchanged. */
export const DEFAULT_TEMPLATE = `local json = require("json")
function encodeInp(msg, topic)
  local data = json.decode(msg)
  -- the data may be changed here
  return json.encode(data)
end
`;

class FakeClient extends Emitter {
  publish() {
    return Promise.resolve();
  }

  end() {
    return Promise.resolve();
  }
}

async function client(scripted) {
  const tpgate = await loadTpgatePlatform({});
  const role = new tpgate.PlatformRole({});
  const fake = new FakeClient();
  const platform = new PlatformClient(fake, role, tpgate);
  if (scripted) {
    platform.setScript('bench', 'telemetry_up', DEFAULT_TEMPLATE);
    platform.assignConfiguration(DEVICE_ID, 'bench');
  }
  platform.on('error', (err) => {
    throw new Error(`the platform client reported an error on the bench telemetry: ${err.message}`);
  });
  return { fake, platform };
}

function jsPath(payload, emit) {
  const envelope = JSON.parse(new TextDecoder().decode(payload));
  const text = Buffer.from(envelope.values, 'base64').toString('utf8');
  const data = JSON.parse(JSON.stringify(JSON.parse(text)));
  const walk = (msg, sub) => {
    if (msg.gateway_data) emit({ target: sub.join('/') || 'gateway', values: msg.gateway_data });
    for (const [d, v] of Object.entries(msg.sub_device_data ?? {})) emit({ target: [...sub, d].join('/'), values: v });
    for (const [g, inner] of Object.entries(msg.sub_gateway_data ?? {})) walk(inner, [...sub, g]);
  };
  walk(data, []);
}

export async function run({ ms = 700, rounds = 5 } = {}) {
  const scripted = await client(true);
  const plain = await client(false);
  try {
    const seen = (side) => {
      const got = [];
      const collect = (e) => got.push({ target: e.target.name, values: e.values });
      side.platform.on('telemetry', collect);
      side.fake.emit('message', TOPIC, ENVELOPED);
      side.platform.off('telemetry', collect);
      return got;
    };
    const a = seen(scripted);
    const b = seen(plain);
    assert.equal(a.length, 4, `the scripted path gave ${a.length} events, expected 4`);
    assert.deepEqual(a, b, 'the default template changed the telemetry');
    progress('scripts: the scripted and unscripted paths give the same 4 targets');

    let last = null;
    const sink = (e) => {
      last = e;
    };
    scripted.platform.on('telemetry', sink);
    plain.platform.on('telemetry', sink);
    const on = (side) => () => opsPerSecond((n) => {
      for (let i = 0; i < n; i++) side.fake.emit('message', TOPIC, ENVELOPED);
    }, { ms });
    const js = () => opsPerSecond((n) => {
      for (let i = 0; i < n; i++) jsPath(ENVELOPED, sink);
    }, { ms });
    const sides = [['scripted', on(scripted)], ['plain', on(plain)], ['js', js]];
    const best = bestRates(sides, rounds, 'scripts');
    if (last === null) throw new Error('no event reached the sink');
    return [
      row({
        part: 'scripts', name: `enveloped Multi-Level telemetry through the default Lua template -> 4 events, PlatformClient`, unit: 'msg/s',
        ours: best.scripted, peer: best.plain, peerName: 'same path, no script',
        note: 'reported, no goal: the cost of a script that decodes and encodes every value',
      }),
      row({
        part: 'scripts', name: 'same, scripted path vs a JS host doing the script\'s work with JSON.parse/stringify', unit: 'msg/s',
        ours: best.scripted, peer: best.js, peerName: 'JSON.parse + stringify + parse + walk',
        note: 'reported, no goal: Lua in wasm against V8\'s JSON',
      }),
    ];
  } finally {
    await scripted.platform.end(true);
    await plain.platform.end(true);
  }
}

await runAlone(import.meta, () => {
  const at = process.argv.indexOf('--ms');
  return run(at > 0 ? { ms: Number(process.argv[at + 1]) } : {});
});
