// The client API in a real browser: headless Chromium loads the package's
// browser entry from a plain static server (ESM, an import map, no bundler),
// connects to mosquitto's WebSocket listener with the browser's own WebSocket
// and round-trips messages; an MQTT.js client on the broker's TCP listener is
// the other side of the cross checks. Both protocol versions.
//
// The page's code is pages/scenarios.js; a screenshot of each round trip goes
// to build-e2e/ (ignored by git).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { connectAsync } from 'mqtt';
import { freePort, startMosquitto } from '../js/helpers/mosquitto.js';
import { assertNoPageProblems, inPage, launchChromium, openPage, startAll } from './helpers/chromium.js';
import { startPackageServer } from './helpers/static-server.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const screenshots = path.join(root, 'build-e2e');

// A hang guard only: a lost message must fail the test, not stall the runner.
const TIMEOUT = 20_000;

let broker;
let server;
let browser;

before(async () => {
  // In parallel, but each kept as soon as it started, so after() can stop it
  // when another one failed.
  await startAll([
    startMosquitto().then((b) => (broker = b)),
    startPackageServer().then((s) => (server = s)),
    launchChromium().then((b) => (browser = b)),
    mkdir(screenshots, { recursive: true }),
  ]);
});

after(async () => {
  // Each closes even when another fails.
  await Promise.allSettled([browser?.close(), server?.stop(), broker?.stop()]);
});

const versions = [
  [4, 'MQTT 3.1.1'],
  [5, 'MQTT 5'],
];

async function clientPage(t) {
  const page = await openPage(browser, `${server.origin}/e2e/client.html`);
  t.after(() => page.close());
  const loaded = await inPage(page, page.evaluate(() => window.loaded));
  return { page, loaded };
}

// call(name, ...args) runs scenarios[name](...args) in the page; arguments
// and results cross as JSON.
function caller(page) {
  return (fn, ...args) => inPage(page, page.evaluate(([f, a]) => window.scenarios[f](...a), [fn, args]));
}

const hex = (bytes) => Buffer.from(bytes).toString('hex');

test('the browser entry loads with no Node globals and exports the client API', { timeout: TIMEOUT }, async (t) => {
  const { page, loaded } = await clientPage(t);
  const none = { process: 'undefined', Buffer: 'undefined', global: 'undefined', require: 'undefined' };
  assert.deepEqual(loaded.globalsBeforeLoad, none, 'the page itself must not provide Node globals');
  assert.deepEqual(loaded.globalsAfterLoad, none, 'loading tpgate must not patch in Node globals');
  for (const name of ['connect', 'loadTpgate', 'TpgateError', 'InvalidOptionError', 'ClientClosedError']) {
    assert.ok(loaded.exports.includes(name), `the browser entry does not export ${name}: ${loaded.exports.join(', ')}`);
  }
  assertNoPageProblems(page);
});

