// The fleet's output is a frame of the one layout (src/frame/frame.hpp): the
// C++ writer (src/emulator/fleet.cpp) and the JS reader (npm/src/packed.js)
// agree on every field. Each frame is read twice, by readFrame() and
// by a field-by-field reading of the documented offsets in this file, and both
// must give the same records; the way back (GatewayInputs written by JS, read
// by the core's receiveFrame) is checked by what the gateways do with it.
// Gateway indices and lengths above 255 catch a byte-order slip.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import createEmulatorModule from '../../npm/dist/tpgate-emulator.mjs';
import { createModuleLoader } from '../../npm/src/module.js';
import { GATEWAY_CLOSE, GATEWAY_ENDED, GATEWAY_OPEN, GatewayInputs, HEADER_SIZE, RECORD_GATEWAY_OUTPUT, RECORD_JSON_EVENT, copyFrame, readFrame, reserveScratch } from '../../npm/src/packed.js';
import { createInstantiate } from '../../npm/src/wasm-node.js';

const load = createModuleLoader(
  createEmulatorModule,
  createInstantiate('tpgate-emulator.wasm'),
);
const emu = await load();

const COUNT = 300;
const LONG = 'x'.repeat(400); // one telemetry PUBLISH longer than 255 bytes
const scenario = JSON.stringify({
  broker: { protocol_version: 4, qos: 1 },
  gateways: { count: COUNT, device_number: 'ff-{i}' },
  gateway: { telemetry: { note: LONG }, telemetry_interval_s: 1 },
});

/** The frame read from the offsets documented in src/frame/frame.hpp, independently of packed.js. */
function readByHand(data) {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const header = {
    flags: data[0],
    zero: data[1] | data[2] | data[3],
    bytesLength: view.getUint32(4, true),
    deadline: view.getFloat64(8, true),
    frameLength: view.getUint32(16, true),
    last: view.getUint32(20, true),
  };
  const records = [];
  let o = 24;
  while (o < data.length) {
    const kind = data[o];
    if (kind === 5) {
      assert.equal(view.getUint16(o + 2, true), 0, 'gatewayOutput: u16 zero');
      const length = view.getUint32(o + 8, true);
      records.push({ kind, index: view.getUint32(o + 4, true), flags: data[o + 1], bytes: Array.from(data.subarray(o + 12, o + 12 + length)) });
      o += 12 + length;
    } else if (kind === 6) {
      assert.equal(data[o + 1] | data[o + 2] | data[o + 3], 0, 'json event: u8[3] zero');
      const length = view.getUint32(o + 4, true);
      records.push({ kind, text: JSON.stringify(JSON.parse(new TextDecoder().decode(data.subarray(o + 8, o + 8 + length)))) });
      o += 8 + length;
    } else {
      assert.fail(`record kind ${kind} at ${o}`);
    }
  }
  assert.equal(o, data.length, 'records fill the frame exactly');
  return { header, records };
}

/** The same frame through packed.js. */
function readWithPacked(data) {
  const records = [];
  const deadline = readFrame(data, {
    gatewayOutput: (index, flags, bytes, start, length) =>
      records.push({ kind: RECORD_GATEWAY_OUTPUT, index, flags, bytes: Array.from(bytes.subarray(start, start + length)) }),
    jsonEvent: (event) => records.push({ kind: RECORD_JSON_EVENT, text: JSON.stringify(event) }),
  });
  return { deadline, records };
}

/** One frame, read both ways; returns the records after checking that the two readings agree. */
function frame(fleet) {
  const data = copyFrame(emu, fleet.takeFrame());
  const hand = readByHand(data);
  const packed = readWithPacked(data);
  assert.equal(hand.header.flags, 0, 'a fleet frame has no header flags');
  assert.equal(hand.header.zero, 0);
  assert.equal(hand.header.bytesLength, 0, 'a fleet frame has no bytes outside its records');
  assert.equal(hand.header.frameLength, data.length);
  assert.equal(hand.header.last, 0);
  assert.equal(HEADER_SIZE, 24);
  assert.equal(packed.deadline, hand.header.deadline);
  assert.deepEqual(packed.records, hand.records);
  return { deadline: hand.header.deadline, records: hand.records };
}

