// (e) The platform side (docs/thingspanel.md#roles): parse and route gateway telemetry
// received on `gateway/telemetry`, in messages/s (one message = one payload
// turned into its per-target telemetry events). Two payloads:
//
//   seed      the seed's Multi-Level Gateway telemetry (bench/lib.mjs
//             TELEMETRY, 314 B, 4 targets), as a gateway publishes it;
//   envelope  one telemetry of the emulator's default scenario (`tpgate
//             emulate --print-default`: the gateway, sensor_001, sensor_002,
//             gateway_001 and its sensor_101, 5 targets), inside the
//             ThingsPanel broker's envelope {"device_id","values":base64}, as
//             the dashboard receives it behind that broker (docs/thingspanel.md#broker-envelope).
//
//   ours  the path connectPlatform() really takes: a PlatformClient around the
//         wasm PlatformRole; each message goes through the client's 'message'
//         handler -> topic and payload into the wasm heap -> one
//         role.receiveScratch() (envelope, parse, route, view, all outputs
//         written as one frame: telemetry as binary values with interned
//         keys, bindings/session_packed.hpp) -> npm/src/packed.js builds the
//         values -> the events ({gateway, target, values, ts}) emitted as
//         'telemetry'.
//   bare  role.receiveScratch() alone (seed payload): the wasm side, its
//         result left as bytes in the heap; the floor of "ours".
//   peer  a straightforward JS implementation: (for the envelope: JSON.parse,
//         base64 decode with Buffer) JSON.parse, then a recursive walk over
//         gateway_data / sub_device_data / sub_gateway_data that emits the
//         same events. It keeps no per-device view, which the role does.
// Both sides are checked to produce the same targets and values first. Best
// of five alternating rounds (ours, bare, peer, ...). No goal is given for this
// one: the ratio is reported.
//
//   node bench/gateway.mjs [--ms 700]
import assert from 'node:assert/strict';

import { loadTpgatePlatform, PlatformClient } from '../npm/src/platform-node.js';
import { Emitter } from '../npm/src/emitter.js';
import { writePublish, topicLength } from '../npm/src/packed.js';
import { bestRates, opsPerSecond, progress, row, runAlone, TELEMETRY } from './lib.mjs';

const TOPIC = 'gateway/telemetry';
const PAYLOAD = new TextEncoder().encode(TELEMETRY);

/** One telemetry of the default scenario, as the emulator writes it (5 targets). */
export const DEFAULT_TELEMETRY =
  '{"gateway_data":{"switch":true,"temperature":26,"version":"2.0.0"},' +
  '"sub_device_data":{"sensor_001":{"humidity":62,"switch":true,"temperature":24},' +
  '"sensor_002":{"humidity":63,"switch":false,"temperature":24.3}},' +
  '"sub_gateway_data":{"gateway_001":{"gateway_data":{"switch":true,"temperature":28,"version":"1.5.0"},' +
  '"sub_device_data":{"sensor_101":{"humidity":58.2,"temperature":27.5}}}}}';
const DEVICE_ID = '5d2b4c2e-8a1f-4b7e-9c3d-0f1e2a3b4c5d';
const ENVELOPE = new TextEncoder().encode(
  JSON.stringify({ device_id: DEVICE_ID, values: Buffer.from(DEFAULT_TELEMETRY).toString('base64') }));

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

// The peer: what one would write by hand. Targets take the shape the
// platform client reports ({path, subGateways, subDevice?, name}).
function walkTelemetry(msg, gateway, ts, emit, subGateways = []) {
  const name = (parts) => (parts.length === 0 ? 'gateway' : parts.join('/'));
  if (isObject(msg.gateway_data)) {
    emit({ gateway, target: { path: [...subGateways], subGateways, name: name(subGateways) }, values: msg.gateway_data, ts });
  }
  if (isObject(msg.sub_device_data)) {
    for (const [device, values] of Object.entries(msg.sub_device_data)) {
      if (!isObject(values)) continue;
      const path = [...subGateways, device];
      emit({ gateway, target: { path, subGateways, subDevice: device, name: name(path) }, values, ts });
    }
  }
  if (isObject(msg.sub_gateway_data)) {
    for (const [sub, inner] of Object.entries(msg.sub_gateway_data)) {
      if (isObject(inner)) walkTelemetry(inner, gateway, ts, emit, [...subGateways, sub]);
    }
  }
}

const utf8 = new TextDecoder();

function peerReceive(topic, payload, sender, emit) {
  if (topic !== TOPIC) return;
  let msg = JSON.parse(typeof payload === 'string' ? payload : utf8.decode(payload));
  let gateway = sender;
  // The broker's envelope: exactly device_id and values (base64).
  if (isObject(msg) && typeof msg.device_id === 'string' && typeof msg.values === 'string' && Object.keys(msg).length === 2) {
    gateway = msg.device_id;
    msg = JSON.parse(Buffer.from(msg.values, 'base64').toString('utf8'));
  }
  if (isObject(msg)) walkTelemetry(msg, gateway, Date.now(), emit);
}

