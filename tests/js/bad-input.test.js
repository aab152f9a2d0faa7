// Malformed input from the network. A raw test peer (a `ws` WebSocketServer,
// and a plain TCP server for mqtt://) answers CONNECT with a valid CONNACK and
// then sends one broken frame. The client must close that connection with the
// right error: a ProtocolError carrying the MQTT 5 reason code, after a
// DISCONNECT with that code in MQTT 5 (4.13) and without one in 3.1.1 (where
// DISCONNECT would discard the Will). Meanwhile a second client, connected to
// a real mosquitto on the same wasm module, keeps publishing and receiving.
//
// The peer parses what the client sends with mqtt-packet, an implementation
// independent of the one under test.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import mqttPacket from 'mqtt-packet';
import { connect, ProtocolError, TpgateError } from 'tpgate';
import { WebSocketServer } from 'ws';
import { startMosquitto } from './helpers/mosquitto.js';

// Reason codes (MQTT 5, 2.4).
const MALFORMED_PACKET = 0x81;
const PROTOCOL_ERROR = 0x82;
const TOPIC_ALIAS_INVALID = 0x94;
const PACKET_TOO_LARGE = 0x95;

const TIMEOUT = { timeout: 15_000 };
const ascii = (s) => [...s].map((c) => c.charCodeAt(0));

/** One client connection as the peer sees it. */
class PeerConnection {
  constructor(version, write, destroy) {
    this.version = version;
    this.write = write;
    this.destroy = destroy;
    this.packets = [];
    this.parseError = null;
    this.parser = mqttPacket.parser({ protocolVersion: version });
    this.parser.on('packet', (packet) => {
      this.packets.push(packet);
      // A valid CONNACK: Session Present 0, Success (v5: no properties).
      if (packet.cmd === 'connect') this.write(Buffer.from(version === 5 ? [0x20, 3, 0, 0, 0] : [0x20, 2, 0, 0]));
    });
    this.parser.on('error', (err) => (this.parseError = err));
    this.closed = new Promise((resolve) => (this.markClosed = resolve));
  }

  feed(bytes) {
    this.parser.parse(bytes);
  }

  /** Packets the client sent after its CONNECT. */
  after() {
    return this.packets.filter((p) => p.cmd !== 'connect');
  }
}

/** A listener that plays an MQTT server just far enough to get a client connected. */
async function startPeer(transport, version) {
  const pending = [];
  const waiters = [];
  const accept = (conn) => {
    const waiter = waiters.shift();
    if (waiter) waiter(conn);
    else pending.push(conn);
  };
  const sockets = new Set();
  let url;
  let close;
  if (transport === 'ws') {
    const wss = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false),
    });
    await new Promise((resolve) => wss.once('listening', resolve));
    wss.on('connection', (ws) => {
      sockets.add(ws);
      const conn = new PeerConnection(version, (b) => ws.send(b), () => ws.terminate());
      ws.on('message', (data) => conn.feed(data));
      ws.on('close', () => {
        sockets.delete(ws);
        conn.markClosed();
      });
      accept(conn);
    });
    url = `ws://127.0.0.1:${wss.address().port}/mqtt`;
    close = () => {
      for (const ws of sockets) ws.terminate();
      return new Promise((resolve) => wss.close(resolve));
    };
  } else {
    const server = net.createServer((socket) => {
      sockets.add(socket);
      const conn = new PeerConnection(version, (b) => socket.write(b), () => socket.destroy());
      socket.on('data', (data) => conn.feed(data));
      socket.on('error', () => {});
      socket.on('close', () => {
        sockets.delete(socket);
        conn.markClosed();
      });
      accept(conn);
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `mqtt://127.0.0.1:${server.address().port}`;
    close = () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(resolve));
    };
  }
  return {
    url,
    nextConnection: () => (pending.length > 0 ? Promise.resolve(pending.shift()) : new Promise((r) => waiters.push(r))),
    close,
  };
}

