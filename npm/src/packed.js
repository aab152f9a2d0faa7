// The JS side of the one frame layout (bindings/frame.hpp): frames read
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
export const RECORD_GATEWAY_OUTPUT = 5;
export const RECORD_JSON_EVENT = 8;
/** Flags of a gatewayOutput record. */
export const GATEWAY_OPEN = 1;
export const GATEWAY_CLOSE = 2;
export const GATEWAY_ENDED = 4;
const GATEWAY_OUTPUT_HEAD = 12;
const JSON_EVENT_HEAD = 8;

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

/**
 * One drain of `session` (a client session or a fleet: anything whose
 * takeFrame() returns a frame's address), copied out of the wasm heap at once
 * (a view would die when the heap grows, and the next call overwrites the frame).
 */
export function takeFrame(tpgate, session) {
  const at = session.takeFrame();
  const heap = tpgate.HEAPU8; // read after the call: growing the heap replaces it
  const length = heap[at + 16] | (heap[at + 17] << 8) | (heap[at + 18] << 16) | (heap[at + 19] << 24);
  return heap.slice(at, at + (length >>> 0));
}

/**
 * The header of one drain (takeFrame()): flags, the bytes to write (a view
 * into `data`) and the next deadline (-1 none).
 */
export function packedHeader(data) {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const bytesLength = view.getUint32(4, true);
  return {
    flags: data[0],
    bytes: data.subarray(HEADER_SIZE, HEADER_SIZE + bytesLength),
    deadline: view.getFloat64(8, true),
    view,
  };
}

/**
 * Reads the records of one drain after its header, in event order: a message
 * as `sink.message({topic, payload, qos, retain, dup, properties, packetId})`
 * (the payload a view into `data`: no copy per message), a publish completion
 * as `sink.publishComplete(token, qos, packetId, reasonCode, properties)`, any
 * other event as `sink.event(object)`. `side` is session.takeSide() when the
 * header's FLAG_SIDE is set.
 */
export function readRecords(data, header, side, sink) {
  const view = header.view;
  let o = HEADER_SIZE + header.bytes.length;
  let s = 0;
  const end = data.length;
  while (o < end) {
    const kind = data[o];
    if (kind === RECORD_MESSAGE) {
      const bits = data[o + 1];
      const tl = view.getUint32(o + 4, true);
      const pl = view.getUint32(o + 8, true);
      const start = o + 12;
      sink.message({
        topic: decodeTopic(data, start, tl),
        payload: data.subarray(start + tl, start + tl + pl),
        qos: bits & 3,
        retain: (bits & 4) !== 0,
        dup: (bits & 8) !== 0,
        properties: (bits & 16) !== 0 ? side[s++] : NO_PROPERTIES,
        packetId: data[o + 2] | (data[o + 3] << 8),
      });
      o = start + tl + pl;
    } else if (kind === RECORD_PUBLISH_COMPLETE) {
      const properties = data[o + 3] !== 0 ? side[s++] : NO_PROPERTIES;
      sink.publishComplete(view.getUint32(o + 8, true), data[o + 1], data[o + 4] | (data[o + 5] << 8), data[o + 2], properties);
      o += 12;
    } else {
      sink.event(side[s++]);
      o += 1;
    }
  }
}

/**
 * Reads the records of a fleet's frame (takeFrame()), in order: each
 * gatewayOutput as `sink.gatewayOutput(index, flags, data, start, length)`
 * (the bytes are data[start, start + length): no view made per record), each
 * json event as `sink.jsonEvent(text)`. Returns the frame's deadline (-1 none).
 */
export function readGatewayOutputs(data, sink) {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let o = HEADER_SIZE + view.getUint32(4, true);
  const end = data.length;
  while (o < end) {
    const kind = data[o];
    if (kind === RECORD_GATEWAY_OUTPUT) {
      const length = view.getUint32(o + 8, true);
      sink.gatewayOutput(view.getUint32(o + 4, true), data[o + 1], data, o + GATEWAY_OUTPUT_HEAD, length);
      o += GATEWAY_OUTPUT_HEAD + length;
    } else if (kind === RECORD_JSON_EVENT) {
      const length = view.getUint32(o + 4, true);
      const start = o + JSON_EVENT_HEAD;
      sink.jsonEvent(decoder.decode(data.subarray(start, start + length)));
      o = start + length;
    } else {
      throw new Error(`fleet frame: record kind ${kind} at ${o}`);
    }
  }
  return view.getFloat64(8, true);
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
    const ptr = tpgate.reserveScratch(n);
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
    const ptr = tpgate.reserveScratch(max);
    const heap = tpgate.HEAPU8; // read after reserving: growing the heap replaces it
    heap.set(lastTopicBytes, ptr);
    if (payload.length === 0) return 0;
    return encoder.encodeInto(payload, heap.subarray(ptr + tl, ptr + max)).written;
  }
  const ptr = tpgate.reserveScratch(tl + payload.length);
  const heap = tpgate.HEAPU8;
  heap.set(lastTopicBytes, ptr);
  heap.set(payload, ptr + tl);
  return payload.length;
}

/** Copies received bytes into the scratch area for receiveScratch(). */
export function writeInput(tpgate, bytes) {
  const ptr = tpgate.reserveScratch(bytes.length);
  tpgate.HEAPU8.set(bytes, ptr);
}
