// The fleet's WebSocket transport in Node (the `ws` package; Node 20 has no
// global WebSocket). Shared handlers, no per-gateway closures: `this` is the
// socket, which carries its host and gateway index.
import WebSocket from 'ws';

const HOST = Symbol('tpgate.fleetHost');
const INDEX = Symbol('tpgate.gatewayIndex');

function onOpen() {
  this[HOST].transportOpened(this[INDEX]);
}
function onMessage(data) {
  this[HOST].transportData(this[INDEX], data);
}
function onError(err) {
  this[HOST].transportError(this[INDEX], err);
}
function onClose() {
  this[HOST].transportClosed(this[INDEX], this);
}

/** @type {import('./host.js').FleetTransport} */
export const wsTransport = {
  open(target, index, host, options) {
    const socket = new WebSocket(target.url, options.wsProtocols, {
      ...options.tls,
      // MQTT payloads are compact already; compression costs CPU per message.
      perMessageDeflate: false,
    });
    socket.binaryType = 'nodebuffer';
    socket[HOST] = host;
    socket[INDEX] = index;
    socket.on('open', onOpen);
    socket.on('message', onMessage);
    socket.on('error', onError);
    socket.on('close', onClose);
    return socket;
  },
  write(socket, bytes) {
    if (socket.readyState === 1) socket.send(bytes);
  },
  end(socket) {
    socket.close();
  },
  destroy(socket) {
    socket.terminate();
  },
};