test('fleet frame: open requests, CONNECT bytes, events, PUBLISH over 255 bytes, DISCONNECT + close + ended', () => {
  const made = emu.createFleet(scenario, JSON.stringify({ events: true }));
  assert.equal(made.ok, true, made.message);
  const fleet = made.fleet;
  try {
    let now = 10_000;
    fleet.start(now);
    const first = frame(fleet);
    assert.equal(first.records.length, COUNT);
    first.records.forEach((r, i) => assert.deepEqual([r.kind, r.index, r.flags, r.bytes.length], [5, i, GATEWAY_OPEN, 0]));
    assert.ok(first.deadline >= now);

    for (const i of [1, 2, 299]) fleet.transportOpen(i, now);
    const connects = frame(fleet).records;
    assert.deepEqual(connects.map((r) => [r.index, r.flags]), [[1, 0], [2, 0], [299, 0]]);
    for (const r of connects) {
      assert.equal(r.bytes[0], 0x10, 'CONNECT');
      assert.equal(r.bytes[1], r.bytes.length - 2, 'remaining length matches the record length');
      assert.ok(Buffer.from(r.bytes).includes(Buffer.from(`ff-${r.index + 1}`)), 'the gateway\'s own client id');
    }

    // The way back: CONNACKs written by JS as input records, gateway 2's split in two reads.
    const inputs = new GatewayInputs();
    const connack = Uint8Array.of(0x20, 0x02, 0x00, 0x00);
    inputs.add(299, connack, 0, 4);
    inputs.add(2, connack, 0, 2);
    inputs.add(2, connack, 2, 4);
    assert.equal(inputs.flush(emu, fleet, now), true);
    const afterConnack = frame(fleet).records;
    const events = afterConnack.filter((r) => r.kind === RECORD_JSON_EVENT).map((r) => JSON.parse(r.text));
    assert.deepEqual(events.map((e) => [e.type, e.gateway]).sort(), [['connected', 2], ['connected', 299]]);
    const subscribers = new Set(afterConnack.filter((r) => r.kind === RECORD_GATEWAY_OUTPUT).map((r) => r.index));
    assert.deepEqual([...subscribers].sort((a, b) => a - b), [2, 299], 'only the gateways that got a CONNACK subscribe');
    assert.equal(fleet.takeEvents(), '[]', 'the events went with the frame');

    // Telemetry a second later: one PUBLISH each, longer than 255 bytes.
    now += 1500;
    fleet.tick(now);
    const publishes = frame(fleet).records.filter((r) => r.kind === RECORD_GATEWAY_OUTPUT && r.bytes[0] === 0x32);
    assert.deepEqual(publishes.map((r) => r.index).sort((a, b) => a - b), [2, 299]);
    for (const r of publishes) {
      assert.ok(r.bytes.length > 400);
      assert.ok(Buffer.from(r.bytes).includes(Buffer.from(LONG)));
    }

    // Bad input: a record cut short is refused.
    const ptr = reserveScratch(emu, 13);
    emu.HEAPU8.fill(0, ptr, ptr + 13);
    emu.HEAPU8[ptr] = 5;
    emu.HEAPU8[ptr + 8] = 200; // 200 bytes announced, 1 there
    assert.equal(fleet.receiveFrame(13, now), false);

    fleet.stop(now + 1);
    const last = frame(fleet);
    assert.equal(last.deadline, -1);
    const gatewayRecords = last.records.filter((r) => r.kind === RECORD_GATEWAY_OUTPUT);
    for (const i of [2, 299]) {
      const mine = gatewayRecords.filter((r) => r.index === i).at(-1);
      assert.deepEqual(mine.bytes.slice(-2), [0xe0, 0x00], 'DISCONNECT written in the record that closes');
      assert.equal(mine.flags, GATEWAY_CLOSE | GATEWAY_ENDED);
    }
    const ended = new Set(gatewayRecords.filter((r) => (r.flags & GATEWAY_ENDED) !== 0).map((r) => r.index));
    assert.equal(ended.size, COUNT, 'every gateway ends');
  } finally {
    fleet.delete();
  }
});
