// (e) The platform side of issue 4: parse and route the seed's Multi-Level
// Gateway telemetry (bench/lib.mjs TELEMETRY, 314 B, 4 targets) received on
// `gateway/telemetry`, in messages/s (one message = one payload turned into
// its 4 per-target telemetry events).
//
//   ours  the path connectPlatform() really takes: a PlatformClient around the
//         wasm PlatformRole; each message goes through the client's 'message'
//         handler -> role.receive(topic, bytes, now, sender) -> the JS event
//         objects ({gateway, target, values, ts}, values parsed from the
//         role's JSON text) emitted as 'telemetry'.
//   bare  role.receive() alone: the wasm parse + route and the Embind output
//         objects (values left as JSON text), without building the JS events.
//         No binding returns less than that, so this is the floor of "ours".
//   peer  a straightforward JS implementation: JSON.parse, then a recursive
//         walk over gateway_data / sub_device_data / sub_gateway_data that
//         emits the same events.
// Both sides are checked to produce the same targets and values first. Best
// of two alternating rounds (ours, bare, peer, ours, bare, peer). No goal is
// given for this one: the ratio is reported.
//
//   node bench/gateway.mjs [--ms 700]
import assert from 'node:assert/strict';

import { loadTpgateGateway, PlatformClient } from '../npm/src/index-node.js';
import { Emitter } from '../npm/src/emitter.js';
import { opsPerSecond, progress, row, runAlone, TELEMETRY } from './lib.mjs';

const TOPIC = 'gateway/telemetry';
const SENDER = 'gw-bench';
const PAYLOAD = new TextEncoder().encode(TELEMETRY);

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

function peerReceive(topic, payload, sender, emit) {
  if (topic !== TOPIC) return;
  const msg = JSON.parse(typeof payload === 'string' ? payload : new TextDecoder().decode(payload));
  if (isObject(msg)) walkTelemetry(msg, sender, Date.now(), emit);
}

// Just enough of the MQTT client for PlatformClient: it listens for
// 'message' and would publish acks (telemetry needs none).
class FakeClient extends Emitter {
  publish() {
    return Promise.resolve();
  }
}

// PlatformClient reads the sender from the role's receive(); the client
// passes `undefined` there, so the gateway is ''. The peer gets the same.
function comparable(events) {
  return events.map((e) => ({ gateway: e.gateway, target: e.target, values: e.values }));
}

export async function run({ ms = 700, rounds = 2 } = {}) {
  const tpgate = await loadTpgateGateway({});
  const role = new tpgate.PlatformRole({});
  const problem = role.optionsError();
  if (problem) throw new Error(`PlatformRole rejected its options: ${problem.message}`);
  const fake = new FakeClient();
  const platform = new PlatformClient(fake, role);
  try {
    // Verify: same targets, same values, same order.
    let got = [];
    const collect = (e) => got.push(e);
    platform.on('telemetry', collect);
    platform.on('error', (err) => {
      throw new Error(`the platform client reported an error on the seed telemetry: ${err.message}`);
    });
    fake.emit('message', TOPIC, PAYLOAD);
    const ours = got;
    got = [];
    peerReceive(TOPIC, PAYLOAD, '', collect);
    const peer = got;
    if (ours.length !== 4) throw new Error(`the platform client produced ${ours.length} telemetry events, expected 4`);
    assert.deepEqual(comparable(ours), comparable(peer), 'the platform client and the JS walk disagree on targets/values');
    for (const e of [...ours, ...peer]) assert.equal(typeof e.ts, 'number', 'an event has no numeric ts');
    const bare = role.receive(TOPIC, PAYLOAD, Date.now(), SENDER);
    assert.equal(bare.events.length, 4, 'role.receive produced a different number of events');
    progress(`gateway: both sides give the same 4 targets: ${ours.map((e) => e.target.name).join(', ')}`);
    platform.off('telemetry', collect);

    // Timed: every event reaches a sink that keeps the last one.
    let last = null;
    const sink = (e) => {
      last = e;
    };
    platform.on('telemetry', sink);
    const runOurs = () => opsPerSecond((n) => {
      for (let i = 0; i < n; i++) fake.emit('message', TOPIC, PAYLOAD);
    }, { ms });
    const runBare = () => opsPerSecond((n) => {
      for (let i = 0; i < n; i++) last = role.receive(TOPIC, PAYLOAD, Date.now(), undefined);
    }, { ms });
    const runPeer = () => opsPerSecond((n) => {
      for (let i = 0; i < n; i++) peerReceive(TOPIC, PAYLOAD, '', sink);
    }, { ms });

    const best = { ours: 0, bare: 0, peer: 0 };
    for (let r = 0; r < rounds; r++) {
      for (const [side, fn] of [['ours', runOurs], ['bare', runBare], ['peer', runPeer]]) {
        const rate = fn();
        best[side] = Math.max(best[side], rate);
        progress(`gateway: round ${r + 1}/${rounds} ${side}: ${Math.round(rate)} msg/s`);
      }
    }
    if (last === null) throw new Error('no event reached the sink');

    const what = `Multi-Level telemetry ${PAYLOAD.length} B -> 4 events`;
    return [
      row({
        part: 'gateway', name: `parse + route ${what}, PlatformClient`, unit: 'msg/s',
        ours: best.ours, peer: best.peer, peerName: 'JSON.parse + walk',
        note: 'no goal given: ratio reported',
      }),
      row({
        part: 'gateway', name: `same, role.receive() only (Embind outputs, no JS events)`, unit: 'msg/s',
        ours: best.bare, peer: best.peer, peerName: 'JSON.parse + walk',
        note: 'no goal given: ratio reported; the peer figure is the full JS path',
      }),
    ];
  } finally {
    role.delete();
  }
}

await runAlone(import.meta, () => {
  const at = process.argv.indexOf('--ms');
  return run(at > 0 ? { ms: Number(process.argv[at + 1]) } : {});
});
