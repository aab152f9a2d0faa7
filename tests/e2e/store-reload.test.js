// The browser twin of tests/js/store-crash.test.js: a page in Chromium
// publishes through indexedDbStore and is reloaded mid-stream, twice, at
// random points (page.reload(), no goodbye from the client); the third load
// finishes. A subscriber through mosquitto (tpgate's Node client, QoS 2)
// must receive every QoS 1 message at least once and every QoS 2 message
// exactly once. The page is pages/store-reload.html + store-reload.js.
//
// The seed of the reload points is printed; replay with STORE_RELOAD_SEED=...
// (STORE_RELOAD_TOTAL sets the number of messages, default 4,000).
//
// Where a load goes on: past every message client.restored gives back and
// past the value the page remember()s after each publish() call (kept in the
// store in call order with the messages, as tests/js/helpers/restart-publisher.js
// does): with an asynchronous store a publish() that returned is in the store
// only once its journal's transaction completes, and a value the app kept
// elsewhere (localStorage) would run ahead of it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { mulberry32 } from '../js/helpers/chaos-proxy.js';
import { startMosquitto } from '../js/helpers/mosquitto.js';
import { sequenceFindings, sequenceSubscriber } from '../js/helpers/sequence.js';
import { launchChromium, openPage, startAll } from './helpers/chromium.js';
import { startPackageServer } from './helpers/static-server.js';

const SEED = Number(process.env.STORE_RELOAD_SEED ?? Math.floor(Math.random() * 2 ** 31));
const TOTAL = Number(process.env.STORE_RELOAD_TOTAL ?? 4_000);
const WINDOW = 300;
const RELOADS = 2;
const TIMEOUT = 60_000; // a hang guard only


// [1, 2, 3, 7] -> '1..3, 7'
function ranges(list) {
  const out = [];
  for (let k = 0; k < list.length; ) {
    let j = k;
    while (j + 1 < list.length && list[j + 1] === list[j] + 1) j++;
    out.push(j === k ? `${list[k]}` : `${list[k]}..${list[j]}`);
    k = j + 1;
  }
  return out.join(', ');
}

let broker;
let server;
let browser;

before(async () => {
  await startAll([
    startMosquitto({
    // mosquitto drops QoS 1/2 messages past max_queued_messages (1000) queued
    // for a subscriber that lags, as it may after a burst of resends: the
    // count is about the client, so the broker keeps everything.
    config: ['max_inflight_messages 100', 'max_queued_messages 0'],
  }).then((b) => (broker = b)),
    startPackageServer().then((s) => (server = s)),
    launchChromium().then((b) => (browser = b)),
  ]);
});

after(async () => {
  await Promise.allSettled([browser?.close(), server?.stop(), broker?.stop()]);
});

