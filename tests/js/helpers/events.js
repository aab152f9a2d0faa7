// Small helpers for tests that wait on an EventEmitter (a tpgate client, a
// platform, an MQTT.js client).

/** Resolves with the first `count` events of `name` on `emitter` that pass `keep`. */
export function collectEvents(emitter, name, count, keep = () => true) {
  return new Promise((resolve) => {
    const seen = [];
    const listener = (event) => {
      if (!keep(event)) return;
      seen.push(event);
      if (seen.length === count) {
        emitter.off(name, listener);
        resolve(seen);
      }
    };
    emitter.on(name, listener);
  });
}
