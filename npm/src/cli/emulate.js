// `tpgate emulate`: virtual ThingsPanel gateways from a scenario file (or the
// built-in default) against a broker, with a live status line, a summary at
// the end and a clean shutdown on Ctrl-C, SIGTERM or --duration.
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

import { InvalidOptionError, ScenarioError } from '../errors.js';
import { createEmulator, loadTpgateEmulator } from '../emulator-node.js';
import { ProvisionError } from '../provision.js';
import { UsageError, parseCommandLine, parseFlags } from './args.js';
import { registerEmulatorMetrics } from './emulate-metrics.js';
import { metricsDocument, statusLine, summary } from './emulate-report.js';
import { MetricsPortError, createRegistry, metricsPort, serveMetrics } from './metrics-server.js';

export const HELP = `Usage: tpgate emulate [scenario.json] --url URL [options]

Brings up virtual ThingsPanel gateways (sub-devices, sub-gateways, telemetry,
attributes, events; they answer commands, attribute sets/gets and controls)
from a scenario file (docs/scenario.md), or the built-in multi-level gateway
when no file is given. Runs until Ctrl-C, SIGTERM or --duration; then every
gateway sends DISCONNECT and a summary is printed.

Options:
  --url URL              broker URL: ws://, wss://, mqtt://, tcp://, mqtts://
                         (overrides broker.url of the scenario)
  --gateways N           number of gateways in the whole fleet (overrides gateways.count)
  --shard k/n            run only the k-th of n equal shares of the fleet (k from 1),
                         one process or machine per shard
  --shard auto           the shard of a Kubernetes Indexed Job's pod: k = JOB_COMPLETION_INDEX + 1,
                         n = JOB_COMPLETIONS (both set by the Job)
  --duration S           stop by itself after S seconds (decimals allowed)
  --transport ws|tcp     force the transport (else from the URL scheme); same host:port
  --metrics-json FILE    write the final stats, the latency histograms and a per-second
                         series as JSON (merge shards' files with tpgate report)
  --metrics-port PORT    serve Prometheus metrics at http://HOST:PORT/metrics (every
                         interface; 0 = any free port), each series labelled shard="k/n"
  --seed N               PRNG seed (overrides the scenario's seed): same seed, same values
  --connect-concurrency N  transports opening at once (default 500)
  --provision-url URL    register every gateway with the platform first
                         (POST URL/api/v1/device/auth) and connect with the
                         vouchers it returns (scenario: provision.api_url)
  --template-secret S    the device configuration's template secret for
                         registration (scenario: provision.template_secret)
  --vouchers FILE        keep the vouchers in FILE; a rerun registers only the
                         devices not in it (scenario: provision.vouchers_file)
  --print-default        print the built-in default scenario and exit
  --quiet                no live status line (the summary is still printed)
  -h, --help             this help

Status line (once a second on a terminal, every 5 s otherwise): the shard,
connected/total, messages/s, PUBACK latency p50/p99, commands served, errors by
kind (protocol, refused, report acks that never came, requests, scripts,
transport), reconnects.
Ctrl-C once: clean stop and summary (exit 0); twice: exit at once (130).
Exit 2: a bad flag or a bad scenario (reported before anything connects).

Examples:
  tpgate emulate --url ws://127.0.0.1:8083/mqtt
  tpgate emulate fleet.json --url mqtt://127.0.0.1:1883 --gateways 10000 --duration 60 \\
      --metrics-json run.json
  tpgate emulate fleet.json --url mqtt://broker:1883 --gateways 40000 --shard 2/4 \\
      --metrics-port 9464 --metrics-json shard-2.json
  tpgate report shard-*.json --html report.html
  tpgate emulate --print-default > scenario.json
  tpgate emulate fleet.json --url mqtt://tp:1883 --provision-url http://tp:9999 \\
      --template-secret 3f2a... --vouchers vouchers.json

Scripts of a custom format may be given as {"file": "up.lua"}, read relative to
the scenario file.
`;

