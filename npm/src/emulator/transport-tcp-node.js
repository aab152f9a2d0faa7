// The fleet's TCP / TLS transport in Node: one net.Socket per gateway and no
// per-gateway closures. Every socket shares the handlers below, which find
// their gateway through two symbol properties (`this` is the socket).
import net from 'node:net';
import tls from 'node:tls';

const HOST = Symbol('tpgate.fleetHost');
const INDEX = Symbol('tpgate.gatewayIndex');

function onConnect() {
  this[HOST].transportOpened(this[INDEX]);
}
function onData(chunk) {
  this[HOST].transportData(this[INDEX], chunk);
}
function onError(err) {
  this[HOST].transportError(this[INDEX], err);
}
function onClose() {
  this[HOST].transportClosed(this[INDEX], this);
}

/**
 * @type {import('./host.js').FleetTransport}
 */
export const tcpTransport = {
  open(target, index, host, options) {
    const socket =
      target.kind === 'tls'
        ? tls.connect({ servername: net.isIP(target.host) ? undefined : target.host, ...options.tls, host: target.host, port: target.port })
        : net.connect({ host: target.host, port: target.port });
    socket[HOST] = host;
    socket[INDEX] = index;
    // MQTT packets are small and latency-bound; writes are already one per batch.
    socket.setNoDelay(true);
    socket.once(target.kind === 'tls' ? 'secureConnect' : 'connect', onConnect);
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
