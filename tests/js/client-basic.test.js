// The client API (connect / MqttClient) against a real mosquitto, over
// WebSocket and TCP, MQTT 3.1.1 and 5: pub/sub at every QoS, the messages()
// iterator, end() settling what is pending, refused and failed connections,
// and bad options named in the error.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { ClientClosedError, ConnectionRefusedError, InvalidOptionError, TpgateError, connect } from 'tpgate';
import { freePort, startMosquitto } from './helpers/mosquitto.js';

let broker;
before(async () => {
  broker = await startMosquitto();
});
after(async () => {
  await broker?.stop();
});

const urls = {
  ws: () => broker.wsUrl,
  tcp: () => `mqtt://127.0.0.1:${broker.tcpPort}`,
};

// Resolves with the next `count` messages whose topic starts with `prefix`.
function collect(client, prefix, count) {
  return new Promise((resolve) => {
    const got = [];
    const listener = (topic, payload, packet) => {
      if (!topic.startsWith(prefix)) return;
      got.push(packet);
      if (got.length === count) {
        client.off('message', listener);
        resolve(got);
      }
    };
    client.on('message', listener);
  });
}

for (const transport of ['ws', 'tcp']) {
  for (const version of [4, 5]) {
    test(`${transport}, MQTT ${version === 4 ? '3.1.1' : '5'}: subscribe, publish QoS 0/1/2, receive, unsubscribe, end`, async (t) => {
      const client = await connect(urls[transport](), { protocolVersion: version, reconnect: false });
      t.after(() => client.end(true));
      assert.equal(client.connected, true);
      assert.equal(client.protocolVersion, version);
      assert.match(client.clientId, /^tpgate_[0-9a-f]{8}$/);

      const prefix = `client-basic/${transport}/${version}/${client.clientId}`;
      const granted = await client.subscribe(`${prefix}/#`, { qos: 2 });
      assert.deepEqual(granted, [{ topic: `${prefix}/#`, qos: 2 }]);

      const arriving = collect(client, prefix, 3);
      // Every byte value, so any text decoding on the way would show.
      const binary = new Uint8Array(256).map((_, i) => (i * 7 + 3) & 0xff);
      const results = await Promise.all([
        client.publish(`${prefix}/q0`, 'zero', { qos: 0 }),
        client.publish(`${prefix}/q1`, binary, { qos: 1 }),
        client.publish(`${prefix}/q2`, 'zwei \u00fc', { qos: 2 }),
      ]);
      assert.deepEqual(
        results.map((r) => r.qos),
        [0, 1, 2],
      );
      assert.equal(results[0].packetId, 0);
      assert.ok(results[1].packetId > 0 && results[2].packetId > 0);
      assert.ok(results.every((r) => r.reasonCode < 0x80));

      const messages = (await arriving).sort((a, b) => a.topic.localeCompare(b.topic));
      assert.deepEqual(
        messages.map((m) => [m.topic, m.qos, m.retain]),
        [
          [`${prefix}/q0`, 0, false],
          [`${prefix}/q1`, 1, false],
          [`${prefix}/q2`, 2, false],
        ],
      );
      assert.ok(messages[1].payload instanceof Uint8Array);
      assert.deepEqual([...messages[1].payload], [...binary]);
      assert.equal(new TextDecoder().decode(messages[0].payload), 'zero');
      assert.equal(new TextDecoder().decode(messages[2].payload), 'zwei \u00fc');

      await client.unsubscribe(`${prefix}/#`);
      // Nothing comes back after the unsubscribe: our own QoS 1 publish is
      // acknowledged but not delivered to us.
      let late = 0;
      client.on('message', () => late++);
      await client.publish(`${prefix}/after`, 'x', { qos: 1 });
      await client.subscribe(`${prefix}/sync`, { qos: 1 });
      const sync = collect(client, `${prefix}/sync`, 1);
      await client.publish(`${prefix}/sync`, 's', { qos: 1 });
      await sync;
      assert.equal(late, 1, 'only the message on the new subscription arrives');

      const closed = new Promise((resolve) => client.once('close', resolve));
      await client.end();
      await closed;
      assert.equal(client.connected, false);
      await assert.rejects(client.publish(`${prefix}/x`, 'x'), ClientClosedError);
    });
  }
}

