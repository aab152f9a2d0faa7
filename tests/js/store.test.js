// Session stores (the `store` option of connect()) against a real mosquitto:
// a session handed from one client to the next through memoryStore() and
// fileStore(), what a new connect() finds (client.restored), the log's
// compaction, and every bad store: torn, damaged, newer, someone else's,
// locked, unreadable, and a full disk.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { StoreError, connect, fileStore, memoryStore } from 'tpgate';
import { startMosquitto } from './helpers/mosquitto.js';
import { startProxy } from './helpers/tcp-proxy.js';

let broker;
before(async () => {
  broker = await startMosquitto();
});
after(async () => {
  await broker?.stop();
});

function tempDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'tpgate-store-'));
}

let ids = 0;
function clientId(name) {
  ids += 1;
  return `store-${name}-${process.pid}-${ids}`;
}

// A subscriber that counts what arrives on `topic/#` by payload.
async function subscriber(topic) {
  const sub = await connect(broker.tcpUrl, { clientId: clientId('sub'), protocolVersion: 5 });
  const seen = new Map();
  sub.on('message', (t, payload) => {
    const key = new TextDecoder().decode(payload);
    seen.set(key, (seen.get(key) ?? 0) + 1);
  });
  await sub.subscribe(`${topic}/#`, { qos: 2 });
  return { sub, seen };
}

