// What `tpgate emulate` prints: the live status line, the summary at the end,
// and the --metrics-json document. Pure functions of the stats samples.

const ms = (x) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x >= 100 ? `${x.toFixed(0)} ms` : `${x.toFixed(1)} ms`);

export function rate(x) {
  if (!Number.isFinite(x)) return '-';
  if (x >= 10_000) return `${(x / 1000).toFixed(1)}k`;
  return x >= 100 ? x.toFixed(0) : x.toFixed(1);
}

export function bytes(x) {
  if (x >= 1024 * 1024) return `${(x / 1024 / 1024).toFixed(1)} MiB`;
  if (x >= 1024) return `${(x / 1024).toFixed(1)} KiB`;
  return `${x} B`;
}

/**
 * The emulator's percentile of a histogram (so merged and single-shard figures
 * agree): nearest rank, rank = max(1, ceil(p * total)); the first bucket whose
 * cumulative count reaches the rank; its `low` when it is one ms wide (the
 * exact buckets under 16 ms), else the rounded midpoint. Null when empty.
 * @param {Array<[number, number, number]>} buckets
 * @param {number} p in [0, 1]
 * @returns {number | null}
 */
export function histogramPercentile(buckets, p) {
  let total = 0;
  for (const b of buckets) total += b[2];
  if (total === 0) return null;
  const sorted = isSorted(buckets) ? buckets : [...buckets].sort(byEdges);
  const rank = Math.max(1, Math.ceil(p * total));
  let seen = 0;
  for (const [low, high, count] of sorted) {
    seen += count;
    if (count > 0 && seen >= rank) return high - low === 1 ? low : Math.round((low + high) / 2);
  }
  return null; // not reached: the cumulative count ends at total >= rank
}

/** Orders buckets by their edges. */
export function byEdges(a, b) {
  return a[0] - b[0] || a[1] - b[1];
}

function isSorted(buckets) {
  for (let i = 1; i < buckets.length; i++) if (byEdges(buckets[i - 1], buckets[i]) > 0) return false;
  return true;
}

/** Errors by kind, as the summary, --metrics-json and the metrics name them. */
export const ERROR_KINDS = [
  ['protocol', 'protocol_errors', 'protocol'],
  ['refused', 'refused', 'refused by the broker'],
  ['report_ack_timeouts', 'report_ack_timeouts', 'report acks that never came'],
  ['request_failures', 'request_failures', 'requests not served'],
  ['script', 'script_errors', 'data scripts'],
  ['transport', 'transport_errors', 'transport'],
];

/** {protocol, refused, report_ack_timeouts, request_failures, script, transport} of a stats sample. */
export function errorsByKind(s) {
  return Object.fromEntries(ERROR_KINDS.map(([kind, key]) => [kind, s[key] ?? 0]));
}

/** "12000 (report acks 12000)": the total and its non-zero kinds, short. */
function errorsShort(s) {
  const short = { protocol: 'protocol', refused: 'refused', report_ack_timeouts: 'report acks', request_failures: 'requests', script: 'scripts', transport: 'transport' };
  const byKind = errorsByKind(s);
  const total = Object.values(byKind).reduce((a, b) => a + b, 0);
  const parts = Object.entries(byKind).filter(([, n]) => n > 0).map(([k, n]) => `${short[k]} ${n}`);
  return parts.length > 0 ? `${total} (${parts.join(', ')})` : `${total}`;
}

/** Whether the errors look like a broker with no platform behind it: reports go unacked, none ever acked. */
export function noPlatformHint(f) {
  if (!((f.report_ack_timeouts ?? 0) > 0 && f.reports_acked === 0)) return null;
  return 'no platform acked any attribute/event report: is a ThingsPanel platform (or `tpgate broker --thingspanel`) behind this broker? Without one these time out by design';
}

/** One line: shard, connected/total, messages/s, ack latency p50/p99, commands served, errors by kind, reconnects. */
export function statusLine(s, shard) {
  return (
    `[${s.uptime_s.toFixed(0).padStart(4)}s]${shard ? ` shard ${shard}` : ''} connected ${s.connected}/${s.gateways}` +
    `  msg/s ${rate(s.messages_per_s)} (out ${rate(s.published_per_s)}, in ${rate(s.received_per_s)})` +
    `  ack p50 ${ms(s.ack_p50_ms)} p99 ${ms(s.ack_p99_ms)}` +
    `  commands ${s.commands}  errors ${errorsShort(s)}  reconnects ${s.reconnects}`
  );
}

