// Where a fleet message's microseconds go, without sockets or a broker: one
// wasm Fleet of the bench/fleet.mjs scenario, driven in simulated time by a
// loop that answers like a broker (CONNACK, SUBACK, PUBACK at once). Per
// telemetry message, the best of several one-second rounds (a busy machine
// only ever adds time):
//   tick       fleet.tick(): values, JSON text, MQTT encoding, frame records
//   frame      takeFrame() + copyFrame() + readFrame(): the copy out and the reading
//   input      GatewayInputs.add() + flush(): the PUBACKs in, handled by the core
//   total      process CPU of the whole loop (the fake broker's parsing included)
// The socket side (writes, reads, the kernel) is what bench/fleet.mjs adds.
//
//   node bench/fleet-phases.mjs [--gateways 2000] [--rounds 10]
import { fleetScenario } from './fleet-sides.mjs';
import { GatewayInputs, copyFrame, readFrame, reserveScratch } from '../npm/src/packed.js';
import { loadTpgateEmulator } from '../npm/src/emulator-node.js';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const N = arg('gateways', 2000);
const ROUNDS = arg('rounds', 10);

const emu = await loadTpgateEmulator();
const made = emu.createFleet(JSON.stringify(fleetScenario(N, 10)), '{}');
if (!made.ok) throw new Error(made.message);
const fleet = made.fleet;
const inputs = new GatewayInputs();
let published = 0;

// The broker's answers to the packets in data[start, start + length) of gateway i.
function answer(i, data, start, length) {
  let o = start;
  const end = start + length;
  while (o < end) {
    const type = data[o] >> 4;
    const qos = (data[o] >> 1) & 3;
    let len = 0;
    let mul = 1;
    let k = o + 1;
    for (;;) {
      const b = data[k++];
      len += (b & 127) * mul;
      mul *= 128;
      if (b < 128) break;
    }
    if (type === 1) inputs.add(i, Uint8Array.of(0x20, 2, 0, 0), 0, 4); // CONNECT -> CONNACK
    else if (type === 8) inputs.add(i, Uint8Array.of(0x90, 3, data[k], data[k + 1], 1), 0, 5); // SUBSCRIBE -> SUBACK
    else if (type === 3) {
      published++;
      const p = k + 2 + ((data[k] << 8) | data[k + 1]);
      if (qos === 1) inputs.add(i, Uint8Array.of(0x40, 2, data[p], data[p + 1]), 0, 4); // PUBLISH -> PUBACK
    }
    o = k + len;
  }
}

const opens = [];
const sink = {
  gatewayOutput(i, flags, data, start, length) {
    if (length > 0) answer(i, data, start, length);
    if ((flags & 1) !== 0) opens.push(i);
  },
  jsonEvent() {},
};

let now = 1_000_000;
fleet.start(now);
readFrame(copyFrame(emu, fleet.takeFrame()), sink);
for (const i of opens) fleet.transportOpen(i, now);
for (let k = 0; k < 4; k++) {
  readFrame(copyFrame(emu, fleet.takeFrame()), sink);
  inputs.flush(emu, fleet, now);
}

const phases = { tick: 0, frame: 0, input: 0 };
function second() {
  for (let ms = 0; ms < 1000; ms++) {
    now++;
    const t0 = performance.now();
    fleet.tick(now);
    const t1 = performance.now();
    const data = copyFrame(emu, fleet.takeFrame());
    const t2 = performance.now();
    readFrame(data, sink); // answer() runs inside: counted as frame below, taken out after
    const t3 = performance.now();
    inputs.flush(emu, fleet, now);
    copyFrame(emu, fleet.takeFrame());
    const t4 = performance.now();
    phases.tick += t1 - t0;
    phases.frame += t2 - t1 + (t3 - t2);
    phases.input += t4 - t3;
  }
}

for (let k = 0; k < 3; k++) second(); // every gateway connected, the JIT warm
const best = { tick: Infinity, frame: Infinity, input: Infinity, total: Infinity };
for (let r = 0; r < ROUNDS; r++) {
  phases.tick = phases.frame = phases.input = 0;
  const p0 = published;
  const c0 = process.cpuUsage();
  second();
  const c = process.cpuUsage(c0);
  const n = published - p0;
  best.tick = Math.min(best.tick, (phases.tick * 1000) / n);
  best.frame = Math.min(best.frame, (phases.frame * 1000) / n);
  best.input = Math.min(best.input, (phases.input * 1000) / n);
  best.total = Math.min(best.total, (c.user + c.system) / n);
}
fleet.delete();
const us = (x) => `${x.toFixed(2)} us`;
console.log(`${N} gateways x 10 sub-devices, ${published} telemetry messages; per message, best of ${ROUNDS} rounds:`);
console.log(`  tick ${us(best.tick)}, frame out + read ${us(best.frame)} (the fake broker's parsing included), input ${us(best.input)}, total CPU ${us(best.total)}`);