// PUBLISH QoS 0 with a raw topic (bytes) and payload; v5 gets a property block.
function rawPublish(version, topicBytes, payload, properties = []) {
  const body = [0, topicBytes.length, ...topicBytes];
  if (version === 5) body.push(properties.length, ...properties);
  body.push(...payload);
  return encodeFixedHeader(0x30, body);
}

function encodeFixedHeader(first, body) {
  const length = [];
  let n = body.length;
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    length.push(byte);
  } while (n > 0);
  return Buffer.from([first, ...length, ...body]);
}

// Each case: the frame the peer sends once the client is connected, and the
// reason code the client must close the connection with.
const CASES = [
  {
    name: 'PUBLISH with QoS 3',
    frame: (v) => encodeFixedHeader(0x36, [0, 1, ...ascii('a'), 0, 1, ...(v === 5 ? [0] : []), 0x78]),
    reasonCode: MALFORMED_PACKET,  // [MQTT-3.3.1-4]
  },
  {
    name: 'PUBACK with reserved flags set',
    frame: () => Buffer.from([0x41, 2, 0, 1]),
    reasonCode: MALFORMED_PACKET,  // [MQTT-2.1.3-1]
  },
  {
    name: 'packet type 0 (reserved)',
    frame: () => Buffer.from([0x00, 0]),
    reasonCode: MALFORMED_PACKET,
  },
  {
    name: 'a remaining length of 5 bytes',
    frame: () => Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]),
    reasonCode: MALFORMED_PACKET,  // 1.5.5: at most 4 bytes
  },
  {
    name: 'a second CONNACK',
    frame: (v) => Buffer.from(v === 5 ? [0x20, 3, 0, 0, 0] : [0x20, 2, 0, 0]),
    reasonCode: PROTOCOL_ERROR,  // [MQTT-3.2.0-2]
  },
  {
    name: 'a topic that is not valid UTF-8',
    frame: (v) => rawPublish(v, [0x61, 0xc3, 0x28], ascii('x')),
    reasonCode: MALFORMED_PACKET,  // [MQTT-1.5.4-1]
  },
  {
    name: 'a topic holding U+0000',
    frame: (v) => rawPublish(v, [0x61, 0x00, 0x62], ascii('x')),
    reasonCode: MALFORMED_PACKET,  // [MQTT-1.5.4-2]
  },
  {
    name: 'a topic alias that was never mapped',
    versions: [5],
    options: { properties: { topicAliasMaximum: 10 } },
    frame: (v) => rawPublish(v, [], ascii('x'), [0x23, 0, 5]),
    reasonCode: PROTOCOL_ERROR,  // 3.3.2.3.4
  },
  {
    name: 'a topic alias above our Topic Alias Maximum',
    versions: [5],
    options: { properties: { topicAliasMaximum: 10 } },
    frame: (v) => rawPublish(v, ascii('a'), ascii('x'), [0x23, 0, 11]),
    reasonCode: TOPIC_ALIAS_INVALID,  // [MQTT-3.1.2-26]
  },
  {
    name: 'a packet above our Maximum Packet Size',
    versions: [5],
    options: { properties: { maximumPacketSize: 1024 } },
    frame: (v) => rawPublish(v, ascii('big'), new Array(2000).fill(0x41)),
    reasonCode: PACKET_TOO_LARGE,  // [MQTT-3.1.2-24]
  },
];

let broker;
let bystander;
const bystanderTopic = `tpgate/bad-input/bystander/${process.pid}`;
let roundTrips = 0;

before(async () => {
  broker = await startMosquitto();
  bystander = await connect(broker.wsUrl, { protocolVersion: 5, clientId: `bystander-${process.pid}`, reconnect: false });
  await bystander.subscribe(bystanderTopic, { qos: 1 });
});
after(async () => {
  await bystander?.end();
  await broker?.stop();
});

/** The second client publishes QoS 1 and gets its message back. */
async function bystanderRoundTrip() {
  const payload = `round trip ${++roundTrips}`;
  const received = new Promise((resolve) => {
    const onMessage = (topic, bytes) => {
      if (topic !== bystanderTopic || new TextDecoder().decode(bytes) !== payload) return;
      bystander.off('message', onMessage);
      resolve();
    };
    bystander.on('message', onMessage);
  });
  assert.equal(bystander.connected, true, 'the other client lost its connection');
  await bystander.publish(bystanderTopic, payload, { qos: 1 });
  await received;
}

