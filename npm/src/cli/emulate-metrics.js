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
  const observed = new Map();
  const advanceHistogram = (histogram, buckets) => {
    for (const bucket of buckets) {
      const id = `${histogram.name}|${bucket[0]}`;
      const before = observed.get(id) ?? 0;
      const value = bucketValueMs(bucket) / 1000;
      for (let n = before; n < bucket[2]; n++) histogram.observe(value);
      observed.set(id, Math.max(before, bucket[2]));
    }
  };

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
  const ack = new client.Histogram({
    name: 'tpgate_publish_ack_seconds',
    help: 'PUBACK round trip of QoS 1 uplinks sent on a live connection',
    buckets: LATENCY_BUCKETS_S,
    registers,
    collect() {
      refresh();
      if (snapshot !== null) advanceHistogram(ack, snapshot.histograms.ack_ms);
    },
  });
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
  const service = new client.Histogram({
    name: 'tpgate_request_service_seconds',
    help: "A request's arrival to its response handed to the MQTT session (the scenario's latency_ms included)",
    buckets: LATENCY_BUCKETS_S,
    registers,
    collect() {
      refresh();
      if (snapshot !== null) advanceHistogram(service, snapshot.histograms.request_service_ms);
    },
  });
  const reportAck = new client.Histogram({
    name: 'tpgate_report_ack_seconds',
    help: "The platform's ack of an attribute / event report, round trip",
    buckets: LATENCY_BUCKETS_S,
    registers,
    collect() {
      refresh();
      if (snapshot !== null) advanceHistogram(reportAck, snapshot.histograms.report_ack_ms);
    },
  });
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
