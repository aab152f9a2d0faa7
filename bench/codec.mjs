// (b) Parse and generate PUBLISH packets, tpgate's wasm codec against
// mqtt-packet, in ops/s (one op = one packet).
//
// Both sides do the same work: parse turns bytes into a usable packet object
// (topic string, payload bytes, flags, packet id, properties on v5); generate
// turns such an object into bytes. Measured two ways:
//   single  one packet per call (a WebSocket frame per packet);
//   stream  a chunk of STREAM_PACKETS back-to-back packets per call, how a
//           TCP socket delivers them; ops/s still counts packets.
// tpgate is measured through the Embind API of the raw module (Decoder.feed,
// encodePacket) and, when the module has it, through the flat C ABI of
// bindings/fast_bindings.cpp (bench/fast-codec.mjs), each against the same
// mqtt-packet figure.
//
//   node bench/codec.mjs [--version 4|5] [--ms 700]
import { createRequire } from 'node:module';

import { loadTpgate } from '../npm/src/index-node.js';
import { createFastCodec, hasFastCodec } from './fast-codec.mjs';
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

export async function run({ version = 5, ms = 700, rounds = 2 } = {}) {
  const mod = await loadTpgate();
  const fast = hasFastCodec(mod) ? createFastCodec(mod) : null;
  if (!fast) progress('codec: this tpgate.wasm has no flat ABI (bindings/fast_bindings.cpp); measuring Embind only');
  const rows = [];
  const opts = { protocolVersion: version };

  for (const size of SIZES) {
    const payload = payloadOf(size);
    const ours = { type: 'publish', topic: TOPIC, payload, qos: 1, packetId: 42 };
    const peer = { cmd: 'publish', topic: TOPIC, payload: Buffer.from(payload), qos: 1, messageId: 42, retain: false, dup: false };
    if (version === 5) peer.properties = {};

    // Both encoders must produce the same bytes, or the comparison is void.
    const encoded = mod.encodePacket(ours, version);
    if (!encoded.ok) throw new Error(`encodePacket failed: ${encoded.message}`);
    const bytes = encoded.bytes;
    const peerBytes = mqttPacket.generate(peer, opts);
    if (Buffer.compare(Buffer.from(bytes), peerBytes) !== 0) {
      throw new Error(`the encoders disagree on a ${size} B PUBLISH (v${version}); fix the packets before timing`);
    }
    const stream = concat(Array.from({ length: STREAM_PACKETS }, () => bytes));
    const peerStream = Buffer.from(stream);

    const paths = [['Embind', mod.Decoder, (p) => mod.encodePacket(p, version)]];
    if (fast) paths.push(['flat ABI', fast.Decoder, (p) => fast.encodePublish(p, version)]);
    for (const [, , enc] of paths) {
      const again = enc(ours);
      if (!again.ok || Buffer.compare(Buffer.from(again.bytes), peerBytes) !== 0) throw new Error('an encode path disagrees with mqtt-packet');
    }

    // generate
    let sink = 0;
    const genPeer = () => opsPerSecond((n) => {
      for (let i = 0; i < n; i++) sink += mqttPacket.generate(peer, opts).length;
    }, { ms });
    for (const [pathName, , enc] of paths) {
      progress(`codec: generate ${size} B PUBLISH v${version}, ${pathName}`);
      const gen = await alternate(
        rounds,
        () => opsPerSecond((n) => {
          for (let i = 0; i < n; i++) sink += enc(ours).bytes.length;
        }, { ms }),
        genPeer,
      );
      rows.push(row({ part: 'codec', name: `generate PUBLISH ${size} B (v${version}), ${pathName}`, unit: 'ops/s', ...gen, peerName: 'mqtt-packet', goal: 2 }));
    }

    // parse, one packet per call and a stream chunk per call
    for (const [label, ourInput, peerInput, perCall] of [
      ['parse', bytes, Buffer.from(bytes), 1],
      [`parse stream x${STREAM_PACKETS}`, stream, peerStream, STREAM_PACKETS],
    ]) {
      for (const [pathName, Decoder] of paths) {
        progress(`codec: ${label} ${size} B PUBLISH v${version}, ${pathName}`);
        const decoder = new Decoder({ version });
        const parser = mqttPacket.parser(opts);
        let got = 0;
        parser.on('packet', (p) => {
          got += p.payload.length > 0 ? 1 : 0;
        });
        parser.on('error', (err) => {
          throw err;
        });
        // Check both parse what was sent before timing.
        const check = decoder.feed(ourInput);
        const first = check.packets[0];
        if (!check.ok || check.packets.length !== perCall || first.payload.length !== size || first.topic !== TOPIC || first.packetId !== 42) {
          throw new Error(`${pathName} Decoder.feed did not return ${perCall} packets of ${size} B`);
        }
        parser.parse(peerInput);
        if (got !== perCall) throw new Error(`mqtt-packet did not parse ${perCall} packets`);

        const res = await alternate(
          rounds,
          () => perCall * opsPerSecond((n) => {
            for (let i = 0; i < n; i++) sink += decoder.feed(ourInput).packets.length;
          }, { ms }),
          () => perCall * opsPerSecond((n) => {
            for (let i = 0; i < n; i++) parser.parse(peerInput);
          }, { ms }),
        );
        decoder.delete();
        rows.push(row({ part: 'codec', name: `${label} PUBLISH ${size} B (v${version}), ${pathName}`, unit: 'ops/s', ...res, peerName: 'mqtt-packet', goal: 2 }));
      }
    }
    if (sink < 0) console.log(sink);  // keeps the results alive
  }
  return rows;
}

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

await runAlone(import.meta, () => run({ version: arg('version', 5), ms: arg('ms', 700) }));
