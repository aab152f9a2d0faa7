// tpgate as a bundled browser app: the `npm pack` tarball of npm/ installed
// into a fresh app folder, built with each bundler's default production build
// (Vite, webpack, esbuild, Rollup with node-resolve, Parcel 2), the output
// folder served by a plain static server and loaded in Chromium, which does a
// pub/sub round trip with `connect` and a command round trip between
// `connectGateway` and `connectPlatform` through mosquitto's WebSocket
// listener. Two fixtures (bundlers/): `full` uses 'tpgate', 'tpgate/gateway'
// and 'tpgate/platform'; `connect-only` imports nothing but `connect`, and its
// bundle must carry none of the gateway, platform and emulator modules (no
// .wasm, no embedded bytes, no glue).
// No bundle may name the folder it was built in.
//
// The bundlers come from the workspace's node_modules (symlinked into each
// app folder, as `npm install` would have put them there); tpgate itself is
// the tarball, extracted into the app's node_modules, never the workspace.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startMosquitto } from '../js/helpers/mosquitto.js';
import { launchChromium, startAll } from './helpers/chromium.js';
import { startStaticServer } from './helpers/static-server.js';

const execFileAsync = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const fixtures = path.join(here, 'bundlers');
const workspaceModules = path.join(root, 'node_modules');

// Hang guards only. A cold Parcel build on a busy 2-core machine takes a while.
const BUILD_TIMEOUT = 240_000;
const TEST_TIMEOUT = 300_000;
const PAGE_TIMEOUT = 30_000;

// Runs a program; on failure the error keeps the end of its output.
async function run(file, args, options) {
  try {
    return await execFileAsync(file, args, { maxBuffer: 64 * 1024 * 1024, ...options });
  } catch (err) {
    const tail = (s) => String(s ?? '').slice(-4000);
    throw new Error(`${path.basename(file)} ${args.join(' ')} failed (${err.code ?? err.signal}):\n${tail(err.stderr)}\n${tail(err.stdout)}`);
  }
}

// The page a bundler that does not handle HTML is given: the fixtures' page
// with the bundle's script tag, written into its output folder by hand, as
// its users do. The data: icon keeps Chromium from asking for /favicon.ico.
const SHARED_PAGE = readFileSync(path.join(fixtures, 'shared/index.html'), 'utf8');
const PAGE_SCRIPT = '<script type="module" src="./src/index.js"></script>';
assert.ok(SHARED_PAGE.includes(PAGE_SCRIPT), 'shared/index.html lost its script tag');
const staticHtml = (scriptTag) => SHARED_PAGE.replace(PAGE_SCRIPT, scriptTag);

// Each bundler as a new user runs it: the command, the output folder, and
// whatever files the user writes next to the sources (a config, a page).
const BUNDLERS = [
  {
    name: 'Vite',
    pkg: 'vite',
    bin: 'vite',
    args: ['build'],
    out: 'dist',
  },
  {
    name: 'webpack',
    pkg: 'webpack-cli',
    bin: 'webpack-cli',
    // No config: ./src/index.js -> ./dist/main.js; dist/index.html is the user's.
    args: ['--mode', 'production'],
    out: 'dist',
    files: { 'dist/index.html': staticHtml('<script src="./main.js"></script>') },
  },
  {
    name: 'esbuild',
    pkg: 'esbuild',
    bin: 'esbuild',
    // The docs' browser build; the default format of --bundle is an IIFE.
    args: ['src/index.js', '--bundle', '--minify', '--outfile=www/index.js'],
    out: 'www',
    files: { 'www/index.html': staticHtml('<script src="./index.js"></script>') },
  },
  {
    name: 'Rollup',
    pkg: 'rollup',
    bin: 'rollup',
    args: ['-c'],
    out: 'www',
    files: {
      'rollup.config.mjs': [
        "import { nodeResolve } from '@rollup/plugin-node-resolve';",
        '',
        "export default { input: 'src/index.js', output: { dir: 'www', format: 'es' }, plugins: [nodeResolve()] };",
        '',
      ].join('\n'),
      'www/index.html': staticHtml('<script type="module" src="./index.js"></script>'),
    },
  },
  {
    name: 'Parcel',
    pkg: 'parcel',
    bin: 'parcel',
    args: ['build', 'index.html'],
    out: 'dist',
    // Why the default build cannot find the package, when it cannot.
    hint:
      "Parcel 2 ignores package.json \"exports\" unless the app opts in (@parcel/resolver-default's packageExports " +
      'defaults to false): it resolves \'tpgate\' through "browser"/"module"/"main" and \'tpgate/gateway\' as a ' +
      'path inside the package, so the package needs those fields and a gateway/ (platform/, emulator/) folder whose ' +
      'package.json points at the entry.',
  },
];

