// The session store every environment has: memoryStore() keeps the log in
// this realm's memory. A session survives end() and a new connect() with the
// same store (tests, a client re-created in one process), never a restart.
//
// A store is any object with these methods (npm/src/client.js calls them in
// order, one at a time):
//   load()          -> the whole log (Uint8Array, empty or null when new), or a Promise of it
//   append(bytes)   -> once it returns (or its Promise resolves) the bytes are kept
//   replace(bytes)  -> the log becomes `bytes`, all or nothing
//   close()         -> optional; the store is not used after it
// and optionally `recover: true` (keep the intact part of a damaged log).
// The log's content belongs to the core (src/mqtt/session_store.hpp).

/** Joins chunks into one Uint8Array. */
export function concatBytes(chunks) {
  if (chunks.length === 1) return chunks[0];
  let length = 0;
  for (const c of chunks) length += c.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

export function memoryStore() {
  let chunks = [];
  return {
    kind: 'memory',
    load() {
      return concatBytes(chunks.length === 0 ? [new Uint8Array(0)] : chunks);
    },
    append(bytes) {
      chunks.push(bytes.slice());
    },
    replace(bytes) {
      chunks = [bytes.slice()];
    },
    close() {},
    /** Bytes held (tests). */
    get size() {
      let n = 0;
      for (const c of chunks) n += c.length;
      return n;
    },
  };
}
