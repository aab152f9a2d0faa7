// `tpgate/broker`: the dev broker behind `tpgate broker` and `npm start`.
// aedes (MQTT 3.1 / 3.1.1) in this process, with a TCP and a WebSocket
// listener. Plain mode is a standard broker; ThingsPanel mode (a devices list)
// behaves like the ThingsPanel platform's broker (thingspanel.js), with the
// platform's registration calls on an HTTP API (api.js) and topic mapping per
// device configuration (docs/configurations.md). With metricsPort, Prometheus
// metrics are served at /metrics (metrics.js, docs/broker.md#metrics).
//
//   const broker = await startBroker({ tcpPort: 0, wsPort: 0, thingspanel: 'devices.json', rootPassword: 'pw' });
//   ... connect(broker.urls.ws) ...
//   await broker.close();
import { Aedes } from 'aedes';
import { InvalidOptionError } from '../errors.js';
import { parseConfigurations } from '../configurations.js';
import { createRegistry as createMetricsRegistry, serveMetrics } from '../cli/metrics-server.js';
import { openApi } from './api.js';
import { openListeners } from './listeners.js';
import { brokerMetrics } from './metrics.js';
import { MQ_OPTIONS, guardMessageQueue } from './mq.js';
import { createRegistry, loadConfigurationsFile } from './registry.js';
import { thingspanelMode } from './thingspanel.js';

export {
  DevicesFileError, deviceIdFor, generateDevices, generateDevicesFile, loadDevicesFile, validateDevices,
} from './devices.js';
export { ConfigurationsError, SCRIPT_TYPES, parseConfigurations } from '../configurations.js';
export { loadConfigurationsFile } from './registry.js';
export { MAX_BODY_BYTES } from './api.js';
export { DOWNLINK_FILTERS, UPLINK_TOPICS, publishDenial, subscribeDenial } from './acl.js';

const OPTIONS = ['tcpPort', 'wsPort', 'apiPort', 'metricsPort', 'wsPath', 'host', 'thingspanel', 'rootPassword', 'pluginPassword', 'log'];

function portOption(value, name, fallback) {
  if (value === undefined) return fallback;
  if (value === null || value === false) return null;
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    throw new InvalidOptionError(name, `${name} must be a port number 0..65535 (0 = any free port) or null for no listener, got ${JSON.stringify(value)}`);
  }
  return value;
}

function makeLog(log) {
  if (log === false) return () => {};
  if (typeof log === 'function') return log;
  if (log === undefined || log === true) return (line) => process.stderr.write(`[tpgate broker] ${line}\n`);
  throw new InvalidOptionError('log', 'log must be a function (line) => void, true (stderr) or false (silent)');
}

function checkOptions(options) {
  if (options === null || typeof options !== 'object') throw new InvalidOptionError('options', 'startBroker options must be an object');
  for (const key of Object.keys(options)) {
    if (!OPTIONS.includes(key)) throw new InvalidOptionError(key, `unknown option '${key}' (known: ${OPTIONS.join(', ')})`);
  }
  for (const key of ['rootPassword', 'pluginPassword']) {
    const v = options[key];
    if (v !== undefined && v !== null && typeof v !== 'string') throw new InvalidOptionError(key, `${key} must be a string or null`);
  }
  const { wsPath = '/mqtt', host = '127.0.0.1' } = options;
  if (typeof wsPath !== 'string' || !wsPath.startsWith('/')) throw new InvalidOptionError('wsPath', `wsPath must start with '/', got ${JSON.stringify(wsPath)}`);
  if (typeof host !== 'string' || host === '') throw new InvalidOptionError('host', 'host must be a non-empty string');
  return { wsPath, host };
}