// Just enough of the MQTT client for PlatformClient: it listens for
// 'message' and would publish acks (telemetry needs none).
class FakeClient extends Emitter {
  publish() {
    return Promise.resolve();
  }

  end() {
    return Promise.resolve();
  }
}

// PlatformClient passes no sender to the role, so a bare payload's gateway is
// ''; the peer gets the same. Key order aside, values must be equal.
function comparable(events) {
  return events.map((e) => ({ gateway: e.gateway, target: e.target, values: e.values }));
}

export async function run({ ms = 700, rounds = 5 } = {}) {
  const tpgate = await loadTpgatePlatform({});
  const role = new tpgate.PlatformRole({});
  const problem = role.optionsError();
  if (problem) throw new Error(`PlatformRole rejected its options: ${problem.message}`);
  const fake = new FakeClient();
  const platform = new PlatformClient(fake, role, tpgate);
  try {
    // Verify: same targets, same values, same order.
    let got = [];
    const collect = (e) => got.push(e);
    platform.on('telemetry', collect);
    platform.on('error', (err) => {
      throw new Error(`the platform client reported an error on the bench telemetry: ${err.message}`);
    });
    for (const [what, payload, count] of [['seed', PAYLOAD, 4], ['envelope', ENVELOPE, 5]]) {
      got = [];
      fake.emit('message', TOPIC, payload);
      const ours = got;
      got = [];
      peerReceive(TOPIC, payload, '', collect);
      const peer = got;
      if (ours.length !== count) throw new Error(`${what}: the platform client produced ${ours.length} telemetry events, expected ${count}`);
      assert.deepEqual(comparable(ours), comparable(peer), `${what}: the platform client and the JS walk disagree on targets/values`);
      for (const e of [...ours, ...peer]) assert.equal(typeof e.ts, 'number', 'an event has no numeric ts');
      progress(`gateway: ${what}: both sides give the same ${count} targets: ${ours.map((e) => `${e.gateway || "''"}:${e.target.name}`).join(', ')}`);
    }
    platform.off('telemetry', collect);

    // Timed: every event reaches a sink that keeps the last one.
    let last = null;
    const sink = (e) => {
      last = e;
    };
    platform.on('telemetry', sink);
    const oursOn = (payload) => () => opsPerSecond((n) => {
      for (let i = 0; i < n; i++) fake.emit('message', TOPIC, payload);
    }, { ms });
    const peerOn = (payload) => () => opsPerSecond((n) => {
      for (let i = 0; i < n; i++) peerReceive(TOPIC, payload, '', sink);
    }, { ms });
    const runBare = () => opsPerSecond((n) => {
      for (let i = 0; i < n; i++) {
        const length = writePublish(tpgate, TOPIC, PAYLOAD);
        last = role.receiveScratch(topicLength, length, 0, Date.now());
      }
    }, { ms });

    const sides = [
      ['ours', oursOn(PAYLOAD)], ['bare', runBare], ['peer', peerOn(PAYLOAD)],
      ['oursEnvelope', oursOn(ENVELOPE)], ['peerEnvelope', peerOn(ENVELOPE)],
    ];
    const best = bestRates(sides, rounds, 'gateway');
    if (last === null) throw new Error('no event reached the sink');

    return [
      row({
        part: 'gateway', name: `parse + route Multi-Level telemetry ${PAYLOAD.length} B -> 4 events, PlatformClient`, unit: 'msg/s',
        ours: best.ours, peer: best.peer, peerName: 'JSON.parse + walk',
        note: 'no goal given: ratio reported',
      }),
      row({
        part: 'gateway', name: 'same, role.receiveScratch() only (wasm side, result not parsed in JS)', unit: 'msg/s',
        ours: best.bare, peer: best.peer, peerName: 'JSON.parse + walk',
        note: 'no goal given: ratio reported; the peer figure is the full JS path',
      }),
      row({
        part: 'gateway', name: `enveloped default-scenario telemetry ${ENVELOPE.length} B -> 5 events, PlatformClient`, unit: 'msg/s',
        ours: best.oursEnvelope, peer: best.peerEnvelope, peerName: 'JSON.parse + base64 + walk',
        note: 'no goal given: ratio reported; the dashboard needs 5,000 msg/s',
      }),
    ];
  } finally {
    await platform.end(true); // deletes the role
  }
}

await runAlone(import.meta, () => {
  const at = process.argv.indexOf('--ms');
  return run(at > 0 ? { ms: Number(process.argv[at + 1]) } : {});
});
