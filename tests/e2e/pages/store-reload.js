// The page that store-reload.test.js reloads mid-stream: the browser twin of
// tests/js/helpers/restart-publisher.js. Publishes messages 0..total-1 (even:
// QoS 1, odd: QoS 2, payload the index) with indexedDbStore(db), a window of
// `window` unresolved publishes. Where to go on after a reload: the value it
// remember()s after each publish() call (in the store, in call order with the
// messages) and past every message the store gave back (client.restored).
//
// Query: ws, id (client id), topic, total, window, db (IndexedDB name),
// reloads (the message after which each load reloads itself, comma-separated).
// Console lines for the test: "ready next=N outbound=.. queued=.. ...",
// "at N" every 100 messages, "reloading at N", "done" (or "done with N failures") once all its
// publishes resolved and client.pending is 0; "failed: ..." if connect throws.
import { connect, indexedDbStore } from 'tpgate';

const query = new URLSearchParams(location.search);
const WS = query.get('ws');
const CLIENT_ID = query.get('id');
const TOPIC = query.get('topic');
const TOTAL = Number(query.get('total'));
const WINDOW = Number(query.get('window') ?? 300);
const DB = query.get('db');
// Reload points: after publishing message reloads[k], the k-th load reloads itself.
const RELOADS_DONE = `store-reload-done:${DB}`;
const reloadsDone = Number(sessionStorage.getItem(RELOADS_DONE) ?? 0);
const RELOAD_AT = (query.get('reloads') ?? '').split(',').filter(Boolean).map(Number)[reloadsDone] ?? -1;
const decoder = new TextDecoder();
const state = document.getElementById('state');

window.progress = -1;

async function run() {
  const client = await connect(WS, {
    clientId: CLIENT_ID,
    clean: false,
    sessionExpiryInterval: 3600,
    store: indexedDbStore(DB),
    reconnect: { minDelay: 50, maxDelay: 500 },
  });
  window.client = client;
  const saved = client.restored.values.next ?? null;
  let next = Number(saved ?? 0);
  let maxRestored = -1;
  for (const m of client.restored.messages) maxRestored = Math.max(maxRestored, Number.parseInt(decoder.decode(m.payload), 10));
  next = Math.max(next, maxRestored + 1);
  const r = client.restored;
  console.log(
    `ready next=${next} saved=${saved} outbound=${r.outbound} queued=${r.queued} inbound=${r.inbound} ` +
      `messages=${r.messages.length} maxRestored=${maxRestored} dropped=${r.droppedBytes} pending=${client.pending}`,
  );
  state.textContent = `publishing from ${next}`;

  let open = 0;
  let failed = 0;
  let reloading = false;
  let wake = null;
  const settle = () => {
    open--;
    if (wake !== null) {
      const w = wake;
      wake = null;
      w();
    }
  };
  for (let i = next; i < TOTAL; i++) {
    while (open >= WINDOW) await new Promise((resolve) => (wake = resolve));
    open++;
    client.publish(`${TOPIC}/${i % 2 === 0 ? 'q1' : 'q2'}`, String(i), { qos: i % 2 === 0 ? 1 : 2 }).then(settle, (err) => {
      failed++;
      console.error(`publish ${i} failed: ${err.message}`);
      settle();
    });
    client.remember('next', String(i + 1));
    window.progress = i;
    // storeQueue (a private field, for the diagnostics only): drains whose
    // journal or effects still wait for an IndexedDB transaction.
    if (i % 100 === 0) console.log(`at ${i} storeQueue=${client._storeQueue?.length}`);
    if (i === RELOAD_AT) {
      // Mid-stream, from inside the loop: the client is not ended, nothing is waited for.
      sessionStorage.setItem(RELOADS_DONE, String(reloadsDone + 1));
      console.log(`reloading at ${i}`);
      // The navigation starts later: publishing goes on, unhurried so that the
      // stream is still running when the page is torn down.
      location.reload();
      reloading = true;
    }
    if (reloading && i % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  }
  while (open > 0 || client.pending > 0) await new Promise((resolve) => setTimeout(resolve, 5));
  await client.end();
  state.textContent = 'done';
  console.log(failed === 0 ? 'done' : `done with ${failed} failures`);
}

run().catch((err) => {
  state.textContent = `failed: ${err.message}`;
  console.error(`failed: ${err.code ?? ''} ${err.stack ?? err.message}`);
});
