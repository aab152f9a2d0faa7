// The dev broker's HTTP API in ThingsPanel mode (docs/broker.md#http-api):
// self-registration with a configuration's template_secret, then an MQTT
// connect with the voucher it returns and a publish enveloped with the new
// device_id; sub-devices under a registered parent; gateway registration; the
// device table (GET /api/v1/tpgate/devices); a restart keeping registered
// devices; every bad request answered with the platform's code and a reason,
// the broker going on; and the CLI's `api:` line.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startBroker } from 'tpgate/broker';
import { collector, envelopeOf, mqttConnect } from './helpers/devbroker.js';
import { apiGet, apiPost } from './helpers/http-api.js';

const TIMEOUT = { timeout: 30_000 };
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = path.join(ROOT, 'npm/bin/tpgate.js');
const ROOT_PW = 'root-pw';

const CONFIG = {
  configurations: [
    { id: 'gw-cfg', name: 'Custom gateway', device_type: '2', template_secret: 'gw-secret', auto_register: true },
    { id: 'sub-cfg', name: 'Sensor', device_type: '3', template_secret: 'sub-secret', auto_register: true },
    { id: 'basic-cfg', name: 'Basic', device_type: '1', voucher_type: 'BASIC', template_secret: 'basic-secret', auto_register: true },
    { id: 'closed-cfg', name: 'Closed', template_secret: 'closed-secret', auto_register: false },
  ],
  devices: [
    { device_id: 'pre-1', device_number: 'pre-gw', username: 'pre-user', configuration: 'gw-cfg' },
  ],
};

let dir;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tpgate-register-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function brokerWithFile(name, content = CONFIG) {
  const file = path.join(dir, name);
  await writeFile(file, JSON.stringify(content, null, 2));
  const lines = [];
  const broker = await startBroker({ tcpPort: 0, wsPort: null, thingspanel: file, rootPassword: ROOT_PW, log: (l) => lines.push(l) });
  return { broker, file, lines, api: broker.urls.api };
}

const auth = (api, body) => apiPost(api, '/api/v1/device/auth', body);