const FIXTURES = ['full', 'connect-only'];

let work; // temporary folder: the tarball, the apps, their caches and builds
let tarball;
let pkgDir; // the tarball extracted once, to read what it embeds
let markers; // strings whose presence in a bundle shows the gateway or emulator module
let broker;
let browser;
const report = [];

before(async () => {
  await startAll([
    startMosquitto().then((b) => (broker = b)),
    launchChromium().then((b) => (browser = b)),
    (async () => {
      work = await mkdtemp(path.join(os.tmpdir(), 'tpgate-bundlers-'));
      const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: path.join(root, 'npm') });
      tarball = path.join(work, JSON.parse(stdout)[0].filename);
      pkgDir = path.join(work, 'package');
      await extract(pkgDir);
      markers = await readMarkers(pkgDir);
    })(),
  ]);
});

after(async () => {
  await Promise.allSettled([browser?.close(), broker?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
  if (report.length) {
    console.log('bundler    fixture        build      JS bytes   total bytes  .wasm files  result');
    for (const r of report) {
      console.log(
        `${r.bundler.padEnd(10)} ${r.fixture.padEnd(14)} ${`${(r.buildMs / 1000).toFixed(1)} s`.padStart(7)} ${String(r.jsBytes).padStart(11)} ${String(r.totalBytes).padStart(13)} ${String(r.wasmFiles).padStart(12)}  ${r.result}`,
      );
    }
  }
});

async function extract(dir) {
  await mkdir(dir, { recursive: true });
  await run('tar', ['xzf', tarball, '-C', dir, '--strip-components=1']);
}

// 200 characters from the middle of each embedded .wasm's base64 string, the
// glue's exports only the gateway, platform and emulator modules have, and
// error texts of their JS.
const GATEWAY_TEXT = 'connectGateway: options must be an object with a deviceNumber';
const PLATFORM_TEXT = 'cannot be written as JSON';
const EMULATOR_TEXT = 'the fleet refused its input records';

async function readMarkers(dir) {
  const slice = async (file) => {
    const text = await readFile(path.join(dir, 'dist', file), 'utf8');
    const base64 = text.match(/'([A-Za-z0-9+/=]{1000,})'/)?.[1];
    assert.ok(base64, `${file}: no embedded base64 string`);
    const middle = Math.floor(base64.length / 2);
    return base64.slice(middle, middle + 200);
  };
  const gluePlain = await readFile(path.join(dir, 'dist/tpgate.mjs'), 'utf8');
  for (const [module, name] of [['gateway', 'tpgate_gateway_receive'], ['platform', 'tpgate_platform_receive']]) {
    const glue = await readFile(path.join(dir, `dist/tpgate-${module}.mjs`), 'utf8');
    assert.ok(glue.includes(name) && !gluePlain.includes(name), `glue marker ${name}`);
  }
  // The error texts are still in the package's sources (else their check would pass for nothing).
  const source = async (files) => (await Promise.all(files.map((f) => readFile(path.join(dir, 'src', f), 'utf8')))).join('\n');
  const gatewaySource = await source(['gateway.js']);
  const platformSource = await source(['platform.js']);
  const emulatorSource = await source((await readdir(path.join(dir, 'src/emulator'))).map((f) => `emulator/${f}`));
  assert.ok(gatewaySource.includes(GATEWAY_TEXT), `the gateway client no longer says '${GATEWAY_TEXT}': pick another marker`);
  assert.ok(platformSource.includes(PLATFORM_TEXT), `the platform client no longer says '${PLATFORM_TEXT}': pick another marker`);
  assert.ok(emulatorSource.includes(EMULATOR_TEXT), `the emulator no longer says '${EMULATOR_TEXT}': pick another marker`);
  return {
    gateway: {
      wasm: await readFile(path.join(dir, 'dist/tpgate-gateway.wasm')),
      strings: {
        'embedded gateway .wasm': await slice('tpgate-gateway.wasm.js'),
        'gateway glue': 'tpgate_gateway_receive',
        'gateway client': GATEWAY_TEXT,
      },
    },
    platform: {
      wasm: await readFile(path.join(dir, 'dist/tpgate-platform.wasm')),
      strings: {
        'embedded platform .wasm': await slice('tpgate-platform.wasm.js'),
        'platform glue': 'tpgate_platform_receive',
        'platform client': PLATFORM_TEXT,
      },
    },
    emulator: {
      wasm: await readFile(path.join(dir, 'dist/tpgate-emulator.wasm')),
      strings: {
        'embedded emulator .wasm': await slice('tpgate-emulator.wasm.js'),
        'emulator client': EMULATOR_TEXT,
      },
    },
  };
}

// A fresh app folder: the fixture's sources with the shared page and pub/sub
// module, tpgate from the tarball, and the workspace's packages (the bundlers
// and their dependencies, ws, aedes) linked in as an install would have
// hoisted them.
async function makeApp(bundler, fixture) {
  const app = path.join(work, `${bundler.pkg}-${fixture}`);
  await cp(path.join(fixtures, fixture), app, { recursive: true });
  await cp(path.join(fixtures, 'shared/index.html'), path.join(app, 'index.html'));
  await cp(path.join(fixtures, 'shared/pubsub.js'), path.join(app, 'src/pubsub.js'));
  await writeFile(
    path.join(app, 'package.json'),
    `${JSON.stringify({ name: `app-${fixture}`, version: '1.0.0', private: true, type: 'module', dependencies: { tpgate: '^0.1.0' } }, null, 2)}\n`,
  );
  for (const [file, text] of Object.entries(bundler.files ?? {})) {
    await mkdir(path.dirname(path.join(app, file)), { recursive: true });
    await writeFile(path.join(app, file), text);
  }
  const modules = path.join(app, 'node_modules');
  await mkdir(modules);
  for (const entry of await readdir(workspaceModules)) {
    if (entry.startsWith('.') || entry === 'tpgate' || entry === 'tpgate-dashboard') continue;
    if (entry.startsWith('@')) {
      await mkdir(path.join(modules, entry));
      for (const scoped of await readdir(path.join(workspaceModules, entry))) {
        await symlink(path.join(workspaceModules, entry, scoped), path.join(modules, entry, scoped));
      }
    } else {
      await symlink(path.join(workspaceModules, entry), path.join(modules, entry));
    }
  }
  await extract(path.join(modules, 'tpgate'));
  return app;
}

async function binOf(app, bundler) {
  const dir = path.join(app, 'node_modules', bundler.pkg);
  const { bin } = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8'));
  return path.join(dir, typeof bin === 'string' ? bin : bin[bundler.bin]);
}

async function listFiles(dir) {
  const files = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) files.push(path.join(entry.parentPath ?? entry.path, entry.name));
  }
  return files;
}

