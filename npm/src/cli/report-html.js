// The page of `tpgate report --html`: one self-contained file (uPlot's script
// and style, the merged document as JSON, the page's own script, all inline;
// a Content-Security-Policy that allows nothing else), so it opens from a
// ticket attachment without any network. The summary is a static table; the
// charts are drawn from the inlined JSON.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";

/** uPlot's script and style from the installed package (the `uplot` dependency). */
function uplotAssets() {
  const require = createRequire(import.meta.url);
  try {
    return {
      js: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
      css: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
    };
  } catch (err) {
    const e = new Error(`--html needs the uplot package (uPlot.iife.min.js and uPlot.min.css), which cannot be read: ${err.message}; reinstall tpgate`);
    e.code = 'ERR_REPORT_ASSETS';
    throw e;
  }
}

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

// Inside <script>, "</script" would end the element early.
const inlineScript = (js) => js.replace(/<\/(script)/gi, '<\\/$1');
const inlineStyle = (css) => css.replace(/<\/(style)/gi, '<\\/$1');
// JSON: "<" as \u003c keeps any text in it from closing the element.
const inlineJson = (value) => JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

const STYLE = `
:root {
  color-scheme: light dark;
  --bg: #f4f6fa; --card: #fff; --ink: #1d2330; --muted: #6b7385; --line: #dfe3ea; --accent: #2563eb; --warn-bg: #fef3c7; --warn-ink: #713f12;
  --c0: #2563eb; --c1: #16a34a; --c2: #dc2626; --c3: #9333ea;
  font: 13px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: var(--bg);
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #12151c; --card: #1b1f29; --ink: #e3e7ef; --muted: #9aa3b5; --line: #343a48; --accent: #60a5fa; --warn-bg: #3f3113; --warn-ink: #fde68a;
    --c0: #60a5fa; --c1: #4ade80; --c2: #f87171; --c3: #c084fc;
  }
}
* { box-sizing: border-box; }
body { margin: 0; }
header { padding: .6rem 1rem; background: #1d2330; color: #fff; }
header h1 { font-size: 1.1rem; margin: 0; }
header p { margin: .1rem 0 0; color: #aab2c5; font-size: .8rem; }
main { padding: .75rem; display: flex; flex-direction: column; gap: .75rem; max-width: 1400px; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: .65rem .75rem; }
h2 { font-size: 1rem; margin: 0 0 .5rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .2rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
thead th { font-size: .75rem; color: var(--muted); font-weight: 600; }
.summary th { white-space: nowrap; width: 10rem; font-weight: 600; }
.summary td, .shards td { font-variant-numeric: tabular-nums; }
.shards-wrap { max-height: 18rem; overflow: auto; }
.warning { background: var(--warn-bg); color: var(--warn-ink); border-radius: 5px; padding: .35rem .6rem; margin: 0 0 .5rem; }
.hint { color: var(--muted); font-size: .8rem; margin: 0 0 .5rem; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(440px, 1fr)); gap: .75rem; }
figure { margin: 0; padding: .35rem; border: 1px solid var(--line); border-radius: 6px; min-width: 0; }
figure:focus-visible { outline: 2px solid var(--accent); outline-offset: 1px; }
figcaption { font-weight: 600; margin-bottom: .25rem; }
figcaption .sub { font-weight: 400; color: var(--muted); }
.plot { min-height: 60px; }
.readout { margin: .2rem 0 0; min-height: 1.2em; font-size: .8rem; color: var(--muted); font-variant-numeric: tabular-nums; }
.empty { color: var(--muted); font-style: italic; }
.u-legend { font-size: .8rem; }
.u-legend th { font-weight: 400; }
`;

