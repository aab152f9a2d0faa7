// The JS side of the one frame layout (src/frame/frame.hpp): frames read
// without a boundary crossing per field (a client session's drain, a fleet's
// output), and PUBLISH / input bytes written straight into the wasm heap's
// scratch area. The only reader of that layout.

// The core has validated topics as UTF-8 already [MQTT-1.5.4-1].
const decoder = new TextDecoder();
const encoder = new TextEncoder();

export const HEADER_SIZE = 24;
export const FLAG_OPEN = 1;
export const FLAG_CLOSE = 2;
export const FLAG_SIDE = 4;
export const RECORD_MESSAGE = 1;
export const RECORD_PUBLISH_COMPLETE = 2;
export const RECORD_OTHER = 3;
export const RECORD_PUBLICATION = 4;
export const RECORD_GATEWAY_OUTPUT = 5;
export const RECORD_JSON_EVENT = 6;
export const RECORD_TELEMETRY = 7;
export const RECORD_DEVICE = 9;
export const RECORD_KEY = 10;
/** Flags of a gatewayOutput record. */
export const GATEWAY_OPEN = 1;
export const GATEWAY_CLOSE = 2;
export const GATEWAY_ENDED = 4;
const GATEWAY_OUTPUT_HEAD = 12;
const INLINE_KEY = 0xffffffff;

/** Shared by every message and result without properties; frozen so no one writes into it. */
export const NO_PROPERTIES = Object.freeze({});

// Telemetry repeats a handful of topics: decoding the same bytes again would
// allocate the same string again. One entry goes a long way.
const CACHE_LIMIT = 256;
const cachedBytes = new Uint8Array(CACHE_LIMIT);
let cachedLength = -1;
let cachedTopic = '';

/** The topic at data[start, start + length). */
export function decodeTopic(data, start, length) {
  if (length === cachedLength) {
    let i = 0;
    while (i < length && data[start + i] === cachedBytes[i]) i++;
    if (i === length) return cachedTopic;
  }
  const bytes = data.subarray(start, start + length);
  const topic = decoder.decode(bytes);
  if (length <= CACHE_LIMIT) {
    cachedBytes.set(bytes);
    cachedLength = length;
    cachedTopic = topic;
  }
  return topic;
}

// Frames are copied out of the heap into slabs of JS memory, each frame into
// its own part of one, and a slab is never written again once it is full:
// the payload views that messages carry stay valid as long as someone holds
// them (they keep their slab alive, as Node's Buffer pool does). One
// ArrayBuffer per slab instead of one per frame; a large frame gets its own.
const SLAB_SIZE = 16 * 1024;
const SLAB_LARGEST = 2 * 1024;
let slab = new Uint8Array(SLAB_SIZE);
let slabUsed = 0;

// A session's address for the plain exports that stand in for its hot
// methods (bindings/session_bindings.cpp): a direct call instead of Embind's
// generic invoker. Asked once per session.
const addresses = new WeakMap();

function addressOf(session) {
  if (session.isDeleted()) throw new Error('tpgate: the ClientSession was deleted');
  let address = addresses.get(session);
  if (address === undefined) {
    address = session.address();
    addresses.set(session, address);
  }
  return address;
}

/** session.receiveScratch(length, now): `length` bytes that writeInput() or reserveScratch() placed. */
export function receiveScratch(tpgate, session, length, now) {
  tpgate._tpgate_session_receive(addressOf(session), length, now);
}

/** session.publishScratch(...) after writePublish(): the token, or 0 (see session.lastFailure()). */
export function publishScratch(tpgate, session, topicLength, payloadLength, qos, retain, now) {
  return tpgate._tpgate_session_publish(addressOf(session), topicLength, payloadLength, qos, retain ? 1 : 0, now);
}

/**
 * One drain of a client session, copied out of the wasm heap at once (see
 * copyFrame()).
 */
