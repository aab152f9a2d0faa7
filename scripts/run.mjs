#!/usr/bin/env node
// The npm scripts (`npm test`, `npm start`, `npm run build`, ...) as lists of
// stages. Each stage prints a header, streams its output, and is timed; the
// run ends with a summary table. A failing stage fails the run with a message
// naming it; stages that need it are skipped, independent test stages still
// run so one CI log shows every failure.
//
//   node scripts/run.mjs <task>      tasks: see TASKS below
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

// --- stages ---------------------------------------------------------------------

/** A command: [program, ...args]. A stage's commands may also be plain strings: messages to print. */
const cmd = (...argv) => argv;

const cmakeBuild = (preset) => ({
  name: `build:${preset}`,
  needs: ['bootstrap'],
  commands: () => [
    // Configure once; later builds re-run CMake by themselves when a
    // CMakeLists.txt or a globbed folder changes.
    ...(existsSync(path.join(presetDir(preset), 'CMakeCache.txt')) ? [] : [cmd('cmake', '--preset', preset)]),
    cmd('cmake', '--build', '--preset', preset),
  ],
});

const ctest = (preset) => ({
  name: `ctest:${preset}`,
  needs: [`build:${preset}`],
  commands: () => [cmd('ctest', '--preset', preset)],
  counts: ctestCounts,
});

const nodeTests = (name, dir, needs, whenEmpty) => ({
  name,
  needs,
  commands: () => {
    const files = testFiles(dir);
    if (files.length === 0) return [whenEmpty];
    return [cmd(process.execPath, '--test', ...files)];
  },
  counts: nodeTestCounts,
});

const STAGES = {
  // Sources only, well under a second: every docs/thingspanel.md anchor that code
  // and docs name exists, and nothing points outside the repository.
  'doc-refs': { name: 'doc-refs', commands: () => [cmd(process.execPath, 'scripts/check-doc-refs.mjs')] },
  bootstrap: { name: 'bootstrap', commands: () => [cmd('bash', 'scripts/bootstrap.sh')] },
  'build:native': cmakeBuild('native'),
  'build:asan': cmakeBuild('asan'),
  'build:wasm': {
    ...cmakeBuild('wasm'),
    after: reportWasmSize,
  },
  'ctest:native': ctest('native'),
  'ctest:asan': ctest('asan'),
  // build:web too: the packed package carries the dashboard (pack-install.test.js).
  'test:js': nodeTests('test:js', 'tests/js', ['build:wasm', 'build:web'], 'no tests in tests/js'),
  // The dashboard (web/): type-checked, then bundled by Vite into web/dist.
  'build:web': {
    name: 'build:web',
    needs: ['build:wasm'],
    commands: () => [
      cmd(process.execPath, 'node_modules/typescript/bin/tsc', '-p', 'web', '--noEmit'),
      cmd(process.execPath, 'node_modules/vite/bin/vite.js', 'build', 'web'),
      // Shipped in the package, for `tpgate demo` from an installed tpgate.
      cmd(process.execPath, 'scripts/package-dashboard.mjs'),
    ],
  },
  'test:e2e': nodeTests(
    'test:e2e',
    'tests/e2e',
    ['build:wasm', 'build:web'],
    'no tests in tests/e2e',
  ),
  // The package as npm would publish it (both tools run `npm pack` of npm/, so
  // the built wasm and the dashboard must be there). publint: package.json
  // fields, "exports" targets, file formats; --strict fails on its warnings
  // too. attw ("Are the types wrong?"): every entry's types resolve, and match
  // its JS, in each TypeScript resolution mode (node10, node16 from CJS and
  // from ESM, bundler), under its strictest profile, with two exceptions:
  //   --ignore-rules cjs-resolves-to-esm: the package is ESM only and its
  //     "engines" admits only Node versions where require() loads ES modules
  //     by default; attw does not model require(esm) yet
  //     (arethetypeswrong/arethetypeswrong.github.io#252) and flags every
  //     require() of an ES module. Only that rule is off: under node16 (from
  //     CJS) the types must still resolve. tests/js/require-cjs.test.js runs
  //     require('tpgate') on the lowest admitted Node instead.
  //   --exclude-entrypoints: the .wasm subpaths are binary assets (for a CDN
  //     copy or a bundler's asset import), with no JS and no types to resolve.
  'package-lint': {
    name: 'package-lint',
    needs: ['build:wasm', 'build:web'],
    commands: () => [
      cmd(process.execPath, 'node_modules/publint/src/cli.js', 'npm', '--strict'),
      cmd(
        process.execPath,
        'node_modules/@arethetypeswrong/cli/dist/index.js',
        '--pack',
        'npm',
        '--ignore-rules',
        'cjs-resolves-to-esm',
        '--exclude-entrypoints',
        './tpgate.wasm',
        './tpgate-gateway.wasm',
        './tpgate-platform.wasm',
        './tpgate-codec.wasm',
        './tpgate-emulator.wasm',
      ),
    ],
  },
  // The hand-written .d.ts against files that use the whole API of every entry
  // (strict tsc), under each module resolution a user's project may have:
  // NodeNext (tsconfig.json), Node16 and Bundler.
  types: {
    name: 'types',
    needs: ['bootstrap'],
    commands: () =>
      ['tsconfig.json', 'tsconfig.node16.json', 'tsconfig.bundler.json'].map((config) =>
        cmd(process.execPath, 'node_modules/typescript/bin/tsc', '-p', `tests/types/${config}`, '--noEmit'),
      ),
  },
  fuzz: {
    name: 'fuzz',
    needs: ['bootstrap'],
    commands: () => [
      cmd('bash', 'scripts/fuzz.sh', '20'),
      cmd('bash', 'scripts/fuzz.sh', '10', 'fuzz_gateway_payload'),
      cmd('bash', 'scripts/fuzz.sh', '10', 'fuzz_scenario'),
      cmd('bash', 'scripts/fuzz.sh', '10', 'fuzz_script_json'),
      cmd('bash', 'scripts/fuzz.sh', '10', 'fuzz_session_store'),
    ],
  },
  bench: {
    name: 'bench',
    needs: ['build:wasm'],
    // Side by side with MQTT.js and mqtt-packet; reports ratios, fails on no goal.
    commands: () => [cmd(process.execPath, 'bench/run.mjs', ...process.argv.slice(3))],
  },
  // The dashboard's overview under a big fleet (tests/e2e/dashboard-load.test.js
  // with 10,000 gateways for 60 s; TPGATE_LOAD_* override, as there).
  'load:dashboard': {
    name: 'load:dashboard',
    needs: ['build:wasm', 'build:web'],
    interactive: true,
    commands: () => [cmd(process.execPath, 'scripts/load-dashboard.mjs')],
  },
  // The demo runs until Ctrl-C, in the foreground: its output and the
  // terminal go straight to it, and this runner waits for it to stop.
  demo: {
    name: 'demo',
    needs: ['build:wasm'],
    interactive: true,
    commands: () => [cmd(process.execPath, 'npm/bin/tpgate.js', 'demo', ...process.argv.slice(3))],
  },
};

