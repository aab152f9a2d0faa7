// Run by store.test.js inside its own small tmpfs ($D): a client with a
// fileStore there publishes, the disk fills up, it publishes more, the disk
// is freed. Prints one JSON line: what errors it saw and what arrived.
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, fileStore } from 'tpgate';

const dir = process.env.D;
const broker = process.env.BROKER;
const id = process.env.CLIENT_ID;
const topic = `store/${id}`;
const decoder = new TextDecoder();

const sub = await connect(broker, { clientId: `${id}-sub` });
const seen = new Map();
sub.on('message', (_t, payload) => {
  const key = decoder.decode(payload);
  seen.set(key, (seen.get(key) ?? 0) + 1);
});
await sub.subscribe(`${topic}/#`, { qos: 2 });

const client = await connect(broker, { clientId: id, clean: false, store: fileStore(path.join(dir, 'store'), { sync: 'os' }) });
const errors = [];
let recovered = false;
client.on('error', (err) => errors.push({ code: err.code, message: err.message }));
client.on('storeRecovered', () => {
  recovered = true;
});
const payload = (i) => `m${i}-${'x'.repeat(200)}`;
let published = 0;
await Promise.all(Array.from({ length: 50 }, (_, i) => client.publish(`${topic}/a`, payload(published++), { qos: 1 })));

// Fill the disk.
const filler = path.join(dir, 'filler');
const fd = fs.openSync(filler, 'w');
try {
  for (;;) fs.writeSync(fd, Buffer.alloc(4096));
} catch (err) {
  if (err.code !== 'ENOSPC') throw err;
}
fs.closeSync(fd);

let done = 0;
const later = Array.from({ length: 50 }, (_, i) =>
  client.publish(`${topic}/b`, payload(published++), { qos: i % 2 === 0 ? 1 : 2 }).then(() => done++),
);
const start = Date.now();
while (errors.length === 0 && Date.now() - start < 5000) await sleep(20);
await sleep(1500);
if (done !== 0) throw new Error(`${done} publishes completed while the store could not be written`);
if (seen.size !== 50) throw new Error(`${seen.size - 50} messages went out while the store could not be written`);
fs.rmSync(filler);
await Promise.all(later);
const end = Date.now() + 5000;
while (seen.size < published && Date.now() < end) await sleep(20);
await sleep(200);
let duplicates = 0;
for (const n of seen.values()) if (n > 1) duplicates += n - 1;
await client.end();
await sub.end();
console.log(JSON.stringify({ errors, recovered, published, received: seen.size, duplicates }));
