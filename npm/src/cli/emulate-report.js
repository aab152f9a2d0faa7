// What `tpgate emulate` prints: the live status line, the summary at the end,
// and the --metrics-json document. Pure functions of the stats samples.

const ms = (x) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x >= 100 ? `${x.toFixed(0)} ms` : `${x.toFixed(1)} ms`);

export function rate(x) {
  if (!Number.isFinite(x)) return '-';
  if (x >= 10_000) return `${(x / 1000).toFixed(1)}k`;
  return x >= 100 ? x.toFixed(0) : x.toFixed(1);
}

function bytes(x) {
  if (x >= 1024 * 1024) return `${(x / 1024 / 1024).toFixed(1)} MiB`;
  if (x >= 1024) return `${(x / 1024).toFixed(1)} KiB`;
  return `${x} B`;
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

function median(xs) {
  if (xs.length === 0) return null;
  const sorted = [...xs].sort((a, b) => a - b);
  const h = sorted.length >> 1;
  return sorted.length % 2 ? sorted[h] : (sorted[h - 1] + sorted[h]) / 2;
}

/**
 * Latency over the whole run from the per-second windows: the median of the
 * windows' p50s and the largest window p99 (percentiles do not add up).
 */
export function runLatency(series, p50Key, p99Key) {
  const p50s = series.map((s) => s[p50Key]).filter((x) => typeof x === 'number');
  const p99s = series.map((s) => s[p99Key]).filter((x) => typeof x === 'number');
  return { p50: median(p50s), p99: p99s.length ? Math.max(...p99s) : null };
}

/**
 * @param {{final: object, series: object[], durationS: number, connectAllS: number | null,
 *   peakConnected: number, name: string, url: string}} run
 */
export function summary(run) {
  const f = run.final;
  const d = run.durationS > 0 ? run.durationS : 1;
  const ack = runLatency(run.series, 'ack_p50_ms', 'ack_p99_ms');
  const report = runLatency(run.series, 'report_ack_p50_ms', 'report_ack_p99_ms');
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
    `  ack latency      p50 ${ms(ack.p50)}, p99 ${ms(ack.p99)} (PUBACK; median / max of the per-second windows)`,
    `  report acks      p50 ${ms(report.p50)}, p99 ${ms(report.p99)} (platform acks of attribute/event reports)`,
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
    ack_latency_ms: runLatency(run.series, 'ack_p50_ms', 'ack_p99_ms'),
    report_ack_latency_ms: runLatency(run.series, 'report_ack_p50_ms', 'report_ack_p99_ms'),
    histograms: run.histograms,
    errors: errorsByKind(run.final),
    final: run.final,
    series: run.series,
  };
}
