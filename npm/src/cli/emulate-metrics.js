// The Prometheus metrics of `tpgate emulate --metrics-port`: the fleet's
// counters as prom-client metrics, read at each scrape from the last stats
// sample (taken once a second) and the whole run's latency histograms.
// Users write queries against these names: keep them. No label per gateway:
// a fleet of 10,000 would make 10,000 series.

/** Bucket edges of the latency histograms, in seconds: on edges of the emulator's own buckets. */
export const LATENCY_BUCKETS_S = [0.001, 0.002, 0.005, 0.01, 0.016, 0.024, 0.032, 0.048, 0.064, 0.096, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192, 16.384];

const PUBLISHED = { telemetry: 'published_telemetry', attributes: 'published_attributes', event: 'published_events', response: 'published_responses' };
const REQUESTS = { command: 'commands', attribute_set: 'attribute_sets', attribute_get: 'attribute_gets', control: 'controls' };
const ERRORS = { protocol: 'protocol_errors', refused: 'refused', report_ack_timeout: 'report_ack_timeouts', request: 'request_failures', script: 'script_errors', transport: 'transport_errors' };

/**
 * The gateways by state: connected (CONNACK received), connecting (a transport
 * opening, or open and waiting for its CONNACK), waiting (queued behind
 * --connect-concurrency, waiting to reconnect, or stopped).
 */
export function gatewayStates(s) {
  const connected = s.connected;
  const connecting = s.transports_opening + Math.max(0, s.transports_open - s.connected);
  return { connected, connecting, waiting: Math.max(0, s.gateways - connected - connecting) };
}

/** A histogram bucket's value: exact below 16 ms (whole milliseconds), else its middle (as the emulator's percentiles). */
export function bucketValueMs([low, high]) {
  return high - low === 1 ? low : Math.round((low + high) / 2);
}

/**
 * A Prometheus histogram that is a view of one of the run's histograms: at each
 * scrape it reads the buckets ([low, high, count] in ms, cumulative over the
 * run) and folds them into `edgesS` (seconds). The fleet keeps the samples;
 * nothing is observed one by one (150,000 prom-client observe() calls take
 * about 40 ms, a stall a 10,000-gateway fleet would feel at every scrape).
 * It is a metric as prom-client's Registry takes one: name, help, type, get().
 */
export class BucketHistogram {
  /** @param {{name: string, help: string, edgesS: number[], read: () => Array<[number, number, number]> | null}} spec */
  constructor({ name, help, edgesS, read }) {
    this.name = name;
    this.help = help;
    this.type = 'histogram';
    this.aggregator = 'sum';
    this.edgesS = edgesS;
    this.read = read;
  }