/** p50 and p99 of a whole run's histogram, and how many it holds. */
export function runLatency(buckets = []) {
  return { p50: histogramPercentile(buckets, 0.5), p99: histogramPercentile(buckets, 0.99), count: buckets.reduce((n, b) => n + b[2], 0) };
}

/**
 * @param {{final: object, series: object[], durationS: number, connectAllS: number | null,
 *   peakConnected: number, name: string, url: string}} run
 */
export function summary(run) {
  const f = run.final;
  const d = run.durationS > 0 ? run.durationS : 1;
  const ack = runLatency(run.histograms?.ack_ms);
  const report = runLatency(run.histograms?.report_ack_ms);
  const service = runLatency(run.histograms?.request_service_ms);
  // Gateways connected when the stop began; each sends DISCONNECT, and only a
  // transport destroyed after the stop timeout did not close cleanly.
  const atStop = run.connectedAtStop ?? f.gateways;
  const clean = Math.max(0, atStop - f.forced_closes);
  const lines = [
    `tpgate emulate: summary${run.name ? ` of "${run.name}"` : ''}${run.shard && run.shard.count > 1 ? `, shard ${run.shard.index}/${run.shard.count} (gateways ${run.shard.first}..${run.shard.first + run.shard.gateways - 1} of ${run.fleetGateways})` : ''} (${run.url})`,
    `  duration         ${run.durationS.toFixed(1)} s`,
    `  gateways         ${f.gateways}; connected at peak ${run.peakConnected}` +
      (run.connectAllS !== null ? `, all connected by ${run.connectAllS.toFixed(1)} s (sampled each second)` : ', never all at once'),
    `  published        ${f.published} (${rate(f.published / d)}/s): telemetry ${f.published_telemetry ?? 0}, attributes ${f.published_attributes ?? 0}, events ${f.published_events ?? 0}, responses ${f.published_responses ?? 0}; acked ${f.publish_acked}, still queued at the end ${f.queued ?? 0}`,
    `  received         ${f.received} (${rate(f.received / d)}/s)`,
    `  served           commands ${f.commands}, attribute sets ${f.attribute_sets}, attribute gets ${f.attribute_gets}, controls ${f.controls}`,
    `  events           ${f.events_sent} sent; attribute/event reports acked ${f.reports_acked}`,
    `  ack latency      p50 ${ms(ack.p50)}, p99 ${ms(ack.p99)} (PUBACK, whole run: ${ack.count} timed; uplinks queued before a CONNACK are acked but not timed)`,
    `  report acks      p50 ${ms(report.p50)}, p99 ${ms(report.p99)} (platform acks of attribute/event reports: ${report.count})`,
    `  request service  p50 ${ms(service.p50)}, p99 ${ms(service.p99)} (request in -> response out: ${service.count})`,
    `  errors           ${ERROR_KINDS.map(([, key, what]) => `${what} ${f[key] ?? 0}`).join(', ')}`,
    ...(noPlatformHint(f) ? [`  hint             ${noPlatformHint(f)}`] : []),
    `  requests failed  commands ${f.commands_failed ?? 0}, attribute sets ${f.attribute_sets_failed ?? 0}, attribute gets ${f.attribute_gets_failed ?? 0}, controls ${f.controls_failed ?? 0} (injected ${f.failures_injected})`,
    `  reconnects       ${f.reconnects}; dropped ${f.dropped} (offline buffers full)`,
    `  bytes            out ${bytes(f.bytes_out)}, in ${bytes(f.bytes_in)}`,
    `  shutdown         ${clean} of ${atStop} connected gateways closed cleanly, ${f.forced_closes} forced`,
  ];
  return `${lines.join('\n')}\n`;
}

/** The --metrics-json document (format 2: docs/scenario.md#metrics-json; `tpgate report` merges shards of it). */
export function metricsDocument(run) {
  return {
    tool: 'tpgate emulate',
    format: 2,
    name: run.name,
    url: run.url,
    started_at: run.startedAt,
    duration_s: run.durationS,
    connect_all_s: run.connectAllS,
    peak_connected: run.peakConnected,
    connected_at_stop: run.connectedAtStop,
    scenario_digest: run.scenarioDigest,
    fleet_gateways: run.fleetGateways,
    shard: run.shard,
    ack_latency_ms: runLatency(run.histograms.ack_ms),
    report_ack_latency_ms: runLatency(run.histograms.report_ack_ms),
    request_service_ms: runLatency(run.histograms.request_service_ms),
    histograms: run.histograms,
    errors: errorsByKind(run.final),
    final: run.final,
    series: run.series,
  };
}
