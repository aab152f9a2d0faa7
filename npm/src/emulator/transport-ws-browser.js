// The fleet's WebSocket transport in browsers and Web Workers: the global
// WebSocket, subprotocol 'mqtt', ArrayBuffer frames. No Node globals. Shared
// handlers, no per-gateway closures: see transport-socket.js.
import { attachSocket, onClose, onData, onError, onOpen, webSocketWriteEnd } from './transport-socket.js';

function onMessage(event) {
  if (typeof event.data === 'string') {
    // [MQTT-6.0.0-1]: a frame that is not binary closes the connection.
    onError.call(this, new Error('received a text frame; MQTT over WebSocket uses binary frames only [MQTT-6.0.0-1]: closing the connection'));
    this.close();
    return;
  }
  onData.call(this, new Uint8Array(event.data));
}
function onWebSocketError() {
  // The browser hides why a WebSocket failed; the close code follows.
  onError.call(this, new Error(`WebSocket error on ${this.url}`));
}

/** @type {import('./host.js').FleetTransport} */
export const wsTransport = {
  open(target, index, host, options) {
    const socket = new WebSocket(target.url.href, options.wsProtocols);
    socket.binaryType = 'arraybuffer';
    attachSocket(socket, host, index);
    socket.onopen = onOpen;
    socket.onmessage = onMessage;
    socket.onerror = onWebSocketError;
    socket.onclose = onClose;
    return socket;
  },
  ...webSocketWriteEnd,
  // Browsers have no abrupt close; close() is the best there is.
  destroy(socket) {
    socket.close();
  },
};