/** The host to put in URLs: a wildcard address is reached through loopback. */
function urlHost(host) {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Starts the dev broker. See npm/types/broker.d.ts for every option and field.
 * @param {import('../../types/broker.js').BrokerOptions} [options]
 * @returns {Promise<import('../../types/broker.js').Broker>}
 */
export async function startBroker(options = {}) {
  const { wsPath, host } = checkOptions(options);
  const tcpPort = portOption(options.tcpPort, 'tcpPort', 1883);
  const wsPort = portOption(options.wsPort, 'wsPort', 8083);
  if (tcpPort === null && wsPort === null) throw new InvalidOptionError('tcpPort', 'at least one of tcpPort and wsPort must be a port');
  const metricsPort = portOption(options.metricsPort, 'metricsPort', null);
  const log = makeLog(options.log);

  let loaded = null;
  const { thingspanel } = options;
  if (typeof thingspanel === 'string') loaded = { ...(await loadConfigurationsFile(thingspanel)), file: thingspanel };
  else if (Array.isArray(thingspanel) || (thingspanel !== null && typeof thingspanel === 'object')) {
    loaded = { ...parseConfigurations(thingspanel, { source: 'thingspanel' }), raw: null, file: null };
  } else if (thingspanel !== undefined && thingspanel !== null && thingspanel !== false) {
    throw new InvalidOptionError('thingspanel', 'thingspanel must be a devices array, a configurations object {configurations, devices} or the path of a configurations file');
  }
  const apiPort = portOption(options.apiPort, 'apiPort', loaded ? 0 : null);
  if (apiPort !== null && !loaded) {
    throw new InvalidOptionError('apiPort', 'apiPort needs ThingsPanel mode (the thingspanel option): plain mode has no device table to register into');
  }
  for (const w of loaded?.warnings ?? []) log(`configurations: ${w}`);

  const transports = new WeakMap();
  const transportOf = (client) => transports.get(client) ?? 'unknown transport';
  const registry = loaded ? createRegistry({ ...loaded, log }) : null;
  const devices = registry ? registry.devices : null;
  const prom = metricsPort === null ? null : await createMetricsRegistry();
  const metrics = prom
    ? brokerMetrics(prom, { listeners: [...(tcpPort === null ? [] : ['tcp']), ...(wsPort === null ? [] : ['ws'])] })
    : null;
  const mode = registry
    ? thingspanelMode({
      registry, rootPassword: options.rootPassword ?? null, pluginPassword: options.pluginPassword ?? null, log, transportOf,
      onDenial: metrics?.denial,
    })
    : null;

  // No limit on aedes's message queue, and a listener that keeps it from
  // recursing: a fleet's load otherwise overflows the stack or crawls (mq.js).
  const aedes = await Aedes.createBroker({ ...MQ_OPTIONS, ...(mode ? mode.handlers : {}) });
  await guardMessageQueue(aedes);
  mode?.attach(aedes);
  metrics?.attach(aedes, (client) => transports.get(client));
  if (!mode) {
    aedes.on('clientReady', (client) => log(`connect: client '${client.id}' over ${transportOf(client)}`));
  }
  aedes.on('clientDisconnect', (client) => log(`disconnected: client '${client.id}'`));
  const onError = (client, err) => {
    if (!err?.tpgateLogged) log(`client '${client?.id ?? '?'}': ${err?.message ?? err}`);
  };
  aedes.on('clientError', onError);
  aedes.on('connectionError', onError);

  const closeAedes = () => new Promise((resolve) => aedes.close(resolve));
  // The metrics port first: when it is taken nothing else has started
  // (a MetricsPortError; the CLI exits 2).
  let metricsServer = null;
  if (prom) {
    try {
      metricsServer = await serveMetrics(prom.registry, { port: metricsPort, host });
    } catch (err) {
      await closeAedes();
      throw err;
    }
  }

  let listeners;
  try {
    listeners = await openListeners({
      host, tcpPort, wsPort, wsPath, log,
      accept: (stream, transport, req) => {
        const client = aedes.handle(stream, req);
        transports.set(client, transport);
        mode?.watchClient(client);
      },
    });
  } catch (err) {
    await metricsServer?.close();
    await closeAedes();
    throw err;
  }
  let api = null;
  if (apiPort !== null) {
    try {
      api = await openApi({ registry, mode, host, port: apiPort, log });
    } catch (err) {
      await metricsServer?.close();
      await listeners.close();
      await closeAedes();
      throw err;
    }
  }

  const shown = urlHost(host);
  const urls = {};
  if (listeners.tcpPort !== null) urls.tcp = `mqtt://${shown}:${listeners.tcpPort}`;
  if (listeners.wsPort !== null) urls.ws = `ws://${shown}:${listeners.wsPort}${wsPath}`;
  if (api) urls.api = `http://${shown}:${api.port}`;
  if (metricsServer) urls.metrics = `http://${shown}:${metricsServer.port}/metrics`;

  let closing = null;
  const close = () => {
    closing ??= (async () => {
      await metricsServer?.close();
      await api?.close();
      await registry?.flushed();
      await listeners.close();
      await closeAedes();
    })();
    return closing;
  };

  return {
    mode: mode ? 'thingspanel' : 'plain',
    host,
    tcpPort: listeners.tcpPort,
    wsPort: listeners.wsPort,
    apiPort: api ? api.port : null,
    metricsPort: metricsServer ? metricsServer.port : null,
    wsPath,
    urls,
    tcpUrl: urls.tcp ?? null,
    wsUrl: urls.ws ?? null,
    apiUrl: urls.api ?? null,
    metricsUrl: urls.metrics ?? null,
    devices: devices ?? [],
    configurations: registry ? registry.configurations : [],
    aedes,
    close,
  };
}
