// The package as a user installs it: `npm pack` of npm/, the tarball
// installed into an empty folder outside the repository, and a plain Node ESM
// script there that imports 'tpgate' and does pub/sub with a real mosquitto.
// Plus: the browser entries and everything they import statically use no Node
// globals and no Node modules, so bundlers need no polyfills.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';
import { startMosquitto } from './helpers/mosquitto.js';

const execFileAsync = promisify(execFile);

// Runs a program; on failure the error keeps only the end of its output (the
// Emscripten glue is one long line that would drown the message).
async function run(file, args, options) {
  try {
    return await execFileAsync(file, args, { maxBuffer: 16 * 1024 * 1024, ...options });
  } catch (err) {
    const tail = (s) => String(s ?? '').slice(-2000);
    throw new Error(`${file} ${args.join(' ')} failed (${err.code ?? err.signal}):\n${tail(err.stderr)}\n${tail(err.stdout)}`);
  }
}
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

let broker;
let work;
before(async () => {
  broker = await startMosquitto();
  work = await mkdtemp(path.join(os.tmpdir(), 'tpgate-pack-'));
});
after(async () => {
  await broker?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

// What the installed package runs: connect over TCP and WebSocket, subscribe,
// publish QoS 0 and 1, receive both, end. Prints one JSON line.
const APP = `
import { connect } from 'tpgate';
import { loadTpgateCodec } from 'tpgate/codec';

const [tcpUrl, wsUrl] = process.argv.slice(2);
const out = { entry: import.meta.resolve('tpgate'), received: [] };
for (const url of [tcpUrl, wsUrl]) {
  const client = await connect(url, { protocolVersion: 5, reconnect: false });
  const topic = 'pack/' + client.clientId;
  await client.subscribe(topic, { qos: 1 });
  const got = new Promise((resolve) => {
    const messages = [];
    client.on('message', (t, payload, packet) => {
      messages.push({ url, topic: t === topic, text: new TextDecoder().decode(payload), qos: packet.qos });
      if (messages.length === 2) resolve(messages);
    });
  });
  await client.publish(topic, 'qos0 via ' + url, { qos: 0 });
  await client.publish(topic, new TextEncoder().encode('qos1 via ' + url), { qos: 1 });
  out.received.push(...(await got));
  await client.end();
}
out.codec = [...(await loadTpgateCodec()).encodePacket({ type: 'pingreq' }, 5).bytes];
console.log(JSON.stringify(out));
`;

let app = null; // the folder the tarball was installed into, for the demo test

test('npm pack of npm/ installs into an empty folder and plain Node ESM can pub/sub with it', { timeout: 180_000 }, async () => {
  const { stdout: packed } = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: path.join(root, 'npm') });
  const tarball = path.join(work, JSON.parse(packed)[0].filename);

  app = path.join(work, 'app');
  await mkdir(app);
  await writeFile(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  // Dependencies of tpgate (ws) come from the npm cache when it has them.
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], { cwd: app, timeout: 150_000 });
  const installed = JSON.parse(await readFile(path.join(app, 'node_modules/tpgate/package.json'), 'utf8'));
  assert.equal(installed.name, 'tpgate');

  await writeFile(path.join(app, 'main.js'), APP);
  const { stdout } = await run(
    process.execPath,
    ['main.js', `mqtt://127.0.0.1:${broker.tcpPort}`, `${broker.wsUrl}/mqtt`],
    // A clean environment: nothing may leak in from the repository.
    { cwd: app, timeout: 30_000, env: { PATH: process.env.PATH, HOME: process.env.HOME } },
  );
  const result = JSON.parse(stdout.trim().split('\n').pop());

  // The installed copy ran, not the workspace's.
  assert.equal(result.entry, pathToFileURL(path.join(app, 'node_modules/tpgate/src/index-node.js')).href);
  const texts = result.received.map((m) => `${m.text} qos${m.qos} ${m.topic}`).sort();
  const tcp = `mqtt://127.0.0.1:${broker.tcpPort}`;
  const ws = `${broker.wsUrl}/mqtt`;
  assert.deepEqual(texts, [
    `qos0 via ${tcp} qos0 true`,
    `qos0 via ${ws} qos0 true`,
    `qos1 via ${tcp} qos1 true`,
    `qos1 via ${ws} qos1 true`,
  ].sort());
  assert.deepEqual(result.codec, [0xc0, 0x00]);
});