describe('self-registration (POST /api/v1/device/auth)', () => {
  test('register -> connect with the voucher -> publish arrives enveloped with the new device_id', TIMEOUT, async () => {
    const { broker, api } = await brokerWithFile('flow.json');
    try {
      assert.match(api, /^http:\/\/127\.0\.0\.1:\d+$/);
      const r = await auth(api, { template_secret: 'gw-secret', device_number: 'new-gw', device_name: 'Yard gateway' });
      assert.equal(r.status, 200);
      assert.equal(r.body.code, 200);
      assert.equal(r.body.message, 'Success');
      const { device_id: deviceId, voucher } = r.body.data;
      assert.match(deviceId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.equal(typeof voucher, 'string', 'the voucher is a JSON string, as the platform returns it');
      const v = JSON.parse(voucher);
      assert.deepEqual(Object.keys(v), ['username']);
      assert.equal(voucher, `{"username":"${v.username}"}`);

      const root = await mqttConnect(broker.urls.tcp, { username: 'root', password: ROOT_PW });
      await root.subscribeAsync('gateway/telemetry', { qos: 1 });
      const inbox = collector(root);
      const gw = await mqttConnect(broker.urls.tcp, { username: v.username });
      await gw.publishAsync('gateway/telemetry', '{"gateway_data":{"t":1}}', { qos: 1 });
      const [m] = await inbox.next(1);
      assert.equal(m.payload.toString(), envelopeOf(deviceId, '{"gateway_data":{"t":1}}'));

      const table = await apiGet(api, '/api/v1/tpgate/devices');
      const row = table.body.data.devices.find((d) => d.device_number === 'new-gw');
      assert.deepEqual(
        { ...row },
        { device_id: deviceId, device_number: 'new-gw', name: 'Yard gateway', type: 'gateway', configuration: 'gw-cfg', registered: true, connected_ever: true, online: true },
      );
      const pre = table.body.data.devices.find((d) => d.device_number === 'pre-gw');
      assert.equal(pre.registered, false);
      assert.equal(pre.connected_ever, false, 'a device that never connected shows as not yet active');
      assert.equal(pre.online, false);
      await gw.endAsync();
      const deadline = Date.now() + 5000;
      for (;;) {
        const now = (await apiGet(api, '/api/v1/tpgate/devices')).body.data.devices.find((d) => d.device_number === 'new-gw');
        if (!now.online) {
          assert.equal(now.connected_ever, true, 'still connected once after going away');
          break;
        }
        assert.ok(Date.now() < deadline, 'online turns false once the device has gone');
        await new Promise((r) => setTimeout(r, 25));
      }
      await root.endAsync();
    } finally {
      await broker.close();
    }
  });

  test('a BASIC configuration gives username and a 7-character password; the pair connects', TIMEOUT, async () => {
    const { broker, api } = await brokerWithFile('basic.json');
    try {
      const r = await auth(api, { template_secret: 'basic-secret', device_number: 'meter-1' });
      assert.equal(r.body.code, 200);
      const v = JSON.parse(r.body.data.voucher);
      assert.deepEqual(Object.keys(v), ['username', 'password']);
      assert.equal(v.password.length, 7);
      const c = await mqttConnect(broker.urls.tcp, v);
      await c.endAsync();
      await assert.rejects(mqttConnect(broker.urls.tcp, { username: v.username }), /Bad username or password/);
    } finally {
      await broker.close();
    }
  });

  test('a sub-device registers under its parent; unknown parent, missing fields and a taken address are refused', TIMEOUT, async () => {
    const { broker, api } = await brokerWithFile('sub.json');
    try {
      const missing = await auth(api, { template_secret: 'sub-secret', device_number: 's-0' });
      assert.equal(missing.body.code, 200084);
      assert.match(missing.body.message, /send both sub_device_addr and parent_device_number/);
      const orphan = await auth(api, { template_secret: 'sub-secret', device_number: 's-0', sub_device_addr: '1', parent_device_number: 'nope' });
      assert.equal(orphan.body.code, 200085);
      assert.match(orphan.body.message, /no device has device_number "nope"; register the parent gateway first/);

      const ok = await auth(api, { template_secret: 'sub-secret', device_number: 's-1', sub_device_addr: 'addr-1', parent_device_number: 'pre-gw' });
      assert.equal(ok.body.code, 200);
      const again = await auth(api, { template_secret: 'sub-secret', device_number: 's-2', sub_device_addr: 'addr-1', parent_device_number: 'pre-gw' });
      assert.equal(again.body.code, 200086);
      assert.match(again.body.message, /already has a sub-device at address "addr-1"/);

      const table = await apiGet(api, '/api/v1/tpgate/devices');
      const sub = table.body.data.devices.find((d) => d.device_number === 's-1');
      assert.equal(sub.parent_device_number, 'pre-gw');
      assert.equal(sub.sub_device_addr, 'addr-1');
      assert.equal(sub.type, 'sub-device');
      assert.equal(sub.configuration, 'sub-cfg');
      assert.equal(table.body.data.devices.filter((d) => d.device_number === 's-2').length, 0);
    } finally {
      await broker.close();
    }
  });

  test('a restart keeps registered devices (written back to the file), and they still connect', TIMEOUT, async () => {
    const first = await brokerWithFile('restart.json');
    let voucher;
    let deviceId;
    try {
      const r = await auth(first.api, { template_secret: 'gw-secret', device_number: 'kept-gw' });
      ({ device_id: deviceId } = r.body.data);
      voucher = JSON.parse(r.body.data.voucher);
    } finally {
      await first.broker.close();
    }
    const written = JSON.parse(await readFile(first.file, 'utf8'));
    assert.deepEqual(written.configurations, CONFIG.configurations, 'the configurations are written back unchanged');
    assert.equal(written.devices.length, 2);
    assert.deepEqual(written.devices[1], {
      device_id: deviceId, device_number: 'kept-gw', type: 'gateway', username: voucher.username, name: 'Device_kept-gw', configuration: 'gw-cfg', registered: true,
    });
    const lines = [];
    const again = await startBroker({ tcpPort: 0, wsPort: null, thingspanel: first.file, rootPassword: ROOT_PW, log: (l) => lines.push(l) });
    try {
      const c = await mqttConnect(again.urls.tcp, { username: voucher.username });
      await c.endAsync();
      assert.ok(lines.some((l) => l.includes(`as device kept-gw (device_id ${deviceId}`)), lines.join('\n'));
      const twice = await auth(again.urls.api, { template_secret: 'gw-secret', device_number: 'kept-gw' });
      assert.equal(twice.body.code, 200082, 'registering the same device_number again is refused, as the platform does');
      assert.match(twice.body.message, /^Device already exists: device_number "kept-gw" is already in the device table/);
    } finally {
      await again.close();
    }
  });
});

describe('bad registration requests: the platform code and a reason, the broker goes on', () => {
  let b;
  before(async () => {
    b = await brokerWithFile('bad.json');
  });
  after(async () => {
    await b.broker.close();
  });

  test('not JSON, not an object, missing fields, wrong types, too long', TIMEOUT, async () => {
    const cases = [
      ['{"template_secret": ', /the body is not JSON/],
      ['[1, 2]', /the body must be a JSON object .* got an array/],
      [{}, /template_secret is required/],
      [{ template_secret: 'gw-secret' }, /device_number is required/],
      [{ template_secret: 'gw-secret', device_number: '' }, /device_number is required \(a non-empty string\), got ""/],
      [{ template_secret: 42, device_number: 'x' }, /template_secret must be a string, got 42/],
      [{ template_secret: 'gw-secret', device_number: 'x', device_name: ['n'] }, /device_name must be a string/],
      [{ template_secret: 'gw-secret', device_number: 'x'.repeat(256) }, /device_number must be at most 255 characters, got 256/],
      [{ template_secret: 'gw-secret', device_number: 'a/b' }, /device_number must not contain '\/', '\+' or '#'/],
    ];
    for (const [body, pattern] of cases) {
      const r = await auth(b.api, body);
      assert.equal(r.status, 200, JSON.stringify(body));
      assert.equal(r.body.code, 100002, JSON.stringify(body));
      assert.match(r.body.message, /^Parameter Validation Failed: /);
      assert.match(r.body.message, pattern);
      assert.equal(r.body.data, undefined);
    }
  });

  test('an oversize body is refused with HTTP 413', TIMEOUT, async () => {
    const r = await auth(b.api, { template_secret: 'gw-secret', device_number: 'big', device_name: 'x'.repeat(70 * 1024) });
    assert.equal(r.status, 413);
    assert.equal(r.body.code, 100002);
    assert.match(r.body.message, /at most 65536 are accepted|over 65536 bytes/);
  });

  test('wrong secret 200080, auto_register off 200081, a product_key 200083', TIMEOUT, async () => {
    const wrong = await auth(b.api, { template_secret: 'nope', device_number: 'x1' });
    assert.deepEqual([wrong.body.code, wrong.body.message.split(':')[0]], [200080, 'Template secret does not exist']);
    const closed = await auth(b.api, { template_secret: 'closed-secret', device_number: 'x2' });
    assert.equal(closed.body.code, 200081);
    assert.match(closed.body.message, /configuration "closed-cfg" has auto_register off/);
    const product = await auth(b.api, { template_secret: 'gw-secret', device_number: 'x3', product_key: 'pk' });
    assert.equal(product.body.code, 200083);
  });

  test('the broker still registers and serves after all that', TIMEOUT, async () => {
    const r = await auth(b.api, { template_secret: 'gw-secret', device_number: 'after-bad' });
    assert.equal(r.body.code, 200);
    const c = await mqttConnect(b.broker.urls.tcp, JSON.parse(r.body.data.voucher));
    await c.endAsync();
    const table = await apiGet(b.api, '/api/v1/tpgate/devices');
    assert.deepEqual(table.body.data.devices.map((d) => d.device_number).sort(), ['after-bad', 'pre-gw']);
  });

  test('unknown path or method: 404 naming the endpoints; CORS preflight and headers', TIMEOUT, async () => {
    const r = await apiGet(b.api, '/api/v1/device/auth');
    assert.equal(r.status, 404);
    assert.match(r.body.message, /GET \/api\/v1\/device\/auth is not an endpoint .*POST \/api\/v1\/device\/auth/);
    const pre = await fetch(`${b.api}/api/v1/device/auth`, { method: 'OPTIONS', headers: { origin: 'http://page.example', 'access-control-request-method': 'POST' } });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), '*');
    assert.match(pre.headers.get('access-control-allow-methods'), /POST/);
    assert.match(pre.headers.get('access-control-allow-headers'), /content-type/);
    const ok = await auth(b.api, { template_secret: 'nope', device_number: 'x' });
    assert.equal(ok.headers.get('access-control-allow-origin'), '*');
  });
});

