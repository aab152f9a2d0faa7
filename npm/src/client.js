// The MQTT client: connect() and MqttClient, built on one wasm ClientSession
// per client. The session decides everything protocol-related; this file only
// does what its output asks (write bytes, open/close the transport, arm one
// timer at the session's deadline) and turns its events into promises, events
// and async iterators.
//
// Environment-neutral: each entry point (index-node.js, index-browser.js, ...)
// passes the transports it has.
import { Emitter } from './emitter.js';
import {
  ClientClosedError,
  ConnectionRefusedError,
  InvalidOptionError,
  StoreError,
  TpgateError,
  describe,
  disconnectError,
  operationError,
  optionOf,
} from './errors.js';
import { MessageIterator } from './message-queue.js';
import { filterProblem, topicMatcher } from './topic-filter.js';
import {
  FLAG_CLOSE,
  FLAG_OPEN,
  FLAG_SIDE,
  packedHeader,
  publishScratch,
  readRecords,
  receiveScratch,
  reserveScratch,
  takeFrame,
  topicLength,
  writeInput,
  writePublish,
} from './packed.js';
import {
  PUBLISH_OPTIONS,
  UNSUBSCRIBE_OPTIONS,
  checkKeys,
  checkPayload,
  outgoingProperties,
  checkQos,
  normalizeClientOptions,
  parseUrl,
  subscriptionsFrom,
} from './options.js';
import { loadModule } from './role-host.js';
import { concatBytes } from './store-memory.js';

const now = () => performance.now();

// How long end() waits for the transport to close after DISCONNECT before
// dropping it: a broker that never closes must not make end() hang.
const END_TIMEOUT_MS = 2000;

// A store's log is compacted (replaced by a snapshot of the session) once it
// has grown past this many bytes and this many times the last snapshot.
const COMPACT_MIN_BYTES = 1 << 20;
const COMPACT_FACTOR = 4;
// After a store write fails, the next try.
const STORE_RETRY_MS = 1000;
const STORE_CODES = { corrupt: 'ERR_STORE_CORRUPT', version: 'ERR_STORE_VERSION', mismatch: 'ERR_STORE_MISMATCH', state: 'ERR_STORE_READ' };

// The server a store's session belongs to: scheme, host, port (and a
// WebSocket's path).
function storeServer(target) {
  const url = target.url;
  return `${url.protocol}//${url.host}${url.protocol.startsWith('ws') ? url.pathname : ''}`;
}

function storeName(store) {
  if (store.kind === 'file') return `the session store ${store.dir}`;
  if (store.kind === 'indexeddb') return `the session store '${store.name}'`;
  return 'the session store';
}

function asStoreError(err, code, what) {
  if (err instanceof StoreError) return err;
  return new StoreError(code, `${what}: ${err?.message ?? String(err)}`, { cause: err });
}

const PUBLISH = 1;
const SUBSCRIBE = 2;
const UNSUBSCRIBE = 3;
const KIND_NAMES = { [PUBLISH]: 'publish', [SUBSCRIBE]: 'subscribe', [UNSUBSCRIBE]: 'unsubscribe' };

// A pending operation: the token's promise callbacks, plus the filters of a
// SUBSCRIBE (the SUBACK lists reason codes only, in the same order).
class Pending {
  constructor(kind, resolve, reject, filters) {
    this.kind = kind;
    this.resolve = resolve;
    this.reject = reject;
    this.filters = filters;
  }
}

function rejected(fn) {
  try {
    return fn();
  } catch (err) {
    return Promise.reject(err);
  }
}

