// The fleet's I/O loop: one wasm Fleet (src/emulator) drives every gateway of
// this process; this file does what its output asks (open a transport, write
// bytes, close) and feeds back what the transports report. One timer for the
// whole fleet; the reads of one loop turn go in with one receiveFrame() call and
// what they cause comes back as one frame (npm/src/packed.js reads it).
//
// Per gateway the JS side keeps a socket reference and a state byte, nothing
// else: transports attach module-level handlers (no closure per gateway or per
// message), so ten thousand gateways fit in one process.
import { TpgateError } from '../errors.js';
import { GATEWAY_CLOSE, GATEWAY_ENDED, GATEWAY_OPEN, GatewayInputs, copyFrame, readFrame } from '../packed.js';

/**
 * @typedef {object} FleetTransport
 * @property {(target: object, index: number, host: FleetHost, options: object) => any} open
 *   starts opening; the socket later calls host.transportOpened / transportData
 *   (or transportRead) / transportError / transportClosed(index, socket)
 * @property {(socket: any, bytes: Uint8Array) => void} write
 * @property {(socket: any) => void} end graceful close
 * @property {(socket: any) => void} destroy abrupt close
 */

// Per-gateway transport state.
const IDLE = 0;
const QUEUED = 1; // asked to open, waiting for a connect slot
const OPENING = 2;
const OPEN = 3;
const CLOSING = 4;

/** Milliseconds on the wall clock's scale, but monotonic (never jumps back). */
export const clock = () => performance.timeOrigin + performance.now();

export class FleetHost {
  /**
   * @param {object} module the loaded emulator module
   * @param {object} fleet the wasm Fleet (owned: dispose() deletes it)
   * @param {{kind: string}} target
   * @param {FleetTransport} transport
   * @param {{connectConcurrency: number, events: boolean}} options
   * @param {{defer: (fn: () => void) => void, onEvents: (list: unknown[]) => void,
   *   onTransportError: (index: number, err: Error) => void, onIdle: () => void}} hooks
   */
  constructor(module, fleet, target, transport, options, hooks) {
    this.module = module;
    this.fleet = fleet;
    this.target = target;
    this.transport = transport;
    this.options = options;
    this.hooks = hooks;
    this.size = fleet.size();
    this.sockets = new Array(this.size).fill(null);
    this.state = new Uint8Array(this.size);
    this.reopen = new Uint8Array(this.size); // asked to open again while closing
    this.queue = []; // gateway indices waiting for a connect slot (stale entries skipped)
    this.queueHead = 0;
    this.opening = 0;
    this.live = 0; // sockets not yet closed
    this.stopping = false;
    this.ended = 0; // gateways that ended for good
    this.transportErrors = 0;
    this.forcedCloses = 0;
    this.drainScheduled = false;
    this.timer = null;
    this.timerAt = -1;
    this.input = new GatewayInputs(); // reads not yet handed to the fleet
    this.events = []; // json events of the frame being read
    this.drainTask = () => this.drain();
    this.onTimer = () => {
      this.timer = null;
      this.timerAt = -1;
      if (this.fleet === null) return;
      this.flushInput();
      this.fleet.tick(clock());
      this.drain();
    };
    // The sink of readFrame(), bound once.
    this.sink = {
      gatewayOutput: (i, flags, data, start, length) => {
        // Bytes first, then a close: a DISCONNECT goes out before the FIN.
        if (length > 0 && this.state[i] === OPEN) this.transport.write(this.sockets[i], data.subarray(start, start + length));
        if (flags !== 0) {
          if ((flags & GATEWAY_CLOSE) !== 0) this.requestClose(i);
          if ((flags & GATEWAY_OPEN) !== 0) this.requestOpen(i);
          if ((flags & GATEWAY_ENDED) !== 0) this.ended++;
        }
      },
      jsonEvent: (event) => {
        if (this.options.events) this.events.push(event);
      },
    };
  }

  start() {
    this.fleet.start(clock());
    this.drain();
  }

  // --- what the transports report ------------------------------------------------

  transportOpened(i) {
    if (this.fleet === null || this.state[i] !== OPENING) return;
    this.opening--;
    this.state[i] = OPEN;
    this.flushInput();
    this.fleet.transportOpen(i, clock());
    this.scheduleDrain();
    this.pump();
  }

  transportData(i, chunk) {
    this.transportRead(i, chunk, chunk.length);
  }

  /** Gateway i's transport read buffer[0, length) (the buffer may be reused after this returns). */
  transportRead(i, buffer, length) {
    if (this.fleet === null || this.state[i] !== OPEN || length === 0) return;
    this.input.add(i, buffer, 0, length);
    // setImmediate in Node: every socket read of this loop turn first, then one
    // receiveFrame() and one frame back.
    this.scheduleDrain();
  }

  /** Hands the reads so far to the fleet: before anything else reaches it, so it sees events in order. */
  flushInput() {
    if (this.input.length === 0 || this.fleet === null) return;
    if (!this.input.flush(this.module, this.fleet, clock())) {
      throw new TpgateError('ERR_INTERNAL', 'the fleet refused its input records');
    }
  }

  transportError(i, err) {
    this.transportErrors++;
    this.hooks.onTransportError(i, err);
  }

