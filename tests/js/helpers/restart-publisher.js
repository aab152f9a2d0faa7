// The publisher that store-crash.test.js kills with SIGKILL and starts again.
// Publishes messages 0..TOTAL-1 (even: QoS 1, odd: QoS 2) with a fileStore in
// DIR, a window of WINDOW unacknowledged. Where to go on after a restart: the
// value it remember()s after each publish() call (kept in the store in call
// order with the messages) and past every message the store gave back
// (client.restored): nothing published twice, nothing skipped.
// Prints "ready" once connected, "at N" every 250 messages, and "done" once everything it published
// (and everything restored) is complete.
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, fileStore } from 'tpgate';

const { BROKER, CLIENT_ID, DIR, TOPIC } = process.env;
const TOTAL = Number(process.env.TOTAL);
const WINDOW = Number(process.env.WINDOW ?? 500);
const decoder = new TextDecoder();

const client = await connect(BROKER, {
  clientId: CLIENT_ID,
  clean: false,
  sessionExpiryInterval: 3600,
  store: fileStore(DIR),
  reconnect: { minDelay: 50, maxDelay: 500 },
});
let next = Number(client.restored.values.next ?? 0);
for (const m of client.restored.messages) next = Math.max(next, Number.parseInt(decoder.decode(m.payload), 10) + 1);
console.log(`ready ${next} restored ${client.restored.outbound + client.restored.queued}`);

let open = 0;
let failed = 0;
for (let i = next; i < TOTAL; i++) {
  while (open >= WINDOW) await sleep(1);
  open++;
  client
    .publish(`${TOPIC}/${i % 2 === 0 ? 'q1' : 'q2'}`, String(i), { qos: i % 2 === 0 ? 1 : 2 })
    .then(
      () => open--,
      (err) => {
        open--;
        failed++;
        console.error(`publish ${i} failed: ${err.message}`);
      },
    );
  client.remember('next', String(i + 1));
  if (i % 250 === 0) console.log(`at ${i}`);
}
while (client.pending > 0) await sleep(5);
await client.end();
console.log(failed === 0 ? 'done' : `done with ${failed} failures`);
