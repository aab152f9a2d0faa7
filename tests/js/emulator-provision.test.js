// Provisioning (docs/scenario.md "Provisioning") against a real node:http
// server that answers POST /api/v1/device/auth as the ThingsPanel backend
// does (the {code, message, data} envelope, a voucher as JSON text, codes
// 200080-200086), and a real aedes broker that admits only the vouchers the
// server handed out.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { createEmulator } from '../../npm/src/emulator-node.js';
import { ProvisionError, provision, provisionLevels } from '../../npm/src/provision.js';
import { startAedes } from './helpers/aedes.js';

const SECRET = 'template-secret-1';
const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../npm/bin/tpgate.js');

/** Runs `tpgate ...` to its end: {code, stdout, stderr}. */
function runCli(args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * The platform's registration endpoint. `hooks.before(body, n)` may answer
 * first: {status, json}; `hooks.hold` (a number k, with `hooks.total` the
 * requests to expect) keeps responses until k requests are in flight (or
 * every remaining one is).
 */
async function startPlatform(hooks = {}) {
  const devices = new Map(); // device_number -> {device_id, voucher, parent, addr}
  const state = { requests: 0, completed: 0, inFlight: 0, maxInFlight: 0, perDevice: new Map(), bodies: [] };
  let held = [];
  const release = () => {
    const list = held;
    held = [];
    for (const fn of list) fn();
  };
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      state.requests++;
      state.inFlight++;
      state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
      const send = (status, json) => {
        state.inFlight--;
        state.completed++;
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      if (req.method !== 'POST' || req.url !== '/api/v1/device/auth') return send(404, { code: 404, message: 'not found' });
      const body = JSON.parse(text);
      state.bodies.push(body);
      const n = (state.perDevice.get(body.device_number) ?? 0) + 1;
      state.perDevice.set(body.device_number, n);
      const answer = () => {
        const early = hooks.before?.(body, n);
        if (early) return send(early.status, early.json);
        if (body.template_secret !== SECRET) return send(400, { code: 200080, message: 'template does not exist' });
        if (devices.has(body.device_number)) return send(400, { code: 200082, message: 'device already exists' });
        if (body.parent_device_number !== undefined && !devices.has(body.parent_device_number)) {
          return send(400, { code: 200085, message: 'parent device does not exist' });
        }
        const voucher = JSON.stringify({ username: randomUUID(), password: randomUUID().slice(0, 7) });
        const device = { device_id: randomUUID(), voucher, parent: body.parent_device_number, addr: body.sub_device_addr };
        devices.set(body.device_number, device);
        return send(200, { code: 200, message: 'success', data: { device_id: device.device_id, voucher } });
      };
      if (hooks.hold) {
        held.push(answer);
        const remaining = hooks.total - state.completed;
        // Full: answer a moment later, so that a client over its limit would have sent more by then.
        if (held.length >= Math.min(hooks.hold, remaining)) setTimeout(release, 30);
      } else {
        answer();
      }
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    devices,
    state,
    stop: () => new Promise((r) => server.close(r)),
  };
}

let broker;
let platform; // the one the broker admits vouchers of
let dir;
before(async () => {
  platform = await startPlatform();
  broker = await startAedes({
    brokerOptions: {
      authenticate(client, username, password, done) {
        for (const d of platform.devices.values()) {
          const v = JSON.parse(d.voucher);
          if (v.username === username && v.password === password?.toString()) return done(null, true);
        }
        const err = new Error('bad voucher');
        err.returnCode = 4;
        return done(err, false);
      },
    },
  });
  dir = await mkdtemp(path.join(os.tmpdir(), 'tpgate-provision-'));
});
after(async () => {
  await broker?.stop();
  await platform?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const SCENARIO = {
  gateways: { count: 3, device_number: 'pgw-{i}' },
  gateway: {
    telemetry_interval_s: 0,
    sub_devices: { s1: {} },
    sub_gateways: { g1: { sub_devices: { s2: {} } } },
  },
};

test('gateways and their sub-devices register parents first, vouchers are kept, the fleet connects with them; a rerun registers nothing', async () => {
  const vouchersFile = path.join(dir, 'vouchers.json');
  const scenario = { ...SCENARIO, provision: { api_url: platform.url, template_secret: SECRET, sub_devices: true, vouchers_file: vouchersFile } };
  const progress = [];
  const emu = await createEmulator(scenario, { url: broker.tcpUrl, provision: { onProgress: (p) => progress.push(p) } });
  try {
    // 3 gateways, and under each: s1, g1 and g1's s2.
    assert.equal(platform.state.requests, 12);
    assert.deepEqual(emu.provisioned && [emu.provisioned.registered, emu.provisioned.skipped], [12, 0]);
    const sub = platform.state.bodies.find((b) => b.device_number === 'pgw-1_g1_s2');
    assert.deepEqual(sub, { template_secret: SECRET, device_number: 'pgw-1_g1_s2', sub_device_addr: 's2', parent_device_number: 'pgw-1_g1' });
    const order = platform.state.bodies.map((b) => b.device_number);
    assert.ok(order.indexOf('pgw-2') < order.indexOf('pgw-2_g1') && order.indexOf('pgw-2_g1') < order.indexOf('pgw-2_g1_s2'), order.join(' '));
    assert.deepEqual(progress.at(-1), { done: 12, total: 12, registered: 12, skipped: 0, failed: 0 });

    const saved = JSON.parse(await readFile(vouchersFile, 'utf8'));
    assert.equal(Object.keys(saved).length, 12);
    for (let i = 0; i < 3; i++) {
      const info = emu.gateway(i);
      const voucher = JSON.parse(platform.devices.get(info.device_number).voucher);
      assert.equal(info.username, voucher.username);
      assert.equal(info.password, voucher.password);
      assert.equal(saved[info.device_number].device_id, platform.devices.get(info.device_number).device_id);
    }
    await emu.start();
    await emu.waitConnected(3, { timeout: 10_000 });
  } finally {
    await emu.stop();
  }

  const again = await createEmulator(scenario, { url: broker.tcpUrl });
  try {
    assert.equal(platform.state.requests, 12, 'the rerun sent no registration');
    assert.deepEqual([again.provisioned.registered, again.provisioned.skipped], [0, 12]);
    await again.start();
    await again.waitConnected(3, { timeout: 10_000 });
  } finally {
    await again.stop();
  }
});

test("a platform error (4xx with the platform's code) is reported with the code and what to do, and not retried", async () => {
  const p = await startPlatform();
  try {
    await assert.rejects(
      createEmulator({ ...SCENARIO, provision: { api_url: p.url, template_secret: 'wrong', retries: 5 } }, { url: broker.tcpUrl }),
      (err) => {
        assert.ok(err instanceof ProvisionError, err.stack);
        assert.equal(err.code, 'ERR_PROVISION');
        assert.equal(err.platformCode, 200080);
        assert.match(err.message, /3 of 3 devices could not be registered/);
        assert.match(err.message, /pgw-1: the platform refused the registration with code 200080 \(template does not exist\)/);
        assert.match(err.message, /template_secret/);
        return true;
      },
    );
    assert.equal(p.state.requests, 3, 'one request per device');
    // An existing device without a voucher on file: 200082, told as such.
    p.devices.set('pgw-1', { device_id: 'x', voucher: '{"username":"u"}' });
    await assert.rejects(
      provision({ apiUrl: p.url, templateSecret: SECRET, levels: provisionLevels(['pgw-1'], {}, false) }),
      (err) => err.platformCode === 200082 && /already exists/.test(err.message) && /vouchers file/.test(err.message),
    );
  } finally {
    await p.stop();
  }
});

test('5xx and refused connections are retried with backoff until they succeed, or given up after `retries`', async () => {
  const p = await startPlatform({ before: (body, n) => (n <= 2 ? { status: 503, json: { code: 500, message: 'busy' } } : null) });
  try {
    const result = await provision({ apiUrl: p.url, templateSecret: SECRET, levels: provisionLevels(['a', 'b'], {}, false), retries: 2, baseDelayMs: 5 });
    assert.equal(result.registered, 2);
    assert.deepEqual([...p.state.perDevice.values()], [3, 3]);
    assert.ok(result.vouchers.a.username && result.vouchers.b.username);
    await assert.rejects(
      provision({ apiUrl: p.url, templateSecret: SECRET, levels: provisionLevels(['c'], {}, false), retries: 1, baseDelayMs: 5 }),
      (err) => err instanceof ProvisionError && /HTTP 503 \(busy\) \(gave up after 2 attempts\)/.test(err.message),
    );
  } finally {
    await p.stop();
  }
  // Nothing listens there any more: a network error, retried, then reported.
  await assert.rejects(
    provision({ apiUrl: p.url, templateSecret: SECRET, levels: provisionLevels(['d'], {}, false), retries: 1, baseDelayMs: 5 }),
    (err) => err instanceof ProvisionError && /d: cannot reach .*\(gave up after 2 attempts\)/.test(err.message),
  );
});

test('no more than `concurrency` registrations are in flight at once', async () => {
  const total = 20;
  const p = await startPlatform({ hold: 3, total });
  try {
    const names = Array.from({ length: total }, (_, i) => `c-${i}`);
    const result = await provision({ apiUrl: p.url, templateSecret: SECRET, levels: provisionLevels(names, {}, false), concurrency: 3 });
    assert.equal(result.registered, total);
    assert.equal(p.state.maxInFlight, 3);
  } finally {
    await p.stop();
  }
});

test('a vouchers store given by the caller (as in a browser) is read first and written after registering', async () => {
  const p = await startPlatform();
  try {
    const writes = [];
    const store = { read: async () => ({ 'pgw-1': { device_id: 'known', username: 'u-known' } }), write: async (v) => writes.push(v) };
    const emu = await createEmulator(SCENARIO, { url: broker.tcpUrl, provision: { apiUrl: p.url, templateSecret: SECRET, vouchers: store } });
    try {
      assert.deepEqual(p.state.bodies.map((b) => b.device_number).sort(), ['pgw-2', 'pgw-3']);
      assert.equal(emu.gateway(0).username, 'u-known');
      assert.equal(emu.gateway(0).password, null);
      assert.deepEqual(Object.keys(writes.at(-1)).sort(), ['pgw-1', 'pgw-2', 'pgw-3']);
    } finally {
      await emu.stop();
    }
  } finally {
    await p.stop();
  }
});

test('provisioning settings are checked before anything is sent', async () => {
  await assert.rejects(
    createEmulator({ ...SCENARIO, provision: { api_url: 'ftp://x', template_secret: 's' } }, { url: broker.tcpUrl }),
    (err) => err.code === 'ERR_INVALID_SCENARIO' && /\$\.provision\.api_url/.test(err.message),
  );
  await assert.rejects(
    createEmulator(SCENARIO, { url: broker.tcpUrl, provision: { apiUrl: 'http://127.0.0.1:1' } }),
    (err) => err.code === 'ERR_INVALID_OPTION' && /template secret/.test(err.message),
  );
});

test('tpgate emulate --provision-url --template-secret --vouchers: registers, shows progress, connects; a refusal exits 1 with the reason', async () => {
  const p = await startPlatform();
  try {
    const file = path.join(dir, 'cli-scenario.json');
    const vouchers = path.join(dir, 'cli-vouchers.json');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(file, JSON.stringify({ gateways: { count: 2, device_number: 'cli-{i}' }, gateway: { telemetry_interval_s: 0 } }));
    const ok = await runCli(['emulate', file, '--url', broker.tcpUrl, '--provision-url', p.url, '--template-secret', SECRET, '--vouchers', vouchers, '--duration', '0.5']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /registering 2\/2 \(registered 2, already known 0, failed 0\)/);
    assert.deepEqual(Object.keys(JSON.parse(await readFile(vouchers, 'utf8'))).sort(), ['cli-1', 'cli-2']);
    assert.equal(p.state.requests, 2);

    const refused = await runCli(['emulate', file, '--url', broker.tcpUrl, '--provision-url', p.url, '--template-secret', 'nope', '--duration', '0.5']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /registration failed: .*code 200080/s);

    const usage = await runCli(['emulate', file, '--url', broker.tcpUrl, '--vouchers', vouchers]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--provision-url|api_url/);
  } finally {
    await p.stop();
  }
});
