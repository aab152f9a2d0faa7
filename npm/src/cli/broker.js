// `tpgate broker`: runs the dev broker (npm/src/broker) until SIGINT/SIGTERM.
// npm/bin/tpgate.js imports this file and calls main(argv); it also runs on
// its own: `node npm/src/cli/broker.js --help`.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startBroker } from '../broker/index.js';
import { UsageError, isPortText, parseCommandLine, parseFlags } from './args.js';
import { MetricsPortError, metricsPort } from './metrics-server.js';

export { generateDevices, generateDevicesFile } from '../broker/devices.js';

export const HELP = `Usage: tpgate broker [options]

Runs an MQTT broker (aedes: MQTT 3.1 and 3.1.1, no MQTT 5) with a TCP and a
WebSocket listener. With --thingspanel it behaves like the ThingsPanel
platform's broker: only the devices in the file (and the platform user root)
may connect, devices may publish only gateway uplink topics and subscribe only
to their own downlink topics (a SUBSCRIBE is judged by its first filter, as
ThingsPanel does), every device publish reaches subscribers as
{"device_id":"<id>","values":"<base64 of the payload>"}, and
devices/status/<device_id> carries 1 / 0 when a device connects / goes away.
FILE may hold device configurations (docs/configurations.md): devices then
register over HTTP (the platform's /api/v1/device/auth, gateway-register and
gateway-sub-register, on the api URL printed) and their custom topics are
mapped to the standard ones.

Options:
  --tcp PORT               MQTT over TCP port (default 1883; 0 = any free port; "off" = none)
  --ws PORT                MQTT over WebSocket port (default 8083; 0 = any free port; "off" = none)
  --ws-path PATH           WebSocket path (default /mqtt)
  --host HOST              address to listen on (default 127.0.0.1; 0.0.0.0 = every interface)
  --thingspanel FILE       ThingsPanel mode with the configurations file FILE:
                           {"configurations": [...], "devices": [...]} (docs/configurations.md),
                           or a JSON array of devices {"device_id", "device_number", "username", ...};
                           devices registered over HTTP are written back to FILE
  --api-port PORT          HTTP API port (ThingsPanel mode; default 0 = any free port; "off" = none)
  --root-password PASS     let the platform user "root" in with this password (ThingsPanel
                           mode; without it root is refused)
  --plugin-password PASS   likewise for the reserved user "plugin"
  --metrics-port PORT      serve Prometheus metrics at http://HOST:PORT/metrics, HOST = --host
                           (0 = any free port; default: no metrics)
  --quiet                  no log lines on stderr
  -h, --help               show this help

The URLs to connect to (and the metrics URL) are printed on stdout; the log
(connections accepted and refused, ACL denials, status changes) goes to stderr.
Ctrl-C (SIGINT) or SIGTERM stops the broker. A bad flag, or a --metrics-port
that is in use, exits 2; a broker that cannot start otherwise exits 1.

Example:
  tpgate broker --tcp 1883 --ws 8083 --api-port 9999 --thingspanel tp.json --root-password secret
`;

