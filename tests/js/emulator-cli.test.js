// `tpgate emulate` as a user runs it (node npm/bin/tpgate.js emulate ...):
//   - Ctrl-C (SIGINT) and SIGTERM: every gateway sends DISCONNECT (mosquitto's
//     own log says "Client X disconnected." and never "closed its
//     connection"), the summary is printed, exit 0; a second Ctrl-C exits at once;
//   - --duration ends on its own the same way; --metrics-json is written;
//   - --help documents every flag; bad flags exit 2 with a message;
//   - bad scenario files stop before anything connects: exit 2, the message
//     names the JSON path and the expected shape, and a plain TCP server given
//     as --url sees no connection at all.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { startMosquitto } from './helpers/mosquitto.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(here, '../../npm/bin/tpgate.js');

let broker;
let dir;
before(async () => {
  broker = await startMosquitto();
  dir = await mkdtemp(path.join(os.tmpdir(), 'tpgate-emulate-cli-'));
});
after(async () => {
  await broker?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs the CLI; `output()` is what it printed so far, `exited` its end. */
function cli(args, t, env = process.env) {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  const run = { child, stdout: '', stderr: '' };
  child.stdout.on('data', (d) => (run.stdout += d));
  child.stderr.on('data', (d) => (run.stderr += d));
  run.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  t?.after(() => child.kill('SIGKILL'));
  return run;
}

async function until(what, check, timeout = 15_000) {
  const deadline = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const connectedIds = (log) => [...log.matchAll(/New client connected from \S+ as (\S+) /g)].map((m) => m[1]);
const cleanIds = (log) => [...log.matchAll(/Client (\S+) disconnected\./g)].map((m) => m[1]);
const abruptIds = (log) => [...log.matchAll(/Client (\S+) closed its connection\./g)].map((m) => m[1]);

async function scenarioFile(name, text) {
  const file = path.join(dir, name);
  await writeFile(file, text);
  return file;
}

test('--help documents every flag, with an example', async () => {
  const run = cli(['emulate', '--help']);
  const { code } = await run.exited;
  assert.equal(code, 0);
  for (const flag of ['--url', '--gateways', '--shard', '--duration', '--transport', '--metrics-json', '--metrics-port', '--seed', '--print-default', '--quiet', '--help', '--connect-concurrency']) {
    assert.ok(run.stdout.includes(flag), `--help does not mention ${flag}`);
  }
  assert.match(run.stdout, /Examples?:\n\s+tpgate emulate /);
});

test('bad flags exit 2 with a message naming the flag', async () => {
  const cases = [
    [['emulate', '--gatways', '3'], /unknown flag --gatways; did you mean --gateways\?/],
    [['emulate', '--gateways', '0'], /--gateways must be an integer from 1/],
    [['emulate', '--duration', 'soon'], /--duration must be a number of seconds/],
    [['emulate', '--shard', '5/4', '--url', 'mqtt://127.0.0.1:1'], /shard index must be from 1 to 4/],
    [['emulate', '--transport', 'udp'], /--transport must be ws or tcp/],
    [['emulate', '--metrics-port', 'abc'], /--metrics-port must be a port number from 0 to 65535 \(got 'abc'\)/],
    [['emulate', '--metrics-port', '70000'], /--metrics-port must be a port number/],
    [['emulate', '--url', 'http://example.com'], /--url: .*scheme 'http:'/],
  ];
  await Promise.all(
    cases.map(async ([args, pattern]) => {
      const run = cli(args);
      const { code } = await run.exited;
      assert.equal(code, 2, `${args.join(' ')}: exit ${code}\n${run.stderr}`);
      assert.match(run.stderr, pattern, args.join(' '));
    }),
  );
});

test('--shard auto: the shard of an Indexed Job\'s pod from JOB_COMPLETION_INDEX and JOB_COMPLETIONS', async () => {
  const { parseEmulateArgs } = await import('../../npm/src/cli/emulate.js');
  const shard = (env) => parseEmulateArgs(['--shard', 'auto', '--url', 'mqtt://127.0.0.1:1'], env).shard;
  assert.equal(shard({ JOB_COMPLETION_INDEX: '0', JOB_COMPLETIONS: '4' }), '1/4');
  assert.equal(shard({ JOB_COMPLETION_INDEX: '3', JOB_COMPLETIONS: '4' }), '4/4');
  assert.throws(() => shard({ JOB_COMPLETIONS: '4' }), /JOB_COMPLETION_INDEX is not set: outside a Job, give --shard k\/n/);
  assert.throws(() => shard({}), /JOB_COMPLETION_INDEX and JOB_COMPLETIONS are not set/);
  assert.throws(() => shard({ JOB_COMPLETION_INDEX: '4', JOB_COMPLETIONS: '4' }), /JOB_COMPLETION_INDEX 4 is not below JOB_COMPLETIONS 4 \(indexes run 0\.\.3\)/);
  assert.throws(() => shard({ JOB_COMPLETION_INDEX: 'x', JOB_COMPLETIONS: '4' }), /must be an integer/);
  assert.throws(() => parseEmulateArgs(['--shard', 'some'], {}), /--shard must look like k\/n, e\.g\. 2\/4, or be auto/);

  // As the CLI runs in a pod without the variables: exit 2 with the message.
  const env = { ...process.env };
  delete env.JOB_COMPLETION_INDEX;
  delete env.JOB_COMPLETIONS;
  const bad = cli(['emulate', '--shard', 'auto', '--url', 'mqtt://127.0.0.1:1'], undefined, env);
  assert.equal((await bad.exited).code, 2, bad.stderr);
  assert.match(bad.stderr, /--shard auto takes the shard from JOB_COMPLETION_INDEX and JOB_COMPLETIONS/);
  // And in one with them: the shard is named when the fleet starts.
  const run = cli(['emulate', '--shard', 'auto', '--url', broker.tcpUrl, '--gateways', '8', '--duration', '1', '--seed', '1'], undefined, { ...env, JOB_COMPLETION_INDEX: '1', JOB_COMPLETIONS: '4' });
  const { code } = await run.exited;
  assert.equal(code, 0, run.stderr);
  assert.match(run.stdout + run.stderr, /tpgate emulate: 2 gateways \(gw-3 \.\. gw-4\), shard 2\/4 -> /);
});

test('--print-default prints the built-in scenario as JSON, which runs as a file', async () => {
  const run = cli(['emulate', '--print-default']);
  assert.equal((await run.exited).code, 0, run.stderr);
  const scenario = JSON.parse(run.stdout);
  assert.ok(scenario.gateway.sub_gateways.gateway_001.sub_devices.sensor_101);
});

test('SIGINT: every gateway (20) sends DISCONNECT, the summary is printed, exit 0', { timeout: 60_000 }, async (t) => {
  const run = cli(['emulate', '--url', broker.tcpUrl, '--gateways', '20', '--seed', '3'], t);
  const before = connectedIds(broker.log()).length;
  await until('20 gateways connected (mosquitto log)', () => connectedIds(broker.log()).length >= before + 20);
  const ids = connectedIds(broker.log()).slice(before);
  await new Promise((r) => setTimeout(r, 300)); // the CONNACKs reach the gateways
  run.child.kill('SIGINT');
  const { code } = await run.exited;
  assert.equal(code, 0, `exit ${code}\n${run.stderr}`);
  await until('mosquitto logged every disconnect', () => ids.every((id) => cleanIds(broker.log()).includes(id)), 5000);
  const abrupt = abruptIds(broker.log()).filter((id) => ids.includes(id));
  assert.deepEqual(abrupt, [], 'gateways that closed without DISCONNECT');
  assert.match(run.stdout, /summary/);
  assert.match(run.stdout, /20 of 20 connected gateways closed cleanly, 0 forced/);
  assert.match(run.stderr, /SIGINT: disconnecting 20 gateways/);
});

test('SIGTERM stops cleanly the same way', { timeout: 30_000 }, async (t) => {
  const run = cli(['emulate', '--url', broker.tcpUrl, '--gateways', '3', '--seed', '4'], t);
  const before = connectedIds(broker.log()).length;
  await until('3 gateways connected', () => connectedIds(broker.log()).length >= before + 3);
  const ids = connectedIds(broker.log()).slice(before);
  await new Promise((r) => setTimeout(r, 300)); // the CONNACKs reach the gateways
  run.child.kill('SIGTERM');
  const { code } = await run.exited;
  assert.equal(code, 0, run.stderr);
  await until('3 clean disconnects', () => ids.every((id) => cleanIds(broker.log()).includes(id)), 5000);
  assert.deepEqual(abruptIds(broker.log()).filter((id) => ids.includes(id)), [], 'gateways that closed without DISCONNECT');
  // The broker logs a CONNECT before its CONNACK reaches the gateway: on a busy
  // machine a gateway may not count as connected yet when the signal comes.
  // Every one that did must have closed cleanly.
  const closed = /(\d+) of (\d+) connected gateways closed cleanly, 0 forced/.exec(run.stdout);
  assert.ok(closed, run.stdout);
  assert.equal(closed[1], closed[2], run.stdout);
  assert.ok(Number(closed[2]) >= 1, run.stdout);
});

test('a second SIGINT exits at once (130) while the first still waits for a broker that never answers', { timeout: 30_000 }, async (t) => {
  // A TCP server that accepts and then says nothing: no CONNACK, no close.
  const sockets = [];
  const mute = net.createServer((s) => sockets.push(s));
  await new Promise((r) => mute.listen(0, '127.0.0.1', r));
  t.after(() => {
    for (const s of sockets) s.destroy();
    mute.close();
  });
  const run = cli(['emulate', '--url', `mqtt://127.0.0.1:${mute.address().port}`, '--gateways', '2'], t);
  await until('2 connections', () => sockets.length >= 2);
  run.child.kill('SIGINT');
  await until('the stop message', () => /disconnecting/.test(run.stderr));
  const t0 = Date.now();
  run.child.kill('SIGINT');
  const { code } = await run.exited;
  assert.equal(code, 130, run.stderr);
  assert.ok(Date.now() - t0 < 2000, 'the second SIGINT did not exit at once');
});

test('--duration 3 ends on its own with the summary; --metrics-json holds the final stats and a series', { timeout: 30_000 }, async (t) => {
  const metrics = path.join(dir, 'metrics.json');
  const t0 = Date.now();
  const run = cli(['emulate', '--url', broker.wsUrl, '--duration', '3', '--metrics-json', metrics, '--quiet'], t);
  const { code } = await run.exited;
  const seconds = (Date.now() - t0) / 1000;
  assert.equal(code, 0, run.stderr);
  assert.ok(seconds >= 3 && seconds < 10, `ran ${seconds} s`);
  assert.match(run.stdout, /summary/);
  assert.match(run.stdout, /1 of 1 connected gateways closed cleanly/);
  assert.equal(run.stderr, '', '--quiet prints nothing but the summary');
  const doc = JSON.parse(await readFile(metrics, 'utf8'));
  assert.equal(doc.final.gateways, 1);
  assert.ok(doc.final.published >= 1, JSON.stringify(doc.final));
  assert.ok(doc.series.length >= 2, `series of ${doc.series.length}`);
  assert.ok(doc.duration_s >= 3);
  // Format 2: what `tpgate report` merges.
  assert.equal(doc.format, 2);
  assert.deepEqual(doc.shard, { index: 1, count: 1, first: 0, gateways: 1 });
  assert.equal(doc.fleet_gateways, 1);
  assert.match(doc.scenario_digest, /^sha256:[0-9a-f]{64}$/);
  assert.deepEqual(Object.keys(doc.errors).sort(), ['protocol', 'refused', 'report_ack_timeouts', 'request_failures', 'script', 'transport']);
  const acks = doc.histograms.ack_ms;
  assert.ok(acks.length >= 1 && acks.every(([low, high, n]) => low < high && n > 0), JSON.stringify(acks));
  assert.ok(acks.reduce((sum, b) => sum + b[2], 0) <= doc.final.publish_acked);
  assert.equal(doc.final.published, doc.final.published_telemetry + doc.final.published_attributes + doc.final.published_events + doc.final.published_responses);
});

test('errors by kind: reports no platform acked are not protocol errors, and the summary says why', { timeout: 40_000 }, async (t) => {
  // A plain mosquitto: no platform acks the attribute / event reports (timeout 10 s).
  const metrics = path.join(dir, 'errors.json');
  const run = cli(['emulate', '--url', broker.tcpUrl, '--gateways', '3', '--duration', '12', '--metrics-json', metrics, '--seed', '4'], t);
  const { code } = await run.exited;
  assert.equal(code, 0, run.stderr);
  const doc = JSON.parse(await readFile(metrics, 'utf8'));
  assert.ok(doc.errors.report_ack_timeouts >= 3, JSON.stringify(doc.errors));
  assert.equal(doc.errors.protocol, 0);
  assert.equal(doc.final.errors, doc.errors.report_ack_timeouts);
  assert.match(run.stdout, new RegExp(`errors +protocol 0, refused by the broker 0, report acks that never came ${doc.errors.report_ack_timeouts}, requests not served 0, data scripts 0, transport 0`));
  assert.match(run.stdout, /hint +no platform acked any attribute\/event report: is a ThingsPanel platform/);
});

test('the status line names the shard and the errors by kind', async () => {
  const { statusLine } = await import('../../npm/src/cli/emulate-report.js');
  const s = { uptime_s: 12, connected: 3, gateways: 3, messages_per_s: 3, published_per_s: 3, received_per_s: 0, ack_p50_ms: 1, ack_p99_ms: 2, commands: 0,
    reconnects: 0, protocol_errors: 0, refused: 2, report_ack_timeouts: 9, request_failures: 0, script_errors: 0, transport_errors: 1 };
  const line = statusLine(s, '2/4');
  assert.match(line, /^\[ +12s\] shard 2\/4 connected 3\/3 /);
  assert.match(line, / errors 12 \(refused 2, report acks 9, transport 1\) /);
  assert.doesNotMatch(statusLine(s, null), /shard/);
});

test('--metrics-port on a port in use: exit 2 before any gateway connects', { timeout: 20_000 }, async (t) => {
  const busy = net.createServer();
  await new Promise((resolve) => busy.listen(0, resolve));
  t.after(() => busy.close());
  const port = busy.address().port;
  // A plain TCP server as the broker: it must see no connection at all.
  const target = net.createServer((socket) => {
    connections++;
    socket.destroy();
  });
  let connections = 0;
  await new Promise((resolve) => target.listen(0, '127.0.0.1', resolve));
  t.after(() => target.close());
  const run = cli(['emulate', '--url', `mqtt://127.0.0.1:${target.address().port}`, '--metrics-port', String(port)], t);
  const { code } = await run.exited;
  assert.equal(code, 2, run.stderr);
  assert.match(run.stderr, new RegExp(`--metrics-port ${port}: the port is in use .*pick another port`));
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(connections, 0);
});

test('--metrics-port serves /metrics while the fleet runs, labelled by shard, no label per gateway', { timeout: 30_000 }, async (t) => {
  const run = cli(['emulate', '--url', broker.tcpUrl, '--gateways', '6', '--shard', '2/3', '--metrics-port', '0', '--duration', '20'], t);
  const url = await (async () => {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const m = /metrics at (http:\/\/\S+)/.exec(run.stderr);
      if (m) return m[1];
      if (Date.now() > deadline) throw new Error(`no metrics URL:\n${run.stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  let text = '';
  const deadline = Date.now() + 15_000;
  while (!/tpgate_gateways\{state="connected",shard="2\/3"\} 2\n/.test(text) || !/kind="telemetry",shard="2\/3"\} [1-9]/.test(text)) {
    if (Date.now() > deadline) throw new Error(`metrics never showed 2 connected with telemetry:\n${text}`);
    await new Promise((r) => setTimeout(r, 200));
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
    text = await res.text();
  }
  for (const name of ['tpgate_gateways', 'tpgate_messages_published_total', 'tpgate_messages_acked_total', 'tpgate_publish_ack_seconds',
    'tpgate_requests_served_total', 'tpgate_request_service_seconds', 'tpgate_reconnects_total', 'tpgate_errors_total', 'tpgate_queued_messages']) {
    assert.match(text, new RegExp(`^# TYPE ${name} (gauge|counter|histogram)$`, 'm'), name);
  }
  assert.match(text, /^tpgate_requests_served_total\{kind="command",result="success",shard="2\/3"\} 0$/m);
  assert.match(text, /^tpgate_errors_total\{kind="report_ack_timeout",shard="2\/3"\} \d+$/m);
  assert.doesNotMatch(text, /gw-\d/, 'no device number in any label');
  assert.equal((await fetch(new URL('/other', url))).status, 404);
  run.child.kill('SIGTERM');
  assert.equal((await run.exited).code, 0);
});

// Bad scenarios: [file name, content, the JSON path the message must name].
const BAD = [
  ['invalid-json.json', '{"name": "x",', '$'],
  ['not-an-object.json', '[1, 2]', '$'],
  ['unknown-top.json', '{"nmae": "x"}', '$.nmae'],
  ['seed-type.json', '{"seed": "one"}', '$.seed'],
  ['keepalive-range.json', '{"broker": {"keepalive_s": 600}}', '$.broker.keepalive_s'],
  ['qos-range.json', '{"broker": {"qos": 3}}', '$.broker.qos'],
  ['protocol-version.json', '{"broker": {"protocol_version": 6}}', '$.broker.protocol_version'],
  ['count-zero.json', '{"gateways": {"count": 0}}', '$.gateways.count'],
  ['generator-type.json', '{"gateway": {"telemetry": {"t": {"type": "walk"}}}}', '$.gateway.telemetry.t.type'],
  ['empty-sequence.json', '{"gateway": {"telemetry": {"t": {"type": "sequence", "values": []}}}}', '$.gateway.telemetry.t.values'],
  ['unknown-device-field.json', '{"gateway": {"sub_devices": {"s1": {"telemtry": {}}}}}', '$.gateway.sub_devices.s1.telemtry'],
  ['failure-rate.json', '{"gateway": {"commands": {"Restart": {"failure_rate": 1.5}}}}', '$.gateway.commands.Restart.failure_rate'],
  ['latency-type.json', '{"gateway": {"commands": {"Restart": {"latency_ms": {"type": "gauss"}}}}}', '$.gateway.commands.Restart.latency_ms.type'],
  ['events-type.json', '{"gateway": {"events": {}}}', '$.gateway.events'],
  ['deep-attributes.json', '{"gateway": {"sub_gateways": {"g1": {"sub_devices": {"s": {"attributes": [1]}}}}}}', '$.gateway.sub_gateways.g1.sub_devices.s.attributes'],
  ['churn-jitter.json', '{"churn": {"every_s": 10, "jitter": 2}}', '$.churn.jitter'],
  ['interval-negative.json', '{"gateway": {"telemetry_interval_s": -1}}', '$.gateway.telemetry_interval_s'],
];

test(`${BAD.length} bad scenario files: exit 2 naming the JSON path and the expected shape, no connection made`, { timeout: 60_000 }, async (t) => {
  let connections = 0;
  const server = net.createServer((s) => {
    connections++;
    s.destroy();
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const url = `mqtt://127.0.0.1:${server.address().port}`;
  const results = await Promise.all(
    BAD.map(async ([name, text, where]) => {
      const file = await scenarioFile(name, text);
      const run = cli(['emulate', file, '--url', url, '--duration', '2']);
      const { code } = await run.exited;
      return { name, where, file, code, stderr: run.stderr };
    }),
  );
  for (const r of results) {
    assert.equal(r.code, 2, `${r.name}: exit ${r.code}\n${r.stderr}`);
    const line = r.stderr.trim();
    assert.ok(line.startsWith(`tpgate emulate: ${r.file}: ${r.where}`), `${r.name}: the message must start with the file and ${r.where}:\n${line}`);
    // The path must be the whole path, not a prefix of a longer one.
    assert.match(line.slice(`tpgate emulate: ${r.file}: ${r.where}`.length), /^:/, `${r.name}: ${line}`);
    assert.match(line, /expected /, `${r.name}: the message must say what was expected:\n${line}`);
  }
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(connections, 0, 'a bad scenario made a connection');
});
