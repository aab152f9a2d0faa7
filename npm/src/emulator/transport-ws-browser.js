// The fleet's WebSocket transport in browsers and Web Workers: the global
// WebSocket, subprotocol 'mqtt', ArrayBuffer frames. No Node globals. Shared
// handlers: `this` is the socket, which carries its host and gateway index.
const HOST = Symbol('tpgate.fleetHost');
const INDEX = Symbol('tpgate.gatewayIndex');

function onOpen() {
  this[HOST].transportOpened(this[INDEX]);
}
function onMessage(event) {
  if (typeof event.data === 'string') {
    this[HOST].transportError(this[INDEX], new Error('received a text frame; MQTT over WebSocket uses binary frames only'));
    return;
  }
  this[HOST].transportData(this[INDEX], new Uint8Array(event.data));
}
function onError() {
  // The browser hides why a WebSocket failed; the close code follows.
  this[HOST].transportError(this[INDEX], new Error(`WebSocket error on ${this.url}`));
}
function onClose() {
  this[HOST].transportClosed(this[INDEX], this);
}

/** @type {import('./host.js').FleetTransport} */
export const wsTransport = {
  open(target, index, host, options) {
    const socket = new WebSocket(target.url.href, options.wsProtocols);
    socket.binaryType = 'arraybuffer';
    socket[HOST] = host;
    socket[INDEX] = index;
    socket.onopen = onOpen;
    socket.onmessage = onMessage;
    socket.onerror = onError;
    socket.onclose = onClose;
    return socket;
  },
  write(socket, bytes) {
    if (socket.readyState === 1) socket.send(bytes);
  },
  end(socket) {
    socket.close();
  },
  // Browsers have no abrupt close; close() is the best there is.
  destroy(socket) {
    socket.close();
  },
};
