// (b) Parse and generate PUBLISH packets, tpgate against mqtt-packet, in
// ops/s (one op = one packet).
//
// Both sides do the same work: parse turns bytes into a usable message object
// (topic string, payload bytes, flags, packet id, properties on v5); generate
// turns a message into bytes. Measured two ways:
//   single  one packet per call (a WebSocket frame per packet);
//   stream  a chunk of STREAM_PACKETS back-to-back packets per call, how a
//           TCP socket delivers them; ops/s still counts packets.
// tpgate is measured on two paths, each against the same mqtt-packet figure:
//   client  what connect()'s client does, through npm/src/packed.js as the
//           client calls it: a connected ClientSession fed in place (bytes
//           written into the wasm heap once, receiveScratch), one takeFrame()
//           per call read into the message objects the client delivers;
//           generate = writePublish + publishScratch per message and one
//           takeFrame per drain, the bytes a view of the drain. The client
//           drains once per event-loop turn (a microtask), so publishes made
//           together share a frame: generate is measured both ways, one
//           publish per frame (a publish now and then) and a batch of
//           STREAM_PACKETS publishes per frame (publish() called in a loop),
//           against mqtt-packet generating as many packets;
//   Embind  the raw module's codec API (Decoder.feed, encodePacket), which
//           builds every packet field by field across the boundary.
// QoS 0 throughout, so that the session writes no acknowledgement that
// mqtt-packet's parser would not.
//
//   node bench/codec.mjs [--version 4|5] [--ms 700]
import { createRequire } from 'node:module';

import { loadTpgateCodec } from '../npm/src/codec-node.js';
import { loadTpgate } from '../npm/src/index-node.js';
import { normalizeClientOptions } from '../npm/src/options.js';
import {
  FLAG_SIDE,
  packedHeader,
  publishScratch,
  readRecords,
  receiveScratch,
  takeFrame,
  topicLength,
  writeInput,
  writePublish,
} from '../npm/src/packed.js';
import { alternate, opsPerSecond, progress, row, runAlone } from './lib.mjs';

const require = createRequire(import.meta.url);
const mqttPacket = require('mqtt-packet');

const STREAM_PACKETS = 64;
const TOPIC = 'v1/gateway/telemetry';
const SIZES = [100, 1024];

function payloadOf(size) {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + 7) & 0xff;
  return bytes;
}

