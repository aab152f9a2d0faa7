// What the fleet's transports share (transport-tcp-node.js,
// transport-ws-node.js, transport-ws-browser.js): no per-gateway closures.
// Each socket carries its host and gateway index under two symbols, and every
// socket shares the handlers below (`this` is the socket). No Node globals:
// the browser transport imports this too.
const HOST = Symbol('tpgate.fleetHost');
const INDEX = Symbol('tpgate.gatewayIndex');

/** Marks `socket` as gateway `index` of `host`, for the shared handlers. */
export function attachSocket(socket, host, index) {
  socket[HOST] = host;
  socket[INDEX] = index;
  return socket;
}

export function onOpen() {
  this[HOST].transportOpened(this[INDEX]);
}
export function onData(bytes) {
  this[HOST].transportData(this[INDEX], bytes);
}
/** net's `onread` callback: `length` bytes read into the shared `buffer`. */
export function onRead(length, buffer) {
  this[HOST].transportRead(this[INDEX], buffer, length);
}
export function onError(err) {
  this[HOST].transportError(this[INDEX], err);
}
export function onClose() {
  this[HOST].transportClosed(this[INDEX], this);
}

/** write and end of a WebSocket (Node's `ws` and the browser's alike). */
export const webSocketWriteEnd = {
  write(socket, bytes) {
    if (socket.readyState === 1) socket.send(bytes);
  },
  end(socket) {
    socket.close();
  },
};
