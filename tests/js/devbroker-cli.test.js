// `tpgate broker` (npm/src/cli/broker.js) as a child process: --help names
// every flag, a bad flag exits 2 with a message, a bad devices file exits 1
// naming the entry and field, a started broker prints working URLs, and
// SIGINT / SIGTERM stop it with exit code 0 and nothing left listening.
// This is the broker's share of `npm start` stopping cleanly on Ctrl-C.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { connect } from 'tpgate';
import { generateDevicesFile } from '../../npm/src/cli/broker.js';
import { collector, envelopeOf, mqttConnect, uniqueId } from './helpers/devbroker.js';

const TIMEOUT = { timeout: 30_000 };
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = path.join(ROOT, 'npm/src/cli/broker.js');
const BIN = path.join(ROOT, 'npm/bin/tpgate.js');
const FLAGS = ['--tcp', '--ws', '--ws-path', '--host', '--thingspanel', '--root-password', '--plugin-password', '--metrics-port', '--quiet', '--help'];

const children = new Set();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

let dir;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tpgate-devbroker-cli-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Starts the CLI; `output()` is what it wrote so far, `exited` resolves with {code, signal}. */
function start(args, script = CLI) {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => {
    children.delete(child);
    resolve({ code, signal, stdout, stderr });
  }));
  return { child, exited, output: () => ({ stdout, stderr }) };
}

async function run(args, script) {
  const { exited } = start(args, script);
  return exited;
}

/** Waits until the banner's URLs are printed; returns {tcp, ws}. */
async function urlsOf(proc, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { stdout, stderr } = proc.output();
    const tcp = /MQTT over TCP:\s+(mqtt:\/\/\S+)/.exec(stdout)?.[1];
    const ws = /MQTT over WebSocket:\s+(ws:\/\/\S+)/.exec(stdout)?.[1];
    if (tcp && ws && stdout.includes('Ctrl-C stops it.')) return { tcp, ws };
    if (proc.child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`the broker printed no URLs:\nstdout:\n${stdout}\nstderr:\n${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function portOpen(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function gone(pid) {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return err.code === 'ESRCH';
  }
}

describe('tpgate broker (CLI)', () => {
  test('--help documents every flag and exits 0', TIMEOUT, async () => {
    const { code, stdout } = await run(['--help']);
    assert.equal(code, 0);
    assert.match(stdout, /^Usage: tpgate broker \[options\]/);
    for (const flag of FLAGS) assert.ok(stdout.includes(flag), `--help mentions ${flag}`);
  });

  test('a bad flag or value exits 2 with a message', TIMEOUT, async () => {
    const bad = await run(['--bogus']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /tpgate broker: Unknown option '--bogus'/);
    assert.match(bad.stderr, /tpgate broker --help/);
    const port = await run(['--tcp', 'http']);
    assert.equal(port.code, 2);
    assert.match(port.stderr, /--tcp must be a port number 0\.\.65535 or "off", got "http"/);
    const noMode = await run(['--root-password', 'x']);
    assert.equal(noMode.code, 2);
    assert.match(noMode.stderr, /--root-password needs --thingspanel/);
  });

  test('a bad devices file exits 1 naming the entry and field', TIMEOUT, async () => {
    const file = path.join(dir, 'bad.json');
    await writeFile(file, JSON.stringify([{ device_id: 'a', device_number: 'gw-1', username: 'u1' }, { device_id: 'b', device_number: 'gw/2', username: 'u2' }]));
    const r = await run(['--tcp', '0', '--ws', '0', '--thingspanel', file]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /bad\.json: \[1\]\.device_number must not contain '\/', '\+' or '#'/);
    const missing = await run(['--tcp', '0', '--ws', '0', '--thingspanel', path.join(dir, 'nope.json')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nope\.json: cannot read the devices file \(ENOENT\)/);
  });

  test('ThingsPanel mode: prints working URLs; SIGINT stops it and leaves nothing behind', TIMEOUT, async () => {
    const file = path.join(dir, 'devices.json');
    const [device] = await generateDevicesFile(file, { count: 1 });
    assert.equal(device.device_number, 'gw-1');
    const proc = start(['--tcp', '0', '--ws', '0', '--thingspanel', file, '--root-password', 'pw']);
    let urls;
    try {
      urls = await urlsOf(proc);
      assert.match(proc.output().stdout, /ThingsPanel mode, 1 device\(s\)/);
      const root = await mqttConnect(urls.tcp, { username: 'root', password: 'pw' });
      const inbox = collector(root);
      await root.subscribeAsync('gateway/telemetry', { qos: 1 });
      const gw = await connect(urls.ws, { clientId: uniqueId('cli-gw'), protocolVersion: 4, reconnect: false, username: device.username });
      await gw.publish('gateway/telemetry', '{"gateway_data":{"t":1}}', { qos: 1 });
      const [m] = await inbox.next(1);
      assert.equal(m.payload.toString(), envelopeOf(device.device_id, '{"gateway_data":{"t":1}}'));
      await gw.end();
      await root.endAsync();
    } finally {
      proc.child.kill('SIGINT');
    }
    const { code, signal, stderr } = await proc.exited;
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, stderr);
    assert.match(stderr, /connect accepted: client 'cli-gw-.*' over ws as device gw-1/);
    assert.match(stderr, /SIGINT, stopping/);
    assert.ok(gone(proc.child.pid), 'the broker process is gone');
    assert.equal(await portOpen(urls.tcp), false, 'nothing listens on the TCP port');
    assert.equal(await portOpen(urls.ws), false, 'nothing listens on the WebSocket port');
  });

  test('plain mode: SIGTERM stops it with open connections', TIMEOUT, async () => {
    const proc = start(['--tcp', '0', '--ws', '0', '--quiet']);
    const urls = await urlsOf(proc);
    assert.match(proc.output().stdout, /plain MQTT broker/);
    const client = await mqttConnect(urls.ws, {});
    proc.child.kill('SIGTERM');
    const { code } = await proc.exited;
    assert.equal(code, 0);
    client.end(true);
    assert.ok(gone(proc.child.pid));
  });

  test('through npm/bin/tpgate.js when it exists', { ...TIMEOUT, skip: !existsSync(BIN) && 'npm/bin/tpgate.js not written yet' }, async () => {
    const { code, stdout } = await run(['broker', '--help'], BIN);
    assert.equal(code, 0);
    assert.match(stdout, /Usage: tpgate broker/);
  });
});
