// `tpgate demo` (and `npm start` in a clone): the dev broker in ThingsPanel
// mode, the emulator's scenario (by default the seed's multi-level gateway)
// against it, and the dashboard served over HTTP, in this one process; Ctrl-C
// stops all three.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

import { startBroker } from '../broker/index.js';
import { deviceIdFor } from '../broker/devices.js';
import { createEmulator } from '../emulator-node.js';
import { UsageError, isPortText, parseCommandLine, parseFlags } from './args.js';
import { statusLine } from './emulate-report.js';
import { serveStatic } from './static-server.js';

export const HELP = `Usage: tpgate demo [options]

Starts, in one process:
  - the dev broker in ThingsPanel mode (voucher login, ACLs, the device_id envelope,
    devices/status/{device_id}), with a devices list made from the scenario's gateways;
  - the virtual gateways of the scenario (default: the seed spec's multi-level gateway:
    the gateway, sensor_001, sensor_002, gateway_001 with sensor_101);
  - the dashboard, over HTTP, with a link that connects it as the platform (root);
    the fleet's device_id -> device_number map is served next to it (devices.json).
Prints the URLs and credentials to use. Ctrl-C stops everything.

Options:
  --tcp PORT            broker MQTT/TCP port (default 1883; a free port if 1883 is taken)
  --ws PORT             broker MQTT/WebSocket port, path /mqtt (default 8083; likewise)
  --http PORT           dashboard port (default 8080; likewise)
  --host HOST           address to listen on (default 127.0.0.1)
  --gateways N          virtual gateways (default 1)
  --scenario FILE       a scenario file instead of the built-in one (docs/scenario.md)
  --root-password P     the platform user's password (default: a random one, printed)
  --status-every S      print a status line every S seconds (default 5; 0 = never)
  --verbose             print the broker's log (connects, ACL decisions)
  -h, --help            this help

Example:
  tpgate demo
  tpgate demo --gateways 20 --http 9000
`;

const DEFAULTS = { tcp: 1883, ws: 8083, http: 8080 };

function port(value, flag) {
  if (value === undefined) return undefined;
  if (!isPortText(value)) throw new UsageError(`${flag} must be a port number from 0 to 65535 (0 = any free port), got '${value}'`);
  return Number(value);
}

export function parseDemoArgs(argv) {
  const v = parseFlags(argv, {
    tcp: { type: 'string' },
    ws: { type: 'string' },
    http: { type: 'string' },
    host: { type: 'string' },
    gateways: { type: 'string' },
    scenario: { type: 'string' },
    'root-password': { type: 'string' },
    'status-every': { type: 'string' },
    verbose: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  }).values;
  const gateways = v.gateways === undefined ? 1 : Number(v.gateways);
  if (!Number.isInteger(gateways) || gateways < 1 || gateways > 100_000) {
    throw new UsageError(`--gateways must be an integer from 1 to 100000, got '${v.gateways}'`);
  }
  const every = v['status-every'] === undefined ? 5 : Number(v['status-every']);
  if (!Number.isFinite(every) || every < 0) throw new UsageError(`--status-every must be a number of seconds >= 0, got '${v['status-every']}'`);
  return {
    help: v.help === true,
    tcp: port(v.tcp, '--tcp'),
    ws: port(v.ws, '--ws'),
    http: port(v.http, '--http'),
    host: v.host ?? '127.0.0.1',
    gateways,
    scenario: v.scenario,
    rootPassword: v['root-password'] ?? randomBytes(6).toString('hex'),
    statusEvery: every,
    verbose: v.verbose === true,
  };
}

const inUse = (err) => err?.code === 'EADDRINUSE' || /in use|EADDRINUSE/i.test(String(err?.message));

/** Runs start(port); a default port that is taken falls back to a free one. */
async function withFallback(chosen, fallback, start, notes, what) {
  if (chosen !== undefined) return start(chosen);
  try {
    return await start(fallback);
  } catch (err) {
    if (!inUse(err)) throw err;
    notes.push(`${what} port ${fallback} is taken; using a free port instead`);
    return start(0);
  }
}