export function takeFrame(tpgate, session) {
  return copyFrame(tpgate, tpgate._tpgate_session_take_frame(addressOf(session)));
}

/**
 * The frame at address `at` of the wasm heap, copied out at once (a view
 * would die when the heap grows, and the next call overwrites the frame).
 */
export function copyFrame(tpgate, at) {
  const heap = tpgate.HEAPU8; // read after the call: growing the heap replaces it
  const length = (heap[at + 16] | (heap[at + 17] << 8) | (heap[at + 18] << 16) | (heap[at + 19] << 24)) >>> 0;
  if (length > SLAB_LARGEST) return heap.slice(at, at + length);
  if (slabUsed + length > SLAB_SIZE) {
    slab = new Uint8Array(SLAB_SIZE);
    slabUsed = 0;
  }
  const start = slabUsed;
  slab.set(heap.subarray(at, at + length), start);
  slabUsed = start + length;
  return slab.subarray(start, start + length);
}

function u32(data, o) {
  return (data[o] | (data[o + 1] << 8) | (data[o + 2] << 16) | (data[o + 3] << 24)) >>> 0;
}

const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);

// A DataView of the buffer last read from (the wasm heap, or a slab).
let viewBuffer = null;
let bufferView = null;

function f64At(data, o) {
  if (data.buffer !== viewBuffer) {
    viewBuffer = data.buffer;
    bufferView = new DataView(viewBuffer);
  }
  return bufferView.getFloat64(data.byteOffset + o, true);
}

/**
 * What a frame's device and key records announced, for the records after
 * them: one per writer (a platform role), kept as long as it lives.
 */
export function createIdTables() {
  return { keys: [], devices: [] };
}

/**
 * The target object events and requests carry: {path, subGateways, subDevice?, name}
 * (the one builder of it: the platform's device records and the gateway's requests).
 * Frozen when `shared` (one object serves every event of a device on the
 * platform); a gateway request's own target is not.
 */
export function makeTarget(subGateways, subDevice, shared = true) {
  const path = subDevice === undefined ? subGateways.slice() : [...subGateways, subDevice];
  const target = { path: shared ? Object.freeze(path) : path, subGateways: shared ? Object.freeze(subGateways) : subGateways };
  if (subDevice !== undefined) target.subDevice = subDevice;
  target.name = path.length === 0 ? 'gateway' : path.join('/');
  return shared ? Object.freeze(target) : target;
}

// The reading position of readValue() and readString().
let at = 0;

function readString(data) {
  const length = u32(data, at);
  const start = at + 4;
  at = start + length;
  // Short ASCII (most keys and values) without TextDecoder's call overhead.
  if (length <= 24) {
    let text = '';
    for (let i = start; i < at; i++) {
      const c = data[i];
      if (c >= 0x80) return decoder.decode(data.subarray(start, at));
      text += String.fromCharCode(c);
    }
    return text;
  }
  return decoder.decode(data.subarray(start, at));
}

function readValue(data, keys) {
  const tag = data[at++];
  switch (tag) {
    case 0: return null;
    case 1: return false;
    case 2: return true;
    case 3: {
      const number = f64At(data, at);
      at += 8;
      return number;
    }
    case 4: return readString(data);
    case 5: {
      const count = u32(data, at);
      at += 4;
      const object = {};
      for (let i = 0; i < count; i++) {
        const id = u32(data, at);
        at += 4;
        const key = id === INLINE_KEY ? readString(data) : keys[id];
        const value = readValue(data, keys);
        // As JSON.parse: "__proto__" is an own property, not the prototype.
        if (key === '__proto__') Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
        else object[key] = value;
      }
      return object;
    }
    case 6: {
      const count = u32(data, at);
      at += 4;
      const array = new Array(count);
      for (let i = 0; i < count; i++) array[i] = readValue(data, keys);
      return array;
    }
    case 7: {
      const length = u32(data, at);
      const start = at + 4;
      at = start + length;
      return data.slice(start, at);
    }
    default:
      throw new Error(`tpgate frame: unknown value tag ${tag} at offset ${at - 1}`);
  }
}