export class MqttClient extends Emitter {
  /**
   * @param {object} tpgate the loaded module
   * @param {{url: URL, kind: string}} target
   * @param {ReturnType<typeof normalizeClientOptions>} options
   * @param {(target: object, options: object, sink: object) => object} openTransport
   */
  constructor(tpgate, target, options, openTransport) {
    super();
    this._target = target;
    this._options = options;
    this._openTransportFn = openTransport;
    this._clientId = options.clientId;
    this._tpgate = tpgate;
    this._session = new tpgate.ClientSession(options.session);
    const optionsError = this._session.optionsError();
    if (optionsError) {
      this._session.delete();
      this._session = null;
      throw new InvalidOptionError(optionOf(optionsError, 'options'), optionsError.message);
    }
    this._connected = false;
    this._ended = false; // end() called, or stopped for good
    this._endPromise = null;
    this._pending = new Map(); // token -> Pending
    this._iterators = new Set();
    this._firstConnect = null; // {resolve, reject} until the first CONNACK
    this._held = null; // messages held until the first 'connect' is emitted
    this._attempts = 0;
    // The current transport: {handle, opened, closing, closed, waiters}.
    this._transport = null;
    this._timer = null;
    this._timerAt = Infinity;
    this._drainScheduled = false;
    // Session store (options.store): what a new connect() found in it, and the
    // writes in flight. Each drain's journal is appended before its bytes are
    // written and its events handled: with an asynchronous store, the drain's
    // effects wait in _storeQueue for its write (write-through).
    this.restored = null;
    this._store = null;
    this._storeQueue = []; // {write: () => void | Promise, apply: () => void}
    this._storeWaiting = false;
    this._storeFailing = false;
    this._storeLogBytes = 0;
    this._storeSnapshotBytes = 0;
    this._storeIdle = [];
    this._inbox = []; // received chunks not yet fed to the session
    this._inboxLength = 0;
    this._drainTask = () => this._drain();
    // What the records of a drain turn into (packed.js readRecords).
    this._sink = {
      message: (message) => {
        if (this._held !== null) this._held.push(message);
        else this._deliver(message);
      },
      publishComplete: (token, qos, packetId, reasonCode, properties) =>
        this._publishComplete(token, qos, packetId, reasonCode, properties),
      event: (event) => this._handle(event),
    };
    this._onTimer = () => {
      this._timer = null;
      this._timerAt = Infinity;
      if (this._session === null) return;
      this._session.tick(now());
      this._drain();
    };
  }

  get clientId() {
    return this._clientId;
  }

  get connected() {
    return this._connected;
  }

  /** Publishes, subscribes and unsubscribes not yet complete (restored ones included). */
  get pending() {
    return this._session === null ? 0 : this._session.inflightCount() + this._session.queuedCount();
  }

  get protocolVersion() {
    return this._options.version;
  }

  /**
   * Takes up the session that options.store holds (resume after a restart),
   * then writes a fresh snapshot to it. Throws a StoreError and frees
   * everything when the store cannot be used.
   */
  async _openStore() {
    const store = this._options.store;
    const name = storeName(store);
    const server = storeServer(this._target);
    let log;
    try {
      log = await store.load();
    } catch (err) {
      this._free();
      throw asStoreError(err, 'ERR_STORE_READ', `cannot read ${name}`);
    }
    const result = this._session.restore(log ?? new Uint8Array(0), server, store.recover === true);
    if (!result.ok) {
      await Promise.resolve(store.close?.()).catch(() => {});
      this._free();
      throw new StoreError(STORE_CODES[result.path] ?? 'ERR_STORE_CORRUPT', `${name}: ${result.message}`);
    }
    const report = result.report;
    const values = {};
    const decoder = new TextDecoder();
    for (const [key, value] of Object.entries(this._session.notes())) {
      if (key.startsWith('app:')) values[key.slice(4)] = decoder.decode(value);
    }
    this.restored = { ...report, messages: this._session.restoredPublishes(), values };
    const snapshot = this._session.snapshot(server);
    try {
      await store.replace(snapshot);
    } catch (err) {
      await Promise.resolve(store.close?.()).catch(() => {});
      this._free();
      throw asStoreError(err, 'ERR_STORE_WRITE', `cannot write ${name}`);
    }
    this._store = store;
    this._storeServer = server;
    this._storeLogBytes = snapshot.length;
    this._storeSnapshotBytes = snapshot.length;
    if (report.droppedBytes > 0) {
      const why = report.corrupt ? 'damaged (recover: true)' : 'torn by a crash during a write; what it protected was never sent';
      this._storeWarning = `${name}: dropped the last ${report.droppedBytes} bytes of the log (${why})`;
    }
  }