  transportClosed(i, socket) {
    if (this.sockets[i] !== socket) return; // a socket already given up on
    if (this.state[i] === OPENING) this.opening--;
    this.sockets[i] = null;
    this.state[i] = IDLE;
    this.live--;
    if (this.fleet !== null) {
      this.flushInput();
      this.fleet.transportClosed(i, clock());
      this.scheduleDrain();
      if (this.reopen[i] === 1) {
        this.reopen[i] = 0;
        if (!this.stopping) this.requestOpen(i);
      }
      this.pump();
    }
    if (this.stopping && this.live === 0) this.hooks.onIdle();
  }

  // --- what the fleet asks ----------------------------------------------------------

  requestOpen(i) {
    if (this.stopping) return;
    const state = this.state[i];
    if (state === CLOSING) {
      this.reopen[i] = 1;
      return;
    }
    if (state !== IDLE) return;
    if (this.opening < this.options.connectConcurrency) this.openNow(i);
    else {
      this.state[i] = QUEUED;
      this.queue.push(i);
    }
  }

  openNow(i) {
    this.state[i] = OPENING;
    this.opening++;
    this.live++;
    let socket;
    try {
      socket = this.transport.open(this.target, i, this, this.options);
    } catch (err) {
      // Opening threw at once (no socket): report it like a failed connect.
      this.opening--;
      this.live--;
      this.state[i] = IDLE;
      this.transportError(i, err);
      this.flushInput();
      this.fleet.transportClosed(i, clock());
      this.scheduleDrain();
      return;
    }
    this.sockets[i] = socket;
  }

  // Opens queued gateways while connect slots are free.
  pump() {
    const q = this.queue;
    while (this.opening < this.options.connectConcurrency && this.queueHead < q.length) {
      const i = q[this.queueHead++];
      if (this.state[i] !== QUEUED) continue; // closed again while waiting
      this.state[i] = IDLE;
      this.openNow(i);
    }
    if (this.queueHead === q.length && q.length > 0) {
      q.length = 0;
      this.queueHead = 0;
    }
  }

  requestClose(i) {
    const state = this.state[i];
    this.reopen[i] = 0;
    if (state === QUEUED) {
      // Never opened: the gateway hears at once that it has no transport.
      this.state[i] = IDLE;
      if (!this.stopping) {
        this.flushInput();
        this.fleet.transportClosed(i, clock());
        this.scheduleDrain();
      }
    } else if (state === OPENING) {
      this.transport.destroy(this.sockets[i]);
    } else if (state === OPEN) {
      this.state[i] = CLOSING;
      this.transport.end(this.sockets[i]);
    }
  }

  // --- the loop -------------------------------------------------------------------

  scheduleDrain() {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    this.hooks.defer(this.drainTask);
  }

  drain() {
    this.drainScheduled = false;
    const fleet = this.fleet;
    if (fleet === null) return;
    this.flushInput();
    const deadline = readFrame(copyFrame(this.module, fleet.takeFrame()), this.sink);
    if (this.events.length > 0) {
      const list = this.events;
      this.events = [];
      this.hooks.onEvents(list);
    }
    this.arm(deadline);
  }

  arm(deadline) {
    if (deadline < 0) {
      if (this.timer !== null) clearTimeout(this.timer);
      this.timer = null;
      this.timerAt = -1;
      return;
    }
    if (this.timer !== null) {
      if (this.timerAt === deadline) return;
      clearTimeout(this.timer);
    }
    this.timerAt = deadline;
    this.timer = setTimeout(this.onTimer, Math.max(0, Math.ceil(deadline - clock())));
  }

  // --- stopping ----------------------------------------------------------------------

  /** Every gateway DISCONNECTs and closes; queued opens are dropped. */
  stop() {
    this.stopping = true;
    for (let k = this.queueHead; k < this.queue.length; k++) {
      const i = this.queue[k];
      if (this.state[i] === QUEUED) this.state[i] = IDLE;
    }
    this.queue.length = 0;
    this.queueHead = 0;
    this.flushInput();
    this.fleet.stop(clock());
    this.drain();
    if (this.live === 0) this.hooks.onIdle();
  }

  /** Destroys every socket still there (stop() timed out); returns how many. */
  destroyAll() {
    let n = 0;
    for (let i = 0; i < this.size; i++) {
      const socket = this.sockets[i];
      if (socket === null) continue;
      n++;
      this.sockets[i] = null;
      this.state[i] = IDLE;
      this.transport.destroy(socket);
    }
    this.live = 0;
    this.opening = 0;
    this.forcedCloses += n;
    return n;
  }

  /** The JS side's counters, merged into stats(). */
  counters() {
    let open = 0;
    let queued = 0;
    for (let i = 0; i < this.size; i++) {
      if (this.state[i] === OPEN) open++;
      else if (this.state[i] === QUEUED) queued++;
    }
    return {
      transports_open: open,
      transports_opening: this.opening,
      transports_queued: queued,
      transport_errors: this.transportErrors,
      gateways_ended: this.ended,
      forced_closes: this.forcedCloses,
    };
  }

  /** Frees the wasm fleet; the host does nothing after this. */
  dispose() {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.fleet !== null) {
      this.fleet.delete();
      this.fleet = null;
    }
  }
}

/** A transport error as a TpgateError naming the gateway. */
export function transportError(index, info, err) {
  return new TpgateError('ERR_TRANSPORT', `gateway ${index} (${info?.client_id ?? '?'}): ${err?.message ?? String(err)}`, { cause: err });
}
