// A minimal host for a wasm ClientSession over a `ws` WebSocket, for tests:
// it owns the transport and the timer, does exactly what takeOutput() asks,
// and queues the events for the test to await. (The library's own JS API,
// with typed errors and Promises, is built on the same loop.)
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';

export class SessionHost {
  /**
   * @param {object} tpgate the loaded module (loadTpgate())
   * @param {string} url   ws:// URL of the broker's WebSocket listener
   * @param {object} options ClientSession options
   */
  constructor(tpgate, url, options) {
    this.url = url;
    this.session = new tpgate.ClientSession(options);
    this.optionsError = this.session.optionsError();
    this.socket = null;
    this.timer = null;
    this.events = [];
    this.waiters = [];
    this.written = [];  // every chunk written, for assertions on the wire
    this.closed = false;
  }

  now() {
    return performance.now();
  }

  start() {
    this.session.start(this.now());
    this.drain();
  }

  /** Runs one session call with the current time, then drains its output. */
  call(method, ...args) {
    const result = this.session[method](...args, this.now());
    this.drain();
    return result;
  }

  disconnect() {
    const result = this.session.disconnect(this.now(), undefined);
    this.drain();
    return result;
  }

  drain() {
    const out = this.session.takeOutput();
    if (out.bytes.length > 0) {
      this.written.push(out.bytes);
      this.socket?.send(out.bytes);
    }
    if (out.closeTransport) this.socket?.close();
    if (out.openTransport) this.open();
    for (const event of out.events) this.deliver(event);
    clearTimeout(this.timer);
    this.timer = null;
    if (out.deadline >= 0 && !this.closed) {
      this.timer = setTimeout(() => {
        this.session.tick(this.now());
        this.drain();
      }, Math.max(0, out.deadline - this.now()));
    }
  }

  open() {
    const socket = new WebSocket(this.url, 'mqtt');
    socket.binaryType = 'nodebuffer';
    this.socket = socket;
    socket.on('open', () => {
      this.session.transportOpen(this.now());
      this.drain();
    });
    socket.on('message', (data) => {
      const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      const result = this.session.receive(bytes, this.now());
      if (!result.ok) this.deliver({ type: 'hostError', error: result });
      this.drain();
    });
    socket.on('error', (err) => this.deliver({ type: 'hostError', error: err }));
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.session.transportClosed(this.now(), 'websocket closed');
      this.drain();
      this.deliver({ type: 'transportClosed' });
    });
  }

  deliver(event) {
    const i = this.waiters.findIndex((w) => w.match(event));
    if (i >= 0) {
      const [waiter] = this.waiters.splice(i, 1);
      clearTimeout(waiter.timer);
      waiter.resolve(event);
    } else {
      this.events.push(event);
    }
  }

  /** The next event of `type` (already queued or still to come) matching `where`. */
  next(type, where = () => true, timeoutMs = 5000) {
    const match = (e) => e.type === type && where(e);
    const i = this.events.findIndex(match);
    if (i >= 0) return Promise.resolve(this.events.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const waiter = { match, resolve };
      waiter.timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        // A host error says why (a refused socket, a bad packet): show it.
        const describe = (e) => (e.type === 'hostError' ? `hostError: ${e.error?.message ?? e.error?.code ?? e.error}` : e.type);
        const seen = this.events.map(describe).join(', ') || 'none';
        reject(new Error(`no '${type}' event within ${timeoutMs} ms (queued: ${seen})`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Stops timers, closes the socket and frees the wasm object. */
  dispose() {
    this.closed = true;
    clearTimeout(this.timer);
    this.socket?.terminate();
    this.socket = null;
    this.session.delete();
  }
}