const OPTIONS = {
  url: { type: 'string' },
  gateways: { type: 'string' },
  shard: { type: 'string' },
  duration: { type: 'string' },
  transport: { type: 'string' },
  'metrics-json': { type: 'string' },
  'metrics-port': { type: 'string' },
  seed: { type: 'string' },
  'connect-concurrency': { type: 'string' },
  'provision-url': { type: 'string' },
  'template-secret': { type: 'string' },
  vouchers: { type: 'string' },
  'print-default': { type: 'boolean' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

function integer(text, flag, min, max) {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new UsageError(`--${flag} must be an integer from ${min} to ${max} (got '${text}')`);
  }
  return Number(text);
}

/** argv -> options; throws UsageError with a message for the user. */
/**
 * `--shard auto`: the shard an Indexed Job's pod runs. Kubernetes sets
 * JOB_COMPLETION_INDEX (0-based) in each pod; JOB_COMPLETIONS, the Job's
 * spec.completions, is set in the pod template (the Job does not set it).
 */
export function shardFromEnv(env) {
  const index = env.JOB_COMPLETION_INDEX;
  const completions = env.JOB_COMPLETIONS;
  const missing = [index === undefined && 'JOB_COMPLETION_INDEX', completions === undefined && 'JOB_COMPLETIONS'].filter(Boolean);
  if (missing.length > 0) {
    throw new UsageError(
      `--shard auto takes the shard from JOB_COMPLETION_INDEX and JOB_COMPLETIONS, which a Kubernetes Indexed Job's pod has (set JOB_COMPLETIONS in the pod template to the Job's completions); ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set: outside a Job, give --shard k/n`,
    );
  }
  if (!/^\d+$/.test(index) || !/^\d+$/.test(completions) || Number(completions) < 1) {
    throw new UsageError(`--shard auto: JOB_COMPLETION_INDEX must be an integer from 0 and JOB_COMPLETIONS one from 1 (got '${index}' and '${completions}')`);
  }
  if (Number(index) >= Number(completions)) {
    throw new UsageError(`--shard auto: JOB_COMPLETION_INDEX ${index} is not below JOB_COMPLETIONS ${completions} (indexes run 0..${Number(completions) - 1})`);
  }
  return `${Number(index) + 1}/${Number(completions)}`;
}

export function parseEmulateArgs(argv, env = process.env) {
  const { values: v, positionals } = parseFlags(argv, OPTIONS, { allowPositionals: true, suggest: true });
  if (positionals.length > 1) throw new UsageError(`one scenario file at most (got ${positionals.map((p) => `'${p}'`).join(', ')})`);
  const options = {
    help: v.help === true,
    printDefault: v['print-default'] === true,
    quiet: v.quiet === true,
    file: positionals[0],
    url: v.url,
    gateways: integer(v.gateways, 'gateways', 1, 10_000_000),
    seed: integer(v.seed, 'seed', 0, 0xffffffff),
    connectConcurrency: integer(v['connect-concurrency'], 'connect-concurrency', 1, 1_000_000),
    shard: v.shard,
    transport: v.transport,
    metricsJson: v['metrics-json'],
    metricsPort: metricsPort(v['metrics-port']),
    provisionUrl: v['provision-url'],
    templateSecret: v['template-secret'],
    vouchers: v.vouchers,
    duration: undefined,
  };
  if (v['provision-url'] !== undefined && !/^https?:\/\/[^/]/.test(v['provision-url'])) {
    throw new UsageError(`--provision-url must be the platform's http:// or https:// URL, e.g. http://127.0.0.1:9999 (got '${v['provision-url']}')`);
  }
  if (v.duration !== undefined) {
    const d = Number(v.duration);
    if (v.duration.trim() === '' || !Number.isFinite(d) || d <= 0) {
      throw new UsageError(`--duration must be a number of seconds above 0 (got '${v.duration}')`);
    }
    options.duration = d;
  }
  if (v.shard === 'auto') options.shard = shardFromEnv(env);
  else if (v.shard !== undefined && !/^\d+\/\d+$/.test(v.shard)) {
    throw new UsageError(`--shard must look like k/n, e.g. 2/4, or be auto (got '${v.shard}')`);
  }
  if (v.transport !== undefined && v.transport !== 'ws' && v.transport !== 'tcp') {
    throw new UsageError(`--transport must be ws or tcp (got '${v.transport}')`);
  }
  return options;
}

// createEmulator option names -> the flags a CLI user typed.
const FLAG_OF = { url: '--url', gateways: '--gateways', shard: '--shard', seed: '--seed', transport: '--transport', wsPath: '--url', connectConcurrency: '--connect-concurrency' };

function fail(message, code = 2) {
  process.stderr.write(`tpgate emulate: ${message}\n`);
  return code;
}

/** @param {string[]} argv @returns {Promise<number>} the exit code */
export async function main(argv) {
  const args = parseCommandLine(parseEmulateArgs, argv, (message) => `tpgate emulate: ${message}\nRun 'tpgate emulate --help' for the flags.\n`);
  if (args === null) return 2;
  if (args.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (args.printDefault) {
    const module = await loadTpgateEmulator();
    process.stdout.write(`${JSON.stringify(JSON.parse(module.defaultScenario()), null, 2)}\n`);
    return 0;
  }

  const label = args.file ?? 'default scenario';
  let text;
  if (args.file !== undefined) {
    try {
      text = await readFile(args.file, 'utf8');
    } catch (err) {
      return fail(`cannot read the scenario ${args.file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
    }
  }
  if (text !== undefined) {
    try {
      text = await inlineScriptFiles(text, dirname(resolve(args.file)));
    } catch (err) {
      return fail(`${label}: ${err.message}`);
    }
  }
  const provision = {};
  if (args.provisionUrl !== undefined) provision.apiUrl = args.provisionUrl;
  if (args.templateSecret !== undefined) provision.templateSecret = args.templateSecret;
  if (args.vouchers !== undefined) provision.vouchersFile = args.vouchers;
  provision.onProgress = registrationProgress(args);
  // The same scenario, fleet size and seed in every shard: `tpgate report` checks it.
  const scenarioDigest = `sha256:${createHash('sha256')
    .update(JSON.stringify([text ?? 'default', args.gateways ?? null, args.seed ?? null]))
    .digest('hex')}`;
  let emulator;
  try {
    emulator = await createEmulator(text, {
      provision,
      url: args.url,
      gateways: args.gateways,
      shard: args.shard,
      seed: args.seed,
      transport: args.transport,
      connectConcurrency: args.connectConcurrency,
    });
  } catch (err) {
    if (err instanceof ScenarioError) return fail(`${label}: ${err.message}`);
    if (err instanceof ProvisionError) return fail(`registration failed: ${err.message}`, 1);
    if (err instanceof InvalidOptionError && err.option === 'provision') {
      return fail(err.message.replace(/^createEmulator: /, ''));
    }
    if (err instanceof InvalidOptionError) {
      const flag = FLAG_OF[err.option];
      // "createEmulator: shard: the shard index ..." -> "--shard: the shard index ..."
      const message = err.message.replace(/^createEmulator: /, '').replace(new RegExp(`^${err.option}: `), '');
      return fail(`${flag ? `${flag}: ` : ''}${message}`);
    }
    throw err;
  }
  return run(emulator, args, scenarioDigest);
}

/**
 * Scripts of $.gateway.format.scripts given as {"file": ...}: read relative to
 * the scenario's directory and inlined as "source" (the core takes text only).
 */
export async function inlineScriptFiles(text, baseDir) {
  let scenario;
  try {
    scenario = JSON.parse(text);
  } catch {
    return text; // the core reports where the JSON is wrong
  }
  const scripts = scenario?.gateway?.format?.scripts;
  if (typeof scripts !== 'object' || scripts === null) return text;
  let changed = false;
  for (const [name, script] of Object.entries(scripts)) {
    if (typeof script !== 'object' || script === null || typeof script.file !== 'string' || script.source !== undefined) continue;
    const path = resolve(baseDir, script.file);
    try {
      script.source = await readFile(path, 'utf8');
    } catch (err) {
      throw new Error(`$.gateway.format.scripts.${name}.file: cannot read ${path}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
    }
    delete script.file;
    changed = true;
  }
  return changed ? JSON.stringify(scenario) : text;
}

/** Registration progress on stderr: a live line on a terminal, else every 5 s and at the end of each level. */
function registrationProgress(args) {
  if (args.quiet) return undefined;
  const out = process.stderr;
  const tty = out.isTTY === true;
  let last = 0;
  return (p) => {
    const line = `tpgate emulate: registering ${p.done}/${p.total} (registered ${p.registered}, already known ${p.skipped}, failed ${p.failed})`;
    const now = performance.now();
    if (tty) {
      out.write(`\r${line}\x1b[K${p.done === p.total ? '\n' : ''}`);
    } else if (now - last >= 5000 || p.done === p.total) {
      last = now;
      out.write(`${line}\n`);
    }
  };
}

async function run(emulator, args, scenarioDigest) {
  const out = process.stderr; // the status line; the summary goes to stdout
  const tty = out.isTTY === true && !args.quiet;
  const url = args.url ?? emulator.scenario?.broker?.url;
  const shard = emulator.shard;
  const shardText = args.shard ? `${shard.index}/${shard.count}` : null;
  let latest = null; // the last stats sample, for the metrics
  let metrics = null;
  if (args.metricsPort !== undefined) {
    try {
      const { client, registry } = await createRegistry({ shard: `${shard.index}/${shard.count}` });
      registerEmulatorMetrics(client, registry, () => (latest === null ? null : { stats: latest, histograms: emulator.histograms() }));
      metrics = await serveMetrics(registry, { port: args.metricsPort });
    } catch (err) {
      await emulator.stop();
      if (err instanceof MetricsPortError) return fail(err.message);
      throw err;
    }
    if (!args.quiet) out.write(`tpgate emulate: metrics at ${metrics.url}\n`);
  }
  const series = [];
  let peakConnected = 0;
  let connectedAtStop = 0;
  let connectAllS = null;
  let lastPrinted = 0;
  let errorsShown = 0;
  const startedAt = new Date().toISOString();

  emulator.on('error', (err) => {
    // The first few transport errors say what is wrong (a wrong port, a
    // refused connection); the rest are counted in the status line.
    if (errorsShown++ < 3 && !args.quiet) out.write(`${tty ? '\r\x1b[K' : ''}tpgate emulate: ${err.message}\n`);
  });

  const sample = () => {
    const s = emulator.stats();
    latest = s;
    if (s.connected > peakConnected) peakConnected = s.connected;
    if (connectAllS === null && s.connected === s.gateways && s.gateways > 0) connectAllS = s.uptime_s;
    series.push({
      t: Number(s.uptime_s.toFixed(3)),
      connected: s.connected,
      messages_per_s: s.messages_per_s,
      published_per_s: s.published_per_s,
      received_per_s: s.received_per_s,
      ack_p50_ms: s.ack_p50_ms,
      ack_p99_ms: s.ack_p99_ms,
      report_ack_p50_ms: s.report_ack_p50_ms,
      report_ack_p99_ms: s.report_ack_p99_ms,
      commands: s.commands,
      errors: s.errors + s.transport_errors,
      reconnects: s.reconnects,
    });
    if (args.quiet) return s;
    if (tty) out.write(`\r${statusLine(s, shardText)}\x1b[K`);
    else if (s.uptime_s - lastPrinted >= 4.5) {
      lastPrinted = s.uptime_s;
      out.write(`${statusLine(s, shardText)}\n`);
    }
    return s;
  };

  let stopping = null;
  let stopped;
  const finished = new Promise((resolve) => (stopped = resolve));
  let sampler = null;
  let durationTimer = null;
  const stop = (why) => {
    if (stopping) return stopping;
    clearInterval(sampler);
    clearTimeout(durationTimer);
    // The last window's counters belong in the series.
    if (emulator.status === 'running') connectedAtStop = sample().connected;
    if (!args.quiet) out.write(`${tty ? '\n' : ''}tpgate emulate: ${why}: disconnecting ${emulator.size} gateways...\n`);
    stopping = emulator.stop();
    stopping.then(stopped);
    return stopping;
  };
  let interrupts = 0;
  const onSignal = (signal) => {
    if (++interrupts > 1) {
      out.write(`\ntpgate emulate: ${signal} again: exiting without waiting\n`);
      process.exit(130);
    }
    stop(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const t0 = performance.now();
  await emulator.start();
  latest = emulator.stats(); // the metrics serve from the start
  if (!args.quiet) {
    const first = emulator.gateway(0).device_number;
    const last = emulator.size > 1 ? ` .. ${emulator.gateway(emulator.size - 1).device_number}` : '';
    out.write(`tpgate emulate: ${emulator.size} gateways (${first}${last})${args.shard ? `, shard ${args.shard}` : ''} -> ${url}\n`);
  }
  sampler = setInterval(sample, 1000);
  if (args.duration !== undefined) durationTimer = setTimeout(() => stop(`--duration ${args.duration} s reached`), args.duration * 1000);

  const final = await finished;
  latest = final;
  const record = {
    shard,
    fleetGateways: emulator.fleetSize,
    scenarioDigest,
    histograms: emulator.histograms(),
    name: emulator.scenario?.name ?? '',
    url: String(url),
    startedAt,
    durationS: (performance.now() - t0) / 1000,
    connectAllS,
    peakConnected,
    connectedAtStop,
    final,
    series,
  };
  process.stdout.write(summary(record));
  if (metrics !== null) await metrics.close();
  if (args.metricsJson) {
    try {
      await writeFile(args.metricsJson, `${JSON.stringify(metricsDocument(record), null, 2)}\n`);
    } catch (err) {
      return fail(`cannot write --metrics-json ${args.metricsJson}: ${err.message}`, 1);
    }
  }
  return 0;
}