for (const [version, name] of versions) {
  test(`${name}: connect, subscribe, QoS 0/1/2 round trips, messages(), end() in the page`, { timeout: TIMEOUT }, async (t) => {
    const firstRequest = server.requests.length;
    const { page } = await clientPage(t);
    const clientId = `tpgate-chromium-v${version}-${process.pid}`;
    const base = `tpgate/e2e/chromium/${clientId}`;
    const text = 'hello from Chromium: ünïcödé ✓ 🛰';
    const everyByte = Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 7 + 3) & 0xff));
    // Several WebSocket frames' worth, yet small: mosquitto 2.0.11's WebSocket
    // listener sends about 4 KiB per 100 ms towards clients (eclipse-mosquitto
    // /mosquitto#2252), so large payloads towards the page only cost time here.
    const big = randomBytes(20_000);
    const userProperties = [['source', 'chromium'], ['source', 'again']];
    const sends = [
      { name: 'text-qos0', qos: 0, payload: { text }, expected: Buffer.from(text, 'utf8') },
      { name: 'bytes-qos1', qos: 1, payload: { hex: hex(everyByte) }, expected: everyByte },
      { name: 'big-qos2', qos: 2, payload: { hex: hex(big) }, expected: big },
      { name: 'empty-qos1', qos: 1, payload: { hex: '' }, expected: Buffer.alloc(0) },
      ...(version === 5
        ? [{ name: 'props-qos2', qos: 2, payload: { text: 'with properties' }, expected: Buffer.from('with properties'), properties: { userProperties } }]
        : []),
    ];

    const result = await inPage(
      page,
      page.evaluate(
        ([url, args]) => window.scenarios.roundTrip(url, args),
        [broker.wsUrl, { protocolVersion: version, clientId, base, sends: sends.map(({ expected, ...s }) => s) }],
      ),
    );

    assert.equal(result.clientId, clientId);
    assert.equal(result.protocolVersion, version);
    assert.equal(result.connectedBefore, true);
    assert.deepEqual(result.granted, [{ topic: `${base}/#`, qos: 2 }]);
    assert.deepEqual(
      result.published.map((p) => [p.name, p.qos, p.qos === 0 ? p.packetId === 0 : p.packetId > 0, p.reasonCode < 0x80]),
      sends.map((s) => [s.name, s.qos, true, true]),
    );

    for (const [via, messages] of [['the message event', result.viaEvent], ['messages()', result.viaIterator]]) {
      assert.equal(messages.length, sends.length, `${via} got ${messages.length} messages`);
      for (const send of sends) {
        const got = messages.find((m) => m.topic === `${base}/${send.name}`);
        assert.ok(got, `${via}: ${send.name} never arrived`);
        assert.equal(got.payloadIsUint8Array, true, `${via}: ${send.name} payload is not a Uint8Array`);
        assert.equal(got.payloadHex, hex(send.expected), `${via}: ${send.name} payload differs`);
        assert.equal(got.packetTopic, got.topic);
        assert.equal(got.packetPayloadHex, got.payloadHex, `${via}: packet.payload differs from payload`);
        assert.equal(got.qos, send.qos, `${via}: ${send.name} arrived at QoS ${got.qos}`);
        assert.equal(got.retain, false);
        assert.equal(got.dup, false);
        if (send.properties) assert.deepEqual(got.userProperties, userProperties);
      }
    }

    const none = { process: 'undefined', Buffer: 'undefined', global: 'undefined', require: 'undefined' };
    assert.deepEqual(result.globalsAfter, none, 'the wasm module or the client patched in Node globals');
    assert.equal(result.iteratorEnd, 'ended', 'messages() must end when the client ends');
    assert.equal(result.connectedAfter, false);
    assert.ok(result.events.includes('close'), `events after connect: ${result.events.join(', ')}`);
    assert.ok(!result.events.some((e) => e.startsWith('error')), `events after connect: ${result.events.join(', ')}`);
    assert.notEqual(result.publishAfterEnd, 'resolved', 'a publish after end() must reject');
    assert.equal(result.publishAfterEnd.code, 'ERR_CLIENT_CLOSED', JSON.stringify(result.publishAfterEnd));
    assert.equal(result.publishAfterEnd.isClientClosed, true, JSON.stringify(result.publishAfterEnd));

    // The module came from the bytes the entry embeds (dist/tpgate.wasm.js,
    // fetched once), not from a .wasm file, and no other module was fetched.
    const wasm = server.requests.slice(firstRequest).filter((r) => /\.wasm(\.js)?$/.test(r.path));
    assert.deepEqual(wasm, [{ method: 'GET', path: '/dist/tpgate.wasm.js', status: 200, type: 'text/javascript; charset=utf-8' }]);

    await page.screenshot({ path: path.join(screenshots, `round-trip-v${version}.png`), fullPage: true });
    assertNoPageProblems(page);
  });
}