describe('gateway registration', () => {
  test('gateway-register gives mqtt_username/password/client_id; again returns the same; sub-register per address', TIMEOUT, async () => {
    const { broker, api, file } = await brokerWithFile('gw.json');
    try {
      const r = await apiPost(api, '/api/v1/device/gateway-register', { gateway_id: 'edge-7', tenant_id: 't1', model: 'Custom gateway' });
      assert.equal(r.body.code, 200);
      const { mqtt_username: user, mqtt_password: pass, mqtt_client_id: clientId } = r.body.data;
      assert.equal(user.length, 22);
      assert.equal(pass.length, 7);
      assert.match(clientId, /^[0-9a-f-]{36}$/);
      const again = await apiPost(api, '/api/v1/device/gateway-register', { gateway_id: 'edge-7', tenant_id: 't1', model: 'Custom gateway' });
      assert.deepEqual(again.body.data, r.body.data, 'a known gateway_id gets its voucher back');
      const c = await mqttConnect(broker.urls.tcp, { username: user, password: pass, clientId });
      await c.endAsync();

      const unknown = await apiPost(api, '/api/v1/device/gateway-sub-register', { type: 'sub-register', device_id: 'nope', registers: [{ sub_addr: '1' }] });
      assert.equal(unknown.body.code, 200);
      assert.equal(unknown.body.data.status, 'fail');
      assert.equal(unknown.body.data.registersRes, null);
      assert.match(unknown.body.data.message, /no device has device_id "nope"/);

      const subs = await apiPost(api, '/api/v1/device/gateway-sub-register', {
        type: 'sub-register', device_id: clientId, registers: [{ sub_addr: '1', model: 'Sensor', protocol: 'modbus' }, { sub_addr: '2' }],
      });
      assert.deepEqual(subs.body.data, {
        type: 'sub-register-response',
        status: 'success',
        message: 'success',
        registersRes: {
          1: { result: 0, errorcode: '', message: 'success', sub_addr: '1' },
          2: { result: 0, errorcode: '', message: 'success', sub_addr: '2' },
        },
      });
      const dup = await apiPost(api, '/api/v1/device/gateway-sub-register', { type: 'sub-register', device_id: clientId, registers: [{ sub_addr: '1' }] });
      assert.deepEqual(dup.body.data.registersRes['1'], { result: 1, errorcode: 'exists', message: '', sub_addr: '1' });
      const bad = await apiPost(api, '/api/v1/device/gateway-sub-register', { device_id: clientId, registers: 'x' });
      assert.equal(bad.body.code, 100002);
      assert.match(bad.body.message, /registers must be an array/);

      const table = (await apiGet(api, '/api/v1/tpgate/devices')).body.data.devices;
      const gw = table.find((d) => d.device_number === 'edge-7');
      assert.equal(gw.configuration, 'gw-cfg', 'model names the configuration, as on the platform');
      const kids = table.filter((d) => d.parent_device_number === 'edge-7');
      assert.deepEqual(kids.map((d) => [d.sub_device_addr, d.configuration]).sort(), [['1', 'sub-cfg'], ['2', null]]);
      await broker.close();
      const written = JSON.parse(await readFile(file, 'utf8'));
      assert.equal(written.devices.length, 4, 'the gateway and its two sub-devices are written back');
    } finally {
      await broker.close();
    }
  });
});