  // --- session store: write-through ------------------------------------------

  // Queues the journal of a drain (if any) and the drain's effects behind it.
  // Items: {journal} (append), {snapshot} (replace), {apply} (a drain's effects).
  _throughStore(journal, apply) {
    const queue = this._storeQueue;
    if (journal !== null) {
      queue.push({ journal, snapshot: null, apply: null });
      this._storeLogBytes += journal.length;
      if (this._storeLogBytes > COMPACT_MIN_BYTES && this._storeLogBytes > COMPACT_FACTOR * this._storeSnapshotBytes) {
        // The session's state now is what this journal leaves: its snapshot
        // replaces the log after the append, before any later journal.
        const snapshot = this._session.snapshot(this._storeServer);
        queue.push({ journal: null, snapshot, apply: null });
        this._storeLogBytes = snapshot.length;
        this._storeSnapshotBytes = snapshot.length;
      }
    }
    queue.push({ journal: null, snapshot: null, apply });
    if (!this._storeWaiting) this._pumpStore();
  }

  // The next write of the queue, which starts at a write: a replace, or the
  // appends up to the next replace as one (an asynchronous store, behind on
  // its writes, catches up in one transaction). Returns [write, items].
  _nextWrite() {
    const queue = this._storeQueue;
    const head = queue[0];
    if (head.snapshot !== null) return [() => this._store.replace(head.snapshot), [head]];
    const items = [];
    const chunks = [];
    for (const item of queue) {
      if (item.snapshot !== null) break;
      if (item.journal === null) continue;
      items.push(item);
      chunks.push(item.journal);
    }
    const bytes = concatBytes(chunks);
    return [() => this._store.append(bytes), items];
  }

  _pumpStore() {
    const queue = this._storeQueue;
    while (queue.length > 0) {
      const item = queue[0];
      if (item.journal !== null || item.snapshot !== null) {
        const [write, items] = this._nextWrite();
        const written = () => {
          for (const it of items) {
            it.journal = null;
            it.snapshot = null;
          }
          this._storeRecovered();
        };
        let result;
        try {
          result = write();
        } catch (err) {
          this._storeFailed(err);
          return;
        }
        if (result !== undefined && result !== null && typeof result.then === 'function') {
          this._storeWaiting = true;
          result.then(
            () => {
              written();
              this._storeWaiting = false;
              this._pumpStore();
            },
            (err) => this._storeFailed(err),
          );
          return;
        }
        written();
        continue;
      }
      queue.shift();
      if (item.apply !== null) item.apply();
    }
    const idle = this._storeIdle;
    this._storeIdle = [];
    for (const resolve of idle) resolve();
  }