async function until(predicate, what, ms = 10_000) {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

// Publishes while the client is offline (the proxy refuses it), then ends
// it: the messages stay in the store only.
async function publishOffline(store, id, topic, count) {
  const proxy = await startProxy(broker.tcpPort);
  const first = await connect(`mqtt://127.0.0.1:${proxy.port}`, {
    clientId: id,
    clean: false,
    sessionExpiryInterval: 300,
    store,
    reconnect: { minDelay: 50, maxDelay: 100 },
  });
  proxy.block(true);
  proxy.cut();
  await until(() => !first.connected, 'the client to go offline');
  const pending = [];
  for (let i = 0; i < count; i++) {
    pending.push(first.publish(`${topic}/${i % 2 === 0 ? 'q1' : 'q2'}`, `m${i}`, { qos: i % 2 === 0 ? 1 : 2 }).catch((err) => err));
  }
  await first.end();
  const results = await Promise.all(pending);
  await proxy.close();
  return { results, server: `mqtt://127.0.0.1:${proxy.port}` };
}

describe('a session handed on through a store', () => {
  test('memoryStore: messages published offline are sent by the next client, once', async () => {
    const store = memoryStore();
    const id = clientId('mem');
    const topic = `store/${id}`;
    const { sub, seen } = await subscriber(topic);
    const proxy = await startProxy(broker.tcpPort);
    const url = `mqtt://127.0.0.1:${proxy.port}`;
    const first = await connect(url, { clientId: id, clean: false, sessionExpiryInterval: 300, store, reconnect: { minDelay: 50, maxDelay: 100 } });
    assert.equal(first.restored.outbound + first.restored.queued, 0);
    proxy.block(true);
    proxy.cut();
    await until(() => !first.connected, 'offline');
    const pending = [];
    for (let i = 0; i < 20; i++) pending.push(first.publish(`${topic}/x`, `m${i}`, { qos: i % 2 === 0 ? 1 : 2 }).catch((e) => e));
    await first.end();
    for (const result of await Promise.all(pending)) {
      assert.equal(result.code, 'ERR_CLIENT_CLOSED');
      assert.match(result.message, /the session store keeps it/);
    }
    proxy.block(false);
    const second = await connect(url, { clientId: id, clean: false, sessionExpiryInterval: 300, store });
    assert.equal(second.restored.queued, 20);
    assert.deepEqual(
      second.restored.messages.map((m) => new TextDecoder().decode(m.payload)),
      Array.from({ length: 20 }, (_, i) => `m${i}`),
    );
    await until(() => seen.size === 20, 'all 20 messages');
    await sleep(200);
    for (let i = 1; i < 20; i += 2) assert.equal(seen.get(`m${i}`), 1, `QoS 2 m${i} exactly once`);
    await second.end();
    // Everything completed: the next client finds nothing to send.
    const third = await connect(url, { clientId: id, clean: false, sessionExpiryInterval: 300, store });
    assert.equal(third.restored.outbound + third.restored.queued, 0);
    await third.end();
    await sub.end();
    await proxy.close();
  });
});

describe('fileStore', () => {
  test('resumes a session after the client ended, from the folder alone', async () => {
    const dir = tempDir();
    const id = clientId('resume');
    const topic = `store/${id}`;
    const { sub, seen } = await subscriber(topic);
    const first = await connect(broker.tcpUrl, { clientId: id, clean: false, protocolVersion: 4, store: fileStore(dir) });
    await first.publish(`${topic}/a`, 'before', { qos: 1 });
    await first.end();
    const second = await connect(broker.tcpUrl, { clientId: id, clean: false, protocolVersion: 4, store: fileStore(dir) });
    assert.equal(second.restored.clientId, id);
    assert.equal(second.restored.server, broker.tcpUrl.replace(/\/$/, ''));
    await second.publish(`${topic}/a`, 'after', { qos: 2 });
    await until(() => seen.size === 2, 'both messages');
    await second.end();
    await sub.end();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('compacts its log as it grows, and what is left describes what is pending', async () => {
    const dir = tempDir();
    const id = clientId('compact');
    const store = fileStore(dir, { sync: 'os' });
    const client = await connect(broker.tcpUrl, { clientId: id, clean: false, store });
    const payload = 'x'.repeat(2000);
    for (let round = 0; round < 10; round++) {
      await Promise.all(Array.from({ length: 200 }, () => client.publish(`store/${id}/c`, payload, { qos: 1 })));
    }
    // 2,000 messages of 2 KB went through the log; it was compacted down.
    assert.ok(store.size < 4 * 1024 * 1024, `log of ${store.size} bytes after 4 MB of messages`);
    await client.end();
    const again = await connect(broker.tcpUrl, { clientId: id, clean: false, store: fileStore(dir) });
    assert.equal(again.restored.outbound + again.restored.queued, 0);
    await again.end();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('bad options and a store without a client id are refused by name', async () => {
    assert.throws(() => fileStore(''), { code: 'ERR_INVALID_OPTION', option: 'dir' });
    assert.throws(() => fileStore('/tmp/x', { sync: 'never' }), /sync must be one of 'interval', 'always', 'os'/);
    assert.throws(() => fileStore('/tmp/x', { syncIntervall: 5 }), /unknown option 'syncIntervall'/);
    await assert.rejects(connect(broker.tcpUrl, { store: memoryStore() }), { code: 'ERR_INVALID_OPTION', option: 'clientId' });
    await assert.rejects(connect(broker.tcpUrl, { clientId: 'x', store: {} }), { code: 'ERR_INVALID_OPTION', option: 'store' });
  });
});

describe('bad stores', () => {
  // A store folder holding a session with some messages pending.
  async function pendingStore() {
    const dir = tempDir();
    const id = clientId('bad');
    const { server } = await publishOffline(fileStore(dir), id, `store/${id}`, 6);
    const log = fs.readFileSync(path.join(dir, 'session.log'));
    return { dir, id, server, log };
  }

  // Entry boundaries of a log: [start, end) of each entry.
  function entries(log) {
    const out = [];
    for (let at = 0; at + 4 <= log.length; ) {
      const n = log.readUInt32LE(at);
      out.push([at, at + 8 + n]);
      at += 8 + n;
    }
    return out;
  }

  // connect() through a proxy on the store's own port is not possible (a new
  // proxy gets a new port): the server check is made with the store's name of it.
  async function open(dir, id, server, options = {}) {
    const port = Number(new URL(server).port);
    // Stand up a proxy on the port the session was made with, when it is free.
    const net = await import('node:net');
    const listener = net.createServer((socket) => {
      const upstream = net.connect(broker.tcpPort, '127.0.0.1');
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    });
    await new Promise((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(port, '127.0.0.1', resolve);
    });
    try {
      const client = await connect(server, { clientId: id, clean: false, sessionExpiryInterval: 300, store: fileStore(dir, options) });
      const warnings = [];
      client.on('warning', (w) => warnings.push(w));
      await sleep(50);
      return { client, warnings, close: () => new Promise((resolve) => listener.close(resolve)) };
    } catch (err) {
      await new Promise((resolve) => listener.close(resolve));
      throw err;
    }
  }

  test('a log torn inside its last entry loses that entry only, with a warning', async () => {
    const { dir, id, server, log } = await pendingStore();
    const all = entries(log);
    const [start, end] = all[all.length - 1];
    fs.writeFileSync(path.join(dir, 'session.log'), log.subarray(0, start + Math.floor((end - start) / 2)));
    const { client, warnings, close } = await open(dir, id, server);
    assert.equal(client.restored.droppedBytes, Math.floor((end - start) / 2));
    assert.equal(client.restored.queued + client.restored.outbound, 5, 'the five intact messages');
    assert.match(warnings.join('\n'), /dropped the last \d+ bytes of the log \(torn by a crash/);
    await client.end();
    await close();
    // The torn tail is gone from the file: the next open finds an intact log.
    const next = await open(dir, id, server);
    assert.equal(next.client.restored.droppedBytes, 0);
    await next.client.end();
    await next.close();
  });

  test('a damaged entry before the tail is refused, and recover: true keeps what was before it', async () => {
    const { dir, id, server, log } = await pendingStore();
    const all = entries(log);
    const [start] = all[2];
    const damaged = Buffer.from(log);
    damaged[start + 9] ^= 0xff;
    fs.writeFileSync(path.join(dir, 'session.log'), damaged);
    await assert.rejects(open(dir, id, server), (err) => {
      assert.ok(err instanceof StoreError);
      assert.equal(err.code, 'ERR_STORE_CORRUPT');
      assert.match(err.message, new RegExp(`damaged at byte ${start} .*the 2 entries before it are intact`));
      return true;
    });
    // Refused means untouched.
    assert.deepEqual(fs.readFileSync(path.join(dir, 'session.log')), damaged);
    const { client, close } = await open(dir, id, server, { recover: true });
    assert.equal(client.restored.corrupt, true);
    assert.equal(client.restored.queued, 1, 'the one message before the damage');
    await client.end();
    await close();
  });

  test('a store written by a newer version is refused, not read', async () => {
    const { dir, id, server, log } = await pendingStore();
    const newer = Buffer.from(log);
    newer[9] = 99; // the header's format byte
    const n = newer.readUInt32LE(0);
    newer.writeUInt32LE(crc32(newer.subarray(4, 4 + n)), 4 + n);
    fs.writeFileSync(path.join(dir, 'session.log'), newer);
    await assert.rejects(open(dir, id, server), { code: 'ERR_STORE_VERSION', message: /newer tpgate \(store format 99; this one reads format 1\)/ });
  });

  test('another client id or protocol version is refused, and the store is left alone', async () => {
    const { dir, id, server, log } = await pendingStore();
    await assert.rejects(open(dir, `${id}-other`, server), { code: 'ERR_STORE_MISMATCH', message: new RegExp(`client id '${id}'`) });
    assert.deepEqual(fs.readFileSync(path.join(dir, 'session.log')), log);
    assert.equal(fs.existsSync(path.join(dir, 'lock')), false, 'a refused store is unlocked');
  });

  test('a folder in use by a live process is locked; a dead one\'s lock is taken over', async () => {
    const { dir, id, server } = await pendingStore();
    fs.writeFileSync(path.join(dir, 'lock'), String(process.ppid));
    await assert.rejects(open(dir, id, server), { code: 'ERR_STORE_LOCKED', message: new RegExp(`in use by process ${process.ppid}`) });
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => dead.on('exit', resolve));
    fs.writeFileSync(path.join(dir, 'lock'), String(dead.pid));
    const { client, close } = await open(dir, id, server);
    assert.equal(client.restored.queued, 6);
    await client.end();
    await close();
  });

  test('a store made with another server is refused', async () => {
    const { dir, id, server } = await pendingStore();
    await assert.rejects(
      connect(broker.tcpUrl, { clientId: id, clean: false, store: fileStore(dir) }),
      (err) => err instanceof StoreError && err.code === 'ERR_STORE_MISMATCH' && err.message.includes(`a session with ${server}`),
    );
  });

  test('not a store at all', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'session.log'), 'id,name\n1,gw-1\n');
    await assert.rejects(connect(broker.tcpUrl, { clientId: clientId('junk'), store: fileStore(dir) }), {
      code: 'ERR_STORE_CORRUPT',
      message: /not a tpgate session store/,
    });
  });
});

describe('a full disk', () => {
  test('writes that fail hold the client back, say so once, and nothing is lost when space returns', async (t) => {
    // A 256 KiB tmpfs of the test's own (a user and mount namespace: no root
    // needed on the host), filled up by the child, then freed.
    const child = spawn(
      'unshare',
      ['-rm', 'sh', '-c', `mkdir -p "$D" && mount -t tmpfs -o size=256k tmpfs "$D" && exec "${process.execPath}" "${path.join(import.meta.dirname, 'helpers', 'full-disk-child.js')}"`],
      { env: { ...process.env, D: tempDir(), BROKER: broker.tcpUrl, CLIENT_ID: clientId('full') }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const code = await new Promise((resolve) => child.on('exit', resolve));
    t.diagnostic(out.trim());
    assert.equal(code, 0, out);
    const result = JSON.parse(out.trim().split('\n').pop());
    assert.equal(result.errors[0].code, 'ERR_STORE_WRITE');
    assert.match(result.errors[0].message, /no space left on device.*retrying every second/i);
    assert.equal(result.errors.length, 1, 'one error per failure streak');
    assert.equal(result.recovered, true);
    assert.equal(result.received, result.published, 'every message arrived once space was back');
    assert.equal(result.duplicates, 0);
  });
});

// CRC-32 (IEEE), as the log's entries carry it.
function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

describe('connectGateway with a store', () => {
  test('a report awaiting the platform\'s ack is waited for again by the next gateway, and its ack settles it', async () => {
    const { connectGateway } = await import('tpgate/gateway');
    const store = memoryStore();
    const deviceNumber = `dn-store-${process.pid}`;
    const options = { deviceNumber, clientId: clientId('gw'), clean: false, sessionExpiryInterval: 300, store, ackTimeout: 30_000 };
    const first = await connectGateway(broker.tcpUrl, options);
    assert.deepEqual(first.restoredReports, []);
    const pending = first.reportEvent({ gateway: { method: 'door', params: { open: true } } });
    pending.catch(() => {});
    await sleep(100); // published (PUBACK), no platform to ack it
    await first.end();
    await assert.rejects(pending, { code: 'ERR_CLIENT_CLOSED' });

    const second = await connectGateway(broker.tcpUrl, options);
    assert.equal(second.restoredReports.length, 1);
    const [report] = second.restoredReports;
    assert.equal(report.what, 'event report');
    assert.match(report.messageId, /^\d+$/);
    // The platform's ack, late: it settles the report of the earlier process.
    const platform = await connect(broker.tcpUrl, { clientId: clientId('platform') });
    await platform.publish(`gateway/event/response/${deviceNumber}/${report.messageId}`, JSON.stringify({ result: 0, message: 'success', ts: 1 }), { qos: 1 });
    const acked = await report.settled;
    assert.equal(acked.messageId, report.messageId);
    await second.end();
    // Acked: gone from the store.
    const third = await connectGateway(broker.tcpUrl, options);
    assert.deepEqual(third.restoredReports, []);
    await third.end();
    await platform.end();
  });
});

describe('write-through', () => {
  test('with an asynchronous store nothing goes out before its write completes; stored() waits for it', async () => {
    const inner = memoryStore();
    const held = [];
    let holding = false;
    // A store of our own: every append waits while `holding`.
    const store = {
      load: async () => inner.load(),
      replace: async (bytes) => inner.replace(bytes),
      append: (bytes) =>
        new Promise((resolve) => {
          const done = () => {
            inner.append(bytes);
            resolve();
          };
          if (holding) held.push(done);
          else setTimeout(done, 1);
        }),
      close: () => {},
    };
    const id = clientId('async');
    const topic = `store/${id}`;
    const { sub, seen } = await subscriber(topic);
    const client = await connect(broker.tcpUrl, { clientId: id, clean: false, store });
    holding = true;
    const published = client.publish(`${topic}/a`, 'held', { qos: 1 });
    let isStored = false;
    const stored = client.stored().then(() => (isStored = true));
    await sleep(300);
    assert.equal(seen.size, 0, 'the PUBLISH waited for the store');
    assert.equal(isStored, false);
    assert.ok(held.length >= 1);
    holding = false;
    for (const release of held.splice(0)) release();
    await stored;
    await published;
    await until(() => seen.get('held') === 1, 'the message');
    await client.end();
    await sub.end();
  });

  test('remember() keeps values with the session; without a store it does nothing', async () => {
    const store = memoryStore();
    const id = clientId('remember');
    const first = await connect(broker.tcpUrl, { clientId: id, clean: false, store });
    assert.deepEqual(first.restored.values, {});
    first.remember('next', '41');
    first.remember('next', '42');
    first.remember('site', 'north');
    assert.throws(() => first.remember('', 'x'), { code: 'ERR_INVALID_OPTION', option: 'key' });
    assert.throws(() => first.remember('n', 42), { code: 'ERR_INVALID_OPTION', option: 'value' });
    await first.stored();
    await first.end();
    const second = await connect(broker.tcpUrl, { clientId: id, clean: false, store });
    assert.deepEqual(second.restored.values, { next: '42', site: 'north' });
    await second.end();
    const plain = await connect(broker.tcpUrl, { clientId: clientId('plain') });
    plain.remember('next', '1');
    await plain.stored();
    assert.equal(plain.restored, null);
    await plain.end();
  });
});