describe('CLI', () => {
  test('`tpgate broker --thingspanel FILE` prints an api line, and the API answers there', TIMEOUT, async () => {
    const file = path.join(dir, 'cli.json');
    await writeFile(file, JSON.stringify(CONFIG));
    const child = spawn(process.execPath, [BIN, 'broker', '--tcp', '0', '--ws', '0', '--thingspanel', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (c) => (stdout += c));
    const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 10_000;
      let api;
      while (!(api = /^ {2}api: +(http:\/\/\S+)/m.exec(stdout)?.[1])) {
        assert.ok(Date.now() < deadline, `no api line:\n${stdout}`);
        await new Promise((r) => setTimeout(r, 25));
      }
      assert.match(stdout, /1 device\(s\), 4 configuration\(s\)/);
      const r = await auth(api, { template_secret: 'gw-secret', device_number: 'cli-gw' });
      assert.equal(r.body.code, 200);
    } finally {
      child.kill('SIGINT');
    }
    assert.equal(await exited, 0);
    const written = JSON.parse(await readFile(file, 'utf8'));
    assert.ok(written.devices.some((d) => d.device_number === 'cli-gw'));
  });

  test('a bad configurations file exits 1 naming the path at fault', TIMEOUT, async () => {
    const file = path.join(dir, 'cli-bad.json');
    await writeFile(file, JSON.stringify({ configurations: [{ id: 'c', scripts: { telemetry_up: { file: 'nope.lua' } } }] }));
    const child = spawn(process.execPath, [BIN, 'broker', '--tcp', '0', '--ws', '0', '--thingspanel', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c) => (err += c));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    assert.equal(code, 1);
    assert.match(err, /cli-bad\.json: configurations\[0\]\.scripts\.telemetry_up\.file: cannot read "nope\.lua" \(ENOENT/);
  });

  test('--api-port off: no API; --api-port without --thingspanel is a usage error', TIMEOUT, async () => {
    const run = (args) => new Promise((resolve) => {
      const child = spawn(process.execPath, [BIN, 'broker', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      child.stderr.on('data', (c) => (err += c));
      child.once('exit', (code) => resolve({ code, err }));
    });
    const r = await run(['--api-port', '0']);
    assert.equal(r.code, 2);
    assert.match(r.err, /--api-port needs --thingspanel/);
    const broker = await startBroker({ tcpPort: 0, wsPort: null, thingspanel: CONFIG, apiPort: null, log: false });
    try {
      assert.equal(broker.urls.api, undefined);
      assert.equal(broker.apiPort, null);
    } finally {
      await broker.close();
    }
  });
});