const TASKS = {
  test: ['doc-refs', 'bootstrap', 'build:native', 'ctest:native', 'build:wasm', 'build:web', 'package-lint', 'test:js', 'types', 'build:asan', 'ctest:asan', 'fuzz', 'test:e2e'],
  'test:cpp': ['bootstrap', 'build:native', 'ctest:native', 'build:asan', 'ctest:asan'],
  'test:js': ['bootstrap', 'build:wasm', 'build:web', 'test:js'],
  types: ['bootstrap', 'types'],
  'test:e2e': ['bootstrap', 'build:wasm', 'build:web', 'test:e2e'],
  build: ['bootstrap', 'build:native', 'build:wasm', 'build:web'],
  start: ['bootstrap', 'build:wasm', 'build:web', 'demo'],
  bench: ['bootstrap', 'build:wasm', 'bench'],
  'load:dashboard': ['bootstrap', 'build:wasm', 'build:web', 'load:dashboard'],
};

// --- helpers --------------------------------------------------------------------

function presetDir(preset) {
  return path.join(root, { native: 'build', asan: 'build-asan', wasm: 'build-wasm' }[preset]);
}

function testFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /\.test\.m?js$/.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

// "100% tests passed, 0 tests failed out of 312"
function ctestCounts(output) {
  const m = /(\d+) tests failed out of (\d+)/.exec(output);
  if (!m) return null;
  return { passed: Number(m[2]) - Number(m[1]), failed: Number(m[1]) };
}

// node --test ends with "# pass 12" / "# fail 0" (TAP) or "ℹ pass 12" (spec).
function nodeTestCounts(output) {
  const pass = /^(?:#|ℹ) pass (\d+)/m.exec(output);
  const fail = /^(?:#|ℹ) fail (\d+)/m.exec(output);
  // A test that hit its timeout is reported as cancelled, not failed: it failed all the same.
  const cancelled = /^(?:#|ℹ) cancelled (\d+)/m.exec(output);
  if (!pass || !fail) return null;
  return { passed: Number(pass[1]), failed: Number(fail[1]) + Number(cancelled?.[1] ?? 0) };
}

async function reportWasmSize() {
  const { readFile } = await import('node:fs/promises');
  const { gzipSync } = await import('node:zlib');
  const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
  // Three modules: tpgate (MQTT only, for connect()), tpgate-gateway (MQTT
  // plus the ThingsPanel roles, for connectGateway() / connectPlatform()) and
  // tpgate-emulator (all that plus the virtual gateway fleet, for createEmulator()).
  for (const name of ['tpgate', 'tpgate-gateway', 'tpgate-emulator']) {
    const files = [`npm/dist/${name}.wasm`, `npm/dist/${name}.mjs`];
    const sizes = await Promise.all(files.map(async (f) => {
      const bytes = await readFile(f);
      return { f, raw: bytes.length, gz: gzipSync(bytes, { level: 9 }).length };
    }));
    for (const s of sizes) console.log(`  ${s.f}: ${kb(s.raw)}, gzipped ${kb(s.gz)}`);
    console.log(`  ${name}: wasm + glue gzipped: ${kb(sizes.reduce((a, s) => a + s.gz, 0))}`);
  }
}

// Runs one command, streaming its output; resolves with the exit code and the
// output's tail (enough for the runners' summary lines).
function run(argv) {
  return new Promise((resolve) => {
    // The wasm preset sets NODE_PATH=/usr/share/nodejs for em++ itself.
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const keep = (chunk) => {
      tail = (tail + chunk.toString()).slice(-64 * 1024);
    };
    child.stdout.on('data', (c) => {
      process.stdout.write(c);
      keep(c);
    });
    child.stderr.on('data', (c) => {
      process.stderr.write(c);
      keep(c);
    });
    child.on('error', (err) => {
      console.error(`cannot run ${argv[0]}: ${err.message}`);
      resolve({ code: 127, tail });
    });
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), tail }));
  });
}

