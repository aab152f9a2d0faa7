// (c) Bytes a browser downloads, gzipped (zlib level 9 for both sides):
// tpgate's browser entry for connect() (the MQTT-only .wasm plus every JS file
// the entry imports statically, followed from npm/src/index-browser.js)
// against MQTT.js's dist/mqtt.min.js. The gateway module (tpgate-gateway.mjs
// and .wasm, loaded by a dynamic import only when connectGateway() or
// connectPlatform() runs) is not part of that bundle; its size is an extra
// row without a goal.
//
// No bundler is installed, so the JS files are concatenated and gzipped as one
// (what a bundle without minification would weigh); the .wasm is a separate
// download and is gzipped on its own. The per-file sizes are in the JSON.
// mqtt.min.js is minified, our sources are not: a second row strips comments
// and indentation from our JS (Debian's acorn tokenizer, which Emscripten
// brings along; no renaming), the least any minifier does.
//
//   node bench/size.mjs
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';

import { progress, root, row, runAlone } from './lib.mjs';

const ENTRY = 'npm/src/index-browser.js';
const WASM = 'npm/dist/tpgate.wasm';
const GATEWAY = ['npm/dist/tpgate-gateway.wasm', 'npm/dist/tpgate-gateway.mjs'];
const PEER = 'node_modules/mqtt/dist/mqtt.min.js';

const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;

// Static imports and re-exports with relative specifiers; a bare specifier in
// the browser entry would need a bundler and is reported.
function importsOf(file, text) {
  const specs = [];
  const re = /(?:^|[;\s])(?:import|export)\s*(?:[\w*{}\s,$]+\s*from\s*)?['"]([^'"]+)['"]/g;
  for (let m; (m = re.exec(text)); ) specs.push(m[1]);
  return specs.map((s) => {
    if (!s.startsWith('.')) throw new Error(`${file} imports '${s}': the browser entry should load only package files`);
    return path.relative(root, path.resolve(root, path.dirname(file), s));
  });
}

export function browserFiles() {
  const seen = new Set();
  const walk = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(path.join(root, file), 'utf8');
    for (const dep of importsOf(file, text)) walk(dep);
  };
  walk(ENTRY);
  return [...seen];
}

// Source without comments and indentation: tokens joined by nothing, by one
// space where two would merge (a b, + +), or by a newline where the source had
// one (so automatic semicolons stay put). The result is parsed again as a check.
function stripped(text, acorn) {
  const opts = { ecmaVersion: 'latest', sourceType: 'module' };
  const word = /[\w$]/;
  let out = '';
  let prevEnd = -1;
  for (const t of acorn.tokenizer(text, opts)) {
    const tok = text.slice(t.start, t.end);
    if (prevEnd >= 0) {
      const gap = text.slice(prevEnd, t.start).replace(/\/\*[\s\S]*?\*\//g, ' ');
      const last = out[out.length - 1];
      if (/\n|\/\//.test(gap)) out += '\n';
      else if (gap.length > 0 && ((word.test(last) && word.test(tok[0])) || (last === tok[0] && '+-/'.includes(last)))) out += ' ';
    }
    out += tok;
    prevEnd = t.end;
  }
  acorn.parse(out, opts);
  return out;
}

function loadAcorn() {
  try {
    return createRequire(import.meta.url)('/usr/share/nodejs/acorn');
  } catch {
    return null;
  }
}

export async function run() {
  progress('size: following the browser entry', ENTRY);
  const js = browserFiles();
  const files = [...js, WASM].map((f) => {
    const bytes = readFileSync(path.join(root, f));
    return { file: f, bytes: bytes.length, gzip: gz(bytes) };
  });
  const jsConcat = Buffer.concat(js.map((f) => readFileSync(path.join(root, f))));
  const wasm = files.find((f) => f.file === WASM);
  const ours = gz(jsConcat) + wasm.gzip;
  const peerBytes = readFileSync(path.join(root, PEER));
  const peer = gz(peerBytes);
  for (const f of files) progress(`size: ${f.file} ${f.bytes} B, gzip ${f.gzip} B`);
  progress(`size: ${PEER} ${peerBytes.length} B, gzip ${peer} B`);
  const rows = [
    row({
      part: 'size',
      name: `browser bundle, gzip -9 (wasm ${wasm.gzip} + JS ${gz(jsConcat)})`,
      unit: 'bytes',
      ours,
      peer,
      peerName: 'mqtt.min.js',
      goal: 0.5,
      better: 'lower',
      note: { files, jsFiles: js.length, jsConcatGzip: gz(jsConcat), wasmGzip: wasm.gzip },
    }),
  ];
  const acorn = loadAcorn();
  if (acorn) {
    const min = Buffer.from(js.map((f) => stripped(readFileSync(path.join(root, f), 'utf8'), acorn)).join('\n'));
    progress(`size: JS without comments and indentation ${min.length} B, gzip ${gz(min)} B`);
    rows.push(row({
      part: 'size',
      name: `same, JS stripped of comments/indentation (wasm ${wasm.gzip} + JS ${gz(min)})`,
      unit: 'bytes',
      ours: gz(min) + wasm.gzip,
      peer,
      peerName: 'mqtt.min.js',
      goal: 0.5,
      better: 'lower',
    }));
  } else {
    progress('size: /usr/share/nodejs/acorn not found: no stripped-JS row');
  }
  // The gateway module on its own: what connectGateway() / connectPlatform()
  // download on top of the entry's JS. No goal: MQTT.js has no counterpart.
  const gateway = GATEWAY.map((f) => ({ file: f, gzip: gz(readFileSync(path.join(root, f))) }));
  for (const f of gateway) progress(`size: ${f.file} gzip ${f.gzip} B`);
  rows.push(row({
    part: 'size',
    name: `gateway module, gzip -9 (wasm ${gateway[0].gzip} + glue ${gateway[1].gzip}; no goal)`,
    unit: 'bytes',
    ours: gateway[0].gzip + gateway[1].gzip,
    peer,
    peerName: 'mqtt.min.js',
    better: 'lower',
    note: { files: gateway },
  }));
  return rows;
}

await runAlone(import.meta, run);
