// The emulator's Prometheus histograms are views of the fleet's own run
// histograms (BucketHistogram): the exposition must be what prom-client's own
// Histogram prints when every sample is observed one by one.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';

import { BucketHistogram, LATENCY_BUCKETS_S, bucketValueMs, gatewayStates } from '../../npm/src/cli/emulate-metrics.js';

const require = createRequire(new URL('../../npm/package.json', import.meta.url));
const client = require('prom-client');

test('BucketHistogram prints what prom-client prints for the same samples, one by one', async () => {
  // Buckets as the emulator makes them: 1 ms wide below 16 ms, 8 per power of two above.
  const buckets = [[0, 1, 40], [1, 2, 7], [4, 5, 3], [15, 16, 2], [16, 18, 5], [22, 24, 1], [24, 26, 4], [60, 64, 9], [960, 1024, 2], [20480, 22528, 1]];
  const ours = new client.Registry();
  ours.setDefaultLabels({ shard: '2/4' });
  ours.registerMetric(new BucketHistogram({ name: 'x_seconds', help: 'h', edgesS: LATENCY_BUCKETS_S, read: () => buckets }));
  const theirs = new client.Registry();
  theirs.setDefaultLabels({ shard: '2/4' });
  const h = new client.Histogram({ name: 'x_seconds', help: 'h', buckets: LATENCY_BUCKETS_S, registers: [theirs] });
  for (const b of buckets) for (let n = 0; n < b[2]; n++) h.observe(bucketValueMs(b) / 1000);
  const text = (r) => r.metrics().then((t) => t.replace(/_sum\{shard="2\/4"\} (\S+)/, (_, v) => `_sum{shard="2/4"} ${Number(v).toFixed(9)}`));
  assert.equal(await text(ours), await text(theirs));
  const body = await ours.metrics();
  assert.match(body, /^x_seconds_bucket\{le="0.001",shard="2\/4"\} 47$/m, '0 and 1 ms are <= 1 ms');
  assert.match(body, /^x_seconds_bucket\{le="\+Inf",shard="2\/4"\} 74$/m);
  assert.match(body, /^x_seconds_bucket\{le="16.384",shard="2\/4"\} 73$/m, '21.5 s is above the last edge');
});

test('an empty run histogram is a histogram of zeros', async () => {
  const r = new client.Registry();
  r.registerMetric(new BucketHistogram({ name: 'y_seconds', help: 'h', edgesS: [0.001, 0.01], read: () => null }));
  const body = await r.metrics();
  assert.match(body, /^# TYPE y_seconds histogram$/m);
  assert.match(body, /^y_seconds_bucket\{le="0.01"\} 0$/m);
  assert.match(body, /^y_seconds_count 0$/m);
});

test('gateway states: connected, connecting (opening or awaiting CONNACK), waiting (the rest)', () => {
  assert.deepEqual(gatewayStates({ gateways: 100, connected: 60, transports_open: 70, transports_opening: 5 }), { connected: 60, connecting: 15, waiting: 25 });
  assert.deepEqual(gatewayStates({ gateways: 10, connected: 10, transports_open: 10, transports_opening: 0 }), { connected: 10, connecting: 0, waiting: 0 });
});
