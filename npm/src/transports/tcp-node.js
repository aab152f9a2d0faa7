// MQTT over TCP (mqtt://, tcp://) and TLS (mqtts://, tls://) in Node.
import net from 'node:net';
import tls from 'node:tls';

const DEFAULT_PORT = { tcp: 1883, tls: 8883 };

/**
 * @param {URL} url
 * @param {'tcp' | 'tls'} kind
 * @param {{tls?: object}} options
 * @param {{open(): void, data(bytes: Uint8Array): void, error(err: Error): void, closed(): void}} sink
 */
export function openTcp(url, kind, options, sink) {
  // URL keeps IPv6 literals in brackets; sockets want them bare.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost';
  const port = url.port ? Number(url.port) : DEFAULT_PORT[kind];
  const socket =
    kind === 'tls'
      ? tls.connect({ servername: net.isIP(host) ? undefined : host, ...options.tls, host, port })
      : net.connect({ host, port });
  // MQTT packets are small and latency-bound; writes are already coalesced per drain.
  socket.setNoDelay(true);
  socket.once(kind === 'tls' ? 'secureConnect' : 'connect', () => sink.open());
  socket.on('data', (data) => sink.data(data));
  socket.on('error', (err) => sink.error(err));
  socket.on('close', () => sink.closed());
  return {
    send(bytes) {
      socket.write(bytes);
    },
    end() {
      socket.end();
    },
    destroy() {
      socket.destroy();
    },
  };
}