// Runs a long-lived command in the foreground. Ctrl-C reaches the child too
// (same process group); this runner ignores it and waits for the child's own
// clean stop, so nothing is left behind.
function runInteractive(argv) {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: 'inherit' });
    const ignore = () => {};
    // A SIGTERM sent to this runner alone (not the group) is passed on.
    const forward = () => child.kill('SIGTERM');
    process.on('SIGINT', ignore);
    process.on('SIGTERM', forward);
    const done = (result) => {
      process.off('SIGINT', ignore);
      process.off('SIGTERM', forward);
      resolve(result);
    };
    child.on('error', (err) => {
      console.error(`cannot run ${argv[0]}: ${err.message}`);
      done({ code: 127, tail: '' });
    });
    child.on('close', (code, signal) => done({ code: code ?? (signal ? 128 : 1), tail: '' }));
  });
}

function seconds(ms) {
  const s = ms / 1000;
  return s < 60 ? `${s.toFixed(1)}s` : `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
}

// --- main -----------------------------------------------------------------------

async function main(task) {
  const names = TASKS[task];
  if (!names) {
    console.error(`unknown task '${task}'; tasks: ${Object.keys(TASKS).join(', ')}`);
    return 2;
  }
  const started = Date.now();
  const results = [];
  const status = new Map();  // stage name -> 'ok' | 'FAILED' | 'skipped'

  for (const [i, name] of names.entries()) {
    const stage = STAGES[name];
    const blocked = (stage.needs ?? []).filter((n) => names.includes(n) && status.get(n) !== 'ok');
    const header = `==> [${i + 1}/${names.length}] ${name}`;
    if (blocked.length > 0) {
      console.log(`\n${header}: skipped (needs ${blocked.join(', ')})`);
      status.set(name, 'skipped');
      results.push({ name, state: 'skipped', ms: 0 });
      continue;
    }
    const t0 = Date.now();
    let state = 'ok';
    let counts = null;
    let failedCommand = null;
    for (const argv of stage.commands()) {
      if (typeof argv === 'string') {
        console.log(`\n${header}\n${argv}`);
        continue;
      }
      console.log(`\n${header}: ${argv.map((a) => (a === process.execPath ? 'node' : a)).join(' ')}`);
      const { code, tail } = stage.interactive ? await runInteractive(argv) : await run(argv);
      if (stage.counts) counts = stage.counts(tail) ?? counts;
      if (code !== 0) {
        state = 'FAILED';
        failedCommand = `${argv.join(' ')} exited with ${code}`;
        break;
      }
    }
    if (state === 'ok' && stage.after) await stage.after();
    const ms = Date.now() - t0;
    status.set(name, state);
    results.push({ name, state, ms, counts, failedCommand });
    if (state !== 'ok') console.error(`\n${header}: FAILED (${failedCommand})`);
  }

  const width = Math.max(...results.map((r) => r.name.length));
  const label = task === 'start' || task === 'test' ? `npm ${task}` : `npm run ${task}`;
  console.log(`\n==> summary of ${label}`);
  let passed = 0;
  let failed = 0;
  let counted = false;
  for (const r of results) {
    let line = `  ${r.name.padEnd(width)}  ${r.state.padEnd(7)}  ${seconds(r.ms).padStart(7)}`;
    if (r.counts) {
      counted = true;
      passed += r.counts.passed;
      failed += r.counts.failed;
      line += `  ${r.counts.passed} passed, ${r.counts.failed} failed`;
    }
    console.log(line);
  }
  console.log(`  total ${seconds(Date.now() - started)}`);
  if (counted) console.log(`tests: ${passed} passed, ${failed} failed`);
  const bad = results.filter((r) => r.state !== 'ok');
  if (bad.length > 0) {
    const failedStages = bad.filter((r) => r.state === 'FAILED').map((r) => r.name);
    console.error(`\n${label} FAILED at stage${failedStages.length > 1 ? 's' : ''}: ${failedStages.join(', ')}`);
  }
  return bad.length > 0 ? 1 : 0;
}

process.exitCode = await main(process.argv[2] ?? 'test');
