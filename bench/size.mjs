// (c) Bytes a page downloads, measured on real production builds: two tiny
// apps in bench/size-apps/ are built with Vite (its JS API, default
// production build: minified, tree-shaken) in a temporary folder, with
// 'tpgate' resolved to this workspace's package (npm/, through a
// node_modules/tpgate link in that folder), and every file the built
// index.html makes the page fetch is weighed:
//
//   connect   `import { connect } from 'tpgate'`, subscribe and publish;
//             the MQTT-only module (tpgate.wasm, embedded in the JS).
//   gateway   `import { connectGateway } from 'tpgate/gateway'`, a command
//             handler and a telemetry report; the gateway module.
//
// What the page fetches: index.html's scripts and links, then whatever those
// files name (static imports, modulepreload lists, asset URLs, and dynamic
// imports, counted too because both apps connect at startup), followed
// until nothing new appears. A file is "named" when its hashed output name
// appears in the text, which holds for any bundler's output. Each file is
// gzipped at level 9 on its own and the sizes summed (what a server
// compressing each response sends), against node_modules/mqtt/dist/mqtt.min.js
// gzipped the same way (Node's zlib at level 9: 105,510 B for mqtt.min.js,
// where the gzip command's own deflate gives 105,039 B). index.html itself is
// left out on both sides (MQTT.js needs a page too).
//
// Brotli rows, without goals: what a host serving brotli would send (quality
// 11 on both sides). The browser entries embed each .wasm as base64 of its
// gzip (scripts/finish-wasm.mjs); gzip cannot be compressed again, so brotli
// gains on our JS and on mqtt.min.js but not on the embedded .wasm. A note
// row per app shows that cost: the embedded module under brotli against the
// same .wasm served as a file under brotli.
//
//   node bench/size.mjs
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

import { progress, root, row, runAlone } from './lib.mjs';

const PEER = 'node_modules/mqtt/dist/mqtt.min.js';
const PEER_NAME = 'mqtt.min.js';
const APPS = [
  { app: 'connect', name: 'connect-only app (Vite build)', goal: 0.5, wasm: 'npm/dist/tpgate.wasm' },
  { app: 'gateway', name: 'gateway-client app (Vite build)', goal: 1.0, wasm: 'npm/dist/tpgate-gateway.wasm' },
];

const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;
const br = (bytes) =>
  brotliCompressSync(bytes, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
  }).length;

function filesUnder(dir) {
  const out = [];
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...filesUnder(full));
    else out.push(full);
  }
  return out;
}

/** Output files reachable from index.html, each once. */
export function fetchedFiles(outDir) {
  const all = filesUnder(outDir).filter((f) => path.basename(f) !== 'index.html');
  const seen = new Set();
  const queue = [path.join(outDir, 'index.html')];
  while (queue.length > 0) {
    const text = readFileSync(queue.shift(), 'latin1');
    for (const f of all) {
      if (!seen.has(f) && text.includes(path.basename(f))) {
        seen.add(f);
        queue.push(f);
      }
    }
  }
  return { fetched: [...seen], unused: all.filter((f) => !seen.has(f)) };
}

/** Builds bench/size-apps/APP with Vite in a temporary folder; returns the weighed files. */
export async function buildApp(app) {
  const { build } = await import('vite');
  const tmp = mkdtempSync(path.join(os.tmpdir(), `tpgate-size-${app}-`));
  try {
    cpSync(path.join(root, 'bench/size-apps', app), tmp, { recursive: true });
    mkdirSync(path.join(tmp, 'node_modules'));
    symlinkSync(path.join(root, 'npm'), path.join(tmp, 'node_modules/tpgate'), 'dir');
    const outDir = path.join(tmp, 'dist');
    await build({
      root: tmp,
      configFile: false,
      envDir: false,
      mode: 'production',
      logLevel: 'warn',
      cacheDir: path.join(tmp, '.vite'),
      build: { outDir, emptyOutDir: true },
    });
    const { fetched, unused } = fetchedFiles(outDir);
    const files = fetched.map((f) => {
      const bytes = readFileSync(f);
      return { file: path.relative(outDir, f), bytes: bytes.length, gzip: gz(bytes), brotli: br(bytes) };
    });
    return { files, unused: unused.map((f) => path.relative(outDir, f)) };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

const sum = (files, key) => files.reduce((n, f) => n + f[key], 0);

export async function run() {
  const peerBytes = readFileSync(path.join(root, PEER));
  const peer = { gzip: gz(peerBytes), brotli: br(peerBytes) };
  progress(`size: ${PEER} ${peerBytes.length} B, gzip -9 ${peer.gzip} B, brotli ${peer.brotli} B`);
  const rows = [];
  const brotliRows = [];
  for (const { app, name, goal, wasm } of APPS) {
    progress(`size: building bench/size-apps/${app} with Vite`);
    const { files, unused } = await buildApp(app);
    for (const f of files) progress(`size:   ${app}: ${f.file} ${f.bytes} B, gzip -9 ${f.gzip} B, brotli ${f.brotli} B`);
    for (const f of unused) progress(`size:   ${app}: ${f} (in the output, not fetched)`);
    const parts = `${files.length} file${files.length === 1 ? '' : 's'}: ` +
      files.map((f) => `${path.extname(f.file).slice(1)} ${f.gzip}`).join(' + ');
    rows.push(row({
      part: 'size',
      name: `${name}, gzip -9 (${parts})`,
      unit: 'bytes',
      ours: sum(files, 'gzip'),
      peer: peer.gzip,
      peerName: PEER_NAME,
      goal,
      better: 'lower',
      note: { app: `bench/size-apps/${app}`, files, unused },
    }));
    // What embedding costs a brotli host: the .wasm it would send as a file
    // against the embedded module (base64 of gzip) it sends instead.
    const embedding = {
      wasmFileBrotli: br(readFileSync(path.join(root, wasm))),
      embeddedModuleBrotli: br(readFileSync(path.join(root, `${wasm}.js`))),
    };
    progress(`size:   ${app}: under brotli ${path.basename(wasm)} as a file would be ${embedding.wasmFileBrotli} B, ` +
      `embedded ${embedding.embeddedModuleBrotli} B`);
    brotliRows.push(row({
      part: 'size',
      name: `${name}, brotli (no goal; embedded .wasm stays gzip)`,
      unit: 'bytes',
      ours: sum(files, 'brotli'),
      peer: peer.brotli,
      peerName: PEER_NAME,
      better: 'lower',
      note: {
        app: `bench/size-apps/${app}`,
        why: 'The browser entries embed the .wasm as base64 of its gzip; gzipped bytes do not compress again, ' +
          'so a brotli host gains on the JS around it (and on mqtt.min.js) but not on the .wasm.',
        ...embedding,
      },
    }));
    brotliRows.push(row({
      part: 'size',
      name: `note: brotli of the embedded ${path.basename(wasm)} vs the file (base64 of gzip does not recompress)`,
      unit: 'bytes',
      ours: embedding.embeddedModuleBrotli,
      peer: embedding.wasmFileBrotli,
      peerName: `${path.basename(wasm)} as a file`,
      better: 'lower',
    }));
  }
  return [...rows, ...brotliRows];
}

await runAlone(import.meta, run);
