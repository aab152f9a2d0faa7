// Checks createEmulator() arguments before anything is loaded or connected,
// and turns them into what the wasm fleet takes (scenario text, options JSON)
// plus what the JS host keeps (target URL, transport kind, concurrency).
import { InvalidOptionError } from '../errors.js';
import { checkKeys } from '../options.js';

export const EMULATOR_OPTIONS = [
  'url', 'transport', 'gateways', 'shard', 'seed', 'events', 'connectConcurrency', 'wsPath', 'wsProtocols',
  'tls', 'stopTimeout', 'locateFile', 'wasmBinary', 'provision',
];

const PROVISION_OPTIONS = ['apiUrl', 'templateSecret', 'vouchersFile', 'vouchers', 'concurrency', 'retries', 'subDevices', 'onProgress', 'fetch'];

/**
 * Registration settings (docs/scenario.md "Provisioning"): the scenario's
 * `provision` with options.provision over it; null when neither asks for it.
 */
export function provisionSettings(scenarioProvision, option) {
  if (option !== undefined && option !== null && !isPlainObject(option)) {
    throw new InvalidOptionError('provision', `createEmulator: provision must be an object such as {apiUrl, templateSecret} (got ${typeof option})`);
  }
  if (option) checkKeys(option, PROVISION_OPTIONS, 'provision');
  const s = scenarioProvision ?? {};
  const o = option ?? {};
  const merged = {
    apiUrl: o.apiUrl ?? s.api_url,
    templateSecret: o.templateSecret ?? s.template_secret,
    vouchersFile: o.vouchersFile ?? s.vouchers_file ?? undefined,
    concurrency: o.concurrency ?? s.concurrency ?? 16,
    retries: o.retries ?? s.retries ?? 5,
    subDevices: o.subDevices ?? s.sub_devices ?? false,
    vouchers: o.vouchers,
    onProgress: o.onProgress,
    fetch: o.fetch,
  };
  if (merged.vouchers !== undefined && !(isPlainObject(merged.vouchers) && typeof merged.vouchers.read === 'function' && typeof merged.vouchers.write === 'function')) {
    throw new InvalidOptionError('provision', 'createEmulator: provision.vouchers must be {read(): Promise<object>, write(vouchers): Promise<void>} (where a browser keeps the vouchers)');
  }
  if (merged.apiUrl === undefined && merged.templateSecret === undefined && o.vouchersFile === undefined) return null;
  if (typeof merged.apiUrl !== 'string' || !/^https?:\/\//.test(merged.apiUrl)) {
    throw new InvalidOptionError('provision', `createEmulator: provisioning needs the platform's http:// or https:// URL (provision.apiUrl, scenario provision.api_url or --provision-url; got ${JSON.stringify(merged.apiUrl)})`);
  }
  if (typeof merged.templateSecret !== 'string' || merged.templateSecret === '') {
    throw new InvalidOptionError('provision', 'createEmulator: provisioning needs the device configuration\'s template secret (provision.templateSecret, scenario provision.template_secret or --template-secret)');
  }
  if (!Number.isInteger(merged.concurrency) || merged.concurrency < 1 || merged.concurrency > 1000) {
    throw new InvalidOptionError('provision', `createEmulator: provision.concurrency must be an integer from 1 to 1000 (got ${String(merged.concurrency)})`);
  }
  if (!Number.isInteger(merged.retries) || merged.retries < 0 || merged.retries > 100) {
    throw new InvalidOptionError('provision', `createEmulator: provision.retries must be an integer from 0 to 100 (got ${String(merged.retries)})`);
  }
  if (merged.vouchersFile !== undefined && (typeof merged.vouchersFile !== 'string' || merged.vouchersFile === '')) {
    throw new InvalidOptionError('provision', 'createEmulator: provision.vouchersFile must be a file path');
  }
  return merged;
}