function concat(chunks) {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** A ClientSession connected to nobody: CONNECT written, CONNACK fed, as the client has it. */
function connectedSession(mod, version) {
  const { session: options } = normalizeClientOptions({ protocolVersion: version, clientId: 'bench', reconnect: false });
  const session = new mod.ClientSession(options);
  session.start(0);
  session.transportOpen(0);
  const connack = version === 5 ? [0x20, 0x03, 0x00, 0x00, 0x00] : [0x20, 0x02, 0x00, 0x00];
  writeInput(mod, Uint8Array.from(connack));
  receiveScratch(mod, session, connack.length, 0);
  takeFrame(mod, session);
  if (session.state() !== 'connected') throw new Error(`bench session is ${session.state()}, not connected`);
  return session;
}

/** The client's receive path for one chunk: in place, one drain, message objects. */
function clientReceiver(mod, session) {
  const got = [];
  const sink = {
    message: (m) => got.push(m),
    publishComplete() {},
    event() {},
  };
  return (bytes) => {
    got.length = 0;
    writeInput(mod, bytes);
    receiveScratch(mod, session, bytes.length, 0);
    const data = takeFrame(mod, session);
    const header = packedHeader(data);
    readRecords(data, header, (header.flags & FLAG_SIDE) !== 0 ? session.takeSide() : undefined, sink);
    return got;
  };
}

/**
 * The client's publish path for QoS 0 messages: `count` publishes, then the
 * drain; returns the bytes it would write.
 */
function clientPublisher(mod, session) {
  const sink = { message() {}, publishComplete() {}, event() {} };
  return (topic, payload, count = 1) => {
    for (let i = 0; i < count; i++) {
      const payloadLength = writePublish(mod, topic, payload);
      if (publishScratch(mod, session, topicLength, payloadLength, 0, false, 0) === 0) {
        throw new Error(`publishScratch failed: ${session.lastFailure().message}`);
      }
    }
    const data = takeFrame(mod, session);
    const header = packedHeader(data);
    readRecords(data, header, (header.flags & FLAG_SIDE) !== 0 ? session.takeSide() : undefined, sink);
    return header.bytes;
  };
}

export async function run({ version = 5, ms = 700, rounds = 2 } = {}) {
  const mod = await loadTpgate();
  const codec = await loadTpgateCodec();
  const rows = [];
  const opts = { protocolVersion: version };
  const session = connectedSession(mod, version);
  const receive = clientReceiver(mod, session);
  const publish = clientPublisher(mod, session);

  for (const size of SIZES) {
    const payload = payloadOf(size);
    const ours = { type: 'publish', topic: TOPIC, payload, qos: 0 };
    const peer = { cmd: 'publish', topic: TOPIC, payload: Buffer.from(payload), qos: 0, retain: false, dup: false };
    if (version === 5) peer.properties = {};

    // Every path must produce the same bytes, or the comparison is void.
    const peerBytes = mqttPacket.generate(peer, opts);
    const encoded = codec.encodePacket(ours, version);
    if (!encoded.ok) throw new Error(`encodePacket failed: ${encoded.message}`);
    const paths = [
      ['client', (p) => publish(p.topic, p.payload), 1],
      [`client, ${STREAM_PACKETS} per frame`, (p) => publish(p.topic, p.payload, STREAM_PACKETS), STREAM_PACKETS],
      ['Embind', (p) => codec.encodePacket(p, version).bytes, 1],
    ];
    for (const [name, enc, count] of paths) {
      const expected = concat(Array.from({ length: count }, () => peerBytes));
      if (Buffer.compare(Buffer.from(enc(ours)), expected) !== 0) {
        throw new Error(`${name} and mqtt-packet disagree on a ${size} B PUBLISH (v${version}); fix the packets before timing`);
      }
    }
    const bytes = Uint8Array.from(peerBytes);
    const stream = concat(Array.from({ length: STREAM_PACKETS }, () => bytes));

    // generate (ops/s counts packets on both sides)
    let sink = 0;
    for (const [pathName, enc, count] of paths) {
      progress(`codec: generate ${size} B PUBLISH v${version}, ${pathName}`);
      const gen = await alternate(
        rounds,
        () => count * opsPerSecond((n) => {
          for (let i = 0; i < n; i++) sink += enc(ours).length;
        }, { ms }),
        () => count * opsPerSecond((n) => {
          for (let i = 0; i < n; i++) {
            for (let j = 0; j < count; j++) sink += mqttPacket.generate(peer, opts).length;
          }
        }, { ms }),
      );
      rows.push(row({ part: 'codec', name: `generate PUBLISH ${size} B (v${version}), ${pathName}`, unit: 'ops/s', ...gen, peerName: 'mqtt-packet', goal: 2 }));
    }

    // parse, one packet per call and a stream chunk per call
    const decoder = new codec.Decoder({ version });
    const parsers = [
      ['client', receive],
      ['Embind', (input) => decoder.feed(input).packets],
    ];
    for (const [label, input, perCall] of [
      ['parse', bytes, 1],
      [`parse stream x${STREAM_PACKETS}`, stream, STREAM_PACKETS],
    ]) {
      const peerInput = Buffer.from(input);
      for (const [pathName, parse] of parsers) {
        progress(`codec: ${label} ${size} B PUBLISH v${version}, ${pathName}`);
        const parser = mqttPacket.parser(opts);
        let got = 0;
        parser.on('packet', (p) => {
          got += p.payload.length > 0 ? 1 : 0;
        });
        parser.on('error', (err) => {
          throw err;
        });
        // Check both parse what was sent before timing.
        const check = parse(input);
        const first = check[0];
        if (check.length !== perCall || first.payload.length !== size || first.topic !== TOPIC) {
          throw new Error(`${pathName} did not parse ${perCall} packets of ${size} B`);
        }
        parser.parse(peerInput);
        if (got !== perCall) throw new Error(`mqtt-packet did not parse ${perCall} packets`);

        const res = await alternate(
          rounds,
          () => perCall * opsPerSecond((n) => {
            for (let i = 0; i < n; i++) sink += parse(input).length;
          }, { ms }),
          () => perCall * opsPerSecond((n) => {
            for (let i = 0; i < n; i++) parser.parse(peerInput);
          }, { ms }),
        );
        rows.push(row({ part: 'codec', name: `${label} PUBLISH ${size} B (v${version}), ${pathName}`, unit: 'ops/s', ...res, peerName: 'mqtt-packet', goal: 2 }));
      }
    }
    decoder.delete();
    if (sink < 0) console.log(sink);  // keeps the results alive
  }
  session.delete();
  return rows;
}

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

await runAlone(import.meta, () => run({ version: arg('version', 5), ms: arg('ms', 700) }));
