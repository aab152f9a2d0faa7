// The emulator's failure injection and latency (docs/scenario.md "Behaviour"), seen
// from the platform. An MQTT.js platform peer sends 200 commands to a gateway
// whose scenario says: method Busy fails 30% of the time with errcode
// DEVICE_BUSY and answers after 100 ms; method Jitter answers after a uniform
// 50..150 ms. The peer measures what it gets:
//   - the failure count is within +-4 binomial standard deviations of
//     n * 0.3 (n = 200: sigma = sqrt(200 * 0.3 * 0.7) = 6.5, so 34..86);
//   - every failure carries result 1, errcode DEVICE_BUSY and the message;
//   - no round trip is shorter than the configured latency (1 ms of timer
//     slack), and the median is at most 50 ms above it (loopback overhead).
// mosquitto runs with set_tcp_nodelay true (and the peer's socket has
// TCP_NODELAY): with Nagle's algorithm on, a response queued behind an
// unacknowledged packet waits for a delayed ACK, ~40 ms on Linux, which would
// measure TCP rather than the configured latency.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { createEmulator } from '../../npm/src/emulator-node.js';
import { startMosquitto } from './helpers/mosquitto.js';
import { startPlatformPeer } from './helpers/platform-peer.js';

const N = 200;
const RATE = 0.3;
const LATENCY_MS = 100;
const SLACK_MS = 1; // timers fire on whole milliseconds
const MEDIAN_OVERHEAD_MS = 50; // loopback, two broker hops, event loop turns

const scenario = {
  name: 'failure injection',
  seed: 12345,
  gateways: { device_number: 'busy-{i}' },
  gateway: {
    telemetry: { t: 1 },
    telemetry_interval_s: 0,
    commands: {
      Busy: { latency_ms: LATENCY_MS, failure_rate: RATE, errcode: 'DEVICE_BUSY', message: 'device is busy' },
      Jitter: { latency_ms: { type: 'uniform', min: 50, max: 150 } },
    },
  },
};

let broker;
before(async () => {
  broker = await startMosquitto({ config: ['set_tcp_nodelay true'] });
});
after(() => broker?.stop());

async function fleetAndPeer(t) {
  const peer = await startPlatformPeer(broker.tcpUrl);
  t.after(() => peer.close());
  const emu = await createEmulator(scenario, { url: broker.tcpUrl });
  t.after(() => emu.stop());
  await emu.start();
  await emu.waitConnected(1, { timeout: 10_000 });
  const dn = emu.gateway(0).device_number;
  peer.gateway = dn;
  // The gateway subscribes after its CONNACK: wait for its attribute report
  // (sent once subscribed) or a short while.
  await new Promise((r) => setTimeout(r, 300));
  return { emu, peer, dn };
}

// Sends N commands, `parallel` at a time; returns every answer with its round trip.
async function commands(peer, dn, method, parallel = 10) {
  const answers = [];
  for (let i = 0; i < N; i += parallel) {
    const batch = Array.from({ length: Math.min(parallel, N - i) }, (_, k) =>
      peer.command(dn, { gateway_data: { method, params: { n: i + k } } }),
    );
    answers.push(...(await Promise.all(batch)));
  }
  return answers;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2;
};

test(`failure_rate ${RATE} with errcode DEVICE_BUSY: ${N} commands fail at that rate (+-4 sigma), each with the errcode; latency ${LATENCY_MS} ms: every round trip >= ${LATENCY_MS} ms, median <= ${LATENCY_MS + MEDIAN_OVERHEAD_MS} ms`, { timeout: 120_000 }, async (t) => {
  const { emu, peer, dn } = await fleetAndPeer(t);
  const answers = await commands(peer, dn, 'Busy');

  const failures = answers.filter((a) => a.response?.result !== 0);
  const sigma = Math.sqrt(N * RATE * (1 - RATE));
  const low = Math.ceil(N * RATE - 4 * sigma);
  const high = Math.floor(N * RATE + 4 * sigma);
  assert.ok(failures.length >= low && failures.length <= high, `${failures.length} failures of ${N}; expected ${low}..${high} (${RATE} +- 4 sigma)`);
  for (const f of failures) {
    assert.equal(f.response?.result, 1, f.text);
    assert.equal(f.response.errcode, 'DEVICE_BUSY', f.text);
    // The gateway names the device that failed: "gateway: device is busy".
    assert.match(f.response.message, /device is busy$/, f.text);
    assert.equal(f.response.method, 'Busy', f.text);
  }
  for (const s of answers.filter((a) => a.response?.result === 0)) assert.equal(s.response.method, 'Busy', s.text);

  const rtts = answers.map((a) => a.rttMs);
  const shortest = Math.min(...rtts);
  assert.ok(shortest >= LATENCY_MS - SLACK_MS, `a round trip of ${shortest.toFixed(1)} ms is shorter than the configured ${LATENCY_MS} ms`);
  const mid = median(rtts);
  assert.ok(mid <= LATENCY_MS + MEDIAN_OVERHEAD_MS, `median round trip ${mid.toFixed(1)} ms; expected ${LATENCY_MS}..${LATENCY_MS + MEDIAN_OVERHEAD_MS}`);
  t.diagnostic(`failures ${failures.length}/${N} (expected ${low}..${high}); rtt min ${shortest.toFixed(1)} median ${mid.toFixed(1)} max ${Math.max(...rtts).toFixed(1)} ms`);

  const stats = emu.stats();
  assert.equal(stats.failures_injected, failures.length, 'stats count the injected failures');
  assert.equal(stats.commands, N);
});

test(`latency {uniform 50..150}: ${N} round trips >= 50 ms, median within 100 -14/+${MEDIAN_OVERHEAD_MS} ms (4x the sample median's sd of 3.5 ms below), spread over the range`, { timeout: 120_000 }, async (t) => {
  const { peer, dn } = await fleetAndPeer(t);
  const answers = await commands(peer, dn, 'Jitter');
  for (const a of answers) assert.equal(a.response?.result, 0, a.text);
  const rtts = answers.map((a) => a.rttMs);
  const shortest = Math.min(...rtts);
  const mid = median(rtts);
  assert.ok(shortest >= 50 - SLACK_MS, `a round trip of ${shortest.toFixed(1)} ms is below the distribution's minimum of 50 ms`);
  assert.ok(mid >= 86 && mid <= 100 + MEDIAN_OVERHEAD_MS, `median ${mid.toFixed(1)} ms; expected 86..${100 + MEDIAN_OVERHEAD_MS}`);
  // A uniform draw: both halves of the range are hit, not one constant.
  assert.ok(rtts.filter((x) => x < 90).length >= N * 0.2, `too few fast answers: ${rtts.filter((x) => x < 90).length}`);
  assert.ok(rtts.filter((x) => x > 110).length >= N * 0.2, `too few slow answers: ${rtts.filter((x) => x > 110).length}`);
  t.diagnostic(`rtt min ${shortest.toFixed(1)} median ${mid.toFixed(1)} max ${Math.max(...rtts).toFixed(1)} ms`);
});