/**
 * The header of one drain (takeFrame()): flags, the bytes to write (a view
 * into `data`) and the next deadline (-1 none).
 */
export function packedHeader(data) {
  const end = data.length;
  for (let i = 0; i < 8; i++) f64Bytes[i] = data[8 + i];
  const bytesStart = end - u32(data, 4);
  const journalLength = u32(data, 20);
  return {
    flags: data[0],
    // The bytes close the frame, after the records and the journal.
    bytes: data.subarray(bytesStart, end),
    // For the session's store: appended to it before the bytes are written.
    journal: journalLength === 0 ? null : data.subarray(bytesStart - journalLength, bytesStart),
    deadline: f64[0],
  };
}

/**
 * Reads the records of one drain after its header, in event order: a message
 * as `sink.message({topic, payload, qos, retain, dup, properties, packetId})`
 * (the payload a view into `data`: no copy per message), a publish completion
 * as `sink.publishComplete(token, qos, packetId, reasonCode, properties)`, any
 * other event as `sink.event(object)`. `side` is session.takeSide() when the
 * header's FLAG_SIDE is set. A platform role's frame: a publication as
 * `sink.publication(topic, payload, qos, retain)`, a JSON event as
 * `sink.jsonEvent(object)`, telemetry as `sink.telemetry(device, ts, values)`
 * (device = tables.devices[id]: {gateway, target}); device and key records
 * fill `tables` (createIdTables()). A gateway role's frame: publications and
 * JSON events only (no tables needed). A fleet's frame: a gatewayOutput as
 * `sink.gatewayOutput(index, flags, data, start, length)` (the bytes are
 * data[start, start + length): no view made per record), a JSON event as
 * `sink.jsonEvent(object)`. The only reader of the layout of src/frame/frame.hpp.
 */
export function readRecords(data, header, side, sink, tables = null) {
  const journalLength = header.journal === null || header.journal === undefined ? 0 : header.journal.length;
  readRange(data, HEADER_SIZE, data.length - header.bytes.length - journalLength, side, sink, tables);
}

/**
 * The frame at address `at` of the wasm heap, read in place (no copy): the
 * caller makes no call into the module until it returns, so the sink must
 * not either (collect, then act). Returns the frame's deadline (-1 none).
 */
export function readFrameAt(tpgate, at, sink, tables) {
  const heap = tpgate.HEAPU8; // read after the call: growing the heap replaces it
  readRange(heap, at + HEADER_SIZE, at + u32(heap, at + 16) - u32(heap, at + 4) - u32(heap, at + 20), null, sink, tables);
  return f64At(heap, at + 8);
}