// `tpgate demo` from the installed package (what `npm start` runs): the dev broker, the
// default gateway and the dashboard the package carries, with nothing from
// the repository; Ctrl-C stops it with exit 0.
test('the installed package runs `tpgate demo`: the dashboard it ships is served, Ctrl-C stops it', { timeout: 60_000 }, async (t) => {
  assert.ok(app, 'the package was installed by the previous test');
  const bin = path.join(app, 'node_modules/.bin/tpgate');
  const child = spawn(bin, ['demo', '--tcp', '0', '--ws', '0', '--http', '0', '--status-every', '0'], {
    cwd: app,
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => child.kill('SIGKILL'));
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  const until = Date.now() + 30_000;
  while (!/stop +Ctrl-C/.test(output)) {
    assert.ok(Date.now() < until, `the demo did not come up:\n${output}`);
    assert.equal(child.exitCode, null, `the demo exited:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const dashboard = /dashboard +(http:\/\/\S+)/.exec(output)?.[1];
  assert.ok(dashboard, `a dashboard link (the package ships the dashboard):\n${output}`);
  const page = await fetch(dashboard);
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(html, /Content-Security-Policy/);
  // Every script the page names is served from the installed package.
  const scripts = [...html.matchAll(/src="([^"]+\.js)"/g)].map((m) => m[1]);
  assert.ok(scripts.length > 0, 'the page loads scripts');
  for (const src of scripts) assert.equal((await fetch(new URL(src, dashboard))).status, 200, src);
  child.kill('SIGINT');
  assert.equal(await exited, 0, output);
  assert.match(output, /tpgate demo: stopped/);
});

// --- the browser entry ------------------------------------------------------------

// Not `global`: Embind's glue names it, but only after `typeof globalThis`
// has already answered, and behind a `typeof global` guard.
const NODE_GLOBALS = new Set(['Buffer', 'process', 'require', '__dirname', '__filename', 'setImmediate']);
const NODE_MODULES = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** The module specifiers a file imports statically (import/export from, and import('literal')). */
function importsOf(source) {
  const found = [];
  const visit = (node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      found.push(node.moduleSpecifier.text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments.length === 1 &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      found.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Free references to Node globals: `process.env`, `Buffer.from(x)`, `typeof require`, ... */
function nodeGlobalsIn(source) {
  const declared = new Set();
  const uses = [];
  const visit = (node) => {
    if (ts.isIdentifier(node) && NODE_GLOBALS.has(node.text)) {
      const parent = node.parent;
      const isMemberName =
        (ts.isPropertyAccessExpression(parent) && parent.name === node) ||
        ((ts.isPropertyAssignment(parent) || ts.isMethodDeclaration(parent) || ts.isPropertyDeclaration(parent)) &&
          parent.name === node);
      const isDeclaration =
        (ts.isVariableDeclaration(parent) ||
          ts.isParameter(parent) ||
          ts.isBindingElement(parent) ||
          ts.isFunctionDeclaration(parent)) &&
        parent.name === node;
      if (isDeclaration) declared.add(node.text);
      else if (!isMemberName) {
        const { line } = source.getLineAndCharacterOfPosition(node.getStart());
        uses.push({ name: node.text, line: line + 1 });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  // A local of the same name (a parameter called `module`) is not the global.
  return uses.filter((u) => !declared.has(u.name));
}

test('the browser entries and everything they import use no Node globals and no Node modules', async () => {
  // 'tpgate', 'tpgate/gateway', 'tpgate/platform', 'tpgate/emulator' and 'tpgate/codec' under the "browser" condition.
  const entries = ['index', 'gateway', 'platform', 'emulator', 'codec'].map((name) => path.join(root, `npm/src/${name}-browser.js`));
  const seen = new Set();
  const problems = [];
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.shift();
    if (seen.has(file)) continue;
    seen.add(file);
    const text = await readFile(file, 'utf8');
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
    const where = path.relative(root, file);
    for (const specifier of importsOf(source)) {
      if (NODE_MODULES.has(specifier) || specifier.startsWith('node:')) {
        problems.push(`${where} imports the Node module '${specifier}'`);
      } else if (specifier.startsWith('.')) {
        queue.push(path.resolve(path.dirname(file), specifier));
      } else {
        problems.push(`${where} imports the package '${specifier}' (the browser entry must be self-contained)`);
      }
    }
    for (const use of nodeGlobalsIn(source)) problems.push(`${where}:${use.line} uses the Node global '${use.name}'`);
  }
  const files = [...seen].map((f) => path.relative(root, f));
  // The walk reached the client and the Emscripten glue, not just the entry file.
  assert.ok(files.includes('npm/dist/tpgate.mjs'), `the walk found only ${files.join(', ')}`);
  assert.ok(files.includes('npm/dist/tpgate-gateway.mjs'), `the walk found only ${files.join(', ')}`);
  assert.ok(files.includes('npm/dist/tpgate-platform.mjs'), `the walk found only ${files.join(', ')}`);
  assert.ok(files.includes('npm/dist/tpgate-emulator.mjs'), `the walk found only ${files.join(', ')}`);
  assert.ok(files.length >= 4, `the walk found only ${files.join(', ')}`);
  assert.deepEqual(problems, [], `browser entry graph: ${files.join(', ')}`);
});

test('the Node-global check is not blind: it flags what it must', () => {
  const source = ts.createSourceFile(
    'x.js',
    `import fs from 'node:fs'; export * from './y.js';
     const a = Buffer.from('x'); if (typeof process !== 'undefined') {}
     const o = { process: 1 }; o.Buffer = 2; function f(require) { return require; }`,
    ts.ScriptTarget.Latest,
    true,
    ts.ScriptKind.JS,
  );
  assert.deepEqual(importsOf(source), ['node:fs', './y.js']);
  assert.deepEqual(nodeGlobalsIn(source).map((u) => u.name), ['Buffer', 'process']);
});
