// The npm package as users get it: what `npm pack` ships, and which loader
// each environment gets through the "exports" conditions.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// Runs an ES module snippet in a fresh Node (its own module cache) from the
// repository root, where `tpgate` resolves to the npm/ workspace.
async function node(args, source) {
  const { stdout } = await run(process.execPath, [...args, '--input-type=module', '-e', source], { cwd: root });
  return JSON.parse(stdout);
}

test('npm pack ships the built wasm, the loaders, the types, the CLI, the dashboard, the README and the LICENSE, and nothing else', async () => {
  const { stdout } = await run('npm', ['pack', '--dry-run', '--json'], { cwd: path.join(root, 'npm') });
  const files = JSON.parse(stdout)[0].files.map((f) => f.path);
  for (const expected of [
    'dist/tpgate.mjs',
    'dist/tpgate.wasm',
    'dist/tpgate-gateway.mjs',
    'dist/tpgate-gateway.wasm',
    'dist/tpgate-platform.mjs',
    'dist/tpgate-platform.wasm',
    'dist/tpgate-emulator.mjs',
    'dist/tpgate-emulator.wasm',
    'bin/tpgate.js',
    'dashboard/index.html',
    'src/module.js',
    'src/index-node.js',
    'src/index-browser.js',
    'types/index.d.ts',
    'types/gateway.d.ts',
    'types/platform.d.ts',
    'types/codec.d.ts',
    'dist/tpgate-codec.wasm',
    'types/emulator.d.ts',
    'types/broker.d.ts',
    'package.json',
    'README.md',
    'LICENSE',
    // For resolvers that ignore "exports": 'tpgate/gateway' -> gateway/package.json, ...
    'gateway/package.json',
    'platform/package.json',
    'codec/package.json',
    'emulator/package.json',
    'broker/package.json',
  ]) {
    assert.ok(files.includes(expected), `${expected} missing from ${files.join(', ')}`);
  }
  const stray = files.filter(
    (f) => !/^(dist|src|types|bin|dashboard)\/|^(gateway|platform|emulator|codec|broker)\/package\.json$|^(package\.json|README\.md|LICENSE)$/.test(f),
  );
  assert.deepEqual(stray, []);
});

test('Node gets the file-reading loader; locateFile says where the .wasm is', async () => {
  const result = await node(
    [],
    `import { loadTpgate } from 'tpgate';
     const asked = [];
     const tpgate = await loadTpgate({ locateFile: (f) => { asked.push(f); return 'npm/dist/' + f; } });
     console.log(JSON.stringify({
       entry: import.meta.resolve('tpgate'),
       asked,
       session: typeof tpgate.ClientSession,
     }));`,
  );
  assert.match(result.entry, /npm\/src\/index-node\.js$/);
  assert.deepEqual(result.asked, ['tpgate.wasm']);
  assert.equal(result.session, 'function');
});

test('each entry loads its own module: MQTT only, the gateway role, the platform role', async () => {
  const result = await node(
    [],
    `import { loadTpgate } from 'tpgate';
     import { loadTpgateGateway } from 'tpgate/gateway';
     import { loadTpgatePlatform } from 'tpgate/platform';
     const asked = [];
     const locateFile = (f) => { asked.push(f); return 'npm/dist/' + f; };
     const mqtt = await loadTpgate({ locateFile });
     const gateway = await loadTpgateGateway({ locateFile });
     const platform = await loadTpgatePlatform({ locateFile });
     const roles = (m) => [typeof m.ClientSession, typeof m.GatewayRole, typeof m.PlatformRole];
     console.log(JSON.stringify({
       asked,
       distinct: new Set([mqtt, gateway, platform]).size,
       cached: (await loadTpgateGateway()) === gateway && (await loadTpgatePlatform()) === platform,
       mqtt: roles(mqtt),
       gateway: roles(gateway),
       platform: roles(platform),
     }));`,
  );
  assert.deepEqual(result.asked, ['tpgate.wasm', 'tpgate-gateway.wasm', 'tpgate-platform.wasm']);
  assert.equal(result.distinct, 3);
  assert.equal(result.cached, true);
  assert.deepEqual(result.mqtt, ['function', 'undefined', 'undefined']);
  assert.deepEqual(result.gateway, ['function', 'function', 'undefined']);
  assert.deepEqual(result.platform, ['function', 'undefined', 'function']);
});

test('the "browser" condition loads the gateway module from wasmBinary too', async () => {
  const result = await node(
    ['--conditions=browser'],
    `import { readFile } from 'node:fs/promises';
     import { loadTpgateGateway } from 'tpgate/gateway';
     const full = await loadTpgateGateway({ wasmBinary: await readFile('npm/dist/tpgate-gateway.wasm') });
     console.log(JSON.stringify({ ok: typeof full.GatewayRole === 'function' && typeof full.ClientSession === 'function' }));`,
  );
  assert.equal(result.ok, true);
});

test('the "browser" condition gets the embedded-bytes loader, which also takes wasmBinary', async () => {
  const result = await node(
    ['--conditions=browser'],
    `import { readFile } from 'node:fs/promises';
     import { loadTpgateCodec } from 'tpgate/codec';
     const tpgate = await loadTpgateCodec({ wasmBinary: await readFile('npm/dist/tpgate-codec.wasm') });
     console.log(JSON.stringify({
       entry: import.meta.resolve('tpgate/codec'),
       bytes: [...tpgate.encodePacket({ type: 'pingresp' }, 4).bytes],
     }));`,
  );
  assert.match(result.entry, /npm\/src\/codec-browser\.js$/);
  assert.deepEqual(result.bytes, [0xd0, 0x00]);
});

test('a failed load rejects, and the next call may try again', async () => {
  const result = await node(
    [],
    `import { loadTpgate } from 'tpgate';
     let error = null;
     try { await loadTpgate({ locateFile: () => '/nonexistent/tpgate.wasm' }); } catch (e) { error = e.code ?? e.message; }
     const tpgate = await loadTpgate();
     console.log(JSON.stringify({ error, ok: typeof tpgate.ClientSession === 'function' }));`,
  );
  assert.equal(result.error, 'ENOENT');
  assert.equal(result.ok, true);
});