// The page's script: charts from the JSON in #report-data. Keyboard: each
// chart is focusable; arrows, Page Up/Down, Home/End move the cursor (the
// legend and the readout below the chart show the values), Escape hides it.
const SCRIPT = `
(() => {
  'use strict';
  const doc = JSON.parse(document.getElementById('report-data').textContent);
  const S = doc.series;
  const x = S.map((p) => p.t);
  const col = (k) => S.map((p) => (typeof p[k] === 'number' ? p[k] : null));
  const LINES = [
    { id: 'connected', unit: 'gateways', series: [['connected', 'connected (sum of the shards)', 0]] },
    { id: 'messages', unit: 'messages/s', series: [['published_per_s', 'out/s (sum)', 0], ['received_per_s', 'in/s (sum)', 1]] },
    { id: 'ack', unit: 'ms', series: [['ack_p50_ms', "p50 (median of the shards' p50)", 0], ['ack_p99_ms', "p99 (max of the shards' p99)", 2]] },
    { id: 'errors', unit: 'per s', series: [['errors_per_s', 'errors/s (sum)', 2], ['reconnects_per_s', 'reconnects/s (sum)', 3]] },
  ];
  const SECONDS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400];
  const fmt = (v) => (v === null || v === undefined ? '-' : Math.abs(v) >= 100 || Number.isInteger(v) ? String(Math.round(v)) : v.toFixed(1));

  // The emulator's buckets between two non-empty ones, as zeros: one ms wide
  // under 16 ms, then 8 per power of two.
  function histogramRows(buckets) {
    const rows = [];
    for (const [lo, hi, n] of buckets) {
      if (rows.length) {
        let end = rows[rows.length - 1][1];
        for (let guard = 0; guard < 2000; guard++) {
          const w = end < 16 ? 1 : Math.pow(2, Math.floor(Math.log2(end))) / 8;
          if (end + w > lo) break;
          rows.push([end, end + w, 0]);
          end += w;
        }
      }
      rows.push([lo, hi, n]);
    }
    return rows;
  }

  function colors() {
    const cs = getComputedStyle(document.documentElement);
    const v = (name) => cs.getPropertyValue(name).trim();
    return { ink: v('--ink'), line: v('--line'), c: [v('--c0'), v('--c1'), v('--c2'), v('--c3')] };
  }

  function axis(c, label) {
    return { stroke: c.ink, grid: { stroke: c.line, width: 1 }, ticks: { stroke: c.line, width: 1 }, label, labelSize: 18, size: 52 };
  }

  function lineChart(def, box, width, c) {
    const data = [x, ...def.series.map(([k]) => col(k))];
    const u = new uPlot(
      {
        width,
        height: 220,
        legend: { show: true, live: true },
        cursor: { drag: { x: true, y: false } },
        scales: { x: { time: false } },
        series: [
          { label: 's', value: (self, v) => (v === null || v === undefined ? '-' : v + ' s') },
          ...def.series.map(([, label, color]) => ({ label, stroke: c.c[color], width: 1.5, spanGaps: false, points: { show: S.length < 3 }, value: (self, v) => fmt(v) })),
        ],
        axes: [{ ...axis(c, 'seconds since the first shard started'), incrs: SECONDS }, axis(c, def.unit)],
      },
      data,
      box,
    );
    const describe = (i) => 't ' + x[i] + ' s: ' + def.series.map(([k, label], j) => label + ' ' + fmt(data[j + 1][i])).join(', ');
    return { u, n: x.length, describe };
  }

  function histogramChart(box, width, c) {
    const rows = histogramRows(doc.histograms.ack_ms || []);
    if (rows.length === 0) return null;
    const idx = rows.map((r, i) => i);
    const counts = rows.map((r) => r[2]);
    const edges = (i) => (rows[i] ? '[' + rows[i][0] + ', ' + rows[i][1] + ') ms' : '-');
    const u = new uPlot(
      {
        width,
        height: 220,
        legend: { show: true, live: true },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: false, range: [-0.5, rows.length - 0.5] } },
        series: [
          { label: 'bucket', value: (self, v) => (v === null || v === undefined ? '-' : edges(Math.round(v))) },
          { label: 'PUBACKs', stroke: c.c[0], fill: c.c[0] + '99', width: 1, paths: uPlot.paths.bars({ size: [0.9, 48] }), points: { show: false }, value: (self, v) => fmt(v) },
        ],
        axes: [
          { ...axis(c, 'ms (bucket low edge)'), incrs: [1, 2, 4, 5, 8, 10, 16, 20, 32, 50, 64, 100], values: (self, splits) => splits.map((s) => (rows[s] ? String(rows[s][0]) : '')) },
          axis(c, 'acks'),
        ],
      },
      [idx, counts],
      box,
    );
    return { u, n: rows.length, describe: (i) => edges(i) + ': ' + counts[i] + ' acks' };
  }

  function keyboard(fig, chart) {
    const readout = fig.querySelector('.readout');
    let i = null;
    fig.onkeydown = (e) => {
      const { u, n } = chart;
      const step = { ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1, PageUp: 10, PageDown: -10 }[e.key];
      if (e.key === 'Escape') {
        i = null;
        u.setCursor({ left: -10, top: -10 });
        readout.textContent = '';
        return;
      }
      if (e.key === 'Home') i = 0;
      else if (e.key === 'End') i = n - 1;
      else if (step !== undefined) i = i === null ? (step > 0 ? 0 : n - 1) : Math.min(n - 1, Math.max(0, i + step));
      else return;
      e.preventDefault();
      if (n === 0) return;
      u.setCursor({ left: u.valToPos(u.data[0][i], 'x'), top: u.over.clientHeight / 2 });
      readout.textContent = chart.describe(i);
    };
  }

  let plots = [];
  function build() {
    for (const p of plots) p.u.destroy();
    plots = [];
    const c = colors();
    const make = (id, fn) => {
      const fig = document.getElementById('chart-' + id);
      const box = fig.querySelector('.plot');
      box.replaceChildren();
      const width = Math.max(280, box.clientWidth);
      const chart = fn(box, width, c);
      if (!chart) {
        const p = document.createElement('p');
        p.className = 'empty';
        p.textContent = 'nothing recorded';
        box.append(p);
        return;
      }
      chart.box = box;
      keyboard(fig, chart);
      plots.push(chart);
    };
    for (const def of LINES) make(def.id, (box, width, cc) => (S.length ? lineChart(def, box, width, cc) : null));
    make('histogram', histogramChart);
  }

  build();
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', build);
  let pending = 0;
  addEventListener('resize', () => {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(() => {
      for (const p of plots) p.u.setSize({ width: Math.max(280, p.box.clientWidth), height: 220 });
    });
  });
})();
`;