  get() {
    const counts = new Array(this.edgesS.length + 1).fill(0); // the last: above every edge (+Inf only)
    let sum = 0;
    let count = 0;
    for (const bucket of this.read() ?? []) {
      const seconds = bucketValueMs(bucket) / 1000;
      let i = 0;
      while (i < this.edgesS.length && seconds > this.edgesS[i]) i++;
      counts[i] += bucket[2];
      sum += seconds * bucket[2];
      count += bucket[2];
    }
    const values = [];
    let cumulative = 0;
    for (let i = 0; i < this.edgesS.length; i++) {
      cumulative += counts[i];
      values.push({ metricName: `${this.name}_bucket`, labels: { le: this.edgesS[i] }, value: cumulative });
    }
    values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf' }, value: count });
    values.push({ metricName: `${this.name}_sum`, labels: {}, value: sum });
    values.push({ metricName: `${this.name}_count`, labels: {}, value: count });
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset() {}
}

/**
 * Registers the emulator's metrics in `registry`.
 * @param {typeof import('prom-client')} client
 * @param {import('prom-client').Registry} registry
 * @param {() => ({stats: object, histograms: object} | null)} read the last stats sample and the run's histograms
 */
export function registerEmulatorMetrics(client, registry, read) {
  const registers = [registry];
  // Counters follow the fleet's totals: each scrape adds what grew since the last.
  const counted = new Map();
  const advance = (counter, labels, key, total) => {
    const id = `${counter.name}|${key}`;
    const before = counted.get(id);
    // Every label set from the first scrape, at 0 if need be: queries see the series at once.
    if (before === undefined) counter.inc(labels, total);
    else if (total > before) counter.inc(labels, total - before);
    counted.set(id, Math.max(before ?? 0, total));
  };
  const histogram = (name, help, key) =>
    registry.registerMetric(new BucketHistogram({ name, help, edgesS: LATENCY_BUCKETS_S, read: () => (refresh(), snapshot?.histograms[key] ?? null) }));

  // Every metric's collect() runs at each scrape; one read serves them all.
  let snapshot = null;
  let readAt = -Infinity;
  const refresh = () => {
    const now = performance.now();
    if (now - readAt < 100) return;
    readAt = now;
    snapshot = read();
  };

  new client.Gauge({
    name: 'tpgate_gateways',
    help: 'Gateways of this shard by state: connected (CONNACK received), connecting (transport opening or awaiting CONNACK), waiting (queued to connect or to reconnect)',
    labelNames: ['state'],
    registers,
    collect() {
      refresh();
      if (snapshot === null) return;
      for (const [state, n] of Object.entries(gatewayStates(snapshot.stats))) this.set({ state }, n);
    },
  });
  new client.Counter({
    name: 'tpgate_messages_published_total',
    help: 'Uplinks handed to the MQTT session (sent, or queued while offline), by kind',
    labelNames: ['kind'],
    registers,
    collect() {
      refresh();
      if (snapshot === null) return;
      for (const [kind, key] of Object.entries(PUBLISHED)) advance(this, { kind }, kind, snapshot.stats[key] ?? 0);
    },
  });
  new client.Counter({
    name: 'tpgate_messages_acked_total',
    help: 'QoS 1/2 uplinks the broker acknowledged (PUBACK / PUBCOMP)',
    registers,
    collect() {
      refresh();
      if (snapshot !== null) advance(this, {}, '', snapshot.stats.publish_acked);
    },
  });
  histogram('tpgate_publish_ack_seconds', 'PUBACK round trip of QoS 1 uplinks sent on a live connection', 'ack_ms');
  new client.Counter({
    name: 'tpgate_requests_served_total',
    help: 'Platform requests answered, by kind and result (failure: injected by the scenario, unknown method or device)',
    labelNames: ['kind', 'result'],
    registers,
    collect() {
      refresh();
      if (snapshot === null) return;
      for (const [kind, key] of Object.entries(REQUESTS)) {
        const all = snapshot.stats[key] ?? 0;
        const failed = snapshot.stats[`${key}_failed`] ?? 0;
        advance(this, { kind, result: 'success' }, `${kind}|success`, all - failed);
        advance(this, { kind, result: 'failure' }, `${kind}|failure`, failed);
      }
    },
  });
  histogram('tpgate_request_service_seconds', "A request's arrival to its response handed to the MQTT session (the scenario's latency_ms included)", 'request_service_ms');
  histogram('tpgate_report_ack_seconds', "The platform's ack of an attribute / event report, round trip", 'report_ack_ms');
  new client.Counter({
    name: 'tpgate_reconnects_total',
    help: "Connections after a gateway's first",
    registers,
    collect() {
      refresh();
      if (snapshot !== null) advance(this, {}, '', snapshot.stats.reconnects);
    },
  });
  new client.Counter({
    name: 'tpgate_errors_total',
    help: 'Errors by kind: protocol, refused (by the broker), report_ack_timeout (no platform ack), request (could not be served), script, transport',
    labelNames: ['kind'],
    registers,
    collect() {
      refresh();
      if (snapshot === null) return;
      for (const [kind, key] of Object.entries(ERRORS)) advance(this, { kind }, kind, snapshot.stats[key] ?? 0);
    },
  });
  new client.Gauge({
    name: 'tpgate_queued_messages',
    help: "Uplinks waiting in the gateways' offline buffers",
    registers,
    collect() {
      refresh();
      if (snapshot !== null) this.set(snapshot.stats.queued ?? 0);
    },
  });
  new client.Counter({
    name: 'tpgate_messages_received_total',
    help: 'PUBLISH packets the gateways received (requests and acks from the platform)',
    registers,
    collect() {
      refresh();
      if (snapshot !== null) advance(this, {}, '', snapshot.stats.received);
    },
  });
  new client.Counter({
    name: 'tpgate_messages_dropped_total',
    help: 'Uplinks dropped because an offline buffer (or the fleet budget) was full',
    registers,
    collect() {
      refresh();
      if (snapshot !== null) advance(this, {}, '', snapshot.stats.dropped);
    },
  });
}