function readRange(data, o, end, side, sink, tables) {
  let s = 0;
  // Numbers of telemetry are read through this view, made once per frame
  // (a listener may read another frame meanwhile: f64At() keeps its own).
  const view = data.buffer === viewBuffer ? bufferView : new DataView(data.buffer);
  const base = data.byteOffset;
  while (o < end) {
    const kind = data[o];
    if (kind === RECORD_MESSAGE) {
      const bits = data[o + 1];
      const tl = u32(data, o + 4);
      const pl = u32(data, o + 8);
      const start = o + 12;
      const packetId = data[o + 2] | (data[o + 3] << 8);
      let properties = NO_PROPERTIES;
      o = start + tl + pl;
      if ((bits & 16) !== 0) {
        at = o;
        properties = readValue(data, null);
        o = at;
      }
      sink.message({
        topic: decodeTopic(data, start, tl),
        payload: data.subarray(start + tl, start + tl + pl),
        qos: bits & 3,
        retain: (bits & 4) !== 0,
        dup: (bits & 8) !== 0,
        properties,
        packetId,
      });
    } else if (kind === RECORD_PUBLISH_COMPLETE) {
      const record = o;
      let properties = NO_PROPERTIES;
      o += 12;
      if (data[record + 3] !== 0) {
        at = o;
        properties = readValue(data, null);
        o = at;
      }
      sink.publishComplete(u32(data, record + 8), data[record + 1], data[record + 4] | (data[record + 5] << 8), data[record + 2], properties);
    } else if (kind === RECORD_OTHER) {
      sink.event(side[s++]);
      o += 1;
    } else if (kind === RECORD_TELEMETRY) {
      const device = tables.devices[u32(data, o + 4)];
      const ts = view.getFloat64(base + o + 8, true);
      const keys = tables.keys;
      let p = o + 16;
      let values;
      if (data[p] === 5) {
        // The usual object of scalars, read here with a local offset.
        const count = u32(data, p + 1);
        p += 5;
        values = {};
        for (let i = 0; i < count; i++) {
          const id = u32(data, p);
          p += 4;
          let key;
          if (id === INLINE_KEY) {
            at = p;
            key = readString(data);
            p = at;
          } else {
            key = keys[id];
          }
          const tag = data[p];
          let value;
          if (tag === 3) {
            value = view.getFloat64(base + p + 1, true);
            p += 9;
          } else if (tag <= 2) {
            value = tag === 0 ? null : tag === 2;
            p += 1;
          } else {
            at = p;
            value = readValue(data, keys);
            p = at;
          }
          if (key === '__proto__') Object.defineProperty(values, key, { value, enumerable: true, writable: true, configurable: true });
          else values[key] = value;
        }
      } else {
        at = p;
        values = readValue(data, keys);
        p = at;
      }
      o = p;
      sink.telemetry(device, ts, values);
    } else if (kind === RECORD_KEY) {
      at = o + 8;
      tables.keys[u32(data, o + 4)] = readString(data);
      o = at;
    } else if (kind === RECORD_DEVICE) {
      const hasDevice = data[o + 1] !== 0;
      const count = data[o + 2] | (data[o + 3] << 8);
      const id = u32(data, o + 4);
      at = o + 8;
      const gateway = readString(data);
      const subGateways = [];
      for (let i = 0; i < count; i++) subGateways.push(readString(data));
      const subDevice = hasDevice ? readString(data) : undefined;
      o = at;
      tables.devices[id] = { gateway, target: makeTarget(subGateways, subDevice) };
    } else if (kind === RECORD_GATEWAY_OUTPUT) {
      const length = u32(data, o + 8);
      sink.gatewayOutput(u32(data, o + 4), data[o + 1], data, o + GATEWAY_OUTPUT_HEAD, length);
      o += GATEWAY_OUTPUT_HEAD + length;
    } else if (kind === RECORD_JSON_EVENT) {
      const length = u32(data, o + 4);
      sink.jsonEvent(JSON.parse(decoder.decode(data.subarray(o + 8, o + 8 + length))));
      o += 8 + length;
    } else if (kind === RECORD_PUBLICATION) {
      const bits = data[o + 1];
      const tl = u32(data, o + 4);
      const pl = u32(data, o + 8);
      const start = o + 12;
      sink.publication(decodeTopic(data, start, tl), decoder.decode(data.subarray(start + tl, start + tl + pl)), bits & 3, (bits & 4) !== 0);
      o = start + tl + pl;
    } else {
      throw new Error(`tpgate frame: unknown record kind ${kind} at offset ${o}`);
    }
  }
}

// The module's scratch area (reserveScratch) as C++ keeps it: its address
// stays put until a call asks for more than it holds, or shrinks it back
// after a burst, so a call is needed only then. Every use in the package goes
// through reserveScratch() below, which follows the same rule.
const SCRATCH_KEEP = 1 << 20;
const scratchAreas = new WeakMap(); // module -> {ptr, size}