test('connect events: the first CONNACK is seen by a listener attached after await connect()', async (t) => {
  const client = await connect(broker.wsUrl, { reconnect: false });
  t.after(() => client.end(true));
  const connack = await new Promise((resolve) => client.on('connect', resolve));
  assert.equal(connack.reasonCode, 0);
  assert.equal(connack.sessionPresent, false);
  assert.equal(typeof connack.properties, 'object');
});

// A TCP proxy in front of the broker whose connections the test can cut, to
// lose a connection without stopping the broker.
async function startProxy(targetPort) {
  const sockets = new Set();
  const server = net.createServer((inbound) => {
    const outbound = net.connect({ host: '127.0.0.1', port: targetPort });
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    cut() {
      for (const s of sockets) s.destroy();
    },
    close() {
      this.cut();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

test('a lost connection: close, offline, reconnect, connect; a QoS 1 publish made while offline completes', async (t) => {
  const proxy = await startProxy(broker.tcpPort);
  t.after(() => proxy.close());
  const client = await connect(`mqtt://127.0.0.1:${proxy.port}`, { reconnect: { minDelay: 20, maxDelay: 100 } });
  t.after(() => client.end(true));
  const topic = `client-basic/reconnect/${client.clientId}`;
  await client.subscribe(topic, { qos: 1 });
  await new Promise((resolve) => setTimeout(resolve, 0)); // the first 'connect' event has been emitted

  const events = [];
  for (const name of ['close', 'offline', 'reconnect', 'connect']) client.on(name, () => events.push(name));
  const offline = new Promise((resolve) => client.once('offline', resolve));
  const reconnected = new Promise((resolve) => client.once('connect', resolve));
  proxy.cut();
  const err = await offline;
  assert.ok(err instanceof TpgateError);
  assert.equal(err.code, 'ERR_TRANSPORT');
  assert.equal(client.connected, false);

  const arriving = collect(client, topic, 1);
  const published = client.publish(topic, 'sent while offline', { qos: 1 });
  const connack = await reconnected;
  assert.equal(connack.reasonCode, 0);
  assert.equal(client.connected, true);
  const result = await published;
  assert.ok(result.packetId > 0);
  const [message] = await arriving;
  assert.equal(new TextDecoder().decode(message.payload), 'sent while offline');
  assert.deepEqual(events.slice(0, 4), ['close', 'offline', 'reconnect', 'connect']);
});

test('messages(): an async iterator over matching messages, done on end()', async () => {
  const client = await connect(broker.wsUrl, { reconnect: false });
  const prefix = `client-basic/iter/${client.clientId}`;
  await client.subscribe(`${prefix}/#`, { qos: 1 });

  const sensors = client.messages(`${prefix}/sensors/+`);
  const everything = client.messages();
  // Published before anyone reads: the iterator buffers them.
  await client.publish(`${prefix}/sensors/a`, '1', { qos: 1 });
  await client.publish(`${prefix}/other`, '2', { qos: 1 });
  await client.publish(`${prefix}/sensors/b`, '3', { qos: 1 });

  const seen = [];
  for await (const m of sensors) {
    seen.push([m.topic, new TextDecoder().decode(m.payload)]);
    if (seen.length === 2) break; // return(): stops this iterator only
  }
  assert.deepEqual(seen, [
    [`${prefix}/sensors/a`, '1'],
    [`${prefix}/sensors/b`, '3'],
  ]);
  assert.deepEqual(await sensors.next(), { value: undefined, done: true });

  const all = [];
  for (let i = 0; i < 3; i++) all.push((await everything.next()).value.topic);
  assert.deepEqual(all, [`${prefix}/sensors/a`, `${prefix}/other`, `${prefix}/sensors/b`]);

  // A consumer waiting when the client ends gets done, not a hang.
  const waiting = everything.next();
  await client.end();
  assert.deepEqual(await waiting, { value: undefined, done: true });
  assert.deepEqual(await client.messages('#').next(), { value: undefined, done: true });
});

test('end() rejects every pending operation with ClientClosedError, and end(true) too', async () => {
  for (const force of [false, true]) {
    const client = await connect(broker.wsUrl, { reconnect: false });
    const topic = `client-basic/pending/${client.clientId}`;
    // No acknowledgement can arrive before end() runs in this same tick.
    const pub1 = client.publish(topic, 'a', { qos: 1 });
    const pub2 = client.publish(topic, 'b', { qos: 2 });
    const sub = client.subscribe(topic, { qos: 1 });
    const unsub = client.unsubscribe(topic);
    const ended = client.end(force);
    assert.equal(client.end(force), ended, 'end() is idempotent');
    for (const pending of [pub1, pub2, sub, unsub]) {
      await assert.rejects(pending, (err) => {
        assert.ok(err instanceof ClientClosedError, `${err}`);
        assert.ok(err instanceof TpgateError);
        assert.equal(err.code, 'ERR_CLIENT_CLOSED');
        return true;
      });
    }
    await ended;
    assert.equal(client.connected, false);
  }
});

describe('connection refused', () => {
  let secured;
  let dir;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tpgate-passwd-'));
    const passwordFile = path.join(dir, 'passwd');
    await promisify(execFile)('mosquitto_passwd', ['-b', '-c', passwordFile, 'alice', 'secret']);
    secured = await startMosquitto({ config: ['allow_anonymous false', `password_file ${passwordFile}`] });
  });
  after(async () => {
    await secured?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const version of [4, 5]) {
    test(`MQTT ${version === 4 ? '3.1.1' : '5'}: a wrong password rejects connect() with ConnectionRefusedError`, async () => {
      for (const url of [secured.wsUrl, `mqtt://127.0.0.1:${secured.tcpPort}`]) {
        await assert.rejects(
          connect(url, { protocolVersion: version, username: 'alice', password: 'wrong' }),
          (err) => {
            assert.ok(err instanceof ConnectionRefusedError, `${err}`);
            assert.equal(err.code, 'ERR_CONNECTION_REFUSED');
            // 0x86 Bad User Name or Password or 0x87 Not Authorized (3.1.1 return codes 4/5 map to them).
            assert.ok([0x86, 0x87].includes(err.reasonCode), `reasonCode 0x${err.reasonCode?.toString(16)}`);
            assert.match(err.message, /refused/);
            return true;
          },
        );
      }
      await assert.rejects(connect(secured.wsUrl, { protocolVersion: version }), ConnectionRefusedError);
      const client = await connect(secured.wsUrl, { protocolVersion: version, username: 'alice', password: 'secret' });
      assert.equal(client.connected, true);
      await client.end();
    });
  }
});

describe('TLS: mqtts:// and wss://', () => {
  let tlsBroker;
  let dir;
  let ca;
  let mqttsPort;
  let wssPort;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tpgate-tls-'));
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    // A throwaway self-signed certificate for 127.0.0.1, trusted by the client as its own CA.
    await promisify(execFile)('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    ]);
    ca = await readFile(cert);
    mqttsPort = await freePort();
    wssPort = await freePort();
    tlsBroker = await startMosquitto({
      config: [
        `listener ${mqttsPort} 127.0.0.1`, 'protocol mqtt', `certfile ${cert}`, `keyfile ${key}`,
        `listener ${wssPort} 127.0.0.1`, 'protocol websockets', `certfile ${cert}`, `keyfile ${key}`,
      ],
    });
  });
  after(async () => {
    await tlsBroker?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('round trip over mqtts:// and wss:// with the server certificate as CA; an untrusted one fails', async () => {
    for (const url of [`mqtts://127.0.0.1:${mqttsPort}`, `wss://127.0.0.1:${wssPort}`]) {
      const client = await connect(url, { reconnect: false, tls: { ca } });
      try {
        const topic = `client-basic/tls/${client.clientId}`;
        await client.subscribe(topic, { qos: 1 });
        const arriving = collect(client, topic, 1);
        await client.publish(topic, 'over tls', { qos: 1 });
        const [message] = await arriving;
        assert.equal(new TextDecoder().decode(message.payload), 'over tls');
      } finally {
        await client.end();
      }
      // Without the CA the self-signed certificate is refused: the first connect fails.
      await assert.rejects(connect(url, { reconnect: false }), (err) => {
        assert.equal(err.code, 'ERR_CONNECT_FAILED');
        assert.match(err.message, /certificate/i);
        return true;
      });
    }
  });
});

test('a closed port rejects connect() with ERR_CONNECT_FAILED naming the URL and the cause', async () => {
  const port = await freePort();
  for (const url of [`ws://127.0.0.1:${port}/mqtt`, `mqtt://127.0.0.1:${port}`]) {
    await assert.rejects(connect(url), (err) => {
      assert.ok(err instanceof TpgateError, `${err}`);
      assert.equal(err.code, 'ERR_CONNECT_FAILED');
      assert.ok(err.message.includes(`127.0.0.1:${port}`), err.message);
      assert.match(err.message, /ECONNREFUSED/);
      return true;
    });
  }
});

test('bad options and arguments reject with InvalidOptionError naming the option', async (t) => {
  const url = broker.wsUrl;
  const cases = [
    [() => connect('http://127.0.0.1:1/'), 'url', /ws:\/\//],
    [() => connect('not a url'), 'url', /not a valid URL/],
    [() => connect(url, { protocolVersion: 3 }), 'protocolVersion', /4 .* or 5/],
    [() => connect(url, { keepalive: 65536 }), 'keepalive', /0 to 65535/],
    [() => connect(url, { keepalive: -1 }), 'keepalive', /0 to 65535/],
    [() => connect(url, { keepAlive: 30 }), 'keepAlive', /did you mean 'keepalive'/],
    [() => connect(url, { will: { topic: 'w', qos: 3 } }), 'will.qos', /0, 1 or 2/],
    [() => connect(url, { will: { topic: 'w/#' } }), 'will.topic', /wildcard/],
    [() => connect(url, { will: { topic: 'w', payload: 42 } }), 'will.payload', /string or a Uint8Array/],
    [() => connect(url, { reconnect: { minDelay: 10, maxdelay: 20 } }), 'reconnect.maxdelay', /reconnect.maxDelay/],
    [() => connect(url, { clean: 'yes' }), 'clean', /true or false/],
  ];
  for (const [call, option, message] of cases) {
    await assert.rejects(call(), (err) => {
      assert.ok(err instanceof InvalidOptionError, `${option}: ${err}`);
      assert.equal(err.code, 'ERR_INVALID_OPTION');
      assert.equal(err.option, option);
      assert.match(err.message, message);
      assert.ok(err.message.includes(option), err.message);
      return true;
    });
  }

  const client = await connect(url, { reconnect: false });
  t.after(() => client.end(true));
  const calls = [
    [() => client.publish('a/+/b', 'x'), 'topic', /wildcard/],
    [() => client.publish('', 'x'), 'topic', /topic/],
    [() => client.publish('a', 'x', { qos: 3 }), 'qos', /0, 1 or 2/],
    [() => client.publish('a', 42), 'payload', /string or a Uint8Array/],
    [() => client.publish('a', 'x', { retian: true }), 'retian', /did you mean 'retain'/],
    [() => client.subscribe('a/#/b'), 'filter', /#/],
    [() => client.subscribe('a', { qos: 3 }), 'qos', /0, 1 or 2/],
    [() => client.unsubscribe('a/b#'), 'filter', /#/],
  ];
  for (const [call, option, message] of calls) {
    await assert.rejects(call(), (err) => {
      assert.ok(err instanceof InvalidOptionError, `${option}: ${err}`);
      assert.equal(err.option, option);
      assert.match(err.message, message);
      return true;
    });
  }
  // The client is still usable after refused calls.
  await client.subscribe(`client-basic/ok/${client.clientId}`, { qos: 1 });
});
