// The dev broker's Prometheus metrics (docs/broker.md#metrics): topicFamily()
// names each ThingsPanel topic's family; `tpgate broker --metrics-port 0` (a
// child process, real MQTT clients over TCP and WebSocket) counts connections,
// messages received and sent by family, refused logins by reason and ACL
// denials by action, exactly, with no label per device, topic or client;
// a --metrics-port in use or not a port exits 2; startBroker({metricsPort})
// in plain mode, and its failure leaving nothing listening.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startBroker } from 'tpgate/broker';
import { MetricsPortError } from '../../npm/src/cli/metrics-server.js';
import { FAMILIES, SCOPES, topicFamily } from '../../npm/src/broker/metrics.js';
import { collector, mqttConnect, uniqueId } from './helpers/devbroker.js';

const TIMEOUT = { timeout: 30_000 };
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = path.join(ROOT, 'npm/src/cli/broker.js');
const ROOT_PASSWORD = 'metrics-root-secret';
const GW1 = { device_id: '6f2b1c3e-0000-4000-8000-0000000000a1', device_number: 'gw-m1', type: 'gateway', username: 'voucher-gw-m1', password: 'pw-m1' };
const GW2 = { device_id: '6f2b1c3e-0000-4000-8000-0000000000a2', device_number: 'gw-m2', type: 'gateway', username: 'voucher-gw-m2' };

const children = new Set();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