/** Address of at least `size` bytes of the module's scratch area. */
export function reserveScratch(tpgate, size) {
  let area = scratchAreas.get(tpgate);
  if (area !== undefined && size <= area.size && (area.size <= SCRATCH_KEEP || size > SCRATCH_KEEP)) return area.ptr;
  const ptr = tpgate.reserveScratch(size);
  if (area === undefined) {
    area = { ptr, size: 0 };
    scratchAreas.set(tpgate, area);
  }
  area.ptr = ptr;
  area.size = Math.max(area.size, size);
  if (size <= SCRATCH_KEEP && area.size > SCRATCH_KEEP) area.size = SCRATCH_KEEP;
  return ptr;
}

/**
 * Reads a frame copied out of the heap (copyFrame()): its records as
 * readRecords() does, then returns its deadline (-1 none).
 */
export function readFrame(data, sink, tables = null) {
  readRange(data, HEADER_SIZE, data.length - u32(data, 4), null, sink, tables);
  return f64At(data, 8);
}

/**
 * What a fleet's transports read, batched for one receiveFrame() call:
 * gatewayOutput-shaped records (flags 0), one per read, in arrival order.
 */
export class GatewayInputs {
  constructor() {
    this.buffer = new Uint8Array(64 * 1024);
    this.view = new DataView(this.buffer.buffer);
    this.length = 0;
  }

  /** Appends bytes[start, end) as read by gateway `index`. */
  add(index, bytes, start, end) {
    const n = end - start;
    const need = this.length + GATEWAY_OUTPUT_HEAD + n;
    if (need > this.buffer.length) {
      const grown = new Uint8Array(Math.max(need, this.buffer.length * 2));
      grown.set(this.buffer.subarray(0, this.length));
      this.buffer = grown;
      this.view = new DataView(grown.buffer);
    }
    const o = this.length;
    this.view.setUint32(o, RECORD_GATEWAY_OUTPUT, true); // kind 5, flags 0, u16 zero
    this.view.setUint32(o + 4, index, true);
    this.view.setUint32(o + 8, n, true);
    this.buffer.set(start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end), o + GATEWAY_OUTPUT_HEAD);
    this.length = need;
  }

  /** Hands everything added to `fleet` in one call; false if the core refused it. */
  flush(tpgate, fleet, now) {
    const n = this.length;
    if (n === 0) return true;
    this.length = 0;
    const ptr = reserveScratch(tpgate, n);
    tpgate.HEAPU8.set(this.buffer.subarray(0, n), ptr); // read after reserving: growing replaces HEAPU8
    return fleet.receiveFrame(n, now);
  }
}

let lastTopic = null;
let lastTopicBytes = new Uint8Array(0);

/** UTF-8 length of the topic of the last writePublish() (a live binding). */
export let topicLength = 0;

/**
 * Writes topic and payload back to back into the module's scratch area, for
 * publishScratch(). Returns the payload's length in bytes.
 */
export function writePublish(tpgate, topic, payload) {
  if (topic !== lastTopic) {
    lastTopicBytes = encoder.encode(topic);
    lastTopic = topic;
  }
  const tl = lastTopicBytes.length;
  topicLength = tl;
  if (typeof payload === 'string') {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    const max = tl + payload.length * 3;
    const ptr = reserveScratch(tpgate, max);
    const heap = tpgate.HEAPU8; // read after reserving: growing the heap replaces it
    heap.set(lastTopicBytes, ptr);
    if (payload.length === 0) return 0;
    return encoder.encodeInto(payload, heap.subarray(ptr + tl, ptr + max)).written;
  }
  const ptr = reserveScratch(tpgate, tl + payload.length);
  const heap = tpgate.HEAPU8;
  heap.set(lastTopicBytes, ptr);
  heap.set(payload, ptr + tl);
  return payload.length;
}

/** Copies received bytes into the scratch area for receiveScratch(). */
export function writeInput(tpgate, bytes) {
  const ptr = reserveScratch(tpgate, bytes.length);
  tpgate.HEAPU8.set(bytes, ptr);
}