const OPTIONS = {
  tcp: { type: 'string' },
  ws: { type: 'string' },
  'ws-path': { type: 'string' },
  host: { type: 'string' },
  thingspanel: { type: 'string' },
  'api-port': { type: 'string' },
  'root-password': { type: 'string' },
  'plugin-password': { type: 'string' },
  'metrics-port': { type: 'string' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

function port(value, flag, fallback) {
  if (value === undefined) return fallback;
  if (value === 'off') return null;
  if (!isPortText(value)) {
    throw new UsageError(`${flag} must be a port number 0..65535 or "off", got "${value}"`);
  }
  return Number(value);
}

/** Turns argv into startBroker options; throws UsageError on a bad command line. */
export function parseBrokerArgs(argv) {
  const v = parseFlags(argv, OPTIONS).values;
  if (v.help) return { help: true };
  const options = {
    tcpPort: port(v.tcp, '--tcp', 1883),
    wsPort: port(v.ws, '--ws', 8083),
    wsPath: v['ws-path'] ?? '/mqtt',
    host: v.host ?? '127.0.0.1',
  };
  if (options.tcpPort === null && options.wsPort === null) throw new UsageError('--tcp off and --ws off leave no listener');
  if (!options.wsPath.startsWith('/')) throw new UsageError(`--ws-path must start with '/', got "${options.wsPath}"`);
  if (v.thingspanel !== undefined) options.thingspanel = v.thingspanel;
  if (v['metrics-port'] !== undefined) options.metricsPort = metricsPort(v['metrics-port']);
  if (v['api-port'] !== undefined) {
    if (v.thingspanel === undefined) throw new UsageError('--api-port needs --thingspanel (plain mode has no device table)');
    options.apiPort = port(v['api-port'], '--api-port', 0);
  }
  for (const [flag, key] of [['root-password', 'rootPassword'], ['plugin-password', 'pluginPassword']]) {
    if (v[flag] === undefined) continue;
    if (v.thingspanel === undefined) throw new UsageError(`--${flag} needs --thingspanel (plain mode has no users)`);
    options[key] = v[flag];
  }
  return { help: false, quiet: Boolean(v.quiet), options };
}

function banner(broker, options) {
  const lines = [];
  const configs = broker.configurations.length ? `, ${broker.configurations.length} configuration(s)` : '';
  lines.push(broker.mode === 'thingspanel'
    ? `tpgate broker: ThingsPanel mode, ${broker.devices.length} device(s)${configs} from ${options.thingspanel}`
    : 'tpgate broker: plain MQTT broker (anyone may connect)');
  if (broker.urls.tcp) lines.push(`  MQTT over TCP:        ${broker.urls.tcp}`);
  if (broker.urls.ws) lines.push(`  MQTT over WebSocket:  ${broker.urls.ws}  (subprotocol mqtt)`);
  if (broker.urls.api) lines.push(`  api:                  ${broker.urls.api}  (POST /api/v1/device/auth, ...)`);
  if (broker.urls.metrics) lines.push(`  metrics:              ${broker.urls.metrics}`);
  if (broker.mode === 'thingspanel') {
    lines.push(options.rootPassword === undefined
      ? '  platform user root:   disabled (start with --root-password to enable)'
      : '  platform user root:   enabled, password from --root-password');
    for (const d of broker.devices.slice(0, 5)) {
      lines.push(`  device ${d.device_number}: username ${d.username}${d.password ? ', with password' : ''}, device_id ${d.device_id}`);
    }
    if (broker.devices.length > 5) lines.push(`  ... and ${broker.devices.length - 5} more`);
  }
  lines.push('Ctrl-C stops it.');
  return `${lines.join('\n')}\n`;
}

/**
 * Runs `tpgate broker ARGV...`. Resolves with the exit code once the broker
 * has stopped (0), or at once for --help (0), a bad command line or a
 * metrics port that cannot be listened on (2) or a broker that cannot start
 * (1). Also sets process.exitCode.
 * @param {string[]} argv the arguments after `broker`
 * @returns {Promise<number>}
 */
export async function main(argv = process.argv.slice(2)) {
  const done = (code) => {
    process.exitCode = code;
    return code;
  };
  const args = parseCommandLine(parseBrokerArgs, argv, (message) => `tpgate broker: ${message}\nRun 'tpgate broker --help' for the options.\n`);
  if (args === null) return done(2);
  if (args.help) {
    process.stdout.write(HELP);
    return done(0);
  }
  let broker;
  try {
    broker = await startBroker({ ...args.options, log: args.quiet ? false : undefined });
  } catch (err) {
    process.stderr.write(`tpgate broker: ${err.message}\n`);
    return done(err instanceof MetricsPortError ? 2 : 1);
  }
  process.stdout.write(banner(broker, args.options));

  await new Promise((resolve) => {
    const stop = (signal) => {
      process.stderr.write(`tpgate broker: ${signal}, stopping\n`);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      // A second Ctrl-C while closing does not wait.
      process.once('SIGINT', () => process.exit(130));
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await broker.close();
  return done(0);
}

// Run directly (node npm/src/cli/broker.js ...), not when imported.
function isEntry() {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}
if (isEntry()) main(process.argv.slice(2));