const SCHEMES = { 'ws:': 'ws', 'wss:': 'ws', 'mqtt:': 'tcp', 'tcp:': 'tcp', 'mqtts:': 'tls', 'tls:': 'tls', 'ssl:': 'tls' };
const DEFAULT_PORTS = { 'ws:': 80, 'wss:': 443, 'mqtt:': 1883, 'tcp:': 1883, 'mqtts:': 8883, 'tls:': 8883, 'ssl:': 8883 };

/** Max transports opening at once: 10,000 gateways ramp up without a SYN storm. */
export const DEFAULT_CONNECT_CONCURRENCY = 500;
/** How long stop() waits for DISCONNECT + close before destroying what is left. */
export const DEFAULT_STOP_TIMEOUT_MS = 5000;

function isPlainObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

function positiveInteger(value, option, max = 0xffffffff) {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new InvalidOptionError(option, `createEmulator: ${option} must be an integer from 1 to ${max} (got ${String(value)})`);
  }
  return value;
}

/**
 * 'k/n' or {index, count} (1-based k) -> {index, count}.
 * @returns {{index: number, count: number} | undefined}
 */
export function parseShard(shard, option = 'shard') {
  if (shard === undefined) return undefined;
  let index;
  let count;
  if (typeof shard === 'string') {
    const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(shard);
    if (!m) throw new InvalidOptionError(option, `${option} '${shard}' must look like k/n, e.g. 2/4 (the second of four shards)`);
    index = Number(m[1]);
    count = Number(m[2]);
  } else if (isPlainObject(shard)) {
    checkKeys(shard, ['index', 'count'], option);
    ({ index, count } = shard);
  } else {
    throw new InvalidOptionError(option, `${option} must be 'k/n' or {index, count} (got ${typeof shard})`);
  }
  if (!Number.isInteger(count) || count < 1) {
    throw new InvalidOptionError(option, `${option}: the shard count must be an integer of at least 1 (got ${String(count)})`);
  }
  if (!Number.isInteger(index) || index < 1 || index > count) {
    throw new InvalidOptionError(option, `${option}: the shard index must be from 1 to ${count} (got ${String(index)}); shards count from 1`);
  }
  return { index, count };
}

/**
 * The broker URL: options.url, else the scenario's broker.url.
 * @returns {{url: URL, kind: 'ws' | 'tcp' | 'tls', host: string, port: number}}
 */
