// How the dev broker runs aedes's message queue, so that a fleet's load
// neither overflows the stack nor slows delivery to a crawl.
//
// aedes hands every publish to mqemitter (aedes.js `emitPacket`; the mq is
// made with `concurrency: opts.concurrency`, default 100: aedes.js lines 12 and
// 66-67). With a limit, once that many publishes are in flight (a subscriber
// whose socket is full holds its deliveries until 'drain': one root subscriber
// under an emulator fleet's load is enough), further publishes wait in
// `_messageQueue` (mqemitter.js lines 107-109), and two things go wrong:
//
// 1. Stack overflow. Each finished publish dequeues the next synchronously
//    (mqemitter.js `released`, lines 41-48: `that._do(message, callback)`),
//    and a publish nobody listens to finishes synchronously inside `_do`
//    (fastparallel parallel.js lines 24-26: `toCall.length === 0` ->
//    `done(); released(holder)`). A run of queued publishes without a listener
//    is drained by recursion, released -> _do -> parallel -> released, one
//    level per message: "RangeError: Maximum call stack size exceeded" (in
//    qlobber's match or in mqemitter) once the run is a few thousand long.
//    Fleets make such runs: every connect publishes $SYS/<id>/new/clients and
//    one $SYS/<id>/new/subscribes per SUBSCRIBE (a ThingsPanel gateway sends
//    8), every disconnect $SYS/<id>/disconnect/clients, and ThingsPanel mode
//    adds devices/status/<id>, usually unsubscribed: 1,000 gateways connecting
//    or leaving while the queue is full are ~10,000 in a row. Plain mode too.
//    Upstream: mcollina/mqemitter#204, open; mqemitter 7.1.0 / aedes 1.2.0.
// 2. Collapse. `_messageQueue` and `_messageCallbacks` are arrays drained
//    with shift() (mqemitter.js lines 44-45), which on a long array moves
//    every remaining element (Node 20: ~0.4 us per push+shift at 1,000
//    entries, 36-230 us at 50,000-100,000). Once tens of thousands are queued,
//    delivery falls to a few thousand messages/s, the queue grows further, and
//    the broker does not catch up while the load lasts (seen: 2,700 msg/s to
//    one root subscriber with 90,000 queued, against 14,000 msg/s without).
//
// The fix, in two parts:
// - MQ_OPTIONS `concurrency: 0`: mqemitter without a limit (mqemitter.js line
//   107 checks `this.concurrency > 0`) never queues, so neither problem can
//   arise. Load is still bounded: aedes reads a client's next chunk only when
//   every publish of its previous chunk is delivered (lib/client.js
//   `nextBatch`), and a delivery to a full socket waits for 'drain'
//   (lib/write.js, coalesced, up to `drainTimeout`, 60 s by default), so a
//   slow subscriber slows the publishers through TCP, as with the limit, minus
//   the queue. It also ends aedes's documented "deadlock" of a limit: one
//   frozen subscriber no longer stops delivery to everyone else.
// - guardMessageQueue: a broker-side listener on `#` (aedes.subscribe, its
//   public API) that completes each publish on the next turn of the event
//   loop. Every publish then has a listener that finishes asynchronously, so
//   `released` always runs from a fresh stack and cannot recurse, should a
//   queue ever come back (a positive concurrency, another aedes version).
//   Delivery to real subscribers is unchanged: aedes already defers each of
//   those with setImmediate (lib/client.js deliverQoS0 / deliverQoS); the
//   listener costs one setImmediate per publish.

/** aedes options for the message queue (see above). */
export const MQ_OPTIONS = Object.freeze({ concurrency: 0 });

function completeNextTurn(packet, done) {
  setImmediate(done);
}

/**
 * Subscribes the guard listener; resolves once it is in place.
 * @param {import('aedes').Aedes} aedes
 * @returns {Promise<void>}
 */
export function guardMessageQueue(aedes) {
  return new Promise((resolve, reject) => {
    aedes.subscribe('#', completeNextTurn, (err) => (err ? reject(err) : resolve()));
  });
}
