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

/** One line: connected/total, messages/s, ack latency p50/p99, commands served, errors, reconnects. */
export function statusLine(s) {
  return (
    `[${s.uptime_s.toFixed(0).padStart(4)}s] connected ${s.connected}/${s.gateways}` +
    `  msg/s ${rate(s.messages_per_s)} (out ${rate(s.published_per_s)}, in ${rate(s.received_per_s)})` +
    `  ack p50 ${ms(s.ack_p50_ms)} p99 ${ms(s.ack_p99_ms)}` +
    `  commands ${s.commands}  errors ${s.errors + s.transport_errors}  reconnects ${s.reconnects}`
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
    `tpgate emulate: summary${run.name ? ` of "${run.name}"` : ''} (${run.url})`,
    `  duration         ${run.durationS.toFixed(1)} s`,
    `  gateways         ${f.gateways}; connected at peak ${run.peakConnected}` +
      (run.connectAllS !== null ? `, all connected by ${run.connectAllS.toFixed(1)} s (sampled each second)` : ', never all at once'),
    `  published        ${f.published} (${rate(f.published / d)}/s), acked ${f.publish_acked}, still queued at the end ${f.queued ?? 0}`,
    `  received         ${f.received} (${rate(f.received / d)}/s)`,
    `  served           commands ${f.commands}, attribute sets ${f.attribute_sets}, attribute gets ${f.attribute_gets}, controls ${f.controls}`,
    `  events           ${f.events_sent} sent; attribute/event reports acked ${f.reports_acked}`,
    `  ack latency      p50 ${ms(ack.p50)}, p99 ${ms(ack.p99)} (PUBACK; median / max of the per-second windows)`,
    `  report acks      p50 ${ms(report.p50)}, p99 ${ms(report.p99)} (platform acks of attribute/event reports)`,
    `  failures         injected ${f.failures_injected}`,
    `  errors           ${f.errors - (f.script_errors ?? 0)} (protocol) + ${f.script_errors ?? 0} (data scripts) + ${f.transport_errors} (transport); reconnects ${f.reconnects}; dropped ${f.dropped}`,
    `  bytes            out ${bytes(f.bytes_out)}, in ${bytes(f.bytes_in)}`,
    `  shutdown         ${clean} of ${atStop} connected gateways closed cleanly, ${f.forced_closes} forced`,
  ];
  return `${lines.join('\n')}\n`;
}

/** The --metrics-json document. */
export function metricsDocument(run) {
  return {
    tool: 'tpgate emulate',
    name: run.name,
    url: run.url,
    started_at: run.startedAt,
    duration_s: run.durationS,
    connect_all_s: run.connectAllS,
    peak_connected: run.peakConnected,
    connected_at_stop: run.connectedAtStop,
    ack_latency_ms: runLatency(run.series, 'ack_p50_ms', 'ack_p99_ms'),
    report_ack_latency_ms: runLatency(run.series, 'report_ack_p50_ms', 'report_ack_p99_ms'),
    final: run.final,
    series: run.series,
  };
}