export function resolveTarget(options, scenarioUrl, supported) {
  const raw = options.url ?? scenarioUrl;
  if (raw === undefined || raw === null || raw === '') {
    throw new InvalidOptionError('url', 'createEmulator: no broker URL: pass options.url (e.g. ws://127.0.0.1:8083/mqtt or mqtt://127.0.0.1:1883) or set broker.url in the scenario');
  }
  let url;
  try {
    url = new URL(String(raw));
  } catch {
    throw new InvalidOptionError('url', `createEmulator: url '${String(raw)}' is not a valid URL (expected e.g. ws://127.0.0.1:8083/mqtt or mqtt://127.0.0.1:1883)`);
  }
  let kind = SCHEMES[url.protocol];
  if (!kind) {
    throw new InvalidOptionError('url', `createEmulator: url scheme '${url.protocol}' is not known; use ws://, wss://, mqtt://, tcp:// or mqtts://`);
  }
  if (options.transport !== undefined) {
    if (options.transport !== 'ws' && options.transport !== 'tcp') {
      throw new InvalidOptionError('transport', `createEmulator: transport must be 'ws' or 'tcp' (got ${JSON.stringify(options.transport)})`);
    }
    // --transport tcp with a ws:// URL: same host and port, other protocol.
    if (options.transport !== kind && !(options.transport === 'tcp' && kind === 'tls')) {
      const secure = url.protocol === 'wss:' || kind === 'tls';
      const port = url.port;
      url = new URL(`${options.transport === 'ws' ? (secure ? 'wss' : 'ws') : secure ? 'mqtts' : 'mqtt'}://${url.host}${options.transport === 'ws' ? url.pathname : ''}`);
      if (port) url.port = port;
      kind = SCHEMES[url.protocol];
    }
  }
  if (!supported.includes(kind)) {
    throw new InvalidOptionError(
      options.transport !== undefined ? 'transport' : 'url',
      `createEmulator: ${kind === 'ws' ? 'WebSocket' : 'TCP'} transport is not available here (only ${supported.join(', ')}); in a browser use a ws:// or wss:// URL`,
    );
  }
  if (kind === 'ws' && options.wsPath !== undefined) {
    if (typeof options.wsPath !== 'string' || !options.wsPath.startsWith('/')) {
      throw new InvalidOptionError('wsPath', `createEmulator: wsPath must be a path starting with '/', e.g. '/mqtt' (got ${JSON.stringify(options.wsPath)})`);
    }
    url.pathname = options.wsPath;
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost';
  const port = url.port ? Number(url.port) : DEFAULT_PORTS[url.protocol];
  return { url, kind, host, port };
}

/**
 * Validates createEmulator() options. Returns the fleet's options JSON and
 * what the host keeps; the URL is resolved later (it may come from the scenario).
 */
export function normalizeEmulatorOptions(options) {
  if (options === undefined || options === null) options = {};
  checkKeys(options, EMULATOR_OPTIONS, '');
  const o = options;
  if (o.url !== undefined && typeof o.url !== 'string' && !(o.url instanceof URL)) {
    throw new InvalidOptionError('url', `createEmulator: url must be a string (got ${typeof o.url})`);
  }
  const gateways = positiveInteger(o.gateways, 'gateways', 10_000_000);
  const shard = parseShard(o.shard);
  if (o.seed !== undefined && (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 0xffffffff)) {
    throw new InvalidOptionError('seed', `createEmulator: seed must be an unsigned 32-bit integer (got ${String(o.seed)})`);
  }
  if (o.events !== undefined && typeof o.events !== 'boolean') {
    throw new InvalidOptionError('events', `createEmulator: events must be true or false (got ${typeof o.events})`);
  }
  const connectConcurrency = positiveInteger(o.connectConcurrency, 'connectConcurrency', 1_000_000) ?? DEFAULT_CONNECT_CONCURRENCY;
  if (o.stopTimeout !== undefined && (typeof o.stopTimeout !== 'number' || !(o.stopTimeout >= 0))) {
    throw new InvalidOptionError('stopTimeout', `createEmulator: stopTimeout must be a number of milliseconds >= 0 (got ${String(o.stopTimeout)})`);
  }
  if (o.wsProtocols !== undefined && (!Array.isArray(o.wsProtocols) || o.wsProtocols.some((p) => typeof p !== 'string'))) {
    throw new InvalidOptionError('wsProtocols', 'createEmulator: wsProtocols must be an array of strings, e.g. ["mqtt"]');
  }
  if (o.tls !== undefined && !isPlainObject(o.tls)) throw new InvalidOptionError('tls', 'createEmulator: tls must be an object of node:tls options');
  const fleet = {};
  if (gateways !== undefined) fleet.count = gateways;
  if (shard !== undefined) {
    fleet.shard_index = shard.index;
    fleet.shard_count = shard.count;
  }
  if (o.seed !== undefined) fleet.seed = o.seed;
  fleet.events = o.events === true;
  return {
    fleetJson: JSON.stringify(fleet),
    events: o.events === true,
    connectConcurrency,
    stopTimeout: o.stopTimeout ?? DEFAULT_STOP_TIMEOUT_MS,
    wsProtocols: o.wsProtocols ?? ['mqtt'],
    tls: o.tls,
    load: { locateFile: o.locateFile, wasmBinary: o.wasmBinary },
    gateways,
    shard,
    seed: o.seed,
  };
}

/** The scenario as JSON text: an object, a JSON string, or undefined (the built-in default). */
export function scenarioText(scenario) {
  if (scenario === undefined || scenario === null) return null;
  if (typeof scenario === 'string') return scenario;
  if (isPlainObject(scenario)) return JSON.stringify(scenario);
  throw new InvalidOptionError('scenario', `createEmulator: the scenario must be an object, a JSON string or undefined for the built-in default (got ${Array.isArray(scenario) ? 'an array' : typeof scenario})`);
}