async function build(app, bundler) {
  const bin = await binOf(app, bundler);
  const started = performance.now();
  let stdout;
  let stderr;
  try {
    // The bin itself, as node_modules/.bin runs it (esbuild's is a native executable).
    ({ stdout, stderr } = await run(bin, bundler.args, {
      cwd: app,
      timeout: BUILD_TIMEOUT,
      // A clean environment: nothing leaks in from the repository's shell.
      env: { PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH}`, HOME: process.env.HOME, TMPDIR: os.tmpdir() },
    }));
  } catch (err) {
    if (bundler.hint && /resolve 'tpgate/.test(err.message)) err.message += `\n${bundler.name}: ${bundler.hint}`;
    throw err;
  }
  const buildMs = performance.now() - started;
  const outDir = path.join(app, bundler.out);
  const files = [];
  for (const file of await listFiles(outDir)) {
    const relative = path.relative(outDir, file).split(path.sep).join('/');
    files.push({ relative, bytes: await readFile(file) });
  }
  const warnings = `${stdout}\n${stderr}`.split('\n').filter((line) => /warn/i.test(line));
  return { buildMs, outDir, files, warnings };
}

// What the output must not carry: paths of the machine that built it.
function assertNoBuildPaths(app, files) {
  const forbidden = [app, work, root, 'file://'];
  for (const { relative, bytes } of files) {
    const text = bytes.toString('latin1');
    for (const needle of forbidden) {
      assert.ok(!text.includes(needle), `output file ${relative} contains '${needle}'`);
    }
  }
}

// Which of the gateway's / platform's / emulator's pieces an output holds.
function modulePieces(files, which) {
  const found = [];
  const { wasm, strings } = markers[which];
  for (const { relative, bytes } of files) {
    if (relative.endsWith('.wasm') && (bytes.equals(wasm) || relative.includes(which))) {
      found.push(`${which} .wasm file ${relative}`);
    }
    const text = bytes.toString('latin1');
    for (const [what, needle] of Object.entries(strings)) {
      if (text.includes(needle)) found.push(`${what} in ${relative}`);
    }
  }
  return found;
}

// Opens the page recording every request, response, console line and page
// error; `problems` lists what went wrong.
async function openRecordedPage(url) {
  const page = await browser.newPage();
  const rec = { requests: [], responses: [], console: [], problems: [] };
  page.on('request', (req) => rec.requests.push(`${req.method()} ${req.url()}`));
  page.on('response', (res) => {
    rec.responses.push(`${res.status()} ${res.url()}`);
    if (res.status() >= 400) rec.problems.push(`HTTP ${res.status()}: ${res.url()}`);
  });
  page.on('requestfailed', (req) => rec.problems.push(`request failed: ${req.url()}: ${req.failure()?.errorText}`));
  page.on('console', (msg) => {
    rec.console.push(`[${msg.type()}] ${msg.text()}`);
    if (msg.type() === 'error') rec.problems.push(`console error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => rec.problems.push(`uncaught in page: ${err.stack || err.message}`));
  page.on('crash', () => rec.problems.push('the page crashed'));
  const response = await page.goto(url);
  assert.ok(response?.ok(), `cannot load ${url}: HTTP ${response?.status()}`);
  const describe = () =>
    `--- console ---\n${rec.console.join('\n')}\n--- problems ---\n${rec.problems.join('\n')}\n--- responses ---\n${rec.responses.join('\n')}`;
  const evaluate = async (fn, arg) => {
    try {
      return await page.evaluate(fn, arg);
    } catch (err) {
      err.message += `\n${describe()}`;
      throw err;
    }
  };
  try {
    await page.waitForFunction(() => window.appReady === true, null, { timeout: PAGE_TIMEOUT });
  } catch (err) {
    err.message += `\n${describe()}`;
    throw err;
  }
  return { page, rec, evaluate, describe };
}

let seq = 0;

async function runInChromium(outDir, fixture, bundler) {
  const server = await startStaticServer({ '/': outDir });
  try {
    const { page, rec, evaluate, describe } = await openRecordedPage(`${server.origin}/`);
    try {
      const topic = `tpgate/bundlers/${bundler.pkg}/${fixture}/${process.pid}-${++seq}`;
      const pubSub = await evaluate(([url, t]) => window.app.pubSub(url, t), [broker.wsUrl, topic]);
      assert.deepEqual(pubSub, {
        granted: [{ topic, qos: 1 }],
        message: { topic, text: 'hello from a bundle', qos: 1 },
      });
      if (fixture === 'full') {
        const dn = `gw-${bundler.pkg}-${process.pid}-${++seq}`;
        const command = await evaluate(([url, d]) => window.app.command(url, d), [broker.wsUrl, dn]);
        assert.deepEqual(command, {
          calls: [{ path: ['sensor_1'], method: 'Reboot', params: { delay: 3 } }],
          result: 0,
          message: 'success',
          method: 'Reboot',
        });
      }
      assert.deepEqual(rec.problems, [], `the page reported problems:\n${describe()}`);
      const bad = server.requests.filter((r) => r.status !== 200);
      assert.deepEqual(bad, [], 'every request the page made was served');
      return server.requests.map((r) => r.path);
    } finally {
      await page.close();
    }
  } finally {
    await server.stop();
  }
}

for (const bundler of BUNDLERS) {
  describe(bundler.name, () => {
    for (const fixture of FIXTURES) {
      test(`${fixture}: the default production build runs in Chromium`, { timeout: TEST_TIMEOUT }, async () => {
        const row = { bundler: bundler.name, fixture, buildMs: NaN, jsBytes: NaN, totalBytes: NaN, wasmFiles: NaN, result: 'FAIL' };
        report.push(row);
        const app = await makeApp(bundler, fixture);
        const { buildMs, outDir, files, warnings } = await build(app, bundler);
        row.buildMs = buildMs;
        row.jsBytes = files.filter((f) => /\.m?js$/.test(f.relative)).reduce((n, f) => n + f.bytes.length, 0);
        row.totalBytes = files.reduce((n, f) => n + f.bytes.length, 0);
        row.wasmFiles = files.filter((f) => f.relative.endsWith('.wasm')).length;
        console.log(
          `${bundler.name} ${fixture}: built in ${(buildMs / 1000).toFixed(1)} s, ${row.jsBytes} JS bytes, ` +
            `files: ${files.map((f) => `${f.relative} (${f.bytes.length})`).join(', ')}` +
            (warnings.length ? `; warnings: ${warnings.map((w) => w.trim()).join(' | ')}` : ''),
        );

        assertNoBuildPaths(app, files);
        // The emulator is in neither app; the gateway and platform modules
        // only in the full one.
        assert.deepEqual(modulePieces(files, 'emulator'), [], 'the bundle carries the emulator module');
        for (const which of ['gateway', 'platform']) {
          const pieces = modulePieces(files, which);
          if (fixture === 'connect-only') {
            assert.deepEqual(pieces, [], `a connect-only bundle carries the ${which} module`);
          } else {
            // The checks above see the module when it is there.
            assert.ok(pieces.some((p) => p.startsWith(`embedded ${which} .wasm`)), `the full app's bundle: ${pieces.join(', ')}`);
          }
        }

        const served = await runInChromium(outDir, fixture, bundler);
        console.log(`${bundler.name} ${fixture}: the page loaded ${served.join(' ')}`);
        row.result = 'pass';
      });
    }
  });
}
