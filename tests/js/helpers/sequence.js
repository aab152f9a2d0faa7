// The subscriber side of the restart tests (store-crash.test.js,
// e2e/store-reload.test.js): a publisher sends messages 0..total-1, even
// indices at QoS 1 and odd at QoS 2, the payload being the index; this counts
// what arrives and says what went wrong.
import { connect } from 'tpgate';

/** Subscribes to `${topic}/#` at QoS 2 through `url`; `received` counts distinct indices. */
export async function sequenceSubscriber(url, { clientId, topic, total }) {
  const sub = await connect(url, { clientId, clean: false, sessionExpiryInterval: 3600 });
  const state = { sub, counts: new Uint16Array(total), received: 0 };
  const decoder = new TextDecoder();
  sub.on('message', (_topic, payload) => {
    const i = Number.parseInt(decoder.decode(payload), 10);
    if (state.counts[i] === 0) state.received++;
    state.counts[i]++;
  });
  await sub.subscribe(`${topic}/#`, { qos: 2 });
  return state;
}

/** Indices never received, QoS 2 ones received more than once, and the QoS 1 repeats (allowed). */
export function sequenceFindings(counts) {
  const missing = [];
  const twice = [];
  let q1Repeats = 0;
  for (let i = 0; i < counts.length; i++) {
    if (counts[i] === 0) missing.push(i);
    else if (counts[i] > 1 && i % 2 === 1) twice.push(i);
    else if (counts[i] > 1) q1Repeats += counts[i] - 1;
  }
  return { missing, twice, q1Repeats };
}