  /**
   * Resolves once everything called so far (publishes, subscribes,
   * remember()) is in the store; at once without a store. While the store
   * cannot be written (ERR_STORE_WRITE) it waits.
   */
  stored() {
    if (this._store === null || this._session === null) return Promise.resolve();
    this._drain(); // what the session holds goes into the queue now
    if (this._storeQueue.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this._storeQueue.push({ journal: null, snapshot: null, apply: resolve });
    });
  }

  /**
   * Keeps `value` under `key` in the store with the session (restored.values
   * after a restart). Written in call order with the operations: after a
   * crash a value is there only if every publish called before it is too
   * (restored, or complete). Without a store: nothing.
   */
  remember(key, value) {
    if (typeof key !== 'string' || key === '') throw new InvalidOptionError('key', 'remember(key, value): key must be a non-empty string');
    if (typeof value !== 'string') throw new InvalidOptionError('value', 'remember(key, value): value must be a string');
    this._note(`app:${key}`, value);
  }

  // A write failed (a full disk, a quota): nothing after it goes out until it
  // is written, so the store never lags behind what the server saw. Tried
  // again every second; the user hears of it once per failure streak.
  _storeFailed(err) {
    this._storeWaiting = true;
    if (!this._storeFailing) {
      this._storeFailing = true;
      const error = asStoreError(err, 'ERR_STORE_WRITE', `cannot write ${storeName(this._store)}`);
      error.message += ': nothing more is sent until it can be written; retrying every second';
      this.emit('error', error);
    }
    for (const resolve of this._storeIdle) resolve();
    this._storeIdle = [];
    const timer = setTimeout(() => {
      if (this._store === null) return;
      this._storeWaiting = false;
      this._pumpStore();
    }, STORE_RETRY_MS);
    timer.unref?.();
  }

  _storeRecovered() {
    if (!this._storeFailing) return;
    this._storeFailing = false;
    this.emit('storeRecovered');
  }

  // Resolves once every queued write is done (or failing: end() does not wait for a full disk).
  _storeSettled() {
    if (this._storeQueue.length === 0 || this._storeFailing) return Promise.resolve();
    return new Promise((resolve) => this._storeIdle.push(resolve));
  }

  /** Starts connecting; resolves after the first CONNACK. */
  _start() {
    return new Promise((resolve, reject) => {
      this._firstConnect = { resolve, reject };
      this._session.start(now());
      this._drain();
    });
  }

  // --- the session loop -----------------------------------------------------

  _scheduleDrain() {
    if (this._drainScheduled) return;
    this._drainScheduled = true;
    // Many publish() calls in one tick, or many frames in one socket read,
    // become one takeOutput() and one write.
    queueMicrotask(this._drainTask);
  }

  _drain() {
    this._drainScheduled = false;
    const session = this._session;
    if (session === null) return;
    if (this._inboxLength > 0) this._feedInbox(session);
    // The whole output in one Uint8Array (bindings/session_packed.hpp).
    const data = takeFrame(this._tpgate, session);
    const header = packedHeader(data);
    const flags = header.flags;
    const side = (flags & FLAG_SIDE) !== 0 ? session.takeSide() : undefined;
    if (this._store !== null && (header.journal !== null || this._storeQueue.length > 0)) {
      this._throughStore(header.journal, () => this._apply(data, header, side));
    } else {
      this._apply(data, header, side);
    }
    this._arm(header.deadline);
  }

  // What a drain asks for: bytes written, the transport opened or closed, events handled.
  _apply(data, header, side) {
    const flags = header.flags;
    const transport = this._transport;
    if (header.bytes.length > 0 && transport !== null && transport.opened && !transport.closing) {
      transport.handle.send(header.bytes);
    }
    if ((flags & FLAG_CLOSE) !== 0) this._closeTransport();
    if ((flags & FLAG_OPEN) !== 0) this._openTransport();
    readRecords(data, header, side, this._sink);
  }

  _feedInbox(session) {
    const inbox = this._inbox;
    const total = this._inboxLength;
    this._inbox = [];
    this._inboxLength = 0;
    if (inbox.length === 1) {
      writeInput(this._tpgate, inbox[0]);
    } else {
      const ptr = reserveScratch(this._tpgate, total);
      const heap = this._tpgate.HEAPU8;
      let at = ptr;
      for (let i = 0; i < inbox.length; i++) {
        heap.set(inbox[i], at);
        at += inbox[i].length;
      }
    }
    receiveScratch(this._tpgate, session, total, now());
  }

  // One timer, at the earliest deadline. A timer that fires before the
  // session's (moved) deadline costs one harmless tick; keeping it saves a
  // clearTimeout/setTimeout pair on every drain while messages flow.
  _arm(deadline) {
    if (deadline < 0 || this._session === null) return;
    if (this._timer !== null && this._timerAt <= deadline) return;
    if (this._timer !== null) clearTimeout(this._timer);
    this._timerAt = deadline;
    this._timer = setTimeout(this._onTimer, Math.max(0, Math.ceil(deadline - now())));
  }

  _handle(event) {
    switch (event.type) {
      case 'message':
        // Only on the object path (takeOutput); the packed path reads messages itself.
        if (this._held !== null) this._held.push(event.publish);
        else this._deliver(event.publish);
        break;
      case 'publishComplete':
        this._publishComplete(event.token, event.qos, event.packetId, event.reasonCode, event.properties);
        break;
      case 'subscribeComplete': {
        const op = this._takePending(event.token);
        if (!op) break;
        const codes = event.suback.reasonCodes;
        const granted = op.filters.map((topic, i) => ({ topic, qos: codes[i] }));
        if (granted.length > 0 && granted.every((g) => g.qos >= 0x80)) {
          const err = new TpgateError(
            'ERR_SUBSCRIBE_FAILED',
            `the server refused every filter: ${granted.map((g) => `${g.topic} (0x${g.qos.toString(16)})`).join(', ')}`,
            { reasonCode: granted[0].qos },
          );
          err.granted = granted;
          op.reject(err);
        } else {
          op.resolve(granted);
        }
        break;
      }
      case 'unsubscribeComplete': {
        const op = this._takePending(event.token);
        if (op) op.resolve();
        break;
      }
      case 'operationFailed': {
        const op = this._takePending(event.token);
        if (!op) break;
        op.reject(
          this._ended
            ? new ClientClosedError(`${KIND_NAMES[op.kind]} did not complete: ${event.error.message}${this._keptNote()}`)
            : operationError(event.error, KIND_NAMES[op.kind]),
        );
        break;
      }
      case 'connected': {
        this._connected = true;
        const connack = event.connack;
        const assigned = connack.properties.assignedClientIdentifier;
        if (assigned !== undefined) this._clientId = assigned;
        const info = {
          sessionPresent: event.sessionPresent,
          reasonCode: connack.reasonCode,
          properties: connack.properties,
        };
        if (this._firstConnect !== null) {
          const { resolve } = this._firstConnect;
          this._firstConnect = null;
          this._held = [];
          setTimeout(() => this._releaseHeld(info), 0);
          if (this._storeWarning !== undefined) {
            const warning = this._storeWarning;
            setTimeout(() => this.emit('warning', warning), 0);
          }
          resolve(this);
        } else {
          this.emit('connect', info);
        }
        break;
      }
      case 'disconnected':
        this._onDisconnected(event);
        break;
      case 'error':
        this.emit('error', disconnectError({ error: event.error, byServer: false }));
        break;
      default:
        // 'auth': enhanced authentication is not exposed by this API yet.
        break;
    }
  }

  // Records of the layers above (a gateway's reports awaiting acks), kept in
  // the store with the session: written with the next drain's journal.
  _note(key, text) {
    if (this.restored === null || this._session === null) return;
    this._session.note(key, new TextEncoder().encode(text));
    this._scheduleDrain();
  }

  _forget(key) {
    if (this.restored === null || this._session === null) return;
    this._session.forget(key);
    this._scheduleDrain();
  }

  /** {key: text} of the records the store gave back. */
  _notes() {
    if (this.restored === null || this._session === null) return {};
    const decoder = new TextDecoder();
    const out = {};
    for (const [key, value] of Object.entries(this._session.notes())) out[key] = decoder.decode(value);
    return out;
  }

  // Said of operations cut short by end() when a store keeps them.
  _keptNote() {
    return this.restored !== null ? '; the session store keeps it, and the next connect() with the store sends it' : '';
  }

  _deliver(message) {
    this.emit('message', message.topic, message.payload, message);
    if (this._iterators.size > 0) {
      for (const it of this._iterators) if (it.matches(message.topic)) it.push(message);
    }
  }

  // connect() resolves before the caller can attach listeners. The first
  // 'connect' event, and messages that arrive with the CONNACK (a resumed
  // session's queue), wait one task so the code after `await connect()` sees them.
  _releaseHeld(info) {
    const held = this._held;
    this._held = null;
    if (this._ended) return;
    this.emit('connect', info);
    for (const message of held) this._deliver(message);
  }

  _publishComplete(token, qos, packetId, reasonCode, properties) {
    const op = this._takePending(token);
    if (op === undefined) return;
    if (reasonCode >= 0x80) {
      op.reject(
        new TpgateError('ERR_PUBLISH_FAILED', `the server refused the publish: reason code 0x${reasonCode.toString(16)}`, {
          reasonCode,
        }),
      );
    } else {
      op.resolve({ qos, packetId, reasonCode, properties });
    }
  }

  _takePending(token) {
    const op = this._pending.get(token);
    if (op !== undefined) this._pending.delete(token);
    return op;
  }

  _onDisconnected(event) {
    const wasConnected = this._connected;
    this._connected = false;
    if (this._firstConnect !== null) {
      // The first connection failed: connect() rejects and nothing is left running.
      const { reject } = this._firstConnect;
      this._firstConnect = null;
      reject(this._connectError(event));
      this._ended = true;
      this._endPromise = this._shutdown(true);
      return;
    }
    if (this._ended) return; // our own end()
    const error =
      event.byServer && !wasConnected
        ? new ConnectionRefusedError(`the server refused the reconnect: ${describe(event.error)}`, event.error.code)
        : disconnectError(event);
    this.emit('offline', error);
    // A plain connection loss is 'offline' only; anything the server or the
    // protocol caused is also an 'error'.
    if (error.code !== 'ERR_TRANSPORT') this.emit('error', error);
    if (event.reconnectAt === undefined) {
      // Stopped for good (reconnect off, or a refusal that would repeat).
      this._ended = true;
      this._endPromise = this._shutdown(true);
    }
  }

  _connectError(event) {
    const url = this._target.url.href;
    const info = event.error;
    if (event.byServer) {
      // 0x84 is also what a 3.1.1-only broker's answer to a v5 CONNECT becomes (aedes, old brokers).
      const hint = info.code === 0x84 ? ' (the server does not speak MQTT 5: connect with protocolVersion: 4)' : '';
      return new ConnectionRefusedError(`${url} refused the connection: ${describe(info)}${hint}`, info.code);
    }
    const cause = this._lastTransportError;
    const why = cause ? cause.message || String(cause) : info.message;
    return new TpgateError('ERR_CONNECT_FAILED', `could not connect to ${url}: ${why}`, {
      reasonCode: info.code,
      cause,
    });
  }

  // --- transport ------------------------------------------------------------

  _openTransport() {
    this._attempts++;
    if (this._attempts > 1) this.emit('reconnect');
    this._lastTransportError = undefined;
    const transport = { handle: null, opened: false, closing: false, closed: false, waiters: [] };
    const timeoutMs = this._options.connectTimeout;
    let openTimer = null;
    const sink = {
      open: () => {
        if (transport.closed || transport.closing) return;
        transport.opened = true;
        clearTimeout(openTimer);
        if (this._transport !== transport || this._session === null) return;
        this._session.transportOpen(now());
        this._drain();
      },
      data: (bytes) => {
        if (this._transport !== transport || transport.closing || this._session === null) return;
        // Frames of one socket read are fed to the session together, at the drain.
        this._inbox.push(bytes);
        this._inboxLength += bytes.length;
        this._scheduleDrain();
      },
      error: (err) => {
        if (this._transport === transport) this._lastTransportError = err;
      },
      closed: () => this._onTransportClosed(transport, openTimer),
    };
    this._transport = transport;
    try {
      transport.handle = this._openTransportFn(this._target, this._options, sink);
    } catch (err) {
      // Some failures (a bad host for `ws`) throw at once: report them like a
      // failed open, from a fresh task so the session loop is not re-entered.
      this._lastTransportError = err;
      transport.handle = { send() {}, end() {}, destroy() {} };
      setTimeout(sink.closed, 0);
      return;
    }
    if (timeoutMs > 0) {
      // The session's connect timeout starts at transportOpen; this one covers
      // the transport's own opening (a host that never answers).
      openTimer = setTimeout(() => {
        if (transport.opened || transport.closed) return;
        if (this._transport === transport) {
          this._lastTransportError = new Error(`the transport did not open within ${timeoutMs} ms`);
        }
        transport.handle.destroy();
      }, timeoutMs);
    }
  }

  // The session asked to close (after DISCONNECT, a refusal, a protocol error).
  _closeTransport() {
    const transport = this._transport;
    if (transport === null || transport.closing) return;
    transport.closing = true;
    if (!transport.opened) {
      transport.handle.destroy();
      return;
    }
    transport.handle.end();
    // A peer that never completes the close must not keep the socket forever.
    transport.killTimer = setTimeout(() => transport.handle.destroy(), END_TIMEOUT_MS);
  }

  _onTransportClosed(transport, openTimer) {
    if (transport.closed) return;
    transport.closed = true;
    clearTimeout(openTimer);
    clearTimeout(transport.killTimer);
    for (const resolve of transport.waiters) resolve();
    transport.waiters = [];
    const current = this._transport === transport;
    if (current) this._transport = null;
    this.emit('close');
    if (!current || this._session === null) return;
    const why = this._lastTransportError?.message ?? 'the connection was closed';
    // What arrived before the close comes first (a DISCONNECT with its reason).
    if (this._inboxLength > 0) this._feedInbox(this._session);
    this._session.transportClosed(now(), why);
    this._drain();
  }

  _waitTransportClosed() {
    const transport = this._transport;
    if (transport === null || transport.closed) return Promise.resolve();
    return new Promise((resolve) => {
      transport.waiters.push(resolve);
      const timer = setTimeout(() => {
        transport.handle.destroy();
        resolve();
      }, END_TIMEOUT_MS);
      transport.waiters.push(() => clearTimeout(timer));
    });
  }

  // --- operations -----------------------------------------------------------

  /**
   * @param {string} topic
   * @param {string | Uint8Array} payload
   * @param {{qos?: 0|1|2, retain?: boolean, properties?: object}} [options]
   */
  publish(topic, payload, options) {
    if (this._ended) return Promise.reject(new ClientClosedError('publish() after end()'));
    return rejected(() => {
      if (typeof topic !== 'string') {
        throw new InvalidOptionError('topic', `topic must be a string (got ${typeof topic})`);
      }
      if (typeof payload !== 'string' && !(payload instanceof Uint8Array)) payload = checkPayload(payload, 'payload');
      let qos = 0;
      let retain = false;
      let properties;
      if (options !== undefined) {
        if (typeof options !== 'object' || options === null) checkKeys(options, PUBLISH_OPTIONS, '');
        for (const key in options) {
          if (key !== 'qos' && key !== 'retain' && key !== 'properties') checkKeys(options, PUBLISH_OPTIONS, '');
        }
        qos = checkQos(options.qos, 'qos');
        if (options.retain !== undefined) {
          if (typeof options.retain !== 'boolean') throw new InvalidOptionError('retain', 'retain must be true or false');
          retain = options.retain;
        }
        properties = outgoingProperties(options.properties, 'properties');
      }
      let token;
      if (properties === undefined) {
        // Hot path: topic and payload go straight into the wasm heap.
        const payloadLength = writePublish(this._tpgate, topic, payload);
        token = publishScratch(this._tpgate, this._session, topicLength, payloadLength, qos, retain, now());
        if (token === 0) throw operationError(this._session.lastFailure(), 'publish');
      } else {
        const result = this._session.publish({ topic, payload, qos, retain, properties }, now());
        if (!result.ok) throw operationError(result, 'publish');
        token = result.token;
      }
      // Completions arrive at the drain, never inside this call: the pending
      // entry is in place by then.
      this._scheduleDrain();
      return new Promise((resolve, reject) => {
        this._pending.set(token, new Pending(PUBLISH, resolve, reject, undefined));
      });
    });
  }

  /**
   * @param {string | string[] | Record<string, object>} filter
   * @param {object} [options] SubscribeOptions
   */
  subscribe(filter, options) {
    if (this._ended) return Promise.reject(new ClientClosedError('subscribe() after end()'));
    return rejected(() => {
      const subscriptions = subscriptionsFrom(filter, options);
      const result = this._session.subscribe(subscriptions, outgoingProperties(options?.properties, 'properties'), now());
      if (!result.ok) throw operationError(result, 'subscribe');
      this._scheduleDrain();
      const filters = subscriptions.map((s) => s.filter);
      return new Promise((resolve, reject) => {
        this._pending.set(result.token, new Pending(SUBSCRIBE, resolve, reject, filters));
      });
    });
  }

  /**
   * @param {string | string[]} filter
   * @param {{properties?: object}} [options]
   */
  unsubscribe(filter, options) {
    if (this._ended) return Promise.reject(new ClientClosedError('unsubscribe() after end()'));
    return rejected(() => {
      checkKeys(options, UNSUBSCRIBE_OPTIONS, '');
      const filters = typeof filter === 'string' ? [filter] : filter;
      if (!Array.isArray(filters) || filters.length === 0 || filters.some((f) => typeof f !== 'string')) {
        throw new InvalidOptionError('filter', 'filter must be a string or a non-empty array of strings');
      }
      const result = this._session.unsubscribe(filters, outgoingProperties(options?.properties, 'properties'), now());
      if (!result.ok) throw operationError(result, 'unsubscribe');
      this._scheduleDrain();
      return new Promise((resolve, reject) => {
        this._pending.set(result.token, new Pending(UNSUBSCRIBE, resolve, reject, undefined));
      });
    });
  }

  /** Received messages matching `filter` (default '#'); ends on end(). */
  messages(filter = '#') {
    const problem = filterProblem(filter);
    if (problem !== null) {
      throw new InvalidOptionError('filter', `messages(filter): invalid topic filter '${filter}': ${problem}`);
    }
    const it = new MessageIterator(topicMatcher(filter), (done) => this._iterators.delete(done));
    if (this._ended) it.end();
    else this._iterators.add(it);
    return it;
  }

  /** DISCONNECT (unless `force`), close, free the session; pending operations reject. */
  end(force = false) {
    if (this._endPromise === null) {
      this._ended = true;
      this._endPromise = this._shutdown(force);
    }
    return this._endPromise;
  }

  async _shutdown(force) {
    const session = this._session;
    if (session !== null && !force) {
      // Sends DISCONNECT and asks to close; pending operations fail (operationFailed).
      session.disconnect(now(), undefined);
      this._drain();
    } else if (session !== null) {
      this._closeTransport();
      // Stops the session's reconnect timer and fails its pending operations.
      session.disconnect(now(), undefined);
      this._drain();
      this._transport?.handle.destroy();
    }
    await this._waitTransportClosed();
    if (this._store !== null) {
      // What the session wrote last (a DISCONNECT's state) reaches the store first.
      await this._storeSettled();
      const store = this._store;
      this._store = null;
      this._storeQueue = [];
      try {
        await store.close?.();
      } catch (err) {
        this.emit('error', asStoreError(err, 'ERR_STORE_WRITE', `cannot close ${storeName(store)}`));
      }
    }
    this._free();
  }

  _free() {
    if (this._timer !== null) clearTimeout(this._timer);
    this._timer = null;
    this._connected = false;
    if (this._session !== null) {
      this._session.delete();
      this._session = null;
    }
    const pending = [...this._pending.values()];
    this._pending.clear();
    const kept = this._keptNote();
    for (const op of pending) op.reject(new ClientClosedError(`${KIND_NAMES[op.kind]} did not complete: the client was ended${kept}`));
    for (const it of [...this._iterators]) it.end();
    this._iterators.clear();
  }
}

/**
 * @param {(options: object) => Promise<object>} loadTpgate
 * @param {string[]} supported transport kinds ('ws', 'tcp', 'tls')
 * @param {(target: {url: URL, kind: string}, options: object, sink: object) => object} openTransport
 */
export function createConnect(loadTpgate, supported, openTransport) {
  return async function connect(url, options) {
    const target = parseUrl(url, supported);
    const normalized = normalizeClientOptions(options);
    const tpgate = await loadModule(loadTpgate, normalized.load);
    const client = new MqttClient(tpgate, target, normalized, openTransport);
    if (normalized.store !== undefined) await client._openStore();
    await client._start();
    return client;
  };
}
