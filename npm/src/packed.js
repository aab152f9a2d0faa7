// The JS side of the session's hot paths (bindings/session_packed.hpp): the
// packed output read without a boundary crossing per field, and PUBLISH / input
// bytes written straight into the wasm heap's scratch area.

// The core has validated topics as UTF-8 already [MQTT-1.5.4-1].
const decoder = new TextDecoder();
const encoder = new TextEncoder();

export const HEADER_SIZE = 16;
export const FLAG_OPEN = 1;
export const FLAG_CLOSE = 2;
export const FLAG_SIDE = 4;
export const RECORD_MESSAGE = 1;
export const RECORD_PUBLISH_COMPLETE = 2;
export const RECORD_OTHER = 3;

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
