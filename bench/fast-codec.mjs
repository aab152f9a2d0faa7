// The host side of bindings/fast_bindings.cpp: PUBLISH decode and encode with
// one wasm call per chunk (decode) or per packet (encode), fields read as
// integers from the wasm heap instead of one Embind call each.
//
// This is the measured proof for the bench's codec rows; the client in
// npm/src can adopt it as is. It returns the same shapes as Decoder.feed()
// and encodePacket() of the raw module, so the comparison with mqtt-packet is
// like for like. Anything but a PUBLISH without properties falls back to the
// Embind object (module.fastPacket), so no field is ever dropped.

const RECORD_WORDS = 6;
const textDecoder = new TextDecoder();
const textEncoder = new TextEncoder();

/** True when the module was built with bindings/fast_bindings.cpp. */
export function hasFastCodec(mod) {
  return typeof mod._tpg_fast_decode === 'function' && typeof mod.fastMemory === 'function';
}

export function createFastCodec(mod) {
  if (!hasFastCodec(mod)) throw new Error('this tpgate.wasm has no fast codec: rebuild with bindings/fast_bindings.cpp');
  let heap = new Uint8Array(mod.fastMemory());
  let words = new Uint32Array(heap.buffer);
  // The wasm memory may grow during any call; a grown memory detaches the old
  // views (their length drops to 0), so refresh them after each call.
  const fresh = () => {
    if (heap.byteLength === 0) {
      heap = new Uint8Array(mod.fastMemory());
      words = new Uint32Array(heap.buffer);
    }
  };

  // Telemetry repeats a few topics: when the bytes equal the last topic's,
  // reuse its string instead of decoding and allocating it again.
  let lastBytes = new Uint8Array(0);
  let lastTopic = '';
  const readString = (ptr, len) => {
    if (len === lastBytes.length) {
      let i = 0;
      while (i < len && heap[ptr + i] === lastBytes[i]) i++;
      if (i === len) return lastTopic;
    }
    lastBytes = heap.slice(ptr, ptr + len);
    lastTopic = textDecoder.decode(lastBytes);
    return lastTopic;
  };
  // Writes `s` as UTF-8 at ptr (room for 3 bytes per UTF-16 unit); returns the length.
  const writeString = (s, ptr) => {
    const n = s.length;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) return textEncoder.encodeInto(s, heap.subarray(ptr, ptr + 3 * n)).written;
      heap[ptr + i] = c;
    }
    return n;
  };

  class FastDecoder {
    constructor({ version = 5, role = 'any', maxPacketSize = 0 } = {}) {
      this.handle = mod._tpg_fast_decoder_new(version, { any: 0, client: 1, server: 2 }[role] ?? -1, maxPacketSize);
      if (this.handle === 0) throw new Error(`FastDecoder: bad options (version ${version}, role ${role})`);
    }

    feed(bytes) {
      const ptr = mod._tpg_fast_decoder_input(this.handle, bytes.length);
      fresh();
      heap.set(bytes, ptr);
      const n = mod._tpg_fast_decode(this.handle, bytes.length);
      fresh();
      const count = n < 0 ? -n - 1 : n;
      const rec = mod._tpg_fast_decoder_records(this.handle) >>> 2;
      const packets = new Array(count);
      for (let i = 0; i < count; i++) {
        const r = rec + i * RECORD_WORDS;
        const w0 = words[r];
        if ((w0 & 0xff) !== 3 || w0 & 0x1000) {
          packets[i] = mod.fastPacket(this.handle, i);  // not a plain PUBLISH
          fresh();
          continue;
        }
        const payload = words[r + 4];
        packets[i] = {
          type: 'publish',
          dup: (w0 & 0x100) !== 0,
          qos: (w0 >> 9) & 3,
          retain: (w0 & 0x800) !== 0,
          topic: readString(words[r + 2], words[r + 3]),
          packetId: words[r + 1],
          properties: {},
          payload: heap.slice(payload, payload + words[r + 5]),
        };
      }
      if (n < 0) return { ...mod.fastDecoderError(this.handle), packets };
      return { ok: true, packets };
    }

    reset() {
      mod._tpg_fast_decoder_reset(this.handle);
    }

    delete() {
      mod._tpg_fast_decoder_free(this.handle);
      this.handle = 0;
    }
  }

  // The same topic is published again and again: encode it once.
  let lastWritten = null;
  let lastWrittenBytes = new Uint8Array(0);

  /** {topic, payload: string | Uint8Array, qos, retain, dup, packetId} -> {ok, bytes} like encodePacket. */
  function encodePublish(p, version) {
    if (p.properties && Object.keys(p.properties).length > 0) return mod.encodePacket({ type: 'publish', ...p }, version);
    const payload = p.payload ?? '';
    const text = typeof payload === 'string';
    if (p.topic !== lastWritten) {
      lastWritten = p.topic;
      lastWrittenBytes = textEncoder.encode(p.topic);
    }
    const topicLen = lastWrittenBytes.length;
    const room = topicLen + (text ? 3 * payload.length : payload.length);
    const ptr = mod._tpg_fast_encode_input(room);
    fresh();
    heap.set(lastWrittenBytes, ptr);
    let payloadLen;
    if (text) {
      payloadLen = writeString(payload, ptr + topicLen);
    } else {
      heap.set(payload, ptr + topicLen);
      payloadLen = payload.length;
    }
    const flags = (p.dup ? 1 : 0) | ((p.qos ?? 0) << 1) | (p.retain ? 8 : 0);
    const n = mod._tpg_fast_encode_publish(version, flags, p.packetId ?? 0, topicLen, payloadLen);
    fresh();
    if (n < 0) return mod.fastEncodeError();
    const out = mod._tpg_fast_encode_output();
    return { ok: true, bytes: heap.slice(out, out + n) };
  }

  return { Decoder: FastDecoder, encodePublish };
}