let dir;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tpgate-broker-metrics-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Starts the CLI; `output()` is what it wrote so far, `exited` resolves with {code, signal, stdout, stderr}. */
function start(args) {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
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

/** Waits for the banner; returns the URLs it printed. */
async function bannerOf(proc, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { stdout, stderr } = proc.output();
    if (stdout.includes('Ctrl-C stops it.')) {
      return {
        stdout,
        tcp: /MQTT over TCP:\s+(mqtt:\/\/\S+)/.exec(stdout)?.[1],
        ws: /MQTT over WebSocket:\s+(ws:\/\/\S+)/.exec(stdout)?.[1],
        metrics: /^ {2}metrics: +(\S+)$/m.exec(stdout)?.[1],
      };
    }
    if (proc.child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`the broker printed no banner:\nstdout:\n${stdout}\nstderr:\n${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A TCP port something listens on (127.0.0.1), and how to free it. */
async function busyPort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: server.address().port, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** A port nothing listens on right now. */
async function freePort() {
  const busy = await busyPort();
  await busy.close();
  return busy.port;
}

/** Whether `port` on 127.0.0.1 can be listened on (nothing holds it). */
async function canListen(port) {
  const server = net.createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

// Prometheus text format: `name{label="value",...} number` per sample.
const LABEL = /(\w+)="((?:[^"\\]|\\.)*)"/g;

/** Parses an exposition into samples [{name, labels, value}] and the `# TYPE` lines {name: type}. */
function parseExposition(text) {
  const samples = [];
  const types = {};
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      types[name] = type;
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `a sample line: ${line}`);
    const labels = {};
    for (const [, key, value] of (m[2] ?? '').matchAll(LABEL)) labels[key] = value;
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return { samples, types };
}

async function scrape(url) {
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  return parseExposition(await res.text());
}

/** The samples of `name` as {"label=value,...": value}, labels sorted: easy to compare whole. */
function seriesOf(scraped, name) {
  const out = {};
  for (const s of scraped.samples.filter((x) => x.name === name)) {
    const key = Object.keys(s.labels).sort().map((k) => `${k}=${s.labels[k]}`).join(',');
    out[key] = s.value;
  }
  return out;
}

/** Scrapes until `ready(scraped)` holds (counters that move after the client has its answer) or 5 s pass; returns the last scrape. */
async function scrapeUntil(url, ready, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const scraped = await scrape(url);
    if (ready(scraped) || Date.now() > deadline) return scraped;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Resolves with the CONNACK error of a connect that must be refused. */
async function refusedConnect(url, options) {
  try {
    const client = await mqttConnect(url, options);
    await client.endAsync();
  } catch (err) {
    return err;
  }
  throw new Error(`the connect with ${JSON.stringify(options)} was accepted`);
}

describe('topicFamily', () => {
  test('names the family and scope of every ThingsPanel topic, other for the rest', () => {
    const cases = [
      ['gateway/telemetry', 'telemetry', 'gateway'],
      ['devices/telemetry', 'telemetry', 'device'],
      ['gateway/telemetry/control/gw-1', 'control', 'gateway'],
      ['devices/telemetry/control/dev-1', 'control', 'device'],
      ['gateway/attributes/1001', 'attributes', 'gateway'],
      ['devices/attributes/1001', 'attributes', 'device'],
      ['gateway/attributes/set/gw-1/55', 'attribute_set', 'gateway'],
      ['devices/attributes/set/dev-1/55', 'attribute_set', 'device'],
      ['gateway/attributes/set/response/55', 'response', 'gateway'],
      ['devices/attributes/set/response/55', 'response', 'device'],
      ['gateway/attributes/get/gw-1', 'attribute_get', 'gateway'],
      ['devices/attributes/get/dev-1', 'attribute_get', 'device'],
      ['gateway/attributes/response/gw-1/1001', 'ack', 'gateway'],
      ['devices/attributes/response/gw-1/1001', 'ack', 'device'],
      ['gateway/event/1002', 'event', 'gateway'],
      ['devices/event/1002', 'event', 'device'],
      ['gateway/event/response/gw-1/1002', 'ack', 'gateway'],
      ['devices/event/response/gw-1/1002', 'ack', 'device'],
      ['gateway/command/gw-1/77', 'command', 'gateway'],
      ['devices/command/dev-1/77', 'command', 'device'],
      // The response shape wins over a command / attribute set for a device_number 'response'.
      ['gateway/command/response/77', 'response', 'gateway'],
      ['devices/command/response/77', 'response', 'device'],
      ['devices/status/6f2b1c3e-0000-4000-8000-000000000001', 'status', 'device'],
      ['devices/register', 'register', 'device'],
      ['devices/register/response/dev-1', 'register', 'device'],
      ['gateway/register/sub/gw-1', 'register', 'gateway'],
      // Everything else.
      ['gateway/status/x', 'other', 'none'],
      ['devices/status', 'other', 'none'],
      ['devices/status/a/b', 'other', 'none'],
      ['$SYS/0c9a/new/clients', 'other', 'none'],
      ['$tpgate/dropped', 'other', 'none'],
      ['gateway/telemetry/extra', 'other', 'none'],
      ['gateway/telemetry/control', 'other', 'none'],
      ['gateway/command/gw-1', 'other', 'none'],
      ['gateway/command/gw-1/77/x', 'other', 'none'],
      ['gateway/attributes/', 'other', 'none'],
      ['gateway/attributes/set//55', 'other', 'none'],
      ['gateway//telemetry', 'other', 'none'],
      ['gateway/', 'other', 'none'],
      ['gateway', 'other', 'none'],
      ['Gateway/telemetry', 'other', 'none'],
      ['device/telemetry', 'other', 'none'],
      ['constructor/telemetry', 'other', 'none'],
      ['sensors/room1/temperature', 'other', 'none'],
      ['', 'other', 'none'],
    ];
    for (const [topic, family, scope] of cases) {
      assert.deepEqual(topicFamily(topic), { family, scope }, `topicFamily('${topic}')`);
    }
    for (const [, family, scope] of cases) {
      assert.ok(FAMILIES.includes(family), `${family} is one of FAMILIES`);
      assert.ok(SCOPES.includes(scope), `${scope} is one of SCOPES`);
    }
    // Each family of FAMILIES is reached by some case above.
    assert.deepEqual([...new Set(cases.map((c) => c[1]))].sort(), [...FAMILIES].sort());
  });

  test('10,000 devices and message ids make no more label pairs than the families', () => {
    const pairs = new Set();
    for (let i = 0; i < 10_000; i++) {
      for (const topic of ['gateway/telemetry', `gateway/attributes/${i}`, `gateway/command/gw-${i}/${i}`,
        `devices/status/id-${i}`, `gateway/event/response/gw-${i}/${i}`, `custom/${i}/up`]) {
        const { family, scope } = topicFamily(topic);
        pairs.add(`${family} ${scope}`);
      }
    }
    assert.deepEqual([...pairs].sort(), ['ack gateway', 'attributes gateway', 'command gateway', 'other none', 'status device', 'telemetry gateway']);
  });
});

describe('tpgate broker --metrics-port', () => {
  test('counts connections, messages by family, refused logins and ACL denials exactly', TIMEOUT, async () => {
    const file = path.join(dir, 'devices.json');
    await writeFile(file, JSON.stringify([GW1, GW2]));
    const proc = start(['--tcp', '0', '--ws', '0', '--thingspanel', file, '--root-password', ROOT_PASSWORD, '--metrics-port', '0']);
    const clients = [];
    try {
      const urls = await bannerOf(proc);
      assert.match(urls.stdout, /^ {2}metrics: {14}http:\/\/127\.0\.0\.1:\d+\/metrics$/m, 'the metrics URL is printed like the others');
      assert.ok(urls.tcp && urls.ws && urls.metrics, `tcp, ws and metrics URLs in:\n${urls.stdout}`);
      const { port: metricsPort } = new URL(urls.metrics);
      assert.notEqual(metricsPort, '0');

      // Before anything happened: zeros for the bounded label sets, no message series.
      const first = await scrape(urls.metrics);
      assert.deepEqual(seriesOf(first, 'tpgate_broker_connections'), { 'listener=tcp': 0, 'listener=ws': 0 });
      assert.deepEqual(seriesOf(first, 'tpgate_broker_connections_total'), { 'listener=tcp': 0, 'listener=ws': 0 });
      assert.deepEqual(seriesOf(first, 'tpgate_broker_refused_logins_total'),
        { 'reason=bad_credentials': 0, 'reason=not_authorized': 0, 'reason=other': 0, 'reason=unknown_device': 0 });
      assert.deepEqual(seriesOf(first, 'tpgate_broker_acl_denials_total'), { 'action=publish': 0, 'action=subscribe': 0 });
      assert.deepEqual(seriesOf(first, 'tpgate_broker_messages_received_total'), {});
      assert.deepEqual(seriesOf(first, 'tpgate_broker_messages_sent_total'), {});
      assert.equal(first.types.tpgate_broker_connections, 'gauge');
      for (const name of ['connections_total', 'messages_received_total', 'messages_sent_total', 'refused_logins_total', 'acl_denials_total']) {
        assert.equal(first.types[`tpgate_broker_${name}`], 'counter', `tpgate_broker_${name} is a counter`);
      }
      assert.ok(first.samples.some((s) => s.name === 'process_cpu_user_seconds_total'), 'the process metrics are there too');

      // root (TCP) watches telemetry and the status topic.
      const root = await mqttConnect(urls.tcp, { username: 'root', password: ROOT_PASSWORD });
      clients.push(root);
      await root.subscribeAsync('gateway/telemetry', { qos: 1 });
      await root.subscribeAsync('devices/status/+', { qos: 1 });
      // Where the ACL moves a dropped publish: it must not be delivered, nor counted as sent.
      await root.subscribeAsync('$tpgate/#', { qos: 1 });
      const seen = collector(root);

      // gw-m1 (WebSocket) connects: root gets its status 1.
      const gw = await mqttConnect(urls.ws, { username: GW1.username, password: GW1.password });
      clients.push(gw);
      await seen.next(1);
      const [own] = await gw.subscribeAsync(`gateway/command/${GW1.device_number}/+`, { qos: 1 });
      assert.equal(own.qos, 1);
      await assert.rejects(gw.subscribeAsync(`gateway/command/${GW2.device_number}/+`, { qos: 1 }),
        (err) => err.packet?.granted?.[0] === 128, "another gateway's commands are refused (SUBACK 0x80)");
      const inbox = collector(gw);

      for (let i = 0; i < 3; i++) await gw.publishAsync('gateway/telemetry', JSON.stringify({ t: i }), { qos: 1 });
      await gw.publishAsync('gateway/attributes/1001', '{}', { qos: 1 });
      await gw.publishAsync('gateway/attributes/1002', '{}', { qos: 1 });
      await gw.publishAsync('devices/telemetry', '{}', { qos: 1 }); // not a gateway uplink: acked and dropped
      await seen.next(4); // status + 3 telemetry
      await root.publishAsync(`gateway/command/${GW1.device_number}/77`, '{"method":"Restart"}', { qos: 1 });
      await inbox.next(1);

      // Refused logins over TCP.
      assert.equal((await refusedConnect(urls.tcp, { username: GW1.username, password: 'wrong' })).code, 4);
      assert.equal((await refusedConnect(urls.tcp, { username: 'nobody' })).code, 4);
      assert.equal((await refusedConnect(urls.tcp, { username: 'nobody-else', password: 'x' })).code, 4);
      assert.equal((await refusedConnect(urls.tcp, { username: 'plugin', password: 'x' })).code, 5);
      assert.equal((await refusedConnect(urls.tcp, { clientId: '', clean: true, username: GW2.username })).code, 2);

      const total = (s, name) => Object.values(seriesOf(s, name)).reduce((a, b) => a + b, 0);
      const now = await scrapeUntil(urls.metrics, (s) => total(s, 'tpgate_broker_refused_logins_total') >= 5);
      assert.deepEqual(seriesOf(now, 'tpgate_broker_connections'), { 'listener=tcp': 1, 'listener=ws': 1 });
      assert.deepEqual(seriesOf(now, 'tpgate_broker_connections_total'), { 'listener=tcp': 1, 'listener=ws': 1 },
        'refused connects are not accepted connects');
      assert.deepEqual(seriesOf(now, 'tpgate_broker_messages_received_total'), {
        'family=telemetry,scope=gateway': 3,
        'family=attributes,scope=gateway': 2,
        'family=telemetry,scope=device': 1,
        'family=command,scope=gateway': 1,
      });
      assert.deepEqual(seriesOf(now, 'tpgate_broker_messages_sent_total'), {
        'family=telemetry,scope=gateway': 3,
        'family=status,scope=device': 1,
        'family=command,scope=gateway': 1,
      });
      assert.deepEqual(seriesOf(now, 'tpgate_broker_refused_logins_total'),
        { 'reason=bad_credentials': 1, 'reason=not_authorized': 1, 'reason=other': 1, 'reason=unknown_device': 2 });
      assert.deepEqual(seriesOf(now, 'tpgate_broker_acl_denials_total'), { 'action=publish': 1, 'action=subscribe': 1 });
      // No label names a device, topic or client.
      for (const s of now.samples.filter((x) => x.name.startsWith('tpgate_broker_'))) {
        for (const value of Object.values(s.labels)) {
          for (const leak of [GW1.device_number, GW1.device_id, GW1.username, 'root', 'gateway/']) {
            assert.ok(!value.includes(leak), `${s.name} has no label naming '${leak}' (${JSON.stringify(s.labels)})`);
          }
        }
      }

      // gw-m1 leaves: the gauge drops, the total stays, root gets status 0.
      await gw.endAsync();
      clients.splice(clients.indexOf(gw), 1);
      await seen.next(5);
      const later = await scrapeUntil(urls.metrics, (s) => seriesOf(s, 'tpgate_broker_connections')['listener=ws'] === 0);
      assert.deepEqual(seriesOf(later, 'tpgate_broker_connections'), { 'listener=tcp': 1, 'listener=ws': 0 });
      assert.deepEqual(seriesOf(later, 'tpgate_broker_connections_total'), { 'listener=tcp': 1, 'listener=ws': 1 });
      assert.equal(seriesOf(later, 'tpgate_broker_messages_sent_total')['family=status,scope=device'], 2);

      await root.endAsync();
      clients.length = 0;
      proc.child.kill('SIGTERM');
      const { code } = await proc.exited;
      assert.equal(code, 0);
      await assert.rejects(fetch(urls.metrics), 'nothing serves the metrics once the broker stopped');
    } finally {
      for (const c of clients) c.end(true);
      proc.child.kill('SIGKILL');
    }
  });

  test('a metrics port in use exits 2 with the message, nothing started', TIMEOUT, async () => {
    const busy = await busyPort();
    try {
      const r = await start(['--tcp', '0', '--ws', '0', '--metrics-port', String(busy.port)]).exited;
      assert.equal(r.code, 2);
      assert.match(r.stderr, new RegExp(`^tpgate broker: --metrics-port ${busy.port}: the port is in use`, 'm'));
      assert.doesNotMatch(r.stdout, /MQTT over TCP/, 'no banner: no listener was opened');
    } finally {
      await busy.close();
    }
  });

  test('--metrics-port that is not a port exits 2; --help names it', TIMEOUT, async () => {
    for (const bad of ['abc', '65536', '1.5']) {
      const r = await start(['--tcp', '0', '--ws', '0', '--metrics-port', bad]).exited;
      assert.equal(r.code, 2, `--metrics-port ${bad}`);
      assert.match(r.stderr, /tpgate broker: --metrics-port must be a port number from 0 to 65535/);
    }
    const help = await start(['--help']).exited;
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^ {2}--metrics-port PORT {6}serve Prometheus metrics at http:\/\/HOST:PORT\/metrics/m);
  });
});

describe('startBroker({metricsPort})', () => {
  test('plain mode: other-family messages, a will, a refused MQTT 5 connect, urls.metrics; close() stops serving', TIMEOUT, async () => {
    const broker = await startBroker({ tcpPort: 0, wsPort: null, metricsPort: 0, log: false });
    const clients = [];
    try {
      assert.equal(typeof broker.metricsPort, 'number');
      assert.notEqual(broker.metricsPort, 0);
      assert.equal(broker.urls.metrics, `http://127.0.0.1:${broker.metricsPort}/metrics`);
      assert.equal(broker.metricsUrl, broker.urls.metrics);

      const sub = await mqttConnect(broker.urls.tcp);
      clients.push(sub);
      await sub.subscribeAsync('#', { qos: 0 });
      const got = collector(sub);
      const pub = await mqttConnect(broker.urls.tcp, { clientId: uniqueId('pub') });
      clients.push(pub);
      await pub.publishAsync('sensors/room1', '21.5', { qos: 0 });
      await pub.publishAsync('gateway/telemetry', '{}', { qos: 0 });
      await got.next(2);
      // A will is published by the broker, not received from a client: sent, not received.
      const willer = await mqttConnect(broker.urls.tcp, { will: { topic: 'lwt/gone', payload: 'bye', qos: 0, retain: false } });
      willer.stream.destroy();
      const [, , will] = await got.next(3);
      assert.equal(will.topic, 'lwt/gone');
      const refusal = await refusedConnect(broker.urls.tcp, { protocolVersion: 5 });
      assert.ok(refusal, 'an MQTT 5 CONNECT is refused');

      const s = await scrapeUntil(broker.urls.metrics, (x) => seriesOf(x, 'tpgate_broker_refused_logins_total')['reason=other'] === 1);
      assert.deepEqual(seriesOf(s, 'tpgate_broker_connections'), { 'listener=tcp': 2 }, 'no ws series: that listener is off');
      assert.deepEqual(seriesOf(s, 'tpgate_broker_messages_received_total'),
        { 'family=other,scope=none': 1, 'family=telemetry,scope=gateway': 1 });
      // '#' matches no $SYS topic: the broker's own $SYS messages are not sent to it.
      assert.deepEqual(seriesOf(s, 'tpgate_broker_messages_sent_total'),
        { 'family=other,scope=none': 2, 'family=telemetry,scope=gateway': 1 });
      assert.deepEqual(seriesOf(s, 'tpgate_broker_refused_logins_total'),
        { 'reason=bad_credentials': 0, 'reason=not_authorized': 0, 'reason=other': 1, 'reason=unknown_device': 0 });
      assert.deepEqual(seriesOf(s, 'tpgate_broker_acl_denials_total'), { 'action=publish': 0, 'action=subscribe': 0 });
    } finally {
      for (const c of clients) await c.endAsync();
      await broker.close();
    }
    await assert.rejects(fetch(broker.urls.metrics), 'close() closes the metrics server');
  });

  test('without metricsPort there is no metrics server; a bad one is an InvalidOptionError', TIMEOUT, async () => {
    const broker = await startBroker({ tcpPort: 0, wsPort: null, log: false });
    try {
      assert.equal(broker.metricsPort, null);
      assert.equal(broker.metricsUrl, null);
      assert.equal(broker.urls.metrics, undefined);
    } finally {
      await broker.close();
    }
    for (const metricsPort of [70000, -1, 1.5, '9464']) {
      await assert.rejects(startBroker({ tcpPort: 0, wsPort: null, metricsPort, log: false }),
        (err) => err.code === 'ERR_INVALID_OPTION' && err.option === 'metricsPort', `metricsPort ${metricsPort}`);
    }
  });

  test('a metrics port in use rejects with MetricsPortError and leaves the MQTT port free', TIMEOUT, async () => {
    const busy = await busyPort();
    const tcpPort = await freePort();
    try {
      await assert.rejects(startBroker({ tcpPort, wsPort: null, metricsPort: busy.port, log: false }), (err) => {
        assert.ok(err instanceof MetricsPortError);
        assert.equal(err.code, 'EADDRINUSE');
        assert.match(err.message, new RegExp(`--metrics-port ${busy.port}: the port is in use`));
        return true;
      });
      assert.equal(await canListen(tcpPort), true, 'nothing listens on the MQTT port');
    } finally {
      await busy.close();
    }
  });
});