for (const [version, name] of versions) {
  test(`${name}: the page and an MQTT.js client over TCP exchange messages both ways`, { timeout: TIMEOUT }, async (t) => {
    const { page } = await clientPage(t);
    const base = `tpgate/e2e/cross/v${version}-${process.pid}`;
    const node = await connectAsync(`mqtt://${broker.host}:${broker.tcpPort}`, {
      protocolVersion: version,
      clientId: `mqttjs-cross-v${version}-${process.pid}`,
      reconnectPeriod: 0,
    });
    t.after(() => node.endAsync(true));
    const atNode = [];
    const nodeWaiters = [];
    node.on('message', (topic, payload, packet) => {
      atNode.push({ topic, payload: Buffer.from(payload), qos: packet.qos });
      for (const w of nodeWaiters) w();
    });
    const nodeReceived = (count) =>
      new Promise((resolve) => {
        const check = () => atNode.length >= count && resolve(atNode.slice(0, count));
        nodeWaiters.push(check);
        check();
      });
    await node.subscribeAsync(`${base}/to-node/#`, { qos: 2 });

    const call = caller(page);
    const pageId = await call('openClient', broker.wsUrl, { protocolVersion: version, clientId: `tpgate-cross-v${version}-${process.pid}` });
    assert.deepEqual(await call('subscribe', pageId, `${base}/to-page/#`, { qos: 2 }), [{ topic: `${base}/to-page/#`, qos: 2 }]);

    // Page -> MQTT.js.
    const fromPage = [
      { topic: `${base}/to-node/q1`, qos: 1, bytes: randomBytes(1000) },
      // Above 64 KiB: the page's WebSocket frame needs the 64-bit length form.
      { topic: `${base}/to-node/q2`, qos: 2, bytes: randomBytes(70_000) },
      { topic: `${base}/to-node/q0`, qos: 0, bytes: Buffer.from('text from the page ✓', 'utf8'), text: true },
    ];
    for (const m of fromPage) {
      const payload = m.text ? { text: m.bytes.toString('utf8') } : { hex: hex(m.bytes) };
      await call('publish', pageId, m.topic, payload, { qos: m.qos });
    }
    const gotAtNode = await inPage(page, nodeReceived(fromPage.length));
    for (const m of fromPage) {
      const got = gotAtNode.find((g) => g.topic === m.topic);
      assert.ok(got, `${m.topic} never reached MQTT.js`);
      assert.equal(got.qos, m.qos);
      assert.ok(got.payload.equals(m.bytes), `${m.topic}: MQTT.js got different bytes`);
    }

    // MQTT.js -> page.
    const fromNode = [
      { topic: `${base}/to-page/q1`, qos: 1, bytes: randomBytes(256) },
      { topic: `${base}/to-page/q2`, qos: 2, bytes: randomBytes(20_000) },
      { topic: `${base}/to-page/q0`, qos: 0, bytes: Buffer.alloc(0) },
    ];
    for (const m of fromNode) await node.publishAsync(m.topic, m.bytes, { qos: m.qos });
    const gotInPage = await call('received', pageId, fromNode.length);
    for (const m of fromNode) {
      const got = gotInPage.find((g) => g.topic === m.topic);
      assert.ok(got, `${m.topic} never reached the page`);
      assert.equal(got.qos, m.qos);
      assert.equal(got.payloadIsUint8Array, true);
      assert.equal(got.payloadHex, hex(m.bytes), `${m.topic}: the page got different bytes`);
    }

    assert.equal(await call('endClient', pageId), false);
    assertNoPageProblems(page);
  });
}

