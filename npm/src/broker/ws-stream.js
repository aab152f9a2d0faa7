// A WebSocket as the byte stream aedes reads and writes, one binary frame per
// burst of writes.
//
// aedes (through mqtt-packet) writes a packet in pieces: fixed header, length,
// topic, payload, ... `ws`'s createWebSocketStream sends each write as its own
// frame, so one PUBLISH became about five frames, and a browser spends its time
// on frames, not messages (a dashboard capped at a few thousand messages/s).
// Here every write of one turn of the event loop goes out as one frame: the
// frame is sent from setImmediate, after the loop has read every socket that
// was ready, so a broker fanning 10,000 gateways' messages out to a dashboard
// sends a few frames per turn rather than one per message (one writev each:
// the broker's largest cost before).
//
// Backpressure both ways: writes complete at once while the socket's buffer is
// under HIGH_WATER, else when the next frame has been handed to the kernel;
// reading pauses the socket when aedes stops reading.
import { Duplex } from 'node:stream';

const HIGH_WATER = 256 * 1024;

export class WebSocketByteStream extends Duplex {
  /** @param {import('ws').WebSocket} websocket */
  constructor(websocket) {
    super();
    this._ws = websocket;
    this._chunks = [];
    this._waiting = null; // a write callback held back by backpressure
    this._flush = () => this._sendFrame();
    websocket.on('message', (data) => {
      if (!this.push(data)) websocket.pause();
    });
    websocket.on('close', () => {
      this.push(null);
      this._release(null);
      this.destroy();
    });
    websocket.on('error', (err) => this.destroy(err));
  }

  _read() {
    if (this._ws.isPaused) this._ws.resume();
  }

  _write(chunk, _encoding, callback) {
    if (this._chunks.push(chunk) === 1) setImmediate(this._flush);
    if (this._ws.bufferedAmount < HIGH_WATER) callback();
    else this._waiting = callback;
  }

  _sendFrame() {
    if (this._chunks.length === 0) return;
    const frame = this._chunks.length === 1 ? this._chunks[0] : Buffer.concat(this._chunks);
    this._chunks = [];
    if (this._ws.readyState !== this._ws.OPEN) {
      this._release(null);
      return;
    }
    this._ws.send(frame, { binary: true }, (err) => this._release(err ?? null));
  }

  _release(err) {
    const callback = this._waiting;
    this._waiting = null;
    callback?.(err);
  }

  _final(callback) {
    this._sendFrame();
    this._ws.close();
    callback();
  }

  _destroy(err, callback) {
    // What was written before the end still goes out (a refusing CONNACK is
    // written just before aedes destroys the stream), then the close frame.
    const pending = this._chunks.length > 0 && this._ws.readyState === this._ws.OPEN;
    if (pending) this._sendFrame();
    this._chunks = [];
    this._release(null);
    if (pending && !err) this._ws.close();
    else this._ws.terminate();
    callback(err);
  }
}
