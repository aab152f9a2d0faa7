// A publisher process killed with SIGKILL at random points, at least five
// times, and started again with the same fileStore: a subscriber through
// mosquitto receives every QoS 1 message at least once and every QoS 2
// message exactly once. The seed of the kill schedule is printed; replay with
// CRASH_SEED=... (CRASH_TOTAL sets the number of messages, default 20,000).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { mulberry32 } from './helpers/chaos-proxy.js';
import { startMosquitto } from './helpers/mosquitto.js';
import { sequenceFindings, sequenceSubscriber } from './helpers/sequence.js';

const SEED = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const TOTAL = Number(process.env.CRASH_TOTAL ?? 20_000);
const KILLS = 5;
const CHILD = path.join(import.meta.dirname, 'helpers', 'restart-publisher.js');


let broker;
before(async () => {
  broker = await startMosquitto({
    // mosquitto drops QoS 1/2 messages past max_queued_messages (1000) queued
    // for a subscriber that lags, as it may after a burst of resends: the
    // count is about the client, so the broker keeps everything.
    config: ['max_inflight_messages 100', 'max_queued_messages 0'],
  });
});
after(async () => {
  await broker?.stop();
});

test(`SIGKILL ${KILLS}+ times mid-stream: nothing lost, no QoS 2 twice (seed ${SEED})`, async (t) => {
  console.log(`store-crash seed ${SEED} (replay: CRASH_SEED=${SEED})`);
  t.diagnostic(`seed ${SEED}`);
  const rand = mulberry32(SEED);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tpgate-crash-'));
  const id = `crash-${process.pid}`;
  const topic = `crash/${id}`;
  const env = { ...process.env, BROKER: broker.tcpUrl, CLIENT_ID: id, DIR: path.join(dir, 'store'), TOPIC: topic, TOTAL: String(TOTAL) };

  const seq = await sequenceSubscriber(broker.tcpUrl, { clientId: `${id}-sub`, topic, total: TOTAL });

  // One run of the publisher; resolves with its output when it exits.
  // With `killAt`, killed once it reports publishing message `killAt`, after
  // a random few more milliseconds: random points whatever the machine's speed.
  const run = (killAt) =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CHILD], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let killed = false;
      child.stdout.on('data', (d) => {
        out += d;
        if (killAt === null || killed) return;
        const at = [...out.matchAll(/^at (\d+)$/gm)].pop();
        if (at !== undefined && Number(at[1]) >= killAt) {
          killed = true;
          setTimeout(() => child.kill('SIGKILL'), Math.floor(rand() * 20));
        }
      });
      child.stderr.on('data', (d) => (out += d));
      child.on('error', reject);
      child.on('exit', (code, signal) => resolve({ code, signal, out }));
    });

  // Kill points spread over the stream, each at a random place in its stretch.
  const stretch = Math.floor((TOTAL * 0.9) / KILLS);
  const killAt = Array.from({ length: KILLS }, (_, k) => k * stretch + 250 + Math.floor(rand() * (stretch - 250)));
  let kills = 0;
  for (let attempt = 0; kills < KILLS && attempt < 3 * KILLS; attempt++) {
    const before = seq.received;
    const { signal, out } = await run(killAt[kills]);
    if (signal === 'SIGKILL') kills++;
    const lastAt = [...out.matchAll(/^at (\d+)$/gm)].pop()?.[1];
    t.diagnostic(`run ${attempt + 1}: ${signal ?? 'exited'} at ${lastAt} (kill point ${killAt[kills - (signal ? 1 : 0)]}); ${out.trim().split('\n')[0]}; received ${before} -> ${seq.received}`);
    if (out.includes('done')) break; // finished before the kill landed
  }
  assert.ok(kills >= KILLS, `killed ${kills} times (seed ${SEED}); lower speed or more messages needed`);
  const last = await run(null);
  t.diagnostic(`final run: ${last.out.trim().replace(/\n/g, '; ')}`);
  assert.equal(last.code, 0, `the last run failed (seed ${SEED}): ${last.out}`);
  assert.match(last.out, /^done$/m, `seed ${SEED}`);

  const end = Date.now() + 20_000;
  while (seq.received < TOTAL && Date.now() < end) await sleep(50);
  await sleep(500); // a late duplicate would show now
  const { missing, twice, q1Repeats } = sequenceFindings(seq.counts);
  t.diagnostic(`${kills} kills; ${TOTAL} messages; QoS 1 repeats ${q1Repeats}`);
  assert.deepEqual(missing.slice(0, 20), [], `${missing.length} messages lost (seed ${SEED})`);
  assert.deepEqual(twice.slice(0, 20), [], `${twice.length} QoS 2 messages delivered twice (seed ${SEED})`);
  await seq.sub.end();
  fs.rmSync(dir, { recursive: true, force: true });
});