function table(className, head, rows, { rowHeaders = false } = {}) {
  const th = head ? `<thead><tr>${head.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join('')}</tr></thead>` : '';
  const body = rows
    .map(([first, ...rest]) => `<tr>${rowHeaders ? `<th scope="row">${escapeHtml(first)}</th>` : `<td>${escapeHtml(first)}</td>`}${rest.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table class="${className}">${th}<tbody>\n${body}\n</tbody></table>`;
}

function figure(id, title, sub) {
  return (
    `<figure id="chart-${id}" tabindex="0" role="group" aria-labelledby="cap-${id}" aria-describedby="keys">` +
    `<figcaption id="cap-${id}">${escapeHtml(title)}${sub ? ` <span class="sub">${escapeHtml(sub)}</span>` : ''}</figcaption>` +
    '<div class="plot"></div><p class="readout" aria-live="polite"></p></figure>'
  );
}

/**
 * The page.
 * @param {object} doc the merged document (report.js mergeShards)
 * @param {{rows: string[][], shards: string[][], warning: string | null}} view
 */
export function reportPage(doc, { rows, shards, warning }) {
  const { js, css } = uplotAssets();
  const n = doc.shards.length;
  const title = `tpgate report: ${doc.name || 'unnamed scenario'} (${n} shard${n > 1 ? 's' : ''})`;
  const ack = doc.latency_ms.ack;
  const ackSub = ack?.count ? `p50 ${ack.p50} ms, p90 ${ack.p90} ms, p99 ${ack.p99} ms of ${ack.count} acks` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${escapeHtml(title)}</title>
<style>${inlineStyle(css)}</style>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(`${doc.coverage.gateways} of ${doc.fleet_gateways} gateways, ${doc.started_at} to ${doc.ended_at}; scenario ${doc.scenario_digest}`)}</p>
</header>
<main>
<section aria-labelledby="summary-title">
<h2 id="summary-title">Summary</h2>
${warning ? `<p class="warning" role="note">Warning: ${escapeHtml(warning)}</p>\n` : ''}${table('summary', null, rows, { rowHeaders: true })}
</section>
<section aria-labelledby="shards-title">
<h2 id="shards-title">Shards</h2>
<div class="shards-wrap" tabindex="0" role="region" aria-labelledby="shards-title">${table('shards', ['shard', 'gateways', 'file'], shards)}</div>
</section>
<section aria-labelledby="charts-title">
<h2 id="charts-title">Per second</h2>
<p class="hint" id="keys">Seconds since the first shard started, the shards aligned on wall-clock time. Per-second latency windows cannot be merged exactly: the charts show the median of the shards' p50 and the maximum of their p99; the summary's percentiles come from the merged histograms. Focus a chart and use the arrow keys, Page Up/Down, Home and End to read its values; Escape hides the cursor.</p>
<div class="charts">
${figure('connected', 'Connected gateways', 'sum across shards')}
${figure('messages', 'Messages per second, out and in', 'sum across shards')}
${figure('ack', 'PUBACK latency per second', "median of the shards' p50, max of their p99")}
${figure('errors', 'Errors and reconnects per second', 'sum across shards')}
${figure('histogram', 'PUBACK latency, whole run (merged histogram)', ackSub)}
</div>
</section>
</main>
<script type="application/json" id="report-data">${inlineJson(doc)}</script>
<script>${inlineScript(js)}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
