// Keeps aedes's message queue from recursing itself into a stack overflow.
//
// aedes hands every publish to mqemitter (aedes.js `emitPacket`, mq created
// with `concurrency: 100`, aedes.js lines 12 and 66-67). When 100 publishes are
// in flight (a subscriber whose socket is full holds its deliveries until
// 'drain', e.g. one root subscriber on WebSocket under a fleet's load), further
// publishes wait in `_messageQueue` (mqemitter.js lines 107-109). Each finished
// publish dequeues the next one synchronously (mqemitter.js `released`, lines
// 41-48: `that._do(message, callback)`), and a publish with no listener at all
// finishes synchronously inside `_do` (fastparallel parallel.js lines 24-26:
// `toCall.length === 0` -> `done(); released(holder)`). So a run of queued
// publishes that nobody listens to is drained by recursion,
// released -> _do -> parallel -> released -> ..., one level per message, and
// "RangeError: Maximum call stack size exceeded" (thrown in qlobber's match or
// in mqemitter) kills the broker once the run is a few thousand long.
//
// Such runs are what a fleet makes: every connect publishes
// $SYS/<id>/new/clients and one $SYS/<id>/new/subscribes per SUBSCRIBE (a
// ThingsPanel gateway sends 8), every disconnect $SYS/<id>/disconnect/clients,
// and in ThingsPanel mode devices/status/<id> with nobody subscribed; 1,000
// gateways connecting or leaving while the queue is full is ~10,000 of them
// in a row. Plain mode is hit the same way (upstream: mcollina/mqemitter#204,
// unfixed in mqemitter 7.1.0 / aedes 1.2.0).
//
// The fix: one broker-side listener on `#` (aedes.subscribe, its public API)
// that completes each message on the next turn of the event loop. Every
// publish then has a listener that finishes asynchronously, so `released`
// always runs from a fresh stack (setImmediate) and never recurses. Delivery to
// real subscribers is unchanged: aedes already defers each of those with
// setImmediate (lib/client.js deliverQoS0 / deliverQoS), so the listener adds
// no latency, only one setImmediate per publish.

function deferDone(packet, done) {
  setImmediate(done);
}

/**
 * Subscribes the guard listener; resolves once it is in place.
 * @param {import('aedes').Aedes} aedes
 * @returns {Promise<void>}
 */
export function guardMessageQueue(aedes) {
  return new Promise((resolve, reject) => {
    aedes.subscribe('#', deferDone, (err) => (err ? reject(err) : resolve()));
  });
}
