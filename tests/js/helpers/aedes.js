// Starts a real aedes broker (npm, in this process) for a test: a TCP
// listener (node:net) and a WebSocket listener (`ws`, the stream handed to
// aedes) on free loopback ports. aedes 1.x speaks MQTT 3.1 and 3.1.1 only: it
// answers a protocol level 5 CONNECT with "unacceptable protocol version", so
// MQTT 5 tests run against mosquitto.
//
//   const broker = await startAedes();
//   ... connect(broker.wsUrl) / connect(broker.tcpUrl) ...
//   await broker.stop();
import http from 'node:http';
import net from 'node:net';
import { Aedes } from 'aedes';
import { WebSocketServer, createWebSocketStream } from 'ws';

const HOST = '127.0.0.1';

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => {
      server.off('error', reject);
      resolve(server.address().port);
    });
  });
}

function closeServer(server) {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
  });
}

/**
 * @param {{ brokerOptions?: object }} [options] brokerOptions: passed to Aedes.createBroker
 */
export async function startAedes({ brokerOptions = {} } = {}) {
  const aedes = await Aedes.createBroker(brokerOptions);
  // Problems a client causes are kept for the test to look at: aedes reports
  // them as events and would otherwise drop them silently.
  const errors = [];
  aedes.on('clientError', (client, err) => errors.push(`${client?.id}: ${err.message}`));
  aedes.on('connectionError', (client, err) => errors.push(`${client?.id}: ${err.message}`));

  // Open sockets are tracked so stop() can end them: server.close() alone
  // waits for every connection to finish.
  const sockets = new Set();
  const track = (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };

  const tcpServer = net.createServer((socket) => {
    track(socket);
    aedes.handle(socket);
  });
  const httpServer = http.createServer();
  httpServer.on('connection', track);
  const wss = new WebSocketServer({ server: httpServer });
  wss.on('connection', (websocket, req) => {
    const stream = createWebSocketStream(websocket);
    // A destroyed peer makes the duplex emit 'error'; aedes reports it
    // through the client, so the stream's own error is only recorded.
    stream.on('error', (err) => errors.push(`ws stream: ${err.message}`));
    aedes.handle(stream, req);
  });

  let tcpPort;
  let wsPort;
  try {
    tcpPort = await listen(tcpServer);
    wsPort = await listen(httpServer);
  } catch (err) {
    await closeServer(tcpServer);
    await new Promise((resolve) => aedes.close(resolve));
    throw err;
  }

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const client of wss.clients) client.terminate();
    for (const socket of sockets) socket.destroy();
    await Promise.all([closeServer(tcpServer), new Promise((resolve) => wss.close(() => resolve()))]);
    await closeServer(httpServer);
    await new Promise((resolve) => aedes.close(resolve));
  };

  return {
    aedes,
    host: HOST,
    tcpPort,
    wsPort,
    tcpUrl: `mqtt://${HOST}:${tcpPort}`,
    wsUrl: `ws://${HOST}:${wsPort}`,
    errors: () => errors.slice(),
    stop,
  };
}
