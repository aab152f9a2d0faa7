// The fleet's WebSocket transport in Node (the `ws` package; Node 20 has no
// global WebSocket). Shared handlers, no per-gateway closures: see
// transport-socket.js.
import WebSocket from 'ws';
import { attachSocket, onClose, onData, onError, onOpen, webSocketWriteEnd } from './transport-socket.js';

function onMessage(data, isBinary) {
  if (!isBinary) {
    // [MQTT-6.0.0-1]: a frame that is not binary closes the connection.
    onError.call(this, new Error('received a text frame; MQTT over WebSocket uses binary frames only [MQTT-6.0.0-1]: closing the connection'));
    this.close(1003, 'binary frames only');
    return;
  }
  onData.call(this, data);
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
    attachSocket(socket, host, index);
    socket.on('open', onOpen);
    socket.on('message', onMessage);
    socket.on('error', onError);
    socket.on('close', onClose);
    return socket;
  },
  ...webSocketWriteEnd,
  destroy(socket) {
    socket.terminate();
  },
};
