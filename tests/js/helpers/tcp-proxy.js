// A loopback TCP proxy in front of a real broker, for tests that need to see
// or shape the wire: it forwards bytes both ways (WebSocket included, which
// is TCP underneath), can cut every connection abruptly (neither side sends
// DISCONNECT: the broker sees a lost client, the client a lost server), can
// refuse new connections for a while (the client stays offline while the
// test publishes to its session), and, for MQTT over TCP, can decode each
// direction with mqtt-packet to observe or rewrite packets.
//
//   const proxy = await startProxy(broker.tcpPort, { mqtt: { toClient: (packet) => packet } });
//   connect(proxy.tcpUrl) ...  proxy.cut()  proxy.block(true) ...
//   await proxy.close();
import net from 'node:net';
import mqttPacket from 'mqtt-packet';

const HOST = '127.0.0.1';

/**
 * @param {number} targetPort broker port on 127.0.0.1
 * @param {{ mqtt?: {
 *   version?: 4 | 5,
 *   onClientPacket?: (packet: object) => void,
 *   toClient?: (packet: object, connection: { connect: object | null }) => object | null,
 * } }} [options]
 *   mqtt: decode MQTT (raw TCP only). onClientPacket sees every packet the
 *   client sends (bytes pass unchanged). toClient may return a replacement
 *   for each packet the broker sends (null drops it); the packet is then
 *   encoded again for the client's protocol version.
 */
/** Listens on a free loopback port; rejects when it cannot. */
export function listenLoopback(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

export async function startProxy(targetPort, { mqtt } = {}) {
  const pairs = new Set();
  let blocked = false;
  let accepted = 0;

  const server = net.createServer((client) => {
    if (blocked) {
      client.destroy();
      return;
    }
    accepted++;
    const upstream = net.connect({ host: HOST, port: targetPort });
    const pair = { client, upstream };
    pairs.add(pair);
    // When one side goes, the other is ended after what was already
    // forwarded to it: a packet the proxy passed on does arrive (only cut()
    // drops data in flight).
    const closeOther = (other) => () => {
      pairs.delete(pair);
      other.end();
    };
    client.on('error', () => client.destroy());
    upstream.on('error', () => upstream.destroy());
    client.on('close', closeOther(upstream));
    upstream.on('close', closeOther(client));

    if (!mqtt) {
      client.pipe(upstream);
      upstream.pipe(client);
      return;
    }

    const connection = { connect: null };
    const fromClient = mqttPacket.parser();
    fromClient.on('packet', (packet) => {
      if (packet.cmd === 'connect') connection.connect = packet;
      mqtt.onClientPacket?.(packet);
    });
    fromClient.on('error', (err) => {
      mqtt.onClientPacket?.({ cmd: 'parseError', message: err.message });
    });
    client.on('data', (chunk) => {
      upstream.write(chunk);
      fromClient.parse(chunk);
    });

    if (!mqtt.toClient) {
      upstream.pipe(client);
      return;
    }
    const version = () => connection.connect?.protocolVersion ?? mqtt.version ?? 4;
    let fromBroker = null;
    upstream.on('data', (chunk) => {
      // The broker's packets are decoded with the version the client asked
      // for, known once its CONNECT went through (the broker speaks second).
      if (!fromBroker) {
        fromBroker = mqttPacket.parser({ protocolVersion: version() });
        fromBroker.on('packet', (packet) => {
          const out = mqtt.toClient(packet, connection);
          if (out) client.write(mqttPacket.generate(out, { protocolVersion: version() }));
        });
        // Nothing sensible can be forwarded after a decoding failure.
        fromBroker.on('error', () => client.destroy());
      }
      fromBroker.parse(chunk);
    });
  });

  await listenLoopback(server);
  const { port } = server.address();

  return {
    port,
    tcpUrl: `mqtt://${HOST}:${port}`,
    wsUrl: `ws://${HOST}:${port}`,
    /** Connections accepted so far (refused ones not counted). */
    accepted: () => accepted,
    /** Open connections. */
    open: () => pairs.size,
    /** Destroys every open connection on both sides, without a DISCONNECT. */
    cut() {
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
      pairs.clear();
    },
    /** While blocked, new connections are closed at once. */
    block(on = true) {
      blocked = on;
    },
    async close() {
      this.cut();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