/** Resolves with the first ProtocolError-like error the client reports on 'error' or 'offline'. */
function firstConnectionError(client) {
  return new Promise((resolve) => {
    const onError = (err) => {
      client.off('error', onError);
      client.off('offline', onError);
      resolve(err);
    };
    client.on('error', onError);
    client.on('offline', onError);
  });
}

for (const transport of ['ws', 'tcp']) {
  for (const version of [4, 5]) {
    describe(`${transport}, MQTT ${version === 5 ? '5' : '3.1.1'}`, () => {
      let peer;
      before(async () => {
        peer = await startPeer(transport, version);
      });
      after(async () => {
        await peer?.close();
      });

      for (const c of CASES.filter((c) => (c.versions ?? [4, 5]).includes(version))) {
        test(`${c.name}: the connection closes with reason 0x${c.reasonCode.toString(16)}`, TIMEOUT, async () => {
          const connection = peer.nextConnection();
          const client = await connect(peer.url, { protocolVersion: version, reconnect: false, ...c.options });
          try {
            const conn = await connection;
            const reported = firstConnectionError(client);
            conn.write(c.frame(version));

            const err = await reported;
            assert.ok(err instanceof ProtocolError, `expected ProtocolError, got ${err?.name}: ${err?.message}`);
            assert.ok(err instanceof TpgateError);
            assert.equal(err.code, 'ERR_PROTOCOL');
            assert.equal(err.reasonCode, c.reasonCode, err.message);
            await conn.closed;
            assert.equal(client.connected, false);

            assert.equal(conn.parseError, null, `the client sent bytes mqtt-packet cannot parse: ${conn.parseError}`);
            const disconnects = conn.after().filter((p) => p.cmd === 'disconnect');
            if (version === 5) {
              assert.equal(disconnects.length, 1, 'MQTT 5: one DISCONNECT before closing (4.13)');
              assert.equal(disconnects[0].reasonCode, c.reasonCode);
            } else {
              assert.equal(disconnects.length, 0, 'MQTT 3.1.1: no DISCONNECT (it would discard the Will)');
            }
          } finally {
            await client.end();
          }
          await bystanderRoundTrip();
        });
      }
    });
  }
}

test('with reconnect on, only the broken connection is dropped: the client connects again', TIMEOUT, async () => {
  const peer = await startPeer('ws', 5);
  const first = peer.nextConnection();
  const client = await connect(peer.url, { protocolVersion: 5, reconnect: { minDelay: 10, maxDelay: 50 } });
  try {
    const conn = await first;
    const offline = new Promise((resolve) => client.once('offline', resolve));
    // The connection after the broken one: 'reconnect' starts the attempt,
    // the 'connect' after it is its CONNACK (the first connection's own
    // 'connect' may fire before or after this listener is attached).
    const reconnected = new Promise((resolve) => client.once('reconnect', () => client.once('connect', resolve)));
    const second = peer.nextConnection();
    conn.write(encodeFixedHeader(0x36, [0, 1, ...ascii('a'), 0, 1, 0]));  // PUBLISH QoS 3

    const err = await offline;
    assert.ok(err instanceof ProtocolError, `expected ProtocolError, got ${err?.name}: ${err?.message}`);
    assert.equal(err.reasonCode, MALFORMED_PACKET);
    await conn.closed;
    await second;
    await reconnected;
    assert.equal(client.connected, true);
  } finally {
    await client.end();
    await peer.close();
  }
  await bystanderRoundTrip();
});

test('bad frames over many connections did not disturb the other client', TIMEOUT, async () => {
  // Everything above ran against one wasm module; the bystander completed a
  // round trip after each case, and still does.
  assert.ok(roundTrips > CASES.length, `only ${roundTrips} round trips`);
  await bystanderRoundTrip();
});
