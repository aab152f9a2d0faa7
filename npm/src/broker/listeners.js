// The broker's two listeners: MQTT over TCP (node:net) and MQTT over
// WebSocket (node:http + `ws`, subprotocol `mqtt`, on one path). Each accepted
// connection is handed to `accept(stream, transport, req)`. Open sockets are
// tracked so close() ends them at once (server.close() alone waits for every
// connection to finish).
import http from 'node:http';
import net from 'node:net';
import { WebSocketServer } from 'ws';

import { WebSocketByteStream } from './ws-stream.js';

// What MQTT clients offer: 'mqtt' (MQTT 3.1.1 and 5), 'mqttv3.1' (MQTT 3.1).
const SUBPROTOCOLS = ['mqtt', 'mqttv3.1'];

function listen(server, port, host, what) {
  return new Promise((resolve, reject) => {
    const onError = (err) => {
      const hint = err.code === 'EADDRINUSE' ? ': the port is taken (another broker?); pick another port, or 0 for a free one' : '';
      reject(new Error(`cannot listen for ${what} on ${host}:${port} (${err.code ?? err.message})${hint}`, { cause: err }));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve(server.address().port);
    });
  });
}

function closeServer(server) {
  return new Promise((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
}

/**
 * @param {{host: string, tcpPort: number | null, wsPort: number | null, wsPath: string,
 *          accept: (stream: import('node:stream').Duplex, transport: 'tcp' | 'ws', req?: http.IncomingMessage) => void,
 *          log: (line: string) => void}} options
 * @returns {Promise<{tcpPort: number | null, wsPort: number | null, close: () => Promise<void>}>}
 */
export async function openListeners({ host, tcpPort, wsPort, wsPath, accept, log }) {
  const sockets = new Set();
  const track = (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const servers = [];
  let wss = null;

  const close = async () => {
    if (wss) for (const client of wss.clients) client.terminate();
    for (const socket of sockets) socket.destroy();
    if (wss) await new Promise((resolve) => wss.close(() => resolve()));
    await Promise.all(servers.map(closeServer));
  };

  try {
    let boundTcp = null;
    if (tcpPort !== null) {
      const tcp = net.createServer((socket) => {
        track(socket);
        socket.setNoDelay(true);
        accept(socket, 'tcp');
      });
      servers.push(tcp);
      boundTcp = await listen(tcp, tcpPort, host, 'MQTT over TCP');
    }

    let boundWs = null;
    if (wsPort !== null) {
      const web = http.createServer((req, res) => {
        res.writeHead(426, { 'content-type': 'text/plain' });
        res.end(`tpgate dev broker: MQTT over WebSocket is served on ${wsPath} (subprotocol mqtt)\n`);
      });
      web.on('connection', track);
      wss = new WebSocketServer({
        noServer: true,
        handleProtocols: (offered) => SUBPROTOCOLS.find((p) => offered.has(p)) ?? false,
      });
      web.on('upgrade', (req, socket, head) => {
        const path = new URL(req.url ?? '/', 'http://x').pathname;
        if (path !== wsPath) {
          log(`WebSocket upgrade on ${path} refused: MQTT is served on ${wsPath}`);
          socket.end(`HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\nMQTT is served on ${wsPath}\n`);
          return;
        }
        wss.handleUpgrade(req, socket, head, (websocket) => {
          // One frame per burst of writes, not per write (ws-stream.js).
          const stream = new WebSocketByteStream(websocket);
          // A peer that goes away makes the duplex emit 'error'; aedes sees
          // the close through the stream itself.
          stream.on('error', () => {});
          accept(stream, 'ws', req);
        });
      });
      servers.push(web);
      boundWs = await listen(web, wsPort, host, 'MQTT over WebSocket');
    }
    return { tcpPort: boundTcp, wsPort: boundWs, close };
  } catch (err) {
    await close();
    throw err;
  }
}
