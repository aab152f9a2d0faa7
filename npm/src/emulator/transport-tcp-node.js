// The fleet's TCP / TLS transport in Node: one net.Socket per gateway and no
// per-gateway closures. Every socket shares the handlers of
// transport-socket.js, which find their gateway through the socket.
//
// Plain TCP sockets read into one buffer shared by the whole fleet (net's
// `onread`): no Buffer allocated and no stream 'data' event per read. The host
// copies what was read before the callback returns, so reuse is safe.
import net from 'node:net';
import tls from 'node:tls';
import { attachSocket, onClose, onError, onOpen, onData, onRead } from './transport-socket.js';

const READ_BUFFER_SIZE = 64 * 1024;
let readBuffer = null;

/**
 * @type {import('./host.js').FleetTransport}
 */
export const tcpTransport = {
  open(target, index, host, options) {
    let socket;
    if (target.kind === 'tls') {
      socket = tls.connect({ servername: net.isIP(target.host) ? undefined : target.host, ...options.tls, host: target.host, port: target.port });
      socket.on('data', onData);
    } else {
      readBuffer ??= Buffer.allocUnsafe(READ_BUFFER_SIZE);
      socket = net.connect({ host: target.host, port: target.port, onread: { buffer: readBuffer, callback: onRead } });
    }
    attachSocket(socket, host, index);
    // MQTT packets are small and latency-bound; writes are already one per batch.
    socket.setNoDelay(true);
    socket.once(target.kind === 'tls' ? 'secureConnect' : 'connect', onOpen);
    socket.on('error', onError);
    socket.on('close', onClose);
    return socket;
  },
  write(socket, bytes) {
    socket.write(bytes);
  },
  end(socket) {
    socket.end();
  },
  destroy(socket) {
    socket.destroy();
  },
};
