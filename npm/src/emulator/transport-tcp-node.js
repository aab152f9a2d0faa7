// The fleet's TCP / TLS transport in Node: one net.Socket per gateway and no
// per-gateway closures. Every socket shares the handlers of
// transport-socket.js, which find their gateway through the socket.
import net from 'node:net';
import tls from 'node:tls';
import { attachSocket, onClose, onData, onError, onOpen } from './transport-socket.js';

/**
 * @type {import('./host.js').FleetTransport}
 */
export const tcpTransport = {
  open(target, index, host, options) {
    const socket =
      target.kind === 'tls'
        ? tls.connect({ servername: net.isIP(target.host) ? undefined : target.host, ...options.tls, host: target.host, port: target.port })
        : net.connect({ host: target.host, port: target.port });
    attachSocket(socket, host, index);
    // MQTT packets are small and latency-bound; writes are already one per batch.
    socket.setNoDelay(true);
    socket.once(target.kind === 'tls' ? 'secureConnect' : 'connect', onOpen);
    socket.on('data', onData);
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