for (const [version, name] of versions) {
  test(`${name}: dropped by the broker, the page's client reconnects, resubscribes and receives again`, { timeout: TIMEOUT }, async (t) => {
    const { page } = await clientPage(t);
    const clientId = `tpgate-takeover-v${version}-${process.pid}`;
    const topic = `tpgate/e2e/takeover/v${version}-${process.pid}`;
    const call = caller(page);
    await call('openClient', broker.wsUrl, { protocolVersion: version, clientId, reconnect: { minDelay: 20, maxDelay: 200 } });
    await call('subscribe', clientId, topic, { qos: 1 });

    // A second client with the same client id makes the broker close the
    // page's connection (session takeover); the page's client then comes
    // back and takes the id over in turn.
    const rival = await connectAsync(`mqtt://${broker.host}:${broker.tcpPort}`, {
      protocolVersion: version,
      clientId,
      reconnectPeriod: 0,
    });
    rival.on('error', () => {});  // it is dropped in turn; that is expected
    t.after(() => rival.endAsync(true));

    const { events, connected } = await call('eventsUntil', clientId, ['offline', 'reconnect', 'connect']);
    assert.equal(connected, true, `not connected after: ${JSON.stringify(events)}`);
    const offline = events.find((e) => e.name === 'offline');
    assert.match(offline.code ?? '', /^ERR_/, `offline without an error code: ${JSON.stringify(offline)}`);
    const connack = events.findLast((e) => e.name === 'connect');
    assert.equal(connack.sessionPresent, false, 'a clean start finds no session');

    // Its own SUBSCRIBE (the resubscription) reaches the broker before this
    // PUBLISH on the same connection, so the message must come back.
    const bytes = randomBytes(300);
    await call('publish', clientId, topic, { hex: hex(bytes) }, { qos: 1 });
    const [got] = await call('received', clientId, 1);
    assert.equal(got.topic, topic);
    assert.equal(got.payloadHex, hex(bytes));

    assert.equal(await call('endClient', clientId), false);
    assertNoPageProblems(page);
  });
}

test('connect() to a port where nothing listens rejects with ERR_CONNECT_FAILED in the page', { timeout: TIMEOUT }, async (t) => {
  const { page } = await clientPage(t);
  const url = `ws://127.0.0.1:${await freePort()}`;
  const call = caller(page);
  for (const options of [{ reconnect: false }, {}]) {
    const err = await call('connectFailure', url, options);
    assert.notEqual(err, 'resolved', `connect(${url}, ${JSON.stringify(options)}) must reject`);
    assert.equal(err.code, 'ERR_CONNECT_FAILED', JSON.stringify(err));
    assert.equal(err.isTpgateError, true, JSON.stringify(err));
  }
  // Chromium itself logs each refused WebSocket as a console error; those are expected.
  const refused = (p) => p.startsWith('console error: WebSocket connection to') && p.includes(url);
  assert.deepEqual(page.problems.filter((p) => !refused(p)), [], page.consoleLines.join('\n'));
});

test('bad options and arguments reject in the page with errors naming the option', { timeout: TIMEOUT }, async (t) => {
  const { page } = await clientPage(t);
  const results = await inPage(page, page.evaluate((url) => window.scenarios.badOptions(url), broker.wsUrl));
  const expected = {
    scheme: 'url',
    protocolVersion: 'protocolVersion',
    publishQos3: 'qos',
    publishWildcard: 'topic',
    subscribeBadFilter: 'filter',
  };
  for (const [what, option] of Object.entries(expected)) {
    const err = results[what];
    assert.notEqual(err, 'resolved', `${what} must reject`);
    assert.equal(err.code, 'ERR_INVALID_OPTION', `${what}: ${JSON.stringify(err)}`);
    assert.equal(err.isInvalidOption, true, `${what}: ${JSON.stringify(err)}`);
    assert.equal(err.isTpgateError, true, `${what}: ${JSON.stringify(err)}`);
    assert.equal(err.option, option, `${what}: ${JSON.stringify(err)}`);
  }
  assert.equal(results.stillConnected, true, 'refused calls must leave the client connected');
  // Below 0x80 is success; MQTT 5 brokers may say 0x10, no matching subscribers.
  assert.equal(results.goodPublish.qos, 1);
  assert.ok(results.goodPublish.reasonCode < 0x80, `reason code ${results.goodPublish.reasonCode}`);
  assertNoPageProblems(page);
});
