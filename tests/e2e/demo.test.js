// `npm start` as a user runs it (README "The two commands"): the runner
// (scripts/run.mjs start) in its own process group, as a terminal starts it;
// the demo's printed URLs must work: an MQTT.js client logged in as root sees
// the default gateway's telemetry in the ThingsPanel envelope within seconds,
// and the dashboard link serves the page with its Content-Security-Policy.
// Then Ctrl-C (SIGINT to the whole group, as a terminal sends it) must stop
// everything: no process of the group left, no port left open.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function groupProcesses(pgid) {
  try {
    const out = execFileSync('ps', ['-o', 'pid=,args=', '-g', String(pgid)], { encoding: 'utf8' });
    return out.split('\n').map((l) => l.trim()).filter(Boolean);
  } catch {
    return []; // ps exits 1 when nothing matches
  }
}

function portOpen(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function waitFor(what, check, ms) {
  const until = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('npm start: broker + emulator + dashboard come up, root sees enveloped telemetry, Ctrl-C leaves nothing behind', { timeout: 180_000 }, async (t) => {
  const child = spawn(process.execPath, ['scripts/run.mjs', 'start', '--tcp', '0', '--ws', '0', '--http', '0', '--status-every', '0'], {
    cwd: root,
    detached: true, // its own process group, like a terminal's foreground job
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pgid = child.pid;
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  t.after(() => {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {}
  });

  await waitFor('"tpgate demo is running" (output so far:\n' + output + ')', () => output.includes('tpgate demo is running') && /stop +Ctrl-C/.test(output), 150_000);
  const tcpUrl = /broker +(mqtt:\/\/\S+)/.exec(output)?.[1];
  const wsUrl = /(ws:\/\/\S+\/mqtt)/.exec(output)?.[1];
  const password = /username root, password (\S+):/.exec(output)?.[1];
  const dashboard = /dashboard +(http:\/\/\S+)/.exec(output)?.[1];
  assert.ok(tcpUrl && wsUrl && password, `URLs and credentials printed:\n${output}`);

  // The platform's view: everything arrives enveloped, sender told by device_id.
  const platform = await mqtt.connectAsync(tcpUrl, { username: 'root', password, clientId: `demo-test-${process.pid}`, reconnectPeriod: 0 });
  t.after(() => platform.end(true));
  const started = Date.now();
  const envelope = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no telemetry within 10 s')), 10_000);
    platform.on('message', (topic, payload) => {
      if (topic !== 'gateway/telemetry') return;
      clearTimeout(timer);
      resolve(JSON.parse(payload.toString()));
    });
    platform.subscribe('gateway/telemetry', { qos: 1 });
  });
  t.diagnostic(`first enveloped telemetry after ${Date.now() - started} ms`);
  assert.match(envelope.device_id, /^[0-9a-f-]{36}$/);
  const inner = JSON.parse(Buffer.from(envelope.values, 'base64').toString());
  assert.ok(inner.gateway_data, 'gateway_data in the unwrapped telemetry');
  assert.ok(inner.sub_device_data?.sensor_001 && inner.sub_device_data?.sensor_002, 'both sub-devices');
  assert.ok(inner.sub_gateway_data?.gateway_001?.sub_device_data?.sensor_101, 'sensor_101 behind gateway_001');

  // The WebSocket listener works too (the dashboard's way in).
  const viaWs = await mqtt.connectAsync(wsUrl, { username: 'root', password, clientId: `demo-ws-${process.pid}`, reconnectPeriod: 0 });
  await viaWs.endAsync();

  if (dashboard) {
    // The link connects the dashboard as root and names the gateway behind each device_id.
    const params = new URL(dashboard).searchParams;
    assert.equal(params.get('url'), wsUrl);
    assert.equal(params.get('username'), 'root');
    assert.equal(params.get('password'), password);
    // The device_id -> device_number map is a file next to the page, not in the link.
    assert.equal(params.get('devices'), null);
    assert.equal(params.get('map'), 'devices.json');
    const map = await (await fetch(new URL(params.get('map'), dashboard))).json();
    assert.deepEqual(map, { [envelope.device_id]: 'gw-1' });
    const res = await fetch(dashboard);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    assert.match(await res.text(), /<html/i);
  } else {
    assert.match(output, /dashboard is not built/);
  }
  await platform.endAsync();

  const ports = [tcpUrl, wsUrl, dashboard].filter(Boolean).map((u) => Number(new URL(u).port));
  // Ctrl-C: the terminal sends SIGINT to every process of the foreground group.
  process.kill(-pgid, 'SIGINT');
  const { code } = await Promise.race([
    exited,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`npm start did not stop within 15 s:\n${output}`)), 15_000)),
  ]);
  assert.equal(code, 0, `exit code 0 after Ctrl-C:\n${output}`);
  assert.match(output, /tpgate demo: stopped/);
  // Give the kernel a moment to reap, then nothing of the group may remain.
  await waitFor('the process group to empty', () => groupProcesses(pgid).length === 0, 5000).catch(() => {});
  assert.deepEqual(groupProcesses(pgid), [], 'no process of npm start left');
  for (const p of ports) assert.equal(await portOpen(p), false, `port ${p} closed`);
});