/** The built dashboard: shipped in the package (dashboard/), or the workspace's web/dist. */
export function dashboardDir() {
  for (const rel of ['../../dashboard/', '../../../web/dist/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${dir}index.html`)) return dir;
  }
  return null;
}

export async function main(argv = process.argv.slice(2)) {
  const opts = parseCommandLine(parseDemoArgs, argv, (message) => `tpgate demo: ${message}\n\n${HELP}`);
  if (opts === null) return 2;
  if (opts.help) {
    process.stdout.write(HELP);
    return 0;
  }

  let scenario;
  if (opts.scenario !== undefined) {
    try {
      scenario = await readFile(opts.scenario, 'utf8');
    } catch (err) {
      process.stderr.write(`tpgate demo: cannot read the scenario ${opts.scenario}: ${err.message}\n`);
      return 2;
    }
  }

  const notes = [];
  const out = (line) => process.stdout.write(`${line}\n`);
  let broker = null;
  let emulator = null;
  let web = null;
  const devices = [];
  const stopAll = async () => {
    await emulator?.stop().catch(() => {});
    await web?.close().catch(() => {});
    await broker?.close().catch(() => {});
  };

  try {
    // The emulator first, unstarted: its gateways' identities make the devices list.
    // The URL is a placeholder until the broker's port is known.
    const make = (url) => createEmulator(scenario, { url, gateways: opts.gateways });
    const probe = await make('mqtt://127.0.0.1:1');
    for (let i = 0; i < probe.size; i++) {
      const g = probe.gateway(i);
      const entry = { device_id: deviceIdFor(g.device_number), device_number: g.device_number, type: 'gateway', username: g.username };
      if (g.password !== null && g.password !== undefined) entry.password = g.password;
      devices.push(entry);
    }
    await probe.stop();

    const log = opts.verbose ? (line) => process.stderr.write(`[broker] ${line}\n`) : false;
    // Both listeners move together: a taken TCP or WebSocket port moves both to free ones.
    broker = await withFallback(
      opts.tcp === undefined && opts.ws === undefined ? undefined : { tcpPort: opts.tcp ?? 0, wsPort: opts.ws ?? 0 },
      { tcpPort: DEFAULTS.tcp, wsPort: DEFAULTS.ws },
      (ports) => startBroker({ ...(ports === 0 ? { tcpPort: 0, wsPort: 0 } : ports), host: opts.host, thingspanel: devices, rootPassword: opts.rootPassword, log }),
      notes,
      'broker',
    );

    const dir = dashboardDir();
    if (dir !== null) {
      // The dashboard names gateways by device_number: it reads the map from
      // here (the link says where), so the link stays short for any fleet.
      const map = { type: 'application/json', body: JSON.stringify(Object.fromEntries(devices.map((d) => [d.device_id, d.device_number]))) };
      web = await withFallback(opts.http, DEFAULTS.http, (p) => serveStatic(dir, { host: opts.host, port: p, files: { '/devices.json': map } }), notes, 'dashboard');
    } else {
      notes.push('the dashboard is not built (npm run build in a clone builds it); broker and gateways run without it');
    }

    emulator = await make(broker.urls.tcp);
    emulator.on('error', () => {}); // counted in stats; the status line shows them
    await emulator.start();
  } catch (err) {
    await stopAll();
    if (err?.code === 'ERR_INVALID_SCENARIO') {
      // Found before anything listened or connected.
      process.stderr.write(`tpgate demo: ${opts.scenario ?? 'the scenario'}: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`tpgate demo: ${err.message}\n`);
    return 1;
  }

  const first = emulator.gateway(0);
  const link =
    web === null
      ? null
      : `${web.url}?${new URLSearchParams({
          url: broker.urls.ws,
          username: 'root',
          password: opts.rootPassword,
          version: '4',
          ...(broker.urls.api ? { api: broker.urls.api } : {}),
          // The envelope names a sender by device_id; downlinks need its
          // device_number: the map is a file next to the dashboard.
          map: 'devices.json',
        })}`;
  out('');
  out('tpgate demo is running');
  for (const n of notes) out(`  note: ${n}`);
  if (link !== null) out(`  dashboard   ${link}`);
  out(`  broker      ${broker.urls.tcp}  (MQTT over TCP)`);
  out(`              ${broker.urls.ws}  (MQTT over WebSocket, subprotocol mqtt)`);
  out(`  platform    username root, password ${opts.rootPassword}: sees every gateway, enveloped as ThingsPanel's broker does`);
  out(`  gateways    ${emulator.size} virtual (${first.device_number}${emulator.size > 1 ? ', ...' : ''}), voucher username = device_number, no password`);
  out(`  try         npx mqtt sub -h ${broker.urls.tcp.replace(/^mqtt:\/\/|:\d+$/g, '')} -p ${new URL(broker.urls.tcp).port} -u root -P ${opts.rootPassword} -t 'gateway/#' -v`);
  out('  stop        Ctrl-C');
  out('');

  const timer =
    opts.statusEvery > 0 ? setInterval(() => out(statusLine(emulator.stats())), opts.statusEvery * 1000) : null;
  timer?.unref();

  return new Promise((resolve) => {
    let stopping = false;
    const stop = async (signal) => {
      if (stopping) {
        process.stderr.write('tpgate demo: stopping now\n');
        process.exit(130);
      }
      stopping = true;
      if (timer) clearInterval(timer);
      out(`\ntpgate demo: ${signal}, stopping (gateways disconnect, then the dashboard and the broker close)`);
      await stopAll();
      out('tpgate demo: stopped');
      resolve(0);
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
}