test(`a page publishing through indexedDbStore, reloaded ${RELOADS} times mid-stream: nothing lost, no QoS 2 twice (seed ${SEED})`, { timeout: TIMEOUT }, async (t) => {
  console.log(`store-reload seed ${SEED} (replay: STORE_RELOAD_SEED=${SEED})`);
  t.diagnostic(`seed ${SEED}`);
  const rand = mulberry32(SEED);
  const id = `reload-${process.pid}-${Date.now()}`;
  const topic = `tpgate/e2e/reload/${id}`;
  const db = `tpgate-store-reload-${id}`;

  const seq = await sequenceSubscriber(broker.tcpUrl, { clientId: `${id}-sub`, topic, total: TOTAL });
  t.after(() => seq.sub.end());

  // Reload points spread over the stream, each at a random place in its stretch.
  const stretch = Math.floor((TOTAL * 0.9) / RELOADS);
  const reloadAt = Array.from({ length: RELOADS }, (_, k) => k * stretch + 200 + Math.floor(rand() * (stretch - 200)));
  t.diagnostic(`reload points ${reloadAt.join(', ')} of ${TOTAL}`);

  // Every console line of every load, tagged with its load: a load begins
  // when the main frame commits a navigation (the reload), so a late line of
  // the old document still counts for the old one.
  let load = 0;
  const lines = [];
  let onLine = () => {};
  const started = Date.now();
  const query = new URLSearchParams({ ws: broker.wsUrl, id, topic, total: String(TOTAL), window: String(WINDOW), db, reloads: reloadAt.join(',') });
  const page = await openPage(browser, `${server.origin}/e2e/store-reload.html?${query}`);
  // What the first load said before these listeners (openPage kept it).
  for (const text of page.consoleLines) lines.push({ load: 0, at: Date.now() - started, text: text.replace(/^\[\w+\] /, '') });
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) load++;
  });
  page.on('console', (msg) => {
    const line = { load, at: Date.now() - started, text: msg.text() };
    lines.push(line);
    onLine(line);
  });
  const log = () => lines.map((l) => `load ${l.load} +${l.at} ms: ${l.text}`).join('\n');

  // Waits for a console line of load `want` matching `re`.
  const waitFor = (want, re, what) =>
    new Promise((resolve, reject) => {
      const load = want;
      const found = lines.find((l) => l.load === load && re.test(l.text));
      if (found) return resolve(found);
      const timer = setTimeout(() => reject(new Error(`load ${load}: no ${what} in time (seed ${SEED})\n${log()}`)), TIMEOUT / 2);
      onLine = (l) => {
        if (l.load === load && re.test(l.text)) {
          clearTimeout(timer);
          onLine = () => {};
          resolve(l);
        }
        if (/^done/.test(l.text) && l.load === load && !re.test(l.text)) {
          clearTimeout(timer);
          onLine = () => {};
          reject(new Error(`load ${load} finished before ${what} (seed ${SEED}); more messages needed\n${log()}`));
        }
      };
    });

  // The page reloads itself (location.reload(), from inside its publishing
  // loop: nothing is ended, nothing waited for) right after publishing the
  // k-th reload point, wherever the machine's speed has the rest of the
  // stream; sessionStorage tells a load which reloads are behind it.
  const done = await waitFor(RELOADS, /^done/, 'done');
  const reloads = lines
    .filter((l) => /^reloading at \d+/.test(l.text))
    .map((l) => ({ progress: Number(/^reloading at (\d+)/.exec(l.text)[1]), load: l.load }));
  for (const [k, r] of reloads.entries()) t.diagnostic(`reload ${k + 1} at message ${r.progress} (point ${reloadAt[k]})`);
  assert.equal(reloads.length, RELOADS, `${RELOADS} reloads (seed ${SEED})\n${log()}`);
  assert.equal(load, RELOADS, 'one navigation per reload');
  assert.equal(done.text, 'done', `seed ${SEED}\n${log()}`);
  t.diagnostic(`last load done after ${done.at} ms`);

  const end = Date.now() + 15_000;
  while (seq.received < TOTAL && Date.now() < end) await sleep(50);
  await sleep(500); // a late duplicate would show now

  const readies = lines.filter((l) => l.text.startsWith('ready '));
  for (const r of readies) t.diagnostic(`load ${r.load} (+${r.at} ms): ${r.text}`);
  assert.equal(readies.length, RELOADS + 1, `one "ready" per load (seed ${SEED})\n${log()}`);

  // The reloads really happened mid-stream, and the later loads took up what the store kept.
  for (const [k, r] of reloads.entries()) {
    const ready = readies[k + 1].text;
    const field = (name) => Number(new RegExp(`${name}=(-?\\d+)`).exec(ready)[1]);
    // r.progress: the message whose publish() call came just before the reload.
    assert.ok(r.progress > 0 && r.progress < TOTAL - 1, `reload ${k + 1} at progress ${r.progress}: not mid-stream (seed ${SEED})`);
    assert.ok(field('next') < TOTAL, `load ${k + 1} had nothing left to publish: ${ready} (seed ${SEED})`);
    assert.ok(field('outbound') + field('queued') > 0, `load ${k + 1} restored nothing: ${ready} (seed ${SEED})`);
    assert.ok(field('messages') > 0, `load ${k + 1} restored no messages: ${ready} (seed ${SEED})`);
  }

  const { missing, twice, q1Repeats } = sequenceFindings(seq.counts);
  t.diagnostic(`${RELOADS} reloads; ${TOTAL} messages; received ${seq.received}; QoS 1 repeats ${q1Repeats}; ${Date.now() - started} ms`);
  assert.deepEqual(missing.slice(0, 20), [], `${missing.length} messages lost: ${ranges(missing)} (seed ${SEED})\n${readies.map((r) => r.text).join('\n')}`);
  assert.deepEqual(twice.slice(0, 20), [], `${twice.length} QoS 2 messages delivered twice (seed ${SEED})`);

  // Nothing went wrong in any load. (openPage's problem list spans reloads.)
  assert.deepEqual(page.problems, [], `the page reported problems (seed ${SEED}):\n${log()}`);
  await page.close();
});
